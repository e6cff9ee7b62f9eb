/*
 * fixtures.mjs - events for the dashboard's unit tests, built from the real
 * hook payloads in tests/fixtures/hooks/ in the shape the API sends them
 * (/api/events?payload=1: id, type, session_id, tool_name, tool_use_id,
 * agent_id, ts_ms, duration_ms, payload...).
 */
import { readFileSync } from 'node:fs';

const DIR = new URL('../fixtures/hooks/', import.meta.url);

export function payload(name) { return JSON.parse(readFileSync(new URL(name + '.json', DIR), 'utf8')); }

/* The API row for fixture `name` (overrides in extra), as id `id` at ts_ms. */
export function apiEvent(name, id, tsMs, extra) {
  const p = payload(name);
  return Object.assign({
    id, type: p.hook_event_name, session_id: p.session_id, ts_ms: tsMs, stored_ms: tsMs,
    tool_name: p.tool_name || null, tool_use_id: p.tool_use_id || null, agent_id: p.agent_id || null,
    agent_type: p.agent_type || null, prompt_id: p.prompt_id || null, cwd: p.cwd,
    duration_ms: p.duration_ms === undefined ? null : p.duration_ms, flags: {}, payload: p,
  }, extra || {});
}
