/*
 * session_view.js - the session pane, beside the live feed (a split, not a
 * modal: the feed stays usable): the title (the id one click away), state
 * and reason, and two tabs.  Overview: summary figures, the timeline (laid
 * out by timeline.js, drawn here with its lane labels in their own column),
 * the per-tool table, subagents with their task and final message, prompts
 * with their tokens and cost, the last errors; while open it follows the
 * session (redrawn at most every 2 s).  Conversation: the transcript's turns
 * (conversation_view.js), when the server has the endpoint.
 */
import { STATE_CLASS, STATE_LABEL, reasonText, stateOf, titleOf } from '/assets/board.js';
import { conversationScrolled, showConversation } from '/assets/conversation_view.js';
import { openDetail } from '/assets/detail.js';
import { $, copyText, el } from '/assets/dom.js';
import { writeUrl } from '/assets/filter_bar.js';
import { renderFeed } from '/assets/feed.js';
import { agentLabel, fmtDateTime, fmtDur, fmtNum, fmtTime, fmtUsd, oneLine, usageText, usageTokens } from '/assets/format.js';
import { api } from '/assets/live.js';
import { S } from '/assets/model.js';
import { sessionTimeline } from '/assets/timeline.js';

const PAGES_MAX = 10;            // at most 10 x 1000 events of one session
const REFRESH_MS = 2000;

/* refresh: a live update of the open view (keeps its scroll position). */
export async function openSession(sid, refresh) {
  if (!sid) return;
  const switched = S.svSession !== sid;
  S.svSession = sid;
  const body = $('sv-body');
  if (!refresh) {
    writeUrl();
    const wasHidden = $('session-view').hidden;
    $('session-view').hidden = false;
    document.body.classList.add('sv-open');
    if (wasHidden) renderFeed();
    const known = S.sessions.get(sid);
    $('sv-title').textContent = titleOf(known, sid);
    $('sv-id').textContent = sid.slice(0, 8);
    $('sv-id').title = 'Copy the session id ' + sid;
    if (switched && S.svTab === 'conversation' && S.features.conversation !== false) { setTab('conversation'); return; }
    if (S.svTab === 'conversation' && S.features.conversation !== false) return;
    setTab('overview', true);
    body.replaceChildren(el('div', 'muted', 'loading…'));
  }
  if (S.svTab !== 'overview') return;
  let sum, evs = [];
  try {
    const base = '/api/sessions/' + encodeURIComponent(sid);
    sum = await api(base);
    let before = null;
    for (let i = 0; i < PAGES_MAX; i++) {
      const j = await api(base + '/events?payload=1&limit=1000' + (before ? '&before=' + before : ''));
      evs = evs.concat(j.events);
      if (!j.next_before) break;
      before = j.next_before;
    }
  } catch (e) { body.replaceChildren(el('div', 'muted', e.message)); return; }
  if (S.svSession !== sid || S.svTab !== 'overview') return;
  evs.sort((a, b) => a.id - b.id);
  if (sum.title) $('sv-title').textContent = titleOf(sum, sid);
  const top = body.scrollTop;
  body.replaceChildren(sessionViewBody(sum, evs));
  body.scrollTop = top;
}

/* New events of the open session redraw its view, at most every 2 s. */
export function sessionViewTouched() {
  if (S.svTimer) return;
  S.svTimer = setTimeout(() => { S.svTimer = 0; if (S.svSession) openSession(S.svSession, true); }, REFRESH_MS);
}

export function closeSession() {
  $('session-view').hidden = true;
  document.body.classList.remove('sv-open');
  S.svSession = null;
  S.conv.sid = null;
  writeUrl();
  renderFeed();
}

/* The pane's tabs: overview (figures, timeline...) or conversation. */
export function setTab(tab, quiet) {
  S.svTab = tab;
  $('sv-tab-overview').setAttribute('aria-pressed', String(tab === 'overview'));
  $('sv-tab-conversation').setAttribute('aria-pressed', String(tab === 'conversation'));
  if (quiet || !S.svSession) return;
  if (tab === 'conversation') showConversation($('sv-body'), S.svSession);
  else { $('sv-body').replaceChildren(el('div', 'muted', 'loading…')); openSession(S.svSession, true); }
}

