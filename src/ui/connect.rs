//! [`use_connect`]: the connect flow as a Leptos hook, for an app that draws its own button.
//! [`super::ConnectButton`] is built on it.
//!
//! Server rendering: the hook touches no browser API while a component renders. On the
//! server (and before hydration) it is idle and [`UseConnectReturn::ready`] is false; it
//! resumes redirect-mode flows and becomes ready in an effect, which only runs in the
//! browser. Calling [`UseConnectReturn::open`] on the server does nothing.
//!
//! ```no_run
//! use leptos::prelude::*;
//! use weavz_connect::ui::connect::{UseConnectOptions, use_connect};
//!
//! #[component]
//! fn SlackCard() -> impl IntoView {
//!     let slack = use_connect(
//!         UseConnectOptions::new("slack", "/api/connect-token").session_endpoint("/api/connect-session"),
//!     );
//!     view! {
//!         <article data-state=move || slack.state.get().name()>
//!             <h3>"Slack"</h3>
//!             <button on:click=move |_| slack.open() aria-disabled=move || (!slack.ready.get()).then_some("true")>
//!                 "Connect"
//!             </button>
//!         </article>
//!     }
//! }
//! ```

use std::cell::Cell;
use std::rc::Rc;

use leptos::prelude::*;

use crate::browser::driver::{self, Report, ShownBy};
use crate::browser::events;
use crate::browser::options::for_widget;
use crate::browser::resume::{self, Shown};
use crate::button::ButtonState;
use crate::flow::{Connection, ErrorCode, FlowError, Outcome, Progress};
use crate::options::{Given, Mode, TokenParams};

/// What [`use_connect`] needs: the integration and the host backend's token endpoint, and
/// optional settings, each set with a method of the same name. Settings that take a
/// [`MaybeProp`] accept a value or a signal; they are read when a flow starts.
///
/// # Examples
///
/// ```no_run
/// use leptos::prelude::*;
/// use weavz_connect::flow::Connection;
/// use weavz_connect::options::Mode;
/// use weavz_connect::ui::connect::UseConnectOptions;
///
/// let options = UseConnectOptions::new("slack", "/api/connect-token")
///     .session_endpoint("/api/connect-session")
///     .mode(Mode::Auto)
///     .on_connected(|c: Connection| leptos::logging::log!("connected {}", c.connection_id));
/// ```
pub struct UseConnectOptions {
    integration: String,
    token_endpoint: String,
    session_endpoint: MaybeProp<String>,
    mode: MaybeProp<Mode>,
    token_params: MaybeProp<TokenParams>,
    close_grace_ms: MaybeProp<f64>,
    timeout_ms: MaybeProp<f64>,
    end_user: MaybeProp<String>,
    event_target: Option<web_sys::EventTarget>,
    callbacks: Callbacks,
}

/// The flow's callbacks: one per DOM event the flow dispatches.
#[derive(Clone, Copy, Default)]
struct Callbacks {
    connected: Option<Callback<Connection>>,
    error: Option<Callback<FlowError>>,
    cancelled: Option<Callback<FlowError>>,
    event: Option<Callback<Progress>>,
}

impl UseConnectOptions {
    /// Flows for `integration` (e.g. `slack`), with tokens from `token_endpoint` (`POST`,
    /// JSON `{integrationName, …tokenParams}` → `{token, connectUrl, expiresAt}`).
    ///
    /// ```
    /// use weavz_connect::ui::connect::UseConnectOptions;
    ///
    /// let options = UseConnectOptions::new("slack", "/api/connect-token");
    /// # let _ = options;
    /// ```
    pub fn new(integration: impl Into<String>, token_endpoint: impl Into<String>) -> Self {
        UseConnectOptions {
            integration: integration.into(),
            token_endpoint: token_endpoint.into(),
            session_endpoint: MaybeProp::default(),
            mode: MaybeProp::default(),
            token_params: MaybeProp::default(),
            close_grace_ms: MaybeProp::default(),
            timeout_ms: MaybeProp::default(),
            end_user: MaybeProp::default(),
            event_target: None,
            callbacks: Callbacks::default(),
        }
    }

