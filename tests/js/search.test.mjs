// search.test.mjs - dashboard/js/search.js: the /api/search URL (contract
// 3) with the filters and the cursor, snippets as parts, hits in words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as Q from '/assets/search.js';

test('searchUrl: the query, the filters as lists, the cursor', () => {
  assert.equal(Q.searchUrl('retry', null, null), '/api/search?q=retry&limit=50');
  assert.equal(Q.searchUrl('"make lint" OR pytest', { projects: new Set(['/p/a', '/p/b']), sessions: new Set(['s1']), types: new Set() }, 'cur 9', 20),
    '/api/search?q=%22make+lint%22+OR+pytest&project=%2Fp%2Fa%2C%2Fp%2Fb&session_id=s1&limit=20&before=cur+9');
});

test('snippetParts: plain first, then hit, alternating; bad shapes give nothing', () => {
  assert.deepEqual(Q.snippetParts(['run ', 'pytest', ' -q ', 'tests', '']), [
    { text: 'run ', hit: false }, { text: 'pytest', hit: true }, { text: ' -q ', hit: false }, { text: 'tests', hit: true }]);
  assert.deepEqual(Q.snippetParts(['', 'hit']), [{ text: 'hit', hit: true }]);
  assert.deepEqual(Q.snippetParts('<b>x</b>'), []);
  assert.deepEqual(Q.snippetParts([1, 'x']), [{ text: 'x', hit: true }]);
});

test('hitWhat and searchable', () => {
  assert.equal(Q.hitWhat({ kind: 'event', field: 'command', tool_name: 'Bash', event_type: 'PreToolUse' }), 'command · Bash · PreToolUse');
  assert.equal(Q.hitWhat({ kind: 'reply', field: 'reply' }), "Claude's reply");
  assert.equal(Q.hitWhat({ kind: 'event', field: 'tool_output' }), 'tool output');
  assert.equal(Q.searchable('  '), false);
  assert.equal(Q.searchable('x'), true);
});
