//! Runs one [`Flow`] in the browser: opens the popup, owns the message listener and the
//! timer, performs polls, and reports to an observer. Everything the flow registered is
//! dropped (and so unregistered) the moment it finishes.
//!
//! ```no_run
//! use std::rc::Rc;
//! use weavz_connect::browser::driver::{self, Mode, Observer, Report, Source, StartOptions};
//!
//! let observer: Observer = Rc::new(|flow_id: &str, report: Report<'_>| {
//!     if let Report::Progress(p) = report {
//!         web_sys::console::log_1(&format!("{flow_id}: {}", p.as_str()).into());
//!     }
//! });
//! let options = StartOptions {
//!     source: Source::TokenEndpoint {
//!         url: "/api/connect-token".into(),
//!         body: r#"{"integrationName":"slack"}"#.into(),
//!     },
//!     session_endpoint: Some("/api/connect-session".into()),
//!     close_grace_ms: 3_000.0,
//!     timeout_ms: None,
//!     signal: None,
//!     mode: Mode::Auto,
//!     integration: Some("slack".into()),
//!     end_user_id: None,
//!     shown_by: None,
//! };
//! let handle = driver::start(&web_sys::window().unwrap(), options, observer);
//! assert!(driver::is_active(handle.id()) || !handle.is_running());
//! ```

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::JsCast;
use web_sys::{AbortSignal, MessageEvent, Window};

use super::http;
use super::listener::Listener;
use super::message::read_raw;
use super::popup::Popup;
use super::redirect::{self, Pending};
use super::timer::Interval;
use crate::flow::{Effect, ErrorCode, Flow, FlowConfig, FlowError, Input, Target};
use crate::protocol::{ResultOutcome, parse_result};

/// How often the popup and the deadlines are checked, in milliseconds.
pub(crate) const TICK_MS: i32 = 250;

/// The least time a resumed flow has to confirm, even past its deadline (a deadline that
/// passed while the page was away still leaves the session one fair chance to answer).
pub(crate) const RESUME_GRACE_MS: f64 = 10_000.0;

/// Redirect mode: if the page is still here this long after it was sent to the connect
/// page (a "leave this page?" prompt answered with Stay, a stopped navigation), the flow
/// says so and offers to continue.
pub(crate) const LEAVE_TIMEOUT_MS: i32 = 3000;

/// Where the connect URL comes from.
///
/// # Examples
///
/// ```
/// use weavz_connect::browser::driver::Source;
/// use weavz_connect::flow::Target;
///
/// // The host already has a connect URL…
/// let ready = Source::Ready(Target::new("https://platform.weavz.io/connect?token=cst_1").unwrap());
/// // …or the widget asks the host backend for one.
/// let fetch = Source::TokenEndpoint {
///     url: "/api/connect-token".into(),
///     body: r#"{"integrationName":"slack"}"#.into(),
/// };
/// assert!(matches!(ready, Source::Ready(t) if t.token.as_deref() == Some("cst_1")));
/// assert!(matches!(fetch, Source::TokenEndpoint { url, .. } if url == "/api/connect-token"));
/// ```
pub enum Source {
    /// Given by the host.
    Ready(Target),
    /// POST `body` (JSON) to the host backend's token endpoint.
    TokenEndpoint {
        /// The endpoint URL (relative URLs resolve against the page).
        url: String,
        /// The JSON body.
        body: String,
    },
    /// Call the host's `getConnectUrl()`.
    Callback(js_sys::Function),
}

pub use crate::options::Mode;

pub use crate::options::ShownBy;

/// Everything needed to start a flow.
///
/// # Examples
///
/// ```no_run
/// use std::rc::Rc;
/// use weavz_connect::browser::driver::{self, Mode, Report, Source, StartOptions};
///
/// let options = StartOptions {
///     source: Source::TokenEndpoint {
///         url: "/api/connect-token".into(),
///         body: r#"{"integrationName":"slack"}"#.into(),
///     },
///     session_endpoint: Some("/api/connect-session".into()),
///     close_grace_ms: 3_000.0,
///     timeout_ms: Some(5.0 * 60_000.0),
///     signal: None,
///     mode: Mode::Popup,
///     integration: Some("slack".into()),
///     end_user_id: None,
///     shown_by: None,
/// };
/// // Inside a click handler:
/// let window = web_sys::window().unwrap();
/// driver::start(&window, options, Rc::new(|_id: &str, _report: Report<'_>| {}));
/// ```
pub struct StartOptions {
    /// Where the connect URL comes from.
    pub source: Source,
    /// The host backend's session endpoint, if any.
    pub session_endpoint: Option<String>,
    /// Grace period after the popup closes.
    pub close_grace_ms: f64,
    /// A total deadline for the flow, in milliseconds (`timeout` after it).
    pub timeout_ms: Option<f64>,
    /// Aborts the flow.
    pub signal: Option<AbortSignal>,
    /// Popup, redirect or automatic.
    pub mode: Mode,
    /// The integration, when known (saved with a redirect so the page that comes back can
    /// show the result on the right button).
    pub integration: Option<String>,
    /// The end user's external id, when the flow is for one (an end-user portal): it is
    /// reported with the connection when the result message does not carry it.
    pub end_user_id: Option<String>,
    /// Which kind of widget started the flow (`None` for the JS API): after a redirect,
    /// the same kind shows it again.
    pub shown_by: Option<ShownBy>,
}

