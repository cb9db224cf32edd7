//! The `Host` header allowlist, a defence against DNS rebinding: a page whose name
//! resolves to 127.0.0.1 after it has loaded could otherwise call any sandbox origin as
//! its own (same-origin), and the demo host backend relays to real Weavz with a real key.
//!
//! Each origin answers only requests addressed to it: `127.0.0.1:<port>`,
//! `localhost:<port>` or `[::1]:<port>` (its own port), or a host named with
//! `--allowed-hosts` / `WEAVZ_SANDBOX_ALLOWED_HOSTS`. Anything else is 421 Misdirected
//! Request with a one-line reason; a request without a usable `Host` is 400.
//!
//! This module is the one place that parses the option and checks requests.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// One entry of `--allowed-hosts`: a host name or IP address, and optionally a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    /// Lower case; an IPv6 address in brackets (`[::1]`).
    pub host: String,
    /// `None`: any port (or none) is accepted with this host.
    pub port: Option<u16>,
}

/// Parses the `--allowed-hosts` list (blank entries are ignored). The error names the
/// entry and says what is expected.
pub fn parse_allowed_hosts(entries: &[String]) -> Result<Vec<AllowedHost>, String> {
    entries
        .iter()
        .map(|e| e.trim())
        .filter(|e| !e.is_empty())
        .map(parse_allowed_host)
        .collect()
}

fn parse_allowed_host(raw: &str) -> Result<AllowedHost, String> {
    let bad = |why: &str| {
        format!("allowed host `{raw}` {why}; expected host[:port], e.g. `app.test` or `app.test:8080`")
    };
    if raw.contains("://") {
        return Err(bad("is a URL, not a host"));
    }
    if raw == "*" || raw.contains('*') {
        return Err(bad(
            "has a wildcard, which would turn the DNS-rebinding check off; name each host",
        ));
    }
    if raw.contains(['/', '?', '#', '@', ' ']) {
        return Err(bad("has characters a host cannot have"));
    }
    let (host, port) = split_host_port(raw).ok_or_else(|| bad("is not a host name or address"))?;
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(p) if p != 0 => Some(p),
            _ => return Err(bad("has a port that is not a number from 1 to 65535")),
        },
    };
    let host = normalise_host(host).ok_or_else(|| bad("is not a host name or address"))?;
    Ok(AllowedHost { host, port })
}

/// Splits `host[:port]` (`[v6]` or `[v6]:port` for IPv6). `None` when malformed.
fn split_host_port(raw: &str) -> Option<(&str, Option<&str>)> {
    if raw.starts_with('[') {
        let end = raw.find(']')?;
        let (host, rest) = raw.split_at(end + 1);
        return match rest {
            "" => Some((host, None)),
            _ => Some((host, Some(rest.strip_prefix(':')?))),
        };
    }
    match raw.split_once(':') {
        None => Some((raw, None)),
        Some((host, port)) if !port.contains(':') => Some((host, Some(port))),
        // An IPv6 address without brackets: not a valid Host.
        Some(_) => None,
    }
}

/// A host in the form requests are compared in: lower-case name, dotted IPv4, or
/// bracketed compressed IPv6. `None` for anything that is not a host.
fn normalise_host(host: &str) -> Option<String> {
    if host.is_empty() {
        return None;
    }
    match url::Host::parse(host).ok()? {
        url::Host::Domain(d) => {
            // `url` accepts names a Host header cannot carry (it percent-decodes, allows
            // `_`); keep to letters, digits, `-`, `_` and dots.
            let ok = d
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
            ok.then(|| d.to_ascii_lowercase())
        }
        url::Host::Ipv4(ip) => Some(ip.to_string()),
        url::Host::Ipv6(ip) => Some(format!("[{ip}]")),
    }
}

/// The check for one origin: the port it listens on and the extra allowed hosts.
#[derive(Debug, Clone)]
pub struct HostCheck {
    port: u16,
    extra: Arc<Vec<AllowedHost>>,
}

/// Why a request was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No `Host` header, more than one, or one that is not `host[:port]`.
    BadHost,
    /// A well-formed host that this origin does not answer to.
    Foreign(String),
}

impl HostCheck {
    /// The check for an origin listening on `port`.
    pub fn new(port: u16, extra: Arc<Vec<AllowedHost>>) -> Self {
        HostCheck { port, extra }
    }

