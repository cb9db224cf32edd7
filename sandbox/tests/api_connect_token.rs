//! Connect tokens over the API: the token answer's shape, its validation, polling (with
//! the fault knobs) and the session lookup.

mod common;

use common::{Sandbox, assert_error, token_body};
use reqwest::Method;
use serde_json::{Value, json};

#[test]
fn connect_token_has_weavz_shape() {
    let sb = Sandbox::start();
    let res = sb.post("/connect/token", token_body());
    assert_eq!(res.status(), 200);
    let body: Value = res.json().unwrap();
    let token = body["token"].as_str().unwrap();
    assert!(token.starts_with("cst_"));
    assert_eq!(
        body["connectUrl"],
        format!("{}/connect?token={token}", sb.connect)
    );
    let expires = time::OffsetDateTime::parse(
        body["expiresAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let ttl = expires - time::OffsetDateTime::now_utc();
    assert!(
        ttl > time::Duration::minutes(239) && ttl <= time::Duration::hours(4),
        "{ttl}"
    );
    assert_eq!(
        body.as_object().unwrap().len(),
        3,
        "exactly token, connectUrl, expiresAt"
    );

    let poll = sb.poll(token);
    assert_eq!(
        poll,
        json!({"status": "PENDING", "connectionId": null, "integrationName": "openai",
               "externalId": "user-1", "error": null})
    );
}

#[test]
fn connect_token_validation() {
    let sb = Sandbox::start();
    // Every missing required field is listed.
    let body = assert_error(sb.post("/connect/token", json!({})), 400, "VALIDATION_ERROR");
    let paths: Vec<&str> = body["details"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["integrationName", "connectionName", "externalId", "workspaceId"]
    );

    // Wrong types name the field.
    let mut wrong = token_body();
    wrong["externalId"] = json!(42);
    let body = assert_error(sb.post("/connect/token", wrong), 400, "VALIDATION_ERROR");
    assert_eq!(body["details"]["fields"][0]["path"], "externalId");

    let mut bad_uuid = token_body();
    bad_uuid["workspaceId"] = json!("not-a-uuid");
    assert_error(sb.post("/connect/token", bad_uuid), 400, "VALIDATION_ERROR");

    let mut bad_scope = token_body();
    bad_scope["scope"] = json!("GALAXY");
    assert_error(sb.post("/connect/token", bad_scope), 400, "VALIDATION_ERROR");

    // Malformed JSON, a non-JSON body, an empty body, an oversized body.
    let req = |body: &'static str, ct: &str| {
        sb.api(Method::POST, "/connect/token")
            .header("content-type", ct)
            .body(body)
            .send()
            .unwrap()
    };
    assert_error(
        req("{\"integrationName\": ", "application/json"),
        400,
        "VALIDATION_ERROR",
    );
    assert_error(req("", "application/json"), 400, "VALIDATION_ERROR");
    assert_error(req("[1,2]", "application/json"), 400, "VALIDATION_ERROR");
    assert_error(
        req("integrationName=openai", "application/x-www-form-urlencoded"),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    );
    let mut huge = token_body();
    huge["connectionName"] = json!("x".repeat(70 * 1024));
    assert_error(sb.post("/connect/token", huge), 413, "PAYLOAD_TOO_LARGE");

    // Too-long strings.
    let mut long = token_body();
    long["externalId"] = json!("x".repeat(256));
    assert_error(sb.post("/connect/token", long), 400, "VALIDATION_ERROR");

    // Unknown integration and end user.
    let mut unknown = token_body();
    unknown["integrationName"] = json!("myspace");
    assert_error(sb.post("/connect/token", unknown), 404, "INTEGRATION_NOT_FOUND");
    let mut no_user = token_body();
    no_user["endUserId"] = json!("nobody");
    assert_error(sb.post("/connect/token", no_user), 404, "END_USER_NOT_FOUND");

    // OAuth app options on an API-key integration.
    let mut oauth = token_body();
    oauth["oauthAppId"] = json!("app-1");
    assert_error(sb.post("/connect/token", oauth), 400, "NOT_OAUTH2");
    let mut custom = token_body();
    custom["integrationName"] = json!("slack");
    custom["oauthAppMode"] = json!("custom");
    assert_error(sb.post("/connect/token", custom), 400, "MISSING_OAUTH2_CONFIG");

    // Redirect URIs must point back to an allowed origin.
    let mut redirect = token_body();
    redirect["successRedirectUri"] = json!("https://evil.example/steal");
    let body = assert_error(sb.post("/connect/token", redirect), 400, "VALIDATION_ERROR");
    assert_eq!(body["details"]["fields"][0]["path"], "successRedirectUri");

    // Unknown or out-of-range knobs.
    let mut knob = token_body();
    knob["sandbox"] = json!({"explode": true});
    let body = assert_error(sb.post("/connect/token", knob), 400, "VALIDATION_ERROR");
    assert!(body["error"].as_str().unwrap().contains("explode"), "{body}");
    let mut knob = token_body();
    knob["sandbox"] = json!({"postMessage": "everywhere"});
    assert_error(sb.post("/connect/token", knob), 400, "VALIDATION_ERROR");
    let mut knob = token_body();
    knob["sandbox"] = json!({"ttlSeconds": 0});
    assert_error(sb.post("/connect/token", knob), 400, "VALIDATION_ERROR");

    // Knobs that only mean something for OAuth2.
    let mut knob = token_body();
    knob["sandbox"] = json!({"autoDeny": true});
    let body = assert_error(sb.post("/connect/token", knob), 400, "VALIDATION_ERROR");
    assert_eq!(body["details"]["fields"][0]["path"], "sandbox.autoDeny");
}

#[test]
fn poll_errors_and_fault_knobs() {
    let sb = Sandbox::start();
    assert_error(sb.post("/connect/session/poll", json!({})), 400, "MISSING_TOKEN");
    assert_error(
        sb.post("/connect/session/poll", json!({"token": ""})),
        400,
        "MISSING_TOKEN",
    );
    assert_error(
        sb.post("/connect/session/poll", json!({"token": 7})),
        400,
        "VALIDATION_ERROR",
    );
    assert_error(
        sb.post("/connect/session/poll", json!({"token": "cst_unknown"})),
        401,
        "INVALID_TOKEN",
    );

    // pollFailures: the first N polls are 503 with Retry-After: 1.
    let (token, _) = sb.token("openai", json!({"sandbox": {"pollFailures": 2}}));
    for _ in 0..2 {
        let res = sb.post("/connect/session/poll", json!({"token": token}));
        assert_eq!(res.headers()["retry-after"], "1");
        assert_error(res, 503, "SERVICE_UNAVAILABLE");
    }
    assert_eq!(sb.poll(&token)["status"], "PENDING");

    // ttlSeconds: an expired token is INVALID_TOKEN (there is no EXPIRED status).
    let (token, url) = sb.token("openai", json!({"sandbox": {"ttlSeconds": 1}}));
    assert_eq!(sb.poll(&token)["status"], "PENDING");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_error(
        sb.post("/connect/session/poll", json!({"token": token})),
        401,
        "INVALID_TOKEN",
    );
    let page = sb
        .http
        .get(&url)
        .header("accept", "application/json")
        .send()
        .unwrap();
    assert_error(page, 401, "INVALID_TOKEN");
}

#[test]
fn session_lookup() {
    let sb = Sandbox::start();
    let (token, _) = sb.token("github", json!({}));
    let res = sb.get(&format!("/connect/session/{token}"));
    assert_eq!(res.status(), 200);
    let session: Value = res.json().unwrap();
    let id = session["session"]["id"].as_str().unwrap().to_owned();
    assert_eq!(session["session"]["status"], "PENDING");
    assert_eq!(session["session"]["connectionName"], "github test");
    let by_id: Value = sb.get(&format!("/connect/session/{id}")).json().unwrap();
    assert_eq!(by_id, session);
    assert_error(
        sb.get("/connect/session/00000000-0000-4000-8000-000000000000"),
        404,
        "SESSION_NOT_FOUND",
    );
}
