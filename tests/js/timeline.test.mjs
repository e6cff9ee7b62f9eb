// timeline.test.mjs - dashboard/js/timeline.js: the session view's
// timeline from a session of real hook payloads: calls paired with their
// ends, turns, prompts, marks, lanes and the percentages they are drawn at.
process.env.TZ = 'Asia/Kolkata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sessionStory, sessionTimeline } from '/assets/timeline.js';
import { FALLBACK_META, buildMeta, FALLBACK_EVENT_TYPES } from '/assets/event_meta.js';
import { apiEvent } from './fixtures.mjs';

const T0 = Date.UTC(2026, 0, 2, 3, 0, 0); // 08:30:00 in Kolkata
// A session of 10 s: a prompt, a Bash call that works (812 ms), a subagent's
// Grep still running, a failed call, a notification, the Stop, then an Edit
// started after the turn and still running.
function session() {
  return [
    apiEvent('SessionStart', 1, T0),
    apiEvent('UserPromptSubmit', 2, T0 + 1000),
    apiEvent('PreToolUse', 3, T0 + 2000),
    apiEvent('PostToolUse', 4, T0 + 2900),
    apiEvent('PreToolUse_in_subagent', 5, T0 + 3000),
    apiEvent('PreToolUse', 6, T0 + 4000, { tool_use_id: 'toolu_01FAILdefGHIjklMNOpqrST9', payload: Object.assign(apiEvent('PreToolUse', 0, 0).payload, { tool_input: { command: 'make lint' } }) }),
    apiEvent('PostToolUseFailure', 7, T0 + 4100),
    apiEvent('Notification', 8, T0 + 5000),
    apiEvent('Stop', 9, T0 + 6000),
    apiEvent('PreToolUse_Edit', 10, T0 + 10000),
  ];
}

test('sessionStory: calls, turns, prompts and marks', () => {
  const { calls, turns, prompts, marks } = sessionStory(session(), FALLBACK_META);
  assert.deepEqual(calls.map((c) => [c.ev.id, c.status, c.lane]), [[3, 'ok', ''], [5, 'running', 'a3f9c2'], [6, 'error', ''], [10, 'running', '']]);
  assert.equal(calls[0].end, T0 + 2000 + 812); // the end's duration_ms, not its arrival
  assert.equal(calls[0].text, '$ pytest -q tests/test_webhook.py');
  assert.equal(calls[2].end, T0 + 4000 + 35);
  assert.equal(calls[2].err, "Exit code 2 make: *** No rule to make target 'lint'. Stop. ← $ make lint");
  assert.deepEqual(turns.map((t) => [t.start, t.end]), [[T0 + 1000, T0 + 6000]]);
  assert.deepEqual(prompts, [{ ts: T0 + 1000, id: '5b1d0c1e-8f7a-4b8e-9d21-0c2f1e3a4b5c', text: 'Add a retry to the payment webhook handler and write a test for it' }]);
  assert.deepEqual(marks.map((m) => [m.ts, m.err, m.lane]), [[T0 + 4100, true, ''], [T0 + 5000, false, '']]);
  assert.equal(marks[1].text, 'Notification: Permission needed: Claude needs your permission to use Bash');
});

test('sessionStory: a subagent\'s Stop does not end the turn; a new prompt does', () => {
  const evs = [apiEvent('UserPromptSubmit', 1, T0), apiEvent('Stop', 2, T0 + 10, { agent_id: 'a1' }),
    apiEvent('UserPromptSubmit', 3, T0 + 20), apiEvent('StopFailure', 4, T0 + 30)];
  const { turns, prompts, marks } = sessionStory(evs, FALLBACK_META);
  assert.deepEqual(turns.map((t) => [t.start, t.end]), [[T0, T0 + 20], [T0 + 20, T0 + 30]]);
  assert.equal(prompts.length, 2);
  assert.deepEqual(marks.map((m) => m.err), [true]);
});

test('sessionStory: the meaning comes from the flags', () => {
  // A server that calls UserPromptExpansion a prompt too.
  const table = FALLBACK_EVENT_TYPES.map((t) => t.name === 'UserPromptExpansion' ? { name: t.name, flags: ['prompt'] } : t);
  const evs = [apiEvent('UserPromptSubmit', 1, T0), apiEvent('UserPromptExpansion', 2, T0 + 10)];
  assert.equal(sessionStory(evs, FALLBACK_META).turns.length, 1);
  assert.equal(sessionStory(evs, buildMeta(table)).turns.length, 2);
});

