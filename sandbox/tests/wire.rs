//! The exact bytes of the token, portal token and poll answers: every key, `null` where a
//! value is missing, no key that was not there before, in the order the sandbox has always
//! sent.

mod common;

use common::{Sandbox, WORKSPACE};
use serde_json::{Value, json};

fn text(res: reqwest::blocking::Response) -> String {
    assert_eq!(res.status(), 200);
    res.text().unwrap()
}

fn poll_text(sb: &Sandbox, token: &str) -> String {
    text(sb.post("/connect/session/poll", json!({ "token": token })))
}

#[test]
fn the_token_answer_is_token_connect_url_and_expires_at() {
    let sb = Sandbox::start();
    let body = text(sb.post(
        "/connect/token",
        json!({
            "integrationName": "slack",
            "connectionName": "Slack test",
            "externalId": "user-1",
            "workspaceId": WORKSPACE,
        }),
    ));
    let v: Value = serde_json::from_str(&body).unwrap();
    let token = v["token"].as_str().unwrap();
    let expires_at = v["expiresAt"].as_str().unwrap();
    assert!(token.starts_with("cst_"), "{body}");
    assert_eq!(
        body,
        format!(
            "{{\"connectUrl\":\"{}/connect?token={token}\",\"expiresAt\":\"{expires_at}\",\"token\":\"{token}\"}}",
            sb.connect
        )
    );
}

#[test]
fn the_poll_answer_has_every_key_with_nulls_for_what_is_not_known_yet() {
    let sb = Sandbox::start();
    let (token, url) = sb.token("github", json!({}));
    let pending = "{\"connectionId\":null,\"error\":null,\"externalId\":\"user-1\",\
                   \"integrationName\":\"github\",\"status\":\"PENDING\"}";
    assert_eq!(poll_text(&sb, &token), pending);

    let callback = sb.oauth_until_callback(&url, "deny");
    assert_eq!(sb.http.get(&callback).send().unwrap().status(), 200);
    let failed = "{\"connectionId\":null,\"error\":\"Access was denied at GitHub.\",\
                  \"externalId\":\"user-1\",\"integrationName\":\"github\",\"status\":\"FAILED\"}";
    assert_eq!(poll_text(&sb, &token), failed);
}

#[test]
fn a_completed_poll_answer_carries_the_connection_and_a_null_error() {
    let sb = Sandbox::start();
    let (token, url) = sb.token("slack", json!({ "externalId": "user-2" }));
    let callback = sb.oauth_until_callback(&url, "approve");
    assert_eq!(sb.http.get(&callback).send().unwrap().status(), 200);
    let body = poll_text(&sb, &token);
    let id = sb.connections()[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        body,
        format!(
            "{{\"connectionId\":\"{id}\",\"error\":null,\"externalId\":\"user-2\",\
             \"integrationName\":\"slack\",\"status\":\"COMPLETED\"}}"
        )
    );
}

#[test]
fn the_portal_token_answer_is_connect_url_token_and_expires_at() {
    let sb = Sandbox::start();
    let user: Value = sb
        .post(
            "/end-users",
            json!({"workspaceId": WORKSPACE, "externalId": "cust-1"}),
        )
        .json()
        .unwrap();
    let id = user["endUser"]["id"].as_str().unwrap();
    let body = text(sb.post(&format!("/end-users/{id}/connect-token"), json!({})));
    let v: Value = serde_json::from_str(&body).unwrap();
    let token = v["token"].as_str().unwrap();
    let expires_at = v["expiresAt"].as_str().unwrap();
    assert!(token.starts_with("eut_"), "{body}");
    assert_eq!(
        body,
        format!(
            "{{\"connectUrl\":\"{}/connect/portal?token={token}\",\"expiresAt\":\"{expires_at}\",\"token\":\"{token}\"}}",
            sb.connect
        )
    );
}