export function wireSessionView() {
  $('sv-tab-overview').addEventListener('click', () => setTab('overview'));
  $('sv-tab-conversation').addEventListener('click', () => setTab('conversation'));
  $('sv-id').addEventListener('click', () => { if (S.svSession) copyText(S.svSession, 'session id'); });
  $('sv-body').addEventListener('scroll', () => conversationScrolled($('sv-body')), { passive: true });
}

/* The Conversation tab shows only where the server has the endpoint. */
export function conversationAvailable(on) {
  S.features.conversation = on;
  $('sv-tab-conversation').hidden = !on;
  if (!on && S.svTab === 'conversation') setTab('overview');
}

/* Usage rows (api /api/sessions/{id} "usage") keyed by one of their fields. */
function usageBy(rows, key) {
  const m = new Map();
  if (Array.isArray(rows)) for (const r of rows) if (r && r[key]) m.set(r[key], r);
  return m;
}

function figure(parent, label, value) {
  const f = parent.appendChild(el('div', 'stat'));
  f.appendChild(el('span', 'stat-label', label));
  f.appendChild(el('span', 'stat-value', value));
}

function figures(frag, s) {
  const c = s.counts || {};
  const figs = frag.appendChild(el('div', 'figures'));
  figure(figs, 'started', fmtDateTime(s.first_seen_ms));
  figure(figs, 'last activity', fmtDateTime(s.last_seen_ms));
  figure(figs, 'span', fmtDur((s.ended_ms || s.last_seen_ms) - s.first_seen_ms));
  figure(figs, 'events', fmtNum(c.events));
  figure(figs, 'tool calls', fmtNum(c.tool_calls));
  figure(figs, 'errors', fmtNum(c.errors));
  figure(figs, 'prompts', fmtNum(c.prompts));
  figure(figs, 'subagents', fmtNum(c.subagents));
  // Tokens and cost, when the server has them (read from the transcripts).
  const u = s.usage && s.usage.total;
  if (u) {
    figure(figs, 'tokens', fmtNum(usageTokens(u)));
    figure(figs, 'cost', u.cost_usd === null || u.cost_usd === undefined ? '—' : fmtUsd(u.cost_usd, 4, 2));
  }
}

/* Draws the layout of timeline.js: lanes of bars and marks, then the axis. */
function drawTimeline(frag, tl) {
  frag.appendChild(el('h3', null, 'Timeline'));
  const box = frag.appendChild(el('div', 'timeline'));
  box.id = 'sv-timeline';
  for (const lane of tl.lanes) {
    const l = box.appendChild(el('div', 'lane'));
    const lab = l.appendChild(el('span', 'lane-label', lane.label));
    lab.title = lane.label + (lane.task ? '\n' + lane.task : '');
    const track = l.appendChild(el('div', 'lane-track'));
    for (const br of tl.breaks) {
      const g = track.appendChild(el('div', 'tl-break'));
      g.style.left = br.left;
      g.style.width = br.width;
      g.title = br.title;
    }
    for (const it of lane.items) {
      const b = track.appendChild(el('div', it.cls));
      b.style.left = it.left;
      if (it.width !== undefined) b.style.width = it.width;
      b.title = it.title;
      if (it.kind === 'call') {
        b.dataset.status = it.status;
        b.addEventListener('click', () => openDetail(it.ev));
      }
    }
  }
  const axisRow = box.appendChild(el('div', 'lane axis-row'));
  axisRow.appendChild(el('span', 'lane-label', tl.breaks.length ? '⋮ = quiet time cut' : ''));
  const axis = axisRow.appendChild(el('div', 'axis'));
  for (const a of tl.axis) axis.appendChild(el('span', null, a.label)).style.left = a.left;
}

