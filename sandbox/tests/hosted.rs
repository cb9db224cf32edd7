//! The hosted connect page, the OAuth2 leg and the demo host backend, driven over HTTP.
//! (The browser half of the same flows is in `e2e/`.)

mod common;

use common::{Sandbox, WORKSPACE, attr_value, encode, finish_config, location, page_config, query_param};
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
    let authorize = sb.authorize_url(&url);
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
        encode(&format!("{}/connect/oauth/callback/slack", sb.connect)),
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

#[test]
fn provider_knobs() {
    let sb = Sandbox::start();
    // autoDeny: no consent page, straight back with access_denied.
    let (token, url) = sb.token("slack", json!({"sandbox": {"autoDeny": true}}));
    let authorize = sb.authorize_url(&url);
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
    let next = common::page_config(&res.text().unwrap())["next"]
        .as_str()
        .unwrap()
        .to_owned();
    let consent = sb.http.get(next).send().unwrap();
    assert_eq!(consent.headers()["cross-origin-opener-policy"], "same-origin");
    let (_, url) = sb.token("slack", json!({}));
    let consent = sb.http.get(sb.authorize_url(&url)).send().unwrap();
    assert!(consent.headers().get("cross-origin-opener-policy").is_none());

    // consentDelayMs: the provider answers no sooner than asked.
    let (_, url) = sb.token("slack", json!({"sandbox": {"consentDelayMs": 300}}));
    let authorize = sb.authorize_url(&url);
    let started = std::time::Instant::now();
    assert_eq!(sb.http.get(&authorize).send().unwrap().status(), 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
}

#[test]
fn post_message_knob_and_allowed_origins() {
    let sb = Sandbox::start_with(&["--allowed-origins", "http://localhost:3000, https://app.example/"]);
    let finish = |knobs: Value| {
        let (token, url) = sb.token("openai", json!({"sandbox": knobs}));
        sb.http.get(&url).send().unwrap();
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
    // Redirect mode is decided before the opener is even looked at.
    let redirect_at = js
        .find("if (cfg.redirect)")
        .expect("finish.js follows the redirect");
    let opener_at = js.find("window.opener").unwrap();
    assert!(redirect_at < opener_at, "the redirect wins over the opener");
    // Only the window the session was opened in reports it.
    assert!(js.contains("hosted.owns(cfg.window)"));
}

#[test]
fn redirect_mode_parameters() {
    let sb = Sandbox::start();
    let (token, url) = sb.token(
        "openai",
        json!({"successRedirectUri": format!("{}/done?tab=apps", sb.host),
               "errorRedirectUri": format!("{}/failed", sb.host)}),
    );
    sb.http.get(&url).send().unwrap();
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

// ---- The browser binding and the window's record (connection-swap defences) ----

const CONNECT_JS: &str = "<script src=\"/connect/assets/connect.js\"></script>";

/// The connect.js source.
fn connect_js(sb: &Sandbox) -> String {
    sb.http
        .get(format!("{}/connect/assets/connect.js", sb.connect))
        .send()
        .unwrap()
        .text()
        .unwrap()
}

#[test]
fn every_hosted_page_strips_the_query_with_its_own_script() {
    let sb = Sandbox::start();
    let js = connect_js(&sb);
    assert!(
        js.contains("history.replaceState(history.state, '', location.pathname + location.hash)"),
        "tokens, codes and states leave the address bar"
    );
    let check = |what: &str, res: reqwest::blocking::Response| {
        assert_eq!(res.headers()["referrer-policy"], "no-referrer", "{what}");
        let html = res.text().unwrap();
        assert!(html.contains(CONNECT_JS), "{what}: {html}");
        assert!(!html.contains("<script>"), "{what}: no inline script");
        html
    };
    // The form, the OAuth interstitial, an error page, the portal and a finish page.
    let (token, url) = sb.token("openai", json!({}));
    check("form", sb.http.get(&url).send().unwrap());
    let (_, slack) = sb.token("slack", json!({}));
    let html = check("interstitial", sb.http.get(&slack).send().unwrap());
    assert!(html.contains("<h1>Opening Slack…</h1>") && html.contains("role=\"status\""));
    check(
        "error",
        sb.http
            .get(format!("{}/connect?token=cst_bogus", sb.connect))
            .send()
            .unwrap(),
    );
    check(
        "callback error",
        sb.http
            .get(format!(
                "{}/connect/oauth/callback/slack?code=c&state=st_bogus",
                sb.connect
            ))
            .send()
            .unwrap(),
    );
    let portal = sb.portal_link("cust-1", json!({}));
    check(
        "portal",
        sb.http
            .get(portal["connectUrl"].as_str().unwrap())
            .send()
            .unwrap(),
    );
    let html = check(
        "finish",
        submit(
            &sb,
            &[("token", &token), ("secretText", "sk-test-0123456789abcdef")],
        ),
    );
    // connect.js runs before finish.js, which relies on it.
    let (c, f) = (
        html.find(CONNECT_JS).unwrap(),
        html.find("<script src=\"/connect/assets/finish.js\"></script>")
            .unwrap(),
    );
    assert!(c < f);
}

#[test]
fn a_cookieless_or_foreign_submit_is_refused_and_stores_nothing() {
    let sb = Sandbox::start();
    let (token, url) = sb.token("openai", json!({}));
    let res = sb.http.get(&url).send().unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("weavz_browser=br_"), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/connect"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    // The browser already has its id: no new cookie on the next page.
    let (_, other) = sb.token("smtp", json!({}));
    assert!(
        sb.http
            .get(&other)
            .send()
            .unwrap()
            .headers()
            .get("set-cookie")
            .is_none()
    );

    let fields = [
        ("token", token.as_str()),
        ("secretText", "sk-test-0123456789abcdef"),
    ];
    // No cookie at all.
    let bare = reqwest::blocking::Client::new();
    let res = bare
        .post(format!("{}/connect/submit", sb.connect))
        .form(&fields)
        .send()
        .unwrap();
    assert_eq!(res.status(), 403);
    let html = res.text().unwrap();
    assert!(
        html.contains("another browser window") && html.contains("Nothing was saved"),
        "{html}"
    );
    // Another browser's cookie.
    let attacker = sb.other_browser();
    let (_, theirs) = sb.token("openai", json!({"externalId": "attacker"}));
    attacker.get(&theirs).send().unwrap();
    let res = attacker
        .post(format!("{}/connect/submit", sb.connect))
        .header("accept", "application/json")
        .form(&fields)
        .send()
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.json::<Value>().unwrap()["code"], "BROWSER_MISMATCH");
    // A cross-site post, even with the right cookie.
    for (origin, site) in [
        (Some("http://127.0.0.1:9"), Some("same-site")),
        (Some("http://127.0.0.1:9"), None),
        (Some("null"), Some("cross-site")),
        (Some("null"), None),
        (None, Some("same-site")),
    ] {
        let mut req = sb
            .http
            .post(format!("{}/connect/submit", sb.connect))
            .header("accept", "application/json");
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        if let Some(site) = site {
            req = req.header("sec-fetch-site", site);
        }
        let res = req.form(&fields).send().unwrap();
        assert_eq!(res.status(), 403, "{origin:?} {site:?}");
        assert_eq!(res.json::<Value>().unwrap()["code"], "CROSS_SITE_REQUEST");
    }
    assert!(sb.connections().is_empty());
    assert_eq!(sb.poll(&token)["status"], "CONNECTING", "the session goes on");

    // The hosted form's own post: `Origin: null` (no-referrer) and same-origin fetch metadata.
    let res = sb
        .http
        .post(format!("{}/connect/submit", sb.connect))
        .header("origin", "null")
        .header("sec-fetch-site", "same-origin")
        .form(&fields)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(sb.poll(&token)["status"], "COMPLETED");
}

#[test]
fn a_session_opened_in_one_browser_is_refused_in_another() {
    let sb = Sandbox::start();
    for integration in ["openai", "slack"] {
        let (token, url) = sb.token(integration, json!({}));
        let attacker = sb.other_browser();
        assert_eq!(attacker.get(&url).send().unwrap().status(), 200);
        let res = sb.http.get(&url).send().unwrap();
        assert_eq!(res.status(), 403, "{integration}");
        assert!(res.text().unwrap().contains("another browser window"));
        let res = sb
            .http
            .get(&url)
            .header("accept", "application/json")
            .send()
            .unwrap();
        assert_eq!(res.json::<Value>().unwrap()["code"], "BROWSER_MISMATCH");
        assert_eq!(sb.poll(&token)["status"], "CONNECTING");
        // The browser that opened it first may open it again (a new popup for the flow).
        assert_eq!(attacker.get(&url).send().unwrap().status(), 200);
    }
    // The same for a portal link.
    let portal = sb.portal_link("cust-2", json!({}));
    let url = portal["connectUrl"].as_str().unwrap();
    let eut = portal["token"].as_str().unwrap();
    let attacker = sb.other_browser();
    assert_eq!(attacker.get(url).send().unwrap().status(), 200);
    assert_eq!(sb.http.get(url).send().unwrap().status(), 403);
    // Starting a session from the portal needs its browser, and a same-origin post.
    let start = |http: &reqwest::blocking::Client, origin: Option<&str>| {
        let mut req = http
            .post(format!("{}/connect/portal/start", sb.connect))
            .header("accept", "application/json");
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        req.form(&[("token", eut), ("integration", "openai")])
            .send()
            .unwrap()
    };
    let res = start(&sb.http, None);
    assert_eq!(res.status(), 403);
    assert_eq!(res.json::<Value>().unwrap()["code"], "BROWSER_MISMATCH");
    let res = start(&attacker, Some("http://127.0.0.1:9"));
    assert_eq!(res.json::<Value>().unwrap()["code"], "CROSS_SITE_REQUEST");
    let res = start(&attacker, Some(&sb.connect));
    assert_eq!(res.status(), 303);
    // The session it started belongs to the portal's browser only.
    let connect_url = location(&res);
    assert_eq!(sb.http.get(&connect_url).send().unwrap().status(), 403);
    let res = attacker.get(&connect_url).send().unwrap();
    assert_eq!(res.status(), 200);
    let config = page_config(&res.text().unwrap());
    assert!(config["portal"].as_str().unwrap().starts_with("pt_"));
    assert!(
        !config.to_string().contains(eut),
        "the portal token stays out of the page's record"
    );
    assert!(sb.connections().is_empty());
}

#[test]
fn an_attackers_code_and_state_replayed_in_another_browser_are_refused() {
    let sb = Sandbox::start();
    // The attacker runs their own flow in their own browser, up to the provider's answer.
    let attacker = sb.other_browser();
    let (theirs, url) = sb.token("slack", json!({"externalId": "attacker"}));
    let callback = sb.oauth_until_callback_in(&attacker, &url, "approve");
    // The victim's browser (it has a cookie of its own) is sent to that callback.
    let (mine, my_url) = sb.token("slack", json!({}));
    sb.http.get(&my_url).send().unwrap();
    let res = sb.http.get(&callback).send().unwrap();
    assert_eq!(res.status(), 403);
    let html = res.text().unwrap();
    assert!(html.contains("another browser window"), "{html}");
    assert!(!html.contains("weavz-result"), "no finish page, nothing to post");
    let res = sb
        .http
        .get(&callback)
        .header("accept", "application/json")
        .send()
        .unwrap();
    assert_eq!(res.json::<Value>().unwrap()["code"], "BROWSER_MISMATCH");
    // A browser with no cookie at all fares no better.
    let res = reqwest::blocking::Client::new().get(&callback).send().unwrap();
    assert_eq!(res.status(), 403);
    assert!(sb.connections().is_empty(), "nothing stored");
    assert_eq!(
        sb.poll(&theirs)["status"],
        "CONNECTING",
        "their session did not finish"
    );
    assert_eq!(sb.poll(&mine)["status"], "CONNECTING");
    // The refusal consumed nothing: the attacker's own browser can still finish the
    // attacker's flow.
    let res = attacker.get(&callback).send().unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(sb.poll(&theirs)["status"], "COMPLETED");
    let stored = sb.connections();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["externalId"], "attacker");
    // The victim's own state with the attacker's code fails in the victim's browser (a
    // used code, issued for another PKCE challenge) and stores nothing for the victim.
    let my_callback = sb.oauth_until_callback(&my_url, "approve");
    let mixed = my_callback.replace(
        &query_param(&my_callback, "code").unwrap(),
        &query_param(&callback, "code").unwrap(),
    );
    let config = finish_config(&sb.http.get(&mixed).send().unwrap().text().unwrap());
    assert_eq!(config["message"]["status"], "error");
    assert_eq!(sb.connections().len(), 1);
    assert_eq!(sb.poll(&mine)["status"], "FAILED");
}

#[test]
fn the_window_config_names_the_session_and_redirect_wins_over_the_opener() {
    let sb = Sandbox::start();
    let redirect = format!("{}/done", sb.host);
    let (token, url) = sb.token("openai", json!({"successRedirectUri": redirect}));
    let html = sb.http.get(&url).send().unwrap().text().unwrap();
    let window = page_config(&html);
    let session: Value = sb.get(&format!("/connect/session/{token}")).json().unwrap();
    let id = session["session"]["id"].as_str().unwrap();
    assert_eq!(window["session"], id);
    assert_eq!(window["appOrigins"], json!([sb.host]));
    let res = submit(
        &sb,
        &[("token", &token), ("secretText", "sk-test-0123456789abcdef")],
    );
    let config = finish_config(&res.text().unwrap());
    assert_eq!(config["window"], json!({"session": id, "portal": null}));
    // A redirect-mode session carries its redirect, and finish.js follows it first (see
    // post_message_knob_and_allowed_origins), even with targets to post to.
    assert!(config["redirect"].as_str().unwrap().starts_with(&redirect));
    assert_eq!(config["targets"], json!([sb.host]));
    // The OAuth interstitial hands connect.js the provider URL to go on to.
    let (_, slack) = sb.token("slack", json!({}));
    let window = page_config(&sb.http.get(&slack).send().unwrap().text().unwrap());
    assert!(
        window["next"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/oauth/slack/authorize?", sb.provider))
    );
    let js = connect_js(&sb);
    assert!(js.contains("window.location.replace(cfg.next)"));
    assert!(js.contains("sessionStorage"));
}
