//! The server: renders the settings page (`GET /`), serves the browser build from
//! `<site root>/pkg/`, and answers the widget's endpoints with examples/host-backend's
//! router (the same configuration: `WEAVZ_API_KEY`, `WEAVZ_WORKSPACE_ID`, …; `PORT`,
//! default 3000, on 127.0.0.1).
//!
//! Leptos' options come from cargo-leptos' variables when it runs the app, else from their
//! defaults here: `LEPTOS_SITE_ROOT` (default `target/site`), `LEPTOS_SITE_PKG_DIR`
//! (`pkg`), `LEPTOS_OUTPUT_NAME` (the crate's name).

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> Result<(), String> {
    use axum::Router;
    use axum::routing::get;
    use leptos::prelude::LeptosOptions;
    use weavz_connect_example_host_backend as host;
    use weavz_connect_example_leptos_ssr::{OUTPUT_NAME, shell};

    // Leptos' tasks (the streamed rendering) run on tokio; leptos_axum's route helpers
    // would set this, `render_app_to_stream` alone does not.
    any_spawner::Executor::init_tokio().map_err(|e| e.to_string())?;
    let (listener, origin) = host::listen(3000).await?;
    let options = LeptosOptions::builder()
        .output_name(host::env("LEPTOS_OUTPUT_NAME").unwrap_or_else(|| OUTPUT_NAME.to_owned()))
        .site_root(host::env("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".to_owned()))
        .site_pkg_dir(host::env("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|| "pkg".to_owned()))
        .site_addr(listener.local_addr().map_err(|e| e.to_string())?)
        .build();
    let page = {
        let options = options.clone();
        leptos_axum::render_app_to_stream(move || shell(options.clone()))
    };
    let app = Router::new()
        .route("/", get(page))
        .route_service(
            &leptos_axum::site_pkg_dir_service_route_path(&options),
            leptos_axum::site_pkg_dir_service(&options),
        )
        // No STATIC_DIR here: the host backend's router then has no fallback of its own.
        .merge(host::router(host::Config::from_env(&origin)?)?);
    println!("listening on {origin}");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}
