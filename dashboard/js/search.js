/*
 * search.js - history search as data: the GET /api/search URL for a query
 * and the filters (project, session, event type), a snippet (alternating
 * plain and highlighted text, plain first) as parts to draw, and the words
 * for a hit's field.  Pure.
 */

export const SEARCH_LIMIT = 50;

/* The URL for query q with filters {projects, sessions, types} (Sets or
 * arrays) and the cursor `before` (null: the newest page). */
export function searchUrl(q, filters, before, limit) {
  const p = new URLSearchParams();
  p.set('q', q);
  const list = (k, v) => { const a = v ? [...v] : []; if (a.length) p.set(k, a.join(',')); };
  if (filters) {
    list('project', filters.projects);
    list('session_id', filters.sessions);
    list('event_type', filters.types);
  }
  p.set('limit', String(limit || SEARCH_LIMIT));
  if (before !== null && before !== undefined) p.set('before', String(before));
  return '/api/search?' + p.toString();
}

/* [{text, hit}] from a snippet array: even indexes plain, odd highlighted.
 * Anything not an array of strings yields no parts (the caller shows none). */
export function snippetParts(snippet) {
  if (!Array.isArray(snippet)) return [];
  const out = [];
  snippet.forEach((t, i) => { if (typeof t === 'string' && t !== '') out.push({ text: t, hit: i % 2 === 1 }); });
  return out;
}

const FIELD = Object.freeze({ prompt: 'prompt', command: 'command', file_path: 'file', tool_output: 'tool output',
  error: 'error', reply: "Claude's reply", other: 'text' });

/* What matched, in words: "command of Bash", "Claude's reply". */
export function hitWhat(r) {
  const f = FIELD[r.field] || r.field || 'text';
  if (r.kind === 'reply') return FIELD.reply;
  return f + (r.tool_name ? ' · ' + r.tool_name : '') + (r.event_type ? ' · ' + r.event_type : '');
}

/* Whether a query is worth sending (not blank). */
export function searchable(q) { return typeof q === 'string' && q.trim().length > 0; }
