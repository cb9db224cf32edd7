//! The integration picker: search, category chips, the list of integrations, and its
//! keyboard model. It takes the focus when it opens (its search field) and gives it back to
//! its launcher when it closes (Escape, Close, or a choice); arrow keys move between the
//! integrations.

use std::rc::Rc;

use leptos::html::{Button, Div, Input, Ul};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use super::focus::{active_in_shadow, focus_launcher, focus_soon};
use super::load::{Catalog, Load};
use crate::i18n::{Key, Lang, Value, fill, text, value_text};
use crate::ui::data::Integration;

/// Whether the picker is open, and what it is filtered by. Its launcher (in the panel's
/// head) opens it; it closes itself.
#[derive(Debug, Clone, Copy)]
pub(super) struct PickerState {
    open: RwSignal<bool>,
    query: RwSignal<String>,
    category: RwSignal<Option<String>>,
    launcher: NodeRef<Button>,
    search: NodeRef<Input>,
    /// Makes the picker's ids unique on the page.
    uid: StoredValue<String>,
}

impl PickerState {
    /// A closed picker given back to `launcher` when it closes.
    pub(super) fn new(launcher: NodeRef<Button>, uid: String) -> PickerState {
        PickerState {
            open: RwSignal::new(false),
            query: RwSignal::new(String::new()),
            category: RwSignal::new(None),
            launcher,
            search: NodeRef::new(),
            uid: StoredValue::new(uid),
        }
    }

    /// The picker's id (for the launcher's `aria-controls`).
    pub(super) fn id(self) -> String {
        self.uid.with_value(|uid| format!("weavz-picker-{uid}"))
    }

    /// Whether it is open (tracked).
    pub(super) fn is_open(self) -> bool {
        self.open.get()
    }

    /// Opens it afresh (no search, every category), focusing its search field.
    pub(super) fn open(self) {
        self.open.set(true);
        self.query.set(String::new());
        self.category.set(None);
        let search = self.search;
        focus_soon(Rc::new(move || {
            search.try_get_untracked().flatten().map(Into::into)
        }));
    }

    /// Closes it, giving the focus back to the launcher.
    pub(super) fn close(self) {
        self.open.set(false);
        focus_launcher(self.launcher);
    }
}

/// What a key pressed in the picker does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PickerKey {
    /// Escape: the picker closes.
    Close,
    /// The focus moves among the integrations.
    Move(Move),
    /// The key does its usual thing.
    Ignore,
}

/// A move among the integrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Move {
    First,
    Last,
    Next,
    Previous,
}

/// Where a [`Move`] takes the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// The integration at this index.
    Integration(usize),
    /// Back up to the search field.
    Search,
}

/// What `key` does, pressed in the search field (`in_search`) or elsewhere in the picker.
/// In the search field Home, End and ArrowUp move the caret, as they should.
pub(super) fn picker_key(key: &str, in_search: bool) -> PickerKey {
    let step = match key {
        "Escape" => return PickerKey::Close,
        "ArrowDown" => Move::Next,
        _ if in_search => return PickerKey::Ignore,
        "ArrowUp" => Move::Previous,
        "Home" => Move::First,
        "End" => Move::Last,
        _ => return PickerKey::Ignore,
    };
    PickerKey::Move(step)
}

/// Where `step` goes from the integration at `current` (none: the focus is elsewhere, such
/// as the search field) among `count` integrations (at least one). Up from the first goes
/// back to the search field; down from the last stays.
pub(super) fn target(step: Move, current: Option<usize>, count: usize) -> Target {
    let last = count.saturating_sub(1);
    match (step, current) {
        (Move::First, _) | (Move::Next, None) => Target::Integration(0),
        (Move::Last, _) => Target::Integration(last),
        (Move::Next, Some(i)) => Target::Integration((i + 1).min(last)),
        (Move::Previous, None | Some(0)) => Target::Search,
        (Move::Previous, Some(i)) => Target::Integration(i - 1),
    }
}