    /// The host backend endpoint that polls the session (`POST {token}`), to confirm
    /// results. Needed for redirect mode.
    ///
    /// ```
    /// # use leptos::prelude::*;
    /// # use weavz_connect::flow::{Connection, ErrorCode, FlowError, Progress};
    /// # use weavz_connect::options::{Mode, TokenParams};
    /// use weavz_connect::ui::connect::UseConnectOptions;
    ///
    /// let options = UseConnectOptions::new("slack", "/api/connect-token")
    ///     .session_endpoint("/api/connect-session");
    /// # let _ = options;
    /// ```
    pub fn session_endpoint(mut self, endpoint: impl Into<MaybeProp<String>>) -> Self {
        self.session_endpoint = endpoint.into();
        self
    }

    /// How the connect page is shown (default [`Mode::Popup`]).
    ///
    /// ```
    /// # use leptos::prelude::*;
    /// # use weavz_connect::flow::{Connection, ErrorCode, FlowError, Progress};
    /// # use weavz_connect::options::{Mode, TokenParams};
    /// use weavz_connect::ui::connect::UseConnectOptions;
    ///
    /// let options = UseConnectOptions::new("slack", "/api/connect-token")
    ///     .session_endpoint("/api/connect-session").mode(Mode::Redirect);
    /// # let _ = options;
    /// ```
    pub fn mode(mut self, mode: impl Into<MaybeProp<Mode>>) -> Self {
        self.mode = mode.into();
        self
    }

    /// Extra fields for the token request.
    ///
    /// ```
    /// # use leptos::prelude::*;
    /// # use weavz_connect::flow::{Connection, ErrorCode, FlowError, Progress};
    /// # use weavz_connect::options::{Mode, TokenParams};
    /// use weavz_connect::ui::connect::UseConnectOptions;
    ///
    /// let options = UseConnectOptions::new("slack", "/api/connect-token")
    ///     .token_params(TokenParams::from(r#"{"connectionName": "Team"}"#));
    /// # let _ = options;
    /// ```
    pub fn token_params(mut self, params: impl Into<MaybeProp<TokenParams>>) -> Self {
        self.token_params = params.into();
        self
    }

    /// Grace period after the popup closes, in milliseconds (default 3000).
    ///
    /// ```
    /// # use leptos::prelude::*;
    /// # use weavz_connect::flow::{Connection, ErrorCode, FlowError, Progress};
    /// # use weavz_connect::options::{Mode, TokenParams};
    /// use weavz_connect::ui::connect::UseConnectOptions;
    ///
    /// let options = UseConnectOptions::new("slack", "/api/connect-token")
    ///     .close_grace_ms(1500.0);
    /// # let _ = options;
    /// ```
    pub fn close_grace_ms(mut self, ms: impl Into<MaybeProp<f64>>) -> Self {
        self.close_grace_ms = ms.into();
        self
    }

    /// A total deadline in milliseconds; the flow ends with `timeout` after it.
    ///
    /// ```
    /// # use leptos::prelude::*;
    /// # use weavz_connect::flow::{Connection, ErrorCode, FlowError, Progress};
    /// # use weavz_connect::options::{Mode, TokenParams};
    /// use weavz_connect::ui::connect::UseConnectOptions;
    ///
    /// let options = UseConnectOptions::new("slack", "/api/connect-token")
    ///     .timeout_ms(120_000.0);
    /// # let _ = options;
    /// ```
    pub fn timeout_ms(mut self, ms: impl Into<MaybeProp<f64>>) -> Self {
        self.timeout_ms = ms.into();
        self
    }

    /// The end user's external id: sent to the token endpoint as `endUserId` and reported
    /// with the connection.
    ///
    /// ```
    /// # use leptos::prelude::*;
    /// # use weavz_connect::flow::{Connection, ErrorCode, FlowError, Progress};
    /// # use weavz_connect::options::{Mode, TokenParams};
    /// use weavz_connect::ui::connect::UseConnectOptions;
    ///
    /// let options = UseConnectOptions::new("slack", "/api/connect-token")
    ///     .end_user(RwSignal::new("user-42".to_owned()));
    /// # let _ = options;
    /// ```
    pub fn end_user(mut self, id: impl Into<MaybeProp<String>>) -> Self {
        self.end_user = id.into();
        self
    }

