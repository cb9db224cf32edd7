// Launches Debian's Chromium or Firefox ESR through puppeteer-core (WebDriver BiDi for
// Firefox), or WebKitGTK's MiniBrowser through WebKitWebDriver (webkit.mjs: the part of
// puppeteer's API the suites use). No browser is ever downloaded.
import puppeteer from 'puppeteer-core';

import { launchWebKit } from './webkit.mjs';

const executables = {
  chromium: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
  firefox: process.env.FIREFOX_BIN || '/usr/bin/firefox-esr',
};

/** The browsers to run, from WEAVZ_E2E_BROWSERS (default: chromium,firefox; webkit is
 *  run by its own xtask step for the files that support it so far). */
export function browsers() {
  return (process.env.WEAVZ_E2E_BROWSERS || 'chromium,firefox')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}

/**
 * Launches `name`. `colorScheme` ('light' or 'dark') fixes what `prefers-color-scheme`
 * matches in Firefox, where puppeteer cannot emulate media features (in Chromium use
 * `page.emulateMediaFeatures`).
 */
export async function launch(name, { colorScheme } = {}) {
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
    if (colorScheme !== undefined) throw new Error('colorScheme is not supported in WebKit yet');
    return launchWebKit();
  }
  throw new Error(`unknown browser ${name}`);
}

/** Resolves with the next popup `page` opens. */
export function nextPopup(page) {
  return new Promise((resolve) => page.once('popup', resolve));
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
