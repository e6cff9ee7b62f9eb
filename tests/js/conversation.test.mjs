// conversation.test.mjs - dashboard/js/conversation.js: the line diff of an
// Edit, what each tool call shows (contract 4's item shapes), the cut marks
// and the page URLs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '/assets/conversation.js';

const tool = (name, input, result) => ({ type: 'tool', ts: 'x', ts_ms: 1, tool_use_id: 'tu', name, input, input_size: 10, result: result || null,
  pre_event_id: 5, post_event_id: 6, subagent: null });

test('lineDiff: common lines kept, the rest removed and added in order', () => {
  assert.deepEqual(C.lineDiff('a\nb\nc', 'a\nB\nc\nd'), [
    { op: ' ', text: 'a' }, { op: '-', text: 'b' }, { op: '+', text: 'B' }, { op: ' ', text: 'c' }, { op: '+', text: 'd' }]);
  assert.deepEqual(C.lineDiff('same', 'same'), [{ op: ' ', text: 'same' }]);
  assert.deepEqual(C.lineDiff('', 'new'), [{ op: '-', text: '' }, { op: '+', text: 'new' }]);
  assert.deepEqual(C.lineDiff(undefined, 'x'), [{ op: '-', text: '' }, { op: '+', text: 'x' }]);
  // Very large strings: removed then added, no quadratic table.
  const big = Array.from({ length: 600 }, (_, i) => 'l' + i).join('\n');
  const d = C.lineDiff(big, big + '\nz');
  assert.equal(d.length, 1201);
  assert.equal(d[0].op, '-');
});

test('toolView: Bash, Read, Edit, MultiEdit, Write, Grep, Agent and the rest', () => {
  const b = C.toolView(tool('Bash', { command: 'pytest -q', description: 'Run the tests' }));
  assert.deepEqual([b.kind, b.head, b.lines], ['bash', '$ pytest -q', [{ label: 'why', text: 'Run the tests', cls: 'muted' }]]);
  const r = C.toolView(tool('Read', { file_path: '/src/a.py', offset: 10, limit: 20 }));
  assert.deepEqual([r.kind, r.head, r.lines[0].text], ['read', '/src/a.py', 'from 10, 20 lines']);
  const e = C.toolView(tool('Edit', { file_path: '/src/a.py', old_string: 'x = 1', new_string: 'x = 2' }));
  assert.deepEqual([e.kind, e.head, e.diff], ['edit', '/src/a.py', [{ op: '-', text: 'x = 1' }, { op: '+', text: 'x = 2' }]]);
  const me = C.toolView(tool('MultiEdit', { file_path: '/f', edits: [{ old_string: 'a', new_string: 'b' }, { old_string: 'c', new_string: 'c' }] }));
  assert.deepEqual(me.diff.map((d) => d.op), ['-', '+', '@', ' ']);
  assert.equal(C.toolView(tool('Write', { file_path: '/n', content: 'hello' })).lines[0].text, 'hello');
  const g = C.toolView(tool('Grep', { pattern: 'retry', path: 'src', glob: '*.py' }));
  assert.deepEqual([g.kind, g.head], ['grep', 'retry  in src  (*.py)']);
  const a = C.toolView(tool('Agent', { subagent_type: 'Explore', description: 'Find call sites', prompt: 'Look for process()' }));
  assert.deepEqual([a.kind, a.head, a.lines[0].label], ['agent', 'Explore: Find call sites', 'task']);
  const o = C.toolView(tool('mcp__linear__create_issue', { title: 'Bug', labels: ['a', 'b'] }));
  assert.deepEqual([o.kind, o.args], ['kv', [['title', 'Bug'], ['labels', '["a","b"]']]]);
  // No input at all (a transcript line cut short).
  assert.equal(C.toolView({ type: 'tool', name: 'Bash' }).head, '$ ');
});

test('resultLabel and cutMark: output, error, hits, truncated with the size', () => {
  assert.equal(C.resultLabel(tool('Bash', {}, { text: 'ok', size: 3, truncated: false, is_error: false })), 'output · 3 B');
  assert.equal(C.resultLabel(tool('Bash', {}, { text: 'x', size: 90000, truncated: true, is_error: true })), 'error · truncated (88 KB)');
  assert.equal(C.resultLabel(tool('Grep', {}, { text: 'a.py', size: 0, truncated: false, is_error: false })), 'hits');
  assert.equal(C.resultLabel(tool('Bash', {})), null);
  assert.equal(C.cutMark({ type: 'assistant', text: 'x', truncated: true, size: 2 * 1048576 }), 'truncated (2.0 MB)');
  assert.equal(C.cutMark({ type: 'assistant', text: 'x' }), '');
});

test('conversationUrl: limit, the cursor, a subagent', () => {
  assert.equal(C.conversationUrl('s 1', null, null), '/api/sessions/s%201/conversation?limit=50');
  assert.equal(C.conversationUrl('s', 'agent-a1', 'c:12', 200), '/api/sessions/s/conversation?limit=200&agent_id=agent-a1&after=c%3A12');
});
