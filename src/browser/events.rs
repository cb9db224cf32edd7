//! The DOM events and detail objects the widget emits. Details are built field by field
//! (no serialisation library), with the names documented in the README.
//!
//! ```no_run
//! use weavz_connect::browser::events::{dispatch, terminal_event};
//! use weavz_connect::flow::{ErrorCode, FlowError, Outcome};
//!
//! let document = web_sys::window().unwrap().document().unwrap();
//! let outcome = Outcome::Failed(FlowError::new(ErrorCode::UserCancelled, "closed"));
//! let (name, detail) = terminal_event(&outcome);
//! assert_eq!(name, "weavz:connect-cancelled");
//! dispatch(&document, name, &detail);
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
/// use weavz_connect::browser::events::CONNECTION_CREATED;
/// use weavz_connect::browser::listener::Listener;
///
/// let document = web_sys::window().unwrap().document().unwrap();
/// let _listener = Listener::new(&document, CONNECTION_CREATED, |event| {
///     let detail = event.unchecked_into::<web_sys::CustomEvent>().detail();
///     web_sys::console::log_2(&"connected".into(), &detail);
/// });
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
/// assert_eq!(CONNECT_ERROR, "weavz:connect-error");
/// ```
pub const CONNECT_ERROR: &str = "weavz:connect-error";
/// `weavz:connect-cancelled`.
///
/// # Examples
///
/// ```no_run
/// use weavz_connect::browser::events::{CONNECT_CANCELLED, terminal_event};
/// use weavz_connect::flow::{ErrorCode, FlowError, Outcome};
///
/// let outcome = Outcome::Failed(FlowError::new(ErrorCode::UserCancelled, "closed"));
/// assert_eq!(terminal_event(&outcome).0, CONNECT_CANCELLED);
/// ```
pub const CONNECT_CANCELLED: &str = "weavz:connect-cancelled";
/// `weavz:connect-event`: the progress (and debug) stream.
///
/// # Examples
///
/// ```no_run
/// use weavz_connect::browser::events::{CONNECT_EVENT, dispatch, progress_detail};
/// use weavz_connect::flow::Progress;
///
/// let document = web_sys::window().unwrap().document().unwrap();
/// dispatch(&document, CONNECT_EVENT, &progress_detail("f1", Progress::PopupOpened));
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
///
/// # Examples
///
/// ```no_run
/// use js_sys::Reflect;
/// use weavz_connect::browser::events::connection_detail;
/// use weavz_connect::flow::Connection;
///
/// let connection = Connection {
///     connection_id: "conn_1".into(),
///     integration_name: "slack".into(),
///     external_id: "user-42".into(),
///     end_user_id: None,
///     session: None,
///     confirmed: false,
/// };
/// let detail = connection_detail(&connection);
/// assert_eq!(Reflect::get(&detail, &"connectionId".into()).unwrap(), "conn_1");
/// assert_eq!(Reflect::get(&detail, &"confirmed".into()).unwrap(), false);
/// assert!(!Reflect::has(&detail, &"session".into()).unwrap());
/// ```
pub fn connection_detail(c: &Connection) -> Object {
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
///
/// # Examples
///
/// ```no_run
/// use js_sys::Reflect;
/// use weavz_connect::browser::events::error_detail;
/// use weavz_connect::flow::{ErrorCode, FlowError};
///
/// let detail = error_detail(&FlowError::new(ErrorCode::PopupBlocked, "Allow pop-ups."));
/// assert_eq!(Reflect::get(&detail, &"code".into()).unwrap(), "popup_blocked");
/// assert_eq!(Reflect::get(&detail, &"retryable".into()).unwrap(), true);
/// ```
pub fn error_detail(e: &FlowError) -> Object {
    let o = Object::new();
    set(&o, "code", e.code.as_str());
    set(&o, "message", e.message.as_str());
    set(&o, "retryable", e.retryable);
    o
}

/// An `Error` carrying `code` and `retryable`, for promise rejections.
///
/// # Examples
///
/// ```no_run
/// use weavz_connect::browser::events::error_value;
/// use weavz_connect::flow::{ErrorCode, FlowError};
///
/// let err = FlowError::new(ErrorCode::Timeout, "Connecting took too long.");
/// // What `open()`'s promise rejects with: an `Error` with `code` and `retryable`.
/// let rejection = js_sys::Promise::reject(&error_value(&err));
/// # let _ = rejection;
/// ```
pub fn error_value(e: &FlowError) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    set(&err, "code", e.code.as_str());
    set(&err, "retryable", e.retryable);
    err.into()
}

