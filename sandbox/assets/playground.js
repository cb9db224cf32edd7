// The sandbox playground: a host page that runs the hosted connect flow with plain
// JavaScript, the way the SDK's popup helper does, and logs what arrives. Browser tests
// read window.weavzMessages; people read the list on the page.
(function () {
  'use strict';
  var log = document.getElementById('log');
  var status = document.getElementById('status');
  var knobs = document.getElementById('knobs');
  var flows = [];
  window.weavzMessages = [];
  window.weavzPolls = [];

  function show(text) {
    status.textContent = text;
  }

  function append(text) {
    var li = document.createElement('li');
    li.textContent = text;
    log.appendChild(li);
  }

  function plain(value) {
    try {
      return JSON.parse(JSON.stringify(value));
    } catch (e) {
      return String(value);
    }
  }

  window.addEventListener('message', function (event) {
    var flow = null;
    flows.forEach(function (f) {
      if (event.source === f.popup) flow = f;
    });
    var entry = { origin: event.origin, data: plain(event.data), fromPopup: flow !== null };
    window.weavzMessages.push(entry);
    append(event.origin + ' ' + JSON.stringify(entry.data));
    var data = event.data;
    if (!flow || event.origin !== flow.origin || !data || data.type !== 'weavz-connect-result') return;
    if (flow.done) return;
    flow.done = true;
    show(data.status === 'success' ? 'Connected ' + data.integrationName + ': ' + data.connectionId : 'Failed: ' + data.error);
    // Confirm through the host backend, the source of truth.
    fetch('/api/connect-session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: flow.token })
    })
      .then(function (r) {
        return r.json();
      })
      .then(function (body) {
        window.weavzPolls.push(body);
        append('session: ' + JSON.stringify(body));
      });
  });

  function start(integration) {
    var extra;
    try {
      extra = JSON.parse(knobs.value || '{}');
    } catch (e) {
      show('The knobs are not valid JSON.');
      return;
    }
    // Open inside the click, before any await, then navigate once the token is there.
    var w = 500;
    var h = 600;
    var left = window.screenX + Math.max(0, (window.outerWidth - w) / 2);
    var top = window.screenY + Math.max(0, (window.outerHeight - h) / 2);
    var name = 'weavz-' + Math.random().toString(36).slice(2);
    var popup = window.open('about:blank', name, 'popup=yes,width=' + w + ',height=' + h + ',left=' + left + ',top=' + top);
    if (!popup) {
      show('The popup was blocked.');
      return;
    }
    show('Opening ' + integration + '…');
    fetch('/api/connect-token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ integrationName: integration, sandbox: extra })
    })
      .then(function (r) {
        return r.json().then(function (body) {
          return { ok: r.ok, body: body };
        });
      })
      .then(function (res) {
        if (!res.ok) {
          popup.close();
          show('Could not start: ' + res.body.error + ' (' + res.body.code + ')');
          return;
        }
        flows.push({ popup: popup, origin: new URL(res.body.connectUrl).origin, token: res.body.token, done: false });
        popup.location.href = res.body.connectUrl;
        show('Finish connecting in the popup window.');
      })
      .catch(function (e) {
        popup.close();
        show('Could not start: ' + e);
      });
  }

  Array.prototype.forEach.call(document.querySelectorAll('button[data-integration]'), function (button) {
    button.addEventListener('click', function () {
      start(button.getAttribute('data-integration'));
    });
  });
})();
