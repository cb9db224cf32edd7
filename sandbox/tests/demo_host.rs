//! The demo host backend's multi-tenant endpoints: portal tokens for end users by external
//! id, and connections per end user.

mod common;

use common::{
    OTHER_WORKSPACE, Sandbox, WORKSPACE, alpha_body, assert_error, create, host_get, host_post, register,
    with,
};
use serde_json::{Value, json};

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
