// modules.test.mjs - rules every file in dashboard/js/ keeps, read from the
// source: imports by served path of a file that exists, no markup from
// strings, no mutable module-level binding except model.js's S.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';

const DIR = new URL('../../dashboard/js/', import.meta.url);
const files = readdirSync(DIR).filter((f) => f.endsWith('.js')).sort();
const source = (f) => readFileSync(new URL(f, DIR), 'utf8');

test('the dashboard has its modules', () => {
  for (const m of ['main.js', 'model.js', 'format.js', 'event_meta.js', 'filter.js', 'timeline.js', 'series.js']) {
    assert.ok(files.includes(m), m);
  }
});

for (const f of files) {
  test(f + ': imports only /assets/ modules that exist', () => {
    const src = source(f);
    const specs = [...src.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/gm)].map((m) => m[1]);
    assert.equal(/\bimport\s*\(/.test(src), false, 'no dynamic import()');
    assert.equal(/^\s*import\s+'/m.test(src), false, 'no side-effect-only import');
    for (const s of specs) {
      const m = /^\/assets\/([a-z_]+\.js)$/.exec(s);
      assert.ok(m, f + ' imports ' + s + ': not an absolute /assets/NAME.js path');
      assert.ok(files.includes(m[1]), f + ' imports ' + s + ': no dashboard/js/' + m[1]);
      assert.notEqual(m[1], f, 'imports itself');
    }
  });

  test(f + ': no markup from strings, no eval', () => {
    const src = source(f);
    assert.doesNotMatch(src, /\.(innerHTML|outerHTML)\s*\+?=|insertAdjacentHTML|document\.write|[^.\w]eval\(|new Function|setAttribute\('style'|\.cssText/);
  });

  test(f + ': nothing mutable at module level', () => {
    for (const [i, line] of source(f).split('\n').entries()) {
      const where = f + ':' + (i + 1) + ': ' + line;
      assert.doesNotMatch(line, /^(export\s+)?(let|var)\s/, where);
      const c = /^(?:export\s+)?const\s+(\w+)\s*=\s*(.*)$/.exec(line);
      if (!c) continue;
      if (f === 'model.js' && c[1] === 'S') continue; // the one state object
      assert.match(c[2], /^(Object\.freeze\(|-?\d|'|"|`|\(|function\b|[A-Za-z_$][\w$]*\s*\()/, where);
      assert.doesNotMatch(c[2], /^(new\s|\[|\{)/, where);
    }
  });
}
