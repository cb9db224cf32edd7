//! What the panel loads from the host backend: the catalog of integrations and the end
//! user's connections (refreshed when a connection is made anywhere on the page).

use leptos::prelude::*;

use crate::browser::events;
use crate::browser::listener::Listener;
use crate::ui::data::{self, Connection, Failure, Integration};

/// Something loaded from the host backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Load<T, E> {
    Loading,
    Ready(T),
    Failed(E),
}

/// The integrations offered: loaded from the integrations endpoint, kept to the allowed
/// names if the panel was given some.
#[derive(Debug, Clone, Copy)]
pub(super) struct Catalog {
    pub(super) list: RwSignal<Load<Vec<Integration>, Failure>>,
    source: StoredValue<(String, Option<Vec<String>>)>,
}

impl Catalog {
    /// Not loaded yet: call [`Catalog::load`].
    pub(super) fn new(url: String, allowed: Option<Vec<String>>) -> Catalog {
        Catalog {
            list: RwSignal::new(Load::Loading),
            source: StoredValue::new((url, allowed)),
        }
    }

    /// (Re)loads the catalog; it shows as loading until the answer arrives.
    pub(super) fn load(self) {
        let Some((url, allowed)) = self.source.try_get_value() else {
            return;
        };
        let list = self.list;
        list.set(Load::Loading);
        leptos::task::spawn_local(async move {
            let next = match data::request("GET", &url).await {
                Ok(body) => match data::integrations_from(&body) {
                    Some(mut found) => {
                        if let Some(names) = &allowed {
                            found.retain(|i| names.contains(&i.name));
                        }
                        Load::Ready(found)
                    }
                    None => Load::Failed(Failure::Unexpected),
                },
                Err(e) => Load::Failed(e),
            };
            list.try_set(next);
        });
    }

    /// `integration`'s name for people, following the catalog as it loads.
    pub(super) fn name_of(self, integration: &str) -> String {
        self.list.with(|c| display_name(c, integration))
    }

    /// `integration`'s name for people now (not tracked).
    pub(super) fn name_of_now(self, integration: &str) -> String {
        self.list.with_untracked(|c| display_name(c, integration))
    }
}

/// The end user's connections, as the connections endpoint lists them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Connections {
    pub(super) list: RwSignal<Load<Vec<Connection>, Failure>>,
    /// The number of the latest request: only its answer counts.
    seq: RwSignal<u32>,
    url: StoredValue<String>,
}

impl Connections {
    /// Not loaded yet: call [`Connections::load`]. `url` is the listing's, with the end
    /// user's filter if any.
    pub(super) fn new(url: String) -> Connections {
        Connections {
            list: RwSignal::new(Load::Loading),
            seq: RwSignal::new(0),
            url: StoredValue::new(url),
        }
    }

    /// The listing's URL.
    pub(super) fn url(self) -> String {
        self.url.get_value()
    }

    /// (Re)loads the list. A refresh keeps showing the current list until the new one
    /// arrives; only the answer to the latest request counts (answers may come back out of
    /// order).
    pub(super) fn load(self) {
        let (Some(url), Some(seq)) = (self.url.try_get_value(), self.seq.try_get_untracked()) else {
            return;
        };
        let seq = seq.wrapping_add(1);
        self.seq.set(seq);
        let (list, latest) = (self.list, self.seq);
        leptos::task::spawn_local(async move {
            let next = match data::request("GET", &url).await {
                Ok(body) => match data::connections_from(&body) {
                    Some(found) => Load::Ready(found),
                    None => Load::Failed(Failure::Unexpected),
                },
                Err(e) => Load::Failed(e),
            };
            if latest.try_get_untracked() == Some(seq) {
                list.try_set(next);
            }
        });
    }

    /// Any connection made on this page (this panel's or a `<weavz-connect>`'s) reloads
    /// the list, until the component is cleaned up: the event bubbles to the document.
    pub(super) fn reload_on_created(self) {
        let listener = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|doc| Listener::new(&doc, events::CONNECTION_CREATED, move |_| self.load()));
        let listener = StoredValue::new_local(listener);
        on_cleanup(move || listener.set_value(None));
    }
}

/// `integration`'s name for people: the catalog's, else one made from the key.
fn display_name(catalog: &Load<Vec<Integration>, Failure>, integration: &str) -> String {
    match catalog {
        Load::Ready(list) => list
            .iter()
            .find(|i| i.name == integration)
            .map(|i| i.display_name.clone()),
        _ => None,
    }
    .unwrap_or_else(|| crate::button::display_name_of(integration))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slack() -> Integration {
        Integration {
            name: "slack".into(),
            display_name: "Slack (Workspace)".into(),
            description: String::new(),
            logo: None,
            categories: Vec::new(),
        }
    }

    #[test]
    fn a_loaded_catalog_names_its_integrations() {
        let catalog = Load::Ready(vec![slack()]);
        assert_eq!(display_name(&catalog, "slack"), "Slack (Workspace)");
    }

    #[test]
    fn an_unknown_or_unloaded_integration_is_named_from_its_key() {
        let from_key = crate::button::display_name_of("google-sheets");
        assert_eq!(
            display_name(&Load::Ready(vec![slack()]), "google-sheets"),
            from_key
        );
        assert_eq!(display_name(&Load::Loading, "google-sheets"), from_key);
        assert_eq!(
            display_name(&Load::Failed(Failure::Unexpected), "google-sheets"),
            from_key
        );
    }
}
