//! The Leptos UI: [`ConnectButton`], and with feature `panel` [`ConnectionsPanel`] and its
//! `<weavz-connections>` element. (`<weavz-connect>` is plain web-sys: [`crate::element`].)
//!
//! ```no_run
//! use leptos::prelude::*;
//! use weavz_connect::ui::ConnectButton;
//!
//! #[component]
//! fn Integrations() -> impl IntoView {
//!     view! {
//!         <ConnectButton
//!             integration="slack"
//!             token_endpoint="/api/connect-token"
//!             session_endpoint="/api/connect-session"
//!             on_connected=Callback::new(|c: weavz_connect::flow::Connection| {
//!                 leptos::logging::log!("connected {}", c.connection_id)
//!             })
//!         />
//!     }
//! }
//! ```

#[cfg(feature = "panel")]
mod data;
#[cfg(feature = "panel")]
pub mod panel;
#[cfg(feature = "panel")]
pub mod panel_element;

#[cfg(feature = "panel")]
pub use panel::ConnectionsPanel;

use std::cell::Cell;
use std::rc::Rc;

use leptos::html::Div;
use leptos::prelude::*;

use crate::browser::driver::{self, Report, ShownBy};
use crate::browser::events;
use crate::browser::options::for_widget;
use crate::browser::resume::{self, Shown};
use crate::button::{ButtonState, Texts, actions};
use crate::flow::{Connection, FlowError, Outcome};
use crate::options::Given;

/// The flow the button shows ([`Shown`]: aborted, or released if resumed, when dropped).
/// It first marks the component gone, so the abort report touches no disposed signal or
/// callback.
struct Current {
    shown: Shown,
    alive: Rc<Cell<bool>>,
}

impl Drop for Current {
    fn drop(&mut self) {
        self.alive.set(false);
    }
}

