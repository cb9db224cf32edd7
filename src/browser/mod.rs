//! Browser adapters: one small type per browser concern, each unregistering what it
//! registered when dropped, and the driver that runs a [`crate::flow::Flow`] with them.
//!
//! ```no_run
//! use std::rc::Rc;
//! use weavz_connect::browser::{self, Mode, Report, Source, StartOptions};
//! use weavz_connect::flow::Target;
//!
//! // In a click handler: the popup opens before `start` returns.
//! let window = web_sys::window().unwrap();
//! let options = StartOptions {
//!     source: Source::Ready(Target::new("https://platform.weavz.io/connect?token=cst_1").unwrap()),
//!     session_endpoint: Some("/api/connect-session".into()),
//!     close_grace_ms: 3_000.0,
//!     timeout_ms: None,
//!     signal: None,
//!     mode: Mode::Popup,
//!     integration: Some("slack".into()),
//!     end_user_id: None,
//!     shown_by: None,
//! };
//! let handle = browser::start(&window, options, Rc::new(|_: &str, _: Report<'_>| {}));
//! assert_eq!(browser::active_flows(), usize::from(handle.is_running()));
//! ```

pub mod driver;
pub mod events;
pub(crate) mod http;
pub(crate) mod listener;
pub(crate) mod message;
#[cfg(any(feature = "js", feature = "element"))]
pub(crate) mod options;
pub(crate) mod popup;
pub(crate) mod redirect;
pub mod resume;
pub(crate) mod timer;

#[cfg(all(test, target_arch = "wasm32"))]
mod tests;

pub use driver::{FlowHandle, Mode, Observer, Report, ShownBy, Source, StartOptions, active_flows, start};
