// The browser half of `cargo xtask bench`: times the built widget in headless Chromium and
// writes the raw figures as JSON (xtask adds the sizes, prints the table and writes
// target/bench.json). Run through `cargo xtask bench`, which builds everything and sets:
//
//   WEAVZ_BENCH_OUT       where to write the JSON
//   WEAVZ_BENCH_PKG       target/pkg (core/, full/)
//   WEAVZ_BENCH_ANCHORS   directory with the anchor bundles (<slug>.js)
//   WEAVZ_BENCH_ANCHOR_SLUGS  comma-separated slugs of those bundles
//   WEAVZ_SANDBOX_BIN, WEAVZ_DEMO_DIR   the sandbox and the demo site (concurrency run)
//   WEAVZ_BENCH_REPS (9, at least 5), WEAVZ_BENCH_FLOWS (200), WEAVZ_BENCH_CYCLES (1000),
//   WEAVZ_BENCH_CONCURRENT (20)
//   WEAVZ_BENCH_ONLY      by hand: a comma-separated subset of ready,flows,leak,flood,concurrency
//
// Nothing here asserts a time: timings are reported, never gated. What is checked is
// correctness under load (every flow ends exactly once), since a benchmark of a broken
// widget is meaningless.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { launch } from '../lib/browser.mjs';
import { startSandbox, demoDir } from '../lib/sandbox.mjs';
import { startBenchServers } from './server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const env = process.env;
const num = (name, fallback) => Number(env[name] || fallback);
const REPS = Math.max(5, num('WEAVZ_BENCH_REPS', 9));
const FLOWS = num('WEAVZ_BENCH_FLOWS', 200);
const CYCLES = num('WEAVZ_BENCH_CYCLES', 1000);
const CONCURRENT = num('WEAVZ_BENCH_CONCURRENT', 20);
const anchorSlugs = (env.WEAVZ_BENCH_ANCHOR_SLUGS || '').split(',').filter(Boolean);
// Run by hand, `WEAVZ_BENCH_ONLY=leak node bench/bench.mjs` runs one part (xtask runs all).
const only = (env.WEAVZ_BENCH_ONLY || '').split(',').filter(Boolean);
const part = (name) => only.length === 0 || only.includes(name);

function log(message) {
  process.stderr.write(`bench: ${message}\n`);
}

/** median, p95 (nearest rank), min, max and n of a list of numbers. */
export function stats(values) {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return { n: 0 };
  const rank = (p) => v[Math.min(v.length - 1, Math.ceil((p / 100) * v.length) - 1)];
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  const round = (x) => Math.round(x * 1000) / 1000;
  return { n: v.length, median: round(median), p95: round(rank(95)), min: round(v[0]), max: round(v.at(-1)) };
}

// ---------------------------------------------------------------------------------------
// 2. Time to ready

/** Navigates `page` to `url` and returns bench.ready (ms since navigation start). */
async function loadReady(page, url) {
  await page.goto(url, { waitUntil: 'load' });
  const handle = await page.waitForFunction(() => window.bench && window.bench.ready, { timeout: 30000, polling: 10 });
  return handle.jsonValue();
}

/** `list` rotated left by `n`. */
const rotate = (list, n) => list.map((_, i) => list[(i + n) % list.length]);

/**
 * Cold: a fresh browser context per load (empty HTTP cache, new renderer process, no
 * compiled-code cache). Warm: one context, primed twice, then loaded again each rep.
 * Kinds are interleaved, in a rotating order, so that noise on a shared machine hits
 * them alike.
 */
