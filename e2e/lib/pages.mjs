// Host pages of the tests' own, served next to the demo (see widget-env.mjs).

/** A host page without the widget: the tab can land there and keep its sessionStorage. */
export const BLANK_PAGE = '<!doctype html><meta charset="utf-8"><title>no widget</title><p>No widget here.</p>';

/** A hash-routed app: the router reads location.hash at startup (a deferred script, before
 *  the widget's module has loaded) and follows hashchange and popstate, as hash routers do. */
export const ROUTER_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hash-routed app</title>
<script src="./router.js" defer></script>
<script type="module" src="./weavz-connect.js"></script></head>
<body><nav><a href="#/home">Home</a> <a href="#/settings">Settings</a></nav>
<main id="view"></main>
<weavz-connect integration="openai" display-name="OpenAI" mode="redirect" token-endpoint="/api/connect-token"
  session-endpoint="/api/connect-session" token-params='{"externalId":"hash-router"}'></weavz-connect>
</body></html>`;
export const ROUTER_JS = `'use strict';
window.routerLog = [];
function route(cause) {
  var name = location.hash.replace(/^#\\/?/, '') || 'home';
  window.routerLog.push({ cause: cause, hash: location.hash, historyLength: history.length });
  var view = document.getElementById('view');
  view.dataset.route = name;
  view.textContent = 'Route: ' + name;
}
addEventListener('hashchange', function () { route('hashchange'); });
addEventListener('popstate', function () { route('popstate'); });
route('startup');
`;

/** The hash-routed test app is ready: widget loaded, router started. */
export async function routerReady(page) {
  await page.waitForFunction(() => window.WeavzConnect && customElements.get('weavz-connect') && window.routerLog, {
    timeout: 15000,
  });
}
