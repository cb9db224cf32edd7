// Bundles src/main.js with esbuild into a folder to serve: node build.mjs [out dir (default: dist)]
import * as esbuild from 'esbuild';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] || path.join(here, 'dist'));

await esbuild.build({
  entryPoints: [path.join(here, 'src/main.js')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  outdir: out,
  loader: { '.wasm': 'file' },
  assetNames: '[name]-[hash]',
  logLevel: 'warning',
});
await cp(path.join(here, 'index.html'), path.join(out, 'index.html'));
console.log(`built ${out}`);
