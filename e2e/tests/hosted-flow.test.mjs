// A host page opens the hosted connect page in a popup; the popup completes an API-key
// flow or an OAuth2 flow on the provider origin and reports to its opener with
// postMessage. Runs in every browser of WEAVZ_E2E_BROWSERS.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startSandbox } from '../lib/sandbox.mjs';
import { browsers, launch, nextPopup, until, closed } from '../lib/browser.mjs';

const resultMessages = () => window.weavzMessages.filter((m) => m.data && m.data.type === 'weavz-connect-result');

for (const browserName of browsers()) {
  describe(`hosted connect flow in ${browserName}`, () => {
    let sandbox;
    let browser;

    before(async () => {
      sandbox = await startSandbox();
      browser = await launch(browserName);
    });

    after(async () => {
      await browser?.close();
      await sandbox?.stop();
    });

    async function hostPage(knobs) {
      const page = await browser.newPage();
      await page.goto(sandbox.host, { waitUntil: 'load' });
      if (knobs) {
        await page.$eval('#knobs', (el, v) => { el.value = v; }, JSON.stringify(knobs));
      }
      return page;
    }

    async function openPopup(page, integration) {
      const popupPromise = nextPopup(page);
      await page.click(`button[data-integration="${integration}"]`);
      return popupPromise;
    }

    // Waits for the first result message, then checks that no second one follows.
    async function oneResult(page) {
      await until(page, () => window.weavzMessages.some((m) => m.data && m.data.type === 'weavz-connect-result'));
      await page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
      const found = await page.evaluate(resultMessages);
      assert.equal(found.length, 1, 'exactly one result message');
      return found[0];
    }

    it('completes an API-key flow and the opener receives the result', async () => {
      const page = await hostPage();
      const popup = await openPopup(page, 'openai');
      await popup.waitForSelector('input[name="secretText"]');
      assert.equal(new URL(await popup.url()).origin, sandbox.connect);
      assert.equal(await popup.$eval('label[for="f-secretText"]', (l) => l.textContent), 'API key');

      // Server-side validation first: the popup stays open and shows the error.
      await popup.type('input[name="secretText"]', 'wrong-key');
      await Promise.all([popup.waitForNavigation(), popup.click('button[type="submit"]')]);
      assert.match(await popup.$eval('.field-error', (e) => e.textContent), /start with "sk-"/);

      await popup.type('input[name="secretText"]', 'sk-e2e-0123456789abcdef');
      const isClosed = closed(popup);
      await popup.click('button[type="submit"]');
      const message = await oneResult(page);
      await isClosed;

      const { body } = await sandbox.api('GET', '/connections?integrationName=openai');
      assert.equal(body.total, 1);
      const connection = body.connections[0];
      assert.equal(message.origin, sandbox.connect, 'posted from the connect origin');
      assert.equal(message.fromPopup, true, 'event.source is the popup');
      assert.deepEqual(message.data, {
        type: 'weavz-connect-result',
        status: 'success',
        connectionId: connection.id,
        integrationName: 'openai',
        externalId: 'demo-user',
      });
      // The page confirms through the host backend.
      const polls = await until(page, () => window.weavzPolls.length > 0 && window.weavzPolls);
      assert.equal(polls[0].status, 'COMPLETED');
      assert.equal(polls[0].connectionId, connection.id);
      await page.close();
    });

    it('completes an OAuth2 flow by approving on the provider origin', async () => {
      const page = await hostPage();
      const popup = await openPopup(page, 'slack');
      await popup.waitForSelector('button[value="approve"]');
      assert.equal(new URL(await popup.url()).origin, sandbox.provider);
      const isClosed = closed(popup);
      await popup.click('button[value="approve"]');
      const message = await oneResult(page);
      await isClosed;

      const { body } = await sandbox.api('GET', '/connections?integrationName=slack');
      assert.equal(body.total, 1);
      assert.equal(body.connections[0].type, 'OAUTH2');
      assert.equal(message.origin, sandbox.connect);
      assert.equal(message.fromPopup, true);
      assert.deepEqual(message.data, {
        type: 'weavz-connect-result',
        status: 'success',
        connectionId: body.connections[0].id,
        integrationName: 'slack',
        externalId: 'demo-user',
      });
      await page.close();
    });

    it('reports a denied OAuth2 consent as status "error"', async () => {
      const page = await hostPage();
      const popup = await openPopup(page, 'github');
      await popup.waitForSelector('button[value="deny"]');
      const isClosed = closed(popup);
      await popup.click('button[value="deny"]');
      const message = await oneResult(page);
      await isClosed;
      assert.equal(message.origin, sandbox.connect);
      assert.deepEqual(message.data, {
        type: 'weavz-connect-result',
        status: 'error',
        error: 'Access was denied at GitHub.',
      });
      const polls = await until(page, () => window.weavzPolls.length > 0 && window.weavzPolls);
      assert.equal(polls[0].status, 'FAILED');
      const { body } = await sandbox.api('GET', '/connections?integrationName=github');
      assert.equal(body.total, 0);
      await page.close();
    });

    it('delivers nothing to the opener with postMessage "wrong-origin", yet the session completes', async () => {
      const page = await hostPage({ postMessage: 'wrong-origin' });
      const popup = await openPopup(page, 'smtp');
      await popup.waitForSelector('input[name="username"]');
      await popup.type('input[name="username"]', 'mailer');
      await popup.type('input[name="password"]', 'hunter22');
      const isClosed = closed(popup);
      await popup.click('button[type="submit"]');
      await isClosed;
      // The popup has posted and closed: had anything been delivered, it would be queued
      // before the close. Give the event loop a moment, then check.
      await page.evaluate(() => new Promise((r) => setTimeout(r, 200)));
      assert.deepEqual(await page.evaluate(resultMessages), []);
      const { body } = await sandbox.api('GET', '/connections?integrationName=smtp');
      assert.equal(body.total, 1, 'the connection exists: the widget must learn it by polling');
      await page.close();
    });

    it('with providerCoop the provider page severs the opener: no message, session still completes', async () => {
      const page = await hostPage({ providerCoop: true });
      const popup = await openPopup(page, 'google-sheets');
      await popup.waitForSelector('button[value="approve"]');
      await popup.click('button[value="approve"]');
      // Back on the connect origin with no opener and no redirect URI: the page says so.
      await popup.waitForFunction(
        () => document.getElementById('close-hint')?.textContent === 'You can close this window now.',
        { timeout: 15000 },
      );
      assert.equal(new URL(await popup.url()).origin, sandbox.connect);
      assert.equal(await popup.evaluate(() => window.opener), null);
      assert.deepEqual(await page.evaluate(resultMessages), []);
      const { body } = await sandbox.api('GET', '/connections?integrationName=google-sheets');
      assert.equal(body.total, 1);
      await popup.close();
      await page.close();
    });
  });
}
