// Loads the app that wasm-bindgen built (app.js + app_bg.wasm); its start function mounts it.
import init from './app.js';

await init();
