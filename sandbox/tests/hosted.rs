//! The hosted connect page, the OAuth2 leg and the demo host backend, driven over HTTP.
//! (The browser half of the same flows is in `e2e/`.)

mod common;

use common::{Sandbox, WORKSPACE, attr_value, finish_config, location, query_param};
use serde_json::{Value, json};

fn submit(sb: &Sandbox, fields: &[(&str, &str)]) -> reqwest::blocking::Response {
    sb.http
        .post(format!("{}/connect/submit", sb.connect))
        .form(fields)
        .send()
        .unwrap()
}

#[test]
fn api_key_form_validates_then_completes_once() {
    let sb = Sandbox::start();
    let (token, url) = sb.token("openai", json!({}));
    let res = sb.http.get(&url).send().unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-frame-options"], "DENY");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let html = res.text().unwrap();
    assert!(html.contains(">API key</label>") && html.contains(">Connect</button>"));
    assert!(!html.contains("<script>"), "no inline scripts");
    assert_eq!(sb.poll(&token)["status"], "CONNECTING");

    // Server-side validation: the error is shown in the form, nothing is stored.
    let res = submit(&sb, &[("token", &token), ("secretText", "not-a-key")]);
    assert_eq!(res.status(), 422);
    let html = res.text().unwrap();
    assert!(html.contains("OpenAI API keys start with"), "{html}");
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(!html.contains("not-a-key"), "secrets are not echoed back");
    assert!(sb.connections().is_empty());
    assert_eq!(sb.poll(&token)["status"], "CONNECTING");

    let res = submit(
        &sb,
        &[("token", &token), ("secretText", "sk-live-0123456789abcdef")],
    );
    assert_eq!(res.status(), 200);
    let config = finish_config(&res.text().unwrap());
    let conns = sb.connections();
    assert_eq!(conns.len(), 1);
    let id = conns[0]["id"].as_str().unwrap();
    assert_eq!(
        config["message"],
        json!({"type": "weavz-connect-result", "status": "success", "connectionId": id,
               "integrationName": "openai", "externalId": "user-1"})
    );
    assert_eq!(config["targets"], json!([sb.host]));
    assert_eq!(config["redirect"], Value::Null);
    let poll = sb.poll(&token);
    assert_eq!(poll["status"], "COMPLETED");
    assert_eq!(poll["connectionId"], id);
    assert_eq!(conns[0]["type"], "SECRET_TEXT");
    assert_eq!(conns[0]["displayName"], "openai test");

    // A used token: a clear error, nothing stored.
    let res = sb.http.get(&url).send().unwrap();
    assert_eq!(res.status(), 409);
    assert!(res.text().unwrap().contains("already been used"));
    let res = submit(
        &sb,
        &[("token", &token), ("secretText", "sk-other-0123456789abcdef")],
    );
    assert_eq!(res.status(), 409);
    let res = sb
        .http
        .post(format!("{}/connect/submit", sb.connect))
        .header("accept", "application/json")
        .form(&[
            ("token", token.as_str()),
            ("secretText", "sk-other-0123456789abcdef"),
        ])
        .send()
        .unwrap();
    assert_eq!(res.status(), 409);
    assert_eq!(res.json::<Value>().unwrap()["code"], "TOKEN_ALREADY_USED");
    assert_eq!(sb.connections().len(), 1);
}

