/*
 * header.js - the top bar: connection state and latency, events per minute,
 * the sparkline of the last 10 minutes, total events.  (Active and awaiting
 * counts come with the sidebar, which computes them.)
 */
import { $ } from '/assets/dom.js';
import { fmtNum } from '/assets/format.js';
import { S } from '/assets/model.js';
import { arrivalRates } from '/assets/series.js';

/* state: connecting / live / reconnecting. */
export function showConn(state) {
  S.wsState = state;
  $('conn').className = 'conn conn-' + state;
  $('conn-text').textContent = state;
  $('conn-latency').textContent = state === 'live' && S.latency !== null ? S.latency.toFixed(0) + ' ms' : '';
}

export function updateHeader() {
  const { perMin, buckets } = arrivalRates(S.ringSec, S.ringCnt, Date.now());
  $('stat-rate').textContent = fmtNum(perMin);
  $('stat-total').textContent = fmtNum(Math.max(S.total, S.events.length));
  drawSparkline(buckets);
}

/* 60 points on a 120x28 canvas: too small a thing for a chart library. */
function drawSparkline(b) {
  const c = $('sparkline'), dpr = window.devicePixelRatio || 1;
  const w = 120, h = 28;
  if (c.width !== w * dpr) { c.width = w * dpr; c.height = h * dpr; }
  const g = c.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const max = Math.max(1, ...b);
  g.beginPath();
  b.forEach((v, i) => { const x = i * (w / (b.length - 1)), y = h - 2 - (v / max) * (h - 4); if (i) g.lineTo(x, y); else g.moveTo(x, y); });
  g.strokeStyle = '#6cb6ff';
  g.lineWidth = 1.5;
  g.stroke();
  g.lineTo(w, h); g.lineTo(0, h); g.closePath();
  g.fillStyle = '#6cb6ff22';
  g.fill();
}
