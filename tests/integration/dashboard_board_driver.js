/*
 * dashboard_board_driver.js - the status board in headless Chromium
 * (cdp_pipe.js) against the real collector and server that
 * test_dashboard_board.sh started with CHRONICLE_IDLE_AFTER_S=2: every state
 * and reason, a permission prompt outliving idle_after_s, the stable order,
 * the ticking waits, the header's counts and the tab title, titles, the 800 px
 * layout, a transcript's markup drawn as text, the alerts badge and
 * notifications (asked for on a click only), and the signed-out message.
 * Prints PASS/FAIL lines for tests/run.sh.
 *
 * Environment: BASE_URL, TOKEN, SEND, SERVER_PORT, CHRONICLE_HOME, DB,
 * ARTIFACTS, CHROMIUM, IDLE_AFTER_S.
 */
'use strict';
const { execFileSync } = require('child_process');
const http = require('http');
const path = require('path');
const { Browser } = require('./cdp_pipe.js');

const env = process.env;
const BASE = env.BASE_URL;
let failures = 0;
function pass(name) { console.log('PASS ' + name); }
function fail(name, why) { failures++; console.log('FAIL ' + name + (why ? ': ' + why : '')); console.error('FAIL ' + name + (why ? ': ' + why : '')); }
function check(name, ok, why) { if (ok) pass(name); else fail(name, why); }
function info(msg) { console.error('info: ' + msg); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* GET path on the server with the token: {status, body}. */
function httpGet(p) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: env.SERVER_PORT, path: p, headers: { Authorization: 'Bearer ' + env.TOKEN } }, (res) => {
      let data = '';
      res.on('data', (d) => { data += d; });
      res.on('end', () => { let body = null; try { body = JSON.parse(data); } catch (e) { /* not JSON */ } resolve({ status: res.statusCode, body }); });
    }).on('error', reject);
  });
}
const hasEndpoint = async (p) => { const r = await httpGet(p); return !(r.status === 404 && r.body && r.body.error && /no such endpoint/.test(r.body.error.message)); };

function sql(q) { return execFileSync('sqlite3', ['-batch', env.DB, q]).toString().trim(); }
function send(obj) { execFileSync(env.SEND, [], { input: JSON.stringify(obj) }); }
function ev(session, project, type, extra) {
  return Object.assign({ session_id: session, transcript_path: '/tmp/none-' + session + '.jsonl', cwd: project,
    hook_event_name: type, permission_mode: 'default' }, extra || {});
}
const sid = (n) => 'b' + n + 'a7d000-0000-4000-8000-' + String(n).padStart(12, '0');
const PERM = sid(1), TURN = sid(2), IDLEP = sid(3), ELIC = sid(4), FAILED = sid(5), IDLE = sid(6), WORK = sid(7), ENDED = sid(8), PERM2 = sid(9);

/* The sessions: each left in one state, with the reason it waits for. */
function play() {
  const start = (s, proj, prompt) => { send(ev(s, proj, 'SessionStart', { source: 'startup', model: 'claude-sonnet-4-5' })); send(ev(s, proj, 'UserPromptSubmit', { prompt })); };
  start(PERM, '/home/dev/alpha', 'Clean the build directory and rebuild');
  send(ev(PERM, '/home/dev/alpha', 'PreToolUse', { tool_name: 'Bash', tool_input: { command: 'rm -rf build' }, tool_use_id: 'tu-perm' }));
  send(ev(PERM, '/home/dev/alpha', 'PermissionRequest', { tool_name: 'Bash', tool_input: { command: 'rm -rf build' } }));
  start(TURN, '/home/dev/beta', 'Explain the payment retry logic');
  send(ev(TURN, '/home/dev/beta', 'Stop', { stop_hook_active: false, last_assistant_message: 'It retries three times.' }));
  start(IDLEP, '/home/dev/beta', 'Summarise the open issues');
  send(ev(IDLEP, '/home/dev/beta', 'Notification', { message: 'Claude is waiting for your input', notification_type: 'idle_prompt' }));
  start(ELIC, '/home/dev/gamma', 'Set up the deploy');
  send(ev(ELIC, '/home/dev/gamma', 'Elicitation', { message: 'Which environment?', mcp_server_name: 'deploy' }));
  start(FAILED, '/home/dev/gamma', 'Refactor the parser');
  send(ev(FAILED, '/home/dev/gamma', 'StopFailure', { error: 'rate_limit', error_details: '429 Too Many Requests' }));
  start(IDLE, '/home/dev/alpha', 'Run the long benchmark');
  send(ev(IDLE, '/home/dev/alpha', 'PreToolUse', { tool_name: 'Bash', tool_input: { command: 'make bench' }, tool_use_id: 'tu-idle' }));
  start(ENDED, '/home/dev/delta', 'Quick question');
  send(ev(ENDED, '/home/dev/delta', 'SessionEnd', { reason: 'prompt_input_exit' }));
  start(PERM2, '/home/dev/alpha', 'Push the release branch');
  send(ev(PERM2, '/home/dev/alpha', 'PermissionRequest', { tool_name: 'Bash', tool_input: { command: 'git push origin release' } }));
}