#[test]
fn unknown_and_missing_tokens_get_error_pages() {
    let sb = Sandbox::start();
    let res = sb
        .http
        .get(format!("{}/connect?token=cst_bogus", sb.connect))
        .send()
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(res.text().unwrap().contains("invalid or has expired"));
    let res = sb
        .http
        .get(format!("{}/connect?token=cst_bogus", sb.connect))
        .header("accept", "application/json")
        .send()
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<Value>().unwrap()["code"], "INVALID_TOKEN");
    let res = sb
        .http
        .get(format!("{}/connect", sb.connect))
        .header("accept", "application/json")
        .send()
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().unwrap()["code"], "MISSING_TOKEN");
    let res = submit(&sb, &[("token", "cst_bogus"), ("secretText", "sk-x")]);
    assert_eq!(res.status(), 401);
    // An oversized form with a live token: 413, nothing stored, the session goes on.
    let (token, url) = sb.token("openai", json!({}));
    sb.http.get(&url).send().unwrap();
    let huge = "k".repeat(70 * 1024);
    let res = sb
        .http
        .post(format!("{}/connect/submit", sb.connect))
        .header("accept", "application/json")
        .form(&[("token", token.as_str()), ("secretText", huge.as_str())])
        .send()
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(res.json::<Value>().unwrap()["code"], "PAYLOAD_TOO_LARGE");
    assert_eq!(sb.poll(&token)["status"], "CONNECTING");
    // Malformed links: duplicated parameters are refused with a page that keeps the headers.
    let res = sb.http.get(format!("{url}&token=cst_other")).send().unwrap();
    assert_eq!(res.status(), 400);
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let res = sb
        .http
        .get(format!(
            "{}/connect/oauth/callback/slack?code=a&code=b&state=x",
            sb.connect
        ))
        .header("accept", "application/json")
        .send()
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().unwrap()["code"], "VALIDATION_ERROR");
    assert!(sb.connections().is_empty());
}

#[test]
fn basic_and_custom_auth_forms() {
    let sb = Sandbox::start();
    let (_, url) = sb.token("smtp", json!({}));
    let html = sb.http.get(&url).send().unwrap().text().unwrap();
    assert!(html.contains(">Username</label>") && html.contains(">Password</label>"));

    let (token, url) = sb.token("zendesk", json!({}));
    let html = sb.http.get(&url).send().unwrap().text().unwrap();
    assert_eq!(html.matches("<label for=").count(), 3);
    let res = submit(
        &sb,
        &[
            ("token", &token),
            ("subdomain", "Not Valid"),
            ("email", "x"),
            ("apiToken", ""),
        ],
    );
    assert_eq!(res.status(), 422);
    let html = res.text().unwrap();
    assert_eq!(html.matches("class=\"field-error\"").count(), 3);
    assert!(html.contains("value=\"Not Valid\""), "non-secret values are kept");
    let res = submit(
        &sb,
        &[
            ("token", &token),
            ("subdomain", "acme"),
            ("email", "agent@acme.test"),
            ("apiToken", "tok-123"),
        ],
    );
    assert_eq!(res.status(), 200);
    let conns = sb.connections();
    assert_eq!(conns[0]["type"], "CUSTOM_AUTH");
}

