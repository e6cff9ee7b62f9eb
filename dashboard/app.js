/*
 * app.js - the Chronicle dashboard.  Plain JavaScript, no framework, no build
 * step: chronicle-server embeds this file and serves it at /assets/app.js.
 *
 * Data flow
 *   REST  /api/events?payload=1 (newest pages) -> history at start
 *   WS    /ws?after=<last id>                  -> every later event, in id order
 *   REST  /api/events?after=..&payload=1       -> the payload summaries of live
 *         events (the WebSocket carries no payload), fetched in batches
 *   A reconnect resumes with ?after=<highest id seen>: no gap, no double
 *   (events are also de-duplicated by id, so a replay can never show twice).
 *
 * Rendering
 *   Payload text only ever reaches the DOM through textContent (el() below):
 *   no innerHTML anywhere with data.  The feed is virtualised (a fixed pool
 *   of row elements over a spacer), and incoming events are applied once per
 *   animation frame.
 */
'use strict';

(function () {
  // ---------------------------------------------------------------- constants
  const ROW_H = 22;
  const HISTORY_PAGES = 10;          // 10 x 1000 newest events at start
  const MAX_EVENTS = 200000;         // oldest dropped beyond this
  let IDLE_AFTER_MS = 600000;        // the server's CHRONICLE_IDLE_AFTER_S, read from /health
  const SUMMARY_MAX = 300;
  const FRAME_EVENTS_MAX = 1000;     // live events applied per animation frame
  // Symbols present in common fonts (DejaVu Sans ships with most Linux
  // desktops): no emoji, which headless and minimal systems lack.
  const TYPE_ICON = {
    SessionStart: '▶', SessionEnd: '■', UserPromptSubmit: '✎', UserPromptExpansion: '✎',
    PreToolUse: '⚙', PostToolUse: '✓', PostToolUseFailure: '✗', PermissionRequest: '⚑',
    PermissionDenied: '⊘', Notification: '✉', Elicitation: '?', Stop: '●', StopFailure: '⚠',
    SubagentStart: '↘', SubagentStop: '↗', PreCompact: '⇲', PostCompact: '⇱',
  };
  const TYPE_COLOR = {
    SessionStart: '#79c0ff', SessionEnd: '#388bfd', UserPromptSubmit: '#d2a8ff',
    UserPromptExpansion: '#bc8cff', PreToolUse: '#7ee787', PostToolUse: '#2ea043',
    PostToolUseFailure: '#ff7b72', StopFailure: '#f85149', PermissionDenied: '#da3633',
    Notification: '#f5b942', PermissionRequest: '#d29922', Elicitation: '#e3b341',
    Stop: '#ffa657', SubagentStop: '#f0883e', SubagentStart: '#ff9bce',
    PreCompact: '#a5d6ff', PostCompact: '#79c0ff',
  };
  const KNOWN_TYPES = Object.keys(TYPE_ICON);
  const POST_TYPES = new Set(['PostToolUse', 'PostToolUseFailure', 'PermissionDenied']);
  const ERROR_TYPES = new Set(['PostToolUseFailure', 'StopFailure']);

  // ---------------------------------------------------------------- state
  // One object: nothing else at module level is mutable.
  const S = {
    events: [],            // ascending by id
    byId: new Map(),
    preByUse: new Map(),   // tool_use_id -> Pre event
    postByUse: new Map(),  // tool_use_id -> Post event (when it came first)
    sessions: new Map(),   // session_id -> session row (API shape)
    view: [],              // the filtered, joined list the feed shows
    lastId: 0,
    filters: { types: new Set(), tools: new Set(), sessions: new Set(), q: '', range: '', from: null, to: null },
    selected: -1,          // index into view
    follow: true, paused: false, pausedCount: 0,
    pending: [],           // events waiting for the next frame
    frameQueued: false, sideDirty: true, viewDirty: false,
    ws: null, wsBackoff: 250, wsState: 'connecting', pingSent: 0, latency: null,
    needSummary: [],       // ids whose payload summary is still to be fetched
    summaryBusy: false,
    total: 0,              // events in the database (30 d window) + live ones
    ringSec: new Array(600).fill(-1), // per-second arrival counts over the last
    ringCnt: new Array(600).fill(0),  // 10 minutes (slot = second % 600)
    charts: null, chartsOn: false,
    detailId: null, svSession: null,
    token: null,
    toolsSeen: new Set(), typesSeen: new Set(KNOWN_TYPES),
    stats: { historyMs: 0, applyMs: 0 },
  };

  // ---------------------------------------------------------------- helpers
  const $ = (id) => document.getElementById(id);

  /* Builds an element; text goes through textContent, never markup. */
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function pad(n, w) { return String(n).padStart(w || 2, '0'); }

  /* The viewer's local time zone: Date's getters are local. */
  function fmtTime(ms) {
    if (ms === null || ms === undefined) return '—';
    const d = new Date(ms);
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
  }
  function fmtDateTime(ms) {
    if (ms === null || ms === undefined) return '—';
    const d = new Date(ms);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + fmtTime(ms);
  }
  function fmtDur(ms) {
    if (ms === null || ms === undefined) return '';
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
    const m = Math.floor(ms / 60000);
    return m + ' m ' + Math.round((ms % 60000) / 1000) + ' s';
  }
  function fmtAgo(ms) {
    const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 60) return s + 's ago';
    if (s < 3600) return Math.floor(s / 60) + 'm ago';
    if (s < 86400) return Math.floor(s / 3600) + 'h ago';
    return Math.floor(s / 86400) + 'd ago';
  }
  function fmtNum(n) { return Number(n || 0).toLocaleString(); }
  function shortId(s) { return s ? String(s).slice(0, 8) : '—'; }
  function baseName(p) {
    if (!p) return '(no project)';
    const parts = String(p).replace(/\/+$/, '').split('/');
    return parts[parts.length - 1] || p;
  }
  function oneLine(s) {
    s = String(s).replace(/\s+/g, ' ').trim();
    return s.length > SUMMARY_MAX ? s.slice(0, SUMMARY_MAX - 1) + '…' : s;
  }
  function typeClass(t) { return TYPE_ICON[t] ? 't-' + t : 't-other'; }

  function toast(msg) {
    const t = $('toast');
    t.textContent = msg;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 1600);
  }

  async function copyText(text, what) {
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      // Fallback when the Clipboard API is refused (not a secure context).
      const ta = el('textarea');
      ta.value = text;
      document.body.appendChild(ta);
      ta.select();
      document.execCommand('copy');
      ta.remove();
    }
    toast('copied ' + what);
  }

  // ---------------------------------------------------------------- API
  function authHeaders() { return S.token ? { Authorization: 'Bearer ' + S.token } : {}; }

  async function api(path) {
    const r = await fetch(path, { headers: authHeaders(), cache: 'no-store' });
    if (!r.ok) {
      let msg = r.status + ' ' + r.statusText;
      try { const j = await r.json(); if (j.error) msg = j.error.code + ': ' + j.error.message; } catch (e) { /* not JSON */ }
      throw new Error(path + ': ' + msg);
    }
    return r.json();
  }

  // ---------------------------------------------------------------- events
  /* The one-line summary of an event, from its payload (then dropped: only
   * the detail view fetches the whole payload again). */
  function summarize(ev, p) {
    if (!p || typeof p !== 'object') return ev.flags && ev.flags.invalid ? '(invalid payload, ' + (ev.raw_size || 0) + ' bytes)' : '';
    if (p.notification_type) ev.notif = p.notification_type;
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

  function toolSummary(tool, ti) {
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

  /* Takes one event (API shape); returns false if it was already known. */
  function addEvent(ev, hasPayload) {
    if (S.byId.has(ev.id)) return false;
    if (hasPayload) {
      ev.summary = summarize(ev, ev.payload);
      delete ev.payload;
    } else {
      ev.summary = null; // filled by fetchSummaries()
      S.needSummary.push(ev.id);
    }
    S.byId.set(ev.id, ev);
    if (ev.tool_name) S.toolsSeen.add(ev.tool_name);
    S.typesSeen.add(ev.type);
    if (ev.tool_use_id) {
      if (POST_TYPES.has(ev.type)) {
        const pre = S.preByUse.get(ev.tool_use_id);
        if (pre) { pre.post = ev; ev.pre = pre; } else S.postByUse.set(ev.tool_use_id, ev);
      } else if (ev.type === 'PreToolUse') {
        S.preByUse.set(ev.tool_use_id, ev);
        const post = S.postByUse.get(ev.tool_use_id);
        if (post) { ev.post = post; post.pre = ev; S.postByUse.delete(ev.tool_use_id); }
      }
    }
    if (ev.id > S.lastId) {
      S.events.push(ev);
      S.lastId = ev.id;
    } else {
      // Older than the newest (history pages, gap fills): keep id order.
      let lo = 0, hi = S.events.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (S.events[mid].id < ev.id) lo = mid + 1; else hi = mid; }
      S.events.splice(lo, 0, ev);
      S.viewDirty = true;
    }
    return true;
  }

  function trimEvents() {
    if (S.events.length <= MAX_EVENTS) return;
    const drop = S.events.splice(0, S.events.length - MAX_EVENTS);
    for (const ev of drop) {
      S.byId.delete(ev.id);
      if (ev.tool_use_id) { S.preByUse.delete(ev.tool_use_id); S.postByUse.delete(ev.tool_use_id); }
    }
    S.viewDirty = true;
  }

  /* Payload summaries of live events, fetched by id range in batches. */
  async function fetchSummaries() {
    if (S.summaryBusy || S.needSummary.length === 0) return;
    S.summaryBusy = true;
    let ids = [];
    try {
      while (S.needSummary.length) {
        ids = S.needSummary.splice(0, 1000).sort((a, b) => a - b);
        const want = new Set(ids);
        let after = ids[0] - 1;
        const last = ids[ids.length - 1];
        while (after < last) {
          const j = await api('/api/events?payload=1&limit=1000&after=' + after + '&before=' + (last + 1));
          if (!j.events.length) break;
          let maxId = after;
          for (const full of j.events) {
            maxId = Math.max(maxId, full.id);
            if (!want.has(full.id)) continue;
            const ev = S.byId.get(full.id);
            if (ev) {
              ev.summary = summarize(ev, full.payload);
              if (ev.summary && ev.summary.indexOf('\u0000') >= 0) ev.summary = ev.summary.replace(/\u0000/g, '');
            }
          }
          // Pages with both bounds come newest first: continue below the oldest.
          if (j.order === 'desc') {
            const minId = j.events[j.events.length - 1].id;
            if (j.events.length < 1000 || minId <= after + 1) break;
            // Rare (more than 1000 ids in one batch): fall back to ascending pages.
            const rest = await api('/api/events?payload=1&limit=1000&after=' + after);
            for (const full of rest.events) {
              const ev = S.byId.get(full.id);
              if (ev && want.has(full.id)) ev.summary = summarize(ev, full.payload);
            }
            break;
          }
          after = maxId;
        }
        for (const id of ids) { const ev = S.byId.get(id); if (ev && ev.summary === null) ev.summary = ''; }
        ids = [];
        scheduleFrame();
        S.rowsDirty = true;
      }
    } catch (e) {
      // The server is restarting, say: keep the ids and try again.
      console.warn('summaries:', e.message);
      S.needSummary = ids.filter((id) => { const ev = S.byId.get(id); return ev && ev.summary === null; }).concat(S.needSummary);
      setTimeout(fetchSummaries, 1000);
    } finally {
      S.summaryBusy = false;
    }
  }

  // ---------------------------------------------------------------- filters
  function rangeBounds() {
    const f = S.filters, now = Date.now();
    switch (f.range) {
      case '5m': return [now - 5 * 60000, null];
      case '1h': return [now - 3600000, null];
      case 'today': { const d = new Date(); d.setHours(0, 0, 0, 0); return [d.getTime(), null]; }
      case 'custom': return [f.from, f.to];
      default: return [null, null];
    }
  }

  function makeMatcher() {
    const f = S.filters;
    const [from, to] = rangeBounds();
    const q = f.q.trim().toLowerCase();
    return function (ev) {
      if (f.types.size && !f.types.has(ev.type)) return false;
      if (f.tools.size && !f.tools.has(ev.tool_name)) return false;
      if (f.sessions.size && !f.sessions.has(ev.session_id)) return false;
      if (from !== null && (ev.ts_ms === null || ev.ts_ms < from)) return false;
      if (to !== null && (ev.ts_ms === null || ev.ts_ms > to)) return false;
      if (q) {
        const s = S.sessions.get(ev.session_id);
        const hay = (ev.summary || '') + '\n' + ev.type + '\n' + (ev.tool_name || '') + '\n' + (ev.session_id || '') +
          '\n' + (ev.cwd || '') + '\n' + (s && s.project || '') + '\n' + (ev.agent_type || '');
        if (hay.toLowerCase().indexOf(q) < 0) return false;
      }
      return true;
    };
  }

  /* A Post joined to a Pre that is shown is folded into the Pre's row. */
  function joinedAway(ev, match) { return ev.pre !== undefined && POST_TYPES.has(ev.type) && match(ev.pre); }

  function rebuildView() {
    const match = makeMatcher();
    const keepId = S.selected >= 0 && S.view[S.selected] ? S.view[S.selected].id : null;
    const v = [];
    for (const ev of S.events) if (match(ev) && !joinedAway(ev, match)) v.push(ev);
    S.view = v;
    S.matcher = match;
    S.selected = keepId === null ? -1 : v.findIndex((e) => e.id === keepId);
    S.viewDirty = false;
    S.pausedCount = 0;
    renderFeed();
  }

  function filtersToUrl() {
    const f = S.filters, p = new URLSearchParams();
    if (f.types.size) p.set('type', [...f.types].join(','));
    if (f.tools.size) p.set('tool', [...f.tools].join(','));
    if (f.sessions.size) p.set('session', [...f.sessions].join(','));
    if (f.q) p.set('q', f.q);
    if (f.range) p.set('range', f.range);
    if (f.range === 'custom') {
      if (f.from !== null) p.set('from', new Date(f.from).toISOString());
      if (f.to !== null) p.set('to', new Date(f.to).toISOString());
    }
    if (S.svSession) p.set('open', S.svSession);
    const qs = p.toString();
    history.replaceState(null, '', location.pathname + (qs ? '?' + qs : '') + location.hash);
  }

  function filtersFromUrl() {
    const p = new URLSearchParams(location.search), f = S.filters;
    const list = (k) => (p.get(k) || '').split(',').filter(Boolean);
    f.types = new Set(list('type'));
    f.tools = new Set(list('tool'));
    f.sessions = new Set(list('session'));
    f.q = p.get('q') || '';
    f.range = ['5m', '1h', 'today', 'custom'].includes(p.get('range')) ? p.get('range') : '';
    const t = (k) => { const v = Date.parse(p.get(k) || ''); return isNaN(v) ? null : v; };
    f.from = t('from');
    f.to = t('to');
    return p.get('open');
  }

  function filtersChanged() {
    filtersToUrl();
    syncFilterControls();
    rebuildView();
    S.sideDirty = true;
    scheduleFrame();
    const [from] = rangeBounds();
    if (from !== null) ensureHistory(from);
  }

  // ---------------------------------------------------------------- feed (virtual table)
  const feed = { pool: [], scroll: null, rows: null, spacer: null, lastFirst: -1, lastCount: -1 };

  function makeRow() {
    const r = el('div', 'row');
    r.setAttribute('role', 'row');
    r.c = {
      time: r.appendChild(el('span', 'c-time')), type: r.appendChild(el('span', 'c-type')),
      sess: r.appendChild(el('span', 'c-sess')), tool: r.appendChild(el('span', 'c-tool')),
      sum: r.appendChild(el('span', 'c-sum')), dur: r.appendChild(el('span', 'c-dur')),
    };
    r.addEventListener('click', () => { selectIndex(r.idx, false); openDetail(S.view[r.idx]); });
    return r;
  }

  function fillRow(r, ev, idx) {
    r.idx = idx;
    r.evId = ev.id;
    const sub = !!ev.agent_id;
    const isErr = ERROR_TYPES.has(ev.type) || (ev.post && ev.post.type !== 'PostToolUse');
    r.className = 'row' + (sub ? ' sub' : '') + (isErr ? ' err' : '') + (idx === S.selected ? ' sel' : '');
    r.dataset.id = ev.id;
    r.c.time.textContent = fmtTime(ev.ts_ms);
    r.c.type.textContent = (TYPE_ICON[ev.type] || '•') + ' ' + ev.type;
    r.c.type.className = 'c-type ' + typeClass(ev.type);
    const s = S.sessions.get(ev.session_id);
    r.c.sess.textContent = shortId(ev.session_id) + ' · ' + baseName(s ? s.project : ev.cwd);
    r.c.sess.title = (ev.session_id || '') + '\n' + (s ? s.project || '' : ev.cwd || '');
    r.c.tool.textContent = ev.tool_name || '';
    const agent = sub ? '[' + (ev.agent_type || shortId(ev.agent_id)) + '] ' : '';
    r.c.sum.textContent = agent + (ev.summary === null ? '…' : ev.summary);
    r.c.sum.title = ev.summary || '';
    let dur = '', dcls = 'c-dur';
    if (ev.type === 'PreToolUse') {
      if (ev.post) {
        const d = ev.post.duration_ms !== null && ev.post.duration_ms !== undefined ? ev.post.duration_ms
          : (ev.post.ts_ms !== null && ev.ts_ms !== null ? ev.post.ts_ms - ev.ts_ms : null);
        dur = (ev.post.type === 'PostToolUse' ? '✓ ' : '✗ ') + fmtDur(d);
        dcls += ev.post.type === 'PostToolUse' ? ' dur-ok' : ' dur-err';
      } else { dur = 'running'; dcls += ' dur-run'; }
    } else if (ev.duration_ms !== null && ev.duration_ms !== undefined) {
      dur = fmtDur(ev.duration_ms);
    }
    r.c.dur.textContent = dur;
    r.c.dur.className = dcls;
  }

  function renderFeed() {
    const sc = feed.scroll;
    const n = S.view.length;
    feed.spacer.style.height = (n * ROW_H) + 'px';
    if (S.follow && !S.paused) sc.scrollTop = sc.scrollHeight;
    const first = Math.max(0, Math.floor(sc.scrollTop / ROW_H) - 5);
    const count = Math.min(n - first, Math.ceil(sc.clientHeight / ROW_H) + 10);
    while (feed.pool.length < count) feed.pool.push(feed.rows.appendChild(makeRow()));
    for (let i = 0; i < feed.pool.length; i++) {
      const r = feed.pool[i];
      if (i < count) {
        r.style.display = '';
        fillRow(r, S.view[first + i], first + i);
      } else r.style.display = 'none';
    }
    feed.rows.style.transform = 'translateY(' + (first * ROW_H) + 'px)';
    feed.lastFirst = first;
    $('feed-empty').hidden = n > 0;
    $('feed-count').textContent = fmtNum(n) + ' shown' + (S.paused && S.pausedCount ? ' · ' + fmtNum(S.pausedCount) + ' new (paused)' : '');
  }

  function selectIndex(i, scroll) {
    if (!S.view.length) return;
    S.selected = Math.max(0, Math.min(S.view.length - 1, i));
    if (scroll) {
      const sc = feed.scroll, top = S.selected * ROW_H;
      if (top < sc.scrollTop) sc.scrollTop = top;
      else if (top + ROW_H > sc.scrollTop + sc.clientHeight) sc.scrollTop = top + ROW_H - sc.clientHeight;
      setFollow(S.selected === S.view.length - 1);
    }
    renderFeed();
  }

  function setFollow(on) {
    S.follow = on;
    $('btn-follow').setAttribute('aria-pressed', String(on));
    $('btn-new').hidden = true;
    if (on) renderFeed();
  }

  function setPaused(on) {
    S.paused = on;
    $('btn-pause').setAttribute('aria-pressed', String(on));
    $('btn-pause').textContent = on ? 'Resume' : 'Pause';
    if (!on) rebuildView();
  }

  // ---------------------------------------------------------------- frame loop
  function scheduleFrame() {
    if (S.frameQueued) return;
    S.frameQueued = true;
    requestAnimationFrame(onFrame);
  }

  /* All DOM work for live updates happens here, at most once per frame. */
  function onFrame() {
    S.frameQueued = false;
    const t0 = performance.now();
    // A burst (a replay after a reconnect, a flood) is spread over frames so
    // that scrolling and input stay responsive while it is applied.
    let batch = S.pending;
    if (batch.length > FRAME_EVENTS_MAX) {
      S.pending = batch.slice(FRAME_EVENTS_MAX);
      batch = batch.slice(0, FRAME_EVENTS_MAX);
      scheduleFrame();
    } else S.pending = [];
    let grew = 0;
    const match = S.matcher || makeMatcher();
    for (const ev of batch) {
      if (!addEvent(ev, ev.payload !== undefined)) continue;
      if (S.svSession && ev.session_id === S.svSession) sessionViewTouched();
      S.total++;
      noteArrival(ev.stored_ms || Date.now());
      if (S.viewDirty) continue;
      if (!match(ev) || joinedAway(ev, match)) continue;
      if (S.paused) { S.pausedCount++; continue; }
      S.view.push(ev);
      grew++;
    }
    if (batch.length) { trimEvents(); fetchSummaries(); }
    if (S.viewDirty && !S.paused) rebuildView();
    else if (grew || batch.length || S.rowsDirty) {
      S.rowsDirty = false;
      if (grew && !S.follow) $('btn-new').hidden = false;
      renderFeed();
    }
    if (batch.length) {
      updateHeader();
      // The rate chart follows live events, at most once a second.
      if (S.chartsOn && S.charts && performance.now() - (S.rateDrawn || 0) > 1000) { S.rateDrawn = performance.now(); updateRateChart(); }
    }
    // The sidebar is rebuilt whole: at most 4 times a second, however fast
    // session rows change during a flood.
    if (S.sideDirty) {
      const now = performance.now();
      if (now - (S.sideDrawn || 0) >= 250) { S.sideDirty = false; S.sideDrawn = now; renderSidebar(); }
      else if (!S.sideTimer) S.sideTimer = setTimeout(() => { S.sideTimer = 0; scheduleFrame(); }, 250);
    }
    S.stats.applyMs = performance.now() - t0;
    S.stats.maxApplyMs = Math.max(S.stats.maxApplyMs || 0, S.stats.applyMs);
  }

  // ---------------------------------------------------------------- WebSocket
  function wsUrl() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let u = proto + '//' + location.host + '/ws?after=' + S.lastId;
    if (S.token) u += '&access_token=' + encodeURIComponent(S.token);
    return u;
  }

  function setConn(state) {
    S.wsState = state;
    const c = $('conn');
    c.className = 'conn conn-' + state;
    $('conn-text').textContent = state;
    $('conn-latency').textContent = state === 'live' && S.latency !== null ? S.latency.toFixed(0) + ' ms' : '';
  }

  function connect() {
    setConn(S.wsState === 'live' ? 'reconnecting' : S.wsState);
    let ws;
    try { ws = new WebSocket(wsUrl()); } catch (e) { retry(); return; }
    S.ws = ws;
    ws.onopen = () => {
      const reconnect = S.wsState === 'reconnecting';
      S.wsBackoff = 250;
      setConn('live');
      ping();
      // Session rows may have changed while we were away: read them again.
      if (reconnect) loadSessions().then(() => { S.sideDirty = true; scheduleFrame(); }, (e) => console.warn('sessions:', e.message));
      // A different database behind the same address (restored, recreated):
      // our ids mean nothing there, so start over.
      if (reconnect) api('/health').then((h) => { if (h.database && h.database.last_event_id < S.lastId && !S.synthetic) location.reload(); }, () => {});
    };
    ws.onmessage = (m) => {
      let msg;
      try { msg = JSON.parse(m.data); } catch (e) { return; }
      switch (msg.type) {
        case 'event': S.pending.push(msg.data); scheduleFrame(); break;
        case 'session': upsertSession(msg.data); S.sideDirty = true; scheduleFrame(); break;
        case 'heartbeat':
          // The answer to our ping carries no ts_ms; the server's own beats do.
          if (msg.ts_ms === undefined && S.pingSent) {
            S.latency = performance.now() - S.pingSent;
            S.pingSent = 0;
            setConn('live');
          }
          break;
        case 'gap': fillGap(msg.data.from, msg.data.to); break;
        case 'error': console.warn('server:', msg.error && msg.error.message); break;
        default: break;
      }
    };
    ws.onclose = () => { if (S.ws === ws) { S.ws = null; setConn('reconnecting'); retry(); } };
    ws.onerror = () => { /* onclose follows */ };
  }

  function retry() {
    setTimeout(connect, S.wsBackoff);
    S.wsBackoff = Math.min(S.wsBackoff * 2, 4000);
  }

  function ping() {
    if (!S.ws || S.ws.readyState !== 1) return;
    S.pingSent = performance.now();
    S.ws.send('{"type":"heartbeat"}');
  }

  /* The server skipped ids from..to for us: read them through REST. */
  async function fillGap(from, to) {
    let after = from - 1;
    try {
      while (after < to) {
        const j = await api('/api/events?payload=1&limit=1000&after=' + after);
        if (!j.events.length) break;
        for (const ev of j.events) { if (ev.id > to) break; if (addEvent(ev, true)) S.total++; }
        after = j.events[j.events.length - 1].id;
      }
    } catch (e) { console.warn('gap:', e.message); }
    S.viewDirty = true;
    scheduleFrame();
  }

  // ---------------------------------------------------------------- history
  async function loadHistory() {
    const t0 = performance.now();
    let before = null;
    for (let page = 0; page < HISTORY_PAGES; page++) {
      const j = await api('/api/events?payload=1&limit=1000' + (before ? '&before=' + before : ''));
      for (const ev of j.events) addEvent(ev, true);
      if (page === 0 && j.events.length) S.lastId = Math.max(S.lastId, j.events[0].id);
      if (!j.next_before) { S.historyComplete = true; break; }
      before = j.next_before;
      // Enough to cover the last hour of rates and charts?  Then stop early.
      const oldest = j.events[j.events.length - 1];
      if (page >= 1 && oldest && oldest.ts_ms !== null && oldest.ts_ms < Date.now() - 3600000) break;
    }
    S.oldestBefore = S.events.length ? S.events[0].id : null;
    for (const ev of S.events) noteArrival(ev.stored_ms || ev.ts_ms || 0);
    S.stats.historyMs = performance.now() - t0;
  }

  /* Older pages until the oldest loaded event is before sinceMs. */
  async function ensureHistory(sinceMs) {
    if (S.historyBusy || S.historyComplete || !S.events.length) return;
    if (S.events[0].ts_ms !== null && S.events[0].ts_ms <= sinceMs) return;
    S.historyBusy = true;
    try {
      let before = S.events[0].id;
      for (let i = 0; i < 50 && S.events.length < MAX_EVENTS; i++) {
        const j = await api('/api/events?payload=1&limit=1000&before=' + before);
        for (const ev of j.events) addEvent(ev, true);
        if (!j.next_before) { S.historyComplete = true; break; }
        before = j.next_before;
        const oldest = j.events[j.events.length - 1];
        if (oldest.ts_ms !== null && oldest.ts_ms <= sinceMs) break;
      }
    } catch (e) { console.warn('history:', e.message); }
    S.historyBusy = false;
    S.viewDirty = true;
    scheduleFrame();
  }

  async function loadTotal() {
    try {
      const j = await api('/api/stats?window=30d&bucket=1d');
      S.total = j.totals.events;
      updateHeader();
    } catch (e) { console.warn('stats:', e.message); }
  }

  // ---------------------------------------------------------------- sessions
  function upsertSession(s) {
    const old = S.sessions.get(s.session_id);
    S.sessions.set(s.session_id, Object.assign(old || {}, s));
  }

  async function loadSessions() {
    const j = await api('/api/sessions?limit=1000&usage=1');
    for (const s of j.sessions) upsertSession(s);
  }

  /* working / awaiting / idle / ended, from the stored state and the clock
   * (idleness changes with time alone, so it is derived here). */
  function statusOf(s) {
    if (s.state === 'ended' || s.status === 'ended') return 'ended';
    if (s.last_seen_ms !== null && Date.now() - s.last_seen_ms > IDLE_AFTER_MS) return 'idle';
    if (s.state === 'awaiting_input' || s.status === 'awaiting_input') return 'awaiting';
    return 'working';
  }
  const STATUS_LABEL = { working: 'working', awaiting: 'awaiting input', idle: 'idle', ended: 'ended' };

  function renderSidebar() {
    const list = $('session-list');
    const groups = new Map();
    const awaiting = [];
    const all = [...S.sessions.values()].sort((a, b) => (b.last_seen_ms || 0) - (a.last_seen_ms || 0));
    let active = 0;
    for (const s of all) {
      const st = statusOf(s);
      if (st === 'working' || st === 'awaiting') active++;
      if (st === 'awaiting') { awaiting.push(s); continue; }
      const key = s.project || s.cwd || '(no project)';
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(s);
    }
    const frag = document.createDocumentFragment();
    if (awaiting.length) frag.appendChild(sessionGroup('⚑ Awaiting input', null, awaiting, 'group group-awaiting'));
    for (const [proj, ss] of groups) frag.appendChild(sessionGroup(baseName(proj), proj, ss, 'group'));
    list.replaceChildren(frag);
    $('side-count').textContent = all.length ? String(all.length) : '';
    $('stat-active').textContent = fmtNum(active);
    $('stat-awaiting').textContent = fmtNum(awaiting.length);
    $('stat-awaiting-btn').classList.toggle('hot', awaiting.length > 0);
    // Seen from another tab: how many sessions wait.
    document.title = (awaiting.length ? '(' + awaiting.length + ' awaiting) ' : '') + 'Chronicle';
    S.awaitingIds = awaiting.map((s) => s.session_id);
  }

  function sessionGroup(title, fullPath, ss, cls) {
    const g = el('div', cls);
    const t = g.appendChild(el('div', 'group-title', title));
    if (fullPath) t.title = fullPath;
    for (const s of ss) g.appendChild(sessionItem(s));
    return g;
  }

  function sessionItem(s) {
    const st = statusOf(s);
    const d = el('div', 'sess' + (S.filters.sessions.has(s.session_id) ? ' selected' : ''));
    d.dataset.sid = s.session_id;
    d.dataset.status = st;
    const l1 = d.appendChild(el('div', 'sess-line'));
    l1.appendChild(el('span', 'badge st-' + st, STATUS_LABEL[st]));
    l1.appendChild(el('span', 'sess-id', shortId(s.session_id)));
    if (s.model) l1.appendChild(el('span', 'muted', s.model.replace(/^claude-/, '')));
    const open = l1.appendChild(el('button', 'btn btn-small sess-open', '≡'));
    open.title = 'Session view';
    open.addEventListener('click', (e) => { e.stopPropagation(); openSession(s.session_id); });
    const c = s.counts || {};
    const u = s.usage;
    const spend = u && u.tokens ? ' · ' + (u.cost_usd !== null && u.cost_usd !== undefined ? '$' + Number(u.cost_usd).toFixed(u.cost_usd < 1 ? 3 : 2) : fmtNum(u.tokens) + ' tok') : '';
    d.appendChild(el('div', 'sess-meta', fmtAgo(s.last_seen_ms || 0) + ' · ' + fmtNum(c.events) + ' ev · ' +
      fmtNum(c.tool_calls) + ' tools · ' + fmtNum(c.errors) + ' err' + spend + (s.project ? ' · ' + baseName(s.project) : '')));
    d.title = s.session_id + '\n' + (s.project || s.cwd || '') + '\nlast: ' + (s.last_event_type || '') + ' at ' + fmtDateTime(s.last_seen_ms);
    d.addEventListener('click', (e) => {
      const f = S.filters.sessions;
      if (e.ctrlKey || e.metaKey) { if (f.has(s.session_id)) f.delete(s.session_id); else f.add(s.session_id); }
      else if (f.size === 1 && f.has(s.session_id)) f.clear();
      else { f.clear(); f.add(s.session_id); }
      filtersChanged();
      // On a narrow window the sidebar covers the feed: get out of the way.
      if (!(e.ctrlKey || e.metaKey) && window.innerWidth < 900) setSidebar(true);
    });
    return d;
  }

  // ---------------------------------------------------------------- header
  /* Counts one event in its second (commit time), for events/min and the
   * sparkline: constant work per event and per redraw, however many are
   * loaded. */
  function noteArrival(ms) {
    const sec = Math.floor(ms / 1000);
    if (sec <= Math.floor(Date.now() / 1000) - 600) return;
    const i = sec % 600;
    if (S.ringSec[i] !== sec) { S.ringSec[i] = sec; S.ringCnt[i] = 0; }
    S.ringCnt[i]++;
  }

  function updateHeader() {
    const now = Math.floor(Date.now() / 1000);
    let perMin = 0;
    const buckets = new Array(60).fill(0);
    for (let i = 0; i < 600; i++) {
      const sec = S.ringSec[i];
      if (sec <= now - 600 || sec > now) continue;
      if (sec > now - 60) perMin += S.ringCnt[i];
      buckets[Math.min(59, Math.floor((sec - (now - 600)) / 10))] += S.ringCnt[i];
    }
    $('stat-rate').textContent = fmtNum(perMin);
    $('stat-total').textContent = fmtNum(Math.max(S.total, S.events.length));
    drawSparkline(buckets);
  }

  function drawSparkline(b) {
    const c = $('sparkline'), dpr = window.devicePixelRatio || 1;
    const w = 120, h = 28;
    if (c.width !== w * dpr) { c.width = w * dpr; c.height = h * dpr; }
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const max = Math.max(1, ...b);
    g.beginPath();
    b.forEach((v, i) => { const x = i * (w / (b.length - 1)), y = h - 2 - (v / max) * (h - 4); if (i) g.lineTo(x, y); else g.moveTo(x, y); });
    g.strokeStyle = '#6cb6ff';
    g.lineWidth = 1.5;
    g.stroke();
    g.lineTo(w, h); g.lineTo(0, h); g.closePath();
    g.fillStyle = '#6cb6ff22';
    g.fill();
  }

  // ---------------------------------------------------------------- event detail
  function jsonTree(v, key, depth) {
    const keyEl = () => { const k = el('span', 'k', key === null ? '' : JSON.stringify(key) + ': '); return k; };
    if (v !== null && typeof v === 'object') {
      const isArr = Array.isArray(v);
      const keys = isArr ? v.map((_, i) => i) : Object.keys(v);
      const d = el('details');
      d.open = depth < 2;
      const s = d.appendChild(el('summary'));
      if (key !== null) s.appendChild(keyEl());
      s.appendChild(el('span', 'z', isArr ? '[' + keys.length + ']' : '{' + keys.length + '}'));
      for (const k of keys) d.appendChild(jsonTree(v[k], k, depth + 1));
      return d;
    }
    const leaf = el('div', 'leaf');
    if (key !== null) leaf.appendChild(keyEl());
    let cls = 'z', text = String(v);
    if (typeof v === 'string') { cls = 's'; text = JSON.stringify(v.length > 20000 ? v.slice(0, 20000) : v) + (v.length > 20000 ? ' … (' + fmtNum(v.length - 20000) + ' more characters: use Copy JSON)' : ''); }
    else if (typeof v === 'number') cls = 'n';
    else if (typeof v === 'boolean') cls = 'b';
    leaf.appendChild(el('span', cls, text));
    return leaf;
  }

  async function openDetail(ev) {
    if (!ev) return;
    S.detailId = ev.id;
    const panel = $('detail'), body = $('detail-body');
    panel.hidden = false;
    $('detail-title').textContent = ev.type + ' #' + ev.id;
    body.replaceChildren(el('div', 'muted', 'loading…'));
    let full;
    try { full = await api('/api/events/' + ev.id); } catch (e) { body.replaceChildren(el('div', 'muted', e.message)); return; }
    if (S.detailId !== ev.id) return;
    const frag = document.createDocumentFragment();
    const flags = full.flags || {};
    if (flags.truncated || flags.redacted || flags.invalid) {
      const fl = frag.appendChild(el('div', 'copy-row'));
      for (const k of ['truncated', 'redacted', 'invalid']) if (flags[k]) fl.appendChild(el('span', 'flag', k));
    }
    const kv = frag.appendChild(el('dl', 'kv'));
    const add = (k, v) => { if (v === null || v === undefined || v === '') return; kv.appendChild(el('dt', null, k)); kv.appendChild(el('dd', null, v)); };
    add('time (local)', fmtDateTime(full.ts_ms));
    add('stored', fmtDateTime(full.stored_ms));
    add('session', full.session_id);
    add('tool', full.tool_name);
    add('tool_use_id', full.tool_use_id);
    add('agent', full.agent_id ? full.agent_id + (full.agent_type ? ' (' + full.agent_type + ')' : '') : null);
    if (ev.post) add('result', ev.post.type + ' after ' + fmtDur(ev.post.duration_ms !== null ? ev.post.duration_ms : ev.post.ts_ms - ev.ts_ms) + ' (#' + ev.post.id + ')');
    if (ev.pre) add('call', 'PreToolUse #' + ev.pre.id);
    add('duration', full.duration_ms !== null ? fmtDur(full.duration_ms) : null);
    add('cwd', full.cwd);
    add('project', full.project_dir);
    add('host / pid', (full.host || '') + ' / ' + (full.pid || '') + (full.claude_pid ? ' (claude ' + full.claude_pid + ')' : ''));
    add('payload size', fmtNum(full.payload_size) + ' bytes' + (full.raw_size ? ' (raw kept: ' + fmtNum(full.raw_size) + ')' : ''));
    add('uid', full.uid);
    const payloadText = JSON.stringify(full.payload, null, 2);
    const copies = frag.appendChild(el('div', 'copy-row'));
    const cbtn = (label, text) => { const b = copies.appendChild(el('button', 'btn btn-small', label)); b.addEventListener('click', () => copyText(text, label.replace(/^Copy /, ''))); };
    cbtn('Copy JSON', payloadText === undefined ? 'null' : payloadText);
    cbtn('Copy event', JSON.stringify(full, null, 2));
    if (full.session_id) cbtn('Copy session id', full.session_id);
    const ti = full.payload && full.payload.tool_input;
    if (ti && typeof ti.command === 'string') cbtn('Copy command', ti.command);
    if (ti && typeof ti.file_path === 'string') cbtn('Copy path', ti.file_path);
    if (full.payload && typeof full.payload.prompt === 'string') cbtn('Copy prompt', full.payload.prompt);
    const tree = frag.appendChild(el('div', 'json'));
    if (full.payload === null) tree.appendChild(el('div', 'muted', 'no JSON payload (invalid input, raw bytes kept: ' + fmtNum(full.raw_size || 0) + ')'));
    else tree.appendChild(jsonTree(full.payload, null, 0));
    // A joined call: the result (output or error) from its Post event.
    if (ev.post) {
      try {
        const post = await api('/api/events/' + ev.post.id);
        const p = post.payload || {};
        const res = p.tool_response !== undefined ? p.tool_response : p.error !== undefined ? p.error : p;
        frag.appendChild(el('h3', null, 'Result · ' + post.type + ' #' + post.id));
        frag.appendChild(el('div', 'json')).appendChild(jsonTree(res, null, 0));
      } catch (e) { frag.appendChild(el('div', 'muted', 'result: ' + e.message)); }
      if (S.detailId !== ev.id) return;
    }
    body.replaceChildren(frag);
  }

  function closeDetail() { $('detail').hidden = true; S.detailId = null; }

  // ---------------------------------------------------------------- session view
  /* refresh: a live update of the open view (keeps its scroll position). */
  async function openSession(sid, refresh) {
    if (!sid) return;
    S.svSession = sid;
    const ov = $('session-view'), body = $('sv-body');
    if (!refresh) {
      filtersToUrl();
      ov.hidden = false;
      $('sv-title').textContent = 'Session ' + sid;
      body.replaceChildren(el('div', 'muted', 'loading…'));
    }
    let sum, evs = [];
    try {
      sum = await api('/api/sessions/' + encodeURIComponent(sid));
      let before = null;
      for (let i = 0; i < 10; i++) {
        const j = await api('/api/sessions/' + encodeURIComponent(sid) + '/events?payload=1&limit=1000' + (before ? '&before=' + before : ''));
        evs = evs.concat(j.events);
        if (!j.next_before) break;
        before = j.next_before;
      }
    } catch (e) { body.replaceChildren(el('div', 'muted', e.message)); return; }
    if (S.svSession !== sid) return;
    evs.sort((a, b) => a.id - b.id);
    const top = body.scrollTop;
    body.replaceChildren(sessionViewBody(sum, evs));
    body.scrollTop = top;
  }

  /* New events of the open session redraw its view, at most every 2 s. */
  function sessionViewTouched() {
    if (S.svTimer) return;
    S.svTimer = setTimeout(() => { S.svTimer = 0; if (S.svSession) openSession(S.svSession, true); }, 2000);
  }

  /* Usage rows (api /api/sessions/{id} "usage") keyed by one of their fields. */
  function usageBy(rows, key) {
    const m = new Map();
    if (Array.isArray(rows)) for (const r of rows) if (r && r[key]) m.set(r[key], r);
    return m;
  }
  function usageText(u) {
    if (!u) return '';
    const tok = (u.input_tokens || 0) + (u.output_tokens || 0) + (u.cache_creation_input_tokens || 0) + (u.cache_read_input_tokens || 0);
    return fmtNum(tok) + ' tokens' + (u.cost_usd === null || u.cost_usd === undefined ? '' : ' · $' + Number(u.cost_usd).toFixed(4));
  }

  function figure(parent, label, value) {
    const f = parent.appendChild(el('div', 'stat'));
    f.appendChild(el('span', 'stat-label', label));
    f.appendChild(el('span', 'stat-value', value));
  }

  function sessionViewBody(s, evs) {
    const frag = document.createDocumentFragment();
    const st = statusOf(s);
    const head = frag.appendChild(el('div', 'sess-line'));
    head.appendChild(el('span', 'badge st-' + st, STATUS_LABEL[st]));
    head.appendChild(el('span', 'muted', (s.project || s.cwd || '') + (s.model ? ' · ' + s.model : '') + (s.permission_mode ? ' · ' + s.permission_mode : '')));
    const c = s.counts || {};
    const figs = frag.appendChild(el('div', 'figures'));
    figure(figs, 'started', fmtDateTime(s.first_seen_ms));
    figure(figs, 'last activity', fmtDateTime(s.last_seen_ms));
    figure(figs, 'span', fmtDur((s.ended_ms || s.last_seen_ms) - s.first_seen_ms));
    figure(figs, 'events', fmtNum(c.events));
    figure(figs, 'tool calls', fmtNum(c.tool_calls));
    figure(figs, 'errors', fmtNum(c.errors));
    figure(figs, 'prompts', fmtNum(c.prompts));
    figure(figs, 'subagents', fmtNum(c.subagents));
    // Tokens and cost, when the server has them (read from the transcripts).
    const u = s.usage && s.usage.total;
    if (u) {
      const tok = (u.input_tokens || 0) + (u.output_tokens || 0) + (u.cache_creation_input_tokens || 0) + (u.cache_read_input_tokens || 0);
      figure(figs, 'tokens', fmtNum(tok));
      figure(figs, 'cost', u.cost_usd === null || u.cost_usd === undefined ? '—' : '$' + Number(u.cost_usd).toFixed(u.cost_usd < 1 ? 4 : 2));
    }

    // Tool calls from Pre/Post pairs; turns from prompt to Stop.
    const pre = new Map(), calls = [], turns = [], prompts = [], marks = [];
    let turn = null;
    for (const ev of evs) {
      const sumText = summarize(ev, ev.payload);
      if (ev.type === 'PreToolUse' && ev.tool_use_id) {
        const call = { ev, start: ev.ts_ms, end: null, status: 'running', lane: ev.agent_id || '', text: sumText };
        pre.set(ev.tool_use_id, call);
        calls.push(call);
      } else if (POST_TYPES.has(ev.type) && ev.tool_use_id && pre.has(ev.tool_use_id)) {
        const call = pre.get(ev.tool_use_id);
        call.end = ev.duration_ms !== null && ev.duration_ms !== undefined ? call.start + ev.duration_ms : ev.ts_ms;
        call.status = ev.type === 'PostToolUse' ? 'ok' : 'error';
        if (call.status === 'error') call.err = sumText;
      } else if (ev.type === 'UserPromptSubmit') {
        if (turn) turn.end = ev.ts_ms;
        turn = { start: ev.ts_ms, end: null, text: sumText };
        turns.push(turn);
        prompts.push({ ts: ev.ts_ms, id: ev.prompt_id, text: ev.payload && typeof ev.payload.prompt === 'string' ? ev.payload.prompt : sumText });
      } else if ((ev.type === 'Stop' || ev.type === 'StopFailure') && turn && !ev.agent_id) {
        turn.end = ev.ts_ms;
        turn = null;
      }
      if (ERROR_TYPES.has(ev.type) || ev.type === 'Notification' || ev.type === 'PermissionRequest') {
        marks.push({ ts: ev.ts_ms, err: ERROR_TYPES.has(ev.type), lane: ev.agent_id || '', text: ev.type + ': ' + sumText });
      }
    }
    const t0 = evs.length ? evs[0].ts_ms : s.first_seen_ms;
    let t1 = evs.length ? evs[evs.length - 1].ts_ms : s.last_seen_ms;
    for (const cl of calls) { if (cl.end === null) cl.end = cl.status === 'running' && st === 'working' ? Date.now() : cl.start; t1 = Math.max(t1, cl.end); }
    for (const tn of turns) if (tn.end === null) tn.end = t1;
    const span = Math.max(1, t1 - t0);
    const pct = (t) => ((t - t0) / span * 100).toFixed(3) + '%';
    const wpct = (a, b) => (Math.max(0, b - a) / span * 100).toFixed(3) + '%';

    frag.appendChild(el('h3', null, 'Timeline'));
    const tl = frag.appendChild(el('div', 'timeline'));
    tl.id = 'sv-timeline';
    const lanes = new Map();
    const lane = (id, label) => {
      if (!lanes.has(id)) {
        const l = tl.appendChild(el('div', 'lane'));
        l.appendChild(el('span', 'lane-label', label));
        lanes.set(id, l);
      }
      return lanes.get(id);
    };
    const turnLane = lane('#turns', 'turns');
    for (const tn of turns) {
      const b = turnLane.appendChild(el('div', 'bar turn'));
      b.style.left = pct(tn.start); b.style.width = wpct(tn.start, tn.end);
      b.title = fmtTime(tn.start) + ' · ' + fmtDur(tn.end - tn.start) + '\n' + tn.text;
    }
    lane('', 'main agent');
    const agentType = new Map();
    for (const ev of evs) if (ev.agent_id && ev.agent_type) agentType.set(ev.agent_id, ev.agent_type);
    for (const cl of calls) {
      const l = lane(cl.lane, cl.lane ? 'subagent ' + (agentType.get(cl.lane) || '') + ' ' + shortId(cl.lane) : 'main agent');
      const b = l.appendChild(el('div', 'bar' + (cl.status === 'error' ? ' error' : cl.status === 'running' ? ' running' : '')));
      b.style.left = pct(cl.start); b.style.width = wpct(cl.start, cl.end);
      b.dataset.status = cl.status;
      b.title = (cl.ev.tool_name || '') + ' · ' + fmtDur(cl.end - cl.start) + ' · ' + cl.status + '\n' + cl.text + (cl.err ? '\n' + cl.err : '');
      b.addEventListener('click', () => openDetail(cl.ev));
    }
    for (const m of marks) {
      const l = lane(m.lane, m.lane ? 'subagent ' + shortId(m.lane) : 'main agent');
      const k = l.appendChild(el('div', 'mark' + (m.err ? ' err' : '')));
      k.style.left = pct(m.ts);
      k.title = fmtTime(m.ts) + ' ' + m.text;
    }
    const axis = tl.appendChild(el('div', 'axis'));
    for (let i = 0; i <= 4; i++) {
      const t = t0 + span * i / 4;
      const a = axis.appendChild(el('span', null, fmtTime(t).slice(0, 8)));
      a.style.left = Math.min(96, Math.max(4, i * 25)) + '%';
    }

    if (s.tools && s.tools.length) {
      frag.appendChild(el('h3', null, 'Tools'));
      const t = frag.appendChild(el('table', 'tbl'));
      const hr = t.appendChild(el('tr'));
      for (const h of ['tool', 'calls', 'errors', 'running', 'avg', 'max', 'total']) hr.appendChild(el('th', null, h));
      for (const x of s.tools) {
        const r = t.appendChild(el('tr'));
        for (const v of [x.name, fmtNum(x.calls), fmtNum(x.errors), fmtNum(x.running), fmtDur(x.avg_ms), fmtDur(x.max_ms), fmtDur(x.total_ms)]) r.appendChild(el('td', null, v));
      }
    }
    if (s.subagents && s.subagents.length) {
      frag.appendChild(el('h3', null, 'Subagents'));
      const t = frag.appendChild(el('table', 'tbl'));
      const agentUse = usageBy(s.usage && s.usage.subagents, 'agent_id');
      for (const a of s.subagents) {
        const r = t.appendChild(el('tr'));
        for (const v of [a.agent_type || '', a.agent_id, fmtNum(a.events) + ' events', fmtDur(a.last_ms - a.first_ms), a.stopped ? 'stopped' : 'running', usageText(agentUse.get(a.agent_id))]) r.appendChild(el('td', null, v));
      }
    }
    frag.appendChild(el('h3', null, 'Prompts (' + prompts.length + ')'));
    const ol = frag.appendChild(el('ol', 'prompts'));
    const turnUse = usageBy(s.usage && s.usage.turns, 'prompt_id');
    for (const p of prompts) {
      const li = ol.appendChild(el('li'));
      li.appendChild(el('span', 'muted', fmtTime(p.ts) + '  '));
      li.appendChild(el('span', null, p.text));
      const u = p.id ? turnUse.get(p.id) : null;
      if (u) li.appendChild(el('span', 'muted', '  · ' + usageText(u)));
    }
    if (s.errors && s.errors.length) {
      frag.appendChild(el('h3', null, 'Errors'));
      const ul = frag.appendChild(el('ul', 'prompts'));
      for (const e of s.errors) {
        const li = ul.appendChild(el('li'));
        li.appendChild(el('span', 'muted', fmtTime(e.ts_ms) + '  ' + e.type + ' ' + (e.tool_name || '') + '  '));
        const known = S.byId.get(e.id);
        li.appendChild(el('span', 'dur-err', known && known.summary ? known.summary : '#' + e.id));
      }
    }
    return frag;
  }

  function closeSession() { $('session-view').hidden = true; S.svSession = null; filtersToUrl(); }

  // ---------------------------------------------------------------- charts (Chart.js)
  function initCharts() {
    if (S.charts || typeof window.Chart !== 'function') return;
    const Chart = window.Chart;
    Chart.defaults.color = '#c9d1d9';
    Chart.defaults.borderColor = '#2a303b';
    Chart.defaults.animation = false;
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.plugins.legend.labels.boxWidth = 8;
    Chart.defaults.font.size = 11;
    S.charts = {
      rate: new Chart($('chart-rate'), {
        type: 'bar', data: { labels: [], datasets: [] },
        options: { scales: { x: { stacked: true, ticks: { maxTicksLimit: 6, maxRotation: 0 } }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
          plugins: { legend: { position: 'bottom', labels: { font: { size: 10 } } } } },
      }),
      tools: new Chart($('chart-tools'), {
        type: 'bar', data: { labels: [], datasets: [] },
        options: { scales: { y: { beginAtZero: true, position: 'left', ticks: { precision: 0 }, title: { display: true, text: 'calls' } },
          ms: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: 'ms' } } },
          plugins: { legend: { position: 'bottom', labels: { font: { size: 10 } } } } },
      }),
      cost: new Chart($('chart-cost'), {
        type: 'bar', data: { labels: [], datasets: [] },
        options: { scales: { x: { stacked: true, ticks: { maxTicksLimit: 6, maxRotation: 0 } }, y: { stacked: true, beginAtZero: true } },
          plugins: { legend: { position: 'bottom', labels: { font: { size: 10 } } } } },
      }),
      errors: new Chart($('chart-errors'), {
        type: 'bar', data: { labels: [], datasets: [{ label: 'errors', data: [], backgroundColor: '#ff7b72' }] },
        options: { scales: { x: { ticks: { maxTicksLimit: 6, maxRotation: 0 } }, y: { beginAtZero: true, ticks: { precision: 0 } } },
          plugins: { legend: { display: false } } },
      }),
    };
  }

  /* Events per 10 s over the last 10 minutes, by type, from the events in
   * memory (live: no request). */
  function updateRateChart() {
    const ch = S.charts.rate, now = Date.now();
    const start = Math.floor((now - 600000) / 10000) * 10000;
    const n = 61, counts = new Map();
    for (let i = S.events.length - 1; i >= 0; i--) {
      const ev = S.events[i];
      const t = ev.ts_ms;
      if (t === null) continue;
      if (t < start) { if ((ev.stored_ms || t) < start - 60000) break; continue; }
      const b = Math.floor((t - start) / 10000);
      if (b >= n) continue;
      if (!counts.has(ev.type)) counts.set(ev.type, new Array(n).fill(0));
      counts.get(ev.type)[b]++;
    }
    ch.data.labels = Array.from({ length: n }, (_, i) => fmtTime(start + i * 10000).slice(0, 8));
    ch.data.datasets = [...counts.keys()].sort().map((t) => ({ label: t, data: counts.get(t), backgroundColor: TYPE_COLOR[t] || '#8b949e', stack: 's' }));
    ch.update('none');
  }

  async function updateServerCharts() {
    const [from] = rangeBounds();
    const winS = from !== null ? Math.max(60, Math.min(30 * 86400, Math.round((Date.now() - from) / 1000))) : 86400;
    try {
      const st = await api('/api/stats?window=' + winS + 's');
      const names = Object.keys(st.tools || {}).sort((a, b) => st.tools[b].calls - st.tools[a].calls).slice(0, 15);
      const ch = S.charts.tools;
      ch.data.labels = names;
      ch.data.datasets = [
        { label: 'calls', data: names.map((n) => st.tools[n].calls), backgroundColor: '#3b82f6', yAxisID: 'y' },
        { label: 'p50 ms', data: names.map((n) => st.tools[n].p50_ms), backgroundColor: '#56d364', yAxisID: 'ms' },
        { label: 'p95 ms', data: names.map((n) => st.tools[n].p95_ms), backgroundColor: '#f5b942', yAxisID: 'ms' },
      ];
      ch.update('none');
      const er = await api('/api/stats?window=1h&bucket=60s');
      const ech = S.charts.errors;
      ech.data.labels = er.timeline.buckets.map((b) => fmtTime(b.t_ms).slice(0, 5));
      ech.data.datasets[0].data = er.timeline.buckets.map((b) => (b.counts.PostToolUseFailure || 0) + (b.counts.StopFailure || 0));
      ech.update('none');
      await updateCostChart();
    } catch (e) { console.warn('charts:', e.message); }
  }

  const MODEL_COLORS = ['#a371f7', '#3b82f6', '#56d364', '#f5b942', '#ff7b72', '#39c5cf', '#db61a2', '#8b949e'];
  /* Dollars per day stacked by model, from /api/usage (tokens read from the
   * transcripts, priced by the server; unpriced models are left out). */
  async function updateCostChart() {
    const since = Date.now() - 30 * 86400000;
    const u = await api('/api/usage?since=' + since);
    const days = [], models = new Map();
    for (let i = 29; i >= 0; i--) days.push(new Date(Date.now() - i * 86400000).toISOString().slice(0, 10));
    for (const g of u.by_day_model || []) {
      if (g.cost_usd === null || g.cost_usd === undefined) continue;
      const sp = String(g.day_model).indexOf(' ');
      const day = g.day_model.slice(0, sp), model = g.day_model.slice(sp + 1) || '(unknown)';
      if (!models.has(model)) models.set(model, new Array(days.length).fill(0));
      const i = days.indexOf(day);
      if (i >= 0) models.get(model)[i] += g.cost_usd;
    }
    const ch = S.charts.cost;
    ch.data.labels = days.map((d) => d.slice(5));
    ch.data.datasets = [...models.keys()].sort().map((m, i) => ({ label: m.replace(/^claude-/, ''), data: models.get(m), backgroundColor: MODEL_COLORS[i % MODEL_COLORS.length], stack: 's' }));
    ch.update('none');
  }

  function setCharts(on) {
    S.chartsOn = on;
    $('charts').hidden = !on;
    $('btn-charts').setAttribute('aria-pressed', String(on));
    localStorage.setItem('chronicle.charts', on ? '1' : '0');
    if (on) { initCharts(); if (S.charts) { updateRateChart(); updateServerCharts(); } }
    renderFeed();
  }

  // ---------------------------------------------------------------- filter controls
  function buildMenu(ddId, values, set) {
    const menu = document.querySelector('#' + ddId + ' .menu');
    const frag = document.createDocumentFragment();
    for (const v of [...values].sort()) {
      const l = el('label');
      const cb = l.appendChild(el('input'));
      cb.type = 'checkbox';
      cb.checked = set.has(v);
      cb.value = v;
      cb.addEventListener('change', () => { if (cb.checked) set.add(v); else set.delete(v); filtersChanged(); });
      l.appendChild(el('span', ddId === 'dd-types' ? typeClass(v) : null, (ddId === 'dd-types' ? (TYPE_ICON[v] || '•') + ' ' : '') + v));
      frag.appendChild(l);
    }
    if (!values.size) frag.appendChild(el('div', 'muted', 'none yet'));
    menu.replaceChildren(frag);
  }

  function toggleMenu(ddId) {
    const menu = document.querySelector('#' + ddId + ' .menu');
    const show = menu.hidden;
    document.querySelectorAll('.menu').forEach((m) => { m.hidden = true; });
    if (show) {
      buildMenu(ddId, ddId === 'dd-types' ? S.typesSeen : S.toolsSeen, ddId === 'dd-types' ? S.filters.types : S.filters.tools);
      menu.hidden = false;
    }
  }

  function syncFilterControls() {
    const f = S.filters;
    $('search').value = f.q;
    $('range').value = f.range;
    $('custom-range').hidden = f.range !== 'custom';
    const loc = (ms) => { if (ms === null) return ''; const d = new Date(ms); return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()); };
    $('range-from').value = loc(f.from);
    $('range-to').value = loc(f.to);
    $('btn-types').textContent = 'Types' + (f.types.size ? ' (' + f.types.size + ')' : '') + ' ▾';
    $('btn-types').classList.toggle('active-filter', f.types.size > 0);
    $('btn-tools').textContent = 'Tools' + (f.tools.size ? ' (' + f.tools.size + ')' : '') + ' ▾';
    $('btn-tools').classList.toggle('active-filter', f.tools.size > 0);
    const chips = $('session-chips');
    chips.replaceChildren();
    for (const sid of f.sessions) {
      const c = chips.appendChild(el('span', 'chip', 'session ' + shortId(sid)));
      c.title = sid;
      const x = c.appendChild(el('button', null, '×'));
      x.title = 'remove';
      x.addEventListener('click', () => { f.sessions.delete(sid); filtersChanged(); });
    }
  }

  function clearFilters() {
    const f = S.filters;
    f.types.clear(); f.tools.clear(); f.sessions.clear(); f.q = ''; f.range = ''; f.from = null; f.to = null;
    filtersChanged();
  }

  // ---------------------------------------------------------------- sidebar collapse
  function setSidebar(collapsed) {
    document.body.classList.toggle('side-collapsed', collapsed);
    $('btn-collapse').textContent = collapsed ? '»' : '«';
    localStorage.setItem('chronicle.sidebar', collapsed ? 'collapsed' : 'open');
    renderFeed();
  }

  // ---------------------------------------------------------------- keyboard
  function onKey(e) {
    const inField = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.target instanceof HTMLTextAreaElement;
    if ((e.ctrlKey || e.metaKey) && (e.key === 'b' || e.key === 'B')) {
      e.preventDefault();
      setSidebar(!document.body.classList.contains('side-collapsed'));
      return;
    }
    if (e.key === 'Escape') {
      if (!$('help').hidden) $('help').hidden = true;
      else if (!$('session-view').hidden) closeSession();
      else if (!$('detail').hidden) closeDetail();
      else if (document.querySelector('.menu:not([hidden])')) document.querySelectorAll('.menu').forEach((m) => { m.hidden = true; });
      else { if (inField) e.target.blur(); clearFilters(); }
      return;
    }
    if (inField || e.ctrlKey || e.metaKey || e.altKey) return;
    switch (e.key) {
      case 'j': selectIndex(S.selected < 0 ? 0 : S.selected + 1, true); if (!$('detail').hidden) openDetail(S.view[S.selected]); break;
      case 'k': selectIndex(S.selected < 0 ? S.view.length - 1 : S.selected - 1, true); if (!$('detail').hidden) openDetail(S.view[S.selected]); break;
      case 'g': selectIndex(0, true); break;
      case 'G': selectIndex(S.view.length - 1, true); break;
      case 'Enter': if (S.selected >= 0) openDetail(S.view[S.selected]); break;
      case 's': if (S.selected >= 0) openSession(S.view[S.selected].session_id); break;
      case '/': e.preventDefault(); $('search').focus(); $('search').select(); break;
      case '?': $('help').hidden = !$('help').hidden; break;
      case 'p': setPaused(!S.paused); break;
      case 'f': setFollow(!S.follow); break;
      case 'c': setCharts(!S.chartsOn); break;
      default: return;
    }
    e.preventDefault();
  }

  // ---------------------------------------------------------------- wiring
  function wire() {
    feed.scroll = $('feed-scroll');
    feed.rows = $('feed-rows');
    feed.spacer = $('feed-spacer');
    feed.scroll.addEventListener('scroll', () => {
      const sc = feed.scroll;
      const atBottom = sc.scrollTop + sc.clientHeight >= sc.scrollHeight - ROW_H;
      if (atBottom !== S.follow && !S.paused) { S.follow = atBottom; $('btn-follow').setAttribute('aria-pressed', String(atBottom)); if (atBottom) $('btn-new').hidden = true; }
      const first = Math.max(0, Math.floor(sc.scrollTop / ROW_H) - 5);
      if (first !== feed.lastFirst) renderFeed();
    }, { passive: true });
    window.addEventListener('resize', () => renderFeed());
    $('btn-new').addEventListener('click', () => setFollow(true));
    $('btn-follow').addEventListener('click', () => setFollow(!S.follow));
    $('btn-pause').addEventListener('click', () => setPaused(!S.paused));
    $('btn-clear').addEventListener('click', clearFilters);
    $('btn-help').addEventListener('click', () => { $('help').hidden = false; });
    $('help').addEventListener('click', () => { $('help').hidden = true; });
    $('btn-charts').addEventListener('click', () => setCharts(!S.chartsOn));
    $('btn-collapse').addEventListener('click', () => setSidebar(true));
    $('btn-sessions').addEventListener('click', () => setSidebar(false));
    $('btn-types').addEventListener('click', (e) => { e.stopPropagation(); toggleMenu('dd-types'); });
    $('btn-tools').addEventListener('click', (e) => { e.stopPropagation(); toggleMenu('dd-tools'); });
    document.addEventListener('click', (e) => { if (!e.target.closest('.dropdown')) document.querySelectorAll('.menu').forEach((m) => { m.hidden = true; }); });
    let searchTimer = 0;
    $('search').addEventListener('input', () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => { S.filters.q = $('search').value; filtersChanged(); }, 120);
    });
    $('search').addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); $('search').blur(); } });
    $('range').addEventListener('change', () => {
      const f = S.filters;
      f.range = $('range').value;
      if (f.range === 'custom' && f.from === null) { f.from = Date.now() - 3600000; f.to = null; }
      filtersChanged();
    });
    const custom = () => {
      const p = (v) => { const t = v ? new Date(v).getTime() : NaN; return isNaN(t) ? null : t; }; // datetime-local is local time
      S.filters.from = p($('range-from').value);
      S.filters.to = p($('range-to').value);
      filtersChanged();
    };
    $('range-from').addEventListener('change', custom);
    $('range-to').addEventListener('change', custom);
    $('stat-awaiting-btn').addEventListener('click', () => {
      const f = S.filters.sessions;
      f.clear();
      for (const id of S.awaitingIds || []) f.add(id);
      filtersChanged();
    });
    $('detail-close').addEventListener('click', closeDetail);
    $('detail-session').addEventListener('click', () => { const ev = S.byId.get(S.detailId); if (ev) openSession(ev.session_id); });
    $('sv-close').addEventListener('click', closeSession);
    $('session-view').addEventListener('click', (e) => { if (e.target === $('session-view')) closeSession(); });
    $('sv-filter').addEventListener('click', () => { const sid = S.svSession; closeSession(); S.filters.sessions = new Set([sid]); filtersChanged(); });
    document.addEventListener('keydown', onKey);
    $('help-tz').textContent = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local';
  }

  function readToken() {
    // #token=... (kept out of the server's logs and of Referer headers).
    const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (m) { sessionStorage.setItem('chronicle.token', decodeURIComponent(m[1])); history.replaceState(null, '', location.pathname + location.search); }
    S.token = sessionStorage.getItem('chronicle.token');
  }

  async function start() {
    readToken();
    wire();
    const open = filtersFromUrl();
    syncFilterControls();
    const saved = localStorage.getItem('chronicle.sidebar');
    setSidebar(saved ? saved === 'collapsed' : window.innerWidth < 900);
    if (localStorage.getItem('chronicle.charts') === '1') setCharts(true);
    try {
      await Promise.all([loadSessions(), loadHistory(),
        api('/health').then((h) => { if (h.idle_after_s > 0) IDLE_AFTER_MS = h.idle_after_s * 1000; }, () => {})]);
    } catch (e) {
      toast('cannot load: ' + e.message);
      console.warn(e);
    }
    loadTotal();
    rebuildView();
    renderSidebar();
    updateHeader();
    if (S.chartsOn && S.charts) updateRateChart();
    const [from] = rangeBounds();
    if (from !== null) ensureHistory(from);
    connect();
    if (open) openSession(open);
    setInterval(ping, 5000);
    setInterval(() => { S.sideDirty = true; updateHeader(); scheduleFrame(); }, 5000);
    setInterval(() => { if (S.filters.range === '5m' || S.filters.range === '1h') { S.viewDirty = true; scheduleFrame(); } }, 10000);
    setInterval(() => { if (S.chartsOn && S.charts) updateRateChart(); }, 2000);
    setInterval(() => { if (S.chartsOn && S.charts) updateServerCharts(); }, 15000);
    // Tokens and cost grow as the collector reads transcripts, which sends
    // no live message: refresh the sessions' figures now and then.
    setInterval(() => { loadSessions().then(() => { S.sideDirty = true; scheduleFrame(); }, (e) => console.warn('sessions:', e.message)); }, 30000);
    S.ready = true;
    document.body.dataset.ready = '1';
  }

  // A small read-only window for tests and the curious (no data is trusted
  // from it: it exposes state, and injects synthetic events for the
  // virtualisation check only).
  window.chronicle = {
    state: S,
    lastId: () => S.lastId,
    viewIds: () => S.view.map((e) => e.id),
    inject: (events) => { S.synthetic = true; for (const ev of events) S.pending.push(ev); scheduleFrame(); },
    rebuild: rebuildView,
    render: renderFeed,
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
