//! The popup window: opened inside the user's click, centred on the opener.

use web_sys::Window;

/// Popup width in CSS pixels.
pub const WIDTH: i32 = 500;
/// Popup height in CSS pixels.
pub const HEIGHT: i32 = 600;

/// A window this flow opened.
#[derive(Clone)]
pub struct Popup {
    window: Window,
}

/// `window.open` features for a 500×600 popup centred on the opener.
pub fn features(opener: &Window) -> String {
    let num = |v: Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue>| {
        v.ok().and_then(|v| v.as_f64()).unwrap_or(0.0)
    };
    let (x, y) = (num(opener.screen_x()), num(opener.screen_y()));
    let (w, h) = (num(opener.outer_width()), num(opener.outer_height()));
    // Whole pixels as integers: formatting an `f64` would link core's float printer
    // (about 17 KB of WASM) for two numbers.
    let left = (x + ((w - f64::from(WIDTH)) / 2.0).max(0.0)).round() as i32;
    let top = (y + ((h - f64::from(HEIGHT)) / 2.0).max(0.0)).round() as i32;
    format!("popup=yes,width={WIDTH},height={HEIGHT},left={left},top={top}")
}

impl Popup {
    /// Opens `about:blank` in a new popup named `name`. Must run synchronously inside a
    /// user gesture. `None` when the browser blocked it.
    pub fn open(opener: &Window, name: &str) -> Option<Popup> {
        let window = opener
            .open_with_url_and_target_and_features("about:blank", name, &features(opener))
            .ok()
            .flatten()?;
        // Some blockers hand back a window that is already closed.
        if window.closed().unwrap_or(true) {
            return None;
        }
        Some(Popup { window })
    }

    /// Sends the popup to `url`.
    pub fn navigate(&self, url: &str) {
        let _ = self.window.location().set_href(url);
    }

    /// Whether the popup reads as closed. A window whose state cannot be read (severed by
    /// `Cross-Origin-Opener-Policy`) reads as closed too.
    pub fn is_closed(&self) -> bool {
        self.window.closed().unwrap_or(true)
    }

    /// Closes the popup if it is still open.
    pub fn close(&self) {
        if !self.is_closed() {
            let _ = self.window.close();
        }
    }

    /// Brings the popup to the front.
    pub fn focus(&self) {
        let _ = self.window.focus();
    }

    /// The window, to compare with `MessageEvent.source`.
    pub fn window(&self) -> &Window {
        &self.window
    }
}
