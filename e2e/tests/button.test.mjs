// The demo page's <weavz-connect> buttons in real browsers, against the sandbox: the four
// states a user sees (idle, waiting with the popup open, connected, error), each asserted
// through the element's shadow root (the `root`, `button` and `status` parts and the root's
// `data-state`) and then photographed, in the light and the dark colour scheme.
// Screenshots: target/screenshots/button-<state>-<scheme>-<browser>.png, cropped to the
// element; docs/screenshots/ holds a copy of the Chromium ones.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startSandbox, demoDir } from '../lib/sandbox.mjs';
import { browsers, launch, nextPopup, until, closed } from '../lib/browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const shots = join(here, '..', '..', 'target', 'screenshots');
/** Space around the element in a screenshot, in CSS pixels. */
const MARGIN = 8;

for (const browserName of browsers()) {
  describe(`button states in ${browserName}`, () => {
    let sandbox;
    /** One browser per colour scheme: Firefox takes it as a launch preference. */
    const browser = {};

    before(async () => {
      sandbox = await startSandbox(['--demo-dir', demoDir]);
      for (const scheme of ['light', 'dark']) browser[scheme] = await launch(browserName, { colorScheme: scheme });
      mkdirSync(shots, { recursive: true });
    });

    after(async () => {
      await browser.light?.close();
      await browser.dark?.close();
      await sandbox?.stop();
    });

    /** What the element of `integration` shows, read from its shadow root's parts. */
    const view = (page, integration) =>
      page.evaluate((name) => {
        const root = document.querySelector(`weavz-connect[integration="${name}"]`).shadowRoot;
        const button = root.querySelector('[part~="button"]');
        return {
          state: root.querySelector('[part~="root"]').dataset.state,
          button: button.textContent.trim(),
          busy: button.getAttribute('aria-busy'),
          status: root.querySelector('[part~="status"]').textContent,
          cancel: root.querySelector('[part~="cancel"]') !== null,
        };
      }, integration);

    /** The `button` part of the element of `integration`, for a real mouse click. */
    const buttonOf = async (page, integration) =>
      (
        await page.waitForFunction(
          (name) => document.querySelector(`weavz-connect[integration="${name}"]`)?.shadowRoot?.querySelector('[part~="button"]'),
          { timeout: 10000 },
          integration,
        )
      ).asElement();

    /** Waits until the element of `integration` is in `state`. */
    const reaches = (page, integration, state) =>
      until(
        page,
        ({ name, want }) =>
          document.querySelector(`weavz-connect[integration="${name}"]`)?.shadowRoot?.querySelector('[part~="root"]')
            ?.dataset.state === want,
        { name: integration, want: state },
      );

    /** The element of `integration`, with a small margin, as a PNG. */
    async function shoot(page, integration, name) {
      const el = await page.$(`weavz-connect[integration="${integration}"]`);
      const box = await el.boundingBox();
      assert.ok(box && box.width > 0 && box.height > 0, 'the element is laid out');
      await page.screenshot({
        path: join(shots, `button-${name}-${browserName}.png`),
        clip: {
          x: Math.max(0, box.x - MARGIN),
          y: Math.max(0, box.y - MARGIN),
          width: Math.ceil(box.width) + 2 * MARGIN,
          height: Math.ceil(box.height) + 2 * MARGIN,
        },
      });
    }

    for (const scheme of ['light', 'dark']) {
      it(`idle, waiting, connected and error (${scheme} colour scheme); screenshots`, async () => {
        const page = await browser[scheme].newPage();
        await page.setViewport({ width: 1000, height: 900 });
        const errors = [];
        page.on('pageerror', (e) => errors.push(e.message));
        if (browserName === 'chromium') {
          await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
        }
        await page.goto(sandbox.host, { waitUntil: 'load' });
        assert.equal(
          await page.evaluate((s) => matchMedia(`(prefers-color-scheme: ${s})`).matches, scheme),
          true,
          `the page sees the ${scheme} colour scheme`,
        );
        await until(page, () => customElements.get('weavz-connect') && window.demoEvents);
        // The demo page sets no colours of its own: the element's accent follows the scheme.
        const accent = await page.evaluate(() =>
          getComputedStyle(document.querySelector('weavz-connect[integration="slack"]').shadowRoot.querySelector('[part~="button"]'))
            .backgroundColor,
        );
        assert.equal(accent, scheme === 'light' ? 'rgb(58, 79, 216)' : 'rgb(142, 156, 255)');

        await reaches(page, 'slack', 'idle');
        assert.deepEqual(await view(page, 'slack'), { state: 'idle', button: 'Connect Slack', busy: 'false', status: '', cancel: false });
        await shoot(page, 'slack', `idle-${scheme}`);

        // Waiting: the popup shows the provider's consent page.
        let popupPromise = nextPopup(page);
        await (await buttonOf(page, 'slack')).click();
        let popup = await popupPromise;
        await popup.waitForSelector('button[value="approve"]', { timeout: 15000 });
        await reaches(page, 'slack', 'waiting');
        assert.deepEqual(await view(page, 'slack'), {
          state: 'waiting',
          button: 'Waiting for Slack…',
          busy: 'true',
          status: 'Finish connecting in the popup window.',
          cancel: true,
        });
        await shoot(page, 'slack', `waiting-${scheme}`);

        // Connected, confirmed through the session endpoint.
        let popupClosed = closed(popup);
        await popup.click('button[value="approve"]');
        await popupClosed;
        await reaches(page, 'slack', 'connected');
        assert.deepEqual(await view(page, 'slack'), {
          state: 'connected',
          button: 'Connect Slack again',
          busy: 'false',
          status: 'Connected to Slack.',
          cancel: false,
        });
        const created = await page.evaluate(() =>
          window.demoEvents.filter((e) => e.integration === 'slack' && e.type === 'weavz:connection-created'),
        );
        assert.equal(created.length, 1, 'one weavz:connection-created');
        const { body } = await sandbox.api('GET', `/connections?id=${encodeURIComponent(created[0].detail.connectionId)}`);
        assert.equal(body.connection.integrationName, 'slack', 'the sandbox has the connection');
        await shoot(page, 'slack', `connected-${scheme}`);

        // Error: the user denies access at the provider.
        popupPromise = nextPopup(page);
        await (await buttonOf(page, 'github')).click();
        popup = await popupPromise;
        await popup.waitForSelector('button[value="deny"]', { timeout: 15000 });
        popupClosed = closed(popup);
        await popup.click('button[value="deny"]');
        await popupClosed;
        await reaches(page, 'github', 'error');
        assert.deepEqual(await view(page, 'github'), {
          state: 'error',
          button: 'Try again',
          busy: 'false',
          status: 'Could not connect: Access was denied at GitHub.',
          cancel: false,
        });
        const failed = await page.evaluate(() =>
          window.demoEvents.filter((e) => e.integration === 'github' && e.type === 'weavz:connect-error').map((e) => e.detail.code),
        );
        assert.deepEqual(failed, ['connect_failed']);
        await shoot(page, 'github', `error-${scheme}`);

        // Leave the sandbox as it was for the next scheme.
        await sandbox.api('DELETE', `/connections/${created[0].detail.connectionId}`);
        assert.deepEqual(errors, [], 'no page error');
        await page.close();
      });
    }
  });
}
