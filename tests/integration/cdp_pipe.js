/*
 * cdp_pipe.js - a minimal Chrome DevTools Protocol client over
 * --remote-debugging-pipe (Node's standard library only: no npm package, no
 * WebSocket).  Chromium reads commands from its fd 3 and writes answers and
 * events to its fd 4, each message a JSON text ended by a NUL byte.
 *
 *   const b = await Browser.launch('/usr/bin/chromium');
 *   const page = await b.newPage(1280, 800);
 *   await page.goto(url); await page.eval('document.title'); await b.close();
 */
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

class Browser {
  static async launch(bin, extraArgs, extraEnv) {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chr-chromium-'));
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--user-data-dir=' + profile, '--remote-debugging-pipe', '--hide-scrollbars',
      '--mute-audio', '--disable-extensions', ...(extraArgs || []), 'about:blank'];
    const proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], env: Object.assign({}, process.env, extraEnv || {}) });
    const b = new Browser(proc, profile);
    proc.stderr.on('data', (d) => { b.stderr += d.toString(); if (b.stderr.length > 65536) b.stderr = b.stderr.slice(-32768); });
    await b.send('Target.setDiscoverTargets', { discover: false });
    return b;
  }

  constructor(proc, profile) {
    this.proc = proc;
    this.profile = profile;
    this.out = proc.stdio[3];
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = [];
    this.buf = Buffer.alloc(0);
    this.stderr = '';
    this.exited = false;
    proc.stdio[4].on('data', (d) => this.onData(d));
    proc.on('exit', (code, sig) => {
      this.exited = true;
      for (const [, p] of this.pending) p.reject(new Error('chromium exited (' + (code ?? sig) + '): ' + this.stderr.slice(-2000)));
      this.pending.clear();
    });
  }

  onData(d) {
    this.buf = Buffer.concat([this.buf, d]);
    let nul;
    while ((nul = this.buf.indexOf(0)) >= 0) {
      const msg = JSON.parse(this.buf.subarray(0, nul).toString('utf8'));
      this.buf = this.buf.subarray(nul + 1);
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        if (!p) continue;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new Error(p.method + ': ' + msg.error.message));
        else p.resolve(msg.result);
      } else {
        for (const l of this.listeners) l(msg);
      }
    }
  }

  send(method, params, sessionId) {
    if (this.exited) return Promise.reject(new Error('chromium has exited'));
    const id = this.nextId++;
    const msg = { id, method, params: params || {} };
    if (sessionId) msg.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.out.write(JSON.stringify(msg) + '\0');
    });
  }

  on(fn) { this.listeners.push(fn); }

  async newPage(width, height) {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const page = new Page(this, sessionId);
    await page.cmd('Page.enable');
    await page.cmd('Runtime.enable');
    await page.resize(width, height);
    return page;
  }

  /* Closes the browser, waits for its exit (it writes the profile until
   * then), and removes the temporary profile. */
  async close() {
    const exited = new Promise((r) => { if (this.exited) r(); else this.proc.once('exit', r); });
    this.send('Browser.close').catch(() => { /* it may exit before answering */ });
    const timer = setTimeout(() => { if (!this.exited) this.proc.kill('SIGKILL'); }, 3000);
    await exited;
    clearTimeout(timer);
    try { fs.rmSync(this.profile, { recursive: true, force: true, maxRetries: 3 }); } catch (e) { /* left in tmp */ }
  }
}

class Page {
  constructor(browser, sessionId) {
    this.b = browser;
    this.sid = sessionId;
    this.console = [];
    this.errors = [];
    this.dialogs = [];
    browser.on((m) => {
      if (m.sessionId !== sessionId) return;
      if (m.method === 'Runtime.consoleAPICalled') this.console.push(m.params.type + ': ' + m.params.args.map((a) => a.value ?? a.description ?? '').join(' '));
      if (m.method === 'Runtime.exceptionThrown') this.errors.push(m.params.exceptionDetails.exception ? m.params.exceptionDetails.exception.description : m.params.exceptionDetails.text);
      if (m.method === 'Page.javascriptDialogOpening') { this.dialogs.push(m.params.message); this.cmd('Page.handleJavaScriptDialog', { accept: true }).catch(() => {}); }
    });
  }

  cmd(method, params) { return this.b.send(method, params, this.sid); }

  resize(width, height) {
    return this.cmd('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
  }

  async goto(url) { await this.cmd('Page.navigate', { url }); }

  /* Evaluates an expression (awaiting a promise) and returns its value. */
  async eval(expr) {
    const r = await this.cmd('Runtime.evaluate', { expression: expr, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) throw new Error('eval failed: ' + (r.exceptionDetails.exception ? r.exceptionDetails.exception.description : r.exceptionDetails.text) + ' in ' + expr.slice(0, 200));
    return r.result.value;
  }

  /* Polls expr every 20 ms until it is truthy; returns its value or null on timeout. */
  async waitFor(expr, timeoutMs) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      let v = null;
      try { v = await this.eval(expr); } catch (e) { v = null; }
      if (v) return v;
      if (Date.now() > end) return null;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async key(key, mods) {
    const text = key.length === 1 ? key : undefined;
    const code = { Enter: 13, Escape: 27 }[key];
    const base = { key, modifiers: mods || 0, windowsVirtualKeyCode: code || (text ? text.toUpperCase().charCodeAt(0) : 0) };
    await this.cmd('Input.dispatchKeyEvent', Object.assign({ type: text ? 'keyDown' : 'rawKeyDown', text }, base));
    await this.cmd('Input.dispatchKeyEvent', Object.assign({ type: 'keyUp' }, base));
  }

  async screenshot(file) {
    const r = await this.cmd('Page.captureScreenshot', { format: 'png' });
    fs.writeFileSync(file, Buffer.from(r.data, 'base64'));
  }
}

module.exports = { Browser };
