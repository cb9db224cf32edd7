// The packed npm tarball from `cargo xtask dist`, installed from the file into a clean
// project: what it contains, and that importing it in Node (as server-side rendering does)
// succeeds without side effects and without touching `window`.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { cleanup, installTarball, repoRoot, sh, tarball, tempDir } from '../lib/dist.mjs';

const FULL_EXPORTS = ['activeFlows', 'defineElement', 'init', 'install', 'isReady', 'open', 'ready', 'resume', 'version'];
const CORE_EXPORTS = ['activeFlows', 'init', 'install', 'isReady', 'open', 'ready', 'resume', 'version'];

describe('npm package (packed tarball)', () => {
  let project;
  let pkg;

  before(async () => {
    project = await tempDir('npm-clean');
    await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'clean-project', private: true, type: 'module' }));
    await installTarball(project);
    pkg = JSON.parse(await readFile(path.join(project, 'node_modules/weavz-connect/package.json'), 'utf8'));
  });

  after(() => cleanup(project));

  it('prints its exports: node -e "import(\'weavz-connect\')…"', async () => {
    const out = await sh('node', ['-e', "import('weavz-connect').then(m => console.log(Object.keys(m)))"], { cwd: project });
    const printed = [...out.matchAll(/'([A-Za-z]+)'/g)].map((m) => m[1]);
    assert.deepEqual(printed, FULL_EXPORTS, out);
  });

  it('imports in Node without touching window, document or customElements', async () => {
    // Every browser global the widget uses throws when read; both entries must import, and
    // then answer without loading anything.
    const script = `
      const touched = [];
      for (const name of ['window', 'document', 'customElements', 'location', 'self', 'HTMLElement']) {
        Object.defineProperty(globalThis, name, { configurable: true, get() { touched.push(name); throw new Error(name + ' read at import'); } });
      }
      const full = await import('weavz-connect');
      const core = await import('weavz-connect/core');
      const panel = await import('weavz-connect/panel');
      for (const name of ['window', 'document', 'customElements', 'location', 'self', 'HTMLElement']) delete globalThis[name];
      const err = await core.open({ integration: 'slack', tokenEndpoint: '/api/connect-token' }).then(() => null, (e) => e);
      console.log(JSON.stringify({
        touched, full: Object.keys(full), core: Object.keys(core), panel: Object.keys(panel),
        ready: [full.isReady(), core.isReady()], flows: [full.activeFlows(), core.activeFlows()],
        version: full.version, code: err && err.code, retryable: err && err.retryable, message: err && err.message,
      }));
    `;
    const result = JSON.parse(await sh('node', ['--input-type=module', '-e', script], { cwd: project }));
    assert.deepEqual(result.touched, [], 'no browser global read at import');
    assert.deepEqual(result.full, FULL_EXPORTS);
    assert.deepEqual(result.core, CORE_EXPORTS);
    assert.deepEqual(result.panel, FULL_EXPORTS, 'the panel entry has the full API');
    assert.deepEqual(result.ready, [false, false]);
    assert.deepEqual(result.flows, [0, 0]);
    assert.equal(result.version, pkg.version);
    assert.equal(result.code, 'not_ready', 'open() before ready() rejects');
    assert.equal(result.retryable, true);
    assert.match(result.message, /Call ready\(\) when the page loads/);
  });

  it('declares exports, types, sideEffects and files', async () => {
    assert.equal(pkg.name, 'weavz-connect');
    assert.equal(pkg.type, 'module');
    assert.equal(pkg.sideEffects, false);
    assert.equal(pkg.types, './index.d.ts');
    assert.deepEqual(pkg.exports['.'], { types: './index.d.ts', default: './index.js' });
    assert.deepEqual(pkg.exports['./core'], { types: './core.d.ts', default: './core.js' });
    assert.deepEqual(pkg.exports['./panel'], { types: './panel.d.ts', default: './panel.js' });
    assert.equal(pkg.exports['./panel.wasm'], './wasm/panel/weavz_connect_bg.wasm');
    assert.equal(pkg.exports['./full.wasm'], './wasm/full/weavz_connect_bg.wasm');
    assert.equal(pkg.exports['./core.wasm'], './wasm/core/weavz_connect_bg.wasm');
    assert.ok(Array.isArray(pkg.files) && pkg.files.length > 0);
    const cargo = await readFile(new URL('../../Cargo.toml', import.meta.url), 'utf8');
    assert.equal(pkg.version, /\[package\][^[]*?\nversion = "([^"]+)"/.exec(cargo)[1], 'the crate version');
  });

  it('ships the three builds, the declarations and nothing else', async () => {
    const listing = (await sh('tar', ['-tzf', await tarball()])).trim().split('\n').map((f) => f.replace(/^package\//, ''));
    const expected = [
      'README.md', 'core.d.ts', 'core.js', 'index.d.ts', 'index.js', 'lib/api.js', 'package.json',
      'panel.d.ts', 'panel.js', 'types.d.ts',
      'wasm/core/weavz_connect.js', 'wasm/core/weavz_connect_bg.wasm',
      'wasm/full/weavz_connect.js', 'wasm/full/weavz_connect_bg.wasm',
      'wasm/panel/weavz_connect.js', 'wasm/panel/weavz_connect_bg.wasm',
    ];
    // The build bundles wasm-bindgen's inline snippets into the glue (no snippets/ left).
    assert.deepEqual(listing.sort(), expected);
    const full = await readFile(path.join(project, 'node_modules/weavz-connect/wasm/full/weavz_connect.js'), 'utf8');
    assert.ok(full.includes('customElements'), 'the full glue carries the element definition snippet');
    // The headless core has no Leptos: no custom element code, a smaller wasm.
    const core = await readFile(path.join(project, 'node_modules/weavz-connect/wasm/core/weavz_connect.js'), 'utf8');
    assert.ok(!core.includes('snippets/'), 'the core glue imports no UI snippet');
  });

  it('.d.ts: the error codes and event names are the ones the Rust source emits', async () => {
    const flow = await readFile(path.join(repoRoot, 'src/flow.rs'), 'utf8');
    /** The string literals `impl <ty> { fn as_str … }` maps to. */
    const names = (ty) => {
      const body = flow.slice(flow.indexOf(`impl ${ty} {`));
      const fn = body.slice(body.indexOf('fn as_str'), body.indexOf('\n    }\n'));
      return [...fn.matchAll(/=> "([a-z_]+)"/g)].map((m) => m[1]).sort();
    };
    const types = await readFile(path.join(project, 'node_modules/weavz-connect/types.d.ts'), 'utf8');
    /** The members of `export type <name> = 'a' | 'b' …;`. */
    const union = (name) => {
      const body = types.slice(types.indexOf(`export type ${name} =`));
      return [...body.slice(0, body.indexOf(';')).matchAll(/'([a-z_]+)'/g)].map((m) => m[1]).sort();
    };
    assert.deepEqual(union('ErrorCode'), [...names('ErrorCode'), 'not_ready'].sort());
    assert.deepEqual(union('ProgressName'), names('Progress'));
    assert.deepEqual(union('DebugName'), names('Note'));
    const js = await readFile(path.join(repoRoot, 'src/js.rs'), 'utf8');
    const options = [...js.matchAll(/(?:string|number)_option\(options, "([A-Za-z]+)"\)|get\(options, "([A-Za-z]+)"\)/g)].map((m) => m[1] || m[2]);
    assert.ok(options.length >= 12, `options read by src/js.rs: ${options}`);
    for (const option of new Set(options)) assert.match(types, new RegExp(`\\b${option}\\??:`), `OpenOptions declares ${option}`);
  });

  it('.d.ts: a strict TypeScript consumer type-checks, and misuse does not', async () => {
    await writeFile(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'] },
        files: ['consumer.ts'],
      }),
    );
    await writeFile(
      path.join(project, 'consumer.ts'),
      `import { defineElement, open, ready, type Connection, type ConnectError, type ErrorCode } from 'weavz-connect';
import * as core from 'weavz-connect/core';
import * as panel from 'weavz-connect/panel';
import type { ConnectionsPanelAttributes } from 'weavz-connect/panel';

export async function main(button: HTMLButtonElement): Promise<void> {
  await ready();
  await core.ready({ wasm: new URL('https://cdn.test/core.wasm') });
  button.addEventListener('click', () => {
    open({
      integration: 'slack', tokenEndpoint: '/t', tokenParams: { scope: 'x' }, sessionEndpoint: '/s',
      mode: 'auto', timeoutMs: 1000, closeGraceMs: 0, endUserId: 'u', signal: new AbortController().signal,
      onEvent: (d) => (d.level === 'debug' ? d.reason : d.name),
    }).then(
      (c: Connection) => c.session?.status,
      (e: ConnectError) => { const code: ErrorCode = e.code; return e.retryable ? code : null; },
    );
  });
  void core.open({ connectUrl: 'https://connect.test/connect?token=cst_1', expiresAt: '2030-01-01T00:00:00Z' });
  void open({ getConnectUrl: async ({ mode, redirectUri }) => ({ connectUrl: redirectUri ?? mode, token: 'cst_1' }) });
  // @ts-expect-error exactly one of connectUrl, tokenEndpoint, getConnectUrl
  void open({ connectUrl: 'a', tokenEndpoint: 'b' });
  // @ts-expect-error not a mode
  void open({ tokenEndpoint: 'b', mode: 'tab' });
  document.addEventListener('weavz:connection-created', (e) => e.detail.connectionId.toUpperCase());
  document.querySelector('weavz-connect')?.addEventListener('weavz:connect-error', (e) => {
    const code: ErrorCode = e.detail.code;
    return code;
  });
  window.addEventListener('weavz:load-error', (e) => e.detail.message);
  void window.WeavzConnect?.open({ tokenEndpoint: '/t' });
  await defineElement();
  await panel.defineElement();
  const attrs: ConnectionsPanelAttributes = {
    'token-endpoint': '/t', 'integrations-endpoint': '/i', 'connections-endpoint': '/c', theme: 'dark', locale: 'de',
  };
  const el = document.querySelector('weavz-connections');
  for (const [k, v] of Object.entries(attrs)) el?.setAttribute(k, v);
  // @ts-expect-error a required attribute is missing
  const partial: ConnectionsPanelAttributes = { 'token-endpoint': '/t' };
  void partial;
  // @ts-expect-error the headless core has no element
  void core.defineElement;
  // @ts-expect-error not an error code
  const wrong: ErrorCode = 'popup_closed';
  void wrong;
}
`,
    );
    // TypeScript is one of the build tools (tools/, installed by `cargo xtask dist` / `test`).
    const tsc = path.join(repoRoot, 'tools/node_modules/.bin/tsc');
    await sh(tsc, ['-p', project]);
  });
});
