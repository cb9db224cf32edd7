//! `cargo xtask test`: every test, one step after another — format and lint checks, the
//! doc-example and module-cycle checks, Rust unit and integration tests, the WASM builds
//! and their size gate, the wasm-bindgen and browser tests (Chromium, Firefox and WebKit,
//! counted per engine), the Python SDK test.

use std::process::Command;
use std::time::Instant;

use crate::build::{self, build_sandbox, sandbox_bin};
use crate::sh::{Result, cargo, npm_install, root, run};
use crate::{dist, doc_examples, module_graph, public_api, size, tools};

/// The engines of the browser tests, unless WEAVZ_E2E_BROWSERS names others.
pub const ENGINES: &str = "chromium,firefox,webkit";

/// Every step in turn, stopping at the first failure; prints the steps that passed.
pub fn test() -> Result {
    let root = root();
    let started = Instant::now();
    // Each step with the seconds since the previous one ended: its own work and the
    // installs and builds that ran just before it.
    let mut passed: Vec<(String, f64)> = Vec::new();
    let mut last = Instant::now();
    let mut step = |name: &str, result: Result| -> Result {
        result?;
        passed.push((name.to_owned(), last.elapsed().as_secs_f64()));
        last = Instant::now();
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
    step("public API (xtask/public-api.txt)", public_api::check())?;
    step(
        "module cycles (xtask/module-cycles-allowed.txt)",
        module_graph::check(),
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
    tools::ensure_wasm_target()?;
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
        "server rendering (features ui,panel,ssr; no leptos/csr)",
        server_rendering(),
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
    let built = build::build()?;
    size::print_sizes(&built)?;
    step("wasm builds (core without Leptos, full)", Ok(()))?;
    step("size gate (xtask/budgets.json)", size::gate(&built))?;
    build_sandbox()?;
    let dist_env = dist::for_e2e(&built)?;

    tools::ensure_browsers()?;
    step("wasm-bindgen tests", wasm_bindgen_tests())?;
    let e2e = root.join("e2e");
    npm_install(&e2e)?;
    let engines = std::env::var("WEAVZ_E2E_BROWSERS").unwrap_or_else(|_| ENGINES.to_owned());
    if engines.split(',').any(|e| e.trim() == "webkit") {
        tools::webkit_present()?;
    }
    let browser_step = format!("browser tests ({engines})");
    let browsers_started = Instant::now();
    let browser_tests = run(
        &format!("browser tests (e2e/) in {engines}"),
        Command::new("node")
            // A test that hangs (a browser that stopped answering) fails after 10 minutes
            // instead of using up CI's time.
            .args(["--test", "--test-concurrency=1", "--test-timeout=600000"])
            // The spec reporter, then one line per engine (e2e/lib/engine-report.mjs).
            .args(["--test-reporter=spec", "--test-reporter-destination=stdout"])
            .args([
                "--test-reporter=./lib/engine-report.mjs",
                "--test-reporter-destination=stdout",
            ])
            .arg("tests/")
            .current_dir(&e2e)
            .env("WEAVZ_E2E_BROWSERS", &engines)
            .env("WEAVZ_SANDBOX_BIN", sandbox_bin())
            .env("WEAVZ_DEMO_DIR", &built.demo)
            .envs(dist_env),
    );
    eprintln!(
        "xtask: {browser_step} took {:.0} s",
        browsers_started.elapsed().as_secs_f64()
    );
    step(&browser_step, browser_tests)?;

    let python = tools::python_env()?;
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

    eprintln!("xtask: steps (seconds, with the installs and builds before each):");
    for (name, seconds) in &passed {
        eprintln!("xtask:   {seconds:>6.0}  {name}");
    }
    eprintln!("xtask: finished in {:.0} s", started.elapsed().as_secs_f64());
    println!("xtask: {} passed, 0 failed", passed.len());
    Ok(())
}

/// The Leptos components rendered natively with `leptos/ssr` (unit tests), and the proof
/// that an `ssr` build of the crate enables no `leptos/csr`: a library must leave the
/// rendering mode to the application.
fn server_rendering() -> Result {
    let features = [
        "-p",
        "weavz-connect",
        "--no-default-features",
        "--features",
        "ui,panel,ssr",
    ];
    run(
        "cargo test --lib with features ui,panel,ssr (native server rendering)",
        cargo()
            .arg("test")
            .args(features)
            .arg("--lib")
            .current_dir(root()),
    )?;
    let tree = crate::sh::output(
        cargo()
            .args(["tree", "-e", "features", "-i", "leptos"])
            .args(features)
            .current_dir(root()),
    )
    .ok_or("cargo tree -e features -i leptos failed")?;
    if !tree.contains("leptos feature \"ssr\"") {
        return Err(format!(
            "cargo tree shows no leptos/ssr for features ui,panel,ssr:\n{tree}"
        ));
    }
    if tree.contains("leptos feature \"csr\"") {
        return Err(format!("features ui,panel,ssr enable leptos/csr:\n{tree}"));
    }
    eprintln!("xtask: features ui,panel,ssr: leptos/ssr on, leptos/csr off");
    Ok(())
}

/// The wasm-bindgen-test suite (src/browser/tests.rs) in headless Chromium, in its own process
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
    .args(["--features", "js", "--lib"])
    .current_dir(root())
    .env(
        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
        tools::wasm_bindgen_test_runner(),
    )
    .env("CHROMEDRIVER", tools::CHROMEDRIVER)
    // The runner's default COOP/COEP headers would cut popups off from their opener.
    .env("WASM_BINDGEN_TEST_NO_ORIGIN_ISOLATION", "1")
    .process_group(0);
    eprintln!("xtask: wasm-bindgen-test in headless Chromium (src/browser/tests.rs)");
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every browser test file takes its engines from WEAVZ_E2E_BROWSERS (browsers() or
    /// the widget suites built on it), so that each runs in WebKit too.
    #[test]
    fn every_browser_test_file_runs_in_the_engines_of_the_list() {
        let dir = root().join("e2e/tests");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).expect("e2e/tests") {
            let path = entry.expect("an entry of e2e/tests").path();
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            if !text.contains("launch(") && !text.contains("widgetSuites(") {
                continue; // no browser (the npm package's Node-only checks)
            }
            checked += 1;
            assert!(
                text.contains("browsers()") || text.contains("widgetSuites("),
                "{} launches a browser without taking the engines from WEAVZ_E2E_BROWSERS",
                path.display()
            );
        }
        assert!(
            checked >= 10,
            "only {checked} browser test files found in {}",
            dir.display()
        );
        assert!(ENGINES.split(',').eq(["chromium", "firefox", "webkit"]));
    }
}
