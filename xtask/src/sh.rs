//! Process and path helpers: where the workspace and cargo's output live, and running a
//! command with a line saying what it does.
//!
//! A leaf: it uses no other module of xtask, and every other module may use it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// xtask's error type: a message for the user (`main` prints it after `xtask: `).
pub type Result<T = ()> = std::result::Result<T, String>;

/// The workspace root (the directory above `xtask/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Where cargo puts build output: `CARGO_TARGET_DIR`, or `target/` in the workspace.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() { dir } else { root().join(dir) }
        }
        _ => root().join("target"),
    }
}

/// `$CARGO_HOME`, or `~/.cargo`.
pub fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
}

/// The cargo that runs xtask (`$CARGO`), or `cargo`.
pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// A binary `cargo install` put in `$CARGO_HOME/bin` (`~/.cargo/bin`), by absolute path, so
/// a fresh install works even where that directory is not on `PATH`; the bare name if the
/// file is not there.
pub fn cargo_bin(name: &str) -> PathBuf {
    match cargo_home().map(|h| h.join("bin").join(name)) {
        Some(path) if path.exists() => path,
        _ => PathBuf::from(name),
    }
}

/// Runs a command to completion, failing with its description.
pub fn run(what: &str, cmd: &mut Command) -> Result {
    eprintln!("xtask: {what}");
    let status = cmd
        .status()
        .map_err(|e| format!("{what}: cannot start {:?}: {e}", cmd.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what}: failed ({status})"))
    }
}

/// A command's standard output, if it starts and succeeds.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `npm ci` in `dir` (from its lock file), without the browser download Puppeteer would do.
pub fn npm_install(dir: &Path) -> Result {
    run(
        &format!("npm ci in {}", dir.strip_prefix(root()).unwrap_or(dir).display()),
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(dir)
            .env("PUPPETEER_SKIP_DOWNLOAD", "1"),
    )
}

/// Copies the directory `from` into `to` (created if missing), recursively.
pub fn copy_dir(from: &Path, to: &Path) -> Result {
    std::fs::create_dir_all(to).map_err(|e| format!("creating {}: {e}", to.display()))?;
    let entries = std::fs::read_dir(from).map_err(|e| format!("reading {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| format!("copying {}: {e}", src.display()))?;
        }
    }
    Ok(())
}