async function timeToReady(browser, server, kinds) {
  const result = Object.fromEntries(kinds.map((k) => [k, { cold: [], warm: [] }]));
  const url = (kind) => `${server.host}/ready/${kind}`;
  for (let rep = 0; rep < REPS; rep++) {
    for (const kind of rotate(kinds, rep)) {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      result[kind].cold.push(await loadReady(page, url(kind)));
      await context.close();
    }
  }
  const warm = [];
  for (const kind of kinds) {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await loadReady(page, url(kind));
    await loadReady(page, url(kind));
    warm.push({ kind, context, page });
  }
  for (let rep = 0; rep < REPS; rep++) {
    for (const { kind, page } of rotate(warm, rep)) {
      await page.goto(`${server.host}/blank.html`);
      result[kind].warm.push(await loadReady(page, url(kind)));
    }
  }
  for (const { context } of warm) await context.close();
  for (const kind of kinds) {
    result[kind] = { cold: stats(result[kind].cold), warm: stats(result[kind].warm) };
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// 3 + 4. Flows against the stub connect page: click → window.open, postMessage → event

/** Bookkeeping in the host page: pairs each result message with its terminal event. */
function installFlowRecorder() {
  const rec = (window.benchFlows = { sent: new Map(), records: [], done: 0, failed: [], keep: true, waiters: [] });
  const clock = () => performance.timeOrigin + performance.now();
  addEventListener('message', (e) => {
    if (e.data && typeof e.data.benchSentAt === 'number') {
      rec.sent.set(e.data.connectionId, { sentAt: e.data.benchSentAt, seenAt: clock() });
    }
  });
  const settle = () => {
    rec.waiters = rec.waiters.filter(([n, resolve]) => (rec.done + rec.failed.length >= n ? (resolve(), false) : true));
  };
  addEventListener('weavz:connection-created', (e) => {
    const now = clock();
    const sent = rec.sent.get(e.detail.connectionId);
    rec.sent.delete(e.detail.connectionId);
    rec.done++;
    if (rec.keep) {
      const open = window.bench.opens.at(-1);
      rec.records.push({
        latency: sent ? now - sent.sentAt : null,
        fromMessage: sent ? now - sent.seenAt : null,
        open,
        activeFlowsAtEvent: WeavzConnect.activeFlows(),
      });
    }
    settle();
  });
  for (const type of ['weavz:connect-error', 'weavz:connect-cancelled']) {
    addEventListener(type, (e) => {
      rec.failed.push({ type, code: e.detail.code, message: e.detail.message });
      settle();
    });
  }
  /** Resolves once `n` flows have ended (and WeavzConnect says none is running). */
  rec.until = (n) =>
    new Promise((resolve) => {
      rec.waiters.push([n, resolve]);
      settle();
    }).then(() => WeavzConnect.activeFlows());
}

/** A fixed button that starts a JS API flow to the stub connect page. */
function installApiButton(connectBase) {
  const button = document.createElement('button');
  button.id = 'go';
  button.textContent = 'Connect';
  button.style.cssText = 'position:fixed;left:0;top:0;width:120px;height:40px';
  document.body.append(button);
  let n = 0;
  button.addEventListener('click', () => {
    const token = `cst_bench_${++n}`;
    window.bench.inHandler = true;
    try {
      WeavzConnect.open({ connectUrl: `${connectBase}&token=${token}`, closeGraceMs: 0 }).catch(() => {});
    } finally {
      window.bench.inHandler = false;
    }
  });
}

async function readyPage(browser, server, kind) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.errors = errors;
  await loadReady(page, `${server.host}/ready/${kind}`);
  await page.evaluate(installFlowRecorder);
  return page;
}

function stubBase(server) {
  return `${server.connect}/connect?host=${encodeURIComponent(server.host)}`;
}

/** `count` JS API flows on the core build, one after the other, each through a real click. */
async function apiFlows(page, count) {
  const done = await page.evaluate(() => window.benchFlows.done + window.benchFlows.failed.length);
  for (let i = 1; i <= count; i++) {
    await page.mouse.click(60, 20);
    const active = await page.evaluate((n) => window.benchFlows.until(n), done + i);
    if (active !== 0) throw new Error(`a flow still runs after its event (${active})`);
  }
}

function summariseFlows(records, failed) {
  const opens = records.map((r) => r.open).filter(Boolean);
  return {
    flows: records.length,
    failed: failed.length,
    failures: failed.slice(0, 5),
    clickToOpen: stats(opens.map((o) => o.sinceClick)),
    windowOpenCall: stats(opens.map((o) => o.took)),
    allUserActivationActive: opens.length === records.length && opens.every((o) => o.active),
    allInClickTask: opens.length === records.length && opens.every((o) => o.inClickTask),
    allInHandler: opens.every((o) => o.inHandler),
    latency: stats(records.map((r) => r.latency).filter((x) => x !== null)),
    fromMessage: stats(records.map((r) => r.fromMessage).filter((x) => x !== null)),
  };
}

async function coreFlows(browser, server) {
  const page = await readyPage(browser, server, 'core');
  await page.evaluate(installApiButton, stubBase(server));
  await apiFlows(page, 5); // warm-up, not counted
  await page.evaluate(() => {
    window.benchFlows.records = [];
  });
  await apiFlows(page, FLOWS);
  const { records, failed } = await page.evaluate(() => window.benchFlows);
  const summary = summariseFlows(records, failed);
  summary.pageErrors = page.errors;
  await page.close();
  return summary;
}

/** Flows through the full build's <weavz-connect> (token endpoint on the bench host). */
async function elementFlows(browser, server) {
  const page = await readyPage(browser, server, 'full');
  for (let i = 0; i < REPS + 1; i++) {
    const id = `el-${i}`;
    await page.evaluate((id) => {
      document.querySelector('weavz-connect')?.remove();
      const el = document.createElement('weavz-connect');
      el.id = id;
      el.setAttribute('integration', 'bench');
      el.setAttribute('token-endpoint', '/api/connect-token');
      el.setAttribute('close-grace-ms', '0');
      document.body.append(el);
    }, id);
    const button = await page.waitForFunction(
      (id) => document.getElementById(id).shadowRoot?.querySelector('button'),
      { timeout: 10000 },
      id,
    );
    const before = await page.evaluate(() => window.benchFlows.done + window.benchFlows.failed.length);
    await button.asElement().click();
    await page.evaluate((n) => window.benchFlows.until(n), before + 1);
    if (i === 0) {
      await page.evaluate(() => {
        window.benchFlows.records = []; // the first flow warms up
      });
    }
  }
  const { records, failed } = await page.evaluate(() => window.benchFlows);
  const summary = summariseFlows(records, failed);
  summary.pageErrors = page.errors;
  await page.close();
  return summary;
}

// ---------------------------------------------------------------------------------------
// 5. Leak check

async function snapshot(page, cdp, glue) {
  for (let i = 0; i < 3; i++) await cdp.send('HeapProfiler.collectGarbage');
  const heap = await cdp.send('Runtime.getHeapUsage');
  const { result } = await cdp.send('Runtime.evaluate', { expression: 'window' });
  const { listeners } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId });
  await cdp.send('Runtime.releaseObject', { objectId: result.objectId });
  const byType = {};
  for (const l of listeners) byType[l.type] = (byType[l.type] || 0) + 1;
  const dom = await cdp.send('Memory.getDOMCounters');
  const page_ = await page.evaluate(async (glue) => {
    const exports = await (await import(glue)).default();
    const memory = Object.values(exports).find((v) => v instanceof WebAssembly.Memory);
    return { wasmPages: memory.buffer.byteLength / 65536, activeFlows: WeavzConnect.activeFlows() };
  }, glue);
  const windows = (await page.browser().pages()).length;
  return {
    jsHeapUsed: heap.usedSize,
    jsHeapTotal: heap.totalSize,
    windowListeners: listeners.length,
    windowListenersByType: byType,
    domNodes: dom.nodes,
    documents: dom.documents,
    jsEventListeners: dom.jsEventListeners,
    wasmPages: page_.wasmPages,
    activeFlows: page_.activeFlows,
    openWindows: windows,
  };
}

