//! [`ConnectionsPanel`]: the end user's connections with an integration picker, the
//! whole "Create connection → pick → authorize → listed" flow in one component, and the
//! `<weavz-connections>` element built on it.
//!
//! Accessibility: native buttons and inputs only; the picker takes the focus when it opens
//! (its search field) and gives it back to its launcher when it closes (Escape, Close, or a
//! choice); arrow keys move between integrations; one `role="status"` region announces
//! waiting, connected, disconnected and errors.
//!
//! The component composes parts with one concern each: `load` (the catalog and the
//! connections from the host backend), `picker` (the integration picker and its keyboard
//! model), `flows` (connecting, resumed redirect-mode flows, Cancel/Continue), `table` (the
//! connections list and disconnecting), `status` (the live region) and `focus` (where the
//! focus goes when the view changes under it).
//!
//! ```no_run
//! use leptos::prelude::*;
//! use weavz_connect::ui::ConnectionsPanel;
//!
//! #[component]
//! fn Settings() -> impl IntoView {
//!     view! {
//!         <ConnectionsPanel
//!             token_endpoint="/api/connect-token"
//!             session_endpoint="/api/connect-session"
//!             integrations_endpoint="/api/integrations"
//!             connections_endpoint="/api/connections"
//!             locale="de"
//!         />
//!     }
//! }
//! ```

mod flows;
mod focus;
mod load;
mod picker;
mod status;
mod table;

use leptos::html::{Button, Div};
use leptos::prelude::*;

use self::flows::{FlowActions, FlowSettings, Flows};
use self::load::{Catalog, Connections};
use self::picker::{Picker, PickerState};
use self::status::{Status, StatusLine};
use self::table::ConnectionsTable;
use crate::i18n::{Key, Lang, text};
use crate::options::{Mode, TokenParams};
use crate::ui::data;

