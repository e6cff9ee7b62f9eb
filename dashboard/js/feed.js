/*
 * feed.js - the live event feed: a virtualised table (a fixed pool of row
 * elements moved over a spacer as tall as the whole list, so 100,000 events
 * cost the same DOM as 100), selection, auto-scroll and pause.
 */
import { openDetail } from '/assets/detail.js';
import { $, el } from '/assets/dom.js';
import { iconOf, typeClass } from '/assets/event_meta.js';
import { buildView, makeMatcher } from '/assets/filter.js';
import { projectName, titleOf } from '/assets/board.js';
import { agentLabel, agentSlot, fmtDur, fmtFeedTime, fmtNum } from '/assets/format.js';
import { S } from '/assets/model.js';

const ROW_H = 22;        // px, as --row in app.css
const OVERSCAN = 5;      // rows drawn above the first visible one (and 10 in all beyond the screen)
const AGENT_COLORS = 6;  // .ag0 .. .ag5 in app.css: parallel subagents told apart

function makeRow() {
  const r = el('div', 'row');
  r.setAttribute('role', 'row');
  r.c = {
    time: r.appendChild(el('span', 'c-time')), type: r.appendChild(el('span', 'c-type')),
    sess: r.appendChild(el('span', 'c-sess')), tool: r.appendChild(el('span', 'c-tool')),
    sum: r.appendChild(el('span', 'c-sum')), dur: r.appendChild(el('span', 'c-dur')),
  };
  r.c.agent = el('span', 'agent-tag');
  r.c.text = document.createTextNode('');
  r.addEventListener('click', () => { selectIndex(r.idx, false); openDetail(S.view[r.idx]); });
  return r;
}

/* The duration cell: a joined call's result and time, or running. */
function durationCell(ev) {
  const ok = S.meta.POST_OK_TYPES;
  if (S.meta.PRE_TYPES.has(ev.type)) {
    if (!ev.post) return ['running', 'c-dur dur-run'];
    const d = ev.post.duration_ms !== null && ev.post.duration_ms !== undefined ? ev.post.duration_ms
      : (ev.post.ts_ms !== null && ev.ts_ms !== null ? ev.post.ts_ms - ev.ts_ms : null);
    return [(ok.has(ev.post.type) ? '✓ ' : '✗ ') + fmtDur(d), 'c-dur ' + (ok.has(ev.post.type) ? 'dur-ok' : 'dur-err')];
  }
  if (ev.duration_ms !== null && ev.duration_ms !== undefined) return [fmtDur(ev.duration_ms), 'c-dur'];
  return ['', 'c-dur'];
}

function fillRow(r, ev, idx, now) {
  r.idx = idx;
  r.evId = ev.id;
  const sub = !!ev.agent_id;
  const isErr = S.meta.ERROR_TYPES.has(ev.type) || (ev.post && !S.meta.POST_OK_TYPES.has(ev.post.type));
  r.className = 'row' + (sub ? ' sub' : '') + (isErr ? ' err' : '') + (idx === S.selected ? ' sel' : '');
  r.dataset.id = ev.id;
  r.c.time.textContent = fmtFeedTime(ev.ts_ms, now);
  r.c.type.textContent = iconOf(ev.type) + ' ' + ev.type;
  r.c.type.className = 'c-type ' + typeClass(ev.type);
  const s = S.sessions.get(ev.session_id);
  const proj = s ? s.project || s.cwd : ev.cwd;
  r.c.sess.textContent = projectName(proj) + ' · ' + titleOf(s, ev.session_id);
  r.c.sess.title = (s && s.title ? s.title + '\n' : '') + (ev.session_id || '') + '\n' + (proj || '');
  r.c.tool.textContent = ev.tool_name || '';
  r.c.sum.replaceChildren();
  if (sub) {
    // Parallel subagents of one type: told apart by id and colour.
    r.c.agent.textContent = '[' + agentLabel(ev.agent_type, ev.agent_id) + '] ';
    r.c.agent.className = 'agent-tag ag' + agentSlot(ev.agent_id, AGENT_COLORS);
    r.c.sum.appendChild(r.c.agent);
  }
  r.c.text.data = ev.summary === null ? '…' : ev.summary;
  r.c.sum.appendChild(r.c.text);
  r.c.sum.title = (sub ? (ev.agent_type || '') + ' ' + ev.agent_id + '\n' : '') + (ev.summary || '');
  const [dur, dcls] = durationCell(ev);
  r.c.dur.textContent = dur;
  r.c.dur.className = dcls;
}