impl StartOptions {
    /// Options with the defaults: no session endpoint, the default grace period, no
    /// deadline, popup mode, no integration, end user or widget.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use weavz_connect::browser::driver::{Mode, Source, StartOptions};
    /// use weavz_connect::flow::Target;
    ///
    /// let target = Target::new("https://platform.weavz.io/connect?token=cst_1").unwrap();
    /// let options = StartOptions {
    ///     session_endpoint: Some("/api/connect-session".into()),
    ///     ..StartOptions::new(Source::Ready(target))
    /// };
    /// assert_eq!(options.mode, Mode::Popup);
    /// ```
    pub fn new(source: Source) -> StartOptions {
        StartOptions {
            source,
            session_endpoint: None,
            close_grace_ms: crate::options::DEFAULT_CLOSE_GRACE_MS,
            timeout_ms: None,
            signal: None,
            mode: Mode::Popup,
            integration: None,
            end_user_id: None,
            shown_by: None,
        }
    }
}

pub use crate::flow::Report;

/// Receives a flow's reports: `(flow id, report)`.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use weavz_connect::browser::driver::{Observer, Report};
/// use weavz_connect::flow::Progress;
///
/// let seen = Rc::new(RefCell::new(Vec::new()));
/// let log = seen.clone();
/// let observer: Observer = Rc::new(move |flow_id: &str, report: Report<'_>| {
///     if let Report::Progress(p) = report {
///         log.borrow_mut().push(format!("{flow_id}: {}", p.as_str()));
///     }
/// });
/// observer("f1", Report::Progress(Progress::PopupOpened));
/// assert_eq!(*seen.borrow(), ["f1: popup_opened"]);
/// ```
pub type Observer = Rc<dyn Fn(&str, Report<'_>)>;

struct Inner {
    id: String,
    flow: Flow,
    popup: Option<Popup>,
    session_endpoint: Option<String>,
    observer: Observer,
    // Owned registrations: dropping them unregisters.
    message_listener: Option<Listener>,
    abort_listener: Option<Listener>,
    network_listeners: Option<(Listener, Listener)>,
    pageshow_listener: Option<Listener>,
    focus_listener: Option<Listener>,
    ticker: Option<Interval>,
    /// The terminal report went out.
    ended: bool,
    /// The current popup was already reported closed.
    closed_reported: bool,
    /// This page's focus after that close was already reported.
    focus_reported: bool,
    /// `navigator.onLine` as last reported to the flow.
    online: bool,
    /// Redirect mode: the integration and the absolute deadline, saved with the flow.
    integration: Option<String>,
    deadline: Option<f64>,
    /// The `sessionStorage` record of a redirect-mode flow, removed when it ends.
    pending_saved: bool,
    /// The end user the flow is for, if given.
    end_user_id: Option<String>,
    /// See [`StartOptions::shown_by`].
    shown_by: Option<ShownBy>,
    /// The poll in flight: its number and the controller that aborts it.
    poll: Option<(u32, web_sys::AbortController)>,
    /// Number of the latest poll sent; answers to older ones are dropped.
    poll_seq: u32,
}

thread_local! {
    /// Flows in progress. A flow keeps itself alive here until it finishes; its callbacks
    /// only hold weak references.
    static ACTIVE: RefCell<Vec<(String, Rc<RefCell<Inner>>)>> = const { RefCell::new(Vec::new()) };
}

/// A handle to a running flow. Dropping it does not stop the flow; [`FlowHandle::abort`] does.
///
/// # Examples
///
/// ```no_run
/// # use std::rc::Rc;
/// # use weavz_connect::browser::driver::{self, Mode, Report, Source, StartOptions};
/// # let options = StartOptions {
/// #     source: Source::TokenEndpoint { url: "/api/connect-token".into(), body: "{}".into() },
/// #     session_endpoint: None, close_grace_ms: 3_000.0, timeout_ms: None, signal: None,
/// #     mode: Mode::Popup, integration: None, end_user_id: None, shown_by: None,
/// # };
/// let window = web_sys::window().unwrap();
/// let handle = driver::start(&window, options, Rc::new(|_: &str, _: Report<'_>| {}));
/// // Later, e.g. when the component that started it goes away:
/// if handle.is_running() {
///     handle.abort();
/// }
/// ```
#[derive(Clone)]
pub struct FlowHandle {
    id: String,
    inner: Weak<RefCell<Inner>>,
}

impl FlowHandle {
    /// The flow's id (random, 128 bits, hex).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use std::rc::Rc;
    /// # use weavz_connect::browser::driver::{self, Mode, Report, Source, StartOptions};
    /// # let options = StartOptions {
    /// #     source: Source::TokenEndpoint { url: "/api/connect-token".into(), body: "{}".into() },
    /// #     session_endpoint: None, close_grace_ms: 3_000.0, timeout_ms: None, signal: None,
    /// #     mode: Mode::Popup, integration: None, end_user_id: None, shown_by: None,
    /// # };
    /// # let window = web_sys::window().unwrap();
    /// let handle = driver::start(&window, options, Rc::new(|_: &str, _: Report<'_>| {}));
    /// assert_eq!(handle.id().len(), 32);
    /// assert!(driver::is_active(handle.id()));
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether the flow is still running.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use std::rc::Rc;
    /// # use weavz_connect::browser::driver::{self, Mode, Report, Source, StartOptions};
    /// # let options = StartOptions {
    /// #     source: Source::TokenEndpoint { url: "/api/connect-token".into(), body: "{}".into() },
    /// #     session_endpoint: None, close_grace_ms: 3_000.0, timeout_ms: None, signal: None,
    /// #     mode: Mode::Popup, integration: None, end_user_id: None, shown_by: None,
    /// # };
    /// # let window = web_sys::window().unwrap();
    /// let handle = driver::start(&window, options, Rc::new(|_: &str, _: Report<'_>| {}));
    /// handle.cancel();
    /// // The outcome (`user_cancelled`) was reported synchronously; the flow is gone.
    /// assert!(!handle.is_running());
    /// ```
    pub fn is_running(&self) -> bool {
        self.inner.upgrade().is_some()
    }

    /// Ends the flow with `aborted` (closing its popup), if it is still running.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use std::rc::Rc;
    /// # use weavz_connect::browser::driver::{self, Mode, Report, Source, StartOptions};
    /// # let options = StartOptions {
    /// #     source: Source::TokenEndpoint { url: "/api/connect-token".into(), body: "{}".into() },
    /// #     session_endpoint: None, close_grace_ms: 3_000.0, timeout_ms: None, signal: None,
    /// #     mode: Mode::Popup, integration: None, end_user_id: None, shown_by: None,
    /// # };
    /// use weavz_connect::flow::{ErrorCode, Outcome};
    ///
    /// let observer: driver::Observer = Rc::new(|_: &str, report: Report<'_>| {
    ///     if let Report::Finished(Outcome::Failed(e)) = report {
    ///         assert_eq!(e.code, ErrorCode::Aborted);
    ///     }
    /// });
    /// let window = web_sys::window().unwrap();
    /// let handle = driver::start(&window, options, observer);
    /// handle.abort();
    /// assert_eq!(driver::active_flows(), 0);
    /// ```
    pub fn abort(&self) {
        if let Some(rc) = self.inner.upgrade() {
            feed(&rc, Input::Abort);
        }
    }

    /// Ends the flow with `user_cancelled` (the widget's Cancel button), closing its popup.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use std::rc::Rc;
    /// # use weavz_connect::browser::driver::{self, Mode, Report, Source, StartOptions};
    /// # let options = StartOptions {
    /// #     source: Source::TokenEndpoint { url: "/api/connect-token".into(), body: "{}".into() },
    /// #     session_endpoint: None, close_grace_ms: 3_000.0, timeout_ms: None, signal: None,
    /// #     mode: Mode::Popup, integration: None, end_user_id: None, shown_by: None,
    /// # };
    /// use weavz_connect::flow::{ErrorCode, Outcome};
    ///
    /// let observer: driver::Observer = Rc::new(|_: &str, report: Report<'_>| {
    ///     if let Report::Finished(Outcome::Failed(e)) = report {
    ///         assert_eq!(e.code, ErrorCode::UserCancelled);
    ///     }
    /// });
    /// let window = web_sys::window().unwrap();
    /// let handle = driver::start(&window, options, observer);
    /// // The widget's Cancel button:
    /// handle.cancel();
    /// ```
    pub fn cancel(&self) {
        if let Some(rc) = self.inner.upgrade() {
            feed(&rc, Input::Cancel);
        }
    }

    /// Opens the connect page again in a new window, for a flow whose window reads closed
    /// (closed by mistake, or cut off by the provider's COOP). Call it inside a click.
    /// Returns false if the flow is over or the browser blocked the window.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use std::rc::Rc;
    /// # use weavz_connect::browser::driver::{self, Mode, Report, Source, StartOptions};
    /// # let options = StartOptions {
    /// #     source: Source::TokenEndpoint { url: "/api/connect-token".into(), body: "{}".into() },
    /// #     session_endpoint: Some("/api/connect-session".into()), close_grace_ms: 3_000.0,
    /// #     timeout_ms: None, signal: None, mode: Mode::Popup, integration: None,
    /// #     end_user_id: None, shown_by: None,
    /// # };
    /// let window = web_sys::window().unwrap();
    /// let handle = driver::start(&window, options, Rc::new(|_: &str, _: Report<'_>| {}));
    /// // In the click handler of a "Reopen window" button, after `window_closed_or_lost`:
    /// if !handle.reopen(&window) {
    ///     web_sys::console::warn_1(&"the flow is over, or the popup was blocked".into());
    /// }
    /// ```
    pub fn reopen(&self, window: &Window) -> bool {
        let Some(rc) = self.inner.upgrade() else {
            return false;
        };
        let Some(url) = rc.borrow().flow.connect_url().map(str::to_owned) else {
            return false;
        };
        if rc.borrow().flow.is_windowless() {
            // Redirect mode: "continue" sends this page to the connect page again; the
            // saved flow picks the result up when it comes back.
            return rc.borrow().pending_saved && window.location().assign(&url).is_ok();
        }
        let name = format!("weavz-connect-{}-{}", self.id, new_flow_id());
        let Some(popup) = Popup::open(window, &name) else {
            return false;
        };
        popup.navigate(&url);
        let old = {
            let mut i = rc.borrow_mut();
            i.closed_reported = false;
            i.focus_reported = false;
            i.popup.replace(popup)
        };
        if let Some(old) = old {
            old.close();
        }
        feed(&rc, Input::PopupReopened);
        true
    }

    /// Brings the flow's popup to the front.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use std::rc::Rc;
    /// # use weavz_connect::browser::driver::{self, Mode, Report, Source, StartOptions};
    /// # let options = StartOptions {
    /// #     source: Source::TokenEndpoint { url: "/api/connect-token".into(), body: "{}".into() },
    /// #     session_endpoint: None, close_grace_ms: 3_000.0, timeout_ms: None, signal: None,
    /// #     mode: Mode::Popup, integration: None, end_user_id: None, shown_by: None,
    /// # };
    /// # let window = web_sys::window().unwrap();
    /// let handle = driver::start(&window, options, Rc::new(|_: &str, _: Report<'_>| {}));
    /// // A second click on the busy button brings the popup back to the front.
    /// handle.focus();
    /// ```
    pub fn focus(&self) {
        if let Some(rc) = self.inner.upgrade() {
            let popup = rc.borrow().popup.clone();
            if let Some(p) = popup {
                p.focus();
            }
        }
    }
}

/// Number of flows in progress on this page.
///
/// # Examples
///
/// ```
/// use weavz_connect::browser::driver;
///
/// // No flow was started on this page (thread).
/// assert_eq!(driver::active_flows(), 0);
/// ```
pub fn active_flows() -> usize {
    ACTIVE.with(|a| a.borrow().len())
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// A random 128-bit id in hex.
pub(crate) fn new_flow_id() -> String {
    let bytes = random_bytes::<16>();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(32);
    for b in bytes {
        id.push(HEX[usize::from(b >> 4)] as char);
        id.push(HEX[usize::from(b & 15)] as char);
    }
    id
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes
}

/// A seed for a flow's retry jitter, so that many pages retrying after one outage spread out.
fn random_seed() -> u64 {
    u64::from_le_bytes(random_bytes::<8>())
}

/// Starts a flow. Call it synchronously inside the user's click: the popup is opened
/// before this returns. Reports (including a blocked popup) arrive through `observer`,
/// possibly before this function returns.
///
/// # Examples
///
/// Inside a click handler (the popup must open inside the user's gesture):
///
/// ```no_run
/// use std::rc::Rc;
/// use weavz_connect::browser::driver::{self, Mode, Observer, Report, Source, StartOptions};
/// use weavz_connect::flow::{Outcome, Target};
///
/// let window = web_sys::window().unwrap();
/// let target = Target::new("https://platform.weavz.io/connect?token=cst_1").unwrap();
/// let options = StartOptions {
///     source: Source::Ready(target),
///     session_endpoint: Some("/api/connect-session".into()),
///     close_grace_ms: 3_000.0,
///     timeout_ms: None,
///     signal: None,
///     mode: Mode::Popup,
///     integration: Some("slack".into()),
///     end_user_id: None,
///     shown_by: None,
/// };
/// let observer: Observer = Rc::new(|flow_id: &str, report: Report<'_>| {
///     if let Report::Finished(Outcome::Connected(c)) = report {
///         web_sys::console::log_1(&format!("{flow_id}: connected {}", c.connection_id).into());
///     }
/// });
/// let handle = driver::start(&window, options, observer);
/// assert!(handle.is_running());
/// ```
pub fn start(window: &Window, options: StartOptions, observer: Observer) -> FlowHandle {
    let id = new_flow_id();
    let has_session = options.session_endpoint.is_some();
    let aborted = options.signal.as_ref().is_some_and(AbortSignal::aborted);
    // The one thing that must happen inside the gesture: open the window (unless the
    // flow redirects, or is already aborted).
    let mut redirect = match options.mode {
        Mode::Popup => false,
        Mode::Redirect => true,
        // An end-user portal link cannot be confirmed after a redirect: popup only.
        Mode::Auto => has_session && options.end_user_id.is_none() && redirect::prefers_redirect(window),
    };
    let popup = if redirect || aborted {
        None
    } else {
        Popup::open(window, &format!("weavz-connect-{id}"))
    };
    if popup.is_none()
        && !aborted
        && options.mode == Mode::Auto
        && has_session
        && options.end_user_id.is_none()
    {
        // Blocked: a redirect needs no gesture.
        redirect = true;
    }
    let cfg = FlowConfig {
        close_grace_ms: options.close_grace_ms,
        confirm_with_session: has_session,
        timeout_ms: options.timeout_ms,
        redirect,
        integration: options.integration.clone(),
        end_user_id: options.end_user_id.clone(),
        seed: random_seed(),
        ..FlowConfig::default()
    };
    let inner = new_inner(&id, Flow::new(cfg), options.session_endpoint, observer);
    {
        let mut i = inner.borrow_mut();
        i.integration = options.integration;
        i.end_user_id = options.end_user_id;
        i.shown_by = options.shown_by;
        i.deadline = options.timeout_ms.map(|t| now() + t);
    }
    let handle = FlowHandle {
        id: id.clone(),
        inner: Rc::downgrade(&inner),
    };
    if aborted {
        feed(&inner, Input::Abort);
        return handle;
    }
    if !redirect && popup.is_none() {
        feed(&inner, Input::PopupBlocked);
        return handle;
    }
    ACTIVE.with(|a| a.borrow_mut().push((id.clone(), inner.clone())));
    register(window, &inner, options.signal.as_ref());
    if let Some(popup) = popup {
        inner.borrow_mut().popup = Some(popup);
        feed(&inner, Input::PopupOpened);
    }

    let return_url = if redirect {
        redirect::return_url(window, &id)
    } else {
        None
    };
    match options.source {
        Source::Ready(target) => feed(&inner, Input::Target(target)),
        Source::TokenEndpoint { url, body } => {
            let body = match &return_url {
                Some(back) => with_redirect_uris(&body, back),
                None => body,
            };
            let weak = Rc::downgrade(&inner);
            wasm_bindgen_futures::spawn_local(async move {
                let result = http::fetch_target(&url, &body).await;
                deliver_target(&weak, result);
            });
        }
        Source::Callback(f) => {
            // getConnectUrl({mode, redirectUri}): in redirect mode the host's backend
            // creates the token with redirectUri as its success and error redirect URIs.
            let arg = js_sys::Object::new();
            let _ = js_sys::Reflect::set(
                &arg,
                &"mode".into(),
                &(if redirect { "redirect" } else { "popup" }).into(),
            );
            if let Some(back) = &return_url {
                let _ = js_sys::Reflect::set(&arg, &"redirectUri".into(), &back.as_str().into());
            }
            let f: js_sys::Function = f.bind1(&wasm_bindgen::JsValue::UNDEFINED, &arg).unchecked_into();
            let weak = Rc::downgrade(&inner);
            wasm_bindgen_futures::spawn_local(async move {
                let result = http::call_target_fn(&f).await;
                deliver_target(&weak, result);
            });
        }
    }
    handle
}

/// Adds `successRedirectUri` and `errorRedirectUri` to a token request body (a JSON
/// object), unless the host already set them.
fn with_redirect_uris(body: &str, back: &str) -> String {
    let Ok(obj) = js_sys::JSON::parse(body) else {
        return body.to_owned();
    };
    for key in ["successRedirectUri", "errorRedirectUri"] {
        let k = wasm_bindgen::JsValue::from_str(key);
        if js_sys::Reflect::get(&obj, &k).is_ok_and(|v| v.is_undefined() || v.is_null()) {
            let _ = js_sys::Reflect::set(&obj, &k, &back.into());
        }
    }
    js_sys::JSON::stringify(&obj).map_or_else(|_| body.to_owned(), String::from)
}

fn new_inner(
    id: &str,
    flow: Flow,
    session_endpoint: Option<String>,
    observer: Observer,
) -> Rc<RefCell<Inner>> {
    Rc::new(RefCell::new(Inner {
        id: id.to_owned(),
        flow,
        popup: None,
        session_endpoint,
        observer,
        message_listener: None,
        abort_listener: None,
        network_listeners: None,
        pageshow_listener: None,
        focus_listener: None,
        ticker: None,
        ended: false,
        closed_reported: false,
        focus_reported: false,
        online: true,
        integration: None,
        deadline: None,
        pending_saved: false,
        end_user_id: None,
        shown_by: None,
        poll: None,
        poll_seq: 0,
    }))
}

/// Picks up a redirect-mode flow saved by an earlier page: asks its session until it ends
/// (`hint` is what the return URL claimed). The flow keeps its id. Removes the saved
/// record when it ends.
pub(crate) fn resume_pending(
    window: &Window,
    pending: &Pending,
    hint: Option<ResultOutcome>,
    observer: Observer,
) -> FlowHandle {
    // A deadline that passed while the page was away still leaves the session one fair
    // chance to answer: the connection may well exist.
    let remaining = pending.deadline.map(|d| (d - now()).max(RESUME_GRACE_MS));
    let cfg = FlowConfig {
        confirm_with_session: true,
        timeout_ms: remaining,
        redirect: true,
        integration: pending.integration.clone(),
        seed: random_seed(),
        ..FlowConfig::default()
    };
    let inner = new_inner(
        &pending.id,
        Flow::new(cfg),
        Some(pending.session_endpoint.clone()),
        observer,
    );
    {
        let mut i = inner.borrow_mut();
        i.integration = pending.integration.clone();
        i.deadline = pending.deadline;
        i.pending_saved = true;
    }
    let handle = FlowHandle {
        id: pending.id.clone(),
        inner: Rc::downgrade(&inner),
    };
    let Some(target) = pending.target() else {
        redirect::remove(window, &pending.id);
        feed(
            &inner,
            Input::TargetFailed(crate::options::invalid(
                "The saved connect flow has an unusable connect URL.",
            )),
        );
        return handle;
    };
    ACTIVE.with(|a| a.borrow_mut().push((pending.id.clone(), inner.clone())));
    register(window, &inner, None);
    feed(&inner, Input::Resumed { target, hint });
    handle
}

/// Whether a flow with this id runs on this page.
///
/// # Examples
///
/// ```
/// use weavz_connect::browser::driver;
///
/// assert!(!driver::is_active("0123456789abcdef0123456789abcdef"));
/// ```
pub fn is_active(id: &str) -> bool {
    ACTIVE.with(|a| a.borrow().iter().any(|(other, _)| other == id))
}

fn deliver_target(weak: &Weak<RefCell<Inner>>, result: Result<Target, FlowError>) {
    if let Some(rc) = weak.upgrade() {
        let input = match result {
            Ok(target) => Input::Target(target),
            Err(err) => Input::TargetFailed(err),
        };
        feed(&rc, input);
    }
}

/// The message listener, the popup/deadline ticker and the abort listener.
fn register(window: &Window, inner: &Rc<RefCell<Inner>>, signal: Option<&AbortSignal>) {
    let weak = Rc::downgrade(inner);
    let message_listener = Listener::new(window, "message", move |event| {
        let Some(rc) = weak.upgrade() else { return };
        let Some(event) = event.dyn_ref::<MessageEvent>() else {
            return;
        };
        // Compared with the flow's current window (it changes on reopen).
        let popup = rc.borrow().popup.clone();
        let from_popup = match (event.source(), popup) {
            (Some(source), Some(popup)) => js_sys::Object::is(&source, popup.window().as_ref()),
            _ => false,
        };
        let origin = event.origin();
        // Sender first: the data of a message from any other origin or window is never
        // read (a flood of foreign messages costs a string compare each).
        let reads = rc.borrow().flow.reads_message(&origin, from_popup);
        let payload = if reads {
            parse_result(&read_raw(&event.data()))
        } else {
            // Never looked at: the flow rejects the sender first.
            Err(crate::protocol::Rejection::NotAnObject)
        };
        feed(
            &rc,
            Input::Message {
                origin,
                from_popup,
                payload,
            },
        );
    });

    let weak = Rc::downgrade(inner);
    let ticker = Interval::new(TICK_MS, move || {
        let Some(rc) = weak.upgrade() else { return };
        let newly_closed = {
            let mut i = rc.borrow_mut();
            let closed = !i.closed_reported && i.popup.as_ref().is_some_and(Popup::is_closed);
            if closed {
                i.closed_reported = true;
            }
            closed
        };
        if newly_closed {
            feed(&rc, Input::PopupClosed);
        }
        // A window the user closes hands the focus back to this page; one cut off by COOP
        // keeps it (headless Chromium reports every page as focused).
        let watch_focus = {
            let i = rc.borrow();
            i.closed_reported && !i.focus_reported
        };
        if watch_focus && page_has_focus() {
            rc.borrow_mut().focus_reported = true;
            feed(&rc, Input::OpenerFocused);
        }
        // Not every way of going offline fires an event (emulation, some platforms).
        sync_online(&rc);
        feed(&rc, Input::Tick);
    });

    let abort_listener = signal.and_then(|signal| {
        let weak = Rc::downgrade(inner);
        Listener::new(signal, "abort", move |_| {
            if let Some(rc) = weak.upgrade() {
                feed(&rc, Input::Abort);
            }
        })
    });

    // Polls wait while the browser is offline and resume as soon as it is back.
    let network = |kind: &'static str| {
        let weak = Rc::downgrade(inner);
        Listener::new(window, kind, move |_| {
            if let Some(rc) = weak.upgrade() {
                sync_online(&rc);
            }
        })
    };
    let network_listeners = network("offline").zip(network("online"));

    // A window the user closes hands the focus back to this page (see `OpenerFocused`).
    let focus_listener = {
        let weak = Rc::downgrade(inner);
        Listener::new(window, "focus", move |_| {
            let Some(rc) = weak.upgrade() else { return };
            let report = {
                let mut i = rc.borrow_mut();
                let report = i.closed_reported && !i.focus_reported;
                i.focus_reported |= report;
                report
            };
            if report {
                feed(&rc, Input::OpenerFocused);
            }
        })
    };

    // Redirect mode: Back may restore this page from the back/forward cache, flow and all.
    // Another page may have finished the flow meanwhile (its saved record is then gone).
    let pageshow_listener = if inner.borrow().flow.is_windowless() {
        let weak = Rc::downgrade(inner);
        Listener::new(window, "pageshow", move |event| {
            let persisted =
                js_sys::Reflect::get(event.as_ref(), &"persisted".into()).is_ok_and(|v| v.is_truthy());
            let Some(rc) = weak.upgrade() else { return };
            if !persisted || !rc.borrow().pending_saved {
                return;
            }
            let id = rc.borrow().id.clone();
            let pending = web_sys::window().is_some_and(|w| redirect::is_saved(&w, &id));
            feed(&rc, Input::PageRestored { pending });
        })
    } else {
        None
    };

    {
        let mut i = inner.borrow_mut();
        i.message_listener = message_listener;
        i.ticker = ticker;
        i.abort_listener = abort_listener;
        i.network_listeners = network_listeners;
        i.pageshow_listener = pageshow_listener;
        i.focus_listener = focus_listener;
    }
    sync_online(inner);
}

fn page_has_focus() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.has_focus().unwrap_or(false))
}

