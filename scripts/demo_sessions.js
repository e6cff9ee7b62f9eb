/*
 * demo_sessions.js - plays several simulated Claude Code sessions through
 * the real chronicle-send (hook payloads shaped like tests/fixtures/hooks),
 * paced in real time, so the dashboard shows a realistic, live history.
 * Used by scripts/demo.sh (`make demo`); optionally takes a screenshot of
 * the dashboard at the end (headless Chromium, tests/integration/cdp_pipe.js).
 *
 *   SEND=build/chronicle-send node scripts/demo_sessions.js SECONDS [URL SCREENSHOT.png]
 */
'use strict';
const { execFile } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const SEND = process.env.SEND || 'build/chronicle-send';
// Transcripts (JSONL, the shape Claude Code writes) so the collector has
// token usage to read and the dashboard a cost to show.
const TRANSCRIPTS = process.env.DEMO_TRANSCRIPTS || fs.mkdtempSync(path.join(os.tmpdir(), 'chr-demo-tx-'));
const seconds = Number(process.argv[2] || 60);
const url = process.argv[3];
const shot = process.argv[4];
const deadline = Date.now() + seconds * 1000;

// A seeded generator: the same demo every time.
let seed = 42;
function rnd() { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; }
function pick(a) { return a[Math.floor(rnd() * a.length)]; }
function uuid() {
  const h = () => Math.floor(rnd() * 65536).toString(16).padStart(4, '0');
  return h() + h() + '-' + h() + '-4' + h().slice(1) + '-8' + h().slice(1) + '-' + h() + h() + h();
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const STARTED = {};   // sessions started per project

function send(obj) {
  return new Promise((resolve) => {
    const p = execFile(SEND, [], () => resolve());
    p.stdin.end(JSON.stringify(obj));
  });
}

const PROJECTS = {
  '/home/dev/shop': {
    prompts: ['Add a retry with backoff to the payment webhook handler and a test for it',
      'Why does test_refund_partial fail on CI but not locally?', 'Rename OrderStatus.PENDING to AWAITING_PAYMENT everywhere'],
    files: ['src/payments/webhook.py', 'src/payments/retry.py', 'tests/test_webhook.py', 'src/orders/models.py', 'README.md'],
    tests: ['pytest -q tests/test_webhook.py', 'pytest -q -k refund', 'ruff check src', 'git status --short'],
  },
  '/home/dev/chronicle': {
    prompts: ['Make the collector batch size adaptive and measure it', 'Fix the WAL checkpoint stall under load',
      'Add a histogram of batch latency to /metrics'],
    files: ['collector/ingest.c', 'collector/batch_writer.c', 'server/api_metrics.c', 'docs/PERFORMANCE.md', 'Makefile'],
    tests: ['make -j2 build/chronicle-collector', 'make test', 'make bench', 'git diff --stat'],
  },
  '/home/dev/infra': {
    prompts: ['Upgrade the staging cluster to the new node image', 'Why is the nightly backup job 3x slower since Monday?'],
    files: ['terraform/staging/main.tf', 'ansible/roles/backup/tasks/main.yml', 'docs/runbook.md'],
    tests: ['terraform plan -out plan.bin', 'ansible-lint ansible/', 'kubectl get pods -n staging'],
  },
};

/* A transcript being written as the session runs (the main one or a
 * subagent's): lines chained by parentUuid, tool calls as tool_use blocks
 * and their results as tool_result blocks, as Claude Code writes them. */
function transcript(file, sid, agentId) {
  let last = null;
  const line = (o) => {
    const u = uuid();
    fs.appendFileSync(file, JSON.stringify(Object.assign({ parentUuid: last, uuid: u, sessionId: sid, timestamp: new Date().toISOString(),
      isSidechain: !!agentId }, agentId ? { agentId } : {}, o)) + '\n');
    last = u;
  };
  return {
    user: (text, promptId) => line({ type: 'user', promptId, message: { role: 'user', content: text } }),
    assistant: (model, blocks, promptId) => line({ type: 'assistant', promptId, requestId: 'req_' + uuid().slice(0, 8),
      message: { id: 'msg_' + uuid().replace(/-/g, '').slice(0, 20), model, role: 'assistant', content: blocks,
        usage: { input_tokens: 4 + Math.floor(rnd() * 40), output_tokens: 80 + Math.floor(rnd() * 900),
          cache_creation_input_tokens: Math.floor(rnd() * 3000), cache_read_input_tokens: 8000 + Math.floor(rnd() * 40000) } } }),
    result: (id, text, isError) => line({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: text, is_error: !!isError }] } }),
  };
}

