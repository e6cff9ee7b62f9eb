/*
 * sidebar.js - the status board: sessions grouped by state (awaiting input
 * first, then failed, working, idle, ended) and then by project, longest in
 * their state first (board.js lays it out).  Each card: the title, the cost
 * (never cut), the reason in words and the time in that state (ticking every
 * second), the project, model and counts, and the id one click away (copy).
 * Click a card to filter the feed by it (Ctrl/Cmd-click adds it), ≡ opens
 * its session view.  Also the header's working / awaiting / failed counts and
 * the tab title.
 */
import { STATE_CLASS, buildBoard, reasonText, sinceOf, tabTitle, titleOf } from '/assets/board.js';
import { $, copyText, el } from '/assets/dom.js';
import { renderFeed } from '/assets/feed.js';
import { toggleSession } from '/assets/filter.js';
import { filtersChanged } from '/assets/filter_bar.js';
import { fmtDateTime, fmtNum, fmtUsd, fmtWait, shortId } from '/assets/format.js';
import { S } from '/assets/model.js';
import { openSession } from '/assets/session_view.js';

const NARROW_PX = 900;   // below this the sidebar covers the feed

export function renderSidebar() {
  const now = Date.now();
  const { groups, counts } = buildBoard(S.sessions.values(), now, S.idleAfterMs, S.filters.projects);
  const frag = document.createDocumentFragment();
  const awaiting = [];
  for (const g of groups) {
    const box = frag.appendChild(el('div', 'group group-' + STATE_CLASS[g.state]));
    box.dataset.state = g.state;
    box.appendChild(el('div', 'group-title', g.label + ' · ' + g.count));
    for (const p of g.projects) {
      const pt = box.appendChild(el('div', 'proj-title', p.name));
      pt.title = p.project;
      for (const s of p.sessions) {
        box.appendChild(sessionCard(s, g.state, now));
        if (g.state === 'awaiting_input') awaiting.push(s.session_id);
      }
    }
    if (g.hidden) box.appendChild(el('div', 'muted more', fmtNum(g.hidden) + ' more ' + g.label + ' sessions (older)'));
  }
  if (!groups.length) frag.appendChild(el('div', 'muted empty-board', S.sessions.size ? 'No session in the selected projects.' : 'No session yet.'));
  $('session-list').replaceChildren(frag);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  $('side-count').textContent = total ? String(total) : '';
  $('stat-working').textContent = fmtNum(counts.working);
  $('stat-awaiting').textContent = fmtNum(counts.awaiting_input);
  $('stat-failed').textContent = fmtNum(counts.failed);
  $('stat-awaiting-btn').classList.toggle('hot', counts.awaiting_input > 0);
  $('stat-failed-box').classList.toggle('hot-err', counts.failed > 0);
  S.awaitingIds = awaiting;
  updateTitle();
  tickWaits();
}

/* Seen from another tab: how many sessions wait, how many alerts are new. */
export function updateTitle() {
  document.title = tabTitle(S.awaitingIds.length, S.alertsUnacked);
}

/* The cards' waiting times, every second, without redrawing the board. */
export function tickWaits() {
  const now = Date.now();
  for (const w of document.querySelectorAll('#session-list .wait')) w.textContent = fmtWait(now - Number(w.dataset.since));
}

/* What the session cost (or its tokens, when its models have no price). */
function spendText(u) {
  if (!u || !u.tokens) return '';
  return u.cost_usd !== null && u.cost_usd !== undefined ? fmtUsd(u.cost_usd, 3, 2) : fmtNum(u.tokens) + ' tok';
}

