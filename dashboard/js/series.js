/*
 * series.js - the numbers behind the header's rate and sparkline and behind
 * the charts: arrival counts per second in a ring, events per 10 s by type,
 * tool calls with their percentiles, errors per bucket, cost per day by
 * model.  Pure: the clock comes in as `now`.
 */

export const RING_S = 600;   // the ring covers the last 10 minutes, a slot a second

/* Counts one event in its second (commit time) in the ring (sec[i], cnt[i]
 * for slot i = second % RING_S): constant work per event and per redraw,
 * however many are loaded. */
export function noteArrival(sec, cnt, ms, nowMs) {
  const s = Math.floor(ms / 1000);
  if (s <= Math.floor(nowMs / 1000) - RING_S) return;
  const i = s % RING_S;
  if (sec[i] !== s) { sec[i] = s; cnt[i] = 0; }
  cnt[i]++;
}

/* Events in the last minute, and 60 buckets of 10 s over the last 10 minutes
 * (the sparkline), from the ring. */
export function arrivalRates(sec, cnt, nowMs) {
  const now = Math.floor(nowMs / 1000);
  let perMin = 0;
  const buckets = new Array(60).fill(0);
  for (let i = 0; i < RING_S; i++) {
    const s = sec[i];
    if (s <= now - RING_S || s > now) continue;
    if (s > now - 60) perMin += cnt[i];
    buckets[Math.min(59, Math.floor((s - (now - RING_S)) / 10))] += cnt[i];
  }
  return { perMin, buckets };
}

/*
 * Events per 10 s over the last 10 minutes, by type, from the loaded events
 * (ascending by id).  Walks back from the newest and stops once commit times
 * are a minute before the window (event times may lag commit times).
 * Returns {start, n, counts: Map type -> n counts}.
 */
export function rateByType(events, now) {
  const start = Math.floor((now - 600000) / 10000) * 10000;
  const n = 61, counts = new Map();
  for (let i = events.length - 1; i >= 0; i--) {
    const ev = events[i];
    const t = ev.ts_ms;
    if (t === null) continue;
    if (t < start) { if ((ev.stored_ms || t) < start - 60000) break; continue; }
    const b = Math.floor((t - start) / 10000);
    if (b >= n) continue;
    if (!counts.has(ev.type)) counts.set(ev.type, new Array(n).fill(0));
    counts.get(ev.type)[b]++;
  }
  return { start, n, counts };
}

/* The /api/stats window (seconds) for a time filter starting at from (null:
 * a day), kept between a minute and 30 days. */
export function statsWindowS(from, now) {
  return from !== null ? Math.max(60, Math.min(30 * 86400, Math.round((now - from) / 1000))) : 86400;
}

/* The tools with the most calls (at most max) from /api/stats' "tools". */
export function topTools(tools, max) {
  tools = tools || {};
  return Object.keys(tools).sort((a, b) => tools[b].calls - tools[a].calls).slice(0, max);
}

/* Errors per timeline bucket of /api/stats: the counts of the error types. */
export function errorCounts(buckets, errorTypes) {
  return buckets.map((b) => {
    let n = 0;
    for (const t of errorTypes) n += b.counts[t] || 0;
    return n;
  });
}

/*
 * Dollars per day by model over the `days` days up to now (UTC days, as the
 * server groups them), from /api/usage's by_day_model ("YYYY-MM-DD model"
 * keys).  Unpriced rows (cost_usd null) are left out, never counted as 0.
 * Returns {days: ["YYYY-MM-DD"...], models: Map model -> per-day dollars}.
 */
export function costByDayModel(rows, now, ndays) {
  const days = [], models = new Map();
  for (let i = ndays - 1; i >= 0; i--) days.push(new Date(now - i * 86400000).toISOString().slice(0, 10));
  for (const g of rows || []) {
    if (g.cost_usd === null || g.cost_usd === undefined) continue;
    const sp = String(g.day_model).indexOf(' ');
    const day = g.day_model.slice(0, sp), model = g.day_model.slice(sp + 1) || '(unknown)';
    if (!models.has(model)) models.set(model, new Array(days.length).fill(0));
    const i = days.indexOf(day);
    if (i >= 0) models.get(model)[i] += g.cost_usd;
  }
  return { days, models };
}

/*
 * The days of costByDayModel's result worth drawing: from the first day with
 * any spend on (today is always last), but at least minDays, so that a new
 * install's one day of spend is one bar of a week, not a sliver of 30 days.
 */
export function trimDays(cost, minDays) {
  const { days, models } = cost;
  let first = days.length - 1;
  for (const per of models.values()) for (let i = 0; i < per.length; i++) if (per[i] > 0) { first = Math.min(first, i); break; }
  const from = Math.max(0, Math.min(first, days.length - minDays));
  const out = new Map();
  for (const [m, per] of models) out.set(m, per.slice(from));
  return { days: days.slice(from), models: out };
}
