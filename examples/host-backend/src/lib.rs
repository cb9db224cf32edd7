//! The host backend weavz-connect needs, with axum: endpoints that call Weavz with the
//! server-held API key, so the browser only ever sees short-lived connect tokens.
//!
//! For the buttons:
//! - `POST /api/connect-token` `{integrationName, successRedirectUri?, errorRedirectUri?}`
//!   → Weavz's `{token, connectUrl, expiresAt}` for the signed-in user;
//! - `POST /api/connect-session` `{token}` → Weavz's session poll answer.
//!
//! For the connections panel:
//! - `GET /api/integrations` → Weavz's integration catalog (`?summary=true`);
//! - `GET /api/connections` → the signed-in user's connections (`{connections, total}`);
//! - `DELETE /api/connections/{id}` → disconnects one of them (any other id: 404).
//!
//! Optionally it also serves a folder (`STATIC_DIR`): the page with the widget.
//!
//! A library, so that an app can merge [`router`] into its own axum app
//! (`examples/leptos-ssr` does); `src/main.rs` is the standalone server.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::extract::Path as UrlPath;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

/// Weavz's API, as the official SDKs default to.
const DEFAULT_BASE_URL: &str = "https://platform.weavz.io";

/// The widget's minimal CSP, for the pages served from `STATIC_DIR`.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
                   img-src 'self' data:; connect-src 'self'; base-uri 'none'; object-src 'none'; \
                   frame-ancestors 'none'";

/// What the endpoints need, read from the environment by [`Config::from_env`].
pub struct Config {
    /// The `wvz_…` API key (`WEAVZ_API_KEY`).
    pub api_key: String,
    /// Weavz's API origin (`WEAVZ_BASE_URL`, default `https://platform.weavz.io`).
    pub base_url: String,
    /// The workspace connections are created in (`WEAVZ_WORKSPACE_ID`).
    pub workspace_id: String,
    /// This app's origin (`PUBLIC_ORIGIN`, default the listening one): redirect-mode tokens
    /// may only send the user back here.
    pub public_origin: String,
    /// A folder to serve as the fallback (`STATIC_DIR`), if any.
    pub static_dir: Option<PathBuf>,
}

impl Config {
    /// From `WEAVZ_API_KEY`, `WEAVZ_WORKSPACE_ID` (both required), `WEAVZ_BASE_URL`,
    /// `PUBLIC_ORIGIN` (default `origin`, where the app listens) and `STATIC_DIR`.
    pub fn from_env(origin: &str) -> Result<Config, String> {
        Ok(Config {
            api_key: env("WEAVZ_API_KEY").ok_or("set WEAVZ_API_KEY (your wvz_… key)")?,
            base_url: env("WEAVZ_BASE_URL")
                .unwrap_or_else(|| DEFAULT_BASE_URL.into())
                .trim_end_matches('/')
                .to_owned(),
            workspace_id: env("WEAVZ_WORKSPACE_ID").ok_or("set WEAVZ_WORKSPACE_ID")?,
            public_origin: env("PUBLIC_ORIGIN").unwrap_or_else(|| origin.to_owned()),
            static_dir: env("STATIC_DIR").map(PathBuf::from),
        })
    }
}

struct App {
    config: Config,
    http: reqwest::Client,
}

type Shared = Arc<App>;

/// An environment variable, if set and not blank.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Listens on 127.0.0.1:`PORT` (`default_port` when unset; 0 picks a free port); returns the
/// listener and its origin, `http://127.0.0.1:<port>`.
pub async fn listen(default_port: u16) -> Result<(tokio::net::TcpListener, String), String> {
    let port: u16 = env("PORT").map_or(Ok(default_port), |p| {
        p.parse().map_err(|_| format!("PORT `{p}` is not a port"))
    })?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let origin = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    Ok((listener, origin))
}

/// The endpoints (and, with `static_dir`, the folder as the fallback), their state applied.
/// Without `static_dir` the router has no fallback, so it can be merged into an app that
/// has its own.
pub fn router(config: Config) -> Result<Router, String> {
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let serve_static = config.static_dir.is_some();
    let router = Router::new()
        .route("/api/connect-token", post(connect_token))
        .route("/api/connect-session", post(connect_session))
        .route("/api/integrations", get(integrations))
        .route("/api/connections", get(connections))
        .route("/api/connections/{id}", axum::routing::delete(delete_connection));
    let router = if serve_static {
        router.fallback(static_file)
    } else {
        router
    };
    Ok(router.with_state(Arc::new(App { config, http })))
}

