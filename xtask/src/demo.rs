//! `cargo xtask demo`: builds the widget and the sandbox, then runs the sandbox with the
//! demo site until Ctrl-C.

use std::process::Command;

use crate::build::{self, build_sandbox, sandbox_bin};
use crate::sh::{Result, root};
use crate::size;

/// Builds, prints the sizes and starts the sandbox; `extra` goes to weavz-sandbox.
pub fn demo(extra: &[String]) -> Result {
    let root = root();
    let built = build::build()?;
    size::print_sizes(&built)?;
    build_sandbox()?;
    eprintln!("xtask: starting the sandbox; open the host URL below in a browser. Ctrl-C stops it.");
    let status = Command::new(sandbox_bin())
        .arg("--demo-dir")
        .arg(&built.demo)
        .args(extra)
        .current_dir(&root)
        .status()
        .map_err(|e| format!("cannot start weavz-sandbox: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("weavz-sandbox exited with {status}"))
    }
}