    /// Where the flow's DOM events are dispatched (default: `document`, as for the JS
    /// API, so they bubble to `window`; `ConnectButton`'s default is its root element).
    ///
    /// ```no_run
    /// use weavz_connect::ui::connect::UseConnectOptions;
    ///
    /// let panel = web_sys::window().unwrap().document().unwrap().get_element_by_id("settings").unwrap();
    /// let options = UseConnectOptions::new("slack", "/api/connect-token").event_target(panel);
    /// # let _ = options;
    /// ```
    pub fn event_target(mut self, target: impl Into<web_sys::EventTarget>) -> Self {
        self.event_target = Some(target.into());
        self
    }

    /// Called once a connection exists (`weavz:connection-created`).
    ///
    /// ```
    /// # use leptos::prelude::*;
    /// # use weavz_connect::flow::{Connection, ErrorCode, FlowError, Progress};
    /// # use weavz_connect::options::{Mode, TokenParams};
    /// use weavz_connect::ui::connect::UseConnectOptions;
    ///
    /// let options = UseConnectOptions::new("slack", "/api/connect-token")
    ///     .on_connected(|c: Connection| leptos::logging::log!("{}", c.connection_id));
    /// # let _ = options;
    /// ```
    pub fn on_connected(mut self, callback: impl Fn(Connection) + Send + Sync + 'static) -> Self {
        self.callbacks.connected = Some(Callback::new(callback));
        self
    }

    /// Called when a flow fails (`weavz:connect-error`): not when the user cancels.
    ///
    /// ```
    /// # use leptos::prelude::*;
    /// # use weavz_connect::flow::{Connection, ErrorCode, FlowError, Progress};
    /// # use weavz_connect::options::{Mode, TokenParams};
    /// use weavz_connect::ui::connect::UseConnectOptions;
    ///
    /// let options = UseConnectOptions::new("slack", "/api/connect-token")
    ///     .on_error(|e: FlowError| leptos::logging::warn!("{e}"));
    /// # let _ = options;
    /// ```
    pub fn on_error(mut self, callback: impl Fn(FlowError) + Send + Sync + 'static) -> Self {
        self.callbacks.error = Some(Callback::new(callback));
        self
    }

    /// Called when the user cancels (`weavz:connect-cancelled`: closed the popup, pressed
    /// Cancel, or denied on the connect page); the error's code is `user_cancelled`.
    ///
    /// ```
    /// # use leptos::prelude::*;
    /// # use weavz_connect::flow::{Connection, ErrorCode, FlowError, Progress};
    /// # use weavz_connect::options::{Mode, TokenParams};
    /// use weavz_connect::ui::connect::UseConnectOptions;
    ///
    /// let options = UseConnectOptions::new("slack", "/api/connect-token")
    ///     .on_cancelled(|e: FlowError| assert_eq!(e.code, ErrorCode::UserCancelled));
    /// # let _ = options;
    /// ```
    pub fn on_cancelled(mut self, callback: impl Fn(FlowError) + Send + Sync + 'static) -> Self {
        self.callbacks.cancelled = Some(Callback::new(callback));
        self
    }

    /// Called for each step of the flow (`weavz:connect-event`).
    ///
    /// ```
    /// # use leptos::prelude::*;
    /// # use weavz_connect::flow::{Connection, ErrorCode, FlowError, Progress};
    /// # use weavz_connect::options::{Mode, TokenParams};
    /// use weavz_connect::ui::connect::UseConnectOptions;
    ///
    /// let options = UseConnectOptions::new("slack", "/api/connect-token")
    ///     .on_event(|p: Progress| leptos::logging::log!("{p:?}"));
    /// # let _ = options;
    /// ```
    pub fn on_event(mut self, callback: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.callbacks.event = Some(Callback::new(callback));
        self
    }
}

