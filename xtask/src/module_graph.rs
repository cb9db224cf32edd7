//! The module-cycle check: layers that only point down, in each of the workspace's three
//! crates (`src/`, `sandbox/src/`, `xtask/src/`).
//!
//! It parses a crate's sources with `syn`, following its module tree from the crate root the
//! way the compiler does (`mod x;` → `x.rs` or `x/mod.rs`, inline `mod x { … }`), and
//! collects every path that names something of the crate: `use crate::…`, `use super::…`,
//! `use self::…`, `use child::…`, and the paths of expressions, types, patterns and trait
//! bounds (`crate::x::y()`, `super::T`, a child's `child::f()`, or a name a `use` brought in).
//! Macro bodies are read only where they parse as a list of expressions (`format!`,
//! `assert_eq!`, `vec!` …). A path is resolved to the module that defines its target,
//! following `use` re-exports (`pub use config::Config` at the root makes `crate::Config`
//! a use of `config`); attributes and visibilities (`pub(crate)`, `pub(super)`) are no uses.
//! Test code — an item under `#[cfg(test)]` or `#[cfg(all(test, …))]`, such as `mod tests` —
//! is left out: tests may use anything. `#[cfg]` is otherwise not evaluated (the items of
//! every feature count). A glob import (`use super::*`) is a use of the module it names.
//!
//! The graph is looked at on every level of the module tree: among the top-level modules
//! (with `crate`, the root's own items), and inside each module among its children and
//! itself (its own items). A use from anywhere inside a child counts for that child, a use of
//! anything inside a child counts as a use of that child. So `a::x` using `b::y` is the edge
//! `a -> b` on the top level; `p::x` using `p::y` is `p::x -> p::y` inside `p`; a child using
//! its parent's own items while the parent uses the child is the cycle `p -> p::c -> p`. A
//! module using its own children is no dependency on itself.
//!
//! Every elementary cycle is reported, with a file:line example of each of its edges. The
//! cycles still allowed are listed in `xtask/module-cycles-allowed.txt`, one a line as this
//! check prints them; a cycle not listed fails the check, and so does a listed one that no
//! longer exists, so the list can only shrink.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;
use syn::{Attribute, Item, UseTree};

use crate::sh::{Result, root};

/// The crates checked: name, crate root (relative to the workspace).
pub const CRATES: &[(&str, &str)] = &[
    ("weavz-connect", "src/lib.rs"),
    ("weavz-sandbox", "sandbox/src/lib.rs"),
    ("xtask", "xtask/src/main.rs"),
];

/// The committed list of cycles still allowed (relative to the workspace).
pub const ALLOWED: &str = "xtask/module-cycles-allowed.txt";

/// Nested paths followed through re-exports before giving up (an import loop).
const MAX_DEPTH: usize = 32;

/// Elementary cycles enumerated per crate before giving up (a dense graph).
const MAX_CYCLES: usize = 500;

/// The `xtask test` step: prints each crate's module and cycle counts, fails on a cycle the
/// list does not allow and on a listed cycle that is gone.
pub fn check() -> Result {
    let root = root();
    let allowed_path = root.join(ALLOWED);
    let allowed_text = std::fs::read_to_string(&allowed_path)
        .map_err(|e| format!("reading {}: {e}", allowed_path.display()))?;
    let allowed = parse_allowed(&allowed_text);
    let mut found: Vec<(String, Cycle)> = Vec::new();
    for (name, lib) in CRATES {
        let krate = Crate::load(name, &root, &root.join(lib))?;
        let cycles = krate.cycles()?;
        eprintln!(
            "xtask: module graph: {name} ({}): {} modules, {} cycles",
            Path::new(lib).parent().unwrap_or(Path::new("")).display(),
            krate.modules.len(),
            cycles.len()
        );
        found.extend(cycles.into_iter().map(|c| (krate.name.clone(), c)));
    }
    let (new, gone) = compare(&found, &allowed);
    for (krate, cycle) in &found {
        let line = cycle.line(krate);
        if !new.contains(&line) {
            eprintln!("xtask:   allowed for now ({ALLOWED}): {line}");
            for edge in &cycle.edges {
                eprintln!("xtask:     {edge}");
            }
        }
    }
    let mut errors = Vec::new();
    for (krate, cycle) in &found {
        let line = cycle.line(krate);
        if new.contains(&line) {
            let edges: Vec<String> = cycle.edges.iter().map(|e| format!("\n      {e}")).collect();
            errors.push(format!("module cycle {line}{}", edges.concat()));
        }
    }
    for line in &gone {
        errors.push(format!("{line}: this cycle is gone; remove it from {ALLOWED}"));
    }
    if errors.is_empty() {
        eprintln!(
            "xtask: module graph: no module cycle except the {} allowed in {ALLOWED}",
            allowed.len()
        );
        Ok(())
    } else {
        Err(format!(
            "module cycles ({}; a module may only use modules below it — move what the edges \
             use, or the code using it):\n  {}",
            errors.len(),
            errors.join("\n  ")
        ))
    }
}

