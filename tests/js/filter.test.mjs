// filter.test.mjs - dashboard/js/filter.js: what the feed shows, the
// folding of a tool call's end into its start, and the URL state.
process.env.TZ = 'Asia/Kolkata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as Flt from '/assets/filter.js';
import { FALLBACK_META } from '/assets/event_meta.js';

const NOW = Date.UTC(2026, 0, 2, 12, 0, 0); // 17:30 in Kolkata
const ev = (id, type, extra) => Object.assign({ id, type, session_id: 's1', ts_ms: NOW - 1000, tool_name: null, summary: '', cwd: '/w' }, extra || {});
const filters = (extra) => Object.assign(Flt.emptyFilters(), extra || {});

test('rangeBounds: 5 min, hour, today (local midnight), custom, none', () => {
  assert.deepEqual(Flt.rangeBounds(filters({ range: '5m' }), NOW), [NOW - 300000, null]);
  assert.deepEqual(Flt.rangeBounds(filters({ range: '1h' }), NOW), [NOW - 3600000, null]);
  assert.deepEqual(Flt.rangeBounds(filters({ range: 'today' }), NOW), [Date.UTC(2026, 0, 1, 18, 30), null]);
  assert.deepEqual(Flt.rangeBounds(filters({ range: 'custom', from: 5, to: 9 }), NOW), [5, 9]);
  assert.deepEqual(Flt.rangeBounds(filters(), NOW), [null, null]);
});

test('makeMatcher: types, tools, sessions, time, text', () => {
  const sessions = new Map([['s2', { project: '/home/dev/payments' }]]);
  const evs = [ev(1, 'Stop'), ev(2, 'PreToolUse', { tool_name: 'Bash', summary: '$ make test' }),
    ev(3, 'Stop', { session_id: 's2', ts_ms: NOW - 7200000 }), ev(4, 'Notification', { ts_ms: null, agent_type: 'Explore' })];
  const ids = (f) => evs.filter(Flt.makeMatcher(f, sessions, NOW)).map((e) => e.id);
  assert.deepEqual(ids(filters()), [1, 2, 3, 4]);
  assert.deepEqual(ids(filters({ types: new Set(['Stop']) })), [1, 3]);
  assert.deepEqual(ids(filters({ tools: new Set(['Bash']) })), [2]);
  assert.deepEqual(ids(filters({ sessions: new Set(['s2']) })), [3]);
  assert.deepEqual(ids(filters({ range: '1h' })), [1, 2]); // no time: outside any range
  assert.deepEqual(ids(filters({ range: 'custom', from: null, to: NOW - 3600000 })), [3]);
  assert.deepEqual(ids(filters({ q: '  MAKE ' })), [2]);
  assert.deepEqual(ids(filters({ q: 'payments' })), [3]); // the session's project
  assert.deepEqual(ids(filters({ q: 'explore' })), [4]);
  assert.deepEqual(ids(filters({ q: 'stop', types: new Set(['Stop']), sessions: new Set(['s1']) })), [1]);
});

test('buildView: a tool call\'s end folds into its start only when the start shows', () => {
  const pre = ev(1, 'PreToolUse', { tool_name: 'Bash' });
  const post = ev(2, 'PostToolUse', { tool_name: 'Bash' });
  const denied = ev(4, 'PermissionDenied', { tool_name: 'Bash' });
  pre.post = post; post.pre = pre;
  const lone = ev(3, 'PostToolUseFailure', { tool_name: 'Bash' }); // its start was never seen
  const evs = [pre, post, lone, denied];
  const all = Flt.makeMatcher(filters(), new Map(), NOW);
  assert.deepEqual(Flt.buildView(evs, all, FALLBACK_META).map((e) => e.id), [1, 3, 4]);
  const onlyPosts = Flt.makeMatcher(filters({ types: new Set(['PostToolUse']) }), new Map(), NOW);
  assert.deepEqual(Flt.buildView(evs, onlyPosts, FALLBACK_META).map((e) => e.id), [2]);
  assert.equal(Flt.joinedAway(post, all, FALLBACK_META), true);
  assert.equal(Flt.joinedAway(pre, all, FALLBACK_META), false);
});

test('toggleSession: click picks one (again: none), Ctrl-click adds and removes', () => {
  const s = new Set();
  Flt.toggleSession(s, 'a', false); assert.deepEqual([...s], ['a']);
  Flt.toggleSession(s, 'b', false); assert.deepEqual([...s], ['b']);
  Flt.toggleSession(s, 'a', true); assert.deepEqual([...s], ['b', 'a']);
  Flt.toggleSession(s, 'b', true); assert.deepEqual([...s], ['a']);
  Flt.toggleSession(s, 'a', false); assert.deepEqual([...s], []);
});

test('URL state: filters and the open session, both ways', () => {
  const f = filters({ types: new Set(['Stop', 'Notification']), tools: new Set(['Grep']), sessions: new Set(['s1', 's2']),
    q: 'retry now', range: 'custom', from: Date.UTC(2000, 11, 31, 18, 30), to: null });
  const qs = Flt.filtersToQuery(f, 'sess-9');
  assert.equal(qs, '?type=Stop%2CNotification&tool=Grep&session=s1%2Cs2&q=retry+now&range=custom&from=2000-12-31T18%3A30%3A00.000Z&open=sess-9');
  const back = Flt.filtersFromQuery(qs);
  assert.deepEqual(back.filters, f);
  assert.equal(back.open, 'sess-9');
  assert.equal(Flt.filtersToQuery(filters(), null), '');
  assert.equal(Flt.filtersToQuery(filters({ range: '1h', from: 5 }), null), '?range=1h'); // from/to only for custom
});

test('URL state: what is not understood is left out', () => {
  const { filters: f, open } = Flt.filtersFromQuery('?range=week&from=soon&type=,,Stop,&q=');
  assert.equal(f.range, '');
  assert.equal(f.from, null);
  assert.deepEqual([...f.types], ['Stop']);
  assert.equal(f.q, '');
  assert.equal(open, null);
});

test('clearFilters empties every filter in place', () => {
  const f = filters({ types: new Set(['Stop']), q: 'x', range: 'custom', from: 1, to: 2 });
  const types = f.types;
  Flt.clearFilters(f);
  assert.deepEqual(f, Flt.emptyFilters());
  assert.equal(f.types, types);
});
