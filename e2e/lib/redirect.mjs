// Helpers for redirect-mode tests, where the tab itself goes to the connect page and back:
// a terminal-event record that survives navigations, the pending flows of the tab, and
// waits for navigations puppeteer may not report.
import { demoReady, collectErrors, TERMINAL } from './demo.mjs';
import { sleep, urlUntil } from './browser.mjs';

/** Makes every document of `host` that the page loads record its terminal events in
 *  sessionStorage (`e2e-terminal`), so a test can count them over reloads, redirects and
 *  Back. */
export async function recordTerminals(page, host) {
  await page.evaluateOnNewDocument(
    (origin, kinds) => {
      if (location.origin !== origin) return;
      for (const kind of kinds) {
        window.addEventListener(kind, (e) => {
          const list = JSON.parse(sessionStorage.getItem('e2e-terminal') || '[]');
          list.push({ type: e.type, detail: e.detail });
          sessionStorage.setItem('e2e-terminal', JSON.stringify(list));
        });
      }
    },
    host,
    TERMINAL,
  );
}

/** Makes every document the page loads log its CSP violations (`window.cspViolations`) and
 *  its pageshow events (`window.e2ePageshows`: `persisted`, i.e. shown again from the
 *  back/forward cache); with `blockPopups`, window.open gives nothing, as under a popup
 *  blocker. */
export async function watchDocuments(page, { blockPopups = false } = {}) {
  await page.evaluateOnNewDocument((block) => {
    if (block) window.open = () => null;
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
    window.e2ePageshows = [];
    addEventListener('pageshow', (e) => window.e2ePageshows.push(e.persisted));
  }, blockPopups);
}

/**
 * A new page of `browser` at `host` + `path` whose documents record their terminal events
 * (`recordTerminals`); with `watch` (the default) also `watchDocuments(page, { blockPopups })`.
 * Resolves once `ready(page)` has.
 */
export async function recordingPage(browser, host, { path = '/', blockPopups = false, watch = true, ready = demoReady } = {}) {
  const page = await browser.newPage();
  collectErrors(page);
  if (watch) await watchDocuments(page, { blockPopups });
  await recordTerminals(page, host);
  await page.goto(host + path, { waitUntil: 'load' });
  await ready(page);
  return page;
}

/** The terminal events the tab's documents recorded (read on a host-origin page). */
export const recorded = (page) => page.evaluate(() => JSON.parse(sessionStorage.getItem('e2e-terminal') || '[]'));

/** The sessionStorage keys of the tab's pending redirect-mode flows. */
export const pendingKeys = (page) =>
  page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('weavz-connect:pending:')));

/** The tab's pending redirect-mode flow ids (read on a host-origin page). */
export const pendingIds = async (page) => (await pendingKeys(page)).map((k) => k.slice('weavz-connect:pending:'.length));

/** Clicks and waits for the page itself to reach `connectOrigin`. */
export async function leaveFor(page, clickable, connectOrigin) {
  await clickable.click();
  // Polled rather than waitForNavigation: after a back/forward-cache restore, Firefox's
  // BiDi does not report the next navigation to puppeteer.
  await urlUntil(page, (u) => u.origin === connectOrigin, 'the page did not go to the connect page', 15000);
}

/** Waits until the page is back on `host` and `ready(page)`. */
export async function backOnHost(page, host, { ready = demoReady } = {}) {
  await urlUntil(page, (u) => u.origin === host, 'not back on the host page');
  await ready(page);
}

/** Fills the hosted API-key form in the page itself and waits to be back on `host`. */
export async function finishOnConnectPage(page, host, secret, { ready = demoReady } = {}) {
  await page.waitForSelector('input[name="secretText"]');
  await page.type('input[name="secretText"]', secret);
  await page.click('button[type="submit"]');
  await backOnHost(page, host, { ready });
}

/** history.back(), then waits for the URL to change (a page restored from the
 *  back/forward cache fires no load event, so waiting for one could hang). */
export async function back(page) {
  const href = () => page.evaluate(() => location.href).catch(() => null);
  const before = await href();
  // From a task of its own: the script that asks for it returns before the page goes
  // (WebKitWebDriver has hung on a script whose page navigated before it answered).
  await page.evaluate(() => {
    setTimeout(() => history.back(), 0);
  });
  const deadline = Date.now() + 15000;
  for (;;) {
    const now = await href();
    if (now && now !== before) break;
    if (Date.now() > deadline) throw new Error(`Back did not leave ${before} (the browser says ${await page.url()})`);
    await sleep(50);
  }
  await sleep(300);
}

/** A return URL to `host` as an attacker would craft it: success, for `flow`, with a
 *  made-up connection id. */
export const forgedReturn = (host, flow, integration, externalId) =>
  `${host}/?weavz_flow=${flow}&weavz_status=success&weavz_connection_id=forged-connection` +
  `&weavz_integration=${integration}&weavz_external_id=${externalId}#integrations`;
