//! The host backend as a standalone server: [`weavz_connect_example_host_backend::router`]
//! on 127.0.0.1:`PORT` (default 3000), serving `STATIC_DIR` if set.
//!
//! ```sh
//! WEAVZ_API_KEY=wvz_… WEAVZ_WORKSPACE_ID=… cargo run     # then http://127.0.0.1:3000
//! ```

use weavz_connect_example_host_backend::{Config, listen, router};

#[tokio::main]
async fn main() -> Result<(), String> {
    let (listener, origin) = listen(3000).await?;
    let app = router(Config::from_env(&origin)?)?;
    println!("listening on {origin}");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}
