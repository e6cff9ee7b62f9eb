/*
 * timeline.js - the session view's timeline as data: tool calls paired from
 * their start and end, turns from a prompt to the turn's end, prompts, marks
 * (failures, notifications, requests for input), and where each goes: lanes
 * (turns, the main agent, one per subagent) holding items with their left
 * and width as percentages of the session's span, and the axis ticks.
 * session_view.js draws it.  Pure: the clock comes in as `now`.
 */
import { fmtDur, fmtTime, shortId, summarize } from '/assets/format.js';

function pctOf(t, t0, span) { return ((t - t0) / span * 100).toFixed(3) + '%'; }
function widthOf(a, b, span) { return (Math.max(0, b - a) / span * 100).toFixed(3) + '%'; }

/*
 * The story of a session from its events (ascending, with payloads): calls
 * [{ev, start, end, status: running/ok/error, lane, text, err}], turns
 * [{start, end, text}], prompts [{ts, id, text}], marks [{ts, err, lane,
 * text}].  lane is the agent_id ('' for the main agent).  Ends still open
 * are left null (sessionTimeline closes them).
 */
export function sessionStory(evs, meta) {
  const pre = new Map(), calls = [], turns = [], prompts = [], marks = [];
  let turn = null;
  for (const ev of evs) {
    const text = summarize(ev, ev.payload);
    if (meta.PRE_TYPES.has(ev.type) && ev.tool_use_id) {
      const call = { ev, start: ev.ts_ms, end: null, status: 'running', lane: ev.agent_id || '', text };
      pre.set(ev.tool_use_id, call);
      calls.push(call);
    } else if (meta.POST_TYPES.has(ev.type) && ev.tool_use_id && pre.has(ev.tool_use_id)) {
      const call = pre.get(ev.tool_use_id);
      call.end = ev.duration_ms !== null && ev.duration_ms !== undefined ? call.start + ev.duration_ms : ev.ts_ms;
      call.status = meta.POST_OK_TYPES.has(ev.type) ? 'ok' : 'error';
      if (call.status === 'error') call.err = text;
    } else if (meta.PROMPT_TYPES.has(ev.type)) {
      if (turn) turn.end = ev.ts_ms;
      turn = { start: ev.ts_ms, end: null, text };
      turns.push(turn);
      prompts.push({ ts: ev.ts_ms, id: ev.prompt_id, text: ev.payload && typeof ev.payload.prompt === 'string' ? ev.payload.prompt : text });
    } else if (meta.TURN_END_TYPES.has(ev.type) && turn && !ev.agent_id) {
      turn.end = ev.ts_ms;
      turn = null;
    }
    if (meta.MARK_TYPES.has(ev.type)) {
      marks.push({ ts: ev.ts_ms, err: meta.ERROR_TYPES.has(ev.type), lane: ev.agent_id || '', text: ev.type + ': ' + text });
    }
  }
  return { calls, turns, prompts, marks };
}

/*
 * The timeline of session s (API shape; status: model.statusOf) from its
 * events: {t0, span, lanes: [{id, label, items}], axis: [{label, left}],
 * prompts}.  Items are {kind: turn/call/mark, cls, left, width (not for
 * marks), title, status and ev (calls)}, in drawing order.  A call still
 * running reaches now while the session works, else is drawn as a point.
 */
export function sessionTimeline(s, evs, meta, status, now) {
  const { calls, turns, prompts, marks } = sessionStory(evs, meta);
  const t0 = evs.length ? evs[0].ts_ms : s.first_seen_ms;
  let t1 = evs.length ? evs[evs.length - 1].ts_ms : s.last_seen_ms;
  for (const cl of calls) {
    if (cl.end === null) cl.end = cl.status === 'running' && status === 'working' ? now : cl.start;
    t1 = Math.max(t1, cl.end);
  }
  for (const tn of turns) if (tn.end === null) tn.end = t1;
  const span = Math.max(1, t1 - t0);
  const agentType = new Map();
  for (const ev of evs) if (ev.agent_id && ev.agent_type) agentType.set(ev.agent_id, ev.agent_type);

  const lanes = new Map();
  const lane = (id) => {
    if (!lanes.has(id)) {
      const label = id === '#turns' ? 'turns' : id ? 'subagent ' + (agentType.get(id) || '') + ' ' + shortId(id) : 'main agent';
      lanes.set(id, { id, label, items: [] });
    }
    return lanes.get(id);
  };
  const turnLane = lane('#turns');
  for (const tn of turns) {
    turnLane.items.push({ kind: 'turn', cls: 'bar turn', left: pctOf(tn.start, t0, span), width: widthOf(tn.start, tn.end, span),
      title: fmtTime(tn.start) + ' · ' + fmtDur(tn.end - tn.start) + '\n' + tn.text });
  }
  lane('');
  for (const cl of calls) {
    lane(cl.lane).items.push({ kind: 'call', cls: 'bar' + (cl.status === 'error' ? ' error' : cl.status === 'running' ? ' running' : ''),
      left: pctOf(cl.start, t0, span), width: widthOf(cl.start, cl.end, span), status: cl.status, ev: cl.ev,
      title: (cl.ev.tool_name || '') + ' · ' + fmtDur(cl.end - cl.start) + ' · ' + cl.status + '\n' + cl.text + (cl.err ? '\n' + cl.err : '') });
  }
  for (const m of marks) {
    lane(m.lane).items.push({ kind: 'mark', cls: 'mark' + (m.err ? ' err' : ''), left: pctOf(m.ts, t0, span),
      title: fmtTime(m.ts) + ' ' + m.text });
  }
  const axis = [];
  for (let i = 0; i <= 4; i++) axis.push({ label: fmtTime(t0 + span * i / 4).slice(0, 8), left: Math.min(96, Math.max(4, i * 25)) + '%' });
  return { t0, span, lanes: [...lanes.values()], axis, prompts };
}
