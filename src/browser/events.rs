//! The DOM events and detail objects the widget emits. Details are built field by field
//! (no serialisation library), with the names documented in the README.

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;
use web_sys::{CustomEvent, CustomEventInit, EventTarget};

use crate::flow::{Connection, ErrorCode, FlowError, Note, Outcome, Progress};
use crate::protocol::SessionStatus;

/// `weavz:connection-created`.
pub const CONNECTION_CREATED: &str = "weavz:connection-created";
/// `weavz:connect-error`.
pub const CONNECT_ERROR: &str = "weavz:connect-error";
/// `weavz:connect-cancelled`.
pub const CONNECT_CANCELLED: &str = "weavz:connect-cancelled";
/// `weavz:connect-event`: the progress (and debug) stream.
pub const CONNECT_EVENT: &str = "weavz:connect-event";

fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

fn opt(value: &Option<String>) -> JsValue {
    value.as_deref().map_or(JsValue::NULL, JsValue::from_str)
}

fn status_str(s: SessionStatus) -> &'static str {
    match s {
        SessionStatus::Pending => "PENDING",
        SessionStatus::Connecting => "CONNECTING",
        SessionStatus::Completed => "COMPLETED",
        SessionStatus::Failed => "FAILED",
    }
}

/// `{connectionId, integrationName, externalId, endUserId?, session?}`.
pub fn connection_detail(c: &Connection) -> Object {
    let o = Object::new();
    set(&o, "connectionId", c.connection_id.as_str());
    set(&o, "integrationName", c.integration_name.as_str());
    set(&o, "externalId", c.external_id.as_str());
    if let Some(u) = &c.end_user_id {
        set(&o, "endUserId", u.as_str());
    }
    if let Some(s) = &c.session {
        let session = Object::new();
        set(&session, "status", status_str(s.status));
        set(&session, "connectionId", opt(&s.connection_id));
        set(&session, "integrationName", opt(&s.integration_name));
        set(&session, "externalId", opt(&s.external_id));
        set(&session, "error", opt(&s.error));
        for (key, value) in [
            ("workspaceIntegrationId", &s.workspace_integration_id),
            ("authMethodKey", &s.auth_method_key),
            ("oauthAppMode", &s.oauth_app_mode),
            ("oauthAppId", &s.oauth_app_id),
        ] {
            if value.is_some() {
                set(&session, key, opt(value));
            }
        }
        set(&o, "session", session);
    }
    o
}

/// `{code, message, retryable}`.
pub fn error_detail(e: &FlowError) -> Object {
    let o = Object::new();
    set(&o, "code", e.code.as_str());
    set(&o, "message", e.message.as_str());
    set(&o, "retryable", e.retryable);
    o
}

/// An `Error` carrying `code` and `retryable`, for promise rejections.
pub fn error_value(e: &FlowError) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    set(&err, "code", e.code.as_str());
    set(&err, "retryable", e.retryable);
    err.into()
}

/// `{name, flowId, at}` for a progress step.
pub fn progress_detail(flow_id: &str, p: Progress) -> Object {
    let o = Object::new();
    set(&o, "name", p.as_str());
    set(&o, "flowId", flow_id);
    set(&o, "at", js_sys::Date::now());
    set(&o, "level", "info");
    o
}

/// `{name, flowId, at, level: "debug", reason?, origin?}` for something ignored.
pub fn debug_detail(flow_id: &str, note: &Note) -> Object {
    let o = Object::new();
    set(&o, "name", note.as_str());
    set(&o, "flowId", flow_id);
    set(&o, "at", js_sys::Date::now());
    set(&o, "level", "debug");
    match note {
        Note::RejectedOrigin(origin) => set(&o, "origin", origin.as_str()),
        Note::RejectedShape(r) => set(&o, "reason", r.describe()),
        Note::PollRetry(reason) => set(&o, "reason", reason.as_str()),
        _ => {}
    }
    o
}

/// Dispatches a bubbling, composed `CustomEvent` with `detail` on `target`.
pub fn dispatch(target: &EventTarget, name: &str, detail: &JsValue) {
    let init = CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(detail);
    if let Ok(event) = CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = target.dispatch_event(&event);
    }
}

/// The terminal event for an outcome: name and detail.
pub fn terminal_event(outcome: &Outcome) -> (&'static str, Object) {
    match outcome {
        Outcome::Connected(c) => (CONNECTION_CREATED, connection_detail(c)),
        Outcome::Failed(e) if e.code == ErrorCode::UserCancelled => (CONNECT_CANCELLED, error_detail(e)),
        Outcome::Failed(e) => (CONNECT_ERROR, error_detail(e)),
    }
}
