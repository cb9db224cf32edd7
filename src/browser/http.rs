//! Calls to the host backend: fetching a connect URL and polling the session.

use js_sys::Reflect;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::message::read_field;
use crate::flow::{ErrorCode, FlowError, Millis, PollResult, Target};
use crate::protocol::{Field, MAX_ERROR_LEN, MAX_ID_LEN, PollResponse, SessionStatus};

/// A JSON answer: status, `Retry-After` in milliseconds, parsed body (`null` when not JSON).
pub(crate) struct JsonAnswer {
    /// HTTP status.
    pub status: u16,
    /// `Retry-After`, seconds or HTTP date, as milliseconds from now.
    pub retry_after_ms: Option<Millis>,
    /// The body, parsed; `null` if it was not JSON.
    pub body: JsValue,
}

// The request itself is a few lines of JavaScript: written with web-sys (`Headers`,
// `RequestInit`, `Response`, two awaited promises) it cost about 2 KB more WASM and ten
// more imports in the glue. Everything that decides something stays in Rust.
#[wasm_bindgen(inline_js = r#"
export async function weavz_post_json(url, body, signal) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body,
    signal,
  });
  let json = null;
  try {
    json = JSON.parse(await response.text());
  } catch (_) {}
  return [response.status, response.headers.get('retry-after'), json];
}
"#)]
extern "C" {
    /// Resolves with `[status, retry-after header or null, parsed body or null]`; rejects
    /// when `fetch` does (network error, bad URL).
    #[wasm_bindgen(catch)]
    fn weavz_post_json(
        url: &str,
        body: &str,
        signal: Option<&web_sys::AbortSignal>,
    ) -> Result<js_sys::Promise, JsValue>;
}

/// POSTs `body` (a JSON document) to `url` (relative URLs resolve against the page) with
/// `fetch` and reads a JSON answer. (Plain `fetch` rather than gloo-net: measured, the
/// `http` types gloo-net brings cost more than the whole rest of the core.)
pub(crate) async fn post_json(url: &str, body: &str) -> Result<JsonAnswer, String> {
    post_json_with(url, body, None).await
}

async fn post_json_with(
    url: &str,
    body: &str,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<JsonAnswer, String> {
    let promise = weavz_post_json(url, body, signal).map_err(|e| js_message(&e))?;
    let answer: js_sys::Array = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|e| js_message(&e))?
        .unchecked_into();
    Ok(JsonAnswer {
        status: answer.get(0).as_f64().unwrap_or(0.0) as u16,
        retry_after_ms: answer.get(1).as_string().and_then(|v| parse_retry_after(&v)),
        body: answer.get(2),
    })
}

/// `Retry-After` as milliseconds from now: delta-seconds or an HTTP date.
fn parse_retry_after(v: &str) -> Option<Millis> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u32>() {
        return Some(f64::from(secs) * 1000.0);
    }
    let at = js_sys::Date::parse(v);
    (!at.is_nan()).then(|| (at - js_sys::Date::now()).max(0.0))
}

fn text(obj: &JsValue, key: &str, cap: usize) -> Option<String> {
    match read_field(obj, key, cap) {
        Field::Text(s) if !s.is_empty() => Some(s),
        _ => None,
    }
}

/// A `{error, code}` body as one line for people, or the status: `error (code, HTTP 503)`,
/// `error (HTTP 503)`, `code (HTTP 503)` or `HTTP 503`. (Built by hand, and the status
/// written by JavaScript, so that the WASM carries no integer formatting.)
fn describe_failure(answer: &JsonAnswer) -> String {
    let error = text(&answer.body, "error", MAX_ERROR_LEN);
    let code = text(&answer.body, "code", 64);
    let status = js_sys::Number::from(f64::from(answer.status))
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default();
    let mut out = String::new();
    match (&error, &code) {
        (Some(e), Some(c)) => {
            out.push_str(e);
            out.push_str(" (");
            out.push_str(c);
            out.push_str(", ");
        }
        (Some(words), None) | (None, Some(words)) => {
            out.push_str(words);
            out.push_str(" (");
        }
        (None, None) => {}
    }
    out.push_str("HTTP ");
    out.push_str(&status);
    if error.is_some() || code.is_some() {
        out.push(')');
    }
    out
}

/// Builds a target from a `{token, connectUrl, expiresAt}` object.
pub(crate) fn target_from_object(obj: &JsValue) -> Result<Target, FlowError> {
    let url = text(obj, "connectUrl", 4096)
        .ok_or_else(|| FlowError::new(ErrorCode::Network, "The host backend's answer has no connectUrl."))?;
    let mut target = target_from_url(&url, None).map_err(|_| {
        FlowError::new(
            ErrorCode::Network,
            "The host backend's connectUrl is not an http(s) URL.",
        )
    })?;
    if let Some(token) = text(obj, "token", MAX_ID_LEN) {
        target.token = Some(token);
    }
    target.expires_at = text(obj, "expiresAt", 64)
        .map(|at| js_sys::Date::parse(&at))
        .filter(|ms| ms.is_finite());
    Ok(target)
}

