// The connection swap through the popup chain (issue 13): a hostile page the victim's
// connect window passes through (a provider gone bad; here puppeteer sends the popup to an
// attacker page) sends the window on with the attacker's own material:
//   form      auto-submits the hosted credential form with the attacker's token;
//   callback  redirects to the OAuth callback with the attacker's own code + state
//             (obtained in node, in the attacker's own cookie jar, as the attacker's
//             browser would);
//   navigate  navigates the window to the attacker's own connect (or portal) URL.
// In every mode of the widget (JS API with and without a session endpoint, the element,
// an end-user portal flow, the connections panel) the victim's page must get no
// weavz:connection-created, the window must show why it stopped, and the sandbox must
// store nothing for the attacker's session. Then: a finish page for another session in
// the window reports nothing; legitimate flows still work (redirect mode in one tab after
// a flow left with Back; a host page that is itself a popup, in redirect mode); and the
// sdk-minimal result shape in popup mode without a session endpoint.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startSandbox, demoDir } from '../lib/sandbox.mjs';
import { startAttacker } from '../lib/attacker.mjs';
import { siteFor } from '../lib/webkit.mjs';
import { browsers, launch, nextPopup, until, closed, sleep, urlUntil, inShadow, shadowElement } from '../lib/browser.mjs';
import { openDemoPage, demoReady, addElement, button, configure, logTerminalEvents } from '../lib/demo.mjs';
import { recordingPage, recordTerminals, recorded, backOnHost, back } from '../lib/redirect.mjs';

/** The JSON a hosted page hands to one of its scripts (`id` = weavz-page / weavz-result). */
function embedded(html, id) {
  const m = html.match(new RegExp(`<script type="application/json" id="${id}">(.*?)</script>`, 's'));
  assert.ok(m, `no #${id} in ${html.slice(0, 300)}`);
  return JSON.parse(m[1]);
}

const unescape = (s) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"');

/** An HTTP client with one cookie (the attacker's own browser, in node). */
function attackerBrowser() {
  let cookie = '';
  return async (url, init = {}) => {
    const res = await fetch(url, {
      redirect: 'manual',
      ...init,
      headers: { ...(init.headers || {}), ...(cookie ? { cookie } : {}) },
    });
    const set = res.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0];
    return res;
  };
}

