// examples/leptos-ssr: the axum + Leptos server renders the settings page, the browser
// hydrates it (the whole page, or, built with Leptos' islands, its three islands) (the wasm built with debug assertions, so that Leptos reports a hydration
// mismatch on the console: see xtask's build_leptos_ssr). The server's widget endpoints
// are examples/host-backend's router, against the sandbox as Weavz. Chromium and Firefox.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startSandbox } from '../lib/sandbox.mjs';
import { browsers, launch, sleep, until } from '../lib/browser.mjs';
import { approveInPopup, assertConnectionCreated } from '../lib/flow.mjs';
import { builtByXtask, clean, freePort, outcomes, recordedPage, startExampleServer } from '../lib/examples.mjs';

const WORKSPACE = '5a4d0b0e-0000-4000-8000-0000000000c3';
const USER = 'ssr-user-3';
const OUTPUT_NAME = 'weavz_connect_example_leptos_ssr';

/** The opening tag of the first element of `html` whose opening tag matches `re`. */
function openingTag(html, re) {
  return html.match(/<[a-z][^>]*>/g)?.find((tag) => re.test(tag));
}

/**
 * `page`'s console errors and warnings, less one that is the sandbox's: its finish page
 * posts the result once per allowed origin, each with an exact targetOrigin (as Weavz
 * does), and its own host origin is always one of them; Chromium then warns, on the
 * opener's console, about the copy addressed to that origin.
 */
function consoleOf(page, sandbox, origin) {
  const copy = `Failed to execute 'postMessage' on 'DOMWindow': The target origin provided ('${sandbox.host}') does not match the recipient window's origin ('${origin}').`;
  return page.console.filter((m) => m !== `warn: ${copy}` && m !== `warning: ${copy}`);
}

/**
 * Waits until the page is hydrated: the button has dropped `aria-disabled` (its effect
 * ran in the browser). Fails at once, with what was logged, on a hydration error
 * (Leptos logs it, then panics: the wasm is built with debug assertions) or a page error.
 */
async function hydrated(page) {
  const deadline = Date.now() + 15000;
  for (;;) {
    if (page.errors.length > 0 || page.console.some((m) => /hydrat/i.test(m))) {
      await sleep(300); // the console's messages may arrive after the page error
      assert.fail(`hydration failed:\n${[...page.console, ...page.errors].join('\n')}`);
    }
    const done = await page.evaluate(() => {
      const button = document.querySelector('.weavz-connect__button');
      return button !== null && button.getAttribute('aria-disabled') === null;
    });
    if (done) return;
    assert.ok(Date.now() < deadline, `not hydrated after 15 s:\n${[...page.console, ...page.errors].join('\n')}`);
    await sleep(50);
  }
}

/** The two builds of the example: the whole page hydrated, and Leptos' islands. */
const VARIANTS = [
  { name: 'hydrated as a whole', env: 'SSR', islands: false },
  { name: 'islands', env: 'ISLANDS', islands: true },
];

