/*
 * dashboard_conversation_driver.js - the Conversation tab in headless
 * Chromium (cdp_pipe.js) against the real collector and server that
 * test_dashboard_conversation.sh started.  Writes a transcript as Claude
 * Code does (a subagent in its own file with its meta.json), sends the hook
 * events through chronicle-send, and checks what the page draws: text only,
 * the tool renderers, cut marks, the subagent's turns on demand, a link to
 * the hook event, more pages on scroll.  Prints PASS/FAIL lines.
 */
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const path = require('path');
const { Browser } = require('./cdp_pipe.js');

const env = process.env;
const BASE = env.BASE_URL;
let failures = 0;
function pass(name) { console.log('PASS ' + name); }
function fail(name, why) { failures++; console.log('FAIL ' + name + (why ? ': ' + why : '')); console.error('FAIL ' + name + (why ? ': ' + why : '')); }
function check(name, ok, why) { if (ok) pass(name); else fail(name, why); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function send(obj) { execFileSync(env.SEND, [], { input: JSON.stringify(obj) }); }
function sql(q) { return execFileSync('sqlite3', ['-batch', env.DB, q]).toString().trim(); }
function httpGet(p) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: env.SERVER_PORT, path: p, headers: { Authorization: 'Bearer ' + env.TOKEN } }, (res) => {
      let data = '';
      res.on('data', (d) => { data += d; });
      res.on('end', () => { let body = null; try { body = JSON.parse(data); } catch (e) { /* not JSON */ } resolve({ status: res.statusCode, body }); });
    }).on('error', reject);
  });
}

const S = 'c0ffee00-1111-4222-8333-444455556666';
const DIR = path.join(env.CHRONICLE_HOME, 'projects', '-home-dev-shop');
const MAIN = path.join(DIR, S + '.jsonl');
const SUBDIR = path.join(DIR, S, 'subagents');
const EVIL = '<img src=x onerror="window.__xss=1">';
const BIG = 'x'.repeat(40000);
const EXTRA_TURNS = 70;   // beyond a page of 50 items

