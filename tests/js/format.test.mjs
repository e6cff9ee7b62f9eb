// format.test.mjs - dashboard/js/format.js: times in the viewer's zone,
// durations, money, sizes, and payload summaries of the real fixtures.
process.env.TZ = 'Asia/Kolkata'; // UTC+05:30, no daylight saving time
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as F from '/assets/format.js';
import { payload } from './fixtures.mjs';

const T = Date.UTC(2026, 0, 2, 3, 4, 5, 67); // 2026-01-02 03:04:05.067 UTC

test('fmtTime: local time to the millisecond', () => {
  assert.equal(F.fmtTime(T), '08:34:05.067');
  assert.equal(F.fmtTime(null), '—');
  assert.equal(F.fmtTime(undefined), '—');
});

test('fmtDateTime: local date and time', () => {
  assert.equal(F.fmtDateTime(T), '2026-01-02 08:34:05.067');
  assert.equal(F.fmtDateTime(Date.UTC(2025, 11, 31, 20, 0, 0, 0)), '2026-01-01 01:30:00.000');
  assert.equal(F.fmtDateTime(null), '—');
});

test('fmtDur: ms, s with 2 then 1 decimals, minutes', () => {
  assert.equal(F.fmtDur(null), '');
  assert.equal(F.fmtDur(undefined), '');
  assert.equal(F.fmtDur(0), '0 ms');
  assert.equal(F.fmtDur(35), '35 ms');
  assert.equal(F.fmtDur(812.4), '812 ms');
  assert.equal(F.fmtDur(1234), '1.23 s');
  assert.equal(F.fmtDur(12345), '12.3 s');
  assert.equal(F.fmtDur(61000), '1 m 1 s');
  assert.equal(F.fmtDur(3 * 60000 + 29600), '3 m 30 s');
});

test('fmtAgo: seconds, minutes, hours, days before now', () => {
  const now = 1e12;
  assert.equal(F.fmtAgo(now, now), '0s ago');
  assert.equal(F.fmtAgo(now + 5000, now), '0s ago'); // a clock ahead is not "in the future"
  assert.equal(F.fmtAgo(now - 59000, now), '59s ago');
  assert.equal(F.fmtAgo(now - 60000, now), '1m ago');
  assert.equal(F.fmtAgo(now - 3599000, now), '59m ago');
  assert.equal(F.fmtAgo(now - 7200000, now), '2h ago');
  assert.equal(F.fmtAgo(now - 3 * 86400000, now), '3d ago');
});

test('fmtNum, fmtBytes, fmtUsd', () => {
  assert.equal(F.fmtNum(undefined), '0');
  assert.equal(F.fmtNum(null), '0');
  assert.equal(F.fmtNum(7), '7');
  assert.equal(F.fmtBytes(12), '12 bytes');
  assert.equal(F.fmtUsd(0.12345, 3, 2), '$0.123');
  assert.equal(F.fmtUsd(0.12345, 4, 2), '$0.1235');
  assert.equal(F.fmtUsd(12.5, 3, 2), '$12.50');
  assert.equal(F.fmtUsd(0, 3, 2), '$0.000');
});

test('datetime-local values are local time, both ways', () => {
  assert.equal(F.toLocalInput(T), '2026-01-02T08:34:05');
  assert.equal(F.toLocalInput(null), '');
  assert.equal(F.fromLocalInput('2001-01-01T00:00:00'), Date.UTC(2000, 11, 31, 18, 30));
  assert.equal(F.fromLocalInput(''), null);
  assert.equal(F.fromLocalInput('not a date'), null);
});

test('shortId, baseName, oneLine', () => {
  assert.equal(F.shortId('7d0b6a4e-2f1c-4c59'), '7d0b6a4e');
  assert.equal(F.shortId(null), '—');
  assert.equal(F.baseName('/home/dev/shop/'), 'shop');
  assert.equal(F.baseName('/home/dev/shop'), 'shop');
  assert.equal(F.baseName(''), '(no project)');
  assert.equal(F.baseName(null), '(no project)');
  assert.equal(F.baseName('/'), '/');
  assert.equal(F.oneLine('  a\n\tb   c '), 'a b c');
  const long = F.oneLine('x'.repeat(1000));
  assert.equal(long.length, F.SUMMARY_MAX);
  assert.ok(long.endsWith('…'));
});

test('usageTokens and usageText', () => {
  const u = { input_tokens: 10, output_tokens: 20, cache_creation_input_tokens: 30, cache_read_input_tokens: 40, cost_usd: 0.5 };
  assert.equal(F.usageTokens(u), 100);
  assert.equal(F.usageText(u), '100 tokens · $0.5000');
  assert.equal(F.usageText({ output_tokens: 3, cost_usd: null }), '3 tokens');
  assert.equal(F.usageText(null), '');
});

