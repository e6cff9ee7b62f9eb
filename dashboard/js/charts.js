/*
 * charts.js - the charts panel, drawn with Chart.js (Debian's UMD build,
 * loaded before the modules as window.Chart): the spend overview (GET
 * /api/cost when served: today / 7 d / 30 d, by project and by model, the
 * budget), events per 10 s by type (from the events in memory), tool calls
 * with p50/p95 and errors per minute (from /api/stats), cost per day by
 * model (from /api/usage, with the daily budget as a line).  The numbers
 * come from series.js.
 */
import { projectName } from '/assets/board.js';
import { $, el } from '/assets/dom.js';
import { renderFeed } from '/assets/feed.js';
import { rangeBounds } from '/assets/filter.js';
import { fmtTime, fmtUsd } from '/assets/format.js';
import { api } from '/assets/live.js';
import { S } from '/assets/model.js';
import { costByDayModel, errorCounts, rateByType, statsWindowS, topTools, trimDays } from '/assets/series.js';

// Categorical colours far apart in hue (Tableau 10, brightened for the dark
// background): neighbours in a stack never look alike.
const MODEL_COLORS = Object.freeze(['#76b7ff', '#ff9f40', '#6ad06a', '#ff6b6e', '#c59bff', '#e0c050', '#4fd1c5', '#ff8fc8', '#b0a090', '#a0a0ff']);
const TYPE_COLORS = Object.freeze({
  SessionStart: '#4e79a7', SessionEnd: '#1f5f9f', UserPromptSubmit: '#c59bff', UserPromptExpansion: '#8f6bd0',
  PreToolUse: '#59a14f', PostToolUse: '#8cd17d', PostToolUseFailure: '#e15759', PermissionDenied: '#b82e2e',
  PermissionRequest: '#edc948', Notification: '#f28e2b', Elicitation: '#ffbe7d', Stop: '#ff9da7', StopFailure: '#d62728',
  SubagentStart: '#76b7b2', SubagentStop: '#4fd1c5', PreCompact: '#9c755f', PostCompact: '#bab0ac',
});
const COST_DAYS = 30;
const COST_MIN_DAYS = 7;
const legend = (position) => ({ position: position || 'bottom', labels: { font: { size: 11 }, boxWidth: 10, boxHeight: 10, padding: 6 } });
const xTicks = () => ({ maxTicksLimit: 6, maxRotation: 0 });

function initCharts() {
  if (S.charts || typeof window.Chart !== 'function') return;
  const Chart = window.Chart;
  Chart.defaults.color = '#c9d1d9';
  Chart.defaults.borderColor = '#2a303b';
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.labels.boxWidth = 10;
  Chart.defaults.font.size = 12;
  const bars = (datasets, options) => ({ type: 'bar', data: { labels: [], datasets }, options });
  S.charts = {
    rate: new Chart($('chart-rate'), bars([], {
      scales: { x: { stacked: true, ticks: xTicks() }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: legend('right') } })),
    tools: new Chart($('chart-tools'), bars([], {
      scales: { y: { beginAtZero: true, position: 'left', ticks: { precision: 0 }, title: { display: true, text: 'calls' } },
        ms: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: 'ms' } } },
      plugins: { legend: legend() } })),
    cost: new Chart($('chart-cost'), bars([], {
      scales: { x: { stacked: true, ticks: xTicks() }, y: { stacked: true, beginAtZero: true, ticks: { callback: (v) => '$' + v } } },
      plugins: { legend: legend('right') } })),
    errors: new Chart($('chart-errors'), bars([{ label: 'errors', data: [], backgroundColor: '#ff7b72' }], {
      scales: { x: { ticks: xTicks() }, y: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { display: false } } })),
  };
}

/* Events per 10 s over the last 10 minutes, by type, from the events in
 * memory (live: no request). */
export function updateRateChart() {
  const ch = S.charts.rate;
  const { start, n, counts } = rateByType(S.events, Date.now());
  ch.data.labels = Array.from({ length: n }, (_, i) => fmtTime(start + i * 10000).slice(0, 8));
  ch.data.datasets = [...counts.keys()].sort().map((t) => ({ label: t, data: counts.get(t), backgroundColor: TYPE_COLORS[t] || '#bab0ac', stack: 's' }));
  ch.update('none');
}

export async function updateServerCharts() {
  const [from] = rangeBounds(S.filters, Date.now());
  try {
    const st = await api('/api/stats?window=' + statsWindowS(from, Date.now()) + 's');
    const names = topTools(st.tools, 15);
    const ch = S.charts.tools;
    ch.data.labels = names;
    ch.data.datasets = [
      { label: 'calls', data: names.map((n) => st.tools[n].calls), backgroundColor: '#76b7ff', yAxisID: 'y' },
      { label: 'p50 ms', data: names.map((n) => st.tools[n].p50_ms), backgroundColor: '#6ad06a', yAxisID: 'ms' },
      { label: 'p95 ms', data: names.map((n) => st.tools[n].p95_ms), backgroundColor: '#ff9f40', yAxisID: 'ms' },
    ];
    ch.update('none');
    const er = await api('/api/stats?window=1h&bucket=60s');
    const ech = S.charts.errors;
    ech.data.labels = er.timeline.buckets.map((b) => fmtTime(b.t_ms).slice(0, 5));
    ech.data.datasets[0].data = errorCounts(er.timeline.buckets, S.meta.ERROR_TYPES);
    ech.update('none');
    await updateCostChart();
  } catch (e) { console.warn('charts:', e.message); }
}

