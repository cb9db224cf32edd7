// The packed npm tarball from `cargo xtask dist`, installed from the file into a clean
// project: what it contains, and that importing it in Node (as server-side rendering does)
// succeeds without side effects and without touching `window`.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { cleanup, installTarball, sh, tarball, tempDir } from '../lib/dist.mjs';

const FULL_EXPORTS = ['activeFlows', 'defineElement', 'init', 'install', 'isReady', 'open', 'ready', 'resume', 'version'];
const CORE_EXPORTS = ['activeFlows', 'init', 'install', 'isReady', 'open', 'ready', 'resume', 'version'];

describe('npm package (packed tarball)', () => {
  let project;
  let pkg;

  before(async () => {
    project = await tempDir('npm-clean');
    await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'clean-project', private: true }));
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
      for (const name of ['window', 'document', 'customElements', 'location', 'self', 'HTMLElement']) delete globalThis[name];
      const err = await core.open({ integration: 'slack', tokenEndpoint: '/api/connect-token' }).then(() => null, (e) => e);
      console.log(JSON.stringify({
        touched, full: Object.keys(full), core: Object.keys(core),
        ready: [full.isReady(), core.isReady()], flows: [full.activeFlows(), core.activeFlows()],
        version: full.version, code: err && err.code, retryable: err && err.retryable, message: err && err.message,
      }));
    `;
    const result = JSON.parse(await sh('node', ['--input-type=module', '-e', script], { cwd: project }));
    assert.deepEqual(result.touched, [], 'no browser global read at import');
    assert.deepEqual(result.full, FULL_EXPORTS);
    assert.deepEqual(result.core, CORE_EXPORTS);
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
    assert.equal(pkg.exports['./full.wasm'], './wasm/full/weavz_connect_bg.wasm');
    assert.equal(pkg.exports['./core.wasm'], './wasm/core/weavz_connect_bg.wasm');
    assert.ok(Array.isArray(pkg.files) && pkg.files.length > 0);
    const cargo = await readFile(new URL('../../Cargo.toml', import.meta.url), 'utf8');
    assert.equal(pkg.version, /\[package\][^[]*?\nversion = "([^"]+)"/.exec(cargo)[1], 'the crate version');
  });

  it('ships the two builds, the declarations and nothing else', async () => {
    const listing = (await sh('tar', ['-tzf', await tarball()])).trim().split('\n').map((f) => f.replace(/^package\//, ''));
    const expected = [
      'README.md', 'core.d.ts', 'core.js', 'index.d.ts', 'index.js', 'lib/api.js', 'package.json', 'types.d.ts',
      'wasm/core/weavz_connect.js', 'wasm/core/weavz_connect_bg.wasm',
      'wasm/full/weavz_connect.js', 'wasm/full/weavz_connect_bg.wasm',
    ];
    const snippets = listing.filter((f) => f.startsWith('wasm/full/snippets/'));
    assert.ok(snippets.length > 0, 'the full build brings its snippets');
    assert.deepEqual(listing.filter((f) => !snippets.includes(f)).sort(), expected);
    // The headless core has no Leptos: no custom element code, a smaller wasm.
    const core = await readFile(path.join(project, 'node_modules/weavz-connect/wasm/core/weavz_connect.js'), 'utf8');
    assert.ok(!core.includes('snippets/'), 'the core glue imports no UI snippet');
  });
});