/// `{name, flowId, at}` for a progress step.
///
/// # Examples
///
/// ```no_run
/// use js_sys::Reflect;
/// use weavz_connect::browser::events::progress_detail;
/// use weavz_connect::flow::Progress;
///
/// let detail = progress_detail("f1", Progress::ResultReceived);
/// assert_eq!(Reflect::get(&detail, &"name".into()).unwrap(), "result_received");
/// assert_eq!(Reflect::get(&detail, &"level".into()).unwrap(), "info");
/// ```
pub fn progress_detail(flow_id: &str, p: Progress) -> Object {
    let o = Object::new();
    set(&o, "name", p.as_str());
    set(&o, "flowId", flow_id);
    set(&o, "at", js_sys::Date::now());
    set(&o, "level", "info");
    o
}

/// `{name, flowId, at, level: "debug", reason?, origin?}` for something ignored.
///
/// # Examples
///
/// ```no_run
/// use js_sys::Reflect;
/// use weavz_connect::browser::events::debug_detail;
/// use weavz_connect::flow::Note;
///
/// let detail = debug_detail("f1", &Note::RejectedOrigin("https://evil.example".into()));
/// assert_eq!(Reflect::get(&detail, &"name".into()).unwrap(), "rejected_origin");
/// assert_eq!(Reflect::get(&detail, &"origin".into()).unwrap(), "https://evil.example");
/// assert_eq!(Reflect::get(&detail, &"level".into()).unwrap(), "debug");
/// ```
pub fn debug_detail(flow_id: &str, note: &Note) -> Object {
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
///
/// # Examples
///
/// ```no_run
/// use weavz_connect::browser::events::{CONNECT_ERROR, dispatch, error_detail};
/// use weavz_connect::flow::{ErrorCode, FlowError};
///
/// let document = web_sys::window().unwrap().document().unwrap();
/// let element = document.get_element_by_id("connect-slack").unwrap();
/// // Bubbles and crosses shadow roots: listeners on `document` and `window` see it too.
/// let err = FlowError::new(ErrorCode::Network, "The host backend could not be reached.");
/// dispatch(&element, CONNECT_ERROR, &error_detail(&err));
/// ```
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
///
/// # Examples
///
/// ```no_run
/// use weavz_connect::browser::events::{CONNECT_ERROR, dispatch, terminal_event};
/// use weavz_connect::flow::{ErrorCode, FlowError, Outcome};
///
/// let outcome = Outcome::Failed(FlowError::new(ErrorCode::SessionExpired, "expired"));
/// let (name, detail) = terminal_event(&outcome);
/// assert_eq!(name, CONNECT_ERROR);
/// let document = web_sys::window().unwrap().document().unwrap();
/// dispatch(&document, name, &detail);
/// ```
pub fn terminal_event(outcome: &Outcome) -> (&'static str, Object) {
    match outcome {
        Outcome::Connected(c) => (CONNECTION_CREATED, connection_detail(c)),
        Outcome::Failed(e) if e.code == ErrorCode::UserCancelled => (CONNECT_CANCELLED, error_detail(e)),
        Outcome::Failed(e) => (CONNECT_ERROR, error_detail(e)),
    }
}

/// Dispatches a flow's report on `target` as the widget's DOM events: progress and debug
/// notes as `weavz:connect-event`, the end as its terminal event ([`terminal_event`]). Every
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
