// What `cargo xtask dist` produced (target/dist, or WEAVZ_DIST_DIR) and the examples built
// from it: each JS example is copied to a fresh folder (a clean project), its pinned
// dependencies installed with `npm ci`, the packed weavz-connect tarball installed from the
// file, then built with its own build script.
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../..');
export const distDir = process.env.WEAVZ_DIST_DIR || path.join(repoRoot, 'target/dist');
export const cdnDir = path.join(distDir, 'cdn');
export const examplesDir = path.join(repoRoot, 'examples');

/** The packed npm tarball. */
export async function tarball() {
  const names = existsSync(distDir) ? (await readdir(distDir)).filter((n) => /^weavz-connect-.*\.tgz$/.test(n)) : [];
  if (names.length !== 1) throw new Error(`expected one weavz-connect-*.tgz in ${distDir}: run \`cargo xtask dist\` first`);
  return path.join(distDir, names[0]);
}

/** target/dist/cdn/manifest.json: the loader's and the wasm's file names and SRI hashes. */
export async function cdnManifest() {
  return JSON.parse(await readFile(path.join(cdnDir, 'manifest.json'), 'utf8'));
}

/** A fresh temporary folder; remove it with `cleanup(dir)`. */
export function tempDir(prefix) {
  return mkdtemp(path.join(os.tmpdir(), `weavz-${prefix}-`));
}

export function cleanup(dir) {
  return dir ? rm(dir, { recursive: true, force: true }) : Promise.resolve();
}

/** Runs a command to completion; resolves with its stdout, rejects with its output. */
export function sh(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}\n${out}\n${err}`));
    });
  });
}

const npmFlags = ['--no-audit', '--no-fund', '--loglevel=error'];

/** Installs the packed tarball from the file into `dir` (without touching its lockfile). */
export async function installTarball(dir) {
  await sh('npm', ['install', '--no-save', ...npmFlags, await tarball()], { cwd: dir });
}

/**
 * examples/<name> as a clean project in a temporary folder: `npm ci`, the tarball, then
 * `node build.mjs <site>`. Resolves with `{ dir, site }`.
 */
export async function buildJsExample(name) {
  const dir = await tempDir(name);
  const src = path.join(examplesDir, name);
  await cp(src, dir, {
    recursive: true,
    filter: (p) => !/[/\\](node_modules|dist)([/\\]|$)/.test(path.relative(src, p) ? `/${path.relative(src, p)}` : ''),
  });
  await sh('npm', ['ci', ...npmFlags], { cwd: dir });
  await installTarball(dir);
  const site = path.join(dir, 'dist');
  await sh('node', ['build.mjs', site], { cwd: dir });
  return { dir, site };
}

/** examples/vanilla built into `out` from the CDN files. */
export async function buildVanilla(out) {
  await sh('node', [path.join(examplesDir, 'vanilla/build.mjs'), out, cdnDir]);
  return out;
}
