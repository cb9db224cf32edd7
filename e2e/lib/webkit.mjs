// WebKit (Debian's WebKitGTK MiniBrowser) through WebKitWebDriver and selenium-webdriver,
// behind the small part of puppeteer's Browser/Page API the suites use, so that a test
// reads the same in every engine.
//
// Each launch starts its own Xvfb (a free display, -displayfd; no TCP) and its own
// WebKitWebDriver on a free loopback port, each in its own process group (MiniBrowser is
// the driver's child, so it is in the driver's group); close() ends both groups, and so
// does the exit of the test process.
//
// WebKitWebDriver speaks W3C WebDriver classic only (no BiDi): no preload scripts, no
// console or page-error events, no request interception, no offline mode. What is
// emulated here, and how much weaker it is:
// - `page.on('pageerror' | 'console')`: a recorder in the page (window 'error' and
//   'unhandledrejection' listeners, console methods wrapped) whose records come back with
//   the result of every evaluate() and at close(). It is installed after each goto()'s or
//   reload()'s load event, and earlier only where a preload file is served (next item).
// - `page.evaluateOnNewDocument(fn, ...args)`: run after the load event of every document
//   goto() and reload() load, and — on a site that serves `e2e-preload.js` (see
//   PRELOAD_TAG and launch's `preloadDir`) — before any other script of every document of
//   that site the tab loads, however it got there (a redirect back, Back, a link). The
//   preload file finds the tab's scripts through a sessionStorage id, which goto() sets
//   in each origin before the first document it loads there (see goto).
// - No offline mode and no request interception: those throw; a test that needs them is
//   skipped in WebKit, with that reason.
import { EventEmitter } from 'node:events';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { startGroup } from './process.mjs';

import { PNG } from 'pngjs';
import { Builder, By, Key } from 'selenium-webdriver';

const XVFB = process.env.XVFB_BIN || '/usr/bin/Xvfb';
const DRIVER = process.env.WEBKIT_WEBDRIVER_BIN || '/usr/bin/WebKitWebDriver';
const MINIBROWSER = process.env.MINIBROWSER_BIN || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The file a site serves for preload emulation, and the tag its HTML must load first. */
export const PRELOAD_FILE = 'e2e-preload.js';
export const PRELOAD_TAG = `<script src="/${PRELOAD_FILE}"></script>`;

/** Adds PRELOAD_TAG as the first element of the head of every .html file in `dir` and
 *  its subfolders, and writes a preload file that runs no page's scripts yet. */
export function addPreloadTags(dir) {
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const file = join(d, entry.name);
      if (entry.isDirectory()) walk(file);
      if (!entry.isFile() || !entry.name.endsWith('.html')) continue;
      const html = readFileSync(file, 'utf8');
      // After <head>, or where the head starts without its tag.
      const opening = html.match(/<head\b[^>]*>/i) || html.match(/<html\b[^>]*>/i) || html.match(/<!doctype[^>]*>/i);
      const end = opening ? opening.index + opening[0].length : 0;
      writeFileSync(file, html.slice(0, end) + PRELOAD_TAG + html.slice(end));
    }
  };
  walk(dir);
  writeFileSync(join(dir, PRELOAD_FILE), preloadSource([]));
}

/**
 * A copy of the site in `dir` for `browserName`: for WebKit a temporary copy with
 * PRELOAD_TAG added (addPreloadTags), elsewhere `dir` itself. `cleanup()` removes the copy.
 */
export function siteFor(browserName, dir) {
  if (browserName !== 'webkit') return { dir, cleanup: () => {} };
  const copy = mkdtempSync(join(tmpdir(), 'weavz-webkit-site-'));
  cpSync(dir, copy, { recursive: true });
  addPreloadTags(copy);
  return { dir: copy, cleanup: () => rmSync(copy, { recursive: true, force: true }) };
}

/** The preload file's source; `entries` are `"<page id>": [functions]` source texts. */
function preloadSource(entries) {
  return `(function () {
  (${RECORDER})();
  var scripts = { ${entries.join(',\n    ')} };
  var id = sessionStorage.getItem('e2e-page');
  var mine = id && scripts[id];
  if (!mine) return;
  window.__e2ePreloaded = true;
  mine.forEach(function (run) { run(); });
})();
`;
}