#[test]
fn oauth2_approve_flow_with_pkce() {
    let sb = Sandbox::start();
    let (token, url) = sb.token("slack", json!({}));
    let res = sb.http.get(&url).send().unwrap();
    assert_eq!(res.status(), 302);
    let authorize = location(&res);
    assert!(authorize.starts_with(&format!("{}/oauth/slack/authorize?", sb.provider)));
    assert_eq!(
        query_param(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(query_param(&authorize, "code_challenge").unwrap().len(), 43);
    assert_eq!(
        query_param(&authorize, "redirect_uri").unwrap(),
        format!("{}/connect/oauth/callback/slack", sb.connect)
    );
    assert_eq!(sb.poll(&token)["status"], "CONNECTING");

    let callback = sb.oauth_until_callback(&url, "approve");
    assert!(callback.starts_with(&format!("{}/connect/oauth/callback/slack?", sb.connect)));
    assert_eq!(
        query_param(&callback, "iss").unwrap(),
        format!("{}/oauth/slack", sb.provider)
    );
    let res = sb.http.get(&callback).send().unwrap();
    assert_eq!(res.status(), 200);
    let config = finish_config(&res.text().unwrap());
    assert_eq!(config["message"]["status"], "success");
    let poll = sb.poll(&token);
    assert_eq!(poll["status"], "COMPLETED");
    assert_eq!(config["message"]["connectionId"], poll["connectionId"]);
    let conns = sb.connections();
    assert_eq!(conns.len(), 1);
    assert_eq!(conns[0]["type"], "OAUTH2");
    assert!(
        !conns[0].to_string().contains("at_"),
        "access tokens never leave the sandbox"
    );

    // Replaying the callback: the state is one-time.
    let res = sb
        .http
        .get(&callback)
        .header("accept", "application/json")
        .send()
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().unwrap()["code"], "INVALID_STATE");
    assert_eq!(sb.connections().len(), 1);
}

#[test]
fn oauth2_deny_fails_the_session() {
    let sb = Sandbox::start();
    let (token, url) = sb.token("github", json!({}));
    let callback = sb.oauth_until_callback(&url, "deny");
    assert_eq!(query_param(&callback, "error").as_deref(), Some("access_denied"));
    let config = finish_config(&sb.http.get(&callback).send().unwrap().text().unwrap());
    assert_eq!(
        config["message"],
        json!({"type": "weavz-connect-result", "status": "error", "error": "Access was denied at GitHub."})
    );
    let poll = sb.poll(&token);
    assert_eq!(poll["status"], "FAILED");
    assert_eq!(poll["error"], "Access was denied at GitHub.");
    assert!(sb.connections().is_empty());
}

#[test]
fn oauth2_rejects_wrong_state_verifier_and_redirect() {
    let sb = Sandbox::start();
    let (token, url) = sb.token("google-sheets", json!({}));
    let callback = sb.oauth_until_callback(&url, "approve");
    let code = query_param(&callback, "code").unwrap();

    // A forged state is refused and changes nothing.
    let forged = callback.replace(&query_param(&callback, "state").unwrap(), "st_forged");
    let res = sb
        .http
        .get(&forged)
        .header("accept", "application/json")
        .send()
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().unwrap()["code"], "INVALID_STATE");
    assert_eq!(sb.poll(&token)["status"], "CONNECTING");

    // The token endpoint checks client, redirect URI and the PKCE verifier.
    let token_url = format!("{}/oauth/google-sheets/token", sb.provider);
    let redirect_uri = format!("{}/connect/oauth/callback/google-sheets", sb.connect);
    let exchange = |secret: &str, redirect: &str, verifier: &str| {
        sb.http
            .post(&token_url)
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", redirect),
                ("client_id", "weavz-sandbox-google-sheets"),
                ("client_secret", secret),
                ("code_verifier", verifier),
            ])
            .send()
            .unwrap()
    };
    let res = exchange("wrong", &redirect_uri, &"v".repeat(43));
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<Value>().unwrap()["error"], "invalid_client");
    let res = exchange("sandbox-secret-google-sheets", &redirect_uri, &"v".repeat(43));
    assert_eq!(res.status(), 400);
    let body: Value = res.json().unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_description"], "PKCE verification failed.");

    // The code was burnt by the failed attempt, so the real callback now fails cleanly.
    let res = sb.http.get(&callback).send().unwrap();
    assert_eq!(res.status(), 200);
    let config = finish_config(&res.text().unwrap());
    assert_eq!(config["message"]["status"], "error");
    assert!(
        config["message"]["error"]
            .as_str()
            .unwrap()
            .contains("Token exchange")
    );
    assert_eq!(sb.poll(&token)["status"], "FAILED");
    assert!(sb.connections().is_empty());

    // The provider never redirects to an unregistered URI.
    let bad = format!(
        "{}/oauth/slack/authorize?response_type=code&client_id=weavz-sandbox-slack&redirect_uri=https%3A%2F%2Fevil.example%2F&state=s&code_challenge={}&code_challenge_method=S256",
        sb.provider,
        "c".repeat(43)
    );
    let res = sb.http.get(&bad).send().unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
    // Missing PKCE is sent back as invalid_request.
    let no_pkce = format!(
        "{}/oauth/slack/authorize?response_type=code&client_id=weavz-sandbox-slack&redirect_uri={}&state=s",
        sb.provider,
        urlencode(&format!("{}/connect/oauth/callback/slack", sb.connect)),
    );
    let res = sb.http.get(&no_pkce).send().unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        query_param(&location(&res), "error").as_deref(),
        Some("invalid_request")
    );
}

