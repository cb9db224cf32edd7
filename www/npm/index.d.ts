// weavz-connect: the JS API and the <weavz-connect> element (full build).
import type { Connection, OpenOptions, ReadyOptions } from './types.js';

export * from './types.js';

/** Loads the WebAssembly; call it when the page loads, before the first click. Idempotent. */
export function ready(options?: ReadyOptions): Promise<void>;
/** The same as `ready()`. */
export function init(options?: ReadyOptions): Promise<void>;
/** Whether `ready()` has finished. */
export function isReady(): boolean;
/**
 * Opens the connect popup. Call it synchronously inside a click handler, after `ready()`
 * resolved; before that it rejects with code `not_ready`.
 */
export function open(options: OpenOptions): Promise<Connection>;
/** Picks up a redirect-mode flow after the page came back; `null` if none is pending. */
export function resume(): Promise<Connection | null>;
/** Flows in progress (0 before `ready()`). */
export function activeFlows(): number;
/** Loads the widget if needed, defines `<weavz-connect>` and `window.WeavzConnect`. */
export function install(): Promise<void>;
/** The same as `install()`. */
export function defineElement(): Promise<void>;
/** The package version. */
export const version: string;
