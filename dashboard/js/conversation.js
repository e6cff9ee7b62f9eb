/*
 * conversation.js - the conversation view as data: what each tool call of
 * GET /api/sessions/{id}/conversation shows (Bash: the command and its
 * output; Read/Write: the path; Edit: the path and a line diff of old_string
 * and new_string; Grep/Glob: the pattern and the hits; anything else: its
 * arguments as key/value), and the line diff itself.  conversation_view.js
 * draws it, as text only.  Pure.
 */
import { fmtSize } from '/assets/format.js';

const DIFF_CELLS_MAX = 250000;   // old x new lines beyond this: shown as removed + added

/*
 * The line diff of a and b: [{op: ' ' | '-' | '+', text}], by the longest
 * common subsequence of lines (an Edit's strings are small; past
 * DIFF_CELLS_MAX cells it falls back to all removed, then all added).
 */
export function lineDiff(a, b) {
  const x = String(a === undefined || a === null ? '' : a).split('\n');
  const y = String(b === undefined || b === null ? '' : b).split('\n');
  const n = x.length, m = y.length;
  if (n * m > DIFF_CELLS_MAX) return x.map((t) => ({ op: '-', text: t })).concat(y.map((t) => ({ op: '+', text: t })));
  // lcs[i][j]: the common lines of x[i..] and y[j..], in one flat array.
  const w = m + 1, lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = x[i] === y[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
    }
  }
  const out = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) { out.push({ op: ' ', text: x[i] }); i++; j++; }
    else if (lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) out.push({ op: '-', text: x[i++] });
    else out.push({ op: '+', text: y[j++] });
  }
  while (i < n) out.push({ op: '-', text: x[i++] });
  while (j < m) out.push({ op: '+', text: y[j++] });
  return out;
}

function str(v) { return typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v); }

/*
 * What a tool item shows: {kind, head, lines: [{label, text, cls}], diff,
 * args: [[key, value]]}.  kind is bash / read / edit / write / grep / agent /
 * kv; head is the one line of its header (the command, the path, the
 * pattern).  Every string is data, to be drawn with textContent.
 */
export function toolView(item) {
  const inp = item.input && typeof item.input === 'object' ? item.input : {};
  const name = item.name || 'tool';
  const v = { kind: 'kv', name, head: '', lines: [], diff: null, args: [] };
  switch (name) {
    case 'Bash':
      v.kind = 'bash';
      v.head = '$ ' + str(inp.command);
      if (inp.description) v.lines.push({ label: 'why', text: str(inp.description), cls: 'muted' });
      return v;
    case 'Read':
      v.kind = 'read';
      v.head = str(inp.file_path);
      if (inp.offset !== undefined || inp.limit !== undefined) v.lines.push({ label: 'lines', text: 'from ' + (inp.offset || 1) + (inp.limit ? ', ' + inp.limit + ' lines' : ''), cls: 'muted' });
      return v;
    case 'Edit':
      v.kind = 'edit';
      v.head = str(inp.file_path) + (inp.replace_all ? '  (every occurrence)' : '');
      v.diff = lineDiff(inp.old_string, inp.new_string);
      return v;
    case 'MultiEdit':
      v.kind = 'edit';
      v.head = str(inp.file_path);
      v.diff = [];
      for (const e of Array.isArray(inp.edits) ? inp.edits : []) {
        if (v.diff.length) v.diff.push({ op: '@', text: '…' });
        v.diff.push(...lineDiff(e && e.old_string, e && e.new_string));
      }
      return v;
    case 'Write':
      v.kind = 'write';
      v.head = str(inp.file_path);
      if (typeof inp.content === 'string') v.lines.push({ label: 'content', text: inp.content, cls: 'code' });
      return v;
    case 'Grep': case 'Glob':
      v.kind = 'grep';
      v.head = str(inp.pattern) + (inp.path ? '  in ' + str(inp.path) : '') + (inp.glob ? '  (' + str(inp.glob) + ')' : '');
      return v;
    case 'Agent': case 'Task':
      v.kind = 'agent';
      v.head = (inp.subagent_type ? inp.subagent_type + ': ' : '') + str(inp.description);
      if (inp.prompt) v.lines.push({ label: 'task', text: str(inp.prompt), cls: 'code' });
      return v;
    default:
      v.head = '';
      for (const k of Object.keys(inp)) v.args.push([k, str(inp[k])]);
      return v;
  }
}

/* The result's label: "output", "error", and the cut mark with its size. */
export function resultLabel(item) {
  const r = item.result;
  if (!r) return null;
  const base = r.is_error ? 'error' : item.name === 'Grep' || item.name === 'Glob' ? 'hits' : 'output';
  return base + (r.truncated ? ' · truncated (' + fmtSize(r.size) + ')' : r.size ? ' · ' + fmtSize(r.size) : '');
}

/* A text item's cut mark ("truncated (N KB)"), or ''. */
export function cutMark(item) {
  return item && item.truncated ? 'truncated (' + fmtSize(item.size) + ')' : '';
}

/* The conversation URL for a page: after the cursor, a subagent's own turns. */
export function conversationUrl(sid, agentId, after, limit) {
  let u = '/api/sessions/' + encodeURIComponent(sid) + '/conversation?limit=' + (limit || 50);
  if (agentId) u += '&agent_id=' + encodeURIComponent(agentId);
  if (after !== null && after !== undefined) u += '&after=' + encodeURIComponent(after);
  return u;
}
