//! Connections over the API: listing and deleting, creating them directly (every form
//! type, validation, duplicates) and resolving them by scope.

mod common;

use common::{
    ALPHA_KEY, OTHER_WORKSPACE, Sandbox, WORKSPACE, alpha_body, assert_error, create, paths, register,
    resolve, resolved_id, with,
};
use reqwest::Method;
use serde_json::{Value, json};

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

/// Connects OpenAI (API key) for `external_id` through the hosted page; returns its id.
fn connect_openai(sb: &Sandbox, external_id: &str, secret: &str) -> String {
    let (token, url) = sb.token("openai", json!({ "externalId": external_id }));
    sb.http.get(&url).send().unwrap();
    let res = sb
        .http
        .post(format!("{}/connect/submit", sb.connect))
        .form(&[("token", token.as_str()), ("secretText", secret)])
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    sb.poll(&token)["connectionId"].as_str().unwrap().to_owned()
}

#[test]
fn sandbox_status_endpoint_breaks_a_connection_and_a_reconnect_heals_it_in_place() {
    let sb = Sandbox::start();
    let id = connect_openai(&sb, "status-user", "sk-first-0123456789abcdef");
    let status = |body: Value| {
        sb.http
            .post(format!("{}/sandbox/connections/{id}/status", sb.connect))
            .bearer_auth(&sb.api_key)
            .json(&body)
            .send()
            .unwrap()
    };

    // Broken on purpose: the list says so, with the reason.
    let res = status(json!({ "status": "ERROR", "error": "The API key was revoked." }));
    assert_eq!(res.status(), 200);
    let body: Value = res.json().unwrap();
    assert_eq!(body["connection"]["id"], id.as_str());
    assert_eq!(body["connection"]["status"], "ERROR");
    assert_eq!(body["connection"]["error"], "The API key was revoked.");
    let listed: Value = sb.get(&format!("/connections?id={id}")).json().unwrap();
    assert_eq!(listed["connection"]["status"], "ERROR");
    assert_eq!(listed["connection"]["error"], "The API key was revoked.");

    // Reconnecting into the same slot keeps the id and makes it work again.
    let again = connect_openai(&sb, "status-user", "sk-second-0123456789abcdef");
    assert_eq!(again, id, "the same connection, updated in place");
    let conns = sb.connections();
    assert_eq!(conns.len(), 1);
    assert_eq!(conns[0]["status"], "ACTIVE");
    assert!(conns[0].get("error").is_none(), "{}", conns[0]);

    // Healed through the endpoint too; ACTIVE takes no error text.
    status(json!({ "status": "ERROR" }));
    let res = status(json!({ "status": "ACTIVE" }));
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().unwrap()["connection"]["status"], "ACTIVE");
    let bad = assert_error(
        status(json!({ "status": "ACTIVE", "error": "x" })),
        400,
        "VALIDATION_ERROR",
    );
    assert!(bad.to_string().contains("error"), "{bad}");

    // Refused: other statuses, a missing one, a non-string or oversized error.
    for body in [
        json!({ "status": "EXPIRED" }),
        json!({ "status": "error" }),
        json!({ "status": 1 }),
        json!({}),
        json!({ "status": "ERROR", "error": 5 }),
        json!({ "status": "ERROR", "error": "e".repeat(501) }),
        json!({ "status": "ERROR", "error": "line\nbreak" }),
    ] {
        assert_error(status(body.clone()), 400, "VALIDATION_ERROR");
    }
    assert_eq!(
        sb.connections()[0]["status"],
        "ACTIVE",
        "a refused change changes nothing"
    );

    // An unknown id, no API key, and never under Weavz's own /api/v1.
    let unknown = sb
        .http
        .post(format!("{}/sandbox/connections/no-such-id/status", sb.connect))
        .bearer_auth(&sb.api_key)
        .json(&json!({ "status": "ERROR" }))
        .send()
        .unwrap();
    assert_error(unknown, 404, "CONNECTION_NOT_FOUND");
    let anonymous = sb
        .http
        .post(format!("{}/sandbox/connections/{id}/status", sb.connect))
        .json(&json!({ "status": "ERROR" }))
        .send()
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_error(
        sb.post(&format!("/connections/{id}/status"), json!({ "status": "ERROR" })),
        404,
        "NOT_FOUND",
    );
    assert_eq!(sb.connections()[0]["status"], "ACTIVE");
}
