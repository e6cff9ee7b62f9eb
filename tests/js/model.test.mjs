// model.test.mjs - dashboard/js/model.js: the state object, events in id
// order without doubles, tool calls paired whichever half comes first, live
// batches, trimming, sessions merged (the board itself: board.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as Mdl from '/assets/model.js';
import { buildMeta } from '/assets/event_meta.js';
import { makeMatcher } from '/assets/filter.js';
import { apiEvent } from './fixtures.mjs';

const NOW = 1767000000000;
const all = () => true;

test('the state declares every field: nothing can be added', () => {
  const st = Mdl.createState();
  assert.ok(Object.isSealed(st));
  assert.ok(Object.isSealed(st.filters) && Object.isSealed(st.feed) && Object.isSealed(st.stats));
  assert.throws(() => { st.undeclared = 1; }, TypeError);
  assert.throws(() => { st.filters.typo = 1; }, TypeError);
  assert.notEqual(Mdl.createState().events, st.events); // each its own
});

test('addEvent: id order, no doubles, summary from the payload', () => {
  const st = Mdl.createState();
  assert.equal(Mdl.addEvent(st, apiEvent('UserPromptSubmit', 5, NOW), true), true);
  assert.equal(Mdl.addEvent(st, apiEvent('Stop', 9, NOW), true), true);
  assert.equal(st.viewDirty, false);
  assert.equal(Mdl.addEvent(st, apiEvent('SessionStart', 2, NOW), true), true); // older: inserted, view to rebuild
  assert.equal(st.viewDirty, true);
  assert.equal(Mdl.addEvent(st, apiEvent('Stop', 9, NOW), true), false);
  assert.deepEqual(st.events.map((e) => e.id), [2, 5, 9]);
  assert.equal(st.lastId, 9);
  assert.equal(st.byId.get(5).summary, 'Add a retry to the payment webhook handler and write a test for it');
  assert.equal(st.byId.get(5).payload, undefined); // dropped once summarised
  assert.ok(st.typesSeen.has('Stop'));
});

test('addEvent without payload: summary pending', () => {
  const st = Mdl.createState();
  const ev = apiEvent('PreToolUse', 3, NOW);
  delete ev.payload;
  Mdl.addEvent(st, ev, false);
  assert.equal(st.byId.get(3).summary, null);
  assert.deepEqual(st.needSummary, [3]);
  assert.ok(st.toolsSeen.has('Bash'));
});

test('pairing: start then end, and end before start', () => {
  const st = Mdl.createState();
  const pre = apiEvent('PreToolUse', 1, NOW), post = apiEvent('PostToolUse', 2, NOW + 812);
  Mdl.addEvent(st, pre, true); Mdl.addEvent(st, post, true);
  assert.equal(pre.post, post); assert.equal(post.pre, pre);
  // The end arrives first (a history page read newest first).
  const f = apiEvent('PostToolUseFailure', 11, NOW), p = apiEvent('PreToolUse', 10, NOW, { tool_use_id: f.tool_use_id });
  Mdl.addEvent(st, f, true);
  assert.equal(st.postByUse.get(f.tool_use_id), f);
  Mdl.addEvent(st, p, true);
  assert.equal(p.post, f); assert.equal(f.pre, p);
  assert.equal(st.postByUse.size, 0);
});

test('pairing follows the meta\'s flags, not type names', () => {
  const st = Mdl.createState();
  st.meta = buildMeta([{ name: 'ToolBegin', flags: ['tool_start'] }, { name: 'ToolDone', flags: ['tool_end'] },
    { name: 'PreToolUse', flags: [] }]);
  const a = { id: 1, type: 'ToolBegin', tool_use_id: 'u1' }, b = { id: 2, type: 'ToolDone', tool_use_id: 'u1' };
  const c = { id: 3, type: 'PreToolUse', tool_use_id: 'u2' };
  for (const e of [a, b, c]) Mdl.addEvent(st, e, true);
  assert.equal(a.post, b);
  assert.equal(st.preByUse.has('u2'), false);
});

test('trimEvents keeps the newest', () => {
  const st = Mdl.createState();
  for (let i = 1; i <= 10; i++) Mdl.addEvent(st, { id: i, type: 'Stop', tool_use_id: i === 2 ? 'u' : null }, true);
  st.preByUse.set('u', st.byId.get(2));
  Mdl.trimEvents(st, 4);
  assert.deepEqual(st.events.map((e) => e.id), [7, 8, 9, 10]);
  assert.equal(st.byId.has(2), false);
  assert.equal(st.preByUse.has('u'), false);
  assert.equal(st.viewDirty, true);
});

test('takeBatch spreads a burst over frames', () => {
  const st = Mdl.createState();
  st.pending = Array.from({ length: 2500 }, (_, i) => ({ id: i + 1 }));
  assert.equal(Mdl.takeBatch(st, 1000).length, 1000);
  assert.equal(st.pending.length, 1500);
  Mdl.takeBatch(st, 1000);
  assert.equal(Mdl.takeBatch(st, 1000).length, 500);
  assert.equal(st.pending.length, 0);
});

test('applyBatch grows the view, folds ends, counts while paused', () => {
  const st = Mdl.createState();
  const pre = apiEvent('PreToolUse', 1, NOW), post = apiEvent('PostToolUse', 2, NOW);
  const stop = apiEvent('Stop', 3, NOW);
  st.svSession = stop.session_id;
  let r = Mdl.applyBatch(st, [pre, post, pre], all, NOW);
  assert.deepEqual(r, { grew: 1, svTouched: true });
  assert.deepEqual(st.view.map((e) => e.id), [1]);
  assert.equal(st.total, 2);
  st.paused = true;
  r = Mdl.applyBatch(st, [stop], all, NOW);
  assert.equal(r.grew, 0);
  assert.equal(st.pausedCount, 1);
  assert.equal(st.events.length, 3);
  const m = makeMatcher(st.filters, st.sessions, NOW);
  assert.equal(typeof m, 'function');
});

test('projectsSeen: every session\'s project, else its cwd', () => {
  const st = Mdl.createState();
  Mdl.upsertSession(st, { session_id: 'a', project: '/p/shop' });
  Mdl.upsertSession(st, { session_id: 'b', project: null, cwd: '/tmp/x' });
  Mdl.upsertSession(st, { session_id: 'c', project: '/p/shop' });
  assert.deepEqual([...Mdl.projectsSeen(st)].sort(), ['/p/shop', '/tmp/x']);
});

test('upsertSession merges a row into the known one', () => {
  const st = Mdl.createState();
  Mdl.upsertSession(st, { session_id: 'a', model: 'm', counts: { events: 1 } });
  const row = st.sessions.get('a');
  Mdl.upsertSession(st, { session_id: 'a', state: 'ended' });
  assert.equal(st.sessions.get('a'), row);
  assert.equal(row.model, 'm');
  assert.equal(row.state, 'ended');
});