/// The cycles of a list file: one a line, without blank lines and `#` comments.
pub fn parse_allowed(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The found cycles the list lacks, and the listed ones not found (as lines).
pub fn compare(found: &[(String, Cycle)], allowed: &[String]) -> (Vec<String>, Vec<String>) {
    let lines: Vec<String> = found.iter().map(|(k, c)| c.line(k)).collect();
    let new = lines.iter().filter(|l| !allowed.contains(l)).cloned().collect();
    let gone = allowed.iter().filter(|l| !lines.contains(l)).cloned().collect();
    (new, gone)
}

/// A module path from the crate root (`[]` is the root).
type ModPath = Vec<String>;

/// One path in code that may name something of the crate.
#[derive(Debug, Clone)]
struct Ref {
    /// Its segments as written (`crate`, `super`, `self` included).
    segments: Vec<String>,
    /// Where: the file (relative to the workspace) and line.
    file: String,
    line: usize,
}

/// A module: its children, the names its `use` items bind, and the paths in its code.
#[derive(Debug, Default)]
struct Module {
    children: BTreeSet<String>,
    /// Name → the path it stands for, as written in this module.
    imports: BTreeMap<String, Vec<String>>,
    refs: Vec<Ref>,
}

/// One crate's module tree.
pub struct Crate {
    name: String,
    modules: BTreeMap<ModPath, Module>,
}

/// Where sources come from: the file system, or (for the tests) a map of files.
enum Files {
    Disk,
    #[cfg(test)]
    Memory(BTreeMap<PathBuf, String>),
}

impl Files {
    fn read(&self, path: &Path) -> Option<String> {
        match self {
            Files::Disk => std::fs::read_to_string(path).ok(),
            #[cfg(test)]
            Files::Memory(files) => files.get(path).cloned(),
        }
    }
}

/// An edge of a cycle with its first example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// `file:line` and the path written there.
    pub example: String,
    /// How many paths make this edge.
    pub count: usize,
}

impl std::fmt::Display for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} -> {}: {}", self.from, self.to, self.example)?;
        if self.count > 1 {
            write!(f, " (and {} more)", self.count - 1)?;
        }
        Ok(())
    }
}

/// An elementary cycle: its modules from the smallest name on, and its edges in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    pub nodes: Vec<String>,
    pub edges: Vec<Edge>,
}

impl Cycle {
    /// `crate: a -> b -> a`, the form of the allowed list.
    pub fn line(&self, krate: &str) -> String {
        let mut nodes = self.nodes.clone();
        nodes.extend(self.nodes.first().cloned());
        format!("{krate}: {}", nodes.join(" -> "))
    }
}

impl Crate {
    /// Reads the crate whose root file is `lib` (paths in reports relative to `base`).
    pub fn load(name: &str, base: &Path, lib: &Path) -> Result<Crate> {
        Loader {
            base: base.to_path_buf(),
            files: Files::Disk,
            modules: BTreeMap::new(),
        }
        .load(name, lib)
    }

    /// A crate from in-memory files (path → text); the root is `lib`.
    #[cfg(test)]
    fn from_files(name: &str, lib: &str, files: &[(&str, &str)]) -> Result<Crate> {
        let files: BTreeMap<PathBuf, String> = files
            .iter()
            .map(|(p, t)| (PathBuf::from(p), (*t).to_owned()))
            .collect();
        Loader {
            base: PathBuf::new(),
            files: Files::Memory(files),
            modules: BTreeMap::new(),
        }
        .load(name, Path::new(lib))
    }