async function leakCheck(browser, server) {
  const page = await readyPage(browser, server, 'core');
  await page.evaluate(installApiButton, stubBase(server));
  const cdp = await page.createCDPSession();
  await page.evaluate(() => {
    window.benchFlows.keep = false;
    window.bench.bounded = true;
  });
  await apiFlows(page, 20); // warm-up: lazy initialisation is not a leak
  const glue = `${server.host}/pkg/core/weavz_connect.js`;
  const before = await snapshot(page, cdp, glue);
  const started = Date.now();
  // The heap after GC every 100 cycles: a leak grows steadily, a cache levels off.
  const heapTrend = [{ cycles: 0, jsHeapUsed: before.jsHeapUsed }];
  let gcMs = 0;
  for (let done = 0; done < CYCLES; ) {
    const step = Math.min(100, CYCLES - done);
    await apiFlows(page, step);
    done += step;
    const gcStart = Date.now();
    for (let i = 0; i < 3; i++) await cdp.send('HeapProfiler.collectGarbage');
    heapTrend.push({ cycles: done, jsHeapUsed: (await cdp.send('Runtime.getHeapUsage')).usedSize });
    gcMs += Date.now() - gcStart;
    log(`leak check: ${done} / ${CYCLES} cycles`);
  }
  const seconds = (Date.now() - started - gcMs) / 1000;
  const after = await snapshot(page, cdp, glue);
  // Growth per cycle over the second half of the run.
  const half = heapTrend.find((t) => t.cycles >= CYCLES / 2) || heapTrend[0];
  const lastHalfBytesPerCycle =
    half.cycles < CYCLES ? (after.jsHeapUsed - half.jsHeapUsed) / (CYCLES - half.cycles) : null;
  const { done, failed } = await page.evaluate(() => ({
    done: window.benchFlows.done,
    failed: window.benchFlows.failed,
  }));
  await cdp.detach();
  const pageErrors = page.errors;
  await page.close();
  return {
    cycles: CYCLES,
    completed: done - 20,
    failed: failed.length,
    seconds,
    before,
    after,
    heapTrend,
    lastHalfBytesPerCycle,
    pageErrors,
  };
}

