//! A Leptos app with one `ConnectButton`: the button stays disabled until the user accepts
//! the terms (a reactive `disabled`); the outcome (connected, cancelled or failed) is kept
//! in signals by the typed callbacks and shown, with the flow's steps as they happen.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use weavz_connect::flow::{Connection, FlowError, Progress};
use weavz_connect::ui::ConnectButton;

#[component]
fn App() -> impl IntoView {
    let (connected, set_connected) = signal(None::<Connection>);
    let (failed, set_failed) = signal(None::<FlowError>);
    let (cancelled, set_cancelled) = signal(false);
    let (steps, set_steps) = signal(Vec::<Progress>::new());
    let (accepted, set_accepted) = signal(false);
    view! {
        <main>
            <h1>"Connect Slack"</h1>
            <label>
                <input type="checkbox" id="terms" on:change=move |ev| set_accepted.set(event_target_checked(&ev))/>
                " I accept the terms for sharing my Slack data"
            </label>
            <ConnectButton
                integration="slack"
                token_endpoint="/api/connect-token"
                session_endpoint="/api/connect-session"
                disabled=Signal::derive(move || !accepted.get())
                on_connected=Callback::new(move |c: Connection| set_connected.set(Some(c)))
                on_error=Callback::new(move |e: FlowError| set_failed.set(Some(e)))
                on_cancelled=Callback::new(move |_: FlowError| set_cancelled.set(true))
                on_event=Callback::new(move |p: Progress| set_steps.update(|s| s.push(p)))
            />
            <p id="result" role="status">
                {move || match (connected.get(), failed.get(), cancelled.get()) {
                    (Some(c), _, _) => format!("Connected: {} ({})", c.connection_id, c.integration_name),
                    (None, Some(e), _) => format!("{}: {}", e.code.as_str(), e.message),
                    (None, None, true) => "Cancelled: not connected.".to_owned(),
                    (None, None, false) => "Not connected yet.".to_owned(),
                }}
            </p>
            <ol id="steps">
                {move || steps.get().into_iter().map(|p| view! { <li>{format!("{p:?}")}</li> }).collect_view()}
            </ol>
        </main>
    }
}

/// Runs when the module is instantiated (`init()` in main.js).
#[wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(App);
}
