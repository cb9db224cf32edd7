// The widget in real browsers, against the sandbox: redirect mode, where the tab itself
// goes to the connect page and back. One confirmed event, the URL cleaned; reloads and
// Back; mode auto's fallback when the popup is blocked; the page that left, restored from
// the back/forward cache; a hash-routed app back on its route.
import { it, before } from 'node:test';
import assert from 'node:assert/strict';

import { launch, until, sleep } from '../lib/browser.mjs';
import { demoReady as ready, done, button, configure, terminal, seen, statusText, uiState, expectListed, TERMINAL } from '../lib/demo.mjs';
import { recorded, pendingKeys, back } from '../lib/redirect.mjs';
import { routerReady } from '../lib/pages.mjs';
import { widgetSuites } from '../lib/widget-env.mjs';

widgetSuites((env, browserName) => {
  let sandbox;
  before(() => {
    ({ sandbox } = env);
  });

  const { recordingPage, connectionsOf, leaveFor, finishOnConnectPage } = env;

  // Back in WebKit: run alone these pass, but in 2 of 2 full runs WebKitWebDriver stopped
  // answering scripts right after a history.back() (a different test each time). Not run
  // there until the harness copes with it.
  const noBack = browserName === 'webkit' && 'WebKitWebDriver stops answering scripts after history.back() in full runs';

  it('redirect mode: to the connect page and back; one confirmed event, URL cleaned; reload and Back emit nothing', async (t) => {
    const page = await recordingPage('/#integrations');
    await configure(page, 'openai', { mode: 'redirect', 'token-params': JSON.stringify({ externalId: 'redirect-user' }) });
    await leaveFor(page, await button(page, 'openai'));
    await finishOnConnectPage(page, 'sk-redirect-0123456789abcdef');
    const event = await terminal(page, 'openai');
    assert.equal(event.type, 'weavz:connection-created');
    assert.equal(event.detail.externalId, 'redirect-user');
    assert.equal(event.detail.session.status, 'COMPLETED', 'confirmed through the session');
    const url = new URL(await page.evaluate(() => location.href));
    assert.equal(url.search, '', 'the weavz_* parameters are removed');
    assert.equal(url.hash, '#integrations', 'the fragment is restored');
    assert.deepEqual(await pendingKeys(page), [], 'nothing left pending');
    assert.equal(await statusText(page, 'openai'), 'Connected to OpenAI.');
    await expectListed(page, event.detail.connectionId);
    assert.equal((await connectionsOf('redirect-user')).length, 1);
    // resume() called late on the same page still answers with the page's resumed flow.
    const late = await page.evaluate(() => WeavzConnect.resume());
    assert.equal(late.connectionId, event.detail.connectionId);

    await page.reload({ waitUntil: 'load' });
    await ready(page);
    assert.equal(await page.evaluate(() => WeavzConnect.resume()), null, 'after a reload nothing is pending');
    await sleep(1500);
    if (noBack) {
      t.diagnostic(`Back not checked: ${noBack}`);
      await done(page);
      return;
    }
    // Back through the connect page to the page that left (possibly from the
    // back/forward cache, with its flow still in memory): nothing is reported again.
    await back(page);
    await back(page);
    assert.ok((await page.evaluate(() => location.href)).startsWith(`${sandbox.host}/`));
    await ready(page);
    await sleep(1500);
    // (Counted in the page's own log: Firefox shows a restored page the sessionStorage it
    // had when it left, without the return page's record.)
    assert.deepEqual(await seen(page, TERMINAL), [], 'the page that left reports nothing');
    assert.equal((await connectionsOf('redirect-user')).length, 1);
    await done(page);
  });

  it('redirect mode: a reload while confirming picks the flow up again; one event', async () => {
    const page = await recordingPage();
    await configure(page, 'openai', {
      mode: 'redirect',
      'token-params': JSON.stringify({ externalId: 'redirect-reload', sandbox: { pollFailures: 3 } }),
    });
    await leaveFor(page, await button(page, 'openai'));
    await finishOnConnectPage(page, 'sk-reload-0123456789abcdef');
    // Back on the host page, the session poll fails (503): reload in the middle.
    await until(page, () => window.demoEvents.some((e) => e.detail.name === 'poll_retry'));
    assert.deepEqual(await recorded(page), [], 'nothing reported yet');
    assert.equal((await pendingKeys(page)).length, 1, 'the flow is still saved');
    await page.reload({ waitUntil: 'load' });
    await ready(page);
    const resumed = await page.evaluate(() => WeavzConnect.resume());
    const event = await terminal(page, 'openai');
    assert.equal(event.type, 'weavz:connection-created');
    assert.equal(event.detail.externalId, 'redirect-reload');
    assert.equal(resumed.connectionId, event.detail.connectionId, 'resume() resolves with the same connection');
    assert.equal((await recorded(page)).length, 1);
    assert.deepEqual(await pendingKeys(page), []);
    assert.equal((await connectionsOf('redirect-reload')).length, 1);
    await done(page);
  });

  it('redirect mode: Back from the connect page offers Continue; continuing completes once', { skip: noBack }, async () => {
    const page = await recordingPage();
    await configure(page, 'openai', { mode: 'redirect', 'token-params': JSON.stringify({ externalId: 'redirect-back' }) });
    await leaveFor(page, await button(page, 'openai'));
    await page.waitForSelector('input[name="secretText"]');
    await back(page);
    await ready(page);
    await until(
      page,
      () => document.querySelector('weavz-connect[integration="openai"]').shadowRoot.querySelector('[data-state]').dataset.state === 'interrupted',
    );
    assert.equal(await statusText(page, 'openai'), 'Connecting to OpenAI was not finished. Continue, or cancel.');
    await sleep(1000);
    assert.deepEqual(await recorded(page), [], 'Back is not a cancel');
    await leaveFor(page, await button(page, 'openai'));
    await finishOnConnectPage(page, 'sk-back-0123456789abcdef');
    const event = await terminal(page, 'openai');
    assert.equal(event.type, 'weavz:connection-created');
    assert.equal(event.detail.externalId, 'redirect-back');
    assert.equal((await recorded(page)).length, 1);
    assert.equal((await connectionsOf('redirect-back')).length, 1);
    assert.equal(await uiState(page, 'openai'), 'connected');
    await done(page);
  });

  it('mode auto: a blocked popup falls back to a redirect and completes', async () => {
    const page = await recordingPage('/', { blockPopups: true });
    await configure(page, 'openai', { mode: 'auto', 'token-params': JSON.stringify({ externalId: 'redirect-auto' }) });
    await leaveFor(page, await button(page, 'openai'));
    await finishOnConnectPage(page, 'sk-auto-0123456789abcdef');
    const event = await terminal(page, 'openai');
    assert.equal(event.type, 'weavz:connection-created');
    assert.equal(event.detail.externalId, 'redirect-auto');
    assert.equal((await connectionsOf('redirect-auto')).length, 1);
    assert.equal((await recorded(page)).length, 1);
    await done(page);
  });

  it('redirect mode: the page that left, restored from the back/forward cache after the return page finished its flow, stops quietly', { skip: noBack }, async () => {
    // A browser of its own: after the other tests' pages, Firefox (ESR 153) no longer
    // kept this page in its back/forward cache (3 of 3 runs); in a fresh browser it did in
    // every run. Chromium restores it either way.
    const own = await launch(browserName, { preloadDir: env.site });
    try {
      await restoredPageStopsQuietly(await recordingPage('/', { within: own }));
    } finally {
      await own.close();
    }
  });

  it('redirect mode: the same for a flow the connections panel started; its status goes back to idle', { skip: noBack }, async () => {
    const own = await launch(browserName, { preloadDir: env.site });
    try {
      await restoredPageStopsQuietly(await recordingPage('/', { within: own }), { starter: 'panel' });
    } finally {
      await own.close();
    }
  });

  /** The first `<weavz-connections>` of the demo page: its status region and state. */
  const panelStatus = (page) =>
    page.evaluate(() => {
      const root = document.querySelector('weavz-connections').shadowRoot;
      return { text: root.querySelector('[role=status]').textContent, state: root.querySelector('.weavz-panel').dataset.status };
    });

  async function restoredPageStopsQuietly(page, { starter = 'button' } = {}) {
    const externalId = `redirect-bfcache-${starter}`;
    await page.evaluate(() => {
      window.e2eDocument = 'left';
    });
    // A page that leaves with a request in flight is not cached (one of Firefox's
    // documented rules); the demo's lists may still be loading when the widget is ready.
    await page.waitForNetworkIdle({ idleTime: 300, timeout: 10000 });
    if (starter === 'panel') {
      await page.evaluate((params) => {
        const panel = document.querySelector('weavz-connections');
        panel.setAttribute('mode', 'redirect');
        panel.setAttribute('token-params', params);
      }, JSON.stringify({ externalId }));
      const create = await page.waitForFunction(() => document.querySelector('weavz-connections').shadowRoot.querySelector('[part~="create"]'));
      await create.asElement().click();
      const option = await page.waitForFunction(() =>
        document.querySelector('weavz-connections').shadowRoot.querySelector('[data-integration="openai"]'),
      );
      await page.waitForNetworkIdle({ idleTime: 300, timeout: 10000 });
      await leaveFor(page, option.asElement());
    } else {
      await configure(page, 'openai', { mode: 'redirect', 'token-params': JSON.stringify({ externalId }) });
      await leaveFor(page, await button(page, 'openai'));
    }
    await finishOnConnectPage(page, `sk-bfcache-${starter}-0123456789abcdef`);
    if (starter === 'panel') {
      // The panel's events come from <weavz-connections>, which has no integration attribute.
      await until(page, (kinds) => window.demoEvents.some((e) => kinds.includes(e.type)), TERMINAL);
      const events = await seen(page, TERMINAL);
      assert.deepEqual(events.map((e) => [e.type, e.detail.integrationName]), [['weavz:connection-created', 'openai']]);
    } else {
      const event = await terminal(page, 'openai');
      assert.equal(event.type, 'weavz:connection-created');
    }
    const flow = await page.evaluate(() => window.demoEvents.find((e) => e.detail.name === 'resumed').detail.flowId);
    // Counted here: Firefox shows a restored page the sessionStorage it had when it left.
    assert.deepEqual((await recorded(page)).map((e) => e.type), ['weavz:connection-created']);
    assert.deepEqual(await pendingKeys(page), [], 'the return page ended the flow');
    // Back past the connect page to the page that left, with its flow still in memory.
    for (let steps = 0; ; steps++) {
      await back(page);
      const here = await page.evaluate(() => ({ origin: location.origin, doc: window.e2eDocument ?? null })).catch(() => null);
      if (here?.origin === sandbox.host) {
        const why = await page.evaluate(() => JSON.stringify(performance.getEntriesByType('navigation')[0]?.notRestoredReasons ?? null));
        assert.equal(here.doc, 'left', `the page was loaded again, not restored from the back/forward cache: ${why}`);
        break;
      }
      assert.ok(steps < 3, 'Back did not reach the page that left');
    }
    assert.ok((await page.evaluate(() => window.e2ePageshows)).includes(true), 'pageshow with persisted');
    await until(page, (id) => window.demoEvents.some((e) => e.detail.name === 'handled_elsewhere' && e.detail.flowId === id), flow);
    // Asserting an absence: a fixed wait for a second outcome that must not come.
    await sleep(2000);
    assert.deepEqual(await seen(page, TERMINAL), [], 'the restored page reports no outcome of its own');
    if (starter === 'panel') {
      // Not "Finish connecting OpenAI in the popup window." forever: the flow is over.
      await until(page, () => document.querySelector('weavz-connections').shadowRoot.querySelector('.weavz-panel').dataset.status === 'idle');
      assert.deepEqual(await panelStatus(page), { text: '', state: 'idle' });
    } else {
      assert.equal(await uiState(page, 'openai'), 'idle');
    }
    assert.equal(await page.evaluate(() => WeavzConnect.activeFlows()), 0, 'nothing left running');
    const made = await connectionsOf(externalId);
    assert.equal(made.length, 1);
    await sandbox.api('DELETE', `/connections/${made[0].id}`);
    await done(page);
  }

  it('redirect mode: a hash-routed app comes back on its route; the fragment is restored by a navigation its router hears', async () => {
    const page = await recordingPage('/router.html#/settings', { ready: routerReady });
    assert.equal(await page.evaluate(() => document.getElementById('view').dataset.route), 'settings');
    await leaveFor(page, await button(page, 'openai'));
    await finishOnConnectPage(page, 'sk-hash-router-0123456789abcdef', { ready: routerReady });
    await until(page, () => JSON.parse(sessionStorage.getItem('e2e-terminal') || '[]').length > 0);
    assert.deepEqual((await recorded(page)).map((e) => e.type), ['weavz:connection-created']);
    const log = await page.evaluate(() => window.routerLog);
    // The app's own startup code runs before the widget has loaded (its WebAssembly is
    // fetched asynchronously): it sees the return URL, which carries no fragment.
    assert.equal(log[0].cause, 'startup');
    assert.equal(log[0].hash, '', JSON.stringify(log));
    // Then the widget puts the fragment back, and the router follows.
    await until(page, () => window.routerLog.some((e) => e.cause === 'hashchange'));
    assert.equal(await page.evaluate(() => document.getElementById('view').dataset.route), 'settings');
    const url = new URL(await page.evaluate(() => location.href));
    assert.equal(url.pathname, '/router.html');
    assert.equal(url.search, '', 'the weavz_* parameters are removed');
    assert.equal(url.hash, '#/settings', 'the fragment is restored');
    const after = await page.evaluate(() => window.routerLog);
    assert.ok(after.some((e) => e.cause === 'hashchange' && e.hash === '#/settings'), JSON.stringify(after));
    assert.ok(after.every((e) => e.historyLength === log[0].historyLength), `no history entry added: ${JSON.stringify(after)}`);
    await done(page);
  });
});
