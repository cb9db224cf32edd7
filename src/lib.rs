//! # weavz-connect
//!
//! The browser half of [Weavz](https://weavz.io)'s hosted connect flow: a widget, compiled
//! to WebAssembly, that takes a `connectUrl` minted by the host app's backend, opens it in a
//! popup, watches for the hosted page's `weavz-connect-result` message, confirms the result
//! through the host backend and tells the embedding page.
//!
//! This release carries the wire types shared with the local sandbox
//! (`weavz-sandbox`); the flow state machine, browser adapters and UI follow.
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
pub mod flow;
#[cfg(feature = "js")]
pub mod js;
pub mod protocol;
#[cfg(feature = "ui")]
pub mod ui;
