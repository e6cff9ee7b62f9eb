/*
 * alerts_view.js - the Alerts menu in the header (shown only where the
 * server has GET /api/alerts): the list with Acknowledge (POST
 * /api/alerts/{id}/ack, with the X-Chronicle-Request header the server
 * requires), the count of open alerts as a badge (and in the tab title),
 * and browser notifications: permission is asked only when the person
 * clicks "Enable notifications", never on load; then each new alert (a WS
 * "alert" message) shows one notification.
 */
import { alertPlace, alertText, countOpen, isOpen, notificationOf, ruleLabel, shouldNotify, sortedAlerts, upsertAlert } from '/assets/alerts.js';
import { $, closeMenus, el, toast } from '/assets/dom.js';
import { fmtFeedTime } from '/assets/format.js';
import { api, apiPost } from '/assets/live.js';
import { S } from '/assets/model.js';
import { openSession } from '/assets/session_view.js';
import { updateTitle } from '/assets/sidebar.js';

const LIST_MAX = 100;

function notifySupported() { return typeof window.Notification === 'function'; }

/* GET /api/alerts: false when the server has none (404). */
export async function loadAlerts() {
  let j;
  try { j = await api('/api/alerts?limit=' + LIST_MAX); } catch (e) {
    if (e.status === 404) { S.features.alerts = false; $('dd-alerts').hidden = true; return false; }
    console.warn('alerts:', e.message);
    return false;
  }
  S.features.alerts = true;
  $('dd-alerts').hidden = false;
  for (const a of j.alerts || []) { upsertAlert(S.alerts, a); S.notified.add(a.id); } // already there: no notification
  drawAlerts();
  return true;
}

/* A WS "alert" message: an alert fired, resolved or was acknowledged. */
export function alertMessage(a) {
  if (S.features.alerts !== true) { S.features.alerts = true; $('dd-alerts').hidden = false; }
  upsertAlert(S.alerts, a);
  const stored = S.alerts.get(a.id);
  if (shouldNotify(stored, S.notified)) {
    S.notified.add(stored.id);
    if (notifySupported() && window.Notification.permission === 'granted') {
      const n = notificationOf(stored);
      try {
        const note = new window.Notification(n.title, { body: n.body, tag: n.tag });
        note.onclick = () => { window.focus(); if (stored.session_id) openSession(stored.session_id); };
      } catch (e) { console.warn('notification:', e.message); }
    }
  }
  drawAlerts();
}

function drawAlert(a) {
  const d = el('div', 'alert' + (isOpen(a) ? ' open' : '') + (a.acknowledged_ms ? ' acked' : ''));
  d.dataset.id = String(a.id);
  const h = d.appendChild(el('div', 'alert-head'));
  h.appendChild(el('span', 'alert-rule', ruleLabel(a.rule)));
  h.appendChild(el('span', null, a.title || a.project || a.machine || ''));
  if (alertPlace(a)) h.appendChild(el('span', 'muted', alertPlace(a)));
  h.appendChild(el('span', 'spacer'));
  h.appendChild(el('span', 'muted', fmtFeedTime(a.fired_ms, Date.now())));
  d.appendChild(el('div', 'alert-text', alertText(a)));
  const state = a.acknowledged_ms ? 'acknowledged ' + fmtFeedTime(a.acknowledged_ms, Date.now())
    : a.resolved_ms ? 'resolved ' + fmtFeedTime(a.resolved_ms, Date.now()) : 'open';
  const f = d.appendChild(el('div', 'alert-head muted'));
  f.appendChild(el('span', null, state));
  const deliv = (a.deliveries || []).map((x) => x.target + (x.delivered ? ' ✓' : x.last_error ? ' ✗ ' + x.last_error : ' …'));
  if (deliv.length) f.appendChild(el('span', null, deliv.join(', ')));
  f.appendChild(el('span', 'spacer'));
  if (a.session_id) {
    const o = f.appendChild(el('button', 'btn btn-small', 'Session'));
    o.addEventListener('click', () => { closeMenus(); openSession(a.session_id); });
  }
  if (!a.acknowledged_ms) {
    const b = f.appendChild(el('button', 'btn btn-small alert-ack', 'Acknowledge'));
    b.addEventListener('click', async (e) => {
      e.stopPropagation();
      try {
        const r = await apiPost('/api/alerts/' + a.id + '/ack');
        a.acknowledged = r.acknowledged;
        a.acknowledged_ms = r.acknowledged_ms || Date.now();
        drawAlerts();
      } catch (err) { toast('acknowledge: ' + err.message); }
    });
  }
  return d;
}

export function drawAlerts() {
  const list = sortedAlerts(S.alerts);
  const frag = document.createDocumentFragment();
  for (const a of list.slice(0, LIST_MAX)) frag.appendChild(drawAlert(a));
  if (!list.length) frag.appendChild(el('div', 'muted alert', 'No alerts.'));
  $('alerts-list').replaceChildren(frag);
  S.alertsUnacked = countOpen(S.alerts);
  $('alerts-badge').textContent = String(S.alertsUnacked);
  $('alerts-badge').hidden = S.alertsUnacked === 0;
  $('alerts-summary').textContent = S.alertsUnacked + ' open';
  $('btn-notify').hidden = !notifySupported() || window.Notification.permission !== 'default';
  updateTitle();
}

export function wireAlerts() {
  $('btn-alerts').addEventListener('click', (e) => {
    e.stopPropagation();
    const p = $('alerts-panel');
    const show = p.hidden;
    closeMenus();
    p.hidden = !show;
  });
  $('alerts-panel').addEventListener('click', (e) => e.stopPropagation());
  // Asked on this click only: a page must never ask on load.
  $('btn-notify').addEventListener('click', async () => {
    if (!notifySupported()) return;
    try {
      const r = await window.Notification.requestPermission();
      toast(r === 'granted' ? 'notifications on' : 'notifications ' + r);
    } catch (e) { toast('notifications: ' + e.message); }
    drawAlerts();
  });
}
