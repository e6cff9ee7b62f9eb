/*
 * model.js - the page's state and the pure functions that change it: events
 * kept in id order and de-duplicated, tool calls' start and end paired, the
 * view (filter.js) grown by live events.  (The sessions' board: board.js.)
 *
 * S is the one state object: every module reads and writes it, and nothing
 * else at module level is mutable anywhere in dashboard/js/.  createState()
 * declares every field, with what it holds; the object is sealed, so a field
 * not declared here cannot be added by mistake.  The functions below take the
 * state as a parameter (tests give them their own) and touch no DOM.
 */
import { FALLBACK_META, DRAWN_TYPES } from '/assets/event_meta.js';
import { emptyFilters, joinedAway } from '/assets/filter.js';
import { summarize } from '/assets/format.js';
import { noteArrival, RING_S } from '/assets/series.js';

export const MAX_EVENTS = 200000;        // oldest dropped beyond this
export const FRAME_EVENTS_MAX = 1000;    // live events applied per animation frame
export const IDLE_AFTER_MS_DEFAULT = 600000;

export function createState() {
  return Object.seal({
    // ---- events
    events: [],            // every loaded event, ascending by id
    byId: new Map(),       // id -> event
    preByUse: new Map(),   // tool_use_id -> tool-start event
    postByUse: new Map(),  // tool_use_id -> tool-end event that came before its start
    lastId: 0,             // highest id loaded: the WebSocket resumes after it
    pending: [],           // live events waiting for the next frame
    needSummary: [],       // ids whose payload summary is still to be fetched
    summaryBusy: false,    // a summary fetch is under way
    historyComplete: false, // the oldest page was read: nothing older to load
    historyBusy: false,    // older pages are being read (ensureHistory)
    total: 0,              // events in the database (30 d window) + live ones
    synthetic: false,      // events were injected (window.chronicle.inject): ids are not the server's
    toolsSeen: new Set(),  // tool names seen (the Tools menu)
    typesSeen: new Set(DRAWN_TYPES), // event types seen or drawn (the Types menu)
    ringSec: new Array(RING_S).fill(-1), // per-second arrival counts over the last
    ringCnt: new Array(RING_S).fill(0),  // 10 minutes (slot = second % 600), series.js
    // ---- what the server told us
    meta: FALLBACK_META,   // event types' meaning (event_meta.js), from /api/meta when served
    idleAfterMs: IDLE_AFTER_MS_DEFAULT, // the server's CHRONICLE_IDLE_AFTER_S
    sessions: new Map(),   // session_id -> session row (API shape)
    awaitingIds: [],       // ids of the sessions awaiting input, as last drawn
    signedOut: false,      // the API answered 401: the sign-in cookie is gone
    // ---- what the server may not have (feature-detected: a 404 hides the UI)
    features: Object.seal({ search: null, conversation: null, cost: null, alerts: null }), // null: not asked yet
    cost: null,            // GET /api/cost's body, when served
    alerts: new Map(),     // alert id -> alert (GET /api/alerts, WS "alert")
    alertsUnacked: 0,      // unacknowledged alerts (the tab title's badge)
    notified: new Set(),   // alert ids a browser notification was shown for
    onAlert: null,         // the handler of WS "alert" messages (alerts_view.js, set by main)
    // ---- the feed
    filters: Object.seal(emptyFilters()), // filter.js; mirrored in the URL
    view: [],              // the filtered, joined list the feed shows
    matcher: null,         // the predicate view was built with (filter.makeMatcher)
    selected: -1,          // index into view
    follow: true,          // keep the newest row in sight
    paused: false,         // rows frozen; pausedCount events arrived meanwhile
    pausedCount: 0,
    feed: Object.seal({    // feed.js: the row pool over a spacer
      pool: [], scroll: null, rows: null, spacer: null, lastFirst: -1,
    }),
    // ---- redraw bookkeeping (main.js's frame loop)
    drawFrame: null,       // main's per-frame function, set once at start
    frameQueued: false,    // an animation frame is requested
    viewDirty: false,      // view must be rebuilt (older events, filters, trims)
    rowsDirty: false,      // rows must be redrawn (summaries arrived)
    sideDirty: true,       // the sidebar must be redrawn
    sideDrawn: 0,          // performance.now() of the last sidebar redraw
    sideTimer: 0,          // a deferred sidebar redraw is set
    // ---- connection (live.js)
    ws: null,              // the WebSocket, while open or opening
    wsBackoff: 250,        // ms before the next reconnect attempt
    wsState: 'connecting', // connecting / live / reconnecting (the header shows it)
    pingSent: 0,           // performance.now() of the unanswered heartbeat, or 0
    latency: null,         // last heartbeat round trip, ms
    // ---- panels
    charts: null,          // Chart.js instances once drawn (charts.js)
    chartsOn: false,       // the charts panel is shown
    rateDrawn: 0,          // performance.now() of the last rate chart redraw
    detailId: null,        // id of the event in the detail panel
    svSession: null,       // session_id of the open session view
    svTimer: 0,            // a session view refresh is set
    svTab: 'overview',     // the session pane's tab: overview / conversation
    conv: Object.seal({ sid: null, agent: null, next: null, busy: false, done: false, items: 0 }), // the conversation being read
    search: Object.seal({ q: '', scope: 'history', seq: 0, next: null, busy: false, results: [] }), // history search
    narrow: false,         // the window is narrower than the sidebar's overlay width (sidebar.js)
    toastTimer: 0,         // the toast's hide timer
    searchTimer: 0,        // the search box's debounce timer
    ready: false,          // start() finished
    stats: Object.seal({ historyMs: 0, applyMs: 0, maxApplyMs: 0 }), // costs measured, for tests
  });
}

