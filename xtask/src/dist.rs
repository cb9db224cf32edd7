//! `cargo xtask dist`: what users install, built from the core and full WASM builds.
//!
//! - `target/dist/npm/`: the npm package `weavz-connect` (the full build with the custom
//!   element as `.`, the headless core as `./core`, hand-written `.d.ts`), packed by
//!   `npm pack` into `target/dist/weavz-connect-<version>.tgz`;
//! - `target/package/weavz-connect-<version>.crate`: `cargo package`, verified;
//! - `target/dist/cdn/`: the script-tag loader (glue bundled in, one file) and the full
//!   `.wasm`, both with content-hashed names, and `manifest.json` naming them with their
//!   SRI hashes.
//!
//! For the tests it also builds the Rust examples (`for_e2e`).

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use sha2::{Digest as _, Sha384};

use crate::build::{self, Built};
use crate::sh::{Result, cargo, copy_dir, root, run, target_dir};
use crate::size::gzip_len;
use crate::tools;

/// What `dist` produced.
pub struct Dist {
    /// `target/dist`.
    pub dir: PathBuf,
    /// The packed npm tarball.
    pub tarball: PathBuf,
    /// The `.crate` that `cargo package` built and verified.
    pub krate: PathBuf,
    /// `target/dist/cdn`.
    pub cdn: PathBuf,
    /// The loader's file name in `cdn` and its SRI hash.
    pub loader: (String, String),
}

/// `cargo xtask dist`: builds both WASM builds, then packages them.
pub fn dist() -> Result {
    let built = build::build()?;
    let dist = package(&built)?;
    print_report(&dist)
}

/// Packages what `build` produced: the npm package (packed) and the CDN files.
pub fn package(built: &Built) -> Result<Dist> {
    let dir = target_dir().join("dist");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("cleaning {}: {e}", dir.display()))?;
    }
    let full = built_dir(built, "full")?;
    let core = built_dir(built, "core")?;
    let panel = built_dir(built, "panel")?;
    let version = crate_version()?;
    let tarball = npm_package(&dir, &full, &core, &panel, &version)?;
    // tools/ at its pinned versions: esbuild bundles the loaders.
    let esbuild = tools::tools()?.esbuild;
    let (cdn, loader) = cdn_files(&dir, &esbuild, &full, &panel, &version)?;
    let krate = crate_package(&version)?;
    Ok(Dist {
        dir,
        tarball,
        krate,
        cdn,
        loader,
    })
}

fn built_dir(built: &Built, name: &str) -> Result<PathBuf> {
    built
        .packages
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, d)| d.clone())
        .ok_or_else(|| format!("the {name} build is missing"))
}

/// The widget crate's version, from the `[package]` section of the root Cargo.toml.
fn crate_version() -> Result<String> {
    let manifest = read_text(&root().join("Cargo.toml"))?;
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package && let Some(rest) = line.strip_prefix("version") {
            let value = rest.trim_start().trim_start_matches('=').trim();
            return Ok(value.trim_matches('"').to_owned());
        }
    }
    Err("Cargo.toml has no [package] version".into())
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// Copies a text file, putting the version in for `__WEAVZ_VERSION__`.
fn copy_versioned(from: &Path, to: &Path, version: &str) -> Result {
    write(to, read_text(from)?.replace("__WEAVZ_VERSION__", version))
}

/// The wasm-bindgen output of one build, without the demo's loader.
fn copy_glue(from: &Path, to: &Path) -> Result {
    copy_dir(from, to)?;
    let loader = to.join("weavz-connect.js");
    if loader.exists() {
        std::fs::remove_file(&loader).map_err(|e| format!("removing {}: {e}", loader.display()))?;
    }
    Ok(())
}

/// `target/dist/npm/` and its `npm pack` tarball; returns the tarball.
fn npm_package(dist: &Path, full: &Path, core: &Path, panel: &Path, version: &str) -> Result<PathBuf> {
    let src = root().join("www/npm");
    let npm = dist.join("npm");
    for file in [
        "package.json",
        "index.js",
        "core.js",
        "panel.js",
        "lib/api.js",
        "README.md",
    ] {
        copy_versioned(&src.join(file), &npm.join(file), version)?;
    }
    for file in ["index.d.ts", "core.d.ts", "panel.d.ts", "types.d.ts"] {
        copy_versioned(&src.join(file), &npm.join(file), version)?;
    }
    copy_glue(full, &npm.join("wasm/full"))?;
    copy_glue(core, &npm.join("wasm/core"))?;
    copy_glue(panel, &npm.join("wasm/panel"))?;
    run(
        "npm pack (target/dist/npm)",
        Command::new("npm")
            .args(["pack", "--loglevel=error", "--pack-destination"])
            .arg(dist)
            .current_dir(&npm)
            .stdout(std::process::Stdio::null()),
    )?;
    let tarball = dist.join(format!("weavz-connect-{version}.tgz"));
    if !tarball.is_file() {
        return Err(format!("npm pack did not write {}", tarball.display()));
    }
    Ok(tarball)
}

