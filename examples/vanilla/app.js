// The page's own script: no inline script, so the strictest CSP works. The widget's events
// bubble (out of its shadow root) up to the document.
const status = document.getElementById('status');
const log = document.getElementById('events');

function show(event) {
  const li = document.createElement('li');
  li.dataset.type = event.type;
  li.textContent = `${event.type} ${JSON.stringify(event.detail)}`;
  log.appendChild(li);
}

window.addEventListener('weavz:ready', () => {
  status.textContent = 'Ready.';
});
window.addEventListener('weavz:load-error', (e) => {
  status.textContent = `The widget could not be loaded: ${e.detail.message}`;
});
for (const type of ['weavz:connection-created', 'weavz:connect-error', 'weavz:connect-cancelled']) {
  document.addEventListener(type, show);
}
document.addEventListener('weavz:connection-created', (e) => {
  status.textContent = `Connected: ${e.detail.connectionId}`;
});
