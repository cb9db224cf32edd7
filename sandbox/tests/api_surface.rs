//! The connect API's surface over HTTP: the API key, the Weavz error body for malformed
//! requests and unknown routes, and the integrations catalog.

mod common;

use common::{Sandbox, WORKSPACE, assert_error, token_body};
use reqwest::Method;
use serde_json::{Value, json};

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
