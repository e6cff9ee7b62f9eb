/*
 * charts.js - the charts panel, drawn with Chart.js (Debian's UMD build,
 * loaded before the modules as window.Chart): events per 10 s by type (from
 * the events in memory), tool calls with p50/p95 and errors per minute (from
 * /api/stats), cost per day by model (from /api/usage).  The numbers come
 * from series.js.
 */
import { $ } from '/assets/dom.js';
import { colorOf } from '/assets/event_meta.js';
import { renderFeed } from '/assets/feed.js';
import { rangeBounds } from '/assets/filter.js';
import { fmtTime } from '/assets/format.js';
import { api } from '/assets/live.js';
import { S } from '/assets/model.js';
import { costByDayModel, errorCounts, rateByType, statsWindowS, topTools } from '/assets/series.js';

const MODEL_COLORS = Object.freeze(['#a371f7', '#3b82f6', '#56d364', '#f5b942', '#ff7b72', '#39c5cf', '#db61a2', '#8b949e']);
const COST_DAYS = 30;
const legend = () => ({ position: 'bottom', labels: { font: { size: 10 } } });
const xTicks = () => ({ maxTicksLimit: 6, maxRotation: 0 });

function initCharts() {
  if (S.charts || typeof window.Chart !== 'function') return;
  const Chart = window.Chart;
  Chart.defaults.color = '#c9d1d9';
  Chart.defaults.borderColor = '#2a303b';
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.labels.boxWidth = 8;
  Chart.defaults.font.size = 11;
  const bars = (datasets, options) => ({ type: 'bar', data: { labels: [], datasets }, options });
  S.charts = {
    rate: new Chart($('chart-rate'), bars([], {
      scales: { x: { stacked: true, ticks: xTicks() }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: legend() } })),
    tools: new Chart($('chart-tools'), bars([], {
      scales: { y: { beginAtZero: true, position: 'left', ticks: { precision: 0 }, title: { display: true, text: 'calls' } },
        ms: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: 'ms' } } },
      plugins: { legend: legend() } })),
    cost: new Chart($('chart-cost'), bars([], {
      scales: { x: { stacked: true, ticks: xTicks() }, y: { stacked: true, beginAtZero: true } },
      plugins: { legend: legend() } })),
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
  ch.data.datasets = [...counts.keys()].sort().map((t) => ({ label: t, data: counts.get(t), backgroundColor: colorOf(t), stack: 's' }));
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
      { label: 'calls', data: names.map((n) => st.tools[n].calls), backgroundColor: '#3b82f6', yAxisID: 'y' },
      { label: 'p50 ms', data: names.map((n) => st.tools[n].p50_ms), backgroundColor: '#56d364', yAxisID: 'ms' },
      { label: 'p95 ms', data: names.map((n) => st.tools[n].p95_ms), backgroundColor: '#f5b942', yAxisID: 'ms' },
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
  const { days, models } = costByDayModel(u.by_day_model, now, COST_DAYS);
  const ch = S.charts.cost;
  ch.data.labels = days.map((d) => d.slice(5));
  ch.data.datasets = [...models.keys()].sort().map((m, i) => ({ label: m.replace(/^claude-/, ''), data: models.get(m), backgroundColor: MODEL_COLORS[i % MODEL_COLORS.length], stack: 's' }));
  ch.update('none');
}

export function setCharts(on) {
  S.chartsOn = on;
  $('charts').hidden = !on;
  $('btn-charts').setAttribute('aria-pressed', String(on));
  localStorage.setItem('chronicle.charts', on ? '1' : '0');
  if (on) { initCharts(); if (S.charts) { updateRateChart(); updateServerCharts(); } }
  renderFeed();
}

/* The panel is shown and its charts exist: redraws are due (main.js's timers). */
export function chartsShown() { return S.chartsOn && S.charts !== null; }
