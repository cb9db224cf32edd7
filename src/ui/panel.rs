//! [`ConnectionsPanel`]: the end user's connections with an integration picker, the
//! whole "Create connection → pick → authorize → listed" flow in one component, and the
//! `<weavz-connections>` element built on it.
//!
//! Accessibility: native buttons and inputs only; the picker takes the focus when it opens
//! (its search field) and gives it back to its launcher when it closes (Escape, Close, or a
//! choice); arrow keys move between integrations; one `role="status"` region announces
//! waiting, connected, disconnected and errors.
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

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use leptos::html::{Button, Div, Input};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use super::data::{self, Connection, Integration};
use crate::browser::driver::{self, FlowHandle, Report, ShownBy};
use crate::browser::events;
use crate::browser::listener::Listener;
use crate::browser::options::for_widget;
use crate::browser::resume::{self, Shown};
use crate::flow::{ErrorCode, Outcome, Progress};
use crate::i18n::{Key, Lang, Value, error_text, fill, text, value_text};
use crate::options::Given;

/// Something loaded from the host backend.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Load<T, E> {
    Loading,
    Ready(T),
    Failed(E),
}

/// Which view the connections list shows (changes of the rows alone keep the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListKind {
    Loading,
    Failed,
    Empty,
    Rows,
}

/// What the status region says.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Status {
    None,
    Waiting(String),
    /// A redirect-mode flow picked up again, being checked with the session.
    Confirming(String),
    /// A redirect-mode flow whose session is still open: continue or cancel.
    Interrupted(String),
    Connected(String),
    Error(String),
    Info(String),
}

