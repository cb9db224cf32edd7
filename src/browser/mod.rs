//! Browser adapters: one small type per browser concern, each unregistering what it
//! registered when dropped, and the driver that runs a [`crate::flow::Flow`] with them.

pub mod driver;
pub mod events;
pub mod http;
pub mod listener;
pub mod message;
pub mod popup;
pub mod redirect;
pub mod resume;
pub mod timer;

pub use driver::{FlowHandle, Mode, Observer, Report, Source, StartOptions, active_flows, start};
