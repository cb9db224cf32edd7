//! The OAuth2 client: the connect page (the credential form, or the interstitial that goes
//! on to the provider with a one-time state and a PKCE S256 challenge), the callback and the
//! code exchange.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use weavz_connect::protocol::SessionStatus;

use crate::binding;
use crate::catalog::{self, AuthType, Integration};
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::OAuthPending;
use crate::util::{escape_html, now, pkce_challenge, pkce_verifier, secret};

use super::finish::complete;
use super::form::form_page;
use super::shell::{PageQuery, error, invalid_token, open_session, page, session_window, window_config};

#[derive(Deserialize)]
pub(super) struct TokenQuery {
    token: Option<String>,
}

pub(super) async fn connect_page(
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
    let Some(integration) = catalog::find(&session.target.integration_name) else {
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
        let k = &session.target.knobs;
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

#[derive(Deserialize)]
pub(super) struct CallbackQuery {
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

pub(super) async fn oauth_callback(
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
