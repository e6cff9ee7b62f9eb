/*
 * conversation_view.js - the session pane's Conversation tab: the turns of
 * the transcript (GET /api/sessions/{id}/conversation): prompts, Claude's
 * text, tool calls drawn by conversation.js's views with their results and
 * cut marks, subagent calls that open the subagent's own turns (?agent_id=),
 * more pages as the list is scrolled (the next_after cursor), and links from
 * a prompt or a tool call to its hook event.  Text only: every string of the
 * transcript goes through textContent (dom.el), never markup.
 */
import { conversationUrl, cutMark, resultLabel, toolView } from '/assets/conversation.js';
import { openEventById } from '/assets/detail.js';
import { $, el } from '/assets/dom.js';
import { fmtFeedTime } from '/assets/format.js';
import { api } from '/assets/live.js';
import { S } from '/assets/model.js';

const PAGE = 50;
const NEAR_BOTTOM_PX = 400;   // the next page is read this close to the end

function eventLink(label, id) {
  const b = el('button', 'btn btn-small ev-link', label);
  b.title = 'Open hook event #' + id + ' in the feed';
  b.dataset.eventId = String(id);
  b.addEventListener('click', () => openEventById(id));
  return b;
}

function itemHead(parent, who, cls, item, extra) {
  const h = parent.appendChild(el('div', 'cv-head'));
  h.appendChild(el('span', 'cv-who ' + cls, who));
  if (extra) h.appendChild(el('span', 'muted', extra));
  h.appendChild(el('span', 'muted cv-time', fmtFeedTime(item.ts_ms, Date.now())));
  return h;
}

function textBlock(parent, item, cls) {
  parent.appendChild(el('div', 'cv-text ' + (cls || ''), item.text || ''));
  const cut = cutMark(item);
  if (cut) parent.appendChild(el('div', 'cut-mark', cut));
}

function drawDiff(parent, diff) {
  const pre = parent.appendChild(el('pre', 'diff'));
  for (const d of diff) pre.appendChild(el('div', d.op === '-' ? 'del' : d.op === '+' ? 'add' : d.op === '@' ? 'hunk' : 'ctx', d.op + ' ' + d.text));
}

function drawTool(box, item, sid) {
  const v = toolView(item);
  const r = item.result;
  const h = itemHead(box, v.name, 'who-tool' + (r && r.is_error ? ' dur-err' : ''), item, r ? (r.is_error ? '✗' : '✓') : 'running');
  if (item.pre_event_id) h.appendChild(eventLink('event', item.pre_event_id));
  if (item.post_event_id) h.appendChild(eventLink('result event', item.post_event_id));
  if (v.head) box.appendChild(el('pre', 'cv-cmd', v.head));
  for (const l of v.lines) {
    if (l.cls === 'code') {
      const d = box.appendChild(el('details', 'cv-more'));
      d.appendChild(el('summary', null, l.label));
      d.appendChild(el('pre', 'out', l.text));
    } else box.appendChild(el('div', 'cv-line ' + l.cls, l.label + ': ' + l.text));
  }
  if (v.diff) drawDiff(box, v.diff);
  if (v.args.length) {
    const kv = box.appendChild(el('dl', 'kv'));
    for (const [k, val] of v.args) { kv.appendChild(el('dt', null, k)); kv.appendChild(el('dd', null, val)); }
  }
  if (item.input_size && Object.values(item.input || {}).some((x) => typeof x === 'string' && x.endsWith('…'))) {
    box.appendChild(el('div', 'cut-mark', 'input cut (' + item.input_size + ' bytes in all)'));
  }
  if (item.subagent) drawSubagent(box, item.subagent, sid);
  if (r) {
    // Reading a file's content is rarely the point: Read's output folds.
    const d = box.appendChild(el('details', 'cv-result' + (r.is_error ? ' is-error' : '')));
    d.open = v.kind !== 'read' && v.kind !== 'write';
    d.appendChild(el('summary', r.is_error ? 'dur-err' : 'muted', resultLabel(item)));
    d.appendChild(el('pre', 'out' + (r.is_error ? ' out-err' : ''), r.text === '' ? '(empty)' : r.text));
  }
}

