//! The build pipeline: the widget's WASM packages (cargo for wasm32 → wasm-bindgen →
//! wasm-opt with short import/export names → the glue renamed to match, bundled and
//! minified by esbuild), the demo site, and the sandbox binary the demo and tests run.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::minify;
use crate::sh::{Result, cargo, cargo_home, copy_dir, root, run, target_dir};
use crate::tools::{self, Tools};

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

/// wasm-opt's size passes, run after the renaming pass.
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
    let home = cargo_home();
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
        Command::new(tools::wasm_bindgen())
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

/// `cargo xtask build`: the core, full and panel packages under `target/pkg/`, and the demo
/// site (with the panel package) in `target/demo/`.
pub fn build() -> Result<Built> {
    tools::ensure_wasm_target()?;
    tools::ensure_wasm_bindgen()?;
    let tools = tools::tools()?;
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

/// The sandbox (a debug build), which the demo and the tests run.
pub fn build_sandbox() -> Result {
    run(
        "building weavz-sandbox",
        cargo().args(["build", "-p", "weavz-sandbox"]).current_dir(root()),
    )
}

/// Where [`build_sandbox`] puts the sandbox binary.
pub fn sandbox_bin() -> PathBuf {
    target_dir().join("debug/weavz-sandbox")
}