function firstRow(sc) { return Math.max(0, Math.floor(sc.scrollTop / ROW_H) - OVERSCAN); }

export function renderFeed() {
  const f = S.feed, sc = f.scroll;
  const n = S.view.length;
  f.spacer.style.height = (n * ROW_H) + 'px';
  if (S.follow && !S.paused) sc.scrollTop = sc.scrollHeight;
  const first = firstRow(sc);
  const now = Date.now();
  const count = Math.min(n - first, Math.ceil(sc.clientHeight / ROW_H) + 2 * OVERSCAN);
  while (f.pool.length < count) f.pool.push(f.rows.appendChild(makeRow()));
  for (let i = 0; i < f.pool.length; i++) {
    const r = f.pool[i];
    if (i < count) {
      r.style.display = '';
      fillRow(r, S.view[first + i], first + i, now);
    } else r.style.display = 'none';
  }
  f.rows.style.transform = 'translateY(' + (first * ROW_H) + 'px)';
  f.lastFirst = first;
  $('feed-empty').hidden = n > 0;
  $('feed-count').textContent = fmtNum(n) + ' shown' + (S.paused && S.pausedCount ? ' · ' + fmtNum(S.pausedCount) + ' new (paused)' : '');
}

/* The view again from every loaded event (filters changed, older events
 * came, the pause ended), keeping the selected event selected. */
export function rebuildView() {
  const match = makeMatcher(S.filters, S.sessions, Date.now());
  const keepId = S.selected >= 0 && S.view[S.selected] ? S.view[S.selected].id : null;
  S.view = buildView(S.events, match, S.meta);
  S.matcher = match;
  S.selected = keepId === null ? -1 : S.view.findIndex((e) => e.id === keepId);
  S.viewDirty = false;
  S.pausedCount = 0;
  renderFeed();
}

/* Selects row i (clamped); scroll: bring it into sight (keyboard). */
export function selectIndex(i, scroll) {
  if (!S.view.length) return;
  S.selected = Math.max(0, Math.min(S.view.length - 1, i));
  if (scroll) {
    const sc = S.feed.scroll, top = S.selected * ROW_H;
    if (top < sc.scrollTop) sc.scrollTop = top;
    else if (top + ROW_H > sc.scrollTop + sc.clientHeight) sc.scrollTop = top + ROW_H - sc.clientHeight;
    setFollow(S.selected === S.view.length - 1);
  }
  renderFeed();
}

export function setFollow(on) {
  S.follow = on;
  $('btn-follow').setAttribute('aria-pressed', String(on));
  $('btn-new').hidden = true;
  if (on) renderFeed();
}

export function setPaused(on) {
  S.paused = on;
  $('btn-pause').setAttribute('aria-pressed', String(on));
  $('btn-pause').textContent = on ? 'Resume' : 'Pause';
  if (!on) rebuildView();
}

/* New rows arrived while not following: offer to jump to them. */
export function showNewPill() { $('btn-new').hidden = false; }

export function wireFeed() {
  const f = S.feed;
  f.scroll = $('feed-scroll');
  f.rows = $('feed-rows');
  f.spacer = $('feed-spacer');
  f.scroll.addEventListener('scroll', () => {
    const sc = f.scroll;
    const atBottom = sc.scrollTop + sc.clientHeight >= sc.scrollHeight - ROW_H;
    if (atBottom !== S.follow && !S.paused) { S.follow = atBottom; $('btn-follow').setAttribute('aria-pressed', String(atBottom)); if (atBottom) $('btn-new').hidden = true; }
    if (firstRow(sc) !== f.lastFirst) renderFeed();
  }, { passive: true });
  window.addEventListener('resize', () => renderFeed());
  $('btn-new').addEventListener('click', () => setFollow(true));
  $('btn-follow').addEventListener('click', () => setFollow(!S.follow));
  $('btn-pause').addEventListener('click', () => setPaused(!S.paused));
}
