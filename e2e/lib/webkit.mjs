// WebKit (Debian's WebKitGTK MiniBrowser) through WebKitWebDriver and selenium-webdriver,
// behind the small part of puppeteer's Browser/Page API the suites use, so that a test
// reads the same in every engine.
//
// Each launch starts its own Xvfb (a free display, -displayfd; no TCP) and its own
// WebKitWebDriver on a free loopback port, each in its own process group (MiniBrowser is
// the driver's child, so it is in the driver's group); close() ends both groups, and so
// does the exit of the test process.
//
// WebKitWebDriver speaks W3C WebDriver classic only (no BiDi): there are no preload
// scripts (evaluateOnNewDocument), no console or page-error events, no request
// interception and no offline mode. Those throw here; a test that needs them is skipped in
// WebKit, with that reason.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

import { Builder, By, Key } from 'selenium-webdriver';

const XVFB = process.env.XVFB_BIN || '/usr/bin/Xvfb';
const DRIVER = process.env.WEBKIT_WEBDRIVER_BIN || '/usr/bin/WebKitWebDriver';
const MINIBROWSER = process.env.MINIBROWSER_BIN || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Every process group started here, so that nothing outlives the test process.
const groups = new Set();
const killAll = () => {
  for (const pid of groups) killGroup(pid, 'SIGKILL');
};
process.on('exit', killAll);
// A signal would end the process without 'exit': end the groups, then die of the signal.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Starts `bin` in its own process group; the returned child's `stop()` ends the group. */
function startGroup(bin, args, env) {
  const child = spawn(bin, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  groups.add(child.pid);
  const exited = new Promise((r) => child.once('exit', r));
  child.stop = async () => {
    if (!groups.has(child.pid)) return;
    killGroup(child.pid, 'SIGTERM');
    // The leader's exit does not mean its children are gone: wait for the leader, then
    // end whatever is left of the group.
    await Promise.race([exited, sleep(3000)]);
    killGroup(child.pid, 'SIGKILL');
    groups.delete(child.pid);
  };
  child.stderrText = '';
  child.stderr.on('data', (d) => {
    if (child.stderrText.length < 4000) child.stderrText += d;
  });
  return child;
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

/** Starts WebKitWebDriver on `display`; resolves with { child, url } once it is ready. */
async function startDriver(display) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = startGroup(DRIVER, [`--port=${port}`, '--host=127.0.0.1'], { ...process.env, DISPLAY: display });
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

/** Launches MiniBrowser under its own Xvfb and WebKitWebDriver; see WebKitBrowser. */
export async function launchWebKit() {
  const xvfb = await startXvfb();
  let driverProc;
  try {
    driverProc = await startDriver(xvfb.display);
    const driver = await new Builder()
      .usingServer(driverProc.url)
      .withCapabilities({
        browserName: 'MiniBrowser',
        'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
      })
      .build();
    await driver.manage().setTimeouts({ script: 60000, pageLoad: 60000, implicit: 0 });
    const home = await driver.getWindowHandle();
    return new WebKitBrowser(driver, home, [driverProc.child, xvfb.child]);
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
  constructor(driver, home, processes) {
    this.driver = driver;
    this.home = home;
    this.processes = processes;
    this.current = home;
    this.pages = new Map(); // handle -> WebKitPage
    this.queue = Promise.resolve();
    this.watching = false;
  }

  /** Runs `fn()` alone, with `handle` (if any) as the current window. */
  run(handle, fn) {
    const next = this.queue.then(async () => {
      if (handle && this.current !== handle) {
        await this.driver.switchTo().window(handle);
        this.current = handle;
      }
      return fn();
    });
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
    const page = new WebKitPage(this, handle);
    this.pages.set(handle, page);
    return page;
  }

  // While a page waits for a popup or for its close, polls the session's window handles:
  // a new handle is a popup of the page that waits for one; a missing one, a closed page.
  watch() {
    if (this.watching) return;
    this.watching = true;
    (async () => {
      while (!this.closed && [...this.pages.values()].some((p) => p.listenerCount('popup') || p.listenerCount('close'))) {
        const handles = await this.run(null, () => this.driver.getAllWindowHandles()).catch(() => null);
        if (handles) {
          for (const [handle, page] of this.pages) {
            if (!handles.includes(handle)) {
              this.pages.delete(handle);
              page.markClosed();
            }
          }
          for (const handle of handles) {
            if (handle === this.home || this.pages.has(handle)) continue;
            const opener = [...this.pages.values()].find((p) => p.listenerCount('popup'));
            const popup = this.adopt(handle);
            opener?.emit('popup', popup);
          }
        }
        await sleep(100);
      }
      this.watching = false;
    })();
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.driver.quit().catch(() => {});
    for (const p of this.processes) await p.stop();
  }
}

/** A top-level window of a WebKitBrowser with puppeteer's Page API, as far as it is used. */
class WebKitPage extends EventEmitter {
  constructor(browser, handle) {
    super();
    this.browser = browser;
    this.handle = handle;
    this.closedFlag = false;
    /** WebDriver classic: no preload scripts, no console or page-error events. */
    this.webdriver = true;
    /** Key actions (trusted, as a user's keys) to the focused element. */
    this.keyboard = {
      press: (key) => {
        const k = KEYS[key];
        if (!k) throw new Error(`keyboard.press: no WebDriver key for ${key}`);
        return this.run(() => this.browser.driver.actions().keyDown(k).keyUp(k).perform());
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
    if (!['popup', 'close'].includes(event)) {
      throw new Error(`WebKit (WebDriver classic) has no "${event}" page event`);
    }
    super.on(event, listener);
    this.browser.watch();
    return this;
  }

  once(event, listener) {
    if (!['popup', 'close'].includes(event)) {
      throw new Error(`WebKit (WebDriver classic) has no "${event}" page event`);
    }
    super.once(event, listener);
    this.browser.watch();
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

  /** Navigates and waits for the load event (WebDriver's "normal" page load strategy). */
  goto(url) {
    return this.run(() => this.browser.driver.get(url));
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
    if (result && result.error !== undefined) {
      const e = new Error(`evaluate: ${result.error}`);
      e.stack = `${e.message}\n    in the page: ${result.stack || ''}`;
      throw e;
    }
    const value = result?.value;
    return value && typeof value.getId === 'function' ? new WebKitElement(this, value) : value;
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

  /** Closes the window (if it has not closed itself meanwhile); the home window becomes
   *  the current one. */
  async close() {
    if (this.closedFlag) return;
    const { driver } = this.browser;
    await this.browser.run(null, async () => {
      if ((await driver.getAllWindowHandles()).includes(this.handle)) {
        await driver.switchTo().window(this.handle);
        await driver.close();
      }
      await driver.switchTo().window(this.browser.home);
      this.browser.current = this.browser.home;
    });
    this.browser.pages.delete(this.handle);
    this.markClosed();
  }

  evaluateOnNewDocument() {
    throw new Error('WebKit (WebDriver classic, no BiDi) has no preload scripts');
  }
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

  /** WebDriver Element Click: a trusted gesture, as a user's click. */
  click() {
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
}

const KEYS = { Enter: Key.ENTER, Tab: Key.TAB, Escape: Key.ESCAPE, Space: Key.SPACE };

// The script of an async Execute Script that calls `source` with the call's arguments and
// reports { value } or { error, stack } through the callback. The source goes into the
// script text itself (no eval: the pages' CSP forbids it; WebDriver's scripts are exempt).
const asyncCall = (source) => `
  const done = arguments[arguments.length - 1];
  const args = Array.prototype.slice.call(arguments, 0, -1);
  Promise.resolve()
    .then(() => (${source})(...args))
    .then(
      (value) => done({ value: value === undefined ? null : value }),
      (e) => done({ error: String((e && e.message) || e), stack: String((e && e.stack) || '') }),
    );
`;
