//! Connections: `POST /api/v1/connections`, `GET /api/v1/connections` (+ `?id=`),
//! `DELETE /api/v1/connections/:id`, `POST /api/v1/connections/resolve`; and the
//! sandbox's own `POST /sandbox/connections/:id/status`, which breaks one on purpose.
//!
//! A connection's *slot* is its integration, scope, owner for that scope and `externalId`;
//! a slot holds one connection (see [`Connection::same_slot`]). Resolution finds the
//! connections named by `externalId` (or the end user's own) and keeps those the caller's
//! workspace and end user may use (see [`Connection::visible_from`]).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::validate::{check_secret, check_text, check_uuid};
use crate::catalog::{self, AuthType, FieldKind, Integration};
use crate::error::{ApiError, Validation};
use crate::state::Shared;
use crate::store::{Connection, Scope};
use crate::util::{now, uuid};
use weavz_connect::protocol::ConnectionStatus;

/// Longest secret the API stores (API keys, passwords, tokens), in characters.
const MAX_SECRET_CHARS: usize = 16 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    id: Option<String>,
    workspace_id: Option<String>,
    end_user_id: Option<String>,
    integration_name: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found("CONNECTION_NOT_FOUND", format!("Connection '{id}' not found"))
}

/// Where the connection `id` is in the store's list, or `CONNECTION_NOT_FOUND`.
fn position(connections: &[Connection], id: &str) -> Result<usize, ApiError> {
    connections
        .iter()
        .position(|c| c.id == id)
        .ok_or_else(|| not_found(id))
}

/// `GET /api/v1/connections` → `{ connections, total }`, or `{ connection }` with `?id=`.
pub async fn list(
    State(state): State<Shared>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let store = state.store.lock().await;
    if let Some(id) = &q.id {
        let conn = store
            .connections
            .iter()
            .find(|c| &c.id == id)
            .ok_or_else(|| not_found(id))?;
        return Ok(Json(json!({ "connection": conn.json() })));
    }
    let matching: Vec<_> = store
        .connections
        .iter()
        .filter(|c| {
            q.workspace_id
                .as_ref()
                .is_none_or(|w| c.workspace_id.as_ref() == Some(w))
        })
        .filter(|c| {
            q.end_user_id
                .as_ref()
                .is_none_or(|u| c.end_user_id.as_ref() == Some(u))
        })
        .filter(|c| {
            q.integration_name
                .as_ref()
                .is_none_or(|n| &c.integration_name == n)
        })
        .collect();
    let total = matching.len();
    let page: Vec<Value> = matching
        .into_iter()
        .skip(q.offset.unwrap_or(0))
        .take(q.limit.unwrap_or(100).min(500))
        .map(|c| c.json())
        .collect();
    Ok(Json(json!({ "connections": page, "total": total })))
}

/// `DELETE /api/v1/connections/:id` → `{ deleted: true, id }`.
pub async fn delete(State(state): State<Shared>, ApiPath(id): ApiPath) -> Result<Json<Value>, ApiError> {
    let mut store = state.store.lock().await;
    let index = position(&store.connections, &id)?;
    store.connections.remove(index);
    Ok(Json(json!({ "deleted": true, "id": id })))
}

/// Body of `POST /sandbox/connections/{id}/status`.
#[derive(Deserialize)]
pub struct StatusRequest {
    status: Option<Value>,
    error: Option<Value>,
}

/// Longest `error` text a status change takes, in characters.
const MAX_ERROR_CHARS: usize = 500;

/// `POST /sandbox/connections/{id}/status` (the sandbox's own, outside `/api/v1`):
/// `{"status": "ERROR", "error": "…"}` marks a connection as stopped working, as an expired
/// or revoked credential would; `{"status": "ACTIVE"}` heals it (and drops the error).
/// Answers `{ connection }`; 404 for an unknown id, 400 for any other status or a bad
/// `error`.
pub async fn set_status(
    State(state): State<Shared>,
    ApiPath(id): ApiPath,
    ApiJson(req): ApiJson<StatusRequest>,
) -> Result<Json<Value>, ApiError> {
    let status = match req
        .status
        .as_ref()
        .map(|s| serde_json::from_value::<ConnectionStatus>(s.clone()))
    {
        Some(Ok(status)) => status,
        Some(Err(_)) => {
            return Err(ApiError::invalid_field(
                "status",
                "must be \"ACTIVE\" or \"ERROR\"",
            ));
        }
        None => return Err(ApiError::invalid_field("status", "is required")),
    };
    let error = match (&req.error, status) {
        (None | Some(Value::Null), _) => None,
        (Some(_), ConnectionStatus::Active) => {
            return Err(ApiError::invalid_field("error", "is only for status \"ERROR\""));
        }
        (Some(Value::String(text)), ConnectionStatus::Error) => {
            let mut v = Validation::default();
            let text = check_text(&mut v, "error", Some(text), MAX_ERROR_CHARS);
            v.finish()?;
            text
        }
        (Some(_), ConnectionStatus::Error) => {
            return Err(ApiError::invalid_field("error", "must be a string"));
        }
    };
    let mut store = state.store.lock().await;
    let index = position(&store.connections, &id)?;
    let conn = &mut store.connections[index];
    conn.status = status;
    conn.error = error;
    conn.updated_at = now();
    Ok(Json(json!({ "connection": conn.json() })))
}

