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

async function tool(base, name, input, opts) {
  const id = 'toolu_' + uuid().replace(/-/g, '').slice(0, 24);
  const extra = Object.assign({ tool_name: name, tool_input: input, tool_use_id: id }, opts.agent || {});
  await send(Object.assign({}, base, { hook_event_name: 'PreToolUse' }, extra));
  const dur = Math.round(opts.dur || (80 + rnd() * 1500));
  await sleep(Math.min(dur, 4000));
  if (opts.fail) {
    await send(Object.assign({}, base, { hook_event_name: 'PostToolUseFailure', error: opts.fail, duration_ms: dur }, extra));
  } else {
    await send(Object.assign({}, base, { hook_event_name: 'PostToolUse', tool_response: { stdout: 'ok', stderr: '' }, duration_ms: dur }, extra));
  }
}

async function session(cwd, model, endAs, startDelay) {
  await sleep(startDelay);
  const p = PROJECTS[cwd];
  const sid = uuid();
  const tx = path.join(TRANSCRIPTS, sid + '.jsonl');
  fs.writeFileSync(tx, '');
  const base = { session_id: sid, transcript_path: tx, cwd, permission_mode: 'default' };
  let promptId = null;
  // One assistant message with its usage, as the API reports it.
  const assistant = () => fs.appendFileSync(tx, JSON.stringify({ type: 'assistant', sessionId: sid, uuid: uuid(), promptId,
    requestId: 'req_' + uuid().slice(0, 8), timestamp: new Date().toISOString(), isSidechain: false,
    message: { id: 'msg_' + uuid().replace(/-/g, '').slice(0, 20), model, role: 'assistant',
      usage: { input_tokens: 4 + Math.floor(rnd() * 40), output_tokens: 80 + Math.floor(rnd() * 900),
        cache_creation_input_tokens: Math.floor(rnd() * 3000), cache_read_input_tokens: 8000 + Math.floor(rnd() * 40000) } } }) + '\n');
  await send(Object.assign({}, base, { hook_event_name: 'SessionStart', source: 'startup', model }));
  let turn = 0;
  while (Date.now() < deadline - 8000) {
    promptId = uuid();
    const prompt = p.prompts[turn % p.prompts.length];
    fs.appendFileSync(tx, JSON.stringify({ type: 'user', sessionId: sid, uuid: uuid(), promptId, timestamp: new Date().toISOString(),
      message: { role: 'user', content: prompt } }) + '\n');
    await send(Object.assign({}, base, { hook_event_name: 'UserPromptSubmit', prompt, prompt_id: promptId }));
    turn++;
    await sleep(400 + rnd() * 800);
    const steps = 4 + Math.floor(rnd() * 6);
    for (let i = 0; i < steps && Date.now() < deadline - 6000; i++) {
      assistant();
      const r = rnd();
      if (r < 0.3) await tool(base, 'Read', { file_path: cwd + '/' + pick(p.files) }, { dur: 20 + rnd() * 60 });
      else if (r < 0.45) await tool(base, 'Grep', { pattern: pick(['retry', 'TODO', 'checkpoint', 'def process', 'backoff']), path: cwd }, { dur: 40 + rnd() * 200 });
      else if (r < 0.65) await tool(base, 'Edit', { file_path: cwd + '/' + pick(p.files), old_string: '...', new_string: '...' }, { dur: 30 + rnd() * 100 });
      else if (r < 0.9) {
        const cmd = pick(p.tests);
        const failIt = rnd() < 0.18;
        await tool(base, 'Bash', { command: cmd, description: 'Run ' + cmd.split(' ')[0] }, { dur: 300 + rnd() * 3500, fail: failIt ? 'Exit code 1\n' + pick(['1 failed, 14 passed', 'error: undefined reference to `batch_flush`', 'connection refused']) : null });
      } else {
        const agent = { agent_id: uuid().slice(0, 6), agent_type: 'Explore' };
        await send(Object.assign({}, base, { hook_event_name: 'SubagentStart' }, agent));
        for (let k = 0; k < 3; k++) {
          await tool(base, pick(['Grep', 'Read', 'Glob']), { pattern: pick(['**/*.py', 'retry', 'batch_']), path: cwd }, { dur: 50 + rnd() * 400, agent });
        }
        await send(Object.assign({}, base, { hook_event_name: 'SubagentStop', last_assistant_message: 'Found 4 call sites.' }, agent));
      }
      await sleep(150 + rnd() * 600);
    }
    assistant();
    await send(Object.assign({}, base, { hook_event_name: 'Stop', stop_hook_active: false, last_assistant_message: 'Done: the change is in and the tests pass.' }));
    await sleep(1000 + rnd() * 3000);
  }
  if (endAs === 'permission') {
    await send(Object.assign({}, base, { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'git push origin main' }, tool_use_id: 'toolu_push_' + sid.slice(0, 8) }));
    await send(Object.assign({}, base, { hook_event_name: 'Notification', message: 'Claude needs your permission to use Bash', notification_type: 'permission_prompt', title: 'Permission needed' }));
  } else if (endAs === 'idle') {
    await send(Object.assign({}, base, { hook_event_name: 'Notification', message: 'Claude is waiting for your input', notification_type: 'idle_prompt' }));
  } else if (endAs === 'working') {
    await send(Object.assign({}, base, { hook_event_name: 'UserPromptSubmit', prompt: 'Now run the benchmarks and update docs/PERFORMANCE.md', prompt_id: uuid() }));
    await send(Object.assign({}, base, { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'make bench' }, tool_use_id: 'toolu_bench_' + sid.slice(0, 8) }));
  } else if (endAs === 'ended') {
    await send(Object.assign({}, base, { hook_event_name: 'SessionEnd', reason: 'prompt_input_exit' }));
  }
}

async function screenshot() {
  const { Browser } = require(path.join(__dirname, '..', 'tests', 'integration', 'cdp_pipe.js'));
  const b = await Browser.launch(process.env.CHROMIUM || '/usr/bin/chromium');
  try {
    const page = await b.newPage(1280, 800);
    // Signs in: the server answers ?token= with a cookie and the bare URL.
    await page.goto(url + '/?token=' + encodeURIComponent(process.env.DEMO_TOKEN || ''));
    await page.waitFor("document.body.dataset.ready === '1'", 15000);
    await page.eval("localStorage.setItem('chronicle.charts', '1'); localStorage.setItem('chronicle.sidebar', 'open')");
    await page.goto(url + '/');
    await page.waitFor("document.body.dataset.ready === '1'", 15000);
    await page.waitFor("typeof Chart === 'function' && Chart.getChart(document.getElementById('chart-tools')) && Chart.getChart(document.getElementById('chart-tools')).data.labels.length > 0", 10000);
    await sleep(1500);
    await page.screenshot(shot);
    console.error('demo: screenshot ' + shot);
    // The session view of the busiest session, beside it: NAME-session.png.
    await page.eval("(() => { const s = [...window.chronicle.state.sessions.values()].sort((a, b) => b.counts.events - a.counts.events)[0]; document.querySelector('.sess[data-sid=\"' + s.session_id + '\"] .sess-open').click(); })()");
    await page.waitFor("document.querySelectorAll('#sv-timeline .bar').length > 0", 10000);
    await sleep(500);
    const shot2 = shot.replace(/\.png$/, '') + '-session.png';
    await page.screenshot(shot2);
    console.error('demo: screenshot ' + shot2);
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
  ]);
  if (url && shot) await screenshot();
})().catch((e) => { console.error('demo:', e); process.exit(1); });
