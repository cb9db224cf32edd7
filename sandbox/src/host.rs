//! The host origin: the demo page and a demo host backend written the way a real host app
//! would write it. The backend holds the API key; the browser only ever sees connect tokens.

use std::path::{Component, Path as FsPath, PathBuf};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::api::extract::{ApiJson, MAX_BODY_BYTES};
use crate::api::validate::check_text;
use crate::catalog;
use crate::error::{ApiError, Validation};
use crate::pages::{asset, document, html_response};
use crate::state::Shared;
use crate::util::escape_html;

/// The host pages' CSP: what the widget documents as the minimal policy for a host.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
                       img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
                       base-uri 'none'; object-src 'none'; require-trusted-types-for 'script'; \
                       trusted-types 'none'";

/// Routes of the host origin.
pub fn router(demo_dir: Option<PathBuf>, csp: Option<String>) -> Router<Shared> {
    let csp = csp.unwrap_or_else(|| CSP.to_owned());
    let router = Router::new()
        .route("/playground", get(playground))
        .route(
            "/playground/playground.js",
            get(|| async {
                asset(
                    "text/javascript; charset=utf-8",
                    include_str!("../assets/playground.js"),
                )
            }),
        )
        .route(
            "/playground/playground.css",
            get(|| async {
                asset(
                    "text/css; charset=utf-8",
                    include_str!("../assets/playground.css"),
                )
            }),
        )
        .route("/api/connect-token", post(connect_token))
        .route("/api/connect-session", post(connect_session))
        .route("/api/connections", get(connections))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES));
    match demo_dir {
        Some(dir) => {
            let (index_dir, index_csp) = (dir.clone(), csp.clone());
            router
                .route(
                    "/",
                    get(move || serve_file(index_dir.clone(), "index.html".into(), index_csp.clone())),
                )
                .route(
                    "/{*path}",
                    get(move |Path(p): Path<String>| serve_file(dir.clone(), p, csp.clone())),
                )
        }
        None => router.route("/", get(playground)),
    }
}

/// The built-in page: a button per integration that runs the hosted flow with plain
/// JavaScript and logs every message the window receives.
async fn playground(State(state): State<Shared>) -> Response {
    let buttons: String = catalog::all()
        .iter()
        .map(|i| {
            format!(
                "<li><button type=\"button\" data-integration=\"{key}\"><img src=\"{logo}\" alt=\"\" width=\"20\" height=\"20\">Connect {name}</button></li>",
                key = escape_html(i.name),
                name = escape_html(i.display_name),
                logo = escape_html(&i.logo_url()),
            )
        })
        .collect();
    let body = format!(
        "<main><h1>Weavz sandbox playground</h1>\
         <p>This page plays the host app: its backend (<code>POST /api/connect-token</code>) mints a connect \
         token with the server-held API key; the page opens the hosted connect page from \
         <code>{connect}</code> in a popup and logs the <code>weavz-connect-result</code> message.</p>\
         <ul class=\"buttons\">{buttons}</ul>\
         <details><summary>Fault knobs</summary><label for=\"knobs\">Sandbox knobs (JSON, sent as <code>sandbox</code>)</label>\
         <textarea id=\"knobs\" rows=\"3\" spellcheck=\"false\">{{}}</textarea></details>\
         <h2>Messages</h2><p id=\"status\" role=\"status\"></p><ol id=\"log\" aria-live=\"polite\"></ol></main>",
        connect = escape_html(&state.origins.connect),
    );
    html_response(
        StatusCode::OK,
        CSP,
        document(
            "Weavz sandbox playground",
            "/playground/playground.css",
            &body,
            &["/playground/playground.js"],
        ),
    )
}