/// A button that runs the hosted connect flow for one integration.
///
/// It opens the popup inside the click, shows the flow's state in text that screen readers
/// announce (a `role="status"` region), and dispatches the widget's DOM events
/// (`weavz:connection-created`, `weavz:connect-error`, `weavz:connect-cancelled`,
/// `weavz:connect-event`) from its root element, or from `event_target` when given. Its
/// states and texts are [`crate::button`]'s, the same as `<weavz-connect>`'s.
///
/// ```no_run
/// use leptos::prelude::*;
/// use weavz_connect::flow::FlowError;
/// use weavz_connect::ui::ConnectButton;
///
/// #[component]
/// fn AddGitHub() -> impl IntoView {
///     view! {
///         <ConnectButton
///             integration="github"
///             label="Add GitHub"
///             token_endpoint="/api/connect-token"
///             session_endpoint="/api/connect-session"
///             // Redirect instead of a popup on small touch screens or when blocked.
///             mode="auto"
///             on_error=Callback::new(|e: FlowError| leptos::logging::warn!("{}: {}", e.code.as_str(), e.message))
///         />
///     }
/// }
/// ```
#[component]
pub fn ConnectButton(
    /// The integration's name, e.g. `slack`.
    #[prop(into)]
    integration: String,
    /// The host backend endpoint that mints a connect token (`POST`, JSON
    /// `{integrationName, …tokenParams}` → `{token, connectUrl, expiresAt}`).
    #[prop(into)]
    token_endpoint: String,
    /// The host backend endpoint that polls the session (`POST {token}`), to confirm results.
    #[prop(optional, into)]
    session_endpoint: MaybeProp<String>,
    /// The button text when idle (default `Connect <display name>`). Reactive: a signal
    /// passed here updates the button.
    #[prop(optional, into)]
    label: MaybeProp<String>,
    /// The integration's name for people (default: from `integration`). Reactive.
    #[prop(optional, into)]
    display_name: MaybeProp<String>,
    /// Whether the button is disabled (a native `disabled` button: no click, no flow).
    /// Reactive: e.g. until the user accepted the terms. A flow already running goes on.
    #[prop(optional, into)]
    disabled: MaybeProp<bool>,
    /// Extra fields for the token request, as a JSON object text.
    #[prop(optional, into)]
    token_params: MaybeProp<String>,
    /// Grace period after the popup closes, in milliseconds (default 3000).
    #[prop(optional, into)]
    close_grace_ms: MaybeProp<f64>,
    /// A total deadline in milliseconds; the flow ends with `timeout` after it.
    #[prop(optional, into)]
    timeout_ms: MaybeProp<f64>,
    /// `popup` (default), `redirect` or `auto` (see the README). Redirect needs
    /// `session_endpoint`.
    #[prop(optional, into)]
    mode: MaybeProp<String>,
    /// The end user's external id: sent to the token endpoint as `endUserId` (an end-user
    /// portal token endpoint) and reported with the connection.
    #[prop(optional, into)]
    end_user: MaybeProp<String>,
    /// Called once a connection exists.
    #[prop(optional)]
    on_connected: Option<Callback<Connection>>,
    /// Called when a flow fails or is cancelled.
    #[prop(optional)]
    on_error: Option<Callback<FlowError>>,
    /// Where DOM events are dispatched (default: the component's root element).
    #[prop(optional)]
    event_target: Option<web_sys::EventTarget>,
) -> impl IntoView {
    let texts_integration = integration.clone();
    let texts = Memo::new(move |_| Texts::new(&texts_integration, display_name.get(), label.get()));
    let is_disabled = move || disabled.get().unwrap_or(false);
    let (state, set_state) = signal(ButtonState::Idle);
    let current: StoredValue<Option<Current>, LocalStorage> = StoredValue::new_local(None);
    let root = NodeRef::<Div>::new();

    // Whether the button runs in the browser yet: false in the server's markup and until
    // hydration (the button says `aria-disabled` then), true once an effect ran. Effects
    // never run on the server, so nothing below touches a browser API there.
    let (live, set_live) = signal(false);
    let resume_integration = integration.clone();
    let resume_target = event_target.clone();
    Effect::new(move |_| {
        set_live.set(true);
        // A flow for this integration that left the page in redirect mode and is pending
        // in this tab: show it here (the first button for the integration shows it).
        if let Some(window) = web_sys::window()
            && let Some(shown_on) = resume_target
                .clone()
                .or_else(|| window.document().map(Into::into))
            && let Some(r) = resume::resume(&window).into_iter().find(|r| {
                r.integration.as_deref() == Some(resume_integration.as_str())
                    && r.shown_by != Some(ShownBy::Panel)
                    && r.claim(&shown_on)
            })
            && r.handle().is_some()
        {
            let alive = Rc::new(Cell::new(true));
            let subscription = r.subscribe(ui_observer(
                set_state,
                alive.clone(),
                on_connected,
                on_error,
                None,
            ));
            current.set_value(Shown::resumed(r, subscription).map(|shown| Current { shown, alive }));
        }
    });

    let click_integration = integration.clone();
    let on_click = move |_| {
        if !live.get_untracked() || disabled.get_untracked().unwrap_or(false) {
            return;
        }
        if let Some(h) = current.with_value(|c| c.as_ref().map(|g| g.shown.handle().clone()))
            && h.is_running()
        {
            // One flow per button: a second click brings its window forward (or, for an
            // interrupted redirect, goes back to the connect page).
            if state.get_untracked() == ButtonState::Interrupted {
                if let Some(window) = web_sys::window() {
                    h.reopen(&window);
                }
            } else {
                h.focus();
            }
            return;
        }
        let Some(window) = web_sys::window() else { return };
        let target: web_sys::EventTarget = match (&event_target, root.get_untracked()) {
            (Some(t), _) => t.clone(),
            (None, Some(div)) => div.into(),
            (None, None) => window.clone().into(),
        };
        // The same checks, and the same errors, as every other surface.
        let given = Given {
            session_endpoint: session_endpoint.get_untracked(),
            mode: mode.get_untracked(),
            close_grace_ms: close_grace_ms.get_untracked(),
            timeout_ms: timeout_ms.get_untracked(),
            end_user_id: end_user.get_untracked(),
            ..Given::widget(&click_integration, &token_endpoint)
        };
        let params = token_params.get_untracked();
        let options = given
            .check()
            .and_then(|checked| for_widget(checked, params.as_deref(), ShownBy::Button));
        let options = match options {
            Ok(options) => options,
            Err(err) => {
                fail(&target, set_state, on_error, err);
                return;
            }
        };
        set_state.set(ButtonState::Waiting);
        let alive = Rc::new(Cell::new(true));
        let observer = ui_observer(set_state, alive.clone(), on_connected, on_error, Some(target));
        let handle = driver::start(&window, options, observer);
        current.set_value(Some(Current {
            shown: Shown::started(handle),
            alive,
        }));
    };

    let on_cancel = move |_| {
        if let Some(h) = current.with_value(|c| c.as_ref().map(|g| g.shown.handle().clone())) {
            h.cancel();
        }
    };
    let on_reopen = move |_| {
        let handle = current.with_value(|c| c.as_ref().map(|g| g.shown.handle().clone()));
        if let (Some(h), Some(window)) = (handle, web_sys::window())
            && !h.reopen(&window)
        {
            set_state.try_set(ButtonState::Detached);
        }
    };
    let button_text = move || texts.with(|t| t.button(&state.get()));
    let status_text = move || texts.with(|t| t.status(&state.get()));
    let state_name = move || state.with(ButtonState::name);
    view! {
        <div class="weavz-connect" part="root" node_ref=root data-state=state_name>
            <button type="button" part="button" class="weavz-connect__button" on:click=on_click
                aria-busy=move || state.with(ButtonState::busy).to_string()
                disabled=is_disabled
                aria-disabled=move || (!live.get()).then_some("true")>
                {button_text}
            </button>
            <p part="status" class="weavz-connect__status" role="status" aria-live="polite">{status_text}</p>
            <Show when=move || state.with(ButtonState::shows_actions)>
                <div class="weavz-connect__actions" part="actions">
                    <Show when=move || state.with(ButtonState::shows_reopen)>
                        <button type="button" part="reopen" class="weavz-connect__secondary" on:click=on_reopen>
                            {actions::REOPEN}
                        </button>
                    </Show>
                    <button type="button" part="cancel" class="weavz-connect__secondary" on:click=on_cancel>
                        {actions::CANCEL}
                    </button>
                </div>
            </Show>
        </div>
    }
}

