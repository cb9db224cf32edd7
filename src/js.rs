//! The JavaScript API: `WeavzConnect.open(options)` and `install()`.
//!
//! ```js
//! import init, { install } from "weavz-connect";
//! await init();
//! install(); // defines window.WeavzConnect (and <weavz-connect> in the full build)
//! button.addEventListener("click", async () => {
//!   const connection = await WeavzConnect.open({
//!     integration: "slack",
//!     tokenEndpoint: "/api/connect-token",
//!     sessionEndpoint: "/api/connect-session",
//!   });
//! });
//! ```
//!
//! The same from Rust, e.g. in a page built with wasm-bindgen:
//!
//! ```no_run
//! use weavz_connect::js;
//!
//! js::install(); // window.WeavzConnect, and <weavz-connect> with feature `element`
//! let options = js_sys::JSON::parse(
//!     r#"{"integration":"slack","tokenEndpoint":"/api/connect-token"}"#,
//! )
//! .unwrap();
//! // Inside a click handler:
//! let _promise = js::open(options);
//! // The flow runs until it ends (a blocked popup ends it at once).
//! assert!(js::active_flows() <= 1);
//! ```

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use crate::browser::driver::{self, Report, StartOptions};
use crate::browser::events::{self, CONNECT_ERROR, CONNECT_EVENT};
use crate::browser::options::{Extras, start_options};
use crate::browser::resume;
use crate::flow::{FlowError, Outcome};
use crate::options::{Given, invalid, messages};

pub use crate::options::DEFAULT_CLOSE_GRACE_MS;

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn is_set(v: &JsValue) -> bool {
    !v.is_undefined() && !v.is_null()
}

fn string_option(obj: &JsValue, key: &str) -> Result<Option<String>, FlowError> {
    let v = get(obj, key);
    if !is_set(&v) {
        return Ok(None);
    }
    match v.as_string() {
        Some(s) if !s.trim().is_empty() => Ok(Some(s)),
        Some(_) => Err(invalid(format!("{key} must not be empty."))),
        None => Err(invalid(format!("{key} must be a string."))),
    }
}

fn number_option(obj: &JsValue, key: &str) -> Result<Option<f64>, FlowError> {
    let v = get(obj, key);
    if !is_set(&v) {
        return Ok(None);
    }
    v.as_f64()
        .map(Some)
        .ok_or_else(|| invalid(format!("{key} must be a number of milliseconds.")))
}

/// Parsed `open()` options.
pub(crate) struct Options {
    /// What the driver needs.
    pub start: StartOptions,
    /// `onEvent`, called with every progress and debug detail.
    pub on_event: Option<Function>,
}

/// Reads and checks the options object of `WeavzConnect.open`.
pub(crate) fn parse_options(options: &JsValue) -> Result<Options, FlowError> {
    if !options.is_object() {
        return Err(invalid(
            "open() takes an options object with connectUrl, tokenEndpoint or getConnectUrl.",
        ));
    }
    let get_connect_url = get(options, "getConnectUrl");
    let get_connect_url = if is_set(&get_connect_url) {
        Some(
            get_connect_url
                .dyn_into::<Function>()
                .map_err(|_| invalid("getConnectUrl must be a function."))?,
        )
    } else {
        None
    };
    let given = Given {
        integration: string_option(options, "integration")?,
        integration_required: false,
        connect_url: string_option(options, "connectUrl")?,
        token_endpoint: string_option(options, "tokenEndpoint")?,
        get_connect_url: get_connect_url.is_some(),
        session_endpoint: string_option(options, "sessionEndpoint")?,
        mode: string_option(options, "mode")?,
        close_grace_ms: number_option(options, "closeGraceMs")?,
        timeout_ms: number_option(options, "timeoutMs")?,
        end_user_id: string_option(options, "endUserId")?,
    };
    let token = string_option(options, "token")?;
    let expires_at = match string_option(options, "expiresAt")? {
        Some(at) => {
            let ms = js_sys::Date::parse(&at);
            if !ms.is_finite() {
                return Err(invalid("expiresAt must be an ISO-8601 date."));
            }
            Some(ms)
        }
        None => None,
    };
    let on_event = get(options, "onEvent");
    let on_event = if is_set(&on_event) {
        Some(
            on_event
                .dyn_into::<Function>()
                .map_err(|_| invalid("onEvent must be a function."))?,
        )
    } else {
        None
    };
    let signal = get(options, "signal");
    let signal = if is_set(&signal) {
        Some(
            signal
                .dyn_into::<AbortSignal>()
                .map_err(|_| invalid("signal must be an AbortSignal."))?,
        )
    } else {
        None
    };
    let token_params = get(options, "tokenParams");
    if token_params.is_string() {
        // JSON text is for attributes and props; the JS API takes the object itself.
        return Err(invalid(messages::TOKEN_PARAMS));
    }
    let start = start_options(
        given.check()?,
        Extras {
            token_params,
            get_connect_url,
            token,
            expires_at,
            signal,
            shown_by: None,
        },
    )?;
    Ok(Options { start, on_event })
}

