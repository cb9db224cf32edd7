//! The hosted connect page on the connect origin: credential forms, the OAuth2 client
//! (authorization code + PKCE S256 + one-time state), and the finish page that reports to
//! the opener or redirects back.

mod portal;
mod shell;

use std::collections::HashMap;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use weavz_connect::protocol::{ResultMessage, SessionStatus, redirect_params};

use crate::binding;
use crate::catalog::{self, AuthType, FieldKind, Integration};
use crate::error::ApiError;
use crate::pages::{self, asset};
use crate::state::Shared;
use crate::store::{Connection, OAuthPending, PostMessageMode, ResultShape, Session};
use crate::util::{
    MAX_BODY_BYTES, escape_html, json_for_script, now, pkce_challenge, pkce_verifier, secret, uuid,
};

pub use shell::page;
use shell::{PageQuery, error, form_error, invalid_token, open_session, session_window, window_config};

/// An origin no page is served from: where `postMessage: "wrong-origin"` posts.
pub const WRONG_ORIGIN: &str = "http://127.0.0.1:9";

const FINISH_JS: &str = "/connect/assets/finish.js";

/// Routes of the hosted page.
pub fn router() -> Router<Shared> {
    Router::new()
        .route("/connect", get(connect_page))
        .route("/connect/submit", post(submit_form))
        .route("/connect/oauth/callback/{app}", get(oauth_callback))
        .route("/connect/portal", get(portal::portal_page))
        .route("/connect/portal/start", post(portal::portal_start))
        .route(
            "/connect/assets/connect.css",
            get(|| async {
                asset(
                    "text/css; charset=utf-8",
                    include_str!("../../assets/connect.css"),
                )
            }),
        )
        .route(
            "/connect/assets/connect.js",
            get(|| async {
                asset(
                    "text/javascript; charset=utf-8",
                    include_str!("../../assets/connect.js"),
                )
            }),
        )
        .route(
            "/connect/assets/finish.js",
            get(|| async {
                asset(
                    "text/javascript; charset=utf-8",
                    include_str!("../../assets/finish.js"),
                )
            }),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

async fn connect_page(
    State(state): State<Shared>,
    headers: HeaderMap,
    PageQuery(q): PageQuery<TokenQuery>,
) -> Response {
    let Some(token) = q.token.filter(|t| !t.is_empty()) else {
        return error(
            &headers,
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "MISSING_TOKEN",
                "This connect link has no token.",
            ),
        );
    };
    let (browser, cookie) = binding::ensure_browser(&headers);
    let res = connect_page_for(&state, &headers, &token, browser).await;
    binding::with_cookie(res, cookie)
}

/// The connect page for `token` in the browser `browser`: the credential form, or for
/// OAuth2 the interstitial that goes on to the provider; an error page if the session is
/// not open or belongs to another browser.
async fn connect_page_for(state: &Shared, headers: &HeaderMap, token: &str, browser: String) -> Response {
    let mut store = state.store.lock().await;
    let session = match open_session(&mut store, token) {
        Ok(s) => s,
        Err(e) => return error(headers, e),
    };
    if let Some(s) = store.session_by_token(token) {
        // The first browser to open the session owns it; another one is refused.
        let owner = s.browser.get_or_insert_with(|| browser.clone());
        if *owner != browser {
            return error(headers, binding::other_browser());
        }
        if s.status == SessionStatus::Pending {
            s.status = SessionStatus::Connecting;
            s.updated_at = now();
        }
    }
    let window = session_window(state, &session);
    let Some(integration) = catalog::find(&session.integration_name) else {
        return error(
            headers,
            ApiError::not_found("INTEGRATION_NOT_FOUND", "Integration not found"),
        );
    };
    if integration.auth != AuthType::OAuth2 {
        drop(store);
        return form_page(
            StatusCode::OK,
            &integration,
            token,
            &window,
            &HashMap::new(),
            &HashMap::new(),
        );
    }

    // OAuth2: a fresh one-time state and PKCE verifier per attempt; earlier attempts of
    // the same session stop working.
    store.oauth_states.retain(|_, p| p.session_id != session.id);
    let state_param = secret("st_");
    let verifier = pkce_verifier();
    let challenge = pkce_challenge(&verifier);
    store.oauth_states.insert(
        state_param.clone(),
        OAuthPending {
            session_id: session.id.clone(),
            integration_name: integration.name.to_owned(),
            verifier,
        },
    );
    drop(store);
    let mut url = match url::Url::parse(&format!(
        "{}/oauth/{}/authorize",
        state.origins.provider, integration.name
    )) {
        Ok(u) => u,
        Err(_) => {
            return error(
                headers,
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL_ERROR",
                    "Bad provider URL",
                ),
            );
        }
    };
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &integration.client_id())
            .append_pair("redirect_uri", &state.callback_uri(integration.name))
            .append_pair("scope", &integration.scopes.join(" "))
            .append_pair("state", &state_param)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        let k = &session.knobs;
        if k.provider_coop {
            q.append_pair("sandbox_coop", "1");
        }
        if k.auto_deny {
            q.append_pair("sandbox_deny", "1");
        }
        if k.consent_delay_ms > 0 {
            q.append_pair("sandbox_delay_ms", &k.consent_delay_ms.to_string());
        }
    }
    // Not a 302: a page of ours runs first, so that the window records the session it
    // was opened for before it leaves for the provider (see connect.js).
    let mut window = window;
    window["next"] = Value::String(url.into());
    let name = escape_html(integration.display_name);
    let body = format!(
        "<main class=\"card\"><header class=\"brand\"><img src=\"{logo}\" alt=\"\" width=\"40\" height=\"40\">\
         <h1>Opening {name}…</h1></header>\
         <p class=\"muted\" role=\"status\">Taking you to {name} to sign in.</p>\
         <noscript><p class=\"error\">Turn on JavaScript to connect {name}.</p></noscript>\
         {config}</main>",
        logo = escape_html(&integration.logo_url()),
        config = window_config(&window),
    );
    page(
        StatusCode::OK,
        &format!("Opening {}", integration.display_name),
        &body,
        &[],
    )
}

