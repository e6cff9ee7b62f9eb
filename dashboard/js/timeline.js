/*
 * timeline.js - the session view's timeline as data: tool calls paired from
 * their start and end, turns from a prompt to the turn's end, prompts, marks
 * (failures, notifications, requests for input), subagents with their task
 * and final message, and where each goes: lanes (turns, the main agent, one
 * per subagent) holding items with their left and width as percentages, and
 * the axis ticks.  The axis ends at the last event (never at "now", which
 * would squeeze a working session's activity into a sliver), and a quiet
 * stretch of more than 5 minutes (nothing running, no turn open) is cut to a
 * narrow break, so hours away from the keyboard do not flatten the rest.
 * session_view.js draws it.  Pure: the clock comes in as `now`.
 */
import { agentLabel, fmtDur, fmtTime, oneLine, summarize } from '/assets/format.js';

export const GAP_MIN_MS = 300000;   // a quiet stretch longer than this is cut
const GAP_PCT = 3;                  // to a break this wide (percent of the axis)

function pctText(x) { return x.toFixed(3) + '%'; }

/*
 * The time scale from t0 to t1 given the busy intervals [[a, b]...]:
 * {pos(t) -> percent, at(percent) -> t, breaks: [{start, end, left, width}]}.
 * Gaps between busy intervals longer than GAP_MIN_MS become breaks GAP_PCT
 * wide (together at most 30% of the axis); the rest is linear.
 */
export function timeScale(t0, t1, busy) {
  const span = Math.max(1, t1 - t0);
  const iv = busy.filter((b) => b[1] >= t0 && b[0] <= t1).map((b) => [Math.max(t0, b[0]), Math.min(t1, b[1])]).sort((a, b) => a[0] - b[0]);
  const gaps = [];
  let reach = t0;
  for (const [a, b] of iv) {
    if (a - reach > GAP_MIN_MS) gaps.push([reach, a]);
    reach = Math.max(reach, b);
  }
  if (t1 - reach > GAP_MIN_MS) gaps.push([reach, t1]);
  const gapMs = gaps.reduce((n, g) => n + g[1] - g[0], 0);
  const gw = gaps.length ? Math.min(GAP_PCT, 30 / gaps.length) : 0;
  const activePct = 100 - gw * gaps.length;
  const activeMs = Math.max(1, span - gapMs);
  // Segments [ta, tb, xa, xb]: alternately active (linear) and breaks.
  const segs = [];
  let t = t0, x = 0;
  for (const [a, b] of gaps) {
    const xa = x + (a - t) / activeMs * activePct;
    segs.push([t, a, x, xa]);
    segs.push([a, b, xa, xa + gw]);
    t = b; x = xa + gw;
  }
  segs.push([t, t1, x, 100]);
  const pos = (tt) => {
    if (tt <= t0) return 0;
    for (const [ta, tb, xa, xb] of segs) if (tt <= tb) return tb === ta ? xa : xa + (tt - ta) / (tb - ta) * (xb - xa);
    return 100;
  };
  const at = (pct) => {
    for (const [ta, tb, xa, xb] of segs) if (pct <= xb) return xb === xa ? ta : ta + (pct - xa) / (xb - xa) * (tb - ta);
    return t1;
  };
  const breaks = gaps.map(([a, b]) => ({ start: a, end: b, left: pctText(pos(a)), width: pctText(gw) }));
  return { span, pos, at, breaks };
}

/*
 * The story of a session from its events (ascending, with payloads): calls
 * [{ev, start, end, status: running/ok/error, lane, text, err}], turns
 * [{start, end, text}], prompts [{ts, id, text}], marks [{ts, err, lane,
 * text}], subagents [{agent_id, agent_type, task, final, start}].  lane is
 * the agent_id ('' for the main agent).  Ends still open are left null
 * (sessionTimeline closes them).  A subagent's task is the description of
 * the main agent's latest Agent/Task call for its type that no earlier
 * subagent took (hooks carry no link between the two); its final message is
 * its SubagentStop's last_assistant_message.
 */
