//! Redirect mode's browser half: the pending flow saved in `sessionStorage` across the
//! page change, the return URL the widget asks for, and reading (then removing) the
//! result parameters the hosted page appends when it sends the user back.
//!
//! A saved record holds the flow id, the connect URL and its `cst_` token, the token's
//! expiry, the session endpoint and the integration — what the next page needs to ask the
//! session, and nothing more (no API key ever reaches the browser).

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;
use web_sys::{Storage, Url, Window};

use crate::flow::{ErrorCode, FlowError, Millis, Target};
use crate::protocol::{
    Field, MAX_ERROR_LEN, MAX_ID_LEN, MAX_STATUS_LEN, RESULT_MESSAGE_TYPE, RawMessage, ResultOutcome,
    parse_result, redirect_params,
};

/// The `sessionStorage` key prefix of pending flows.
pub(crate) const KEY_PREFIX: &str = "weavz-connect:pending:";

/// How long a pending flow whose token has no known expiry is kept.
pub(crate) const DEFAULT_PENDING_MS: Millis = 60.0 * 60.0 * 1000.0;

/// A redirect-mode flow that left the page and has not ended yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// The flow's id.
    pub id: String,
    /// The hosted page and its token.
    pub connect_url: String,
    /// The `cst_` token.
    pub token: String,
    /// When the token expires (ms since the epoch), if known.
    pub expires_at: Option<Millis>,
    /// The host backend's session endpoint.
    pub session_endpoint: String,
    /// The integration, when the flow knew it (the element that shows it is chosen by it).
    pub integration: Option<String>,
    /// The kind of widget that started it (`button`, `panel`), which shows it again.
    pub shown_by: Option<crate::options::ShownBy>,
    /// The page's fragment when it left (`#…`), restored on return.
    pub hash: Option<String>,
    /// When the flow left the page.
    pub created: Millis,
    /// The flow's total deadline (ms since the epoch), if it had one.
    pub deadline: Option<Millis>,
}

impl Pending {
    /// The target to resume: the saved URL, token and expiry.
    pub fn target(&self) -> Option<Target> {
        // Parsed by the browser, as every connect URL is (same rules: absolute http(s)).
        let mut target = super::http::target_from_url(&self.connect_url, Some(self.token.clone())).ok()?;
        target.expires_at = Some(self.expires_at.unwrap_or(self.created + DEFAULT_PENDING_MS));
        Some(target)
    }

    fn to_json(&self) -> Option<String> {
        let o = Object::new();
        let set = |k: &str, v: JsValue| {
            let _ = Reflect::set(&o, &JsValue::from_str(k), &v);
        };
        let opt_str = |v: &Option<String>| v.as_deref().map_or(JsValue::NULL, JsValue::from_str);
        let opt_num = |v: Option<Millis>| v.map_or(JsValue::NULL, JsValue::from_f64);
        set("v", JsValue::from_f64(1.0));
        set("id", JsValue::from_str(&self.id));
        set("connectUrl", JsValue::from_str(&self.connect_url));
        set("token", JsValue::from_str(&self.token));
        set("expiresAt", opt_num(self.expires_at));
        set("sessionEndpoint", JsValue::from_str(&self.session_endpoint));
        set("integration", opt_str(&self.integration));
        set(
            "shownBy",
            self.shown_by
                .map_or(JsValue::NULL, |s| JsValue::from_str(s.as_str())),
        );
        set("hash", opt_str(&self.hash));
        set("created", JsValue::from_f64(self.created));
        set("deadline", opt_num(self.deadline));
        js_sys::JSON::stringify(&o).ok().map(String::from)
    }