#[test]
fn oauth2_mix_up_is_rejected() {
    let sb = Sandbox::start();
    let (token, url) = sb.token("slack", json!({}));
    let callback = sb.oauth_until_callback(&url, "approve");
    // Deliver Slack's response to GitHub's callback.
    let mixed = callback.replace("/callback/slack", "/callback/github");
    let config = finish_config(&sb.http.get(&mixed).send().unwrap().text().unwrap());
    assert!(
        config["message"]["error"]
            .as_str()
            .unwrap()
            .contains("wrong provider")
    );
    assert_eq!(sb.poll(&token)["status"], "FAILED");
    assert!(sb.connections().is_empty());
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn provider_knobs() {
    let sb = Sandbox::start();
    // autoDeny: no consent page, straight back with access_denied.
    let (token, url) = sb.token("slack", json!({"sandbox": {"autoDeny": true}}));
    let authorize = location(&sb.http.get(&url).send().unwrap());
    let res = sb.http.get(&authorize).send().unwrap();
    assert_eq!(res.status(), 303);
    let callback = location(&res);
    assert_eq!(query_param(&callback, "error").as_deref(), Some("access_denied"));
    sb.http.get(&callback).send().unwrap();
    assert_eq!(sb.poll(&token)["status"], "FAILED");

    // providerCoop: provider pages send COOP same-origin; the connect page does not.
    let (_, url) = sb.token("slack", json!({"sandbox": {"providerCoop": true}}));
    let res = sb.http.get(&url).send().unwrap();
    assert!(res.headers().get("cross-origin-opener-policy").is_none());
    let consent = sb.http.get(location(&res)).send().unwrap();
    assert_eq!(consent.headers()["cross-origin-opener-policy"], "same-origin");
    let (_, url) = sb.token("slack", json!({}));
    let consent = sb
        .http
        .get(location(&sb.http.get(&url).send().unwrap()))
        .send()
        .unwrap();
    assert!(consent.headers().get("cross-origin-opener-policy").is_none());

    // consentDelayMs: the provider answers no sooner than asked.
    let (_, url) = sb.token("slack", json!({"sandbox": {"consentDelayMs": 300}}));
    let authorize = location(&sb.http.get(&url).send().unwrap());
    let started = std::time::Instant::now();
    assert_eq!(sb.http.get(&authorize).send().unwrap().status(), 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
}

#[test]
fn post_message_knob_and_allowed_origins() {
    let sb = Sandbox::start_with(&["--allowed-origins", "http://localhost:3000, https://app.example/"]);
    let finish = |knobs: Value| {
        let (token, _) = sb.token("openai", json!({"sandbox": knobs}));
        let res = submit(
            &sb,
            &[("token", &token), ("secretText", "sk-test-0123456789abcdef")],
        );
        finish_config(&res.text().unwrap())
    };
    assert_eq!(
        finish(json!({}))["targets"],
        json!([sb.host, "http://localhost:3000", "https://app.example"])
    );
    assert_eq!(finish(json!({"postMessage": "none"}))["targets"], json!([]));
    let wrong = finish(json!({"postMessage": "wrong-origin"}))["targets"].clone();
    assert_eq!(wrong.as_array().unwrap().len(), 1);
    assert_ne!(wrong[0], sb.host);
    // finish.js posts with each exact origin and never '*'.
    let js = sb
        .http
        .get(format!("{}/connect/assets/finish.js", sb.connect))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(js.contains("postMessage(cfg.message, origin)"));
    assert!(
        !js.contains("'*'") && !js.contains("\"*\""),
        "never a wildcard target"
    );
    assert!(
        js.contains("history.replaceState"),
        "codes and states leave the address bar"
    );
}

#[test]
fn redirect_mode_parameters() {
    let sb = Sandbox::start();
    let (token, _) = sb.token(
        "openai",
        json!({"successRedirectUri": format!("{}/done?tab=apps", sb.host),
               "errorRedirectUri": format!("{}/failed", sb.host)}),
    );
    let res = submit(
        &sb,
        &[("token", &token), ("secretText", "sk-test-0123456789abcdef")],
    );
    let redirect = finish_config(&res.text().unwrap())["redirect"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        redirect.starts_with(&format!("{}/done?tab=apps&", sb.host)),
        "{redirect}"
    );
    assert_eq!(query_param(&redirect, "weavz_status").as_deref(), Some("success"));
    assert_eq!(
        query_param(&redirect, "weavz_connection_id").unwrap(),
        sb.poll(&token)["connectionId"].as_str().unwrap()
    );
    assert_eq!(
        query_param(&redirect, "weavz_integration").as_deref(),
        Some("openai")
    );
    assert_eq!(
        query_param(&redirect, "weavz_external_id").as_deref(),
        Some("user-1")
    );
    assert!(
        !redirect.contains("cst_"),
        "the token never goes into the redirect"
    );

    let (_, url) = sb.token(
        "slack",
        json!({"errorRedirectUri": format!("{}/failed", sb.host)}),
    );
    let callback = sb.oauth_until_callback(&url, "deny");
    let config = finish_config(&sb.http.get(&callback).send().unwrap().text().unwrap());
    let redirect = config["redirect"].as_str().unwrap();
    assert!(redirect.starts_with(&format!("{}/failed?", sb.host)));
    assert_eq!(query_param(redirect, "weavz_status").as_deref(), Some("error"));
    assert_eq!(
        query_param(redirect, "weavz_error").as_deref(),
        Some("Access was denied at Slack.")
    );
}

#[test]
fn portal_starts_sessions_for_the_end_user() {
    let sb = Sandbox::start();
    let user: Value = sb
        .post(
            "/end-users",
            json!({"workspaceId": WORKSPACE, "externalId": "cust-7", "displayName": "Grace"}),
        )
        .json()
        .unwrap();
    let id = user["endUser"]["id"].as_str().unwrap();
    let portal: Value = sb
        .post(&format!("/end-users/{id}/connect-token"), json!({}))
        .json()
        .unwrap();
    let url = portal["connectUrl"].as_str().unwrap();
    let html = sb.http.get(url).send().unwrap().text().unwrap();
    assert!(html.contains("Signed in as Grace"));
    assert!(html.contains("aria-label=\"Connect OpenAI\""));
    let eut = portal["token"].as_str().unwrap();
    // Used twice: a portal token is good for several connections.
    for _ in 0..2 {
        let res = sb
            .http
            .post(format!("{}/connect/portal/start", sb.connect))
            .form(&[("token", eut), ("integration", "openai")])
            .send()
            .unwrap();
        assert_eq!(res.status(), 303);
        let connect_url = location(&res);
        let cst = query_param(&connect_url, "token").unwrap();
        let res = submit(
            &sb,
            &[("token", &cst), ("secretText", "sk-test-0123456789abcdef")],
        );
        let config = finish_config(&res.text().unwrap());
        assert_eq!(config["message"]["endUserId"], "cust-7");
    }
    let conns = sb.connections();
    assert_eq!(conns.len(), 1, "reconnecting updates the same connection");
    assert_eq!(conns[0]["endUserId"], "cust-7");
    let html = sb.http.get(url).send().unwrap().text().unwrap();
    assert!(html.contains("aria-label=\"Reconnect OpenAI\""));
    let res = sb
        .http
        .get(format!("{}/connect/portal?token=eut_nope", sb.connect))
        .send()
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[test]
fn demo_host_backend_mints_and_polls_with_the_server_key() {
    let sb = Sandbox::start();
    let res = sb
        .http
        .post(format!("{}/api/connect-token", sb.host))
        .json(&json!({"integrationName": "openai", "sandbox": {"pollFailures": 1}}))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().unwrap();
    let token = body["token"].as_str().unwrap();
    assert!(body["connectUrl"].as_str().unwrap().starts_with(&sb.connect));
    assert!(
        !body.to_string().contains(&sb.api_key),
        "the API key stays on the server"
    );

    let poll = |t: &str| {
        sb.http
            .post(format!("{}/api/connect-session", sb.host))
            .json(&json!({"token": t}))
            .send()
            .unwrap()
    };
    let res = poll(token);
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "1");
    let res = poll(token);
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().unwrap()["status"], "PENDING");
    let res = poll("cst_nope");
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<Value>().unwrap()["code"], "INVALID_TOKEN");

    let res = sb
        .http
        .post(format!("{}/api/connect-token", sb.host))
        .json(&json!({}))
        .send()
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().unwrap()["code"], "VALIDATION_ERROR");
    let res = sb
        .http
        .post(format!("{}/api/connect-token", sb.host))
        .json(&json!({"integrationName": "openai", "sandbox": {"nope": 1}}))
        .send()
        .unwrap();
    assert_eq!(res.status(), 400, "upstream errors are relayed");

    let page = sb.http.get(&sb.host).send().unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().unwrap();
    assert!(html.contains("data-integration=\"slack\""));
    let _ = attr_value(&html, "src=\"/playground/");
}

