// The widget in real browsers, against the sandbox: what an attacker can put in front of
// it. Forged return URLs (redirect mode); forged successes posted from foreign origins (a
// page holding a handle to the host, frames, a look-alike of the connect origin, a
// sandboxed frame); markup in names and error texts.
import { it, before } from 'node:test';
import assert from 'node:assert/strict';

import { nextPopup, until, sleep } from '../lib/browser.mjs';
import { demoReady as ready, done, addElement, button, configure, terminal, seen, statusText, uiState, expectListed, TERMINAL } from '../lib/demo.mjs';
import { recorded, pendingIds } from '../lib/redirect.mjs';
import { widgetSuites } from '../lib/widget-env.mjs';

widgetSuites((env, browserName) => {
  let sandbox;
  let browser;
  let attacker;
  let lookalike;
  before(() => {
    ({ sandbox, browser, attacker, lookalike } = env);
  });

  const { demoPage, recordingPage, connectionsOf, leaveFor, forgedReturn } = env;

  it('redirect mode: a forged return URL naming a flow this tab never started emits nothing, and its parameters go', async () => {
    const page = await recordingPage();
    for (const url of [
      forgedReturn('0123456789abcdef0123456789abcdef', 'openai', 'forged-unknown'),
      // Without weavz_flow (a host that set its own redirect URI) and nothing pending.
      forgedReturn('', 'openai', 'forged-unknown').replace('weavz_flow=&', ''),
    ]) {
      await page.goto(url, { waitUntil: 'load' });
      await ready(page);
      assert.equal(await page.evaluate(() => WeavzConnect.resume()), null, 'nothing pending in this tab');
      const cleaned = new URL(await page.evaluate(() => location.href));
      assert.equal(cleaned.search, '', 'every weavz_* parameter is removed all the same');
      assert.equal(cleaned.hash, '#integrations', "the page's own fragment stays");
      // Asserting an absence: a fixed wait, long enough for a poll and its answer.
      await sleep(2000);
      assert.deepEqual(await recorded(page), [], 'no terminal event');
      assert.deepEqual(await seen(page, [...TERMINAL, 'weavz:connect-event']), [], 'no flow at all');
      assert.equal(await uiState(page, 'openai'), 'idle');
    }
    assert.equal((await connectionsOf('forged-unknown')).length, 0);
    await done(page);
  });

  it('redirect mode: a forged success for this tab\'s flow whose session is still open shows "not finished", never connected', async () => {
    const page = await recordingPage();
    await configure(page, 'openai', { mode: 'redirect', 'token-params': JSON.stringify({ externalId: 'forged-open' }) });
    await leaveFor(page, await button(page, 'openai'));
    await page.waitForSelector('input[name="secretText"]'); // the session is CONNECTING now
    // The attacker's link is opened in this tab, which holds the pending flow.
    await page.goto(`${sandbox.host}/blank.html`, { waitUntil: 'load' });
    const [flow] = await pendingIds(page);
    assert.ok(flow, 'the flow is pending in this tab');
    await page.goto(forgedReturn(flow, 'openai', 'forged-open'), { waitUntil: 'load' });
    await ready(page);
    // The session's answer decides at once, whatever the URL claimed.
    await until(page, () => document.querySelector('weavz-connect[integration="openai"]').shadowRoot.querySelector('[data-state]').dataset.state === 'interrupted', undefined, 8000);
    assert.equal(await statusText(page, 'openai'), 'Connecting to OpenAI was not finished. Continue, or cancel.');
    assert.equal(new URL(await page.evaluate(() => location.href)).search, '', 'parameters removed');
    // Asserting an absence: a fixed wait over several polls.
    await sleep(3000);
    assert.deepEqual(await recorded(page), [], 'no terminal event');
    assert.equal(await uiState(page, 'openai'), 'interrupted');
    assert.deepEqual(await pendingIds(page), [flow], 'the flow is still pending: the user may continue');
    // The user cancels: the one terminal event of the flow.
    await page.evaluate(() => document.querySelector('weavz-connect[integration="openai"]').shadowRoot.querySelector('[part=cancel]').click());
    const event = await terminal(page, 'openai');
    assert.equal(event.type, 'weavz:connect-cancelled');
    assert.deepEqual((await recorded(page)).map((e) => e.type), ['weavz:connect-cancelled']);
    assert.deepEqual(await pendingIds(page), []);
    assert.equal((await connectionsOf('forged-open')).length, 0);
    await done(page);
  });

  it('redirect mode: a forged success for this tab\'s flow whose session failed ends with the session\'s failure', async () => {
    const page = await recordingPage();
    // The provider denies at once; the real (error) return lands on a page without the
    // widget, so the flow is still pending when the forged link is opened.
    await configure(page, 'github', {
      mode: 'redirect',
      'token-params': JSON.stringify({
        externalId: 'forged-failed',
        errorRedirectUri: `${sandbox.host}/blank.html`,
        sandbox: { autoDeny: true },
      }),
    });
    await (await button(page, 'github')).click();
    const deadline = Date.now() + 15000;
    while (!(await page.evaluate(() => location.href).catch(() => '')).startsWith(`${sandbox.host}/blank.html`)) {
      if (Date.now() > deadline) throw new Error(`the denied flow did not come back: ${await page.url()}`);
      await sleep(50);
    }
    const [flow] = await pendingIds(page);
    assert.ok(flow, 'the flow is pending in this tab');
    await page.goto(forgedReturn(flow, 'github', 'forged-failed'), { waitUntil: 'load' });
    await ready(page);
    const event = await terminal(page, 'github');
    assert.equal(event.type, 'weavz:connect-error', JSON.stringify(event));
    assert.equal(event.detail.code, 'connect_failed');
    assert.deepEqual((await recorded(page)).map((e) => e.type), ['weavz:connect-error']);
    assert.equal(await uiState(page, 'github'), 'error');
    assert.equal(new URL(await page.evaluate(() => location.href)).search, '');
    assert.deepEqual(await pendingIds(page), []);
    const { body } = await sandbox.api('GET', '/connections?integrationName=github');
    assert.equal(body.connections.filter((c) => c.externalId === 'forged-failed').length, 0);
    await done(page);
  });

  it('forged successes from five foreign origins (opener handle, frames, look-alike, null) are ignored', async () => {
    // The attacker page opens the host, so it holds a handle to it.
    const attackerPage = await browser.newPage();
    await attackerPage.goto(`${attacker.origin}/attacker.html?host=${encodeURIComponent(sandbox.host)}`);
    const hostPromise = nextPopup(attackerPage);
    await attackerPage.click('#open');
    const page = await hostPromise;
    await page.waitForFunction(() => document.readyState === 'complete');
    await ready(page);

    // Frames of foreign origins inside the host page: the attacker, the same server by
    // another name, a look-alike of the connect origin, and a sandboxed frame ("null").
    const frames = [
      { src: `${attacker.origin}/frame.html` },
      { src: `http://localhost:${attacker.port}/frame.html` },
      { src: `${lookalike.origin}/frame.html` },
      { src: `${attacker.origin}/frame.html`, sandbox: 'allow-scripts' },
    ];
    await page.evaluate(async (list) => {
      window.framesReady = 0;
      window.framesDone = 0;
      addEventListener('message', (e) => {
        if (e.data === 'frame-ready') window.framesReady += 1;
        if (e.data === 'forged') window.framesDone += 1;
      });
      list.forEach((f, i) => {
        const frame = document.createElement('iframe');
        frame.src = f.src;
        frame.id = `attacker-frame-${i}`;
        if (f.sandbox) frame.setAttribute('sandbox', f.sandbox);
        document.body.appendChild(frame);
      });
    }, frames);
    await until(page, (n) => window.framesReady >= n, frames.length);
    // Forged successes before the flow starts: nobody listens yet.
    await attackerPage.evaluate(() => window.forge(50));
    const forgeFromFrames = (n) =>
      page.evaluate((count) => {
        for (let i = 0; i < count; i++) document.getElementById(`attacker-frame-${i}`).contentWindow.postMessage('forge', '*');
      }, n);
    await forgeFromFrames(frames.length);
    await until(page, (n) => window.framesDone >= n, frames.length);

    // No session endpoint: the origin and source checks alone must hold the line.
    const direct = await addElement(page, {
      integration: 'github',
      id: 'no-session',
      'display-name': 'GitHub',
      'token-endpoint': '/api/connect-token',
    });
    const popupPromise = nextPopup(page);
    await direct.click();
    const popup = await popupPromise;
    await popup.waitForSelector('button[value="approve"]');
    // During the live flow: 50 forged successes from each of the five foreign origins.
    await attackerPage.evaluate(() => window.forge(50));
    await forgeFromFrames(frames.length);
    // Every one is rejected and counted on the debug stream — the 250 forged successes and
    // each frame's "forged" marker, 254 — in a handful of notes (at most one a second:
    // the first names its origin, `rejected_more` counts the rest).
    const origins = [attacker.origin, `http://localhost:${attacker.port}`, lookalike.origin, 'null'];
    // (Counted in the page by a function of its own: the page's CSP allows no eval.)
    await page.evaluate(() => {
      window.countRejected = () =>
        window.demoEvents
          .filter((e) => e.type === 'weavz:connect-event' && e.detail.level === 'debug')
          .reduce((n, e) => n + (e.detail.name === 'rejected_more' ? e.detail.count : e.detail.name === 'rejected_origin' ? 1 : 0), 0);
    });
    await until(page, () => window.countRejected() >= 254);
    const early = await page.evaluate(() => window.demoEvents.filter((e) => e.type !== 'weavz:connect-event'));
    assert.deepEqual(early, [], 'no terminal event from forged messages');
    const notes = await page.evaluate(() =>
      window.demoEvents.filter((e) => e.type === 'weavz:connect-event' && e.detail.level === 'debug').map((e) => e.detail),
    );
    const span = notes[notes.length - 1].at - notes[0].at;
    assert.ok(notes.length <= Math.floor(span / 1000) + 2, `one note a second over ${span} ms: ${JSON.stringify(notes)}`);
    assert.ok(notes.length <= 20, `a handful of notes: ${JSON.stringify(notes)}`);
    assert.ok(origins.includes(notes.find((n) => n.name === 'rejected_origin').origin), JSON.stringify(notes));
    assert.equal(await page.evaluate(() => window.countRejected()), 254, 'each foreign message rejected once');

    await popup.click('button[value="approve"]');
    const event = await terminal(page, 'github');
    assert.equal(event.type, 'weavz:connection-created');
    assert.notEqual(event.detail.connectionId, 'forged-connection');
    assert.equal(event.detail.session, undefined, 'no session endpoint, no session');
    const { body } = await sandbox.api('GET', `/connections?id=${event.detail.connectionId}`);
    assert.equal(body.connection.integrationName, 'github');
    await page.close();
    await attackerPage.close();
  });

  it('HTML and script payloads in names and error texts render as text', async () => {
    const page = await demoPage();
    const evil = '<img src=x onerror="window.__p=1">';
    const evilName = '"><svg onload="window.__p=2">';
    const evilIntegration = '<img src=x onerror="window.__p=3">';
    // An error text that carries markup: the backend echoes the unknown integration name.
    const broken = await addElement(page, {
      integration: evilIntegration,
      id: 'evil-error',
      'display-name': evil,
      'token-endpoint': '/api/connect-token',
      'session-endpoint': '/api/connect-session',
    });
    assert.equal(await broken.evaluate((b) => b.textContent), `Connect ${evil}`);
    await broken.click();
    const error = await until(page, () => window.demoEvents.find((e) => e.type === 'weavz:connect-error'));
    assert.equal(error.detail.code, 'network');
    assert.ok(error.detail.message.includes(evilIntegration), error.detail.message);
    const status = await page.evaluate(
      () => document.getElementById('evil-error').shadowRoot.querySelector('[role=status]').textContent,
    );
    assert.equal(status, `Could not connect: ${error.detail.message}`);
    // A connection name with markup, shown in the host's list.
    const named = await addElement(page, {
      integration: 'openai',
      id: 'evil-name',
      'token-endpoint': '/api/connect-token',
      'session-endpoint': '/api/connect-session',
      'token-params': JSON.stringify({ connectionName: evilName, externalId: 'evil-user' }),
    });
    const popupPromise = nextPopup(page);
    await named.click();
    const popup = await popupPromise;
    await popup.waitForSelector('input[name="secretText"]');
    await popup.type('input[name="secretText"]', 'sk-evil-0123456789abcdef');
    await popup.click('button[type="submit"]');
    const created = await until(page, () => window.demoEvents.find((e) => e.type === 'weavz:connection-created'));
    await expectListed(page, created.detail.connectionId);
    const cell = await page.$eval(`tr[data-connection-id="${created.detail.connectionId}"] td`, (td) => td.textContent);
    assert.equal(cell, evilName);
    const executed = await page.evaluate(() => ({
      ran: window.__p !== undefined,
      images: document.querySelectorAll('img').length,
      shadowImages: [...document.querySelectorAll('weavz-connect')].reduce(
        (n, el) => n + (el.shadowRoot ? el.shadowRoot.querySelectorAll('img, svg').length : 0),
        0,
      ),
    }));
    assert.deepEqual(executed, { ran: false, images: 0, shadowImages: 0 });
    await done(page);
  });
});
