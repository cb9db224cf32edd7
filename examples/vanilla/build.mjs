// Builds the page into a folder the web server serves: the files `cargo xtask dist` wrote
// to target/dist/cdn/ go to weavz-connect/, and index.html gets their hashed name and
// integrity from its manifest.json.
//
//   node build.mjs [out dir (default: dist)] [cdn dir (default: ../../target/dist/cdn)]
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] || path.join(here, 'dist'));
const cdn = path.resolve(process.argv[3] || path.join(here, '../../target/dist/cdn'));

const manifest = JSON.parse(await readFile(path.join(cdn, 'manifest.json'), 'utf8'));
await mkdir(path.join(out, 'weavz-connect'), { recursive: true });
for (const file of [manifest.loader.file, manifest.wasm.file]) {
  await cp(path.join(cdn, file), path.join(out, 'weavz-connect', file));
}
const html = (await readFile(path.join(here, 'index.html'), 'utf8'))
  .replace('{{loader}}', manifest.loader.file)
  .replace('{{integrity}}', manifest.loader.integrity);
await writeFile(path.join(out, 'index.html'), html);
await cp(path.join(here, 'app.js'), path.join(out, 'app.js'));
console.log(`built ${out}`);
