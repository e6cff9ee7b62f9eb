/*
 * filter.js - which events the feed shows: the filters' time bounds, the
 * match function, the folding of a tool call's end into its start's row, and
 * the filters as URL query (so a view can be shared and reloaded).  Pure: the
 * clock only where a function takes `now`.
 */

export const RANGES = Object.freeze(['5m', '1h', 'today', 'custom']);

/* The filters the page starts with (state.filters has this shape). */
export function emptyFilters() {
  return { types: new Set(), tools: new Set(), sessions: new Set(), projects: new Set(), q: '', range: '', from: null, to: null };
}

export function clearFilters(f) {
  f.types.clear(); f.tools.clear(); f.sessions.clear(); f.projects.clear(); f.q = ''; f.range = ''; f.from = null; f.to = null;
}

/* [from, to] in ms (either null: unbounded) of the time-range filter. */
export function rangeBounds(f, now) {
  switch (f.range) {
    case '5m': return [now - 5 * 60000, null];
    case '1h': return [now - 3600000, null];
    case 'today': { const d = new Date(now); d.setHours(0, 0, 0, 0); return [d.getTime(), null]; }
    case 'custom': return [f.from, f.to];
    default: return [null, null];
  }
}

/* The predicate for filters f; sessions (id -> row) give each event's
 * project (the project filter, the free-text search). */
export function makeMatcher(f, sessions, now) {
  const [from, to] = rangeBounds(f, now);
  const q = f.q.trim().toLowerCase();
  return function (ev) {
    if (f.types.size && !f.types.has(ev.type)) return false;
    if (f.tools.size && !f.tools.has(ev.tool_name)) return false;
    if (f.sessions.size && !f.sessions.has(ev.session_id)) return false;
    if (f.projects.size) {
      const s = sessions.get(ev.session_id);
      if (!f.projects.has(s ? s.project || s.cwd || '' : ev.cwd || '')) return false;
    }
    if (from !== null && (ev.ts_ms === null || ev.ts_ms < from)) return false;
    if (to !== null && (ev.ts_ms === null || ev.ts_ms > to)) return false;
    if (q) {
      const s = sessions.get(ev.session_id);
      const hay = (ev.summary || '') + '\n' + ev.type + '\n' + (ev.tool_name || '') + '\n' + (ev.session_id || '') +
        '\n' + (ev.cwd || '') + '\n' + (s && s.project || '') + '\n' + (ev.agent_type || '');
      if (hay.toLowerCase().indexOf(q) < 0) return false;
    }
    return true;
  };
}

/* A tool call's end joined to a start that is shown is folded into the
 * start's row (meta: event_meta.buildMeta's sets). */
export function joinedAway(ev, match, meta) {
  return ev.pre !== undefined && meta.POST_TYPES.has(ev.type) && match(ev.pre);
}

/* The feed's rows: the events (ascending) that match and are not folded. */
export function buildView(events, match, meta) {
  const v = [];
  for (const ev of events) if (match(ev) && !joinedAway(ev, match, meta)) v.push(ev);
  return v;
}

/* A session clicked in the sidebar: alone (a second click clears it), or
 * added and removed with Ctrl/Cmd (additive). */
export function toggleSession(set, sid, additive) {
  if (additive) { if (set.has(sid)) set.delete(sid); else set.add(sid); }
  else if (set.size === 1 && set.has(sid)) set.clear();
  else { set.clear(); set.add(sid); }
}

/* The URL query ("" or "?...") for filters f and the open session view. */
export function filtersToQuery(f, open) {
  const p = new URLSearchParams();
  if (f.types.size) p.set('type', [...f.types].join(','));
  if (f.tools.size) p.set('tool', [...f.tools].join(','));
  if (f.sessions.size) p.set('session', [...f.sessions].join(','));
  // Project paths may hold commas: one parameter each.
  for (const pr of f.projects) p.append('project', pr);
  if (f.q) p.set('q', f.q);
  if (f.range) p.set('range', f.range);
  if (f.range === 'custom') {
    if (f.from !== null) p.set('from', new Date(f.from).toISOString());
    if (f.to !== null) p.set('to', new Date(f.to).toISOString());
  }
  if (open) p.set('open', open);
  const qs = p.toString();
  return qs ? '?' + qs : '';
}

/* {filters, open} from a URL query; what is not understood is left out. */
export function filtersFromQuery(search) {
  const p = new URLSearchParams(search);
  const list = (k) => (p.get(k) || '').split(',').filter(Boolean);
  const t = (k) => { const v = Date.parse(p.get(k) || ''); return isNaN(v) ? null : v; };
  const filters = {
    types: new Set(list('type')),
    tools: new Set(list('tool')),
    sessions: new Set(list('session')),
    projects: new Set(p.getAll('project')),
    q: p.get('q') || '',
    range: RANGES.includes(p.get('range')) ? p.get('range') : '',
    from: t('from'),
    to: t('to'),
  };
  return { filters, open: p.get('open') };
}
