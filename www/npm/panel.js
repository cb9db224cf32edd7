// weavz-connect/panel: the JS API, <weavz-connect> and the connections panel
// <weavz-connections> (the panel build). Importing this module has no side effects; see
// ready() and defineElement().
import * as glue from './wasm/panel/weavz_connect.js';
import { createApi } from './lib/api.js';

const api = createApi(glue, () => new URL('./wasm/panel/weavz_connect_bg.wasm', import.meta.url), '__WEAVZ_VERSION__');

export const { ready, init, isReady, open, resume, activeFlows, install, version } = api;

/**
 * Loads the widget (if needed) and defines `<weavz-connect>` and `<weavz-connections>`;
 * also sets `window.WeavzConnect`, as the script tag does. Safe to call more than once.
 */
export const defineElement = api.install;