/// The `type` of a connection in a create request.
#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
enum ConnectionType {
    #[serde(rename = "SECRET_TEXT")]
    SecretText,
    #[serde(rename = "BASIC_AUTH")]
    BasicAuth,
    #[serde(rename = "CUSTOM_AUTH")]
    CustomAuth,
    #[serde(rename = "OAUTH2")]
    OAuth2,
    #[serde(rename = "PLATFORM_OAUTH2")]
    PlatformOAuth2,
}

impl ConnectionType {
    fn auth(self) -> AuthType {
        match self {
            ConnectionType::SecretText => AuthType::SecretText,
            ConnectionType::BasicAuth => AuthType::BasicAuth,
            ConnectionType::CustomAuth => AuthType::CustomAuth,
            ConnectionType::OAuth2 | ConnectionType::PlatformOAuth2 => AuthType::OAuth2,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            ConnectionType::PlatformOAuth2 => "PLATFORM_OAUTH2",
            other => other.auth().as_str(),
        }
    }
}

/// The body of `POST /api/v1/connections`, with every field the official SDKs send.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRequest {
    #[serde(rename = "type")]
    kind: Option<ConnectionType>,
    external_id: Option<String>,
    display_name: Option<String>,
    integration_name: Option<String>,
    workspace_id: Option<String>,
    end_user_id: Option<String>,
    scope: Option<Scope>,
    auth_method_key: Option<String>,
    oauth_app_id: Option<Value>,
    secret_text: Option<String>,
    username: Option<String>,
    password: Option<String>,
    props: Option<Map<String, Value>>,
    access_token: Option<Value>,
    refresh_token: Option<Value>,
    token_type: Option<Value>,
    expires_in: Option<Value>,
    #[serde(rename = "scope_oauth")]
    scope_oauth: Option<Value>,
    data: Option<Value>,
}

impl CreateRequest {
    /// The credential fields present in the request, by wire name.
    fn credential_fields(&self) -> Vec<&'static str> {
        [
            ("secretText", self.secret_text.is_some()),
            ("username", self.username.is_some()),
            ("password", self.password.is_some()),
            ("props", self.props.is_some()),
            ("oauthAppId", self.oauth_app_id.is_some()),
            ("accessToken", self.access_token.is_some()),
            ("refreshToken", self.refresh_token.is_some()),
            ("tokenType", self.token_type.is_some()),
            ("expiresIn", self.expires_in.is_some()),
            ("scope_oauth", self.scope_oauth.is_some()),
            ("data", self.data.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, present)| present.then_some(name))
        .collect()
    }
}

/// The `authMethodKey` check shared with the connect token: one method per integration.
fn check_auth_method_key(v: &mut Validation, key: Option<&str>) {
    if let Some(key) = key
        && key != "default"
    {
        v.push(
            "authMethodKey",
            "the sandbox's integrations have one auth method, \"default\"",
        );
    }
}

fn integration_not_found(name: &str) -> ApiError {
    ApiError::not_found("INTEGRATION_NOT_FOUND", format!("Integration '{name}' not found"))
}

/// The credentials of a `CUSTOM_AUTH` connection: exactly the integration's fields, each
/// a non-blank string.
fn check_props(
    v: &mut Validation,
    integration: &Integration,
    props: &Map<String, Value>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for field in &integration.fields {
        let path = format!("props.{}", field.key);
        let value = match props.get(field.key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                v.push(&path, "must be a string");
                continue;
            }
        };
        let checked = if field.kind == FieldKind::Secret {
            check_secret(v, &path, value, MAX_SECRET_CHARS)
        } else {
            check_text(v, &path, value, 255).map(|s| s.trim().to_owned())
        };
        if let Some(checked) = checked {
            out.insert(field.key.to_owned(), Value::String(checked));
        }
    }
    let expected: Vec<&str> = integration.fields.iter().map(|f| f.key).collect();
    for key in props.keys().filter(|k| !expected.contains(&k.as_str())) {
        v.push(
            &format!("props.{key}"),
            format!(
                "is not a field of {} (its fields: {})",
                integration.display_name,
                expected.join(", ")
            ),
        );
    }
    out
}