// The page's event recorder (see the top of this file), as page script.
const RECORDER = `function () {
  if (window.__e2eEvents) return;
  var q = (window.__e2eEvents = []);
  addEventListener('error', function (e) {
    if (e.target === window) q.push({ kind: 'pageerror', message: String(e.message) });
  }, true);
  addEventListener('unhandledrejection', function (e) {
    var r = e.reason;
    q.push({ kind: 'pageerror', message: String((r && r.message) || r) });
  });
  ['log', 'info', 'warn', 'error', 'debug'].forEach(function (type) {
    var original = console[type];
    console[type] = function () {
      var text = Array.prototype.map.call(arguments, String).join(' ');
      q.push({ kind: 'console', type: type, text: text });
      return original.apply(this, arguments);
    };
  });
}`;

/** Longer than any command takes (the script and page-load timeouts are 60 s). */
const COMMAND_TIMEOUT_MS = 90000;

/** `promise`, or a rejection naming `what` after `ms`. */
function withTimeout(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`WebKit: ${what} got no answer in ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** A free TCP port on 127.0.0.1 (free when asked; the driver binds it right after). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts Xvfb on a display it picks itself (-displayfd); resolves with { child, display }. */
async function startXvfb() {
  const child = startGroup(XVFB, ['-displayfd', '1', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], process.env);
  let onExit;
  const display = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Xvfb did not report a display: ${child.stderrText}`)), 20000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${XVFB}: ${e.message}`));
    });
    child.once('exit', (onExit = (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited with ${code}: ${child.stderrText}`));
    }));
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve(`:${line.trim()}`);
    });
  }).catch(async (e) => {
    await child.stop();
    throw e;
  });
  child.off('exit', onExit);
  return { child, display };
}

/** Starts WebKitWebDriver with `env` (DISPLAY among it); resolves with { child, url } once
 *  it is ready. */
async function startDriver(env) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = startGroup(DRIVER, [`--port=${port}`, '--host=127.0.0.1'], env);
    let failed = null;
    child.once('error', (e) => {
      failed = new Error(`cannot start ${DRIVER}: ${e.message}`);
    });
    const onExit = (code) => {
      failed = new Error(`WebKitWebDriver exited with ${code}: ${child.stderrText}`);
    };
    child.once('exit', onExit);
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 20000;
    while (!failed && Date.now() < deadline) {
      const ready = await fetch(`${url}/status`)
        .then((r) => r.json())
        .then((j) => j.value?.ready === true)
        .catch(() => false);
      if (ready) {
        child.off('exit', onExit);
        return { child, url };
      }
      await sleep(100);
    }
    await child.stop();
    if (attempt >= 3) throw failed || new Error(`WebKitWebDriver not ready on ${url}`);
  }
}

/**
 * Launches MiniBrowser under its own Xvfb and WebKitWebDriver; see WebKitBrowser.
 * `preloadDir`: the folder a test site serves at its root, whose HTML files carry
 * PRELOAD_TAG (addPreloadTags); evaluateOnNewDocument then writes `e2e-preload.js` there.
 * `colorScheme` ('light' or 'dark'): what `prefers-color-scheme` matches (MiniBrowser's
 * --dark-mode, or not).
 */
export async function launchWebKit({ preloadDir, colorScheme } = {}) {
  const xvfb = await startXvfb();
  let driverProc;
  try {
    if (![undefined, 'light', 'dark'].includes(colorScheme)) throw new Error(`colorScheme must be light or dark, not ${colorScheme}`);
    driverProc = await startDriver({ ...process.env, DISPLAY: xvfb.display });
    const driver = await new Builder()
      .usingServer(driverProc.url)
      .withCapabilities({
        browserName: 'MiniBrowser',
        'webkitgtk:browserOptions': {
          binary: MINIBROWSER,
          args: ['--automation', ...(colorScheme === 'dark' ? ['--dark-mode'] : [])],
        },
      })
      .build();
    await driver.manage().setTimeouts({ script: 60000, pageLoad: 60000, implicit: 0 });
    const home = await driver.getWindowHandle();
    return new WebKitBrowser(driver, home, [driverProc.child, xvfb.child], preloadDir);
  } catch (e) {
    await driverProc?.child.stop();
    await xvfb.child.stop();
    throw e;
  }
}

