//! The `weavz-sandbox` command line: ports from flags and environment, printed URLs,
//! clear failures.

mod common;

use std::net::TcpListener;

use common::{command, read_banner};

#[test]
fn ports_come_from_the_environment_and_urls_are_printed() {
    let mut child = command()
        .env("WEAVZ_SANDBOX_HOST_PORT", "0")
        .env("WEAVZ_SANDBOX_CONNECT_PORT", "0")
        .env("WEAVZ_SANDBOX_PROVIDER_PORT", "0")
        .env("WEAVZ_API_KEY", "wvz_from_env")
        .spawn()
        .unwrap();
    let banner = read_banner(&mut child);
    let _ = child.kill();
    let _ = child.wait();
    for origin in ["host", "connect", "provider"] {
        let url = &banner[origin];
        assert!(url.starts_with("http://127.0.0.1:"), "{origin}: {url}");
        let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
        assert_ne!(port, 0);
    }
    assert_eq!(banner["api key"], "wvz_from_env");
    let ports: std::collections::HashSet<_> = ["host", "connect", "provider"]
        .iter()
        .map(|o| &banner[*o])
        .collect();
    assert_eq!(ports.len(), 3, "three distinct origins");
}

#[test]
fn flags_choose_ports() {
    // Reserve a free port, release it and ask for it explicitly.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = command()
        .args([
            "--host-port",
            &port.to_string(),
            "--connect-port",
            "0",
            "--provider-port",
            "0",
        ])
        .spawn()
        .unwrap();
    let banner = read_banner(&mut child);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(banner["host"], format!("http://127.0.0.1:{port}"));
}

fn fails_with(args: &[&str], env: &[(&str, &str)], expected: &str) {
    let mut cmd = command();
    cmd.args(["--host-port", "0", "--connect-port", "0", "--provider-port", "0"])
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(expected), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_configuration_is_a_clear_error() {
    fails_with(&["--allowed-origins", "ftp://x.example"], &[], "http or https");
    fails_with(
        &[],
        &[("WEAVZ_SANDBOX_ALLOWED_ORIGINS", "https://a.example/path")],
        "without a path",
    );
    fails_with(&["--workspace-id", "nope"], &[], "not a UUID");
    fails_with(&["--api-key", ""], &[], "must not be empty");
    let out = command().args(["--host-port", "seventy"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value 'seventy'"));
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = command()
        .args([
            "--host-port",
            "0",
            "--connect-port",
            &port,
            "--provider-port",
            "0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "cannot listen on 127.0.0.1:{port} for the connect origin"
        )),
        "{stderr}"
    );
}

#[test]
fn malformed_allowed_hosts_are_a_clear_error() {
    fails_with(
        &["--allowed-hosts", "http://app.test"],
        &[],
        "allowed host `http://app.test` is a URL",
    );
    fails_with(&["--allowed-hosts", "app.test,*"], &[], "wildcard");
    fails_with(
        &[],
        &[("WEAVZ_SANDBOX_ALLOWED_HOSTS", "app.test:99999")],
        "allowed host `app.test:99999` has a port that is not a number from 1 to 65535",
    );
    fails_with(&["--allowed-hosts", "app.test/x"], &[], "expected host[:port]");
}
