// Launches Debian's Chromium or Firefox ESR through puppeteer-core (WebDriver BiDi for
// Firefox), or WebKitGTK's MiniBrowser through WebKitWebDriver (webkit.mjs: the part of
// puppeteer's API the suites use). No browser is ever downloaded.
import puppeteer from 'puppeteer-core';

import { launchWebKit } from './webkit.mjs';

const executables = {
  chromium: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
  firefox: process.env.FIREFOX_BIN || '/usr/bin/firefox-esr',
};

/** The browsers to run, from WEAVZ_E2E_BROWSERS (default: chromium,firefox,webkit). */
export function browsers() {
  return (process.env.WEAVZ_E2E_BROWSERS || 'chromium,firefox,webkit')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}

/**
 * Launches `name`. `colorScheme` ('light' or 'dark') fixes what `prefers-color-scheme`
 * matches in Firefox and WebKit, where puppeteer cannot emulate media features (in
 * Chromium use `page.emulateMediaFeatures`). `preloadDir`, for WebKit: the folder of a
 * test site whose pages carry webkit.mjs's PRELOAD_TAG, so that evaluateOnNewDocument
 * reaches every document of that site (ignored elsewhere: puppeteer has preload scripts).
 */
export async function launch(name, { colorScheme, preloadDir } = {}) {
  if (name === 'chromium') {
    return puppeteer.launch({
      browser: 'chrome',
      executablePath: executables.chromium,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }
  if (name === 'firefox') {
    // 0: dark, 1: light (absent: the system's).
    const schemes = { dark: 0, light: 1 };
    const extraPrefsFirefox =
      colorScheme === undefined ? {} : { 'layout.css.prefers-color-scheme.content-override': schemes[colorScheme] };
    return puppeteer.launch({ browser: 'firefox', executablePath: executables.firefox, headless: true, extraPrefsFirefox });
  }
  if (name === 'webkit') {
    return launchWebKit({ colorScheme, preloadDir });
  }
  throw new Error(`unknown browser ${name}`);
}

/** Resolves with the next popup `page` opens; rejects after `timeout` ms without one. */
export function nextPopup(page, timeout = 30000) {
  return new Promise((resolve, reject) => {
    const opened = (popup) => {
      clearTimeout(timer);
      resolve(popup);
    };
    const timer = setTimeout(() => {
      page.off('popup', opened);
      reject(new Error(`no popup opened within ${timeout} ms`));
    }, timeout);
    page.once('popup', opened);
  });
}

/** Waits until `fn` (run in the page) returns something truthy; returns it. */
export async function until(page, fn, arg, timeout = 15000) {
  const handle = await page.waitForFunction(fn, { timeout, polling: 50 }, arg);
  return handle.jsonValue();
}

/** Resolves once `popup` has closed (or at once if it already has). */
export function closed(popup, timeout = 10000) {
  if (popup.isClosed()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('popup did not close')), timeout);
    popup.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls the page's URL until `ok(url)` and returns it (for navigations puppeteer may
 *  not report: after a back/forward-cache restore, Firefox's BiDi does not report the next
 *  navigation to puppeteer). */
export async function urlUntil(page, ok, what, timeout = 20000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const href = await page.evaluate(() => location.href).catch(() => null);
    if (href && ok(new URL(href))) return href;
    if (Date.now() > deadline) throw new Error(`${what}: still at ${href}`);
    await sleep(50);
  }
}

/**
 * Runs `fn(root, arg)` in the page, `root` being the shadow root of the first element
 * matching `host`. The call is composed here, in Node, into one function whose source
 * holds `fn`'s: no eval in the page, which the pages' CSP forbids (and WebKit's WebDriver
 * scripts do not escape).
 */
export function inShadow(page, host, fn, arg) {
  const call = new Function(`return (selector, a) => (${fn})(document.querySelector(selector).shadowRoot, a)`)();
  return page.evaluate(call, host, arg);
}

/** Waits for the first element matching `selector` in the shadow root of the first match of
 *  `host`; resolves with its handle (for a real, trusted click). */
export async function shadowElement(page, host, selector, timeout = 10000) {
  const handle = await page.waitForFunction(
    (h, s) => document.querySelector(h)?.shadowRoot?.querySelector(s),
    { timeout, polling: 50 },
    host,
    selector,
  );
  return handle.asElement();
}