/**
 * One WebDriver session. The session's first window is kept blank and never handed out
 * (closing a session's last window ends the session); every page is a window of its own.
 * WebDriver has one current window per session: every page command runs under a FIFO lock
 * that switches to its window first.
 */
class WebKitBrowser {
  constructor(driver, home, processes, preloadDir) {
    this.driver = driver;
    this.home = home;
    this.processes = processes;
    this.preloadDir = preloadDir;
    this.current = home;
    this.byHandle = new Map(); // handle -> WebKitPage
    this.queue = Promise.resolve();
    this.watching = false;
  }

  /** Runs `fn()` alone, with `handle` (if any) as the current window. A command that has
   *  not answered after COMMAND_TIMEOUT_MS fails (the driver has hung) instead of hanging
   *  the test. */
  run(handle, fn) {
    const next = this.queue.then(() =>
      withTimeout(
        (async () => {
          if (handle && this.current !== handle) {
            await this.driver.switchTo().window(handle);
            this.current = handle;
          }
          return fn();
        })(),
        COMMAND_TIMEOUT_MS,
        'a WebDriver command',
      ),
    );
    this.queue = next.catch(() => {});
    return next;
  }

  async newPage() {
    const handle = await this.run(null, async () => {
      await this.driver.switchTo().newWindow('window');
      this.current = await this.driver.getWindowHandle();
      return this.current;
    });
    return this.adopt(handle);
  }

  adopt(handle) {
    const page = new WebKitPage(this, handle, `${process.pid}-${nextPageId++}`);
    this.byHandle.set(handle, page);
    return page;
  }

  /** The open pages (the session's windows but the blank first one), popups included. */
  async pages() {
    await this.sync();
    return [...this.byHandle.values()];
  }

  // Reads the session's window handles: a new one is a popup of the page that waits for one
  // (or of none); a missing one, a closed page.
  async sync() {
    const handles = await this.run(null, () => this.driver.getAllWindowHandles()).catch(() => null);
    if (!handles) return;
    for (const [handle, page] of this.byHandle) {
      if (!handles.includes(handle)) {
        this.byHandle.delete(handle);
        page.markClosed();
      }
    }
    for (const handle of handles) {
      if (handle === this.home || this.byHandle.has(handle)) continue;
      const opener = [...this.byHandle.values()].find((p) => p.listenerCount('popup'));
      const popup = this.adopt(handle);
      opener?.emit('popup', popup);
    }
  }

  // While a page waits for a popup or for its close, polls the window handles (sync()).
  watch() {
    if (this.watching) return;
    this.watching = true;
    (async () => {
      while (!this.closed && [...this.byHandle.values()].some((p) => p.listenerCount('popup') || p.listenerCount('close'))) {
        await this.sync();
        await sleep(100);
      }
      this.watching = false;
    })();
  }

  /** Writes the preload file with `page`'s evaluateOnNewDocument scripts among those of
   *  every other page (of any browser of this process) whose site is the same folder. */
  writePreloads(page) {
    const dir = this.preloadDir;
    if (!preloadsByDir.has(dir)) preloadsByDir.set(dir, new Map());
    const pages = preloadsByDir.get(dir);
    pages.set(page.id, page.preloads);
    const entries = [...pages].map(([id, preloads]) => `${JSON.stringify(id)}: [${preloads.map(preloadCall).join(', ')}]`);
    writeFileSync(join(dir, PRELOAD_FILE), preloadSource(entries));
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await withTimeout(this.driver.quit(), 20000, 'quit').catch(() => {});
    for (const p of this.processes) await p.stop();
  }
}

// Page ids (the preload file's keys), unique in this process; and each preload folder's
// pages: id -> their { source, args } scripts.
let nextPageId = 1;
const preloadsByDir = new Map();

/** `fn(...args)` as the source of a function that calls it (args JSON-inlined). */
const preloadCall = ({ source, args }) =>
  `function () { (${source}).apply(null, ${JSON.stringify(args)}); }`;

const PAGE_EVENTS = ['popup', 'close', 'pageerror', 'console'];

