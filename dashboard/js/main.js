/*
 * main.js - the Chronicle dashboard's entry module: wires the views to the
 * page, runs the frame loop and the timers, starts the data flow.  Plain ES
 * modules, no framework, no build step: chronicle-server embeds every file of
 * dashboard/js/ and serves it at /assets/NAME.js.
 *
 *   live.js (REST, WebSocket) -> S (model.js) -> one frame: feed, sidebar,
 *   header, charts, session view
 *
 * Rendering: payload text only ever reaches the DOM through textContent
 * (dom.el); no innerHTML anywhere.  Live events are queued and applied once
 * per animation frame (onFrame), at most 1,000 a frame.
 */
import { alertMessage, loadAlerts, wireAlerts } from '/assets/alerts_view.js';
import { chartsShown, drawSpend, setCharts, updateRateChart, updateServerCharts } from '/assets/charts.js';
import { closeDetail, openDetail } from '/assets/detail.js';
import { $, closeMenus, toast } from '/assets/dom.js';
import { makeMatcher, rangeBounds } from '/assets/filter.js';
import { clearAll, filtersChanged, readUrl, syncFilterControls, wireFilterBar } from '/assets/filter_bar.js';
import { rebuildView, renderFeed, selectIndex, setFollow, setPaused, showNewPill, wireFeed } from '/assets/feed.js';
import { updateHeader } from '/assets/header.js';
import * as live from '/assets/live.js';
import { S, FRAME_EVENTS_MAX, MAX_EVENTS, applyBatch, requestFrame, takeBatch, trimEvents } from '/assets/model.js';
import { closeSearch, searchAvailable, searchFiltersChanged, searchOpen, syncSearchScope, wireSearch } from '/assets/search_view.js';
import { closeSession, conversationAvailable, openSession, sessionViewTouched, wireSessionView } from '/assets/session_view.js';
import { renderSidebar, restoreSidebar, setSidebar, showAwaiting, tickWaits } from '/assets/sidebar.js';

const SIDEBAR_MIN_MS = 250;   // the sidebar is rebuilt whole: at most 4 times a second

/* All DOM work for live updates happens here, at most once per frame. */
function onFrame() {
  S.frameQueued = false;
  const t0 = performance.now();
  // A burst (a replay after a reconnect, a flood) is spread over frames so
  // that scrolling and input stay responsive while it is applied.
  const batch = takeBatch(S, FRAME_EVENTS_MAX);
  if (S.pending.length) requestFrame();
  const { grew, svTouched } = applyBatch(S, batch, S.matcher || makeMatcher(S.filters, S.sessions, Date.now()), Date.now());
  if (svTouched) sessionViewTouched();
  if (batch.length) { trimEvents(S, MAX_EVENTS); live.fetchSummaries(); }
  if (S.viewDirty && !S.paused) rebuildView();
  else if (grew || batch.length || S.rowsDirty) {
    S.rowsDirty = false;
    if (grew && !S.follow) showNewPill();
    renderFeed();
  }
  if (batch.length) {
    updateHeader();
    // The rate chart follows live events, at most once a second.
    if (chartsShown() && performance.now() - S.rateDrawn > 1000) { S.rateDrawn = performance.now(); updateRateChart(); }
  }
  if (S.sideDirty) {
    const now = performance.now();
    if (now - S.sideDrawn >= SIDEBAR_MIN_MS) { S.sideDirty = false; S.sideDrawn = now; renderSidebar(); }
    else if (!S.sideTimer) S.sideTimer = setTimeout(() => { S.sideTimer = 0; requestFrame(); }, SIDEBAR_MIN_MS);
  }
  S.stats.applyMs = performance.now() - t0;
  S.stats.maxApplyMs = Math.max(S.stats.maxApplyMs, S.stats.applyMs);
}

function onKey(e) {
  const t = e.target;
  const inField = t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement;
  if ((e.ctrlKey || e.metaKey) && (e.key === 'b' || e.key === 'B')) {
    e.preventDefault();
    setSidebar(!document.body.classList.contains('side-collapsed'));
    return;
  }
  if (e.key === 'Escape') {
    // A search field clears itself on Esc (and would close the results):
    // Esc closes one thing at a time, the results last.
    e.preventDefault();
    if (!$('help').hidden) $('help').hidden = true;
    else if (document.querySelector('.menu:not([hidden])')) closeMenus();
    else if (!$('detail').hidden) closeDetail();
    else if (!$('session-view').hidden) closeSession();
    else if (searchOpen()) { closeSearch(); if (inField) t.blur(); }
    else { if (inField) t.blur(); clearAll(); }
    return;
  }
  if (inField || e.ctrlKey || e.metaKey || e.altKey) return;
  const detailOpen = !$('detail').hidden;
  switch (e.key) {
    case 'j': selectIndex(S.selected < 0 ? 0 : S.selected + 1, true); if (detailOpen) openDetail(S.view[S.selected]); break;
    case 'k': selectIndex(S.selected < 0 ? S.view.length - 1 : S.selected - 1, true); if (detailOpen) openDetail(S.view[S.selected]); break;
    case 'g': selectIndex(0, true); break;
    case 'G': selectIndex(S.view.length - 1, true); break;
    case 'Enter': if (S.selected >= 0) openDetail(S.view[S.selected]); break;
    case 's': if (S.selected >= 0) openSession(S.view[S.selected].session_id); break;
    case '/': e.preventDefault(); $('search').focus(); $('search').select(); break;
    case '?': $('help').hidden = !$('help').hidden; break;
    case 'p': setPaused(!S.paused); break;
    case 'f': setFollow(!S.follow); break;
    case 'c': setCharts(!S.chartsOn); break;
    default: return;
  }
  e.preventDefault();
}