/// What [`use_connect`] gives: the flow's state as signals, and [`open`](Self::open) /
/// [`cancel`](Self::cancel) / [`reopen`](Self::reopen). `Copy`, so it moves into any
/// number of closures.
///
/// ```no_run
/// use leptos::prelude::*;
/// use weavz_connect::ui::connect::{UseConnectOptions, use_connect};
///
/// #[component]
/// fn Status() -> impl IntoView {
///     let connect = use_connect(UseConnectOptions::new("github", "/api/connect-token"));
///     view! {
///         <p role="status">
///             {move || match (connect.connection.get(), connect.error.get()) {
///                 (Some(c), _) => format!("Connected ({})", c.connection_id),
///                 (None, Some(e)) => e.message,
///                 (None, None) => String::new(),
///             }}
///         </p>
///     }
/// }
/// ```
#[derive(Clone, Copy)]
pub struct UseConnectReturn {
    /// The flow's state, as `ConnectButton` shows it ([`ButtonState::name`] is its
    /// `data-state`).
    pub state: Signal<ButtonState>,
    /// Whether the hook runs in the browser: false on the server and until hydration, when
    /// a click could not start a flow yet (render the button `aria-disabled` then).
    pub ready: Signal<bool>,
    /// The connection of the last flow that created one.
    pub connection: Signal<Option<Connection>>,
    /// The error of the last flow that ended without a connection (cancellations too);
    /// cleared when a flow starts.
    pub error: Signal<Option<FlowError>>,
    hook: StoredValue<Hook, LocalStorage>,
    current: StoredValue<Option<Current>, LocalStorage>,
    writers: Writers,
}

/// The hook's settings, which are not `Copy`.
struct Hook {
    options: UseConnectOptions,
}

#[derive(Clone, Copy)]
struct Writers {
    state: WriteSignal<ButtonState>,
    connection: WriteSignal<Option<Connection>>,
    error: WriteSignal<Option<FlowError>>,
    callbacks: Callbacks,
}

/// The flow shown ([`Shown`]: aborted, or released if resumed, when dropped). It first
/// marks the hook gone, so the abort report touches no disposed signal or callback.
struct Current {
    shown: Shown,
    alive: Rc<Cell<bool>>,
}

impl Drop for Current {
    fn drop(&mut self) {
        self.alive.set(false);
    }
}

/// The hosted connect flow for one integration, for a button of the app's own. One flow
/// at a time: [`UseConnectReturn::open`] while one runs brings its window forward. The
/// flow is aborted when the calling component is disposed.
///
/// # Examples
///
/// ```no_run
/// use leptos::prelude::*;
/// use weavz_connect::ui::connect::{UseConnectOptions, use_connect};
///
/// #[component]
/// fn ConnectGitHub() -> impl IntoView {
///     let connect = use_connect(
///         UseConnectOptions::new("github", "/api/connect-token")
///             .session_endpoint("/api/connect-session"),
///     );
///     view! {
///         <button on:click=move |_| connect.open() disabled=move || !connect.ready.get()>
///             {move || match connect.connection.get() {
///                 Some(c) => format!("GitHub connected ({})", c.connection_id),
///                 None => "Connect GitHub".to_owned(),
///             }}
///         </button>
///         <p role="status">{move || connect.error.get().map(|e| e.message)}</p>
///     }
/// }
/// ```
pub fn use_connect(options: UseConnectOptions) -> UseConnectReturn {
    let (state, set_state) = signal(ButtonState::Idle);
    let (connection, set_connection) = signal(None::<Connection>);
    let (error, set_error) = signal(None::<FlowError>);
    let (ready, set_ready) = signal(false);
    let writers = Writers {
        state: set_state,
        connection: set_connection,
        error: set_error,
        callbacks: options.callbacks,
    };
    let hook = StoredValue::new_local(Hook { options });
    let current: StoredValue<Option<Current>, LocalStorage> = StoredValue::new_local(None);

    // Effects never run on the server, so nothing below touches a browser API there.
    Effect::new(move |_| {
        set_ready.set(true);
        // A flow for this integration that left the page in redirect mode and is pending
        // in this tab: show it here (the first button for the integration shows it).
        let Some(window) = web_sys::window() else { return };
        let (integration, shown_on) = hook.with_value(|h| {
            let target = h.options.event_target.clone();
            (h.options.integration.clone(), target)
        });
        if let Some(shown_on) = shown_on.or_else(|| window.document().map(Into::into))
            && let Some(r) = resume::resume(&window).into_iter().find(|r| {
                r.integration.as_deref() == Some(integration.as_str())
                    && r.shown_by != Some(ShownBy::Panel)
                    && r.claim(&shown_on)
            })
            && r.handle().is_some()
        {
            let alive = Rc::new(Cell::new(true));
            let subscription = r.subscribe(observer(writers, alive.clone(), None));
            current.set_value(Shown::resumed(r, subscription).map(|shown| Current { shown, alive }));
        }
    });

    UseConnectReturn {
        state: state.into(),
        ready: ready.into(),
        connection: connection.into(),
        error: error.into(),
        hook,
        current,
        writers,
    }
}

