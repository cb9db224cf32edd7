//! `cargo xtask bench`: one run that builds the widget, measures its size next to npm
//! anchor packages, times it in headless Chromium (e2e/bench/bench.mjs), prints one table
//! and writes everything to target/bench.json.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde_json::{Value, json};

use crate::build::{self, build_sandbox, sandbox_bin};
use crate::sh::{Result, npm_install, output, root, run, target_dir};
use crate::size::{self, Sizes};
use crate::tools::{self, Tools};

/// An npm package the widget is compared with.
struct Anchor {
    /// The npm package (pinned in e2e/bench/anchors/package-lock.json).
    package: &'static str,
    /// The module bundled: the package's browser entry.
    module: &'static str,
    /// Whether that module has a default export (re-exported with the named ones).
    default_export: bool,
    /// File name of its bundle.
    slug: &'static str,
}

const ANCHORS: &[Anchor] = &[
    Anchor {
        package: "@nangohq/frontend",
        module: "@nangohq/frontend",
        default_export: true,
        slug: "nango",
    },
    Anchor {
        package: "@pipedream/sdk",
        module: "@pipedream/sdk/browser",
        default_export: false,
        slug: "pipedream",
    },
];

struct Artifact {
    name: String,
    version: String,
    files: Vec<(String, Sizes)>,
    total: Sizes,
}

/// Installs the anchor packages into target/bench/anchors (npm ci from the checked-in
/// lock file) and bundles each browser entry, minified, with esbuild.
fn anchors(esbuild: &Path) -> Result<Vec<(Artifact, &'static str)>> {
    let dir = target_dir().join("bench/anchors");
    let dist = dir.join("dist");
    std::fs::create_dir_all(&dist).map_err(|e| format!("creating {}: {e}", dist.display()))?;
    let source = root().join("e2e/bench/anchors");
    for file in ["package.json", "package-lock.json"] {
        std::fs::copy(source.join(file), dir.join(file)).map_err(|e| format!("copying {file}: {e}"))?;
    }
    npm_install(&dir)?;
    let mut out = Vec::new();
    for a in ANCHORS {
        let entry = dir.join(format!("{}.entry.mjs", a.slug));
        let mut text = format!("export * from '{}';\n", a.module);
        if a.default_export {
            let _ = writeln!(text, "export {{ default }} from '{}';", a.module);
        }
        std::fs::write(&entry, text).map_err(|e| format!("writing {}: {e}", entry.display()))?;
        let bundle = dist.join(format!("{}.js", a.slug));
        run(
            &format!("esbuild: bundle and minify {}", a.module),
            Command::new(esbuild)
                .arg(&entry)
                .args([
                    "--bundle",
                    "--minify",
                    "--format=esm",
                    "--platform=browser",
                    "--log-level=warning",
                ])
                .arg(format!("--outfile={}", bundle.display()))
                .current_dir(&dir),
        )?;
        let bytes = std::fs::read(&bundle).map_err(|e| format!("reading {}: {e}", bundle.display()))?;
        let manifest = dir.join("node_modules").join(a.package).join("package.json");
        let version = std::fs::read_to_string(&manifest)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| v["version"].as_str().map(str::to_owned))
            .unwrap_or_default();
        let total = size::measure(&bytes);
        out.push((
            Artifact {
                name: a.module.to_owned(),
                version,
                files: vec![(format!("{}.js", a.slug), total)],
                total,
            },
            a.slug,
        ));
    }
    Ok(out)
}

fn read_first_line(path: &str, prefix: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().find_map(|l| l.strip_prefix(prefix)).map(|v| {
        v.trim_start_matches([' ', '\t', ':', '='])
            .trim_matches('"')
            .trim()
            .to_owned()
    })
}

