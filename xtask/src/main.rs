//! `cargo xtask`: the project's own build, demo and test driver.
//!
//! Every command installs what a fresh machine lacks (the wasm32 target, Debian's
//! browsers, npm and PyPI packages) and says what it is doing.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

mod dist;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test     run every test: format and lint checks, Rust unit and integration tests,
           the browser tests (Chromium and Firefox) and the Python SDK test
  demo     build the widget and start the sandbox with the demo page on its default
           ports (http://127.0.0.1:8080); extra arguments go to weavz-sandbox
  build    build the widget (core and full WASM builds) and the demo into target/
  size     build and print the raw and gzip sizes of the core and full builds
  dist     build the npm package (packed) and the script-tag files into target/dist/
  help     show this text

environment:
  WEAVZ_E2E_BROWSERS   browsers for the browser tests (default: chromium,firefox)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("demo") => demo(&args[1..]),
        Some("build") => build().map(|_| ()),
        Some("size") => build().map(|b| print_sizes(&b)),
        Some("dist") => dist::dist(),
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
    let mut passed: Vec<String> = Vec::new();
    let mut step = |name: &str, result: Result| -> Result {
        result?;
        passed.push(name.to_owned());
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
    for features in ["js", "js,ui"] {
        step(
            &format!("wasm clippy ({features})"),
            run(
                &format!("cargo clippy for wasm32 (features {features})"),
                cargo()
                    .args([
                        "clippy",
                        "-p",
                        "weavz-connect",
                        "--target",
                        "wasm32-unknown-unknown",
                        "--all-targets",
                    ])
                    .args([
                        "--no-default-features",
                        "--features",
                        features,
                        "--",
                        "-D",
                        "warnings",
                    ])
                    .current_dir(&root),
            ),
        )?;
    }
    step(
        "rust tests",
        run(
            "cargo test (unit, property, integration, doc)",
            cargo().args(["test", "--workspace"]).current_dir(&root),
        ),
    )?;
    step(
        "doc tests with the UI (README snippets)",
        run(
            "cargo test --doc with features js,ui",
            cargo()
                .args(["test", "-p", "weavz-connect", "--features", "js,ui", "--doc"])
                .current_dir(&root),
        ),
    )?;
    let built = build()?;
    print_sizes(&built);
    step("wasm builds (core without Leptos, full)", Ok(()))?;
    let dist_env = dist::for_e2e(&built)?;
    run(
        "building weavz-sandbox",
        cargo().args(["build", "-p", "weavz-sandbox"]).current_dir(&root),
    )?;

    ensure_browsers()?;
    step("wasm-bindgen tests", wasm_bindgen_tests())?;
    let e2e = root.join("e2e");
    npm_install(&e2e)?;
    step(
        "browser tests",
        run(
            "browser tests (e2e/)",
            Command::new("node")
                .args(["--test", "--test-concurrency=1", "tests/"])
                .current_dir(&e2e)
                .env("WEAVZ_SANDBOX_BIN", sandbox_bin())
                .env("WEAVZ_DEMO_DIR", &built.demo)
                .envs(dist_env),
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
    let built = build()?;
    print_sizes(&built);
    run(
        "building weavz-sandbox",
        cargo().args(["build", "-p", "weavz-sandbox"]).current_dir(&root),
    )?;
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

/// The wasm-bindgen version pinned in Cargo.toml (and so in Cargo.lock).
const WASM_BINDGEN_VERSION: &str = "0.2.130";

/// A binary `cargo install` put in `$CARGO_HOME/bin` (`~/.cargo/bin`), by absolute path, so
/// a fresh install works even where that directory is not on `PATH`; the bare name if the
/// file is not there.
fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    match home.map(|h| h.join("bin").join(name)) {
        Some(path) if path.exists() => path,
        _ => PathBuf::from(name),
    }
}

/// wasm-bindgen's CLI at exactly the library's version.
fn ensure_wasm_bindgen() -> Result {
    let version = output(Command::new(cargo_bin("wasm-bindgen")).arg("--version")).unwrap_or_default();
    if version.split_whitespace().nth(1) == Some(WASM_BINDGEN_VERSION) {
        return Ok(());
    }
    // Not --locked: the registry mirror lacks one of its locked transitive versions.
    run(
        &format!("installing wasm-bindgen-cli {WASM_BINDGEN_VERSION} (a few minutes, once)"),
        cargo().args(["install", "wasm-bindgen-cli", "--version", WASM_BINDGEN_VERSION]),
    )
}

/// npm's binaryen (wasm-opt 132) under tools/; Debian's wasm-opt miscompiles.
fn wasm_opt() -> Result<PathBuf> {
    let tools = root().join("tools");
    let bin = tools.join("node_modules/.bin/wasm-opt");
    if !bin.exists() {
        npm_install(&tools)?;
    }
    let version = output(Command::new(&bin).arg("--version")).unwrap_or_default();
    if !version.contains("132") {
        return Err(format!("{} is not wasm-opt 132: {version}", bin.display()));
    }
    Ok(bin)
}

/// What `build` produced.
struct Built {
    /// (name, directory with weavz_connect.js + weavz_connect_bg.wasm).
    packages: Vec<(&'static str, PathBuf)>,
    /// The demo site.
    demo: PathBuf,
}

const WASM_OPT_FLAGS: &[&str] = &[
    "-Oz",
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-reference-types",
    "--enable-multivalue",
    "--enable-mutable-globals",
];

/// Builds one feature set of the widget: cargo (release) → wasm-bindgen → wasm-opt.
fn build_package(name: &'static str, features: &str, wasm_opt: &Path) -> Result<PathBuf> {
    let root = root();
    run(
        &format!("building the {name} widget (features: {features})"),
        cargo()
            .args([
                "build",
                "-p",
                "weavz-connect",
                "--release",
                "--target",
                "wasm32-unknown-unknown",
            ])
            .args(["--no-default-features", "--features", features])
            .current_dir(&root),
    )?;
    let wasm = target_dir().join("wasm32-unknown-unknown/release/weavz_connect.wasm");
    let out = target_dir().join("pkg").join(name);
    if out.exists() {
        std::fs::remove_dir_all(&out).map_err(|e| format!("cleaning {}: {e}", out.display()))?;
    }
    run(
        &format!("wasm-bindgen ({name})"),
        Command::new(cargo_bin("wasm-bindgen"))
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                "weavz_connect",
                "--out-dir",
            ])
            .arg(&out)
            .arg(&wasm),
    )?;
    // The module loader for script tags sits beside the glue.
    std::fs::copy(root.join("www/weavz-connect.js"), out.join("weavz-connect.js"))
        .map_err(|e| format!("copying the loader: {e}"))?;
    let bg = out.join("weavz_connect_bg.wasm");
    run(
        &format!("wasm-opt -Oz ({name})"),
        Command::new(wasm_opt)
            .args(WASM_OPT_FLAGS)
            .arg(&bg)
            .arg("-o")
            .arg(&bg),
    )?;
    Ok(out)
}

fn copy_dir(from: &Path, to: &Path) -> Result {
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

/// The demo site: the full package (with its loader), www/demo/ and index.html without
/// its Trunk links (those are for `trunk serve`).
fn build_demo(full: &Path) -> Result<PathBuf> {
    let root = root();
    let demo = target_dir().join("demo");
    if demo.exists() {
        std::fs::remove_dir_all(&demo).map_err(|e| format!("cleaning {}: {e}", demo.display()))?;
    }
    copy_dir(full, &demo)?;
    copy_dir(&root.join("www/demo"), &demo)?;
    let index = std::fs::read_to_string(root.join("index.html")).map_err(|e| format!("index.html: {e}"))?;
    let mut html = String::new();
    for line in index.lines() {
        if line.trim_start().starts_with("<link data-trunk") {
            continue;
        }
        html.push_str(line);
        html.push('\n');
    }
    std::fs::write(demo.join("index.html"), html).map_err(|e| format!("writing the demo: {e}"))?;
    Ok(demo)
}

fn build() -> Result<Built> {
    ensure_wasm_target()?;
    ensure_wasm_bindgen()?;
    let wasm_opt = wasm_opt()?;
    let core = build_package("core", "js", &wasm_opt)?;
    let full = build_package("full", "js,ui", &wasm_opt)?;
    let demo = build_demo(&full)?;
    Ok(Built {
        packages: vec![("core", core), ("full", full)],
        demo,
    })
}

fn gzip_len(bytes: &[u8]) -> usize {
    use std::io::Write as _;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = enc.write_all(bytes);
    enc.finish().map(|v| v.len()).unwrap_or(0)
}

/// Raw and gzip -9 sizes of each package's .wasm and JS glue (snippets included).
fn print_sizes(built: &Built) {
    println!("size: build   file                     raw bytes   gzip -9");
    for (name, dir) in &built.packages {
        let mut total = (0usize, 0usize);
        let mut files = vec![dir.join("weavz_connect_bg.wasm"), dir.join("weavz_connect.js")];
        let snippets = dir.join("snippets");
        if snippets.exists() {
            let mut stack = vec![snippets];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                    if e.path().is_dir() {
                        stack.push(e.path())
                    } else {
                        files.push(e.path())
                    }
                }
            }
        }
        for f in files {
            let bytes = std::fs::read(&f).unwrap_or_default();
            let gz = gzip_len(&bytes);
            total = (total.0 + bytes.len(), total.1 + gz);
            let label = f.strip_prefix(dir).unwrap_or(&f).display().to_string();
            println!("size: {name:<7} {label:<24} {:>9}   {:>7}", bytes.len(), gz);
        }
        println!("size: {name:<7} {:<24} {:>9}   {:>7}", "total", total.0, total.1);
    }
}

/// The wasm-bindgen-test suite (tests/browser.rs) in headless Chromium, in its own process
/// group so that nothing the runner starts outlives it.
fn wasm_bindgen_tests() -> Result {
    use std::os::unix::process::CommandExt as _;
    let mut cmd = cargo();
    cmd.args([
        "test",
        "-p",
        "weavz-connect",
        "--target",
        "wasm32-unknown-unknown",
    ])
    .args(["--features", "js", "--test", "browser"])
    .current_dir(root())
    .env(
        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
        cargo_bin("wasm-bindgen-test-runner"),
    )
    .env("CHROMEDRIVER", "/usr/bin/chromedriver")
    // The runner's default COOP/COEP headers would cut popups off from their opener.
    .env("WASM_BINDGEN_TEST_NO_ORIGIN_ISOLATION", "1")
    .process_group(0);
    eprintln!("xtask: wasm-bindgen-test in headless Chromium (tests/browser.rs)");
    let mut child = cmd.spawn().map_err(|e| format!("cannot start cargo test: {e}"))?;
    let status = child.wait().map_err(|e| e.to_string())?;
    // End whatever the runner left behind in its group (a browser, a driver).
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status();
    if status.success() {
        Ok(())
    } else {
        Err(format!("wasm-bindgen tests failed ({status})"))
    }
}
