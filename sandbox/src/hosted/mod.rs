//! The hosted connect page on the connect origin: credential forms ([`form`]), the OAuth2
//! client (authorization code + PKCE S256 + one-time state, [`oauth`]), the finish page that
//! reports to the opener or redirects back ([`finish`]) and the end-user portal
//! ([`portal`]), all built on one page shell ([`shell`]).

mod finish;
mod form;
mod oauth;
mod portal;
mod shell;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::pages::asset;
use crate::state::Shared;
use crate::util::MAX_BODY_BYTES;

pub use shell::page;

/// Routes of the hosted page.
pub fn router() -> Router<Shared> {
    Router::new()
        .route("/connect", get(oauth::connect_page))
        .route("/connect/submit", post(form::submit_form))
        .route("/connect/oauth/callback/{app}", get(oauth::oauth_callback))
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
