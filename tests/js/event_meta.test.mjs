// event_meta.test.mjs - dashboard/js/event_meta.js: the semantic sets come
// from flags (the fallback table, or the server's /api/meta), never from
// type names; presentation for every type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as M from '/assets/event_meta.js';

const names = (set) => [...set].sort();

test('fallback: the sets the page has always used', () => {
  const m = M.FALLBACK_META;
  assert.deepEqual(names(m.PRE_TYPES), ['PreToolUse']);
  assert.deepEqual(names(m.POST_TYPES), ['PermissionDenied', 'PostToolUse', 'PostToolUseFailure']);
  assert.deepEqual(names(m.POST_OK_TYPES), ['PostToolUse']);
  assert.deepEqual(names(m.ERROR_TYPES), ['PostToolUseFailure', 'StopFailure']);
  assert.deepEqual(names(m.PROMPT_TYPES), ['UserPromptSubmit']);
  assert.deepEqual(names(m.TURN_END_TYPES), ['Stop', 'StopFailure']);
  assert.deepEqual(names(m.MARK_TYPES), ['Elicitation', 'Notification', 'PermissionRequest', 'PostToolUseFailure', 'StopFailure']);
  assert.deepEqual(names(m.byFlag.awaiting_input), ['Elicitation', 'PermissionRequest', 'Stop', 'StopFailure']);
});

test('fallback: only the server\'s flag names, every type drawn', () => {
  for (const t of M.FALLBACK_EVENT_TYPES) {
    for (const f of t.flags) assert.ok(M.FLAGS.includes(f), t.name + ': ' + f);
    assert.notEqual(M.iconOf(t.name), '•', t.name + ' has an icon');
    assert.equal(M.typeClass(t.name), 't-' + t.name);
  }
  assert.equal(new Set(M.FALLBACK_EVENT_TYPES.map((t) => t.name)).size, M.FALLBACK_EVENT_TYPES.length);
  assert.equal(M.FLAGS.length, 15);
});

test('presentation of an unknown type', () => {
  assert.equal(M.iconOf('TaskCreated'), '•');
  assert.equal(M.colorOf('TaskCreated'), '#8b949e');
  assert.equal(M.typeClass('TaskCreated'), 't-other');
  assert.equal(M.colorOf('PostToolUseFailure'), '#ff7b72');
  assert.ok(M.DRAWN_TYPES.includes('Elicitation'));
});

test('the server\'s table is taken as it is', () => {
  const m = M.metaFromApi({ idle_after_s: 60, event_types: [
    { name: 'PreToolUse', flags: ['tool_start'] },
    { name: 'PostToolUse', flags: ['tool_end'] },
    { name: 'ToolBlocked', flags: ['tool_end', 'tool_denied', 'error'] },
    { name: 'TaskCompleted', flags: ['turn_end', 'some_future_flag'] },
  ] });
  assert.ok(m);
  assert.deepEqual(names(m.POST_TYPES), ['PostToolUse', 'ToolBlocked']);
  assert.deepEqual(names(m.POST_OK_TYPES), ['PostToolUse']);
  assert.deepEqual(names(m.ERROR_TYPES), ['ToolBlocked']);
  assert.deepEqual(names(m.TURN_END_TYPES), ['TaskCompleted']);
  assert.deepEqual(names(m.flagsOf.get('TaskCompleted')), ['turn_end']); // unknown flag ignored
  assert.equal(m.PROMPT_TYPES.size, 0);
  assert.ok(Object.isFrozen(m));
});

test('a malformed /api/meta body is refused (the fallback stays)', () => {
  for (const bad of [null, {}, { event_types: [] }, { event_types: 'x' }, { event_types: [null] },
    { event_types: [{ name: '', flags: [] }] }, { event_types: [{ name: 'X' }] },
    { event_types: [{ name: 'X', flags: [1] }] }, { event_types: [{ name: 7, flags: [] }] }]) {
    assert.equal(M.metaFromApi(bad), null, JSON.stringify(bad));
  }
});

// The built-in table stands in for the server's: it must say what the C
// table (common/event_type.c, served at /api/meta) says, flag for flag.
test('fallback: the same meaning as common/event_type.c', () => {
  const src = readFileSync(new URL('../../common/event_type.c', import.meta.url), 'utf8');
  const macros = new Map([...src.matchAll(/^#define (TOOL_END_\w+) \(?([^)\n]+)\)?$/gm)].map((m) => [m[1], m[2]]));
  const block = /table\[\] = \{([\s\S]*?)\n\};/.exec(src)[1];
  const flagsOf = (expr) => expr.split('|').map((t) => t.trim()).flatMap((t) => macros.has(t) ? flagsOf(macros.get(t)) : [t])
    .filter((t) => t !== '0').map((t) => t.replace(/^EVF_/, '').toLowerCase());
  const c = new Map([...block.matchAll(/\{"(\w+)",\s*([^,]+),/g)].map((m) => [m[1], flagsOf(m[2]).filter((f) => M.FLAGS.includes(f)).sort()]));
  assert.ok(c.size >= 17, 'parsed ' + c.size + ' rows');
  for (const t of M.FALLBACK_EVENT_TYPES) assert.deepEqual([...t.flags].sort(), c.get(t.name), t.name);
  for (const [name, flags] of c) {
    if (flags.length) assert.deepEqual(M.FALLBACK_EVENT_TYPES.find((t) => t.name === name)?.flags.slice().sort(), flags, name);
  }
});
