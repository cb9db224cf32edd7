// weavz-connect loader: one module script tag loads the widget, defines
// window.WeavzConnect and <weavz-connect>, and dispatches `weavz:ready` on window.
//
//   <script type="module" src="/assets/weavz-connect/weavz-connect.js"></script>
//
// The .wasm is fetched from beside this file.
import init, { install } from './weavz_connect.js';

await init();
install();
window.dispatchEvent(new Event('weavz:ready'));
