//! The Leptos UI: [`ConnectButton`], the [`use_connect`] hook it is built on, and with
//! feature `panel` [`ConnectionsPanel`] and its `<weavz-connections>` element.
//! (`<weavz-connect>` is plain web-sys: [`crate::element`].)
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

pub mod connect;

pub use connect::{UseConnectOptions, UseConnectReturn, use_connect};

use leptos::html::Div;
use leptos::prelude::*;

use crate::button::{ButtonState, Texts, actions};
use crate::flow::{Connection, FlowError, Progress};
use crate::options::{Mode, TokenParams};

/// A button that runs the hosted connect flow for one integration, built on
/// [`use_connect`].
///
/// It opens the popup inside the click, shows the flow's state in text that screen readers
/// announce (a `role="status"` region), and dispatches the widget's DOM events
/// (`weavz:connection-created`, `weavz:connect-error`, `weavz:connect-cancelled`,
/// `weavz:connect-event`) from its root element, or from `event_target` when given. Its
/// states and texts are [`crate::button`]'s, the same as `<weavz-connect>`'s.
///
/// # Server-side rendering
///
/// With feature `ssr` the button renders on the server as it will look once hydrated,
/// idle (`data-state="idle"`) with its label, and `aria-disabled="true"`: it touches no
/// browser API there. In the browser (feature `hydrate`) it becomes usable in an effect
/// after hydration, which also resumes a redirect-mode flow pending for its integration; a
/// click before that does nothing. It works inside an `#[island]` (Leptos' `islands`) as
/// well; `examples/leptos-ssr` tests both.
///
/// ```no_run
/// use leptos::prelude::*;
/// use serde_json::json;
/// use weavz_connect::flow::FlowError;
/// use weavz_connect::options::{Mode, TokenParams};
/// use weavz_connect::ui::ConnectButton;
///
/// #[component]
/// fn AddGitHub() -> impl IntoView {
///     let (accepted, set_accepted) = signal(false);
///     view! {
///         <label>
///             <input type="checkbox" on:change=move |ev| set_accepted.set(event_target_checked(&ev))/>
///             " I accept the terms"
///         </label>
///         <ConnectButton
///             integration="github"
///             label="Add GitHub"
///             token_endpoint="/api/connect-token"
///             session_endpoint="/api/connect-session"
///             // Redirect instead of a popup on small touch screens or when blocked.
///             mode=Mode::Auto
///             token_params=TokenParams::from(json!({ "connectionName": "Work GitHub" }))
///             disabled=Signal::derive(move || !accepted.get())
///             on_error=Callback::new(|e: FlowError| leptos::logging::warn!("{e}"))
///             on_cancelled=Callback::new(|_: FlowError| leptos::logging::log!("maybe later"))
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
    /// Extra fields for the token request: a JSON object ([`TokenParams`] from a
    /// `serde_json::Value`, any `Serialize` value, or JSON text). Read when a flow starts.
    #[prop(optional, into)]
    token_params: MaybeProp<TokenParams>,
    /// Grace period after the popup closes, in milliseconds (default 3000).
    #[prop(optional, into)]
    close_grace_ms: MaybeProp<f64>,
    /// A total deadline in milliseconds; the flow ends with `timeout` after it.
    #[prop(optional, into)]
    timeout_ms: MaybeProp<f64>,
    /// [`Mode::Popup`] (default), [`Mode::Redirect`] or [`Mode::Auto`] (see the README).
    /// Redirect needs `session_endpoint`.
    #[prop(optional, into)]
    mode: MaybeProp<Mode>,
    /// The end user's external id: sent to the token endpoint as `endUserId` (an end-user
    /// portal token endpoint) and reported with the connection.
    #[prop(optional, into)]
    end_user: MaybeProp<String>,
    /// Called once a connection exists (`weavz:connection-created`).
    #[prop(optional)]
    on_connected: Option<Callback<Connection>>,
    /// Called when a flow fails (`weavz:connect-error`), not when the user cancels.
    #[prop(optional)]
    on_error: Option<Callback<FlowError>>,
    /// Called when the user cancels (`weavz:connect-cancelled`; code `user_cancelled`).
    #[prop(optional)]
    on_cancelled: Option<Callback<FlowError>>,
    /// Called for each step of a flow (`weavz:connect-event`).
    #[prop(optional)]
    on_event: Option<Callback<Progress>>,
    /// Where DOM events are dispatched (default: the component's root element).
    #[prop(optional)]
    event_target: Option<web_sys::EventTarget>,
) -> impl IntoView {
    let texts_integration = integration.clone();
    let texts = Memo::new(move |_| Texts::new(&texts_integration, display_name.get(), label.get()));
    let is_disabled = move || disabled.get().unwrap_or(false);
    let root = NodeRef::<Div>::new();

    let mut options = UseConnectOptions::new(integration, token_endpoint)
        .session_endpoint(session_endpoint)
        .mode(mode)
        .token_params(token_params)
        .close_grace_ms(close_grace_ms)
        .timeout_ms(timeout_ms)
        .end_user(end_user);
    if let Some(target) = event_target {
        options = options.event_target(target);
    }
    if let Some(cb) = on_connected {
        options = options.on_connected(move |v| {
            cb.try_run(v);
        });
    }
    if let Some(cb) = on_error {
        options = options.on_error(move |v| {
            cb.try_run(v);
        });
    }
    if let Some(cb) = on_cancelled {
        options = options.on_cancelled(move |v| {
            cb.try_run(v);
        });
    }
    if let Some(cb) = on_event {
        options = options.on_event(move |v| {
            cb.try_run(v);
        });
    }
    let connect = use_connect(options);
    let state = connect.state;

    let on_click = move |_| {
        // Not before hydration, and not while disabled (an `aria-disabled` button still
        // receives clicks).
        if connect.ready.get_untracked() && !disabled.get_untracked().unwrap_or(false) {
            connect.open_on(root.get_untracked().map(Into::into));
        }
    };
    let on_cancel = move |_| connect.cancel();
    let on_reopen = move |_| {
        connect.reopen();
    };
    let button_text = move || texts.with(|t| t.button(&state.get()));
    let status_text = move || texts.with(|t| t.status(&state.get()));
    let state_name = move || state.with(ButtonState::name);
    view! {
        <div class="weavz-connect" part="root" node_ref=root data-state=state_name>
            <button type="button" part="button" class="weavz-connect__button" on:click=on_click
                aria-busy=move || state.with(ButtonState::busy).to_string()
                disabled=is_disabled
                aria-disabled=move || (!connect.ready.get()).then_some("true")>
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

    #[test]
    fn the_hook_is_idle_on_the_server_and_open_does_nothing() {
        let owner = Owner::new();
        owner.set();
        let connect = super::use_connect(
            super::UseConnectOptions::new("slack", "/api/connect-token")
                .session_endpoint("/api/connect-session")
                .mode(crate::options::Mode::Redirect),
        );
        connect.open();
        connect.cancel();
        assert!(!connect.reopen());
        assert_eq!(connect.state.get_untracked(), crate::button::ButtonState::Idle);
        assert!(!connect.ready.get_untracked());
        assert!(!connect.is_running());
        assert_eq!(connect.error.get_untracked(), None);
    }

    /// A settings page as a server-rendered app has it: rendered under the server's shared
    /// context, as `leptos_axum` renders it.
    #[cfg(feature = "panel")]
    fn settings_page(locale: Option<&'static str>) -> String {
        use std::sync::Arc;

        use crate::ui::ConnectionsPanel;

        let owner = Owner::new_root(Some(Arc::new(hydration_context::SsrSharedContext::new())));
        owner.set();
        owner.with(|| {
            view! {
                <main>
                    <ConnectButton integration="slack" display_name="Slack" token_endpoint="/api/connect-token"/>
                    <ConnectionsPanel token_endpoint="/api/connect-token"
                        integrations_endpoint="/api/integrations"
                        connections_endpoint="/api/connections"
                        locale=locale.map(str::to_owned) />
                    <ConnectionsPanel token_endpoint="/api/connect-token"
                        integrations_endpoint="/api/integrations"
                        connections_endpoint="/api/connections" />
                </main>
            }
            .to_html()
        })
    }

    #[cfg(feature = "panel")]
    #[test]
    fn a_page_with_the_button_and_two_panels_renders_on_the_server() {
        let html = settings_page(None);
        assert!(html.contains(">Connect Slack<"), "{html}");
        assert_eq!(html.matches(r#"class="weavz-panel""#).count(), 2, "{html}");
        // Nothing loaded on the server: the lists say they are loading.
        assert!(html.contains("Loading connections\u{2026}"), "{html}");
        assert!(
            html.contains(">Create connection<"),
            "no browser language: English: {html}"
        );
        // Each panel's ids are its own, and the same in every rendering of the page (the
        // hydrating browser counts as the server did).
        let ids: Vec<&str> = html
            .match_indices(r#"aria-controls=""#)
            .map(|(at, m)| {
                let rest = &html[at + m.len()..];
                &rest[..rest.find('"').unwrap()]
            })
            .collect();
        assert_eq!(ids.len(), 2, "{html}");
        assert_ne!(ids[0], ids[1]);
        assert_eq!(settings_page(None), html, "deterministic markup");
    }

    #[cfg(feature = "panel")]
    #[test]
    fn the_panel_speaks_its_locale_on_the_server() {
        let html = settings_page(Some("de"));
        assert!(html.contains(">Verbindung erstellen<"), "{html}");
        assert!(html.contains(r#"lang="de""#), "{html}");
    }
}
