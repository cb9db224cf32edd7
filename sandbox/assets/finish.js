// Reports the end of a hosted connect flow. The server renders the result and the exact
// origins to post to into #weavz-result; nothing here is taken from the URL.
(function () {
  'use strict';
  var el = document.getElementById('weavz-result');
  if (!el) return;
  var cfg;
  try {
    cfg = JSON.parse(el.textContent);
  } catch (e) {
    return;
  }
  // Codes, states and tokens leave the address bar and the history entry.
  try {
    history.replaceState(null, '', location.pathname);
  } catch (e) {
    /* not fatal */
  }
  var opener = null;
  try {
    opener = window.opener;
  } catch (e) {
    opener = null;
  }
  if (opener && !opener.closed) {
    // One message per allowed origin, each with an exact targetOrigin: the browser drops
    // every copy whose origin is not the opener's. Never a wildcard.
    (cfg.targets || []).forEach(function (origin) {
      try {
        opener.postMessage(cfg.message, origin);
      } catch (e) {
        /* a malformed origin must not stop the others */
      }
    });
    setTimeout(function () {
      window.close();
    }, cfg.closeDelayMs || 0);
    return;
  }
  if (cfg.redirect) {
    // Redirect mode: back to the app, which confirms the result through its backend.
    window.location.replace(cfg.redirect);
    return;
  }
  var hint = document.getElementById('close-hint');
  if (hint) hint.textContent = 'You can close this window now.';
})();
