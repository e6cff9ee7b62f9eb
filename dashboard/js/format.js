/*
 * format.js - text for people: times in the viewer's local zone, durations,
 * counts, money, sizes, ids and paths, and the one-line summary of an event's
 * payload.  Pure: no DOM, no state (the clock only where a function says so).
 */

export const SUMMARY_MAX = 300;

export function pad(n, w) { return String(n).padStart(w || 2, '0'); }

/* HH:MM:SS.mmm in the viewer's local time zone (Date's getters are local). */
export function fmtTime(ms) {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
}

export function fmtDateTime(ms) {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + fmtTime(ms);
}

/* The feed's time: HH:MM:SS.mmm today, else the date too (MM-DD HH:MM:SS). */
export function fmtFeedTime(ms, now) {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms), n = new Date(now === undefined ? Date.now() : now);
  if (d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate()) return fmtTime(ms);
  const t = fmtTime(ms).slice(0, 8);
  return (d.getFullYear() === n.getFullYear() ? '' : d.getFullYear() + '-') + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + t;
}

/* A waiting time that ticks: 45s, 11m 03s, 2h 05m, 3d 4h. */
export function fmtWait(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm ' + pad(s % 60) + 's';
  if (s < 86400) return Math.floor(s / 3600) + 'h ' + pad(Math.floor(s / 60) % 60) + 'm';
  return Math.floor(s / 86400) + 'd ' + (Math.floor(s / 3600) % 24) + 'h';
}

/* A size in KB or MB for marks like "truncated (12 KB)". */
export function fmtSize(n) {
  n = Number(n || 0);
  if (n < 1024) return n + ' B';
  if (n < 1048576) return (n / 1024).toFixed(n < 10240 ? 1 : 0) + ' KB';
  return (n / 1048576).toFixed(1) + ' MB';
}

/* A subagent's short name in the feed: its type and the first 6 characters
 * of its id (parallel subagents of one type stay apart). */
export function agentLabel(agentType, agentId) {
  const id = agentId ? String(agentId).replace(/^agent-/, '').slice(0, 6) : '';
  return (agentType || 'agent') + (id ? '·' + id : '');
}

/* One of n colour slots for an agent id (the same id, the same colour). */
export function agentSlot(agentId, n) {
  let h = 0;
  const s = String(agentId || '');
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
  return h % n;
}

export function fmtDur(ms) {
  if (ms === null || ms === undefined) return '';
  if (ms < 1000) return Math.round(ms) + ' ms';
  if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
  const m = Math.floor(ms / 60000);
  return m + ' m ' + Math.round((ms % 60000) / 1000) + ' s';
}

/* How long before now (the clock, unless given). */
export function fmtAgo(ms, now) {
  const s = Math.max(0, Math.round(((now === undefined ? Date.now() : now) - ms) / 1000));
  if (s < 60) return s + 's ago';
  if (s < 3600) return Math.floor(s / 60) + 'm ago';
  if (s < 86400) return Math.floor(s / 3600) + 'h ago';
  return Math.floor(s / 86400) + 'd ago';
}

export function fmtNum(n) { return Number(n || 0).toLocaleString(); }

/* US dollars: `small` decimals under a dollar (cents hide most of a
 * session's cost), `large` from a dollar on. */
export function fmtUsd(usd, small, large) { return '$' + Number(usd).toFixed(usd < 1 ? small : large); }

export function fmtBytes(n) { return fmtNum(n) + ' bytes'; }

/* A value for a <input type="datetime-local"> (local time, to the second). */
export function toLocalInput(ms) {
  if (ms === null) return '';
  const d = new Date(ms);
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' +
    pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
}

/* The instant a datetime-local value names (local time), or null. */
export function fromLocalInput(v) {
  const t = v ? new Date(v).getTime() : NaN;
  return isNaN(t) ? null : t;
}

export function shortId(s) { return s ? String(s).slice(0, 8) : '—'; }