/* A subagent call: its type, task and final message, and its own turns on demand. */
function drawSubagent(box, sa, sid) {
  const s = box.appendChild(el('div', 'cv-sub'));
  s.appendChild(el('div', 'cv-line', 'subagent ' + (sa.agent_type || '') + ' · ' + (sa.agent_id || '') + (sa.description ? ' · ' + sa.description : '')));
  if (sa.final_text) {
    s.appendChild(el('div', 'muted cv-line', 'final message:'));
    s.appendChild(el('div', 'cv-text', sa.final_text));
  }
  if (!sa.agent_id) return;
  const b = s.appendChild(el('button', 'btn btn-small cv-expand', 'Show its turns ▸'));
  const inner = s.appendChild(el('div', 'cv-nested'));
  inner.hidden = true;
  b.addEventListener('click', async () => {
    if (!inner.hidden) { inner.hidden = true; b.textContent = 'Show its turns ▸'; return; }
    inner.hidden = false;
    b.textContent = 'Hide its turns ▾';
    if (inner.dataset.loaded) return;
    inner.dataset.loaded = '1';
    let after = null;
    try {
      // A subagent's turns are few: read them all (at most 10 pages).
      for (let i = 0; i < 10; i++) {
        const j = await api(conversationUrl(sid, sa.agent_id, after, 200));
        for (const it of j.items) inner.appendChild(drawItem(it, sid));
        if (!j.next_after) break;
        after = j.next_after;
      }
      if (!inner.childNodes.length) inner.appendChild(el('div', 'muted', 'no turns in its transcript'));
    } catch (e) { inner.appendChild(el('div', 'muted', e.message)); }
  });
}

/* One item of the conversation (contract 4's shapes). */
export function drawItem(item, sid) {
  const box = el('div', 'cv-item cv-' + (item.type || 'other'));
  if (item.type === 'user') {
    const h = itemHead(box, 'You', 'who-user', item);
    if (item.event_id) h.appendChild(eventLink('event', item.event_id));
    textBlock(box, item);
  } else if (item.type === 'assistant') {
    itemHead(box, 'Claude', 'who-claude', item, item.model ? item.model.replace(/^claude-/, '') : '');
    textBlock(box, item);
  } else if (item.type === 'tool') {
    drawTool(box, item, sid);
  } else {
    itemHead(box, String(item.type || 'item'), 'muted', item);
    if (item.text) textBlock(box, item);
  }
  return box;
}

/* Reads the next page of the open conversation into #cv-list. */
export async function moreConversation() {
  const c = S.conv;
  if (c.busy || c.done || !c.sid) return;
  c.busy = true;
  const sid = c.sid;
  const list = $('cv-list');
  try {
    const j = await api(conversationUrl(sid, null, c.next, PAGE));
    if (S.conv.sid !== sid) return;
    for (const it of j.items) list.appendChild(drawItem(it, sid));
    c.items += j.items.length;
    c.next = j.next_after || null;
    c.done = !j.next_after;
    $('cv-status').textContent = c.done ? (c.items ? 'end of the transcript · ' + c.items + ' items' : 'nothing in the transcript yet') : 'scroll for more…';
  } catch (e) {
    if (e.status === 404 && !c.items) { S.features.conversation = false; $('cv-status').textContent = 'This server has no conversation view (GET …/conversation answered 404).'; c.done = true; }
    else $('cv-status').textContent = e.message;
  } finally { c.busy = false; }
}

/* Starts the conversation of session sid in container body (the pane's tab). */
export function showConversation(body, sid) {
  Object.assign(S.conv, { sid, agent: null, next: null, busy: false, done: false, items: 0 });
  const wrap = el('div', 'cv');
  const list = wrap.appendChild(el('div', 'cv-list'));
  list.id = 'cv-list';
  const st = wrap.appendChild(el('div', 'muted cv-status', 'loading…'));
  st.id = 'cv-status';
  body.replaceChildren(wrap);
  moreConversation();
}

/* The pane's scroll: near the end, the next page. */
export function conversationScrolled(body) {
  if (S.svTab !== 'conversation') return;
  if (body.scrollTop + body.clientHeight >= body.scrollHeight - NEAR_BOTTOM_PX) moreConversation();
}
