// Reports the end of a hosted connect flow. The server renders the result and the exact
// origins to post to into #weavz-result; nothing here is taken from the URL. connect.js
// (loaded first) has already stripped the query from the address bar, and gives this
// script window.weavzHosted: the page config reader and the window's record.
(function () {
  'use strict';
  var hosted = window.weavzHosted;
  if (!hosted) return;
  var cfg = hosted.config('weavz-result');
  if (!cfg) return;
  // Only the window this session (or its portal) was opened in reports it: a finish page
  // reached in a window opened for another connection posts nothing and goes nowhere.
  if (!hosted.owns(cfg.window)) {
    hosted.stop(
      'This result was not sent to the app',
      'This window was opened for a different connection, so this result was not sent to the app and the window does not go back to it.'
    );
    return;
  }
  // The flow is over: a later flow in this tab (redirect mode) starts a new record.
  hosted.clear();
  if (cfg.redirect) {
    // Redirect mode wins over any opener: back to the app, which confirms the result
    // through its backend.
    window.location.replace(cfg.redirect);
    return;
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
  var hint = document.getElementById('close-hint');
  if (hint) hint.textContent = 'You can close this window now.';
})();