const card = (s) => `document.querySelector('.sess[data-sid="${s}"]')`;
const cardState = (s) => `(${card(s)} ? ${card(s)}.dataset.state : 'missing')`;
const reason = (s) => `(${card(s)} ? ${card(s)}.querySelector('.reason-text').textContent : '')`;

async function main() {
  const browser = await Browser.launch(env.CHROMIUM || '/usr/bin/chromium', [], { TZ: 'Asia/Kolkata' });
  try {
    const page = await browser.newPage(1280, 800);
    // A stand-in for the Notification API that records what the page does
    // with it (headless Chromium shows no notifications).
    await page.cmd('Page.addScriptToEvaluateOnNewDocument', { source: `
      window.__notes = []; window.__asked = 0;
      window.Notification = class { constructor(title, opts) { window.__notes.push({ title, body: opts && opts.body }); } };
      window.Notification.permission = 'default';
      window.Notification.requestPermission = () => { window.__asked++; window.Notification.permission = 'granted'; return Promise.resolve('granted'); };` });
    play();
    const waitS = Number(env.IDLE_AFTER_S) * 2 + 1;
    info('waiting ' + waitS + ' s: longer than idle_after_s (' + env.IDLE_AFTER_S + ' s)');
    await sleep(waitS * 1000);
    // The working session: an event just now.
    send(ev(WORK, '/home/dev/delta', 'SessionStart', { source: 'startup' }));
    send(ev(WORK, '/home/dev/delta', 'UserPromptSubmit', { prompt: 'Write the changelog' }));
    await page.goto(BASE + '/?token=' + encodeURIComponent(env.TOKEN));
    check('page loads', await page.waitFor("document.body.dataset.ready === '1'", 15000), page.errors.join('; '));
    check('all sessions on the board', await page.waitFor(`document.querySelectorAll('#session-list .sess').length === 9`, 5000),
      String(await page.eval("document.querySelectorAll('#session-list .sess').length")));
    const sess = await page.eval("JSON.stringify([...window.chronicle.state.sessions.values()][0])");
    const contract = JSON.parse(sess).state_since_ms !== undefined;
    info('session JSON has the state fields (contract 1): ' + contract);

    // Each newer part shows exactly where the server has its endpoint.
    for (const [name, probe, visible] of [
      ['history search', '/api/search?q=x&limit=1', "!document.getElementById('search-scope').hidden"],
      ['conversation tab', '/api/sessions/' + PERM + '/conversation?limit=1', 'window.chronicle.state.features.conversation === true'],
      ['spend today', '/api/cost', "!document.getElementById('stat-spend-box').hidden"],
      ['alerts menu', '/api/alerts?limit=1', "!document.getElementById('dd-alerts').hidden"]]) {
      const served = await hasEndpoint(probe);
      check(name + (served ? ': shown, the server has ' : ': hidden, the server has no ') + probe.replace(/\?.*/, ''), (await page.eval(visible)) === served);
    }

    // Every state, and the reason in words.
    check('permission prompt: awaiting after more than idle_after_s', (await page.eval(cardState(PERM))) === 'awaiting_input', await page.eval(cardState(PERM)));
    const permText = await page.eval(reason(PERM));
    if (contract) check('... its reason names the tool and the command', permText === 'Permission: Bash `rm -rf build`', permText);
    else check('... its reason says permission', permText.startsWith('Permission'), permText);
    check('finished turn: awaiting, "Finished its turn"', (await page.eval(cardState(TURN))) === 'awaiting_input' && (await page.eval(reason(TURN))) === 'Finished its turn', await page.eval(reason(TURN)));
    // (An older server cannot tell one Notification from another.)
    check('idle prompt: awaiting, "Idle prompt"', (await page.eval(cardState(IDLEP))) === 'awaiting_input' && (await page.eval(reason(IDLEP))) === (contract ? 'Idle prompt' : 'Awaiting input'), await page.eval(reason(IDLEP)));
    check('elicitation: awaiting, "Asking a question"', (await page.eval(cardState(ELIC))) === 'awaiting_input' && (await page.eval(reason(ELIC))).startsWith('Asking a question'), await page.eval(reason(ELIC)));
    const failText = await page.eval(reason(FAILED));
    check('StopFailure: failed', (await page.eval(cardState(FAILED))) === 'failed', await page.eval(cardState(FAILED)));
    if (contract) check('... "Failed: rate limit"', failText === 'Failed: rate limit', failText);
    else check('... its reason says failed', failText.startsWith('Failed'), failText);
    check('working session past idle_after_s: idle', (await page.eval(cardState(IDLE))) === 'idle', await page.eval(cardState(IDLE)));
    check('a session with an event just now: working', (await page.eval(cardState(WORK))) === 'working', await page.eval(cardState(WORK)));
    check('SessionEnd: ended', (await page.eval(cardState(ENDED))) === 'ended', await page.eval(cardState(ENDED)));

    // Grouped by state (awaiting first), then project; longest waiting first.
    const groups = await page.eval("[...document.querySelectorAll('#session-list .group')].map(g => g.dataset.state).join(',')");
    check('groups in order: awaiting, failed, working, idle, ended', groups === 'awaiting_input,failed,working,idle,ended', groups);
    const awaitingOrder = await page.eval("[...document.querySelectorAll('.group[data-state=awaiting_input] .proj-title, .group[data-state=awaiting_input] .sess')].map(e => e.dataset.sid || e.textContent).join(',')");
    check('... awaiting by project, longest waiting first', awaitingOrder === ['alpha', PERM, PERM2, 'beta', TURN, IDLEP, 'gamma', ELIC].join(','), awaitingOrder);
    check('every card shows its project group', await page.eval("[...document.querySelectorAll('#session-list .sess')].every(c => c.previousElementSibling && (c.previousElementSibling.classList.contains('proj-title') || c.previousElementSibling.classList.contains('sess')))"));
    // A new event of an awaiting session's neighbour does not reshuffle.
    send(ev(TURN, '/home/dev/beta', 'Notification', { message: 'still there?', notification_type: 'other' }));
    await sleep(1500);
    const again = await page.eval("[...document.querySelectorAll('.group[data-state=awaiting_input] .proj-title, .group[data-state=awaiting_input] .sess')].map(e => e.dataset.sid || e.textContent).join(',')");
    check('... and the order stays when events come', again === awaitingOrder, again);

    // Waiting times tick; header counts; tab title.
    const w1 = await page.eval(`${card(PERM)}.querySelector('.wait').textContent`);
    await sleep(2100);
    const w2 = await page.eval(`${card(PERM)}.querySelector('.wait').textContent`);
    check('waiting time ticks', w1 !== w2 && /^\d+(s|m \d\ds)$/.test(w2), w1 + ' -> ' + w2);
    const counts = await page.eval("['stat-working', 'stat-awaiting', 'stat-failed'].map(i => document.getElementById(i).textContent).join(' ')");
    check('header counts working / awaiting / failed apart', counts === '1 5 1', counts);
    check('tab title counts the awaiting', /^\(5 awaiting( · \d+ alerts?)?\) Chronicle$/.test(await page.eval('document.title')), await page.eval('document.title'));

    // Titles where the server gives them (contract 1), else the short id.
    const title = await page.eval(`${card(PERM)}.querySelector('.sess-title').textContent`);
    if (contract) check('title: the first prompt', title === 'Clean the build directory and rebuild', title);
    else check('title: the short id while the server has none', title === PERM.slice(0, 8), title);
    check('cost never cut: the title gives way', await page.eval("[...document.querySelectorAll('.sess-cost')].every(c => c.scrollWidth <= c.clientWidth)"));
    check('board text at least 13 px', await page.eval("[...document.querySelectorAll('.sess-title, .reason-text, #feed-rows .row span')].every(e => parseFloat(getComputedStyle(e).fontSize) >= 13)"));
    await page.screenshot(path.join(env.ARTIFACTS, 'board-main.png'));

    // The cost overview, where the server has GET /api/cost (and the daily
    // budget the test configured drawn as a line).
    const cost = await httpGet('/api/cost');
    if (cost.status === 200) {
      const usd = (x) => '$' + Number(x).toFixed(2);
      check('spend today in the header, as the server says', (await page.eval("document.getElementById('stat-spend').textContent")) === usd(cost.body.today.cost_usd),
        await page.eval("document.getElementById('stat-spend').textContent") + ' vs ' + JSON.stringify(cost.body.today));
      await page.eval("document.getElementById('btn-charts').click()");
      check('cost overview: today, 7 days, 30 days', await page.waitFor("!document.getElementById('cost-box').hidden && [...document.querySelectorAll('#cost-overview .cost-totals .stat-label')].map(e => e.textContent).join(',').startsWith('today,last 7 days,last 30 days')", 3000));
      check('... by project and by model', await page.eval("[...document.querySelectorAll('#cost-overview table th:first-child')].map(e => e.textContent).join(',') === 'project,model' || (document.getElementById('cost-overview').textContent.includes('no priced usage by project') && document.getElementById('cost-overview').textContent.includes('no priced usage by model'))"));
      if (cost.body.budget && typeof cost.body.budget.daily_usd === 'number') {
        check('daily budget drawn as a line on the daily chart', await page.waitFor("(() => { const c = Chart.getChart(document.getElementById('chart-cost')); return !!c && c.data.datasets.some(d => d.label === 'daily budget' && d.data.every(v => v === 5)); })()", 10000));
      }
      await page.screenshot(path.join(env.ARTIFACTS, 'board-cost.png'));
      await page.eval("document.getElementById('btn-charts').click()");
    } else info('no /api/cost (' + cost.status + '): spend hidden, checked above');

    // The project filter narrows the board and the feed.
    await page.eval("document.getElementById('btn-projects').click()");
    await page.eval("[...document.querySelectorAll('#dd-projects .menu label')].find(l => l.textContent === 'gamma').querySelector('input').click()");
    check('project filter: the board shows that project only', await page.waitFor(`document.querySelectorAll('#session-list .sess').length === 2 && !!${card(ELIC)} && !!${card(FAILED)}`, 3000));
    check('... and so does the feed', await page.eval("window.chronicle.state.view.length > 0 && window.chronicle.state.view.every(e => e.cwd === '/home/dev/gamma')"));
    check('... and it is in the URL', (await page.eval('location.search')).includes('project=%2Fhome%2Fdev%2Fgamma'), await page.eval('location.search'));
    await page.eval("document.getElementById('btn-clear').click()");
    await page.eval("document.body.click()");

    // 800 px: the session, project and tool columns stay; nothing overflows.
    await page.resize(800, 800);
    await sleep(400);
    const cols = await page.eval("(() => { const r = [...document.querySelectorAll('#feed-rows .row')].find(x => x.style.display !== 'none'); return ['c-time', 'c-sess', 'c-tool', 'c-sum'].map(c => Math.round(r.querySelector('.' + c).getBoundingClientRect().width)); })()");
    check('800 px: time, project · session, tool and summary columns visible', cols[0] > 60 && cols[1] > 100 && cols[2] > 40 && cols[3] > 150, cols.join(' '));
    check('800 px: no horizontal overflow', await page.eval('document.documentElement.scrollWidth <= 800'), String(await page.eval('document.documentElement.scrollWidth')));
    await page.screenshot(path.join(env.ARTIFACTS, 'board-800.png'));
    await page.resize(1280, 800);
    await sleep(200);

    // A transcript's markup is text: the conversation view's drawing of
    // contract-shaped items (with or without the server's endpoint).
    const xss = await page.eval(`(async () => {
      const m = await import('/assets/conversation_view.js');
      const box = document.createElement('div'); box.id = 'xss-box'; document.body.appendChild(box);
      const evil = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
      for (const it of [{ type: 'user', ts_ms: Date.now(), text: evil, event_id: null },
        { type: 'assistant', ts_ms: Date.now(), text: evil, model: 'claude-x' },
        { type: 'tool', ts_ms: Date.now(), name: 'Bash', tool_use_id: 't', input: { command: evil }, input_size: 10,
          result: { text: evil, size: 90000, truncated: true, is_error: false }, pre_event_id: null, post_event_id: null,
          subagent: { agent_id: 'ag1', agent_type: 'Explore', description: evil, final_text: evil } },
        { type: 'tool', ts_ms: Date.now(), name: 'Edit', input: { file_path: '/x.html', old_string: '<b>a</b>', new_string: evil }, result: null }]) box.appendChild(m.drawItem(it, 'sid'));
      await new Promise((r) => setTimeout(r, 300));
      return { imgs: box.querySelectorAll('img, script, b').length, xss: window.__xss === undefined, text: box.textContent.split(evil).length - 1, cut: box.textContent.includes('truncated (88 KB)') };
    })()`);
    check('transcript markup rendered as text, never as elements', xss.imgs === 0 && xss.xss && xss.text >= 6, JSON.stringify(xss));
    check('... a cut result marked with its size', xss.cut, JSON.stringify(xss));
    await page.eval("document.getElementById('xss-box').remove()");

    // Alerts.  Permission is never asked on load.
    check('notification permission not asked on load', (await page.eval('window.__asked')) === 0);
    if (await hasEndpoint('/api/alerts?limit=1')) await realAlerts(page);
    else await syntheticAlerts(page);

    // The page holds ids the database behind it does not have (a replaced
    // database): on reconnecting, the server says reset (and /health's last
    // id is below ours); the page starts over with what the database holds.
    await page.eval('window.__before_reset = 1; window.chronicle.state.lastId = 1e12; window.chronicle.state.ws.close()');
    check('a replaced database: the page starts over', await page.waitFor(`window.__before_reset === undefined && document.body.dataset.ready === '1' && window.chronicle.state.lastId === ${Number(sql('SELECT max(id) FROM events'))}`, 10000),
      String(await page.eval('window.chronicle && window.chronicle.state.lastId')));

    // Sign-in gone (cookie cleared): a clear message, not silence.
    await page.cmd('Network.clearBrowserCookies', {});
    await page.eval('window.chronicle.refresh()');
    check('401: the page says to run chronicle open', await page.waitFor("!document.getElementById('signed-out').hidden && document.getElementById('signed-out').textContent.includes('chronicle open')", 3000));
    check('no JavaScript errors', page.errors.length === 0, page.errors.join(' | '));
  } finally {
    await browser.close();
  }
}