fn machine(tools: &Tools) -> Value {
    let version = |cmd: &mut Command| output(cmd).map(|s| s.trim().to_owned()).unwrap_or_default();
    let mem_kib = read_first_line("/proc/meminfo", "MemTotal")
        .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()))
        .unwrap_or(0);
    json!({
        "cpu": read_first_line("/proc/cpuinfo", "model name").unwrap_or_default(),
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "memoryGiB": (mem_kib as f64 / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        "os": read_first_line("/etc/os-release", "PRETTY_NAME").unwrap_or_default(),
        "kernel": version(Command::new("uname").arg("-r")),
        "loadAverageAtStart": std::fs::read_to_string("/proc/loadavg").unwrap_or_default()
            .split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        "rustc": version(Command::new("rustc").arg("--version")),
        "wasmBindgen": version(Command::new(tools::wasm_bindgen()).arg("--version")),
        "wasmOpt": version(Command::new(&tools.wasm_opt).arg("--version")),
        "esbuild": version(Command::new(&tools.esbuild).arg("--version")),
        "node": version(Command::new("node").arg("--version")),
    })
}

/// weavz-connect's version, from the root Cargo.toml's [package].
fn widget_version() -> String {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap_or_default();
    manifest
        .split("[package]")
        .nth(1)
        .and_then(|p| p.lines().find_map(|l| l.trim().strip_prefix("version = ")))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_default()
}

fn sizes_json(s: Sizes) -> Value {
    json!({ "raw": s.raw, "gzip": s.gzip, "brotli": s.brotli })
}

/// `cargo xtask bench`: builds, measures, runs the browser benchmarks, prints the table and
/// writes target/bench.json.
pub fn bench() -> Result {
    let started = Instant::now();
    let load_at_start = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let built = build::build()?;
    build_sandbox()?;
    tools::ensure_browsers()?;
    let e2e = root().join("e2e");
    npm_install(&e2e)?;
    let tools = tools::tools()?;

    // 1. Sizes, all measured here, in this run.
    let mut widget = Vec::new();
    for (name, dir) in &built.packages {
        let (files, total) = size::package_sizes(dir)?;
        widget.push(Artifact {
            name: (*name).to_owned(),
            version: widget_version(),
            files,
            total,
        });
    }
    let anchors = anchors(&tools.esbuild)?;

    // 2.–6. The browser figures.
    let raw_out = target_dir().join("bench/browser.json");
    let slugs: Vec<&str> = anchors.iter().map(|(_, slug)| *slug).collect();
    run(
        "benchmarks in headless Chromium (e2e/bench/bench.mjs; a few minutes)",
        Command::new("node")
            .arg("bench/bench.mjs")
            .current_dir(&e2e)
            .env("WEAVZ_BENCH_OUT", &raw_out)
            .env("WEAVZ_BENCH_PKG", target_dir().join("pkg"))
            .env("WEAVZ_BENCH_ANCHORS", target_dir().join("bench/anchors/dist"))
            .env("WEAVZ_BENCH_ANCHOR_SLUGS", slugs.join(","))
            .env("WEAVZ_SANDBOX_BIN", sandbox_bin())
            .env("WEAVZ_DEMO_DIR", &built.demo),
    )?;
    let text =
        std::fs::read_to_string(&raw_out).map_err(|e| format!("reading {}: {e}", raw_out.display()))?;
    let browser: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", raw_out.display()))?;

    let mut machine = machine(&tools);
    machine["loadAverageAtStart"] = load_at_start
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
        .into();
    machine["loadAverageAtEnd"] = std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
        .into();
    let budgets = size::budgets().unwrap_or_default();
    let artifact_json = |a: &Artifact| {
        json!({
            "name": a.name,
            "version": a.version,
            "total": sizes_json(a.total),
            "files": a.files.iter().map(|(f, s)| json!({"file": f, "sizes": sizes_json(*s)})).collect::<Vec<_>>(),
            "budgetGzip": budgets.iter().find(|(n, _)| *n == a.name).map(|(_, b)| *b),
            "targetGzip": size::TARGETS.iter().find(|(n, _)| *n == a.name).map(|(_, b)| *b),
        })
    };
    let report = json!({
        "generatedBy": "cargo xtask bench",
        "widgetVersion": widget_version(),
        "seconds": started.elapsed().as_secs(),
        "machine": machine,
        "browser": browser["browser"],
        "repetitions": browser["reps"],
        "sizes": {
            "note": "raw, gzip -9 (flate2) and brotli q11 bytes; widget = WASM + JS glue (the loader is not counted); anchors = the package's browser entry bundled and minified with esbuild",
            "widget": widget.iter().map(artifact_json).collect::<Vec<_>>(),
            "anchors": anchors.iter().map(|(a, _)| artifact_json(a)).collect::<Vec<_>>(),
        },
        "ready": browser["ready"],
        "flows": browser["flows"],
        "leak": browser["leak"],
        "concurrency": browser["concurrency"],
        "flood": browser["flood"],
    });
    let path = target_dir().join("bench.json");
    let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())? + "\n";
    std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
    print!("{}", table(&report, &widget, &anchors));
    println!("wrote {}", relative(&path));
    let problems = problems(&report);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the widget misbehaved under the benchmark: {}",
            problems.join("; ")
        ))
    }
}

