//! State shared by the three origins.

use std::sync::Arc;

use tokio::sync::Mutex;

use crate::config::Config;
use crate::store::Store;

/// The three origins, each `http://127.0.0.1:<port>`.
#[derive(Debug, Clone)]
pub struct Origins {
    /// Demo page and demo host backend.
    pub host: String,
    /// Weavz API emulation and hosted connect page.
    pub connect: String,
    /// Fake OAuth2 authorization server.
    pub provider: String,
}

/// Everything handlers share.
#[derive(Debug)]
pub struct AppState {
    /// Configuration as given.
    pub config: Config,
    /// Where each origin listens.
    pub origins: Origins,
    /// Extra allowed opener origins, normalised.
    pub extra_origins: Vec<String>,
    /// Records.
    pub store: Mutex<Store>,
    /// Outgoing HTTP (token exchange, demo host backend → Weavz).
    pub http: reqwest::Client,
}

/// Handle to the shared state.
pub type Shared = Arc<AppState>;

impl AppState {
    /// Origins the hosted page may post its result to (and redirect back to): the host
    /// origin first, then the configured extra ones.
    pub fn allowed_opener_origins(&self) -> Vec<String> {
        let mut all = vec![self.origins.host.clone()];
        for o in &self.extra_origins {
            if !all.contains(o) {
                all.push(o.clone());
            }
        }
        all
    }

    /// The hosted connect page for a `cst_` token.
    pub fn connect_url(&self, token: &str) -> String {
        format!("{}/connect?token={token}", self.origins.connect)
    }

    /// The end-user portal for an `eut_` token.
    pub fn portal_url(&self, token: &str) -> String {
        format!("{}/connect/portal?token={token}", self.origins.connect)
    }

    /// The redirect URI registered with the provider for one integration. A distinct URI
    /// per integration is the mix-up defence (RFC 9700 §4.4).
    pub fn callback_uri(&self, app: &str) -> String {
        format!("{}/connect/oauth/callback/{app}", self.origins.connect)
    }

    /// Where the demo host backend sends its Weavz calls.
    pub fn upstream(&self) -> String {
        self.config
            .weavz_base_url
            .as_deref()
            .unwrap_or(&self.origins.connect)
            .trim_end_matches('/')
            .to_owned()
    }
}
