/*
 * detail.js - the event detail panel (below the feed, full width): titled by
 * what happened, the command, prompt, error and output as preformatted text
 * (detail_text.js), the event's fields, its flags as badges, copy buttons,
 * and the payload as a collapsible JSON tree; for a joined tool call the
 * result from its end event.
 */
import { detailTitle, readableSections } from '/assets/detail_text.js';
import { $, copyText, el } from '/assets/dom.js';
import { fmtBytes, fmtDateTime, fmtDur, fmtNum } from '/assets/format.js';
import { api } from '/assets/live.js';
import { S, requestFrame } from '/assets/model.js';

const TREE_STRING_MAX = 20000;  // longer strings are cut in the tree (Copy JSON has them whole)

/* A JSON value as nested <details>, open to depth 2; every key and value
 * through textContent. */
function jsonTree(v, key, depth) {
  const keyEl = () => el('span', 'k', key === null ? '' : JSON.stringify(key) + ': ');
  if (v !== null && typeof v === 'object') {
    const isArr = Array.isArray(v);
    const keys = isArr ? v.map((_, i) => i) : Object.keys(v);
    const d = el('details');
    d.open = depth < 2;
    const s = d.appendChild(el('summary'));
    if (key !== null) s.appendChild(keyEl());
    s.appendChild(el('span', 'z', isArr ? '[' + keys.length + ']' : '{' + keys.length + '}'));
    for (const k of keys) d.appendChild(jsonTree(v[k], k, depth + 1));
    return d;
  }
  const leaf = el('div', 'leaf');
  if (key !== null) leaf.appendChild(keyEl());
  let cls = 'z', text = String(v);
  if (typeof v === 'string') {
    cls = 's';
    const cut = v.length > TREE_STRING_MAX;
    // The string as it reads (real line breaks), quoted: not JSON's escapes.
    text = '"' + (cut ? v.slice(0, TREE_STRING_MAX) : v) + '"' + (cut ? ' … (' + fmtNum(v.length - TREE_STRING_MAX) + ' more characters: use Copy JSON)' : '');
  } else if (typeof v === 'number') cls = 'n';
  else if (typeof v === 'boolean') cls = 'b';
  leaf.appendChild(el('span', cls, text));
  return leaf;
}

/* The fields of event `full` (GET /api/events/{id}); ev is the feed's copy,
 * which knows the call it is joined to. */
function fields(frag, ev, full) {
  const flags = full.flags || {};
  if (flags.truncated || flags.redacted || flags.invalid) {
    const fl = frag.appendChild(el('div', 'copy-row'));
    for (const k of ['truncated', 'redacted', 'invalid']) if (flags[k]) fl.appendChild(el('span', 'flag', k));
  }
  const kv = frag.appendChild(el('dl', 'kv'));
  const add = (k, v) => { if (v === null || v === undefined || v === '') return; kv.appendChild(el('dt', null, k)); kv.appendChild(el('dd', null, v)); };
  add('time (local)', fmtDateTime(full.ts_ms));
  add('stored', fmtDateTime(full.stored_ms));
  const sess = S.sessions.get(full.session_id);
  add('session', (sess && sess.title ? sess.title + '\n' : '') + full.session_id);
  add('tool', full.tool_name);
  add('tool_use_id', full.tool_use_id);
  add('agent', full.agent_id ? full.agent_id + (full.agent_type ? ' (' + full.agent_type + ')' : '') : null);
  if (ev.post) add('result', ev.post.type + ' after ' + fmtDur(ev.post.duration_ms !== null ? ev.post.duration_ms : ev.post.ts_ms - ev.ts_ms) + ' (#' + ev.post.id + ')');
  if (ev.pre) add('call', ev.pre.type + ' #' + ev.pre.id);
  add('duration', full.duration_ms !== null ? fmtDur(full.duration_ms) : null);
  add('cwd', full.cwd);
  add('project', full.project_dir);
  add('host / pid', (full.host || '') + ' / ' + (full.pid || '') + (full.claude_pid ? ' (claude ' + full.claude_pid + ')' : ''));
  add('payload size', fmtBytes(full.payload_size) + (full.raw_size ? ' (raw kept: ' + fmtNum(full.raw_size) + ')' : ''));
  add('uid', full.uid);
}

