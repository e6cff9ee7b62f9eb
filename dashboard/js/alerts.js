/*
 * alerts.js - alerts as data (GET /api/alerts, WS "alert" messages): the
 * rule in words, what a browser notification says, which alerts count for
 * the badge (open and not acknowledged) and which deserve a notification.
 * Pure.
 */
import { oneLine } from '/assets/format.js';

export const RULE_LABEL = Object.freeze({
  awaiting: 'Needs you', failed: 'Failed', budget: 'Budget crossed', budget_forecast: 'Budget forecast',
  ended_unexpectedly: 'Ended unexpectedly',
});

export function ruleLabel(rule) { return RULE_LABEL[rule] || String(rule || 'alert'); }

/* Open: neither resolved nor acknowledged (what the badge counts). */
export function isOpen(a) { return !a.resolved_ms && !a.resolved && !a.acknowledged_ms && !a.acknowledged; }

/* Stores alert a (a newer copy replaces the older); returns whether it is new. */
export function upsertAlert(map, a) {
  if (!a || typeof a.id !== 'number') return false;
  const isNew = !map.has(a.id);
  map.set(a.id, Object.assign(map.get(a.id) || {}, a));
  return isNew;
}

export function countOpen(map) {
  let n = 0;
  for (const a of map.values()) if (isOpen(a)) n++;
  return n;
}

/* The alerts newest first, open ones on top. */
export function sortedAlerts(map) {
  return [...map.values()].sort((a, b) => (isOpen(b) - isOpen(a)) || (b.fired_ms || 0) - (a.fired_ms || 0) || b.id - a.id);
}

/* A browser notification for a: {title, body, tag} (tag: one per alert). */
export function notificationOf(a) {
  const who = a.title || a.project || (a.session_id ? String(a.session_id).slice(0, 8) : '') || a.machine || '';
  return {
    title: ruleLabel(a.rule) + (who ? ': ' + oneLine(who) : ''),
    body: oneLine([a.reason, a.detail].filter((x) => typeof x === 'string' && x).join(' · ')),
    tag: 'chronicle-alert-' + a.id,
  };
}

/* Whether a deserves a notification now (open, not shown before). */
export function shouldNotify(a, notified) { return isOpen(a) && !notified.has(a.id); }
