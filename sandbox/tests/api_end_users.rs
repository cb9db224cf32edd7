//! End users over the API: registering them, their portal tokens and lifetimes, the
//! connections made through the portal, and deleting an end user.

mod common;

use common::{
    Sandbox, WORKSPACE, alpha_body, assert_error, create, paths, register, resolve, resolved_id, with,
};
use reqwest::Method;
use serde_json::{Value, json};

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
