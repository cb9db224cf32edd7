//! The popup window: opened inside the user's click, centred on the opener.
//!
//! ```no_run
//! use weavz_connect::browser::popup::Popup;
//!
//! let window = web_sys::window().unwrap();
//! // Inside the click, before any `await`: browsers block popups opened later.
//! if let Some(popup) = Popup::open(&window, "weavz-connect-1") {
//!     popup.navigate("https://platform.weavz.io/connect?token=cst_1");
//!     assert!(!popup.is_closed());
//! }
//! ```

use web_sys::Window;

/// Popup width in CSS pixels.
///
/// # Examples
///
/// ```
/// use weavz_connect::browser::popup::{HEIGHT, WIDTH};
///
/// // Taller than wide, like the providers' consent pages.
/// assert!(WIDTH < HEIGHT);
/// assert_eq!((WIDTH, HEIGHT), (500, 600));
/// ```
pub const WIDTH: i32 = 500;
/// Popup height in CSS pixels.
///
/// # Examples
///
/// ```no_run
/// use weavz_connect::browser::popup::{HEIGHT, features};
///
/// let window = web_sys::window().unwrap();
/// assert!(features(&window).contains(&format!(",height={HEIGHT},")));
/// ```
pub const HEIGHT: i32 = 600;

/// A window this flow opened.
///
/// # Examples
///
/// ```no_run
/// use weavz_connect::browser::popup::Popup;
///
/// let window = web_sys::window().unwrap();
/// // Synchronously inside a click handler:
/// match Popup::open(&window, "weavz-connect-demo") {
///     Some(popup) => popup.navigate("https://platform.weavz.io/connect?token=cst_1"),
///     None => web_sys::console::warn_1(&"blocked".into()),
/// }
/// ```
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
///
/// # Examples
///
/// ```no_run
/// use weavz_connect::browser::popup::features;
///
/// let window = web_sys::window().unwrap();
/// let features = features(&window);
/// assert!(features.starts_with("popup=yes,width=500,height=600,left="));
/// ```
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
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use weavz_connect::browser::popup::Popup;
    ///
    /// let window = web_sys::window().unwrap();
    /// let popup = Popup::open(&window, "weavz-connect-demo").expect("not blocked");
    /// assert!(!popup.is_closed());
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use weavz_connect::browser::popup::Popup;
    ///
    /// let window = web_sys::window().unwrap();
    /// if let Some(popup) = Popup::open(&window, "weavz-connect-demo") {
    ///     // Opened on about:blank inside the click; sent on once the connect URL is known.
    ///     popup.navigate("https://platform.weavz.io/connect?token=cst_1");
    /// }
    /// ```
    pub fn navigate(&self, url: &str) {
        let _ = self.window.location().set_href(url);
    }

    /// Whether the popup reads as closed. A window whose state cannot be read (severed by
    /// `Cross-Origin-Opener-Policy`) reads as closed too.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use weavz_connect::browser::popup::Popup;
    ///
    /// let window = web_sys::window().unwrap();
    /// let popup = Popup::open(&window, "weavz-connect-demo").unwrap();
    /// popup.close();
    /// assert!(popup.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.window.closed().unwrap_or(true)
    }

    /// Closes the popup if it is still open.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use weavz_connect::browser::popup::Popup;
    ///
    /// let window = web_sys::window().unwrap();
    /// let popup = Popup::open(&window, "weavz-connect-demo").unwrap();
    /// popup.close();
    /// // Closing twice is harmless.
    /// popup.close();
    /// ```
    pub fn close(&self) {
        if !self.is_closed() {
            let _ = self.window.close();
        }
    }

    /// Brings the popup to the front.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use weavz_connect::browser::popup::Popup;
    ///
    /// let window = web_sys::window().unwrap();
    /// let popup = Popup::open(&window, "weavz-connect-demo").unwrap();
    /// // The user clicked the widget again: show the popup rather than open a second one.
    /// popup.focus();
    /// ```
    pub fn focus(&self) {
        let _ = self.window.focus();
    }

    /// The window, to compare with `MessageEvent.source`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use weavz_connect::browser::popup::Popup;
    ///
    /// let window = web_sys::window().unwrap();
    /// let popup = Popup::open(&window, "weavz-connect-demo").unwrap();
    /// // Is a `message` event from this popup?
    /// let from_popup = |event: &web_sys::MessageEvent| {
    ///     event.source().is_some_and(|s| js_sys::Object::is(&s, popup.window().as_ref()))
    /// };
    /// # let _ = from_popup;
    /// ```
    pub fn window(&self) -> &Window {
        &self.window
    }
}
