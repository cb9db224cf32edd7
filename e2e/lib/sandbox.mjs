// Starts the real weavz-sandbox binary on port 0 (in a process group of its own: see
// process.mjs) and stops it again.
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

import { startGroup } from './process.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const defaultBin = path.resolve(here, '../../target/debug/weavz-sandbox');
/** The built demo site (cargo xtask build), served on the host origin. */
export const demoDir = process.env.WEAVZ_DEMO_DIR || path.resolve(here, '../../target/demo');

/** Starts a sandbox; resolves once it has printed its URLs. */
export async function startSandbox(extraArgs = []) {
  const bin = process.env.WEAVZ_SANDBOX_BIN || defaultBin;
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('WEAVZ_')) delete env[k];
  const child = startGroup(bin, ['--host-port', '0', '--connect-port', '0', '--provider-port', '0', ...extraArgs], env, {
    stderr: 'inherit',
  });
  let early;
  const banner = await new Promise((resolve, reject) => {
    const found = {};
    const lines = createInterface({ input: child.stdout });
    child.once('error', reject);
    child.once('exit', (early = () => reject(new Error(`weavz-sandbox (${bin}) exited before it printed its URLs`))));
    lines.on('line', (line) => {
      const i = line.indexOf(': ');
      if (i > 0) found[line.slice(0, i)] = line.slice(i + 2);
      if (found.workspace) resolve(found);
    });
  });
  child.off('exit', early);
  return {
    host: banner.host,
    connect: banner.connect,
    provider: banner.provider,
    apiKey: banner['api key'],
    /** The demo host backend's workspace: its /api/connections lists this one's. */
    workspaceId: banner.workspace,
    /** Calls the connect API with the sandbox key. */
    async api(method, apiPath, body) {
      const res = await fetch(`${banner.connect}/api/v1${apiPath}`, {
        method,
        headers: { authorization: `Bearer ${banner['api key']}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    },
    stop: () => child.stop(),
  };
}