    /// The module containing what `segments`, written in module `from`, names; `None` if it
    /// is not of this crate (std, another crate, a local name).
    fn resolve(&self, from: &[String], segments: &[String], depth: usize) -> Option<ModPath> {
        if depth > MAX_DEPTH || segments.is_empty() {
            return None;
        }
        let (at, rest): (ModPath, &[String]) = match segments[0].as_str() {
            "crate" => (Vec::new(), &segments[1..]),
            "self" | "super" => {
                let mut at = from.to_vec();
                let mut i = 0;
                while let Some(s) = segments.get(i) {
                    match s.as_str() {
                        "self" => {}
                        "super" => {
                            at.pop()?;
                        }
                        _ => break,
                    }
                    i += 1;
                }
                (at, &segments[i..])
            }
            first => {
                let module = self.modules.get(from)?;
                // A module is never a whole path (`size(…)` calls a function even beside
                // a `mod size`), so a child only starts a longer one.
                if segments.len() > 1 && module.children.contains(first) {
                    let mut at = from.to_vec();
                    at.push(first.to_owned());
                    (at, &segments[1..])
                } else if let Some(target) = module.imports.get(first) {
                    let mut path = target.clone();
                    path.extend_from_slice(&segments[1..]);
                    return self.resolve(from, &path, depth + 1);
                } else {
                    return None;
                }
            }
        };
        self.walk(at, rest, depth)
    }

    /// Goes down from module `at` along `rest` while it names modules (children, or
    /// re-exports of them); the module where it stops holds the target.
    fn walk(&self, mut at: ModPath, rest: &[String], depth: usize) -> Option<ModPath> {
        for (i, segment) in rest.iter().enumerate() {
            let module = self.modules.get(&at)?;
            if module.children.contains(segment) {
                at.push(segment.clone());
            } else if let Some(target) = module.imports.get(segment) {
                let mut path = target.clone();
                path.extend_from_slice(&rest[i + 1..]);
                return self.resolve(&at, &path, depth + 1);
            } else {
                break;
            }
        }
        Some(at)
    }

    /// Every (source module, target module, reference) within the crate.
    fn uses(&self) -> Vec<(&ModPath, ModPath, &Ref)> {
        let mut out = Vec::new();
        for (path, module) in &self.modules {
            for r in &module.refs {
                if let Some(target) = self.resolve(path, &r.segments, 0)
                    && &target != path
                {
                    out.push((path, target, r));
                }
            }
        }
        out
    }

    /// The edges on every level of the module tree: level (a module) → (from, to) → the
    /// references, in source order.
    fn levels(&self) -> BTreeMap<ModPath, BTreeMap<(String, String), Vec<&Ref>>> {
        let mut levels: BTreeMap<ModPath, BTreeMap<(String, String), Vec<&Ref>>> = BTreeMap::new();
        for (from, to, r) in self.uses() {
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            for depth in 0..=common {
                let level = &from[..depth];
                let (a, b) = (node(level, from), node(level, &to));
                if a != b {
                    levels
                        .entry(level.to_vec())
                        .or_default()
                        .entry((a, b))
                        .or_default()
                        .push(r);
                }
            }
        }
        levels
    }

    /// Every elementary cycle, level by level (top level first), each from its smallest
    /// module on.
    pub fn cycles(&self) -> Result<Vec<Cycle>> {
        let mut out = Vec::new();
        for edges in self.levels().values() {
            let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
            for (a, b) in edges.keys() {
                graph.entry(a).or_default().insert(b);
                graph.entry(b).or_default();
            }
            for nodes in elementary_cycles(&graph, MAX_CYCLES.saturating_sub(out.len()))
                .ok_or_else(|| format!("{}: more than {MAX_CYCLES} module cycles", self.name))?
            {
                let mut cycle_edges = Vec::new();
                for (i, a) in nodes.iter().enumerate() {
                    let b = &nodes[(i + 1) % nodes.len()];
                    let refs = &edges[&(a.clone(), b.clone())];
                    let first = refs[0];
                    cycle_edges.push(Edge {
                        from: a.clone(),
                        to: b.clone(),
                        example: format!("{}:{} `{}`", first.file, first.line, first.segments.join("::")),
                        count: refs.len(),
                    });
                }
                out.push(Cycle {
                    nodes,
                    edges: cycle_edges,
                });
            }
        }
        Ok(out)
    }
}

