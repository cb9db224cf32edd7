//! Soak: floods of unauthenticated provider authorizations and of token mints leave the
//! sandbox's memory bounded. The figures are printed (`cargo test --test soak --
//! --nocapture` shows them) and the growth of the process RSS is asserted.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use serde_json::json;
use weavz_sandbox::{Config, start};

/// Authorization requests nobody answers, each with a long `state` and `scope`.
const AUTHORIZE_REQUESTS: usize = 20_000;
/// Connect tokens minted (sessions that are never opened).
const TOKEN_MINTS: usize = 5_000;
/// Length of `state` and of `scope` in each authorization request: the longest the
/// provider accepts.
const FIELD_LEN: usize = 2048;
/// Authorization requests with 8 KB `state` and `scope`: refused, and must cost nothing.
const OVERSIZED_REQUESTS: usize = 2_000;
/// Requests in flight at once.
const IN_FLIGHT: usize = 16;
/// The bound on RSS growth.
const MAX_GROWTH_KIB: u64 = 20 * 1024;

/// The process's resident set size, from `/proc/self/status`.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

/// Runs `count` requests, `IN_FLIGHT` at a time; `make(i)` sends request `i` and returns
/// its status code. Returns how many answered each status.
async fn flood<F, Fut>(count: usize, make: F) -> std::collections::BTreeMap<u16, usize>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = u16> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let make = Arc::new(make);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let (next, make) = (next.clone(), make.clone());
        workers.spawn(async move {
            let mut seen = std::collections::BTreeMap::<u16, usize>::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break seen;
                }
                *seen.entry(make(i).await).or_default() += 1;
            }
        });
    }
    let mut all = std::collections::BTreeMap::new();
    while let Some(seen) = workers.join_next().await {
        for (status, n) in seen.expect("worker") {
            *all.entry(status).or_default() += n;
        }
    }
    all
}

/// `len` characters that differ for every `i`, so that nothing can be shared.
fn filler(prefix: char, i: usize, len: usize) -> String {
    let head = format!("{prefix}{i:08}");
    let mut s = String::with_capacity(len);
    s.push_str(&head);
    while s.len() < len {
        s.push((b'a' + (s.len() % 26) as u8) as char);
    }
    s.truncate(len);
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floods_leave_memory_bounded() {
    let sandbox = start(Config::ephemeral()).await.expect("sandbox starts");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let provider = sandbox.origins.provider.clone();
    let connect = sandbox.origins.connect.clone();
    let key = sandbox.api_key.clone();
    let workspace = sandbox.workspace_id.clone();

    let authorize_with = |len: usize| {
        let (http, provider, connect) = (http.clone(), provider.clone(), connect.clone());
        move |i: usize| {
            let url = url::Url::parse_with_params(
                &format!("{provider}/oauth/slack/authorize"),
                &[
                    ("response_type", "code".to_owned()),
                    ("client_id", "weavz-sandbox-slack".to_owned()),
                    ("redirect_uri", format!("{connect}/connect/oauth/callback/slack")),
                    ("state", filler('s', i, len)),
                    ("scope", filler('c', i, len)),
                    (
                        "code_challenge",
                        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_owned(),
                    ),
                    ("code_challenge_method", "S256".to_owned()),
                ],
            )
            .unwrap();
            let http = http.clone();
            async move {
                let res = http.get(url).send().await.expect("authorize answers");
                let status = res.status().as_u16();
                let _ = res.bytes().await;
                status
            }
        }
    };
    let mint = {
        let (http, connect) = (http.clone(), connect.clone());
        move |i: usize| {
            let body = json!({
                "integrationName": "openai",
                "connectionName": filler('n', i, 255),
                "externalId": filler('e', i, 255),
                "workspaceId": workspace,
            });
            let request = http
                .post(format!("{connect}/api/v1/connect/token"))
                .bearer_auth(&key)
                .json(&body);
            async move {
                let res = request.send().await.expect("token answers");
                let status = res.status().as_u16();
                let _ = res.bytes().await;
                status
            }
        }
    };

    let poll = {
        let (http, connect, key) = (http.clone(), connect.clone(), sandbox.api_key.clone());
        move |token: String| {
            let request = http
                .post(format!("{connect}/api/v1/connect/session/poll"))
                .bearer_auth(&key)
                .json(&json!({ "token": token }));
            async move { request.send().await.expect("poll answers").status().as_u16() }
        }
    };
    let mint_token = {
        let (http, connect, key, workspace) = (
            http.clone(),
            connect.clone(),
            sandbox.api_key.clone(),
            sandbox.workspace_id.clone(),
        );
        move || {
            let request = http
                .post(format!("{connect}/api/v1/connect/token"))
                .bearer_auth(&key)
                .json(&json!({ "integrationName": "openai", "connectionName": "first",
                               "externalId": "first", "workspaceId": workspace }));
            async move {
                let body: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
                body["token"].as_str().expect("a token").to_owned()
            }
        }
    };
    let authorize = authorize_with(FIELD_LEN);
    let oversized = Arc::new(authorize_with(4 * FIELD_LEN));

    // Warm up (connection pools, lazily built tables) before the baseline.
    let first_token = mint_token().await;
    let authorize = Arc::new(authorize);
    let mint = Arc::new(mint);
    {
        let (a, m) = (authorize.clone(), mint.clone());
        flood(200, move |i| a(1_000_000 + i)).await;
        flood(200, move |i| m(1_000_000 + i)).await;
    }

    let started = Instant::now();
    let before = rss_kib();
    let a = authorize.clone();
    let authorized = flood(AUTHORIZE_REQUESTS, move |i| a(i)).await;
    let o = oversized.clone();
    let refused = flood(OVERSIZED_REQUESTS, move |i| o(i)).await;
    let after_authorize = rss_kib();
    let m = mint.clone();
    let minted = flood(TOKEN_MINTS, move |i| m(i)).await;
    let after = rss_kib();
    let elapsed = started.elapsed();
    // The oldest session made room for the newer ones; the newest works.
    let first_poll = poll(first_token).await;
    let last_poll = poll(mint_token().await).await;

    println!(
        "soak: {AUTHORIZE_REQUESTS} authorize requests ({FIELD_LEN}-byte state and scope) → {authorized:?}; \
         {OVERSIZED_REQUESTS} with {}-byte ones → {refused:?}; {TOKEN_MINTS} token mints → {minted:?}",
        4 * FIELD_LEN
    );
    println!(
        "soak: RSS {before} KiB before, {after_authorize} KiB after the authorizations, {after} KiB after the mints: \
         growth {} KiB (bound {MAX_GROWTH_KIB} KiB); {:.1} s",
        after.saturating_sub(before),
        elapsed.as_secs_f64()
    );
    sandbox.shutdown().await;

    assert_eq!(
        authorized.get(&200),
        Some(&AUTHORIZE_REQUESTS),
        "every authorization got its consent page"
    );
    assert_eq!(
        refused.get(&400),
        Some(&OVERSIZED_REQUESTS),
        "8 KB state and scope are refused"
    );
    assert_eq!(minted.get(&200), Some(&TOKEN_MINTS), "every mint succeeded");
    assert_eq!(
        first_poll, 401,
        "the oldest session was dropped for the newer ones"
    );
    assert_eq!(last_poll, 200, "a new session works");
    assert!(
        after.saturating_sub(before) < MAX_GROWTH_KIB,
        "RSS grew by {} KiB, more than {MAX_GROWTH_KIB} KiB",
        after.saturating_sub(before)
    );
}
