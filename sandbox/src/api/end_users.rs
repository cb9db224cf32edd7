//! End users: `POST /api/v1/end-users`, `GET /api/v1/end-users[/:id]`,
//! `DELETE /api/v1/end-users/:id`, `POST /api/v1/end-users/:id/connect-token`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use time::Duration;

use weavz_connect::protocol::TokenResponse;

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::validate::{check_text, check_uuid};
use crate::catalog;
use crate::error::{ApiError, Validation};
use crate::state::Shared;
use crate::store::{EndUser, Knobs, PortalToken};
use crate::util::{iso, now, secret, uuid, wire_json};

/// Portal token lifetime bounds and default, in seconds (1 hour … 30 days, 7 days).
const PORTAL_TTL_RANGE: std::ops::RangeInclusive<i64> = 3600..=2_592_000;
const PORTAL_TTL_DEFAULT: i64 = 604_800;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateEndUser {
    workspace_id: Option<String>,
    external_id: Option<String>,
    display_name: Option<String>,
    email: Option<String>,
    metadata: Option<serde_json::Map<String, Value>>,
}

/// `POST /api/v1/end-users` → 201 `{ endUser }`; 409 `DUPLICATE`.
pub async fn create(
    State(state): State<Shared>,
    ApiJson(req): ApiJson<CreateEndUser>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut v = Validation::default();
    let workspace_id = check_uuid(&mut v, "workspaceId", req.workspace_id.as_deref());
    let external_id = check_text(&mut v, "externalId", req.external_id.as_deref(), 255);
    if let Some(name) = &req.display_name {
        check_text(&mut v, "displayName", Some(name), 255);
    }
    if let Some(email) = &req.email
        && (!email.contains('@') || email.len() > 320)
    {
        v.push("email", "must be an e-mail address");
    }
    v.finish()?;
    let (workspace_id, external_id) = (workspace_id.unwrap_or_default(), external_id.unwrap_or_default());

    let mut store = state.store.lock().await;
    if store
        .end_users
        .values()
        .any(|u| u.workspace_id == workspace_id && u.external_id == external_id)
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "DUPLICATE",
            format!("An end user with externalId '{external_id}' already exists in this workspace"),
        ));
    }
    let t = now();
    let user = EndUser {
        id: uuid(),
        workspace_id,
        external_id,
        display_name: req.display_name,
        email: req.email,
        metadata: Value::Object(req.metadata.unwrap_or_default()),
        created_at: t,
        updated_at: t,
    };
    let body = json!({ "endUser": user.json(0) });
    store.insert_end_user(user, t);
    Ok((StatusCode::CREATED, Json(body)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    workspace_id: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
}

/// `GET /api/v1/end-users?workspaceId=…` → `{ endUsers, total }`.
pub async fn list(
    State(state): State<Shared>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let mut v = Validation::default();
    let workspace_id = check_uuid(&mut v, "workspaceId", q.workspace_id.as_deref());
    v.finish()?;
    let workspace_id = workspace_id.unwrap_or_default();
    let store = state.store.lock().await;
    let mut users: Vec<&EndUser> = store
        .end_users
        .values()
        .filter(|u| u.workspace_id == workspace_id)
        .collect();
    // Ties broken by id, so that pages never overlap or skip.
    users.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let total = users.len();
    let page: Vec<Value> = users
        .into_iter()
        .skip(q.offset.unwrap_or(0))
        .take(q.limit.unwrap_or(50).min(200))
        .map(|u| u.json(store.connection_count(u)))
        .collect();
    Ok(Json(json!({ "endUsers": page, "total": total })))
}

fn user_not_found(id: &str) -> ApiError {
    ApiError::not_found("END_USER_NOT_FOUND", format!("End user '{id}' not found"))
}

/// `GET /api/v1/end-users/:id` → `{ endUser, connections }`.
pub async fn get(State(state): State<Shared>, ApiPath(id): ApiPath) -> Result<Json<Value>, ApiError> {
    let store = state.store.lock().await;
    let user = store.end_users.get(&id).ok_or_else(|| user_not_found(&id))?;
    let connections: Vec<Value> = store.connections_of(user).map(|c| c.json()).collect();
    Ok(Json(json!({
        "endUser": user.json(connections.len()),
        "connections": connections,
    })))
}

/// `DELETE /api/v1/end-users/:id` → `{ deleted: true, id }`. The end user's connections
/// and portal tokens go with them, and their unfinished connect sessions fail.
pub async fn delete(State(state): State<Shared>, ApiPath(id): ApiPath) -> Result<Json<Value>, ApiError> {
    let mut store = state.store.lock().await;
    store
        .remove_end_user(&id, now())
        .ok_or_else(|| user_not_found(&id))?;
    Ok(Json(json!({ "deleted": true, "id": id })))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PortalTokenRequest {
    integration_name: Option<String>,
    workspace_integration_id: Option<String>,
    expires_in: Option<i64>,
    /// Sandbox knobs for every session the portal starts.
    sandbox: Option<Knobs>,
}

/// `POST /api/v1/end-users/:id/connect-token` → `{ connectUrl, token: "eut_…", expiresAt }`
/// (a [`TokenResponse`]).
pub async fn create_portal_token(
    State(state): State<Shared>,
    ApiPath(id): ApiPath,
    body: Option<ApiJson<PortalTokenRequest>>,
) -> Result<Json<Value>, ApiError> {
    let req = body.map(|ApiJson(b)| b).unwrap_or_default();
    let mut v = Validation::default();
    let ttl = req.expires_in.unwrap_or(PORTAL_TTL_DEFAULT);
    if !PORTAL_TTL_RANGE.contains(&ttl) {
        v.push("expiresIn", "must be between 3600 and 2592000 seconds");
    }
    if let Some(name) = &req.integration_name {
        check_text(&mut v, "integrationName", Some(name), 100);
    }
    if let Some(wi) = &req.workspace_integration_id {
        check_uuid(&mut v, "workspaceIntegrationId", Some(wi));
    }
    let knobs = req.sandbox.unwrap_or_default();
    super::connect::check_knobs(&mut v, &knobs);
    v.finish()?;
    if let Some(name) = &req.integration_name
        && catalog::find(name).is_none()
    {
        return Err(ApiError::not_found(
            "INTEGRATION_NOT_FOUND",
            format!("Integration '{name}' not found"),
        ));
    }
    let mut store = state.store.lock().await;
    if !store.end_users.contains_key(&id) {
        return Err(user_not_found(&id));
    }
    let token = secret("eut_");
    let expires_at = now() + Duration::seconds(ttl);
    store.portal_tokens.insert(
        token.clone(),
        PortalToken {
            end_user_id: id,
            integration_name: req.integration_name,
            expires_at,
            knobs,
            browser: None,
        },
    );
    let answer = TokenResponse {
        connect_url: state.portal_url(&token),
        token,
        expires_at: iso(expires_at),
    };
    Ok(Json(wire_json(&answer)))
}
