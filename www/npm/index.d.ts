// weavz-connect: the JS API and the <weavz-connect> element (full build). The same API as
// weavz-connect/core, plus the element: `install()` also defines <weavz-connect>.
export * from './core.js';

/** Loads the widget if needed, defines `<weavz-connect>` and `window.WeavzConnect` (the same as `install()`). */
export function defineElement(): Promise<void>;