/// The signed-in user of this request. A real app reads its session cookie here; the
/// connection is attached to this id (Weavz's `externalId`), never to one the browser sends.
fn signed_in_user(_headers: &HeaderMap) -> Option<String> {
    Some(env("EXAMPLE_USER_ID").unwrap_or_else(|| "example-user".into()))
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = json!({ "error": { "code": code, "message": message.into() } });
    (status, Json(body)).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenRequest {
    integration_name: String,
    success_redirect_uri: Option<String>,
    error_redirect_uri: Option<String>,
}

/// `POST /api/connect-token`.
async fn connect_token(
    State(app): State<Shared>,
    headers: HeaderMap,
    Json(req): Json<TokenRequest>,
) -> Response {
    let Some(user) = signed_in_user(&headers) else {
        return error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "sign in first");
    };
    let name = req.integration_name.trim();
    if name.is_empty()
        || name.len() > 100
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
    {
        return error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "integrationName is not an integration name",
        );
    }
    let mut body = json!({
        "integrationName": name,
        "connectionName": name,
        "externalId": user,
        "workspaceId": app.config.workspace_id,
    });
    // Redirect mode: the widget asks to come back to the page it is on; only this app's
    // own pages are accepted.
    let own = format!("{}/", app.config.public_origin);
    for (key, uri) in [
        ("successRedirectUri", req.success_redirect_uri),
        ("errorRedirectUri", req.error_redirect_uri),
    ] {
        if let Some(uri) = uri {
            if !uri.starts_with(&own) {
                return error(
                    StatusCode::BAD_REQUEST,
                    "VALIDATION_ERROR",
                    format!("{key} must be a page of {own}"),
                );
            }
            body[key] = Value::String(uri);
        }
    }
    forward(&app, "/api/v1/connect/token", body).await
}

#[derive(Deserialize)]
struct SessionRequest {
    token: String,
}

/// `POST /api/connect-session`.
async fn connect_session(State(app): State<Shared>, Json(req): Json<SessionRequest>) -> Response {
    if !req.token.starts_with("cst_") || req.token.len() > 512 {
        return error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "token is not a connect token",
        );
    }
    forward(
        &app,
        "/api/v1/connect/session/poll",
        json!({ "token": req.token }),
    )
    .await
}

/// `GET /api/integrations`: Weavz's integration catalog, summarised, for the panel's picker.
async fn integrations(State(app): State<Shared>) -> Response {
    let request = app
        .http
        .get(format!("{}/api/v1/integrations", app.config.base_url))
        .query(&[("summary", "true")]);
    relay(&app, request).await
}

/// Whether `c` (a connection as Weavz lists it) belongs to `user` in this app's workspace:
/// the connect token attached it to the user as its `externalId`.
fn owned_by(app: &App, c: &Value, user: &str) -> bool {
    c["workspaceId"].as_str() == Some(app.config.workspace_id.as_str())
        && c["externalId"].as_str() == Some(user)
}

/// `GET /api/connections`: the signed-in user's connections (`{connections, total}`). Weavz
/// lists the workspace's; only the user's own are passed on. (One page of up to 500: an app
/// with more connections per workspace would keep the ids it created, or page through.)
async fn connections(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let Some(user) = signed_in_user(&headers) else {
        return error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "sign in first");
    };
    let request = app
        .http
        .get(format!("{}/api/v1/connections", app.config.base_url))
        .query(&[
            ("workspaceId", app.config.workspace_id.as_str()),
            ("limit", "500"),
        ]);
    let (status, mut body) = match call(&app, request).await {
        Ok(answer) => answer,
        Err(res) => return res,
    };
    if status.is_success() {
        let Some(list) = body.get_mut("connections").and_then(Value::as_array_mut) else {
            return error(
                StatusCode::BAD_GATEWAY,
                "UPSTREAM_INVALID",
                "Weavz answered without a connections list",
            );
        };
        list.retain(|c| owned_by(&app, c, &user));
        body["total"] = json!(list.len());
    }
    respond(status, body, None)
}