function table(frag, title, head, rows) {
  frag.appendChild(el('h3', null, title));
  const t = frag.appendChild(el('table', 'tbl'));
  if (head) {
    const hr = t.appendChild(el('tr'));
    for (const h of head) hr.appendChild(el('th', null, h));
  }
  for (const cells of rows) {
    const r = t.appendChild(el('tr'));
    for (const v of cells) r.appendChild(el('td', null, v));
  }
}

function sessionViewBody(s, evs) {
  const frag = document.createDocumentFragment();
  const st = stateOf(s, Date.now(), S.idleAfterMs);
  const head = frag.appendChild(el('div', 'sv-state'));
  head.appendChild(el('span', 'badge st-' + STATE_CLASS[st], STATE_LABEL[st]));
  head.appendChild(el('span', 'st-' + STATE_CLASS[st], reasonText(s, st)));
  frag.appendChild(el('div', 'muted sv-where', (s.project || s.cwd || '') + (s.model ? ' · ' + s.model : '') + (s.permission_mode ? ' · ' + s.permission_mode : '')));
  figures(frag, s);
  const tl = sessionTimeline(s, evs, S.meta, st, Date.now());
  drawTimeline(frag, tl);
  if (s.tools && s.tools.length) {
    table(frag, 'Tools', ['tool', 'calls', 'errors', 'running', 'avg', 'max', 'total'], s.tools.map((x) =>
      [x.name, fmtNum(x.calls), fmtNum(x.errors), fmtNum(x.running), fmtDur(x.avg_ms), fmtDur(x.max_ms), fmtDur(x.total_ms)]));
  }
  if (s.subagents && s.subagents.length) {
    const agentUse = usageBy(s.usage && s.usage.subagents, 'agent_id');
    const story = new Map(tl.subagents.map((a) => [a.agent_id, a]));
    frag.appendChild(el('h3', null, 'Subagents (' + s.subagents.length + ')'));
    const ul = frag.appendChild(el('ul', 'subagents'));
    for (const a of s.subagents) {
      const li = ul.appendChild(el('li'));
      const known = story.get(a.agent_id) || {};
      li.appendChild(el('span', 'agent-tag', agentLabel(a.agent_type, a.agent_id)));
      li.appendChild(el('span', 'muted', '  ' + fmtNum(a.events) + ' events · ' + fmtDur(a.last_ms - a.first_ms) + ' · ' +
        (a.stopped ? 'stopped' : 'running') + (agentUse.get(a.agent_id) ? ' · ' + usageText(agentUse.get(a.agent_id)) : '')));
      if (known.task) li.appendChild(el('div', 'sa-task', 'task: ' + known.task));
      if (known.final) li.appendChild(el('div', 'sa-final', 'final message: ' + oneLine(known.final)));
    }
  }
  frag.appendChild(el('h3', null, 'Prompts (' + tl.prompts.length + ')'));
  const ol = frag.appendChild(el('ol', 'prompts'));
  const turnUse = usageBy(s.usage && s.usage.turns, 'prompt_id');
  for (const p of tl.prompts) {
    const li = ol.appendChild(el('li'));
    li.appendChild(el('span', 'muted', fmtTime(p.ts) + '  '));
    li.appendChild(el('span', null, p.text));
    const u = p.id ? turnUse.get(p.id) : null;
    if (u) li.appendChild(el('span', 'muted', '  · ' + usageText(u)));
  }
  if (s.errors && s.errors.length) {
    frag.appendChild(el('h3', null, 'Errors'));
    const ul = frag.appendChild(el('ul', 'prompts'));
    for (const e of s.errors) {
      const li = ul.appendChild(el('li'));
      li.appendChild(el('span', 'muted', fmtTime(e.ts_ms) + '  ' + e.type + ' ' + (e.tool_name || '') + '  '));
      const known = S.byId.get(e.id);
      li.appendChild(el('span', 'dur-err', known && known.summary ? known.summary : '#' + e.id));
    }
  }
  return frag;
}
