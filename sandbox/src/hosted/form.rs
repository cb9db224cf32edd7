//! The credential form: the page for API-key and basic-auth integrations and its
//! submission.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::binding;
use crate::catalog::{self, AuthType, FieldKind, Integration};
use crate::error::ApiError;
use crate::pages;
use crate::state::Shared;
use crate::util::escape_html;

use super::finish::complete;
use super::shell::{PageForm, error, open_session, page, session_window, window_config};

pub(super) fn form_page(
    status: StatusCode,
    integration: &Integration,
    token: &str,
    window: &Value,
    values: &HashMap<String, String>,
    errors: &HashMap<&'static str, &'static str>,
) -> Response {
    let mut fields = String::new();
    for f in &integration.fields {
        let id = format!("f-{}", f.key);
        let (input_type, autocomplete) = match f.kind {
            FieldKind::Secret => ("password", "off"),
            FieldKind::Email => ("email", "email"),
            FieldKind::Text => ("text", "off"),
        };
        // Secrets are never echoed back into the page.
        let value = if f.kind == FieldKind::Secret {
            String::new()
        } else {
            values.get(f.key).map(|v| escape_html(v)).unwrap_or_default()
        };
        let err = errors.get(f.key);
        let mut described = Vec::new();
        let help = if f.help.is_empty() {
            String::new()
        } else {
            described.push(format!("{id}-help"));
            format!("<p class=\"help\" id=\"{id}-help\">{}</p>", escape_html(f.help))
        };
        let err_html = match err {
            Some(msg) => {
                described.push(format!("{id}-error"));
                format!(
                    "<p class=\"field-error\" id=\"{id}-error\">{}</p>",
                    escape_html(msg)
                )
            }
            None => String::new(),
        };
        fields.push_str(&format!(
            "<div class=\"field\"><label for=\"{id}\">{label}</label>\
             <input id=\"{id}\" name=\"{key}\" type=\"{input_type}\" autocomplete=\"{autocomplete}\" \
             required value=\"{value}\"{invalid}{describedby}>{help}{err_html}</div>",
            label = escape_html(f.label),
            key = f.key,
            invalid = if err.is_some() {
                " aria-invalid=\"true\""
            } else {
                ""
            },
            describedby = if described.is_empty() {
                String::new()
            } else {
                format!(" aria-describedby=\"{}\"", described.join(" "))
            },
        ));
    }
    let summary = if errors.is_empty() {
        String::new()
    } else {
        "<p class=\"error\" role=\"alert\">Please correct the highlighted fields.</p>".to_owned()
    };
    let body = format!(
        "<main class=\"card\"><header class=\"brand\"><img src=\"{logo}\" alt=\"\" width=\"40\" height=\"40\">\
         <h1>Connect {name}</h1></header>\
         <p class=\"muted\">Enter your {name} credentials. They are stored by Weavz and never shared with the app.</p>\
         {summary}<form method=\"post\" action=\"/connect/submit\" novalidate>\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">{fields}\
         <button type=\"submit\">Connect</button></form>\
         <p class=\"foot\">Weavz sandbox</p>{config}</main>",
        logo = escape_html(&integration.logo_url()),
        name = escape_html(integration.display_name),
        token = escape_html(token),
        config = window_config(window),
    );
    page(
        status,
        &format!("Connect {}", integration.display_name),
        &body,
        &[],
    )
}

pub(super) async fn submit_form(
    State(state): State<Shared>,
    headers: HeaderMap,
    PageForm(values): PageForm<HashMap<String, String>>,
) -> Response {
    let token = values.get("token").cloned().unwrap_or_default();
    if token.is_empty() {
        return error(
            &headers,
            ApiError::new(StatusCode::BAD_REQUEST, "MISSING_TOKEN", "The form has no token."),
        );
    }
    let session = {
        let mut store = state.store.lock().await;
        match open_session(&mut store, &token) {
            Ok(s) => s,
            Err(e) => return error(&headers, e),
        }
    };
    // Only the browser whose connect page showed this form may submit it.
    if !binding::same_browser(&headers, session.browser.as_deref()) {
        return error(&headers, binding::other_browser());
    }
    let Some(integration) = catalog::find(&session.target.integration_name) else {
        return error(
            &headers,
            ApiError::not_found("INTEGRATION_NOT_FOUND", "Integration not found"),
        );
    };
    if integration.auth == AuthType::OAuth2 {
        return error(
            &headers,
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "NOT_A_FORM",
                "This integration connects through OAuth2, not a form.",
            ),
        );
    }
    if session.target.knobs.consent_delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(session.target.knobs.consent_delay_ms)).await;
    }
    let mut errors = HashMap::new();
    let mut credentials = serde_json::Map::new();
    for f in &integration.fields {
        let value = values.get(f.key).map(String::as_str).unwrap_or("");
        match (f.check)(value) {
            Some(msg) => {
                errors.insert(f.key, msg);
            }
            None => {
                // Secrets are stored exactly as typed; other fields lose stray spaces.
                let value = if f.kind == FieldKind::Secret {
                    value
                } else {
                    value.trim()
                };
                credentials.insert(f.key.to_owned(), Value::String(value.to_owned()));
            }
        }
    }
    if !errors.is_empty() {
        if pages::wants_json(&headers) {
            let fields: Vec<Value> = errors
                .iter()
                .map(|(k, m)| json!({ "path": k, "message": m }))
                .collect();
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "VALIDATION_ERROR",
                "Some fields are not valid",
            )
            .with_details(json!({ "fields": fields }))
            .into_response();
        }
        return form_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &integration,
            &token,
            &session_window(&state, &session),
            &values,
            &errors,
        );
    }
    complete(
        &state,
        &headers,
        &token,
        &integration,
        Ok(Value::Object(credentials)),
    )
    .await
}
