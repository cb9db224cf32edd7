// The examples, each built the way its README says (the JS ones from the packed npm
// tarball, installed into a clean copy of the example), served by the sandbox under the
// minimal CSP and driven through a full connect flow in Chromium and Firefox.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startSandbox } from '../lib/sandbox.mjs';
import { browsers, launch, until } from '../lib/browser.mjs';
import { buildJsExample, cleanup } from '../lib/dist.mjs';
import { approveInPopup, assertConnectionCreated } from '../lib/flow.mjs';

const OUTCOMES = ['weavz:connection-created', 'weavz:connect-error', 'weavz:connect-cancelled'];

/**
 * A page that records, from before any script runs, every outcome event reaching
 * `document`, CSP violations and page errors; `page.popups` counts the windows it opened.
 */
async function recordedPage(browser, url) {
  const page = await browser.newPage();
  page.errors = [];
  page.popups = 0;
  page.on('pageerror', (e) => page.errors.push(e.message));
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
async function outcomes(page, n) {
  await until(page, (count) => window.seen.length >= count, n);
  await new Promise((r) => setTimeout(r, 500));
  const seen = await page.evaluate(() => window.seen);
  assert.equal(seen.length, n, `exactly ${n} outcome event(s): ${JSON.stringify(seen)}`);
  return seen;
}

async function clean(page) {
  assert.deepEqual(await page.evaluate(() => window.csp), [], 'no CSP violation');
  assert.deepEqual(page.errors, [], 'no page error');
  await page.close();
}

/** Builds an example once, then runs `body(browser, sandbox, name)` in each browser. */
function exampleSuite(name, build, body, sandboxArgs = (site) => ['--demo-dir', site]) {
  describe(`examples/${name}`, () => {
    let built;
    before(async () => {
      built = await build();
    });
    after(() => cleanup(built?.dir));

    for (const browserName of browsers()) {
      describe(`in ${browserName}`, () => {
        let sandbox;
        let browser;
        before(async () => {
          sandbox = await startSandbox(sandboxArgs(built.site));
          browser = await launch(browserName);
        });
        after(async () => {
          await browser?.close();
          await sandbox?.stop();
        });
        body(() => ({ browser, sandbox, built }));
      });
    }
  });
}

exampleSuite('esm', () => buildJsExample('esm'), (ctx) => {
  it('preloads the core at page load, then one click runs a full flow', async () => {
    const { browser, sandbox } = ctx();
    const page = await recordedPage(browser, sandbox.host);
    // The button is enabled once ready() resolved: the .wasm was loaded before any click.
    await page.waitForSelector('#connect:not([disabled])', { timeout: 15000 });
    assert.equal(await page.$eval('#status', (e) => e.textContent), 'Ready.');
    assert.equal(await page.evaluate(() => typeof window.WeavzConnect), 'undefined', 'the npm entry defines no global');
    await approveInPopup(page, () => page.click('#connect'));
    const [event] = await outcomes(page, 1);
    assert.equal(event.type, 'weavz:connection-created');
    await assertConnectionCreated(sandbox, event.detail);
    await until(page, () => document.getElementById('status').textContent.startsWith('Connected: '));
    assert.equal(await page.$eval('#status', (e) => e.textContent), `Connected: ${event.detail.connectionId}`);
    assert.equal(page.popups, 1, 'one popup');
    await clean(page);
  });
});

exampleSuite('react', () => buildJsExample('react'), (ctx) => {
  it('StrictMode: <weavz-connect> and the JS API each open one popup and report one outcome', async () => {
    const { browser, sandbox } = ctx();
    const page = await recordedPage(browser, sandbox.host);
    await page.waitForSelector('#api-connect:not([disabled])', { timeout: 15000 });
    const elementButton = await page.waitForFunction(() => document.querySelector('weavz-connect')?.shadowRoot?.querySelector('button'));

    // The element: one popup, one event on document, one outcome in React's state.
    await approveInPopup(page, () => elementButton.asElement().click());
    const [first] = await outcomes(page, 1);
    assert.equal(first.type, 'weavz:connection-created');
    await assertConnectionCreated(sandbox, first.detail);
    assert.equal(page.popups, 1);

    // The JS API.
    await approveInPopup(page, () => page.click('#api-connect'));
    const [, second] = await outcomes(page, 2);
    assert.equal(second.type, 'weavz:connection-created');
    await assertConnectionCreated(sandbox, second.detail, { integration: 'github' });
    assert.equal(page.popups, 2);

    const rendered = await page.$$eval('#outcomes li', (lis) => lis.map((li) => ({ source: li.dataset.source, type: li.dataset.type, detail: JSON.parse(li.textContent) })));
    assert.deepEqual(rendered.map((o) => [o.source, o.type, o.detail.connectionId]), [
      ['element', 'weavz:connection-created', first.detail.connectionId],
      ['api', 'weavz:connection-created', second.detail.connectionId],
    ]);
    assert.equal(await page.evaluate(() => window.WeavzConnect.activeFlows()), 0, 'no flow left running');
    await clean(page);
  });
});
