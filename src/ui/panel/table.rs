//! The end user's connections: the table (or its loading, failed and empty notes), and
//! disconnecting one, confirmed in its row first.

use leptos::html::{Button, Div};
use leptos::prelude::*;
use wasm_bindgen::JsValue;

use super::focus::{focus_in_row, focus_launcher};
use super::load::{Catalog, Connections, Load};
use super::status::Status;
use crate::i18n::{Key, Lang, Value, fill, text, value_text};
use crate::ui::data::{self, Connection};

/// Which view the connections list shows (changes of the rows alone keep the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListKind {
    Loading,
    Failed,
    Empty,
    Rows,
}

impl ListKind {
    fn of<T, E>(list: &Load<Vec<T>, E>) -> ListKind {
        match list {
            Load::Loading => ListKind::Loading,
            Load::Failed(_) => ListKind::Failed,
            Load::Ready(list) if list.is_empty() => ListKind::Empty,
            Load::Ready(_) => ListKind::Rows,
        }
    }
}

/// The connections list. Disconnecting asks in the row first (the least destructive
/// choice, Keep, takes the focus), then deletes `DELETE <endpoint>/<id>` (for the end
/// user, if given), says how it went in the status region and reloads the list.
#[component]
pub(super) fn ConnectionsTable(
    lang: Lang,
    connections: Connections,
    catalog: Catalog,
    status: RwSignal<Status>,
    /// The connections endpoint (without the end user's filter).
    endpoint: String,
    end_user_id: Option<String>,
    root: NodeRef<Div>,
    launcher: NodeRef<Button>,
) -> impl IntoView {
    let t = move |k: Key| text(lang, k);
    // The connection whose row asks "Disconnect …?".
    let confirming = RwSignal::new(None::<String>);

    let disconnect = move |c: Connection| {
        // An end user's panel says whose connection it deletes: the host backend checks
        // that it is theirs.
        let url = match &end_user_id {
            Some(u) => data::with_query(&data::item_url(&endpoint, &c.id), "endUserId", u),
            None => data::item_url(&endpoint, &c.id),
        };
        let name = catalog.name_of(&c.integration_name);
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
            connections.load();
        });
        focus_launcher(launcher);
    };
    let disconnect = StoredValue::new_local(disconnect);

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
    let list_kind = Memo::new(move |_| connections.list.with(ListKind::of));
    let rows = move || match connections.list.get() {
        Load::Ready(list) => list,
        _ => Vec::new(),
    };

    move || {
        match list_kind.get() {
        ListKind::Loading => view! { <p class="weavz-panel__note">{t(Key::LoadingConnections)}</p> }.into_any(),
        ListKind::Failed => {
            let reason = match connections.list.get_untracked() {
                Load::Failed(e) => e.describe(lang),
                _ => String::new(),
            };
            view! {
                <p class="weavz-panel__note weavz-panel__error" role="alert">
                    {fill(t(Key::ConnectionsFailed), "", &reason)}
                </p>
                <button type="button" class="weavz-panel__secondary" on:click=move |_| connections.load()>
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
                            let integration = move || catalog.name_of(&integration_name);
                            let confirm_name = c.integration_name.clone();
                            let confirm_text = move || fill(t(Key::ConfirmDisconnect), &catalog.name_of(&confirm_name), "");
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
    }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_view_changes_with_what_loaded_not_with_the_rows() {
        assert_eq!(ListKind::of::<u8, ()>(&Load::Loading), ListKind::Loading);
        assert_eq!(ListKind::of::<u8, ()>(&Load::Failed(())), ListKind::Failed);
        assert_eq!(ListKind::of::<u8, ()>(&Load::Ready(Vec::new())), ListKind::Empty);
        assert_eq!(ListKind::of::<u8, ()>(&Load::Ready(vec![1])), ListKind::Rows);
        assert_eq!(ListKind::of::<u8, ()>(&Load::Ready(vec![1, 2])), ListKind::Rows);
    }
}