    /// Checks the value of a request's `Host` header (`None`: there was none).
    pub fn check(&self, value: Option<&str>) -> Result<(), Refusal> {
        let value = value.ok_or(Refusal::BadHost)?;
        let (host, port) = split_host_port(value).ok_or(Refusal::BadHost)?;
        let port = match port {
            // No port: the scheme's default, and the sandbox only speaks http.
            None => None,
            Some(p) => Some(p.parse::<u16>().map_err(|_| Refusal::BadHost)?),
        };
        let host = normalise_host(host).ok_or(Refusal::BadHost)?;
        let loopback = matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]");
        if loopback && port.unwrap_or(80) == self.port {
            return Ok(());
        }
        let named = self
            .extra
            .iter()
            .any(|a| a.host == host && (a.port.is_none() || a.port == port));
        if named {
            return Ok(());
        }
        Err(Refusal::Foreign(value.to_owned()))
    }

    /// The one-line answer to a refused request.
    fn refuse(&self, why: Refusal) -> Response {
        let (status, text) = match why {
            Refusal::BadHost => (
                StatusCode::BAD_REQUEST,
                "Bad request: a single Host header of the form host[:port] is required.\n".to_owned(),
            ),
            Refusal::Foreign(host) => {
                let host: String = host.chars().filter(|c| c.is_ascii_graphic()).take(200).collect();
                (
                    StatusCode::MISDIRECTED_REQUEST,
                    format!(
                        "Host `{host}` is not served here (DNS-rebinding defence): use 127.0.0.1:{port}, \
                         localhost:{port} or [::1]:{port}, or allow it with --allowed-hosts {host} \
                         (WEAVZ_SANDBOX_ALLOWED_HOSTS).\n",
                        port = self.port,
                    ),
                )
            }
        };
        let mut res = (status, text).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        res
    }
}

/// The middleware: refuses a request whose `Host` (or absolute-form request target) is
/// not this origin's.
pub async fn guard(State(check): State<HostCheck>, request: Request, next: Next) -> Response {
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let host = match (hosts.next(), hosts.next()) {
        (Some(v), None) => v.to_str().ok(),
        _ => None,
    };
    if let Err(why) = check.check(host) {
        return check.refuse(why);
    }
    // `GET http://evil.example/ HTTP/1.1`: the target's authority wins over Host (RFC
    // 9112 §3.2.2), so it must pass too.
    if let Some(authority) = request.uri().authority()
        && let Err(why) = check.check(Some(authority.as_str()))
    {
        return check.refuse(why);
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(list: &[&str]) -> Result<Vec<AllowedHost>, String> {
        parse_allowed_hosts(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn the_option_is_parsed_and_checked() {
        assert_eq!(
            entries(&["App.Test", " lan.box:8080 ", "", "[::1]:9000", "10.0.0.5"]).unwrap(),
            vec![
                AllowedHost {
                    host: "app.test".into(),
                    port: None
                },
                AllowedHost {
                    host: "lan.box".into(),
                    port: Some(8080)
                },
                AllowedHost {
                    host: "[::1]".into(),
                    port: Some(9000)
                },
                AllowedHost {
                    host: "10.0.0.5".into(),
                    port: None
                },
            ]
        );
        for (bad, says) in [
            ("http://app.test", "is a URL"),
            ("*", "wildcard"),
            ("*.app.test", "wildcard"),
            ("app.test/path", "characters"),
            ("app.test:http", "port"),
            ("app.test:0", "port"),
            ("app.test:70000", "port"),
            ("::1", "not a host"),
            ("[::1", "not a host"),
            (":8080", "not a host"),
            ("a%2Fb", "not a host"),
        ] {
            let err = entries(&[bad]).unwrap_err();
            assert!(
                err.contains(&format!("`{bad}`")) && err.contains(says),
                "{bad}: {err}"
            );
            assert!(err.contains("host[:port]"), "{err}");
        }
    }

    #[test]
    fn only_the_origins_own_names_and_the_listed_hosts_pass() {
        let extra = Arc::new(entries(&["app.test", "lan.box:9000"]).unwrap());
        let check = HostCheck::new(8081, extra);
        for ok in [
            "127.0.0.1:8081",
            "localhost:8081",
            "LOCALHOST:8081",
            "[::1]:8081",
            "app.test",
            "app.test:1234",
            "lan.box:9000",
        ] {
            assert_eq!(check.check(Some(ok)), Ok(()), "{ok}");
        }
        for foreign in [
            "evil.example",
            "evil.example:8081",
            "127.0.0.1.evil.example:8081",
            "localhost.evil.example:8081",
            "127.0.0.1:8082",
            "127.0.0.1",
            "localhost",
            "127.0.0.2:8081",
            "lan.box",
            "lan.box:9001",
            "0.0.0.0:8081",
        ] {
            assert_eq!(
                check.check(Some(foreign)),
                Err(Refusal::Foreign(foreign.into())),
                "{foreign}"
            );
        }
        for bad in [
            None,
            Some(""),
            Some("a b"),
            Some("::1:8081"),
            Some("host:port"),
            Some("h:99999"),
        ] {
            assert_eq!(check.check(bad), Err(Refusal::BadHost), "{bad:?}");
        }
        // Port 80 is what a browser leaves out.
        let on_80 = HostCheck::new(80, Arc::new(Vec::new()));
        assert_eq!(on_80.check(Some("127.0.0.1")), Ok(()));
        assert_eq!(on_80.check(Some("localhost:80")), Ok(()));
    }
}
