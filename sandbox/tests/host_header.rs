//! The `Host` allowlist (DNS-rebinding defence) on the three origins, over raw HTTP/1.1 so
//! that the `Host` sent is exactly the one written.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{Sandbox, raw};

fn get(origin: &str, path: &str, host: &str) -> (u16, String) {
    raw(origin, &format!("GET {path} HTTP/1.1\r\nHost: {host}"))
}

fn port(origin: &str) -> u16 {
    origin.rsplit(':').next().unwrap().parse().unwrap()
}

/// A path of each origin that answers 200 to a plain GET, and one that is not routed.
fn origins(sb: &Sandbox) -> [(&'static str, String, &'static str); 3] {
    [
        ("host", sb.host.clone(), "/api/integrations"),
        ("connect", sb.connect.clone(), "/api/v1/integrations"),
        ("provider", sb.provider.clone(), "/"),
    ]
}

#[test]
fn foreign_hosts_are_misdirected_on_every_origin() {
    let sb = Sandbox::start();
    for (name, origin, path) in origins(&sb) {
        let p = port(&origin);
        let other = if p == port(&sb.host) {
            port(&sb.connect)
        } else {
            port(&sb.host)
        };
        for host in [
            "evil.example".to_owned(),
            format!("evil.example:{p}"),
            format!("127.0.0.1.evil.example:{p}"),
            format!("localhost.evil.example:{p}"),
            format!("127.0.0.1:{other}"),
            format!("127.0.0.2:{p}"),
        ] {
            for target in [path, "/no-such-page", "/"] {
                let (status, body) = get(&origin, target, &host);
                assert_eq!(status, 421, "{name} {target} Host: {host}: {body}");
                assert_eq!(body.lines().count(), 1, "one line: {body:?}");
                assert!(body.contains(&format!("`{host}`")), "{body}");
                assert!(
                    body.contains("--allowed-hosts") && body.contains(&format!("127.0.0.1:{p}")),
                    "{body}"
                );
            }
        }
        // The request target's authority counts too.
        let (status, _) = raw(
            &origin,
            &format!("GET http://evil.example:{p}{path} HTTP/1.1\r\nHost: 127.0.0.1:{p}"),
        );
        assert_eq!(status, 421, "{name}: absolute-form target");
        // No Host, two Hosts, or a malformed one.
        let (status, _) = raw(&origin, &format!("GET {path} HTTP/1.1"));
        assert_eq!(status, 400, "{name}: no Host");
        let (status, _) = raw(&origin, &format!("GET {path} HTTP/1.0"));
        assert_eq!(status, 400, "{name}: HTTP/1.0 without Host");
        let (status, _) = raw(
            &origin,
            &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{p}\r\nHost: evil.example"),
        );
        assert_eq!(status, 400, "{name}: two Hosts");
        // The origin's own names work.
        for host in [
            format!("127.0.0.1:{p}"),
            format!("localhost:{p}"),
            format!("[::1]:{p}"),
        ] {
            let (status, body) = get(&origin, path, &host);
            assert_eq!(status, 200, "{name} Host: {host}: {body}");
        }
    }
}

#[test]
fn a_foreign_host_cannot_use_the_demo_host_backend() {
    let sb = Sandbox::start();
    let p = port(&sb.host);
    let body = r#"{"integrationName":"openai"}"#;
    // A request with a body, written whole.
    let send = |host: &str| {
        let mut stream = TcpStream::connect(sb.host.trim_start_matches("http://")).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            stream,
            "POST /api/connect-token HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    };
    let refused = send(&format!("rebound.example:{p}"));
    assert!(refused.starts_with("HTTP/1.1 421"), "{refused}");
    assert!(!refused.contains("cst_"), "no token for a foreign Host");
    let minted = send(&format!("127.0.0.1:{p}"));
    assert!(minted.starts_with("HTTP/1.1 200"), "{minted}");
    assert!(minted.contains("cst_"), "{minted}");

    // reqwest keeps an explicit Host header: the same refusal through an ordinary client.
    let res = sb
        .http
        .get(format!("{}/api/connections", sb.host))
        .header("host", "evil.example")
        .send()
        .unwrap();
    assert_eq!(res.status(), 421);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(res.text().unwrap().contains("`evil.example`"));
}

#[test]
fn hosts_named_with_allowed_hosts_are_served() {
    let sb = Sandbox::start_with(&["--allowed-hosts", "app.test, LAN.box:9000"]);
    for (name, origin, path) in origins(&sb) {
        for host in ["app.test", "app.test:4321", "lan.box:9000", "LAN.BOX:9000"] {
            let (status, body) = get(&origin, path, host);
            assert_eq!(status, 200, "{name} Host: {host}: {body}");
        }
        for host in ["lan.box", "lan.box:9001", "api.app.test", "evil.example"] {
            let (status, _) = get(&origin, path, host);
            assert_eq!(status, 421, "{name} Host: {host}");
        }
        let (status, _) = get(&origin, path, &format!("localhost:{}", port(&origin)));
        assert_eq!(status, 200, "{name}: localhost still works");
    }
}
