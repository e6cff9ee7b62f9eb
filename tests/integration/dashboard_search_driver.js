/*
 * dashboard_search_driver.js - the search box in headless Chromium
 * (cdp_pipe.js) against the real collector and server that
 * test_dashboard_search.sh started.  Prints PASS/FAIL lines.
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
const A = 'a11ce000-0000-4000-8000-000000000001', B = 'b0b00000-0000-4000-8000-000000000002';
const ev = (s, cwd, type, extra) => Object.assign({ session_id: s, transcript_path: '/tmp/none.jsonl', cwd, hook_event_name: type, permission_mode: 'default' }, extra);

async function typeSearch(page, text) {
  await page.eval(`(() => { const s = document.getElementById('search'); s.focus(); s.value = ${JSON.stringify(text)}; s.dispatchEvent(new Event('input')); })()`);
}

async function main() {
  send(ev(A, '/home/dev/alpha', 'UserPromptSubmit', { prompt: 'Rotate the flamingo credentials <img src=x onerror="window.__xss=1">' }));
  send(ev(A, '/home/dev/alpha', 'PreToolUse', { tool_name: 'Bash', tool_use_id: 'tu1', tool_input: { command: 'grep -r flamingo config/' } }));
  send(ev(A, '/home/dev/alpha', 'PostToolUse', { tool_name: 'Bash', tool_use_id: 'tu1', tool_input: { command: 'grep -r flamingo config/' }, tool_response: { stdout: 'config/app.yml: flamingo_key: rotated', stderr: '' } }));
  send(ev(B, '/home/dev/beta', 'UserPromptSubmit', { prompt: 'Feed the flamingo in the beta project' }));
  send(ev(B, '/home/dev/beta', 'UserPromptSubmit', { prompt: 'Nothing to see here' }));
  const r = await httpGet('/api/search?q=flamingo&limit=1');
  const has = !(r.status === 404 && r.body && /no such endpoint/.test(r.body.error.message));
  const browser = await Browser.launch(env.CHROMIUM || '/usr/bin/chromium');
  try {
    const page = await browser.newPage(1280, 800);
    await page.goto(BASE + '/?token=' + encodeURIComponent(env.TOKEN));
    check('page loads', await page.waitFor("document.body.dataset.ready === '1'", 15000), page.errors.join('; '));
    if (!has) {
      check('no /api/search: the box filters the loaded events', (await page.eval("document.getElementById('search-scope').hidden && document.getElementById('search').placeholder.startsWith('Filter loaded events')")));
      await typeSearch(page, 'flamingo');
      check('... and narrows the feed', await page.waitFor("window.chronicle.state.view.length > 0 && window.chronicle.state.view.every(e => (e.summary || '').includes('flamingo'))", 3000));
      return;
    }
    // Wait until the index has them (the collector indexes as it commits).
    for (let i = 0; i < 100; i++) { const x = await httpGet('/api/search?q=flamingo'); if (x.body && x.body.count >= 3) break; await sleep(100); }
    check('the box says it searches all history', await page.eval("!document.getElementById('search-scope').hidden && document.getElementById('search-scope').value === 'history' && document.getElementById('search').placeholder.startsWith('Search all history')"));
    await typeSearch(page, 'flamingo');
    check('results replace the feed, headed "Searching all history"', await page.waitFor("!document.getElementById('search-results').hidden && document.getElementById('feed').hidden && /^Searching all history for “flamingo”: \\d+ results?/.test(document.getElementById('search-head').textContent)", 5000),
      await page.eval("document.getElementById('search-head').textContent"));
    const hits = await page.eval("[...document.querySelectorAll('#search-list .hit')].length");
    check('... every matching event found', hits >= 3, String(hits));
    check('hits highlighted as <mark> elements', await page.eval("[...document.querySelectorAll('#search-list .hit')].every(h => [...h.querySelectorAll('mark')].some(m => m.textContent.toLowerCase().includes('flamingo')))"));
    check('... the snippet\'s markup is text: no element made, nothing run', await page.eval("document.querySelectorAll('#search-list img').length === 0 && window.__xss === undefined"));
    check('... each hit names its session and project', await page.eval("[...document.querySelectorAll('#search-list .hit-head')].some(h => h.textContent.includes('beta'))"));
    await page.screenshot(path.join(env.ARTIFACTS, 'search.png'));
    // Click: the event in the detail.
    const id = Number(sql(`SELECT id FROM events WHERE session_id='${A}' AND event_type='UserPromptSubmit'`));
    await page.eval(`document.querySelector('#search-list .hit[data-event-id="${id}"]').click()`);
    check('a click opens the event', await page.waitFor(`!document.getElementById('detail').hidden && document.getElementById('detail-type').textContent === 'UserPromptSubmit #${id}'`, 3000),
      await page.eval("document.getElementById('detail-type').textContent"));
    await page.key('Escape');
    // The project filter narrows the history search.
    await page.eval("document.getElementById('btn-projects').click()");
    await page.eval("[...document.querySelectorAll('#dd-projects .menu label')].find(l => l.textContent === 'beta').querySelector('input').click()");
    await page.eval('document.body.click()');
    check('project filter narrows the search', await page.waitFor("document.querySelectorAll('#search-list .hit').length >= 1 && [...document.querySelectorAll('#search-list .hit-head')].every(h => h.textContent.includes('beta')) && document.getElementById('search-head').textContent.includes('selected projects')", 5000),
      await page.eval("document.getElementById('search-head').textContent + ' ' + document.querySelectorAll('#search-list .hit').length"));
    await page.eval("document.getElementById('btn-clear').click()");
    // A query FTS5 refuses says so.
    await typeSearch(page, '"unclosed');
    check('a bad query says the server refused it', await page.waitFor("document.getElementById('search-head').textContent.startsWith('Not a search the server understands')", 5000),
      await page.eval("document.getElementById('search-head').textContent"));
    // Esc: back to the feed.
    await page.key('Escape');
    check('Esc closes the results, the feed is back', await page.waitFor("document.getElementById('search-results').hidden && !document.getElementById('feed').hidden", 2000));
    // The local filter, said so.
    await page.eval("(() => { const s = document.getElementById('search-scope'); s.value = 'loaded'; s.dispatchEvent(new Event('change')); })()");
    await typeSearch(page, 'flamingo');
    check('"loaded events": the local filter, said so', await page.waitFor("document.getElementById('search').placeholder.startsWith('Filter loaded events') && document.getElementById('search-results').hidden && window.chronicle.state.view.length > 0 && window.chronicle.state.view.every(e => (e.summary || '').toLowerCase().includes('flamingo'))", 3000));
    check('no JavaScript errors', page.errors.length === 0, page.errors.join(' | '));
  } finally {
    await browser.close();
  }
}

main().then(() => process.exit(failures ? 1 : 0), (e) => { fail('driver', e.stack || String(e)); process.exit(1); });