// ---------------------------------------------------------------------------------------
// 6. Concurrency, end to end against the sandbox (token endpoint + session confirmation)

async function concurrentRun(browser, sandbox, rep) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(sandbox.host, { waitUntil: 'load' });
  await page.waitForFunction(() => window.WeavzConnect, { timeout: 30000 });
  await page.evaluate(
    (rep, count) => {
      const button = document.createElement('button');
      button.textContent = 'Connect many';
      button.style.cssText = 'position:fixed;left:0;top:0;width:120px;height:40px;z-index:10';
      document.body.append(button);
      const run = (window.benchMany = { started: null, results: [], events: {}, ended: null });
      for (const type of ['weavz:connection-created', 'weavz:connect-error', 'weavz:connect-cancelled']) {
        addEventListener(type, (e) => {
          const key = type === 'weavz:connection-created' ? e.detail.externalId : `${type}:${e.detail.code}`;
          run.events[key] = (run.events[key] || 0) + 1;
        });
      }
      let n = 0;
      button.addEventListener('click', () => {
        if (run.started === null) run.started = performance.now();
        const i = n++;
        WeavzConnect.open({
          integration: 'openai',
          tokenEndpoint: '/api/connect-token',
          sessionEndpoint: '/api/connect-session',
          tokenParams: { externalId: `bench-${rep}-${i}` },
        }).then(
          (c) => {
            run.results.push({ externalId: c.externalId, connectionId: c.connectionId });
            if (run.results.length === count) run.ended = performance.now();
          },
          (e) => run.results.push({ error: e.code }),
        );
      });
    },
    rep,
    CONCURRENT,
  );
  const popups = [];
  page.on('popup', (p) => popups.push(p));
  for (let i = 0; i < CONCURRENT; i++) await page.mouse.click(60, 20);
  const deadline = Date.now() + 20000;
  while (popups.length < CONCURRENT && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (popups.length !== CONCURRENT) throw new Error(`${popups.length} of ${CONCURRENT} windows opened`);
  // Every window finishes at once: the sandbox's API-key form, filled and submitted.
  await Promise.all(
    popups.map(async (popup, i) => {
      await popup.waitForSelector('input[name="secretText"]', { timeout: 20000 });
      await popup.evaluate((i) => {
        document.querySelector('input[name="secretText"]').value = `sk-bench-${i}-0123456789abcdef`;
        document.querySelector('form').requestSubmit();
      }, i);
    }),
  );
  await page.waitForFunction((count) => window.benchMany.results.length >= count, { timeout: 60000 }, CONCURRENT);
  await new Promise((r) => setTimeout(r, 500)); // room for a duplicate to show up
  const run = await page.evaluate(() => ({ ...window.benchMany, active: WeavzConnect.activeFlows() }));
  await page.close();
  const ok = run.results.filter((r) => r.connectionId);
  const expected = Array.from({ length: CONCURRENT }, (_, i) => `bench-${rep}-${i}`);
  const exactlyOnce =
    ok.length === CONCURRENT &&
    new Set(ok.map((r) => r.connectionId)).size === CONCURRENT &&
    expected.every((id) => run.events[id] === 1) &&
    Object.keys(run.events).length === CONCURRENT &&
    run.active === 0;
  const { body } = await sandbox.api('GET', '/connections?limit=500');
  const stored = body.connections.filter((c) => c.externalId.startsWith(`bench-${rep}-`)).length;
  return {
    totalMs: run.ended - run.started,
    exactlyOnce: exactlyOnce && stored === CONCURRENT,
    results: run.results.length,
    stored,
    events: run.events,
    pageErrors: errors,
  };
}