fn relative(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

/// Correctness seen during the run (not timings): a failed flow, a flow ended twice, a
/// page error, a listener or flow left behind.
fn problems(r: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for build in ["core", "full"] {
        let f = &r["flows"][build];
        if f["failed"].as_u64() != Some(0) {
            out.push(format!(
                "{build}: {} flows failed: {}",
                f["failed"], f["failures"]
            ));
        }
        if f["pageErrors"].as_array().is_some_and(|a| !a.is_empty()) {
            out.push(format!("{build}: page errors {}", f["pageErrors"]));
        }
        for check in ["allUserActivationActive", "allInClickTask"] {
            if f[check] != Value::Bool(true) {
                out.push(format!("{build}: not {check}"));
            }
        }
    }
    let leak = &r["leak"];
    if leak["failed"].as_u64() != Some(0) || leak["completed"] != leak["cycles"] {
        out.push(format!(
            "leak check: {} of {} completed, {} failed",
            leak["completed"], leak["cycles"], leak["failed"]
        ));
    }
    if leak["after"]["activeFlows"].as_u64() != Some(0) {
        out.push("leak check: flows left running".into());
    }
    if leak["after"]["windowListeners"] != leak["before"]["windowListeners"] {
        out.push(format!(
            "leak check: window listeners {} before, {} after",
            leak["before"]["windowListeners"], leak["after"]["windowListeners"]
        ));
    }
    if r["concurrency"]["allExactlyOnce"] != Value::Bool(true) {
        out.push(format!("concurrency: {}", r["concurrency"]["problems"]));
    }
    let flood = &r["flood"];
    if flood["stillWaiting"].as_u64() != Some(1) || flood["ended"]["code"] != "aborted" {
        out.push(format!(
            "flood: forged messages ended the flow ({} flows left, ended with {})",
            flood["stillWaiting"], flood["ended"]
        ));
    }
    if flood["withFlow"]["rejectedCounted"].as_u64() != flood["messages"].as_u64() {
        out.push(format!(
            "flood: {} of {} forged messages accounted for in debug events",
            flood["withFlow"]["rejectedCounted"], flood["messages"]
        ));
    }
    out
}

fn ms(v: &Value) -> String {
    v.as_f64().map_or_else(|| "—".into(), |x| format!("{x:.1} ms"))
}

fn bytes(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A table column: a widget build (core, full, panel) or an anchor.
enum Col<'a> {
    Widget(&'a Artifact),
    Anchor(&'a Artifact, &'a str),
}

impl Col<'_> {
    fn header(&self) -> String {
        match self {
            Col::Widget(a) => a.name.clone(),
            Col::Anchor(_, slug) => (*slug).to_owned(),
        }
    }

    /// The key of its figures in the browser results (`ready`, `flows`).
    fn key(&self) -> Option<String> {
        match self {
            Col::Widget(a) => Some(a.name.clone()),
            Col::Anchor(_, slug) => Some(format!("anchor-{slug}")),
        }
    }

    fn sizes(&self) -> Option<&Artifact> {
        match self {
            Col::Widget(a) | Col::Anchor(a, _) => Some(a),
        }
    }
}

/// The printed table: one column per artifact, one row per figure.
fn table(r: &Value, widget: &[Artifact], anchors: &[(Artifact, &str)]) -> String {
    let cols: Vec<Col> = widget
        .iter()
        .map(Col::Widget)
        .chain(anchors.iter().map(|(a, slug)| Col::Anchor(a, slug)))
        .collect();
    const LABEL: usize = 44;
    const WIDTH: usize = 15;
    let mut out = String::new();
    let m = &r["machine"];
    let text = |v: &Value| v.as_str().unwrap_or("?").to_owned();
    let _ = writeln!(
        out,
        "\ncargo xtask bench: weavz-connect {}",
        text(&r["widgetVersion"])
    );
    let _ = writeln!(
        out,
        "machine: {} x{}, {} GiB, {} / {}; load average {} at start, {} at end",
        text(&m["cpu"]),
        m["cores"],
        m["memoryGiB"],
        text(&m["os"]),
        text(&m["kernel"]),
        text(&m["loadAverageAtStart"]),
        text(&m["loadAverageAtEnd"]),
    );
    let _ = writeln!(
        out,
        "browser: {} headless (Debian chromium, puppeteer-core); node {}; {}; {}; {}; esbuild {}",
        text(&r["browser"]["version"]),
        text(&m["node"]),
        text(&m["rustc"]),
        text(&m["wasmBindgen"]),
        text(&m["wasmOpt"]),
        text(&m["esbuild"]),
    );
    for (a, slug) in anchors {
        let _ = writeln!(
            out,
            "anchor {slug}: {} {} (browser entry bundled and minified by esbuild)",
            a.name, a.version
        );
    }
    let _ = writeln!(
        out,
        "timings: median of {} repetitions unless stated; p95 = nearest rank\n",
        r["repetitions"]
    );
    let row = |out: &mut String, label: &str, cells: &dyn Fn(&Col) -> String| {
        let _ = write!(out, "{label:<LABEL$}");
        for c in &cols {
            let _ = write!(out, " {:>WIDTH$}", cells(c));
        }
        out.push('\n');
    };
    let rule = |out: &mut String| {
        out.push_str(&"-".repeat(LABEL + (WIDTH + 1) * cols.len()));
        out.push('\n');
    };
    row(&mut out, "figure", &|c| c.header());
    rule(&mut out);

    // 1. Sizes.
    let size_row = |out: &mut String, label: &str, f: &dyn Fn(&Sizes) -> usize| {
        row(out, label, &|c| {
            c.sizes().map_or_else(|| "n/a".into(), |a| bytes(f(&a.total)))
        });
    };
    size_row(&mut out, "1. size raw (B)", &|s| s.raw);
    size_row(&mut out, "   size gzip -9 (B)", &|s| s.gzip);
    size_row(&mut out, "   size brotli 11 (B)", &|s| s.brotli);
    let file_row = |out: &mut String, label: &str, file: &str| {
        row(out, label, &|c| match c {
            Col::Widget(a) => a
                .files
                .iter()
                .find(|(f, _)| f == file)
                .map_or_else(|| "—".into(), |(_, s)| bytes(s.gzip)),
            Col::Anchor(..) => "".into(),
        });
    };
    file_row(&mut out, "   of which .wasm, gzip (B)", "weavz_connect_bg.wasm");
    file_row(&mut out, "   of which JS glue, gzip (B)", "weavz_connect.js");
    let budgets = size::budgets().unwrap_or_default();
    let limit_row = |out: &mut String, label: &str, limit: &dyn Fn(&str) -> Option<usize>| {
        row(out, label, &|c| match c {
            Col::Widget(a) => limit(&a.name).map_or_else(|| "—".into(), bytes),
            Col::Anchor(..) => "".into(),
        });
    };
    limit_row(&mut out, "   gzip budget in the size gate (B)", &|n| {
        budgets.iter().find(|(b, _)| b == n).map(|(_, v)| *v)
    });
    limit_row(&mut out, "   gzip target, issue 7 (B)", &|n| {
        size::TARGETS.iter().find(|(b, _)| *b == n).map(|(_, v)| *v)
    });
    for (anchor, slug) in anchors {
        row(&mut out, &format!("   gzip ÷ {slug}"), &|c| {
            c.sizes().map_or_else(
                || "n/a".into(),
                |a| format!("{:.2}x", a.total.gzip as f64 / anchor.total.gzip as f64),
            )
        });
    }

    // 2. Time to ready.
    let ready = |c: &Col, which: &str| c.key().and_then(|k| r["ready"][k][which]["median"].as_f64());
    for (label, which) in [
        ("2. ready, cold cache (nav. start → ready)", "cold"),
        ("   ready, warm cache", "warm"),
    ] {
        row(&mut out, label, &|c| {
            ready(c, which).map_or_else(|| "—".into(), |x| format!("{x:.1} ms"))
        });
    }
    for (_, slug) in anchors {
        let base = r["ready"][format!("anchor-{slug}")]["cold"]["median"].as_f64();
        row(
            &mut out,
            &format!("   cold ready ÷ {slug}"),
            &|c| match (ready(c, "cold"), base) {
                (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
                _ => "—".into(),
            },
        );
    }
    let _ = writeln!(
        out,
        "   (an empty module on the same page: cold {}, warm {})",
        ms(&r["ready"]["baseline"]["cold"]["median"]),
        ms(&r["ready"]["baseline"]["warm"]["median"]),
    );

    // 3. and 4. Flows: widget columns only.
    let flow_row = |out: &mut String, label: &str, f: &dyn Fn(&Value) -> String| {
        row(out, label, &|c| match c {
            Col::Widget(a) => f(&r["flows"][a.name.as_str()]),
            Col::Anchor(..) => "".into(),
        });
    };
    let yes_no = |v: &Value| match v.as_bool() {
        Some(true) => "yes".to_owned(),
        Some(false) => "NO".to_owned(),
        None => "—".to_owned(),
    };
    flow_row(&mut out, "3. flows (core: JS API; full: element)", &|f| {
        f["flows"]
            .as_u64()
            .map_or_else(|| "—".to_owned(), |n| n.to_string())
    });
    flow_row(&mut out, "   window.open inside the click task", &|f| {
        yes_no(&f["allInClickTask"])
    });
    flow_row(&mut out, "   userActivation.isActive at window.open", &|f| {
        yes_no(&f["allUserActivationActive"])
    });
    flow_row(&mut out, "   click event → window.open call", &|f| {
        ms(&f["clickToOpen"]["median"])
    });
    flow_row(&mut out, "   window.open call itself", &|f| {
        ms(&f["windowOpenCall"]["median"])
    });
    flow_row(&mut out, "4. postMessage → connection-created, med.", &|f| {
        ms(&f["latency"]["median"])
    });
    flow_row(&mut out, "   postMessage → connection-created, p95", &|f| {
        ms(&f["latency"]["p95"])
    });
    flow_row(&mut out, "   message dispatched → event, median", &|f| {
        ms(&f["fromMessage"]["median"])
    });
    flow_row(&mut out, "   message dispatched → event, p95", &|f| {
        ms(&f["fromMessage"]["p95"])
    });

    // 5. and 6.: one build each.
    let leak = &r["leak"];
    let (b, a) = (&leak["before"], &leak["after"]);
    let one = |out: &mut String, label: &str, build: &str, value: String| {
        row(out, label, &|c| match c {
            Col::Widget(w) if w.name == build => value.clone(),
            _ => "".into(),
        });
    };
    let _ = writeln!(
        out,
        "5. leak check: {} open/complete cycles, JS API; before → after, after GC",
        leak["cycles"]
    );
    let kib = |v: &Value| {
        v.as_f64()
            .map_or_else(|| "?".into(), |x| format!("{:.0}", x / 1024.0))
    };
    let pair = |k: &str| format!("{} → {}", b[k], a[k]);
    one(
        &mut out,
        "   JS heap used (KiB)",
        "core",
        format!("{} → {}", kib(&b["jsHeapUsed"]), kib(&a["jsHeapUsed"])),
    );
    one(
        &mut out,
        "   JS heap growth, second half (B/cycle)",
        "core",
        leak["lastHalfBytesPerCycle"]
            .as_f64()
            .map_or_else(|| "—".into(), |x| format!("{x:.1}")),
    );
    one(
        &mut out,
        "   listeners on window (CDP)",
        "core",
        pair("windowListeners"),
    );
    one(
        &mut out,
        "   JS event listeners, all (CDP)",
        "core",
        pair("jsEventListeners"),
    );
    one(&mut out, "   DOM nodes (CDP)", "core", pair("domNodes"));
    one(
        &mut out,
        "   WASM memory (64 KiB pages)",
        "core",
        pair("wasmPages"),
    );
    one(&mut out, "   flows running", "core", pair("activeFlows"));
    one(
        &mut out,
        "   windows open (incl. this page)",
        "core",
        pair("openWindows"),
    );
    one(
        &mut out,
        "   completed / failed / seconds",
        "core",
        format!(
            "{} / {} / {:.0}",
            leak["completed"],
            leak["failed"],
            leak["seconds"].as_f64().unwrap_or(0.0)
        ),
    );
    let c = &r["concurrency"];
    let _ = writeln!(
        out,
        "6. {} simultaneous flows x {} runs: demo page on the sandbox, token endpoint + session confirmation",
        c["flows"], c["reps"]
    );
    one(
        &mut out,
        "   total time (first click → last result)",
        "full",
        ms(&c["totalMs"]["median"]),
    );
    one(
        &mut out,
        "   every flow ended exactly once",
        "full",
        yes_no(&c["allExactlyOnce"]),
    );
    let f = &r["flood"];
    let _ = writeln!(
        out,
        "7. flood: {} foreign messages from another site's window (20,000 small, 40 of ~2 MB, 2 markers), core",
        f["messages"]
    );
    let longest = |v: &Value| {
        if v["longTasks"].as_u64() == Some(0) {
            "none > 50 ms".to_owned()
        } else {
            ms(&v["longestTaskMs"])
        }
    };
    one(
        &mut out,
        "   longest main-thread task, no flow",
        "core",
        longest(&f["without"]),
    );
    one(
        &mut out,
        "   longest main-thread task, a flow waiting",
        "core",
        longest(&f["withFlow"]),
    );
    one(
        &mut out,
        "   debug events during the flood (a flow waiting)",
        "core",
        f["withFlow"]["debugEvents"].to_string(),
    );
    for (label, key) in [
        ("   20,000 small, delivered in: no flow / a flow", "smallMs"),
        ("   40 large, delivered in: no flow / a flow", "largeMs"),
    ] {
        one(
            &mut out,
            label,
            "core",
            format!("{} / {}", ms(&f["without"][key]), ms(&f["withFlow"][key])),
        );
    }
    rule(&mut out);
    out.push_str(
        "Sizes: widget = WASM + JS glue as served from target/pkg (the\n\
         loader, ~0.4 KB, not counted); anchors = their browser entry bundled + minified by esbuild.\n\
         Ready: loopback server, no compression, cold = fresh browser context per load. postMessage →\n\
         event is stamped in the popup on performance.timeOrigin + now(); message dispatched → event is\n\
         the widget's own work in the page. 6. includes puppeteer filling the forms. Timings are\n\
         reported, never gated.\n",
    );
    out
}
