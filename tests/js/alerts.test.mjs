// alerts.test.mjs - dashboard/js/alerts.js: contract 5's alerts stored and
// replaced, counted (open: neither resolved nor acknowledged), sorted, and
// the words of a notification.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as A from '/assets/alerts.js';

const alert = (id, extra) => Object.assign({ id, rule: 'awaiting', session_id: 's' + id, title: 'Fix the webhook', project: '/p/shop', machine: 'm1',
  reason: 'Permission: Bash', detail: 'rm -rf build', fired: 'x', fired_ms: 1000 + id, resolved: null, resolved_ms: null,
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

test('notificationOf and shouldNotify', () => {
  assert.deepEqual(A.notificationOf(alert(7)), { title: 'Needs you: Fix the webhook', body: 'Permission: Bash · rm -rf build', tag: 'chronicle-alert-7' });
  assert.equal(A.notificationOf(alert(8, { rule: 'budget', title: null, project: null, session_id: null, detail: null, reason: '$12 of $10 today' })).title, 'Budget crossed: m1');
  assert.equal(A.ruleLabel('something_new'), 'something_new');
  const seen = new Set([7]);
  assert.equal(A.shouldNotify(alert(7), seen), false);
  assert.equal(A.shouldNotify(alert(9), seen), true);
  assert.equal(A.shouldNotify(alert(10, { resolved_ms: 1 }), seen), false);
});
