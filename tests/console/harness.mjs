// The console's browser-test harness: a real redis-server (own free port, nothing persisted), the
// real shiprelay binary (target/debug/shiprelay, built by scripts/test-console) with a config
// written for the run, a real local subscriber, and Debian's Chromium driven by playwright-core.
// Everything started here is killed when the file's tests end, and when the process exits
// however it exits.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BINARY = process.env.CONSOLE_TEST_BINARY || path.join(ROOT, 'target', 'debug', 'shiprelay');
export const SCREENSHOTS = path.join(ROOT, 'target', 'console-screenshots');
export const ADMIN_KEY = 'console-admin-key-0123456789';
/** Sources of the test config: generic HMAC senders, so a test can post any payload. */
export const SOURCES = {
  shop: { header: 'X-Shop-Signature', secret: 'shop-secret-0123', encoding: 'base64' },
  billing: { header: 'X-Billing-Signature', secret: 'billing-secret-0123', encoding: 'hex' },
};

const children = new Set();
process.on('exit', () => {
  for (const child of children) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `check` (sync or async) until it returns a truthy value, and returns that value; fails
 * with `what` and the last error after `timeout` ms.
 */
export async function eventually(what, check, { timeout = 20000, interval = 200 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = new Error(`got ${JSON.stringify(value)}`);
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}: ${last?.message}`);
    await sleep(interval);
  }
}

/** Waits for a locator to be visible (the first match), with a readable failure. */
export async function visible(locator, what, timeout = 20000) {
  await eventually(what || String(locator), () => locator.first().isVisible(), { timeout });
  return locator.first();
}

/** Waits until nothing matches the locator (or nothing visible does). */
export async function gone(locator, what, timeout = 20000) {
  await eventually(`${what || String(locator)} to go away`, async () => {
    const n = await locator.count();
    for (let i = 0; i < n; i += 1) if (await locator.nth(i).isVisible()) return false;
    return true;
  }, { timeout });
}

function spawnLogged(command, args, logFile, options = {}) {
  const out = fs.openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', out, out], ...options });
  fs.closeSync(out);
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function redisPing(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(1000);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => { data += d; if (data.includes('\r\n')) { socket.destroy(); resolve(data.startsWith('+PONG')); } });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => { socket.destroy(); resolve(false); });
  });
}

function configToml({ port, redisPort }) {
  const sources = Object.entries(SOURCES).map(([id, s]) => `
[[sources]]
id = "${id}"
kind = "generic"
scheme = "hmac"
signature_header = "${s.header}"
encoding = "${s.encoding}"
secrets = ["${s.secret}"]
id_pointer = "/id"
type_pointer = "/type"
subject_pointer = "/subject"
`).join('');
  return `
[server]
listen = "127.0.0.1:${port}"
workers = 2
[redis]
url = "redis://127.0.0.1:${redisPort}"
prefix = "console"
partitions = 2
[api]
keys = ["${ADMIN_KEY}"]
requests_per_second_per_key = 1000
[delivery]
allow_private_targets = true
timeout_secs = 2
visibility_timeout_secs = 8
retry_base_ms = 100
retry_cap_secs = 1
max_attempts = 2
[metrics]
listen = ""
public = true
sample_interval_secs = 1
[log]
level = "warn"
${sources}`;
}

/** A real subscriber on 127.0.0.1: answers 200 (or 500 when failing), recording every request. */
export async function startSubscriber() {
  const requests = [];
  const state = { failing: false, failRatio: 0, body: 'ok' };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const failing = state.failing || Math.random() < state.failRatio;
      requests.push({ method: req.method, url: req.url, headers: req.headers, body, answered: failing ? 500 : 200 });
      res.writeHead(failing ? 500 : 200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(failing ? 'subscriber failing on purpose' : state.body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    fail(on = true) { state.failing = on; },
    /** Fails this share of requests at random (0 to 1). */
    failSome(ratio) { state.failRatio = ratio; },
    answerWith(body) { state.body = body; },
    /** The requests that carried this event id (webhook-id). */
    received(eventId) { return requests.filter((r) => r.headers['webhook-id'] === eventId); },
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

/** Redis, shiprelay and a subscriber for one test file. */
export async function startStack() {
  if (!fs.existsSync(BINARY)) throw new Error(`${BINARY} is missing: run cargo build (scripts/test-console does)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shiprelay-console-'));
  const redisPort = await freePort();
  const redis = spawnLogged('redis-server', [
    '--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
  ], path.join(dir, 'redis.log'));
  await eventually('redis-server to answer PING', () => redisPing(redisPort), { timeout: 10000, interval: 50 });

  const port = await freePort();
  const configFile = path.join(dir, 'shiprelay.toml');
  fs.writeFileSync(configFile, configToml({ port, redisPort }));
  const logFile = path.join(dir, 'shiprelay.log');
  const relay = spawnLogged(BINARY, ['serve', '--config', configFile], logFile, {
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await eventually('shiprelay to answer /healthz', async () => {
      if (relay.exitCode !== null) throw new Error(`shiprelay exited: ${fs.readFileSync(logFile, 'utf8')}`);
      return (await fetch(`${base}/healthz`)).ok;
    }, { timeout: 20000, interval: 100 });
  } catch (e) {
    await stop(relay);
    await stop(redis);
    throw e;
  }
  const subscriber = await startSubscriber();

  async function api(key, method, route, body) {
    const response = await fetch(base + route, {
      method,
      headers: { 'X-API-Key': key, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
    return data;
  }

  return {
    base,
    dir,
    subscriber,
    api,
    admin: (method, route, body) => api(ADMIN_KEY, method, route, body),
    /** A tenant and a key of it, made through the API. */
    async tenant(id, { allowedSources = ['shop'], role = 'write' } = {}) {
      await api(ADMIN_KEY, 'POST', '/v1/tenants', { id, name: `Team ${id}`, allowedSources });
      const key = await api(ADMIN_KEY, 'POST', `/v1/tenants/${id}/keys`, { role, label: 'browser test' });
      return { id, key: key.key, keyId: key.id };
    },
    /** Posts a signed webhook through a configured source; resolves with the accepted event ids. */
    async ingest(source, payload) {
      const { header, secret, encoding } = SOURCES[source];
      const body = JSON.stringify(payload);
      const signature = crypto.createHmac('sha256', secret).update(body).digest(encoding);
      const response = await fetch(`${base}/ingest/${source}`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', [header]: signature }, body,
      });
      const answer = await response.json();
      if (response.status !== 200 || answer.accepted !== 1) throw new Error(`ingest: ${response.status} ${JSON.stringify(answer)}`);
      return answer.events;
    },
    log: () => fs.readFileSync(logFile, 'utf8'),
    async stop() {
      await subscriber.close();
      await stop(relay);
      await stop(redis);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function launchBrowser() {
  // No GPU or QUIC, and no background connections (the test machines' network is closed).
  const args = ['--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update'];
  if (typeof process.getuid === 'function' && process.getuid() === 0) args.push('--no-sandbox');
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args });
}

function slug(name) {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 90);
}

/**
 * One test file: the stack and the browser are started before its tests and stopped after.
 * `suite.test(name, fn, {width, height})` gives fn a fresh browser context on /console; the page
 * it ends on is saved as target/console-screenshots/<name>.png, pass or fail. A test fails if the
 * page threw, a script dialog opened, or the browser reported a Content-Security-Policy violation.
 */
export function suite() {
  const env = {};
  before(async () => {
    env.stack = await startStack();
    env.browser = await launchBrowser();
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  });
  after(async () => {
    await env.browser?.close();
    await env.stack?.stop();
  });
  env.test = (name, fn, { width = 1280, height = 900, timeout = 120000 } = {}) => test(name, { timeout }, async () => {
    const context = await env.browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    const problems = { dialogs: [], pageErrors: [], csp: [] };
    page.on('dialog', (dialog) => { problems.dialogs.push(dialog.message()); dialog.dismiss().catch(() => {}); });
    page.on('pageerror', (error) => problems.pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) problems.csp.push(message.text());
    });
    try {
      await page.goto(`${env.stack.base}/console`);
      await fn({ page, context, stack: env.stack, problems });
      if (problems.pageErrors.length) throw new Error(`the page threw: ${problems.pageErrors.join('; ')}`);
      if (problems.dialogs.length) throw new Error(`a script dialog opened: ${problems.dialogs.join('; ')}`);
      if (problems.csp.length) throw new Error(`Content-Security-Policy violations: ${problems.csp.join('; ')}`);
    } finally {
      await page.screenshot({ path: path.join(SCREENSHOTS, `${slug(name)}.png`), fullPage: true }).catch(() => {});
      await context.close();
    }
  });
  return env;
}

/** Signs in through the form, and waits for the navigation to show. */
export async function signIn(page, key) {
  await page.getByLabel('API key', { exact: true }).fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await visible(page.getByRole('button', { name: 'Sign out' }), 'the signed-in frame');
}

/** Follows a navigation link and waits for the page's heading. */
export async function open(page, linkName, headingName = linkName) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: linkName, exact: true }).click();
  await visible(page.getByRole('heading', { level: 1, name: headingName }), `the ${headingName} page`);
}
