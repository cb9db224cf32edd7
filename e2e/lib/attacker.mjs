// A server on its own loopback origin playing the attacker: a page that holds a handle to
// the host window, and a frame the test puts inside the host page, both posting
// well-formed but forged `weavz-connect-result` successes; and a page that sends a popup
// on with the attacker's own token, code or state (swap.html).
import http from 'node:http';

const forged = JSON.stringify({
  type: 'weavz-connect-result',
  status: 'success',
  connectionId: 'forged-connection',
  integrationName: 'slack',
  externalId: 'demo-user',
});

const pages = {
  '/attacker.html': `<!doctype html><title>attacker</title>
<button id="open">open host</button>
<script src="/attacker.js"></script>`,
  '/attacker.js': `
    window.hostWindow = null;
    document.getElementById('open').addEventListener('click', function () {
      window.hostWindow = window.open(new URLSearchParams(location.search).get('host'), 'host');
    });
    window.forge = function (n) {
      for (var i = 0; i < n; i++) window.hostWindow.postMessage(${forged}, '*');
    };`,
  // A hostile page in the popup chain (it stands in for a provider gone bad): it sends the
  // window on with the attacker's own material. ?action=submit posts `fields` (JSON) to
  // `to` as a form; anything else navigates to `to`.
  '/swap.html': `<!doctype html><title>provider</title><p>Loading…</p><script src="/swap.js"></script>`,
  '/swap.js': `
    (function () {
      var q = new URLSearchParams(location.search);
      var to = q.get('to');
      if (q.get('action') !== 'submit') {
        location.replace(to);
        return;
      }
      var form = document.createElement('form');
      form.method = 'post';
      form.action = to;
      var fields = JSON.parse(q.get('fields') || '{}');
      Object.keys(fields).forEach(function (name) {
        var input = document.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = fields[name];
        form.appendChild(input);
      });
      document.body.appendChild(form);
      form.submit();
    })();`,
  '/frame.html': `<!doctype html><title>frame</title><script src="/frame.js"></script>`,
  '/frame.js': `
    window.addEventListener('message', function (e) {
      if (e.data === 'forge') {
        for (var i = 0; i < 50; i++) parent.postMessage(${forged}, '*');
        parent.postMessage('forged', '*');
      }
    });
    parent.postMessage('frame-ready', '*');`,
};

/** Serves the attacker pages on `host:port` (port 0: any free one). */
export async function startAttacker(host = '127.0.0.1', port = 0) {
  const server = http.createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const body = pages[path];
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(body);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const origin = `http://${host}:${server.address().port}`;
  return {
    origin,
    port: server.address().port,
    stop: () => new Promise((r) => server.close(r)),
  };
}
