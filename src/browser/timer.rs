//! A repeating timer that stops when dropped.
//!
//! ```no_run
//! use weavz_connect::browser::timer::Interval;
//!
//! let ticker = Interval::new(1_000, || web_sys::console::log_1(&"a second passed".into()));
//! // Stop it by dropping it.
//! drop(ticker);
//! ```

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// Owns one `setInterval`; dropping it calls `clearInterval`.
///
/// # Examples
///
/// ```no_run
/// use weavz_connect::browser::timer::Interval;
///
/// let ticker = Interval::new(250, || web_sys::console::log_1(&"tick".into()));
/// // Dropping it stops the ticks.
/// drop(ticker);
/// ```
pub struct Interval {
    id: i32,
    _callback: Closure<dyn FnMut()>,
}

impl Interval {
    /// Calls `handler` every `ms` milliseconds. `None` without a window.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    /// use weavz_connect::browser::timer::Interval;
    ///
    /// let ticks = Rc::new(Cell::new(0));
    /// let count = ticks.clone();
    /// let _ticker = Interval::new(250, move || count.set(count.get() + 1)).expect("a window");
    /// ```
    pub fn new(ms: i32, handler: impl FnMut() + 'static) -> Option<Self> {
        let callback = Closure::<dyn FnMut()>::new(handler);
        let id = web_sys::window()?
            .set_interval_with_callback_and_timeout_and_arguments_0(callback.as_ref().unchecked_ref(), ms)
            .ok()?;
        Some(Interval {
            id,
            _callback: callback,
        })
    }
}

impl Drop for Interval {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            w.clear_interval_with_handle(self.id);
        }
    }
}