/// The connections panel. See the module documentation.
///
/// # Server-side rendering
///
/// With feature `ssr` the panel renders its frame on the server — title, Create button,
/// the status region and loading lists — and touches no browser API there. In the browser
/// (feature `hydrate`, or inside an `#[island]`) an effect, once hydrated, loads the
/// catalog and the connections, listens for connections made on the page and resumes a
/// pending redirect-mode flow. Its element ids come from Leptos' shared context, so the
/// server and the hydrating browser agree. It speaks `locale` there (default English): the
/// server cannot know the browser's language, so pass the request's `Accept-Language` or
/// the user's setting. `examples/leptos-ssr` is a whole app, tested in Chromium and Firefox.
///
/// # Examples
///
/// Mounted on its own, for one end user, in English and the dark theme:
///
/// ```no_run
/// use leptos::prelude::*;
/// use weavz_connect::ui::ConnectionsPanel;
///
/// leptos::mount::mount_to_body(|| {
///     view! {
///         <ConnectionsPanel
///             token_endpoint="/api/connect-token"
///             session_endpoint="/api/connect-session"
///             integrations_endpoint="/api/integrations"
///             connections_endpoint="/api/connections"
///             integrations="slack,github"
///             end_user="user-42"
///             locale="en"
///             theme="dark"
///         />
///     }
/// });
/// ```
#[component]
pub fn ConnectionsPanel(
    /// `POST` → `{token, connectUrl, expiresAt}` (as for [`super::ConnectButton`]).
    #[prop(into)]
    token_endpoint: String,
    /// `GET` → `{integrations: [...]}` (Weavz's `GET /api/v1/integrations?summary=true`).
    #[prop(into)]
    integrations_endpoint: String,
    /// `GET` → `{connections: [...]}`; `DELETE <endpoint>/<id>` disconnects one.
    #[prop(into)]
    connections_endpoint: String,
    /// The session poll endpoint, to confirm results.
    #[prop(optional, into)]
    session_endpoint: MaybeProp<String>,
    /// Comma-separated integration names: only these are offered.
    #[prop(optional, into)]
    integrations: MaybeProp<String>,
    /// `en`, `de`, `es` (default: the browser's language, else English).
    #[prop(optional, into)]
    locale: MaybeProp<String>,
    /// `light` or `dark` (default: the system's `prefers-color-scheme`).
    #[prop(optional, into)]
    theme: MaybeProp<String>,
    /// [`Mode::Popup`] (default), [`Mode::Redirect`] or [`Mode::Auto`]. Read when the
    /// panel is created.
    #[prop(default = None, into)]
    mode: Option<Mode>,
    /// The end user's external id (sent as `endUserId`; also filters the list).
    #[prop(optional, into)]
    end_user: MaybeProp<String>,
    /// Extra fields for the token request: a JSON object (see [`TokenParams`]). Read when
    /// the panel is created.
    #[prop(default = None, into)]
    token_params: Option<TokenParams>,
    /// Where DOM events are dispatched (default: the panel's root element).
    #[prop(optional)]
    event_target: Option<web_sys::EventTarget>,
) -> impl IntoView {
    let lang = Lang::pick(locale.get_untracked().as_deref(), &client_languages());
    let t = move |k: Key| text(lang, k);
    let allowed: Option<Vec<String>> = integrations.get_untracked().map(|s| {
        s.split(',')
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .collect()
    });
    let end_user_id = end_user.get_untracked();
    let connections_url = match &end_user_id {
        Some(u) => data::with_query(&connections_endpoint, "endUserId", u),
        None => connections_endpoint.clone(),
    };

    let catalog = Catalog::new(integrations_endpoint, allowed.clone());
    let connections = Connections::new(connections_url);
    let status = RwSignal::new(Status::None);
    let root = NodeRef::<Div>::new();
    let launcher = NodeRef::<Button>::new();
    // Ids unique on the page (the component may render outside a shadow root, twice).
    let uid = panel_id();
    let picker = PickerState::new(launcher, uid);

    let settings = FlowSettings {
        token_endpoint,
        session_endpoint,
        mode,
        end_user_id: end_user_id.clone(),
        token_params,
        event_target,
    };
    let flows = Flows::new(settings, lang, status, catalog, connections, root, launcher);
    // Loads, listeners and resumed flows only in the browser: effects never run on the
    // server, and in a hydrating app this one runs after hydration.
    Effect::new(move |_| {
        untrack(|| {
            catalog.load();
            connections.load();
            connections.reload_on_created();
            flows.resume(allowed.as_deref());
        })
    });
    let on_pick = move |integration: data::Integration| flows.connect(integration);

    let theme_attr = move || theme.get().filter(|t| t == "light" || t == "dark");
    let status_kind = move || status.with(Status::kind);

    view! {
        <div class="weavz-panel" part="panel" node_ref=root lang=lang.tag() data-theme=theme_attr
            data-status=status_kind>
            <div class="weavz-panel__head">
                <h2 class="weavz-panel__title" part="title">{t(Key::Title)}</h2>
                <button type="button" class="weavz-panel__primary" part="create" node_ref=launcher
                    aria-expanded=move || picker.is_open().to_string() aria-controls=picker.id()
                    on:click=move |_| picker.open()>
                    {t(Key::Create)}
                </button>
            </div>
            <StatusLine lang=lang status=status catalog=catalog />
            <FlowActions lang=lang status=status flows=flows />
            <Picker lang=lang state=picker catalog=catalog root=root on_pick=on_pick />
            <ConnectionsTable lang=lang connections=connections catalog=catalog status=status
                endpoint=connections_endpoint end_user_id=end_user_id root=root launcher=launcher />
        </div>
    }
}

/// The languages the panel may use when no `locale` is given: the browser's, in a
/// client-rendered app. A server-rendered app has a shared context (on the server and
/// in the hydrating browser alike): there the server's answer must be the browser's, so
/// no browser language is read and the panel speaks `locale` or English.
fn client_languages() -> Vec<String> {
    if Owner::current_shared_context().is_some() {
        return Vec::new();
    }
    web_sys::window()
        .map(|w| {
            w.navigator()
                .languages()
                .iter()
                .filter_map(|l| l.as_string())
                .collect()
        })
        .unwrap_or_default()
}

/// An id unique on the page (the component may render outside a shadow root, twice) that
/// the server and the hydrating browser agree on: the shared context's next id while a
/// server-rendered page is built or hydrated, else a count of this thread's panels.
fn panel_id() -> String {
    thread_local! {
        static NEXT_PANEL: std::cell::Cell<u32> = const { std::cell::Cell::new(1) };
    }
    match Owner::current_shared_context() {
        Some(sc) if !sc.is_browser() || sc.during_hydration() => {
            format!("h{}", sc.next_id().into_inner())
        }
        _ => NEXT_PANEL.with(|n| {
            let v = n.get();
            n.set(v + 1);
            format!("{v}")
        }),
    }
}
