// The connections panel (<weavz-connections>) in real browsers, against the sandbox: the
// seed's flow by mouse and by keyboard only, axe-core in every state and both themes,
// screenshots, and a host page with hostile global CSS.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startSandbox, demoDir } from '../lib/sandbox.mjs';
import { browsers, launch, nextPopup, until, closed, inShadow, shadowElement } from '../lib/browser.mjs';
import { addPreloadTags } from '../lib/webkit.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const shots = join(here, '..', '..', 'target', 'screenshots');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

for (const browserName of browsers()) {
  describe(`connections panel in ${browserName}`, () => {
    let sandbox;
    let browser;
    let dir;

    before(async () => {
      // The demo plus axe-core, served from the host origin (script-src 'self'). Trusted
      // Types are left out of this page's CSP only because axe itself writes HTML.
      dir = mkdtempSync(join(tmpdir(), 'weavz-panel-'));
      cpSync(demoDir, dir, { recursive: true });
      cpSync(join(here, '..', 'node_modules', 'axe-core', 'axe.min.js'), join(dir, 'axe.min.js'));
      if (browserName === 'webkit') addPreloadTags(dir);
      const csp =
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; " +
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
      sandbox = await startSandbox(['--demo-dir', dir, '--host-csp', csp]);
      browser = await launch(browserName, { preloadDir: dir });
      mkdirSync(shots, { recursive: true });
    });

    after(async () => {
      await browser?.close();
      await sandbox?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    async function panelPage() {
      const page = await browser.newPage();
      await page.setViewport({ width: 1000, height: 900 });
      page.errors = [];
      page.on('pageerror', (e) => page.errors.push(e.message));
      await page.evaluateOnNewDocument(() => {
        window.cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective));
      });
      await page.goto(sandbox.host, { waitUntil: 'load' });
      await until(page, () => customElements.get('weavz-connections') && document.querySelector('weavz-connections').shadowRoot?.querySelector('[part=create]'));
      return page;
    }

    async function done(page) {
      assert.deepEqual(await page.evaluate(() => window.cspViolations), [], 'no CSP violation');
      assert.deepEqual(page.errors, [], 'no page error');
      await page.close();
    }

    /** Runs `fn(shadowRoot, arg)` in the page. */
    const inPanel = (page, fn, arg) => inShadow(page, 'weavz-connections', fn, arg);
    const part = async (page, name) =>
      (await page.waitForFunction((n) => document.querySelector('weavz-connections').shadowRoot.querySelector(`[part~="${n}"]`), { timeout: 10000 }, name)).asElement();
    const status = (page) => inPanel(page, (root) => root.querySelector('[role=status]').textContent);
    const rows = (page) =>
      inPanel(page, (root) => [...root.querySelectorAll('tr[data-connection-id]')].map((r) => r.cells[1].textContent));
    const focused = (page) =>
      inPanel(page, (root) => {
        const a = root.activeElement;
        return a ? a.getAttribute('part') || a.tagName.toLowerCase() : null;
      });
    const integrationsShown = (page) =>
      inPanel(page, (root) => [...root.querySelectorAll('[part=integration]')].map((b) => b.dataset.integration));

    async function sandboxConnections(integration) {
      const { body } = await sandbox.api('GET', `/connections?integrationName=${integration}`);
      return body.connections;
    }

    async function axe(page, label) {
      await page.evaluate(async () => {
        if (window.axe) return;
        await new Promise((resolve, reject) => {
          const s = document.createElement('script');
          s.src = '/axe.min.js';
          s.onload = resolve;
          s.onerror = reject;
          document.head.appendChild(s);
        });
      });
      const violations = await page.evaluate(async () => {
        const result = await window.axe.run(
          { include: [['weavz-connections']] },
          { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }, rules: { region: { enabled: false } } },
        );
        return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      });
      assert.deepEqual(violations, [], `axe violations (${label})`);
    }

    async function shoot(page, name) {
      const el = await page.$('weavz-connections');
      await el.screenshot({ path: join(shots, `panel-${name}-${browserName}.png`) });
    }

    it('the seed flow: open, search "sl", pick Slack, approve, listed; Disconnect removes it', async () => {
      const page = await panelPage();
      await until(page, () => document.querySelector('weavz-connections').shadowRoot.querySelector('[part=empty]'));
      await (await part(page, 'create')).click();
      const search = await part(page, 'search');
      await until(page, () => document.querySelector('weavz-connections').shadowRoot.querySelectorAll('[part=integration]').length > 3);
      await search.type('sl');
      await until(page, () => document.querySelector('weavz-connections').shadowRoot.querySelectorAll('[part=integration]').length === 1);
      assert.deepEqual(await integrationsShown(page), ['slack']);
      const popupPromise = nextPopup(page);
      await (await part(page, 'integration')).click();
      const popup = await popupPromise;
      await popup.waitForSelector('button[value="approve"]');
      assert.match(await status(page), /^Finish connecting Slack in the popup window\.$/);
      const popupClosed = closed(popup);
      await popup.click('button[value="approve"]');
      await popupClosed;
      await until(page, () => document.querySelector('weavz-connections').shadowRoot.querySelectorAll('tr[data-connection-id]').length === 1);
      assert.deepEqual(await rows(page), ['Slack']);
      assert.equal(await status(page), 'Connected to Slack.');
      assert.equal((await sandboxConnections('slack')).length, 1);

      await (await part(page, 'disconnect')).click();
      const confirm = await part(page, 'confirm-disconnect');
      // The confirmation takes the focus, on its least destructive choice.
      await until(page, () => document.querySelector('weavz-connections').shadowRoot.activeElement?.getAttribute('part') === 'keep');
      await confirm.click();
      await until(page, () => document.querySelector('weavz-connections').shadowRoot.querySelector('[part=empty]'));
      assert.equal(await status(page), 'Slack was disconnected.');
      assert.deepEqual(await sandboxConnections('slack'), [], 'the sandbox no longer lists it');
      await done(page);
    });

    it('keyboard only: the same flow without a mouse event', async () => {
      const page = await panelPage();
      await page.evaluate(() => {
        window.mouseEvents = 0;
        for (const t of ['mousedown', 'mouseup', 'click']) {
          document.addEventListener(t, (e) => { if (e.detail > 0 || t !== 'click') window.mouseEvents += 1; }, true);
        }
      });
      const create = await part(page, 'create');
      await create.focus();
      await page.keyboard.press('Enter');
      await until(page, () => document.querySelector('weavz-connections').shadowRoot.activeElement?.getAttribute('part') === 'search');
      // Escape closes the picker and gives the focus back to its launcher.
      await page.keyboard.press('Escape');
      await until(page, () => !document.querySelector('weavz-connections').shadowRoot.querySelector('[part=picker]'));
      await until(page, () => document.querySelector('weavz-connections').shadowRoot.activeElement?.getAttribute('part') === 'create');
      await page.keyboard.press('Enter');
      await until(page, () => document.querySelector('weavz-connections').shadowRoot.activeElement?.getAttribute('part') === 'search');
      await page.keyboard.type('git');
      await until(page, () => document.querySelector('weavz-connections').shadowRoot.querySelectorAll('[part=integration]').length === 1);
      await page.keyboard.press('ArrowDown');
      assert.equal(await focused(page), 'integration');
      const popupPromise = nextPopup(page);
      await page.keyboard.press('Enter');
      const popup = await popupPromise;
      const approve = await popup.waitForSelector('button[value="approve"]');
      await approve.focus();
      const popupClosed = closed(popup);
      await popup.keyboard.press('Enter');
      await popupClosed;
      await until(page, () => document.querySelector('weavz-connections').shadowRoot.querySelectorAll('tr[data-connection-id]').length === 1);
      assert.equal(await status(page), 'Connected to GitHub.');
      // The focus went back to the launcher when the picker closed.
      await until(page, () => document.querySelector('weavz-connections').shadowRoot.activeElement?.getAttribute('part') === 'create');

      await (await part(page, 'disconnect')).focus();
      await page.keyboard.press('Enter');
      await until(page, () => document.querySelector('weavz-connections').shadowRoot.activeElement?.getAttribute('part') === 'keep');
      await page.keyboard.down('Shift');
      await page.keyboard.press('Tab');
      await page.keyboard.up('Shift');
      assert.equal(await focused(page), 'confirm-disconnect');
      await page.keyboard.press('Enter');
      await until(page, () => document.querySelector('weavz-connections').shadowRoot.querySelector('[part=empty]'));
      assert.deepEqual(await sandboxConnections('github'), []);
      assert.equal(await page.evaluate(() => window.mouseEvents), 0, 'no mouse event');
      await done(page);
    });

    for (const theme of ['light', 'dark']) {
      it(`axe-core finds no violation in any state (${theme} theme); screenshots`, async () => {
        const page = await panelPage();
        await page.evaluate((t) => document.querySelector('weavz-connections').setAttribute('theme', t), theme);
        await until(page, () => document.querySelector('weavz-connections').shadowRoot.querySelector('[part=empty]'));
        await axe(page, 'empty list');
        await shoot(page, `empty-${theme}`);

        await (await part(page, 'create')).click();
        await until(page, () => document.querySelector('weavz-connections').shadowRoot.querySelectorAll('[part=integration]').length > 3);
        await axe(page, 'picker open');
        await shoot(page, `picker-${theme}`);

        // Waiting, then an error (denied at the provider).
        let popupPromise = nextPopup(page);
        await (await shadowElement(page, 'weavz-connections', '[data-integration="github"]')).click();
        let popup = await popupPromise;
        await popup.waitForSelector('button[value="deny"]');
        await axe(page, 'waiting');
        await shoot(page, `waiting-${theme}`);
        await popup.click('button[value="deny"]');
        await until(page, () => document.querySelector('weavz-connections').shadowRoot.querySelector('.weavz-panel').dataset.status === 'error');
        assert.equal(await status(page), 'Could not connect GitHub: Access was denied at GitHub.');
        await axe(page, 'error');
        await shoot(page, `error-${theme}`);

        // Connected, with the list.
        await (await part(page, 'create')).click();
        popupPromise = nextPopup(page);
        await (await page.waitForFunction(() => document.querySelector('weavz-connections').shadowRoot.querySelector('[data-integration="openai"]'))).asElement().click();
        popup = await popupPromise;
        await popup.waitForSelector('input[name="secretText"]');
        await popup.type('input[name="secretText"]', `sk-panel-${theme}-0123456789abcdef`);
        await popup.click('button[type="submit"]');
        await until(page, () => document.querySelector('weavz-connections').shadowRoot.querySelectorAll('tr[data-connection-id]').length === 1);
        await axe(page, 'connected');
        await shoot(page, `connected-${theme}`);
        // Leave the sandbox as it was for the next test.
        const id = await inPanel(page, (root) => root.querySelector('tr[data-connection-id]').dataset.connectionId);
        await sandbox.api('DELETE', `/connections/${id}`);
        await done(page);
      });
    }

    it('redirect mode: the panel leaves for the connect page and shows the result when the page comes back', async () => {
      const page = await panelPage();
      await page.evaluate(() => document.querySelector('weavz-connections').setAttribute('mode', 'redirect'));
      await (await part(page, 'create')).click();
      await until(page, () => document.querySelector('weavz-connections').shadowRoot.querySelector('[data-integration="openai"]'));
      await inPanel(page, (root) => root.querySelector('[data-integration="openai"]').click());
      const deadline = Date.now() + 15000;
      const href = () => page.evaluate(() => location.href).catch(() => '');
      while (!(await href()).startsWith(sandbox.connect)) {
        if (Date.now() > deadline) throw new Error('the page did not leave');
        await sleep(50);
      }
      await page.waitForSelector('input[name="secretText"]');
      await page.type('input[name="secretText"]', 'sk-panel-redirect-0123456789abcdef');
      await page.click('button[type="submit"]');
      while (!(await href()).startsWith(sandbox.host)) {
        if (Date.now() > deadline) throw new Error('the page did not come back');
        await sleep(50);
      }
      // The returning page's panel picks the flow up, confirms it, lists the connection.
      await until(page, () => document.querySelector('weavz-connections')?.shadowRoot?.querySelectorAll('tr[data-connection-id]').length === 1);
      await until(page, () => document.querySelector('weavz-connections').shadowRoot.querySelector('[role=status]').textContent === 'Connected to OpenAI.');
      assert.equal(new URL(await href()).search, '', 'the weavz_* parameters are removed');
      const [row] = await sandboxConnections('openai');
      assert.equal(await inPanel(page, (root) => root.querySelector('tr[data-connection-id]').dataset.connectionId), row.id);
      await sandbox.api('DELETE', `/connections/${row.id}`);
      await done(page);
    });

    it('German and Spanish: every text of the panel is translated, the server\'s type and status values too', async () => {
      const page = await panelPage();
      for (const [locale, create, empty] of [
        ['de', 'Verbindung erstellen', 'Noch keine Verbindungen. Erstellen Sie die erste.'],
        ['es', 'Crear conexión', 'Aún no hay conexiones. Crea la primera.'],
      ]) {
        await page.evaluate((l) => document.querySelector('weavz-connections').setAttribute('locale', l), locale);
        await until(page, (e) => document.querySelector('weavz-connections').shadowRoot.querySelector('[part=empty]')?.textContent === e, empty);
        assert.equal(await inPanel(page, (root) => root.querySelector('[part=create]').textContent), create);
        assert.equal(await inPanel(page, (root) => root.querySelector('.weavz-panel').getAttribute('lang')), locale);
      }
      // The server's values (type SECRET_TEXT, status ACTIVE) are shown in the panel's language.
      const { status: created, body } = await sandbox.api('POST', '/connections', {
        type: 'SECRET_TEXT',
        integrationName: 'openai',
        externalId: 'panel-locale',
        displayName: 'Locale check',
        workspaceId: sandbox.workspaceId,
        secretText: 'sk-locale-0123456789abcdef',
      });
      assert.equal(created, 201, JSON.stringify(body));
      for (const [locale, type, state] of [
        ['de', 'API-Schlüssel', 'Aktiv'],
        ['es', 'Clave de API', 'Activa'],
        ['en', 'API key', 'Active'],
      ]) {
        // Changing an attribute renders the panel again, which reloads the list.
        await page.evaluate((l) => document.querySelector('weavz-connections').setAttribute('locale', l), locale);
        const cells = await until(
          page,
          (l) => {
            const root = document.querySelector('weavz-connections').shadowRoot;
            const row = root.querySelector('tr[data-connection-id]');
            return root.querySelector('.weavz-panel')?.getAttribute('lang') === l && row && [...row.cells].map((c) => c.textContent);
          },
          locale,
        );
        assert.deepEqual([cells[2], cells[3]], [type, state], `${locale}: ${JSON.stringify(cells)}`);
      }
      await sandbox.api('DELETE', `/connections/${body.connection.id}`);
      await done(page);
    });

    it('multi-tenant: an end user\'s panel connects through their portal and lists only their connections', async () => {
      const page = await panelPage();
      const inTenant = (fn, arg) => inShadow(page, '#tenant-panel', fn, arg);
      await until(page, () => document.getElementById('tenant-panel').shadowRoot?.querySelector('[part=empty]'));
      await inTenant((root) => root.querySelector('[part=create]').click());
      await until(page, () => document.getElementById('tenant-panel').shadowRoot.querySelector('[data-integration="slack"]'));
      const popupPromise = nextPopup(page);
      await (await shadowElement(page, '#tenant-panel', '[data-integration="slack"]')).click();
      const popup = await popupPromise;
      const start = await popup.waitForSelector('form[action="/connect/portal/start"] button');
      assert.equal(new URL(await popup.url()).pathname, '/connect/portal', "the end user's portal");
      await start.click();
      await popup.waitForSelector('button[value="approve"]');
      await popup.click('button[value="approve"]');
      await until(page, () => document.getElementById('tenant-panel').shadowRoot.querySelectorAll('tr[data-connection-id]').length === 1);
      assert.equal(await inTenant((root) => root.querySelector('[role=status]').textContent), 'Connected to Slack.');
      const id = await inTenant((root) => root.querySelector('tr[data-connection-id]').dataset.connectionId);
      const { body } = await sandbox.api('GET', '/connections?endUserId=alice');
      assert.deepEqual(body.connections.map((c) => c.id), [id], "linked to alice");
      // A portal has no session to ask: the event counts as confirmed because the panel's
      // connections endpoint lists the connection for alice.
      const created = await until(page, () => {
        const found = window.demoEvents.filter((e) => e.type === 'weavz:connection-created').map((e) => e.detail);
        return found.length > 0 && found;
      });
      assert.equal(created.length, 1, JSON.stringify(created));
      assert.equal(created[0].connectionId, id);
      assert.equal(created[0].endUserId, 'alice');
      assert.equal(created[0].confirmed, true, 'listed for alice by the connections endpoint');
      // Another end user's DELETE of it is refused by the demo backend…
      const refused = await page.evaluate(
        (cid) => fetch(`/api/connections/${cid}?endUserId=bob`, { method: 'DELETE' }).then((r) => r.status),
        id,
      );
      assert.equal(refused, 403);
      // …alice's panel disconnects it (its DELETE names her).
      const deletes = [];
      if (page.webdriver) {
        // WebDriver classic sees no requests: the page's fetch is watched instead.
        await page.evaluate(() => {
          const fetch = window.fetch;
          window.e2eDeletes = [];
          window.fetch = function (input, init) {
            const method = (init && init.method) || (input instanceof Request ? input.method : 'GET');
            if (method.toUpperCase() === 'DELETE') window.e2eDeletes.push(new URL(input instanceof Request ? input.url : input, location.href).search);
            return fetch.apply(this, arguments);
          };
        });
      } else {
        page.on('request', (r) => r.method() === 'DELETE' && deletes.push(new URL(r.url()).search));
      }
      await inTenant((root) => root.querySelector('[part=disconnect]').click());
      await until(page, () => document.getElementById('tenant-panel').shadowRoot.querySelector('[part=confirm-disconnect]'));
      await inTenant((root) => root.querySelector('[part=confirm-disconnect]').click());
      await until(page, () => document.getElementById('tenant-panel').shadowRoot.querySelector('[part=empty]'));
      if (page.webdriver) deletes.push(...(await page.evaluate(() => window.e2eDeletes)));
      assert.deepEqual(deletes, ['?endUserId=alice']);
      assert.deepEqual((await sandbox.api('GET', '/connections?endUserId=alice')).body.connections, []);
      // Another end user sees none of alice's connections.
      await page.select('#end-user', 'bob');
      await until(page, () => document.getElementById('tenant-panel').shadowRoot.querySelector('[part=empty]'));
      await done(page);
    });

    it('a host page with hostile global CSS still gets a usable panel', async () => {
      const page = await panelPage();
      // Constructed, so the page's strict style-src does not block it.
      await page.evaluate(() => {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync('* { all: unset !important; } html { font-size: 64px !important; } body { font-size: 64px !important; }');
        document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
      });
      await sleep(200);
      const create = await part(page, 'create');
      const box = await create.boundingBox();
      assert.ok(box && box.width >= 40 && box.height >= 36 && box.height <= 80, `create button box ${JSON.stringify(box)}`);
      const font = await inPanel(page, (root) => getComputedStyle(root.querySelector('[part=create]')).fontSize);
      assert.equal(font, '16px', 'the panel keeps its own font size');
      const border = await inPanel(page, (root) => getComputedStyle(root.querySelector('.weavz-panel')).borderTopStyle);
      assert.equal(border, 'solid', 'the panel keeps its own styles');
      await create.click();
      await until(page, () => document.querySelector('weavz-connections').shadowRoot.querySelectorAll('[part=integration]').length > 3);
      const item = await (await part(page, 'integration')).boundingBox();
      assert.ok(item && item.height >= 36 && item.width >= 120, `integration button box ${JSON.stringify(item)}`);
      await shoot(page, 'hostile-css');
      await done(page);
    });
  });
}
