//! Connections: `GET /api/v1/connections` (+ `?id=`), `DELETE /api/v1/connections/:id`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{ApiPath, ApiQuery};
use crate::error::ApiError;
use crate::state::Shared;

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
        .filter(|c| q.workspace_id.as_ref().is_none_or(|w| &c.workspace_id == w))
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
    let index = store
        .connections
        .iter()
        .position(|c| c.id == id)
        .ok_or_else(|| not_found(&id))?;
    store.connections.remove(index);
    Ok(Json(json!({ "deleted": true, "id": id })))
}
