/*
 * board.js - the status board as data: each session's state and the reason
 * in words, the sessions grouped by state (awaiting input first, then
 * failed, working, idle, ended) and then by project, in a stable order
 * (longest in its state first), and the header's counts.
 *
 * The server's session JSON carries "state" (working / idle /
 * awaiting_input / failed / ended), "awaiting_reason", "state_since_ms",
 * "state_detail" and "title" (docs/API.md).  A server from before those
 * fields sends only the stored state (working / awaiting_input / ended):
 * then the reason comes from last_event_type and the order from
 * first_seen_ms, which never changes either.  Only `working` decays to
 * `idle` with the clock; a session waiting for a person stays awaiting
 * however long it waits.  Pure: the clock comes in as `now`.
 */
import { baseName, oneLine } from '/assets/format.js';

export const STATES = Object.freeze(['awaiting_input', 'failed', 'working', 'idle', 'ended']);
export const STATE_LABEL = Object.freeze({
  awaiting_input: 'awaiting input', failed: 'failed', working: 'working', idle: 'idle', ended: 'ended',
});
export const STATE_CLASS = Object.freeze({
  awaiting_input: 'awaiting', failed: 'failed', working: 'working', idle: 'idle', ended: 'ended',
});
const QUIET_SHOWN = 40;   // the idle and ended groups show their newest 40 (the rest: "N more")

/* The session's state now: the server's, with working decayed to idle by the clock. */
export function stateOf(s, now, idleAfterMs) {
  let st = s.state;
  if (!STATES.includes(st)) st = s.status === 'ended' ? 'ended' : s.status === 'awaiting_input' ? 'awaiting_input' : 'working';
  if (st === 'awaiting_input' && s.awaiting_reason === undefined && s.last_event_type === 'StopFailure') st = 'failed';
  if (st === 'working' && s.last_seen_ms !== null && s.last_seen_ms !== undefined && now - s.last_seen_ms > idleAfterMs) st = 'idle';
  return st;
}

/* awaiting_reason, or (older servers) what the last event says. */
export function reasonOf(s) {
  if (s.awaiting_reason !== undefined) return s.awaiting_reason;
  switch (s.last_event_type) {
    case 'Stop': return 'turn_done';
    case 'PermissionRequest': return 'permission';
    case 'Elicitation': return 'elicitation';
    default: return null;   // a Notification: which kind, only the newer server says
  }
}

/* When the current state began (ms): state_since_ms, else the stable first_seen_ms. */
export function sinceOf(s) {
  if (typeof s.state_since_ms === 'number') return s.state_since_ms;
  return s.first_seen_ms || 0;
}

function words(code) { return String(code).replace(/_/g, ' '); }

/* "Permission: Bash `rm -rf build`", "Finished its turn", "Failed: rate limit"... */
export function reasonText(s, state) {
  const d = s.state_detail && typeof s.state_detail === 'object' ? s.state_detail : {};
  switch (state) {
    case 'awaiting_input':
      switch (reasonOf(s)) {
        case 'permission': {
          if (d.tool_name) return oneLine('Permission: ' + d.tool_name + (d.tool_input ? ' `' + d.tool_input + '`' : ''));
          return oneLine('Permission' + (d.message ? ': ' + d.message : ' asked'));
        }
        case 'turn_done': return 'Finished its turn';
        case 'idle_prompt': return 'Idle prompt';
        case 'elicitation': return oneLine('Asking a question' + (d.message ? ': ' + d.message : ''));
        default: return 'Awaiting input';
      }
    case 'failed': return oneLine('Failed: ' + (d.error ? words(d.error) : 'the turn stopped on an error'));
    case 'working': return 'Working';
    case 'idle': return 'No activity';
    case 'ended': return s.end_reason ? 'Ended: ' + words(s.end_reason) : 'Ended';
    default: return '';
  }
}

/* The title to show for a session (the id when it has none). */
export function titleOf(s, sid) {
  if (s && typeof s.title === 'string' && s.title.trim()) return oneLine(s.title);
  const id = s ? s.session_id : sid;
  return id ? String(id).slice(0, 8) : '—';
}

/* A session's project key and its short name. */
export function projectOf(s) { return s.project || s.cwd || ''; }
export function projectName(p) { return p ? baseName(p) : '(no project)'; }

/*
 * The board: [{state, label, count, projects: [{project, name, sessions}],
 * hidden}] in STATES order (empty states left out), projects by name,
 * sessions longest in their state first (ended: newest first, at most
 * QUIET_SHOWN, `hidden` counts the rest; idle likewise, by last activity).  projects: a Set of project keys
 * to keep (empty: all).  Also counts {state: n} over all sessions.
 */
export function buildBoard(sessions, now, idleAfterMs, projects) {
  const by = new Map(STATES.map((st) => [st, []]));
  const counts = Object.fromEntries(STATES.map((st) => [st, 0]));
  for (const s of sessions) {
    if (projects && projects.size && !projects.has(projectOf(s))) continue;
    const st = stateOf(s, now, idleAfterMs);
    counts[st]++;
    by.get(st).push(s);
  }
  const groups = [];
  for (const st of STATES) {
    let list = by.get(st);
    if (!list.length) continue;
    // Ties (same instant) by id: the order never depends on arrival order.
    const tie = (a, b) => (a.session_id < b.session_id ? -1 : a.session_id > b.session_id ? 1 : 0);
    // Waiting and working: longest first.  Idle and ended pile up over
    // days: the newest first, and only so many.
    const quiet = st === 'idle' || st === 'ended';
    const at = (s) => (st === 'idle' && s.last_seen_ms ? s.last_seen_ms : sinceOf(s));
    if (quiet) list.sort((a, b) => at(b) - at(a) || tie(a, b));
    else list.sort((a, b) => sinceOf(a) - sinceOf(b) || tie(a, b));
    let hidden = 0;
    if (quiet && list.length > QUIET_SHOWN) { hidden = list.length - QUIET_SHOWN; list = list.slice(0, QUIET_SHOWN); }
    const pm = new Map();
    for (const s of list) {
      const p = projectOf(s);
      if (!pm.has(p)) pm.set(p, []);
      pm.get(p).push(s);
    }
    const projs = [...pm.entries()].map(([project, ss]) => ({ project, name: projectName(project), sessions: ss }));
    projs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.project < b.project ? -1 : a.project > b.project ? 1 : 0));
    groups.push({ state: st, label: STATE_LABEL[st], count: by.get(st).length, projects: projs, hidden });
  }
  return { groups, counts };
}

/* The tab's title: awaiting sessions and unacknowledged alerts first. */
export function tabTitle(awaiting, alerts) {
  const parts = [];
  if (awaiting) parts.push(awaiting + ' awaiting');
  if (alerts) parts.push(alerts + (alerts === 1 ? ' alert' : ' alerts'));
  return (parts.length ? '(' + parts.join(' · ') + ') ' : '') + 'Chronicle';
}
