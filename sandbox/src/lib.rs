//! # weavz-sandbox
//!
//! A local, faithful emulator of the counterpart of `weavz-connect`: the Weavz connect API,
//! its hosted connect page and a fake OAuth2 provider, each on its own loopback origin,
//! plus a demo host app. See `docs/protocol.md` for the wire contract and the fault knobs.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = weavz_sandbox::start(weavz_sandbox::Config::ephemeral()).await?;
//! println!("connect API at {}", sandbox.origins.connect);
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod api;
mod binding;
mod bounded;
pub mod catalog;
pub mod config;
mod error;
mod host;
mod host_check;
mod hosted;
mod pages;
mod provider;
mod state;
mod store;
mod util;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::{Mutex, watch};
use tokio::task::JoinHandle;

pub use config::Config;
pub use state::Origins;

use state::{AppState, Shared};

/// A running sandbox. Dropping it does not stop the servers; call [`Sandbox::shutdown`].
pub struct Sandbox {
    /// Where each origin listens.
    pub origins: Origins,
    /// The API key the connect API accepts.
    pub api_key: String,
    /// The workspace the demo host backend uses.
    pub workspace_id: String,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<std::io::Result<()>>>,
}

impl Sandbox {
    /// Stops accepting connections, lets requests in flight finish, and returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }

    /// Waits until the servers stop (they only stop after [`Sandbox::shutdown`] or an
    /// I/O failure).
    pub async fn wait(&mut self) -> std::io::Result<()> {
        for task in self.tasks.drain(..) {
            task.await.map_err(std::io::Error::other)??;
        }
        Ok(())
    }
}

/// Why the sandbox could not start.
#[derive(Debug)]
pub enum StartError {
    /// A port could not be bound.
    Bind {
        /// Which origin.
        origin: &'static str,
        /// The port asked for.
        port: u16,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A configuration value is not acceptable.
    Config(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Bind { origin, port, source } => {
                write!(
                    f,
                    "cannot listen on 127.0.0.1:{port} for the {origin} origin: {source}"
                )
            }
            StartError::Config(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for StartError {}

async fn bind(origin: &'static str, port: u16) -> Result<(TcpListener, String, u16), StartError> {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .map_err(|source| StartError::Bind { origin, port, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| StartError::Bind { origin, port, source })?;
    Ok((listener, format!("http://{addr}"), addr.port()))
}

/// Binds the three origins on 127.0.0.1 and starts serving.
pub async fn start(config: Config) -> Result<Sandbox, StartError> {
    let extra_origins = config
        .allowed_origins
        .iter()
        .filter(|o| !o.trim().is_empty())
        .map(|o| config::normalise_origin(o).map_err(|e| StartError::Config(format!("allowed origin {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let allowed_hosts =
        Arc::new(host_check::parse_allowed_hosts(&config.allowed_hosts).map_err(StartError::Config)?);
    if config.api_key.trim().is_empty() {
        return Err(StartError::Config("the API key must not be empty".into()));
    }
    if let Some(base) = &config.weavz_base_url {
        config::normalise_origin(url_origin(base).as_deref().unwrap_or(base))
            .map_err(|e| StartError::Config(format!("WEAVZ_BASE_URL {e}")))?;
    }
    if uuid::Uuid::parse_str(&config.workspace_id).is_err() {
        return Err(StartError::Config(format!(
            "workspace id `{}` is not a UUID",
            config.workspace_id
        )));
    }
    if let Some(dir) = &config.demo_dir
        && !dir.join("index.html").is_file()
    {
        return Err(StartError::Config(format!(
            "demo dir {} has no index.html",
            dir.display()
        )));
    }

    let (host_l, host, host_port) = bind("host", config.host_port).await?;
    let (connect_l, connect, connect_port) = bind("connect", config.connect_port).await?;
    let (provider_l, provider, provider_port) = bind("provider", config.provider_port).await?;
    let origins = Origins {
        host,
        connect,
        provider,
    };

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| StartError::Config(format!("HTTP client: {e}")))?;
    let state: Shared = Arc::new(AppState {
        config: config.clone(),
        origins: origins.clone(),
        extra_origins,
        store: Mutex::new(Default::default()),
        http,
    });

    let connect_app = Router::new()
        .route("/", get(connect_home))
        .nest("/api/v1", api::router(state.clone()))
        .nest("/sandbox", api::sandbox_router(state.clone()))
        .merge(hosted::router())
        .with_state(state.clone());
    let provider_app = provider::router().with_state(state.clone());
    let host_app = host::router(config.demo_dir.clone(), config.host_csp.clone()).with_state(state.clone());

    let (stop, stopped) = watch::channel(false);
    let serve = |listener: TcpListener, port: u16, app: Router| {
        let mut stopped = stopped.clone();
        // Every route and the fallback: nothing is answered for a foreign Host.
        let check = host_check::HostCheck::new(port, allowed_hosts.clone());
        let app = app.layer(axum::middleware::from_fn_with_state(check, host_check::guard));
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await
        })
    };
    let tasks = vec![
        serve(host_l, host_port, host_app),
        serve(connect_l, connect_port, connect_app),
        serve(provider_l, provider_port, provider_app),
        tokio::spawn(prune_periodically(state.clone(), stopped.clone())),
    ];
    Ok(Sandbox {
        origins,
        api_key: config.api_key,
        workspace_id: config.workspace_id,
        stop,
        tasks,
    })
}

/// How often expired records are removed (insertions also prune their own kind).
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Removes expired records every [`PRUNE_EVERY`] until the sandbox stops.
async fn prune_periodically(state: Shared, mut stopped: watch::Receiver<bool>) -> std::io::Result<()> {
    let mut ticks = tokio::time::interval(PRUNE_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if *stopped.borrow() {
            return Ok(());
        }
        tokio::select! {
            changed = stopped.changed() => {
                if changed.is_err() {
                    return Ok(());
                }
            }
            _ = ticks.tick() => state.store.lock().await.prune(util::now()),
        }
    }
}

fn url_origin(raw: &str) -> Option<String> {
    url::Url::parse(raw)
        .ok()
        .map(|u| u.origin().ascii_serialization())
}

async fn connect_home() -> Response {
    let body = "<main class=\"card\"><h1>Weavz sandbox</h1><p>The connect API is under \
                <code>/api/v1</code>; hosted connect pages are under <code>/connect</code>.</p></main>";
    hosted::page(StatusCode::OK, "Weavz sandbox", body, &[])
}
