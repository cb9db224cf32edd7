// weavz-connect/core: the headless JS API without the Leptos UI (a smaller WebAssembly).
// Importing this module has no side effects; see ready().
import * as glue from './wasm/core/weavz_connect.js';
import { createApi } from './lib/api.js';

const api = createApi(glue, () => new URL('./wasm/core/weavz_connect_bg.wasm', import.meta.url), '__WEAVZ_VERSION__');

export const { ready, init, isReady, open, resume, activeFlows, install, version } = api;