function copyButtons(frag, full) {
  const payloadText = JSON.stringify(full.payload, null, 2);
  const copies = frag.appendChild(el('div', 'copy-row'));
  const cbtn = (label, text) => { const b = copies.appendChild(el('button', 'btn btn-small', label)); b.addEventListener('click', () => copyText(text, label.replace(/^Copy /, ''))); };
  cbtn('Copy JSON', payloadText === undefined ? 'null' : payloadText);
  cbtn('Copy event', JSON.stringify(full, null, 2));
  if (full.session_id) cbtn('Copy session id', full.session_id);
  const ti = full.payload && full.payload.tool_input;
  if (ti && typeof ti.command === 'string') cbtn('Copy command', ti.command);
  if (ti && typeof ti.file_path === 'string') cbtn('Copy path', ti.file_path);
  if (full.payload && typeof full.payload.prompt === 'string') cbtn('Copy prompt', full.payload.prompt);
}

/* The command, prompt, error, output... of payload p as preformatted text. */
function sections(frag, p, skip) {
  for (const sec of readableSections(p)) {
    if (skip && skip.has(sec.label)) continue;
    frag.appendChild(el('h3', null, sec.label));
    frag.appendChild(el('pre', 'out' + (sec.err ? ' out-err' : ''), sec.text === '' ? '(empty)' : sec.text));
  }
}

/* A joined call's result: its end event's output or error, as text. */
async function result(frag, post) {
  try {
    const full = await api('/api/events/' + post.id);
    sections(frag, full.payload, new Set(['Command']));
    return full;
  } catch (e) { frag.appendChild(el('div', 'muted', 'result: ' + e.message)); return null; }
}

function payloadTree(frag, full, label) {
  const d = frag.appendChild(el('details', 'raw'));
  d.appendChild(el('summary', null, label));
  const tree = d.appendChild(el('div', 'json'));
  if (full.payload === null) tree.appendChild(el('div', 'muted', 'no JSON payload (invalid input, raw bytes kept: ' + fmtNum(full.raw_size || 0) + ')'));
  else tree.appendChild(jsonTree(full.payload, null, 0));
}

export async function openDetail(ev) {
  if (!ev) return;
  S.detailId = ev.id;
  const body = $('detail-body');
  $('detail').hidden = false;
  const title = detailTitle(ev, S.meta);
  $('detail-title').textContent = title;
  $('detail-type').textContent = ev.type + ' #' + ev.id;
  const failed = /\b(failed|denied)$/.test(title) || S.meta.ERROR_TYPES.has(ev.type);
  $('detail-title').className = failed ? 'dur-err' : '';
  body.replaceChildren(el('div', 'muted', 'loading…'));
  let full;
  try { full = await api('/api/events/' + ev.id); } catch (e) { body.replaceChildren(el('div', 'muted', e.message)); return; }
  if (S.detailId !== ev.id) return;
  const frag = document.createDocumentFragment();
  const cols = frag.appendChild(el('div', 'detail-cols'));
  const text = cols.appendChild(el('div', 'detail-text'));
  const side = cols.appendChild(el('div', 'detail-side'));
  sections(text, full.payload);
  let post = null;
  if (ev.post) {
    post = await result(text, ev.post);
    if (S.detailId !== ev.id) return;
  }
  if (!text.childNodes.length) text.appendChild(el('div', 'muted', 'nothing to read as text: the payload is below'));
  fields(side, ev, full);
  copyButtons(side, full);
  payloadTree(side, full, 'Payload (JSON)');
  if (post) payloadTree(side, post, 'Result payload · ' + post.type + ' #' + post.id);
  body.replaceChildren(frag);
  body.scrollTop = 0;
}

export function closeDetail() { $('detail').hidden = true; S.detailId = null; }

/* Opens event id in the detail (a link from the conversation, a search
 * hit), and selects and shows its row when the feed has it. */
export async function openEventById(id) {
  let ev = S.byId.get(id);
  if (ev && ev.pre && S.view.indexOf(ev) < 0) ev = ev.pre;   // folded into its call's row
  if (ev) {
    const i = S.view.indexOf(ev);
    if (i >= 0) {
      S.selected = i;
      S.follow = false;
      const sc = S.feed.scroll;
      sc.scrollTop = Math.max(0, i * 22 - sc.clientHeight / 2);   // 22: feed.js's ROW_H
      S.rowsDirty = true;
      requestFrame();
    }
    openDetail(ev);
    return;
  }
  try { openDetail(await api('/api/events/' + id)); } catch (e) { $('detail').hidden = false; $('detail-body').replaceChildren(el('div', 'muted', e.message)); }
}
