//! Field checks shared by the API handlers.

use crate::error::Validation;

/// A required, non-blank string of at most `max` characters; records a problem otherwise.
pub fn check_text(v: &mut Validation, path: &str, value: Option<&str>, max: usize) -> Option<String> {
    match value {
        None => {
            v.push(path, "is required");
            None
        }
        Some(s) if s.trim().is_empty() => {
            v.push(path, "must not be empty");
            None
        }
        Some(s) if s.chars().count() > max => {
            v.push(path, format!("must be at most {max} characters"));
            None
        }
        Some(s) if s.chars().any(char::is_control) => {
            v.push(path, "must not contain control characters");
            None
        }
        Some(s) => Some(s.to_owned()),
    }
}

/// A required secret of at most `max` characters. Unlike [`check_text`] it allows line
/// breaks (keys and certificates span lines) and keeps the value exactly as given; it
/// must not be blank. Messages never repeat the value.
pub fn check_secret(v: &mut Validation, path: &str, value: Option<&str>, max: usize) -> Option<String> {
    match value {
        None => {
            v.push(path, "is required");
            None
        }
        Some(s) if s.trim().is_empty() => {
            v.push(path, "must not be empty");
            None
        }
        Some(s) if s.chars().count() > max => {
            v.push(path, format!("must be at most {max} characters"));
            None
        }
        Some(s) => Some(s.to_owned()),
    }
}

/// A required UUID, returned in its canonical lowercase form.
pub fn check_uuid(v: &mut Validation, path: &str, value: Option<&str>) -> Option<String> {
    match value {
        None => {
            v.push(path, "is required");
            None
        }
        Some(s) => match uuid::Uuid::parse_str(s) {
            Ok(id) if s.len() == 36 => Some(id.hyphenated().to_string()),
            _ => {
                v.push(path, "must be a UUID");
                None
            }
        },
    }
}

/// Longest redirect URI a token may carry (it is stored with the session).
pub const MAX_REDIRECT_URI_LEN: usize = 4096;

/// A redirect URI: absolute http(s), no fragment, on an allowed opener origin (the
/// sandbox refuses to become an open redirector), at most [`MAX_REDIRECT_URI_LEN`] long.
pub fn parse_redirect_uri(v: &mut Validation, path: &str, raw: &str, allowed: &[String]) -> Option<String> {
    if raw.len() > MAX_REDIRECT_URI_LEN {
        v.push(path, format!("must be at most {MAX_REDIRECT_URI_LEN} characters"));
        return None;
    }
    let Ok(url) = url::Url::parse(raw) else {
        v.push(path, "must be an absolute URL");
        return None;
    };
    if !matches!(url.scheme(), "http" | "https") {
        v.push(path, "must use http or https");
        return None;
    }
    if url.fragment().is_some() {
        v.push(path, "must not contain a fragment");
        return None;
    }
    let origin = url.origin().ascii_serialization();
    if !allowed.iter().any(|a| a == &origin) {
        v.push(
            path,
            format!("origin {origin} is not allowed; add it to WEAVZ_SANDBOX_ALLOWED_ORIGINS"),
        );
        return None;
    }
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_and_uuids() {
        let mut v = Validation::default();
        assert_eq!(check_text(&mut v, "a", Some("ok"), 5).as_deref(), Some("ok"));
        assert!(v.is_empty());
        assert!(check_text(&mut v, "a", Some("toolong"), 5).is_none());
        assert!(check_text(&mut v, "a", Some(" "), 5).is_none());
        assert!(check_text(&mut v, "a", None, 5).is_none());
        assert!(check_text(&mut v, "a", Some("a\u{0}"), 5).is_none());
        let id = "5A4D0B0E-0000-4000-8000-000000000001";
        assert_eq!(check_uuid(&mut v, "w", Some(id)).unwrap(), id.to_lowercase());
        assert!(check_uuid(&mut v, "w", Some("5a4d0b0e00004000800000000000000l")).is_none());
        assert!(!v.is_empty());
    }

    #[test]
    fn secrets_keep_their_exact_value() {
        let mut v = Validation::default();
        let pem = "-----BEGIN KEY-----\nabc\n-----END KEY-----\n";
        assert_eq!(check_secret(&mut v, "s", Some(pem), 100).as_deref(), Some(pem));
        assert_eq!(
            check_secret(&mut v, "s", Some(" k "), 100).as_deref(),
            Some(" k ")
        );
        assert!(v.is_empty());
        assert!(check_secret(&mut v, "s", Some(" \n"), 100).is_none());
        assert!(check_secret(&mut v, "s", None, 100).is_none());
        assert!(check_secret(&mut v, "s", Some("toolong"), 3).is_none());
        let err = v.finish().unwrap_err();
        assert_eq!(err.details.unwrap()["fields"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn redirect_uris_must_be_on_allowed_origins() {
        let allowed = vec!["http://127.0.0.1:8080".to_owned()];
        let mut v = Validation::default();
        assert!(parse_redirect_uri(&mut v, "r", "http://127.0.0.1:8080/done?x=1", &allowed).is_some());
        assert!(v.is_empty());
        for bad in [
            "/relative",
            "javascript:alert(1)",
            "http://127.0.0.1:8080/done#frag",
            "http://127.0.0.1:9999/done",
            "http://evil.example/",
        ] {
            let mut v = Validation::default();
            assert!(parse_redirect_uri(&mut v, "r", bad, &allowed).is_none(), "{bad}");
            assert!(!v.is_empty());
        }
    }
}
