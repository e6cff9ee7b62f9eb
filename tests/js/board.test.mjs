// board.test.mjs - dashboard/js/board.js: each session's state and reason
// in words (contract-shaped session JSON, and the older server's), the
// board's grouping by state then project in a stable order, the tab title.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as B from '/assets/board.js';

const NOW = 1767000000000;
const IDLE = 600000;
const MIN = 60000;

// As GET /api/sessions sends them (contract 1).
function sess(id, state, extra) {
  return Object.assign({ session_id: id, project: '/p/shop', state, awaiting_reason: null, state_since_ms: NOW - MIN,
    state_detail: null, title: null, title_source: null, first_seen_ms: NOW - 3600000, last_seen_ms: NOW - MIN, counts: {} }, extra || {});
}

test('stateOf: only working decays to idle; awaiting stays awaiting however long', () => {
  assert.equal(B.stateOf(sess('a', 'working', { last_seen_ms: NOW - IDLE - 1 }), NOW, IDLE), 'idle');
  assert.equal(B.stateOf(sess('a', 'working', { last_seen_ms: NOW - IDLE }), NOW, IDLE), 'working');
  // 11 minutes on a permission prompt, idle_after 10 minutes: still awaiting.
  const waiting = sess('b', 'awaiting_input', { awaiting_reason: 'permission', last_seen_ms: NOW - 11 * MIN, state_since_ms: NOW - 11 * MIN });
  assert.equal(B.stateOf(waiting, NOW, IDLE), 'awaiting_input');
  assert.equal(B.stateOf(waiting, NOW, 2000), 'awaiting_input');
  assert.equal(B.stateOf(sess('c', 'failed', { last_seen_ms: NOW - 9e6 }), NOW, IDLE), 'failed');
  assert.equal(B.stateOf(sess('d', 'ended'), NOW, IDLE), 'ended');
  assert.equal(B.stateOf(sess('e', 'idle'), NOW, IDLE), 'idle');
});

test('stateOf: an older server (stored state and status only)', () => {
  const old = (state, status, last) => ({ session_id: 'x', state, status, last_event_type: last, last_seen_ms: NOW - 11 * MIN, first_seen_ms: NOW - 3600000 });
  assert.equal(B.stateOf(old('awaiting_input', 'idle', 'Stop'), NOW, IDLE), 'awaiting_input');
  assert.equal(B.stateOf(old('awaiting_input', 'idle', 'StopFailure'), NOW, IDLE), 'failed');
  assert.equal(B.stateOf(old('working', 'idle', 'PostToolUse'), NOW, IDLE), 'idle');
  assert.equal(B.stateOf(old('ended', 'ended', 'SessionEnd'), NOW, IDLE), 'ended');
  assert.equal(B.stateOf({ session_id: 'y', status: 'ended', last_seen_ms: NOW }, NOW, IDLE), 'ended');
  assert.equal(B.reasonOf(old('awaiting_input', 'idle', 'Stop')), 'turn_done');
  assert.equal(B.reasonOf(old('awaiting_input', 'idle', 'PermissionRequest')), 'permission');
  assert.equal(B.sinceOf(old('working', 'active', 'Stop')), NOW - 3600000);
});

test('reasonText: each state and reason in words', () => {
  const r = (state, reason, detail, extra) => B.reasonText(sess('a', state, Object.assign({ awaiting_reason: reason, state_detail: detail }, extra)), state);
  assert.equal(r('awaiting_input', 'permission', { tool_name: 'Bash', tool_input: 'rm -rf build' }), 'Permission: Bash `rm -rf build`');
  assert.equal(r('awaiting_input', 'permission', { message: 'Claude needs your permission to use Bash' }), 'Permission: Claude needs your permission to use Bash');
  assert.equal(r('awaiting_input', 'permission', null), 'Permission asked');
  assert.equal(r('awaiting_input', 'turn_done', null), 'Finished its turn');
  assert.equal(r('awaiting_input', 'idle_prompt', { message: 'Claude is waiting for your input' }), 'Idle prompt');
  assert.equal(r('awaiting_input', 'elicitation', null), 'Asking a question');
  assert.equal(r('awaiting_input', 'elicitation', { message: 'Which branch?' }), 'Asking a question: Which branch?');
  assert.equal(r('awaiting_input', null, null), 'Awaiting input');
  assert.equal(r('failed', null, { error: 'rate_limit' }), 'Failed: rate limit');
  assert.equal(r('failed', null, null), 'Failed: the turn stopped on an error');
  assert.equal(r('working', null, null), 'Working');
  assert.equal(r('idle', null, null), 'No activity');
  assert.equal(r('ended', null, null, { end_reason: 'prompt_input_exit' }), 'Ended: prompt input exit');
  // A long command stays one line.
  assert.ok(r('awaiting_input', 'permission', { tool_name: 'Bash', tool_input: 'x\n'.repeat(400) }).length <= 300);
});

