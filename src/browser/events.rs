//! The DOM events and detail objects the widget emits. Details are built field by field
//! (no serialisation library), with the names documented in the README.
//!
//! ```no_run
//! use weavz_connect::browser::events::dispatch_report;
//! use weavz_connect::flow::{ErrorCode, FlowError, Outcome, Report};
//!
//! let document: web_sys::EventTarget = web_sys::window().unwrap().document().unwrap().into();
//! let outcome = Outcome::Failed(FlowError::new(ErrorCode::UserCancelled, "closed"));
//! // A cancel is not an error: this dispatches `weavz:connect-cancelled`.
//! dispatch_report(&document, "f1", &Report::Finished(&outcome));
//! ```

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;
use web_sys::{CustomEvent, CustomEventInit, EventTarget};

use crate::flow::{Connection, ErrorCode, FlowError, Note, Outcome, Progress};
use crate::protocol::SessionStatus;

/// `weavz:connection-created`.
///
/// # Examples
///
/// ```no_run
/// use wasm_bindgen::JsCast;
/// use wasm_bindgen::closure::Closure;
/// use weavz_connect::browser::events::CONNECTION_CREATED;
///
/// let document = web_sys::window().unwrap().document().unwrap();
/// let on_created = Closure::<dyn Fn(web_sys::CustomEvent)>::new(|event: web_sys::CustomEvent| {
///     web_sys::console::log_2(&"connected".into(), &event.detail());
/// });
/// document
///     .add_event_listener_with_callback(CONNECTION_CREATED, on_created.as_ref().unchecked_ref())
///     .unwrap();
/// on_created.forget(); // for the page's lifetime
/// ```
pub const CONNECTION_CREATED: &str = "weavz:connection-created";
/// `weavz:connect-error`.
///
/// # Examples
///
/// ```
/// use weavz_connect::browser::events::{CONNECT_CANCELLED, CONNECT_ERROR};
///
/// // A cancel is not an error: it has an event of its own.
/// assert_ne!(CONNECT_ERROR, CONNECT_CANCELLED);
/// ```
pub const CONNECT_ERROR: &str = "weavz:connect-error";
/// `weavz:connect-cancelled`: the user closed the window or cancelled (not an error).
///
/// # Examples
///
/// ```no_run
/// use weavz_connect::browser::events::{CONNECT_CANCELLED, dispatch_report};
/// use weavz_connect::flow::{ErrorCode, FlowError, Outcome, Report};
///
/// let window: web_sys::EventTarget = web_sys::window().unwrap().into();
/// let outcome = Outcome::Failed(FlowError::new(ErrorCode::UserCancelled, "closed"));
/// // Dispatches CONNECT_CANCELLED, not CONNECT_ERROR.
/// dispatch_report(&window, "f1", &Report::Finished(&outcome));
/// # let _ = CONNECT_CANCELLED;
/// ```
pub const CONNECT_CANCELLED: &str = "weavz:connect-cancelled";
/// `weavz:connect-event`: the progress (and debug) stream.
///
/// # Examples
///
/// ```no_run
/// use weavz_connect::browser::events::{CONNECT_EVENT, dispatch_report};
/// use weavz_connect::flow::{Progress, Report};
///
/// let document: web_sys::EventTarget = web_sys::window().unwrap().document().unwrap().into();
/// // A CONNECT_EVENT with detail {name: "popup_opened", flowId: "f1", level: "info", …}.
/// dispatch_report(&document, "f1", &Report::Progress(Progress::PopupOpened));
/// # let _ = CONNECT_EVENT;
/// ```
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