// The summaries of the real hook payloads, one per shape.
const summaries = {
  UserPromptSubmit: 'Add a retry to the payment webhook handler and write a test for it',
  UserPromptExpansion: 'Review the diff',
  Notification: 'Permission needed: Claude needs your permission to use Bash',
  Notification_idle: 'Claude is waiting for your input',
  PreToolUse: '$ pytest -q tests/test_webhook.py',
  PreToolUse_Edit: '/home/dev/shop/app/webhook.py',
  PreToolUse_in_subagent: 'process\\( in /home/dev/shop',
  PreToolUse_MCP: 'title: Webhook retries',
  PermissionRequest: '$ git push origin main',
  PostToolUse: '$ pytest -q tests/test_webhook.py',
  PostToolUseFailure: "Exit code 2 make: *** No rule to make target 'lint'. Stop. ← $ make lint",
  StopFailure: 'rate_limit: 429 Too Many Requests',
  Stop: 'I added a retry with exponential backoff and a test; all tests pass.',
  SubagentStop: 'Found 3 call sites of process().',
  SessionStart: 'startup · claude-opus-4-5',
  SessionEnd: 'prompt_input_exit',
  SubagentStart: 'Explore',
  PreCompact: 'auto',
  PostCompact: 'auto',
  CwdChanged: '/home/dev/shop',
  InstructionsLoaded: '/home/dev/shop',
};
for (const [name, want] of Object.entries(summaries)) {
  test('summarize: ' + name, () => {
    const p = payload(name);
    assert.equal(F.summarize({ type: p.hook_event_name, tool_name: p.tool_name }, p), want);
  });
}

test('summarize: no payload, or an invalid one', () => {
  assert.equal(F.summarize({ type: 'Stop', flags: {} }, null), '');
  assert.equal(F.summarize({ type: 'Stop', flags: { invalid: true }, raw_size: 17 }, null), '(invalid payload, 17 bytes)');
  assert.equal(F.summarize({ type: 'Stop', flags: { invalid: true } }, 'text'), '(invalid payload, 0 bytes)');
});

test('toolSummary: the argument that says most', () => {
  assert.equal(F.toolSummary('WebFetch', { url: 'https://x.test/', prompt: 'p' }), 'https://x.test/');
  assert.equal(F.toolSummary('Glob', { pattern: '**/*.c' }), '**/*.c');
  assert.equal(F.toolSummary('NotebookEdit', { notebook_path: '/n.ipynb' }), '/n.ipynb');
  assert.equal(F.toolSummary('Task', { description: 'look around', prompt: 'long' }), 'look around');
  assert.equal(F.toolSummary('X', { n: 3, ok: true }), '{"n":3,"ok":true}');
  assert.equal(F.toolSummary('X', {}), '{}');
});

test('fmtFeedTime: the time today, the date too on other days', () => {
  const now = new Date(2026, 0, 2, 15, 0, 0).getTime();
  assert.equal(F.fmtFeedTime(new Date(2026, 0, 2, 9, 5, 7, 42).getTime(), now), '09:05:07.042');
  assert.equal(F.fmtFeedTime(new Date(2026, 0, 1, 23, 59, 1).getTime(), now), '01-01 23:59:01');
  assert.equal(F.fmtFeedTime(new Date(2025, 11, 31, 8, 0, 0).getTime(), now), '2025-12-31 08:00:00');
  assert.equal(F.fmtFeedTime(null, now), '—');
});

test('fmtWait, fmtSize, agentLabel, agentSlot', () => {
  assert.equal(F.fmtWait(45000), '45s');
  assert.equal(F.fmtWait(11 * 60000 + 3000), '11m 03s');
  assert.equal(F.fmtWait(2 * 3600000 + 5 * 60000), '2h 05m');
  assert.equal(F.fmtWait(3 * 86400000 + 4 * 3600000), '3d 4h');
  assert.equal(F.fmtWait(-5), '0s');
  assert.equal(F.fmtSize(512), '512 B');
  assert.equal(F.fmtSize(1536), '1.5 KB');
  assert.equal(F.fmtSize(90000), '88 KB');
  assert.equal(F.fmtSize(3 * 1048576), '3.0 MB');
  assert.equal(F.agentLabel('Explore', 'a3f9c2d1e'), 'Explore·a3f9c2');
  assert.equal(F.agentLabel('Explore', 'agent-bb12cc34'), 'Explore·bb12cc');
  assert.equal(F.agentLabel(null, 'x1'), 'agent·x1');
  assert.equal(F.agentSlot('a3f9c2', 6), F.agentSlot('a3f9c2', 6));
  assert.ok(F.agentSlot('a3f9c2', 6) < 6);
  assert.notEqual(F.agentSlot('a3f9c2', 6), F.agentSlot('a3f9c3', 6));
});
