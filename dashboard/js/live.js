/*
 * live.js - everything the page reads from chronicle-server: REST (history,
 * the payload summaries of live events, gaps, sessions, totals, the event
 * types' meaning) and the WebSocket (every later event, in id order).
 *
 *   REST  /api/events?payload=1 (newest pages) -> history at start
 *   WS    /ws?after=<last id>                  -> every later event, in id order
 *   REST  /api/events?after=..&payload=1       -> the payload summaries of live
 *         events (the WebSocket carries no payload), fetched in batches
 *   A reconnect resumes with ?after=<highest id seen>: no gap, no double
 *   (events are also de-duplicated by id, so a replay can never show twice).
 *
 * What arrives goes into S (model.js) and asks for a frame; drawing is the
 * frame loop's (main.js).
 */
import { metaFromApi } from '/assets/event_meta.js';
import { summarize } from '/assets/format.js';
import { showConn, updateHeader } from '/assets/header.js';
import { S, addEvent, MAX_EVENTS, requestFrame, upsertSession } from '/assets/model.js';
import { noteArrival } from '/assets/series.js';

const HISTORY_PAGES = 10;          // 10 x 1000 newest events at start
const PAGE = 1000;                 // events per REST page (the API's maximum)

function authHeaders() { return S.token ? { Authorization: 'Bearer ' + S.token } : {}; }

/* GET path as JSON; a failure throws an Error with the API's message and
 * the HTTP status (e.status, 0 when the request itself failed). */
export async function api(path) {
  let r;
  try { r = await fetch(path, { headers: authHeaders(), cache: 'no-store' }); } catch (e) { e.status = 0; throw e; }
  if (!r.ok) {
    let msg = r.status + ' ' + r.statusText;
    try { const j = await r.json(); if (j.error) msg = j.error.code + ': ' + j.error.message; } catch (e) { /* not JSON */ }
    const err = new Error(path + ': ' + msg);
    err.status = r.status;
    throw err;
  }
  return r.json();
}

/* Payload summaries of live events, fetched by id range in batches. */
export async function fetchSummaries() {
  if (S.summaryBusy || S.needSummary.length === 0) return;
  S.summaryBusy = true;
  let ids = [];
  try {
    while (S.needSummary.length) {
      ids = S.needSummary.splice(0, PAGE).sort((a, b) => a - b);
      await summariesOf(ids);
      for (const id of ids) { const ev = S.byId.get(id); if (ev && ev.summary === null) ev.summary = ''; }
      ids = [];
      requestFrame();
      S.rowsDirty = true;
    }
  } catch (e) {
    // The server is restarting, say: keep the ids and try again.
    console.warn('summaries:', e.message);
    S.needSummary = ids.filter((id) => { const ev = S.byId.get(id); return ev && ev.summary === null; }).concat(S.needSummary);
    setTimeout(fetchSummaries, 1000);
  } finally {
    S.summaryBusy = false;
  }
}

/* Reads the events ids[0]..ids[last] (ascending) with their payloads and
 * fills in the summaries of those in ids. */
async function summariesOf(ids) {
  const want = new Set(ids);
  let after = ids[0] - 1;
  const last = ids[ids.length - 1];
  while (after < last) {
    const j = await api('/api/events?payload=1&limit=' + PAGE + '&after=' + after + '&before=' + (last + 1));
    if (!j.events.length) break;
    let maxId = after;
    for (const full of j.events) {
      maxId = Math.max(maxId, full.id);
      if (!want.has(full.id)) continue;
      const ev = S.byId.get(full.id);
      if (ev) {
        ev.summary = summarize(ev, full.payload);
        if (ev.summary && ev.summary.indexOf('\u0000') >= 0) ev.summary = ev.summary.replace(/\u0000/g, '');
      }
    }
    // Pages with both bounds come newest first: continue below the oldest.
    if (j.order === 'desc') {
      const minId = j.events[j.events.length - 1].id;
      if (j.events.length < PAGE || minId <= after + 1) break;
      // Rare (more than 1000 ids in one batch): fall back to ascending pages.
      const rest = await api('/api/events?payload=1&limit=' + PAGE + '&after=' + after);
      for (const full of rest.events) {
        const ev = S.byId.get(full.id);
        if (ev && want.has(full.id)) ev.summary = summarize(ev, full.payload);
      }
      break;
    }
    after = maxId;
  }
}

// ------------------------------------------------------------------ WebSocket
function wsUrl() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  let u = proto + '//' + location.host + '/ws?after=' + S.lastId;
  if (S.token) u += '&access_token=' + encodeURIComponent(S.token);
  return u;
}

export function connect() {
  showConn(S.wsState === 'live' ? 'reconnecting' : S.wsState);
  let ws;
  try { ws = new WebSocket(wsUrl()); } catch (e) { retry(); return; }
  S.ws = ws;
  ws.onopen = () => {
    const reconnect = S.wsState === 'reconnecting';
    S.wsBackoff = 250;
    showConn('live');
    ping();
    if (reconnect) caughtUp();
  };
  ws.onmessage = (m) => {
    let msg;
    try { msg = JSON.parse(m.data); } catch (e) { return; }
    onMessage(msg);
  };
  ws.onclose = () => { if (S.ws === ws) { S.ws = null; showConn('reconnecting'); retry(); } };
  ws.onerror = () => { /* onclose follows */ };
}