fn form_page(
    status: StatusCode,
    integration: &Integration,
    token: &str,
    window: &Value,
    values: &HashMap<String, String>,
    errors: &HashMap<&'static str, &'static str>,
) -> Response {
    let mut fields = String::new();
    for f in &integration.fields {
        let id = format!("f-{}", f.key);
        let (input_type, autocomplete) = match f.kind {
            FieldKind::Secret => ("password", "off"),
            FieldKind::Email => ("email", "email"),
            FieldKind::Text => ("text", "off"),
        };
        // Secrets are never echoed back into the page.
        let value = if f.kind == FieldKind::Secret {
            String::new()
        } else {
            values.get(f.key).map(|v| escape_html(v)).unwrap_or_default()
        };
        let err = errors.get(f.key);
        let mut described = Vec::new();
        let help = if f.help.is_empty() {
            String::new()
        } else {
            described.push(format!("{id}-help"));
            format!("<p class=\"help\" id=\"{id}-help\">{}</p>", escape_html(f.help))
        };
        let err_html = match err {
            Some(msg) => {
                described.push(format!("{id}-error"));
                format!(
                    "<p class=\"field-error\" id=\"{id}-error\">{}</p>",
                    escape_html(msg)
                )
            }
            None => String::new(),
        };
        fields.push_str(&format!(
            "<div class=\"field\"><label for=\"{id}\">{label}</label>\
             <input id=\"{id}\" name=\"{key}\" type=\"{input_type}\" autocomplete=\"{autocomplete}\" \
             required value=\"{value}\"{invalid}{describedby}>{help}{err_html}</div>",
            label = escape_html(f.label),
            key = f.key,
            invalid = if err.is_some() {
                " aria-invalid=\"true\""
            } else {
                ""
            },
            describedby = if described.is_empty() {
                String::new()
            } else {
                format!(" aria-describedby=\"{}\"", described.join(" "))
            },
        ));
    }
    let summary = if errors.is_empty() {
        String::new()
    } else {
        "<p class=\"error\" role=\"alert\">Please correct the highlighted fields.</p>".to_owned()
    };
    let body = format!(
        "<main class=\"card\"><header class=\"brand\"><img src=\"{logo}\" alt=\"\" width=\"40\" height=\"40\">\
         <h1>Connect {name}</h1></header>\
         <p class=\"muted\">Enter your {name} credentials. They are stored by Weavz and never shared with the app.</p>\
         {summary}<form method=\"post\" action=\"/connect/submit\" novalidate>\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">{fields}\
         <button type=\"submit\">Connect</button></form>\
         <p class=\"foot\">Weavz sandbox</p>{config}</main>",
        logo = escape_html(&integration.logo_url()),
        name = escape_html(integration.display_name),
        token = escape_html(token),
        config = window_config(window),
    );
    page(
        status,
        &format!("Connect {}", integration.display_name),
        &body,
        &[],
    )
}