/// `DELETE /api/connections/{id}`: disconnects one of the signed-in user's connections. The
/// connection is looked up first; one that is not the user's (or not in this workspace, or
/// not there) is a 404, as if it did not exist.
async fn delete_connection(
    State(app): State<Shared>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let Some(user) = signed_in_user(&headers) else {
        return error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "sign in first");
    };
    let not_found = || {
        error(
            StatusCode::NOT_FOUND,
            "CONNECTION_NOT_FOUND",
            format!("Connection '{id}' not found"),
        )
    };
    // Weavz's ids are UUIDs: anything else cannot be one, and never reaches another path.
    if id.is_empty() || id.len() > 100 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return not_found();
    }
    let lookup = app
        .http
        .get(format!("{}/api/v1/connections", app.config.base_url))
        .query(&[("id", id.as_str())]);
    let (status, body) = match call(&app, lookup).await {
        Ok(answer) => answer,
        Err(res) => return res,
    };
    if status == StatusCode::NOT_FOUND {
        return not_found();
    }
    if !status.is_success() {
        return respond(status, body, None);
    }
    let found = &body["connection"];
    if found["id"].as_str() != Some(id.as_str()) || !owned_by(&app, found, &user) {
        return not_found();
    }
    let request = app
        .http
        .delete(format!("{}/api/v1/connections/{id}", app.config.base_url));
    relay(&app, request).await
}

/// Calls Weavz with the API key: `POST path` with the JSON `body`; relays the answer.
async fn forward(app: &App, path: &str, body: Value) -> Response {
    let request = app
        .http
        .post(format!("{}{path}", app.config.base_url))
        .json(&body);
    relay(app, request).await
}

/// Sends `request` with the API key; relays Weavz's status, JSON body and `Retry-After`.
async fn relay(app: &App, request: reqwest::RequestBuilder) -> Response {
    let request = request.bearer_auth(&app.config.api_key);
    let sent = match request.send().await {
        Ok(res) => res,
        Err(e) => return unreachable_upstream(e),
    };
    let retry_after = sent.headers().get(header::RETRY_AFTER).cloned();
    match answer(sent).await {
        Ok((status, body)) => respond(status, body, retry_after),
        Err(res) => res,
    }
}

/// Sends `request` with the API key; Weavz's status and JSON body, or the error to answer.
async fn call(app: &App, request: reqwest::RequestBuilder) -> Result<(StatusCode, Value), Response> {
    match request.bearer_auth(&app.config.api_key).send().await {
        Ok(res) => answer(res).await,
        Err(e) => Err(unreachable_upstream(e)),
    }
}

fn unreachable_upstream(e: reqwest::Error) -> Response {
    error(
        StatusCode::BAD_GATEWAY,
        "UPSTREAM_UNAVAILABLE",
        format!("Weavz could not be reached: {e}"),
    )
}

async fn answer(res: reqwest::Response) -> Result<(StatusCode, Value), Response> {
    let status = StatusCode::from_u16(res.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    match res.json::<Value>().await {
        Ok(body) => Ok((status, body)),
        Err(_) => Err(error(
            StatusCode::BAD_GATEWAY,
            "UPSTREAM_INVALID",
            "Weavz answered with something that is not JSON",
        )),
    }
}

/// Weavz's answer as ours, never cached.
fn respond(status: StatusCode, body: Value, retry_after: Option<HeaderValue>) -> Response {
    let mut out = (status, Json(body)).into_response();
    out.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(v) = retry_after {
        out.headers_mut().insert(header::RETRY_AFTER, v);
    }
    out
}

/// `GET /…` from `STATIC_DIR` (`/` is `index.html`), HTML with the widget's minimal CSP.
async fn static_file(State(app): State<Shared>, req: Request) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "not found").into_response();
    let Some(root) = &app.config.static_dir else {
        return not_found();
    };
    let rel = req.uri().path().trim_start_matches('/');
    let rel = if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel.to_owned()
    };
    if Path::new(&rel)
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return not_found();
    }
    let path = root.join(&rel);
    let Ok(bytes) = tokio::fs::read(&path).await else {
        return not_found();
    };
    let mime = match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if mime.starts_with("text/html") {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    }
    res
}
