//! Starts the real `weavz-sandbox` binary on port 0 and talks to it over HTTP, and the
//! helpers the test files share (request bodies, the error-body check, raw HTTP/1.1).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::{Value, json};

pub const WORKSPACE: &str = "5a4d0b0e-0000-4000-8000-000000000001";

/// A sandbox process, killed on drop.
pub struct Sandbox {
    child: Child,
    pub host: String,
    pub connect: String,
    pub provider: String,
    pub api_key: String,
    pub http: Client,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The URLs a sandbox printed, read from its stdout.
pub fn read_banner(child: &mut Child) -> std::collections::HashMap<String, String> {
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let mut found = std::collections::HashMap::new();
    while found.len() < 5 {
        let line = lines
            .next()
            .expect("sandbox exited before printing its URLs")
            .expect("readable stdout");
        if let Some((k, v)) = line.split_once(": ") {
            found.insert(k.to_owned(), v.to_owned());
        }
    }
    found
}

pub fn command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_weavz-sandbox"));
    for var in [
        "WEAVZ_SANDBOX_HOST_PORT",
        "WEAVZ_SANDBOX_CONNECT_PORT",
        "WEAVZ_SANDBOX_PROVIDER_PORT",
        "WEAVZ_API_KEY",
        "WEAVZ_SANDBOX_ALLOWED_ORIGINS",
        "WEAVZ_SANDBOX_ALLOWED_HOSTS",
        "WEAVZ_BASE_URL",
        "WEAVZ_WORKSPACE_ID",
        "WEAVZ_SANDBOX_DEMO_DIR",
    ] {
        cmd.env_remove(var);
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

impl Sandbox {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> Self {
        let mut child = command()
            .args(["--host-port", "0", "--connect-port", "0", "--provider-port", "0"])
            .args(extra)
            .spawn()
            .expect("spawn weavz-sandbox");
        let banner = read_banner(&mut child);
        let http = browser_client();
        Sandbox {
            child,
            host: banner["host"].clone(),
            connect: banner["connect"].clone(),
            provider: banner["provider"].clone(),
            api_key: banner["api key"].clone(),
            http,
        }
    }

    /// Another browser: an HTTP client with a cookie jar of its own.
    pub fn other_browser(&self) -> Client {
        browser_client()
    }

    /// A request to the connect API with the API key.
    pub fn api(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}/api/v1{path}", self.connect))
            .bearer_auth(&self.api_key)
    }

    pub fn post(&self, path: &str, body: Value) -> Response {
        self.api(reqwest::Method::POST, path).json(&body).send().unwrap()
    }

    pub fn get(&self, path: &str) -> Response {
        self.api(reqwest::Method::GET, path).send().unwrap()
    }

    /// A connect token for `integration` with extra fields merged in; panics unless 200.
    pub fn token(&self, integration: &str, extra: Value) -> (String, String) {
        let mut body = json!({
            "integrationName": integration,
            "connectionName": format!("{integration} test"),
            "externalId": "user-1",
            "workspaceId": WORKSPACE,
        });
        if let Value::Object(extra) = extra {
            for (k, v) in extra {
                body[k] = v;
            }
        }
        let res = self.post("/connect/token", body);
        assert_eq!(res.status(), 200);
        let body: Value = res.json().unwrap();
        (
            body["token"].as_str().unwrap().to_owned(),
            body["connectUrl"].as_str().unwrap().to_owned(),
        )
    }

    /// A new end user (`external_id`) of the workspace and a portal link for them: Weavz's
    /// `{connectUrl, token, expiresAt}`; panics unless both calls succeed.
    pub fn portal_link(&self, external_id: &str, body: Value) -> Value {
        let user: Value = self
            .post(
                "/end-users",
                json!({"workspaceId": WORKSPACE, "externalId": external_id}),
            )
            .json()
            .unwrap();
        let id = user["endUser"]["id"].as_str().expect("an end user id");
        let res = self.post(&format!("/end-users/{id}/connect-token"), body);
        assert!(res.status().is_success(), "{}", res.status());
        res.json().unwrap()
    }

    pub fn poll(&self, token: &str) -> Value {
        let res = self.post("/connect/session/poll", json!({ "token": token }));
        assert_eq!(res.status(), 200);
        res.json().unwrap()
    }

    pub fn connections(&self) -> Vec<Value> {
        let body: Value = self.get("/connections").json().unwrap();
        body["connections"].as_array().unwrap().clone()
    }

    /// Runs an OAuth2 flow up to the provider's answer; returns the callback URL it
    /// redirects to (not followed).
    pub fn oauth_until_callback(&self, connect_url: &str, decision: &str) -> String {
        self.oauth_until_callback_in(&self.http, connect_url, decision)
    }

    /// [`Sandbox::oauth_until_callback`] in the browser `http`.
    pub fn oauth_until_callback_in(&self, http: &Client, connect_url: &str, decision: &str) -> String {
        let authorize = self.authorize_url_in(http, connect_url);
        let consent = http.get(&authorize).send().unwrap();
        assert_eq!(consent.status(), 200);
        let html = consent.text().unwrap();
        assert!(html.contains(">Approve</button>") && html.contains(">Deny</button>"));
        let request = attr_value(&html, "name=\"request\" value=\"");
        let action = attr_value(&html, "action=\"");
        let res = http
            .post(format!("{}{action}", self.provider))
            .form(&[("request", request.as_str()), ("decision", decision)])
            .send()
            .unwrap();
        assert_eq!(res.status(), 303);
        location(&res)
    }
}

impl Sandbox {
    /// Opens an OAuth2 connect URL in `http` and returns the provider URL its interstitial
    /// page goes on to (the page's script would navigate there).
    pub fn authorize_url_in(&self, http: &Client, connect_url: &str) -> String {
        let res = http.get(connect_url).send().unwrap();
        assert_eq!(res.status(), 200, "the connect page is an interstitial page");
        let html = res.text().unwrap();
        assert!(html.contains("<h1>Opening "), "{html}");
        let authorize = page_config(&html)["next"].as_str().unwrap().to_owned();
        assert!(authorize.starts_with(&self.provider), "{authorize}");
        authorize
    }

