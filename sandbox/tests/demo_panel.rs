//! The demo host backend's endpoints for the connections panel: the integration catalog
//! for the picker, and disconnecting.

mod common;

use common::{Sandbox, WORKSPACE, host_get};
use serde_json::{Value, json};

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
