/*
 * dashboard_driver.js - drives the dashboard in headless Chromium (DevTools
 * protocol over a pipe, cdp_pipe.js) against the real collector and server
 * that test_dashboard.sh started, and prints PASS/FAIL lines for tests/run.sh.
 *
 * Environment (from test_dashboard.sh): BASE_URL, TOKEN (the server's
 * token: the page is opened once with ?token=, as `chronicle open` prints it,
 * and the cookie it is exchanged for does the rest), SEND, SERVER,
 * SERVER_PORT, SERVER_PID, CHRONICLE_HOME, DB, FIXTURES, ARTIFACTS, CHROMIUM.
 */
'use strict';
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const http = require('http');
const path = require('path');
const { Browser } = require('./cdp_pipe.js');

const env = process.env;
const BASE = env.BASE_URL;
const S1 = '7d0b6a4e-2f1c-4c59-9a53-3b1e6c2f9d10'; // the fixtures' session
const S2 = '11111111-2222-4333-8444-555555555555';
const S3 = '99999999-8888-4777-8666-555555555555';
let failures = 0;

function pass(name) { console.log('PASS ' + name); }
function fail(name, why) { failures++; console.log('FAIL ' + name + (why ? ': ' + why : '')); console.error('FAIL ' + name + (why ? ': ' + why : '')); }
function check(name, ok, why) { if (ok) pass(name); else fail(name, why); }
function info(msg) { console.error('info: ' + msg); }

function sql(q) { return execFileSync('sqlite3', ['-batch', env.DB, q]).toString().trim(); }
function send(obj) { execFileSync(env.SEND, [], { input: typeof obj === 'string' ? obj : JSON.stringify(obj) }); }
function fixture(name) { return JSON.parse(fs.readFileSync(path.join(env.FIXTURES, name + '.json'), 'utf8')); }
function ev(session, type, extra) {
  return Object.assign({ session_id: session, transcript_path: '/tmp/t.jsonl', cwd: '/home/dev/webapp',
    hook_event_name: type, permission_mode: 'default' }, extra || {});
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function healthUp() {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: env.SERVER_PORT, path: '/health', timeout: 500 }, (res) => { res.resume(); resolve(true); });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
  });
}

/* GET path on the server, with its token: {status, body} (body parsed when JSON). */
function httpGet(p) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: env.SERVER_PORT, path: p, headers: { Authorization: 'Bearer ' + env.TOKEN } }, (res) => {
      let data = '';
      res.on('data', (d) => { data += d; });
      res.on('end', () => { let body = null; try { body = JSON.parse(data); } catch (e) { /* not JSON */ } resolve({ status: res.statusCode, body }); });
    }).on('error', reject);
  });
}

async function restartServer() {
  process.kill(Number(env.SERVER_PID), 'SIGTERM');
  for (let i = 0; i < 200 && await healthUp(); i++) await sleep(20);
  // Events while the server is down: the dashboard must get them after.
  for (let i = 0; i < 30; i++) send(ev(S3, 'UserPromptSubmit', { prompt: 'while-down ' + i }));
  const log = fs.openSync(path.join(env.CHRONICLE_HOME, 'server2.log'), 'a');
  const p = spawn(env.SERVER, ['--port', env.SERVER_PORT], { stdio: ['ignore', 'ignore', log] });
  fs.writeFileSync(path.join(env.CHRONICLE_HOME, 'server2.pid'), String(p.pid));
  for (let i = 0; i < 250 && !(await healthUp()); i++) await sleep(20);
  return p;
}

const js = {
  rowWith: (text) => `[...document.querySelectorAll('#feed-rows .row')].find(r => r.style.display !== 'none' && r.textContent.includes(${JSON.stringify(text)})) ? true : false`,
  viewLen: 'window.chronicle.state.view.length',
};