/* The server's alerts (the collector fired them for the sessions waiting
 * longer than alert_awaiting_after_s): the badge counts the open ones, a new
 * one arriving over the WebSocket shows one notification once permitted,
 * Acknowledge posts and the badge follows. */
async function realAlerts(page) {
  const open = async () => ((await httpGet('/api/alerts?state=open&limit=200')).body.alerts || []).filter((a) => !a.acknowledged_ms && !a.resolved_ms);
  let n = 0;
  for (let i = 0; i < 50 && (n = (await open()).length) < 4; i++) await sleep(100);
  check('alerts: the server fired some for the waiting sessions', n >= 4, String(n));
  await page.eval('window.chronicle.refresh()');
  check('alerts: the badge counts the open ones', await page.waitFor(`document.getElementById('alerts-badge').textContent === '${n}'`, 5000),
    await page.eval("document.getElementById('alerts-badge').textContent") + ' vs ' + n);
  check('... and so does the tab title', await page.waitFor(`document.title.includes('${n} alert')`, 2000), await page.eval('document.title'));
  await page.eval("document.getElementById('btn-alerts').click()");
  check('... the menu lists them', await page.waitFor(`document.querySelectorAll('#alerts-list .alert.open').length === ${n}`, 2000));
  check('... a button asks for notifications', !(await page.eval("document.getElementById('btn-notify').hidden")));
  await page.eval("document.getElementById('btn-notify').click()");
  check('... asked on the click', await page.waitFor('window.__asked === 1', 2000));
  // A new wait: its alert comes over the WebSocket, one notification.
  const NEWP = sid(10);
  send(ev(NEWP, '/home/dev/alpha', 'UserPromptSubmit', { prompt: 'Delete the old release tags' }));
  send(ev(NEWP, '/home/dev/alpha', 'PermissionRequest', { tool_name: 'Bash', tool_input: { command: 'git tag -d v1' } }));
  check('a new alert: one browser notification', await page.waitFor("window.__notes.length === 1", 15000), await page.eval('JSON.stringify(window.__notes)'));
  const note = JSON.parse(await page.eval('JSON.stringify(window.__notes[0] || {})'));
  check('... saying who and why', note.title === 'Needs you: Delete the old release tags' && note.body === 'Permission: Bash `git tag -d v1`', JSON.stringify(note));
  await sleep(500);
  check('... and not twice', (await page.eval('window.__notes.length')) === 1);
  await page.screenshot(path.join(env.ARTIFACTS, 'board-alerts.png'));
  const before = Number(await page.eval("document.getElementById('alerts-badge').textContent"));
  const id = Number(await page.eval("document.querySelector('#alerts-list .alert.open').dataset.id"));
  await page.eval("document.querySelector('#alerts-list .alert.open .alert-ack').click()");
  let acked = false;
  for (let i = 0; i < 50 && !acked; i++) { const a = ((await httpGet('/api/alerts?limit=200')).body.alerts || []).find((x) => x.id === id); acked = !!(a && a.acknowledged_ms); if (!acked) await sleep(100); }
  check('Acknowledge: the server records it', acked);
  check('... and the badge follows', await page.waitFor(`Number(document.getElementById('alerts-badge').textContent) === ${before - 1}`, 3000),
    await page.eval("document.getElementById('alerts-badge').textContent") + ' (was ' + before + ')');
  await page.eval('document.body.click()');
}