impl UseConnectReturn {
    /// Starts a flow: call it from a click handler, so the popup opens inside the click.
    /// While a flow runs it brings that flow's window forward instead (or, for an
    /// interrupted redirect-mode flow, goes back to the connect page). Invalid options end
    /// the flow at once with `invalid_options` (state, `error`, `on_error` and the DOM
    /// event). Does nothing on the server.
    ///
    /// ```no_run
    /// use leptos::prelude::*;
    /// use weavz_connect::ui::connect::{UseConnectOptions, use_connect};
    ///
    /// #[component]
    /// fn Slack() -> impl IntoView {
    ///     let connect = use_connect(UseConnectOptions::new("slack", "/api/connect-token"));
    ///     view! { <button on:click=move |_| connect.open()>"Connect Slack"</button> }
    /// }
    /// ```
    pub fn open(&self) {
        self.open_on(None);
    }

    /// [`open`](Self::open), with DOM events going to `fallback` unless the options name
    /// an event target (`ConnectButton` passes its root element).
    pub(crate) fn open_on(&self, fallback: Option<web_sys::EventTarget>) {
        let Some(window) = browser_window() else { return };
        if let Some(h) = self.handle()
            && h.is_running()
        {
            if self.state.get_untracked() == ButtonState::Interrupted {
                h.reopen(&window);
            } else {
                h.focus();
            }
            return;
        }
        let writers = self.writers;
        let Some((target, options)) = self.hook.try_with_value(|h| {
            let o = &h.options;
            let target = o
                .event_target
                .clone()
                .or(fallback)
                .or_else(|| window.document().map(Into::into))
                .unwrap_or_else(|| window.clone().into());
            // The same checks, and the same errors, as every other surface.
            let given = Given {
                session_endpoint: o.session_endpoint.get_untracked(),
                mode: o.mode.get_untracked().map(|m| m.as_str().to_owned()),
                close_grace_ms: o.close_grace_ms.get_untracked(),
                timeout_ms: o.timeout_ms.get_untracked(),
                end_user_id: o.end_user.get_untracked(),
                ..Given::widget(&o.integration, &o.token_endpoint)
            };
            let params = o.token_params.get_untracked();
            let options = given.check().and_then(|checked| {
                let text = params.as_ref().map(TokenParams::json).transpose()?;
                for_widget(checked, text, ShownBy::Button)
            });
            (target, options)
        }) else {
            return;
        };
        writers.error.set(None);
        let options = match options {
            Ok(options) => options,
            Err(err) => {
                writers.state.set(ButtonState::Failed(err.clone()));
                writers.error.set(Some(err.clone()));
                if let Some(cb) = writers.callbacks.error {
                    cb.run(err.clone());
                }
                events::dispatch(&target, events::CONNECT_ERROR, &events::error_detail(&err));
                return;
            }
        };
        writers.state.set(ButtonState::Waiting);
        let alive = Rc::new(Cell::new(true));
        let handle = driver::start(&window, options, observer(writers, alive.clone(), Some(target)));
        self.current.set_value(Some(Current {
            shown: Shown::started(handle),
            alive,
        }));
    }

