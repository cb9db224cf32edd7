//! `cargo xtask`: the project's own build, demo and test driver.
//!
//! Every command installs what a fresh machine lacks (the wasm32 target, Debian's
//! browsers, npm and PyPI packages) and says what it is doing.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

mod bench;
mod dist;
mod doc_examples;
mod minify;
mod size;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test     run every test: format and lint checks, Rust unit and integration tests,
           the browser tests (Chromium and Firefox) and the Python SDK test
  demo     build the widget and start the sandbox with the demo page on its default
           ports (http://127.0.0.1:8080); extra arguments go to weavz-sandbox
  build    build the widget (core and full WASM builds) and the demo into target/
  size     build and print the raw, gzip and brotli sizes of the core and full builds
           and check them against their budgets (the size gate of `test`);
           `size --record-budgets` rewrites xtask/budgets.json with the measured
           gzip sizes + 5 %
  bench    build, then measure sizes (with npm anchor packages), time to ready, click
           to window.open, message to event latency, leaks over many flows and
           concurrent flows in headless Chromium; prints a table and writes
           target/bench.json
  dist     build the npm package (packed) and the script-tag files into target/dist/
  help     show this text

environment:
  WEAVZ_E2E_BROWSERS   browsers for the browser tests (default: chromium,firefox)
  WEAVZ_BENCH_REPS     repetitions of each timed bench figure (default 7, at least 5)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("demo") => demo(&args[1..]),
        Some("build") => build().map(|_| ()),
        Some("size") => size(&args[1..]),
        Some("bench") => bench::bench(),
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

pub type Result<T = ()> = std::result::Result<T, String>;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
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

pub fn output(cmd: &mut Command) -> Option<String> {
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
pub fn ensure_browsers() -> Result {
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
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() { dir } else { root().join(dir) }
        }
        _ => root().join("target"),
    }
}

pub fn build_sandbox() -> Result {
    run(
        "building weavz-sandbox",
        cargo().args(["build", "-p", "weavz-sandbox"]).current_dir(root()),
    )
}

pub fn sandbox_bin() -> PathBuf {
    target_dir().join("debug/weavz-sandbox")
}

pub fn npm_install(dir: &Path) -> Result {
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
    step("doc examples (every public item)", doc_examples::check())?;
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
    for features in ["js", "js,element", "js,ui", "js,panel"] {
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
        "wasm clippy (bundle/, full)",
        run(
            "cargo clippy for wasm32 (bundle/, the packaged module)",
            cargo()
                .args([
                    "clippy",
                    "-p",
                    "weavz-connect-bundle",
                    "--target",
                    "wasm32-unknown-unknown",
                    "--features",
                    "full",
                    "--",
                    "-D",
                    "warnings",
                ])
                .current_dir(&root),
        ),
    )?;
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
            "cargo test --doc with features js,element,ui,panel",
            cargo()
                .args([
                    "test",
                    "-p",
                    "weavz-connect",
                    "--features",
                    "js,element,ui,panel",
                    "--doc",
                ])
                .current_dir(&root),
        ),
    )?;
    let built = build()?;
    size::print_sizes(&built)?;
    step("wasm builds (core without Leptos, full)", Ok(()))?;
    step("size gate (xtask/budgets.json)", size::gate(&built))?;
    build_sandbox()?;
    let dist_env = dist::for_e2e(&built)?;

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

fn size(args: &[String]) -> Result {
    let record = match args {
        [] => false,
        [flag] if flag == "--record-budgets" => true,
        _ => return Err(format!("usage: cargo xtask size [--record-budgets]\n\n{USAGE}")),
    };
    let built = build()?;
    if record {
        size::record_budgets(&built)?;
    }
    size::print_sizes(&built)?;
    size::gate(&built)
}

