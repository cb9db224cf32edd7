//! A fake OAuth2 authorization server on its own origin, one per integration under
//! `/oauth/:app/…`: consent page with Approve / Deny, authorization codes bound to the
//! PKCE S256 challenge, a token endpoint that checks client, redirect URI and verifier,
//! and `iss` in every authorization response (RFC 9207).

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::catalog::{self, AuthType, Integration};
use crate::error::ApiError;
use crate::pages::{self, asset, document, html_response};
use crate::state::Shared;
use crate::store::{AuthRequest, CodeGrant};
use crate::util::{MAX_BODY_BYTES, escape_html, now, pkce_challenge, secret, secrets_equal};

const STYLESHEET: &str = "/assets/provider.css";
/// Codes are short-lived, as RFC 6749 §4.1.2 recommends.
const CODE_TTL: time::Duration = time::Duration::seconds(60);
/// Longest `state` and `scope` an authorization request may carry (bytes): they are
/// stored until the user decides, and anyone can send one.
pub const MAX_STATE_BYTES: usize = 2048;
/// See [`MAX_STATE_BYTES`].
pub const MAX_SCOPE_BYTES: usize = 2048;
/// `sandbox_delay_ms` longer than this is shortened to it.
pub const MAX_DELAY_MS: u64 = 5_000;

fn csp(connect_origin: &str) -> String {
    // The consent form posts here and is redirected to the connect origin's callback.
    format!(
        "default-src 'none'; style-src 'self'; img-src data:; form-action 'self' {connect_origin}; \
         frame-ancestors 'none'; base-uri 'none'"
    )
}

/// Routes of the provider origin.
pub fn router() -> Router<Shared> {
    Router::new()
        .route("/", get(home))
        .route("/oauth/{app}/authorize", get(authorize))
        .route("/oauth/{app}/decision", post(decision))
        .route("/oauth/{app}/token", post(token))
        .route(
            "/assets/provider.css",
            get(|| async { asset("text/css; charset=utf-8", include_str!("../assets/provider.css")) }),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

async fn home(State(state): State<Shared>) -> Response {
    let body = "<main class=\"card\"><h1>Sandbox OAuth provider</h1>\
                <p>A fake authorization server for the Weavz sandbox. Nothing to see here.</p></main>";
    html_response(
        StatusCode::OK,
        &csp(&state.origins.connect),
        document("Sandbox provider", STYLESHEET, body, &[]),
    )
}

fn oauth_app(app: &str) -> Option<Integration> {
    catalog::find(app).filter(|i| i.auth == AuthType::OAuth2)
}

fn issuer(state: &Shared, app: &str) -> String {
    format!("{}/oauth/{app}", state.origins.provider)
}

/// A page for errors that must not be sent back to the redirect URI (unknown client or
/// redirect URI, RFC 6749 §4.1.2.1).
fn provider_error(
    state: &Shared,
    headers: &HeaderMap,
    status: StatusCode,
    code: &'static str,
    msg: &str,
) -> Response {
    pages::error_page(
        headers,
        &csp(&state.origins.connect),
        STYLESHEET,
        ApiError::new(status, code, msg),
        &[],
    )
}

fn with_coop(mut res: Response, coop: bool) -> Response {
    if coop {
        res.headers_mut().insert(
            "cross-origin-opener-policy",
            HeaderValue::from_static("same-origin"),
        );
    }
    res
}

fn redirect(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut()
        .insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `redirect_uri` with the authorization response parameters appended.
fn response_url(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(params);
            url.into()
        }
        Err(_) => redirect_uri.to_owned(),
    }
}

async fn authorize(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(app): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(integration) = oauth_app(&app) else {
        return provider_error(
            &state,
            &headers,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "No such OAuth application.",
        );
    };
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    if get("client_id") != integration.client_id() {
        return provider_error(
            &state,
            &headers,
            StatusCode::BAD_REQUEST,
            "INVALID_CLIENT",
            "Unknown client_id.",
        );
    }
    let registered = state.callback_uri(integration.name);
    if get("redirect_uri") != registered {
        return provider_error(
            &state,
            &headers,
            StatusCode::BAD_REQUEST,
            "INVALID_REDIRECT_URI",
            "redirect_uri does not match the registered one.",
        );
    }
    // Checked before anything is echoed back in a redirect or stored.
    for (name, max) in [("state", MAX_STATE_BYTES), ("scope", MAX_SCOPE_BYTES)] {
        if get(name).len() > max {
            return provider_error(
                &state,
                &headers,
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                &format!("{name} is longer than {max} bytes."),
            );
        }
    }
    let iss = issuer(&state, integration.name);
    let state_param = get("state");
    let coop = get("sandbox_coop") == "1";
    let fail = |error: &str, description: &str| {
        let mut params = vec![
            ("error", error),
            ("error_description", description),
            ("iss", iss.as_str()),
        ];
        if !state_param.is_empty() {
            params.push(("state", state_param));
        }
        with_coop(redirect(&response_url(&registered, &params)), coop)
    };
    if get("response_type") != "code" {
        return fail(
            "unsupported_response_type",
            "Only response_type=code is supported.",
        );
    }
    if state_param.is_empty() {
        return fail("invalid_request", "state is required.");
    }
    let challenge = get("code_challenge");
    if get("code_challenge_method") != "S256" || challenge.len() != 43 {
        return fail(
            "invalid_request",
            "PKCE with code_challenge_method=S256 is required.",
        );
    }
    if let Ok(ms) = get("sandbox_delay_ms").parse::<u64>() {
        tokio::time::sleep(Duration::from_millis(ms.min(MAX_DELAY_MS))).await;
    }
    if get("sandbox_deny") == "1" {
        return fail("access_denied", "The user denied access.");
    }
    let request_id = secret("ar_");
    let scope = get("scope").to_owned();
    state.store.lock().await.auth_requests.insert(
        request_id.clone(),
        AuthRequest {
            app: integration.name.to_owned(),
            redirect_uri: registered.clone(),
            state: state_param.to_owned(),
            code_challenge: challenge.to_owned(),
            scope: scope.clone(),
            coop,
        },
    );
    let scopes: String = scope
        .split_whitespace()
        .map(|s| format!("<li><code>{}</code></li>", escape_html(s)))
        .collect();
    let body = format!(
        "<main class=\"card\"><header class=\"brand\"><img src=\"{logo}\" alt=\"\" width=\"48\" height=\"48\">\
         <div><p class=\"eyebrow\">{name} (sandbox provider)</p><h1>Authorize Weavz Sandbox</h1></div></header>\
         <p>Weavz Sandbox wants to access your {name} account:</p><ul class=\"scopes\">{scopes}</ul>\
         <form method=\"post\" action=\"/oauth/{app}/decision\">\
         <input type=\"hidden\" name=\"request\" value=\"{request_id}\">\
         <div class=\"actions\"><button type=\"submit\" name=\"decision\" value=\"deny\" class=\"secondary\">Deny</button>\
         <button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button></div></form></main>",
        logo = escape_html(&integration.logo_url()),
        name = escape_html(integration.display_name),
        app = integration.name,
    );
    let res = html_response(
        StatusCode::OK,
        &csp(&state.origins.connect),
        document(
            &format!("Authorize — {}", integration.display_name),
            STYLESHEET,
            &body,
            &[],
        ),
    );
    with_coop(res, coop)
}

async fn decision(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(app): Path<String>,
    form: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return provider_error(
            &state,
            &headers,
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "The form could not be read.",
        );
    };
    let request_id = form.get("request").cloned().unwrap_or_default();
    let request = state.store.lock().await.auth_requests.remove(&request_id);
    let Some(request) = request.filter(|r| r.app == app) else {
        return provider_error(
            &state,
            &headers,
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "This authorization request is unknown or was already answered.",
        );
    };
    let iss = issuer(&state, &request.app);
    let target = match form.get("decision").map(String::as_str) {
        Some("approve") => {
            let code = secret("code_");
            let Some(integration) = oauth_app(&request.app) else {
                return provider_error(
                    &state,
                    &headers,
                    StatusCode::NOT_FOUND,
                    "NOT_FOUND",
                    "No such OAuth application.",
                );
            };
            state.store.lock().await.codes.insert(
                code.clone(),
                CodeGrant {
                    app: request.app.clone(),
                    client_id: integration.client_id(),
                    redirect_uri: request.redirect_uri.clone(),
                    code_challenge: request.code_challenge.clone(),
                    scope: request.scope.clone(),
                    expires_at: now() + CODE_TTL,
                },
            );
            response_url(
                &request.redirect_uri,
                &[("code", &code), ("state", &request.state), ("iss", &iss)],
            )
        }
        Some("deny") => response_url(
            &request.redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "The user denied access."),
                ("state", &request.state),
                ("iss", &iss),
            ],
        ),
        _ => {
            return provider_error(
                &state,
                &headers,
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                "decision must be approve or deny.",
            );
        }
    };
    with_coop(redirect(&target), request.coop)
}