export function baseName(p) {
  if (!p) return '(no project)';
  const parts = String(p).replace(/\/+$/, '').split('/');
  return parts[parts.length - 1] || p;
}

export function oneLine(s) {
  s = String(s).replace(/\s+/g, ' ').trim();
  return s.length > SUMMARY_MAX ? s.slice(0, SUMMARY_MAX - 1) + '…' : s;
}

/* All the tokens of a usage row (api: /api/sessions/{id} "usage"). */
export function usageTokens(u) {
  return (u.input_tokens || 0) + (u.output_tokens || 0) + (u.cache_creation_input_tokens || 0) + (u.cache_read_input_tokens || 0);
}

export function usageText(u) {
  if (!u) return '';
  return fmtNum(usageTokens(u)) + ' tokens' + (u.cost_usd === null || u.cost_usd === undefined ? '' : ' · $' + Number(u.cost_usd).toFixed(4));
}

/* What a tool was asked to do, in one line: the command, the file, the
 * pattern..., else the first string argument, else the JSON. */
export function toolSummary(tool, ti) {
  if (typeof ti.command === 'string') return oneLine('$ ' + ti.command);
  if (typeof ti.file_path === 'string') return oneLine(ti.file_path);
  if (typeof ti.notebook_path === 'string') return oneLine(ti.notebook_path);
  if (typeof ti.pattern === 'string') return oneLine(ti.pattern + (ti.path ? '  in ' + ti.path : ''));
  if (typeof ti.url === 'string') return oneLine(ti.url);
  if (typeof ti.query === 'string') return oneLine(ti.query);
  if (typeof ti.description === 'string') return oneLine(ti.description);
  if (typeof ti.prompt === 'string') return oneLine(ti.prompt);
  for (const k of Object.keys(ti)) if (typeof ti[k] === 'string') return oneLine(k + ': ' + ti[k]);
  try { return oneLine(JSON.stringify(ti)); } catch (e) { return ''; }
}

/*
 * The one-line summary of an event (API shape: type, tool_name, flags,
 * raw_size) from its payload p.  The fields read depend on the payload's
 * shape for that hook, so this goes by type name.
 */
export function summarize(ev, p) {
  if (!p || typeof p !== 'object') return ev.flags && ev.flags.invalid ? '(invalid payload, ' + (ev.raw_size || 0) + ' bytes)' : '';
  const ti = p.tool_input && typeof p.tool_input === 'object' ? p.tool_input : null;
  switch (ev.type) {
    case 'UserPromptSubmit': case 'UserPromptExpansion':
      return p.prompt !== undefined ? oneLine(p.prompt) : '';
    case 'Notification':
      return oneLine((p.title && p.title !== p.message ? p.title + ': ' : '') + (p.message || p.notification_type || ''));
    case 'PostToolUseFailure':
      return oneLine((p.error || 'failed') + (ti ? '  ← ' + toolSummary(ev.tool_name, ti) : ''));
    case 'StopFailure':
      return oneLine((p.error || 'stop failed') + (p.error_details ? ': ' + p.error_details : ''));
    case 'Stop': case 'SubagentStop':
      return p.last_assistant_message ? oneLine(p.last_assistant_message) : (p.agent_type || '');
    case 'SessionStart':
      return oneLine([p.source, p.model].filter(Boolean).join(' · '));
    case 'SessionEnd':
      return oneLine(p.reason || '');
    case 'SubagentStart':
      return oneLine(p.agent_type || p.agent_id || '');
    case 'PreCompact': case 'PostCompact':
      return oneLine(p.trigger || p.custom_instructions || '');
    default:
      if (ti) return toolSummary(ev.tool_name, ti);
      for (const k of ['message', 'prompt', 'reason', 'error', 'description', 'cwd']) {
        if (typeof p[k] === 'string') return oneLine(p[k]);
      }
      return '';
  }
}