async fn submit_form(
    State(state): State<Shared>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
) -> Response {
    if let Err(e) = binding::same_origin_post(&headers, &state.origins.connect) {
        return error(&headers, e);
    }
    let values = match form {
        Ok(Form(values)) => values,
        Err(rejection) => return form_error(&headers, &rejection),
    };
    let token = values.get("token").cloned().unwrap_or_default();
    if token.is_empty() {
        return error(
            &headers,
            ApiError::new(StatusCode::BAD_REQUEST, "MISSING_TOKEN", "The form has no token."),
        );
    }
    let session = {
        let mut store = state.store.lock().await;
        match open_session(&mut store, &token) {
            Ok(s) => s,
            Err(e) => return error(&headers, e),
        }
    };
    // Only the browser whose connect page showed this form may submit it.
    if !binding::same_browser(&headers, session.browser.as_deref()) {
        return error(&headers, binding::other_browser());
    }
    let Some(integration) = catalog::find(&session.integration_name) else {
        return error(
            &headers,
            ApiError::not_found("INTEGRATION_NOT_FOUND", "Integration not found"),
        );
    };
    if integration.auth == AuthType::OAuth2 {
        return error(
            &headers,
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "NOT_A_FORM",
                "This integration connects through OAuth2, not a form.",
            ),
        );
    }
    if session.knobs.consent_delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(session.knobs.consent_delay_ms)).await;
    }
    let mut errors = HashMap::new();
    let mut credentials = serde_json::Map::new();
    for f in &integration.fields {
        let value = values.get(f.key).map(String::as_str).unwrap_or("");
        match (f.check)(value) {
            Some(msg) => {
                errors.insert(f.key, msg);
            }
            None => {
                // Secrets are stored exactly as typed; other fields lose stray spaces.
                let value = if f.kind == FieldKind::Secret {
                    value
                } else {
                    value.trim()
                };
                credentials.insert(f.key.to_owned(), Value::String(value.to_owned()));
            }
        }
    }
    if !errors.is_empty() {
        if pages::wants_json(&headers) {
            let fields: Vec<Value> = errors
                .iter()
                .map(|(k, m)| json!({ "path": k, "message": m }))
                .collect();
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "VALIDATION_ERROR",
                "Some fields are not valid",
            )
            .with_details(json!({ "fields": fields }))
            .into_response();
        }
        return form_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &integration,
            &token,
            &session_window(&state, &session),
            &values,
            &errors,
        );
    }
    complete(
        &state,
        &headers,
        &token,
        &integration,
        Ok(Value::Object(credentials)),
    )
    .await
}

/// Stores the connection (on success), finishes the session and renders the finish page.
async fn complete(
    state: &Shared,
    headers: &HeaderMap,
    token: &str,
    integration: &Integration,
    outcome: Result<Value, String>,
) -> Response {
    let mut store = state.store.lock().await;
    // The session may have expired or finished while we waited on the user or provider.
    let session = match open_session(&mut store, token) {
        Ok(s) => s,
        Err(e) => return error(headers, e),
    };
    let t = now();
    let result = match outcome {
        Ok(credentials) => Ok(store.upsert_connection(Connection {
            id: uuid(),
            external_id: session.external_id.clone(),
            display_name: session.connection_name.clone(),
            integration_name: session.integration_name.clone(),
            kind: integration.auth.as_str(),
            scope: session.scope,
            workspace_id: Some(session.workspace_id.clone()),
            end_user_id: session.end_user_id.clone(),
            created_at: t,
            updated_at: t,
            credentials,
        })),
        Err(e) => Err(e),
    };
    let Some(session) = store.session_by_token(token) else {
        return error(headers, invalid_token());
    };
    session.finish(t, result);
    let session = session.clone();
    drop(store);
    finish_page(state, &session, integration)
}