for (const browserName of browsers()) {
  describe(`popup chain in ${browserName}`, () => {
    let sandbox;
    let attacker;
    let browser;
    let attackers = 0;
    let served;

    before(async () => {
      attacker = await startAttacker();
      served = siteFor(browserName, demoDir);
      sandbox = await startSandbox(['--demo-dir', served.dir]);
      browser = await launch(browserName, { preloadDir: served.dir });
    });

    after(async () => {
      await browser?.close();
      await sandbox?.stop();
      await attacker?.stop();
      served?.cleanup();
    });

    // ---- The attacker's own material, made outside the victim's browser ----

    /** A connect token of the attacker's (same app, their own externalId), never opened. */
    async function attackerToken(integration) {
      attackers += 1;
      const { status, body } = await sandbox.api('POST', '/connect/token', {
        integrationName: integration,
        connectionName: 'attacker',
        externalId: `attacker-${attackers}`,
        workspaceId: sandbox.workspaceId,
      });
      assert.equal(status, 200);
      return { ...body, who: `attacker-${attackers}` };
    }

    /** The attacker's own OAuth flow, run in their own browser up to the callback URL. */
    async function attackerCallback(integration) {
      const { token, connectUrl, who } = await attackerToken(integration);
      const http = attackerBrowser();
      const res = await http(connectUrl);
      // (A connect page that is a plain 302 to the provider is handled too, so that this
      // test can be run against a sandbox without the defences, and fail.)
      const authorize = res.status === 302 ? res.headers.get('location') : embedded(await res.text(), 'weavz-page').next;
      const consent = await (await http(authorize)).text();
      const request = unescape(consent.match(/name="request" value="([^"]+)"/)[1]);
      const action = unescape(consent.match(/action="([^"]+)"/)[1]);
      const decided = await http(new URL(action, authorize).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ request, decision: 'approve' }).toString(),
      });
      assert.equal(decided.status, 303);
      return { token, who, callback: decided.headers.get('location') };
    }

    /** A portal link of an end user of the attacker's, never opened. */
    async function attackerPortal() {
      attackers += 1;
      const { body: user } = await sandbox.api('POST', '/end-users', {
        workspaceId: sandbox.workspaceId,
        externalId: `attacker-${attackers}`,
      });
      const { body } = await sandbox.api('POST', `/end-users/${user.endUser.id}/connect-token`, {});
      return { token: null, connectUrl: body.connectUrl, who: `attacker-${attackers}` };
    }

    // ---- The victim's page and window ----

    async function victimPage() {
      const page = await openDemoPage(browser, sandbox.host);
      // Capturing on window sees the element's events and the JS API's alike.
      await logTerminalEvents(page, { into: 'chainEvents', capture: true });
      await page.evaluate(() => {
        window.apiResults = [];
      });
      return page;
    }

    /** A button of the page whose click runs `WeavzConnect.open(options)`. */
    async function apiButton(page, options) {
      await page.evaluate((opts) => {
        const button = document.createElement('button');
        button.id = 'victim';
        button.textContent = 'Connect';
        document.body.prepend(button);
        button.addEventListener('click', () => {
          WeavzConnect.open(opts).then(
            (connection) => window.apiResults.push({ connection }),
            (err) => window.apiResults.push({ error: err.code }),
          );
        });
      }, options);
      const popup = nextPopup(page);
      await page.click('#victim');
      return popup;
    }

    /** Adds a <weavz-connect> with these attributes and clicks it; resolves with the window. */
    async function element(page, attributes) {
      const launcher = await addElement(page, attributes);
      const popup = nextPopup(page);
      await launcher.click();
      return popup;
    }

    /** In a portal window: starts the session for `integration`. */
    async function startInPortal(popup, integration) {
      await popup.waitForSelector('form[action="/connect/portal/start"] button', { timeout: 15000 });
      assert.equal(new URL(await popup.url()).pathname, '/connect/portal');
      await Promise.all([
        popup.waitForNavigation({ timeout: 15000 }).catch(() => {}),
        popup.evaluate((name) => document.querySelector(`input[name="integration"][value="${name}"]`).form.submit(), integration),
      ]);
    }

    const victims = {
      'JS API without a session endpoint': {
        portal: false,
        async open(page, integration) {
          const connectUrl = await page.evaluate(async (name) => {
            const r = await fetch('/api/connect-token', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ integrationName: name, externalId: 'victim' }),
            });
            return (await r.json()).connectUrl;
          }, integration);
          return apiButton(page, { connectUrl, closeGraceMs: 200 });
        },
      },
      'JS API with a session endpoint': {
        portal: false,
        open: (page, integration) =>
          apiButton(page, {
            integration,
            tokenEndpoint: '/api/connect-token',
            sessionEndpoint: '/api/connect-session',
            tokenParams: { externalId: 'victim' },
            closeGraceMs: 200,
          }),
      },
      'the <weavz-connect> element': {
        portal: false,
        open: (page, integration) =>
          element(page, {
            id: 'victim',
            integration,
            'display-name': integration,
            'token-endpoint': '/api/connect-token',
            'token-params': JSON.stringify({ externalId: 'victim' }),
            'close-grace-ms': '200',
          }),
      },
      'an end-user portal (eut_) flow': {
        portal: true,
        async open(page, integration) {
          const popup = await element(page, {
            id: 'victim',
            integration,
            'display-name': integration,
            'token-endpoint': '/api/end-user-connect-token',
            // Ignored for portal tokens: the message decides.
            'session-endpoint': '/api/connect-session',
            'end-user': 'victim-user',
            'close-grace-ms': '200',
          });
          await startInPortal(popup, integration);
          return popup;
        },
      },
      'the connections panel (an end user\'s portal)': {
        portal: true,
        async open(page, integration) {
          const inPanel = (fn, arg) => inShadow(page, '#tenant-panel', fn, arg);
          await until(page, () => document.getElementById('tenant-panel')?.shadowRoot?.querySelector('[part=create]'));
          await inPanel((root) => root.querySelector('[part=create]').click());
          await until(page, (name) => document.getElementById('tenant-panel').shadowRoot.querySelector(`[data-integration="${name}"]`), integration);
          const popup = nextPopup(page);
          await (await shadowElement(page, '#tenant-panel', `[data-integration="${integration}"]`)).click();
          const win = await popup;
          await startInPortal(win, integration);
          return win;
        },
      },
    };

    const attacks = {
      form: {
        // The victim's window is at the hosted credential form.
        integration: 'openai',
        ready: 'input[name="secretText"]',
        refusal: 'sent from another site',
        async payload() {
          const { token, who } = await attackerToken('openai');
          const fields = JSON.stringify({ token, secretText: 'sk-attacker-0123456789abcdef' });
          const to = `${sandbox.connect}/connect/submit`;
          return { token, who, url: `${attacker.origin}/swap.html?action=submit&to=${encodeURIComponent(to)}&fields=${encodeURIComponent(fields)}` };
        },
      },
      callback: {
        // The victim's window is at the provider.
        integration: 'slack',
        ready: 'button[value="approve"]',
        refusal: 'belongs to another browser window',
        async payload() {
          const { token, who, callback } = await attackerCallback('slack');
          return { token, who, url: `${attacker.origin}/swap.html?to=${encodeURIComponent(callback)}` };
        },
      },
      navigate: {
        integration: 'slack',
        ready: 'button[value="approve"]',
        refusal: 'busy with another connection',
        // The victim, taking the page for their own flow, goes along with what it offers.
        goAlong: true,
        async payload(portal) {
          const { token, who, connectUrl } = portal ? await attackerPortal() : await attackerToken('slack');
          return { token, who, url: `${attacker.origin}/swap.html?to=${encodeURIComponent(connectUrl)}` };
        },
      },
    };

    /** The popup's text, across navigations (null while it is between documents). */
    async function popupText(popup) {
      try {
        return await popup.evaluate(() => (document.body ? document.body.innerText : ''));
      } catch {
        return null;
      }
    }

    /** The connections stored for the attacker `who` (their externalId or end user). */
    async function attackerStored(who) {
      const { body } = await sandbox.api('GET', '/connections');
      return body.connections.filter((c) => c.externalId === who || c.externalId.startsWith(`${who}:`) || c.endUserId === who);
    }

    for (const [mode, victim] of Object.entries(victims)) {
      for (const [name, attack] of Object.entries(attacks)) {
        it(`${mode}: the attacker's ${name} swap is refused; no event, nothing stored`, async () => {
          const page = await victimPage();
          const popup = await victim.open(page, attack.integration);
          await popup.waitForSelector(attack.ready, { timeout: 15000 });
          const { token, who, url } = await attack.payload(victim.portal);

          // The hostile page in the chain takes over the window.
          await popup.goto(url).catch(() => {});
          let text = '';
          const deadline = Date.now() + 10000;
          let wentAlong = 0;
          while (Date.now() < deadline && !popup.isClosed()) {
            text = (await popupText(popup)) ?? '';
            if (text.includes(attack.refusal)) break;
            if (attack.goAlong && wentAlong < 3) {
              // Whatever the window offers next: a portal's Connect, a provider's Approve.
              const clicked = await popup
                .evaluate(() => {
                  const next = document.querySelector('form[action="/connect/portal/start"] button, button[value="approve"]');
                  if (next) next.click();
                  return !!next;
                })
                .catch(() => false);
              if (clicked) {
                wentAlong += 1;
                await sleep(500);
              }
            }
            await sleep(100);
          }
          // Time for any message the window might still post to arrive and be acted on.
          await sleep(1000);

          const created = (await page.evaluate(() => window.chainEvents)).filter((e) => e.type === 'weavz:connection-created');
          assert.deepEqual(created, [], 'no weavz:connection-created on the victim\'s page');
          assert.deepEqual(
            (await page.evaluate(() => window.apiResults)).filter((r) => r.connection),
            [],
            'WeavzConnect.open did not resolve',
          );
          assert.deepEqual(await attackerStored(who), [], 'no connection stored for the attacker');
          if (token) {
            const { body } = await sandbox.api('POST', '/connect/session/poll', { token });
            assert.notEqual(body.status, 'COMPLETED', "the attacker's session did not finish");
            assert.notEqual(body.status, 'FAILED', "the attacker's session is untouched");
          }
          assert.equal(popup.isClosed(), false, 'the window stays open to say why');
          assert.ok(text.includes(attack.refusal), `the window says why it stopped: ${JSON.stringify(text)}`);
          assert.equal(new URL(await popup.url()).search, '', 'no token, code or state left in the address bar');
          await popup.close();
          assert.deepEqual(page.errors, [], 'no page error');
          await page.close();
        });
      }
    }

    it('a finish page for another session in the window posts nothing, goes nowhere and says why', async () => {
      // The second line of rule 1. To reach the finish page of another session in the
      // victim's window, the test posts that session's form from the window itself (as a
      // script on the connect origin could): the server cannot tell, so it stores the
      // connection; the window's record is what keeps the result from the app.
      const page = await victimPage();
      const popup = await victims['JS API without a session endpoint'].open(page, 'openai');
      await popup.waitForSelector('input[name="secretText"]');
      const other = await attackerToken('openai');
      const tab = await browser.newPage();
      await tab.goto(other.connectUrl, { waitUntil: 'load' });
      await tab.close();
      await popup.evaluate((token) => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = '/connect/submit';
        for (const [name, value] of Object.entries({ token, secretText: 'sk-other-0123456789abcdef' })) {
          const input = document.createElement('input');
          input.type = 'hidden';
          input.name = name;
          input.value = value;
          form.appendChild(input);
        }
        document.body.appendChild(form);
        form.submit();
      }, other.token);
      let text = '';
      const deadline = Date.now() + 10000;
      while (Date.now() < deadline && !popup.isClosed()) {
        text = (await popupText(popup)) ?? '';
        if (text.includes('not sent to the app')) break;
        await sleep(100);
      }
      await sleep(1000);
      assert.equal((await attackerStored(other.who)).length, 1, 'the server stored it (it cannot know the window)');
      const created = (await page.evaluate(() => window.chainEvents)).filter((e) => e.type === 'weavz:connection-created');
      assert.deepEqual(created, [], 'but the app heard nothing of it');
      assert.equal(popup.isClosed(), false);
      assert.ok(text.includes('opened for a different connection'), JSON.stringify(text));
      assert.equal(new URL(await popup.url()).origin, sandbox.connect, 'no redirect');
      await popup.close();
      await page.close();
    });

    // ---- Legitimate flows the window record must not get in the way of ----

    /** Sets attributes on the demo's element for `integration`, clicks it, and waits for
     *  the tab itself to reach the connect origin (redirect mode). */
    async function leaveFor(page, integration, attributes) {
      await configure(page, integration, attributes);
      await (await button(page, integration)).click();
      await urlUntil(page, (u) => u.origin === sandbox.connect || u.origin === sandbox.provider, 'the tab did not leave for the connect page');
    }

    it('redirect mode in one tab: a flow left with Back, then two more sessions (OAuth, form) each complete once', async () => {
      const page = await recordingPage(browser, sandbox.host, { watch: false });
      // 1. The tab goes to the connect page of session 1, and comes back with Back.
      await leaveFor(page, 'openai', { mode: 'redirect', 'token-params': JSON.stringify({ externalId: 'tab-1' }) });
      await page.waitForSelector('input[name="secretText"]');
      await back(page);
      await backOnHost(page, sandbox.host);
      // 2. Another session in the same tab: its interstitial goes on to the provider.
      await leaveFor(page, 'slack', { mode: 'redirect', 'token-params': JSON.stringify({ externalId: 'tab-2' }) });
      await page.waitForSelector('button[value="approve"]', { timeout: 15000 });
      await page.click('button[value="approve"]');
      await backOnHost(page, sandbox.host);
      await until(page, () => JSON.parse(sessionStorage.getItem('e2e-terminal') || '[]').length >= 1);
      // 3. And a third: a form.
      await leaveFor(page, 'smtp', { mode: 'redirect', 'token-params': JSON.stringify({ externalId: 'tab-3' }) });
      await page.waitForSelector('input[name="username"]');
      await page.type('input[name="username"]', 'mailer');
      await page.type('input[name="password"]', 'pw-tab-3');
      await page.click('button[type="submit"]');
      await backOnHost(page, sandbox.host);
      await until(page, () => JSON.parse(sessionStorage.getItem('e2e-terminal') || '[]').length >= 2);
      await sleep(800);
      const events = await recorded(page);
      assert.deepEqual(
        events.map((e) => [e.type, e.detail.externalId]),
        [
          ['weavz:connection-created', 'tab-2'],
          ['weavz:connection-created', 'tab-3'],
        ],
        JSON.stringify(events),
      );
      const { body } = await sandbox.api('GET', '/connections');
      for (const e of events) assert.ok(body.connections.some((c) => c.id === e.detail.connectionId && c.externalId === e.detail.externalId));
      // (Firefox reports the provider page's blocked favicon as a page error of the tab.)
      assert.deepEqual(page.errors.filter((m) => !m.includes('favicon.ico')), []);
      await page.close();
    });

    it('redirect mode wins over the opener: a host page that is itself a popup gets its result back in its own tab', async () => {
      const opener = await victimPage();
      const tabPromise = nextPopup(opener);
      // Opened by a user's click: WebKit blocks a window.open from a script.
      await opener.evaluate((url) => {
        const b = document.createElement('button');
        b.id = 'open-child';
        b.textContent = 'Open the app in a window';
        b.addEventListener('click', () => {
          window.child = window.open(url, 'child');
        });
        document.body.prepend(b);
      }, sandbox.host + '/');
      await opener.click('#open-child');
      const tab = await tabPromise;
      await recordTerminals(tab, sandbox.host);
      await tab.reload({ waitUntil: 'load' });
      await demoReady(tab);
      assert.equal(await tab.evaluate(() => !!window.opener), true, 'the tab has an opener');
      await opener.evaluate(() => {
        window.openerMessages = [];
        addEventListener('message', (e) => window.openerMessages.push(e.origin));
      });
      await leaveFor(tab, 'openai', { mode: 'redirect', 'token-params': JSON.stringify({ externalId: 'with-opener' }) });
      await tab.waitForSelector('input[name="secretText"]');
      await tab.type('input[name="secretText"]', 'sk-opener-0123456789abcdef');
      await tab.click('button[type="submit"]');
      await backOnHost(tab, sandbox.host);
      await until(tab, () => JSON.parse(sessionStorage.getItem('e2e-terminal') || '[]').length >= 1);
      const events = await recorded(tab);
      assert.equal(events.length, 1, JSON.stringify(events));
      assert.equal(events[0].type, 'weavz:connection-created');
      assert.equal(events[0].detail.externalId, 'with-opener');
      assert.equal(tab.isClosed(), false, 'the app\'s tab was not closed');
      assert.deepEqual(await opener.evaluate(() => window.openerMessages), [], 'nothing was posted to the opener');
      await tab.close();
      await opener.close();
    });

    // The widget accepts what the official SDK accepts (anything but status "error").
    it(
      'resultShape "sdk-minimal", popup mode without a session endpoint: exactly one weavz:connection-created with the right id',
      async () => {
        const page = await victimPage();
        const connectUrl = await page.evaluate(async () => {
          const r = await fetch('/api/connect-token', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ integrationName: 'openai', externalId: 'sdk-minimal', sandbox: { resultShape: 'sdk-minimal' } }),
          });
          return (await r.json()).connectUrl;
        });
        const popup = await apiButton(page, { connectUrl });
        await popup.waitForSelector('input[name="secretText"]');
        await popup.type('input[name="secretText"]', 'sk-minimal-0123456789abcdef');
        const isClosed = closed(popup);
        await popup.click('button[type="submit"]');
        await isClosed;
        await until(page, () => window.chainEvents.length > 0 || window.apiResults.length > 0, undefined, 10000);
        await sleep(500);
        const { body } = await sandbox.api('GET', '/connections?integrationName=openai');
        const made = body.connections.filter((c) => c.externalId === 'sdk-minimal');
        assert.equal(made.length, 1, 'the sandbox stored the connection');
        const created = (await page.evaluate(() => window.chainEvents)).filter((e) => e.type === 'weavz:connection-created');
        assert.equal(created.length, 1, `exactly one event: ${JSON.stringify(await page.evaluate(() => window.chainEvents))}`);
        assert.equal(created[0].detail.connectionId, made[0].id);
        assert.equal(created[0].detail.confirmed, false, 'only the message said so');
        assert.equal((await page.evaluate(() => window.apiResults))[0].connection?.connectionId, made[0].id);
        await page.close();
      },
    );
  });
}
