//! `cargo xtask`: the project's own build, demo and test driver.
//!
//! Every command installs what a fresh machine lacks (the wasm32 target, Debian's
//! browsers, npm and PyPI packages) and says what it is doing.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test     run every test: format and lint checks, Rust unit and integration tests,
           the browser tests (Chromium and Firefox) and the Python SDK test
  demo     build and start the sandbox with the demo page on its default ports
           (http://127.0.0.1:8080); extra arguments go to weavz-sandbox
  help     show this text

environment:
  WEAVZ_E2E_BROWSERS   browsers for the browser tests (default: chromium,firefox)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("demo") => demo(&args[1..]),
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T = ()> = std::result::Result<T, String>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Runs a command to completion, failing with its description.
fn run(what: &str, cmd: &mut Command) -> Result {
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

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn ensure_wasm_target() -> Result {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        return Ok(());
    }
    run(
        "installing the wasm32-unknown-unknown target",
        Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]),
    )
}

/// Debian's Chromium and Firefox ESR; installed with apt when missing.
fn ensure_browsers() -> Result {
    let wanted = [
        ("/usr/bin/chromium", "chromium"),
        ("/usr/bin/chromedriver", "chromium-driver"),
        ("/usr/bin/firefox-esr", "firefox-esr"),
    ];
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(bin, _)| !Path::new(bin).exists())
        .map(|(_, pkg)| *pkg)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let apt = |args: &[&str]| {
        let mut cmd = if is_root() {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    run(
        "apt-get update",
        apt(&["update", "-qq"]).arg("-o").arg("Dpkg::Use-Pty=0"),
    )?;
    let mut install = apt(&["install", "-y", "-qq", "--no-install-recommends"]);
    install.args(&missing);
    run(&format!("installing {}", missing.join(", ")), &mut install)
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_some_and(|s| s.trim() == "0")
}

/// Where cargo puts build output: `CARGO_TARGET_DIR`, or `target/` in the workspace.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() { dir } else { root().join(dir) }
        }
        _ => root().join("target"),
    }
}

fn sandbox_bin() -> PathBuf {
    target_dir().join("debug/weavz-sandbox")
}

fn npm_install(dir: &Path) -> Result {
    run(
        &format!("npm ci in {}", dir.strip_prefix(root()).unwrap_or(dir).display()),
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(dir)
            .env("PUPPETEER_SKIP_DOWNLOAD", "1"),
    )
}

/// A virtualenv under target/ with the Python SDK test's requirements.
fn python_env() -> Result<PathBuf> {
    let venv = target_dir().join("sdk-venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        run(
            "creating a Python virtualenv",
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
        )?;
    }
    run(
        "installing the Python SDK test's requirements",
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(root().join("sandbox/tests/sdk/requirements.txt")),
    )?;
    Ok(python)
}

fn test() -> Result {
    let root = root();
    let started = Instant::now();
    let mut passed = Vec::new();
    let mut step = |name: &'static str, result: Result| -> Result {
        result?;
        passed.push(name);
        Ok(())
    };

    step(
        "format",
        run(
            "cargo fmt --check",
            cargo().args(["fmt", "--all", "--check"]).current_dir(&root),
        ),
    )?;
    step(
        "clippy",
        run(
            "cargo clippy (warnings are errors)",
            cargo()
                .args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])
                .current_dir(&root),
        ),
    )?;
    ensure_wasm_target()?;
    step(
        "wasm build",
        run(
            "building weavz-connect for wasm32",
            cargo()
                .args([
                    "build",
                    "-p",
                    "weavz-connect",
                    "--target",
                    "wasm32-unknown-unknown",
                ])
                .current_dir(&root),
        ),
    )?;
    step(
        "rust tests",
        run(
            "cargo test (unit, integration, doc)",
            cargo().args(["test", "--workspace"]).current_dir(&root),
        ),
    )?;
    run(
        "building weavz-sandbox",
        cargo().args(["build", "-p", "weavz-sandbox"]).current_dir(&root),
    )?;

    ensure_browsers()?;
    let e2e = root.join("e2e");
    npm_install(&e2e)?;
    step(
        "browser tests",
        run(
            "browser tests (e2e/)",
            Command::new("node")
                .args(["--test", "--test-concurrency=1", "tests/"])
                .current_dir(&e2e)
                .env("WEAVZ_SANDBOX_BIN", sandbox_bin()),
        ),
    )?;

    let python = python_env()?;
    step(
        "python sdk",
        run(
            "Python SDK test (weavz-io-sdk against the sandbox)",
            Command::new(python)
                .args(["-m", "unittest", "-v", "test_python_sdk"])
                .current_dir(root.join("sandbox/tests/sdk"))
                .env("WEAVZ_SANDBOX_BIN", sandbox_bin()),
        ),
    )?;

    eprintln!("xtask: steps: {}", passed.join(", "));
    eprintln!("xtask: finished in {:.0} s", started.elapsed().as_secs_f64());
    println!("xtask: {} passed, 0 failed", passed.len());
    Ok(())
}

fn demo(extra: &[String]) -> Result {
    let root = root();
    run(
        "building weavz-sandbox",
        cargo().args(["build", "-p", "weavz-sandbox"]).current_dir(&root),
    )?;
    eprintln!("xtask: starting the sandbox; open the host URL below in a browser. Ctrl-C stops it.");
    let status = Command::new(sandbox_bin())
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