/// A target from a connect URL, resolved against the page when relative is not allowed:
/// the URL must be absolute http(s). The token comes from `token` if given, else from
/// the URL's `token` parameter.
pub fn target_from_url(url: &str, token: Option<String>) -> Result<Target, FlowError> {
    let invalid = || {
        FlowError::new(
            ErrorCode::InvalidOptions,
            format!("connectUrl `{url}` is not an absolute http(s) URL."),
        )
    };
    let parsed = web_sys::Url::new(url).map_err(|_| invalid())?;
    if !matches!(parsed.protocol().as_str(), "http:" | "https:") {
        return Err(invalid());
    }
    let token = token.or_else(|| parsed.search_params().get("token").filter(|t| !t.is_empty()));
    Ok(Target {
        connect_url: parsed.href(),
        origin: parsed.origin(),
        token,
        expires_at: None,
    })
}

/// Asks the host backend's token endpoint for a connect URL.
pub async fn fetch_target(endpoint: &str, body: &str) -> Result<Target, FlowError> {
    let answer = post_json(endpoint, body).await.map_err(|e| {
        FlowError::new(
            ErrorCode::Network,
            format!("The host backend could not be reached: {e}"),
        )
    })?;
    if !(200..300).contains(&answer.status) {
        let mut err = FlowError::new(
            ErrorCode::Network,
            format!(
                "The host backend could not create a connect token: {}",
                describe_failure(&answer)
            ),
        );
        // 4xx other than timeouts and rate limits will not change on retry.
        err.retryable = !(400..500).contains(&answer.status) || matches!(answer.status, 408 | 429);
        return Err(err);
    }
    target_from_object(&answer.body)
}

/// Calls a host-provided `getConnectUrl()` and reads its `{connectUrl, token}` answer.
pub(crate) async fn call_target_fn(f: &js_sys::Function) -> Result<Target, FlowError> {
    let failed = |why: String| FlowError::new(ErrorCode::Network, format!("getConnectUrl failed: {why}"));
    let value = f.call0(&JsValue::UNDEFINED).map_err(|e| failed(js_message(&e)))?;
    let value = match value.dyn_into::<js_sys::Promise>() {
        Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .map_err(|e| failed(js_message(&e)))?,
        Err(value) => value,
    };
    if !value.is_object() {
        return Err(FlowError::new(
            ErrorCode::InvalidOptions,
            "getConnectUrl must return (a promise of) {connectUrl, token, expiresAt}.",
        ));
    }
    target_from_object(&value)
}

/// A thrown JS value as text.
pub(crate) fn js_message(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string().unwrap_or_else(|| "unknown error".into())
}

/// Polls the session through the host backend's session endpoint. `signal` aborts the
/// request (the flow's poll timeout); an aborted poll answers [`PollResult::Retry`].
pub async fn poll(endpoint: &str, token: &str, signal: Option<&web_sys::AbortSignal>) -> PollResult {
    let body = js_sys::JSON::stringify(&{
        let o = js_sys::Object::new();
        let _ = Reflect::set(&o, &"token".into(), &token.into());
        o.into()
    })
    .map(String::from)
    .unwrap_or_default();
    let answer = match post_json_with(endpoint, &body, signal).await {
        Ok(a) => a,
        Err(e) => {
            return PollResult::Retry {
                reason: format!("network: {e}"),
                retry_after_ms: None,
            };
        }
    };
    match answer.status {
        200..=299 => match read_poll(&answer.body) {
            Some(resp) => PollResult::Status(resp),
            // An unknown status or a malformed body: retry until a deadline (it may be a
            // newer server or a proxy hiccup).
            None => PollResult::Retry {
                reason: "the session endpoint's answer is not a session status".into(),
                retry_after_ms: None,
            },
        },
        401 => PollResult::InvalidToken,
        408 | 429 | 500..=599 => PollResult::Retry {
            reason: describe_failure(&answer),
            retry_after_ms: answer.retry_after_ms,
        },
        _ => PollResult::Fatal(describe_failure(&answer)),
    }
}

fn read_poll(body: &JsValue) -> Option<PollResponse> {
    if !body.is_object() {
        return None;
    }
    let status = match text(body, "status", 16)?.as_str() {
        "PENDING" => SessionStatus::Pending,
        "CONNECTING" => SessionStatus::Connecting,
        "COMPLETED" => SessionStatus::Completed,
        "FAILED" => SessionStatus::Failed,
        _ => return None,
    };
    Some(PollResponse {
        status,
        connection_id: text(body, "connectionId", MAX_ID_LEN),
        integration_name: text(body, "integrationName", MAX_ID_LEN),
        external_id: text(body, "externalId", MAX_ID_LEN),
        error: text(body, "error", MAX_ERROR_LEN),
        workspace_integration_id: text(body, "workspaceIntegrationId", MAX_ID_LEN),
        auth_method_key: text(body, "authMethodKey", MAX_ID_LEN),
        oauth_app_mode: text(body, "oauthAppMode", MAX_ID_LEN),
        oauth_app_id: text(body, "oauthAppId", MAX_ID_LEN),
    })
}
