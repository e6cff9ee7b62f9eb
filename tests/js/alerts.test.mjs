// alerts.test.mjs - dashboard/js/alerts.js: contract 5's alerts stored and
// replaced, counted (open: neither resolved nor acknowledged), sorted, and
// the words of a notification.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as A from '/assets/alerts.js';

const alert = (id, extra) => Object.assign({ id, rule: 'awaiting', session_id: 's' + id, title: 'Fix the webhook', project: '/p/shop', machine: 'm1',
  reason: 'permission', detail: { tool_name: 'Bash', tool_input: 'rm -rf build' }, fired: 'x', fired_ms: 1000 + id, resolved: null, resolved_ms: null,
  acknowledged: null, acknowledged_ms: null, deliveries: [] }, extra || {});

test('upsertAlert, countOpen, sortedAlerts', () => {
  const m = new Map();
  assert.equal(A.upsertAlert(m, alert(1)), true);
  assert.equal(A.upsertAlert(m, alert(2)), true);
  assert.equal(A.upsertAlert(m, alert(3, { resolved: 'y', resolved_ms: 5000 })), true);
  assert.equal(A.countOpen(m), 2);
  assert.equal(A.upsertAlert(m, alert(1, { acknowledged: 'z', acknowledged_ms: 6000 })), false);
  assert.equal(A.countOpen(m), 1);
  assert.deepEqual(A.sortedAlerts(m).map((a) => a.id), [2, 3, 1]);
  assert.equal(A.upsertAlert(m, { rule: 'x' }), false); // no id: ignored
});

test('alertText: each reason of docs/ALERTS.md in words', () => {
  const t = (reason, detail, extra) => A.alertText(alert(1, Object.assign({ reason, detail }, extra)));
  assert.equal(t('permission', { tool_name: 'Bash', tool_input: 'git push' }), 'Permission: Bash `git push`');
  assert.equal(t('permission', null), 'Permission asked');
  assert.equal(t('turn_done', null), 'Finished its turn');
  assert.equal(t('idle_prompt', null), 'Idle prompt');
  assert.equal(t('elicitation', { message: 'Which env?' }), 'Asking a question: Which env?');
  assert.equal(t('stop_failure', { error: 'rate_limit' }), 'Failed: rate limit');
  assert.equal(t('tool_errors', { errors: 5, window_s: 60, tool_name: 'Bash' }), '5 tool errors in 60 s (Bash)');
  assert.equal(t('daily', { spent_usd: 3, budget_usd: 2, forecast_usd: 5 }, { project: 'shop' }), '$3.00 of the $2.00 daily budget of shop, heading for $5.00');
  assert.equal(t('monthly', { spent_usd: 310, budget_usd: 300 }, { project: null }), '$310.00 of the $300.00 monthly budget');
  assert.equal(t('process_gone', null), "Claude Code's process is gone, without a SessionEnd");
  assert.equal(t('something_new', { a: 1 }), 'something_new · {"a":1}');
  assert.equal(t('x', '<b>text</b>'), 'x · <b>text</b>'); // data: drawn with textContent
});

test('alertPlace: the machine of a team alert, nothing for a local one', () => {
  assert.equal(A.alertPlace(alert(1)), '');
  assert.equal(A.alertPlace(alert(1, { host: 'laptop-7', user: 'ana' })), 'on laptop-7 (ana)');
  assert.equal(A.alertPlace(alert(1, { host: 'ci\nbox', user: null })), 'on ci box');
  assert.equal(A.notificationOf(alert(7, { host: 'laptop-7', user: 'ana' })).body, 'Permission: Bash `rm -rf build` · on laptop-7 (ana)');
});

test('notificationOf and shouldNotify', () => {
  assert.deepEqual(A.notificationOf(alert(7)), { title: 'Needs you: Fix the webhook', body: 'Permission: Bash `rm -rf build`', tag: 'chronicle-alert-7' });
  const budget = alert(8, { rule: 'budget', title: null, project: null, session_id: null, reason: 'daily', detail: { spent_usd: 12.4, budget_usd: 10, period: '2026-12-02' } });
  assert.deepEqual([A.notificationOf(budget).title, A.notificationOf(budget).body], ['Budget crossed: m1', '$12.40 of the $10.00 daily budget']);
  assert.equal(A.ruleLabel('something_new'), 'something_new');
  const seen = new Set([7]);
  assert.equal(A.shouldNotify(alert(7), seen), false);
  assert.equal(A.shouldNotify(alert(9), seen), true);
  assert.equal(A.shouldNotify(alert(10, { resolved_ms: 1 }), seen), false);
});