/* Without the endpoint: alerts as the WebSocket would send them (contract
 * 5) still draw the badge, the title and the notifications. */
async function syntheticAlerts(page) {
  const alert = { id: 901, rule: 'awaiting', session_id: PERM, title: 'Clean the build directory', project: '/home/dev/alpha', machine: 'm',
    reason: 'permission', detail: { tool_name: 'Bash', tool_input: 'rm -rf build' }, fired: null, fired_ms: Date.now(), resolved: null, resolved_ms: null, acknowledged: null, acknowledged_ms: null, deliveries: [] };
  await page.eval(`window.chronicle.state.onAlert(${JSON.stringify(alert)})`);
  check('alert: badge in the header', await page.waitFor("!document.getElementById('alerts-badge').hidden && document.getElementById('alerts-badge').textContent === '1'", 2000));
  check('... and in the tab title', (await page.eval('document.title')) === '(5 awaiting · 1 alert) Chronicle', await page.eval('document.title'));
  check('... no notification before permission', (await page.eval('window.__notes.length')) === 0);
  await page.eval("document.getElementById('btn-alerts').click()");
  check('... the button asks for permission', await page.waitFor("!document.getElementById('btn-notify').hidden", 2000));
  await page.eval("document.getElementById('btn-notify').click()");
  check('... asked on the click', await page.waitFor('window.__asked === 1', 2000));
  const second = Object.assign({}, alert, { id: 902, session_id: PERM2, title: 'Push the release branch' });
  await page.eval(`window.chronicle.state.onAlert(${JSON.stringify(second)})`);
  const notes = await page.eval('JSON.stringify(window.__notes)');
  check('... then a notification per new alert', JSON.parse(notes).length === 1 && JSON.parse(notes)[0].title === 'Needs you: Push the release branch', notes);
  await page.eval(`window.chronicle.state.onAlert(${JSON.stringify(second)})`);
  check('... and not twice for the same alert', (await page.eval('window.__notes.length')) === 1);
  await page.screenshot(path.join(env.ARTIFACTS, 'board-alerts.png'));
  await page.eval('document.body.click()');
}

main().then(() => process.exit(failures ? 1 : 0), (e) => { fail('driver', e.stack || String(e)); process.exit(1); });
