//! The tools xtask runs: one place for each tool's pinned version and path, and the
//! installs a fresh machine needs (the wasm32 target, wasm-bindgen's CLI, the npm build
//! tools under `tools/`, Debian's browsers, the Python SDK test's virtualenv).
//!
//! The versions restate the manifests that pin them (wasm-bindgen: the root `Cargo.toml`;
//! binaryen, esbuild, TypeScript: `tools/package.json`); a unit test checks they agree.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::sh::{Result, cargo, cargo_bin, npm_install, output, root, run, target_dir};

/// The wasm-bindgen version pinned in Cargo.toml (and so in Cargo.lock); its CLI must match.
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";

/// The binaryen (wasm-opt) major version pinned in tools/package.json; Debian's wasm-opt
/// is older and miscompiles.
pub const BINARYEN_VERSION: &str = "132";

/// The esbuild version pinned in tools/package.json.
pub const ESBUILD_VERSION: &str = "0.28.2";

/// The TypeScript version pinned in tools/package.json (the browser tests check the npm
/// package's `.d.ts` with its `tsc`).
pub const TYPESCRIPT_VERSION: &str = "5.9.3";

/// Debian's Chromium and its WebDriver, Firefox ESR, and WebKitGTK's WebDriver (which
/// brings MiniBrowser) with the X server it runs under, with their apt packages.
pub const BROWSERS: &[(&str, &str)] = &[
    (CHROMIUM, "chromium"),
    (CHROMEDRIVER, "chromium-driver"),
    ("/usr/bin/firefox-esr", "firefox-esr"),
    (WEBKIT_WEBDRIVER, "webkit2gtk-driver"),
    (MINIBROWSER, "webkit2gtk-driver"),
    (XVFB, "xvfb"),
];

/// WebKitGTK's W3C WebDriver server (e2e/lib/webkit.mjs starts one per browser launch).
pub const WEBKIT_WEBDRIVER: &str = "/usr/bin/WebKitWebDriver";

/// WebKitGTK's MiniBrowser, the browser WebKitWebDriver drives (a dependency of
/// webkit2gtk-driver).
pub const MINIBROWSER: &str = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

/// The virtual X server MiniBrowser runs under.
pub const XVFB: &str = "/usr/bin/Xvfb";

/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Debian's chromedriver (the wasm-bindgen tests drive Chromium with it).
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// wasm-bindgen's CLI (installed by [`ensure_wasm_bindgen`]).
pub fn wasm_bindgen() -> PathBuf {
    cargo_bin("wasm-bindgen")
}

/// wasm-bindgen's test runner (installed with its CLI).
pub fn wasm_bindgen_test_runner() -> PathBuf {
    cargo_bin("wasm-bindgen-test-runner")
}

