// series.test.mjs - dashboard/js/series.js: the header's rates and the
// charts' numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as Sr from '/assets/series.js';
import { FALLBACK_META } from '/assets/event_meta.js';

const NOW = 1767000000500;

test('arrival ring: per minute and per 10 s over 10 minutes', () => {
  const sec = new Array(Sr.RING_S).fill(-1), cnt = new Array(Sr.RING_S).fill(0);
  for (let i = 0; i < 3; i++) Sr.noteArrival(sec, cnt, NOW - 1000, NOW);      // 3 a second ago
  Sr.noteArrival(sec, cnt, NOW - 90000, NOW);                                   // 1 a minute and a half ago
  Sr.noteArrival(sec, cnt, NOW - 700000, NOW);                                  // too old: not counted
  const r = Sr.arrivalRates(sec, cnt, NOW);
  assert.equal(r.perMin, 3);
  assert.equal(r.buckets.length, 60);
  assert.equal(r.buckets.reduce((a, b) => a + b, 0), 4);
  assert.equal(r.buckets[59], 3);
  // Ten minutes on, the same slots hold nothing current.
  assert.deepEqual(Sr.arrivalRates(sec, cnt, NOW + 600000), { perMin: 0, buckets: new Array(60).fill(0) });
  // A slot reused by a later second starts again from zero.
  Sr.noteArrival(sec, cnt, NOW - 1000 + 600000, NOW + 600000);
  assert.equal(Sr.arrivalRates(sec, cnt, NOW + 600000).perMin, 1);
});

test('rateByType: 61 buckets of 10 s by type, newest events only', () => {
  const start = Math.floor((NOW - 600000) / 10000) * 10000;
  const evs = [
    { type: 'Stop', ts_ms: start - 120000, stored_ms: start - 120000 }, // stops the walk
    { type: 'Stop', ts_ms: start + 5, stored_ms: start + 5 },
    { type: 'Stop', ts_ms: null },
    { type: 'PreToolUse', ts_ms: start + 10000, stored_ms: NOW },
    { type: 'PreToolUse', ts_ms: start + 15000, stored_ms: NOW },
    { type: 'Stop', ts_ms: start - 5, stored_ms: start + 10 },           // before the window: skipped
    { type: 'Stop', ts_ms: NOW + 10 * 60000, stored_ms: NOW },           // clock ahead: skipped
  ];
  const r = Sr.rateByType(evs, NOW);
  assert.equal(r.start, start);
  assert.equal(r.n, 61);
  assert.deepEqual([...r.counts.keys()].sort(), ['PreToolUse', 'Stop']);
  assert.equal(r.counts.get('Stop')[0], 1);
  assert.equal(r.counts.get('PreToolUse')[1], 2);
  assert.equal(r.counts.get('Stop').reduce((a, b) => a + b, 0), 1);
});

test('statsWindowS: the filter\'s reach, a minute to 30 days, else a day', () => {
  assert.equal(Sr.statsWindowS(null, NOW), 86400);
  assert.equal(Sr.statsWindowS(NOW - 5000, NOW), 60);
  assert.equal(Sr.statsWindowS(NOW - 3600000, NOW), 3600);
  assert.equal(Sr.statsWindowS(0, NOW), 30 * 86400);
});

test('topTools and errorCounts', () => {
  const tools = { Bash: { calls: 3 }, Read: { calls: 9 }, Grep: { calls: 1 } };
  assert.deepEqual(Sr.topTools(tools, 2), ['Read', 'Bash']);
  assert.deepEqual(Sr.topTools(undefined, 2), []);
  const b = [{ counts: { PostToolUseFailure: 2, StopFailure: 1, Stop: 7 } }, { counts: {} }];
  assert.deepEqual(Sr.errorCounts(b, FALLBACK_META.ERROR_TYPES), [3, 0]);
});

test('costByDayModel: 30 UTC days, unpriced rows left out', () => {
  const now = Date.UTC(2026, 0, 30, 23, 0);
  const rows = [
    { day_model: '2026-01-30 claude-opus-4-5', cost_usd: 1.5 },
    { day_model: '2026-01-30 claude-opus-4-5', cost_usd: 0.5 },
    { day_model: '2026-01-01 claude-sonnet-4-5', cost_usd: 0.25 },
    { day_model: '2026-01-02 unpriced-model', cost_usd: null },
    { day_model: '2025-12-01 claude-opus-4-5', cost_usd: 9 },  // outside: the model is listed, the day not
    { day_model: '2026-01-03 ', cost_usd: 1 },
  ];
  const r = Sr.costByDayModel(rows, now, 30);
  assert.equal(r.days.length, 30);
  assert.equal(r.days[0], '2026-01-01');
  assert.equal(r.days[29], '2026-01-30');
  assert.deepEqual([...r.models.keys()].sort(), ['(unknown)', 'claude-opus-4-5', 'claude-sonnet-4-5']);
  assert.equal(r.models.get('claude-opus-4-5')[29], 2);
  assert.equal(r.models.get('claude-opus-4-5').reduce((a, b) => a + b, 0), 2);
  assert.equal(r.models.get('claude-sonnet-4-5')[0], 0.25);
  assert.equal(r.models.get('(unknown)')[2], 1);
  assert.deepEqual(Sr.costByDayModel(undefined, now, 30).models.size, 0);
});

test('trimDays: from the first day with spend, at least a week', () => {
  const days = Array.from({ length: 30 }, (_, i) => 'd' + i);
  const only = new Array(30).fill(0); only[29] = 5;
  const t = Sr.trimDays({ days, models: new Map([['m', only]]) }, 7);
  assert.deepEqual(t.days, days.slice(23));
  assert.deepEqual(t.models.get('m'), [0, 0, 0, 0, 0, 0, 5]);
  const early = new Array(30).fill(0); early[3] = 1;
  assert.equal(Sr.trimDays({ days, models: new Map([['m', early]]) }, 7).days.length, 27);
  assert.equal(Sr.trimDays({ days, models: new Map() }, 7).days.length, 7);
});
