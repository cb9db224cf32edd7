//! `cargo xtask test`: every test, one step after another — format and lint checks, the
//! doc-example and module-cycle checks, Rust unit and integration tests, the WASM builds
//! and their size gate, the wasm-bindgen and browser tests (Chromium and Firefox, then the
//! files that run in WebKit so far), the Python SDK test.

use std::process::Command;
use std::time::Instant;

use crate::build::{self, build_sandbox, sandbox_bin};
use crate::sh::{Result, cargo, npm_install, root, run};
use crate::{dist, doc_examples, module_graph, public_api, size, tools};

/// The e2e files (in e2e/tests/) that also run in WebKit, in their own step.
pub const WEBKIT_FILES: &[&str] = &[
    "hosted-flow.test.mjs",
    "widget-flow.test.mjs",
    "widget-window.test.mjs",
];

/// Every step in turn, stopping at the first failure; prints the steps that passed.
pub fn test() -> Result {
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

    // The files that run in WebKit so far (issue 16); WEAVZ_E2E_BROWSERS stays
    // chromium,firefox for the step above. A missing WebKit fails this step.
    let webkit_step = format!("browser tests (WebKit: {})", WEBKIT_FILES.join(", "));
    let webkit_started = Instant::now();
    let webkit = tools::webkit_present().and_then(|()| {
        run(
            &webkit_step,
            Command::new("node")
                .args(["--test", "--test-concurrency=1"])
                .args(WEBKIT_FILES.iter().map(|f| format!("tests/{f}")))
                .current_dir(&e2e)
                .env("WEAVZ_E2E_BROWSERS", "webkit")
                .env("WEAVZ_SANDBOX_BIN", sandbox_bin())
                .env("WEAVZ_DEMO_DIR", &built.demo),
        )
    });
    eprintln!(
        "xtask: {webkit_step} took {:.0} s",
        webkit_started.elapsed().as_secs_f64()
    );
    step(&webkit_step, webkit)?;

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

    eprintln!("xtask: steps: {}", passed.join(", "));
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

    #[test]
    fn the_webkit_files_exist_and_run_in_every_browser_of_the_list() {
        for file in WEBKIT_FILES {
            let path = root().join("e2e/tests").join(file);
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(
                text.contains("browsers()") || text.contains("widgetSuites("),
                "{file} does not take its browsers from WEAVZ_E2E_BROWSERS"
            );
        }
    }
}
