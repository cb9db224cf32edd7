// The widget in real browsers, against the sandbox: the JS API (WeavzConnect.open, its
// results, errors and AbortSignal), 20 concurrent flows, and the same validation of bad
// options on every surface (JS API, <weavz-connect>, <weavz-connections>).
import { it, before } from 'node:test';
import assert from 'node:assert/strict';

import { nextPopup, until, closed } from '../lib/browser.mjs';
import { done, logTerminalEvents } from '../lib/demo.mjs';
import { widgetSuites } from '../lib/widget-env.mjs';

widgetSuites((env, browserName) => {
  let sandbox;
  let browser;
  before(() => {
    ({ sandbox, browser } = env);
  });

  const { demoPage } = env;

  it('JS API: WeavzConnect.open resolves, rejects with codes, honours AbortSignal', async () => {
    const page = await demoPage();
    await logTerminalEvents(page);
    // The README's JS API snippet, on a button of the page.
    await page.evaluate(() => {
      const button = document.createElement('button');
      button.id = 'js-api';
      button.textContent = 'Connect GitHub (JS API)';
      document.body.prepend(button);
      window.apiResults = [];
      window.apiOptions = {};
      button.addEventListener('click', async () => {
        try {
          const connection = await WeavzConnect.open({
            integration: 'github',
            tokenEndpoint: '/api/connect-token',
            sessionEndpoint: '/api/connect-session',
            ...window.apiOptions,
          });
          window.apiResults.push({ connection });
        } catch (err) {
          window.apiResults.push({
            error: { code: err.code, message: err.message, retryable: err.retryable, isError: err instanceof Error },
          });
        }
      });
    });
    const click = async () => {
      const popup = nextPopup(page);
      await page.click('#js-api');
      return popup;
    };
    const result = (n) => until(page, (k) => window.apiResults.length >= k && window.apiResults[k - 1], n);

    let popup = await click();
    await popup.waitForSelector('button[value="approve"]');
    await popup.click('button[value="approve"]');
    const { connection } = await result(1);
    const { body } = await sandbox.api('GET', `/connections?id=${connection.connectionId}`);
    assert.equal(body.connection.integrationName, 'github');
    assert.equal(connection.session.status, 'COMPLETED');
    assert.deepEqual(await page.evaluate(() => window.windowEvents), [
      { type: 'weavz:connection-created', detail: connection },
    ]);

    // Closing the window rejects with user_cancelled.
    await page.evaluate(() => { window.apiOptions = { closeGraceMs: 200, sessionEndpoint: undefined }; });
    popup = await click();
    await popup.waitForSelector('button[value="approve"]');
    await popup.close();
    assert.deepEqual((await result(2)).error, {
      code: 'user_cancelled',
      message: 'The connect window was closed before finishing.',
      retryable: true,
      isError: true,
    });
    assert.equal((await page.evaluate(() => window.windowEvents))[1].type, 'weavz:connect-cancelled');

    // An AbortSignal ends the flow and closes the window.
    await page.evaluate(() => {
      window.controller = new AbortController();
      window.apiOptions = { signal: window.controller.signal };
    });
    popup = await click();
    await popup.waitForSelector('button[value="approve"]');
    const isClosed = closed(popup);
    await page.evaluate(() => window.controller.abort());
    assert.equal((await result(3)).error.code, 'aborted');
    await isClosed;

    // A connectUrl the backend made before the click; getConnectUrl; tokenParams; onEvent.
    await page.evaluate(async () => {
      const r = await fetch('/api/connect-token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ integrationName: 'openai' }),
      });
      const { connectUrl } = await r.json();
      window.progress = [];
      window.apiOptions = { integration: undefined, tokenEndpoint: undefined, connectUrl, onEvent: (d) => window.progress.push(d.name) };
    });
    popup = await click();
    await popup.waitForSelector('input[name="secretText"]');
    await popup.type('input[name="secretText"]', 'sk-connecturl-0123456789abcdef');
    await popup.click('button[type="submit"]');
    assert.equal((await result(4)).connection.integrationName, 'openai');
    assert.deepEqual((await page.evaluate(() => window.progress)).slice(0, 4), [
      'popup_opened', 'connect_page_opened', 'result_received', 'confirming',
    ]);

    await page.evaluate(() => {
      window.apiOptions = {
        integration: undefined,
        tokenEndpoint: undefined,
        getConnectUrl: async () => {
          const r = await fetch('/api/connect-token', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ integrationName: 'smtp', externalId: 'from-callback' }),
          });
          return r.json();
        },
      };
    });
    popup = await click();
    await popup.waitForSelector('input[name="username"]');
    await popup.type('input[name="username"]', 'mailer');
    await popup.type('input[name="password"]', 'hunter22');
    await popup.click('button[type="submit"]');
    assert.equal((await result(5)).connection.externalId, 'from-callback');

    await page.evaluate(() => {
      window.apiOptions = { integration: 'zendesk', tokenParams: { externalId: 'from-params' } };
    });
    popup = await click();
    await popup.waitForSelector('input[name="subdomain"]');
    await popup.type('input[name="subdomain"]', 'acme');
    await popup.type('input[name="email"]', 'agent@acme.test');
    await popup.type('input[name="apiToken"]', 'tok');
    await popup.click('button[type="submit"]');
    assert.equal((await result(6)).connection.externalId, 'from-params');

    // Bad options reject at once, without a window.
    const pagesBefore = (await browser.pages()).length;
    const invalid = await page.evaluate(() =>
      Promise.all(
        [{}, { connectUrl: '/relative' }, { connectUrl: 'https://a.example/', tokenEndpoint: '/x' }, { tokenEndpoint: '/x', mode: 'sideways' }].map(
          (o) => WeavzConnect.open(o).then(() => 'resolved', (e) => e.code),
        ),
      ),
    );
    assert.deepEqual(invalid, ['invalid_options', 'invalid_options', 'invalid_options', 'invalid_options']);
    const noToken = await page.evaluate(() =>
      WeavzConnect.open({ connectUrl: 'https://a.example/connect', sessionEndpoint: '/api/connect-session' }).then(
        () => 'resolved',
        (e) => e.code,
      ),
    );
    assert.equal(noToken, 'invalid_options', 'a session endpoint without a token is refused');
    assert.equal((await browser.pages()).length, pagesBefore, 'no window was opened');
    assert.equal(await page.evaluate(() => WeavzConnect.activeFlows()), 0);
    await done(page);
  });

  it('20 concurrent flows across 4 integrations: 20 connections, 20 events, no duplicates', async () => {
    const page = await demoPage();
    await page.evaluate(() => {
      const button = document.createElement('button');
      button.id = 'many';
      button.textContent = 'Connect';
      document.body.prepend(button);
      window.manyResults = [];
      window.manyEvents = [];
      addEventListener('weavz:connection-created', (e) => window.manyEvents.push(e.detail.connectionId));
      const kinds = ['openai', 'smtp', 'slack', 'github'];
      let n = 0;
      button.addEventListener('click', () => {
        const i = n++;
        WeavzConnect.open({
          integration: kinds[i % 4],
          tokenEndpoint: '/api/connect-token',
          sessionEndpoint: '/api/connect-session',
          tokenParams: { externalId: `concurrent-${i}` },
        }).then(
          (c) => window.manyResults.push(c),
          (e) => window.manyResults.push({ error: e.code }),
        );
      });
    });
    const popups = [];
    page.on('popup', (p) => popups.push(p));
    for (let i = 0; i < 20; i++) await page.click('#many');
    const deadline = Date.now() + 20000;
    while (popups.length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(popups.length, 20, 'twenty distinct windows');
    // Finish them in reverse order.
    for (const popup of [...popups].reverse()) {
      await popup.waitForFunction(() => document.querySelector('form') !== null, { timeout: 15000 });
      if (await popup.$('input[name="secretText"]')) {
        await popup.type('input[name="secretText"]', 'sk-many-0123456789abcdef');
        await popup.click('button[type="submit"]');
      } else if (await popup.$('input[name="username"]')) {
        await popup.type('input[name="username"]', 'mailer');
        await popup.type('input[name="password"]', 'hunter22');
        await popup.click('button[type="submit"]');
      } else {
        await popup.click('button[value="approve"]');
      }
    }
    const results = await until(page, () => window.manyResults.length >= 20 && window.manyResults, undefined, 30000);
    assert.ok(results.every((r) => r.connectionId), JSON.stringify(results.filter((r) => !r.connectionId)));
    const ids = new Set(results.map((r) => r.connectionId));
    assert.equal(ids.size, 20, 'twenty different connections');
    const externalIds = new Set(results.map((r) => r.externalId));
    assert.equal(externalIds.size, 20);
    const events = await page.evaluate(() => window.manyEvents);
    assert.equal(events.length, 20);
    assert.deepEqual(new Set(events), ids);
    const { body } = await sandbox.api('GET', '/connections?limit=500');
    const concurrent = body.connections.filter((c) => c.externalId.startsWith('concurrent-'));
    assert.equal(concurrent.length, 20, 'each connection listed exactly once');
    assert.equal(await page.evaluate(() => WeavzConnect.activeFlows()), 0);
    await done(page);
  });

  it('the same bad option gives the same error on every surface (JS API, <weavz-connect>, <weavz-connections>)', async () => {
    const page = await demoPage();
    const messages = [];
    page.on('console', (m) => m.type() === 'error' && messages.push(m.text()));
    /** The error each surface gives for these options (null: it accepted them). */
    const viaApi = (options) =>
      page.evaluate((o) => {
        if (o.closeGraceMs === 'NaN') o.closeGraceMs = Number.NaN;
        return WeavzConnect.open(o).then(
          () => null,
          (e) => `${e.code}: ${e.message}`,
        );
      }, options);
    const viaElement = (tag, attrs) =>
      page.evaluate(
        (t, a) => {
          const el = document.createElement(t);
          for (const [k, v] of Object.entries(a)) el.setAttribute(k, v);
          document.body.appendChild(el);
          const alert = el.shadowRoot.querySelector('[role=alert]');
          const text = alert && alert.textContent;
          el.remove();
          const prefix = `${t}: `;
          return text && text.startsWith(prefix) ? `invalid_options: ${text.slice(prefix.length)}` : text;
        },
        tag,
        attrs,
      );
    const endpoints = {
      'token-endpoint': '/api/connect-token',
      'integrations-endpoint': '/api/integrations',
      'connections-endpoint': '/api/connections',
    };
    const element = { integration: 'slack', 'token-endpoint': '/api/connect-token' };
    const api = { integration: 'slack', tokenEndpoint: '/api/connect-token' };
    // [mistake, JS API options, <weavz-connect> attributes, <weavz-connections> attributes]
    const table = [
      ['no source', { integration: 'slack' }, { integration: 'slack' }, null],
      ['no integration', null, { 'token-endpoint': '/api/connect-token' }, null],
      ['unknown mode', { ...api, mode: 'tab' }, { ...element, mode: 'tab' }, { ...endpoints, mode: 'tab' }],
      ['redirect without a session endpoint', { ...api, mode: 'redirect' }, { ...element, mode: 'redirect' }, { ...endpoints, mode: 'redirect' }],
      ['negative grace period', { ...api, closeGraceMs: -1 }, { ...element, 'close-grace-ms': '-1' }, null],
      ['grace period not a number', { ...api, closeGraceMs: 'NaN' }, { ...element, 'close-grace-ms': 'soon' }, null],
      ['hexadecimal grace period', null, { ...element, 'close-grace-ms': '0x10' }, null],
      ['zero deadline', { ...api, timeoutMs: 0 }, { ...element, 'timeout-ms': '0' }, null],
      ['token params not an object', { ...api, tokenParams: [1] }, { ...element, 'token-params': '[1]' }, { ...endpoints, 'token-params': '[1]' }],
      ['token params not JSON', null, { ...element, 'token-params': '{oops' }, { ...endpoints, 'token-params': '{oops' }],
    ];
    let cases = 0;
    for (const [mistake, options, attrs, panelAttrs] of table) {
      const errors = [];
      if (options) errors.push(['JS API', await viaApi(options)]);
      errors.push(['<weavz-connect>', await viaElement('weavz-connect', attrs)]);
      if (panelAttrs) errors.push(['<weavz-connections>', await viaElement('weavz-connections', panelAttrs)]);
      cases += errors.length;
      for (const [surface, error] of errors) {
        assert.match(error ?? 'accepted', /^invalid_options: ./, `${mistake} on ${surface}: ${error}`);
      }
      assert.equal(new Set(errors.map(([, e]) => e)).size, 1, `${mistake}: ${JSON.stringify(errors)}`);
    }
    assert.equal(cases, 21, 'surface x mistake cases');
    // Good options still render a button.
    assert.equal(await viaElement('weavz-connect', { ...element, 'timeout-ms': '60000', 'close-grace-ms': ' 1.5e3 ' }), null);
    // Each misconfigured element also said so in the console.
    assert.equal(messages.filter((m) => /^weavz-connect(ions)?: /.test(m)).length, 14);
    await done(page);
  });
});
