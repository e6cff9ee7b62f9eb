/*
 * session_view.js - the session overlay: summary figures, the timeline
 * (laid out by timeline.js, drawn here), the per-tool table, subagents,
 * prompts with their tokens and cost, the last errors.  While open it
 * follows the session (redrawn at most every 2 s).
 */
import { openDetail } from '/assets/detail.js';
import { $, el } from '/assets/dom.js';
import { writeUrl } from '/assets/filter_bar.js';
import { fmtDateTime, fmtDur, fmtNum, fmtTime, fmtUsd, usageText, usageTokens } from '/assets/format.js';
import { api } from '/assets/live.js';
import { S, STATUS_LABEL, statusOf } from '/assets/model.js';
import { sessionTimeline } from '/assets/timeline.js';

const PAGES_MAX = 10;            // at most 10 x 1000 events of one session
const REFRESH_MS = 2000;

/* refresh: a live update of the open view (keeps its scroll position). */
export async function openSession(sid, refresh) {
  if (!sid) return;
  S.svSession = sid;
  const body = $('sv-body');
  if (!refresh) {
    writeUrl();
    $('session-view').hidden = false;
    $('sv-title').textContent = 'Session ' + sid;
    body.replaceChildren(el('div', 'muted', 'loading…'));
  }
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
  if (S.svSession !== sid) return;
  evs.sort((a, b) => a.id - b.id);
  const top = body.scrollTop;
  body.replaceChildren(sessionViewBody(sum, evs));
  body.scrollTop = top;
}

/* New events of the open session redraw its view, at most every 2 s. */
export function sessionViewTouched() {
  if (S.svTimer) return;
  S.svTimer = setTimeout(() => { S.svTimer = 0; if (S.svSession) openSession(S.svSession, true); }, REFRESH_MS);
}

export function closeSession() { $('session-view').hidden = true; S.svSession = null; writeUrl(); }

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
    l.appendChild(el('span', 'lane-label', lane.label));
    for (const it of lane.items) {
      const b = l.appendChild(el('div', it.cls));
      b.style.left = it.left;
      if (it.width !== undefined) b.style.width = it.width;
      b.title = it.title;
      if (it.kind === 'call') {
        b.dataset.status = it.status;
        b.addEventListener('click', () => openDetail(it.ev));
      }
    }
  }
  const axis = box.appendChild(el('div', 'axis'));
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
  const st = statusOf(s, Date.now(), S.idleAfterMs);
  const head = frag.appendChild(el('div', 'sess-line'));
  head.appendChild(el('span', 'badge st-' + st, STATUS_LABEL[st]));
  head.appendChild(el('span', 'muted', (s.project || s.cwd || '') + (s.model ? ' · ' + s.model : '') + (s.permission_mode ? ' · ' + s.permission_mode : '')));
  figures(frag, s);
  const tl = sessionTimeline(s, evs, S.meta, st, Date.now());
  drawTimeline(frag, tl);
  if (s.tools && s.tools.length) {
    table(frag, 'Tools', ['tool', 'calls', 'errors', 'running', 'avg', 'max', 'total'], s.tools.map((x) =>
      [x.name, fmtNum(x.calls), fmtNum(x.errors), fmtNum(x.running), fmtDur(x.avg_ms), fmtDur(x.max_ms), fmtDur(x.total_ms)]));
  }
  if (s.subagents && s.subagents.length) {
    const agentUse = usageBy(s.usage && s.usage.subagents, 'agent_id');
    table(frag, 'Subagents', null, s.subagents.map((a) => [a.agent_type || '', a.agent_id, fmtNum(a.events) + ' events',
      fmtDur(a.last_ms - a.first_ms), a.stopped ? 'stopped' : 'running', usageText(agentUse.get(a.agent_id))]));
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