/** A top-level window of a WebKitBrowser with puppeteer's Page API, as far as it is used. */
class WebKitPage extends EventEmitter {
  constructor(browser, handle, id) {
    super();
    this.browser = browser;
    this.handle = handle;
    this.id = id;
    this.closedFlag = false;
    /** evaluateOnNewDocument's scripts: { source, args }. */
    this.preloads = [];
    /** The origins whose sessionStorage holds this tab's id (see goto). */
    this.introduced = new Set();
    /** WebDriver classic: see the top of this file for what is emulated. */
    this.webdriver = true;
    const held = [];
    const chord = (actions, keys, down) => {
      for (const k of keys) actions = down ? actions.keyDown(k) : actions.keyUp(k);
      return actions;
    };
    /** Key actions (trusted, as a user's keys) to the focused element; down() holds a key
     *  (Shift) for the presses that follow until up(). */
    this.keyboard = {
      press: (key) => {
        const k = webdriverKey(key);
        return this.run(() => {
          let a = chord(this.browser.driver.actions(), held, true);
          a = a.keyDown(k).keyUp(k);
          return chord(a, [...held].reverse(), false).perform();
        });
      },
      type: (text) =>
        this.run(() => {
          let a = chord(this.browser.driver.actions(), held, true);
          for (const ch of text) a = a.keyDown(ch).keyUp(ch);
          return chord(a, [...held].reverse(), false).perform();
        }),
      down: async (key) => {
        held.push(webdriverKey(key));
      },
      up: async (key) => {
        const k = webdriverKey(key);
        const at = held.lastIndexOf(k);
        if (at < 0) throw new Error(`keyboard.up: ${key} is not held`);
        held.splice(at, 1);
      },
    };
  }

  /** Makes this window the current one (WebDriver Switch To Window). */
  bringToFront() {
    return this.run(async () => {});
  }

  run(fn) {
    if (this.closedFlag) return Promise.reject(new Error('the window is closed'));
    return this.browser.run(this.handle, fn);
  }

  on(event, listener) {
    if (!PAGE_EVENTS.includes(event)) throw new Error(`WebKit (WebDriver classic) has no "${event}" page event`);
    super.on(event, listener);
    if (event === 'popup' || event === 'close') this.browser.watch();
    return this;
  }

  once(event, listener) {
    if (!PAGE_EVENTS.includes(event)) throw new Error(`WebKit (WebDriver classic) has no "${event}" page event`);
    super.once(event, listener);
    if (event === 'popup' || event === 'close') this.browser.watch();
    return this;
  }

  markClosed() {
    if (this.closedFlag) return;
    this.closedFlag = true;
    if (this.browser.current === this.handle) this.browser.current = null;
    this.emit('close');
  }

  isClosed() {
    return this.closedFlag;
  }

  /** The current URL. Async here (puppeteer's is sync): call it as `await page.url()`. */
  url() {
    return this.run(() => this.browser.driver.getCurrentUrl());
  }

  /**
   * Navigates and waits for the load event (WebDriver's "normal" page load strategy). With
   * preload scripts on a preload site, the tab first loads a document of the URL's origin
   * (the preload file itself) to give the tab its id in that origin's sessionStorage, and
   * replaces it (location.replace: no history entry) with `url`, whose preload tag then
   * finds its scripts from the start.
   */
  async goto(url) {
    const { driver, preloadDir } = this.browser;
    const origin = new URL(url).origin;
    if (preloadDir && this.preloads.length && !this.introduced.has(origin)) {
      this.introduced.add(origin);
      await this.run(() => driver.get(`${origin}/${PRELOAD_FILE}`));
      await this.run(() =>
        driver.executeScript(
          `sessionStorage.setItem('e2e-page', arguments[0]); window.__e2eBootstrap = true; location.replace(arguments[1]);`,
          this.id,
          url,
        ),
      );
      const deadline = Date.now() + 60000;
      for (;;) {
        const state = await this.run(() =>
          driver.executeScript('return [window.__e2eBootstrap === true, document.readyState]'),
        ).catch(() => null);
        if (state && !state[0] && state[1] === 'complete') break;
        if (Date.now() > deadline) throw new Error(`goto ${url}: the page did not load`);
        await sleep(50);
      }
    } else {
      await this.run(() => driver.get(url));
    }
    await this.afterLoad();
  }

  /** Reloads and waits for the load event. */
  async reload() {
    await this.run(() => this.browser.driver.navigate().refresh());
    await this.afterLoad();
  }