async function concurrency(browser) {
  const sandbox = await startSandbox(['--demo-dir', demoDir]);
  try {
    const runs = [];
    for (let rep = 0; rep < REPS; rep++) runs.push(await concurrentRun(browser, sandbox, rep));
    return {
      flows: CONCURRENT,
      reps: runs.length,
      totalMs: stats(runs.map((r) => r.totalMs)),
      allExactlyOnce: runs.every((r) => r.exactlyOnce),
      problems: runs.filter((r) => !r.exactlyOnce || r.pageErrors.length),
    };
  } finally {
    await sandbox.stop();
  }
}

// ---------------------------------------------------------------------------------------
// 7. A flood of forged messages during a flow

/**
 * A flow waits on a connect page that never answers while a window on another site (its
 * own process) posts 20,000 tiny forged results and then 40 of about 2 MB to the page.
 * Records the longest main-thread task of the page (PerformanceObserver `longtask`: only
 * tasks over 50 ms are reported), how long each phase took to be received, and the widget's
 * debug events; with a flow and, for comparison, without one.
 */
async function floodRun(page, server, withFlow) {
  const sender = (phase) =>
    `${server.connect.replace('127.0.0.1', 'localhost')}/flood?${phase}&host=${encodeURIComponent(server.host)}`;
  await page.evaluate(() => {
    const out = (window.floodOut = { longestTaskMs: 0, longTasks: 0, debugEvents: 0, rejectedCounted: 0 });
    window.floodObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        out.longTasks++;
        out.longestTaskMs = Math.max(out.longestTaskMs, e.duration);
      }
    });
    window.floodObserver.observe({ type: 'longtask' });
    window.floodOnDebug = (e) => {
      if (e.detail.level !== 'debug') return;
      out.debugEvents++;
      out.rejectedCounted += e.detail.name === 'rejected_more' ? e.detail.count : 1;
    };
    addEventListener('weavz:connect-event', window.floodOnDebug);
    // Opens a sender inside a click; resolves once it has closed and every message it
    // posted was delivered (a message of the page's own, read by a listener that never
    // touches another sender's data, comes after them).
    window.floodPhase = (url) =>
      new Promise((resolve) => {
        const started = performance.now();
        const w = window.open(url, `flood-${Math.random()}`, 'popup');
        const poll = setInterval(() => {
          if (!w.closed) return;
          clearInterval(poll);
          const marker = `drained-${Math.random()}`;
          const onMessage = (e) => {
            if (e.source !== window || e.data !== marker) return;
            removeEventListener('message', onMessage);
            resolve(performance.now() - started);
          };
          addEventListener('message', onMessage);
          postMessage(marker, '*');
        }, 10);
      });
    for (const phase of ['small', 'large']) {
      const button = document.createElement('button');
      button.id = `flood-${phase}`;
      button.style.cssText = `position:fixed;left:0;top:${phase === 'small' ? 50 : 100}px;width:120px;height:40px`;
      document.body.append(button);
    }
  });
  if (withFlow && (await page.evaluate(() => WeavzConnect.activeFlows())) !== 1) throw new Error('no flow is waiting');
  for (const [phase, y, query] of [['small', 70, 'small=20000'], ['large', 120, 'large=40']]) {
    await page.evaluate(
      (phase, url) => {
        const button = document.getElementById(`flood-${phase}`);
        button.onclick = () => {
          window.floodRunning = window.floodPhase(url).then((ms) => {
            window.floodOut[`${phase}Ms`] = ms;
          });
        };
      },
      phase,
      sender(query),
    );
    await page.mouse.click(60, y);
    await page.evaluate(() => window.floodRunning);
  }
  await new Promise((r) => setTimeout(r, 1200)); // the held notes go out within a second
  return page.evaluate(() => {
    window.floodObserver.disconnect();
    removeEventListener('weavz:connect-event', window.floodOnDebug);
    document.getElementById('flood-small').remove();
    document.getElementById('flood-large').remove();
    return window.floodOut;
  });
}

