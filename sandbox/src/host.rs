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

use crate::api::extract::{ApiJson, ApiPath, ApiQuery};
use crate::api::validate::check_text;
use crate::catalog;
use crate::error::{ApiError, Validation};
use crate::pages::{asset, document, html_response};
use crate::state::Shared;
use crate::util::{MAX_BODY_BYTES, escape_html};

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
        .route("/api/connections/{id}", axum::routing::delete(delete_connection))
        .route("/api/integrations", get(integrations))
        .route("/api/end-users", get(end_users))
        .route("/api/end-user-connect-token", post(end_user_connect_token))
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConnectionsQuery {
    end_user_id: Option<String>,
    integration_name: Option<String>,
}

/// `GET /api/connections[?endUserId=…&integrationName=…]`: the workspace's connections,
/// for the demo's lists. The filters are passed to Weavz and applied again here, so the
/// answer is right even from an API that ignores them.
async fn connections(State(state): State<Shared>, ApiQuery(q): ApiQuery<ConnectionsQuery>) -> Response {
    let mut query = vec![("workspaceId", state.config.workspace_id.as_str())];
    if let Some(user) = &q.end_user_id {
        query.push(("endUserId", user));
    }
    if let Some(name) = &q.integration_name {
        query.push(("integrationName", name));
    }
    let request = state
        .http
        .get(format!("{}/api/v1/connections", state.upstream()))
        .query(&query)
        .bearer_auth(&state.config.api_key);
    let mut answer = match call(request).await {
        Ok(answer) => answer,
        Err(res) => return res,
    };
    if answer.status.is_success()
        && let Some(list) = answer.body.get_mut("connections").and_then(Value::as_array_mut)
    {
        list.retain(|c| {
            let field_is = |key: &str, wanted: &Option<String>| {
                wanted
                    .as_deref()
                    .is_none_or(|w| c.get(key).and_then(Value::as_str) == Some(w))
            };
            field_is("endUserId", &q.end_user_id) && field_is("integrationName", &q.integration_name)
        });
        if q.end_user_id.is_some() || q.integration_name.is_some() {
            answer.body["total"] = json!(list.len());
        }
    }
    respond(answer)
}

