//! `<weavz-connections>`: the connections panel ([`super::ConnectionsPanel`]) as a custom
//! element, in an open shadow root styled by a constructed stylesheet. Attributes are read
//! when it is connected: `token-endpoint`, `integrations-endpoint`, `connections-endpoint`
//! (required), `session-endpoint`, `integrations`, `locale`, `theme`, `mode`, `end-user`,
//! `token-params`. Changing one of [`ATTRIBUTES`] re-renders it; `theme` is followed live.
//!
//! ```no_run
//! weavz_connect::ui::panel_element::define();
//! ```

use leptos::prelude::*;
use web_sys::HtmlElement;

use crate::element::{attr, define_element, prepare, remember, show_config_error};
use crate::options::Given;

/// The panel element's tag name.
///
/// ```
/// assert_eq!(weavz_connect::ui::panel_element::TAG, "weavz-connections");
/// ```
pub const TAG: &str = "weavz-connections";

/// The attributes of `<weavz-connections>` whose change re-renders it. (`theme` is not
/// one: the stylesheet follows it live, so a running flow is not ended by a theme switch.)
///
/// ```
/// assert!(!weavz_connect::ui::panel_element::ATTRIBUTES.contains(&"theme"));
/// ```
pub const ATTRIBUTES: &[&str] = &[
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

/// Defines `<weavz-connections>`, once (later calls do nothing). [`crate::js::install`]
/// calls it in builds with feature `panel`.
///
/// ```no_run
/// weavz_connect::ui::panel_element::define();
/// ```
pub fn define() {
    define_element(TAG, ATTRIBUTES, mount);
}

fn mount(host: HtmlElement) -> u32 {
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
            TAG,
            id,
            container,
            "the token-endpoint, integrations-endpoint and connections-endpoint attributes are required.",
        );
    };
    let mode = attr(&host, "mode");
    let session_endpoint = attr(&host, "session-endpoint");
    let token_params = attr(&host, "token-params");
    // The options every flow of the panel will use, checked as every surface checks them
    // (the integration is one the user picks later: any name stands in for it).
    let given = Given {
        session_endpoint: session_endpoint.clone(),
        mode: mode.clone(),
        ..Given::widget("any", &token_endpoint)
    };
    if let Err(e) = given
        .check()
        .and_then(|_| crate::browser::options::token_params_text(token_params.as_deref()))
    {
        return show_config_error(TAG, id, container, &e.message);
    }
    let theme = attr(&host, "theme");
    if theme.as_deref().is_some_and(|t| t != "light" && t != "dark") {
        return show_config_error(
            TAG,
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
    let (integrations, locale, end_user) = (
        attr(&host, "integrations"),
        attr(&host, "locale"),
        attr(&host, "end-user"),
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
                mode=mode.as_deref().and_then(crate::options::Mode::parse)
                end_user=end_user
                token_params=token_params.map(crate::options::TokenParams::from)
                event_target=target
            />
        }
    });
    remember(id, Box::new(view), container)
}