pub use crate::browser::options::token_body;

/// Opens the connect popup. Call it synchronously inside a click handler.
///
/// Resolves with `{connectionId, integrationName, externalId, endUserId?, session?}`;
/// rejects with an `Error` carrying `code` and `retryable`. The same outcome is also
/// dispatched on `document` (bubbling to `window`) as `weavz:connection-created`, `weavz:connect-error` or
/// `weavz:connect-cancelled`.
///
/// # Examples
///
/// From Rust (JavaScript calls `WeavzConnect.open({…})`), inside a click handler:
///
/// ```no_run
/// use weavz_connect::js::open;
///
/// let options = js_sys::JSON::parse(
///     r#"{"integration":"slack","tokenEndpoint":"/api/connect-token",
///         "sessionEndpoint":"/api/connect-session"}"#,
/// )
/// .unwrap();
/// let promise = open(options);
/// wasm_bindgen_futures::spawn_local(async move {
///     match wasm_bindgen_futures::JsFuture::from(promise).await {
///         Ok(connection) => web_sys::console::log_2(&"connected".into(), &connection),
///         Err(error) => web_sys::console::warn_1(&error),
///     }
/// });
/// ```
#[wasm_bindgen(js_name = open)]
pub fn open(options: JsValue) -> Promise {
    let Some(window) = web_sys::window() else {
        let err = invalid("WeavzConnect.open needs a browser window.");
        return Promise::reject(&events::error_value(&err));
    };
    let parsed = match parse_options(&options) {
        Ok(p) => p,
        Err(err) => {
            events::dispatch(
                &events_target(&window),
                CONNECT_ERROR,
                &events::error_detail(&err),
            );
            return Promise::reject(&events::error_value(&err));
        }
    };
    let mut parsed = Some(parsed);
    Promise::new(&mut |resolve: Function, reject: Function| {
        let Some(Options { start, on_event }) = parsed.take() else {
            return;
        };
        let target = events_target(&window);
        let settled = Rc::new(Cell::new(false));
        let observer: driver::Observer = Rc::new(move |flow_id: &str, report: Report<'_>| match report {
            Report::Progress(p) => {
                emit_progress(&target, on_event.as_ref(), events::progress_detail(flow_id, p))
            }
            Report::Debug(note) => {
                emit_progress(&target, on_event.as_ref(), events::debug_detail(flow_id, note))
            }
            Report::Finished(outcome) => {
                if settled.replace(true) {
                    return;
                }
                let (name, detail) = events::terminal_event(outcome);
                events::dispatch(&target, name, &detail);
                let _ = match outcome {
                    Outcome::Connected(_) => resolve.call1(&JsValue::UNDEFINED, &detail),
                    Outcome::Failed(e) => reject.call1(&JsValue::UNDEFINED, &events::error_value(e)),
                };
            }
        });
        driver::start(&window, start, observer);
    })
}

/// Where the JS API's events go: `document`, so listeners on `document` and on `window`
/// (it bubbles there) both see them, as they see the element's.
fn events_target(window: &web_sys::Window) -> web_sys::EventTarget {
    window
        .document()
        .map_or_else(|| window.clone().into(), Into::into)
}

