//! `<weavz-connect>`: a custom element that renders [`super::ConnectButton`] in an open
//! shadow root, styled by a constructed stylesheet (no inline styles, so a strict
//! `style-src` works). Attributes are read when the element is connected:
//! `integration` (required), `token-endpoint` (required), `session-endpoint`, `label`,
//! `display-name`, `token-params` (JSON), `close-grace-ms`, `timeout-ms`, `mode`, `end-user`. Changing
//! one re-renders the element (ending a flow it started with `aborted`); moving the element
//! keeps it. On mount it also shows a redirect-mode flow for its integration that is
//! pending in this tab (see `WeavzConnect.resume()`).

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, ShadowRootInit, ShadowRootMode};

use super::ConnectButton;

/// The element's tag name.
pub const TAG: &str = "weavz-connect";

#[wasm_bindgen(inline_js = r#"
export function weavz_define_element(name, attributes, mount, unmount) {
  if (customElements.get(name)) return;
  customElements.define(name, class extends HTMLElement {
    static get observedAttributes() { return attributes; }
    connectedCallback() {
      if (this.__weavzMount === undefined) this.__weavzMount = mount(this);
    }
    disconnectedCallback() {
      // A move (remove, then insert in the same task) keeps the element and its flow.
      queueMicrotask(() => {
        if (!this.isConnected) this.__weavzUnmount();
      });
    }
    attributeChangedCallback(attr, before, after) {
      // Attributes are read at mount: a change re-renders (ending a running flow).
      if (before !== after && this.__weavzMount !== undefined) {
        this.__weavzUnmount();
        this.__weavzMount = mount(this);
      }
    }
    __weavzUnmount() {
      const id = this.__weavzMount;
      this.__weavzMount = undefined;
      if (id !== undefined) unmount(id);
    }
  });
}
"#)]
extern "C" {
    fn weavz_define_element(name: &str, attributes: js_sys::Array, mount: &JsValue, unmount: &JsValue);
}

struct Mounted {
    _view: Box<dyn Any>,
    container: HtmlElement,
}

thread_local! {
    static MOUNTED: RefCell<HashMap<u32, Mounted>> = RefCell::new(HashMap::new());
    static NEXT_ID: std::cell::Cell<u32> = const { std::cell::Cell::new(1) };
}

/// The attributes of `<weavz-connect>`; a change re-renders it.
const ATTRIBUTES: &[&str] = &[
    "integration",
    "token-endpoint",
    "session-endpoint",
    "label",
    "display-name",
    "token-params",
    "close-grace-ms",
    "timeout-ms",
    "mode",
    "end-user",
];

/// The tag of the connections panel element.
#[cfg(feature = "panel")]
pub const PANEL_TAG: &str = "weavz-connections";

#[cfg(feature = "panel")]
/// The attributes of `<weavz-connections>` whose change re-renders it. (`theme` is not
/// one: the stylesheet follows it live, so a running flow is not ended by a theme switch.)
const PANEL_ATTRIBUTES: &[&str] = &[
    "token-endpoint",
    "integrations-endpoint",
    "connections-endpoint",
    "session-endpoint",
    "integrations",
    "locale",
    "mode",
    "end-user",
    "token-params",
];

fn names(list: &[&str]) -> js_sys::Array {
    list.iter().map(|a| JsValue::from_str(a)).collect()
}

/// Defines `<weavz-connect>` (and, with feature `panel`, `<weavz-connections>`), once.
pub fn define() {
    let unmount = Closure::<dyn Fn(u32)>::new(unmount).into_js_value();
    let mount_button = Closure::<dyn Fn(HtmlElement) -> u32>::new(mount).into_js_value();
    weavz_define_element(TAG, names(ATTRIBUTES), &mount_button, &unmount);
    #[cfg(feature = "panel")]
    {
        let mount_panel = Closure::<dyn Fn(HtmlElement) -> u32>::new(mount_panel).into_js_value();
        weavz_define_element(PANEL_TAG, names(PANEL_ATTRIBUTES), &mount_panel, &unmount);
    }
}

fn attr(el: &HtmlElement, name: &str) -> Option<String> {
    el.get_attribute(name).filter(|v| !v.trim().is_empty())
}

fn stylesheet(css: &str) -> Option<web_sys::CssStyleSheet> {
    let sheet = web_sys::CssStyleSheet::new().ok()?;
    sheet.replace_sync(css).ok()?;
    Some(sheet)
}

/// A new mount id, and a container in the host's (open) shadow root styled by `css`.
fn prepare(host: &HtmlElement, css: &str) -> Option<(u32, HtmlElement)> {
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1));
        id
    });
    let shadow = match host.shadow_root() {
        Some(s) => s,
        None => host
            .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
            .ok()?,
    };
    if let Some(sheet) = stylesheet(css) {
        shadow.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
    }
    let container = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("div").ok())
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())?;
    let _ = shadow.append_child(&container);
    Some((id, container))
}

fn remember(id: u32, view: Box<dyn Any>, container: HtmlElement) -> u32 {
    MOUNTED.with(|m| {
        m.borrow_mut().insert(
            id,
            Mounted {
                _view: view,
                container,
            },
        )
    });
    id
}

