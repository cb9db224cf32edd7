// What each widget-*.test.mjs file starts in its before() and stops in its after(): the
// demo site plus the tests' own pages (pages.mjs) in a temporary folder, served by a
// sandbox under a strict CSP with Trusted Types; the attacker's server; a look-alike of the
// connect origin; and a browser. Also the helpers that need those servers.
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startSandbox, demoDir } from './sandbox.mjs';
import { startAttacker } from './attacker.mjs';
import { browsers, launch } from './browser.mjs';
import { addPreloadTags } from './webkit.mjs';
import { openDemoPage, terminal, expectListed, statusText } from './demo.mjs';
import { recordingPage, leaveFor, finishOnConnectPage, forgedReturn } from './redirect.mjs';
import { BLANK_PAGE, ROUTER_PAGE, ROUTER_JS } from './pages.mjs';

/**
 * One `widget in <browser>` suite per browser under test, each with its own environment
 * (started before its first test, stopped after its last): `body(env, browserName)`
 * declares the suite's tests.
 */
export function widgetSuites(body) {
  for (const browserName of browsers()) {
    describe(`widget in ${browserName}`, () => {
      const env = widgetEnv(browserName);
      before(() => env.start());
      after(() => env.stop());
      body(env, browserName);
    });
  }
}

/**
 * The servers and browser of one widget test file, for `browserName`. Call `start()` in
 * before() and `stop()` in after(); until `start()` has run, `sandbox`, `browser`,
 * `attacker` and `lookalike` are null. The helpers read them when called.
 */
export function widgetEnv(browserName) {
  const env = { browserName, sandbox: null, attacker: null, lookalike: null, browser: null, site: null };

  env.start = async () => {
    // The demo, plus two pages of the tests' own: a page without the widget, and a
    // hash-routed app (its router in a file: the CSP allows no inline script).
    env.site = mkdtempSync(join(tmpdir(), 'weavz-widget-'));
    cpSync(demoDir, env.site, { recursive: true });
    writeFileSync(join(env.site, 'blank.html'), BLANK_PAGE);
    writeFileSync(join(env.site, 'router.html'), ROUTER_PAGE);
    writeFileSync(join(env.site, 'router.js'), ROUTER_JS);
    // WebKit has no preload scripts: its pages load the emulation's file first.
    if (browserName === 'webkit') addPreloadTags(env.site);
    env.attacker = await startAttacker();
    const csp =
      "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; " +
      `connect-src 'self'; frame-src ${env.attacker.origin} http://localhost:${env.attacker.port} http://127.0.0.2:*; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; ` +
      "require-trusted-types-for 'script'; trusted-types 'none'";
    env.sandbox = await startSandbox(['--demo-dir', env.site, '--host-csp', csp]);
    // A look-alike of the connect origin: its port, another loopback host.
    env.lookalike = await startAttacker('127.0.0.2', Number(new URL(env.sandbox.connect).port));
    env.browser = await launch(browserName, { preloadDir: env.site });
  };

  env.stop = async () => {
    await env.browser?.close();
    await env.sandbox?.stop();
    await env.lookalike?.stop();
    await env.attacker?.stop();
    if (env.site) rmSync(env.site, { recursive: true, force: true });
  };

  /** The demo page, under the strict CSP with Trusted Types, collecting violations. */
  env.demoPage = () => openDemoPage(env.browser, env.sandbox.host, { csp: true });

  /** A host page whose every document (across navigations) records its terminal events
   *  in sessionStorage, so a test can count them over reloads, redirects and Back. */
  env.recordingPage = (path = '/', { blockPopups = false, ready, within = env.browser } = {}) =>
    recordingPage(within, env.sandbox.host, { path, blockPopups, ...(ready ? { ready } : {}) });

  env.expectNoConnection = async (integration) => {
    const { body } = await env.sandbox.api('GET', `/connections?integrationName=${integration}`);
    assert.equal(body.total, 0, `no ${integration} connection`);
  };

  /** The one terminal event of `integration` is a confirmed weavz:connection-created of a
   *  connection of `type` that exists and is listed; resolves with the connection. */
  env.expectCreated = async (page, integration, type) => {
    const event = await terminal(page, integration);
    assert.equal(event.type, 'weavz:connection-created');
    const { status, body } = await env.sandbox.api('GET', `/connections?id=${event.detail.connectionId}`);
    assert.equal(status, 200, 'the event names a connection that exists');
    const connection = body.connection;
    assert.equal(connection.type, type);
    assert.equal(connection.integrationName, integration);
    assert.equal(event.detail.connectionId, connection.id);
    assert.equal(event.detail.integrationName, integration);
    assert.equal(event.detail.externalId, 'demo-user');
    assert.equal(event.detail.session.status, 'COMPLETED', 'confirmed through the session endpoint');
    assert.equal(event.detail.session.connectionId, connection.id);
    await expectListed(page, connection.id);
    assert.match(await statusText(page, integration), /^Connected to /);
    return connection;
  };

  /** The sandbox's openai connections of `externalId`. */
  env.connectionsOf = async (externalId) => {
    const { body } = await env.sandbox.api('GET', '/connections?integrationName=openai');
    return body.connections.filter((c) => c.externalId === externalId);
  };

  /** Clicks and waits for the page itself to reach the connect origin. */
  env.leaveFor = (page, clickable) => leaveFor(page, clickable, env.sandbox.connect);

  /** Fills the hosted API-key form in the page itself and waits to be back on the host. */
  env.finishOnConnectPage = (page, secret, options) => finishOnConnectPage(page, env.sandbox.host, secret, options);

  /** A return URL as an attacker would craft it: success, for `flow`, with a made-up id. */
  env.forgedReturn = (flow, integration, externalId) => forgedReturn(env.sandbox.host, flow, integration, externalId);

  return env;
}
