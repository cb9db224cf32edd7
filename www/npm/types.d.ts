// Types shared by `weavz-connect` and `weavz-connect/core`. Written by hand from the
// widget's Rust source (src/js.rs, src/browser/events.rs, src/flow.rs) and checked by the
// test suite against what the widget really emits.

/** How the connect page is shown. */
export type Mode = 'popup' | 'redirect' | 'auto';

/** The `code` of a failed or cancelled flow. */
export type ErrorCode =
  /** The browser refused to open the window. Retryable (a fresh click). */
  | 'popup_blocked'
  /** The user cancelled, or closed the window without a result (no session endpoint). */
  | 'user_cancelled'
  /** Without a session endpoint: the window reads closed but never handed the focus back. */
  | 'window_lost'
  /** Denied at the provider, provider error, or session `FAILED`. */
  | 'connect_failed'
  /** The token's `expiresAt` passed, or the session poll answered 401. */
  | 'session_expired'
  /** The `timeoutMs` / `timeout-ms` deadline passed. */
  | 'timeout'
  /** The host backend could not be reached or answered badly. */
  | 'network'
  /** The options cannot start a flow. Not retryable. */
  | 'invalid_options'
  /** The `AbortSignal` fired, or the element was removed or changed. Not retryable. */
  | 'aborted'
  /**
   * The connect page reported a connection, but the flow ended (Cancel, a deadline, the
   * token stopped working) before the session confirmed it: the connection may exist.
   */
  | 'unconfirmed'
  /** npm package only: `open()` was called before `ready()` finished (or it failed). */
  | 'not_ready';

/** Names of `weavz:connect-event` details with `level: "info"`. */
export type ProgressName =
  | 'popup_opened'
  | 'connect_page_opened'
  | 'result_received'
  | 'confirming'
  /** After `confirming`: the connect page reported a success the session has not confirmed yet. */
  | 'success_unconfirmed'
  | 'popup_closed'
  | 'window_closed_or_lost'
  | 'redirecting'
  | 'resumed'
  | 'interrupted'
  | 'handled_elsewhere';

/** Names of `weavz:connect-event` details with `level: "debug"` (things ignored). */
export type DebugName =
  | 'rejected_origin'
  | 'rejected_source'
  | 'rejected_shape'
  /** A result for another flow: `field` is `integrationName` or `endUserId`. */
  | 'rejected_mismatch'
  /** `count` more messages were rejected since the last note (one note a second at most). */
  | 'rejected_more'
  | 'rejected_early'
  | 'duplicate_result'
  | 'result_not_confirmed'
  | 'poll_retry'
  | 'after_end';

/** A session poll answer's status. */
export type SessionStatus = 'PENDING' | 'CONNECTING' | 'COMPLETED' | 'FAILED';

/** The confirmed session poll answer (present when a session endpoint confirmed it). */
export interface SessionDetail {
  status: SessionStatus;
  connectionId: string | null;
  integrationName: string | null;
  externalId: string | null;
  error: string | null;
  workspaceIntegrationId?: string | null;
  authMethodKey?: string | null;
  oauthAppMode?: string | null;
  oauthAppId?: string | null;
}

/** `weavz:connection-created` detail, and what `open()` / `resume()` resolve with. */
export interface Connection {
  connectionId: string;
  integrationName: string;
  externalId: string;
  /** The end user's external id, as the connect page reported it (end-user flows only). */
  endUserId?: string;
  /**
   * `true` when the session said `COMPLETED`; `false` when only the connect page's message
   * said so (no session endpoint, or an end-user portal flow). Look an unconfirmed
   * connection up through your backend before you rely on it.
   */
  confirmed: boolean;
  session?: SessionDetail;
}

/** `weavz:connect-error` and `weavz:connect-cancelled` detail. */
export interface ErrorDetail {
  code: ErrorCode;
  message: string;
  retryable: boolean;
}

/** What `open()` and `resume()` reject with: an `Error` carrying the same fields. */
export interface ConnectError extends Error {
  code: ErrorCode;
  retryable: boolean;
}

/** `weavz:connect-event` detail: one progress step or debug note of a flow. */
export type ProgressDetail =
  | { name: ProgressName; flowId: string; at: number; level: 'info' }
  | {
      name: DebugName;
      flowId: string;
      at: number;
      level: 'debug';
      /** `rejected_origin`: the message's origin. */
      origin?: string;
      /** `rejected_shape`, `poll_retry`: why. */
      reason?: string;
      /** `rejected_mismatch`: the field that names another flow. */
      field?: string;
      /** `rejected_more`: how many. */
      count?: number;
    };

/** What a token endpoint or `getConnectUrl` answers (Weavz's `POST /api/v1/connect/token`). */
export interface ConnectTarget {
  connectUrl: string;
  /** The `cst_…` token; required with a session endpoint unless `connectUrl` has `?token=`. */
  token?: string;
  /** ISO-8601. */
  expiresAt?: string;
}

/** The argument `getConnectUrl` is called with. */
export interface GetConnectUrlRequest {
  mode: 'popup' | 'redirect';
  /** Redirect mode: use it as the token's `successRedirectUri` and `errorRedirectUri`. */
  redirectUri?: string;
}