#[test]
fn sdk_minimal_result_shape_drops_status_and_closes_at_once() {
    let sb = Sandbox::start();
    let knobs = json!({"sandbox": {"resultShape": "sdk-minimal"}});
    // A form flow.
    let (token, url) = sb.token("openai", knobs.clone());
    sb.http.get(&url).send().unwrap();
    let res = submit(
        &sb,
        &[("token", &token), ("secretText", "sk-test-0123456789abcdef")],
    );
    let config = finish_config(&res.text().unwrap());
    let id = sb.poll(&token)["connectionId"].as_str().unwrap().to_owned();
    assert_eq!(
        config["message"],
        json!({"type": "weavz-connect-result", "connectionId": id,
               "integrationName": "openai", "externalId": "user-1"}),
        "no status key on success"
    );
    assert_eq!(config["closeDelayMs"], 0);

    // An OAuth2 flow, and an error in the same shape: errors keep `status: "error"`.
    let (token, url) = sb.token("slack", knobs.clone());
    let callback = sb.oauth_until_callback(&url, "approve");
    let config = finish_config(&sb.http.get(&callback).send().unwrap().text().unwrap());
    assert!(config["message"].get("status").is_none(), "{config}");
    assert_eq!(config["message"]["connectionId"], sb.poll(&token)["connectionId"]);
    let (_, url) = sb.token("github", knobs);
    let callback = sb.oauth_until_callback(&url, "deny");
    let config = finish_config(&sb.http.get(&callback).send().unwrap().text().unwrap());
    assert_eq!(
        config["message"],
        json!({"type": "weavz-connect-result", "status": "error", "error": "Access was denied at GitHub."})
    );

    // Without the knob, the standard shape.
    let (token, url) = sb.token("openai", json!({"externalId": "user-2"}));
    sb.http.get(&url).send().unwrap();
    let res = submit(
        &sb,
        &[("token", &token), ("secretText", "sk-test-0123456789abcdef")],
    );
    let config = finish_config(&res.text().unwrap());
    assert_eq!(config["message"]["status"], "success");
    assert_eq!(config["closeDelayMs"], 150);
}