function writeTranscripts() {
  fs.mkdirSync(SUBDIR, { recursive: true });
  let n = 0, last = null;
  const ts = () => new Date(Date.UTC(2026, 10, 27, 4, 0, 0) + (n++) * 1000).toISOString();
  const lines = [];
  const line = (o, agent) => {
    const u = 'u' + lines.length + (agent ? 's' : '');
    lines.push(JSON.stringify(Object.assign({ parentUuid: last, uuid: u, isSidechain: !!agent, sessionId: S, cwd: '/home/dev/shop', timestamp: ts() }, agent ? { agentId: agent } : {}, o)));
    last = u;
  };
  const asst = (id, blocks) => line({ type: 'assistant', requestId: 'r' + id, message: { id: 'm' + id, model: 'claude-opus-4-5', content: blocks, usage: { input_tokens: 1, output_tokens: 2 } } });
  const result = (id, content, isError) => line({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content, is_error: !!isError }] } });
  line({ type: 'user', promptId: 'p1', message: { role: 'user', content: 'Fix the failing webhook test ' + EVIL } });
  asst(1, [{ type: 'text', text: 'Running the tests. <script>window.__xss=2</script>' }]);
  asst(2, [{ type: 'tool_use', id: 'toolu_b1', name: 'Bash', input: { command: 'pytest -q', description: 'Run tests' } }]);
  result('toolu_b1', 'Exit code 1\nFAILED tests/test_webhook.py::test_retry', true);
  asst(3, [{ type: 'tool_use', id: 'toolu_r1', name: 'Read', input: { file_path: '/home/dev/shop/webhook.py' } }]);
  result('toolu_r1', BIG);
  asst(4, [{ type: 'tool_use', id: 'toolu_e1', name: 'Edit', input: { file_path: '/home/dev/shop/webhook.py', old_string: 'for i in range(3):\n    send()', new_string: 'for i in range(3):\n    if send():\n        break' } }]);
  result('toolu_e1', [{ type: 'text', text: 'The file has been updated.' }]);
  asst(5, [{ type: 'tool_use', id: 'toolu_a1', name: 'Agent', input: { description: 'Find call sites', prompt: 'Find the call sites of process()', subagent_type: 'Explore' } }]);
  result('toolu_a1', [{ type: 'text', text: 'Found 3 call sites.' }]);
  for (let i = 0; i < EXTRA_TURNS; i++) asst(100 + i, [{ type: 'text', text: 'step ' + i }]);
  asst(999, [{ type: 'text', text: 'All fixed: the-last-message.' }]);
  fs.writeFileSync(MAIN, lines.join('\n') + '\n');
  const sub = [];
  last = null;
  const push = (o) => { sub.push(JSON.stringify(Object.assign({ parentUuid: last, uuid: 's' + sub.length, isSidechain: true, agentId: 'ag7', sessionId: S, timestamp: ts() }, o))); last = 's' + (sub.length - 1); };
  push({ type: 'user', message: { role: 'user', content: 'Find the call sites of process()' } });
  push({ type: 'assistant', requestId: 'rs1', message: { id: 'ms1', model: 'claude-haiku-4-5', content: [{ type: 'tool_use', id: 'toolu_g1', name: 'Grep', input: { pattern: 'process\\(' } }], usage: { input_tokens: 1, output_tokens: 1 } } });
  push({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_g1', content: 'a.py:1\nb.py:2\nc.py:3' }] } });
  push({ type: 'assistant', requestId: 'rs2', message: { id: 'ms2', model: 'claude-haiku-4-5', content: [{ type: 'text', text: 'Found 3 call sites of process().' }], usage: { input_tokens: 1, output_tokens: 1 } } });
  fs.writeFileSync(path.join(SUBDIR, 'agent-ag7.jsonl'), sub.join('\n') + '\n');
  fs.writeFileSync(path.join(SUBDIR, 'agent-ag7.meta.json'), JSON.stringify({ agentType: 'Explore', description: 'Find call sites', toolUseId: 'toolu_a1', spawnDepth: 1 }));
}

async function main() {
  writeTranscripts();
  const base = { session_id: S, transcript_path: MAIN, cwd: '/home/dev/shop', permission_mode: 'default' };
  const hook = (o) => send(Object.assign({}, base, o));
  hook({ hook_event_name: 'SessionStart', source: 'startup', model: 'claude-opus-4-5' });
  hook({ hook_event_name: 'UserPromptSubmit', prompt: 'Fix the failing webhook test', prompt_id: 'p1' });
  hook({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_use_id: 'toolu_b1', tool_input: { command: 'pytest -q' } });
  hook({ hook_event_name: 'PostToolUseFailure', tool_name: 'Bash', tool_use_id: 'toolu_b1', tool_input: { command: 'pytest -q' }, error: 'Exit code 1' });
  hook({ hook_event_name: 'SubagentStart', agent_id: 'ag7', agent_type: 'Explore' });
  hook({ hook_event_name: 'SubagentStop', agent_id: 'ag7', agent_type: 'Explore', agent_transcript_path: path.join(SUBDIR, 'agent-ag7.jsonl'), last_assistant_message: 'Found 3 call sites of process().' });
  hook({ hook_event_name: 'Stop', last_assistant_message: 'All fixed.' });
  const served = (await httpGet('/api/sessions/' + S + '/conversation?limit=1'));
  const has = !(served.status === 404 && served.body && /no such endpoint/.test(served.body.error.message));
  const browser = await Browser.launch(env.CHROMIUM || '/usr/bin/chromium');
  try {
    const page = await browser.newPage(1280, 800);
    await page.goto(BASE + '/?token=' + encodeURIComponent(env.TOKEN));
    check('page loads', await page.waitFor("document.body.dataset.ready === '1'", 15000), page.errors.join('; '));
    await page.eval(`(() => { const b = document.querySelector('.sess[data-sid="${S}"] .sess-open'); if (b) b.click(); })()`);
    await page.waitFor("!document.getElementById('session-view').hidden", 3000);
    const tab = await page.eval("!document.getElementById('sv-tab-conversation').hidden");
    if (!has) {
      check('no conversation endpoint: no Conversation tab', !tab);
      return;
    }
    check('Conversation tab offered', tab);
    // Wait for the collector to index the transcript (it reads it after the events).
    for (let i = 0; i < 100; i++) {
      const r = await httpGet('/api/sessions/' + S + '/conversation?limit=200');
      if (r.body && r.body.items && r.body.items.some((it) => it.type === 'assistant' && /the-last-message/.test(it.text || ''))) break;
      await sleep(100);
    }
    await page.eval("document.getElementById('sv-tab-conversation').click()");
    check('items drawn', await page.waitFor("document.querySelectorAll('#cv-list .cv-item').length >= 6", 5000),
      await page.eval("document.getElementById('sv-body').textContent.slice(0, 300)"));
    const first = await page.eval("document.querySelector('#cv-list .cv-user .cv-text').textContent");
    check('prompt with markup shown as text', first.includes(EVIL), first);
    check('... no element made from it, nothing run', await page.eval("document.querySelectorAll('#cv-list img, #cv-list script').length === 0 && window.__xss === undefined"));
    check('Claude\'s text shown', await page.eval("[...document.querySelectorAll('#cv-list .cv-assistant .cv-text')].some(e => e.textContent.startsWith('Running the tests.'))"));
    const bash = "[...document.querySelectorAll('#cv-list .cv-tool')].find(e => e.querySelector('.cv-who').textContent === 'Bash')";
    check('Bash: the command', await page.eval(`${bash}.querySelector('pre.cv-cmd').textContent === '$ pytest -q'`));
    check('... and its error output as text', await page.eval(`${bash}.querySelector('.cv-result pre.out-err').textContent.includes('FAILED tests/test_webhook.py::test_retry')`));
    check('... linked to its hook event', await page.eval(`!!${bash}.querySelector('.ev-link')`));
    const read = "[...document.querySelectorAll('#cv-list .cv-tool')].find(e => e.querySelector('.cv-who').textContent === 'Read')";
    check('Read: the path, the result folded', await page.eval(`${read}.querySelector('pre.cv-cmd').textContent === '/home/dev/shop/webhook.py' && !${read}.querySelector('.cv-result').open`));
    const readMark = await page.eval(`${read}.querySelector('.cv-result summary').textContent`);
    check('... a cut result marked "truncated (N KB)"', /truncated \(\d+(\.\d)? KB\)/.test(readMark), readMark);
    const edit = "[...document.querySelectorAll('#cv-list .cv-tool')].find(e => e.querySelector('.cv-who').textContent === 'Edit')";
    const diff = await page.eval(`[...${edit}.querySelectorAll('pre.diff div')].map(d => d.className + ':' + d.textContent).join('|')`);
    check('Edit: a line diff of old and new', diff === 'ctx:  for i in range(3):|del:-     send()|add:+     if send():|add:+         break', diff);
    const agent = "[...document.querySelectorAll('#cv-list .cv-tool')].find(e => e.querySelector('.cv-who').textContent === 'Agent')";
    check('Agent: a subagent call with its type', await page.eval(`!!${agent}.querySelector('.cv-sub') && ${agent}.querySelector('.cv-sub').textContent.includes('Explore')`),
      await page.eval(`${agent} ? ${agent}.textContent.slice(0, 300) : 'no Agent item'`));
    await page.eval(`${agent}.querySelector('.cv-expand').click()`);
    check('... its turns on demand (?agent_id=)', await page.waitFor(`${agent}.querySelectorAll('.cv-nested .cv-item').length >= 3 && ${agent}.querySelector('.cv-nested').textContent.includes('Found 3 call sites of process().')`, 5000),
      await page.eval(`${agent}.querySelector('.cv-nested').textContent.slice(0, 300)`));
    check('... with the Grep pattern and hits', await page.eval(`(() => { const g = [...${agent}.querySelectorAll('.cv-nested .cv-tool')].find(e => e.querySelector('.cv-who').textContent === 'Grep'); return !!g && g.querySelector('pre.cv-cmd').textContent === 'process\\\\(' && g.querySelector('.cv-result pre').textContent.includes('b.py:2'); })()`));
    await page.screenshot(path.join(env.ARTIFACTS, 'conversation.png'));
    // More pages as the pane is scrolled (the cursor).
    const before = await page.eval("document.querySelectorAll('#cv-list > .cv-item').length");
    for (let i = 0; i < 10 && !(await page.eval("document.getElementById('cv-list').textContent.includes('the-last-message')")); i++) {
      await page.eval("(() => { const b = document.getElementById('sv-body'); b.scrollTop = b.scrollHeight; b.dispatchEvent(new Event('scroll')); })()");
      await sleep(300);
    }
    const after = await page.eval("document.querySelectorAll('#cv-list > .cv-item').length");
    check('scrolling reads the next pages to the end', after > before && await page.eval("document.getElementById('cv-list').textContent.includes('the-last-message') && document.getElementById('cv-status').textContent.startsWith('end of the transcript')"), before + ' -> ' + after);
    // A link to the hook event opens it in the detail.
    const bashPre = sql(`SELECT id FROM events WHERE session_id='${S}' AND event_type='PreToolUse' AND tool_use_id='toolu_b1'`);
    await page.eval(`${bash}.querySelector('.ev-link').click()`);
    check('the link opens the hook event in the detail', await page.waitFor(`!document.getElementById('detail').hidden && document.getElementById('detail-type').textContent === 'PreToolUse #${bashPre}'`, 3000),
      await page.eval("document.getElementById('detail-type').textContent"));
    check('... titled as the failure it was', (await page.eval("document.getElementById('detail-title').textContent")) === 'Bash failed', await page.eval("document.getElementById('detail-title').textContent"));
    check('no JavaScript errors', page.errors.length === 0, page.errors.join(' | '));
  } finally {
    await browser.close();
  }
}

main().then(() => process.exit(failures ? 1 : 0), (e) => { fail('driver', e.stack || String(e)); process.exit(1); });