export const S = createState();

/* Asks for one redraw at the next animation frame (state changed). */
export function requestFrame() {
  if (S.frameQueued) return;
  S.frameQueued = true;
  requestAnimationFrame(S.drawFrame);
}

/* Joins a tool call's start and end (whichever comes first) through their
 * tool_use_id: start.post and end.pre. */
export function pairToolCall(st, ev) {
  if (!ev.tool_use_id) return;
  if (st.meta.POST_TYPES.has(ev.type)) {
    const pre = st.preByUse.get(ev.tool_use_id);
    if (pre) { pre.post = ev; ev.pre = pre; } else st.postByUse.set(ev.tool_use_id, ev);
  } else if (st.meta.PRE_TYPES.has(ev.type)) {
    st.preByUse.set(ev.tool_use_id, ev);
    const post = st.postByUse.get(ev.tool_use_id);
    if (post) { ev.post = post; post.pre = ev; st.postByUse.delete(ev.tool_use_id); }
  }
}

/* Takes one event (API shape); returns false if it was already known.  With
 * its payload, the summary is made now and the payload dropped (only the
 * detail reads it again); without, its id waits in needSummary. */
export function addEvent(st, ev, hasPayload) {
  if (st.byId.has(ev.id)) return false;
  if (hasPayload) {
    ev.summary = summarize(ev, ev.payload);
    delete ev.payload;
  } else {
    ev.summary = null;
    st.needSummary.push(ev.id);
  }
  st.byId.set(ev.id, ev);
  if (ev.tool_name) st.toolsSeen.add(ev.tool_name);
  st.typesSeen.add(ev.type);
  pairToolCall(st, ev);
  if (ev.id > st.lastId) {
    st.events.push(ev);
    st.lastId = ev.id;
  } else {
    // Older than the newest (history pages, gap fills): keep id order.
    let lo = 0, hi = st.events.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (st.events[mid].id < ev.id) lo = mid + 1; else hi = mid; }
    st.events.splice(lo, 0, ev);
    st.viewDirty = true;
  }
  return true;
}

/* Drops the oldest events beyond max. */
export function trimEvents(st, max) {
  if (st.events.length <= max) return;
  const drop = st.events.splice(0, st.events.length - max);
  for (const ev of drop) {
    st.byId.delete(ev.id);
    if (ev.tool_use_id) { st.preByUse.delete(ev.tool_use_id); st.postByUse.delete(ev.tool_use_id); }
  }
  st.viewDirty = true;
}

/* The live events for this frame: at most max, the rest stay pending (a
 * burst is spread over frames so that input stays responsive). */
export function takeBatch(st, max) {
  let batch = st.pending;
  if (batch.length > max) {
    st.pending = batch.slice(max);
    batch = batch.slice(0, max);
  } else st.pending = [];
  return batch;
}

/*
 * Adds a batch of live events and grows the view with those that show
 * (unless the view is to be rebuilt anyway, or paused).  Returns how many
 * rows were added and whether an event of the open session view came.
 */
export function applyBatch(st, batch, match, nowMs) {
  let grew = 0, svTouched = false;
  for (const ev of batch) {
    if (!addEvent(st, ev, ev.payload !== undefined)) continue;
    if (st.svSession && ev.session_id === st.svSession) svTouched = true;
    st.total++;
    noteArrival(st.ringSec, st.ringCnt, ev.stored_ms || nowMs, nowMs);
    if (st.viewDirty) continue;
    if (!match(ev) || joinedAway(ev, match, st.meta)) continue;
    if (st.paused) { st.pausedCount++; continue; }
    st.view.push(ev);
    grew++;
  }
  return { grew, svTouched };
}

export function upsertSession(st, s) {
  const old = st.sessions.get(s.session_id);
  st.sessions.set(s.session_id, Object.assign(old || {}, s));
}

/* The projects the sessions know (the project filter's menu). */
export function projectsSeen(st) {
  const p = new Set();
  for (const s of st.sessions.values()) p.add(s.project || s.cwd || '');
  return p;
}
