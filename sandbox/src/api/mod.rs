//! The Weavz connect API emulation, mounted on the connect origin under `/api/v1`.

mod connect;
mod connections;
mod end_users;
pub mod extract;
mod integrations;
pub mod validate;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{get, post};

use crate::error::ApiError;
use crate::state::Shared;

/// The sandbox's own endpoints, mounted under `/sandbox` on the connect origin: never
/// Weavz's API (so never under `/api/v1`), and as guarded by the API key as it.
/// `POST /connections/{id}/status` breaks or heals a connection (see `connections::set_status`).
pub fn sandbox_router(state: Shared) -> Router<Shared> {
    Router::new()
        .route("/connections/{id}/status", post(connections::set_status))
        .route_layer(middleware::from_fn_with_state(state, extract::require_api_key))
        .with_api_errors("No such sandbox endpoint")
}

/// The `/api/v1` router.
pub fn router(state: Shared) -> Router<Shared> {
    let authed = Router::new()
        .route("/connect/token", post(connect::create_token))
        .route("/connect/session/poll", post(connect::poll))
        .route("/connect/session/{id}", get(connect::get_session))
        .route("/end-users", post(end_users::create).get(end_users::list))
        .route("/end-users/{id}", get(end_users::get).delete(end_users::delete))
        .route(
            "/end-users/{id}/connect-token",
            post(end_users::create_portal_token),
        )
        .route("/connections", get(connections::list).post(connections::create))
        .route("/connections/resolve", post(connections::resolve))
        .route("/connections/{id}", axum::routing::delete(connections::delete))
        .route_layer(middleware::from_fn_with_state(state, extract::require_api_key));
    Router::new()
        .route("/integrations", get(integrations::list))
        .merge(authed)
        .with_api_errors("No such API endpoint")
}

/// What every API router shares: JSON errors for an unknown path (`NOT_FOUND`, with
/// `not_found`) and a wrong method, and the body limit.
trait ApiErrors {
    fn with_api_errors(self, not_found: &'static str) -> Self;
}

impl ApiErrors for Router<Shared> {
    fn with_api_errors(self, not_found: &'static str) -> Self {
        self.fallback(move || async move { ApiError::not_found("NOT_FOUND", not_found) })
            .method_not_allowed_fallback(|| async {
                ApiError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "METHOD_NOT_ALLOWED",
                    "Method not allowed on this endpoint",
                )
            })
            .layer(DefaultBodyLimit::max(crate::util::MAX_BODY_BYTES))
    }
}
