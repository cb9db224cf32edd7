//! `POST /api/v1/connect/token`, `POST /api/v1/connect/session/poll`,
//! `GET /api/v1/connect/session/:sessionId`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use time::Duration;

use weavz_connect::protocol::TokenResponse;

use super::extract::{ApiJson, ApiPath};
use super::validate::{check_text, check_uuid, parse_redirect_uri};
use crate::catalog::{self, AuthType};
use crate::error::{ApiError, Validation};
use crate::state::Shared;
use crate::store::{Knobs, MAX_POLL_HANGS, POLL_HANG, Scope, Session, SessionTarget, TOKEN_TTL};
use crate::util::{iso, now, secret, uuid, wire_json};

/// Longest consent delay a knob may ask for (the provider also shortens longer
/// `sandbox_delay_ms` to it).
const MAX_CONSENT_DELAY_MS: u64 = crate::provider::MAX_DELAY_MS;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest {
    integration_name: Option<String>,
    connection_name: Option<String>,
    external_id: Option<String>,
    workspace_id: Option<String>,
    end_user_id: Option<String>,
    scope: Option<Scope>,
    oauth_app_id: Option<String>,
    oauth_app_mode: Option<OAuthAppMode>,
    workspace_integration_id: Option<String>,
    auth_method_key: Option<String>,
    success_redirect_uri: Option<String>,
    error_redirect_uri: Option<String>,
    sandbox: Option<Knobs>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum OAuthAppMode {
    WeavzManaged,
    Custom,
}

/// `POST /api/v1/connect/token`.
pub async fn create_token(
    State(state): State<Shared>,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<Json<Value>, ApiError> {
    let mut v = Validation::default();
    let integration_name = check_text(&mut v, "integrationName", req.integration_name.as_deref(), 100);
    let connection_name = check_text(&mut v, "connectionName", req.connection_name.as_deref(), 255);
    let external_id = check_text(&mut v, "externalId", req.external_id.as_deref(), 255);
    let workspace_id = check_uuid(&mut v, "workspaceId", req.workspace_id.as_deref());
    if let Some(end_user) = &req.end_user_id {
        check_text(&mut v, "endUserId", Some(end_user), 255);
    }
    let allowed = state.allowed_opener_origins();
    let success_redirect_uri = req
        .success_redirect_uri
        .as_deref()
        .and_then(|u| parse_redirect_uri(&mut v, "successRedirectUri", u, &allowed));
    let error_redirect_uri = req
        .error_redirect_uri
        .as_deref()
        .and_then(|u| parse_redirect_uri(&mut v, "errorRedirectUri", u, &allowed));
    let knobs = req.sandbox.unwrap_or_default();
    check_knobs(&mut v, &knobs);
    if let Some(key) = &req.auth_method_key
        && key != "default"
    {
        v.push(
            "authMethodKey",
            "the sandbox's integrations have one auth method, \"default\"",
        );
    }
    if let Some(id) = &req.workspace_integration_id {
        check_uuid(&mut v, "workspaceIntegrationId", Some(id));
    }
    v.finish()?;
    let (integration_name, connection_name, external_id, workspace_id) = (
        integration_name.unwrap_or_default(),
        connection_name.unwrap_or_default(),
        external_id.unwrap_or_default(),
        workspace_id.unwrap_or_default(),
    );

    let integration = catalog::find(&integration_name).ok_or_else(|| {
        ApiError::not_found(
            "INTEGRATION_NOT_FOUND",
            format!("Integration '{integration_name}' not found"),
        )
    })?;
    if integration.auth != AuthType::OAuth2 && (knobs.provider_coop || knobs.auto_deny) {
        let knob = if knobs.provider_coop {
            "providerCoop"
        } else {
            "autoDeny"
        };
        return Err(ApiError::invalid_field(
            &format!("sandbox.{knob}"),
            format!("only applies to OAuth2 integrations; '{integration_name}' uses a form"),
        ));
    }
    if integration.auth != AuthType::OAuth2 && (req.oauth_app_id.is_some() || req.oauth_app_mode.is_some()) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "NOT_OAUTH2",
            format!(
                "Integration '{integration_name}' does not use OAuth2; oauthAppId/oauthAppMode do not apply"
            ),
        ));
    }
    if req.oauth_app_mode == Some(OAuthAppMode::Custom) && req.oauth_app_id.is_none() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "MISSING_OAUTH2_CONFIG",
            "oauthAppMode \"custom\" needs an oauthAppId",
        ));
    }
    if let Some(app) = &req.oauth_app_id {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "NO_OAUTH_APP",
            format!("OAuth app '{app}' is not configured; the sandbox only has Weavz-managed apps"),
        ));
    }

    let mut store = state.store.lock().await;
    if let Some(end_user) = &req.end_user_id {
        let known = store
            .end_users
            .values()
            .any(|u| u.workspace_id == workspace_id && &u.external_id == end_user);
        if !known {
            return Err(ApiError::not_found(
                "END_USER_NOT_FOUND",
                format!("End user '{end_user}' not found in workspace {workspace_id}"),
            ));
        }
    }
    let created = now();
    let ttl = knobs
        .ttl_seconds
        .map_or(TOKEN_TTL, |s| Duration::seconds(s as i64));
    let token = secret("cst_");
    let target = SessionTarget {
        integration_name,
        connection_name,
        external_id,
        workspace_id,
        scope: req.scope.unwrap_or(if req.end_user_id.is_some() {
            Scope::User
        } else {
            Scope::Organization
        }),
        end_user_id: req.end_user_id,
        success_redirect_uri,
        error_redirect_uri,
        knobs,
    };
    let session = Session::new(uuid(), token.clone(), target, created, created + ttl);
    let expires_at = iso(session.expires_at);
    store.tokens.insert(token.clone(), session.id.clone());
    store.sessions.insert(session.id.clone(), session);
    let answer = TokenResponse {
        connect_url: state.connect_url(&token),
        token,
        expires_at,
    };
    Ok(Json(wire_json(&answer)))
}