    /// Cancels the running flow (its popup closes; it ends `user_cancelled`).
    ///
    /// ```no_run
    /// use leptos::prelude::*;
    /// use weavz_connect::ui::connect::{UseConnectOptions, use_connect};
    ///
    /// #[component]
    /// fn Slack() -> impl IntoView {
    ///     let connect = use_connect(UseConnectOptions::new("slack", "/api/connect-token"));
    ///     view! { <button on:click=move |_| connect.cancel() hidden=move || !connect.state.get().busy()>"Cancel"</button> }
    /// }
    /// ```
    pub fn cancel(&self) {
        if let Some(h) = self.handle() {
            h.cancel();
        }
    }

    /// Shows the running flow's connect page again, in a new window if its own was lost
    /// (call it from a click). False, and the state says `Detached`, when none could open.
    ///
    /// ```no_run
    /// use leptos::prelude::*;
    /// use weavz_connect::ui::connect::{UseConnectOptions, use_connect};
    ///
    /// #[component]
    /// fn Slack() -> impl IntoView {
    ///     let connect = use_connect(UseConnectOptions::new("slack", "/api/connect-token"));
    ///     view! { <button on:click=move |_| { connect.reopen(); }>"Show the window again"</button> }
    /// }
    /// ```
    pub fn reopen(&self) -> bool {
        let (Some(h), Some(window)) = (self.handle(), browser_window()) else {
            return false;
        };
        let reopened = h.reopen(&window);
        if !reopened {
            self.writers.state.try_set(ButtonState::Detached);
        }
        reopened
    }

    /// Whether a flow is running, now (not tracked: for handlers; views follow
    /// [`state`](Self::state)).
    ///
    /// ```no_run
    /// use leptos::prelude::*;
    /// use weavz_connect::ui::connect::{UseConnectOptions, use_connect};
    ///
    /// #[component]
    /// fn Slack() -> impl IntoView {
    ///     let connect = use_connect(UseConnectOptions::new("slack", "/api/connect-token"));
    ///     view! { <button on:click=move |_| if connect.is_running() { connect.cancel() } else { connect.open() }>"Connect or stop"</button> }
    /// }
    /// ```
    pub fn is_running(&self) -> bool {
        self.handle().is_some_and(|h| h.is_running())
    }

    fn handle(&self) -> Option<driver::FlowHandle> {
        self.current
            .try_with_value(|c| c.as_ref().map(|g| g.shown.handle().clone()))
            .flatten()
    }
}

/// The page's window; none on the server (where `web_sys` would panic), so the methods
/// are no-ops there.
fn browser_window() -> Option<web_sys::Window> {
    if cfg!(target_arch = "wasm32") {
        web_sys::window()
    } else {
        None
    }
}

/// The observer of a flow shown by the hook: updates its signals and calls its callbacks
/// (while the hook lives) and dispatches the DOM events on `dispatch_to` (none for resumed
/// flows, whose events go to `window`).
fn observer(
    writers: Writers,
    alive: Rc<Cell<bool>>,
    dispatch_to: Option<web_sys::EventTarget>,
) -> driver::Observer {
    Rc::new(move |flow_id: &str, report: Report<'_>| {
        // After unmount only the DOM event goes out: signals and callbacks are gone.
        if alive.get() {
            if let Some(next) = ButtonState::after_report(&report) {
                writers.state.try_set(next);
            }
            let cbs = writers.callbacks;
            match report {
                Report::Progress(p) => {
                    if let Some(cb) = cbs.event {
                        cb.try_run(p);
                    }
                }
                Report::Finished(Outcome::Connected(c)) => {
                    writers.connection.try_set(Some(c.clone()));
                    if let Some(cb) = cbs.connected {
                        cb.try_run(c.clone());
                    }
                }
                Report::Finished(Outcome::Failed(e)) => {
                    writers.error.try_set(Some(e.clone()));
                    let cb = match e.code {
                        ErrorCode::UserCancelled => cbs.cancelled,
                        _ => cbs.error,
                    };
                    if let Some(cb) = cb {
                        cb.try_run(e.clone());
                    }
                }
                Report::Debug(_) => {}
            }
        }
        if let Some(t) = &dispatch_to {
            events::dispatch_report(t, flow_id, &report);
        }
    })
}