/// `cargo package -p weavz-connect`: what crates.io would get, built and verified.
/// (`--allow-dirty`: it checks a work tree with uncommitted changes too; publishing is
/// another step.)
fn crate_package(version: &str) -> Result<PathBuf> {
    run(
        "cargo package -p weavz-connect",
        cargo()
            .args(["package", "-p", "weavz-connect", "--allow-dirty", "--quiet"])
            .current_dir(root()),
    )?;
    let krate = target_dir().join(format!("package/weavz-connect-{version}.crate"));
    if krate.is_file() {
        Ok(krate)
    } else {
        Err(format!("cargo package did not write {}", krate.display()))
    }
}

/// `sha384-<base64>`, the SRI form.
fn sri(bytes: &[u8]) -> String {
    let digest = Sha384::digest(bytes);
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// A short content hash for file names (hex of the SHA-384's first 5 bytes).
fn name_hash(bytes: &[u8]) -> String {
    Sha384::digest(bytes)[..5]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One script-tag bundle in `cdn`: the `.wasm` under its content hash, then the loader
/// (esbuild bundles it with the glue, the `.wasm`'s name and hash written in) under its own.
/// Returns `((loader file, its SRI), (wasm file, its SRI))`.
fn cdn_bundle(
    dist: &Path,
    esbuild: &Path,
    cdn: &Path,
    pkg: &Path,
    stem: &str,
    version: &str,
) -> Result<((String, String), (String, String))> {
    let stage = dist.join("stage");
    copy_glue(pkg, &stage)?;
    let wasm =
        std::fs::read(stage.join("weavz_connect_bg.wasm")).map_err(|e| format!("reading the wasm: {e}"))?;
    let wasm_stem = stem.replace('-', "_");
    let wasm_name = format!("{wasm_stem}_bg.{}.wasm", name_hash(&wasm));
    let wasm_sri = sri(&wasm);
    write(&cdn.join(&wasm_name), &wasm)?;

    let entry = read_text(&root().join("www/cdn/weavz-connect.js"))?
        .replace("__WEAVZ_WASM_FILE__", &wasm_name)
        .replace("__WEAVZ_WASM_INTEGRITY__", &wasm_sri);
    write(&stage.join("entry.js"), entry)?;
    let bundled = stage.join("bundle.js");
    run(
        &format!("esbuild: the script-tag loader {stem}, glue bundled in"),
        Command::new(esbuild)
            .arg(stage.join("entry.js"))
            .args([
                "--bundle",
                "--format=esm",
                "--target=es2022",
                "--minify",
                "--legal-comments=none",
                "--log-level=warning",
            ])
            .arg(format!(
                "--banner:js=/*! {stem} {version} (MIT OR Apache-2.0) | wasm: {wasm_name} {wasm_sri} */"
            ))
            .arg(format!("--outfile={}", bundled.display())),
    )?;
    let js = std::fs::read(&bundled).map_err(|e| format!("reading the bundle: {e}"))?;
    let loader_name = format!("{stem}.{}.js", name_hash(&js));
    let loader_sri = sri(&js);
    write(&cdn.join(&loader_name), &js)?;
    std::fs::remove_dir_all(&stage).map_err(|e| format!("cleaning {}: {e}", stage.display()))?;
    Ok(((loader_name, loader_sri), (wasm_name, wasm_sri)))
}

/// `target/dist/cdn/`: the script-tag bundle of the full build (`<weavz-connect>`), the one
/// of the panel build (also `<weavz-connections>`), and `manifest.json` naming both.
fn cdn_files(
    dist: &Path,
    esbuild: &Path,
    full: &Path,
    panel: &Path,
    version: &str,
) -> Result<(PathBuf, (String, String))> {
    let cdn = dist.join("cdn");
    let ((loader_name, loader_sri), (wasm_name, wasm_sri)) =
        cdn_bundle(dist, esbuild, &cdn, full, "weavz-connect", version)?;
    let ((panel_loader, panel_loader_sri), (panel_wasm, panel_wasm_sri)) =
        cdn_bundle(dist, esbuild, &cdn, panel, "weavz-connect-panel", version)?;
    let manifest = format!(
        "{{\n  \"version\": \"{version}\",\n  \"loader\": {{ \"file\": \"{loader_name}\", \"integrity\": \"{loader_sri}\" }},\n  \"wasm\": {{ \"file\": \"{wasm_name}\", \"integrity\": \"{wasm_sri}\" }},\n  \"panel\": {{\n    \"loader\": {{ \"file\": \"{panel_loader}\", \"integrity\": \"{panel_loader_sri}\" }},\n    \"wasm\": {{ \"file\": \"{panel_wasm}\", \"integrity\": \"{panel_wasm_sri}\" }}\n  }}\n}}\n"
    );
    write(&cdn.join("manifest.json"), manifest)?;
    Ok((cdn, (loader_name, loader_sri)))
}

/// Every shipped file under `dir`, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Prints each artifact's raw and gzip -9 size and SHA-384 (SRI form), and the tag to paste.
fn print_report(dist: &Dist) -> Result {
    let mut artifacts = vec![dist.tarball.clone(), dist.krate.clone()];
    artifacts.extend(files_under(&dist.dir.join("npm")));
    artifacts.extend(files_under(&dist.cdn));
    println!(
        "dist: {:<58} {:>9} {:>8}  sha384 (SRI)",
        "artifact (target/dist/)", "raw", "gzip -9"
    );
    for path in &artifacts {
        let bytes = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        let label = match path.strip_prefix(&dist.dir) {
            Ok(rel) => rel.display().to_string(),
            Err(_) => format!("../{}", path.strip_prefix(target_dir()).unwrap_or(path).display()),
        };
        println!(
            "dist: {label:<58} {:>9} {:>8}  {}",
            bytes.len(),
            gzip_len(&bytes),
            sri(&bytes)
        );
    }
    let (name, integrity) = &dist.loader;
    println!("dist: npm tarball: {}", dist.tarball.display());
    println!("dist: script tag (serve target/dist/cdn/ with CORS, e.g. from a CDN):");
    println!(
        "dist:   <script type=\"module\" src=\"https://YOUR-CDN/weavz-connect/{name}\" integrity=\"{integrity}\" crossorigin=\"anonymous\"></script>"
    );
    println!(
        "dist:   (with <weavz-connections>: the weavz-connect-panel.<hash>.js loader named in cdn/manifest.json, `panel`)"
    );
    Ok(())
}

/// Builds the Leptos example into `target/examples/leptos` (cargo release for wasm32, the
/// pinned wasm-bindgen), the host backend example (a debug binary) and the server-rendered
/// Leptos example ([`build_leptos_ssr`]).
fn build_rust_examples() -> Result<Vec<(String, PathBuf)>> {
    let root = root();
    let target = target_dir();
    let leptos = root.join("examples/leptos");
    let backend = root.join("examples/host-backend");
    let leptos_ssr = root.join("examples/leptos-ssr");
    for dir in [&leptos, &backend, &leptos_ssr] {
        // Their own workspaces: the root's `cargo fmt --all` does not see them.
        run(
            &format!(
                "cargo fmt --check ({})",
                dir.strip_prefix(&root).unwrap_or(dir).display()
            ),
            cargo().args(["fmt", "--check"]).current_dir(dir),
        )?;
    }
    // A target dir of its own: the widget crate is a cdylib too, so cargo names its rlib
    // without a hash, and the packaged builds (other features, same profile) would
    // overwrite the one this build reuses ("can't find crate for `weavz_connect`" on the
    // next run).
    let leptos_target = target.join("example-leptos");
    run(
        "building examples/leptos (wasm32, release)",
        cargo()
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-unknown-unknown",
                "--target-dir",
            ])
            .arg(&leptos_target)
            .current_dir(&leptos),
    )?;
    let site = target.join("examples/leptos");
    if site.exists() {
        std::fs::remove_dir_all(&site).map_err(|e| format!("cleaning {}: {e}", site.display()))?;
    }
    run(
        "wasm-bindgen (examples/leptos)",
        Command::new(tools::wasm_bindgen())
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                "app",
                "--out-dir",
            ])
            .arg(&site)
            .arg(leptos_target.join("wasm32-unknown-unknown/release/weavz_connect_example_leptos.wasm")),
    )?;
    copy_dir(&leptos.join("static"), &site)?;

    run(
        "building examples/host-backend",
        cargo()
            .args(["build", "--target-dir"])
            .arg(&target)
            .current_dir(&backend),
    )?;
    let mut env = vec![
        ("WEAVZ_LEPTOS_SITE".into(), site),
        (
            "WEAVZ_HOST_BACKEND_BIN".into(),
            target.join("debug/weavz-connect-example-host-backend"),
        ),
    ];
    env.extend(build_leptos_ssr(&leptos_ssr, Hydration::Whole)?);
    env.extend(build_leptos_ssr(&leptos_ssr, Hydration::Islands)?);
    Ok(env)
}