/// `POST /api/v1/connections` → 201 `{ connection }`. Creates a `SECRET_TEXT`,
/// `BASIC_AUTH` or `CUSTOM_AUTH` connection from credentials the caller already holds.
/// The credentials are stored and never returned.
pub async fn create(
    State(state): State<Shared>,
    ApiJson(req): ApiJson<CreateRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut v = Validation::default();
    if req.kind.is_none() {
        v.push("type", "is required");
    }
    let external_id = check_text(&mut v, "externalId", req.external_id.as_deref(), 255);
    let display_name = check_text(&mut v, "displayName", req.display_name.as_deref(), 255);
    let integration_name = check_text(&mut v, "integrationName", req.integration_name.as_deref(), 100);
    let workspace_id = req
        .workspace_id
        .as_deref()
        .and_then(|w| check_uuid(&mut v, "workspaceId", Some(w)));
    let end_user_id = req
        .end_user_id
        .as_deref()
        .and_then(|u| check_text(&mut v, "endUserId", Some(u), 255));
    check_auth_method_key(&mut v, req.auth_method_key.as_deref());

    // The narrowest scope the request names, unless it says otherwise.
    let scope = req.scope.unwrap_or(if req.end_user_id.is_some() {
        Scope::User
    } else if req.workspace_id.is_some() {
        Scope::Workspace
    } else {
        Scope::Organization
    });
    if scope != Scope::Organization && req.workspace_id.is_none() {
        v.push(
            "workspaceId",
            format!("is required for a {}-scoped connection", scope.as_str()),
        );
    }
    if scope == Scope::User && req.end_user_id.is_none() {
        v.push("endUserId", "is required for a USER-scoped connection");
    }
    if scope != Scope::User && req.end_user_id.is_some() {
        v.push(
            "endUserId",
            format!(
                "only applies to USER-scoped connections (scope is {})",
                scope.as_str()
            ),
        );
    }

    // Credentials: what the type needs, and nothing that belongs to another type.
    let mut credentials = Map::new();
    if let Some(kind) = req.kind {
        let wanted: &[&str] = match kind {
            ConnectionType::SecretText => &["secretText"],
            ConnectionType::BasicAuth => &["username", "password"],
            ConnectionType::CustomAuth => &["props"],
            ConnectionType::OAuth2 | ConnectionType::PlatformOAuth2 => {
                v.push(
                    "type",
                    format!(
                        "{} connections are made through the hosted connect flow \
                         (POST /api/v1/connect/token); the sandbox does not take OAuth tokens directly",
                        kind.as_str()
                    ),
                );
                &[]
            }
        };
        for field in req.credential_fields() {
            if !wanted.contains(&field)
                && !matches!(kind, ConnectionType::OAuth2 | ConnectionType::PlatformOAuth2)
            {
                v.push(field, format!("does not apply to {} connections", kind.as_str()));
            }
        }
        match kind {
            ConnectionType::SecretText => {
                if let Some(secret) =
                    check_secret(&mut v, "secretText", req.secret_text.as_deref(), MAX_SECRET_CHARS)
                {
                    credentials.insert("secretText".into(), Value::String(secret));
                }
            }
            ConnectionType::BasicAuth => {
                let username = check_text(&mut v, "username", req.username.as_deref(), 255);
                let password = check_secret(&mut v, "password", req.password.as_deref(), MAX_SECRET_CHARS);
                if let (Some(username), Some(password)) = (username, password) {
                    credentials.insert("username".into(), Value::String(username));
                    credentials.insert("password".into(), Value::String(password));
                }
            }
            ConnectionType::CustomAuth if req.props.is_none() => v.push("props", "is required"),
            _ => {}
        }
    }
    v.finish()?;
    // Both were checked above; a missing one was reported there.
    let (Some(kind), Some(integration_name)) = (req.kind, integration_name) else {
        return Err(ApiError::invalid_field("type", "is required"));
    };

    let integration =
        catalog::find(&integration_name).ok_or_else(|| integration_not_found(&integration_name))?;
    let mut v = Validation::default();
    if integration.auth != kind.auth() {
        v.push(
            "type",
            format!(
                "{} connections take {} credentials, not {}",
                integration.display_name,
                integration.auth.as_str(),
                kind.as_str()
            ),
        );
    } else if let Some(props) = &req.props {
        credentials = check_props(&mut v, &integration, props);
    }
    v.finish()?;

    let mut store = state.store.lock().await;
    if let (Some(user), Some(workspace)) = (&end_user_id, &workspace_id) {
        let known = store
            .end_users
            .values()
            .any(|u| &u.workspace_id == workspace && &u.external_id == user);
        if !known {
            return Err(ApiError::not_found(
                "END_USER_NOT_FOUND",
                format!("End user '{user}' not found in workspace {workspace}"),
            ));
        }
    }
    let t = now();
    let conn = Connection {
        id: uuid(),
        external_id: external_id.unwrap_or_default(),
        display_name: display_name.unwrap_or_default(),
        integration_name,
        kind: integration.auth.as_str(),
        scope,
        workspace_id,
        end_user_id,
        created_at: t,
        updated_at: t,
        status: ConnectionStatus::Active,
        error: None,
        credentials: Value::Object(credentials),
    };
    if let Some(existing) = store.connections.iter().find(|c| c.same_slot(&conn)) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "DUPLICATE",
            format!(
                "A {} connection with externalId '{}' already exists in this {} scope",
                conn.integration_name,
                conn.external_id,
                conn.scope.as_str()
            ),
        )
        .with_details(json!({ "existingConnectionId": existing.id })));
    }
    let body = json!({ "connection": conn.json() });
    store.push_connection(conn);
    Ok((StatusCode::CREATED, Json(body)))
}

