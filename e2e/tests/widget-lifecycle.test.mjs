// The widget in real browsers, against the sandbox: how a flow lasts and ends. Session
// polls that fail or wait for the network; a token that expires; timeout-ms; an element
// moved or removed mid-flow; no message listener left after 20 open/cancel cycles.
import { it, before } from 'node:test';
import assert from 'node:assert/strict';

import { nextPopup, until, closed } from '../lib/browser.mjs';
import { demoReady as ready, done, addElement, clickConnect, terminal } from '../lib/demo.mjs';
import { widgetSuites } from '../lib/widget-env.mjs';

widgetSuites((env, browserName) => {
  let sandbox;
  let browser;
  before(() => {
    ({ sandbox, browser } = env);
  });

  const { demoPage, expectCreated } = env;

  it('retries a failing session poll (3 x 503 + Retry-After) and still completes once', async () => {
    const page = await demoPage();
    const retrying = await addElement(page, {
      integration: 'openai',
      id: 'retrying',
      'display-name': 'OpenAI (flaky backend)',
      'token-endpoint': '/api/connect-token',
      'session-endpoint': '/api/connect-session',
      'token-params': JSON.stringify({ externalId: 'retry-user', sandbox: { pollFailures: 3 } }),
    });
    const popupPromise = nextPopup(page);
    await retrying.click();
    const popup = await popupPromise;
    await popup.waitForSelector('input[name="secretText"]');
    await popup.type('input[name="secretText"]', 'sk-retry-0123456789abcdef');
    await popup.click('button[type="submit"]');
    await until(page, () => window.demoEvents.some((e) => e.type === 'weavz:connection-created'), undefined, 25000);
    const events = await page.evaluate(() => window.demoEvents);
    const retries = events.filter((e) => e.detail.name === 'poll_retry');
    assert.equal(retries.length, 3, JSON.stringify(retries));
    assert.match(retries[0].detail.reason, /SERVICE_UNAVAILABLE, HTTP 503/);
    const created = events.filter((e) => e.type === 'weavz:connection-created');
    assert.equal(created.length, 1);
    assert.equal(created[0].detail.externalId, 'retry-user');
    await done(page);
  });

  it(
    'offline: confirmation polls wait for the network and complete once it is back',
    { skip: browserName === 'webkit' && 'WebDriver classic (WebKitWebDriver) has no offline mode' },
    async () => {
      const page = await demoPage();
      const popup = await clickConnect(page, 'openai');
      await popup.waitForSelector('input[name="secretText"]');
      await page.setOfflineMode(true);
      await until(page, () => navigator.onLine === false);
      await popup.type('input[name="secretText"]', 'sk-offline-0123456789abcdef');
      await popup.click('button[type="submit"]');
      // The result message arrives; its confirmation waits for the network.
      await until(page, () => window.demoEvents.some((e) => e.detail.name === 'confirming'));
      await new Promise((r) => setTimeout(r, 1500));
      const early = await page.evaluate(() => window.demoEvents.filter((e) => e.type !== 'weavz:connect-event'));
      assert.deepEqual(early, [], 'nothing ends while offline');
      const pollCount = () => performance.getEntriesByType('resource').filter((r) => r.name.endsWith('/api/connect-session')).length;
      const polls = await page.evaluate(pollCount);
      if (browserName === 'firefox') {
        assert.equal(polls, 0, 'no request is spent while navigator.onLine is false');
      } else {
        // Measured: Chromium's emulated offline reads navigator.onLine === true again about
        // 150 ms later while requests keep failing, the case of a network that fails
        // without an offline event. Those polls fail and are retried with backoff.
        // A failed request's timing entry is there a task before the page sees the failure,
        // so the report of the last poll counted may still be on its way: wait for it.
        await until(page, (n) => window.demoEvents.filter((e) => e.detail.name === 'poll_retry').length >= n, polls);
        const retries = await page.evaluate(() => window.demoEvents.filter((e) => e.detail.name === 'poll_retry').map((e) => e.detail.reason));
        assert.ok(retries.length >= 1 && retries.every((r) => r.startsWith('network')), JSON.stringify(retries));
        assert.ok(retries.length <= (await page.evaluate(pollCount)), 'no retry is reported without a failed poll');
      }
      await page.setOfflineMode(false);
      const event = await terminal(page, 'openai');
      assert.equal(event.type, 'weavz:connection-created');
      assert.equal(event.detail.session.status, 'COMPLETED');
      await done(page);
    },
  );

  it('moving the element keeps its flow; removing it aborts the flow and closes the window', async () => {
    const page = await demoPage();
    let popup = await clickConnect(page, 'smtp');
    await popup.waitForSelector('input[name="username"]');
    // Move the element elsewhere in the document mid-flow.
    await page.evaluate(() => {
      const el = document.querySelector('weavz-connect[integration="smtp"]');
      document.querySelector('.integrations').prepend(el.closest('li'));
    });
    await popup.type('input[name="username"]', 'mailer');
    await popup.type('input[name="password"]', 'hunter22');
    await popup.click('button[type="submit"]');
    await expectCreated(page, 'smtp', 'BASIC_AUTH');

    popup = await clickConnect(page, 'zendesk');
    await popup.waitForSelector('input[name="subdomain"]');
    const isClosed = closed(popup);
    const detail = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const el = document.querySelector('weavz-connect[integration="zendesk"]');
          el.addEventListener('weavz:connect-error', (e) => resolve(e.detail));
          el.remove();
        }),
    );
    assert.equal(detail.code, 'aborted');
    await isClosed;
    assert.equal(await page.evaluate(() => WeavzConnect.activeFlows()), 0);
    await done(page);
  });

  it('an idle short-lived token ends with session_expired; a retry fetches a fresh one', async () => {
    const page = await demoPage();
    await page.evaluate(() => {
      const button = document.createElement('button');
      button.id = 'expiring';
      button.textContent = 'Connect OpenAI';
      document.body.prepend(button);
      window.expiry = [];
      window.ttl = 2;
      button.addEventListener('click', () => {
        const options = {
          integration: 'openai',
          tokenEndpoint: '/api/connect-token',
          sessionEndpoint: '/api/connect-session',
          tokenParams: window.ttl ? { externalId: 'expiry-user', sandbox: { ttlSeconds: window.ttl } } : { externalId: 'expiry-user' },
        };
        WeavzConnect.open(options).then(
          (c) => window.expiry.push({ ok: c.connectionId }),
          (e) => window.expiry.push({ code: e.code, retryable: e.retryable }),
        );
      });
    });
    let popupPromise = nextPopup(page);
    await page.click('#expiring');
    let popup = await popupPromise;
    // Left idle past expiresAt: the widget ends the flow and closes the window.
    const isClosed = closed(popup);
    const [first] = await until(page, () => window.expiry.length > 0 && window.expiry, undefined, 10000);
    assert.deepEqual(first, { code: 'session_expired', retryable: true });
    await isClosed;

    await page.evaluate(() => { window.ttl = 0; });
    popupPromise = nextPopup(page);
    await page.click('#expiring');
    popup = await popupPromise;
    await popup.waitForSelector('input[name="secretText"]');
    await popup.type('input[name="secretText"]', 'sk-expiry-0123456789abcdef');
    await popup.click('button[type="submit"]');
    const results = await until(page, () => window.expiry.length > 1 && window.expiry);
    const { status } = await sandbox.api('GET', `/connections?id=${results[1].ok}`);
    assert.equal(status, 200);
    await done(page);
  });

  it('timeout-ms ends a flow left open with timeout and closes the window', async () => {
    const page = await demoPage();
    const slow = await addElement(page, {
      integration: 'zendesk',
      id: 'slow',
      'token-endpoint': '/api/connect-token',
      'session-endpoint': '/api/connect-session',
      'timeout-ms': '1500',
    });
    const popupPromise = nextPopup(page);
    await slow.click();
    const popup = await popupPromise;
    await popup.waitForSelector('input[name="subdomain"]');
    const isClosed = closed(popup);
    const event = await terminal(page, 'zendesk');
    assert.equal(event.type, 'weavz:connect-error');
    assert.deepEqual(event.detail, { code: 'timeout', message: 'Connecting took too long. Try again.', retryable: true });
    await isClosed;
    await done(page);
  });

  it('20 open/cancel cycles: one message listener during a flow, none after', async () => {
    const page = await browser.newPage();
    await page.evaluateOnNewDocument(() => {
      const live = new Set();
      const add = EventTarget.prototype.addEventListener;
      const remove = EventTarget.prototype.removeEventListener;
      EventTarget.prototype.addEventListener = function (type, fn, opts) {
        if (this === window && type === 'message') live.add(fn);
        return add.call(this, type, fn, opts);
      };
      EventTarget.prototype.removeEventListener = function (type, fn, opts) {
        if (this === window && type === 'message') live.delete(fn);
        return remove.call(this, type, fn, opts);
      };
      window.messageListeners = () => live.size;
    });
    await page.goto(sandbox.host, { waitUntil: 'load' });
    await ready(page);
    await page.evaluate(() => {
      const el = document.createElement('weavz-connect');
      el.setAttribute('integration', 'openai');
      el.setAttribute('token-endpoint', '/api/connect-token');
      el.setAttribute('close-grace-ms', '200');
      el.id = 'cycler';
      document.body.appendChild(el);
      window.cancels = 0;
      el.addEventListener('weavz:connect-cancelled', () => window.cancels++);
    });
    const baseline = await page.evaluate(() => window.messageListeners());
    const cycler = await page.waitForFunction(() => document.getElementById('cycler').shadowRoot?.querySelector('button'));
    for (let i = 1; i <= 20; i++) {
      const popupPromise = nextPopup(page);
      await cycler.asElement().click();
      const popup = await popupPromise;
      await popup.waitForSelector('input[name="secretText"]');
      assert.equal(await page.evaluate(() => window.messageListeners()), baseline + 1, `cycle ${i}: during`);
      await popup.close();
      await until(page, (n) => window.cancels >= n, i);
      assert.equal(await page.evaluate(() => window.messageListeners()), baseline, `cycle ${i}: after`);
      assert.equal(await page.evaluate(() => WeavzConnect.activeFlows()), 0);
    }
    assert.equal(await page.evaluate(() => window.cancels), 20);
    await page.close();
  });
});