/// `{connectionId, integrationName, externalId, endUserId?, confirmed, session?}`.
pub(crate) fn connection_detail(c: &Connection) -> Object {
    let o = Object::new();
    set(&o, "connectionId", c.connection_id.as_str());
    set(&o, "integrationName", c.integration_name.as_str());
    set(&o, "externalId", c.external_id.as_str());
    if let Some(u) = &c.end_user_id {
        set(&o, "endUserId", u.as_str());
    }
    set(&o, "confirmed", c.confirmed);
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
pub(crate) fn error_detail(e: &FlowError) -> Object {
    let o = Object::new();
    set(&o, "code", e.code.as_str());
    set(&o, "message", e.message.as_str());
    set(&o, "retryable", e.retryable);
    o
}

/// An `Error` carrying `code` and `retryable`, for promise rejections.
#[cfg(feature = "js")]
pub(crate) fn error_value(e: &FlowError) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    set(&err, "code", e.code.as_str());
    set(&err, "retryable", e.retryable);
    err.into()
}

/// `{name, flowId, at}` for a progress step.
pub(crate) fn progress_detail(flow_id: &str, p: Progress) -> Object {
    let o = Object::new();
    set(&o, "name", p.as_str());
    set(&o, "flowId", flow_id);
    set(&o, "at", js_sys::Date::now());
    set(&o, "level", "info");
    o
}

/// `{name, flowId, at, level: "debug", reason?, origin?}` for something ignored.
pub(crate) fn debug_detail(flow_id: &str, note: &Note) -> Object {
    let o = Object::new();
    set(&o, "name", note.as_str());
    set(&o, "flowId", flow_id);
    set(&o, "at", js_sys::Date::now());
    set(&o, "level", "debug");
    match note {
        Note::RejectedOrigin(origin) => set(&o, "origin", origin.as_str()),
        Note::RejectedShape(r) => set(&o, "reason", r.describe()),
        Note::RejectedMismatch(field) => set(&o, "field", *field),
        Note::RejectedMore(count) => set(&o, "count", *count),
        Note::PollRetry(reason) => set(&o, "reason", reason.as_str()),
        _ => {}
    }
    o
}

/// Dispatches a bubbling, composed `CustomEvent` with `detail` on `target`.
pub(crate) fn dispatch(target: &EventTarget, name: &str, detail: &JsValue) {
    let init = CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(detail);
    if let Ok(event) = CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = target.dispatch_event(&event);
    }
}

/// The terminal event for an outcome: name and detail.
pub(crate) fn terminal_event(outcome: &Outcome) -> (&'static str, Object) {
    match outcome {
        Outcome::Connected(c) => (CONNECTION_CREATED, connection_detail(c)),
        Outcome::Failed(e) if e.code == ErrorCode::UserCancelled => (CONNECT_CANCELLED, error_detail(e)),
        Outcome::Failed(e) => (CONNECT_ERROR, error_detail(e)),
    }
}

/// Dispatches a flow's report on `target` as the widget's DOM events: progress and debug
/// notes as `weavz:connect-event`, the end as its terminal event (`weavz:connection-created`, `weavz:connect-error` or
/// `weavz:connect-cancelled`). Every
/// widget that shows a flow (element, Leptos button, panel, resumed flows) goes through here.
///
/// ```no_run
/// use weavz_connect::browser::driver::Report;
/// use weavz_connect::browser::events::dispatch_report;
/// use weavz_connect::flow::Progress;
///
/// let document: web_sys::EventTarget = web_sys::window().unwrap().document().unwrap().into();
/// // A `weavz:connect-event` with detail {name: "confirming", flowId: "f1", …}:
/// dispatch_report(&document, "f1", &Report::Progress(Progress::Confirming));
/// ```
pub fn dispatch_report(target: &EventTarget, flow_id: &str, report: &crate::browser::driver::Report<'_>) {
    use crate::browser::driver::Report;
    match report {
        Report::Progress(p) => dispatch(target, CONNECT_EVENT, &progress_detail(flow_id, *p)),
        Report::Debug(note) => dispatch(target, CONNECT_EVENT, &debug_detail(flow_id, note)),
        Report::Finished(outcome) => {
            let (name, detail) = terminal_event(outcome);
            dispatch(target, name, &detail);
        }
    }
}