/// The connections panel. See the module documentation.
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
    /// `popup` (default), `redirect` or `auto`.
    #[prop(optional, into)]
    mode: MaybeProp<String>,
    /// The end user's external id (sent as `endUserId`; also filters the list).
    #[prop(optional, into)]
    end_user: MaybeProp<String>,
    /// Extra fields for the token request, as a JSON object text.
    #[prop(optional, into)]
    token_params: MaybeProp<String>,
    /// Where DOM events are dispatched (default: the panel's root element).
    #[prop(optional)]
    event_target: Option<web_sys::EventTarget>,
) -> impl IntoView {
    let browser_langs: Vec<String> = web_sys::window()
        .map(|w| {
            w.navigator()
                .languages()
                .iter()
                .filter_map(|l| l.as_string())
                .collect()
        })
        .unwrap_or_default();
    let lang = Lang::pick(locale.get_untracked().as_deref(), &browser_langs);
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

    let catalog = RwSignal::new(Load::<Vec<Integration>, data::Failure>::Loading);
    let connections = RwSignal::new(Load::<Vec<Connection>, data::Failure>::Loading);
    let picker_open = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    let category = RwSignal::new(None::<String>);
    let status = RwSignal::new(Status::None);
    let confirming = RwSignal::new(None::<String>);
    let busy_flow: StoredValue<Option<Shown>, LocalStorage> = StoredValue::new_local(None);
    let busy_handle = move || busy_flow.with_value(|s| s.as_ref().map(|s| s.handle().clone()));
    let load_seq = RwSignal::new(0u32);
    let alive = Arc::new(AtomicBool::new(true));

    // Ids unique on the page (the component may render outside a shadow root, twice).
    let uid = NEXT_PANEL.with(|n| {
        let v = n.get();
        n.set(v + 1);
        v
    });
    let picker_id = format!("weavz-picker-{uid}");
    let picker_title_id = format!("weavz-picker-title-{uid}");
    let search_id = format!("weavz-search-{uid}");
    let hint_id = format!("weavz-search-hint-{uid}");
    let root = NodeRef::<Div>::new();
    let launcher = NodeRef::<Button>::new();
    let search = NodeRef::<Input>::new();
    let list_ref = NodeRef::<leptos::html::Ul>::new();

    // ---- loading -----------------------------------------------------------------
    let load_catalog = {
        let url = integrations_endpoint.clone();
        let allowed = allowed.clone();
        move || {
            let (url, allowed) = (url.clone(), allowed.clone());
            catalog.set(Load::Loading);
            leptos::task::spawn_local(async move {
                let next = match data::request("GET", &url).await {
                    Ok(body) => match data::integrations_from(&body) {
                        Some(mut list) => {
                            if let Some(names) = &allowed {
                                list.retain(|i| names.contains(&i.name));
                            }
                            Load::Ready(list)
                        }
                        None => Load::Failed(data::Failure::Unexpected),
                    },
                    Err(e) => Load::Failed(e),
                };
                catalog.try_set(next);
            });
        }
    };
    let load_connections = {
        let url = connections_url.clone();
        move || {
            // A refresh keeps showing the current list until the new one arrives; only the
            // answer to the latest request counts (answers may come back out of order).
            let url = url.clone();
            let seq = load_seq.get_untracked().wrapping_add(1);
            load_seq.set(seq);
            leptos::task::spawn_local(async move {
                let next = match data::request("GET", &url).await {
                    Ok(body) => match data::connections_from(&body) {
                        Some(list) => Load::Ready(list),
                        None => Load::Failed(data::Failure::Unexpected),
                    },
                    Err(e) => Load::Failed(e),
                };
                if load_seq.try_get_untracked() == Some(seq) {
                    connections.try_set(next);
                }
            });
        }
    };
    load_catalog();
    load_connections();
    let load_catalog = StoredValue::new_local(load_catalog);
    let load_connections = StoredValue::new_local(load_connections);

    // Any connection made on this page (this panel's or a <weavz-connect>'s) refreshes the
    // list: the event bubbles to the document.
    let refresh_listener = web_sys::window().and_then(|w| w.document()).and_then(|doc| {
        Listener::new(&doc, events::CONNECTION_CREATED, move |_| {
            if let Some(reload) = load_connections.try_get_value() {
                reload();
            }
        })
    });
    let refresh_listener = StoredValue::new_local(refresh_listener);
    {
        let alive = alive.clone();
        on_cleanup(move || {
            alive.store(false, Ordering::Relaxed);
            refresh_listener.set_value(None);
            // A flow the panel started is aborted, a resumed one released.
            busy_flow.update_value(|shown| drop(shown.take()));
        });
    }

    // The integration's name for people: from the catalog once loaded (`name_of` follows
    // it reactively, `name_of_now` reads it once).
    let name_of_now = move |integration: &str| catalog.with_untracked(|c| display_name(c, integration));
    let name_of = move |integration: &str| catalog.with(|c| display_name(c, integration));

    // ---- the picker ----------------------------------------------------------------
    let open_picker = move |_| {
        picker_open.set(true);
        query.set(String::new());
        category.set(None);
        focus_soon(Rc::new(move || search.get_untracked().map(Into::into)));
    };
    let close_picker = move || {
        picker_open.set(false);
        focus_soon(Rc::new(move || launcher.get_untracked().map(Into::into)));
    };

    let filtered = move || -> Vec<Integration> {
        let Load::Ready(list) = catalog.get() else {
            return Vec::new();
        };
        let q = query.get().trim().to_lowercase();
        let cat = category.get();
        list.into_iter()
            .filter(|i| {
                q.is_empty()
                    || i.display_name.to_lowercase().contains(&q)
                    || i.name.to_lowercase().contains(&q)
            })
            .filter(|i| cat.as_ref().is_none_or(|c| i.categories.contains(c)))
            .collect()
    };
    let categories = move || -> Vec<String> {
        let Load::Ready(list) = catalog.get() else {
            return Vec::new();
        };
        let mut all: Vec<String> = list.iter().flat_map(|i| i.categories.clone()).collect();
        all.sort();
        all.dedup();
        all
    };

    // Arrow keys move between the integrations; Escape closes.
    let on_picker_key = move |ev: web_sys::KeyboardEvent| {
        let key = ev.key();
        if key == "Escape" {
            ev.prevent_default();
            close_picker();
            return;
        }
        if !matches!(key.as_str(), "ArrowDown" | "ArrowUp" | "Home" | "End") {
            return;
        }
        // In the search field Home, End and ArrowUp move the caret, as they should.
        let in_input = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .is_some();
        if in_input && key != "ArrowDown" {
            return;
        }
        let Some(list) = list_ref.get_untracked() else {
            return;
        };
        let Ok(nodes) = list.query_selector_all("button") else {
            return;
        };
        let buttons: Vec<web_sys::HtmlElement> = (0..nodes.length())
            .filter_map(|i| nodes.item(i)?.dyn_into().ok())
            .collect();
        if buttons.is_empty() {
            return;
        }
        ev.prevent_default();
        let active = root
            .get_untracked()
            .and_then(|r| r.get_root_node().dyn_into::<web_sys::ShadowRoot>().ok())
            .and_then(|s| s.active_element())
            .or_else(|| web_sys::window()?.document()?.active_element());
        let current = active.and_then(|a| buttons.iter().position(|b| JsValue::from(b) == JsValue::from(&a)));
        let next = match (key.as_str(), current) {
            ("Home", _) => 0,
            ("End", _) => buttons.len() - 1,
            ("ArrowDown", None) => 0,
            ("ArrowDown", Some(i)) => (i + 1).min(buttons.len() - 1),
            ("ArrowUp", None | Some(0)) => {
                if let Some(input) = search.get_untracked() {
                    let _ = input.focus();
                }
                return;
            }
            ("ArrowUp", Some(i)) => i - 1,
            _ => return,
        };
        let _ = buttons[next].focus();
    };

    // A redirect-mode flow for one of these integrations, pending in this tab (the page
    // came back from the connect page, or was reloaded): shown here until it ends.
    if let Some(window) = web_sys::window()
        && let Some(shown_on) = event_target.clone().or_else(|| window.document().map(Into::into))
        && let Some(r) = resume::resume(&window).into_iter().find(|r| {
            let offered = match (&allowed, &r.integration) {
                (Some(names), Some(i)) => names.contains(i),
                (Some(_), None) => false,
                (None, _) => true,
            };
            offered && r.shown_by == Some(ShownBy::Panel) && r.claim(&shown_on)
        })
        && r.handle().is_some()
    {
        let key = r.integration.clone().unwrap_or_default();
        let alive = alive.clone();
        let subscription = r.subscribe(Rc::new(move |_: &str, report: Report<'_>| {
            if !alive.load(Ordering::Relaxed) {
                return;
            }
            let next = match report {
                Report::Progress(Progress::Resumed | Progress::Confirming) => Status::Confirming(key.clone()),
                Report::Progress(Progress::Interrupted) => Status::Interrupted(key.clone()),
                Report::Progress(Progress::Redirecting) => Status::Waiting(key.clone()),
                Report::Progress(Progress::HandledElsewhere) => Status::None,
                Report::Finished(outcome) => {
                    keep_focus(root, launcher);
                    status_for(lang, &key, &name_of_now(&key), outcome)
                }
                _ => return,
            };
            status.try_set(next);
        }));
        busy_flow.set_value(Shown::resumed(r, subscription));
    }

    // ---- connecting ----------------------------------------------------------------
    let dispatch_target = move || -> Option<web_sys::EventTarget> {
        event_target
            .clone()
            .or_else(|| root.get_untracked().map(Into::into))
    };
    let connect = {
        let token_endpoint = token_endpoint.clone();
        let end_user_id = end_user_id.clone();
        let connections_url = connections_url.clone();
        let alive = alive.clone();
        move |integration: Integration| {
            let Some(window) = web_sys::window() else { return };
            if let Some(h) = busy_handle().filter(FlowHandle::is_running) {
                h.focus();
                return;
            }
            let name = integration.display_name.clone();
            // The same checks, and the same errors, as every other surface.
            let given = Given {
                session_endpoint: session_endpoint.get_untracked(),
                mode: mode.get_untracked(),
                end_user_id: end_user_id.clone(),
                ..Given::widget(&integration.name, &token_endpoint)
            };
            let params = token_params.get_untracked();
            let options = given
                .check()
                .and_then(|checked| for_widget(checked, params.as_deref(), ShownBy::Panel));
            let options = match options {
                Ok(options) => options,
                Err(e) => {
                    // Never mint a token without the host's fields. The page is told in its
                    // language; the developer, in the console, exactly what is wrong.
                    web_sys::console::error_1(&format!("weavz-connections: {}", e.message).into());
                    status.set(Status::Error(error_text(lang, &name, &e)));
                    return;
                }
            };
            // The window opens now, inside the click; the picker closes after.
            status.set(Status::Waiting(integration.name.clone()));
            let key = integration.name.clone();
            let target = dispatch_target();
            let alive = alive.clone();
            let (flow_user, connections_url) = (end_user_id.clone(), connections_url.clone());
            let observer: driver::Observer = Rc::new(move |flow_id: &str, report: Report<'_>| {
                let Some(target) = &target else { return };
                match report {
                    Report::Progress(p) => {
                        // Redirect mode, this page restored from the back/forward cache or
                        // still here after it should have left: the flow says where it stands.
                        let next = match p {
                            Progress::Resumed => Some(Status::Confirming(key.clone())),
                            Progress::Interrupted => Some(Status::Interrupted(key.clone())),
                            Progress::HandledElsewhere => Some(Status::None),
                            _ => None,
                        };
                        if let Some(next) = next
                            && alive.load(Ordering::Relaxed)
                        {
                            status.try_set(next);
                        }
                    }
                    Report::Debug(_) => {}
                    Report::Finished(outcome) => {
                        if alive.load(Ordering::Relaxed) {
                            keep_focus(root, launcher);
                            status.try_set(status_for(lang, &key, &name, outcome));
                        }
                    }
                }
                // An end user's flow that only the connect page's message vouches for (a
                // portal link has no session to ask) counts as confirmed once this panel's
                // connections endpoint lists the connection for that end user.
                if let Report::Finished(Outcome::Connected(c)) = &report
                    && !c.confirmed
                    && c.end_user_id.is_some()
                    && c.end_user_id == flow_user
                {
                    let (target, url, mut c) = (target.clone(), connections_url.clone(), c.clone());
                    leptos::task::spawn_local(async move {
                        c.confirmed = data::request("GET", &url)
                            .await
                            .ok()
                            .and_then(|body| data::connections_from(&body))
                            .is_some_and(|list| list.iter().any(|l| l.id == c.connection_id));
                        let detail = events::connection_detail(&c);
                        events::dispatch(&target, events::CONNECTION_CREATED, &detail);
                    });
                    return;
                }
                events::dispatch_report(target, flow_id, &report);
            });
            let handle = driver::start(&window, options, observer);
            busy_flow.set_value(Some(Shown::started(handle)));
            close_picker();
        }
    };
    let cancel_flow = move |_| {
        if let Some(h) = busy_handle() {
            h.cancel();
        }
        // The Cancel button goes away with the flow: the focus goes back to the launcher.
        focus_soon(Rc::new(move || launcher.get_untracked().map(Into::into)));
    };
    let continue_flow = move |_| {
        if let (Some(h), Some(window)) = (busy_handle(), web_sys::window()) {
            h.reopen(&window);
        }
    };

    // ---- disconnecting -------------------------------------------------------------
    let disconnect = {
        let endpoint = connections_endpoint.clone();
        let end_user_id = end_user_id.clone();
        move |c: Connection| {
            // An end user's panel says whose connection it deletes: the host backend checks
            // that it is theirs.
            let url = match &end_user_id {
                Some(u) => data::with_query(&data::item_url(&endpoint, &c.id), "endUserId", u),
                None => data::item_url(&endpoint, &c.id),
            };
            let name = name_of(&c.integration_name);
            let reload = load_connections.get_value();
            confirming.set(None);
            leptos::task::spawn_local(async move {
                match data::request("DELETE", &url).await {
                    Ok(_) => {
                        status.try_set(Status::Info(fill(text(lang, Key::Disconnected), &name, "")));
                    }
                    Err(e) => {
                        status.try_set(Status::Error(fill(
                            text(lang, Key::DisconnectFailed),
                            &name,
                            &e.describe(lang),
                        )));
                    }
                }
                reload();
            });
            focus_soon(Rc::new(move || launcher.get_untracked().map(Into::into)));
        }
    };

    // ---- view ----------------------------------------------------------------------
    let theme_attr = move || theme.get().filter(|t| t == "light" || t == "dark");
    let status_text = move || match status.get() {
        Status::None => String::new(),
        // These carry the integration's key: its name follows the catalog once loaded.
        Status::Waiting(k) => fill(t(Key::Waiting), &name_of(&k), ""),
        Status::Confirming(k) => fill(t(Key::Confirming), &name_of(&k), ""),
        Status::Interrupted(k) => fill(t(Key::Interrupted), &name_of(&k), ""),
        Status::Connected(k) => fill(t(Key::Connected), &name_of(&k), ""),
        Status::Error(s) | Status::Info(s) => s,
    };
    let status_kind = move || match status.get() {
        Status::None => "idle",
        Status::Waiting(_) | Status::Confirming(_) => "waiting",
        Status::Interrupted(_) => "interrupted",
        Status::Connected(_) => "connected",
        Status::Error(_) => "error",
        Status::Info(_) => "info",
    };
    let date_format = move |iso: &str| -> String {
        let ms = js_sys::Date::parse(iso);
        if !ms.is_finite() {
            return iso.to_owned();
        }
        let date = js_sys::Date::new(&JsValue::from_f64(ms));
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
        let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
        String::from(date.to_locale_string(lang.tag(), &options))
    };
    let connect = StoredValue::new_local(connect);
    let disconnect = StoredValue::new_local(disconnect);
    let list_kind = Memo::new(move |_| match connections.get() {
        Load::Loading => ListKind::Loading,
        Load::Failed(_) => ListKind::Failed,
        Load::Ready(list) if list.is_empty() => ListKind::Empty,
        Load::Ready(_) => ListKind::Rows,
    });
    let rows = move || match connections.get() {
        Load::Ready(list) => list,
        _ => Vec::new(),
    };

    view! {
        <div class="weavz-panel" part="panel" node_ref=root lang=lang.tag() data-theme=theme_attr
            data-status=status_kind>
            <div class="weavz-panel__head">
                <h2 class="weavz-panel__title" part="title">{t(Key::Title)}</h2>
                <button type="button" class="weavz-panel__primary" part="create" node_ref=launcher
                    aria-expanded=move || picker_open.get().to_string() aria-controls=picker_id.clone()
                    on:click=open_picker>
                    {t(Key::Create)}
                </button>
            </div>
            <p class="weavz-panel__status" part="status" role="status" aria-live="polite">{status_text}</p>
            <Show when=move || matches!(status.get(), Status::Waiting(_) | Status::Confirming(_) | Status::Interrupted(_))>
                <div class="weavz-panel__actions">
                    <Show when=move || matches!(status.get(), Status::Interrupted(_))>
                        <button type="button" class="weavz-panel__primary" part="continue" on:click=continue_flow>
                            {t(Key::Continue)}
                        </button>
                    </Show>
                    <button type="button" class="weavz-panel__secondary" part="cancel" on:click=cancel_flow>
                        {t(Key::Cancel)}
                    </button>
                </div>
            </Show>
            <Show when=move || picker_open.get()>
                <div class="weavz-panel__picker" part="picker" id=picker_id.clone() role="group"
                    aria-labelledby=picker_title_id.clone() on:keydown=on_picker_key>
                    <div class="weavz-panel__picker-head">
                        <h3 id=picker_title_id.clone() class="weavz-panel__subtitle">{t(Key::PickerTitle)}</h3>
                        <button type="button" class="weavz-panel__secondary" part="close"
                            on:click=move |_| close_picker()>{t(Key::Close)}</button>
                    </div>
                    <label class="weavz-panel__label" for=search_id.clone()>{t(Key::Search)}</label>
                    <input id=search_id.clone() class="weavz-panel__search" part="search" type="search"
                        autocomplete="off" node_ref=search aria-describedby=hint_id.clone()
                        prop:value=move || query.get()
                        on:input=move |ev| query.set(event_target_value(&ev)) />
                    <p id=hint_id.clone() class="weavz-panel__hint">{t(Key::SearchHint)}</p>
                    <div class="weavz-panel__categories" part="categories" role="group"
                        aria-label=t(Key::Categories)>
                        <button type="button" class="weavz-panel__chip" part="category"
                            aria-pressed=move || category.get().is_none().to_string()
                            on:click=move |_| category.set(None)>{t(Key::AllCategories)}</button>
                        <For each=categories key=|c| c.clone() let:cat>
                            {
                                let pressed = cat.clone();
                                let chosen = cat.clone();
                                view! {
                                    <button type="button" class="weavz-panel__chip" part="category"
                                        aria-pressed=move || (category.get().as_ref() == Some(&pressed)).to_string()
                                        on:click=move |_| category.set(Some(chosen.clone()))>{value_text(lang, Value::Category, &cat)}</button>
                                }
                            }
                        </For>
                    </div>
                    {move || match catalog.get() {
                        Load::Loading => view! { <p class="weavz-panel__note">{t(Key::LoadingIntegrations)}</p> }.into_any(),
                        Load::Failed(e) => {
                            let retry = load_catalog.get_value();
                            view! {
                                <p class="weavz-panel__note weavz-panel__error" role="alert">
                                    {fill(t(Key::IntegrationsFailed), "", &e.describe(lang))}
                                </p>
                                <button type="button" class="weavz-panel__secondary" on:click=move |_| retry()>
                                    {t(Key::Retry)}
                                </button>
                            }.into_any()
                        }
                        Load::Ready(_) => ().into_any(),
                    }}
                    <Show when=move || matches!(catalog.get(), Load::Ready(_)) && filtered().is_empty()>
                        <p class="weavz-panel__note">{move || fill(t(Key::NoMatch), &query.get(), "")}</p>
                    </Show>
                    <ul class="weavz-panel__integrations" part="integrations" node_ref=list_ref>
                        <For each=filtered key=|i| i.name.clone() let:integration>
                            {
                                let chosen = integration.clone();
                                let connect = connect.get_value();
                                let label = integration.display_name.clone();
                                view! {
                                    <li>
                                        <button type="button" class="weavz-panel__integration" part="integration"
                                            data-integration=integration.name.clone()
                                            on:click=move |_| connect(chosen.clone())>
                                            {integration.logo.clone().map(|src| view! {
                                                <img class="weavz-panel__logo" src=src alt="" width="28" height="28" />
                                            })}
                                            <span class="weavz-panel__integration-name">{label}</span>
                                            <span class="weavz-panel__integration-meta">
                                                {integration.categories.iter().map(|c| value_text(lang, Value::Category, c)).collect::<Vec<_>>().join(", ")}
                                            </span>
                                        </button>
                                    </li>
                                }
                            }
                        </For>
                    </ul>
                </div>
            </Show>
            {move || match list_kind.get() {
                ListKind::Loading => view! { <p class="weavz-panel__note">{t(Key::LoadingConnections)}</p> }.into_any(),
                ListKind::Failed => {
                    let retry = load_connections.get_value();
                    let reason = match connections.get_untracked() {
                        Load::Failed(e) => e.describe(lang),
                        _ => String::new(),
                    };
                    view! {
                        <p class="weavz-panel__note weavz-panel__error" role="alert">
                            {fill(t(Key::ConnectionsFailed), "", &reason)}
                        </p>
                        <button type="button" class="weavz-panel__secondary" on:click=move |_| retry()>
                            {t(Key::Retry)}
                        </button>
                    }.into_any()
                }
                ListKind::Empty => {
                    view! { <p class="weavz-panel__note" part="empty">{t(Key::Empty)}</p> }.into_any()
                }
                ListKind::Rows => view! {
                    <table class="weavz-panel__table" part="connections">
                        <thead>
                            <tr>
                                <th scope="col">{t(Key::ColName)}</th>
                                <th scope="col">{t(Key::ColIntegration)}</th>
                                <th scope="col">{t(Key::ColType)}</th>
                                <th scope="col">{t(Key::ColStatus)}</th>
                                <th scope="col">{t(Key::ColCreated)}</th>
                                <th scope="col"><span class="weavz-panel__sr">{t(Key::ColActions)}</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            // Keyed: a refresh keeps the rows (and the focus in them) that stay.
                            <For each=rows key=|c| c.id.clone() let:c>
                                {
                                    let disconnect = disconnect.get_value();
                                    let integration_name = c.integration_name.clone();
                                    let integration = move || name_of(&integration_name);
                                    let confirm_name = c.integration_name.clone();
                                    let confirm_text = move || fill(t(Key::ConfirmDisconnect), &name_of(&confirm_name), "");
                                    let id_for_confirm = c.id.clone();
                                    let ask_id = c.id.clone();
                                    let created = date_format(&c.created_at);
                                    let disconnect_label = format!("{} {}", t(Key::Disconnect), c.display_name);
                                    let row = c.clone();
                                    view! {
                                        <tr data-connection-id=c.id.clone() part="connection">
                                            <td>{c.display_name.clone()}</td>
                                            <td>{integration}</td>
                                            <td>{value_text(lang, Value::ConnectionType, &c.kind)}</td>
                                            <td>{value_text(lang, Value::ConnectionStatus, &c.status)}</td>
                                            <td>{created}</td>
                                            <td>
                                                {move || if confirming.get().as_deref() == Some(id_for_confirm.as_str()) {
                                                    let disconnect = disconnect.clone();
                                                    let row = row.clone();
                                                    let keep_id = id_for_confirm.clone();
                                                    let label = confirm_text();
                                                    view! {
                                                        <div class="weavz-panel__confirm" role="group" aria-label=label.clone()>
                                                            <span>{label.clone()}</span>
                                                            <button type="button" class="weavz-panel__danger" part="confirm-disconnect"
                                                                on:click=move |_| disconnect(row.clone())>{t(Key::Disconnect)}</button>
                                                            <button type="button" class="weavz-panel__secondary" part="keep"
                                                                on:click=move |_| {
                                                                    confirming.set(None);
                                                                    focus_in_row(root, &keep_id, "[part=disconnect]");
                                                                }>{t(Key::Keep)}</button>
                                                        </div>
                                                    }.into_any()
                                                } else {
                                                    let ask = ask_id.clone();
                                                    view! {
                                                        <button type="button" class="weavz-panel__secondary" part="disconnect"
                                                            aria-label=disconnect_label.clone()
                                                            on:click=move |_| {
                                                                confirming.set(Some(ask.clone()));
                                                                // The least destructive choice takes the focus.
                                                                focus_in_row(root, &ask, "[part=keep]");
                                                            }>{t(Key::Disconnect)}</button>
                                                    }.into_any()
                                                }}
                                            </td>
                                        </tr>
                                    }
                                }
                            </For>
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </div>
    }
}

thread_local! {
    static NEXT_PANEL: std::cell::Cell<u32> = const { std::cell::Cell::new(1) };
}

/// `integration`'s name for people: the catalog's, else one made from the key.
fn display_name(catalog: &Load<Vec<Integration>, data::Failure>, integration: &str) -> String {
    match catalog {
        Load::Ready(list) => list
            .iter()
            .find(|i| i.name == integration)
            .map(|i| i.display_name.clone()),
        _ => None,
    }
    .unwrap_or_else(|| crate::button::display_name_of(integration))
}

/// What the status region says when a flow ends (`key` names the integration, `name` is
/// its name for people now).
fn status_for(lang: Lang, key: &str, name: &str, outcome: &Outcome) -> Status {
    match outcome {
        Outcome::Connected(_) => Status::Connected(key.to_owned()),
        Outcome::Failed(e) if e.code == ErrorCode::UserCancelled => {
            Status::Info(fill(text(lang, Key::Cancelled), name, ""))
        }
        Outcome::Failed(e) => Status::Error(error_text(lang, name, e)),
    }
}

/// When a flow ends its Cancel/Continue buttons go away: if the focus was on one of them
/// (or nowhere in the panel), it goes to the launcher instead of being lost.
fn keep_focus(root: NodeRef<Div>, launcher: NodeRef<Button>) {
    let active = root
        .get_untracked()
        .and_then(|r| r.get_root_node().dyn_into::<web_sys::ShadowRoot>().ok())
        .and_then(|s| s.active_element());
    let on_flow_button = active
        .as_ref()
        .and_then(|a| a.get_attribute("part"))
        .is_some_and(|p| p == "cancel" || p == "continue");
    if on_flow_button {
        focus_soon(Rc::new(move || launcher.get_untracked().map(Into::into)));
    }
}

/// Focuses what `find` returns once it is in the document: tried on each of the next
/// frames (the view renders asynchronously), for about a third of a second at most.
fn focus_soon(find: Rc<dyn Fn() -> Option<web_sys::HtmlElement>>) {
    fn attempt(find: Rc<dyn Fn() -> Option<web_sys::HtmlElement>>, tries: u32) {
        request_animation_frame(move || match find() {
            Some(el) if el.is_connected() => {
                let _ = el.focus();
            }
            _ if tries > 0 => attempt(find, tries - 1),
            _ => {}
        });
    }
    attempt(find, 20);
}

/// After the next render, focuses `selector` in the row of connection `id`.
fn focus_in_row(root: NodeRef<Div>, id: &str, selector: &'static str) {
    let id = id.to_owned();
    focus_soon(Rc::new(move || {
        let root = root.get_untracked()?;
        let rows = root.query_selector_all("tr[data-connection-id]").ok()?;
        (0..rows.length())
            .filter_map(|i| rows.item(i)?.dyn_into::<web_sys::Element>().ok())
            .find(|row| row.get_attribute("data-connection-id").as_deref() == Some(id.as_str()))?
            .query_selector(selector)
            .ok()??
            .dyn_into::<web_sys::HtmlElement>()
            .ok()
    }));
}
