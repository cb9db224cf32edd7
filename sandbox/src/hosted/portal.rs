//! The end-user connect portal (`/connect/portal?token=eut_…`): lists the integrations the
//! token allows and starts an ordinary hosted session, linked to the end user, for the one
//! chosen. Portal tokens can be used for several connections until they expire.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use super::shell::{PageForm, PageQuery, error, page_to_provider, window_config};
use crate::binding::{self, with_cookie};
use crate::catalog::{self, Integration};
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::{EndUser, Knobs, Scope, Session, SessionTarget, Store, TOKEN_TTL, portal_key};
use crate::util::{escape_html, now, secret, uuid};

fn invalid() -> ApiError {
    ApiError::unauthorized("This portal link is invalid or has expired. Ask the app for a new one.")
        .with_code("INVALID_TOKEN")
}

/// What a live portal token grants.
struct Grant {
    user: EndUser,
    integrations: Vec<Integration>,
    expires_at: OffsetDateTime,
    knobs: Knobs,
}

/// The end user, the integrations and the expiry of a live portal token.
fn lookup(store: &Store, token: &str) -> Result<Grant, ApiError> {
    let pt = store.portal_tokens.get(token).ok_or_else(invalid)?;
    if now() >= pt.expires_at {
        return Err(invalid());
    }
    let user = store.end_users.get(&pt.end_user_id).ok_or_else(invalid)?.clone();
    let integrations = match &pt.integration_name {
        Some(name) => catalog::find(name).into_iter().collect(),
        None => catalog::all(),
    };
    Ok(Grant {
        user,
        integrations,
        expires_at: pt.expires_at,
        knobs: pt.knobs.clone(),
    })
}

#[derive(Deserialize)]
pub struct PortalQuery {
    token: Option<String>,
}

/// `GET /connect/portal?token=eut_…`.
pub async fn portal_page(
    State(state): State<Shared>,
    headers: HeaderMap,
    PageQuery(q): PageQuery<PortalQuery>,
) -> Response {
    let token = q.token.unwrap_or_default();
    let (browser, cookie) = binding::ensure_browser(&headers);
    let mut store = state.store.lock().await;
    let Grant {
        user, integrations, ..
    } = match lookup(&store, &token) {
        Ok(v) => v,
        Err(e) => return with_cookie(error(&headers, e), cookie),
    };
    // The first browser to open the portal owns it (and the sessions it starts).
    if let Some(pt) = store.portal_tokens.get_mut(&token) {
        let owner = pt.browser.get_or_insert_with(|| browser.clone());
        if *owner != browser {
            return with_cookie(error(&headers, binding::other_browser()), cookie);
        }
    }
    let connected: Vec<String> = store
        .connections_of(&user)
        .map(|c| c.integration_name.clone())
        .collect();
    drop(store);
    let mut items = String::new();
    for i in &integrations {
        let is_connected = connected.iter().any(|c| c == i.name);
        items.push_str(&format!(
            "<li class=\"integration\"><img src=\"{logo}\" alt=\"\" width=\"32\" height=\"32\">\
             <span class=\"name\">{name}</span>{badge}\
             <form method=\"post\" action=\"/connect/portal/start\">\
             <input type=\"hidden\" name=\"token\" value=\"{token}\">\
             <input type=\"hidden\" name=\"integration\" value=\"{key}\">\
             <button type=\"submit\" aria-label=\"{verb} {name}\">{verb}</button></form></li>",
            logo = escape_html(&i.logo_url()),
            name = escape_html(i.display_name),
            key = escape_html(i.name),
            token = escape_html(&token),
            badge = if is_connected {
                "<span class=\"badge\">Connected</span>"
            } else {
                ""
            },
            verb = if is_connected { "Reconnect" } else { "Connect" },
        ));
    }
    let who = user.display_name.as_deref().unwrap_or(&user.external_id);
    let window = json!({ "portal": portal_key(&token), "appOrigins": state.allowed_opener_origins() });
    let body = format!(
        "<main class=\"card\"><h1>Connect your apps</h1>\
         <p class=\"muted\">Signed in as {who}. Choose an app to connect.</p>\
         <ul class=\"integrations\">{items}</ul><p class=\"foot\">Weavz sandbox</p>{config}</main>",
        who = escape_html(who),
        config = window_config(&window),
    );
    with_cookie(page_to_provider(&state, "Connect your apps", &body), cookie)
}

/// `POST /connect/portal/start`: a new connect session for the end user, then the
/// hosted page for it.
pub async fn portal_start(
    State(state): State<Shared>,
    headers: HeaderMap,
    PageForm(values): PageForm<HashMap<String, String>>,
) -> Response {
    let token = values.get("token").cloned().unwrap_or_default();
    let wanted = values.get("integration").cloned().unwrap_or_default();
    let mut store = state.store.lock().await;
    let Grant {
        user,
        integrations,
        expires_at: portal_expires_at,
        knobs,
    } = match lookup(&store, &token) {
        Ok(v) => v,
        Err(e) => return error(&headers, e),
    };
    // Only the browser that opened the portal may start sessions from it.
    let owner = store.portal_tokens.get(&token).and_then(|pt| pt.browser.clone());
    if !binding::same_browser(&headers, owner.as_deref()) {
        return error(&headers, binding::other_browser());
    }
    let Some(integration) = integrations.into_iter().find(|i| i.name == wanted) else {
        return error(
            &headers,
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "INTEGRATION_NOT_ALLOWED",
                "This portal link does not allow that app.",
            ),
        );
    };
    let t = now();
    let session_ttl = knobs
        .ttl_seconds
        .map_or(TOKEN_TTL, |s| time::Duration::seconds(s as i64));
    let cst = secret("cst_");
    let target = SessionTarget {
        integration_name: integration.name.to_owned(),
        connection_name: format!(
            "{} ({})",
            integration.display_name,
            user.display_name.as_deref().unwrap_or(&user.external_id)
        ),
        external_id: format!("{}:{}", user.external_id, integration.name),
        workspace_id: user.workspace_id.clone(),
        end_user_id: Some(user.external_id.clone()),
        scope: Scope::User,
        success_redirect_uri: None,
        error_redirect_uri: None,
        knobs,
    };
    // A session started from the portal never outlives the portal link.
    let expires_at = (t + session_ttl).min(portal_expires_at);
    let mut session = Session::new(uuid(), cst.clone(), target, t, expires_at);
    session.browser = owner;
    session.portal = Some(portal_key(&token));
    store.tokens.insert(cst.clone(), session.id.clone());
    store.sessions.insert(session.id.clone(), session);
    drop(store);
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(&state.connect_url(&cst)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut()
        .insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}
