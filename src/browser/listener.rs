//! An event listener that removes itself when dropped.
//!
//! ```no_run
//! use weavz_connect::browser::listener::Listener;
//!
//! let window = web_sys::window().unwrap();
//! {
//!     let _offline = Listener::new(&window, "offline", |_| web_sys::console::log_1(&"offline".into()));
//!     // … listening while in scope …
//! }
//! // Out of scope: removed.
//! ```

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Event, EventTarget};

/// Owns one `addEventListener` registration; dropping it calls `removeEventListener`.
///
/// # Examples
///
/// ```no_run
/// use weavz_connect::browser::listener::Listener;
///
/// let window = web_sys::window().unwrap();
/// let listener = Listener::new(&window, "online", |_| {
///     web_sys::console::log_1(&"back online".into());
/// });
/// // Dropping it removes the listener again.
/// drop(listener);
/// ```
pub struct Listener {
    target: EventTarget,
    kind: &'static str,
    callback: Closure<dyn FnMut(Event)>,
}

impl Listener {
    /// Listens for `kind` events on `target`. `None` if the browser refuses the listener.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    /// use weavz_connect::browser::listener::Listener;
    ///
    /// let document = web_sys::window().unwrap().document().unwrap();
    /// let clicks = Rc::new(Cell::new(0));
    /// let count = clicks.clone();
    /// let _listener = Listener::new(&document, "click", move |_| count.set(count.get() + 1))
    ///     .expect("the browser accepted the listener");
    /// ```
    pub fn new(
        target: &EventTarget,
        kind: &'static str,
        handler: impl FnMut(Event) + 'static,
    ) -> Option<Self> {
        let callback = Closure::<dyn FnMut(Event)>::new(handler);
        target
            .add_event_listener_with_callback(kind, callback.as_ref().unchecked_ref())
            .ok()?;
        Some(Listener {
            target: target.clone(),
            kind,
            callback,
        })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.callback.as_ref().unchecked_ref());
    }
}
