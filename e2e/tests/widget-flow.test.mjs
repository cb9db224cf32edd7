// The widget in real browsers, against the sandbox: a user clicks the real
// <weavz-connect> button, completes the hosted flow in the popup, and the page receives
// exactly one DOM event with the right detail; the demo's list shows the connection. This
// file: one flow per kind of credential (API key, username and password, custom fields,
// OAuth2 approved and denied) and an end-user portal flow.
import { it, before } from 'node:test';
import assert from 'node:assert/strict';

import { nextPopup, closed } from '../lib/browser.mjs';
import { done, addElement, clickConnect, terminal, statusText } from '../lib/demo.mjs';
import { widgetSuites } from '../lib/widget-env.mjs';

widgetSuites((env, browserName) => {
  let sandbox;
  before(() => {
    ({ sandbox } = env);
  });

  const { demoPage, expectNoConnection, expectCreated } = env;

  it('API-key flow (SECRET_TEXT)', async () => {
    const page = await demoPage();
    const popup = await clickConnect(page, 'openai');
    await popup.waitForSelector('input[name="secretText"]');
    assert.equal(await statusText(page, 'openai'), 'Finish connecting in the popup window.');
    await popup.type('input[name="secretText"]', 'sk-widget-0123456789abcdef');
    await popup.click('button[type="submit"]');
    await expectCreated(page, 'openai', 'SECRET_TEXT');
    await closed(popup);
    await done(page);
  });

  it('username and password flow (BASIC_AUTH)', async () => {
    const page = await demoPage();
    const popup = await clickConnect(page, 'smtp');
    await popup.waitForSelector('input[name="username"]');
    await popup.type('input[name="username"]', 'mailer');
    await popup.type('input[name="password"]', 'hunter22');
    await popup.click('button[type="submit"]');
    await expectCreated(page, 'smtp', 'BASIC_AUTH');
    await done(page);
  });

  it('custom fields flow (CUSTOM_AUTH)', async () => {
    const page = await demoPage();
    const popup = await clickConnect(page, 'zendesk');
    await popup.waitForSelector('input[name="subdomain"]');
    await popup.type('input[name="subdomain"]', 'acme');
    await popup.type('input[name="email"]', 'agent@acme.test');
    await popup.type('input[name="apiToken"]', 'tok-123');
    await popup.click('button[type="submit"]');
    await expectCreated(page, 'zendesk', 'CUSTOM_AUTH');
    await done(page);
  });

  it('OAuth2 flow, approved on the provider origin', async () => {
    const page = await demoPage();
    const popup = await clickConnect(page, 'slack');
    await popup.waitForSelector('button[value="approve"]');
    assert.equal(new URL(await popup.url()).origin, sandbox.provider);
    await popup.click('button[value="approve"]');
    await expectCreated(page, 'slack', 'OAUTH2');
    await done(page);
  });

  it('OAuth2 denied: weavz:connect-error connect_failed', async () => {
    const page = await demoPage();
    const popup = await clickConnect(page, 'github');
    await popup.waitForSelector('button[value="deny"]');
    await popup.click('button[value="deny"]');
    const event = await terminal(page, 'github');
    assert.equal(event.type, 'weavz:connect-error');
    assert.deepEqual(event.detail, {
      code: 'connect_failed',
      message: 'Access was denied at GitHub.',
      retryable: true,
    });
    assert.equal(await statusText(page, 'github'), 'Could not connect: Access was denied at GitHub.');
    await expectNoConnection('github');
    await done(page);
  });

  it('end-user portal: the end-user attribute gets a portal link; the event carries endUserId', async () => {
    const page = await demoPage();
    const launcher = await addElement(page, {
      integration: 'slack',
      id: 'portal',
      'display-name': 'Slack',
      'token-endpoint': '/api/end-user-connect-token',
      // A portal token names no session: the checked message is the outcome, not a poll.
      'session-endpoint': '/api/connect-session',
      'end-user': 'user_e2e',
    });
    const popupPromise = nextPopup(page);
    await launcher.click();
    const popup = await popupPromise;
    const start = await popup.waitForSelector('form[action="/connect/portal/start"] button');
    assert.equal(new URL(await popup.url()).pathname, '/connect/portal');
    await start.click();
    await popup.waitForSelector('button[value="approve"]');
    await popup.click('button[value="approve"]');
    const event = await terminal(page, 'slack');
    assert.equal(event.type, 'weavz:connection-created');
    assert.equal(event.detail.endUserId, 'user_e2e');
    assert.equal(event.detail.integrationName, 'slack');
    const { body } = await sandbox.api('GET', '/connections?endUserId=user_e2e');
    assert.deepEqual(
      body.connections.map((c) => c.id),
      [event.detail.connectionId],
      'the connection is linked to the end user, once',
    );
    await done(page);
  });
});
