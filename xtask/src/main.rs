//! `cargo xtask`: the project's own build, demo and test driver.
//!
//! Every command installs what a fresh machine lacks (the wasm32 target, Debian's
//! browsers, npm and PyPI packages) and says what it is doing.
//!
//! This file only reads the command line and calls the command's module. The modules
//! point down only (`cargo xtask test` checks it, [`module_graph`]):
//!
//! - commands: [`test_suite`], [`demo`], [`bench`], [`dist`], [`size`] (also the size gate);
//! - [`build`]: the WASM packages, the demo site and the sandbox binary;
//! - [`minify`]: the wasm-opt renaming and the glue's minification;
//! - [`tools`]: each tool's pinned version, path and install;
//! - the checks [`doc_examples`], [`public_api`] and [`module_graph`];
//! - [`sh`]: process and path helpers, used by all of them.

use std::process::ExitCode;

mod bench;
mod build;
mod demo;
mod dist;
mod doc_examples;
mod minify;
mod module_graph;
mod public_api;
mod sh;
mod size;
mod test_suite;
mod tools;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test     run every test: format and lint checks, Rust unit and integration tests,
           the browser tests (Chromium and Firefox; then the files that run in
           WebKit so far, in their own step) and the Python SDK test
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
  WEAVZ_E2E_BROWSERS   engines for the browser tests (default: chromium,firefox,webkit)
  WEAVZ_BENCH_REPS     repetitions of each timed bench figure (default 7, at least 5)
";

/// The commands, read from the arguments.
enum Cmd<'a> {
    Test,
    Demo(&'a [String]),
    Build,
    Size { record_budgets: bool },
    Bench,
    Dist,
    Help,
}

/// The command `args` (without the program name) ask for.
fn parse(args: &[String]) -> sh::Result<Cmd<'_>> {
    Ok(match args.first().map(String::as_str) {
        Some("test") => Cmd::Test,
        Some("demo") => Cmd::Demo(&args[1..]),
        Some("build") => Cmd::Build,
        Some("size") => match &args[1..] {
            [] => Cmd::Size {
                record_budgets: false,
            },
            [flag] if flag == "--record-budgets" => Cmd::Size { record_budgets: true },
            _ => return Err(format!("usage: cargo xtask size [--record-budgets]\n\n{USAGE}")),
        },
        Some("bench") => Cmd::Bench,
        Some("dist") => Cmd::Dist,
        Some("help" | "--help" | "-h") | None => Cmd::Help,
        Some(other) => return Err(format!("unknown command `{other}`\n\n{USAGE}")),
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = parse(&args).and_then(|cmd| match cmd {
        Cmd::Test => test_suite::test(),
        Cmd::Demo(extra) => demo::demo(extra),
        Cmd::Build => build::build().map(|_| ()),
        Cmd::Size { record_budgets } => size::size(record_budgets),
        Cmd::Bench => bench::bench(),
        Cmd::Dist => dist::dist(),
        Cmd::Help => {
            print!("{USAGE}");
            Ok(())
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
