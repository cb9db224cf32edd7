// weavz-connect's headless core from npm: the JS API, no Leptos, no custom element.
import { ready, open } from 'weavz-connect/core';
// esbuild's `file` loader copies the .wasm next to the bundle and gives its URL.
import wasm from 'weavz-connect/core.wasm';

const button = document.getElementById('connect');
const status = document.getElementById('status');
const log = document.getElementById('events');

// Preload at page load, so that the first click can open the popup at once.
ready({ wasm }).then(
  () => {
    button.disabled = false;
    status.textContent = 'Ready.';
  },
  (err) => {
    status.textContent = err.message;
  },
);

button.addEventListener('click', () => {
  // Synchronously inside the click: open() opens the popup before it returns.
  open({ integration: 'slack', tokenEndpoint: '/api/connect-token', sessionEndpoint: '/api/connect-session' })
    .then((connection) => {
      status.textContent = `Connected: ${connection.connectionId}`;
    })
    .catch((err) => {
      status.textContent = `${err.code}: ${err.message}`;
    });
});

// The same outcome as a DOM event on document (for code that did not start the flow).
for (const type of ['weavz:connection-created', 'weavz:connect-error', 'weavz:connect-cancelled']) {
  document.addEventListener(type, (event) => {
    const li = document.createElement('li');
    li.dataset.type = event.type;
    li.textContent = JSON.stringify(event.detail);
    log.appendChild(li);
  });
}
