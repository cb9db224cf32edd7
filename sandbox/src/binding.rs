//! Binds hosted sessions to the browser that opened them.
//!
//! The first hosted page a browser loads (`GET /connect?token=…` or the portal) gives it a
//! random browser id in an `HttpOnly`, `SameSite=Lax` cookie scoped to `/connect`. The
//! session (or portal token) remembers that id, and every step that can finish it (the
//! credential form, the portal's start, the OAuth callback) must come from a browser that
//! sends it back. So a token, `code` or `state` an attacker obtained in their own browser
//! does nothing in the victim's; and form posts from another origin are refused outright.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::error::ApiError;
use crate::util::secret;

/// The cookie's name.
pub const COOKIE: &str = "weavz_browser";
const PREFIX: &str = "br_";

/// The browser id the request's cookie carries, if it carries a well-formed one.
pub fn browser_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| {
            v.len() <= 64
                && v.starts_with(PREFIX)
                && v[PREFIX.len()..]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// The request's browser id, or a new one with the `Set-Cookie` value that gives it to
/// the browser.
pub fn ensure_browser(headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    if let Some(id) = browser_id(headers) {
        return (id, None);
    }
    let id = secret(PREFIX);
    let cookie = format!("{COOKIE}={id}; Path=/connect; HttpOnly; SameSite=Lax");
    (id, HeaderValue::from_str(&cookie).ok())
}

/// Adds the `Set-Cookie` from [`ensure_browser`] to a response, if there is one.
pub fn with_cookie(mut res: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(cookie) = cookie {
        res.headers_mut().append(header::SET_COOKIE, cookie);
    }
    res
}

/// Whether the request's browser is the one `bound` names.
pub fn same_browser(headers: &HeaderMap, bound: Option<&str>) -> bool {
    match (browser_id(headers), bound) {
        (Some(id), Some(bound)) => crate::util::secrets_equal(&id, bound),
        _ => false,
    }
}

/// The error page for a step taken in a browser the session is not bound to.
pub fn other_browser() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "BROWSER_MISMATCH",
        "This connect link belongs to another browser window. Nothing was saved. \
         Close this window and start again from the app.",
    )
}

/// Refuses a form post that another site sent.
///
/// Browsers send `Sec-Fetch-Site` (Chromium, Firefox, Safari); anything but `same-origin`
/// is refused. A hosted page's own posts carry `Origin: null`, since its
/// `Referrer-Policy` is `no-referrer`, so `null` is only accepted with
/// `Sec-Fetch-Site: same-origin`; any other `Origin` must be the connect origin. A client
/// that sends neither (not a browser) gets through to the cookie check.
pub fn same_origin_post(headers: &HeaderMap, connect_origin: &str) -> Result<(), ApiError> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let site = get("sec-fetch-site");
    let refused = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "CROSS_SITE_REQUEST",
            "This form was sent from another site, so it was refused and nothing was saved. \
             Close this window and start again from the app.",
        )
    };
    if let Some(site) = site
        && site != "same-origin"
    {
        return Err(refused());
    }
    match get("origin") {
        None => Ok(()),
        Some("null") if site == Some("same-origin") => Ok(()),
        Some(origin) if origin == connect_origin => Ok(()),
        Some(_) => Err(refused()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn reads_only_well_formed_browser_ids() {
        assert_eq!(
            browser_id(&headers(&[("cookie", "a=1; weavz_browser=br_abc-_9; b=2")])).as_deref(),
            Some("br_abc-_9")
        );
        assert_eq!(browser_id(&headers(&[("cookie", "weavz_browser=nope")])), None);
        assert_eq!(browser_id(&headers(&[("cookie", "weavz_browser=br_a b")])), None);
        assert_eq!(browser_id(&headers(&[])), None);
        let (id, cookie) = ensure_browser(&headers(&[]));
        let cookie = cookie.unwrap();
        let cookie = cookie.to_str().unwrap();
        assert!(cookie.starts_with(&format!("weavz_browser={id};")));
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax")
                && cookie.contains("Path=/connect")
        );
        assert!(!same_browser(&headers(&[]), Some(&id)));
        assert!(!same_browser(
            &headers(&[("cookie", &format!("weavz_browser={id}"))]),
            None
        ));
        assert!(same_browser(
            &headers(&[("cookie", &format!("weavz_browser={id}"))]),
            Some(&id)
        ));
    }

    #[test]
    fn refuses_cross_site_posts() {
        let c = "http://127.0.0.1:4000";
        assert!(same_origin_post(&headers(&[]), c).is_ok());
        assert!(same_origin_post(&headers(&[("origin", c)]), c).is_ok());
        assert!(
            same_origin_post(
                &headers(&[("origin", "null"), ("sec-fetch-site", "same-origin")]),
                c
            )
            .is_ok()
        );
        assert!(same_origin_post(&headers(&[("origin", "null")]), c).is_err());
        assert!(same_origin_post(&headers(&[("origin", "http://127.0.0.1:4001")]), c).is_err());
        assert!(same_origin_post(&headers(&[("sec-fetch-site", "same-site")]), c).is_err());
        assert!(same_origin_post(&headers(&[("sec-fetch-site", "cross-site"), ("origin", c)]), c).is_err());
    }
}
