//! A server-rendered Leptos app with weavz-connect: a settings page whose `ConnectButton`
//! the server renders (label, `data-state="idle"`, `aria-disabled="true"`) and the browser
//! hydrates, and a `ConnectionsPanel` (its frame rendered by the server; it loads the
//! catalog and the user's connections once hydrated), and a button of the app's own on the
//! `use_connect` hook (GitHub). The same crate is both halves, as
//! cargo-leptos lays them out: with `ssr` the server (`src/main.rs`) renders [`shell`];
//! with `hydrate` the wasm's [`hydrate`] entry takes over the page the server sent.

use leptos::prelude::*;
use weavz_connect::flow::{Connection, FlowError};
use weavz_connect::ui::{ConnectButton, ConnectionsPanel, UseConnectOptions, use_connect};

/// The name the browser build is given (`wasm-bindgen --out-name`): the server's
/// `HydrationScripts` load `/pkg/<name>.js` and `/pkg/<name>_bg.wasm`.
pub const OUTPUT_NAME: &str = "weavz_connect_example_leptos_ssr";

/// The settings page: what the server renders inside `<body>` and the browser hydrates.
/// Built with feature `islands` (Leptos' islands), the page itself stays server-only and
/// its three interactive parts are islands, each hydrated on its own.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <main>
            <h1>"Settings"</h1>
            <SlackCard/>
            <Connections/>
            <GitHubCard/>
        </main>
    }
}

/// The `ConnectButton`, with what its callbacks report.
#[cfg_attr(feature = "islands", island)]
#[cfg_attr(not(feature = "islands"), component)]
fn SlackCard() -> impl IntoView {
    let (connected, set_connected) = signal(None::<Connection>);
    let (failed, set_failed) = signal(None::<FlowError>);
    view! {
        <section id="integrations">
            <h2>"Integrations"</h2>
            <ConnectButton
                integration="slack"
                display_name="Slack"
                token_endpoint="/api/connect-token"
                session_endpoint="/api/connect-session"
                on_connected=Callback::new(move |c: Connection| set_connected.set(Some(c)))
                on_error=Callback::new(move |e: FlowError| set_failed.set(Some(e)))
            />
            <p id="result" role="status">
                {move || match (connected.get(), failed.get()) {
                    (Some(c), _) => format!("Connected: {} ({})", c.connection_id, c.integration_name),
                    (None, Some(e)) => format!("{}: {}", e.code.as_str(), e.message),
                    (None, None) => "Not connected yet.".to_owned(),
                }}
            </p>
        </section>
    }
}

/// The user's connections.
#[cfg_attr(feature = "islands", island)]
#[cfg_attr(not(feature = "islands"), component)]
fn Connections() -> impl IntoView {
    view! {
        <section id="connections">
            <ConnectionsPanel
                token_endpoint="/api/connect-token"
                session_endpoint="/api/connect-session"
                integrations_endpoint="/api/integrations"
                connections_endpoint="/api/connections"
                integrations="slack,github"
            />
        </section>
    }
}

/// A button of the app's own, on the `use_connect` hook: the server renders it as the
/// hook is there (idle, not ready: `aria-disabled`), the browser makes it usable.
#[cfg_attr(feature = "islands", island)]
#[cfg_attr(not(feature = "islands"), component)]
fn GitHubCard() -> impl IntoView {
    let github = use_connect(
        UseConnectOptions::new("github", "/api/connect-token").session_endpoint("/api/connect-session"),
    );
    view! {
        <section id="custom-connect">
            <h2>"GitHub"</h2>
            <button id="connect-github" type="button" on:click=move |_| github.open()
                data-state=move || github.state.get().name()
                aria-disabled=move || (!github.ready.get()).then_some("true")>
                {move || if github.connection.get().is_some() { "Connect another GitHub account" } else { "Connect GitHub" }}
            </button>
            <p id="github-result" role="status">
                {move || match (github.connection.get(), github.error.get()) {
                    (Some(c), _) => format!("GitHub connected: {}", c.connection_id),
                    (None, Some(e)) => format!("{}: {}", e.code.as_str(), e.message),
                    (None, None) => "GitHub is not connected.".to_owned(),
                }}
            </p>
        </section>
    }
}

/// The whole document the server sends: `<head>` with the hydration scripts for `options`
/// (`/pkg/…`), `<body>` with [`App`].
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    send_csp();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>"weavz-connect: Leptos (server-rendered)"</title>
                <link rel="icon" href="data:,"/>
                <HydrationScripts options islands=cfg!(feature = "islands")/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The widget's minimal CSP (without the Trusted Types directives: Leptos builds templates
/// with `innerHTML`), as this response's header. Leptos' inline scripts (the hydration
/// script, the streaming ones) carry the response's nonce, which the policy names.
#[cfg(feature = "ssr")]
fn send_csp() {
    use axum::http::{HeaderValue, header};
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
         object-src 'none'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The browser's entry: the hydration script calls it once the wasm is loaded; it hydrates
/// `<body>` with [`App`] (the same view the server rendered there).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // A panic (a hydration mismatch is one) says what and where on the console.
    console_error_panic_hook::set_once();
    // Islands: only the islands hydrate, each from the markup the server sent.
    #[cfg(feature = "islands")]
    leptos::mount::hydrate_islands();
    #[cfg(not(feature = "islands"))]
    leptos::mount::hydrate_body(App);
}