for (const variant of VARIANTS) describe(`examples/leptos-ssr, ${variant.name} (against the sandbox as Weavz)`, () => {
  let bin;
  let site;
  before(() => {
    bin = builtByXtask(`WEAVZ_LEPTOS_${variant.env}_BIN`);
    site = builtByXtask(`WEAVZ_LEPTOS_${variant.env}_SITE`);
  });

  for (const browserName of browsers()) {
    describe(`in ${browserName}`, () => {
      let sandbox;
      let server;
      let browser;
      before(async () => {
        const port = await freePort();
        sandbox = await startSandbox(['--allowed-origins', `http://127.0.0.1:${port}`, '--workspace-id', WORKSPACE]);
        server = await startExampleServer('leptos-ssr', bin, {
          WEAVZ_API_KEY: sandbox.apiKey,
          WEAVZ_BASE_URL: sandbox.connect,
          WEAVZ_WORKSPACE_ID: WORKSPACE,
          PORT: String(port),
          LEPTOS_SITE_ROOT: site,
          EXAMPLE_USER_ID: USER,
        });
        browser = await launch(browserName);
      });
      after(async () => {
        await browser?.close();
        await server?.stop();
        await sandbox?.stop();
      });

      it('the server\'s HTML has the button (label, idle, aria-disabled), the panel\'s frame and the hydration scripts', async () => {
        const res = await fetch(server.origin);
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type'), /^text\/html/);
        const html = await res.text();
        // The widget's minimal CSP, Leptos' inline scripts allowed by this response's nonce.
        const csp = res.headers.get('content-security-policy');
        const nonce = csp?.match(/script-src 'self' 'nonce-([^']+)' 'wasm-unsafe-eval'/)?.[1];
        assert.ok(nonce, `a script-src with a nonce: ${csp}`);
        assert.match(csp, /default-src 'self'; .*style-src 'self'; .*connect-src 'self'/);
        const inline = html.match(/<script\b[^>]*>/g);
        assert.ok(inline.length > 0 && inline.every((tag) => tag.includes(`nonce="${nonce}"`)), 'every inline script has the nonce');
        const root = openingTag(html, /class="weavz-connect"/);
        assert.ok(root, 'the ConnectButton\'s root is rendered');
        assert.match(root, /data-state="idle"/);
        const button = html.match(/<button[^>]*class="weavz-connect__button"[^>]*>([^<]*)/);
        assert.ok(button, 'the button is rendered');
        assert.match(button[0], /aria-disabled="true"/, 'not usable before hydration');
        assert.equal(button[1].trim(), 'Connect Slack');
        assert.match(html, /<p id="result" role="status">Not connected yet\.<\/p>/);
        // The panel's frame: rendered by the server; it loads its lists once hydrated.
        const panel = openingTag(html, /class="weavz-panel"/);
        assert.ok(panel, 'the ConnectionsPanel\'s frame is rendered');
        assert.match(panel, /lang="en"/);
        assert.match(html, /<h2[^>]*part="title"[^>]*>Connections<\/h2>/);
        assert.match(html, /<button[^>]*part="create"[^>]*>Create connection<\/button>/);
        // The app's own button on use_connect: idle and not ready on the server.
        const github = html.match(/<button[^>]*id="connect-github"[^>]*>([^<]*)/);
        assert.ok(github, 'the use_connect button is rendered');
        assert.match(github[0], /aria-disabled="true"/);
        assert.match(github[0], /data-state="idle"/);
        assert.equal(github[1].trim(), 'Connect GitHub');
        assert.ok(html.includes(`/pkg/${OUTPUT_NAME}.js`), 'the hydration script loads the glue');
        // Islands: the three interactive parts are islands, the rest is server-only HTML.
        const islands = [...html.matchAll(/<leptos-island[^>]*data-component="([^"]+)"/g)].map((m) => m[1]);
        if (variant.islands) {
          assert.equal(islands.length, 3, `three islands: ${islands}`);
          for (const part of ['SlackCard', 'Connections', 'GitHubCard']) assert.ok(islands.some((id) => id.includes(part)), `${part} is an island: ${islands}`);
          assert.match(html, /<h1>Settings<\/h1>/);
        } else {
          assert.deepEqual(islands, [], 'no island when the whole page hydrates');
        }
        for (const [file, type] of [[`${OUTPUT_NAME}.js`, /javascript/], [`${OUTPUT_NAME}_bg.wasm`, /^application\/wasm/]]) {
          const pkg = await fetch(`${server.origin}/pkg/${file}`);
          assert.equal(pkg.status, 200, file);
          assert.match(pkg.headers.get('content-type'), type, file);
        }
      });

      it('hydrates with no warning; a click then runs one full flow, on_connected shows it, the panel lists it', async () => {
        const page = await recordedPage(browser, server.origin);
        await hydrated(page);
        assert.equal(await page.$$eval('.weavz-connect__button', (b) => b.length), 1, 'hydrated in place: one button');
        assert.equal(await page.$eval('#result', (e) => e.textContent), 'Not connected yet.');
        // The panel, hydrated, has loaded the user's (still empty) list.
        await until(page, () => document.querySelector('.weavz-panel [part=empty]'));
        assert.equal(await page.$$eval('.weavz-panel', (p) => p.length), 1, 'hydrated in place: one panel');
        await approveInPopup(page, () => page.click('.weavz-connect__button'));
        const [event] = await outcomes(page, 1);
        assert.equal(event.type, 'weavz:connection-created');
        await assertConnectionCreated(sandbox, event.detail, { externalId: USER });
        const { body } = await sandbox.api('GET', `/connections?id=${event.detail.connectionId}`);
        assert.equal(body.connection.workspaceId, WORKSPACE);
        await until(page, () => document.getElementById('result').textContent.startsWith('Connected: '));
        assert.equal(await page.$eval('#result', (e) => e.textContent), `Connected: ${event.detail.connectionId} (slack)`);
        assert.equal(page.popups, 1, 'one popup');
        // The panel heard the connection-created event and lists the new connection.
        await until(page, (id) => document.querySelector(`.weavz-panel tr[data-connection-id="${id}"]`), event.detail.connectionId);
        assert.equal(await page.$$eval('.weavz-panel tr[part=connection]', (rows) => rows.length), 1, 'only the user\'s one connection');
        assert.deepEqual(page.console.filter((m) => /hydrat/i.test(m)), [], 'no hydration warning');
        assert.deepEqual(consoleOf(page, sandbox, server.origin), [], 'no console error or warning');
        await clean(page);
      });

      it('the app\'s own button on use_connect: ready once hydrated, one flow, its signals and the panel follow', async () => {
        const page = await recordedPage(browser, server.origin);
        await hydrated(page);
        await until(page, () => document.getElementById('connect-github').getAttribute('aria-disabled') === null);
        // The previous test's Slack connection is listed.
        await until(page, () => document.querySelectorAll('.weavz-panel tr[part=connection]').length === 1);
        await approveInPopup(page, () => page.click('#connect-github'));
        const [event] = await outcomes(page, 1);
        assert.equal(event.type, 'weavz:connection-created', 'dispatched on document, as the JS API does');
        await assertConnectionCreated(sandbox, event.detail, { integration: 'github', externalId: USER });
        await until(page, () => document.getElementById('github-result').textContent.startsWith('GitHub connected: '));
        assert.equal(await page.$eval('#github-result', (e) => e.textContent), `GitHub connected: ${event.detail.connectionId}`);
        assert.equal(await page.$eval('#connect-github', (e) => e.dataset.state), 'connected');
        assert.equal(await page.$eval('#connect-github', (e) => e.textContent.trim()), 'Connect another GitHub account');
        assert.equal(await page.$eval('#result', (e) => e.textContent), 'Not connected yet.', 'the other button saw nothing');
        await until(page, (id) => document.querySelector(`.weavz-panel tr[data-connection-id="${id}"]`), event.detail.connectionId);
        assert.equal(await page.$$eval('.weavz-panel tr[part=connection]', (rows) => rows.length), 2);
        assert.equal(page.popups, 1, 'one popup');
        assert.deepEqual(consoleOf(page, sandbox, server.origin), [], 'no console error or warning');
        await clean(page);
      });
    });
  }
});