async function main() {
  // A zone away from UTC (and without daylight saving time) shows that times
  // are the viewer's local time.
  const browser = await Browser.launch(env.CHROMIUM || '/usr/bin/chromium', [], { TZ: 'Asia/Kolkata' });
  let server2 = null;
  try {
    const page = await browser.newPage(1280, 800);
    // Any Content-Security-Policy violation (an inline style Chart.js might
    // add, say) is a bug: record them in every document the page loads.
    await page.cmd('Page.addScriptToEvaluateOnNewDocument', { source:
      "window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));" });
    await page.goto(BASE + '/?token=' + encodeURIComponent(env.TOKEN));
    const ready = await page.waitFor("document.body.dataset.ready === '1'", 15000);
    check('page loads and starts', ready, page.errors.join('; '));
    if (!ready) return;
    check('sign-in: ?token= exchanged, the address bar is the bare URL', (await page.eval('location.href')) === BASE + '/', await page.eval('location.href'));
    check('sign-in: the cookie is HttpOnly (not in document.cookie)', !(await page.eval('document.cookie')).includes('chronicle_token'));

    // History: everything the database holds is loaded.
    const dbCount = Number(sql('SELECT count(*) FROM events'));
    const loaded = await page.waitFor(`window.chronicle.state.events.length === ${dbCount}`, 5000);
    check('history loaded from REST', loaded, 'db ' + dbCount + ', page ' + await page.eval('window.chronicle.state.events.length'));
    check('WebSocket live', await page.waitFor("document.getElementById('conn-text').textContent === 'live'", 5000));
    // What event types mean: the server's table (GET /api/meta) when it has
    // one, else the page's built-in table (a 404 keeps it).
    const meta = await httpGet('/api/meta');
    const pageMeta = await page.eval("JSON.stringify([...window.chronicle.state.meta.flagsOf].map(([n, f]) => n + ':' + [...f].sort().join(',')).sort())");
    if (meta.status === 200) {
      // The flags the page knows (dashboard/js/event_meta.js FLAGS): others are ignored.
      const known = ['tool_start', 'tool_end', 'tool_failure', 'tool_denied', 'prompt', 'turn_end', 'turn_failed', 'session_start',
        'session_end', 'subagent_start', 'subagent_stop', 'awaiting_input', 'error', 'compact', 'notification'];
      const want = JSON.stringify(meta.body.event_types.map((t) => t.name + ':' + t.flags.filter((f) => known.includes(f)).sort().join(',')).sort());
      check('event types\' meaning taken from /api/meta', pageMeta === want, 'page ' + pageMeta + ', server ' + want);
    } else {
      check('event types\' meaning: the built-in table while /api/meta answers 404', meta.status === 404 &&
        await page.eval("window.chronicle.state.meta.POST_TYPES.has('PostToolUse') && window.chronicle.state.meta.ERROR_TYPES.has('StopFailure')"), pageMeta);
    }
    check('header shows the round-trip latency', await page.waitFor("/^\\d+ ms$/.test(document.getElementById('conn-latency').textContent)", 3000), await page.eval("document.getElementById('conn-latency').textContent"));
    check('1280x800: no horizontal overflow', await page.eval('document.documentElement.scrollWidth <= 1280 && document.getElementById(\'feed-scroll\').clientHeight > 300'));
    const [timeText, tsMs] = await page.eval("(() => { const r = document.querySelector('#feed-rows .row'); return [r.querySelector('.c-time').textContent, window.chronicle.state.byId.get(Number(r.dataset.id)).ts_ms]; })()");
    const ist = new Date(tsMs + 5.5 * 3600000).toISOString().slice(11, 23); // UTC+05:30
    check('times shown in the viewer\'s time zone', timeText === ist, 'shown ' + timeText + ', want ' + ist + ' (Asia/Kolkata)');
    check('fixture prompt summary shown', await page.waitFor(js.rowWith('Add a retry to the payment webhook'), 2000));
    check('Bash command summary shown', await page.waitFor(js.rowWith('$ pytest -q tests/test_webhook.py'), 2000));

    // Live: an event sent now shows up in the feed within a second.
    const marker = 'live-marker-' + process.pid;
    send(ev(S2, 'SessionStart', { source: 'startup', model: 'claude-sonnet-4-5' }));
    const t0 = Date.now();
    send(ev(S2, 'UserPromptSubmit', { prompt: 'please ' + marker }));
    const live = await page.waitFor(js.rowWith(marker), 5000);
    const took = Date.now() - t0;
    check('event appears live in the feed', live);
    check('... within a second', live && took < 1000, took + ' ms');
    info('live event visible after ' + took + ' ms');

    // Awaiting input after a permission Notification.
    send(ev(S2, 'Notification', { message: 'Claude needs your permission to use Bash', notification_type: 'permission_prompt' }));
    const awaiting = await page.waitFor(`!!document.querySelector('.group-awaiting .sess[data-sid="${S2}"][data-status="awaiting"]')`, 3000);
    check('session shows "awaiting input" after a permission Notification', awaiting);
    check('header counts the awaiting session', await page.waitFor("Number(document.getElementById('stat-awaiting').textContent) >= 1 && document.getElementById('stat-awaiting-btn').classList.contains('hot')", 2000));
    await page.eval("document.getElementById('stat-awaiting-btn').click()");
    check('clicking the awaiting count shows those sessions', await page.waitFor(`${js.viewLen} > 0 && window.chronicle.state.view.every(e => e.session_id === '${S2}')`, 2000));
    await page.eval("document.getElementById('btn-clear').click()");
    send(ev(S2, 'PreToolUse', { tool_name: 'Bash', tool_input: { command: 'echo joined-marker' }, tool_use_id: 'toolu_join_1' }));
    check('activity moves it back to working', await page.waitFor(`!!document.querySelector('.sess[data-sid="${S2}"][data-status="working"]')`, 3000));

    // Pre/Post joined into one row with the duration.
    send(ev(S2, 'PostToolUse', { tool_name: 'Bash', tool_input: { command: 'echo joined-marker' }, tool_use_id: 'toolu_join_1', tool_response: { stdout: 'joined-marker' }, duration_ms: 1234 }));
    const joined = await page.waitFor(`(() => { const r = [...document.querySelectorAll('#feed-rows .row')].filter(r => r.textContent.includes('echo joined-marker')); return r.length === 1 && r[0].querySelector('.c-dur').textContent === '✓ 1.23 s'; })()`, 3000);
    check('Pre/Post joined in one row with the duration', joined, await page.eval(`[...document.querySelectorAll('#feed-rows .row')].filter(r => r.textContent.includes('joined-marker')).map(r => r.textContent).join(' | ')`));

    await page.eval(`[...document.querySelectorAll('#feed-rows .row')].find(r => r.textContent.includes('echo joined-marker')).click()`);
    check('detail of a joined call shows its result', await page.waitFor(`document.getElementById('detail-body').textContent.includes('Result payload · PostToolUse') && [...document.querySelectorAll('#detail-body pre.out')].some(p => p.textContent === 'joined-marker')`, 3000),
      await page.eval(`[...document.querySelectorAll('#detail-body pre.out')].map(p => JSON.stringify(p.textContent)).join(' | ')`));
    check('... titled by what happened, not by the hook', await page.eval(`document.getElementById('detail-title').textContent === 'Bash done'`), await page.eval(`document.getElementById('detail-title').textContent`));
    check('... below the feed: the feed keeps its width', await page.eval(`document.getElementById('feed').getBoundingClientRect().width === document.getElementById('detail').getBoundingClientRect().width && document.querySelector('#feed-rows .row .c-sum').getBoundingClientRect().width > 240`),
      await page.eval(`[document.getElementById('feed').getBoundingClientRect().width, document.getElementById('detail').getBoundingClientRect().width, document.querySelector('#feed-rows .row .c-sum').getBoundingClientRect().width].join(' ')`));
    await page.key('Escape');

    // Subagent rows are indented.
    const sub = fixture('PreToolUse_in_subagent');
    sub.session_id = S2; sub.tool_use_id = 'toolu_sub_1';
    send(sub);
    check('subagent event indented', await page.waitFor(`[...document.querySelectorAll('#feed-rows .row.sub')].some(r => r.textContent.includes('[Explore·a3f9c2]'))`, 3000),
      await page.eval(`[...document.querySelectorAll('#feed-rows .row.sub')].map(r => r.textContent).join(' | ')`));

    // A payload with markup is shown as text, and nothing in it runs.
    const xss = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">xss-marker';
    send(ev(S2, 'UserPromptSubmit', { prompt: xss }));
    check('payload with <script> shown as text in the feed', await page.waitFor(js.rowWith('<script>window.__xss=1</script><img src=x'), 3000));
    await page.eval(`[...document.querySelectorAll('#feed-rows .row')].find(r => r.textContent.includes('xss-marker')).click()`);
    check('... and as text in the event detail', await page.waitFor(`document.getElementById('detail-body').textContent.includes('<img src=x onerror=')`, 3000));
    await sleep(200);
    check('... and no script ran, no element was created', await page.eval("window.__xss === undefined && document.querySelectorAll('#feed-rows script, #feed-rows img, #detail-body script, #detail-body img').length === 0"));
    check('detail shows copy buttons', await page.eval(`[...document.querySelectorAll('#detail-body button')].some(b => b.textContent === 'Copy JSON')`));
    await page.key('Escape');
    check('Esc closes the detail', await page.waitFor("document.getElementById('detail').hidden", 1000));

    // Flags: a secret in a prompt is redacted by the collector; the detail says so.
    send(ev(S2, 'UserPromptSubmit', { prompt: 'deploy with api_key=sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789 flag-marker' }));
    check('redacted prompt shown redacted in the feed', await page.waitFor(`[...document.querySelectorAll('#feed-rows .row')].some(r => r.textContent.includes('flag-marker') && !r.textContent.includes('abcdefghijklmnop'))`, 3000));
    await page.eval(`[...document.querySelectorAll('#feed-rows .row')].find(r => r.textContent.includes('flag-marker')).click()`);
    check('detail shows the redacted flag', await page.waitFor(`[...document.querySelectorAll('#detail-body .flag')].some(f => f.textContent === 'redacted')`, 3000));
    await page.key('Escape');

    // Filters narrow the feed and live in the URL.
    const total = await page.eval(js.viewLen);
    // The local filter of loaded events (where the server searches history,
    // the box's scope menu switches to it; test_dashboard_search.sh tests the other).
    await page.eval(`(() => { const sc = document.getElementById('search-scope'); if (!sc.hidden) { sc.value = 'loaded'; sc.dispatchEvent(new Event('change')); } })()`);
    await page.eval(`(() => { const s = document.getElementById('search'); s.value = 'xss-marker'; s.dispatchEvent(new Event('input')); })()`);
    check('text filter narrows the feed', await page.waitFor(`${js.viewLen} === 1`, 2000), 'view ' + await page.eval(js.viewLen));
    check('... and is in the URL', (await page.eval('location.search')).includes('q=xss-marker'));
    await page.eval("document.getElementById('search').blur()");
    await page.key('Escape');
    check('Esc clears the filters', await page.waitFor(`${js.viewLen} === ${total} && location.search === ''`, 2000));

    await page.eval("document.getElementById('btn-types').click()");
    await page.eval(`document.querySelector('#dd-types input[value="Notification"]').click()`);
    const nNotif = Number(sql("SELECT count(*) FROM events WHERE event_type='Notification'"));
    check('type filter narrows the feed', await page.waitFor(`${js.viewLen} === ${nNotif} && window.chronicle.state.view.every(e => e.type === 'Notification')`, 2000), 'want ' + nNotif + ' got ' + await page.eval(js.viewLen));
    check('... and is in the URL', (await page.eval('location.search')).includes('type=Notification'));
    await page.eval("document.getElementById('btn-clear').click()");

    await page.eval("document.getElementById('btn-tools').click()");
    await page.eval(`document.querySelector('#dd-tools input[value="Grep"]').click()`);
    const nGrep = Number(sql("SELECT count(*) FROM events WHERE tool_name='Grep' AND event_type NOT IN ('PostToolUse','PostToolUseFailure','PermissionDenied')"));
    check('tool filter narrows the feed (Pre/Post joined)', await page.waitFor(`${js.viewLen} === ${nGrep} && window.chronicle.state.view.every(e => e.tool_name === 'Grep')`, 2000), 'want ' + nGrep + ' got ' + await page.eval(js.viewLen));
    check('... and is in the URL', (await page.eval('location.search')).includes('tool=Grep'));
    await page.eval("document.getElementById('btn-clear').click()");

    // Custom time range: a window in the past holds nothing; one around now holds everything.
    await page.eval(`(() => { const s = document.getElementById('range'); s.value = 'custom'; s.dispatchEvent(new Event('change'));
      const f = document.getElementById('range-from'), t = document.getElementById('range-to');
      f.value = '2001-01-01T00:00:00'; t.value = '2001-01-02T00:00:00'; t.dispatchEvent(new Event('change')); })()`);
    // The inputs are local time: 2001-01-01 00:00 in Asia/Kolkata is 2000-12-31 18:30 UTC.
    check('custom time range (local time) narrows the feed', await page.waitFor(`${js.viewLen} === 0 && location.search.includes('range=custom') && location.search.includes('from=2000-12-31T18%3A30')`, 2000), await page.eval('location.search'));
    await page.eval("document.getElementById('btn-clear').click()");
    check('... clearing restores it', await page.waitFor(`${js.viewLen} === ${total}`, 2000));

    await page.eval(`document.querySelector('.sess[data-sid="${S2}"]').click()`);
    check('session click filters the feed', await page.waitFor(`${js.viewLen} > 0 && window.chronicle.state.view.every(e => e.session_id === '${S2}')`, 2000));
    await page.eval(`document.querySelector('.sess[data-sid="${S1}"]').dispatchEvent(new MouseEvent('click', { bubbles: true, ctrlKey: true }))`);
    check('Ctrl-click adds a session', await page.waitFor(`(() => { const v = window.chronicle.state.view; return v.some(e => e.session_id === '${S1}') && v.some(e => e.session_id === '${S2}') && v.every(e => e.session_id === '${S1}' || e.session_id === '${S2}'); })()`, 2000));

    // A shared URL restores the view.
    await page.goto(BASE + '/?type=Stop,Notification&session=' + S1);
    await page.waitFor("document.body.dataset.ready === '1'", 10000);
    const nStop = Number(sql(`SELECT count(*) FROM events WHERE event_type IN ('Stop','Notification') AND session_id='${S1}'`));
    check('filters restored from the URL', await page.waitFor(`${js.viewLen} === ${nStop} && document.getElementById('btn-types').textContent.includes('(2)')`, 5000), 'want ' + nStop + ' got ' + await page.eval(js.viewLen));
    check('time range "5 min" keeps recent events', await page.eval(`(() => { const s = document.getElementById('range'); s.value = '5m'; s.dispatchEvent(new Event('change')); return location.search.includes('range=5m'); })()`));
    await page.eval("document.getElementById('btn-clear').click()");
    await page.waitFor("document.getElementById('conn-text').textContent === 'live'", 5000);

    // Keyboard.
    await page.key('?');
    check('? opens the help overlay', await page.waitFor("!document.getElementById('help').hidden", 1000));
    await page.key('Escape');
    check('Esc closes it', await page.waitFor("document.getElementById('help').hidden", 1000));
    await page.key('k'); // selects the last row
    await page.key('k');
    await page.key('k');
    await page.key('j');
    check('j/k move the selection', await page.waitFor(`window.chronicle.state.selected === ${js.viewLen} - 2 && !!document.querySelector('#feed-rows .row.sel')`, 1000));
    await page.key('Enter');
    check('Enter opens the event', await page.waitFor("!document.getElementById('detail').hidden && document.getElementById('detail-body').textContent.includes('session')", 2000));
    await page.key('Escape');
    await page.key('/');
    check('/ focuses the search', await page.waitFor("document.activeElement === document.getElementById('search')", 1000));
    await page.eval("document.getElementById('search').blur()");

    // Server restart: no gap, no double.
    const before = await page.eval('window.chronicle.lastId()');
    server2 = await restartServer();
    for (let i = 0; i < 30; i++) send(ev(S3, 'UserPromptSubmit', { prompt: 'after-restart ' + i }));
    const ids = sql('SELECT id FROM events ORDER BY id').split('\n').map(Number);
    const same = await page.waitFor(`JSON.stringify(window.chronicle.state.events.map(e => e.id)) === ${JSON.stringify(JSON.stringify(ids))}`, 10000);
    check('server restart survived: every event once, in order', same, 'page has ' + await page.eval('window.chronicle.state.events.length') + ' db ' + ids.length + ' (last before restart ' + before + ')');
    check('... view has no doubles', await page.eval('new Set(window.chronicle.state.view.map(e => e.id)).size === window.chronicle.state.view.length'));
    check('... connection live again', await page.waitFor("document.getElementById('conn-text').textContent === 'live'", 5000));
    send(ev(S3, 'Stop', { stop_hook_active: false, last_assistant_message: 'done' }));
    check('a Stop with nothing after it: awaiting input', await page.waitFor(`!!document.querySelector('.group-awaiting .sess[data-sid="${S3}"]')`, 3000));
    check('... and the tab title counts it', await page.waitFor("/^\\(\\d+ awaiting\\) Chronicle$/.test(document.title)", 2000), await page.eval('document.title'));
    check('... the session born while it was down is in the sidebar', await page.waitFor(`!!document.querySelector('.sess[data-sid="${S3}"]')`, 3000));
    check('... summaries of missed events filled', await page.waitFor("['while-down 0', 'after-restart 29'].every(t => window.chronicle.state.events.some(e => e.summary === t))", 3000));
    await page.key('G');
    check('G jumps to the newest event', await page.waitFor(js.rowWith('after-restart 29'), 2000));

    // Charts (Chart.js) and the main screenshot.
    await page.key('c');
    check('charts drawn with Chart.js', await page.waitFor("typeof Chart === 'function' && Chart.getChart(document.getElementById('chart-rate')) && Chart.getChart(document.getElementById('chart-rate')).data.datasets.length > 0", 5000));
    check('daily cost chart drawn', await page.waitFor("(() => { const c = Chart.getChart(document.getElementById('chart-cost')); return !!c && c.data.labels.length >= 7 && c.data.labels.length <= 30; })()", 10000));
    check('tool chart has p50/p95', await page.waitFor("(() => { const c = Chart.getChart(document.getElementById('chart-tools')); return c && c.data.labels.includes('Bash') && c.data.datasets.some(d => d.label === 'p95 ms'); })()", 10000));
    await sleep(300);
    check('no Content-Security-Policy violation (charts drawn)', await page.eval('window.__csp.length === 0'), await page.eval("window.__csp.join('; ')"));
    await page.eval("(() => { const st = document.createElement('style'); st.textContent = '.x{}'; document.head.appendChild(st); st.remove(); })()");
    check('... the CSP is enforced (an inline <style> is refused)', await page.waitFor('window.__csp.length === 1', 2000), await page.eval("window.__csp.join('; ')"));
    await page.screenshot(path.join(env.ARTIFACTS, 'dashboard-main.png'));

    // Session view.
    await page.eval(`document.querySelector('.sess[data-sid="${S1}"] .sess-open').click()`);
    check('session view shows the timeline', await page.waitFor("document.querySelectorAll('#sv-timeline .bar').length > 0", 5000));
    check('... with errors marked', await page.eval("document.querySelectorAll('#sv-timeline .bar.error, #sv-timeline .mark.err').length > 0"));
    check('... subagents as lanes', await page.eval("[...document.querySelectorAll('#sv-timeline .lane-label')].some(l => l.textContent.includes('Explore·a3f9c2'))"));
    check('... beside the feed, not over it', await page.eval("(() => { const f = document.getElementById('feed').getBoundingClientRect(), v = document.getElementById('session-view').getBoundingClientRect(); return f.width > 300 && v.left >= f.right - 1; })()"));
    check('... and its prompts', await page.eval("document.querySelector('#sv-body .prompts').textContent.includes('Add a retry to the payment webhook')"));
    check('... and is in the URL', (await page.eval('location.search')).includes('open=' + S1));
    await page.screenshot(path.join(env.ARTIFACTS, 'dashboard-session.png'));
    send(ev(S1, 'UserPromptSubmit', { prompt: 'session-view-live-marker' }));
    check('... and follows new events while open', await page.waitFor("document.querySelector('#sv-body .prompts').textContent.includes('session-view-live-marker')", 5000));
    await page.key('Escape');
    check('Esc closes the session view', await page.waitFor("document.getElementById('session-view').hidden && !location.search.includes('open=')", 1000));

    // Sidebar collapse, kept across reloads.
    await page.key('b', process.platform === 'darwin' ? 4 : 2);
    check('Ctrl+B collapses the sidebar', await page.waitFor("document.body.classList.contains('side-collapsed') && localStorage.getItem('chronicle.sidebar') === 'collapsed'", 1000));
    await page.goto(BASE + '/');
    await page.waitFor("document.body.dataset.ready === '1'", 10000);
    check('... and stays collapsed after a reload', await page.eval("document.body.classList.contains('side-collapsed')"));
    check('... with a button to bring it back', await page.eval("getComputedStyle(document.getElementById('btn-sessions')).display !== 'none'"));

    // Narrow window (sidebar collapsed, charts off): nothing overflows sideways.
    if (await page.eval('window.chronicle.state.chartsOn')) await page.key('c');
    await page.resize(720, 800);
    await sleep(300);
    check('narrow window: no horizontal overflow', await page.eval('document.documentElement.scrollWidth <= 720'), String(await page.eval('document.documentElement.scrollWidth')));
    await page.screenshot(path.join(env.ARTIFACTS, 'dashboard-narrow.png'));
    await page.resize(1280, 800);
    await page.key('b', 2);

    // 100,000 events: the feed stays virtualised.  (Synthetic ids above the
    // real ones, so this runs last.)
    const n = 100000;
    await page.eval(`(() => {
      const base = window.chronicle.lastId() + 1, now = Date.now(), evs = [];
      for (let i = 0; i < ${n}; i++) evs.push({ id: base + i, session_id: 'synthetic-' + (i % 7), type: i % 3 ? 'PreToolUse' : 'UserPromptSubmit',
        ts_ms: now - (${n} - i) * 5, stored_ms: now, tool_name: i % 3 ? 'Bash' : null, tool_use_id: null, agent_id: i % 5 === 0 ? 'ag' : null,
        duration_ms: null, flags: {}, payload: i % 3 ? { tool_input: { command: 'make test ' + i } } : { prompt: 'synthetic prompt ' + i } });
      window.chronicle.state.stats.maxApplyMs = 0;
      window.__t0 = performance.now();
      window.chronicle.inject(evs);
      return true;
    })()`);
    await page.waitFor(`${js.viewLen} >= ${n} && window.chronicle.state.pending.length === 0`, 20000);
    const burst = await page.eval('({ total: performance.now() - window.__t0, maxFrame: window.chronicle.state.stats.maxApplyMs })');
    const loadedMany = await page.eval(`${js.viewLen} >= ${n}`);
    const domRows = await page.eval("document.querySelectorAll('#feed-rows .row').length");
    check('100,000 events in the feed', loadedMany);
    check('... rendered with a bounded number of row elements', domRows < 200, domRows + ' rows');
    const scrollOk = await page.eval(`(() => new Promise((resolve) => {
      const sc = document.getElementById('feed-scroll'); sc.scrollTop = sc.scrollHeight / 2;
      requestAnimationFrame(() => requestAnimationFrame(() => {
        const r = [...document.querySelectorAll('#feed-rows .row')].filter(x => x.style.display !== 'none');
        const v = window.chronicle.state.view;
        resolve(r.length > 10 && r.every(x => v[x.idx] && String(v[x.idx].id) === x.dataset.id));
      }));
    }))()`);
    check('... scrolling to the middle shows the right rows', scrollOk);
    // With 100,000 loaded: what one scroll step and one live event cost
    // (reported, not asserted: a wall-clock limit would be a flaky test).
    const costs = await page.eval(`(() => new Promise((resolve) => {
      const sc = document.getElementById('feed-scroll'), t = [];
      for (let i = 0; i < 50; i++) { sc.scrollTop = (i * 7919 * 22) % sc.scrollHeight; const a = performance.now(); window.chronicle.render(); t.push(performance.now() - a); }
      t.sort((a, b) => a - b);
      const live = [];
      const one = () => {
        if (live.length === 10) { live.sort((a, b) => a - b); resolve({ scrollP50: t[25], scrollMax: t[49], liveMs: live[5], liveMax: live[9] }); return; }
        const id = window.chronicle.lastId() + 1;
        window.chronicle.inject([{ id, session_id: 'synthetic-0', type: 'Stop', ts_ms: Date.now(), stored_ms: Date.now(), tool_name: null, agent_id: null, duration_ms: null, flags: {}, payload: { last_assistant_message: 'one more' } }]);
        requestAnimationFrame(() => { live.push(window.chronicle.state.stats.applyMs); setTimeout(one, 20); });
      };
      one();
    }))()`);
    info('with 100,000 events: render after a scroll p50 ' + costs.scrollP50.toFixed(2) + ' ms, max ' + costs.scrollMax.toFixed(2) + ' ms; one live event applied in p50 ' + costs.liveMs.toFixed(2) + ' ms, max ' + costs.liveMax.toFixed(2) + ' ms (10 events)');
    info('a burst of 100,000 events applied in ' + burst.total.toFixed(0) + ' ms, spread over frames of at most ' + burst.maxFrame.toFixed(1) + ' ms');

    check('no JavaScript errors on the page', page.errors.length === 0, page.errors.join(' | '));
  } finally {
    await browser.close();
    if (server2) server2.kill('SIGTERM');
  }
}

