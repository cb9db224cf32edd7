// A server on its own loopback origin playing the attacker: a page that holds a handle to
// the host window, and a frame the test puts inside the host page. Both post well-formed
// but forged `weavz-connect-result` successes.
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
