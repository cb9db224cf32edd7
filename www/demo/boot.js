// Loads the widget for the demo page: fetch + compile the WASM, then define
// window.WeavzConnect and <weavz-connect>.
import init, { install } from './weavz_connect.js';

await init();
install();
