// The examples, each built the way its README says (the JS ones from the packed npm
// tarball, installed into a clean copy of the example), served by the sandbox under the
// minimal CSP and driven through a full connect flow in each browser.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startSandbox } from '../lib/sandbox.mjs';
import { browsers, launch, nextPopup, until } from '../lib/browser.mjs';
import { siteFor } from '../lib/webkit.mjs';
import { buildJsExample, buildVanilla, cleanup, tempDir } from '../lib/dist.mjs';
import { approveInPopup, assertConnectionCreated } from '../lib/flow.mjs';
import { builtByXtask, clean, freePort, outcomes, recordedPage, startExampleServer } from '../lib/examples.mjs';

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
        let served;
        before(async () => {
          served = siteFor(browserName, built.site);
          sandbox = await startSandbox(sandboxArgs(served.dir));
          browser = await launch(browserName, { preloadDir: served.dir });
        });
        after(async () => {
          await browser?.close();
          await sandbox?.stop();
          served?.cleanup();
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

exampleSuite('leptos', async () => ({ site: builtByXtask('WEAVZ_LEPTOS_SITE') }), (ctx) => {
  it('ConnectButton runs a full flow; on_connected and the DOM event agree', async () => {
    const { browser, sandbox } = ctx();
    const page = await recordedPage(browser, sandbox.host);
    const button = await page.waitForSelector('main button', { timeout: 15000 });
    assert.equal(await page.$eval('#result', (e) => e.textContent), 'Not connected yet.');
    // `disabled` is a signal: the button stays disabled until the terms are accepted.
    await until(page, () => document.querySelector('main button').getAttribute('aria-disabled') === null);
    assert.equal(await button.evaluate((b) => b.disabled), true, 'disabled before the terms are accepted');
    await page.click('#terms');
    await until(page, () => !document.querySelector('main button').disabled);
    await approveInPopup(page, () => button.click());
    const [event] = await outcomes(page, 1);
    assert.equal(event.type, 'weavz:connection-created');
    await assertConnectionCreated(sandbox, event.detail);
    await until(page, () => document.getElementById('result').textContent.startsWith('Connected: '));
    assert.equal(await page.$eval('#result', (e) => e.textContent), `Connected: ${event.detail.connectionId} (slack)`);
    assert.equal(page.popups, 1);
    // on_event saw the steps, in order.
    const steps = await page.$$eval('#steps li', (items) => items.map((li) => li.textContent));
    assert.deepEqual(steps.slice(0, 2), ['PopupOpened', 'ConnectPageOpened'], steps.join());
    await clean(page);
  });

  it('Cancel: on_cancelled runs (not on_error) and one weavz:connect-cancelled is dispatched', async () => {
    const { browser } = ctx();
    const page = await recordedPage(browser, ctx().sandbox.host);
    await page.waitForSelector('main button', { timeout: 15000 });
    await page.click('#terms');
    await until(page, () => !document.querySelector('main button').disabled && document.querySelector('main button').getAttribute('aria-disabled') === null);
    const popup = nextPopup(page);
    await page.click('main button');
    await (await popup).waitForSelector('button[value="approve"]', { timeout: 15000 });
    await page.click('main .weavz-connect__actions button[part="cancel"]');
    const [event] = await outcomes(page, 1);
    assert.equal(event.type, 'weavz:connect-cancelled');
    assert.equal(event.detail.code, 'user_cancelled');
    assert.equal(await page.$eval('#result', (e) => e.textContent), 'Cancelled: not connected.');
    assert.equal(await page.$eval('main .weavz-connect', (e) => e.dataset.state), 'cancelled');
    await clean(page);
  });
}, (site) => [
  '--demo-dir', site,
  // The minimal CSP without Trusted Types: Leptos itself builds its templates with innerHTML.
  '--host-csp', "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; object-src 'none'",
]);

/** Starts examples/host-backend; resolves once it listens. */
function startHostBackend(env) {
  return startExampleServer('host-backend', builtByXtask('WEAVZ_HOST_BACKEND_BIN'), env);
}

describe('examples/host-backend (against the sandbox as Weavz, serving examples/vanilla)', () => {
  const WORKSPACE = '5a4d0b0e-0000-4000-8000-0000000000a1';
  let site;
  before(async () => {
    site = await buildVanilla(await tempDir('host-backend'));
  });
  after(() => cleanup(site));

  for (const browserName of browsers()) {
    describe(`in ${browserName}`, () => {
      let sandbox;
      let backend;
      let browser;
      let served;
      before(async () => {
        served = siteFor(browserName, site);
        const port = await freePort();
        sandbox = await startSandbox(['--allowed-origins', `http://127.0.0.1:${port}`, '--workspace-id', WORKSPACE]);
        backend = await startHostBackend({
          WEAVZ_API_KEY: sandbox.apiKey,
          WEAVZ_BASE_URL: sandbox.connect,
          WEAVZ_WORKSPACE_ID: WORKSPACE,
          PORT: String(port),
          STATIC_DIR: served.dir,
          EXAMPLE_USER_ID: 'host-user-7',
        });
        browser = await launch(browserName, { preloadDir: served.dir });
      });
      after(async () => {
        await browser?.close();
        await backend?.stop();
        await sandbox?.stop();
        served?.cleanup();
      });

      it('mints tokens for the signed-in user and confirms the session: a full flow', async () => {
        const page = await recordedPage(browser, backend.origin);
        const button = await page.waitForFunction(() => document.querySelector('weavz-connect')?.shadowRoot?.querySelector('button'), { timeout: 15000 });
        await approveInPopup(page, () => button.asElement().click());
        const [event] = await outcomes(page, 1);
        assert.equal(event.type, 'weavz:connection-created');
        await assertConnectionCreated(sandbox, event.detail, { externalId: 'host-user-7' });
        const { body } = await sandbox.api('GET', `/connections?id=${event.detail.connectionId}`);
        assert.equal(body.connection.workspaceId, WORKSPACE, 'created in the backend\'s workspace');
        assert.equal(body.connection.externalId, 'host-user-7', 'for the backend\'s signed-in user');
        await clean(page);
      });

      it('serves the page with the minimal CSP and refuses foreign redirect URIs and bad tokens', async () => {
        const page = await fetch(backend.origin);
        assert.match(page.headers.get('content-security-policy'), /script-src 'self' 'wasm-unsafe-eval'/);
        const post = (path, body) =>
          fetch(`${backend.origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const foreign = await post('/api/connect-token', { integrationName: 'slack', successRedirectUri: 'https://evil.example/' });
        assert.equal(foreign.status, 400);
        const own = await post('/api/connect-token', { integrationName: 'slack', successRedirectUri: `${backend.origin}/?back=1` });
        assert.equal(own.status, 200);
        const token = await own.json();
        assert.match(token.token, /^cst_/);
        const session = await post('/api/connect-session', { token: token.token });
        assert.equal(session.status, 200);
        assert.equal((await session.json()).status, 'PENDING');
        assert.equal((await post('/api/connect-session', { token: 'not-a-token' })).status, 400);
      });

      it('the panel\'s endpoints: the catalog, the signed-in user\'s connections only, and deleting only those', async () => {
        const create = async (externalId, workspaceId = WORKSPACE) => {
          const { status, body } = await sandbox.api('POST', '/connections', {
            type: 'SECRET_TEXT',
            integrationName: 'openai',
            externalId,
            displayName: `key of ${externalId}`,
            workspaceId,
            secretText: 'sk-host-backend-0123456789abcdef',
          });
          assert.equal(status, 201, JSON.stringify(body));
          return body.connection.id;
        };
        const mine = await create('host-user-7');
        const someoneElses = await create('host-user-8');
        const otherWorkspace = await create('host-user-7', '5a4d0b0e-0000-4000-8000-0000000000b2');

        const integrations = await fetch(`${backend.origin}/api/integrations`);
        assert.equal(integrations.status, 200);
        const catalog = (await integrations.json()).integrations;
        assert.ok(catalog.some((i) => i.name === 'slack'), 'the catalog lists slack');

        const listed = async () => {
          const res = await fetch(`${backend.origin}/api/connections`);
          assert.equal(res.status, 200);
          assert.equal(res.headers.get('cache-control'), 'no-store');
          const body = await res.json();
          assert.equal(body.total, body.connections.length);
          return body.connections;
        };
        const before = await listed();
        assert.ok(before.every((c) => c.externalId === 'host-user-7' && c.workspaceId === WORKSPACE), JSON.stringify(before));
        const ids = before.map((c) => c.id);
        assert.ok(ids.includes(mine));
        assert.ok(!ids.includes(someoneElses) && !ids.includes(otherWorkspace), 'no one else\'s connection is listed');

        const del = (id) => fetch(`${backend.origin}/api/connections/${encodeURIComponent(id)}`, { method: 'DELETE' });
        for (const id of [someoneElses, otherWorkspace, '00000000-0000-4000-8000-000000000000', '..%2F..%2Fend-users', 'a b']) {
          const res = await del(id);
          assert.equal(res.status, 404, `DELETE ${id}`);
          assert.equal((await res.json()).error.code, 'CONNECTION_NOT_FOUND');
        }
        for (const id of [someoneElses, otherWorkspace]) {
          assert.equal((await sandbox.api('GET', `/connections?id=${id}`)).status, 200, 'still there');
        }
        const deleted = await del(mine);
        assert.equal(deleted.status, 200);
        assert.equal((await sandbox.api('GET', `/connections?id=${mine}`)).status, 404, 'gone at Weavz');
        assert.ok(!(await listed()).some((c) => c.id === mine), 'no longer listed');
      });
    });
  }
});
