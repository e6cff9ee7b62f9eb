/*
 * sidebar.js - the sessions sidebar: sessions awaiting input pinned on top,
 * the others by project, each with its status, model, activity, counts and
 * cost; click filters the feed by it (Ctrl/Cmd-click adds it).  Also the
 * header's active and awaiting counts and the tab title, which come from the
 * same grouping.
 */
import { $, el } from '/assets/dom.js';
import { renderFeed } from '/assets/feed.js';
import { toggleSession } from '/assets/filter.js';
import { filtersChanged } from '/assets/filter_bar.js';
import { baseName, fmtAgo, fmtDateTime, fmtNum, fmtUsd, shortId } from '/assets/format.js';
import { S, STATUS_LABEL, groupSessions, statusOf } from '/assets/model.js';
import { openSession } from '/assets/session_view.js';

const NARROW_PX = 900;   // below this the sidebar covers the feed

export function renderSidebar() {
  const now = Date.now();
  const { all, awaiting, groups, active } = groupSessions(S.sessions.values(), now, S.idleAfterMs);
  const frag = document.createDocumentFragment();
  if (awaiting.length) frag.appendChild(sessionGroup('⚑ Awaiting input', null, awaiting, 'group group-awaiting', now));
  for (const [proj, ss] of groups) frag.appendChild(sessionGroup(baseName(proj), proj, ss, 'group', now));
  $('session-list').replaceChildren(frag);
  $('side-count').textContent = all.length ? String(all.length) : '';
  $('stat-active').textContent = fmtNum(active);
  $('stat-awaiting').textContent = fmtNum(awaiting.length);
  $('stat-awaiting-btn').classList.toggle('hot', awaiting.length > 0);
  // Seen from another tab: how many sessions wait.
  document.title = (awaiting.length ? '(' + awaiting.length + ' awaiting) ' : '') + 'Chronicle';
  S.awaitingIds = awaiting.map((s) => s.session_id);
}

function sessionGroup(title, fullPath, ss, cls, now) {
  const g = el('div', cls);
  const t = g.appendChild(el('div', 'group-title', title));
  if (fullPath) t.title = fullPath;
  for (const s of ss) g.appendChild(sessionItem(s, now));
  return g;
}

/* What the session cost (or its tokens, when its models have no price). */
function spendText(u) {
  if (!u || !u.tokens) return '';
  return ' · ' + (u.cost_usd !== null && u.cost_usd !== undefined ? fmtUsd(u.cost_usd, 3, 2) : fmtNum(u.tokens) + ' tok');
}

function sessionItem(s, now) {
  const st = statusOf(s, now, S.idleAfterMs);
  const d = el('div', 'sess' + (S.filters.sessions.has(s.session_id) ? ' selected' : ''));
  d.dataset.sid = s.session_id;
  d.dataset.status = st;
  const l1 = d.appendChild(el('div', 'sess-line'));
  l1.appendChild(el('span', 'badge st-' + st, STATUS_LABEL[st]));
  l1.appendChild(el('span', 'sess-id', shortId(s.session_id)));
  if (s.model) l1.appendChild(el('span', 'muted', s.model.replace(/^claude-/, '')));
  const open = l1.appendChild(el('button', 'btn btn-small sess-open', '≡'));
  open.title = 'Session view';
  open.addEventListener('click', (e) => { e.stopPropagation(); openSession(s.session_id); });
  const c = s.counts || {};
  d.appendChild(el('div', 'sess-meta', fmtAgo(s.last_seen_ms || 0, now) + ' · ' + fmtNum(c.events) + ' ev · ' +
    fmtNum(c.tool_calls) + ' tools · ' + fmtNum(c.errors) + ' err' + spendText(s.usage) + (s.project ? ' · ' + baseName(s.project) : '')));
  d.title = s.session_id + '\n' + (s.project || s.cwd || '') + '\nlast: ' + (s.last_event_type || '') + ' at ' + fmtDateTime(s.last_seen_ms);
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

/* At start: as the user left it, else collapsed on a narrow window. */
export function restoreSidebar() {
  const saved = localStorage.getItem('chronicle.sidebar');
  setSidebar(saved ? saved === 'collapsed' : window.innerWidth < NARROW_PX);
}

/* The header's awaiting count: filter the feed to those sessions. */
export function showAwaiting() {
  const f = S.filters.sessions;
  f.clear();
  for (const id of S.awaitingIds) f.add(id);
  filtersChanged();
}
