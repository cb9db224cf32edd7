//! The connect API over HTTP: shapes, status codes and the Weavz error body.

mod common;

use common::{Sandbox, WORKSPACE};
use reqwest::Method;
use serde_json::{Value, json};

fn assert_error(res: reqwest::blocking::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status(), status, "status for {code}");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "JSON error body for {code}"
    );
    let body: Value = res.json().unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
    body
}

fn token_body() -> Value {
    json!({
        "integrationName": "openai",
        "connectionName": "OpenAI",
        "externalId": "user-1",
        "workspaceId": WORKSPACE,
    })
}

#[test]
fn api_key_is_required_except_for_integrations() {
    let sb = Sandbox::start();
    let url = format!("{}/api/v1/connect/token", sb.connect);
    let res = sb.http.post(&url).json(&token_body()).send().unwrap();
    assert_error(res, 401, "UNAUTHORIZED");
    let res = sb
        .http
        .post(&url)
        .bearer_auth("wvz_wrong")
        .json(&token_body())
        .send()
        .unwrap();
    assert_error(res, 401, "UNAUTHORIZED");
    let res = sb
        .http
        .get(format!("{}/api/v1/connections", sb.connect))
        .header("authorization", "Basic x")
        .send()
        .unwrap();
    assert_error(res, 401, "UNAUTHORIZED");
    let res = sb
        .http
        .get(format!("{}/api/v1/integrations", sb.connect))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
}

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
fn malformed_query_strings_and_paths_get_the_weavz_body() {
    let sb = Sandbox::start();
    assert_error(sb.get("/connections?limit=abc"), 400, "VALIDATION_ERROR");
    assert_error(
        sb.get(&format!(
            "/end-users?workspaceId={WORKSPACE}&workspaceId={WORKSPACE}"
        )),
        400,
        "VALIDATION_ERROR",
    );
    let res = sb
        .http
        .get(format!("{}/api/v1/integrations?name=a&name=b", sb.connect))
        .send()
        .unwrap();
    assert_error(res, 400, "VALIDATION_ERROR");
    assert_error(sb.get("/end-users/%FF%FE"), 404, "NOT_FOUND");
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

#[test]
fn end_users_and_portal_tokens() {
    let sb = Sandbox::start();
    let res = sb.post(
        "/end-users",
        json!({"workspaceId": WORKSPACE, "externalId": "cust-42", "displayName": "Ada", "email": "ada@example.com"}),
    );
    assert_eq!(res.status(), 201);
    let user: Value = res.json().unwrap();
    let user = &user["endUser"];
    let id = user["id"].as_str().unwrap().to_owned();
    assert_eq!(user["type"], "external");
    assert_eq!(user["connectionCount"], 0);
    assert_eq!(user["externalId"], "cust-42");

    assert_error(
        sb.post(
            "/end-users",
            json!({"workspaceId": WORKSPACE, "externalId": "cust-42"}),
        ),
        409,
        "DUPLICATE",
    );
    assert_error(
        sb.post("/end-users", json!({"externalId": "x"})),
        400,
        "VALIDATION_ERROR",
    );
    assert_error(sb.get("/end-users/nope"), 404, "END_USER_NOT_FOUND");

    let list: Value = sb
        .get(&format!("/end-users?workspaceId={WORKSPACE}"))
        .json()
        .unwrap();
    assert_eq!(list["total"], 1);
    assert_error(sb.get("/end-users"), 400, "VALIDATION_ERROR");

    // A token for the end user links the connection to them.
    let (token, url) = sb.token("openai", json!({"endUserId": "cust-42"}));
    let res = sb
        .http
        .post(format!("{}/connect/submit", sb.connect))
        .form(&[
            ("token", token.as_str()),
            ("secretText", "sk-test-0123456789abcdef"),
        ])
        .send()
        .unwrap();
    assert_eq!(res.status(), 200, "{url}");
    let got: Value = sb.get(&format!("/end-users/{id}")).json().unwrap();
    assert_eq!(got["endUser"]["connectionCount"], 1);
    assert_eq!(got["connections"][0]["endUserId"], "cust-42");
    assert_eq!(got["connections"][0]["scope"], "USER");

    // Portal tokens.
    let res = sb.post(
        &format!("/end-users/{id}/connect-token"),
        json!({"integrationName": "slack"}),
    );
    assert_eq!(res.status(), 200);
    let portal: Value = res.json().unwrap();
    let eut = portal["token"].as_str().unwrap();
    assert!(eut.starts_with("eut_"));
    assert_eq!(
        portal["connectUrl"],
        format!("{}/connect/portal?token={eut}", sb.connect)
    );
    let no_body = sb
        .api(Method::POST, &format!("/end-users/{id}/connect-token"))
        .send()
        .unwrap();
    assert_eq!(no_body.status(), 200);
    assert_error(
        sb.post(
            &format!("/end-users/{id}/connect-token"),
            json!({"expiresIn": 60}),
        ),
        400,
        "VALIDATION_ERROR",
    );
    assert_error(
        sb.post(
            &format!("/end-users/{id}/connect-token"),
            json!({"integrationName": "nope"}),
        ),
        404,
        "INTEGRATION_NOT_FOUND",
    );
    assert_error(
        sb.post("/end-users/nope/connect-token", json!({})),
        404,
        "END_USER_NOT_FOUND",
    );
}

#[test]
fn connections_get_and_delete() {
    let sb = Sandbox::start();
    let (token, _) = sb.token("smtp", json!({}));
    let res = sb
        .http
        .post(format!("{}/connect/submit", sb.connect))
        .form(&[
            ("token", token.as_str()),
            ("username", "mailer"),
            ("password", "hunter22"),
        ])
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let conns = sb.connections();
    assert_eq!(conns.len(), 1);
    let id = conns[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(conns[0]["type"], "BASIC_AUTH");
    assert_eq!(conns[0]["status"], "ACTIVE");
    assert!(
        !conns[0].to_string().contains("hunter22"),
        "secrets never leave the sandbox"
    );

    let one: Value = sb.get(&format!("/connections?id={id}")).json().unwrap();
    assert_eq!(one["connection"]["id"], id.as_str());
    let filtered: Value = sb.get("/connections?integrationName=slack").json().unwrap();
    assert_eq!(filtered["total"], 0);

    let res = sb
        .api(Method::DELETE, &format!("/connections/{id}"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().unwrap(), json!({"deleted": true, "id": id}));
    assert!(sb.connections().is_empty());
    assert_error(
        sb.api(Method::DELETE, &format!("/connections/{id}"))
            .send()
            .unwrap(),
        404,
        "CONNECTION_NOT_FOUND",
    );
    assert_error(
        sb.get(&format!("/connections?id={id}")),
        404,
        "CONNECTION_NOT_FOUND",
    );
}

#[test]
fn integrations_catalog() {
    let sb = Sandbox::start();
    let all: Value = sb
        .http
        .get(format!("{}/api/v1/integrations", sb.connect))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(all["total"].as_u64().unwrap() >= 6);
    let summary: Value = sb
        .http
        .get(format!("{}/api/v1/integrations?summary=true", sb.connect))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let items = summary["integrations"].as_array().unwrap();
    let by_type = |t: &str| items.iter().filter(|i| i["auth"]["type"] == t).count();
    assert!(by_type("OAUTH2") >= 3);
    assert!(by_type("SECRET_TEXT") >= 1 && by_type("BASIC_AUTH") >= 1 && by_type("CUSTOM_AUTH") >= 1);
    for item in items {
        assert!(
            item["logoUrl"]
                .as_str()
                .unwrap()
                .starts_with("data:image/svg+xml")
        );
        assert!(!item["displayName"].as_str().unwrap().is_empty());
        assert!(!item["categories"].as_array().unwrap().is_empty());
        assert!(item.get("actions").is_none(), "summary is light");
    }
    let slack: Value = sb
        .http
        .get(format!("{}/api/v1/integrations?name=slack", sb.connect))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(slack["integration"]["auth"]["type"], json!(["OAUTH2"]));
    let custom: Value = sb
        .http
        .get(format!("{}/api/v1/integrations?name=zendesk", sb.connect))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(custom["integration"]["auth"]["props"].as_array().unwrap().len() >= 3);
    let res = sb
        .http
        .get(format!("{}/api/v1/integrations?name=nope", sb.connect))
        .send()
        .unwrap();
    assert_error(res, 404, "INTEGRATION_NOT_FOUND");
    let res = sb
        .http
        .get(format!("{}/api/v1/integrations?summary=maybe", sb.connect))
        .send()
        .unwrap();
    assert_error(res, 400, "VALIDATION_ERROR");
}

#[test]
fn unknown_routes_and_methods() {
    let sb = Sandbox::start();
    assert_error(sb.get("/nope"), 404, "NOT_FOUND");
    assert_error(
        sb.api(Method::PUT, "/connect/token").send().unwrap(),
        405,
        "METHOD_NOT_ALLOWED",
    );
}
