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

function usd(x) { return typeof x === 'number' ? '$' + x.toFixed(2) : '?'; }

/*
 * What an alert is about, in words, from its reason code and detail object
 * (docs/ALERTS.md): "Permission: Bash `rm -rf build`", "Failed: rate limit",
 * "5 tool errors in 60 s (Bash)", "$12.40 of the $10.00 daily budget".
 */
export function alertText(a) {
  const d = a.detail && typeof a.detail === 'object' ? a.detail : {};
  const r = a.reason;
  switch (r) {
    case 'permission': return oneLine('Permission' + (d.tool_name ? ': ' + d.tool_name + (d.tool_input ? ' `' + d.tool_input + '`' : '') : ' asked'));
    case 'turn_done': return 'Finished its turn';
    case 'idle_prompt': return 'Idle prompt';
    case 'elicitation': return oneLine('Asking a question' + (d.message ? ': ' + d.message : ''));
    case 'stop_failure': return oneLine('Failed: ' + (d.error ? String(d.error).replace(/_/g, ' ') : 'the turn stopped on an error'));
    case 'tool_errors': return (d.errors || '?') + ' tool errors in ' + (d.window_s || '?') + ' s' + (d.tool_name ? ' (' + d.tool_name + ')' : '');
    case 'daily': case 'monthly':
      return usd(d.spent_usd) + ' of the ' + usd(d.budget_usd) + ' ' + r + ' budget' + (a.project ? ' of ' + a.project : '') +
        (typeof d.forecast_usd === 'number' ? ', heading for ' + usd(d.forecast_usd) : '');
    case 'process_gone': return 'Claude Code\'s process is gone, without a SessionEnd';
    default: {
      const rest = typeof a.detail === 'string' ? a.detail : a.detail ? JSON.stringify(a.detail) : '';
      return oneLine([r, rest].filter(Boolean).join(' · '));
    }
  }
}

/* Where the agent runs, for the team server's alerts (they carry host and
 * user): "on laptop-7 (ana)"; '' for a machine's own alerts. */
export function alertPlace(a) {
  if (!a.host) return '';
  return oneLine('on ' + a.host + (a.user ? ' (' + a.user + ')' : ''));
}

/* A browser notification for a: {title, body, tag} (tag: one per alert). */
export function notificationOf(a) {
  const who = a.title || a.project || (a.session_id ? String(a.session_id).slice(0, 8) : '') || a.machine || '';
  const place = alertPlace(a);
  return {
    title: ruleLabel(a.rule) + (who ? ': ' + oneLine(who) : ''),
    body: alertText(a) + (place ? ' · ' + place : ''),
    tag: 'chronicle-alert-' + a.id,
  };
}

/* Whether a deserves a notification now (open, not shown before). */
export function shouldNotify(a, notified) { return isOpen(a) && !notified.has(a.id); }