/// An RFC 6749 §5.2 error from the token endpoint.
fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut res = (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn token(
    State(state): State<Shared>,
    Path(app): Path<String>,
    form: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Expected an application/x-www-form-urlencoded body.",
        );
    };
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let Some(integration) = oauth_app(&app) else {
        return token_error(
            StatusCode::NOT_FOUND,
            "invalid_request",
            "No such OAuth application.",
        );
    };
    if get("grant_type") != "authorization_code" {
        return token_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Only authorization_code is supported.",
        );
    }
    if get("client_id") != integration.client_id()
        || !secrets_equal(get("client_secret"), &integration.client_secret())
    {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed.",
        );
    }
    // A code is redeemable once, whatever happens next (RFC 6749 §4.1.2).
    let grant = state.store.lock().await.codes.remove(get("code"));
    let Some(grant) = grant else {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The code is unknown or was already used.",
        );
    };
    if grant.app != integration.name || grant.client_id != get("client_id") {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The code was issued to another client.",
        );
    }
    if now() >= grant.expires_at {
        return token_error(StatusCode::BAD_REQUEST, "invalid_grant", "The code has expired.");
    }
    if grant.redirect_uri != get("redirect_uri") {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "redirect_uri does not match the authorization request.",
        );
    }
    let verifier = get("code_verifier");
    if verifier.len() < 43
        || verifier.len() > 128
        || !secrets_equal(&pkce_challenge(verifier), &grant.code_challenge)
    {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "PKCE verification failed.",
        );
    }
    let mut res = Json(json!({
        "access_token": secret("at_"),
        "token_type": "Bearer",
        "expires_in": 3600,
        "refresh_token": secret("rt_"),
        "scope": grant.scope,
    }))
    .into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
