//! The finish page: stores the outcome, finishes the session and reports to the opener
//! (or redirects back to the app).

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use weavz_connect::protocol::{ConnectionStatus, ResultMessage, SessionStatus, redirect_params};

use crate::catalog::Integration;
use crate::state::Shared;
use crate::store::{Connection, PostMessageMode, ResultShape, Session};
use crate::util::{escape_html, json_for_script, now, uuid};

use super::shell::{error, invalid_token, open_session, page};

/// An origin no page is served from: where `postMessage: "wrong-origin"` posts.
pub const WRONG_ORIGIN: &str = "http://127.0.0.1:9";

const FINISH_JS: &str = "/connect/assets/finish.js";

/// Stores the connection (on success), finishes the session and renders the finish page.
pub(super) async fn complete(
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
    let target = &session.target;
    let t = now();
    let result = match outcome {
        Ok(credentials) => Ok(store.upsert_connection(Connection {
            id: uuid(),
            external_id: target.external_id.clone(),
            display_name: target.connection_name.clone(),
            integration_name: target.integration_name.clone(),
            kind: integration.auth.as_str(),
            scope: target.scope,
            workspace_id: Some(target.workspace_id.clone()),
            end_user_id: target.end_user_id.clone(),
            created_at: t,
            updated_at: t,
            status: ConnectionStatus::Active,
            error: None,
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
            let mut m =
                ResultMessage::success(id, &session.target.integration_name, &session.target.external_id);
            if let weavz_connect::protocol::ResultOutcome::Success { end_user_id, .. } = &mut m.outcome {
                end_user_id.clone_from(&session.target.end_user_id);
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
    let minimal = session.target.knobs.result_shape == ResultShape::SdkMinimal;
    let mut message = serde_json::to_value(&message).unwrap_or(Value::Null);
    if minimal
        && success
        && let Value::Object(fields) = &mut message
    {
        // What the official SDK accepts as a success: anything but `status: "error"`.
        fields.remove("status");
    }
    let targets = match session.target.knobs.post_message {
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
    let target = &session.target;
    let success = session.status == SessionStatus::Completed;
    let base = if success {
        target.success_redirect_uri.as_ref()
    } else {
        target
            .error_redirect_uri
            .as_ref()
            .or(target.success_redirect_uri.as_ref())
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
                .append_pair(redirect_params::INTEGRATION_NAME, &target.integration_name)
                .append_pair(redirect_params::EXTERNAL_ID, &target.external_id);
        } else {
            q.append_pair(redirect_params::STATUS, "error")
                .append_pair(redirect_params::INTEGRATION_NAME, &target.integration_name)
                .append_pair(redirect_params::EXTERNAL_ID, &target.external_id)
                .append_pair(
                    redirect_params::ERROR,
                    session.error.as_deref().unwrap_or("The connection failed."),
                );
        }
    }
    Some(url.into())
}