/* Dollars per day stacked by model, from /api/usage (tokens read from the
 * transcripts, priced by the server; unpriced models are left out). */
async function updateCostChart() {
  const now = Date.now();
  const u = await api('/api/usage?since=' + (now - COST_DAYS * 86400000));
  const { days, models } = trimDays(costByDayModel(u.by_day_model, now, COST_DAYS), COST_MIN_DAYS);
  const ch = S.charts.cost;
  ch.data.labels = days.map((d) => d.slice(5));
  ch.data.datasets = [...models.keys()].sort().map((m, i) => ({ label: m.replace(/^claude-/, ''), data: models.get(m), backgroundColor: MODEL_COLORS[i % MODEL_COLORS.length], stack: 's' }));
  const budget = S.cost && S.cost.budget && S.cost.budget.daily_usd;
  if (typeof budget === 'number' && budget > 0) {
    ch.data.datasets.push({ type: 'line', label: 'daily budget', data: days.map(() => budget), borderColor: '#ff6b6e', borderDash: [6, 4],
      borderWidth: 2, pointRadius: 0, fill: false, stack: 'budget' });
  }
  $('chart-cost-title').textContent = 'Cost per day by model, last ' + days.length + ' days (USD, UTC days)' + (budget ? ' · budget $' + budget + '/day' : '');
  ch.update('none');
}

/* The header's spend today and the panel's overview, from S.cost (GET
 * /api/cost); hidden where the server has no such endpoint. */
export function drawSpend() {
  const c = S.cost;
  const on = S.features.cost === true && c !== null;
  $('stat-spend-box').hidden = !on;
  $('cost-box').hidden = !on;
  if (!on) return;
  const usd = (x) => (typeof x === 'number' ? fmtUsd(x, 2, 2) : '—');
  const b = c.budget || {};
  $('stat-spend').textContent = usd(c.today && c.today.cost_usd);
  $('stat-spend-box').classList.toggle('over-budget', typeof b.daily_usd === 'number' && c.today && c.today.cost_usd > b.daily_usd);
  const frag = document.createDocumentFragment();
  const grid = frag.appendChild(el('div', 'cost-grid'));
  const tot = grid.appendChild(el('div', 'cost-totals'));
  for (const [label, p] of [['today', c.today], ['last 7 days', c.last_7d], ['last 30 days', c.last_30d]]) {
    const f = tot.appendChild(el('div', 'stat'));
    f.appendChild(el('span', 'stat-label', label));
    f.appendChild(el('span', 'stat-value', usd(p && p.cost_usd)));
    if (p && p.unpriced_tokens) f.appendChild(el('span', 'muted', '+ ' + p.unpriced_tokens.toLocaleString() + ' unpriced tokens'));
  }
  if (typeof b.daily_usd === 'number' || typeof b.monthly_usd === 'number') {
    const f = tot.appendChild(el('div', 'stat'));
    f.appendChild(el('span', 'stat-label', 'budget'));
    const parts = [];
    if (typeof b.daily_usd === 'number') parts.push(usd(b.daily_usd) + '/day');
    if (typeof b.monthly_usd === 'number') parts.push(usd(b.month_to_date_usd) + ' of ' + usd(b.monthly_usd) + ' this month');
    f.appendChild(el('span', 'stat-value budget-value', parts.join(' · ')));
  }
  const table = (title, rows, key, name) => {
    if (!rows || !rows.length) { grid.appendChild(el('div', 'muted', 'no priced usage by ' + title + ' yet')); return; }
    const t = grid.appendChild(el('table', 'tbl'));
    const hr = t.appendChild(el('tr'));
    for (const h of [title, 'today', '7 d', '30 d']) hr.appendChild(el('th', h === title ? null : 'num', h));
    for (const r of (rows || []).slice().sort((x, y) => (y.last_30d_usd || 0) - (x.last_30d_usd || 0)).slice(0, 12)) {
      const tr = t.appendChild(el('tr'));
      tr.appendChild(el('td', null, name(r[key]))).title = r[key] || '';
      for (const k of ['today_usd', 'last_7d_usd', 'last_30d_usd']) tr.appendChild(el('td', 'num', usd(r[k])));
    }
  };
  table('project', c.by_project, 'project', (p) => projectName(p));
  table('model', c.by_model, 'model', (m) => String(m || '(unknown)').replace(/^claude-/, ''));
  $('cost-overview').replaceChildren(frag);
}

export function setCharts(on) {
  S.chartsOn = on;
  $('charts').hidden = !on;
  $('btn-charts').setAttribute('aria-pressed', String(on));
  localStorage.setItem('chronicle.charts', on ? '1' : '0');
  if (on) { initCharts(); drawSpend(); if (S.charts) { updateRateChart(); updateServerCharts(); } }
  renderFeed();
}

/* The panel is shown and its charts exist: redraws are due (main.js's timers). */
export function chartsShown() { return S.chartsOn && S.charts !== null; }