test('sessionTimeline: lanes, positions and titles', () => {
  const s = { first_seen_ms: T0, last_seen_ms: T0 + 10000 };
  const tl = sessionTimeline(s, session(), FALLBACK_META, 'ended', T0 + 60000);
  assert.equal(tl.t0, T0);
  assert.equal(tl.span, 10000);
  assert.deepEqual(tl.lanes.map((l) => [l.id, l.label]), [['#turns', 'turns'], ['', 'main agent'], ['a3f9c2', 'Explore·a3f9c2']]);
  const [turns, main, sub] = tl.lanes;
  assert.deepEqual(turns.items.map((i) => [i.kind, i.cls, i.left, i.width]), [['turn', 'bar turn', '10.000%', '50.000%']]);
  assert.equal(turns.items[0].title, '08:30:01.000 · 5.00 s\nAdd a retry to the payment webhook handler and write a test for it');
  assert.deepEqual(main.items.map((i) => [i.kind, i.cls, i.left, i.width || null, i.status || null]), [
    ['call', 'bar', '20.000%', '8.120%', 'ok'],
    ['call', 'bar error alt', '40.000%', '0.350%', 'error'], // back to back: told apart
    ['call', 'bar running', '100.000%', '0.000%', 'running'], // not working: drawn as a point
    ['mark', 'mark err', '41.000%', null, null],
    ['mark', 'mark', '50.000%', null, null],
  ]);
  assert.equal(main.items[0].title, 'Bash · 812 ms · ok\n$ pytest -q tests/test_webhook.py');
  assert.equal(main.items[0].ev.id, 3);
  assert.equal(main.items[3].title, "08:30:04.100 PostToolUseFailure: Exit code 2 make: *** No rule to make target 'lint'. Stop. ← $ make lint");
  assert.deepEqual(sub.items.map((i) => [i.cls, i.left, i.width]), [['bar running', '30.000%', '0.000%']]);
  assert.deepEqual(tl.axis, [
    { label: '08:30:00', left: '0%' }, { label: '08:30:02', left: '25%' }, { label: '08:30:05', left: '50%' },
    { label: '08:30:07', left: '75%' }, { label: '08:30:10', left: '100%' }]);
  assert.equal(tl.prompts.length, 1);
});

test('sessionTimeline: a working session\'s running calls reach its last event, not now', () => {
  const s = { first_seen_ms: T0, last_seen_ms: T0 + 10000 };
  const tl = sessionTimeline(s, session(), FALLBACK_META, 'working', T0 + 3600000);
  assert.equal(tl.span, 10000);
  assert.equal(tl.t1, T0 + 10000);
  const sub = tl.lanes[2].items[0];
  assert.deepEqual([sub.left, sub.width], ['30.000%', '70.000%']);
  assert.equal(tl.lanes[0].items[0].width, '50.000%'); // the turn ended at the Stop
  assert.deepEqual(tl.breaks, []);
});

test('sessionTimeline: an hour away is cut to a break, activity keeps the width', () => {
  const H = 3600000;
  const evs = [apiEvent('UserPromptSubmit', 1, T0), apiEvent('PreToolUse', 2, T0 + 1000), apiEvent('PostToolUse', 3, T0 + 1812),
    apiEvent('Stop', 4, T0 + 10000), apiEvent('UserPromptSubmit', 5, T0 + H), apiEvent('Stop', 6, T0 + H + 10000)];
  const tl = sessionTimeline({ first_seen_ms: T0, last_seen_ms: T0 + H + 10000 }, evs, FALLBACK_META, 'ended', T0 + H + 10000);
  assert.equal(tl.breaks.length, 1);
  assert.deepEqual([tl.breaks[0].start, tl.breaks[0].end, tl.breaks[0].left, tl.breaks[0].width], [T0 + 10000, T0 + H, '48.500%', '3.000%']);
  assert.match(tl.breaks[0].title, /^nothing for 59 m 50 s/);
  const turns = tl.lanes[0].items;
  assert.deepEqual(turns.map((i) => [i.left, i.width]), [['0.000%', '48.500%'], ['51.500%', '48.500%']]);
  assert.equal(tl.lanes[1].items[0].width, '3.938%'); // 812 ms of 20 s of activity over 97%
  assert.equal(tl.axis[4].label, '09:30:10');
});

test('sessionStory: a subagent\'s task (its Agent call) and final message', () => {
  const agentCall = (id, ts, desc) => apiEvent('PreToolUse', id, ts, { tool_name: 'Agent', tool_use_id: 'tu' + id,
    payload: { hook_event_name: 'PreToolUse', tool_name: 'Agent', tool_input: { subagent_type: 'Explore', description: desc, prompt: 'long prompt' } } });
  const evs = [agentCall(1, T0, 'Find call sites'), agentCall(2, T0 + 1, 'Read the tests'),
    apiEvent('SubagentStart', 3, T0 + 2, { agent_id: 'aaa111' }), apiEvent('SubagentStart', 4, T0 + 3, { agent_id: 'bbb222' }),
    apiEvent('SubagentStop', 5, T0 + 9, { agent_id: 'bbb222' })];
  const { subagents } = sessionStory(evs, FALLBACK_META);
  assert.deepEqual(subagents.map((a) => [a.agent_id, a.agent_type, a.task, a.final]), [
    ['aaa111', 'Explore', 'Find call sites', null], ['bbb222', 'Explore', 'Read the tests', 'Found 3 call sites of process().']]);
  const tl = sessionTimeline({ first_seen_ms: T0, last_seen_ms: T0 + 9 }, evs, FALLBACK_META, 'ended', T0 + 9);
  assert.deepEqual(tl.lanes.slice(2).map((l) => [l.label, l.task]), [['Explore·aaa111', 'Find call sites'], ['Explore·bbb222', 'Read the tests']]);
});

test('sessionTimeline: no events yet', () => {
  const s = { first_seen_ms: T0, last_seen_ms: T0 };
  const tl = sessionTimeline(s, [], FALLBACK_META, 'working', T0 + 5);
  assert.equal(tl.span, 1);
  assert.deepEqual(tl.lanes.map((l) => l.items.length), [0, 0]);
  assert.equal(tl.axis.length, 5);
});