  // After a load that goto() or reload() waited for: the recorder, the tab's id for the
  // preload file, and the preload scripts, unless the preload file has already run them.
  async afterLoad() {
    const calls = this.preloads.map(preloadCall).join(', ');
    const script = `
      (${RECORDER})();
      try { sessionStorage.setItem('e2e-page', ${JSON.stringify(this.id)}); } catch (e) {}
      if (!window.__e2ePreloaded) {
        window.__e2ePreloaded = true;
        [${calls}].forEach(function (run) { run(); });
      }`;
    await this.run(() => this.browser.driver.executeScript(script));
  }

  /**
   * Runs `fn(...args)` in every document the page loads from now on (see the top of this
   * file for when that is in WebKit); `args` are JSON-copied.
   */
  async evaluateOnNewDocument(fn, ...args) {
    this.preloads.push({ source: String(fn), args });
    if (this.browser.preloadDir) this.browser.writePreloads(this);
  }

  /**
   * Runs `fn(...args)` in the page and resolves with its (awaited) result, JSON-copied.
   * An element comes back as an element handle.
   */
  async evaluate(fn, ...args) {
    const result = await this.run(() => this.browser.driver.executeAsyncScript(asyncCall(String(fn)), ...args));
    return this.unwrap(result);
  }

  unwrap(result) {
    this.emitRecorded(result?.events);
    if (result && result.error !== undefined) {
      const e = new Error(`evaluate: ${result.error}`);
      e.stack = `${e.message}\n    in the page: ${result.stack || ''}`;
      throw e;
    }
    const value = result?.value;
    return value && typeof value.getId === 'function' ? new WebKitElement(this, value) : value;
  }

  // The recorder's records, as puppeteer's 'pageerror' and 'console' events.
  emitRecorded(events) {
    for (const e of events || []) {
      if (e.kind === 'pageerror') this.emit('pageerror', new Error(e.message));
      else this.emit('console', { type: () => e.type, text: () => e.text });
    }
  }

  /** `fn(element, ...args)` for the first element matching `selector`. */
  async $eval(selector, fn, ...args) {
    const wrapped = `function (selector, ...args) {
      const el = document.querySelector(selector);
      if (!el) throw new Error('no element matches ' + selector);
      return (${String(fn)})(el, ...args);
    }`;
    return this.evaluate(wrapped, selector, ...args);
  }

  /** `fn(elements, ...args)` for the array of the elements matching `selector`. */
  async $$eval(selector, fn, ...args) {
    const wrapped = `function (selector, ...args) {
      return (${String(fn)})(Array.from(document.querySelectorAll(selector)), ...args);
    }`;
    return this.evaluate(wrapped, selector, ...args);
  }

  /** The first element matching `selector`, or null. */
  async $(selector) {
    const found = await this.run(() => this.browser.driver.findElements(By.css(selector)));
    return found.length ? new WebKitElement(this, found[0]) : null;
  }

