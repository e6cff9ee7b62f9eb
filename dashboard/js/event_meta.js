/*
 * event_meta.js - what each hook event type is: how the page draws it (icon,
 * colour: presentation, kept here) and what it means (flags: semantics, owned
 * by the server's C table and served at GET /api/meta).
 *
 * Every place that asks "is this a tool call's end? an error? a turn's end?"
 * reads a set derived from flags (buildMeta), never a list of type names, so
 * a new event type the server learns about is understood without touching
 * the page.  Until /api/meta answers, FALLBACK_EVENT_TYPES is the table.
 * Pure: no DOM, no state.
 */

/* The flag names the server uses (and nothing else is accepted). */
export const FLAGS = Object.freeze(['tool_start', 'tool_end', 'tool_failure', 'tool_denied', 'prompt',
  'turn_end', 'turn_failed', 'session_start', 'session_end', 'subagent_start', 'subagent_stop',
  'awaiting_input', 'error', 'compact', 'notification']);

/* The server's table, as GET /api/meta sends it, for servers without it.
 * Notification has no awaiting_input: only some notification_types wait for
 * the user, and the collector decides that from the payload. */
export const FALLBACK_EVENT_TYPES = Object.freeze([
  { name: 'SessionStart', flags: ['session_start'] },
  { name: 'SessionEnd', flags: ['session_end'] },
  { name: 'UserPromptSubmit', flags: ['prompt'] },
  { name: 'UserPromptExpansion', flags: [] },
  { name: 'PreToolUse', flags: ['tool_start'] },
  { name: 'PermissionRequest', flags: ['awaiting_input'] },
  { name: 'PermissionDenied', flags: ['tool_end', 'tool_denied'] },
  { name: 'PostToolUse', flags: ['tool_end'] },
  { name: 'PostToolUseFailure', flags: ['tool_end', 'tool_failure', 'error'] },
  { name: 'Notification', flags: ['notification'] },
  { name: 'Stop', flags: ['turn_end', 'awaiting_input'] },
  { name: 'StopFailure', flags: ['turn_end', 'turn_failed', 'error', 'awaiting_input'] },
  { name: 'SubagentStart', flags: ['subagent_start'] },
  { name: 'SubagentStop', flags: ['subagent_stop'] },
  { name: 'PreCompact', flags: ['compact'] },
  { name: 'PostCompact', flags: ['compact'] },
  { name: 'Elicitation', flags: ['awaiting_input'] },
]);

// Symbols present in common fonts (DejaVu Sans ships with most Linux
// desktops): no emoji, which headless and minimal systems lack.
const ICON = Object.freeze({
  SessionStart: '▶', SessionEnd: '■', UserPromptSubmit: '✎', UserPromptExpansion: '✎',
  PreToolUse: '⚙', PostToolUse: '✓', PostToolUseFailure: '✗', PermissionRequest: '⚑',
  PermissionDenied: '⊘', Notification: '✉', Elicitation: '?', Stop: '●', StopFailure: '⚠',
  SubagentStart: '↘', SubagentStop: '↗', PreCompact: '⇲', PostCompact: '⇱',
});
const COLOR = Object.freeze({
  SessionStart: '#79c0ff', SessionEnd: '#388bfd', UserPromptSubmit: '#d2a8ff',
  UserPromptExpansion: '#bc8cff', PreToolUse: '#7ee787', PostToolUse: '#2ea043',
  PostToolUseFailure: '#ff7b72', StopFailure: '#f85149', PermissionDenied: '#da3633',
  Notification: '#f5b942', PermissionRequest: '#d29922', Elicitation: '#e3b341',
  Stop: '#ffa657', SubagentStop: '#f0883e', SubagentStart: '#ff9bce',
  PreCompact: '#a5d6ff', PostCompact: '#79c0ff',
});
const OTHER_COLOR = '#8b949e';

/* The types the page has a look for: the Types menu lists them from the start. */
export const DRAWN_TYPES = Object.freeze(Object.keys(ICON));

export function iconOf(type) { return ICON[type] || '•'; }
export function colorOf(type) { return COLOR[type] || OTHER_COLOR; }
/* The CSS class that colours a type's name (app.css has one per drawn type). */
export function typeClass(type) { return ICON[type] ? 't-' + type : 't-other'; }

function union(...sets) { const u = new Set(); for (const s of sets) for (const x of s) u.add(x); return u; }
function minus(a, b) { return new Set([...a].filter((x) => !b.has(x))); }

/*
 * The sets the page works with, from a table [{name, flags: [...]}].  Unknown
 * flags are ignored (a newer server may know more).  Frozen: a meta object is
 * replaced whole, never changed.
 */
export function buildMeta(table) {
  const byFlag = {};
  for (const f of FLAGS) byFlag[f] = new Set();
  const flagsOf = new Map();
  for (const t of table) {
    const known = t.flags.filter((f) => byFlag[f] !== undefined);
    flagsOf.set(t.name, new Set(known));
    for (const f of known) byFlag[f].add(t.name);
  }
  return Object.freeze({
    flagsOf,
    byFlag,
    PRE_TYPES: byFlag.tool_start,
    POST_TYPES: byFlag.tool_end,
    // A tool call that ended and did what was asked.
    POST_OK_TYPES: minus(byFlag.tool_end, union(byFlag.tool_failure, byFlag.tool_denied)),
    ERROR_TYPES: byFlag.error,
    PROMPT_TYPES: byFlag.prompt,
    TURN_END_TYPES: byFlag.turn_end,
    // Marked on the session timeline: failures, notifications, and the agent
    // stopping mid-turn for the user (a turn's end is the turn bar's end).
    MARK_TYPES: union(byFlag.error, byFlag.notification, minus(byFlag.awaiting_input, byFlag.turn_end)),
  });
}

export const FALLBACK_META = buildMeta(FALLBACK_EVENT_TYPES);

/*
 * The meta from GET /api/meta's body, or null when it is not of the expected
 * shape (then the caller keeps what it has): {"event_types": [{"name": "...",
 * "flags": ["..."]}, ...], "idle_after_s": N}.
 */
export function metaFromApi(body) {
  if (!body || !Array.isArray(body.event_types) || body.event_types.length === 0) return null;
  for (const t of body.event_types) {
    if (!t || typeof t.name !== 'string' || !t.name || !Array.isArray(t.flags)) return null;
    if (!t.flags.every((f) => typeof f === 'string')) return null;
  }
  return buildMeta(body.event_types);
}
