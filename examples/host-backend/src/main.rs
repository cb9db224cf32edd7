//! The host backend weavz-connect needs, with axum: two endpoints that call Weavz with the
//! server-held API key, so the browser only ever sees short-lived connect tokens.
//!
//! - `POST /api/connect-token` `{integrationName, successRedirectUri?, errorRedirectUri?}`
//!   → Weavz's `{token, connectUrl, expiresAt}` for the signed-in user;
//! - `POST /api/connect-session` `{token}` → Weavz's session poll answer.
//!
//! Optionally it also serves a folder (`STATIC_DIR`): the page with the widget.
//!
//! ```sh
//! WEAVZ_API_KEY=wvz_… WEAVZ_WORKSPACE_ID=… cargo run     # then http://127.0.0.1:3000
//! ```

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

/// Weavz's API, as the official SDKs default to.
const DEFAULT_BASE_URL: &str = "https://platform.weavz.io";

/// The widget's minimal CSP, for the pages served from `STATIC_DIR`.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
                   img-src 'self' data:; connect-src 'self'; base-uri 'none'; object-src 'none'; \
                   frame-ancestors 'none'";

struct Config {
    api_key: String,
    base_url: String,
    workspace_id: String,
    /// This app's origin: redirect-mode tokens may only send the user back here.
    public_origin: String,
    static_dir: Option<PathBuf>,
}

struct App {
    config: Config,
    http: reqwest::Client,
}

type Shared = Arc<App>;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let port: u16 = env("PORT").map_or(Ok(3000), |p| {
        p.parse().map_err(|_| format!("PORT `{p}` is not a port"))
    })?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let origin = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    let config = Config {
        api_key: env("WEAVZ_API_KEY").ok_or("set WEAVZ_API_KEY (your wvz_… key)")?,
        base_url: env("WEAVZ_BASE_URL")
            .unwrap_or_else(|| DEFAULT_BASE_URL.into())
            .trim_end_matches('/')
            .to_owned(),
        workspace_id: env("WEAVZ_WORKSPACE_ID").ok_or("set WEAVZ_WORKSPACE_ID")?,
        public_origin: env("PUBLIC_ORIGIN").unwrap_or_else(|| origin.clone()),
        static_dir: env("STATIC_DIR").map(PathBuf::from),
    };
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let app = Router::new()
        .route("/api/connect-token", post(connect_token))
        .route("/api/connect-session", post(connect_session))
        .fallback(static_file)
        .with_state(Arc::new(App { config, http }));
    println!("listening on {origin}");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
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

/// Calls Weavz with the API key; relays its status and JSON body, never cached.
async fn forward(app: &App, path: &str, body: Value) -> Response {
    let sent = app
        .http
        .post(format!("{}{path}", app.config.base_url))
        .bearer_auth(&app.config.api_key)
        .json(&body)
        .send()
        .await;
    let res = match sent {
        Ok(res) => res,
        Err(e) => {
            return error(
                StatusCode::BAD_GATEWAY,
                "UPSTREAM_UNAVAILABLE",
                format!("Weavz could not be reached: {e}"),
            );
        }
    };
    let status = StatusCode::from_u16(res.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let retry_after = res.headers().get(header::RETRY_AFTER).cloned();
    let Ok(body) = res.json::<Value>().await else {
        return error(
            StatusCode::BAD_GATEWAY,
            "UPSTREAM_INVALID",
            "Weavz answered with something that is not JSON",
        );
    };
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