function sessionCard(s, st, now) {
  const cls = STATE_CLASS[st];
  const d = el('div', 'sess st-card-' + cls + (S.filters.sessions.has(s.session_id) ? ' selected' : ''));
  d.dataset.sid = s.session_id;
  d.dataset.status = cls;
  d.dataset.state = st;
  const l1 = d.appendChild(el('div', 'sess-line'));
  l1.appendChild(el('span', 'dot st-' + cls)).title = st;
  const t = l1.appendChild(el('span', 'sess-title', titleOf(s)));
  t.title = (s.title || '(no title yet)') + '\n' + s.session_id;
  const spend = spendText(s.usage);
  if (spend) l1.appendChild(el('span', 'sess-cost', spend));
  const l2 = d.appendChild(el('div', 'sess-reason st-' + cls));
  const reason = reasonText(s, st);
  l2.appendChild(el('span', 'reason-text', reason)).title = reason;
  const since = st === 'idle' && s.last_seen_ms ? s.last_seen_ms : sinceOf(s);
  const w = l2.appendChild(el('span', 'wait', fmtWait(now - since)));
  w.dataset.since = String(since);
  w.title = 'in this state since ' + fmtDateTime(since);
  const c = s.counts || {};
  const l3 = d.appendChild(el('div', 'sess-meta'));
  // The id, one click from the clipboard (the title is the id when there is no title yet).
  const idb = l3.appendChild(el('button', 'sess-id', s.title ? shortId(s.session_id) : 'copy id'));
  idb.title = 'Copy the session id ' + s.session_id;
  idb.addEventListener('click', (e) => { e.stopPropagation(); copyText(s.session_id, 'session id'); });
  l3.appendChild(el('span', null, (s.model ? ' · ' + s.model.replace(/^claude-/, '') : '') + ' · ' + fmtNum(c.events) + ' ev · ' +
    fmtNum(c.tool_calls) + ' tools' + (c.errors ? ' · ' + fmtNum(c.errors) + ' err' : '')));
  // The pane's button on the last line: the title gets the first line's width.
  const open = l3.appendChild(el('button', 'btn btn-small sess-open', '≡'));
  open.title = 'Session view';
  open.addEventListener('click', (e) => { e.stopPropagation(); openSession(s.session_id); });
  d.title = (s.project || s.cwd || '') + '\nlast: ' + (s.last_event_type || '') + ' at ' + fmtDateTime(s.last_seen_ms);
  d.addEventListener('click', (e) => {
    const additive = e.ctrlKey || e.metaKey;
    toggleSession(S.filters.sessions, s.session_id, additive);
    filtersChanged();
    // On a narrow window the sidebar covers the feed: get out of the way.
    if (!additive && window.innerWidth < NARROW_PX) setSidebar(true);
  });
  return d;
}

export function setSidebar(collapsed) {
  document.body.classList.toggle('side-collapsed', collapsed);
  $('btn-collapse').textContent = collapsed ? '»' : '«';
  localStorage.setItem('chronicle.sidebar', collapsed ? 'collapsed' : 'open');
  renderFeed();
}

/* At start: as the user left it, else collapsed on a narrow window.  A
 * window made narrow collapses it (it would cover the feed), without
 * changing the saved choice. */
export function restoreSidebar() {
  const saved = localStorage.getItem('chronicle.sidebar');
  S.narrow = window.innerWidth < NARROW_PX;
  setSidebar(S.narrow || (saved ? saved === 'collapsed' : false));
  window.addEventListener('resize', () => {
    const narrow = window.innerWidth < NARROW_PX;
    if (narrow === S.narrow) return;
    S.narrow = narrow;
    const keep = localStorage.getItem('chronicle.sidebar');
    if (narrow) document.body.classList.add('side-collapsed');
    else document.body.classList.toggle('side-collapsed', keep === 'collapsed');
    $('btn-collapse').textContent = document.body.classList.contains('side-collapsed') ? '»' : '«';
    renderFeed();
  });
}

/* The header's awaiting count: filter the feed to those sessions. */
export function showAwaiting() {
  const f = S.filters.sessions;
  f.clear();
  for (const id of S.awaitingIds) f.add(id);
  filtersChanged();
}