/* With CHRONICLE_TOKEN set: without the token the page is the sign-in page
 * (no blank screen); the link with ?token= signs in, the token leaves the
 * address bar, and REST and the WebSocket work on the cookie alone. */
async function tokenScenario() {
  const browser = await Browser.launch(env.CHROMIUM || '/usr/bin/chromium');
  try {
    const page = await browser.newPage(1280, 800);
    await page.goto(env.TOKEN_URL + '/');
    check('token: without it, the sign-in page says how to get the link', await page.waitFor("document.body && document.body.textContent.includes('chronicle open')", 5000),
      await page.eval('document.body ? document.body.textContent.slice(0, 200) : ""'));
    await page.goto(env.TOKEN_URL + '/?token=not-the-token');
    check('token: a wrong token says so', await page.waitFor("document.body && document.body.textContent.includes('not this server')", 5000));
    await page.goto(env.TOKEN_URL + '/?token=' + encodeURIComponent(env.TOKEN));
    check('token: page loads with ?token=', await page.waitFor("document.body.dataset.ready === '1'", 15000));
    const n = Number(sql('SELECT count(*) FROM events'));
    check('token: history read with the cookie', await page.waitFor(`window.chronicle.state.events.length === ${n}`, 5000));
    check('token: WebSocket live with the cookie', await page.waitFor("document.getElementById('conn-text').textContent === 'live'", 5000));
    check('token: removed from the address bar', !(await page.eval('location.href')).includes('token'));
    send(ev(S2, 'UserPromptSubmit', { prompt: 'token-live-marker' }));
    check('token: live events arrive', await page.waitFor(js.rowWith('token-live-marker'), 3000));
    check('token: no JavaScript errors', page.errors.length === 0, page.errors.join(' | '));
  } finally {
    await browser.close();
  }
}

(env.TOKEN_URL ? tokenScenario() : main()).then(() => process.exit(failures ? 1 : 0), (e) => { fail('driver', e.stack || String(e)); process.exit(1); });
