//! What the connections panel reads from the host backend: the integration catalog and the
//! end user's connections, read field by field (unknown keys ignored, strings capped), and
//! the `DELETE` that disconnects one.

use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::i18n::{Key, Lang, text};

const MAX_TEXT: usize = 512;
const MAX_LOGO: usize = 64 * 1024;

/// One integration of the catalog (`GET /api/v1/integrations?summary=true`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    /// `slack`.
    pub name: String,
    /// `Slack`.
    pub display_name: String,
    /// One line for people.
    pub description: String,
    /// A `data:image/…` or `https:` logo; anything else is dropped.
    pub logo: Option<String>,
    /// E.g. `communication`.
    pub categories: Vec<String>,
}

/// One connection of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Its id.
    pub id: String,
    /// Its name for people.
    pub display_name: String,
    /// The integration.
    pub integration_name: String,
    /// `OAUTH2`, `SECRET_TEXT`, ….
    pub kind: String,
    /// `ACTIVE`, ….
    pub status: String,
    /// ISO-8601.
    pub created_at: String,
}

fn field(obj: &JsValue, key: &str, cap: usize) -> Option<String> {
    let v = Reflect::get(obj, &JsValue::from_str(key)).ok()?;
    let s = v.dyn_ref::<js_sys::JsString>()?;
    if s.length() as usize > cap {
        return None;
    }
    Some(String::from(s))
}

fn list(body: &JsValue, key: &str) -> Option<Array> {
    Reflect::get(body, &JsValue::from_str(key))
        .ok()?
        .dyn_into::<Array>()
        .ok()
}

/// Only images: a `data:image/` URI (rendered by an `<img>`, never as HTML) or https.
fn safe_logo(url: String) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("data:image/") || lower.starts_with("https://")).then_some(url)
}

/// Reads `{integrations: [...]}`; entries without a name are skipped.
pub fn integrations_from(body: &JsValue) -> Option<Vec<Integration>> {
    let items = list(body, "integrations")?;
    Some(
        items
            .iter()
            .filter_map(|i| {
                let name = field(&i, "name", MAX_TEXT).filter(|n| !n.is_empty())?;
                let categories = list(&i, "categories")
                    .map(|a| {
                        a.iter()
                            .filter_map(|c| c.as_string().filter(|c| !c.is_empty() && c.len() <= 64))
                            .collect()
                    })
                    .unwrap_or_default();
                Some(Integration {
                    display_name: field(&i, "displayName", MAX_TEXT)
                        .filter(|n| !n.trim().is_empty())
                        .unwrap_or_else(|| name.clone()),
                    description: field(&i, "description", MAX_TEXT).unwrap_or_default(),
                    logo: field(&i, "logoUrl", MAX_LOGO).and_then(safe_logo),
                    categories,
                    name,
                })
            })
            .collect(),
    )
}

/// Reads `{connections: [...]}`; entries without an id are skipped.
pub fn connections_from(body: &JsValue) -> Option<Vec<Connection>> {
    let items = list(body, "connections")?;
    Some(
        items
            .iter()
            .filter_map(|c| {
                let id = field(&c, "id", MAX_TEXT).filter(|n| !n.is_empty())?;
                let integration_name = field(&c, "integrationName", MAX_TEXT).unwrap_or_default();
                Some(Connection {
                    display_name: field(&c, "displayName", MAX_TEXT)
                        .or_else(|| field(&c, "connectionName", MAX_TEXT))
                        .filter(|n| !n.trim().is_empty())
                        .unwrap_or_else(|| integration_name.clone()),
                    kind: field(&c, "type", 64).unwrap_or_default(),
                    status: field(&c, "status", 64).unwrap_or_default(),
                    created_at: field(&c, "createdAt", 64).unwrap_or_default(),
                    integration_name,
                    id,
                })
            })
            .collect(),
    )
}

/// Why a request to the host backend failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No answer (network, CORS, server down).
    Unreachable,
    /// An answer that is not what the panel reads.
    Unexpected,
    /// A non-2xx status, with the server's `error` text when it sent one (shown as it is).
    Status(u16, Option<String>),
}

impl Failure {
    /// For people, in `lang`.
    pub fn describe(&self, lang: Lang) -> String {
        match self {
            Failure::Unreachable => text(lang, Key::Unreachable).to_owned(),
            Failure::Unexpected => text(lang, Key::Unexpected).to_owned(),
            Failure::Status(_, Some(server)) => server.clone(),
            Failure::Status(code, None) => format!("HTTP {code}"),
        }
    }
}

/// `fetch(url, {method})` with `accept: application/json`; the parsed body of a 2xx
/// answer, or why not.
pub async fn request(method: &str, url: &str) -> Result<JsValue, Failure> {
    let window = web_sys::window().ok_or(Failure::Unreachable)?;
    let headers = web_sys::Headers::new().map_err(|_| Failure::Unexpected)?;
    let _ = headers.set("accept", "application/json");
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_headers(&headers);
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| Failure::Unreachable)?
        .dyn_into()
        .map_err(|_| Failure::Unexpected)?;
    let status = response.status();
    let body = match response.json() {
        Ok(p) => JsFuture::from(p).await.unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    };
    if (200..300).contains(&status) {
        return Ok(body);
    }
    Err(Failure::Status(
        status,
        field(&body, "error", MAX_TEXT).filter(|e| !e.trim().is_empty()),
    ))
}

/// `url` with `key=value` appended to its query.
pub fn with_query(url: &str, key: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    let value = String::from(js_sys::encode_uri_component(value));
    format!("{url}{sep}{key}={value}")
}

/// `endpoint/<id>` (the id percent-encoded), before any query.
pub fn item_url(endpoint: &str, id: &str) -> String {
    let (path, query) = match endpoint.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (endpoint, None),
    };
    let id = String::from(js_sys::encode_uri_component(id));
    let mut url = format!("{}/{id}", path.trim_end_matches('/'));
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}