    pub fn authorize_url(&self, connect_url: &str) -> String {
        self.authorize_url_in(&self.http, connect_url)
    }
}

/// An HTTP client that keeps cookies (a browser, for the hosted pages) and does not
/// follow redirects.
pub fn browser_client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The JSON a hosted page hands to connect.js (`#weavz-page`).
pub fn page_config(html: &str) -> Value {
    let start_tag = "<script type=\"application/json\" id=\"weavz-page\">";
    let start = html.find(start_tag).expect("a hosted page with a window config") + start_tag.len();
    let end = html[start..].find("</script>").unwrap() + start;
    serde_json::from_str(&html[start..end]).unwrap()
}

pub fn location(res: &Response) -> String {
    res.headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// The value after `prefix` up to the next `"`.
pub fn attr_value(html: &str, prefix: &str) -> String {
    let start = html
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} not in {html}"))
        + prefix.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].replace("&amp;", "&")
}

/// The JSON the finish page hands to finish.js.
pub fn finish_config(html: &str) -> Value {
    let start_tag = "<script type=\"application/json\" id=\"weavz-result\">";
    let start = html.find(start_tag).expect("finish page") + start_tag.len();
    let end = html[start..].find("</script>").unwrap() + start;
    serde_json::from_str(&html[start..end]).unwrap()
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Percent-encodes everything but the unreserved characters (letters, digits, `-`, `_`,
/// `.`, `~`).
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Status code and body of a raw request `head` (request line and headers, without the
/// final blank line) sent to `origin` over HTTP/1.1, written exactly as given.
pub fn raw(origin: &str, head: &str) -> (u16, String) {
    let addr = origin.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream
        .write_all(format!("{head}\r\nConnection: close\r\n\r\n").as_bytes())
        .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("an answer");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

// ---- The connect API: the error body, and the bodies tests build on ----

/// Asserts a Weavz error answer (`status`, a JSON body with `code` and a non-empty
/// `error`) and returns its body.
pub fn assert_error(res: Response, status: u16, code: &str) -> Value {
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

/// A valid `POST /connect/token` body for OpenAI.
pub fn token_body() -> Value {
    json!({
        "integrationName": "openai",
        "connectionName": "OpenAI",
        "externalId": "user-1",
        "workspaceId": WORKSPACE,
    })
}

/// The `details.fields[].path` of a validation error.
pub fn paths(body: &Value) -> Vec<String> {
    body["details"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no field details in {body}"))
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect()
}

/// Registers end user `external_id` in `workspace`; panics unless 201. Returns its id.
pub fn register(sb: &Sandbox, workspace: &str, external_id: &str) -> String {
    let res = sb.post(
        "/end-users",
        json!({"workspaceId": workspace, "externalId": external_id}),
    );
    assert_eq!(res.status(), 201);
    let body: Value = res.json().unwrap();
    body["endUser"]["id"].as_str().unwrap().to_owned()
}

// ---- Connections created through the API ----

pub const OTHER_WORKSPACE: &str = "5a4d0b0e-0000-4000-8000-000000000002";
pub const ALPHA_KEY: &str = "sk-alpha-secret-0123456789abcdef";

/// The seed's `SECRET_TEXT` connection, in the default workspace.
pub fn alpha_body() -> Value {
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
pub fn with(base: &Value, extra: Value) -> Value {
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

/// Creates a connection; panics unless 201. Returns the connection object.
pub fn create(sb: &Sandbox, body: Value) -> Value {
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

pub fn resolve(sb: &Sandbox, body: Value) -> Response {
    sb.post("/connections/resolve", body)
}

/// Resolves; panics unless 200. Returns the connection's id.
pub fn resolved_id(sb: &Sandbox, body: Value) -> String {
    let res = resolve(sb, body);
    assert_eq!(res.status(), 200);
    let body: Value = res.json().unwrap();
    body["connection"]["id"].as_str().unwrap().to_owned()
}

// ---- The demo host backend ----

/// A JSON `POST` to the demo host backend.
pub fn host_post(sb: &Sandbox, path: &str, body: Value) -> Response {
    sb.http
        .post(format!("{}{path}", sb.host))
        .json(&body)
        .send()
        .unwrap()
}

/// A `GET` from the demo host backend; panics unless 200. Returns the JSON body.
pub fn host_get(sb: &Sandbox, path: &str) -> Value {
    let res = sb.http.get(format!("{}{path}", sb.host)).send().unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.json().unwrap()
}
