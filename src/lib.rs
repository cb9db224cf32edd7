//! # weavz-connect
//!
//! The browser half of [Weavz](https://weavz.io)'s hosted connect flow: a widget, compiled
//! to WebAssembly, that takes a `connectUrl` minted by the host app's backend, opens it in a
//! popup, watches for the hosted page's `weavz-connect-result` message, confirms the result
//! through the host backend and tells the embedding page.
//!
//! Layers, each usable on its own:
//!
//! - [`protocol`]: wire types (shared with the local sandbox, `weavz-sandbox`);
//! - [`flow`]: the connect flow as a pure state machine, no browser needed;
//! - [`options`]: every surface's options, checked in one place (pure);
//! - [`button`]: what a connect button shows in each state (pure, shared by both buttons);
//! - [`i18n`]: the panel's texts in English, German and Spanish;
//! - `browser` (feature `browser`): web-sys adapters that run a flow in a page;
//! - `js` (feature `js`): the JavaScript API, `WeavzConnect.open()`;
//! - `element` (feature `element`): the `<weavz-connect>` element, plain web-sys;
//! - `ui` (feature `ui`): the Leptos `ConnectButton`; with feature `panel` also
//!   `ConnectionsPanel` and `<weavz-connections>`.
//!
//! Only `ui` and `panel` use Leptos: the JS API and `<weavz-connect>` build without it.
//!
//! # Features
//!
//! | feature | what it adds | needs |
//! |---|---|---|
//! | `browser` (default) | the web-sys adapters that run a flow in a page | `wasm-bindgen`, `web-sys` |
//! | `js` | the JavaScript API (`open`, `resume`, `activeFlows`, `install`), exported with wasm-bindgen | `browser` |
//! | `element` | the `<weavz-connect>` element (plain web-sys) | `browser` |
//! | `ui` | the Leptos `ConnectButton` (and `element`, so `install()` defines `<weavz-connect>`) | `element`, Leptos 0.8 (no rendering mode) |
//! | `panel` | the Leptos `ConnectionsPanel` and the `<weavz-connections>` element | `ui` |
//! | `csr`, `ssr`, `hydrate` | Leptos' rendering mode, forwarded to `leptos` (the app picks one) | |
//!
//! With `default-features = false` only [`flow`], [`options`], [`button`], [`i18n`] and [`protocol`] remain: no browser and no
//! WebAssembly needed (the sandbox uses them so). In a Leptos app:
//!
//! ```toml
//! [dependencies]
//! weavz-connect = { version = "0.1", features = ["ui", "csr"] }  # or "ssr" / "hydrate"
//! ```
//!
//! From JavaScript, use the npm package `weavz-connect` or the script-tag build that
//! `cargo xtask dist` makes (see the README).
//!
//! ```
//! use weavz_connect::protocol::{ResultMessage, ResultOutcome};
//!
//! let raw = r#"{"type":"weavz-connect-result","status":"success",
//!               "connectionId":"c1","integrationName":"slack","externalId":"u-1"}"#;
//! let msg: ResultMessage = serde_json::from_str(raw).unwrap();
//! assert!(matches!(msg.outcome, ResultOutcome::Success { .. }));
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(feature = "browser")]
pub mod browser;
pub mod button;
#[cfg(feature = "element")]
pub mod element;
pub mod flow;
pub mod i18n;
#[cfg(feature = "js")]
pub mod js;
pub mod options;
pub mod protocol;
#[cfg(feature = "ui")]
pub mod ui;

/// The README's Rust examples, compiled as doctests (with `--features js,ui`).
#[cfg(all(doctest, feature = "ui"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