/// The page shown when a flow ends. `finish.js` posts the result to the opener (one
/// `postMessage` per allowed origin, each with an exact `targetOrigin`) and closes the
/// window; without an opener it follows the redirect URI, if any.
pub fn finish_page(state: &Shared, session: &Session, integration: &Integration) -> Response {
    let message = match (&session.status, &session.connection_id) {
        (SessionStatus::Completed, Some(id)) => {
            let mut m = ResultMessage::success(id, &session.integration_name, &session.external_id);
            if let weavz_connect::protocol::ResultOutcome::Success { end_user_id, .. } = &mut m.outcome {
                end_user_id.clone_from(&session.end_user_id);
            }
            m
        }
        _ => ResultMessage::error(
            session
                .error
                .clone()
                .unwrap_or_else(|| "The connection failed.".into()),
        ),
    };
    let success = session.status == SessionStatus::Completed;
    let minimal = session.knobs.result_shape == ResultShape::SdkMinimal;
    let mut message = serde_json::to_value(&message).unwrap_or(Value::Null);
    if minimal
        && success
        && let Value::Object(fields) = &mut message
    {
        // What the official SDK accepts as a success: anything but `status: "error"`.
        fields.remove("status");
    }
    let targets = match session.knobs.post_message {
        PostMessageMode::Opener => state.allowed_opener_origins(),
        PostMessageMode::WrongOrigin => vec![WRONG_ORIGIN.to_owned()],
        PostMessageMode::None => Vec::new(),
    };
    let config = json!({
        "message": message,
        "targets": targets,
        // finish.js reports only if this window was opened for this session (or portal).
        "window": { "session": session.id, "portal": session.portal },
        "redirect": redirect_target(session),
        "closeDelayMs": if minimal { 0 } else { 150 },
    });
    let name = integration.display_name;
    let (title, text) = if success {
        (
            format!("Connected to {name}"),
            "You can close this window and go back to the app.".to_owned(),
        )
    } else {
        (
            format!("Could not connect to {name}"),
            escape_html(session.error.as_deref().unwrap_or("The connection failed.")),
        )
    };
    let body = format!(
        "<main class=\"card\"><header class=\"brand\"><img src=\"{logo}\" alt=\"\" width=\"40\" height=\"40\">\
         <h1>{heading}</h1></header><p class=\"{class}\" role=\"status\">{text}</p>\
         <p class=\"muted\" id=\"close-hint\">This window closes by itself.</p>\
         <script type=\"application/json\" id=\"weavz-result\">{data}</script></main>",
        logo = escape_html(&integration.logo_url()),
        heading = escape_html(&title),
        class = if success { "ok" } else { "error" },
        data = json_for_script(&config),
    );
    let status = StatusCode::OK;
    page(status, &title, &body, &[FINISH_JS])
}

/// The redirect-mode target: the matching redirect URI plus the result parameters.
fn redirect_target(session: &Session) -> Option<String> {
    let success = session.status == SessionStatus::Completed;
    let base = if success {
        session.success_redirect_uri.as_ref()
    } else {
        session
            .error_redirect_uri
            .as_ref()
            .or(session.success_redirect_uri.as_ref())
    }?;
    let mut url = url::Url::parse(base).ok()?;
    {
        let mut q = url.query_pairs_mut();
        if success {
            q.append_pair(redirect_params::STATUS, "success")
                .append_pair(
                    redirect_params::CONNECTION_ID,
                    session.connection_id.as_deref().unwrap_or(""),
                )
                .append_pair(redirect_params::INTEGRATION_NAME, &session.integration_name)
                .append_pair(redirect_params::EXTERNAL_ID, &session.external_id);
        } else {
            q.append_pair(redirect_params::STATUS, "error")
                .append_pair(redirect_params::INTEGRATION_NAME, &session.integration_name)
                .append_pair(redirect_params::EXTERNAL_ID, &session.external_id)
                .append_pair(
                    redirect_params::ERROR,
                    session.error.as_deref().unwrap_or("The connection failed."),
                );
        }
    }
    Some(url.into())
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<u64>,
    scope: Option<String>,
}

