// detail_text.test.mjs - dashboard/js/detail_text.js: the detail's title by
// what happened (from the flags), and outputs and errors as their text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as D from '/assets/detail_text.js';
import { FALLBACK_META } from '/assets/event_meta.js';
import { payload } from './fixtures.mjs';

const ev = (type, extra) => Object.assign({ id: 1, type, tool_name: 'Bash', agent_type: null }, extra || {});

test('detailTitle: a failed call is a failure, not its PreToolUse', () => {
  const M = FALLBACK_META;
  assert.equal(D.detailTitle(ev('PreToolUse', { post: { type: 'PostToolUseFailure' } }), M), 'Bash failed');
  assert.equal(D.detailTitle(ev('PreToolUse', { post: { type: 'PostToolUse' } }), M), 'Bash done');
  assert.equal(D.detailTitle(ev('PreToolUse', { post: { type: 'PermissionDenied' } }), M), 'Bash denied');
  assert.equal(D.detailTitle(ev('PreToolUse'), M), 'Bash running');
  assert.equal(D.detailTitle(ev('PostToolUseFailure'), M), 'Bash failed');
  assert.equal(D.detailTitle(ev('StopFailure'), M), 'Turn failed');
  assert.equal(D.detailTitle(ev('Stop'), M), 'Turn finished');
  assert.equal(D.detailTitle(ev('SubagentStop', { agent_type: 'Explore' }), M), 'Subagent finished (Explore)');
  assert.equal(D.detailTitle(ev('PermissionRequest'), M), 'Permission asked: Bash');
  assert.equal(D.detailTitle(ev('UserPromptSubmit'), M), 'Prompt');
  assert.equal(D.detailTitle(ev('SomethingNew'), M), 'SomethingNew');
});

test('outputText: stdout and stderr, file content, text blocks, file lists, JSON', () => {
  assert.equal(D.outputText({ stdout: 'a\n', stderr: 'b' }), 'a\n[stderr]\nb');
  assert.equal(D.outputText({ stdout: 'a', stderr: 'b' }), 'a\n[stderr]\nb');
  assert.equal(D.outputText({ stdout: 'only', stderr: '' }), 'only');
  assert.equal(D.outputText({ type: 'text', file: { filePath: '/x', content: 'line1\nline2' } }), 'line1\nline2');
  assert.equal(D.outputText([{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }]), 'one\ntwo');
  assert.equal(D.outputText({ filenames: ['a.py', 'b.py'] }), 'a.py\nb.py');
  assert.equal(D.outputText('plain'), 'plain');
  assert.equal(D.outputText({ ok: true }), '{\n  "ok": true\n}');
  assert.equal(D.outputText(null), '');
});

test('readableSections: a failure\'s error as its lines, not escaped JSON', () => {
  const s = D.readableSections(payload('PostToolUseFailure'));
  assert.deepEqual(s.map((x) => x.label), ['Command', 'Error']);
  assert.equal(s[1].text, "Exit code 2\nmake: *** No rule to make target 'lint'.  Stop.");
  assert.equal(s[1].err, true);
  const ok = D.readableSections(payload('PostToolUse'));
  assert.equal(ok.find((x) => x.label === 'Output').text, '..F\n1 failed, 2 passed in 0.41s\n');
  assert.equal(D.readableSections(payload('StopFailure'))[0].text, 'rate_limit\n429 Too Many Requests');
  assert.deepEqual(D.readableSections(null), []);
});
