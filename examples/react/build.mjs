// Bundles src/main.jsx with esbuild into a folder to serve:
//   node build.mjs [out dir (default: dist)] [--production]
// The default is React's development build, where StrictMode double-mounts effects (the
// behaviour this example shows it survives); --production builds what you would ship.
import * as esbuild from 'esbuild';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const production = args.includes('--production');
const out = path.resolve(args.find((a) => !a.startsWith('--')) || path.join(here, 'dist'));

await esbuild.build({
  entryPoints: [path.join(here, 'src/main.jsx')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  minify: production,
  define: { 'process.env.NODE_ENV': JSON.stringify(production ? 'production' : 'development') },
  outdir: out,
  entryNames: 'main',
  loader: { '.wasm': 'file' },
  assetNames: '[name]-[hash]',
  logLevel: 'warning',
});
await cp(path.join(here, 'index.html'), path.join(out, 'index.html'));
console.log(`built ${out}`);