async function flood(browser, server) {
  // No flow recorder here: its own message listener reads every message's data, which is
  // exactly the cost being measured.
  const page = await browser.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await loadReady(page, `${server.host}/ready/core`);
  const without = await floodRun(page, server, false);
  // A flow whose window shows a page of the connect origin that never posts.
  await page.evaluate((url) => {
    const button = document.createElement('button');
    button.id = 'flood';
    button.style.cssText = 'position:fixed;left:0;top:0;width:120px;height:40px';
    document.body.append(button);
    window.floodAbort = new AbortController();
    button.addEventListener('click', () => {
      window.floodFlow = WeavzConnect.open({ connectUrl: url, closeGraceMs: 0, signal: window.floodAbort.signal }).then(
        (c) => ({ connected: c.connectionId }),
        (e) => ({ code: e.code }),
      );
    });
  }, `${server.connect}/silent?token=cst_flood`);
  await page.mouse.click(60, 20);
  await page.waitForFunction(() => WeavzConnect.activeFlows() === 1, { timeout: 10000 });
  const withFlow = await floodRun(page, server, true);
  const stillWaiting = await page.evaluate(() => WeavzConnect.activeFlows());
  // The host ends it (the widget closes its window); no forged message may have ended it.
  const ended = await page.evaluate(() => {
    window.floodAbort.abort();
    return window.floodFlow;
  });
  await page.close();
  if (page.errors.length) throw new Error(`page errors during the flood: ${page.errors}`);
  // The 20,040 forged results and the page's own two drain markers (wrong origin too).
  return { messages: 20042, without, withFlow, stillWaiting, ended, pageErrors: page.errors };
}

async function main() {
  const out = env.WEAVZ_BENCH_OUT || path.resolve(here, '../../target/bench-browser.json');
  const server = await startBenchServers({
    pkgDir: env.WEAVZ_BENCH_PKG || path.resolve(here, '../../target/pkg'),
    anchorsDir: env.WEAVZ_BENCH_ANCHORS || path.resolve(here, '../../target/bench/anchors/dist'),
    pagesDir: path.join(here, 'pages'),
  });
  const browser = await launch('chromium');
  try {
    const result = {
      browser: { name: 'chromium', version: await browser.version(), userAgent: await browser.userAgent(), headless: true },
      node: process.version,
      reps: REPS,
    };
    if (part('ready')) {
      const kinds = ['baseline', 'core', 'full', 'panel', ...anchorSlugs.map((s) => `anchor-${s}`)];
      log(`time to ready (${kinds.join(', ')}), ${REPS} cold + ${REPS} warm loads each`);
      result.ready = await timeToReady(browser, server, kinds);
    }
    if (part('flows')) {
      log(`${FLOWS} JS API flows (core): click → window.open, postMessage → event`);
      result.flows = { core: await coreFlows(browser, server) };
      log(`${REPS} <weavz-connect> flows (full)`);
      result.flows.full = await elementFlows(browser, server);
    }
    if (part('leak')) {
      log(`leak check: ${CYCLES} open/complete cycles (core)`);
      result.leak = await leakCheck(browser, server);
    }
    if (part('flood')) {
      log('a flood of 20,000 small and 40 large forged messages, with and without a flow (core)');
      result.flood = await flood(browser, server);
    }
    if (part('concurrency')) {
      log(`${REPS} x ${CONCURRENT} simultaneous flows against the sandbox (full, demo page)`);
      result.concurrency = await concurrency(browser);
    }
    await fs.writeFile(out, JSON.stringify(result, null, 2));
    log(`wrote ${out}`);
  } finally {
    await browser.close();
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
