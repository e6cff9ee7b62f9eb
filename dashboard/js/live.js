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

/*
 * Authentication is the server's cookie (set when the page was opened with
 * ?token=, server/dashboard_gate.c): fetch and the WebSocket send it by
 * themselves.  A 401 means it is gone (expired, the token changed): the
 * page says how to sign in again instead of failing quietly.
 */
function signedOut() {
  if (S.signedOut) return;
  S.signedOut = true;
  document.getElementById('signed-out').hidden = false;
}

async function request(path, init) {
  let r;
  try { r = await fetch(path, Object.assign({ cache: 'no-store', credentials: 'same-origin' }, init)); } catch (e) { e.status = 0; throw e; }
  if (!r.ok) {
    let msg = r.status + ' ' + r.statusText, code = null;
    try { const j = await r.json(); if (j.error) { code = j.error.code; msg = j.error.code + ': ' + j.error.message; } } catch (e) { /* not JSON */ }
    if (r.status === 401) signedOut();
    const err = new Error(path + ': ' + msg);
    err.status = r.status;
    err.code = code;
    // The router's answer for a path it has no route for (an older server).
    err.noEndpoint = r.status === 404 && msg.indexOf('no such endpoint') >= 0;
    throw err;
  }
  if (S.signedOut) { S.signedOut = false; document.getElementById('signed-out').hidden = true; }
  return r.json();
}

/* GET path as JSON; a failure throws an Error with the API's message and
 * the HTTP status (e.status, 0 when the request itself failed). */
export function api(path) { return request(path); }

/* POST path (no body) as JSON, with the header the server requires of
 * state-changing requests (a cross-site form cannot send it). */
export function apiPost(path) { return request(path, { method: 'POST', headers: { 'X-Chronicle-Request': '1' } }); }

/*
 * Whether the server has an endpoint: GET path answers anything but the
 * router's "no such endpoint" 404 (a 400 for a probe's odd query, or a 404
 * for an unknown session, still mean the route exists).
 */
export async function probe(path) {
  try { await api(path); return true; } catch (e) { return e.status !== 0 && !e.noEndpoint && e.status !== 401 ? true : false; }
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
  return proto + '//' + location.host + '/ws?after=' + S.lastId;
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
  ws.onclose = () => {
    if (S.ws !== ws) return;
    S.ws = null;
    showConn('reconnecting');
    // A refused upgrade looks like any drop: ask the API whether we are
    // still signed in (a 401 shows the banner).
    api('/api/meta').catch(() => {});
    retry();
  };
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
    case 'reset':
      // The database was replaced (restored, recreated): our ids mean
      // nothing there.  Start over from what it holds.
      if (!S.synthetic) location.reload();
      break;
    case 'alert': if (S.onAlert && msg.data) S.onAlert(msg.data); break;
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

/* GET /api/cost (today / 7 d / 30 d, by project and model, budget); false
 * when the server has none. */
export async function loadCost() {
  try { S.cost = await api('/api/cost'); S.features.cost = true; return true; } catch (e) {
    if (e.noEndpoint || e.status === 404) S.features.cost = false; else console.warn('cost:', e.message);
    return false;
  }
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
