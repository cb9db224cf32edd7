//! `weavz-sandbox`: starts the three origins and prints where they listen.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;
use weavz_sandbox::{Config, start};

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    let config_has_upstream = config.weavz_base_url.is_some();
    let mut sandbox = match start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("weavz-sandbox: {e}");
            return ExitCode::from(2);
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let o = &sandbox.origins;
        let _ = writeln!(out, "host: {}", o.host);
        let _ = writeln!(out, "connect: {}", o.connect);
        let _ = writeln!(out, "provider: {}", o.provider);
        // With WEAVZ_BASE_URL set the key is probably a real Weavz key: never print it.
        if config_has_upstream {
            let _ = writeln!(
                out,
                "api key: (hidden: WEAVZ_API_KEY is used for the upstream Weavz)"
            );
        } else {
            let _ = writeln!(out, "api key: {}", sandbox.api_key);
        }
        let _ = writeln!(out, "workspace: {}", sandbox.workspace_id);
        let _ = out.flush();
    }
    tokio::select! {
        res = sandbox.wait() => {
            if let Err(e) = res {
                eprintln!("weavz-sandbox: {e}");
                return ExitCode::FAILURE;
            }
        }
        _ = shutdown_signal() => {
            sandbox.shutdown().await;
        }
    }
    ExitCode::SUCCESS
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