  /** Polls `fn(...args)` until it returns something truthy; resolves with a handle to it. */
  async waitForFunction(fn, { timeout = 30000, polling = 50 } = {}, ...args) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const value = await this.evaluate(fn, ...args);
      if (value) return value instanceof WebKitElement ? value : { jsonValue: async () => value, asElement: () => null };
      if (Date.now() > deadline) throw new Error(`waitForFunction timed out after ${timeout} ms: ${String(fn).slice(0, 200)}`);
      await sleep(typeof polling === 'number' ? polling : 50);
    }
  }

  /** Waits for an element matching `selector`; resolves with its handle. */
  async waitForSelector(selector, { timeout = 30000 } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const found = await this.run(() => this.browser.driver.findElements(By.css(selector)));
      if (found.length) return new WebKitElement(this, found[0]);
      if (Date.now() > deadline) throw new Error(`waitForSelector timed out after ${timeout} ms: ${selector}`);
      await sleep(50);
    }
  }

  /** Resolves once the document the page shows now has been replaced by a loaded one. */
  async waitForNavigation({ timeout = 30000 } = {}) {
    const token = `nav-${Math.random()}`;
    await this.evaluate((t) => {
      window.__weavzE2eDocument = t;
    }, token);
    const deadline = Date.now() + timeout;
    for (;;) {
      const state = await this.evaluate(() => [window.__weavzE2eDocument, document.readyState]).catch(() => null);
      if (state && state[0] !== token && state[1] === 'complete') return;
      if (Date.now() > deadline) throw new Error(`waitForNavigation timed out after ${timeout} ms`);
      await sleep(50);
    }
  }

  /**
   * Resolves once the document has loaded and no resource has finished loading for
   * `idleTime` ms. Weaker than puppeteer's: Resource Timing lists a request only once it
   * has finished, so one still in flight is not seen.
   */
  async waitForNetworkIdle({ idleTime = 500, timeout = 30000 } = {}) {
    const deadline = Date.now() + timeout;
    let last = null;
    let since = Date.now();
    for (;;) {
      const now = await this.evaluate(() => `${document.readyState}:${performance.getEntriesByType('resource').length}`);
      if (now !== last) {
        last = now;
        since = Date.now();
      } else if (now.startsWith('complete:') && Date.now() - since >= idleTime) return;
      if (Date.now() > deadline) throw new Error(`waitForNetworkIdle timed out after ${timeout} ms`);
      await sleep(50);
    }
  }

  /** A WebDriver Element Click (a trusted gesture) on the first match of `selector`. */
  async click(selector) {
    const el = await this.waitForSelector(selector, { timeout: 10000 });
    await el.click();
  }

  /** Element Send Keys to the first match of `selector` (appends, as puppeteer's type). */
  async type(selector, text) {
    const el = await this.waitForSelector(selector, { timeout: 10000 });
    await el.type(text);
  }

  /** Selects the option of `value` in the <select> `selector`, as a user's choice
   *  (input and change events); resolves with the selected values. */
  async select(selector, value) {
    return this.$eval(
      selector,
      (el, v) => {
        if (!(el instanceof HTMLSelectElement)) throw new Error('not a <select>');
        el.value = v;
        el.dispatchEvent(new Event('input', { bubbles: true }));
        el.dispatchEvent(new Event('change', { bubbles: true }));
        return [el.value];
      },
      value,
    );
  }

  /** Sizes the window so that the viewport is `width` × `height` CSS pixels. */
  async setViewport({ width, height }) {
    const { driver } = this.browser;
    const inner = () => this.evaluate(() => [innerWidth, innerHeight]);
    let [w, h] = await inner();
    for (let attempt = 0; attempt < 4 && (w !== width || h !== height); attempt++) {
      const rect = await this.run(() => driver.manage().window().getRect());
      await this.run(() =>
        driver.manage().window().setRect({ width: rect.width + width - w, height: rect.height + height - h }),
      );
      // The window manager's resize can land after the command has returned.
      for (let i = 0; i < 20; i++) {
        const [nw, nh] = await inner();
        const changed = nw !== w || nh !== h;
        [w, h] = [nw, nh];
        if (changed) break;
        await sleep(50);
      }
    }
    if (w !== width || h !== height) throw new Error(`setViewport: the viewport stays ${w}×${h}, not ${width}×${height}`);
  }

  /** A PNG of the viewport, or with `clip` ({ x, y, width, height }, CSS pixels of the
   *  viewport) of that part of it; written to `path` if given; resolves with the bytes.
   *  (Cropped here: WebKitWebDriver's element screenshots come out blank.) */
  async screenshot({ path, clip } = {}) {
    const png = Buffer.from(await this.run(() => this.browser.driver.takeScreenshot()), 'base64');
    const bytes = clip ? crop(png, clip, await this.evaluate(() => devicePixelRatio)) : png;
    if (path) writeFileSync(path, bytes);
    return bytes;
  }

  /** Closes the window (if it has not closed itself meanwhile); the home window becomes
   *  the current one. The recorder's last records are emitted first. */
  async close() {
    if (this.closedFlag) return;
    const { driver } = this.browser;
    if (this.listenerCount('pageerror') || this.listenerCount('console')) {
      await this.evaluate(() => null).catch(() => {});
    }
    await this.browser.run(null, async () => {
      if ((await driver.getAllWindowHandles()).includes(this.handle)) {
        await driver.switchTo().window(this.handle);
        await driver.close();
      }
      await driver.switchTo().window(this.browser.home);
      this.browser.current = this.browser.home;
    });
    this.browser.byHandle.delete(this.handle);
    this.markClosed();
  }

  setOfflineMode() {
    throw new Error('WebKit (WebDriver classic) has no offline mode');
  }
}

