// weavz-connect/panel: the JS API, <weavz-connect> and <weavz-connections> (panel build).
export * from './index.js';

/**
 * The attributes of `<weavz-connections>` (all strings). A change of one re-renders the
 * panel, except `theme`, which the stylesheet follows live.
 */
export interface ConnectionsPanelAttributes {
  /** `POST` → `{token, connectUrl, expiresAt}`. Required. */
  'token-endpoint': string;
  /** `GET` → `{integrations: [{name, displayName, logoUrl, categories}]}`. Required. */
  'integrations-endpoint': string;
  /** `GET` → `{connections: [...]}`; `DELETE <endpoint>/<id>` disconnects. Required. */
  'connections-endpoint': string;
  /** The session poll endpoint, to confirm results. */
  'session-endpoint'?: string;
  /** Comma-separated integration names: only these are offered. */
  integrations?: string;
  /** `en`, `de` or `es` (default: the browser's languages, else English). */
  locale?: 'en' | 'de' | 'es' | string;
  /** `light` or `dark` (default: the system's `prefers-color-scheme`). */
  theme?: 'light' | 'dark';
  /** `popup` (default), `redirect` or `auto`. */
  mode?: 'popup' | 'redirect' | 'auto';
  /** The end user's external id (multi-tenant: their portal, their connections). */
  'end-user'?: string;
  /** Extra fields for the token request, as a JSON object text. */
  'token-params'?: string;
}

declare global {
  interface HTMLElementTagNameMap {
    'weavz-connections': HTMLElement;
  }
}
