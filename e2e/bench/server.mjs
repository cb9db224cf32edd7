// The benchmark's own loopback servers: a host origin serving the built packages, the
// anchor bundles and generated test pages, and a connect origin whose stub "hosted page"
// posts a `weavz-connect-result` success to its opener as soon as it loads (no forms, no
// session: the widget's own work is what is timed).
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';

const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

function page(scripts, body = '') {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bench</title><link rel="icon" href="data:,">
${scripts}</head><body>${body}</body></html>`;
}

/** The probe (a classic script, so it runs before any module) then the thing measured. */
function readyPage(kind) {
  const probe = '<script src="/bench/probe.js"></script>';
  if (kind === 'baseline') return page(`${probe}\n<script type="module" src="/bench/baseline.js"></script>`);
  if (kind.startsWith('anchor-')) {
    return page(`${probe}\n<script type="module" src="/anchors/${kind.slice(7)}.loader.js"></script>`);
  }
  return page(`${probe}\n<script type="module" src="/pkg/${kind}/weavz-connect.js"></script>`);
}

// Stamped in the popup right before postMessage, on the shared clock
// (performance.timeOrigin + performance.now()).
const STUB_JS = `
const q = new URLSearchParams(location.search);
const token = q.get('token');
const sentAt = performance.timeOrigin + performance.now();
opener.postMessage({
  type: 'weavz-connect-result', status: 'success', connectionId: 'conn_' + token,
  integrationName: 'bench', externalId: 'bench-user', benchSentAt: sentAt,
}, q.get('host'));
`;

// The flood's sender, opened on another site (localhost, not 127.0.0.1) so that it runs
// in a process of its own: its sending costs the page under test nothing, only receiving
// does. `small` tiny forged results, or `large` of about 2 MB each, in batches of one task
// each; then it closes itself (the page learns it is done without reading any message).
const FLOOD_JS = `
const q = new URLSearchParams(location.search);
const host = q.get('host');
const forged = { type: 'weavz-connect-result', status: 'success', connectionId: 'forged', integrationName: 'x', externalId: 'y' };
const tick = () => new Promise((r) => setTimeout(r, 0));
(async () => {
  for (let i = 0; i < Number(q.get('small') || 0); i += 250) {
    for (let j = 0; j < 250; j++) opener.postMessage(forged, host);
    await tick();
  }
  if (q.get('large')) {
    const big = { ...forged, rows: Array.from({ length: 40000 }, (_, i) => ({ i, name: 'row-' + i + '-padding-text' })) };
    for (let i = 0; i < Number(q.get('large')); i++) {
      opener.postMessage(big, host);
      await tick();
    }
  }
  window.close();
})();
`;

/**
 * Starts both servers on 127.0.0.1 (free ports). `pkgDir`: target/pkg (core/, full/);
 * `anchorsDir`: the anchor bundles (<slug>.js).
 */
export async function startBenchServers({ pkgDir, anchorsDir, pagesDir }) {
  const listen = (server) =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`));
    });

  const connect = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/connect') {
      res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' });
      res.end(page('<script src="/stub.js"></script>'));
    } else if (url.pathname === '/flood') {
      res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' });
      res.end(page('<script src="/flood.js"></script>'));
    } else if (url.pathname === '/flood.js') {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' });
      res.end(FLOOD_JS);
    } else if (url.pathname === '/stub.js') {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'max-age=3600' });
      res.end(STUB_JS);
    } else {
      res.writeHead(404).end();
    }
  });
  const connectOrigin = await listen(connect);

  let tokens = 0;
  const host = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const p = url.pathname;
    const send = (status, type, body, cache = 'no-store') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': cache });
      res.end(body);
    };
    if (p.startsWith('/ready/')) return send(200, 'text/html', readyPage(p.slice(7)));
    if (p === '/api/connect-token' && req.method === 'POST') {
      req.resume();
      const token = `cst_bench_el_${++tokens}`;
      return send(
        200,
        'application/json',
        JSON.stringify({
          token,
          connectUrl: `${connectOrigin}/connect?token=${token}&host=${encodeURIComponent(hostOrigin)}`,
          expiresAt: new Date(Date.now() + 600000).toISOString(),
        }),
      );
    }
    const anchorLoader = /^\/anchors\/([a-z0-9-]+)\.loader\.js$/.exec(p);
    if (anchorLoader) {
      const slug = anchorLoader[1];
      return send(
        200,
        'text/javascript',
        `import * as lib from './${slug}.js';\nwindow.benchAnchor = lib;\ndispatchEvent(new Event('anchor:ready'));\n`,
        'max-age=3600',
      );
    }
    const roots = [
      ['/pkg/', pkgDir],
      ['/anchors/', anchorsDir],
      ['/bench/', pagesDir],
    ];
    for (const [prefix, dir] of roots) {
      if (!p.startsWith(prefix)) continue;
      const file = path.resolve(dir, '.' + p.slice(prefix.length - 1));
      if (!file.startsWith(path.resolve(dir) + path.sep)) return send(403, 'text/plain', 'no');
      try {
        const body = await fs.readFile(file);
        return send(200, TYPES[path.extname(file)] || 'application/octet-stream', body, 'max-age=3600');
      } catch {
        return send(404, 'text/plain', 'not found');
      }
    }
    if (p === '/blank.html') return send(200, 'text/html', page(''));
    return send(404, 'text/plain', 'not found');
  });
  const hostOrigin = await listen(host);

  return {
    host: hostOrigin,
    connect: connectOrigin,
    /** A connect URL on the stub origin that reports success for `token` to the host. */
    connectUrl: (token) => `${connectOrigin}/connect?token=${token}&host=${encodeURIComponent(hostOrigin)}`,
    stop: () =>
      Promise.all(
        [host, connect].map(
          (s) =>
            new Promise((r) => {
              s.closeAllConnections();
              s.close(r);
            }),
        ),
      ),
  };
}