/// The wasm32-unknown-unknown target, added with rustup when missing.
pub fn ensure_wasm_target() -> Result {
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

/// wasm-bindgen's CLI at exactly the library's version.
pub fn ensure_wasm_bindgen() -> Result {
    let version = output(Command::new(wasm_bindgen()).arg("--version")).unwrap_or_default();
    if version.split_whitespace().nth(1) == Some(WASM_BINDGEN_VERSION) {
        return Ok(());
    }
    // Not --locked: the registry mirror lacks one of its locked transitive versions.
    run(
        &format!("installing wasm-bindgen-cli {WASM_BINDGEN_VERSION} (a few minutes, once)"),
        cargo().args(["install", "wasm-bindgen-cli", "--version", WASM_BINDGEN_VERSION]),
    )
}

/// The npm build tools under tools/.
pub struct Tools {
    /// npm's binaryen (wasm-opt 132); Debian's wasm-opt miscompiles.
    pub wasm_opt: PathBuf,
    /// esbuild: minifies the glue, bundles the script-tag loader and the benchmark's anchor
    /// packages.
    pub esbuild: PathBuf,
    /// TypeScript's compiler (the browser tests check the `.d.ts` with it).
    pub tsc: PathBuf,
}

impl Tools {
    /// Where `npm ci` in tools/ puts them.
    fn paths() -> Tools {
        let bin = root().join("tools/node_modules/.bin");
        Tools {
            wasm_opt: bin.join("wasm-opt"),
            esbuild: bin.join("esbuild"),
            tsc: bin.join("tsc"),
        }
    }

    /// What is wrong with the installed tools: each one missing or at another version.
    fn problems(&self) -> Vec<String> {
        let version = |bin: &Path| output(Command::new(bin).arg("--version")).unwrap_or_default();
        let mut problems = Vec::new();
        let wasm_opt = version(&self.wasm_opt);
        if !wasm_opt.contains(BINARYEN_VERSION) {
            problems.push(format!(
                "{} is not wasm-opt {BINARYEN_VERSION}: {wasm_opt}",
                self.wasm_opt.display()
            ));
        }
        let esbuild = version(&self.esbuild);
        if esbuild.trim() != ESBUILD_VERSION {
            problems.push(format!(
                "{} is not esbuild {ESBUILD_VERSION}: {esbuild}",
                self.esbuild.display()
            ));
        }
        // `tsc --version` prints `Version 5.9.3`.
        let tsc = version(&self.tsc);
        if tsc.split_whitespace().nth(1) != Some(TYPESCRIPT_VERSION) {
            problems.push(format!(
                "{} is not TypeScript {TYPESCRIPT_VERSION}: {tsc}",
                self.tsc.display()
            ));
        }
        problems
    }
}

/// Installs tools/ (npm ci) unless its tools are there at their pinned versions.
pub fn tools() -> Result<Tools> {
    let tools = Tools::paths();
    if !tools.problems().is_empty() {
        npm_install(&root().join("tools"))?;
    }
    match tools.problems().into_iter().next() {
        None => Ok(tools),
        Some(problem) => Err(problem),
    }
}

/// Debian's Chromium, Firefox ESR and WebKitGTK ([`BROWSERS`]); the packages dpkg does not
/// list as installed (or whose file is missing) are installed with apt, after one update.
pub fn ensure_browsers() -> Result {
    let mut missing: Vec<&str> = BROWSERS
        .iter()
        .filter(|(bin, pkg)| !Path::new(bin).exists() || !dpkg_installed(pkg))
        .map(|(_, pkg)| *pkg)
        .collect();
    missing.dedup();
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

/// Whether dpkg lists `package` as installed.
fn dpkg_installed(package: &str) -> bool {
    output(Command::new("dpkg-query").args(["-W", "-f", "${Status}", package]))
        .is_some_and(|s| s.trim() == "install ok installed")
}

/// The WebKit lane's programs ([`WEBKIT_WEBDRIVER`], [`MINIBROWSER`], [`XVFB`]): an error
/// naming the first one missing, so that a missing WebKit fails its step.
pub fn webkit_present() -> Result {
    for bin in [WEBKIT_WEBDRIVER, MINIBROWSER, XVFB] {
        if !Path::new(bin).exists() {
            return Err(format!(
                "WebKit: {bin} is missing (apt package webkit2gtk-driver or xvfb)"
            ));
        }
    }
    Ok(())
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_some_and(|s| s.trim() == "0")
}

/// A virtualenv under target/ with the Python SDK test's requirements; returns its python.
pub fn python_env() -> Result<PathBuf> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn read(rel: &str) -> String {
        std::fs::read_to_string(root().join(rel)).unwrap()
    }

    #[test]
    fn the_wasm_bindgen_version_is_the_one_cargo_toml_pins() {
        let manifest = read("Cargo.toml");
        let pin = format!("wasm-bindgen = {{ version = \"={WASM_BINDGEN_VERSION}\"");
        // The Leptos examples (their own workspaces) go through the same CLI in `dist`.
        for example in ["examples/leptos/Cargo.toml", "examples/leptos-ssr/Cargo.toml"] {
            assert!(
                read(example).contains(&format!("wasm-bindgen = \"={WASM_BINDGEN_VERSION}\"")),
                "{example} does not pin wasm-bindgen {WASM_BINDGEN_VERSION}"
            );
        }
        assert!(
            manifest.contains(&pin),
            "Cargo.toml does not pin wasm-bindgen {WASM_BINDGEN_VERSION}"
        );
    }

    #[test]
    fn the_npm_tool_versions_are_the_ones_tools_package_json_pins() {
        let json: serde_json::Value = serde_json::from_str(&read("tools/package.json")).unwrap();
        let pinned = |name: &str| json["devDependencies"][name].as_str().unwrap().to_owned();
        assert_eq!(pinned("binaryen"), format!("{BINARYEN_VERSION}.0.0"));
        assert_eq!(pinned("esbuild"), ESBUILD_VERSION);
        assert_eq!(pinned("typescript"), TYPESCRIPT_VERSION);
    }
}