/// `GET /api/integrations`: the integration catalog (`?summary=true`), for the panel's
/// picker.
async fn integrations(State(state): State<Shared>) -> Response {
    relay(
        state
            .http
            .get(format!("{}/api/v1/integrations", state.upstream()))
            .query(&[("summary", "true")])
            .bearer_auth(&state.config.api_key),
    )
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteQuery {
    end_user_id: Option<String>,
}

/// `DELETE /api/connections/:id[?endUserId=…]`: disconnects one of the demo workspace's
/// connections. A host backend deletes only what belongs to it: the connection is looked
/// up first; one of another workspace (or an id Weavz answers for with another
/// connection) is a 404, as if it did not exist, and with `endUserId` one that is not that
/// end user's is a 403. The same checks run whether Weavz is this sandbox or real.
async fn delete_connection(
    State(state): State<Shared>,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> Response {
    let not_found = || {
        ApiError::not_found("CONNECTION_NOT_FOUND", format!("Connection '{id}' not found")).into_response()
    };
    let Ok(item) = upstream_url(&state, &["api", "v1", "connections", &id]) else {
        return not_found();
    };
    let lookup = state
        .http
        .get(format!("{}/api/v1/connections", state.upstream()))
        .query(&[("id", id.as_str())])
        .bearer_auth(&state.config.api_key);
    let answer = match call(lookup).await {
        Ok(answer) => answer,
        Err(res) => return res,
    };
    if !answer.status.is_success() {
        return respond(answer);
    }
    let found = &answer.body["connection"];
    let owned = found["id"].as_str() == Some(id.as_str())
        && found["workspaceId"].as_str() == Some(state.config.workspace_id.as_str());
    if !owned {
        return not_found();
    }
    if let Some(user) = &q.end_user_id
        && found["endUserId"].as_str() != Some(user.as_str())
    {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            format!("Connection '{id}' does not belong to end user '{user}'"),
        )
        .into_response();
    }
    relay(state.http.delete(item).bearer_auth(&state.config.api_key)).await
}

/// The upstream URL of a path made of `segments`, each percent-encoded as one segment
/// (`/`, `?`, `#`, `%` and the rest), so that an id cannot reach another endpoint. An
/// empty, `.` or `..` segment (which URL parsers resolve away) is refused.
fn upstream_url(state: &Shared, segments: &[&str]) -> Result<url::Url, ApiError> {
    let refused = || upstream_invalid("a path segment cannot be empty, `.` or `..`");
    if segments.iter().any(|s| matches!(*s, "" | "." | "..")) {
        return Err(refused());
    }
    let mut url =
        url::Url::parse(&state.upstream()).map_err(|_| upstream_invalid("WEAVZ_BASE_URL is not a URL"))?;
    url.path_segments_mut()
        .map_err(|_| upstream_invalid("WEAVZ_BASE_URL cannot have a path"))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// `GET /api/end-users`: the workspace's end users, for the demo's picker.
async fn end_users(State(state): State<Shared>) -> Response {
    relay(
        state
            .http
            .get(format!("{}/api/v1/end-users", state.upstream()))
            .query(&[("workspaceId", state.config.workspace_id.as_str())])
            .bearer_auth(&state.config.api_key),
    )
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EndUserTokenRequest {
    end_user_id: Option<String>,
    #[serde(alias = "integration")]
    integration_name: Option<String>,
    display_name: Option<String>,
    expires_in: Option<Value>,
    sandbox: Option<Map<String, Value>>,
}

/// `POST /api/end-user-connect-token` (body `{ endUserId, integrationName?, displayName?,
/// expiresIn? }`; `integration` is accepted for `integrationName`): registers the end user
/// in the workspace unless Weavz knows them already, then creates a portal token for them.
/// Answers Weavz's `{ connectUrl, token, expiresAt }` plus `endUserId`. The body and the
/// integration are checked before anyone is registered.
///
/// A demo shortcut like `/api/connect-token`: it takes the end user from the browser. A
/// real host backend uses its own signed-in user's id.
async fn end_user_connect_token(
    State(state): State<Shared>,
    ApiJson(req): ApiJson<EndUserTokenRequest>,
) -> Response {
    let mut v = Validation::default();
    let external_id = check_text(&mut v, "endUserId", req.end_user_id.as_deref(), 255);
    if let Some(name) = &req.integration_name {
        check_text(&mut v, "integrationName", Some(name), 100);
    }
    if let Some(name) = &req.display_name {
        check_text(&mut v, "displayName", Some(name), 255);
    }
    // Weavz's documented range, checked here so that a bad request registers no one.
    if let Some(ttl) = &req.expires_in
        && !ttl.as_i64().is_some_and(|s| PORTAL_TTL_RANGE.contains(&s))
    {
        v.push(
            "expiresIn",
            "must be a whole number of seconds from 3600 to 2592000",
        );
    }
    if let Err(e) = v.finish() {
        return e.into_response();
    }
    let external_id = external_id.unwrap_or_default();
    if let Some(name) = &req.integration_name {
        // The same reason: an unknown integration must fail before the end user exists.
        let known = call(
            state
                .http
                .get(format!("{}/api/v1/integrations", state.upstream()))
                .query(&[("name", name.as_str())]),
        )
        .await;
        match known {
            Ok(answer) if answer.status.is_success() => {}
            Ok(answer) => return respond(answer),
            Err(res) => return res,
        }
    }
    let id = match find_or_register_end_user(&state, &external_id, req.display_name).await {
        Ok(id) => id,
        Err(res) => return res,
    };
    let mut body = json!({});
    if let Some(name) = req.integration_name {
        body["integrationName"] = Value::String(name);
    }
    if let Some(ttl) = req.expires_in {
        body["expiresIn"] = ttl;
    }
    // As for connect tokens: the knobs go to the sandbox only.
    if let Some(knobs) = req.sandbox
        && state.config.weavz_base_url.is_none()
    {
        body["sandbox"] = Value::Object(knobs);
    }
    let url = match upstream_url(&state, &["api", "v1", "end-users", &id, "connect-token"]) {
        Ok(url) => url,
        Err(e) => return e.into_response(),
    };
    let request = state
        .http
        .post(url)
        .bearer_auth(&state.config.api_key)
        .json(&body);
    let mut answer = match call(request).await {
        Ok(answer) => answer,
        Err(res) => return res,
    };
    if answer.status.is_success() && answer.body.is_object() {
        answer.body["endUserId"] = Value::String(external_id);
    }
    respond(answer)
}

/// Portal token lifetimes Weavz accepts, in seconds (1 hour … 30 days).
const PORTAL_TTL_RANGE: std::ops::RangeInclusive<i64> = 3600..=2_592_000;

/// Most end-user pages read while looking for an existing end user.
const MAX_END_USER_PAGES: usize = 50;

/// The Weavz id of the workspace's end user with this external id, registering them
/// first if needed. `Err` is the response to relay.
async fn find_or_register_end_user(
    state: &Shared,
    external_id: &str,
    display_name: Option<String>,
) -> Result<String, Response> {
    let workspace = state.config.workspace_id.as_str();
    let mut body = json!({ "workspaceId": workspace, "externalId": external_id });
    if let Some(name) = display_name {
        body["displayName"] = Value::String(name);
    }
    let created = call(
        state
            .http
            .post(format!("{}/api/v1/end-users", state.upstream()))
            .bearer_auth(&state.config.api_key)
            .json(&body),
    )
    .await?;
    if created.status.is_success() {
        return end_user_id(&created.body["endUser"]).map_err(IntoResponse::into_response);
    }
    if created.status != StatusCode::CONFLICT {
        return Err(respond(created));
    }
    // Already registered: find them (Weavz has no lookup by external id).
    const PAGE: usize = 200;
    for page in 0..MAX_END_USER_PAGES {
        let offset = (page * PAGE).to_string();
        let limit = PAGE.to_string();
        let listed = call(
            state
                .http
                .get(format!("{}/api/v1/end-users", state.upstream()))
                .query(&[
                    ("workspaceId", workspace),
                    ("limit", limit.as_str()),
                    ("offset", offset.as_str()),
                ])
                .bearer_auth(&state.config.api_key),
        )
        .await?;
        if !listed.status.is_success() {
            return Err(respond(listed));
        }
        let users = listed.body["endUsers"].as_array().cloned().unwrap_or_default();
        if let Some(user) = users
            .iter()
            .find(|u| u["externalId"].as_str() == Some(external_id))
        {
            return end_user_id(user).map_err(IntoResponse::into_response);
        }
        if users.len() < PAGE {
            break;
        }
    }
    Err(upstream_invalid("Weavz says the end user exists but does not list them").into_response())
}

/// The `id` of an `endUser` object, if it is safe to put in a URL path.
fn end_user_id(user: &Value) -> Result<String, ApiError> {
    user["id"]
        .as_str()
        .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(str::to_owned)
        .ok_or_else(|| upstream_invalid("Weavz answered without a usable end user id"))
}

fn upstream_invalid(message: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_GATEWAY, "UPSTREAM_INVALID", message)
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

/// A Weavz answer: status, JSON body and `Retry-After`.
struct Upstream {
    status: StatusCode,
    body: Value,
    retry_after: Option<HeaderValue>,
}

/// Sends a request to Weavz; `Err` is the 502 to answer when it cannot be reached or does
/// not answer JSON.
async fn call(request: reqwest::RequestBuilder) -> Result<Upstream, Response> {
    let res = request.send().await.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            "UPSTREAM_UNAVAILABLE",
            format!("Weavz could not be reached: {e}"),
        )
        .into_response()
    })?;
    let status = StatusCode::from_u16(res.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let retry_after = res.headers().get(header::RETRY_AFTER).cloned();
    let body: Value = res
        .json()
        .await
        .map_err(|_| upstream_invalid("Weavz answered with something that is not JSON").into_response())?;
    Ok(Upstream {
        status,
        body,
        retry_after,
    })
}

/// Relays a Weavz answer to the browser: status, body and `Retry-After`, never cached.
fn respond(answer: Upstream) -> Response {
    let mut out = (answer.status, Json(answer.body)).into_response();
    let h: &mut HeaderMap = out.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(v) = answer.retry_after {
        h.insert(header::RETRY_AFTER, v);
    }
    out
}

async fn relay(request: reqwest::RequestBuilder) -> Response {
    match call(request).await {
        Ok(answer) => respond(answer),
        Err(res) => res,
    }
}
