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

/// A whole number as decimal text, written by JavaScript's `Number#toString`: the WASM
/// then carries no number formatting (Rust's float printer alone is about 17 KB, its
/// integer printer about 1 KB).
fn decimal(n: f64) -> String {
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_else(|_| "0".into())
}

/// `window.open` features for a 500×600 popup centred on the opener.
pub fn features(opener: &Window) -> String {
    let num = |v: Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue>| {
        v.ok().and_then(|v| v.as_f64()).unwrap_or(0.0)
    };
    let (x, y) = (num(opener.screen_x()), num(opener.screen_y()));
    let (w, h) = (num(opener.outer_width()), num(opener.outer_height()));
    let left = (x + ((w - f64::from(WIDTH)) / 2.0).max(0.0)).round();
    let top = (y + ((h - f64::from(HEIGHT)) / 2.0).max(0.0)).round();
    let mut features = String::from("popup=yes");
    for (key, value) in [
        (",width=", f64::from(WIDTH)),
        (",height=", f64::from(HEIGHT)),
        (",left=", left),
        (",top=", top),
    ] {
        features.push_str(key);
        features.push_str(&decimal(value));
    }
    features
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