fn emit_progress(target: &web_sys::EventTarget, on_event: Option<&Function>, detail: Object) {
    events::dispatch(target, CONNECT_EVENT, &detail);
    if let Some(f) = on_event {
        let _ = f.call1(&JsValue::UNDEFINED, &detail);
    }
}

/// Picks up a redirect-mode flow after the page came back from the connect page (or was
/// reloaded, or reached with Back, while one was pending) and removes the `weavz_*`
/// parameters from the address bar. Safe to call any number of times: a flow is resumed
/// once per page, and its events are dispatched once (on the `<weavz-connect>` element that
/// shows it, else on `document`).
///
/// Resolves with the connection (as `open()` does) or `null` when nothing is pending;
/// rejects with the flow's error. `<weavz-connect>` calls it when it is connected.
///
/// # Examples
///
/// ```no_run
/// use weavz_connect::js::resume;
///
/// // At page load, in a page that uses redirect mode:
/// wasm_bindgen_futures::spawn_local(async {
///     match wasm_bindgen_futures::JsFuture::from(resume()).await {
///         Ok(c) if c.is_null() => {} // nothing was pending
///         Ok(c) => web_sys::console::log_2(&"came back connected".into(), &c),
///         Err(error) => web_sys::console::warn_1(&error),
///     }
/// });
/// ```
#[wasm_bindgen(js_name = resume)]
pub fn resume() -> Promise {
    let Some(window) = web_sys::window() else {
        return Promise::resolve(&JsValue::NULL);
    };
    let Some(latest) = resume::resume(&window).pop() else {
        return Promise::resolve(&JsValue::NULL);
    };
    Promise::new(&mut |resolve: Function, reject: Function| {
        latest.subscribe(Rc::new(move |_: &str, report: Report<'_>| {
            if let Report::Finished(outcome) = report {
                let _ = match outcome {
                    Outcome::Connected(c) => {
                        resolve.call1(&JsValue::UNDEFINED, &events::connection_detail(c))
                    }
                    Outcome::Failed(e) => reject.call1(&JsValue::UNDEFINED, &events::error_value(e)),
                };
            }
        }));
    })
}

/// Number of flows in progress (for tests and debugging).
///
/// # Examples
///
/// ```
/// use weavz_connect::js::active_flows;
///
/// assert_eq!(active_flows(), 0);
/// ```
#[wasm_bindgen(js_name = activeFlows)]
pub fn active_flows() -> usize {
    driver::active_flows()
}

/// Defines `window.WeavzConnect` (`open`, `resume`, `activeFlows`, `version`) and, in builds
/// with feature `element`, `<weavz-connect>` (with `panel`, also `<weavz-connections>`), then
/// picks up a redirect-mode flow coming back ([`resume()`]). Safe to call more than once.
///
/// # Examples
///
/// ```no_run
/// // In a Rust/WASM app that also wants the JS API for its scripts:
/// weavz_connect::js::install();
/// let window = web_sys::window().unwrap();
/// let api = js_sys::Reflect::get(&window, &"WeavzConnect".into()).unwrap();
/// assert!(api.is_object());
/// ```
#[wasm_bindgen]
pub fn install() {
    let Some(window) = web_sys::window() else { return };
    let api = Object::new();
    let open_fn = Closure::<dyn Fn(JsValue) -> Promise>::new(open).into_js_value();
    let active_fn = Closure::<dyn Fn() -> usize>::new(active_flows).into_js_value();
    let resume_fn = Closure::<dyn Fn() -> Promise>::new(resume).into_js_value();
    let _ = Reflect::set(&api, &"open".into(), &open_fn);
    let _ = Reflect::set(&api, &"resume".into(), &resume_fn);
    let _ = Reflect::set(&api, &"activeFlows".into(), &active_fn);
    let _ = Reflect::set(&api, &"version".into(), &env!("CARGO_PKG_VERSION").into());
    let _ = Reflect::set(&window, &"WeavzConnect".into(), &api);
    #[cfg(feature = "element")]
    crate::element::define();
    #[cfg(feature = "panel")]
    crate::ui::panel_element::define();
    // A redirect-mode flow coming back is picked up even if no element renders (a
    // hash-routed app showing another view): its events reach `document`. (Not through
    // `resume()`: a failure would be an unhandled promise rejection.)
    let _ = resume::resume(&window);
}
