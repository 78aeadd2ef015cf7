// Shared by the browser tests: a real `fichier serve --demo` in a temporary directory (an
// admin API key created first), a headless Debian Chromium driven by playwright-core, and
// browser contexts pinned to the server's clock whose only way out is the server itself
// (https://analytics.example/ is answered here and every hit recorded).

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { promisify } from 'node:util';

import { chromium } from 'playwright-core';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.FICHIER_BIN || join(REPO, 'target/debug/fichier');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
/** The server's pinned clock; browser contexts are pinned to it too. */
export const NOW = '2026-03-01T10:00:00Z';
const MASTER_KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';

const ENV = {
  ...process.env,
  FICHIER_MASTER_KEY: MASTER_KEY,
  FICHIER_PINNED_CLOCK: NOW,
  // The clock stands still, so the public rate-limit window never turns over: raise the
  // limit (a wasi:config setting) so that a file of tests from one address stays under it.
  FICHIER_CONFIG_PUBLIC_RATE_PER_MINUTE: '100000',
};

/**
 * Start `fichier serve --demo` on a free port with a fresh database; `shopOrigins` (the
 * shop_origins setting) lists other origins whose pages may call it (CORS). Returns
 * { base, token, api(method, path, body), stop() }.
 */
export async function startServer({ shopOrigins = [] } = {}) {
  assert.ok(existsSync(BIN), `no fichier binary at ${BIN} (cargo build, or set FICHIER_BIN)`);
  const dir = await mkdtemp(join(tmpdir(), 'fichier-browser-'));
  const db = join(dir, 'f.db');
  const { stdout } = await promisify(execFile)(
    BIN,
    ['--db', db, '--json', 'api-key', 'create', '--name', 'browser', '--role', 'admin'],
    { env: ENV },
  );
  const [, token] = JSON.parse(stdout);
  assert.equal(typeof token, 'string');

  const child = spawn(BIN, ['--db', db, 'serve', '--demo', '--addr', '127.0.0.1:0'], {
    env: shopOrigins.length ? { ...ENV, FICHIER_CONFIG_SHOP_ORIGINS: shopOrigins.join(',') } : ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s) => {
    stderr += s;
  });
  const base = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`fichier serve did not start in 120 s:\n${out}\n${stderr}`)), 120_000);
    child.stdout.setEncoding('utf8').on('data', (s) => {
      out += s;
      const m = out.match(/serving (http:\/\/[^/\s]+)\//);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`fichier serve exited (${code}):\n${out}\n${stderr}`));
    });
  });

  async function api(method, path, body) {
    const res = await fetch(base + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const data = text ? JSON.parse(text) : null;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return data;
  }

  async function stop() {
    if (child.exitCode === null) {
      const gone = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      await gone;
    }
    await rm(dir, { recursive: true, force: true });
  }

  // Development only (FICHIER_DEV_ASSETS=1): the assets from disk, the API from the server.
  if (process.env.FICHIER_DEV_ASSETS === '1') {
    const { startDevServer } = await import('./dev-server.js');
    const dev = await startDevServer(base);
    const real = stop;
    return {
      base: dev.base,
      token,
      api,
      stop: async () => {
        await dev.close();
        await real();
      },
      stderr: () => stderr,
    };
  }
  return { base, token, api, stop, stderr: () => stderr };
}

/**
 * For a test file: a real `fichier serve --demo` (`startServer(options)`) and a headless
 * Chromium, started before its tests and stopped after them; read them as `env.server`
 * and `env.browser` once the tests run.
 */
export function serverAndBrowser(options) {
  const env = { server: undefined, browser: undefined };
  before(async () => {
    env.server = await startServer(options);
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}

export function launchBrowser() {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A fresh context (its own cookies) pinned to `time`; `gpc` makes it send the Global
 * Privacy Control signal; `allow` lists other origins the pages may reach. Returns
 * { context, page, hits, blocked, problems }: `hits` the URLs the page asked of
 * https://analytics.example/, `blocked` what was refused, `problems` console errors and
 * page errors (CSP violations included).
 */
export async function openContext(browser, server, { gpc = false, time = NOW, allow = [] } = {}) {
  const context = await browser.newContext({
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
    ...(gpc ? { extraHTTPHeaders: { 'Sec-GPC': '1' } } : {}),
  });
  if (gpc) {
    await context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true });
    });
  }
  await context.clock.setFixedTime(new Date(time));
  const hits = [];
  const blocked = [];
  // Nothing leaves the machine: the server is the only origin; the demo collector is
  // answered here; anything else is aborted (and recorded).
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if ([server.base, ...allow].some((o) => url.startsWith(o + '/'))) return route.continue();
    if (url.startsWith('https://analytics.example/')) {
      hits.push(url);
      return route.fulfill({ status: 204, body: '' });
    }
    blocked.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  return { context, page, hits, blocked, problems };
}

/** Poll `fn` until it returns a truthy value (returned), or fail after `ms`. */
export async function until(fn, what, ms = 10_000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) assert.fail(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Let the page's pending work settle (receipts, held scripts) before asserting an absence. */
export function settle(ms = 700) {
  return new Promise((r) => setTimeout(r, ms));
}
