// The user's part of a connect flow, shared by the packaging and example tests: click,
// approve at the sandbox's OAuth provider in the popup; and the checks on the result.
import assert from 'node:assert/strict';

import { nextPopup } from './browser.mjs';

/** Runs `click` (which must open the popup), approves at the provider; returns the popup. */
export async function approveInPopup(page, click) {
  const popup = nextPopup(page);
  await click();
  const win = await popup;
  await win.waitForSelector('button[value="approve"]', { timeout: 15000 });
  await win.click('button[value="approve"]');
  return win;
}

/**
 * Checks a `weavz:connection-created` detail against the sandbox: the connection exists,
 * is the integration's, and was confirmed through the session endpoint.
 */
export async function assertConnectionCreated(sandbox, detail, { integration = 'slack', externalId = 'demo-user' } = {}) {
  assert.equal(typeof detail.connectionId, 'string');
  const { status, body } = await sandbox.api('GET', `/connections?id=${encodeURIComponent(detail.connectionId)}`);
  assert.equal(status, 200, 'the detail names a connection that exists');
  assert.equal(body.connection.id, detail.connectionId);
  assert.equal(body.connection.integrationName, integration);
  assert.equal(detail.integrationName, integration);
  assert.equal(detail.externalId, externalId);
  assert.equal(detail.session?.status, 'COMPLETED', 'confirmed through the session endpoint');
  assert.equal(detail.session.connectionId, detail.connectionId);
}
