//! The page shell of every hosted page: its CSP, stylesheet and script, the page and
//! error-page builders, the `weavz-page` window config, and the extractors whose failures
//! are error pages.

use axum::extract::{Form, FromRequest, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use crate::binding;
use crate::error::ApiError;
use crate::pages::{self, document, html_response};
use crate::state::Shared;
use crate::store::{Session, Store};
use crate::util::{MAX_BODY_BYTES, json_for_script, now};

pub(super) const STYLESHEET: &str = "/connect/assets/connect.css";

/// Runs on every hosted page: strips the query from the address bar and keeps the
/// window's record of the session it was opened for.
pub(super) const CONNECT_JS: &str = "/connect/assets/connect.js";

/// The CSP of every hosted page. Forms only post to this origin.
pub(super) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Query parameters of a hosted page; a malformed query (e.g. a duplicated `code`) is a
/// 400 error page with the hosted page's headers.
pub struct PageQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequestParts<S> for PageQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        serde_urlencoded::from_str(parts.uri.query().unwrap_or(""))
            .map(PageQuery)
            .map_err(|e| {
                error(
                    &parts.headers,
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "VALIDATION_ERROR",
                        format!("This link is malformed: {e}."),
                    ),
                )
            })
    }
}

/// A form posted to a hosted page. A post from another site is refused before the body is
/// read (see [`binding::same_origin_post`]); a form that cannot be read is a 413 error page
/// past the size limit, else a 400 one, with the hosted page's headers.
pub struct PageForm<T>(pub T);

impl<T: serde::de::DeserializeOwned> FromRequest<Shared> for PageForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &Shared) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        if let Err(e) = binding::same_origin_post(&headers, &state.origins.connect) {
            return Err(error(&headers, e));
        }
        match Form::<T>::from_request(req, state).await {
            Ok(Form(values)) => Ok(PageForm(values)),
            Err(rejection) => Err(form_error(&headers, &rejection)),
        }
    }
}

/// The error page for a form that could not be read: 413 past the size limit, else 400.
fn form_error(headers: &HeaderMap, rejection: &axum::extract::rejection::FormRejection) -> Response {
    use axum::extract::rejection::FormRejection;
    let err = match rejection {
        FormRejection::BytesRejection(_) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("The form is larger than {} KiB.", MAX_BODY_BYTES / 1024),
        ),
        _ => ApiError::new(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "The form could not be read.",
        ),
    };
    error(headers, err)
}

/// An error page with the hosted page's CSP and stylesheet.
pub fn error(headers: &HeaderMap, err: ApiError) -> Response {
    pages::error_page(headers, CSP, STYLESHEET, err, &[CONNECT_JS])
}

/// What `connect.js` needs to know about the page: the session (and the portal) it belongs
/// to, the app origins a new flow may come from, and where to go next.
pub fn window_config(config: &Value) -> String {
    format!(
        "<script type=\"application/json\" id=\"weavz-page\">{}</script>",
        json_for_script(config)
    )
}

/// The `weavz-page` config of a session's page.
pub(super) fn session_window(state: &Shared, session: &Session) -> Value {
    json!({
        "session": session.id,
        "portal": session.portal,
        "appOrigins": state.allowed_opener_origins(),
    })
}

/// A hosted page.
pub fn page(status: StatusCode, title: &str, body: &str, scripts: &[&str]) -> Response {
    let mut all = vec![CONNECT_JS];
    all.extend_from_slice(scripts);
    html_response(status, CSP, document(title, STYLESHEET, body, &all))
}

/// A hosted page whose forms may lead on to the provider: Chromium checks `form-action`
/// along the whole redirect chain of a submission (portal → hosted page → provider).
pub fn page_to_provider(state: &Shared, title: &str, body: &str) -> Response {
    let csp = CSP.replace(
        "form-action 'self'",
        &format!("form-action 'self' {}", state.origins.provider),
    );
    html_response(
        StatusCode::OK,
        &csp,
        document(title, STYLESHEET, body, &[CONNECT_JS]),
    )
}

pub(super) fn invalid_token() -> ApiError {
    ApiError::unauthorized("This connect link is invalid or has expired. Start again from the app.")
        .with_code("INVALID_TOKEN")
}

pub(super) fn token_used() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "TOKEN_ALREADY_USED",
        "This connect link has already been used. Start again from the app to connect another account.",
    )
}

/// The live, unfinished session behind a token, or the error page to show.
pub(super) fn open_session(store: &mut Store, token: &str) -> Result<Session, ApiError> {
    let session = store.session_by_token(token).ok_or_else(invalid_token)?;
    if session.expired(now()) {
        return Err(invalid_token());
    }
    if session.status.is_terminal() {
        return Err(token_used());
    }
    Ok(session.clone())
}