const SAYS = ['Let me look at how this is wired first.', 'I will check the tests before changing anything.',
  'The failure comes from the retry path; fixing it now.', 'Running the tests again to confirm.'];

async function tool(base, name, input, opts) {
  const id = 'toolu_' + uuid().replace(/-/g, '').slice(0, 24);
  const extra = Object.assign({ tool_name: name, tool_input: input, tool_use_id: id }, opts.agent || {});
  if (opts.tx) opts.tx.assistant(opts.model, [{ type: 'text', text: pick(SAYS) }, { type: 'tool_use', id, name, input }], opts.promptId);
  await send(Object.assign({}, base, { hook_event_name: 'PreToolUse' }, extra));
  const dur = Math.round(opts.dur || (80 + rnd() * 1500));
  await sleep(Math.min(dur, 4000));
  const out = opts.out || (name === 'Bash' ? 'ok' : name === 'Read' ? '1\timport json\n2\tfrom .retry import backoff\n' : name === 'Grep' ? input.path + '/src/a.py:12: retry(3)' : 'done');
  if (opts.tx) opts.tx.result(id, opts.fail || out, !!opts.fail);
  if (opts.fail) {
    await send(Object.assign({}, base, { hook_event_name: 'PostToolUseFailure', error: opts.fail, duration_ms: dur }, extra));
  } else {
    await send(Object.assign({}, base, { hook_event_name: 'PostToolUse', tool_response: name === 'Bash' ? { stdout: out + '\n', stderr: '' } : out, duration_ms: dur }, extra));
  }
}

/* Two Explore subagents side by side, each with its own transcript and the
 * Agent call that spawned it. */
async function subagents(base, sid, tx, model, promptId, cwd) {
  const dir = path.join(TRANSCRIPTS, sid, 'subagents');
  fs.mkdirSync(dir, { recursive: true });
  const tasks = [['Find the call sites of process()', 'Search the repository for every caller of process() and list them with file:line.'],
    ['Read the retry tests', 'Read the tests of the retry logic and summarise what they cover.']];
  const calls = tasks.map(([description, prompt]) => ({ id: 'toolu_' + uuid().replace(/-/g, '').slice(0, 24), description, prompt, agent_id: uuid().replace(/-/g, '').slice(0, 16) }));
  tx.assistant(model, calls.map((c) => ({ type: 'tool_use', id: c.id, name: 'Agent', input: { subagent_type: 'Explore', description: c.description, prompt: c.prompt } })), promptId);
  await Promise.all(calls.map(async (c) => {
    const input = { subagent_type: 'Explore', description: c.description, prompt: c.prompt };
    await send(Object.assign({}, base, { hook_event_name: 'PreToolUse', tool_name: 'Agent', tool_input: input, tool_use_id: c.id }));
    const file = path.join(dir, 'agent-' + c.agent_id + '.jsonl');
    fs.writeFileSync(path.join(dir, 'agent-' + c.agent_id + '.meta.json'), JSON.stringify({ agentType: 'Explore', description: c.description, toolUseId: c.id, spawnDepth: 1 }));
    const stx = transcript(file, sid, c.agent_id);
    stx.user(c.prompt, null);
    const agent = { agent_id: c.agent_id, agent_type: 'Explore' };
    await send(Object.assign({}, base, { hook_event_name: 'SubagentStart' }, agent));
    for (let k = 0; k < 3; k++) {
      await tool(base, pick(['Grep', 'Read', 'Glob']), { pattern: pick(['**/*.py', 'retry', 'process(']), path: cwd }, { dur: 50 + rnd() * 400, agent, tx: stx, model });
    }
    const final = c.description.startsWith('Find') ? 'Found 4 call sites: src/a.py:12, src/b.py:40, src/c.py:7, tests/test_a.py:3.' : 'The tests cover 3 retries and the give-up path; none covers a timeout.';
    stx.assistant(model, [{ type: 'text', text: final }], null);
    await send(Object.assign({}, base, { hook_event_name: 'SubagentStop', agent_transcript_path: file, last_assistant_message: final }, agent));
    tx.result(c.id, final, false);
    await send(Object.assign({}, base, { hook_event_name: 'PostToolUse', tool_name: 'Agent', tool_input: input, tool_use_id: c.id, tool_response: { content: [{ type: 'text', text: final }] }, duration_ms: 1500 }));
  }));
}