interface CommonOptions {
  /** Sent to `tokenEndpoint` as `integrationName`. */
  integration?: string;
  /** The end user's external id, sent to `tokenEndpoint` as `endUserId`. */
  endUserId?: string;
  /**
   * Your backend's session poll proxy (`POST {token}`). When set, a result counts only
   * once the session says `COMPLETED`. Required for `mode: "redirect"`.
   */
  sessionEndpoint?: string;
  /** `"popup"` (default), `"redirect"` or `"auto"`. */
  mode?: Mode;
  /** After the popup closes, how long to wait for a late result: 0 to 60000 ms (default 3000). */
  closeGraceMs?: number;
  /** A total deadline, in ms (at most a day); the flow then ends with `timeout`. */
  timeoutMs?: number;
  /** Called with every progress and debug detail. */
  onEvent?: (detail: ProgressDetail) => void;
  /** Ends the flow with `aborted`. */
  signal?: AbortSignal;
}

/** Options of `open()`: exactly one of `connectUrl`, `tokenEndpoint`, `getConnectUrl`. */
export type OpenOptions = CommonOptions &
  (
    | {
        /** A connect URL your backend already created. */
        connectUrl: string;
        /** The `cst_` token, if `connectUrl` does not carry it. */
        token?: string;
        /** The token's `expiresAt` (ISO-8601). */
        expiresAt?: string;
        tokenEndpoint?: never;
        getConnectUrl?: never;
      }
    | {
        /** Your backend's URL answering `POST {integrationName, …tokenParams}` with a `ConnectTarget`. */
        tokenEndpoint: string;
        /** Extra fields for the token endpoint's JSON body. */
        tokenParams?: Record<string, unknown>;
        connectUrl?: never;
        getConnectUrl?: never;
      }
    | {
        /** Returns (a promise of) the connect URL and token. */
        getConnectUrl: (request: GetConnectUrlRequest) => ConnectTarget | Promise<ConnectTarget>;
        connectUrl?: never;
        tokenEndpoint?: never;
      }
  );

/** Options of `ready()` / `init()`. */
export interface ReadyOptions {
  /**
   * Where the `.wasm` is, or its bytes or compiled module. Default: the file inside the
   * package, next to the module (bundlers that understand `new URL(…, import.meta.url)`,
   * such as Vite and webpack, copy it). With esbuild, import `weavz-connect/full.wasm`
   * (or `/core.wasm`) with the `file` loader and pass that URL.
   */
  wasm?: string | URL | Request | Response | Promise<Response> | BufferSource | WebAssembly.Module;
}

/** `window.WeavzConnect`, defined by the script tag and by `install()`. */
export interface WeavzConnectGlobal {
  open(options: OpenOptions): Promise<Connection>;
  resume(): Promise<Connection | null>;
  activeFlows(): number;
  version: string;
}

/** The events the widget dispatches (bubbling, composed), by name. */
export interface WeavzConnectEventMap {
  'weavz:connection-created': CustomEvent<Connection>;
  'weavz:connect-error': CustomEvent<ErrorDetail>;
  'weavz:connect-cancelled': CustomEvent<ErrorDetail & { code: 'user_cancelled' }>;
  'weavz:connect-event': CustomEvent<ProgressDetail>;
}

/** The API both entry points export. */
export interface WeavzConnectApi {
  /**
   * Loads and compiles the WebAssembly; resolves when `open()` can be called. Call it
   * when the page loads, so the widget is ready before the first click. Idempotent: every
   * call returns the same promise (a failed load is retried by the next call).
   */
  ready(options?: ReadyOptions): Promise<void>;
  /** The same as `ready()`. */
  init(options?: ReadyOptions): Promise<void>;
  /** Whether `ready()` has finished. */
  isReady(): boolean;
  /**
   * Opens the connect popup and runs the flow. Call it synchronously inside a click
   * handler, after `ready()` resolved: the popup is opened before it returns. Before
   * that it rejects with code `not_ready` (and starts loading).
   */
  open(options: OpenOptions): Promise<Connection>;
  /** Picks up a redirect-mode flow after the page came back; `null` if none is pending. */
  resume(): Promise<Connection | null>;
  /** Flows in progress (0 before `ready()`). */
  activeFlows(): number;
  /** Loads the widget if needed and defines `window.WeavzConnect` (full build: and `<weavz-connect>`). */
  install(): Promise<void>;
  /** The package version. */
  version: string;
}

declare global {
  interface Window {
    WeavzConnect?: WeavzConnectGlobal;
  }
  interface HTMLElementTagNameMap {
    'weavz-connect': HTMLElement;
  }
  interface DocumentEventMap extends WeavzConnectEventMap {}
  interface WindowEventMap extends WeavzConnectEventMap {
    /** Script tag only: the widget is loaded and defined. */
    'weavz:ready': Event;
    /** Script tag only: the widget could not be loaded (e.g. an integrity mismatch). */
    'weavz:load-error': CustomEvent<{ message: string }>;
  }
  interface HTMLElementEventMap extends WeavzConnectEventMap {}
}
