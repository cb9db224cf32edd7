//! The demo host backend's `DELETE /api/connections/:id`: it deletes only what belongs to
//! the requested end user, against this sandbox and relayed to another Weavz, and every id
//! it puts in an upstream URL stays one path segment.

mod common;

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::response::IntoResponse;
use common::{Sandbox, WORKSPACE, encode, raw, register};
use serde_json::{Value, json};

fn create(sb: &Sandbox, external_id: &str, end_user: Option<&str>) -> String {
    let mut body = json!({ "type": "SECRET_TEXT", "integrationName": "openai", "workspaceId": WORKSPACE,
                           "externalId": external_id, "displayName": external_id,
                           "secretText": "sk-test-0123456789" });
    if let Some(user) = end_user {
        body["endUserId"] = json!(user);
    }
    let res = sb.post("/connections", body);
    assert_eq!(res.status(), 201);
    res.json::<Value>().unwrap()["connection"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn ids(sb: &Sandbox) -> Vec<String> {
    sb.connections()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Runs the ownership checks through `host` (a demo host backend whose Weavz is `weavz`).
fn deletes_only_the_end_users_own(host: &Sandbox, weavz: &Sandbox) {
    register(weavz, WORKSPACE, "tenant-a");
    register(weavz, WORKSPACE, "tenant-b");
    let a = create(weavz, "a", Some("tenant-a"));
    let b = create(weavz, "b", Some("tenant-b"));
    let shared = create(weavz, "shared", None);
    let delete = |id: &str, user: Option<&str>| {
        let mut url = format!("{}/api/connections/{id}", host.host);
        if let Some(user) = user {
            url.push_str(&format!("?endUserId={user}"));
        }
        host.http.delete(url).send().unwrap()
    };

    // Another end user's connection, or one of no end user: 403, nothing deleted.
    for (id, user) in [(&a, "tenant-b"), (&shared, "tenant-a"), (&a, "tenant-c")] {
        let res = delete(id, Some(user));
        assert_eq!(res.status(), 403, "{id} for {user}");
        let body: Value = res.json().unwrap();
        assert_eq!(body["code"], "FORBIDDEN");
        let says = body["error"].as_str().unwrap();
        assert!(says.contains(id.as_str()) && says.contains(user), "{says}");
    }
    assert_eq!(ids(weavz).len(), 3, "nothing was deleted");
    let res = delete("no-such-connection", Some("tenant-a"));
    assert_eq!(res.status(), 404);

    // Their own: deleted.
    let res = delete(&a, Some("tenant-a"));
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().unwrap()["deleted"], true);
    assert_eq!(ids(weavz), vec![b.clone(), shared.clone()]);
    // Without endUserId the workspace check alone applies, as before.
    assert_eq!(delete(&shared, None).status(), 200);
    assert_eq!(ids(weavz), vec![b]);
}

#[test]
fn delete_checks_the_end_user_against_this_sandbox() {
    let sb = Sandbox::start();
    deletes_only_the_end_users_own(&sb, &sb);
}

#[test]
fn delete_checks_the_end_user_when_relaying_to_another_weavz() {
    let weavz = Sandbox::start();
    let host = Sandbox::start_with(&["--weavz-base-url", &weavz.connect, "--api-key", &weavz.api_key]);
    // Everything is created in (and checked against) `weavz`: a backend that used its own
    // sandbox's store would answer 404 throughout.
    deletes_only_the_end_users_own(&host, &weavz);
}

/// A Weavz that knows every connection id (as the demo workspace's, for end user `u`) and
/// records each request's method and path exactly as received.
async fn fake_weavz(seen: State<Arc<Mutex<Vec<String>>>>, request: Request) -> axum::response::Response {
    let (method, uri) = (request.method().clone(), request.uri().clone());
    seen.lock().unwrap().push(format!("{method} {}", uri.path()));
    if method == axum::http::Method::GET && uri.path() == "/api/v1/connections" {
        let id = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .find(|(k, _)| k == "id")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        // An id ending in `!other` is answered with another connection.
        let answered = id.strip_suffix("!other").map_or(id.clone(), |_| "c-other".into());
        return axum::Json(
            json!({ "connection": { "id": answered, "workspaceId": WORKSPACE, "endUserId": "u" } }),
        )
        .into_response();
    }
    axum::Json(json!({ "deleted": true })).into_response()
}

/// Sends a DELETE with the request target written exactly as given.
async fn raw_delete(origin: &str, target: &str) -> u16 {
    let addr = origin.trim_start_matches("http://").to_owned();
    let (origin, head) = (
        origin.to_owned(),
        format!("DELETE {target} HTTP/1.1\r\nHost: {addr}"),
    );
    tokio::task::spawn_blocking(move || raw(&origin, &head).0)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_stay_one_path_segment_upstream() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(fake_weavz).with_state(seen.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let sandbox = weavz_sandbox::start(weavz_sandbox::Config {
        weavz_base_url: Some(upstream),
        ..weavz_sandbox::Config::ephemeral()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let host = sandbox.origins.host.clone();

    for (id, upstream_path) in [
        ("a/b", "/api/v1/connections/a%2Fb"),
        ("a?b=1", "/api/v1/connections/a%3Fb=1"),
        ("a#b", "/api/v1/connections/a%23b"),
        ("a%2Fb", "/api/v1/connections/a%252Fb"),
        ("../../end-users", "/api/v1/connections/..%2F..%2Fend-users"),
        ("a b", "/api/v1/connections/a%20b"),
    ] {
        seen.lock().unwrap().clear();
        let res = http
            .delete(format!("{host}/api/connections/{}", encode(id)))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{id}");
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            vec![
                "GET /api/v1/connections".to_owned(),
                format!("DELETE {upstream_path}")
            ],
            "{id}"
        );
    }

    // `.` and `..` cannot be one segment of a URL (parsers resolve them): refused, and
    // nothing reaches Weavz.
    for target in [
        "/api/connections/%2E%2E",
        "/api/connections/%2e",
        "/api/connections/.%2E",
    ] {
        seen.lock().unwrap().clear();
        assert_eq!(raw_delete(&host, target).await, 404, "{target}");
        assert!(
            seen.lock().unwrap().is_empty(),
            "{target}: {:?}",
            seen.lock().unwrap()
        );
    }

    // Weavz answering the lookup with another connection, or another end user's: no DELETE.
    for (target, status) in [
        (format!("{host}/api/connections/x%21other"), 404),
        (format!("{host}/api/connections/x?endUserId=v"), 403),
    ] {
        seen.lock().unwrap().clear();
        let res = http.delete(&target).send().await.unwrap();
        assert_eq!(res.status(), status, "{target}");
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen, vec!["GET /api/v1/connections".to_owned()], "{target}");
    }
    let res = http
        .delete(format!("{host}/api/connections/x?endUserId=u"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the right end user");

    sandbox.shutdown().await;
    server.abort();
    let _ = server.await;
}
