// What a real Weavz may do that our sandbox did not: post the shape the official SDK
// accepts (no `status`), close the window at once, leave a session endpoint unanswered,
// and a page full of forged messages. Real browsers, against the sandbox's knobs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startSandbox, demoDir } from '../lib/sandbox.mjs';
import { startAttacker } from '../lib/attacker.mjs';
import { browsers, launch, nextPopup, until, sleep } from '../lib/browser.mjs';
import { addElement, openDemoPage, done, terminalEvents, statusOf, logTerminalEvents } from '../lib/demo.mjs';

const MINIMAL = { resultShape: 'sdk-minimal' };

for (const browserName of browsers()) {
  describe(`a real Weavz's behaviour, in ${browserName}`, () => {
    let sandbox;
    let attacker;
    let browser;

    before(async () => {
      attacker = await startAttacker();
      sandbox = await startSandbox(['--demo-dir', demoDir]);
      browser = await launch(browserName);
    });

    after(async () => {
      await browser?.close();
      await sandbox?.stop();
      await attacker?.stop();
    });

    /** The demo page, collecting page errors (not CSP violations: `done(page, { csp: false })`). */
    const demoPage = () => openDemoPage(browser, sandbox.host);

    /** The terminal events of the page so far (demo log), after a moment for a second one. */
    const terminals = (page) => terminalEvents(page, { timeout: 40000, settleMs: 500 });

    async function approveOpenAi(popup, key) {
      await popup.waitForSelector('input[name="secretText"]');
      await popup.type('input[name="secretText"]', key);
      await popup.click('button[type="submit"]');
    }

    async function expectConnection(id, integration) {
      const { status, body } = await sandbox.api('GET', `/connections?id=${id}`);
      assert.equal(status, 200, 'the event names a connection that exists');
      assert.equal(body.connection.integrationName, integration);
      return body.connection;
    }

    it('SDK-minimal result (no status, window closed at once), popup with a session endpoint: one confirmed event', async () => {
      const page = await demoPage();
      const launcher = await addElement(page, {
        id: 'minimal-session',
        integration: 'openai',
        'display-name': 'OpenAI',
        'token-endpoint': '/api/connect-token',
        'session-endpoint': '/api/connect-session',
        'token-params': JSON.stringify({ externalId: 'minimal-session', sandbox: MINIMAL }),
      });
      const popupPromise = nextPopup(page);
      await launcher.click();
      await approveOpenAi(await popupPromise, 'sk-minimal-0123456789abcdef');
      const events = await terminals(page);
      assert.equal(events.length, 1, JSON.stringify(events));
      assert.equal(events[0].type, 'weavz:connection-created');
      assert.equal(events[0].detail.confirmed, true);
      assert.equal(events[0].detail.session.status, 'COMPLETED');
      await expectConnection(events[0].detail.connectionId, 'openai');
      const names = await page.evaluate(() => window.demoEvents.map((e) => e.detail.name).filter(Boolean));
      assert.ok(names.includes('result_received'), `the statusless message was taken: ${names}`);
      assert.ok(!names.includes('window_closed_or_lost'), `never shown as a lost window: ${names}`);
      assert.match(await statusOf(page, 'minimal-session'), /^Connected to OpenAI\.$/);
      await done(page, { csp: false });
    });

    it('SDK-minimal result, JS API with connectUrl and no session endpoint: resolves unconfirmed, never user_cancelled', async () => {
      const page = await demoPage();
      await logTerminalEvents(page);
      await page.evaluate(async (knobs) => {
        const r = await fetch('/api/connect-token', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ integrationName: 'openai', externalId: 'minimal-api', sandbox: knobs }),
        });
        window.target = await r.json();
        window.apiResults = [];
        const button = document.createElement('button');
        button.id = 'js-api';
        button.textContent = 'Connect OpenAI (JS API)';
        document.body.prepend(button);
        button.addEventListener('click', async () => {
          try {
            window.apiResults.push({ connection: await WeavzConnect.open({ connectUrl: window.target.connectUrl, integration: 'openai' }) });
          } catch (err) {
            window.apiResults.push({ error: { code: err.code, message: err.message } });
          }
        });
      }, MINIMAL);
      const popupPromise = nextPopup(page);
      await page.click('#js-api');
      await approveOpenAi(await popupPromise, 'sk-minimal-api-0123456789abcdef');
      const [result] = await until(page, () => window.apiResults.length && window.apiResults, undefined, 20000);
      assert.ok(result.connection, `resolved, not rejected: ${JSON.stringify(result)}`);
      assert.equal(result.connection.confirmed, false, 'only the message said so');
      assert.equal(result.connection.integrationName, 'openai');
      assert.equal(result.connection.session, undefined);
      await expectConnection(result.connection.connectionId, 'openai');
      await sleep(4000); // past the close grace period: no second outcome
      assert.deepEqual(await page.evaluate(() => window.windowEvents), [
        { type: 'weavz:connection-created', detail: result.connection },
      ]);
      assert.equal((await page.evaluate(() => window.apiResults)).length, 1);
      await done(page, { csp: false });
    });

    it('SDK-minimal result, redirect mode: one confirmed event on the page that comes back', async () => {
      const page = await demoPage();
      const launcher = await addElement(page, {
        id: 'minimal-redirect',
        integration: 'openai',
        'display-name': 'OpenAI',
        mode: 'redirect',
        'token-endpoint': '/api/connect-token',
        'session-endpoint': '/api/connect-session',
        'token-params': JSON.stringify({ externalId: 'minimal-redirect', sandbox: MINIMAL }),
      });
      await Promise.all([page.waitForNavigation(), launcher.click()]);
      assert.equal(new URL(await page.url()).origin, sandbox.connect, 'the tab went to the connect page');
      await page.waitForSelector('input[name="secretText"]');
      await page.type('input[name="secretText"]', 'sk-minimal-redirect-0123456789abcdef');
      await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
      await page.waitForFunction(() => window.demoEvents && location.origin !== 'null', { timeout: 15000 });
      const events = await terminals(page);
      assert.equal(events.length, 1, JSON.stringify(events));
      assert.equal(events[0].type, 'weavz:connection-created');
      assert.equal(events[0].detail.confirmed, true);
      await expectConnection(events[0].detail.connectionId, 'openai');
      await done(page, { csp: false });
    });

    it('SDK-minimal result, end-user portal: one event, unconfirmed, with the end user the page reported', async () => {
      const page = await demoPage();
      const launcher = await addElement(page, {
        id: 'minimal-portal',
        integration: 'slack',
        'display-name': 'Slack',
        'token-endpoint': '/api/end-user-connect-token',
        'end-user': 'user_minimal',
        'token-params': JSON.stringify({ sandbox: MINIMAL }),
      });
      const popupPromise = nextPopup(page);
      await launcher.click();
      const popup = await popupPromise;
      const start = await popup.waitForSelector('form[action="/connect/portal/start"] button');
      await start.click();
      await popup.waitForSelector('button[value="approve"]');
      await popup.click('button[value="approve"]');
      const events = await terminals(page);
      assert.equal(events.length, 1, JSON.stringify(events));
      assert.equal(events[0].type, 'weavz:connection-created');
      assert.equal(events[0].detail.confirmed, false, 'a portal has no session to ask');
      assert.equal(events[0].detail.endUserId, 'user_minimal');
      const { body } = await sandbox.api('GET', '/connections?endUserId=user_minimal');
      assert.deepEqual(body.connections.map((c) => c.id), [events[0].detail.connectionId]);
      await done(page, { csp: false });
    });

    it('a session endpoint that never answers: the poll times out, is retried, and one event follows', async () => {
      const page = await demoPage();
      const launcher = await addElement(page, {
        id: 'hanging-poll',
        integration: 'openai',
        'display-name': 'OpenAI',
        'token-endpoint': '/api/connect-token',
        'session-endpoint': '/api/connect-session',
        'token-params': JSON.stringify({ externalId: 'hanging-poll', sandbox: { pollHangs: 2 } }),
      });
      const popupPromise = nextPopup(page);
      await launcher.click();
      await approveOpenAi(await popupPromise, 'sk-hanging-0123456789abcdef');
      // The page's message arrived; the session cannot be asked yet.
      await until(page, () => window.demoEvents.some((e) => e.detail.name === 'success_unconfirmed'));
      await sleep(1000);
      assert.equal(await statusOf(page, 'hanging-poll'), 'Connected to OpenAI \u2014 confirming\u2026');
      const events = await terminals(page);
      assert.equal(events.length, 1, JSON.stringify(events));
      assert.equal(events[0].type, 'weavz:connection-created');
      assert.equal(events[0].detail.confirmed, true);
      await expectConnection(events[0].detail.connectionId, 'openai');
      const retries = await page.evaluate(() =>
        window.demoEvents.filter((e) => e.detail.name === 'poll_retry').map((e) => e.detail.reason),
      );
      assert.ok(
        retries.filter((r) => /did not answer/.test(r)).length >= 2,
        `two polls timed out and were retried: ${JSON.stringify(retries)}`,
      );
      const names = await page.evaluate(() => window.demoEvents.map((e) => e.detail.name).filter(Boolean));
      assert.ok(!names.includes('window_closed_or_lost'), `never shown as a lost window: ${names}`);
      await done(page, { csp: false });
    });

    it('Cancel while a success is being confirmed reports unconfirmed, not user_cancelled', async () => {
      const page = await demoPage();
      const launcher = await addElement(page, {
        id: 'cancel-unconfirmed',
        integration: 'openai',
        'display-name': 'OpenAI',
        'token-endpoint': '/api/connect-token',
        'session-endpoint': '/api/connect-session',
        'token-params': JSON.stringify({ externalId: 'cancel-unconfirmed', sandbox: { pollHangs: 1 } }),
      });
      const popupPromise = nextPopup(page);
      await launcher.click();
      await approveOpenAi(await popupPromise, 'sk-cancel-0123456789abcdef');
      await until(page, () => window.demoEvents.some((e) => e.detail.name === 'success_unconfirmed'));
      await page.evaluate(() =>
        [...document.getElementById('cancel-unconfirmed').shadowRoot.querySelectorAll('button')]
          .find((b) => b.textContent === 'Cancel')
          .click(),
      );
      const events = await terminals(page);
      assert.equal(events.length, 1, JSON.stringify(events));
      assert.equal(events[0].type, 'weavz:connect-error');
      assert.equal(events[0].detail.code, 'unconfirmed');
      assert.match(events[0].detail.message, /may exist/);
      assert.match(await statusOf(page, 'cancel-unconfirmed'), /may exist/);
      await done(page, { csp: false });
    });

    it('20,000 forged messages during a flow cost a handful of debug events; the flow still ends once', async () => {
      const page = await demoPage();
      const attackerPage = await browser.newPage();
      await attackerPage.goto(`${attacker.origin}/attacker.html?host=${encodeURIComponent(sandbox.host)}`);
      // The attacker opens the host app in a window it holds a handle to.
      const hostPromise = nextPopup(attackerPage);
      await attackerPage.click('#open');
      const host = await hostPromise;
      await host.waitForFunction(() => window.WeavzConnect && window.demoEvents, { timeout: 15000 });
      const launcher = await addElement(host, {
        id: 'flooded',
        integration: 'openai',
        'display-name': 'OpenAI',
        'token-endpoint': '/api/connect-token',
        'session-endpoint': '/api/connect-session',
        'token-params': JSON.stringify({ externalId: 'flooded' }),
      });
      const popupPromise = nextPopup(host);
      await launcher.click();
      const popup = await popupPromise;
      await popup.waitForSelector('input[name="secretText"]');
      await attackerPage.evaluate(() => window.forge(20000));
      // Wait until the widget has accounted for every forged message (the held ones are
      // reported within a second), then look at how many notes that took.
      await until(
        host,
        () =>
          window.demoEvents
            .filter((e) => e.detail.level === 'debug')
            .reduce((n, e) => n + (e.detail.name === 'rejected_more' ? e.detail.count : 1), 0) >= 20000,
        undefined,
        30000,
      );
      const debug = await host.evaluate(() => window.demoEvents.filter((e) => e.detail.level === 'debug').map((e) => e.detail));
      // At most one note a second (the rest are counted in `rejected_more`): a slow machine
      // takes longer over the flood, and may show a note more, never one per message.
      const span = debug[debug.length - 1].at - debug[0].at;
      assert.ok(debug.length <= Math.floor(span / 1000) + 2, `one note a second over ${span} ms: ${JSON.stringify(debug)}`);
      assert.ok(debug.length <= 40, `a handful of debug events: ${JSON.stringify(debug)}`);
      assert.equal(debug.reduce((n, d) => n + (d.name === 'rejected_more' ? d.count : 1), 0), 20000, 'each counted once');
      await popup.type('input[name="secretText"]', 'sk-flooded-0123456789abcdef');
      await popup.click('button[type="submit"]');
      const events = await terminals(host);
      assert.equal(events.length, 1, JSON.stringify(events));
      assert.equal(events[0].type, 'weavz:connection-created');
      assert.notEqual(events[0].detail.connectionId, 'forged-connection');
      await expectConnection(events[0].detail.connectionId, 'openai');
      // Everything forged was counted once the flow ended.
      const all = await host.evaluate(() => window.demoEvents.filter((e) => e.detail.level === 'debug').map((e) => e.detail));
      assert.equal(all.reduce((n, d) => n + (d.name === 'rejected_more' ? d.count : 1), 0), 20000);
      await host.close();
      await attackerPage.close();
      await page.close();
    });
  });
}
