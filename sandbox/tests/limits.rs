//! What a client may make the sandbox store or wait for: long `state` / `scope` on the
//! provider's authorize endpoint, and consent delays.

mod common;

use std::time::{Duration, Instant};

use common::{Sandbox, WORKSPACE};
use serde_json::{Value, json};

fn authorize_url(sb: &Sandbox, state: &str, scope: &str, extra: &[(&str, &str)]) -> url::Url {
    let mut url = url::Url::parse(&format!("{}/oauth/slack/authorize", sb.provider)).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", "weavz-sandbox-slack")
        .append_pair(
            "redirect_uri",
            &format!("{}/connect/oauth/callback/slack", sb.connect),
        )
        .append_pair("state", state)
        .append_pair("scope", scope)
        .append_pair("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        .append_pair("code_challenge_method", "S256")
        .extend_pairs(extra);
    url
}

#[test]
fn long_state_or_scope_is_refused_before_anything_is_stored() {
    let sb = Sandbox::start();
    let max = "s".repeat(2048);
    let over = "s".repeat(2049);
    let res = sb.http.get(authorize_url(&sb, &max, &max, &[])).send().unwrap();
    assert_eq!(res.status(), 200, "the longest allowed: the consent page");
    for (state, scope, says) in [
        (over.as_str(), "chat:write", "state is longer than 2048 bytes"),
        ("st_1", over.as_str(), "scope is longer than 2048 bytes"),
        (
            &"x".repeat(8192)[..],
            &"y".repeat(8192)[..],
            "longer than 2048 bytes",
        ),
    ] {
        let res = sb.http.get(authorize_url(&sb, state, scope, &[])).send().unwrap();
        assert_eq!(res.status(), 400, "{says}");
        assert!(
            res.headers().get("location").is_none(),
            "not echoed back in a redirect"
        );
        let html = res.text().unwrap();
        assert!(html.contains(says), "{html}");
        assert!(!html.contains(&over), "the value is not echoed");
    }
    let res = sb
        .http
        .get(authorize_url(&sb, &over, "", &[]))
        .header("accept", "application/json")
        .send()
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().unwrap()["code"], "INVALID_REQUEST");
}

#[test]
fn consent_delays_are_capped_at_five_seconds() {
    let sb = Sandbox::start();
    let knob = |ms: u64| {
        sb.post(
            "/connect/token",
            json!({ "integrationName": "slack", "connectionName": "Slack", "externalId": "u",
                    "workspaceId": WORKSPACE, "sandbox": { "consentDelayMs": ms } }),
        )
    };
    assert_eq!(knob(5000).status(), 200);
    let res = knob(5001);
    assert_eq!(res.status(), 400);
    let body: Value = res.json().unwrap();
    assert_eq!(
        body["details"]["fields"][0]["path"], "sandbox.consentDelayMs",
        "{body}"
    );
    assert!(
        body["details"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("5000")
    );

    // The provider's own parameter is shortened to the cap, not honoured.
    let started = Instant::now();
    let res = sb
        .http
        .get(authorize_url(
            &sb,
            "st_delay",
            "chat:write",
            &[("sandbox_delay_ms", "120000")],
        ))
        .send()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(res.status(), 200);
    assert!(took >= Duration::from_millis(4900), "{took:?}");
    assert!(took < Duration::from_secs(15), "clamped to 5 s, took {took:?}");
}

#[test]
fn long_redirect_uris_are_refused() {
    let sb = Sandbox::start();
    let token = |uri: String| {
        sb.post(
            "/connect/token",
            json!({ "integrationName": "openai", "connectionName": "OpenAI", "externalId": "u",
                    "workspaceId": WORKSPACE, "successRedirectUri": uri }),
        )
    };
    let base = format!("{}/back?pad=", sb.host);
    let fits = format!("{base}{}", "a".repeat(4096 - base.len()));
    assert_eq!(token(fits.clone()).status(), 200);
    let res = token(format!("{fits}a"));
    assert_eq!(res.status(), 400);
    let body: Value = res.json().unwrap();
    assert_eq!(body["details"]["fields"][0]["path"], "successRedirectUri");
    assert!(
        body["details"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("4096")
    );
}