    fn from_json(text: &str) -> Option<Pending> {
        let v = js_sys::JSON::parse(text).ok()?;
        let get = |k: &str| Reflect::get(&v, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
        let string = |k: &str| get(k).as_string().filter(|s| !s.is_empty() && s.len() <= 4096);
        let number = |k: &str| get(k).as_f64().filter(|n| n.is_finite());
        if number("v") != Some(1.0) {
            return None;
        }
        Some(Pending {
            id: string("id")?,
            connect_url: string("connectUrl")?,
            token: string("token")?,
            expires_at: number("expiresAt"),
            session_endpoint: string("sessionEndpoint")?,
            integration: string("integration"),
            shown_by: string("shownBy").and_then(|s| crate::options::ShownBy::parse(&s)),
            hash: string("hash"),
            created: number("created")?,
            deadline: number("deadline"),
        })
    }
}

fn storage(window: &Window) -> Option<Storage> {
    // Throws when storage is disabled (some privacy settings, sandboxed frames).
    window.session_storage().ok().flatten()
}

/// Saves a pending flow. Fails when `sessionStorage` is unavailable or full: the flow
/// could not survive the page change, so it must not leave.
pub fn save(window: &Window, pending: &Pending) -> Result<(), FlowError> {
    let unavailable = || {
        FlowError::new(
            ErrorCode::InvalidOptions,
            "Redirect mode needs sessionStorage to carry the flow across the page change, and \
             this page cannot use it. Use popup mode.",
        )
    };
    let store = storage(window).ok_or_else(unavailable)?;
    let json = pending.to_json().ok_or_else(unavailable)?;
    store
        .set_item(&format!("{KEY_PREFIX}{}", pending.id), &json)
        .map_err(|_| unavailable())
}

/// Removes a pending flow (it ended).
pub fn remove(window: &Window, id: &str) {
    if let Some(store) = storage(window) {
        let _ = store.remove_item(&format!("{KEY_PREFIX}{id}"));
    }
}

/// Whether the flow `id` is still saved (no page has finished it).
pub fn is_saved(window: &Window, id: &str) -> bool {
    storage(window).is_some_and(|s| s.get_item(&format!("{KEY_PREFIX}{id}")).ok().flatten().is_some())
}

/// Every pending flow saved in this tab (in no particular order). Unreadable records are
/// removed.
pub fn load_all(window: &Window) -> Vec<Pending> {
    let Some(store) = storage(window) else {
        return Vec::new();
    };
    let keys: Vec<String> = (0..store.length().unwrap_or(0))
        .filter_map(|i| store.key(i).ok().flatten())
        .filter(|k| k.starts_with(KEY_PREFIX))
        .collect();
    let mut found = Vec::new();
    for key in keys {
        match store
            .get_item(&key)
            .ok()
            .flatten()
            .and_then(|t| Pending::from_json(&t))
        {
            Some(p) if key.strip_prefix(KEY_PREFIX) == Some(p.id.as_str()) => found.push(p),
            _ => {
                let _ = store.remove_item(&key);
            }
        }
    }
    found
}

/// The URL the hosted page should send the user back to: this page without its fragment
/// and without `weavz_*` parameters, plus `weavz_flow=<id>`.
pub fn return_url(window: &Window, flow_id: &str) -> Option<String> {
    let url = Url::new(&window.location().href().ok()?).ok()?;
    strip_params(&url);
    url.set_hash("");
    url.search_params().append(redirect_params::FLOW, flow_id);
    Some(url.href())
}

/// The page's current fragment, if any.
pub fn current_hash(window: &Window) -> Option<String> {
    window.location().hash().ok().filter(|h| h.len() > 1)
}

fn strip_params(url: &Url) {
    let params = url.search_params();
    let keys: Vec<String> = js_sys::try_iter(&params.keys())
        .ok()
        .flatten()
        .into_iter()
        .flatten()
        .filter_map(|k| k.ok()?.as_string())
        .filter(|k| k.starts_with(redirect_params::PREFIX))
        .collect();
    for k in keys {
        params.delete(&k);
    }
}

/// What the address bar says about a redirect-mode return.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Return {
    /// `weavz_flow`: which pending flow came back.
    pub flow_id: Option<String>,
    /// The result parameters, validated like a message (same caps). Only a hint.
    pub hint: Option<ResultOutcome>,
}

/// Reads the `weavz_*` parameters of the current URL (without changing it).
pub fn read_return(window: &Window) -> Return {
    let Some(url) = current_url(window) else {
        return Return::default();
    };
    let params = url.search_params();
    let field = |k: &str, cap: usize| match params.get(k) {
        Some(v) if v.len() > cap => Field::TooLong,
        Some(v) => Field::Text(v),
        None => Field::Missing,
    };
    let hint = params.get(redirect_params::STATUS).and_then(|_| {
        let raw = RawMessage {
            is_object: true,
            kind: Field::Text(RESULT_MESSAGE_TYPE.to_owned()),
            status: field(redirect_params::STATUS, MAX_STATUS_LEN),
            connection_id: field(redirect_params::CONNECTION_ID, MAX_ID_LEN),
            integration_name: field(redirect_params::INTEGRATION_NAME, MAX_ID_LEN),
            external_id: field(redirect_params::EXTERNAL_ID, MAX_ID_LEN),
            end_user_id: Field::Missing,
            error: field(redirect_params::ERROR, MAX_ERROR_LEN),
        };
        parse_result(&raw).ok().map(|m| m.outcome)
    });
    let flow_id = params.get(redirect_params::FLOW).filter(|id| id.len() <= 64);
    Return { flow_id, hint }
}

fn current_url(window: &Window) -> Option<Url> {
    Url::new(&window.location().href().ok()?).ok()
}

/// Removes every `weavz_*` parameter from the address bar (`history.replaceState`, keeping
/// the entry's state), so a reload or a copied link does not carry them. Does nothing when
/// there are none.
///
/// The return URL has no fragment (see [`return_url`]), so the one the page had when it left
/// is put back with a fragment navigation that replaces the entry (`location.replace`): the
/// browser fires `popstate` and `hashchange` as for any fragment change, so a hash router
/// that read an empty `location.hash` before the widget loaded shows the right route, and
/// the history gets no extra entry. (Saved fragments only come from this tab's own pages.)
pub fn clean_address_bar(window: &Window, hash: Option<&str>) {
    let Some(url) = current_url(window) else { return };
    let before = url.href();
    strip_params(&url);
    if url.href() == before {
        return;
    }
    let Ok(history) = window.history() else { return };
    let state = history.state().unwrap_or(JsValue::NULL);
    let _ = history.replace_state_with_url(&state, "", Some(&url.href()));
    if let Some(h) = hash.filter(|_| url.hash().is_empty()) {
        url.set_hash(h);
        if window.location().replace(&url.href()).is_ok() {
            // A fragment navigation clears the entry's state: put the page's back.
            let _ = history.replace_state_with_url(&state, "", Some(&url.href()));
        }
    }
}

/// Whether `auto` mode should prefer a redirect: a small touch screen, where popups open as
/// tabs that people lose track of.
pub fn prefers_redirect(window: &Window) -> bool {
    window
        .match_media("(pointer: coarse) and (max-width: 640px)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches())
}
