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
    // The browser opens the connect page first: the form is bound to it.
    sb.http.get(&url).send().unwrap();
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
    let (token, url) = sb.token("smtp", json!({}));
    sb.http.get(&url).send().unwrap();
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

// ---- Connections created through the API, resolution and scope ----

const OTHER_WORKSPACE: &str = "5a4d0b0e-0000-4000-8000-000000000002";
const ALPHA_KEY: &str = "sk-alpha-secret-0123456789abcdef";

/// The seed's `SECRET_TEXT` connection, in the default workspace.
fn alpha_body() -> Value {
    json!({
        "type": "SECRET_TEXT",
        "integrationName": "openai",
        "externalId": "conn_project_alpha_openai",
        "displayName": "Project Alpha OpenAI",
        "workspaceId": WORKSPACE,
        "secretText": ALPHA_KEY,
    })
}

/// `base` with `extra`'s keys set (a `null` removes the key).
fn with(base: &Value, extra: Value) -> Value {
    let mut body = base.clone();
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            body.as_object_mut().unwrap().remove(k);
        } else {
            body[k] = v.clone();
        }
    }
    body
}

/// The `details.fields[].path` of a validation error.
fn paths(body: &Value) -> Vec<String> {
    body["details"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no field details in {body}"))
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect()
}

/// Creates a connection; panics unless 201. Returns the connection object.
fn create(sb: &Sandbox, body: Value) -> Value {
    let res = sb.post("/connections", body);
    assert_eq!(res.status(), 201);
    let body: Value = res.json().unwrap();
    assert_eq!(
        body.as_object().unwrap().len(),
        1,
        "exactly {{connection}}: {body}"
    );
    body["connection"].clone()
}

fn resolve(sb: &Sandbox, body: Value) -> reqwest::blocking::Response {
    sb.post("/connections/resolve", body)
}

/// Resolves; panics unless 200. Returns the connection's id.
fn resolved_id(sb: &Sandbox, body: Value) -> String {
    let res = resolve(sb, body);
    assert_eq!(res.status(), 200);
    let body: Value = res.json().unwrap();
    body["connection"]["id"].as_str().unwrap().to_owned()
}

fn register(sb: &Sandbox, workspace: &str, external_id: &str) -> String {
    let res = sb.post(
        "/end-users",
        json!({"workspaceId": workspace, "externalId": external_id}),
    );
    assert_eq!(res.status(), 201);
    let body: Value = res.json().unwrap();
    body["endUser"]["id"].as_str().unwrap().to_owned()
}

#[test]
fn create_connections_of_every_form_type_and_never_return_secrets() {
    let sb = Sandbox::start();
    let alpha = create(&sb, alpha_body());
    assert_eq!(alpha["type"], "SECRET_TEXT");
    assert_eq!(alpha["status"], "ACTIVE");
    assert_eq!(
        alpha["scope"], "WORKSPACE",
        "a workspace and no end user: WORKSPACE"
    );
    assert_eq!(alpha["workspaceId"], WORKSPACE);
    assert_eq!(alpha["endUserId"], Value::Null);
    assert_eq!(alpha["externalId"], "conn_project_alpha_openai");
    assert_eq!(alpha["displayName"], "Project Alpha OpenAI");
    assert_eq!(alpha["integrationName"], "openai");
    assert!(alpha["createdAt"].as_str().unwrap().ends_with('Z'));

    let smtp = create(
        &sb,
        json!({"type": "BASIC_AUTH", "integrationName": "smtp", "externalId": "mail",
               "displayName": "Mail", "workspaceId": WORKSPACE,
               "username": "mailer", "password": "hunter22-basic"}),
    );
    assert_eq!(smtp["type"], "BASIC_AUTH");

    let zendesk = create(
        &sb,
        json!({"type": "CUSTOM_AUTH", "integrationName": "zendesk", "externalId": "support",
               "displayName": "Support", "scope": "ORGANIZATION",
               "props": {"subdomain": "acme", "email": "agent@acme.test", "apiToken": "zd-token-custom"}}),
    );
    assert_eq!(zendesk["type"], "CUSTOM_AUTH");
    assert_eq!(zendesk["scope"], "ORGANIZATION");
    assert_eq!(zendesk["workspaceId"], Value::Null);

    // Without a workspace a connection is organization-wide.
    let org = create(
        &sb,
        with(
            &alpha_body(),
            json!({"externalId": "org-openai", "workspaceId": null}),
        ),
    );
    assert_eq!(org["scope"], "ORGANIZATION");

    // Secrets are stored, never returned: not on create (above), list, get, resolve or
    // the end user's view.
    let user = register(&sb, WORKSPACE, "cust-1");
    create(
        &sb,
        with(
            &alpha_body(),
            json!({"externalId": "cust-1-openai", "endUserId": "cust-1", "secretText": "sk-user-secret-0123456789"}),
        ),
    );
    let mut seen = String::new();
    for path in [
        "/connections".to_owned(),
        format!("/connections?id={}", alpha["id"].as_str().unwrap()),
        format!("/end-users/{user}"),
    ] {
        seen += &sb.get(&path).text().unwrap();
    }
    seen += &resolve(
        &sb,
        json!({"integrationName": "openai", "workspaceId": WORKSPACE, "externalId": "conn_project_alpha_openai"}),
    )
    .text()
    .unwrap();
    assert!(seen.contains("conn_project_alpha_openai") && seen.contains("cust-1-openai"));
    for secret in [
        ALPHA_KEY,
        "hunter22-basic",
        "zd-token-custom",
        "sk-user-secret",
        "secretText",
        "password",
        "apiToken",
    ] {
        assert!(!seen.contains(secret), "{secret} leaked");
    }
    assert_eq!(sb.connections().len(), 5);
}

#[test]
fn bad_connection_bodies_are_400_with_every_field_and_store_nothing() {
    let sb = Sandbox::start();
    register(&sb, WORKSPACE, "cust-1");
    let body = assert_error(sb.post("/connections", json!({})), 400, "VALIDATION_ERROR");
    assert_eq!(
        paths(&body),
        ["type", "externalId", "displayName", "integrationName"]
    );

    let alpha = alpha_body();
    let smtp = json!({"type": "BASIC_AUTH", "integrationName": "smtp", "externalId": "mail",
                      "displayName": "Mail", "workspaceId": WORKSPACE});
    let zendesk = json!({"type": "CUSTOM_AUTH", "integrationName": "zendesk", "externalId": "z",
                         "displayName": "Z", "workspaceId": WORKSPACE});
    let props = json!({"subdomain": "acme", "email": "a@acme.test", "apiToken": "t"});
    let cases: Vec<(Value, Vec<&str>)> = vec![
        // What each type needs.
        (with(&alpha, json!({"secretText": null})), vec!["secretText"]),
        (with(&alpha, json!({"secretText": " \n "})), vec!["secretText"]),
        (smtp.clone(), vec!["username", "password"]),
        (
            with(&smtp, json!({"username": "u", "password": ""})),
            vec!["password"],
        ),
        (zendesk.clone(), vec!["props"]),
        (
            with(
                &zendesk,
                json!({"props": {"subdomain": "acme", "email": "a@acme.test"}}),
            ),
            vec!["props.apiToken"],
        ),
        (
            with(&zendesk, json!({"props": with(&props, json!({"region": "eu"}))})),
            vec!["props.region"],
        ),
        (
            with(&zendesk, json!({"props": with(&props, json!({"subdomain": 7}))})),
            vec!["props.subdomain"],
        ),
        // Credentials of another type, and types the API does not take.
        (with(&alpha, json!({"password": "x"})), vec!["password"]),
        (with(&alpha, json!({"props": props})), vec!["props"]),
        (
            with(
                &smtp,
                json!({"username": "u", "password": "p", "accessToken": "at"}),
            ),
            vec!["accessToken"],
        ),
        (with(&alpha, json!({"type": "OAUTH2"})), vec!["type"]),
        (with(&alpha, json!({"type": "PLATFORM_OAUTH2"})), vec!["type"]),
        (with(&alpha, json!({"type": "MAGIC"})), vec!["type"]),
        // The type must be the integration's.
        (with(&alpha, json!({"integrationName": "smtp"})), vec!["type"]),
        // Scope, workspace and end user must agree.
        (with(&alpha, json!({"workspaceId": "nope"})), vec!["workspaceId"]),
        (with(&alpha, json!({"scope": "USER"})), vec!["endUserId"]),
        (
            with(&alpha, json!({"scope": "WORKSPACE", "workspaceId": null})),
            vec!["workspaceId"],
        ),
        (
            with(&alpha, json!({"endUserId": "cust-1", "workspaceId": null})),
            vec!["workspaceId"],
        ),
        (
            with(&alpha, json!({"endUserId": "cust-1", "scope": "WORKSPACE"})),
            vec!["endUserId"],
        ),
        (with(&alpha, json!({"scope": "GALAXY"})), vec!["scope"]),
        (
            with(&alpha, json!({"authMethodKey": "oauth"})),
            vec!["authMethodKey"],
        ),
        (
            with(&alpha, json!({"externalId": "x".repeat(256)})),
            vec!["externalId"],
        ),
        (with(&alpha, json!({"displayName": 5})), vec!["displayName"]),
    ];
    for (body, expected) in cases {
        let err = assert_error(sb.post("/connections", body.clone()), 400, "VALIDATION_ERROR");
        assert_eq!(paths(&err), expected, "for {body}");
        assert!(!err.to_string().contains(ALPHA_KEY), "no secret echoed");
    }

    assert_error(
        sb.post(
            "/connections",
            with(&alpha, json!({"integrationName": "myspace"})),
        ),
        404,
        "INTEGRATION_NOT_FOUND",
    );
    assert_error(
        sb.post("/connections", with(&alpha, json!({"endUserId": "nobody"}))),
        404,
        "END_USER_NOT_FOUND",
    );
    // cust-1 exists, but in the other workspace there is no such end user.
    assert_error(
        sb.post(
            "/connections",
            with(
                &alpha,
                json!({"endUserId": "cust-1", "workspaceId": OTHER_WORKSPACE}),
            ),
        ),
        404,
        "END_USER_NOT_FOUND",
    );
    assert_error(
        sb.api(Method::POST, "/connections")
            .header("content-type", "text/plain")
            .body("SECRET_TEXT")
            .send()
            .unwrap(),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    );
    assert_error(
        sb.http
            .post(format!("{}/api/v1/connections", sb.connect))
            .json(&alpha)
            .send()
            .unwrap(),
        401,
        "UNAUTHORIZED",
    );
    assert!(sb.connections().is_empty(), "nothing was stored");
}

#[test]
fn duplicate_external_ids_conflict_only_within_one_scope() {
    let sb = Sandbox::start();
    register(&sb, WORKSPACE, "cust-1");
    register(&sb, WORKSPACE, "cust-2");
    let first = create(&sb, alpha_body());
    let body = assert_error(sb.post("/connections", alpha_body()), 409, "DUPLICATE");
    assert_eq!(body["details"]["existingConnectionId"], first["id"]);
    // Another display name or secret does not make it another connection.
    assert_error(
        sb.post(
            "/connections",
            with(
                &alpha_body(),
                json!({"displayName": "Again", "secretText": "sk-another-0123456789"}),
            ),
        ),
        409,
        "DUPLICATE",
    );
    assert_eq!(sb.connections().len(), 1);

    // Same externalId, another slot: another workspace, the organization scope, another
    // integration, each end user once.
    create(&sb, with(&alpha_body(), json!({"workspaceId": OTHER_WORKSPACE})));
    create(&sb, with(&alpha_body(), json!({"scope": "ORGANIZATION"})));
    create(
        &sb,
        json!({"type": "BASIC_AUTH", "integrationName": "smtp", "externalId": "conn_project_alpha_openai",
               "displayName": "Mail", "workspaceId": WORKSPACE, "username": "u", "password": "p"}),
    );
    for user in ["cust-1", "cust-2"] {
        create(&sb, with(&alpha_body(), json!({"endUserId": user})));
    }
    assert_eq!(sb.connections().len(), 6);

    // The organization scope is one slot whatever the workspace.
    assert_error(
        sb.post(
            "/connections",
            with(
                &alpha_body(),
                json!({"scope": "ORGANIZATION", "workspaceId": OTHER_WORKSPACE}),
            ),
        ),
        409,
        "DUPLICATE",
    );
    assert_error(
        sb.post(
            "/connections",
            with(&alpha_body(), json!({"endUserId": "cust-1"})),
        ),
        409,
        "DUPLICATE",
    );
    assert_eq!(sb.connections().len(), 6, "conflicts store nothing");

    // A deleted connection frees its slot.
    let res = sb
        .api(
            Method::DELETE,
            &format!("/connections/{}", first["id"].as_str().unwrap()),
        )
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let again = create(&sb, alpha_body());
    assert_ne!(again["id"], first["id"]);
}

#[test]
fn resolve_by_external_id_follows_the_scope_rules() {
    let sb = Sandbox::start();
    let alpha = create(&sb, alpha_body());
    let id = alpha["id"].as_str().unwrap();
    let ask = |workspace: &str| {
        json!({"integrationName": "openai", "workspaceId": workspace,
               "externalId": "conn_project_alpha_openai"})
    };
    let res = resolve(&sb, ask(WORKSPACE));
    assert_eq!(res.status(), 200);
    let body: Value = res.json().unwrap();
    assert_eq!(body, json!({ "connection": alpha }));

    // Another workspace may not use a WORKSPACE-scoped connection.
    let body = assert_error(resolve(&sb, ask(OTHER_WORKSPACE)), 403, "SCOPE_DENIED");
    assert_eq!(body["details"]["scope"], "WORKSPACE");
    assert!(!body.to_string().contains(id), "no id for a denied caller");

    // workspaceId is required; externalId or endUserId too.
    let body = assert_error(
        resolve(&sb, with(&ask(WORKSPACE), json!({"workspaceId": null}))),
        400,
        "VALIDATION_ERROR",
    );
    assert_eq!(paths(&body), ["workspaceId"]);
    let body = assert_error(
        resolve(&sb, with(&ask(WORKSPACE), json!({"workspaceId": "w-1"}))),
        400,
        "VALIDATION_ERROR",
    );
    assert_eq!(paths(&body), ["workspaceId"]);
    let body = assert_error(
        resolve(&sb, json!({"workspaceId": WORKSPACE})),
        400,
        "VALIDATION_ERROR",
    );
    assert_eq!(paths(&body), ["integrationName", "externalId"]);
    assert_error(
        resolve(&sb, with(&ask(WORKSPACE), json!({"externalId": 7}))),
        400,
        "VALIDATION_ERROR",
    );

    // Unknown names.
    assert_error(
        resolve(
            &sb,
            with(&ask(WORKSPACE), json!({"externalId": "conn_project_beta"})),
        ),
        404,
        "CONNECTION_NOT_FOUND",
    );
    assert_error(
        resolve(&sb, with(&ask(WORKSPACE), json!({"integrationName": "smtp"}))),
        404,
        "CONNECTION_NOT_FOUND",
    );
    assert_error(
        resolve(&sb, with(&ask(WORKSPACE), json!({"integrationName": "myspace"}))),
        404,
        "INTEGRATION_NOT_FOUND",
    );

    // An organization-wide connection resolves from any workspace; where a narrower one
    // with the same externalId is visible, the narrower one wins.
    let org = create(&sb, with(&alpha_body(), json!({"scope": "ORGANIZATION"})));
    assert_eq!(
        resolved_id(&sb, ask(OTHER_WORKSPACE)),
        org["id"].as_str().unwrap()
    );
    assert_eq!(resolved_id(&sb, ask(WORKSPACE)), id);
}

#[test]
fn user_scoped_connections_resolve_for_their_end_user_only() {
    let sb = Sandbox::start();
    register(&sb, WORKSPACE, "cust-1");
    register(&sb, WORKSPACE, "cust-2");
    let mine = create(
        &sb,
        with(
            &alpha_body(),
            json!({"externalId": "cust-1-openai", "endUserId": "cust-1"}),
        ),
    );
    assert_eq!(mine["scope"], "USER");
    assert_eq!(mine["endUserId"], "cust-1");
    let by_user = |user: &str, workspace: &str| json!({"integrationName": "openai", "workspaceId": workspace, "endUserId": user});
    assert_eq!(
        resolved_id(&sb, by_user("cust-1", WORKSPACE)),
        mine["id"].as_str().unwrap()
    );
    let by_id = json!({"integrationName": "openai", "workspaceId": WORKSPACE, "externalId": "cust-1-openai"});
    assert_eq!(
        resolved_id(&sb, with(&by_id, json!({"endUserId": "cust-1"}))),
        mine["id"].as_str().unwrap()
    );

    // Without the end user, as another end user, or from another workspace: denied.
    assert_error(resolve(&sb, by_id.clone()), 403, "SCOPE_DENIED");
    assert_error(
        resolve(&sb, with(&by_id, json!({"endUserId": "cust-2"}))),
        403,
        "SCOPE_DENIED",
    );
    let body = assert_error(
        resolve(&sb, by_user("cust-1", OTHER_WORKSPACE)),
        403,
        "SCOPE_DENIED",
    );
    assert_eq!(body["details"]["scope"], "USER");
    // An end user without an openai connection, and another integration.
    assert_error(
        resolve(&sb, by_user("cust-2", WORKSPACE)),
        404,
        "CONNECTION_NOT_FOUND",
    );
    assert_error(
        resolve(
            &sb,
            with(&by_user("cust-1", WORKSPACE), json!({"integrationName": "smtp"})),
        ),
        404,
        "CONNECTION_NOT_FOUND",
    );

    // Several of one end user's connections: the latest one.
    std::thread::sleep(std::time::Duration::from_millis(5));
    let newer = create(
        &sb,
        with(
            &alpha_body(),
            json!({"externalId": "cust-1-openai-2", "endUserId": "cust-1"}),
        ),
    );
    assert_eq!(
        resolved_id(&sb, by_user("cust-1", WORKSPACE)),
        newer["id"].as_str().unwrap()
    );
}

#[test]
fn portal_connections_are_linked_to_the_end_user_and_resolve_by_end_user_id() {
    let sb = Sandbox::start();
    let id = register(&sb, WORKSPACE, "user_456");
    let portal: Value = sb
        .post(&format!("/end-users/{id}/connect-token"), json!({}))
        .json()
        .unwrap();
    let eut = portal["token"].as_str().unwrap();
    // The browser opens the portal first: its sessions are bound to it.
    sb.http
        .get(portal["connectUrl"].as_str().unwrap())
        .send()
        .unwrap();
    // One portal token, two different integrations.
    let mut made = Vec::new();
    for (integration, fields) in [
        ("openai", vec![("secretText", "sk-portal-0123456789abcdef")]),
        ("smtp", vec![("username", "mailer"), ("password", "pw-portal")]),
    ] {
        let res = sb
            .http
            .post(format!("{}/connect/portal/start", sb.connect))
            .form(&[("token", eut), ("integration", integration)])
            .send()
            .unwrap();
        assert_eq!(res.status(), 303);
        let cst = common::query_param(&common::location(&res), "token").unwrap();
        let mut form = vec![("token", cst.as_str())];
        form.extend(fields);
        let res = sb
            .http
            .post(format!("{}/connect/submit", sb.connect))
            .form(&form)
            .send()
            .unwrap();
        assert_eq!(res.status(), 200);
        let config = common::finish_config(&res.text().unwrap());
        assert_eq!(config["message"]["type"], "weavz-connect-result");
        assert_eq!(config["message"]["status"], "success");
        assert_eq!(config["message"]["integrationName"], integration);
        assert_eq!(config["message"]["endUserId"], "user_456");
        made.push(config["message"]["connectionId"].as_str().unwrap().to_owned());
    }
    for (integration, expected) in ["openai", "smtp"].iter().zip(&made) {
        let got = resolved_id(
            &sb,
            json!({"integrationName": integration, "workspaceId": WORKSPACE, "endUserId": "user_456"}),
        );
        assert_eq!(&got, expected);
    }
    let user: Value = sb.get(&format!("/end-users/{id}")).json().unwrap();
    assert_eq!(user["endUser"]["connectionCount"], 2);
    let listed: Vec<&str> = user["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, made.iter().map(String::as_str).collect::<Vec<_>>());
    let filtered: Value = sb.get("/connections?endUserId=user_456").json().unwrap();
    assert_eq!(filtered["total"], 2);
}

#[test]
fn deleting_an_end_user_deletes_their_connections() {
    let sb = Sandbox::start();
    let gone = register(&sb, WORKSPACE, "cust-1");
    register(&sb, WORKSPACE, "cust-2");
    let theirs = create(
        &sb,
        with(&alpha_body(), json!({"externalId": "c1", "endUserId": "cust-1"})),
    );
    let others = create(
        &sb,
        with(&alpha_body(), json!({"externalId": "c2", "endUserId": "cust-2"})),
    );
    let shared = create(&sb, alpha_body());
    let portal: Value = sb
        .post(&format!("/end-users/{gone}/connect-token"), json!({}))
        .json()
        .unwrap();
    let (pending, _) = sb.token("openai", json!({"endUserId": "cust-1"}));

    let res = sb
        .api(Method::DELETE, &format!("/end-users/{gone}"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().unwrap(), json!({"deleted": true, "id": gone}));

    let left: Vec<Value> = sb.connections().into_iter().map(|c| c["id"].clone()).collect();
    assert_eq!(left, [others["id"].clone(), shared["id"].clone()]);
    assert_error(
        sb.get(&format!("/connections?id={}", theirs["id"].as_str().unwrap())),
        404,
        "CONNECTION_NOT_FOUND",
    );
    assert_error(sb.get(&format!("/end-users/{gone}")), 404, "END_USER_NOT_FOUND");
    assert_error(
        sb.api(Method::DELETE, &format!("/end-users/{gone}"))
            .send()
            .unwrap(),
        404,
        "END_USER_NOT_FOUND",
    );
    assert_error(
        sb.api(Method::DELETE, "/end-users/nope").send().unwrap(),
        404,
        "END_USER_NOT_FOUND",
    );
    // Their portal link and their unfinished session stop working.
    let page = sb
        .http
        .get(portal["connectUrl"].as_str().unwrap())
        .header("accept", "application/json")
        .send()
        .unwrap();
    assert_error(page, 401, "INVALID_TOKEN");
    let poll = sb.poll(&pending);
    assert_eq!(poll["status"], "FAILED");
    assert!(poll["error"].as_str().unwrap().contains("deleted"), "{poll}");
    assert_error(
        resolve(
            &sb,
            json!({"integrationName": "openai", "workspaceId": WORKSPACE, "endUserId": "cust-1"}),
        ),
        404,
        "CONNECTION_NOT_FOUND",
    );
    // The external id is free again.
    register(&sb, WORKSPACE, "cust-1");
}

#[test]
fn portal_token_lifetimes() {
    let sb = Sandbox::start();
    let id = register(&sb, WORKSPACE, "cust-1");
    let path = format!("/end-users/{id}/connect-token");
    let expires_in = |body: Value| -> i64 {
        let res = sb.post(&path, body);
        assert_eq!(res.status(), 200);
        let body: Value = res.json().unwrap();
        let at = time::OffsetDateTime::parse(
            body["expiresAt"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        (at - time::OffsetDateTime::now_utc()).whole_seconds()
    };
    let near = |got: i64, want: i64| assert!((want - 60..=want).contains(&got), "{got} vs {want}");
    near(expires_in(json!({})), 604_800);
    near(expires_in(json!({"expiresIn": 3600})), 3600);
    near(expires_in(json!({"expiresIn": 2_592_000})), 2_592_000);
    for bad in [json!(3599), json!(2_592_001), json!(-1), json!(0)] {
        let body = assert_error(
            sb.post(&path, json!({ "expiresIn": bad })),
            400,
            "VALIDATION_ERROR",
        );
        assert_eq!(paths(&body), ["expiresIn"], "{bad}");
    }
    for bad in [json!("3600"), json!(3600.5), json!(1e30)] {
        let body = assert_error(
            sb.post(&path, json!({ "expiresIn": bad })),
            400,
            "VALIDATION_ERROR",
        );
        assert_eq!(paths(&body), ["expiresIn"], "{bad}");
    }

    // A session started from a one-hour portal link ends with the link, not 4 hours later.
    let portal: Value = sb.post(&path, json!({"expiresIn": 3600})).json().unwrap();
    sb.http
        .get(portal["connectUrl"].as_str().unwrap())
        .send()
        .unwrap();
    let res = sb
        .http
        .post(format!("{}/connect/portal/start", sb.connect))
        .form(&[
            ("token", portal["token"].as_str().unwrap()),
            ("integration", "github"),
        ])
        .send()
        .unwrap();
    let cst = common::query_param(&common::location(&res), "token").unwrap();
    let session: Value = sb.get(&format!("/connect/session/{cst}")).json().unwrap();
    assert_eq!(session["session"]["expiresAt"], portal["expiresAt"]);
    assert_eq!(session["session"]["endUserId"], "cust-1");
    assert_eq!(session["session"]["scope"], "USER");
}

// ---- The demo host backend's multi-tenant endpoints ----

fn host_post(sb: &Sandbox, path: &str, body: Value) -> reqwest::blocking::Response {
    sb.http
        .post(format!("{}{path}", sb.host))
        .json(&body)
        .send()
        .unwrap()
}

fn host_get(sb: &Sandbox, path: &str) -> Value {
    let res = sb.http.get(format!("{}{path}", sb.host)).send().unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.json().unwrap()
}

fn end_users(sb: &Sandbox) -> Vec<Value> {
    let body: Value = sb
        .get(&format!("/end-users?workspaceId={WORKSPACE}"))
        .json()
        .unwrap();
    body["endUsers"].as_array().unwrap().clone()
}

#[test]
fn demo_host_mints_portal_tokens_for_end_users_by_external_id() {
    let sb = Sandbox::start();
    let res = host_post(
        &sb,
        "/api/end-user-connect-token",
        json!({"endUserId": "tenant-a", "integration": "slack", "displayName": "Tenant A"}),
    );
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let first: Value = res.json().unwrap();
    assert!(
        !first.to_string().contains(&sb.api_key),
        "the key stays on the server"
    );
    let eut = first["token"].as_str().unwrap();
    assert!(eut.starts_with("eut_"));
    assert_eq!(
        first["connectUrl"],
        format!("{}/connect/portal?token={eut}", sb.connect)
    );
    assert!(first["expiresAt"].as_str().is_some());
    assert_eq!(first["endUserId"], "tenant-a");
    let users = end_users(&sb);
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["externalId"], "tenant-a");
    assert_eq!(users[0]["displayName"], "Tenant A");

    // The token is for Slack only.
    let html = sb
        .http
        .get(first["connectUrl"].as_str().unwrap())
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(html.contains("aria-label=\"Connect Slack\""));
    assert!(!html.contains("aria-label=\"Connect OpenAI\""));

    // A known end user is found, not registered twice; `integrationName` works too.
    let res = host_post(
        &sb,
        "/api/end-user-connect-token",
        json!({"endUserId": "tenant-a", "integrationName": "openai", "expiresIn": 3600}),
    );
    assert_eq!(res.status(), 200);
    let second: Value = res.json().unwrap();
    assert_ne!(second["token"], first["token"]);
    assert_eq!(end_users(&sb).len(), 1);
    // Both tokens work.
    for token in [&first, &second] {
        let res = sb.http.get(token["connectUrl"].as_str().unwrap()).send().unwrap();
        assert_eq!(res.status(), 200);
    }
    let listed = host_get(&sb, "/api/end-users");
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["endUsers"][0]["externalId"], "tenant-a");

    // Many end users: the one asked for is found past the first page of the listing.
    for n in 0..205 {
        register(&sb, WORKSPACE, &format!("bulk-{n}"));
    }
    let res = host_post(
        &sb,
        "/api/end-user-connect-token",
        json!({"endUserId": "bulk-204", "integration": "slack"}),
    );
    assert_eq!(res.status(), 200);
    assert_eq!(end_users(&sb).len(), 50, "the API's page size");
    let total: Value = sb
        .get(&format!("/end-users?workspaceId={WORKSPACE}"))
        .json()
        .unwrap();
    assert_eq!(total["total"], 206);
}

#[test]
fn demo_host_end_user_token_bad_input_registers_no_one() {
    let sb = Sandbox::start();
    let cases = [
        (json!({}), 400, "VALIDATION_ERROR"),
        (json!({"endUserId": ""}), 400, "VALIDATION_ERROR"),
        (json!({"endUserId": 42}), 400, "VALIDATION_ERROR"),
        (
            json!({"endUserId": "t", "expiresIn": 60}),
            400,
            "VALIDATION_ERROR",
        ),
        (
            json!({"endUserId": "t", "expiresIn": "week"}),
            400,
            "VALIDATION_ERROR",
        ),
        (
            json!({"endUserId": "t", "integration": "myspace"}),
            404,
            "INTEGRATION_NOT_FOUND",
        ),
    ];
    for (body, status, code) in cases {
        let res = host_post(&sb, "/api/end-user-connect-token", body.clone());
        assert_eq!(res.status(), status, "{body}");
        let got: Value = res.json().unwrap();
        assert_eq!(got["code"], code, "{body}");
        assert!(got["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    let res = sb
        .http
        .post(format!("{}/api/end-user-connect-token", sb.host))
        .body("endUserId=t")
        .send()
        .unwrap();
    assert_error(res, 415, "UNSUPPORTED_MEDIA_TYPE");
    assert!(end_users(&sb).is_empty(), "nobody was registered");
}

#[test]
fn demo_host_lists_connections_per_end_user() {
    let sb = Sandbox::start();
    register(&sb, WORKSPACE, "tenant-a");
    register(&sb, WORKSPACE, "tenant-b");
    let a = create(
        &sb,
        with(&alpha_body(), json!({"externalId": "a", "endUserId": "tenant-a"})),
    );
    create(
        &sb,
        with(&alpha_body(), json!({"externalId": "b", "endUserId": "tenant-b"})),
    );
    create(&sb, alpha_body());
    create(
        &sb,
        with(
            &alpha_body(),
            json!({"externalId": "elsewhere", "workspaceId": OTHER_WORKSPACE}),
        ),
    );

    // Unchanged without filters: the demo workspace's connections.
    let all = host_get(&sb, "/api/connections");
    assert_eq!(all["total"], 3);
    let mine = host_get(&sb, "/api/connections?endUserId=tenant-a");
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["connections"][0]["id"], a["id"]);
    let none = host_get(&sb, "/api/connections?endUserId=tenant-a&integrationName=slack");
    assert_eq!(none["total"], 0);
    let nobody = host_get(&sb, "/api/connections?endUserId=tenant%20c");
    assert_eq!(nobody["total"], 0);
    let res = sb
        .http
        .get(format!("{}/api/connections?endUserId=a&endUserId=b", sb.host))
        .send()
        .unwrap();
    assert_error(res, 400, "VALIDATION_ERROR");
}

// ---- The demo host backend's panel endpoints ----

#[test]
fn host_lists_the_integration_catalog_for_the_picker() {
    let sb = Sandbox::start();
    let body = host_get(&sb, "/api/integrations");
    let list = body["integrations"].as_array().unwrap();
    assert!(list.len() >= 6);
    let slack = list.iter().find(|i| i["name"] == "slack").unwrap();
    assert_eq!(slack["displayName"], "Slack");
    assert!(slack["logoUrl"].as_str().unwrap().starts_with("data:image/"));
    assert!(slack["categories"].as_array().is_some_and(|c| !c.is_empty()));
}

#[test]
fn host_disconnects_only_its_own_workspace_connections() {
    let sb = Sandbox::start();
    let own = sb.post(
        "/connections",
        json!({ "type": "SECRET_TEXT", "integrationName": "openai", "workspaceId": WORKSPACE,
                "externalId": "panel-own", "displayName": "Own", "secretText": "sk-own-0123456789" }),
    );
    assert_eq!(own.status(), 201);
    let own: Value = own.json().unwrap();
    let other = sb.post(
        "/connections",
        json!({ "type": "SECRET_TEXT", "integrationName": "openai", "externalId": "panel-org",
                "displayName": "Org wide", "secretText": "sk-org-0123456789" }),
    );
    assert_eq!(other.status(), 201);
    let other: Value = other.json().unwrap();
    let delete = |id: &str| {
        sb.http
            .delete(format!("{}/api/connections/{id}", sb.host))
            .send()
            .unwrap()
    };

    // Another owner's connection (organization-wide, no workspace) is not the demo's to delete.
    let res = delete(other["connection"]["id"].as_str().unwrap());
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>().unwrap()["code"], "CONNECTION_NOT_FOUND");
    let res = delete("no-such-connection");
    assert_eq!(res.status(), 404);

    let id = own["connection"]["id"].as_str().unwrap();
    let res = delete(id);
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().unwrap()["deleted"], true);
    let ids: Vec<Value> = sb.connections().iter().map(|c| c["id"].clone()).collect();
    assert!(!ids.contains(&json!(id)));
    assert!(ids.contains(&other["connection"]["id"]));
}