fn demo(extra: &[String]) -> Result {
    let root = root();
    let built = build()?;
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

/// The wasm-bindgen version pinned in Cargo.toml (and so in Cargo.lock).
const WASM_BINDGEN_VERSION: &str = "0.2.130";

/// A binary `cargo install` put in `$CARGO_HOME/bin` (`~/.cargo/bin`), by absolute path, so
/// a fresh install works even where that directory is not on `PATH`; the bare name if the
/// file is not there.
pub fn cargo_bin(name: &str) -> PathBuf {
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

/// The esbuild version pinned in tools/package.json.
const ESBUILD_VERSION: &str = "0.28.2";

/// The npm build tools under tools/.
pub struct Tools {
    /// npm's binaryen (wasm-opt 132); Debian's wasm-opt miscompiles.
    pub wasm_opt: PathBuf,
    /// esbuild: minifies the glue, bundles the benchmark's anchor packages.
    pub esbuild: PathBuf,
}

/// Installs tools/ (npm ci) unless both tools are there at their pinned versions.
pub fn tools() -> Result<Tools> {
    let dir = root().join("tools");
    let tools = Tools {
        wasm_opt: dir.join("node_modules/.bin/wasm-opt"),
        esbuild: dir.join("node_modules/.bin/esbuild"),
    };
    let version = |bin: &Path| output(Command::new(bin).arg("--version")).unwrap_or_default();
    let current =
        |t: &Tools| version(&t.wasm_opt).contains("132") && version(&t.esbuild).trim() == ESBUILD_VERSION;
    if !current(&tools) {
        npm_install(&dir)?;
    }
    let wasm_opt = version(&tools.wasm_opt);
    if !wasm_opt.contains("132") {
        return Err(format!(
            "{} is not wasm-opt 132: {wasm_opt}",
            tools.wasm_opt.display()
        ));
    }
    let esbuild = version(&tools.esbuild);
    if esbuild.trim() != ESBUILD_VERSION {
        return Err(format!(
            "{} is not esbuild {ESBUILD_VERSION}: {esbuild}",
            tools.esbuild.display()
        ));
    }
    Ok(tools)
}

/// What `build` produced.
pub struct Built {
    /// (name, directory with weavz_connect.js + weavz_connect_bg.wasm).
    pub packages: Vec<(&'static str, PathBuf)>,
    /// The demo site.
    pub demo: PathBuf,
}

/// The WASM features rustc's wasm32 target uses (stated, since the target_features
/// section is stripped).
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-reference-types",
    "--enable-multivalue",
    "--enable-mutable-globals",
];

const WASM_OPT_PASSES: &[&str] = &[
    "-Oz",
    // Repeat -Oz while it still shrinks the module (measured: -70 B gzip core, -285 B full).
    "--converge",
    // Sections no browser reads.
    "--strip-producers",
    "--strip-target-features",
];

/// `cargo --config` for the release WASM builds: the dependencies' source paths (kept in
/// the .wasm by panic locations) lose their `$CARGO_HOME/registry/src/<index>/` prefix, so
/// the bytes do not depend on where cargo lives on this machine (and are fewer).
fn wasm_rustflags_config() -> String {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let mut flags: Vec<String> = Vec::new();
    for sub in ["registry/src", "git/checkouts"] {
        let Some(dir) = home.as_ref().map(|h| h.join(sub)) else {
            continue;
        };
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for d in dirs {
            flags.push(format!("--remap-path-prefix={}/=", d.display()));
        }
    }
    let array: Vec<String> = flags
        .iter()
        .map(|f| serde_json::Value::from(f.as_str()).to_string())
        .collect();
    format!("target.wasm32-unknown-unknown.rustflags=[{}]", array.join(","))
}

/// Builds one package of the widget from `bundle/` (its feature of the same name picks the
/// widget's features and the allocator): cargo (release) → wasm-bindgen → wasm-opt (with
/// short import/export names) → the glue renamed to match, bundled and minified.
fn build_package(name: &'static str, tools: &Tools) -> Result<PathBuf> {
    let root = root();
    run(
        &format!("building the {name} widget (bundle/ feature {name})"),
        cargo()
            .args(["--config", &wasm_rustflags_config()])
            .args([
                "build",
                "-p",
                "weavz-connect-bundle",
                "--release",
                "--target",
                "wasm32-unknown-unknown",
            ])
            .args(["--features", name])
            .current_dir(&root),
    )?;
    let wasm = target_dir().join("wasm32-unknown-unknown/release/weavz_connect_bundle.wasm");
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
    // Names first, in a run of its own (it prints the mapping; under --converge it would
    // run, and print, more than once), then the size passes.
    eprintln!("xtask: wasm-opt: short import/export names ({name})");
    let opt = Command::new(&tools.wasm_opt)
        .args(WASM_FEATURES)
        .arg(minify::MINIFY_NAMES_PASS)
        .arg(&bg)
        .arg("-o")
        .arg(&bg)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start wasm-opt: {e}"))?;
    if !opt.status.success() {
        return Err(format!("wasm-opt ({name}): failed ({})", opt.status));
    }
    run(
        &format!("wasm-opt -Oz --converge ({name})"),
        Command::new(&tools.wasm_opt)
            .args(WASM_FEATURES)
            .args(WASM_OPT_PASSES)
            .arg(&bg)
            .arg("-o")
            .arg(&bg),
    )?;
    let names = minify::NameMap::parse(&String::from_utf8_lossy(&opt.stdout))?;
    let wasm = std::fs::read(&bg).map_err(|e| format!("reading {}: {e}", bg.display()))?;
    let modules = minify::import_modules(&wasm)?;
    let [module] = Vec::from_iter(modules)
        .try_into()
        .map_err(|m: Vec<String>| format!("the optimised .wasm imports from {m:?}, not from one module"))?;
    let glue_path = out.join("weavz_connect.js");
    let glue = std::fs::read_to_string(&glue_path).map_err(|e| format!("reading the glue: {e}"))?;
    let glue = minify::rename_in_glue(&glue, &names, &module).map_err(|e| format!("glue ({name}): {e}"))?;
    std::fs::write(&glue_path, glue).map_err(|e| format!("writing the glue: {e}"))?;
    minify::bundle_glue(&tools.esbuild, &out, "weavz_connect.js")?;
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

pub fn build() -> Result<Built> {
    ensure_wasm_target()?;
    ensure_wasm_bindgen()?;
    let tools = tools()?;
    let core = build_package("core", &tools)?;
    let full = build_package("full", &tools)?;
    let panel = build_package("panel", &tools)?;
    // The demo shows the panel too.
    let demo = build_demo(&panel)?;
    Ok(Built {
        packages: vec![("core", core), ("full", full), ("panel", panel)],
        demo,
    })
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
