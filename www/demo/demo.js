// The demo page's own script: it logs every widget event and shows the host's
// connections. It never touches the widget's internals.
(function () {
  'use strict';
  var EVENTS = ['weavz:connection-created', 'weavz:connect-error', 'weavz:connect-cancelled', 'weavz:connect-event'];
  window.demoEvents = [];

  function ready(fn) {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fn);
    else fn();
  }

  ready(function () {
    var log = document.getElementById('events');
    var table = document.getElementById('connections');
    var empty = document.getElementById('connections-empty');

    function logEvent(event) {
      var source = event.target && event.target.getAttribute ? event.target.getAttribute('integration') : null;
      var entry = { type: event.type, integration: source, detail: JSON.parse(JSON.stringify(event.detail)) };
      window.demoEvents.push(entry);
      var li = document.createElement('li');
      li.className = event.type.replace(':', '-');
      var name = document.createElement('strong');
      name.textContent = event.type + (source ? ' (' + source + ')' : '');
      var code = document.createElement('code');
      code.textContent = JSON.stringify(entry.detail);
      li.appendChild(name);
      li.appendChild(document.createTextNode(' '));
      li.appendChild(code);
      log.insertBefore(li, log.firstChild);
    }

    function cell(row, text) {
      var td = document.createElement('td');
      td.textContent = text;
      row.appendChild(td);
    }

    function refreshConnections() {
      return fetch('/api/connections', { headers: { accept: 'application/json' } })
        .then(function (r) {
          return r.json();
        })
        .then(function (body) {
          var list = (body && body.connections) || [];
          var tbody = table.tBodies[0];
          tbody.textContent = '';
          list.forEach(function (c) {
            var row = document.createElement('tr');
            row.setAttribute('data-connection-id', c.id);
            cell(row, c.displayName);
            cell(row, c.integrationName);
            cell(row, c.type);
            cell(row, c.id);
            tbody.appendChild(row);
          });
          table.hidden = list.length === 0;
          empty.hidden = list.length > 0;
        })
        .catch(function () {
          empty.textContent = 'The connections could not be loaded.';
        });
    }

    // The mode picker: applied to every element (before the widget loads, so nothing
    // re-renders) and kept across the redirect in localStorage.
    var picker = document.getElementById('mode');
    function applyMode(mode) {
      document.querySelectorAll('weavz-connect').forEach(function (el) {
        if (mode === 'popup') el.removeAttribute('mode');
        else el.setAttribute('mode', mode);
      });
    }
    var savedMode = null;
    try {
      savedMode = localStorage.getItem('weavz-demo-mode');
    } catch (e) {
      savedMode = null;
    }
    if (picker) {
      if (savedMode === 'redirect' || savedMode === 'auto') {
        picker.value = savedMode;
        applyMode(savedMode);
      }
      picker.addEventListener('change', function () {
        applyMode(picker.value);
        try {
          localStorage.setItem('weavz-demo-mode', picker.value);
        } catch (e) {
          /* storage unavailable: the choice lasts until the page changes */
        }
      });
    }

    // The end-user picker of the multi-tenant section: the panel re-renders for them.
    var endUser = document.getElementById('end-user');
    var tenantPanel = document.getElementById('tenant-panel');
    if (endUser && tenantPanel) {
      endUser.addEventListener('change', function () {
        tenantPanel.setAttribute('end-user', endUser.value);
      });
    }

    EVENTS.forEach(function (type) {
      document.addEventListener(type, logEvent);
    });
    document.addEventListener('weavz:connection-created', refreshConnections);
    refreshConnections();
  });

  // Under `trunk serve`, Trunk loads the WASM; define the element once it has.
  addEventListener('TrunkApplicationStarted', function () {
    if (!window.WeavzConnect && window.wasmBindings && window.wasmBindings.install) window.wasmBindings.install();
  });
})();