async function session(cwd, model, endAs, startDelay) {
  await sleep(startDelay);
  const p = PROJECTS[cwd];
  const sid = uuid();
  const file = path.join(TRANSCRIPTS, sid + '.jsonl');
  fs.writeFileSync(file, '');
  const tx = transcript(file, sid, null);
  const base = { session_id: sid, transcript_path: file, cwd, permission_mode: 'default' };
  let promptId = null;
  await send(Object.assign({}, base, { hook_event_name: 'SessionStart', source: 'startup', model }));
  // Sessions of one project start at different prompts (their titles differ).
  STARTED[cwd] = (STARTED[cwd] || 0) + 1;
  let turn = STARTED[cwd] - 1;
  while (Date.now() < deadline - 8000) {
    promptId = uuid();
    const prompt = p.prompts[turn % p.prompts.length];
    tx.user(prompt, promptId);
    await send(Object.assign({}, base, { hook_event_name: 'UserPromptSubmit', prompt, prompt_id: promptId }));
    turn++;
    await sleep(400 + rnd() * 800);
    const steps = 4 + Math.floor(rnd() * 6);
    const o = { tx, model, promptId };
    for (let i = 0; i < steps && Date.now() < deadline - 6000; i++) {
      const r = rnd();
      if (r < 0.3) await tool(base, 'Read', { file_path: cwd + '/' + pick(p.files) }, Object.assign({ dur: 20 + rnd() * 60 }, o));
      else if (r < 0.45) await tool(base, 'Grep', { pattern: pick(['retry', 'TODO', 'checkpoint', 'def process', 'backoff']), path: cwd }, Object.assign({ dur: 40 + rnd() * 200 }, o));
      else if (r < 0.65) await tool(base, 'Edit', { file_path: cwd + '/' + pick(p.files), old_string: 'for attempt in range(3):\n    send(event)', new_string: 'for attempt in range(3):\n    if send(event):\n        break\n    sleep(backoff(attempt))' }, Object.assign({ dur: 30 + rnd() * 100 }, o));
      else if (r < 0.9) {
        const cmd = pick(p.tests);
        const failIt = rnd() < 0.18;
        await tool(base, 'Bash', { command: cmd, description: 'Run ' + cmd.split(' ')[0] }, Object.assign({ dur: 300 + rnd() * 3500, fail: failIt ? 'Exit code 1\n' + pick(['FAILED tests/test_webhook.py::test_retry - AssertionError: expected 3 calls, got 1\n1 failed, 14 passed in 2.31s', 'collector/ingest.c:88: error: undefined reference to `batch_flush`', 'Error: connection refused (staging-db:5432)']) : null }, o));
      } else await subagents(base, sid, tx, model, promptId, cwd);
      await sleep(150 + rnd() * 600);
    }
    const done = 'Done: the change is in and the tests pass.';
    tx.assistant(model, [{ type: 'text', text: done }], promptId);
    await send(Object.assign({}, base, { hook_event_name: 'Stop', stop_hook_active: false, last_assistant_message: done }));
    await sleep(1000 + rnd() * 3000);
  }
  if (endAs === 'permission') {
    const cmd = cwd.endsWith('infra') ? 'terraform apply plan.bin' : 'git push origin main';
    await send(Object.assign({}, base, { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: cmd }, tool_use_id: 'toolu_push_' + sid.slice(0, 8) }));
    await send(Object.assign({}, base, { hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: cmd } }));
    await send(Object.assign({}, base, { hook_event_name: 'Notification', message: 'Claude needs your permission to use Bash', notification_type: 'permission_prompt', title: 'Permission needed' }));
  } else if (endAs === 'idle') {
    await send(Object.assign({}, base, { hook_event_name: 'Notification', message: 'Claude is waiting for your input', notification_type: 'idle_prompt' }));
  } else if (endAs === 'working') {
    await send(Object.assign({}, base, { hook_event_name: 'UserPromptSubmit', prompt: 'Now run the benchmarks and update docs/PERFORMANCE.md', prompt_id: uuid() }));
    await send(Object.assign({}, base, { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'make bench' }, tool_use_id: 'toolu_bench_' + sid.slice(0, 8) }));
  } else if (endAs === 'failed') {
    await send(Object.assign({}, base, { hook_event_name: 'UserPromptSubmit', prompt: 'Retry the staging upgrade', prompt_id: uuid() }));
    await send(Object.assign({}, base, { hook_event_name: 'StopFailure', error: 'rate_limit', error_details: '429 Too Many Requests' }));
  } else if (endAs === 'ended') {
    await send(Object.assign({}, base, { hook_event_name: 'SessionEnd', reason: 'prompt_input_exit' }));
  }
  // 'turn_done': the last Stop stands.
}

/* Screenshots at the end: SHOT (the board beside the feed), and beside it
 * SHOT-session.png, -conversation.png and -search.png (where the server has
 * those endpoints), -detail.png, -charts.png, -800.png and -alerts.png (where
 * it has alerts). */
