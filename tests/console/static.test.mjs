// Checks of the console's files themselves (no browser): no HTML sinks or code-from-strings in its
// scripts, no inline script or style in its page, and every file embedded by the binary.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './harness.mjs';

const CONSOLE = path.join(ROOT, 'console');
const files = fs.readdirSync(CONSOLE).sort();
const scripts = files.filter((f) => f.endsWith('.js'));

const FORBIDDEN = [
  [/\.innerHTML\b/, 'innerHTML'],
  [/\.outerHTML\b/, 'outerHTML'],
  [/insertAdjacentHTML/, 'insertAdjacentHTML'],
  [/document\.write/, 'document.write'],
  [/\beval\s*\(/, 'eval'],
  [/new\s+Function\b/, 'new Function'],
  [/setTimeout\s*\(\s*['"`]/, 'setTimeout with a string'],
  [/setInterval\s*\(\s*['"`]/, 'setInterval with a string'],
  [/createContextualFragment|DOMParser|\.srcdoc\b/, 'HTML parsing'],
  [/setAttribute\(\s*['"`](style|on\w+)/i, 'an inline style or handler attribute'],
  [/localStorage|document\.cookie/, 'localStorage or cookies (the key lives in sessionStorage only)'],
];

test('no console script parses text as HTML or code', () => {
  assert.ok(scripts.length >= 5, `scripts found: ${scripts.join(', ')}`);
  const found = [];
  for (const file of scripts) {
    const lines = fs.readFileSync(path.join(CONSOLE, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      const code = line.replace(/^\s*(\/\/|\*).*$/, '');
      for (const [pattern, what] of FORBIDDEN) {
        if (pattern.test(code)) found.push(`${file}:${i + 1}: ${what}: ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(found, []);
});

test('the checker catches what it looks for', () => {
  // So that the test above cannot pass by matching nothing.
  const samples = ['el.innerHTML = x', 'node.outerHTML', 'el.insertAdjacentHTML("beforeend", x)', 'document.write(x)',
    'eval(x)', 'new Function("a")', "el.setAttribute('style', x)", "el.setAttribute('onclick', x)", 'localStorage.setItem(k, v)'];
  for (const sample of samples) {
    assert.ok(FORBIDDEN.some(([pattern]) => pattern.test(sample)), sample);
  }
});

test('the page has no inline script, handler or style', () => {
  const html = fs.readFileSync(path.join(CONSOLE, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'every script has a src');
  assert.doesNotMatch(html, /\son\w+\s*=/i, 'no handler attributes');
  assert.doesNotMatch(html, /\sstyle\s*=|<style/i, 'no inline styles');
  assert.match(html, /<script type="module" src="\/console\/app\.js"><\/script>/);
});

test('every console file is embedded in the binary, and nothing else is', () => {
  const rust = fs.readFileSync(path.join(ROOT, 'src', 'http', 'console.rs'), 'utf8');
  const embedded = [...rust.matchAll(/asset!\("([^"]+)"/g)].map((m) => m[1]).sort();
  assert.deepEqual(embedded, files.filter((f) => !f.startsWith('.')));
});

test('every module a script imports is a console file', () => {
  for (const file of scripts) {
    const source = fs.readFileSync(path.join(CONSOLE, file), 'utf8');
    for (const [, name] of source.matchAll(/from\s+'\.\/([^']+)'/g)) {
      assert.ok(files.includes(name), `${file} imports ${name}`);
    }
  }
});