/** The part `clip` (CSS pixels) of the PNG `png` (device pixels, `scale` per CSS pixel),
 *  clamped to the image. */
function crop(png, clip, scale) {
  const image = PNG.sync.read(png);
  const x = Math.max(0, Math.round(clip.x * scale));
  const y = Math.max(0, Math.round(clip.y * scale));
  const width = Math.min(image.width - x, Math.round(clip.width * scale));
  const height = Math.min(image.height - y, Math.round(clip.height * scale));
  if (width <= 0 || height <= 0) throw new Error(`screenshot: the clip ${JSON.stringify(clip)} is outside the viewport`);
  const out = new PNG({ width, height });
  PNG.bitblt(image, out, x, y, width, height, 0, 0);
  return PNG.sync.write(out);
}

/** An element of a WebKitPage (puppeteer's ElementHandle, as far as it is used). */
class WebKitElement {
  constructor(page, element) {
    this.page = page;
    this.element = element;
  }

  asElement() {
    return this;
  }

  /** As puppeteer's for an element: an empty object (an element is no JSON value). */
  async jsonValue() {
    return {};
  }

  /** WebDriver Element Click: a trusted gesture, as a user's click. The element is first
   *  scrolled to the middle of the viewport: where WebKitWebDriver scrolls it itself on a
   *  page that scrolls both ways, the click lands on nothing (seen with a page whose CSS
   *  makes it wider and taller than the window). */
  async click() {
    await this.evaluate((el) => el.scrollIntoView({ block: 'center', inline: 'center' }));
    return this.page.run(() => this.element.click());
  }

  type(text) {
    return this.page.run(() => this.element.sendKeys(text));
  }

  /** `fn(element, ...args)` in the page. */
  evaluate(fn, ...args) {
    return this.page.evaluate(fn, this.element, ...args);
  }

  focus() {
    return this.evaluate((el) => el.focus());
  }

  /** WebDriver's Is Element Displayed. */
  isVisible() {
    return this.page.run(() => this.element.isDisplayed());
  }

  /** The border box in CSS pixels of the viewport, or null if it has none. */
  boundingBox() {
    return this.evaluate((el) => {
      const r = el.getBoundingClientRect();
      return r.width || r.height ? { x: r.x, y: r.y, width: r.width, height: r.height } : null;
    });
  }

  /** A PNG of the element (scrolled into view first), written to `path` if given. */
  async screenshot({ path } = {}) {
    await this.evaluate((el) => el.scrollIntoView({ block: 'nearest', inline: 'nearest' }));
    const box = await this.boundingBox();
    if (!box) throw new Error('screenshot: the element has no box');
    return this.page.screenshot({ path, clip: box });
  }
}

const KEYS = {
  Enter: Key.ENTER,
  Tab: Key.TAB,
  Escape: Key.ESCAPE,
  Space: Key.SPACE,
  Shift: Key.SHIFT,
  Backspace: Key.BACK_SPACE,
  ArrowDown: Key.ARROW_DOWN,
  ArrowUp: Key.ARROW_UP,
  ArrowLeft: Key.ARROW_LEFT,
  ArrowRight: Key.ARROW_RIGHT,
  Home: Key.HOME,
  End: Key.END,
};

/** The WebDriver key of a puppeteer key name (or a single character). */
function webdriverKey(key) {
  const k = KEYS[key] ?? ([...key].length === 1 ? key : undefined);
  if (!k) throw new Error(`keyboard: no WebDriver key for ${key}`);
  return k;
}

// The script of an async Execute Script that calls `source` with the call's arguments and
// reports { value } or { error, stack } through the callback, with the records of the
// page's event recorder since the last call. The source goes into the script text itself
// (no eval: the pages' CSP forbids it; WebDriver's scripts are exempt).
const asyncCall = (source) => `
  const done = arguments[arguments.length - 1];
  const args = Array.prototype.slice.call(arguments, 0, -1);
  const events = () => (window.__e2eEvents ? window.__e2eEvents.splice(0) : []);
  Promise.resolve()
    .then(() => (${source})(...args))
    .then(
      (value) => done({ value: value === undefined ? null : value, events: events() }),
      (e) => done({ error: String((e && e.message) || e), stack: String((e && e.stack) || ''), events: events() }),
    );
`;