/// Range checks shared by connect tokens and portal tokens (whose knobs apply to every
/// session the portal starts).
pub fn check_knobs(v: &mut Validation, knobs: &Knobs) {
    if knobs.consent_delay_ms > MAX_CONSENT_DELAY_MS {
        v.push(
            "sandbox.consentDelayMs",
            format!("must be at most {MAX_CONSENT_DELAY_MS}"),
        );
    }
    if let Some(ttl) = knobs.ttl_seconds
        && !(1..=TOKEN_TTL.whole_seconds() as u64).contains(&ttl)
    {
        v.push("sandbox.ttlSeconds", "must be between 1 and 14400");
    }
    if knobs.poll_hangs > MAX_POLL_HANGS {
        v.push("sandbox.pollHangs", format!("must be at most {MAX_POLL_HANGS}"));
    }
}

#[derive(Deserialize)]
pub struct PollRequest {
    token: Option<String>,
}

/// `POST /api/v1/connect/session/poll`.
pub async fn poll(
    State(state): State<Shared>,
    ApiJson(req): ApiJson<PollRequest>,
) -> Result<Json<Value>, ApiError> {
    let token = req
        .token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "MISSING_TOKEN", "token is required"))?;
    let mut store = state.store.lock().await;
    let session = store
        .session_by_token(&token)
        .filter(|s| !s.expired(now()))
        .ok_or_else(|| ApiError::unauthorized("Invalid or expired token").with_code("INVALID_TOKEN"))?;
    session.polls += 1;
    let (polls, hangs, failures) = (
        session.polls,
        session.target.knobs.poll_hangs,
        session.target.knobs.poll_failures,
    );
    if polls <= hangs {
        drop(store);
        // The client is meant to give up first (its timeout aborts the request).
        tokio::time::sleep(POLL_HANG).await;
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            format!("Sandbox fault: poll {polls} of {hangs} was held (pollHangs knob)"),
        ));
    }
    if polls - hangs <= failures {
        let mut err = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            format!(
                "Sandbox fault: poll {} of {failures} fails (pollFailures knob)",
                polls - hangs
            ),
        );
        err.retry_after = Some(1);
        return Err(err);
    }
    Ok(Json(wire_json(&session.poll_response())))
}

/// `GET /api/v1/connect/session/:sessionId`. The id is the session's UUID; the `cst_`
/// token is accepted too, since the token response carries no session id.
pub async fn get_session(State(state): State<Shared>, ApiPath(id): ApiPath) -> Result<Json<Value>, ApiError> {
    let mut store = state.store.lock().await;
    let session = match store.sessions.get(&id) {
        Some(s) => Some(s.json()),
        None => store.session_by_token(&id).map(|s| s.json()),
    };
    session
        .map(|s| Json(json!({ "session": s })))
        .ok_or_else(|| ApiError::not_found("SESSION_NOT_FOUND", "Session not found"))
}