test('titleOf: the title, else the short id', () => {
  assert.equal(B.titleOf(sess('7d0b6a4e-2f1c', 'working', { title: 'Fix the  payment\nwebhook' })), 'Fix the payment webhook');
  assert.equal(B.titleOf(sess('7d0b6a4e-2f1c', 'working')), '7d0b6a4e');
  assert.equal(B.titleOf(undefined, 'abcdef0123'), 'abcdef01');
  assert.equal(B.titleOf(sess('7d0b6a4e-2f1c', 'working', { title: '   ' })), '7d0b6a4e');
});

test('buildBoard: by state (awaiting first), then project, longest waiting first, stable', () => {
  const ss = [
    sess('w1', 'working', { state_since_ms: NOW - 5 * MIN, last_seen_ms: NOW - 1000 }),
    sess('a1', 'awaiting_input', { project: '/p/web', awaiting_reason: 'turn_done', state_since_ms: NOW - 2 * MIN }),
    sess('a2', 'awaiting_input', { awaiting_reason: 'permission', state_since_ms: NOW - 11 * MIN, last_seen_ms: NOW - 11 * MIN }),
    sess('a3', 'awaiting_input', { awaiting_reason: 'idle_prompt', state_since_ms: NOW - 1 * MIN }),
    sess('f1', 'failed', { project: '/p/api', state_detail: { error: 'rate_limit' } }),
    sess('e1', 'ended', { state_since_ms: NOW - 50 * MIN }),
    sess('e2', 'ended', { state_since_ms: NOW - 5 * MIN }),
    sess('i1', 'working', { last_seen_ms: NOW - 20 * MIN }),
  ];
  const { groups, counts } = B.buildBoard(ss, NOW, IDLE);
  assert.deepEqual(groups.map((g) => [g.state, g.count]), [['awaiting_input', 3], ['failed', 1], ['working', 1], ['idle', 1], ['ended', 2]]);
  assert.deepEqual(groups[0].projects.map((p) => [p.name, p.sessions.map((s) => s.session_id)]), [['shop', ['a2', 'a3']], ['web', ['a1']]]);
  assert.deepEqual(groups[4].projects[0].sessions.map((s) => s.session_id), ['e2', 'e1']); // ended: newest first
  assert.deepEqual(counts, { awaiting_input: 3, failed: 1, working: 1, idle: 1, ended: 2 });
  // A new turn (last_seen moves, state_since does not) changes nothing.
  const again = B.buildBoard(ss.map((s) => Object.assign({}, s, { last_seen_ms: Math.max(s.last_seen_ms, NOW - 10) })).reverse(), NOW, IDLE);
  assert.deepEqual(again.groups[0].projects.map((p) => p.sessions.map((s) => s.session_id)), [['a2', 'a3'], ['a1']]);
  // The project filter.
  const web = B.buildBoard(ss, NOW, IDLE, new Set(['/p/web']));
  assert.deepEqual(web.groups.map((g) => g.state), ['awaiting_input']);
  assert.equal(web.counts.working, 0);
});

test('buildBoard: the idle and ended groups are capped, newest first, the rest counted', () => {
  const ss = Array.from({ length: 45 }, (_, i) => sess('e' + String(i).padStart(2, '0'), 'ended', { state_since_ms: NOW - i * MIN }))
    .concat(Array.from({ length: 42 }, (_, i) => sess('i' + String(i).padStart(2, '0'), 'working', { state_since_ms: NOW - 9e6, last_seen_ms: NOW - IDLE - (42 - i) * MIN })));
  const { groups } = B.buildBoard(ss, NOW, IDLE);
  assert.deepEqual(groups.map((g) => [g.state, g.count, g.hidden, g.projects[0].sessions.length]), [['idle', 42, 2, 40], ['ended', 45, 5, 40]]);
  assert.equal(groups[0].projects[0].sessions[0].session_id, 'i41'); // idle most recently first
  assert.equal(groups[1].projects[0].sessions[0].session_id, 'e00');
});

test('tabTitle: awaiting sessions and open alerts', () => {
  assert.equal(B.tabTitle(0, 0), 'Chronicle');
  assert.equal(B.tabTitle(3, 0), '(3 awaiting) Chronicle');
  assert.equal(B.tabTitle(0, 1), '(1 alert) Chronicle');
  assert.equal(B.tabTitle(2, 4), '(2 awaiting · 4 alerts) Chronicle');
});