function onMessage(msg) {
  switch (msg.type) {
    case 'event': S.pending.push(msg.data); requestFrame(); break;
    case 'session': upsertSession(S, msg.data); S.sideDirty = true; requestFrame(); break;
    case 'heartbeat':
      // The answer to our ping carries no ts_ms; the server's own beats do.
      if (msg.ts_ms === undefined && S.pingSent) {
        S.latency = performance.now() - S.pingSent;
        S.pingSent = 0;
        showConn('live');
      }
      break;
    case 'gap': fillGap(msg.data.from, msg.data.to); break;
    case 'error': console.warn('server:', msg.error && msg.error.message); break;
    default: break;
  }
}

/* Back after a drop (a restart, an upgrade): what may have changed meanwhile. */
function caughtUp() {
  refreshSessions();
  loadMeta();
  // A different database behind the same address (restored, recreated):
  // our ids mean nothing there, so start over.
  api('/health').then((h) => { if (h.database && h.database.last_event_id < S.lastId && !S.synthetic) location.reload(); }, () => {});
}

function retry() {
  setTimeout(connect, S.wsBackoff);
  S.wsBackoff = Math.min(S.wsBackoff * 2, 4000);
}

/* A heartbeat the server answers at once: the round trip is the latency. */
export function ping() {
  if (!S.ws || S.ws.readyState !== 1) return;
  S.pingSent = performance.now();
  S.ws.send('{"type":"heartbeat"}');
}

/* The server skipped ids from..to for us: read them through REST. */
async function fillGap(from, to) {
  let after = from - 1;
  try {
    while (after < to) {
      const j = await api('/api/events?payload=1&limit=' + PAGE + '&after=' + after);
      if (!j.events.length) break;
      for (const ev of j.events) { if (ev.id > to) break; if (addEvent(S, ev, true)) S.total++; }
      after = j.events[j.events.length - 1].id;
    }
  } catch (e) { console.warn('gap:', e.message); }
  S.viewDirty = true;
  requestFrame();
}

// ------------------------------------------------------------------ REST
export async function loadHistory() {
  const t0 = performance.now();
  let before = null;
  for (let page = 0; page < HISTORY_PAGES; page++) {
    const j = await api('/api/events?payload=1&limit=' + PAGE + (before ? '&before=' + before : ''));
    for (const ev of j.events) addEvent(S, ev, true);
    if (page === 0 && j.events.length) S.lastId = Math.max(S.lastId, j.events[0].id);
    if (!j.next_before) { S.historyComplete = true; break; }
    before = j.next_before;
    // Enough to cover the last hour of rates and charts?  Then stop early.
    const oldest = j.events[j.events.length - 1];
    if (page >= 1 && oldest && oldest.ts_ms !== null && oldest.ts_ms < Date.now() - 3600000) break;
  }
  const now = Date.now();
  for (const ev of S.events) noteArrival(S.ringSec, S.ringCnt, ev.stored_ms || ev.ts_ms || 0, now);
  S.stats.historyMs = performance.now() - t0;
}

/* Older pages until the oldest loaded event is before sinceMs. */
export async function ensureHistory(sinceMs) {
  if (S.historyBusy || S.historyComplete || !S.events.length) return;
  if (S.events[0].ts_ms !== null && S.events[0].ts_ms <= sinceMs) return;
  S.historyBusy = true;
  try {
    let before = S.events[0].id;
    for (let i = 0; i < 50 && S.events.length < MAX_EVENTS; i++) {
      const j = await api('/api/events?payload=1&limit=' + PAGE + '&before=' + before);
      for (const ev of j.events) addEvent(S, ev, true);
      if (!j.next_before) { S.historyComplete = true; break; }
      before = j.next_before;
      const oldest = j.events[j.events.length - 1];
      if (oldest.ts_ms !== null && oldest.ts_ms <= sinceMs) break;
    }
  } catch (e) { console.warn('history:', e.message); }
  S.historyBusy = false;
  S.viewDirty = true;
  requestFrame();
}

/* Events in the database's last 30 days: the header's total. */
export async function loadTotal() {
  try {
    const j = await api('/api/stats?window=30d&bucket=1d');
    S.total = j.totals.events;
    updateHeader();
  } catch (e) { console.warn('stats:', e.message); }
}

export async function loadSessions() {
  const j = await api('/api/sessions?limit=1000&usage=1');
  for (const s of j.sessions) upsertSession(S, s);
}

/* Session rows again (counts, tokens and cost grow without a live message). */
export function refreshSessions() {
  loadSessions().then(() => { S.sideDirty = true; requestFrame(); }, (e) => console.warn('sessions:', e.message));
}

/* The server's idle time (CHRONICLE_IDLE_AFTER_S). */
export async function loadHealth() {
  try {
    const h = await api('/health');
    if (h.idle_after_s > 0) S.idleAfterMs = h.idle_after_s * 1000;
  } catch (e) { /* the default stays */ }
}

/*
 * What each event type means, from GET /api/meta (the server's C table).  A
 * server without the endpoint answers 404, and the built-in table of
 * event_meta.js stays, as it does for anything unexpected.  Returns whether
 * the server's table is now in use.
 */
export async function loadMeta() {
  let body;
  try {
    body = await api('/api/meta');
  } catch (e) {
    if (e.status !== 404) console.warn('meta:', e.message);
    return false;
  }
  const meta = metaFromApi(body);
  if (meta === null) { console.warn('meta: /api/meta is not a table of event types; the built-in one stays'); return false; }
  S.meta = meta;
  if (body.idle_after_s > 0) S.idleAfterMs = body.idle_after_s * 1000;
  S.viewDirty = true;
  requestFrame();
  return true;
}