async function screenshot() {
  const { Browser } = require(path.join(__dirname, '..', 'tests', 'integration', 'cdp_pipe.js'));
  const b = await Browser.launch(process.env.CHROMIUM || '/usr/bin/chromium');
  const named = (suffix) => shot.replace(/\.png$/, '') + '-' + suffix + '.png';
  const take = async (page, file) => { await sleep(600); await page.screenshot(file); console.error('demo: screenshot ' + file); };
  try {
    const page = await b.newPage(1280, 800);
    // Signs in: the server answers ?token= with a cookie and the bare URL.
    await page.goto(url + '/?token=' + encodeURIComponent(process.env.DEMO_TOKEN || ''));
    await page.waitFor("document.body.dataset.ready === '1'", 15000);
    await page.eval("localStorage.setItem('chronicle.charts', '0'); localStorage.setItem('chronicle.sidebar', 'open')");
    await page.goto(url + '/');
    await page.waitFor("document.body.dataset.ready === '1'", 15000);
    await take(page, shot);
    // The busiest session's pane beside the feed.
    await page.eval("(() => { const s = [...window.chronicle.state.sessions.values()].sort((a, b) => b.counts.events - a.counts.events)[0]; document.querySelector('.sess[data-sid=\"' + s.session_id + '\"] .sess-open').click(); })()");
    await page.waitFor("document.querySelectorAll('#sv-timeline .bar').length > 0", 10000);
    await take(page, named('session'));
    if (await page.eval("!document.getElementById('sv-tab-conversation').hidden")) {
      await page.eval("document.getElementById('sv-tab-conversation').click()");
      await page.waitFor("document.querySelectorAll('#cv-list .cv-item').length > 3", 10000);
      // Scroll to the first Edit, whose diff reads best.
      await page.eval("(() => { const e = [...document.querySelectorAll('#cv-list .cv-item')].find(i => i.querySelector('pre.diff')); if (e) e.scrollIntoView(); })()");
      await take(page, named('conversation'));
    }
    await page.eval("document.getElementById('sv-close').click()");
    // A failed call's detail: its error as text.
    await page.eval("(() => { const v = window.chronicle.state.view; const i = v.findIndex(e => e.post && e.post.type === 'PostToolUseFailure'); if (i >= 0) { const sc = document.getElementById('feed-scroll'); sc.scrollTop = Math.max(0, i * 22 - 100); } })()");
    await sleep(300);
    await page.eval("(() => { const r = [...document.querySelectorAll('#feed-rows .row')].find(r => r.style.display !== 'none' && r.querySelector('.dur-err')); if (r) r.click(); })()");
    await page.waitFor("document.querySelectorAll('#detail-body pre.out').length > 0", 5000);
    await take(page, named('detail'));
    await page.key('Escape');
    if (await page.eval("!document.getElementById('search-scope').hidden")) {
      await page.eval("(() => { const s = document.getElementById('search'); s.value = 'retry'; s.dispatchEvent(new Event('input')); })()");
      await page.waitFor("document.querySelectorAll('#search-list .hit').length > 3", 10000);
      await take(page, named('search'));
      await page.eval("document.getElementById('search-close').click()");
    }
    await page.eval("document.getElementById('btn-charts').click()");
    await page.waitFor("typeof Chart === 'function' && Chart.getChart(document.getElementById('chart-tools')) && Chart.getChart(document.getElementById('chart-tools')).data.labels.length > 0", 10000);
    await take(page, named('charts'));
    await page.eval("document.getElementById('btn-charts').click()");
    if (await page.eval("!document.getElementById('dd-alerts').hidden")) {
      await page.eval("document.getElementById('btn-alerts').click()");
      await take(page, named('alerts'));
      await page.eval("document.body.click()");
    }
    await page.resize(800, 800);
    await take(page, named('800'));
  } finally {
    await b.close();
  }
}

(async () => {
  await Promise.all([
    session('/home/dev/shop', 'claude-sonnet-4-5', 'permission', 0),
    session('/home/dev/shop', 'claude-opus-4-5', 'idle', 1500),
    session('/home/dev/chronicle', 'claude-opus-4-5', 'working', 700),
    session('/home/dev/chronicle', 'claude-sonnet-4-5', 'ended', 2500),
    session('/home/dev/infra', 'claude-sonnet-4-5', 'permission', 3000),
    session('/home/dev/infra', 'claude-opus-4-5', 'failed', 2000),
    session('/home/dev/shop', 'claude-sonnet-4-5', 'turn_done', 3500),
  ]);
  if (url && shot) await screenshot();
})().catch((e) => { console.error('demo:', e); process.exit(1); });
