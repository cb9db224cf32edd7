//! Sandbox configuration: ports, API key, allowed opener origins, upstream for the demo host.

use std::path::PathBuf;

use clap::Parser;

/// The API key the sandbox accepts when none is given.
pub const DEFAULT_API_KEY: &str = "wvz_sandbox_local_development_key";

/// The workspace the demo host backend uses when none is given. The sandbox accepts any
/// well-formed UUID as a workspace id.
pub const DEFAULT_WORKSPACE_ID: &str = "5a4d0b0e-0000-4000-8000-000000000001";

/// Command line and environment of `weavz-sandbox`.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "weavz-sandbox",
    version,
    about = "Local emulator of the Weavz connect API, its hosted connect page and an OAuth2 provider.",
    long_about = "Serves three origins on 127.0.0.1: host (demo page and demo host backend), \
                  connect (Weavz API emulation and hosted connect page) and provider (a fake \
                  OAuth2 authorization server). Port 0 picks a free port; the chosen URLs are \
                  printed one per line."
)]
pub struct Config {
    /// Port of the host origin (demo page + demo host backend).
    #[arg(long, env = "WEAVZ_SANDBOX_HOST_PORT", default_value_t = 8080)]
    pub host_port: u16,

    /// Port of the connect origin (Weavz API + hosted connect page).
    #[arg(long, env = "WEAVZ_SANDBOX_CONNECT_PORT", default_value_t = 8081)]
    pub connect_port: u16,

    /// Port of the provider origin (fake OAuth2 authorization server).
    #[arg(long, env = "WEAVZ_SANDBOX_PROVIDER_PORT", default_value_t = 8082)]
    pub provider_port: u16,

    /// API key the connect API accepts (`Authorization: Bearer <key>`).
    #[arg(long, env = "WEAVZ_API_KEY", default_value = DEFAULT_API_KEY, hide_env_values = true)]
    pub api_key: String,

    /// Extra origins the hosted page may post its result to, besides the host origin
    /// (comma-separated, e.g. `http://localhost:3000,https://app.example`).
    #[arg(long, env = "WEAVZ_SANDBOX_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Extra host names the three origins answer to, besides `127.0.0.1`, `localhost` and
    /// `[::1]` with their own port (comma-separated `host[:port]`; a host without a port
    /// is accepted on any port). Requests for any other `Host` get 421 (DNS-rebinding
    /// defence).
    #[arg(long, env = "WEAVZ_SANDBOX_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,

    /// Where the demo host backend sends its Weavz calls. Default: this sandbox's connect
    /// origin. Set it (with `WEAVZ_API_KEY`) to use real Weavz.
    #[arg(long, env = "WEAVZ_BASE_URL")]
    pub weavz_base_url: Option<String>,

    /// Workspace id the demo host backend creates tokens in.
    #[arg(long, env = "WEAVZ_WORKSPACE_ID", default_value = DEFAULT_WORKSPACE_ID)]
    pub workspace_id: String,

    /// The Content-Security-Policy of the host origin's pages (default: the widget's
    /// documented minimal policy). Tests use it to allow an attacker frame.
    #[arg(long, env = "WEAVZ_SANDBOX_HOST_CSP")]
    pub host_csp: Option<String>,

    /// A directory of static files to serve on the host origin instead of the built-in
    /// demo page (e.g. the built widget demo).
    #[arg(long, env = "WEAVZ_SANDBOX_DEMO_DIR")]
    pub demo_dir: Option<PathBuf>,
}

impl Config {
    /// Defaults with every port set to 0: what tests use.
    pub fn ephemeral() -> Self {
        Config {
            host_port: 0,
            connect_port: 0,
            provider_port: 0,
            api_key: DEFAULT_API_KEY.into(),
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            weavz_base_url: None,
            workspace_id: DEFAULT_WORKSPACE_ID.into(),
            demo_dir: None,
            host_csp: None,
        }
    }
}

/// Normalises an origin given on the command line: `scheme://host[:port]`, no path.
pub fn normalise_origin(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let url = url::Url::parse(raw).map_err(|e| format!("`{raw}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{raw}` must be an http or https origin"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "`{raw}` must be an origin without a path, e.g. https://app.example"
        ));
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised_and_checked() {
        assert_eq!(
            normalise_origin("HTTP://LocalHost:3000").unwrap(),
            "http://localhost:3000"
        );
        assert_eq!(
            normalise_origin("https://a.example:443/").unwrap(),
            "https://a.example"
        );
        assert!(normalise_origin("ftp://a.example").is_err());
        assert!(normalise_origin("https://a.example/path").is_err());
        assert!(normalise_origin("*").is_err());
        assert!(normalise_origin("null").is_err());
    }
}