fn navigator_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// Tells the flow when `navigator.onLine` changed since it last heard.
fn sync_online(rc: &Rc<RefCell<Inner>>) {
    let now_online = navigator_online();
    let changed = {
        let mut i = rc.borrow_mut();
        let changed = i.online != now_online;
        i.online = now_online;
        changed
    };
    if changed {
        feed(rc, if now_online { Input::Online } else { Input::Offline });
    }
}

/// Feeds one input and carries out the effects. No `RefCell` borrow is held while calling
/// out to JavaScript (observers may start or abort flows re-entrantly).
fn feed(rc: &Rc<RefCell<Inner>>, input: Input) {
    let effects = rc.borrow_mut().flow.handle(now(), input);
    for effect in effects {
        execute(rc, effect);
    }
}

fn execute(rc: &Rc<RefCell<Inner>>, effect: Effect) {
    let (id, observer, popup, ended) = {
        let i = rc.borrow();
        (i.id.clone(), i.observer.clone(), i.popup.clone(), i.ended)
    };
    // An observer may end the flow re-entrantly (e.g. abort from a progress handler):
    // what the flow asked for before that no longer applies.
    if ended && !matches!(effect, Effect::ClosePopup) {
        return;
    }
    match effect {
        Effect::Navigate(url) => {
            if let Some(p) = popup {
                p.navigate(&url);
            }
        }
        Effect::ClosePopup => {
            if let Some(p) = popup {
                p.close();
            }
        }
        Effect::Redirect(target) => {
            if let Err(err) = leave_for(rc, &target) {
                feed(rc, Input::TargetFailed(err));
            }
        }
        Effect::Poll(token) => {
            if !navigator_online() {
                // Do not spend a request on a dead network: the flow waits for `online`.
                sync_online(rc);
                feed(
                    rc,
                    Input::Poll(crate::flow::PollResult::Retry {
                        reason: "offline".into(),
                        retry_after_ms: None,
                    }),
                );
                return;
            }
            let Some(endpoint) = rc.borrow().session_endpoint.clone() else {
                return;
            };
            let controller = web_sys::AbortController::new().ok();
            let signal = controller.as_ref().map(web_sys::AbortController::signal);
            let seq = {
                let mut i = rc.borrow_mut();
                i.poll_seq = i.poll_seq.wrapping_add(1);
                let seq = i.poll_seq;
                i.poll = controller.map(|c| (seq, c));
                seq
            };
            let weak = Rc::downgrade(rc);
            wasm_bindgen_futures::spawn_local(async move {
                let result = http::poll(&endpoint, &token, signal.as_ref()).await;
                let Some(rc) = weak.upgrade() else { return };
                let current = {
                    let mut i = rc.borrow_mut();
                    let current = i.poll_seq == seq && !i.ended;
                    if current {
                        i.poll = None;
                    }
                    current
                };
                // An answer to a poll the flow gave up on (timed out, superseded) is dropped.
                if current {
                    feed(&rc, Input::Poll(result));
                }
            });
        }
        Effect::AbortPoll => abort_poll(rc),
        Effect::Progress(p) => observer(&id, Report::Progress(p)),
        Effect::Debug(note) => observer(&id, Report::Debug(&note)),
        Effect::Finish(outcome) => {
            // Unregister everything first, so the host sees a clean page in its handler.
            unregister(rc, &id);
            if rc.borrow().pending_saved
                && let Some(window) = web_sys::window()
            {
                redirect::remove(&window, &id);
            }
            observer(&id, Report::Finished(&outcome));
        }
        Effect::Release => unregister(rc, &id),
    }
}