#[cfg(feature = "panel")]
fn mount_panel(host: HtmlElement) -> u32 {
    let Some((id, container)) = prepare(&host, include_str!("panel.css")) else {
        return 0;
    };
    let required = |name: &str| attr(&host, name);
    let (Some(token_endpoint), Some(integrations_endpoint), Some(connections_endpoint)) = (
        required("token-endpoint"),
        required("integrations-endpoint"),
        required("connections-endpoint"),
    ) else {
        return show_config_error(
            id,
            container,
            "the token-endpoint, integrations-endpoint and connections-endpoint attributes are required.",
        );
    };
    let mode = attr(&host, "mode");
    let session_endpoint = attr(&host, "session-endpoint");
    match mode.as_deref().map(crate::browser::driver::Mode::parse) {
        Some(None) => return show_config_error(id, container, "mode must be popup, redirect or auto."),
        Some(Some(crate::browser::driver::Mode::Redirect)) if session_endpoint.is_none() => {
            return show_config_error(id, container, "mode=\"redirect\" needs session-endpoint.");
        }
        _ => {}
    }
    let theme = attr(&host, "theme");
    if theme.as_deref().is_some_and(|t| t != "light" && t != "dark") {
        return show_config_error(
            id,
            container,
            "theme must be light or dark (or absent: the system's).",
        );
    }
    if let Some(tag) = attr(&host, "locale")
        && crate::i18n::Lang::from_tag(&tag).is_none()
    {
        // Not an error (the browser's language is a good answer), but not silent either.
        web_sys::console::warn_1(
            &format!("weavz-connections: locale \"{tag}\" has no translation; using the browser's language (en, de, es).")
                .into(),
        );
    }
    let (integrations, locale, end_user, token_params) = (
        attr(&host, "integrations"),
        attr(&host, "locale"),
        attr(&host, "end-user"),
        attr(&host, "token-params"),
    );
    let target: web_sys::EventTarget = host.clone().into();
    let view = leptos::mount::mount_to(container.clone(), move || {
        view! {
            <super::ConnectionsPanel
                token_endpoint=token_endpoint
                integrations_endpoint=integrations_endpoint
                connections_endpoint=connections_endpoint
                session_endpoint=session_endpoint
                integrations=integrations
                locale=locale
                theme=theme
                mode=mode
                end_user=end_user
                token_params=token_params
                event_target=target
            />
        }
    });
    remember(id, Box::new(view), container)
}

fn mount(host: HtmlElement) -> u32 {
    let Some((id, container)) = prepare(&host, include_str!("style.css")) else {
        return 0;
    };

    let (integration, token_endpoint) = (attr(&host, "integration"), attr(&host, "token-endpoint"));
    let (Some(integration), Some(token_endpoint)) = (integration, token_endpoint) else {
        return show_config_error(
            id,
            container,
            "the integration and token-endpoint attributes are required.",
        );
    };
    let number = |name: &str, check: fn(f64) -> Result<f64, crate::flow::FlowError>| {
        attr(&host, name)
            .map(|v| {
                v.trim()
                    .parse::<f64>()
                    .map_err(|_| ())
                    .and_then(|ms| check(ms).map_err(|_| ()))
            })
            .transpose()
            .map_err(|_| format!("{name} must be a number of milliseconds (see the README)."))
    };
    let close_grace_ms = match number("close-grace-ms", crate::js::check_close_grace) {
        Ok(v) => v,
        Err(message) => return show_config_error(id, container, &message),
    };
    let timeout_ms = match number("timeout-ms", crate::js::check_timeout) {
        Ok(v) => v,
        Err(message) => return show_config_error(id, container, &message),
    };
    let session_endpoint = attr(&host, "session-endpoint");
    let mode = attr(&host, "mode");
    let end_user = attr(&host, "end-user");
    match mode.as_deref().map(crate::browser::driver::Mode::parse) {
        Some(None) => {
            return show_config_error(id, container, "mode must be popup, redirect or auto.");
        }
        Some(Some(crate::browser::driver::Mode::Redirect)) if session_endpoint.is_none() => {
            return show_config_error(
                id,
                container,
                "mode=\"redirect\" needs session-endpoint: the page that comes back confirms the result.",
            );
        }
        _ => {}
    }
    let label = attr(&host, "label");
    let display_name = attr(&host, "display-name");
    let token_params = attr(&host, "token-params");
    let target: web_sys::EventTarget = host.clone().into();
    let view = leptos::mount::mount_to(container.clone(), move || {
        view! {
            <ConnectButton
                integration=integration
                token_endpoint=token_endpoint
                session_endpoint=session_endpoint
                label=label
                display_name=display_name
                token_params=token_params
                close_grace_ms=close_grace_ms
                timeout_ms=timeout_ms
                mode=mode
                end_user=end_user
                event_target=target
            />
        }
    });
    remember(id, Box::new(view), container)
}

/// A misconfigured element says so, on the page and in the console, instead of a button
/// that cannot work.
fn show_config_error(id: u32, container: HtmlElement, problem: &str) -> u32 {
    let message = format!("weavz-connect: {problem}");
    web_sys::console::error_1(&message.as_str().into());
    container.set_text_content(Some(&message));
    let _ = container.set_attribute("role", "alert");
    let _ = container.set_attribute("part", "error");
    remember(id, Box::new(()), container)
}

fn unmount(id: u32) {
    // Take it out first: dropping the view runs cleanups that may dispatch events.
    let mounted = MOUNTED.with(|m| m.borrow_mut().remove(&id));
    if let Some(m) = mounted {
        m.container.remove();
        drop(m._view);
    }
}
