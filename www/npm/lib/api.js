// The npm package's API around one wasm-bindgen build (full or core). Nothing here runs
// at import time: the WebAssembly is fetched and compiled by ready() (or on first use),
// and nothing touches `window` or `document` until a function is called.

const NOT_READY =
  'weavz-connect is not ready: its WebAssembly has not finished loading. Call ready() when ' +
  'the page loads (before the first click), then call open() synchronously inside the click ' +
  'handler: the popup must be opened inside the user gesture.';

/** An `Error` with `code` and `retryable`, like the ones a flow rejects with. */
function flowError(code, message, retryable, cause) {
  const err = new Error(message, cause === undefined ? undefined : { cause });
  err.code = code;
  err.retryable = retryable;
  return err;
}

/** `weavz:connect-error` on `document`, as the widget reports a failed `open()`. */
function report(err) {
  if (typeof document === 'undefined' || typeof CustomEvent !== 'function') return;
  const detail = { code: err.code, message: err.message, retryable: err.retryable };
  document.dispatchEvent(new CustomEvent('weavz:connect-error', { detail, bubbles: true, composed: true }));
}

/**
 * Builds the API of one build.
 * @param {object} glue the wasm-bindgen module (`init` as default export, `open`, …)
 * @param {() => URL} defaultWasm where the .wasm is when `ready()` is not told
 * @param {string} version the package version
 */
export function createApi(glue, defaultWasm, version) {
  let loading = null;
  let loaded = false;
  let lastFailure = null;
  let installed = false;

  function ready(options) {
    if (loading) return loading;
    const wasm = options && options.wasm != null ? options.wasm : defaultWasm();
    lastFailure = null;
    loading = glue
      .default({ module_or_path: wasm })
      .then(() => {
        loaded = true;
      })
      .catch((cause) => {
        // A later ready() (or open()) tries again: the network may be back.
        loading = null;
        lastFailure = cause;
        throw flowError(
          'not_ready',
          `weavz-connect could not load its WebAssembly: ${cause && cause.message ? cause.message : cause}`,
          true,
          cause,
        );
      });
    return loading;
  }

  function isReady() {
    return loaded;
  }

  function open(options) {
    if (!loaded) {
      const reason = lastFailure ? ` (the last attempt failed: ${lastFailure.message || lastFailure})` : '';
      const err = flowError('not_ready', NOT_READY + reason, true);
      // Start (or retry) loading, so that the next click can work.
      ready().catch(() => {});
      report(err);
      return Promise.reject(err);
    }
    return glue.open(options);
  }

  async function resume() {
    await ready();
    return glue.resume();
  }

  function activeFlows() {
    return loaded ? glue.activeFlows() : 0;
  }

  async function install() {
    await ready();
    if (!installed) {
      glue.install();
      installed = true;
    }
  }

  return { ready, init: ready, isReady, open, resume, activeFlows, install, version };
}