/// Drops every registration of an ended flow and forgets it.
fn unregister(rc: &Rc<RefCell<Inner>>, id: &str) {
    abort_poll(rc);
    let registrations = {
        let mut i = rc.borrow_mut();
        i.ended = true;
        (
            i.message_listener.take(),
            i.abort_listener.take(),
            i.network_listeners.take(),
            i.pageshow_listener.take(),
            i.focus_listener.take(),
            i.ticker.take(),
        )
    };
    drop(registrations);
    ACTIVE.with(|a| a.borrow_mut().retain(|(other, _)| other != id));
}

/// Aborts the poll in flight, if any; its answer is never fed to the flow.
fn abort_poll(rc: &Rc<RefCell<Inner>>) {
    let poll = {
        let mut i = rc.borrow_mut();
        i.poll_seq = i.poll_seq.wrapping_add(1);
        i.poll.take()
    };
    if let Some((_, controller)) = poll {
        controller.abort();
    }
}

/// Redirect mode: saves the flow, then sends the page to the connect page.
fn leave_for(rc: &Rc<RefCell<Inner>>, target: &Target) -> Result<(), FlowError> {
    let window =
        web_sys::window().ok_or_else(|| crate::options::invalid("Redirect mode needs a browser window."))?;
    let pending = {
        let i = rc.borrow();
        Pending {
            id: i.id.clone(),
            connect_url: target.connect_url.clone(),
            token: target
                .token
                .clone()
                .ok_or_else(|| crate::options::invalid("Redirect mode needs the connect token."))?,
            expires_at: target.expires_at,
            session_endpoint: i
                .session_endpoint
                .clone()
                .ok_or_else(|| crate::options::invalid("Redirect mode needs a sessionEndpoint."))?,
            integration: i.integration.clone(),
            shown_by: i.shown_by,
            hash: redirect::current_hash(&window),
            created: now(),
            deadline: i.deadline,
        }
    };
    // Earlier attempts for the same integration left behind (Back, then a new click) are
    // superseded: only the newest may come back.
    for old in redirect::load_all(&window) {
        if old.id != pending.id && old.integration == pending.integration {
            redirect::remove(&window, &old.id);
        }
    }
    redirect::save(&window, &pending)?;
    rc.borrow_mut().pending_saved = true;
    window.location().assign(&target.connect_url).map_err(|e| {
        FlowError::new(
            ErrorCode::Network,
            format!("Could not go to the connect page: {}", http::js_message(&e)),
        )
    })?;
    let weak = Rc::downgrade(rc);
    let stayed = wasm_bindgen::closure::Closure::once_into_js(move || {
        if let Some(rc) = weak.upgrade() {
            let id = rc.borrow().id.clone();
            let pending = web_sys::window().is_some_and(|w| redirect::is_saved(&w, &id));
            feed(&rc, Input::PageRestored { pending });
        }
    });
    let _ = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(stayed.unchecked_ref(), LEAVE_TIMEOUT_MS);
    Ok(())
}
