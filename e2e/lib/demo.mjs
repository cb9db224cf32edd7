// Helpers for tests on the sandbox's demo page (www/demo, index.html): opening it, its
// <weavz-connect> elements and what demo.js logs of their events (window.demoEvents).
import assert from 'node:assert/strict';

import { nextPopup, sleep, until } from './browser.mjs';

/** The three events that end a flow. */
export const TERMINAL = ['weavz:connection-created', 'weavz:connect-error', 'weavz:connect-cancelled'];

/** Resolves once the widget is loaded and demo.js has started its event log. */
export async function demoReady(page) {
  await page.waitForFunction(() => window.WeavzConnect && customElements.get('weavz-connect') && window.demoEvents, {
    timeout: 15000,
  });
}

/** Collects the page's uncaught errors in `page.errors`. */
export function collectErrors(page) {
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
}

/** Records the CSP violations of every document the page loads in `window.cspViolations`. */
export async function collectCspViolations(page) {
  await page.evaluateOnNewDocument(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
}

/**
 * A new page of `browser` at `url` (the demo page), once it is ready; its page errors are
 * collected, and with `csp` its CSP violations too (check both with `done`).
 */
export async function openDemoPage(browser, url, { csp = false } = {}) {
  const page = await browser.newPage();
  collectErrors(page);
  if (csp) await collectCspViolations(page);
  await page.goto(url, { waitUntil: 'load' });
  await demoReady(page);
  return page;
}

/** Closes a page after checking it saw no page error and (with `csp`, the default) no CSP
 *  violation. */
export async function done(page, { csp = true } = {}) {
  // (Also what brings WebKit's recorded page errors in: see webkit.mjs.)
  const violations = await page.evaluate(() => window.cspViolations ?? null);
  if (csp) assert.deepEqual(violations, [], 'no CSP violation');
  assert.deepEqual(page.errors, [], 'no page error');
  await page.close();
}

/** Adds a <weavz-connect> with these attributes (an `id` among them) to the demo page's
 *  list; resolves with its button once the element has rendered. */
export async function addElement(page, attributes) {
  await page.evaluate((attrs) => {
    const el = document.createElement('weavz-connect');
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    document.querySelector('.integrations').appendChild(el);
  }, attributes);
  const handle = await page.waitForFunction(
    (id) => document.getElementById(id)?.shadowRoot?.querySelector('button'),
    { timeout: 10000 },
    attributes.id,
  );
  return handle.asElement();
}

/** The button in the shadow root of the page's <weavz-connect> for `integration`. */
export async function button(page, integration) {
  const handle = await page.waitForFunction(
    (name) => document.querySelector(`weavz-connect[integration="${name}"]`)?.shadowRoot?.querySelector('button'),
    { timeout: 10000 },
    integration,
  );
  return handle.asElement();
}

/** Clicks the button of `integration`; resolves with the window it opens. */
export async function clickConnect(page, integration) {
  const popup = nextPopup(page);
  await (await button(page, integration)).click();
  return popup;
}

/** Sets attributes on the page's <weavz-connect> for `integration`. */
export async function configure(page, integration, attributes) {
  await page.evaluate(
    ({ name, attrs }) => {
      const el = document.querySelector(`weavz-connect[integration="${name}"]`);
      for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    },
    { name: integration, attrs: attributes },
  );
}

/**
 * The terminal events in the page's log (of `integration` only, if given), once there is
 * one and `settleMs` more have passed for a second one to show.
 */
export async function terminalEvents(page, { integration = null, timeout = 15000, settleMs = 400 } = {}) {
  const arg = { name: integration, kinds: TERMINAL };
  await until(
    page,
    ({ name, kinds }) => window.demoEvents.some((e) => (name === null || e.integration === name) && kinds.includes(e.type)),
    arg,
    timeout,
  );
  await sleep(settleMs);
  return page.evaluate(
    ({ name, kinds }) => window.demoEvents.filter((e) => (name === null || e.integration === name) && kinds.includes(e.type)),
    arg,
  );
}

/** Waits for the one terminal event of `integration`, then checks no second follows. */
export async function terminal(page, integration) {
  const events = await terminalEvents(page, { integration });
  assert.equal(events.length, 1, `exactly one terminal event, got ${JSON.stringify(events)}`);
  return events[0];
}

/** Events of the page's current document (demo.js logs them), by kind. */
export const seen = (page, kinds) => page.evaluate((k) => window.demoEvents.filter((e) => k.includes(e.type)), kinds);

/** The status text of the <weavz-connect> for `integration`. */
export async function statusText(page, integration) {
  return page.evaluate(
    (name) => document.querySelector(`weavz-connect[integration="${name}"]`).shadowRoot.querySelector('[role=status]').textContent,
    integration,
  );
}

/** The status text of the <weavz-connect> with this `id`. */
export async function statusOf(page, id) {
  return page.evaluate((i) => document.getElementById(i).shadowRoot.querySelector('[role=status]').textContent, id);
}

/** The `data-state` of the <weavz-connect> for `integration`. */
export const uiState = (page, integration) =>
  page.evaluate(
    (name) => document.querySelector(`weavz-connect[integration="${name}"]`).shadowRoot.querySelector('[data-state]').dataset.state,
    integration,
  );

/** Waits for the demo's list to show this connection. */
export async function expectListed(page, connectionId) {
  await page.waitForSelector(`tr[data-connection-id="${connectionId}"]`, { timeout: 10000 });
}

/**
 * Logs every terminal event that reaches `window` in `window[into]` as `{ type, detail }`
 * (the detail copied); `capture` listens in the capture phase.
 */
export async function logTerminalEvents(page, { into = 'windowEvents', capture = false } = {}) {
  await page.evaluate(
    ({ types, into, capture }) => {
      window[into] = [];
      for (const type of types) {
        addEventListener(type, (e) => window[into].push({ type, detail: JSON.parse(JSON.stringify(e.detail || {})) }), capture);
      }
    },
    { types: TERMINAL, into, capture },
  );
}