/// The node standing for module `m` on the level of module `level` (an ancestor of `m` or
/// `m` itself): `level`'s own items, or the child of `level` that holds `m`.
fn node(level: &[String], m: &[String]) -> String {
    let path = if m.len() == level.len() {
        level
    } else {
        &m[..=level.len()]
    };
    if path.is_empty() {
        "crate".to_owned()
    } else {
        path.join("::")
    }
}

/// The elementary cycles of `graph`, each rotated to start at its smallest node, in order;
/// `None` if there are more than `limit`.
fn elementary_cycles(graph: &BTreeMap<&str, BTreeSet<&str>>, limit: usize) -> Option<Vec<Vec<String>>> {
    fn dfs<'a>(
        graph: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        start: &'a str,
        path: &mut Vec<&'a str>,
        out: &mut Vec<Vec<String>>,
        limit: usize,
    ) -> bool {
        let last = *path.last().expect("the path holds the start");
        for &next in &graph[last] {
            if next == start {
                if out.len() == limit {
                    return false;
                }
                out.push(path.iter().map(|s| (*s).to_owned()).collect());
            } else if next > start && !path.contains(&next) {
                path.push(next);
                let ok = dfs(graph, start, path, out, limit);
                path.pop();
                if !ok {
                    return false;
                }
            }
        }
        true
    }
    let mut out = Vec::new();
    for &start in graph.keys() {
        if !dfs(graph, start, &mut vec![start], &mut out, limit) {
            return None;
        }
    }
    Some(out)
}

/// Reads a crate's files into modules.
struct Loader {
    base: PathBuf,
    files: Files,
    modules: BTreeMap<ModPath, Module>,
}

impl Loader {
    fn load(mut self, name: &str, lib: &Path) -> Result<Crate> {
        let file = self.parse(lib)?;
        let dir = lib.parent().unwrap_or(Path::new("")).to_path_buf();
        self.items(&[], &file.items, lib, &dir)?;
        Ok(Crate {
            name: name.to_owned(),
            modules: self.modules,
        })
    }

    fn parse(&self, path: &Path) -> Result<syn::File> {
        let text = self
            .files
            .read(path)
            .ok_or_else(|| format!("reading {}: no such file", path.display()))?;
        syn::parse_file(&text).map_err(|e| format!("parsing {}: {e}", path.display()))
    }

    fn rel(&self, file: &Path) -> String {
        file.strip_prefix(&self.base)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/")
    }

    /// The items of module `path`, written in `file`; its child module files live in `dir`.
    fn items(&mut self, path: &[String], items: &[Item], file: &Path, dir: &Path) -> Result {
        self.modules.entry(path.to_vec()).or_default();
        let mut collector = Collector {
            file: self.rel(file),
            module: Module::default(),
        };
        let mut children = Vec::new();
        for item in items {
            match item {
                _ if is_test_only(item_attrs(item)) => {}
                Item::Mod(m) => {
                    let name = m.ident.to_string();
                    collector.module.children.insert(name.clone());
                    children.push((name, m));
                }
                other => collector.visit_item(other),
            }
        }
        let module = self.modules.get_mut(path).expect("inserted above");
        module.children.extend(collector.module.children);
        module.imports.extend(collector.module.imports);
        module.refs.extend(collector.module.refs);
        for (name, m) in children {
            let mut child = path.to_vec();
            child.push(name.clone());
            let child_dir = dir.join(&name);
            match &m.content {
                Some((_, inner)) => self.items(&child, inner, file, &child_dir)?,
                None => {
                    let flat = dir.join(format!("{name}.rs"));
                    let nested = dir.join(&name).join("mod.rs");
                    let child_file = if self.files.read(&flat).is_some() {
                        flat
                    } else {
                        nested
                    };
                    let parsed = self
                        .parse(&child_file)
                        .map_err(|e| format!("module `{name}`: {e}"))?;
                    self.items(&child, &parsed.items, &child_file, &child_dir)?;
                }
            }
        }
        Ok(())
    }
}

/// Collects the `use` bindings and the paths of one module's code (not of its child
/// modules, which [`Loader::items`] takes apart itself).
struct Collector {
    file: String,
    module: Module,
}

impl Collector {
    fn add_ref(&mut self, segments: Vec<String>, span: proc_macro2::Span) {
        self.module.refs.push(Ref {
            segments,
            file: self.file.clone(),
            line: span.start().line,
        });
    }

