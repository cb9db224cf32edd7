// The script-tag build from `cargo xtask dist` (target/dist/cdn), through examples/vanilla:
// `<script type="module" integrity=…>` defines <weavz-connect> and window.WeavzConnect under
// the minimal CSP and runs a full connect flow; a one-byte change to the loader or to the
// .wasm makes the browser refuse to run it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { startSandbox } from '../lib/sandbox.mjs';
import { browsers, launch, until } from '../lib/browser.mjs';
import { siteFor } from '../lib/webkit.mjs';
import { buildVanilla, cdnDir, cdnManifest, cleanup, tempDir } from '../lib/dist.mjs';
import { approveInPopup, assertConnectionCreated } from '../lib/flow.mjs';

/** Changes one byte of `file`: one letter of the first occurrence of `text`, upper-cased. */
async function flipByte(file, text) {
  const bytes = await readFile(file);
  const at = bytes.indexOf(Buffer.from(text));
  assert.ok(at >= 0, `${text} is in ${path.basename(file)}`);
  bytes[at] = bytes[at] ^ 0x20; // 'w' -> 'W': still valid JavaScript / a valid module
  await writeFile(file, bytes);
  return bytes;
}

describe('script tag (target/dist/cdn)', () => {
  let site;
  let manifest;

  before(async () => {
    manifest = await cdnManifest();
    site = await tempDir('script-tag');
    await buildVanilla(site);
    for (const variant of ['js-tampered', 'wasm-tampered']) {
      await mkdir(path.join(site, variant));
      await buildVanilla(path.join(site, variant));
    }
    await flipByte(path.join(site, 'js-tampered/weavz-connect', manifest.loader.file), 'weavz-connect');
    // A letter of a message text in the data section: the module stays valid, so only the
    // integrity check can refuse it.
    const wasm = await flipByte(path.join(site, 'wasm-tampered/weavz-connect', manifest.wasm.file), 'sessionEndpoint');
    assert.ok(WebAssembly.validate(wasm), 'the tampered .wasm is still a valid module');
    // The panel bundle: a page with only <weavz-connections>, its loader behind SRI.
    await mkdir(path.join(site, 'panel'));
    for (const file of [manifest.panel.loader.file, manifest.panel.wasm.file]) {
      await copyFile(path.join(cdnDir, file), path.join(site, 'panel', file));
    }
    await writeFile(
      path.join(site, 'panel', 'index.html'),
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>panel</title>
<script type="module" src="./${manifest.panel.loader.file}" integrity="${manifest.panel.loader.integrity}" crossorigin="anonymous"></script>
</head><body><main><weavz-connections token-endpoint="/api/connect-token" session-endpoint="/api/connect-session"
integrations-endpoint="/api/integrations" connections-endpoint="/api/connections"></weavz-connections></main></body></html>
`,
    );
  });

  after(() => cleanup(site));

  it('has content-hashed names and the SRI hashes in manifest.json', async () => {
    assert.match(manifest.loader.file, /^weavz-connect\.[0-9a-f]{10}\.js$/);
    assert.match(manifest.wasm.file, /^weavz_connect_bg\.[0-9a-f]{10}\.wasm$/);
    assert.match(manifest.loader.integrity, /^sha384-[A-Za-z0-9+/]{64}$/);
    const html = await readFile(path.join(site, 'index.html'), 'utf8');
    assert.ok(html.includes(`src="./weavz-connect/${manifest.loader.file}" integrity="${manifest.loader.integrity}" crossorigin="anonymous"`));
    const loader = await readFile(path.join(site, 'weavz-connect', manifest.loader.file), 'utf8');
    assert.ok(loader.includes(manifest.wasm.integrity), 'the loader checks the .wasm against its hash');
    assert.deepEqual((await readdir(path.join(site, 'weavz-connect'))).sort(), [manifest.loader.file, manifest.wasm.file].sort(), 'one .js, one .wasm');
  });

  for (const browserName of browsers()) {
    describe(`in ${browserName}`, () => {
      let sandbox;
      let browser;
      let served;

      before(async () => {
        served = siteFor(browserName, site);
        sandbox = await startSandbox(['--demo-dir', served.dir]);
        browser = await launch(browserName, { preloadDir: served.dir });
      });

      after(async () => {
        await browser?.close();
        await sandbox?.stop();
        served?.cleanup();
      });

      /** Opens a variant, recording load errors, CSP violations and console messages. */
      async function open(variant) {
        const page = await browser.newPage();
        page.consoleText = [];
        page.errors = [];
        page.on('console', (m) => page.consoleText.push(m.text()));
        page.on('pageerror', (e) => page.errors.push(e.message));
        await page.evaluateOnNewDocument(() => {
          window.probe = { scriptErrors: [], loadErrors: [], ready: false, csp: [] };
          window.addEventListener('error', (e) => e.target?.src && window.probe.scriptErrors.push(e.target.src), true);
          window.addEventListener('weavz:load-error', (e) => window.probe.loadErrors.push(e.detail.message));
          window.addEventListener('weavz:ready', () => (window.probe.ready = true));
          document.addEventListener('securitypolicyviolation', (e) => window.probe.csp.push(e.violatedDirective));
        });
        await page.goto(`${sandbox.host}/${variant}`, { waitUntil: 'load' });
        return page;
      }

      async function widgetState(page) {
        return page.evaluate(() => ({
          api: typeof window.WeavzConnect,
          element: typeof customElements.get('weavz-connect'),
          rendered: !!document.querySelector('weavz-connect').shadowRoot,
          ready: window.probe.ready,
        }));
      }

      it('loads under the minimal CSP and runs a full connect flow (examples/vanilla)', async () => {
        const page = await open('');
        await until(page, () => window.probe.ready && document.querySelector('weavz-connect').shadowRoot?.querySelector('button'));
        assert.deepEqual(await widgetState(page), { api: 'object', element: 'function', rendered: true, ready: true });
        assert.equal(await page.$eval('#status', (e) => e.textContent), 'Ready.');
        const button = await page.waitForFunction(() => document.querySelector('weavz-connect').shadowRoot.querySelector('button'));
        await approveInPopup(page, () => button.asElement().click());
        await until(page, () => document.querySelector('#events li'));
        await new Promise((r) => setTimeout(r, 400));
        const events = await page.$$eval('#events li', (lis) => lis.map((li) => li.textContent));
        assert.equal(events.length, 1, `one terminal event: ${events}`);
        const [type, json] = [events[0].slice(0, events[0].indexOf(' ')), events[0].slice(events[0].indexOf(' ') + 1)];
        assert.equal(type, 'weavz:connection-created');
        const detail = JSON.parse(json);
        await assertConnectionCreated(sandbox, detail);
        assert.equal(await page.$eval('#status', (e) => e.textContent), `Connected: ${detail.connectionId}`);
        assert.deepEqual(await page.evaluate(() => window.probe.csp), [], 'no CSP violation');
        assert.deepEqual(page.errors, []);
        await page.close();
      });

      it('the panel bundle defines <weavz-connections> behind its own SRI and lists the catalog', async () => {
        assert.match(manifest.panel.loader.file, /^weavz-connect-panel\.[0-9a-f]{10}\.js$/);
        assert.match(manifest.panel.wasm.integrity, /^sha384-/);
        const page = await open('panel/');
        await until(page, () => window.probe.ready && document.querySelector('weavz-connections').shadowRoot?.querySelector('[part=create]'));
        assert.equal(await page.evaluate(() => typeof customElements.get('weavz-connect')), 'function', 'the buttons come along');
        await page.evaluate(() => document.querySelector('weavz-connections').shadowRoot.querySelector('[part=create]').click());
        await until(page, () => document.querySelector('weavz-connections').shadowRoot.querySelectorAll('[part=integration]').length >= 6);
        assert.deepEqual(await page.evaluate(() => window.probe.csp), [], 'no CSP violation');
        assert.deepEqual(page.errors, []);
        await page.close();
      });

      it('refuses a loader with one byte changed', async () => {
        const page = await open('js-tampered/');
        await until(page, () => window.probe.scriptErrors.length > 0);
        const failed = await page.evaluate(() => window.probe.scriptErrors);
        assert.deepEqual(failed.map((src) => src.split('/').pop()), [manifest.loader.file], 'the loader tag fired `error`');
        await new Promise((r) => setTimeout(r, 500));
        assert.deepEqual(await widgetState(page), { api: 'undefined', element: 'undefined', rendered: false, ready: false });
        assert.equal(await page.$eval('#status', (e) => e.textContent), 'Loading the widget…', 'no line of it ran');
        if (browserName === 'chromium') assert.ok(page.consoleText.some((t) => /integrity/i.test(t)), page.consoleText.join('\n'));
        await page.close();
      });

      it('refuses a .wasm with one byte changed', async () => {
        const page = await open('wasm-tampered/');
        await until(page, () => window.probe.loadErrors.length > 0);
        const [message] = await page.evaluate(() => window.probe.loadErrors);
        assert.ok(message.startsWith(`weavz-connect could not load ${manifest.wasm.file}: `), message);
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(await widgetState(page), { api: 'undefined', element: 'undefined', rendered: false, ready: false });
        assert.match(await page.$eval('#status', (e) => e.textContent), /^The widget could not be loaded: /);
        if (browserName === 'chromium') assert.ok(page.consoleText.some((t) => /integrity/i.test(t)), page.consoleText.join('\n'));
        await page.close();
      });
    });
  }
});
