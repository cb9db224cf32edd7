//! Server-rendered HTML: the page shell, security headers, error pages.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::util::escape_html;

/// Builds a complete HTML document. `body` must already be escaped.
pub fn document(title: &str, stylesheet: &str, body: &str, scripts: &[&str]) -> String {
    let scripts: String = scripts
        .iter()
        .map(|src| format!("<script src=\"{}\"></script>", escape_html(src)))
        .collect();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"{}\"></head>\
         <body>{body}{scripts}</body></html>\n",
        escape_html(title),
        escape_html(stylesheet),
    )
}

/// Headers every sandbox page carries, with the page's own `Content-Security-Policy`.
pub fn html_response(status: StatusCode, csp: &str, html: String) -> Response {
    let mut res = (status, html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure_headers(h, csp);
    res
}

/// Adds CSP, `Referrer-Policy: no-referrer`, framing and sniffing protection, no caching.
pub fn secure_headers(h: &mut HeaderMap, csp: &str) {
    if let Ok(v) = HeaderValue::from_str(csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// Whether the client prefers a JSON error body to an HTML page.
pub fn wants_json(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("application/json") && !accept.contains("text/html")
}

/// A static asset with a long-lived but revalidated cache policy.
pub fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

/// An error as an HTML page (for people) or as the Weavz JSON body (for `Accept:
/// application/json` clients), with the same status either way.
pub fn error_page(
    headers: &HeaderMap,
    csp: &str,
    stylesheet: &str,
    err: ApiError,
    scripts: &[&str],
) -> Response {
    if wants_json(headers) {
        let mut res = err.into_response();
        secure_headers(res.headers_mut(), csp);
        return res;
    }
    let body = format!(
        "<main class=\"card\" role=\"main\"><h1>Something went wrong</h1>\
         <p class=\"error\" role=\"alert\">{}</p><p class=\"muted\">Error code: <code>{}</code></p>\
         <p class=\"muted\">Close this window and start again from the app.</p></main>",
        escape_html(&err.message),
        escape_html(err.code),
    );
    html_response(
        err.status,
        csp,
        document("Weavz connect: error", stylesheet, &body, scripts),
    )
}