export function sessionStory(evs, meta) {
  const pre = new Map(), calls = [], turns = [], prompts = [], marks = [];
  const agents = new Map(), tasks = [];
  let turn = null;
  for (const ev of evs) {
    const text = summarize(ev, ev.payload);
    const p = ev.payload && typeof ev.payload === 'object' ? ev.payload : {};
    const ti = p.tool_input && typeof p.tool_input === 'object' ? p.tool_input : null;
    if (meta.PRE_TYPES.has(ev.type) && !ev.agent_id && ti && typeof ti.subagent_type === 'string') {
      tasks.push({ type: ti.subagent_type, text: oneLine(ti.description || ti.prompt || ''), taken: false });
    }
    if (ev.agent_id && !agents.has(ev.agent_id)) {
      const task = tasks.find((t) => !t.taken && t.type === ev.agent_type);
      if (task) task.taken = true;
      agents.set(ev.agent_id, { agent_id: ev.agent_id, agent_type: ev.agent_type || null, task: task ? task.text : null, final: null, start: ev.ts_ms });
    }
    if (ev.agent_id && meta.byFlag.subagent_stop.has(ev.type) && typeof p.last_assistant_message === 'string') {
      agents.get(ev.agent_id).final = p.last_assistant_message;
    }
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
  return { calls, turns, prompts, marks, subagents: [...agents.values()] };
}

/*
 * The timeline of session s (API shape; status: board.stateOf) from its
 * events: {t0, t1, lanes: [{id, label, task, items}], axis: [{label, left}],
 * breaks, prompts, subagents}.  Items are {kind: turn/call/mark, cls, left,
 * width (not for marks), title, status and ev (calls)}, in drawing order;
 * consecutive calls in a lane alternate "alt" so back-to-back calls stay
 * apart.  A call still running reaches the last event while the session
 * works, else is drawn as a point; `now` is not on the axis.
 */
export function sessionTimeline(s, evs, meta, status, now) {
  void now;
  const { calls, turns, prompts, marks, subagents } = sessionStory(evs, meta);
  const t0 = evs.length ? evs[0].ts_ms : s.first_seen_ms;
  let t1 = evs.length ? evs[evs.length - 1].ts_ms : s.last_seen_ms;
  for (const cl of calls) if (cl.end !== null) t1 = Math.max(t1, cl.end);
  for (const cl of calls) if (cl.end === null) cl.end = cl.status === 'running' && status === 'working' ? Math.max(cl.start, t1) : cl.start;
  for (const tn of turns) if (tn.end === null) tn.end = t1;
  const busy = calls.map((c) => [c.start, c.end]).concat(turns.map((tn) => [tn.start, tn.end]), evs.map((e) => [e.ts_ms, e.ts_ms]));
  const sc = timeScale(t0, t1, busy);
  const left = (t) => pctText(sc.pos(t));
  const width = (a, b) => pctText(Math.max(0, sc.pos(b) - sc.pos(a)));
  const agentOf = new Map(subagents.map((a) => [a.agent_id, a]));

  const lanes = new Map();
  const lane = (id) => {
    if (!lanes.has(id)) {
      const a = agentOf.get(id);
      const label = id === '#turns' ? 'turns' : id ? agentLabel(a ? a.agent_type : null, id) : 'main agent';
      lanes.set(id, { id, label, task: a ? a.task : null, items: [], alt: false });
    }
    return lanes.get(id);
  };
  const turnLane = lane('#turns');
  for (const tn of turns) {
    turnLane.items.push({ kind: 'turn', cls: 'bar turn', left: left(tn.start), width: width(tn.start, tn.end),
      title: fmtTime(tn.start) + ' · ' + fmtDur(tn.end - tn.start) + '\n' + tn.text });
  }
  lane('');
  for (const a of subagents) lane(a.agent_id);
  for (const cl of calls) {
    const l = lane(cl.lane);
    l.alt = !l.alt;
    l.items.push({ kind: 'call', cls: 'bar' + (cl.status === 'error' ? ' error' : cl.status === 'running' ? ' running' : '') + (l.alt ? '' : ' alt'),
      left: left(cl.start), width: width(cl.start, cl.end), status: cl.status, ev: cl.ev,
      title: (cl.ev.tool_name || '') + ' · ' + fmtDur(cl.end - cl.start) + ' · ' + cl.status + '\n' + cl.text + (cl.err ? '\n' + cl.err : '') });
  }
  for (const m of marks) {
    lane(m.lane).items.push({ kind: 'mark', cls: 'mark' + (m.err ? ' err' : ''), left: left(m.ts),
      title: fmtTime(m.ts) + ' ' + m.text });
  }
  const axis = [];
  // Seconds, or milliseconds for a session shorter than 10 s (else the ticks read alike).
  const tick = (t) => (t1 - t0 < 10000 ? fmtTime(t) : fmtTime(t).slice(0, 8));
  for (let i = 0; i <= 4; i++) axis.push({ label: tick(sc.at(i * 25)), left: i * 25 + '%' });
  const breaks = sc.breaks.map((b) => Object.assign(b, { title: 'nothing for ' + fmtDur(b.end - b.start) + ' (' + fmtTime(b.start).slice(0, 8) + ' to ' + fmtTime(b.end).slice(0, 8) + ')' }));
  return { t0, t1, span: sc.span, lanes: [...lanes.values()].map(({ alt, ...l }) => l), axis, breaks, prompts, subagents };
}
