//! Where the focus goes when the panel's view changes under it: the view renders
//! asynchronously, so an element to focus is looked for on the next frames.

use std::rc::Rc;

use leptos::html::{Button, Div};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The element focused in the panel's shadow root (none outside a shadow root).
pub(super) fn active_in_shadow(root: NodeRef<Div>) -> Option<web_sys::Element> {
    root.try_get_untracked()
        .flatten()
        .and_then(|r| r.get_root_node().dyn_into::<web_sys::ShadowRoot>().ok())
        .and_then(|s| s.active_element())
}

/// When a flow ends its Cancel/Continue buttons go away: if the focus was on one of them
/// (or nowhere in the panel), it goes to the launcher instead of being lost.
pub(super) fn keep_focus(root: NodeRef<Div>, launcher: NodeRef<Button>) {
    let on_flow_button = active_in_shadow(root)
        .as_ref()
        .and_then(|a| a.get_attribute("part"))
        .is_some_and(|p| p == "cancel" || p == "continue");
    if on_flow_button {
        focus_launcher(launcher);
    }
}

/// After the next render, focuses the launcher ("Create connection").
pub(super) fn focus_launcher(launcher: NodeRef<Button>) {
    focus_soon(Rc::new(move || {
        launcher.try_get_untracked().flatten().map(Into::into)
    }));
}

/// Focuses what `find` returns once it is in the document: tried on each of the next
/// frames (the view renders asynchronously), for about a third of a second at most. The
/// panel may be gone by then (re-rendered for another end user): `find` reads its node refs
/// with `try_`, so a disposed one finds nothing instead of panicking.
pub(super) fn focus_soon(find: Rc<dyn Fn() -> Option<web_sys::HtmlElement>>) {
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
pub(super) fn focus_in_row(root: NodeRef<Div>, id: &str, selector: &'static str) {
    let id = id.to_owned();
    focus_soon(Rc::new(move || {
        let root = root.try_get_untracked().flatten()?;
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