async fn serve_file(root: PathBuf, rel: String, csp: String) -> Response {
    let rel = FsPath::new(&rel);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let mut path = root.join(rel);
    if path.is_dir() {
        path = path.join("index.html");
    }
    let Ok(bytes) = tokio::fs::read(&path).await else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mime = match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        "map" => "application/json",
        _ => "application/octet-stream",
    };
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if mime.starts_with("text/html")
        && let Ok(v) = HeaderValue::from_str(&csp)
    {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoTokenRequest {
    integration_name: Option<String>,
    connection_name: Option<String>,
    external_id: Option<String>,
    end_user_id: Option<String>,
    scope: Option<String>,
    success_redirect_uri: Option<String>,
    error_redirect_uri: Option<String>,
    sandbox: Option<Map<String, Value>>,
}

/// `POST /api/connect-token`: mints a connect token with the server-held key.
///
/// A demo shortcut: it takes `externalId`, `endUserId` and `scope` from the browser. A real
/// host backend derives them from its own signed-in user, or any visitor could mint a token
/// that attaches a connection to someone else.
async fn connect_token(State(state): State<Shared>, ApiJson(req): ApiJson<DemoTokenRequest>) -> Response {
    let mut v = Validation::default();
    let integration = check_text(&mut v, "integrationName", req.integration_name.as_deref(), 100);
    if let Err(e) = v.finish() {
        return e.into_response();
    }
    let integration = integration.unwrap_or_default();
    let mut body = json!({
        "integrationName": integration,
        "connectionName": req.connection_name.unwrap_or_else(|| integration.clone()),
        "externalId": req.external_id.unwrap_or_else(|| "demo-user".into()),
        "workspaceId": state.config.workspace_id,
    });
    for (key, value) in [
        ("endUserId", req.end_user_id),
        ("scope", req.scope),
        ("successRedirectUri", req.success_redirect_uri),
        ("errorRedirectUri", req.error_redirect_uri),
    ] {
        if let Some(value) = value {
            body[key] = Value::String(value);
        }
    }
    // Fault knobs only mean something to the sandbox; real Weavz never sees them.
    if let Some(knobs) = req.sandbox
        && state.config.weavz_base_url.is_none()
    {
        body["sandbox"] = Value::Object(knobs);
    }
    forward(&state, "/api/v1/connect/token", body).await
}

#[derive(Deserialize)]
struct SessionRequest {
    token: Option<String>,
}

/// `POST /api/connect-session`: proxies the session poll for the browser.
async fn connect_session(State(state): State<Shared>, ApiJson(req): ApiJson<SessionRequest>) -> Response {
    forward(
        &state,
        "/api/v1/connect/session/poll",
        json!({ "token": req.token }),
    )
    .await
}

/// `GET /api/connections`: the workspace's connections, for the demo's list.
async fn connections(State(state): State<Shared>) -> Response {
    let path = format!("/api/v1/connections?workspaceId={}", state.config.workspace_id);
    relay(
        state
            .http
            .get(format!("{}{path}", state.upstream()))
            .bearer_auth(&state.config.api_key),
    )
    .await
}

/// Calls Weavz with the API key and relays status, body and `Retry-After`.
async fn forward(state: &Shared, path: &str, body: Value) -> Response {
    let url = format!("{}{path}", state.upstream());
    relay(
        state
            .http
            .post(&url)
            .bearer_auth(&state.config.api_key)
            .json(&body),
    )
    .await
}

async fn relay(request: reqwest::RequestBuilder) -> Response {
    let sent = request.send().await;
    let res = match sent {
        Ok(res) => res,
        Err(e) => {
            return ApiError::new(
                StatusCode::BAD_GATEWAY,
                "UPSTREAM_UNAVAILABLE",
                format!("Weavz could not be reached: {e}"),
            )
            .into_response();
        }
    };
    let status = StatusCode::from_u16(res.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let retry_after = res.headers().get(header::RETRY_AFTER).cloned();
    let body: Value = match res.json().await {
        Ok(v) => v,
        Err(_) => {
            return ApiError::new(
                StatusCode::BAD_GATEWAY,
                "UPSTREAM_INVALID",
                "Weavz answered with something that is not JSON",
            )
            .into_response();
        }
    };
    let mut out = (status, Json(body)).into_response();
    let h: &mut HeaderMap = out.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(v) = retry_after {
        h.insert(header::RETRY_AFTER, v);
    }
    out
}