/// The integrations of `list` that match the search `query` (in their name for people or
/// their key, ignoring case) and are in `category`, if one is chosen.
pub(super) fn matching(list: Vec<Integration>, query: &str, category: Option<&str>) -> Vec<Integration> {
    let q = query.trim().to_lowercase();
    list.into_iter()
        .filter(|i| {
            q.is_empty() || i.display_name.to_lowercase().contains(&q) || i.name.to_lowercase().contains(&q)
        })
        .filter(|i| category.is_none_or(|c| i.categories.iter().any(|ic| ic == c)))
        .collect()
}

/// Every category of `list`, sorted, once each.
pub(super) fn categories_of(list: &[Integration]) -> Vec<String> {
    let mut all: Vec<String> = list.iter().flat_map(|i| i.categories.clone()).collect();
    all.sort();
    all.dedup();
    all
}

/// The picker (shown while open). Choosing an integration runs `on_pick`; the picker closes
/// when that returns `true` (a flow started).
#[component]
pub(super) fn Picker<F>(
    lang: Lang,
    state: PickerState,
    catalog: Catalog,
    /// The panel's root (to find the focused element in its shadow root).
    root: NodeRef<Div>,
    on_pick: F,
) -> impl IntoView
where
    F: Fn(Integration) -> bool + Copy + Send + Sync + 'static,
{
    let t = move |k: Key| text(lang, k);
    let PickerState {
        query,
        category,
        search,
        uid,
        ..
    } = state;
    let picker_id = state.id();
    let uid = uid.get_value();
    let picker_title_id = format!("weavz-picker-title-{uid}");
    let search_id = format!("weavz-search-{uid}");
    let hint_id = format!("weavz-search-hint-{uid}");
    let list_ref = NodeRef::<Ul>::new();

    let filtered = move || -> Vec<Integration> {
        let Load::Ready(list) = catalog.list.get() else {
            return Vec::new();
        };
        matching(list, &query.get(), category.get().as_deref())
    };
    let categories = move || -> Vec<String> {
        catalog.list.with(|c| match c {
            Load::Ready(list) => categories_of(list),
            _ => Vec::new(),
        })
    };

    let on_key = move |ev: web_sys::KeyboardEvent| {
        let in_search = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .is_some();
        let step = match picker_key(&ev.key(), in_search) {
            PickerKey::Close => {
                ev.prevent_default();
                state.close();
                return;
            }
            PickerKey::Move(step) => step,
            PickerKey::Ignore => return,
        };
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
        let active = active_in_shadow(root).or_else(|| web_sys::window()?.document()?.active_element());
        let current = active.and_then(|a| buttons.iter().position(|b| JsValue::from(b) == JsValue::from(&a)));
        match target(step, current, buttons.len()) {
            Target::Integration(i) => {
                let _ = buttons[i].focus();
            }
            Target::Search => {
                if let Some(input) = search.get_untracked() {
                    let _ = input.focus();
                }
            }
        }
    };

    view! {
        <Show when=move || state.is_open()>
            <div class="weavz-panel__picker" part="picker" id=picker_id.clone() role="group"
                aria-labelledby=picker_title_id.clone() on:keydown=on_key>
                <div class="weavz-panel__picker-head">
                    <h3 id=picker_title_id.clone() class="weavz-panel__subtitle">{t(Key::PickerTitle)}</h3>
                    <button type="button" class="weavz-panel__secondary" part="close"
                        on:click=move |_| state.close()>{t(Key::Close)}</button>
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
                {move || match catalog.list.get() {
                    Load::Loading => view! { <p class="weavz-panel__note">{t(Key::LoadingIntegrations)}</p> }.into_any(),
                    Load::Failed(e) => view! {
                        <p class="weavz-panel__note weavz-panel__error" role="alert">
                            {fill(t(Key::IntegrationsFailed), "", &e.describe(lang))}
                        </p>
                        <button type="button" class="weavz-panel__secondary" on:click=move |_| catalog.load()>
                            {t(Key::Retry)}
                        </button>
                    }.into_any(),
                    Load::Ready(_) => ().into_any(),
                }}
                <Show when=move || matches!(catalog.list.get(), Load::Ready(_)) && filtered().is_empty()>
                    <p class="weavz-panel__note">{move || fill(t(Key::NoMatch), &query.get(), "")}</p>
                </Show>
                <ul class="weavz-panel__integrations" part="integrations" node_ref=list_ref>
                    <For each=filtered key=|i| i.name.clone() let:integration>
                        {
                            let chosen = integration.clone();
                            let label = integration.display_name.clone();
                            view! {
                                <li>
                                    <button type="button" class="weavz-panel__integration" part="integration"
                                        data-integration=integration.name.clone()
                                        on:click=move |_| {
                                            if on_pick(chosen.clone()) {
                                                state.close();
                                            }
                                        }>
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn integration(name: &str, display_name: &str, categories: &[&str]) -> Integration {
        Integration {
            name: name.into(),
            display_name: display_name.into(),
            description: String::new(),
            logo: None,
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn escape_closes_from_anywhere() {
        assert_eq!(picker_key("Escape", true), PickerKey::Close);
        assert_eq!(picker_key("Escape", false), PickerKey::Close);
    }

    #[test]
    fn in_the_search_field_only_arrow_down_moves() {
        assert_eq!(picker_key("ArrowDown", true), PickerKey::Move(Move::Next));
        for key in ["ArrowUp", "Home", "End", "a", "Enter", "Tab"] {
            assert_eq!(picker_key(key, true), PickerKey::Ignore, "{key}");
        }
    }

    #[test]
    fn on_the_integrations_arrows_home_and_end_move() {
        assert_eq!(picker_key("ArrowDown", false), PickerKey::Move(Move::Next));
        assert_eq!(picker_key("ArrowUp", false), PickerKey::Move(Move::Previous));
        assert_eq!(picker_key("Home", false), PickerKey::Move(Move::First));
        assert_eq!(picker_key("End", false), PickerKey::Move(Move::Last));
        for key in ["ArrowLeft", "ArrowRight", "Enter", " ", "Tab", "PageDown"] {
            assert_eq!(picker_key(key, false), PickerKey::Ignore, "{key}");
        }
    }

    #[test]
    fn moves_stay_among_the_integrations_and_up_from_the_first_goes_to_the_search() {
        assert_eq!(target(Move::Next, None, 3), Target::Integration(0));
        assert_eq!(target(Move::Next, Some(0), 3), Target::Integration(1));
        assert_eq!(target(Move::Next, Some(2), 3), Target::Integration(2));
        assert_eq!(target(Move::Previous, Some(2), 3), Target::Integration(1));
        assert_eq!(target(Move::Previous, Some(0), 3), Target::Search);
        assert_eq!(target(Move::Previous, None, 3), Target::Search);
        assert_eq!(target(Move::First, Some(2), 3), Target::Integration(0));
        assert_eq!(target(Move::Last, None, 3), Target::Integration(2));
        assert_eq!(target(Move::Last, Some(0), 1), Target::Integration(0));
        assert_eq!(target(Move::Next, Some(0), 1), Target::Integration(0));
    }

    #[test]
    fn the_search_matches_name_or_key_ignoring_case_and_the_category_narrows() {
        let list = vec![
            integration("slack", "Slack", &["communication"]),
            integration("github", "GitHub", &["developer"]),
            integration("gmail", "Gmail", &["communication", "email"]),
        ];
        let names = |found: Vec<Integration>| found.into_iter().map(|i| i.name).collect::<Vec<_>>();
        assert_eq!(
            names(matching(list.clone(), "", None)),
            ["slack", "github", "gmail"]
        );
        assert_eq!(names(matching(list.clone(), "  GIT ", None)), ["github"]);
        assert_eq!(names(matching(list.clone(), "g", None)), ["github", "gmail"]);
        assert_eq!(
            names(matching(list.clone(), "", Some("communication"))),
            ["slack", "gmail"]
        );
        assert_eq!(
            names(matching(list.clone(), "g", Some("communication"))),
            ["gmail"]
        );
        assert!(matching(list.clone(), "zzz", None).is_empty());
        assert_eq!(categories_of(&list), ["communication", "developer", "email"]);
    }
}
