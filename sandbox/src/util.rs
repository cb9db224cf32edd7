//! Small helpers: random identifiers, timestamps, PKCE.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::format_description;

/// Largest request body any origin accepts (64 KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A typed answer as the JSON value the sandbox sends: a `serde_json::Value` keeps its keys
/// sorted, so an answer built from `protocol`'s types has the same bytes as the
/// hand-built ones it replaces.
pub fn wire_json<T: serde::Serialize>(answer: &T) -> serde_json::Value {
    // Only maps with non-string keys fail to serialize; the wire types have none.
    serde_json::to_value(answer).expect("a wire type always serializes to JSON")
}

/// `n` random bytes from the operating system's generator.
fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS generator only fails on platforms we do not run on; a sandbox that cannot
    // make secrets must not start handing out predictable ones.
    getrandom::fill(&mut buf).expect("operating system random number generator failed");
    buf
}

/// A random, URL-safe secret with the given prefix and 192 bits of entropy.
pub fn secret(prefix: &str) -> String {
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(random_bytes::<24>()))
}

/// A random UUID (v4) as a string.
pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The PKCE S256 challenge of a verifier (RFC 7636 §4.2).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A new PKCE verifier: 32 random bytes, base64url (43 characters).
pub fn pkce_verifier() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// Compares two secrets without leaking where they differ through timing.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    let (da, db) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    da.iter().zip(db.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Now, in UTC.
pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// ISO-8601 with millisecond precision and a `Z`, like JavaScript's `toISOString()`.
pub fn iso(t: OffsetDateTime) -> String {
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Serialises a value as JSON that is safe inside a `<script type="application/json">`.
pub fn json_for_script(value: &serde_json::Value) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_rfc7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(pkce_verifier().len(), 43);
    }

    #[test]
    fn secrets_are_prefixed_unique_and_url_safe() {
        let (a, b) = (secret("cst_"), secret("cst_"));
        assert_ne!(a, b);
        assert!(a.starts_with("cst_") && a.len() == 36);
        assert!(
            a[4..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert!(secrets_equal(&a, &a.clone()));
        assert!(!secrets_equal(&a, &b));
    }

    #[test]
    fn iso_has_millis_and_z() {
        let t = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        assert_eq!(iso(t), "2023-11-14T22:13:20.000Z");
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        let v = serde_json::json!({"s": "</script><b>&"});
        assert!(!json_for_script(&v).contains('<'));
    }
}