/// The body of `POST /api/v1/connections/resolve`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolveRequest {
    integration_name: Option<String>,
    workspace_id: Option<String>,
    external_id: Option<String>,
    end_user_id: Option<String>,
    auth_method_key: Option<String>,
}

/// `POST /api/v1/connections/resolve` → `{ connection }`.
///
/// With `externalId`, the connection of that integration and external id; with only
/// `endUserId`, the end user's own (`USER`-scoped) connection of that integration. Of the
/// candidates, only those the caller's `workspaceId` (and `endUserId`) may use count; the
/// narrowest scope wins, then the most recently updated. No candidate at all is 404
/// `CONNECTION_NOT_FOUND`; candidates that are all out of scope are 403 `SCOPE_DENIED`.
pub async fn resolve(
    State(state): State<Shared>,
    ApiJson(req): ApiJson<ResolveRequest>,
) -> Result<Json<Value>, ApiError> {
    let mut v = Validation::default();
    let integration_name = check_text(&mut v, "integrationName", req.integration_name.as_deref(), 100);
    let workspace_id = check_uuid(&mut v, "workspaceId", req.workspace_id.as_deref());
    let external_id = req
        .external_id
        .as_deref()
        .and_then(|x| check_text(&mut v, "externalId", Some(x), 255));
    let end_user_id = req
        .end_user_id
        .as_deref()
        .and_then(|u| check_text(&mut v, "endUserId", Some(u), 255));
    if req.external_id.is_none() && req.end_user_id.is_none() {
        v.push("externalId", "externalId or endUserId is required");
    }
    check_auth_method_key(&mut v, req.auth_method_key.as_deref());
    v.finish()?;
    let (integration_name, workspace_id) = (
        integration_name.unwrap_or_default(),
        workspace_id.unwrap_or_default(),
    );
    if catalog::find(&integration_name).is_none() {
        return Err(integration_not_found(&integration_name));
    }

    let store = state.store.lock().await;
    let candidates: Vec<&Connection> = store
        .connections
        .iter()
        .filter(|c| c.integration_name == integration_name)
        .filter(|c| match &external_id {
            Some(x) => &c.external_id == x,
            None => c.scope == Scope::User && c.end_user_id == end_user_id,
        })
        .collect();
    let Some(first) = candidates.first() else {
        let message = match (&external_id, &end_user_id) {
            (Some(x), _) => format!("No {integration_name} connection with externalId '{x}'"),
            (None, Some(u)) => format!("End user '{u}' has no {integration_name} connection"),
            (None, None) => format!("No {integration_name} connection"),
        };
        return Err(ApiError::not_found("CONNECTION_NOT_FOUND", message));
    };
    let best = candidates
        .iter()
        .filter(|c| c.visible_from(&workspace_id, end_user_id.as_deref()))
        .max_by_key(|c| (c.scope.specificity(), c.updated_at));
    match best {
        Some(conn) => Ok(Json(json!({ "connection": conn.json() }))),
        None => {
            // Organization-wide connections are visible everywhere, so `first` is narrower.
            let why = match first.scope {
                Scope::Organization | Scope::Workspace => "belongs to another workspace",
                Scope::User if first.workspace_id.as_deref() != Some(workspace_id.as_str()) => {
                    "belongs to an end user of another workspace"
                }
                Scope::User => "belongs to another end user; pass that end user's endUserId",
            };
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "SCOPE_DENIED",
                format!(
                    "The {} connection '{}' is {}-scoped and {why}",
                    first.integration_name,
                    first.external_id,
                    first.scope.as_str()
                ),
            )
            .with_details(json!({
                "scope": first.scope,
                "workspaceId": workspace_id,
                "endUserId": end_user_id,
            })))
        }
    }
}