/// The observer of a flow shown by a button: updates its state and callbacks (while the
/// component lives) and dispatches the DOM events on `dispatch_to` (none for resumed
/// flows, whose events go to `window`).
fn ui_observer(
    set_state: WriteSignal<ButtonState>,
    alive: Rc<Cell<bool>>,
    on_connected: Option<Callback<Connection>>,
    on_error: Option<Callback<FlowError>>,
    dispatch_to: Option<web_sys::EventTarget>,
) -> driver::Observer {
    Rc::new(move |flow_id: &str, report: Report<'_>| {
        // After unmount only the DOM event goes out: signals and callbacks are gone.
        if alive.get() {
            if let Some(next) = ButtonState::after_report(&report) {
                set_state.try_set(next);
            }
            match report {
                Report::Finished(Outcome::Connected(c)) => {
                    if let Some(cb) = on_connected {
                        cb.try_run(c.clone());
                    }
                }
                Report::Finished(Outcome::Failed(e)) => {
                    if let Some(cb) = on_error {
                        cb.try_run(e.clone());
                    }
                }
                _ => {}
            }
        }
        if let Some(t) = &dispatch_to {
            events::dispatch_report(t, flow_id, &report);
        }
    })
}

fn fail(
    target: &web_sys::EventTarget,
    set_state: WriteSignal<ButtonState>,
    on_error: Option<Callback<FlowError>>,
    err: FlowError,
) {
    set_state.set(ButtonState::Failed(err.clone()));
    if let Some(cb) = on_error {
        cb.run(err.clone());
    }
    events::dispatch(target, events::CONNECT_ERROR, &events::error_detail(&err));
}

/// Server rendering: the button's markup, built natively without a browser.
#[cfg(all(test, feature = "ssr"))]
mod ssr_tests {
    use leptos::prelude::*;

    use super::ConnectButton;

    #[test]
    fn the_button_renders_on_the_server_idle_and_not_yet_usable() {
        let owner = Owner::new();
        owner.set();
        let html = view! {
            <ConnectButton integration="slack" display_name="Slack" token_endpoint="/api/connect-token"/>
        }
        .to_html();
        assert!(html.contains(r#"data-state="idle""#), "{html}");
        assert!(html.contains(">Connect Slack<"), "{html}");
        assert!(html.contains(r#"aria-disabled="true""#), "{html}");
        assert!(html.contains(r#"role="status""#), "{html}");
        assert!(
            !html.contains("weavz-connect__actions"),
            "no Cancel before a flow: {html}"
        );
    }

    #[test]
    fn signals_give_the_label_and_disabled() {
        let owner = Owner::new();
        owner.set();
        let (label, _) = signal("Add a Slack workspace".to_owned());
        let (disabled, _) = signal(true);
        let html = view! {
            <ConnectButton integration="slack" token_endpoint="/api/connect-token" label=label disabled=disabled/>
        }
        .to_html();
        assert!(html.contains(">Add a Slack workspace<"), "{html}");
        assert!(html.contains(" disabled"), "{html}");
        let html =
            view! { <ConnectButton integration="slack" token_endpoint="/api/connect-token"/> }.to_html();
        assert!(!html.contains(" disabled"), "enabled by default: {html}");
    }
}