function wire() {
  wireFeed();
  wireFilterBar();
  wireSearch();
  wireSessionView();
  wireAlerts();
  S.onAlert = alertMessage;
  document.addEventListener('chronicle-filters', searchFiltersChanged);
  $('stat-spend-box').addEventListener('click', () => setCharts(true));
  $('btn-help').addEventListener('click', () => { $('help').hidden = false; });
  $('help').addEventListener('click', () => { $('help').hidden = true; });
  $('btn-charts').addEventListener('click', () => setCharts(!S.chartsOn));
  $('btn-collapse').addEventListener('click', () => setSidebar(true));
  $('btn-sessions').addEventListener('click', () => setSidebar(false));
  $('stat-awaiting-btn').addEventListener('click', showAwaiting);
  $('detail-close').addEventListener('click', closeDetail);
  $('detail-session').addEventListener('click', () => { const ev = S.byId.get(S.detailId); if (ev) openSession(ev.session_id); });
  $('sv-close').addEventListener('click', closeSession);
  $('sv-filter').addEventListener('click', () => { S.filters.sessions.clear(); S.filters.sessions.add(S.svSession); filtersChanged(); });
  document.addEventListener('keydown', onKey);
  $('help-tz').textContent = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local';
}

/* What this server has of the newer endpoints: each UI part shows only
 * where its endpoint answers (an older server says "no such endpoint"). */
async function detectFeatures() {
  const anySession = S.sessions.size ? S.sessions.keys().next().value : 'probe';
  const [search, conv] = await Promise.all([
    live.probe('/api/search?q=chronicle&limit=1'),
    live.probe('/api/sessions/' + encodeURIComponent(anySession) + '/conversation?limit=1'),
    loadAlerts(),
    refreshCost(),
  ]);
  searchAvailable(search);
  conversationAvailable(conv);
}

async function refreshCost() {
  const ok = await live.loadCost();
  drawSpend();
  return ok;
}

function timers() {
  setInterval(live.ping, 5000);
  // Idleness changes with the clock alone.
  setInterval(() => { S.sideDirty = true; updateHeader(); requestFrame(); }, 5000);
  // The board's waiting times tick.
  setInterval(tickWaits, 1000);
  setInterval(() => { if (S.features.cost) refreshCost(); }, 30000);
  setInterval(() => { if (S.filters.range === '5m' || S.filters.range === '1h') { S.viewDirty = true; requestFrame(); } }, 10000);
  setInterval(() => { if (chartsShown()) updateRateChart(); }, 2000);
  setInterval(() => { if (chartsShown()) updateServerCharts(); }, 15000);
  // Tokens and cost grow as the collector reads transcripts, which sends
  // no live message: refresh the sessions' figures now and then.
  setInterval(live.refreshSessions, 30000);
}

async function start() {
  S.drawFrame = onFrame;
  wire();
  const open = readUrl();
  syncFilterControls();
  restoreSidebar();
  if (localStorage.getItem('chronicle.charts') === '1') setCharts(true);
  try {
    // The meaning of event types pairs tool calls: known before history.
    await Promise.all([live.loadSessions(), live.loadMeta().then(live.loadHistory), live.loadHealth()]);
  } catch (e) {
    toast('cannot load: ' + e.message);
    console.warn(e);
  }
  live.loadTotal();
  syncSearchScope();
  await detectFeatures();
  rebuildView();
  renderSidebar();
  updateHeader();
  if (chartsShown()) updateRateChart();
  const [from] = rangeBounds(S.filters, Date.now());
  if (from !== null) live.ensureHistory(from);
  live.connect();
  if (open) openSession(open);
  timers();
  S.ready = true;
  document.body.dataset.ready = '1';
}

// A small read-only window for tests and the curious (no data is trusted
// from it: it exposes state, and injects synthetic events for the
// virtualisation check only).
window.chronicle = Object.freeze({
  state: S,
  lastId: () => S.lastId,
  viewIds: () => S.view.map((e) => e.id),
  inject: (events) => { S.synthetic = true; for (const ev of events) S.pending.push(ev); requestFrame(); },
  rebuild: rebuildView,
  render: renderFeed,
  refresh: live.refreshSessions,
});

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
