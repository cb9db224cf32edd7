// What the example tests share: a page that records what a test checks afterwards, the
// outcome and cleanliness checks, the Rust examples' paths from `cargo xtask test`, and
// starting an example's server.
import assert from 'node:assert/strict';
import net from 'node:net';
import { createInterface } from 'node:readline';

import { until } from './browser.mjs';
import { startGroup } from './process.mjs';

export const OUTCOMES = ['weavz:connection-created', 'weavz:connect-error', 'weavz:connect-cancelled'];

/**
 * A page that records, from before any script runs, every outcome event reaching
 * `document`, CSP violations, page errors and the console's errors and warnings
 * (`page.console`); `page.popups` counts the windows it opened.
 */
export async function recordedPage(browser, url) {
  const page = await browser.newPage();
  page.errors = [];
  page.console = [];
  page.popups = 0;
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => {
    if (['error', 'warn', 'warning'].includes(m.type())) page.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on('popup', () => page.popups++);
  await page.evaluateOnNewDocument((types) => {
    window.seen = [];
    window.csp = [];
    for (const type of types) document.addEventListener(type, (e) => window.seen.push({ type: e.type, detail: JSON.parse(JSON.stringify(e.detail)) }));
    document.addEventListener('securitypolicyviolation', (e) => window.csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  }, OUTCOMES);
  await page.goto(url, { waitUntil: 'load' });
  return page;
}

/** Waits for the `n`th outcome on document, then checks that no other follows. */
export async function outcomes(page, n) {
  await until(page, (count) => window.seen.length >= count, n);
  await new Promise((r) => setTimeout(r, 500));
  const seen = await page.evaluate(() => window.seen);
  assert.equal(seen.length, n, `exactly ${n} outcome event(s): ${JSON.stringify(seen)}`);
  return seen;
}

/** No CSP violation and no page error; closes the page. */
export async function clean(page) {
  assert.deepEqual(await page.evaluate(() => window.csp), [], 'no CSP violation');
  assert.deepEqual(page.errors, [], 'no page error');
  await page.close();
}

/** A built Rust example from `cargo xtask test` (env `name`), or a clear failure. */
export function builtByXtask(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through \`cargo xtask test\` (it builds the Rust examples)`);
  return value;
}

/** A free loopback port (a server's that the sandbox must know before it starts). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts an example's server binary `bin` with only `env` (and PATH); resolves once it
 * prints `listening on <origin>`, with `{ origin, stop() }`.
 */
export async function startExampleServer(name, bin, env) {
  const child = startGroup(bin, [], { PATH: process.env.PATH, ...env }, { stderr: 'inherit' });
  let early;
  const origin = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (early = () => reject(new Error(`${name} (${bin}) exited before it listened`))));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('listening on ')) resolve(line.slice('listening on '.length));
    });
  });
  child.off('exit', early);
  return {
    origin,
    stop: () => child.stop(),
  };
}
