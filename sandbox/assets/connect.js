// Runs first on every hosted page of the connect origin (forms, the OAuth interstitial,
// the portal, error and finish pages). Two jobs:
//  1. Tokens, codes and states leave the address bar and this history entry.
//  2. The window's record of the connect session it was opened for, kept in this
//     window's sessionStorage on this origin. A page for another session (a hostile page
//     earlier in the popup chain sending the window to its own connect link) is stopped
//     here, and finish.js reports only a session this window owns. A portal window owns
//     the sessions its portal starts.
// It also reads the page's config (weavz-page), and finish.js reads its own (weavz-result)
// through window.weavzHosted.config.
(function () {
  'use strict';
  var KEY = 'weavz-connect:window';

  try {
    if (location.search) history.replaceState(history.state, '', location.pathname + location.hash);
  } catch (e) {
    /* not fatal */
  }

  var storage = null;
  try {
    storage = window.sessionStorage;
    storage.getItem(KEY);
  } catch (e) {
    storage = null;
  }

  function read() {
    if (!storage) return null;
    try {
      var record = JSON.parse(storage.getItem(KEY));
      return record && typeof record === 'object' ? record : null;
    } catch (e) {
      return null;
    }
  }

  function write(record) {
    if (!storage) return;
    try {
      storage.setItem(KEY, JSON.stringify(record));
    } catch (e) {
      /* full or disabled: nothing to keep */
    }
  }

  function clear() {
    if (!storage) return;
    try {
      storage.removeItem(KEY);
    } catch (e) {
      /* nothing to clear */
    }
  }

  // Whether `record` covers `who` ({session, portal}).
  function covers(record, who) {
    if (!record || !who) return false;
    if (who.session && record.session === who.session) return true;
    return !!(who.portal && record.portal === who.portal);
  }

  // Replaces the page's content with an explanation (text only, never HTML).
  function stop(heading, text) {
    var main = document.querySelector('main');
    if (!main) return;
    while (main.firstChild) main.removeChild(main.firstChild);
    var h1 = document.createElement('h1');
    h1.textContent = heading;
    var why = document.createElement('p');
    why.className = 'error';
    why.setAttribute('role', 'alert');
    why.textContent = text;
    var next = document.createElement('p');
    next.className = 'muted';
    next.textContent = 'Close this window and start again from the app.';
    main.appendChild(h1);
    main.appendChild(why);
    main.appendChild(next);
    document.title = heading;
  }

  function referrerOrigin() {
    try {
      return document.referrer ? new URL(document.referrer).origin : '';
    } catch (e) {
      return '';
    }
  }

  // The JSON the server rendered into the page's <script type="application/json" id=…>
  // (weavz-page here, weavz-result for finish.js); null if absent or unreadable.
  function config(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    try {
      return JSON.parse(el.textContent);
    } catch (e) {
      return null;
    }
  }

  window.weavzHosted = Object.freeze({
    // Whether this window may report for `who`. Without storage (turned off by the user)
    // there is no record to compare: the server's browser binding is then the only check.
    owns: function (who) {
      return !storage || covers(read(), who);
    },
    clear: clear,
    stop: stop,
    config: config,
  });

  var cfg = config('weavz-page');
  if (!cfg) return;
  var record = read();
  // A page the app itself navigated to (the widget's popup, or its redirect mode in the
  // same tab) starts a new record, replacing any left by an abandoned flow. The connect
  // origin's own pages send no referrer, and a page of another origin cannot pose as
  // the app.
  var fromApp = (cfg.appOrigins || []).indexOf(referrerOrigin()) >= 0;
  if (!record || fromApp) {
    write(cfg.session ? { session: cfg.session } : { portal: cfg.portal });
  } else if (!covers(record, cfg)) {
    stop(
      'This window is busy with another connection',
      'This page belongs to a different connection from the one this window was opened for, so it was stopped. Nothing was saved.'
    );
    return;
  }
  if (cfg.next) window.location.replace(cfg.next);
})();