    /// One `use` tree under `prefix`: its bindings and a reference for each leaf.
    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &UseTree) {
        match tree {
            UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            UseTree::Name(n) => {
                let (name, full) = leaf(prefix, &n.ident);
                if let Some(name) = name {
                    self.module.imports.insert(name, full.clone());
                }
                self.add_ref(full, n.ident.span());
            }
            UseTree::Rename(r) => {
                let (_, full) = leaf(prefix, &r.ident);
                if r.rename != "_" {
                    self.module.imports.insert(r.rename.to_string(), full.clone());
                }
                self.add_ref(full, r.ident.span());
            }
            UseTree::Glob(g) => self.add_ref(prefix.clone(), g.star_token.spans[0]),
            UseTree::Group(g) => {
                for tree in &g.items {
                    self.use_tree(prefix, tree);
                }
            }
        }
    }
}

/// The name a `use` leaf binds and the path it stands for (`a::{self}` binds `a`).
fn leaf(prefix: &[String], ident: &syn::Ident) -> (Option<String>, Vec<String>) {
    if ident == "self" {
        (prefix.last().cloned(), prefix.to_vec())
    } else {
        let mut full = prefix.to_vec();
        full.push(ident.to_string());
        (Some(ident.to_string()), full)
    }
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_item(&mut self, item: &'ast Item) {
        if !is_test_only(item_attrs(item)) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if !is_test_only(&f.attrs) {
            syn::visit::visit_impl_item_fn(self, f);
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        if u.leading_colon.is_none() {
            self.use_tree(&mut Vec::new(), &u.tree);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_none()
            && let Some(first) = path.segments.first()
        {
            let segments = path.segments.iter().map(|s| s.ident.to_string()).collect();
            self.add_ref(segments, first.ident.span());
        }
        syn::visit::visit_path(self, path);
    }

    /// Attributes (`#[doc]`, `#[derive]`, `#[serde(…)]`) name no module of the crate.
    fn visit_attribute(&mut self, _: &'ast Attribute) {}

    /// `pub(crate)`, `pub(super)`, `pub(in crate::a)` say who may use an item, not what it
    /// uses.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    /// The macro's own path, and its arguments where they parse as expressions.
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_path(&mac.path);
        let args =
            mac.parse_body_with(syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated);
        if let Ok(args) = args {
            for expr in &args {
                self.visit_expr(expr);
            }
        }
    }
}

/// An item's attributes (none for the kinds that have none in `syn`).
fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

/// `#[cfg(test)]` (or `#[cfg(all(test, …))]`): test code, which may use anything.
fn is_test_only(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| a.path().is_ident("cfg") && a.parse_args::<syn::Meta>().is_ok_and(|m| requires_test(&m)))
}

/// Whether a `cfg` predicate holds only under `test`.
fn requires_test(meta: &syn::Meta) -> bool {
    match meta {
        syn::Meta::Path(p) => p.is_ident("test"),
        syn::Meta::List(list) if list.path.is_ident("all") => list
            .parse_args_with(syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated)
            .is_ok_and(|all| all.iter().any(requires_test)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cycles of a crate made of `files`, as the allowed list writes them.
    fn cycles(files: &[(&str, &str)]) -> Vec<String> {
        let krate = Crate::from_files("k", "src/lib.rs", files).unwrap();
        krate.cycles().unwrap().iter().map(|c| c.line("k")).collect()
    }

    #[test]
    fn a_cycle_between_two_modules_is_found_with_an_example_of_each_edge() {
        let files = [
            ("src/lib.rs", "mod a;\nmod b;\n"),
            ("src/a.rs", "use crate::b::B;\npub struct A;\n"),
            (
                "src/b.rs",
                "pub struct B;\n\npub fn f() -> crate::a::A {\n    crate::a::A\n}\n",
            ),
        ];
        let krate = Crate::from_files("k", "src/lib.rs", &files).unwrap();
        let found = krate.cycles().unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line("k"), "k: a -> b -> a");
        assert_eq!(found[0].edges[0].to_string(), "a -> b: src/a.rs:1 `crate::b::B`");
        assert_eq!(
            found[0].edges[1].to_string(),
            "b -> a: src/b.rs:3 `crate::a::A` (and 1 more)"
        );
    }

    #[test]
    fn a_dag_passes() {
        let files = [
            (
                "src/lib.rs",
                "mod a;\nmod b;\nmod c;\npub fn run() { a::go(); }\n",
            ),
            (
                "src/a.rs",
                "use crate::b;\npub fn go() { b::f(); crate::c::g(); }\n",
            ),
            ("src/b.rs", "use crate::c::g;\npub fn f() { g() }\n"),
            ("src/c.rs", "pub fn g() { std::process::exit(0) }\n"),
        ];
        assert_eq!(cycles(&files), Vec::<String>::new());
    }

    #[test]
    fn a_longer_cycle_and_every_elementary_cycle_of_a_component() {
        let files = [
            ("src/lib.rs", "mod a;\nmod b;\nmod c;\n"),
            ("src/a.rs", "use crate::b::X;\n"),
            ("src/b.rs", "use crate::c::Y;\nuse crate::a::Z;\n"),
            ("src/c.rs", "fn f() { let _ = crate::a::Z; }\n"),
        ];
        assert_eq!(cycles(&files), ["k: a -> b -> a", "k: a -> b -> c -> a"]);
    }

    #[test]
    fn super_and_self_are_resolved() {
        let files = [
            ("src/lib.rs", "mod p;\n"),
            ("src/p/mod.rs", "mod x;\nmod y;\n"),
            ("src/p/x.rs", "use super::y::T;\npub struct U;\n"),
            (
                "src/p/y.rs",
                "pub struct T;\nfn f() -> super::super::p::x::U { todo!() }\n",
            ),
        ];
        assert_eq!(cycles(&files), ["k: p::x -> p::y -> p::x"]);
        let files = [
            ("src/lib.rs", "mod a;\nuse self::a::A;\npub struct Root;\n"),
            ("src/a.rs", "pub struct A;\nfn f() -> crate::Root { todo!() }\n"),
        ];
        assert_eq!(cycles(&files), ["k: a -> crate -> a"]);
    }

    #[test]
    fn inline_modules_are_modules() {
        let files = [(
            "src/lib.rs",
            "mod outer {\n    pub mod inner {\n        pub fn f() { crate::other::g() }\n    }\n    pub fn h() {}\n}\n\
             mod other {\n    pub fn g() { super::outer::h() }\n}\n",
        )];
        assert_eq!(cycles(&files), ["k: other -> outer -> other"]);
        let krate = Crate::from_files("k", "src/lib.rs", &files).unwrap();
        assert_eq!(krate.modules.len(), 4);
        let found = krate.cycles().unwrap();
        assert_eq!(found[0].edges[0].example, "src/lib.rs:8 `super::outer::h`");
    }

    #[test]
    fn test_code_is_ignored() {
        let files = [
            ("src/lib.rs", "mod a;\nmod b;\n"),
            (
                "src/a.rs",
                "pub fn f() {}\n#[cfg(test)]\nmod tests {\n    use crate::b::*;\n}\n\
                 #[cfg(test)]\nfn helper() { crate::b::g() }\n#[cfg(all(test, not(target_arch = \"wasm32\")))]\n\
                 mod more;\n#[cfg(not(test))]\npub fn not_a_test() {}\n",
            ),
            ("src/b.rs", "pub fn g() { crate::a::f() }\n"),
        ];
        assert_eq!(cycles(&files), Vec::<String>::new());
        let krate = Crate::from_files("k", "src/lib.rs", &files).unwrap();
        assert_eq!(krate.modules.len(), 3, "no `tests`, and `more` is not read");
        // Code for everything but tests is code.
        let files = [
            ("src/lib.rs", "mod a;\nmod b;\n"),
            (
                "src/a.rs",
                "pub fn f() {}\n#[cfg(not(test))]\nfn g() { crate::b::g() }\n",
            ),
            ("src/b.rs", "pub fn g() { crate::a::f() }\n"),
        ];
        assert_eq!(cycles(&files), ["k: a -> b -> a"]);
    }

    #[test]
    fn a_parent_and_a_child_using_each_other_is_a_cycle_but_using_ones_children_is_not() {
        let files = [
            ("src/lib.rs", "mod p;\n"),
            ("src/p/mod.rs", "mod c;\npub use c::C;\npub fn top() { c::f() }\n"),
            ("src/p/c.rs", "pub struct C;\npub fn f() {}\n"),
        ];
        assert_eq!(cycles(&files), Vec::<String>::new());
        let files = [
            ("src/lib.rs", "mod p;\n"),
            ("src/p/mod.rs", "mod c;\npub fn top() { c::f() }\n"),
            ("src/p/c.rs", "use super::top;\npub fn f() {}\n"),
        ];
        assert_eq!(cycles(&files), ["k: p -> p::c -> p"]);
    }

    #[test]
    fn re_exports_and_imported_names_are_followed() {
        let files = [
            ("src/lib.rs", "mod a;\nmod b;\npub use b::B;\n"),
            // `crate::B` is `b::B`: a → b, not a → crate (crate → b → … is no cycle).
            ("src/a.rs", "pub fn f() -> crate::B { todo!() }\n"),
            ("src/b.rs", "pub struct B;\n"),
        ];
        assert_eq!(cycles(&files), Vec::<String>::new());
        let files = [
            ("src/lib.rs", "mod a;\nmod b;\n"),
            ("src/a.rs", "use crate::b as other;\npub fn f() {}\n"),
            // The macro's arguments count; `other` is only a name in `a`.
            ("src/b.rs", "use crate::a;\nfn g() { assert_eq!(a::f(), ()); }\n"),
        ];
        assert_eq!(cycles(&files), ["k: a -> b -> a"]);
        let files = [
            ("src/lib.rs", "mod a;\nmod b;\n"),
            ("src/a.rs", "pub fn f() { crate::b::g() }\n"),
            (
                "src/b.rs",
                "pub fn g() { println!(\"{}\", crate::a::f as usize); }\n",
            ),
        ];
        assert_eq!(cycles(&files), ["k: a -> b -> a"]);
    }

    #[test]
    fn other_crates_and_local_names_are_no_dependency() {
        let files = [
            ("src/lib.rs", "mod a;\nmod b;\n"),
            (
                "src/a.rs",
                "use std::fmt;\nuse serde::Serialize;\npub fn f() { crate::b::g() }\n",
            ),
            (
                "src/b.rs",
                "fn g() { let a = 1; let _ = a; ::a::x(); Self::h(); }\n",
            ),
        ];
        assert_eq!(cycles(&files), Vec::<String>::new());
        // Visibility names who may use an item, it uses nothing.
        let files = [
            ("src/lib.rs", "mod a;\npub use a::f;\n"),
            (
                "src/a.rs",
                "pub(crate) fn f() {}\npub(super) fn g() {}\npub(in crate::a) fn h() {}\n\
                 pub(crate) mod b {\n    pub(super) fn i() {}\n}\n",
            ),
        ];
        assert_eq!(cycles(&files), Vec::<String>::new());
        // A function of the root named like a module is the function.
        let files = [
            (
                "src/lib.rs",
                "mod size;\nfn size() {}\npub fn main() { size() }\n",
            ),
            ("src/size.rs", "use crate::main;\n"),
        ];
        assert_eq!(cycles(&files), Vec::<String>::new());
    }

    #[test]
    fn the_list_allows_found_cycles_and_reports_new_and_gone_ones() {
        let allowed = parse_allowed("# comment\n\nk: a -> b -> a\nk: c -> d -> c\n");
        assert_eq!(allowed, ["k: a -> b -> a", "k: c -> d -> c"]);
        let cycle = |nodes: &[&str]| Cycle {
            nodes: nodes.iter().map(|s| (*s).to_owned()).collect(),
            edges: Vec::new(),
        };
        let found = [
            ("k".to_owned(), cycle(&["a", "b"])),
            ("k".to_owned(), cycle(&["e", "f"])),
        ];
        let (new, gone) = compare(&found, &allowed);
        assert_eq!(new, ["k: e -> f -> e"]);
        assert_eq!(gone, ["k: c -> d -> c"]);
    }

    #[test]
    fn the_repository_has_only_the_allowed_module_cycles() {
        if let Err(e) = check() {
            panic!("{e}");
        }
    }

    #[test]
    fn xtask_has_no_module_cycle() {
        let krate = Crate::load("xtask", &root(), &root().join("xtask/src/main.rs")).unwrap();
        let found: Vec<String> = krate.cycles().unwrap().iter().map(|c| c.line("xtask")).collect();
        assert_eq!(found, Vec::<String>::new());
        assert!(krate.modules.len() >= 12, "{} modules", krate.modules.len());
    }
}