/// examples/leptos-ssr, the two halves cargo-leptos would build, without cargo-leptos: the
/// server (native, `ssr`, debug) and the browser build (the lib for wasm32, `hydrate`,
/// through the pinned wasm-bindgen into `target/examples/leptos-ssr/pkg/`, the site root the
/// server is given as `LEPTOS_SITE_ROOT`). Returns `WEAVZ_LEPTOS_SSR_BIN` and
/// `WEAVZ_LEPTOS_SSR_SITE`; with [`Hydration::Islands`] the same app built with Leptos'
/// islands (feature `islands` on both halves, its own target dir and site), as
/// `WEAVZ_LEPTOS_ISLANDS_BIN` and `WEAVZ_LEPTOS_ISLANDS_SITE`.
///
/// The wasm is built with the crate's `release-checked` profile (release plus debug
/// assertions): only with debug assertions does Leptos report a hydration mismatch (a
/// `console.error` naming the view that did not match, then a panic); in a plain release
/// build it is a bare "entered unreachable code" panic. The test fails on either, and on
/// any console error or warning.
fn build_leptos_ssr(dir: &Path, hydration: Hydration) -> Result<Vec<(String, PathBuf)>> {
    let target = target_dir();
    let (name, extra) = match hydration {
        Hydration::Whole => ("ssr", ""),
        Hydration::Islands => ("islands", ",islands"),
    };
    // Its own target dir, for the same reason as examples/leptos. Both variants share it
    // (cargo keeps each feature set's crates apart, so what does not depend on Leptos is
    // built once); each variant's server is copied out, its binary having one name.
    let own_target = target.join("example-leptos-ssr");
    run(
        &format!("building examples/leptos-ssr: the server (ssr{extra})"),
        cargo()
            .args(["build", "--features", &format!("ssr{extra}"), "--target-dir"])
            .arg(&own_target)
            .current_dir(dir),
    )?;
    run(
        &format!("building examples/leptos-ssr: the browser build (hydrate{extra}, wasm32, release-checked)"),
        cargo()
            .args([
                "build",
                "--lib",
                "--profile",
                "release-checked",
                "--target",
                "wasm32-unknown-unknown",
                "--features",
                &format!("hydrate{extra}"),
                "--target-dir",
            ])
            .arg(&own_target)
            .current_dir(dir),
    )?;
    let site = target.join(format!("examples/leptos-{name}"));
    if site.exists() {
        std::fs::remove_dir_all(&site).map_err(|e| format!("cleaning {}: {e}", site.display()))?;
    }
    // Beside the site root, not in it.
    let server = target.join(format!("examples/leptos-{name}-server"));
    std::fs::copy(own_target.join("debug/weavz-connect-example-leptos-ssr"), &server)
        .map_err(|e| format!("copying the {name} server: {e}"))?;
    // `--out-name` is the app's `OUTPUT_NAME`: its `HydrationScripts` load
    // `/pkg/<name>.js` and `/pkg/<name>_bg.wasm`.
    run(
        &format!("wasm-bindgen (examples/leptos-ssr, {name})"),
        Command::new(tools::wasm_bindgen())
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                "weavz_connect_example_leptos_ssr",
                "--out-dir",
            ])
            .arg(site.join("pkg"))
            .arg(
                own_target
                    .join("wasm32-unknown-unknown/release-checked/weavz_connect_example_leptos_ssr.wasm"),
            ),
    )?;
    let var = name.to_uppercase();
    Ok(vec![
        (format!("WEAVZ_LEPTOS_{var}_BIN"), server),
        (format!("WEAVZ_LEPTOS_{var}_SITE"), site),
    ])
}

/// How examples/leptos-ssr hydrates.
#[derive(Clone, Copy)]
enum Hydration {
    /// The whole page (`hydrate_body`).
    Whole,
    /// Leptos' islands: only the islands (`hydrate_islands`).
    Islands,
}

/// For `cargo xtask test`: packages `built`, prints the report, builds the Rust examples
/// and returns the environment the browser tests read (`WEAVZ_DIST_DIR`, …).
pub fn for_e2e(built: &Built) -> Result<Vec<(String, PathBuf)>> {
    let dist = package(built)?;
    print_report(&dist)?;
    let mut env = vec![("WEAVZ_DIST_DIR".to_owned(), dist.dir.clone())];
    env.extend(build_rust_examples()?);
    Ok(env)
}
