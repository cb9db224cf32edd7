// weavz-connect for a script tag, from a CDN:
//
//   <script type="module" src="…/weavz-connect.<hash>.js" integrity="sha384-…" crossorigin="anonymous"></script>
//
// `cargo xtask dist` bundles this file with the wasm-bindgen glue into one module, so the
// tag's `integrity` covers every line of JavaScript that runs; the .wasm beside it is
// fetched with its own integrity hash (written in below at build time). It then defines
// <weavz-connect> and window.WeavzConnect and dispatches `weavz:ready` on window, or
// `weavz:load-error` (with `detail.message`) when anything fails to load.
import init, { install } from './weavz_connect.js';

const WASM_FILE = '__WEAVZ_WASM_FILE__';
const WASM_INTEGRITY = '__WEAVZ_WASM_INTEGRITY__';

async function load() {
  const url = new URL(WASM_FILE, import.meta.url);
  // A response whose bytes do not match is a network error: nothing is compiled.
  await init({ module_or_path: fetch(url, { integrity: WASM_INTEGRITY }) });
  install();
}

try {
  await load();
  window.dispatchEvent(new Event('weavz:ready'));
} catch (error) {
  const message = `weavz-connect could not load ${WASM_FILE}: ${error && error.message ? error.message : error}`;
  window.dispatchEvent(new CustomEvent('weavz:load-error', { detail: { message } }));
  throw new Error(message, { cause: error });
}