#[test]
fn sdk_minimal_result_shape_through_the_portal() {
    let sb = Sandbox::start();
    let user: Value = sb
        .post(
            "/end-users",
            json!({"workspaceId": WORKSPACE, "externalId": "cust-9"}),
        )
        .json()
        .unwrap();
    let id = user["endUser"]["id"].as_str().unwrap();
    let res = sb.post(
        &format!("/end-users/{id}/connect-token"),
        json!({"sandbox": {"resultShape": "nope"}}),
    );
    assert_eq!(res.status(), 400, "knobs are checked for portal tokens too");
    let portal: Value = sb
        .post(
            &format!("/end-users/{id}/connect-token"),
            json!({"sandbox": {"resultShape": "sdk-minimal"}}),
        )
        .json()
        .unwrap();
    let url = portal["connectUrl"].as_str().unwrap();
    sb.http.get(url).send().unwrap();
    let res = sb
        .http
        .post(format!("{}/connect/portal/start", sb.connect))
        .form(&[
            ("token", portal["token"].as_str().unwrap()),
            ("integration", "openai"),
        ])
        .send()
        .unwrap();
    assert_eq!(res.status(), 303);
    let connect_url = location(&res);
    let cst = query_param(&connect_url, "token").unwrap();
    sb.http.get(&connect_url).send().unwrap();
    let res = submit(
        &sb,
        &[("token", &cst), ("secretText", "sk-test-0123456789abcdef")],
    );
    let config = finish_config(&res.text().unwrap());
    let conn = sb.poll(&cst)["connectionId"].as_str().unwrap().to_owned();
    assert_eq!(
        config["message"],
        json!({"type": "weavz-connect-result", "connectionId": conn,
               "integrationName": "openai", "externalId": "cust-9:openai", "endUserId": "cust-9"})
    );
    assert_eq!(config["closeDelayMs"], 0);
}
