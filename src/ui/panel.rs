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
use crate::browser::driver::{self, FlowHandle, Mode, Report, Source, StartOptions};
use crate::browser::events;
use crate::browser::listener::Listener;
use crate::flow::{ErrorCode, Outcome};
use crate::i18n::{Key, Lang, error_text, fill, text};
use crate::js::{DEFAULT_CLOSE_GRACE_MS, token_body};

/// Something loaded from the host backend.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Load<T> {
    Loading,
    Ready(T),
    Failed(String),
}

/// What the status region says.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Status {
    None,
    Waiting(String),
    Connected(String),
    Error(String),
    Info(String),
}

/// The connections panel. See the module documentation.
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

    let catalog = RwSignal::new(Load::<Vec<Integration>>::Loading);
    let connections = RwSignal::new(Load::<Vec<Connection>>::Loading);
    let picker_open = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    let category = RwSignal::new(None::<String>);
    let status = RwSignal::new(Status::None);
    let confirming = RwSignal::new(None::<String>);
    let busy_flow: StoredValue<Option<FlowHandle>, LocalStorage> = StoredValue::new_local(None);
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
                        None => Load::Failed("unexpected answer".into()),
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
            // A refresh keeps showing the current list until the new one arrives.
            let url = url.clone();
            leptos::task::spawn_local(async move {
                let next = match data::request("GET", &url).await {
                    Ok(body) => match data::connections_from(&body) {
                        Some(list) => Load::Ready(list),
                        None => Load::Failed("unexpected answer".into()),
                    },
                    Err(e) => Load::Failed(e),
                };
                connections.try_set(next);
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
            if let Some(h) = busy_flow.get_value() {
                h.abort();
            }
        });
    }

    let name_of = move |integration: &str| -> String {
        match catalog.get_untracked() {
            Load::Ready(list) => list
                .iter()
                .find(|i| i.name == integration)
                .map(|i| i.display_name.clone()),
            _ => None,
        }
        .unwrap_or_else(|| super::display_name_of(integration))
    };

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

    // ---- connecting ----------------------------------------------------------------
    let dispatch_target = move || -> Option<web_sys::EventTarget> {
        event_target
            .clone()
            .or_else(|| root.get_untracked().map(Into::into))
    };
    let connect = {
        let token_endpoint = token_endpoint.clone();
        let end_user_id = end_user_id.clone();
        let alive = alive.clone();
        move |integration: Integration| {
            let Some(window) = web_sys::window() else { return };
            if busy_flow.with_value(|h| h.as_ref().is_some_and(FlowHandle::is_running)) {
                if let Some(h) = busy_flow.get_value() {
                    h.focus();
                }
                return;
            }
            let name = integration.display_name.clone();
            let params = match token_params.get_untracked() {
                Some(text) => js_sys::JSON::parse(&text).unwrap_or(JsValue::UNDEFINED),
                None => JsValue::UNDEFINED,
            };
            let mode = mode
                .get_untracked()
                .as_deref()
                .and_then(Mode::parse)
                .unwrap_or_default();
            let body = match token_body(Some(&integration.name), end_user_id.as_deref(), &params) {
                Ok(b) => b,
                Err(e) => {
                    status.set(Status::Error(error_text(lang, &name, &e)));
                    return;
                }
            };
            // The window opens now, inside the click; the picker closes after.
            status.set(Status::Waiting(name.clone()));
            let target = dispatch_target();
            let alive = alive.clone();
            let observer: driver::Observer = Rc::new(move |flow_id: &str, report: Report<'_>| {
                let Some(target) = &target else { return };
                match report {
                    Report::Progress(p) => events::dispatch(
                        target,
                        events::CONNECT_EVENT,
                        &events::progress_detail(flow_id, p),
                    ),
                    Report::Debug(n) => {
                        events::dispatch(target, events::CONNECT_EVENT, &events::debug_detail(flow_id, n))
                    }
                    Report::Finished(outcome) => {
                        if alive.load(Ordering::Relaxed) {
                            status.try_set(match outcome {
                                Outcome::Connected(_) => Status::Connected(name.clone()),
                                Outcome::Failed(e) if e.code == ErrorCode::UserCancelled => {
                                    Status::Info(fill(text(lang, Key::Cancelled), &name, ""))
                                }
                                Outcome::Failed(e) => Status::Error(error_text(lang, &name, e)),
                            });
                        }
                        let (event, detail) = events::terminal_event(outcome);
                        events::dispatch(target, event, &detail);
                    }
                }
            });
            let handle = driver::start(
                &window,
                StartOptions {
                    source: Source::TokenEndpoint {
                        url: token_endpoint.clone(),
                        body,
                    },
                    session_endpoint: session_endpoint.get_untracked(),
                    close_grace_ms: DEFAULT_CLOSE_GRACE_MS,
                    timeout_ms: None,
                    signal: None,
                    mode,
                    integration: Some(integration.name.clone()),
                    end_user_id: end_user_id.clone(),
                },
                observer,
            );
            busy_flow.set_value(Some(handle));
            close_picker();
        }
    };
    let cancel_flow = move |_| {
        if let Some(h) = busy_flow.get_value() {
            h.cancel();
        }
    };

    // ---- disconnecting -------------------------------------------------------------
    let disconnect = {
        let endpoint = connections_endpoint.clone();
        move |c: Connection| {
            let url = data::item_url(&endpoint, &c.id);
            let name = name_of(&c.integration_name);
            let reload = load_connections.get_value();
            confirming.set(None);
            leptos::task::spawn_local(async move {
                match data::request("DELETE", &url).await {
                    Ok(_) => {
                        status.try_set(Status::Info(fill(text(lang, Key::Disconnected), &name, "")));
                    }
                    Err(e) => {
                        status.try_set(Status::Error(fill(text(lang, Key::DisconnectFailed), &name, &e)));
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
        Status::Waiting(n) => fill(t(Key::Waiting), &n, ""),
        Status::Connected(n) => fill(t(Key::Connected), &n, ""),
        Status::Error(s) | Status::Info(s) => s,
    };
    let status_kind = move || match status.get() {
        Status::None => "idle",
        Status::Waiting(_) => "waiting",
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
            <Show when=move || matches!(status.get(), Status::Waiting(_))>
                <button type="button" class="weavz-panel__secondary" part="cancel" on:click=cancel_flow>
                    {t(Key::Cancel)}
                </button>
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
                        aria-label=t(Key::ColType)>
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
                                        on:click=move |_| category.set(Some(chosen.clone()))>{humanize(&cat)}</button>
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
                                    {fill(t(Key::IntegrationsFailed), "", &e)}
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
                                                {integration.categories.iter().map(|c| humanize(c)).collect::<Vec<_>>().join(", ")}
                                            </span>
                                        </button>
                                    </li>
                                }
                            }
                        </For>
                    </ul>
                </div>
            </Show>
            {move || match connections.get() {
                Load::Loading => view! { <p class="weavz-panel__note">{t(Key::LoadingConnections)}</p> }.into_any(),
                Load::Failed(e) => {
                    let retry = load_connections.get_value();
                    view! {
                        <p class="weavz-panel__note weavz-panel__error" role="alert">
                            {fill(t(Key::ConnectionsFailed), "", &e)}
                        </p>
                        <button type="button" class="weavz-panel__secondary" on:click=move |_| retry()>
                            {t(Key::Retry)}
                        </button>
                    }.into_any()
                }
                Load::Ready(list) if list.is_empty() => {
                    view! { <p class="weavz-panel__note" part="empty">{t(Key::Empty)}</p> }.into_any()
                }
                Load::Ready(list) => {
                    let disconnect = disconnect.get_value();
                    view! {
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
                                {list.into_iter().map(|c| {
                                    let disconnect = disconnect.clone();
                                    let integration = name_of(&c.integration_name);
                                    let id = c.id.clone();
                                    let id_for_confirm = c.id.clone();
                                    let ask_id = c.id.clone();
                                    let created = date_format(&c.created_at);
                                    let confirm_text = fill(t(Key::ConfirmDisconnect), &integration, "");
                                    let disconnect_label = format!("{} {}", t(Key::Disconnect), c.display_name);
                                    let row = c.clone();
                                    view! {
                                        <tr data-connection-id=id.clone() part="connection">
                                            <td>{c.display_name.clone()}</td>
                                            <td>{integration.clone()}</td>
                                            <td>{c.kind.clone()}</td>
                                            <td>{c.status.clone()}</td>
                                            <td>{created}</td>
                                            <td>
                                                {move || if confirming.get().as_deref() == Some(id_for_confirm.as_str()) {
                                                    let disconnect = disconnect.clone();
                                                    let row = row.clone();
                                                    let keep_id = id_for_confirm.clone();
                                                    view! {
                                                        <div class="weavz-panel__confirm" role="group" aria-label=confirm_text.clone()>
                                                            <span>{confirm_text.clone()}</span>
                                                            <button type="button" class="weavz-panel__danger" part="confirm-disconnect"
                                                                autofocus=true
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
                                                                focus_in_row(root, &ask, "[part=confirm-disconnect]");
                                                            }>{t(Key::Disconnect)}</button>
                                                    }.into_any()
                                                }}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }
            }}
        </div>
    }
}

/// `CONTENT_AND_FILES` → `Content and files`.
fn humanize(category: &str) -> String {
    let words = category.replace(['_', '-'], " ").to_lowercase();
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

thread_local! {
    static NEXT_PANEL: std::cell::Cell<u32> = const { std::cell::Cell::new(1) };
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
