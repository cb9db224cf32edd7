//! `GET /api/v1/integrations` (`?summary=true`, `?name=`), no authentication.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::ApiQuery;
use crate::catalog;
use crate::error::ApiError;
use crate::state::Shared;

#[derive(Deserialize)]
pub struct IntegrationsQuery {
    name: Option<String>,
    summary: Option<String>,
}

/// Lists the catalog, or returns one integration by name.
pub async fn list(
    State(state): State<Shared>,
    ApiQuery(q): ApiQuery<IntegrationsQuery>,
) -> Result<Json<Value>, ApiError> {
    let provider = &state.origins.provider;
    if let Some(name) = &q.name {
        let integration = catalog::find(name).ok_or_else(|| {
            ApiError::not_found("INTEGRATION_NOT_FOUND", format!("Integration '{name}' not found"))
        })?;
        return Ok(Json(json!({ "integration": integration.full_json(provider) })));
    }
    let summary = match q.summary.as_deref() {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") | Some("") => true,
        Some(other) => {
            return Err(ApiError::invalid_field(
                "summary",
                format!("must be true or false, not '{other}'"),
            ));
        }
    };
    let all = catalog::all();
    let items: Vec<Value> = all
        .iter()
        .map(|i| {
            if summary {
                i.summary_json()
            } else {
                i.full_json(provider)
            }
        })
        .collect();
    let mut body = json!({ "integrations": items, "total": all.len() });
    if !summary {
        body["registered"] = all.iter().map(|i| i.name).collect();
    }
    Ok(Json(body))
}