async fn oauth_callback(
    State(state): State<Shared>,
    headers: HeaderMap,
    app: Result<Path<String>, axum::extract::rejection::PathRejection>,
    PageQuery(q): PageQuery<CallbackQuery>,
) -> Response {
    let invalid_state = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_STATE",
            "This authorization response is not valid (unknown, reused or expired state). Start again from the app.",
        )
    };
    let Ok(Path(app)) = app else {
        return error(&headers, ApiError::not_found("NOT_FOUND", "No such page."));
    };
    let Some(state_param) = q.state.filter(|s| !s.is_empty()) else {
        return error(&headers, invalid_state());
    };
    let (pending, token) = {
        let mut store = state.store.lock().await;
        let Some(pending) = store.oauth_states.get(&state_param) else {
            return error(&headers, invalid_state());
        };
        let Some(session) = store.sessions.get(&pending.session_id) else {
            return error(&headers, invalid_token());
        };
        // The state belongs to the browser that opened the session: someone else's
        // authorization response, replayed here, changes nothing (and keeps its state).
        if !binding::same_browser(&headers, session.browser.as_deref()) {
            return error(&headers, binding::other_browser());
        }
        let token = session.token.clone();
        // The state is one-time: it is gone whether or not the rest checks out.
        let Some(pending) = store.oauth_states.remove(&state_param) else {
            return error(&headers, invalid_state());
        };
        (pending, token)
    };
    let Some(integration) = catalog::find(&pending.integration_name) else {
        return error(&headers, invalid_state());
    };
    let expected_iss = format!("{}/oauth/{}", state.origins.provider, integration.name);
    if app != integration.name || q.iss.as_deref() != Some(expected_iss.as_str()) {
        let msg = format!(
            "The authorization response for {} came from the wrong provider.",
            integration.display_name
        );
        return complete(&state, &headers, &token, &integration, Err(msg)).await;
    }
    if let Some(err) = q.error {
        let msg = if err == "access_denied" {
            format!("Access was denied at {}.", integration.display_name)
        } else {
            let detail = q.error_description.unwrap_or(err);
            format!("{} returned an error: {detail}", integration.display_name)
        };
        return complete(&state, &headers, &token, &integration, Err(msg)).await;
    }
    let Some(code) = q.code.filter(|c| !c.is_empty()) else {
        return error(
            &headers,
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "MISSING_CODE",
                "The authorization response has no code.",
            ),
        );
    };
    let outcome = exchange_code(&state, &integration, &code, &pending.verifier).await;
    complete(&state, &headers, &token, &integration, outcome).await
}

/// Redeems the code at the provider's token endpoint, proving possession of the verifier.
async fn exchange_code(
    state: &Shared,
    integration: &Integration,
    code: &str,
    verifier: &str,
) -> Result<Value, String> {
    let url = format!("{}/oauth/{}/token", state.origins.provider, integration.name);
    let client_id = integration.client_id();
    let client_secret = integration.client_secret();
    let redirect_uri = state.callback_uri(integration.name);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri.as_str()),
        ("client_id", client_id.as_str()),
        ("client_secret", client_secret.as_str()),
        ("code_verifier", verifier),
    ];
    let failed = |why: String| format!("Token exchange with {} failed: {why}", integration.display_name);
    let res = state
        .http
        .post(&url)
        .form(&form)
        .send()
        .await
        .map_err(|e| failed(e.to_string()))?;
    if !res.status().is_success() {
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        let reason = body["error_description"]
            .as_str()
            .or(body["error"].as_str())
            .unwrap_or("no details");
        return Err(failed(format!("{status}: {reason}")));
    }
    let answer: TokenAnswer = res.json().await.map_err(|e| failed(e.to_string()))?;
    Ok(json!({
        "accessToken": answer.access_token,
        "refreshToken": answer.refresh_token,
        "expiresIn": answer.expires_in,
        "scope": answer.scope,
    }))
}
