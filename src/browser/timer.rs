//! A repeating timer that stops when dropped.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// Owns one `setInterval`; dropping it calls `clearInterval`.
pub struct Interval {
    id: i32,
    _callback: Closure<dyn FnMut()>,
}

impl Interval {
    /// Calls `handler` every `ms` milliseconds. `None` without a window.
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
