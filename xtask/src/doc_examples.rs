//! The check that every public item of the `weavz-connect` crate has a Rust code example in
//! its rustdoc.
//!
//! rustdoc has a lint for this, `rustdoc::missing_doc_code_examples`, but it is unstable
//! (nightly only, behind `#![feature(rustdoc_missing_doc_code_examples)]`), so this check
//! parses the sources with `syn` instead. It starts at `src/lib.rs` and follows the module
//! tree the way the compiler does, so it sees what a user of the crate can name: `pub`
//! items of `pub` modules, the `pub` methods, consts and types of inherent `impl` blocks,
//! public modules themselves (an outer `///` or the file's `//!` doc counts) and `pub` items
//! written inside `macro_rules!` bodies. Items of private modules, `pub(crate)` items,
//! trait impls and `use` re-exports (rustdoc shows the original's docs) are not checked;
//! `#[cfg]` is not evaluated, so items of every feature are.
//!
//! An example is a fenced code block that rustdoc runs or compiles as Rust: no language,
//! `rust`, `no_run`, `should_panic`, `compile_fail` (or an `edition…`). A `text`, `toml`,
//! `js` … block does not count, and an `ignore` block is reported as an error of its own.

use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::{Attribute, Expr, ImplItem, Item, Lit, TraitItem, Visibility};

use crate::sh::{Result, root};

/// Files (relative to `src/`) whose items are not checked yet: none. (A file may be listed
/// while it is being rewritten; an entry whose file no longer lacks any example is itself
/// an error, so this list cannot go stale.)
const NOT_CHECKED_YET: &[&str] = &[];

/// One public item without an example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file, relative to `src/`.
    pub file: String,
    /// `module::Type::item`, from the crate root.
    pub item: String,
    /// What is wrong.
    pub problem: &'static str,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "src/{}: `{}`: {}", self.file, self.item, self.problem)
    }
}

const NO_EXAMPLE: &str = "no Rust code block in its docs";
const JSDOC_END: &str = "`*/` in the docs of a #[wasm_bindgen] export ends the JSDoc comment of the JS glue";
const IGNORED: &str = "an `ignore` code block (use `no_run` for code that cannot run natively)";

/// The `xtask test` step: fails listing every public item of `src/` without an example.
pub fn check() -> Result {
    let src = root().join("src");
    let findings = scan(&src)?;
    let mut errors: Vec<String> = Vec::new();
    for f in &findings {
        if !NOT_CHECKED_YET.contains(&f.file.as_str()) {
            errors.push(f.to_string());
        }
    }
    for file in NOT_CHECKED_YET {
        if !findings.iter().any(|f| f.file == *file) {
            errors.push(format!(
                "src/{file}: every public item has an example now; remove it from \
                 NOT_CHECKED_YET in xtask/src/doc_examples.rs"
            ));
        }
    }
    if errors.is_empty() {
        if findings.is_empty() {
            eprintln!("xtask: every public item of src/ has a code example");
        } else {
            eprintln!(
                "xtask: every public item of src/ has a code example, except in {} (not checked yet):",
                NOT_CHECKED_YET.join(", ")
            );
            for f in &findings {
                eprintln!("xtask:   {f}");
            }
        }
        Ok(())
    } else {
        Err(format!(
            "public items without a code example in their rustdoc ({}):\n  {}",
            errors.len(),
            errors.join("\n  ")
        ))
    }
}

/// Every public item reachable from `src/lib.rs` that lacks an example, in source order.
pub fn scan(src: &Path) -> Result<Vec<Finding>> {
    Ok(walk(src)?.findings)
}

/// Every public item reachable from `src/lib.rs` (modules, types, functions, methods,
/// constants, …), as `module::Type::item` paths in source order, whatever the features.
pub fn public_items(src: &Path) -> Result<Vec<String>> {
    Ok(walk(src)?.public)
}

fn walk(src: &Path) -> Result<Scanner> {
    let mut scanner = Scanner {
        src: src.to_path_buf(),
        findings: Vec::new(),
        public: Vec::new(),
    };
    let lib = src.join("lib.rs");
    let file = scanner.parse(&lib)?;
    // lib.rs: child modules sit beside it.
    scanner.items(&file.items, &lib, src, &[])?;
    Ok(scanner)
}

struct Scanner {
    src: PathBuf,
    findings: Vec<Finding>,
    /// Every public item seen.
    public: Vec<String>,
}

impl Scanner {
    fn parse(&self, path: &Path) -> Result<syn::File> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        syn::parse_file(&text).map_err(|e| format!("parsing {}: {e}", path.display()))
    }

    fn rel(&self, file: &Path) -> String {
        file.strip_prefix(&self.src)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/")
    }

    fn report(&mut self, file: &Path, path: &[String], name: &str, docs: Docs) {
        self.public.push(
            path.iter()
                .chain([&name.to_owned()])
                .cloned()
                .collect::<Vec<_>>()
                .join("::"),
        );
        let problem = match docs {
            Docs::Example => return,
            Docs::None => NO_EXAMPLE,
            Docs::Ignored => IGNORED,
        };
        let mut item = path.to_vec();
        item.push(name.to_owned());
        self.findings.push(Finding {
            file: self.rel(file),
            item: item.join("::"),
            problem,
        });
    }

    /// Checks one item: an example, and (for a `#[wasm_bindgen]` export) no `*/` in its
    /// docs, which wasm-bindgen copies into a `/** … */` comment of the JS glue.
    fn item(&mut self, file: &Path, path: &[String], name: &str, attrs: &[Attribute]) {
        self.report(file, path, name, docs(attrs, file));
        let exported = attrs.iter().any(|a| a.path().is_ident("wasm_bindgen"));
        if exported && doc_text(attrs, file).contains("*/") {
            let mut item = path.to_vec();
            item.push(name.to_owned());
            self.findings.push(Finding {
                file: self.rel(file),
                item: item.join("::"),
                problem: JSDOC_END,
            });
        }
    }

    /// `file` holds `items`; `dir` is where its child module files live; `path` names the
    /// module from the crate root.
    fn items(&mut self, items: &[Item], file: &Path, dir: &Path, path: &[String]) -> Result {
        for item in items {
            match item {
                Item::Mod(m) => {
                    if !is_pub(&m.vis) {
                        continue;
                    }
                    let name = m.ident.to_string();
                    let mut child = path.to_vec();
                    child.push(name.clone());
                    match &m.content {
                        // Inline: inner `//!` docs are among the item's attributes.
                        Some((_, inner)) => {
                            let docs = docs(&m.attrs, file);
                            self.report(file, path, &name, docs);
                            self.items(inner, file, &dir.join(&name), &child)?;
                        }
                        None => {
                            let (child_file, child_dir) = module_file(dir, &name)?;
                            let parsed = self.parse(&child_file)?;
                            let docs = docs(&m.attrs, file).or(docs(&parsed.attrs, &child_file));
                            // Reported where its `//!` docs are.
                            self.report(&child_file, path, &name, docs);
                            self.items(&parsed.items, &child_file, &child_dir, &child)?;
                        }
                    }
                }
                Item::Impl(imp) => {
                    if imp.trait_.is_some() {
                        continue;
                    }
                    let owner = type_name(&imp.self_ty);
                    let mut owner_path = path.to_vec();
                    owner_path.push(owner);
                    for it in &imp.items {
                        let (vis, attrs, name) = match it {
                            ImplItem::Fn(f) => (&f.vis, &f.attrs, f.sig.ident.to_string()),
                            ImplItem::Const(c) => (&c.vis, &c.attrs, c.ident.to_string()),
                            ImplItem::Type(t) => (&t.vis, &t.attrs, t.ident.to_string()),
                            _ => continue,
                        };
                        if is_pub(vis) {
                            self.item(file, &owner_path, &name, attrs);
                        }
                    }
                }
                Item::Trait(t) if is_pub(&t.vis) => {
                    let name = t.ident.to_string();
                    self.item(file, path, &name, &t.attrs);
                    let mut owner_path = path.to_vec();
                    owner_path.push(name);
                    for it in &t.items {
                        let (attrs, name) = match it {
                            TraitItem::Fn(f) => (&f.attrs, f.sig.ident.to_string()),
                            TraitItem::Const(c) => (&c.attrs, c.ident.to_string()),
                            TraitItem::Type(t) => (&t.attrs, t.ident.to_string()),
                            _ => continue,
                        };
                        self.item(file, &owner_path, &name, attrs);
                    }
                }
                Item::ForeignMod(fm) => {
                    for it in &fm.items {
                        let (vis, attrs, name) = match it {
                            syn::ForeignItem::Fn(f) => (&f.vis, &f.attrs, f.sig.ident.to_string()),
                            syn::ForeignItem::Static(s) => (&s.vis, &s.attrs, s.ident.to_string()),
                            syn::ForeignItem::Type(t) => (&t.vis, &t.attrs, t.ident.to_string()),
                            _ => continue,
                        };
                        if is_pub(vis) {
                            self.item(file, path, &name, attrs);
                        }
                    }
                }
                Item::Macro(m) if m.mac.path.is_ident("macro_rules") => {
                    // The items a macro declares are written in its body, not in `items`.
                    for (owner, name, docs) in macro_body_items(m.mac.tokens.clone(), None) {
                        let mut owner_path = path.to_vec();
                        owner_path.extend(owner);
                        self.report(file, &owner_path, &name, docs);
                    }
                }
                other => {
                    let (vis, attrs, name) = match other {
                        Item::Fn(f) => (&f.vis, &f.attrs, f.sig.ident.to_string()),
                        Item::Struct(s) => (&s.vis, &s.attrs, s.ident.to_string()),
                        Item::Enum(e) => (&e.vis, &e.attrs, e.ident.to_string()),
                        Item::Union(u) => (&u.vis, &u.attrs, u.ident.to_string()),
                        Item::Const(c) => (&c.vis, &c.attrs, c.ident.to_string()),
                        Item::Static(s) => (&s.vis, &s.attrs, s.ident.to_string()),
                        Item::Type(t) => (&t.vis, &t.attrs, t.ident.to_string()),
                        Item::TraitAlias(t) => (&t.vis, &t.attrs, t.ident.to_string()),
                        _ => continue,
                    };
                    if is_pub(vis) {
                        self.item(file, path, &name, attrs);
                    }
                }
            }
        }
        Ok(())
    }
}

fn is_pub(vis: &Visibility) -> bool {
    matches!(vis, Visibility::Public(_))
}

/// The file of `mod name;` declared in a module whose children live in `dir`, and the
/// directory of that module's own children.
fn module_file(dir: &Path, name: &str) -> Result<(PathBuf, PathBuf)> {
    let flat = dir.join(format!("{name}.rs"));
    let nested = dir.join(name).join("mod.rs");
    if flat.exists() {
        Ok((flat, dir.join(name)))
    } else if nested.exists() {
        Ok((nested, dir.join(name)))
    } else {
        Err(format!(
            "module `{name}`: neither {} nor {}",
            flat.display(),
            nested.display()
        ))
    }
}

fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        _ => "<impl>".to_owned(),
    }
}

/// What an item's docs hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Docs {
    /// No Rust code block.
    None,
    /// At least one block rustdoc compiles.
    Example,
    /// No compiled block, but an `ignore` one.
    Ignored,
}

impl Docs {
    fn or(self, other: Docs) -> Docs {
        match (self, other) {
            (Docs::Example, _) | (_, Docs::Example) => Docs::Example,
            (Docs::Ignored, _) | (_, Docs::Ignored) => Docs::Ignored,
            _ => Docs::None,
        }
    }
}

/// The code blocks of the `doc` attributes among `attrs` (`///`, `//!`, `#[doc = "…"]` and
/// `#[doc = include_str!("…")]`, read relative to `file`).
fn docs(attrs: &[Attribute], file: &Path) -> Docs {
    code_blocks(&doc_text(attrs, file))
}

/// The text of the `doc` attributes among `attrs`.
fn doc_text(attrs: &[Attribute], file: &Path) -> String {
    let mut text = String::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        let syn::Meta::NameValue(nv) = &attr.meta else {
            continue;
        };
        match &nv.value {
            Expr::Lit(lit) => {
                if let Lit::Str(s) = &lit.lit {
                    text.push_str(&s.value());
                    text.push('\n');
                }
            }
            Expr::Macro(m) if m.mac.path.is_ident("include_str") => {
                if let Ok(rel) = m.mac.parse_body::<syn::LitStr>() {
                    let included = file.parent().unwrap_or(Path::new(".")).join(rel.value());
                    text.push_str(&std::fs::read_to_string(included).unwrap_or_default());
                    text.push('\n');
                }
            }
            _ => {}
        }
    }
    text
}

/// Classifies the fenced (```` ``` ````) code blocks of a doc text.
fn code_blocks(text: &str) -> Docs {
    let mut found = Docs::None;
    let mut open = false;
    for line in text.lines() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        if open {
            open = false;
            continue;
        }
        open = true;
        let words: Vec<&str> = info
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty())
            .collect();
        if words.contains(&"ignore") {
            found = found.or(Docs::Ignored);
            continue;
        }
        let rust = words.iter().all(|w| {
            matches!(
                *w,
                "rust" | "no_run" | "should_panic" | "compile_fail" | "test_harness"
            ) || w.starts_with("edition")
        });
        if rust {
            found = Docs::Example;
        }
    }
    found
}

/// `pub` items written in a `macro_rules!` body: each `pub <kind> <name>` (kind `fn`,
/// `struct`, `enum`, `const`, …) with the `#[doc]` attributes right before it (other
/// attributes may sit between them), and the type whose `impl` block holds it (`owner`
/// for the items of `tokens`).
fn macro_body_items(tokens: TokenStream, owner: Option<String>) -> Vec<(Option<String>, String, Docs)> {
    let mut out = Vec::new();
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut doc_text = String::new();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            TokenTree::Punct(p) if p.as_char() == '#' => {
                if let Some(TokenTree::Group(g)) = tokens.get(i + 1) {
                    let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                    if let [
                        TokenTree::Ident(id),
                        TokenTree::Punct(eq),
                        TokenTree::Literal(lit),
                    ] = inner.as_slice()
                        && id == "doc"
                        && eq.as_char() == '='
                        && let Ok(s) = syn::parse_str::<syn::LitStr>(&lit.to_string())
                    {
                        doc_text.push_str(&s.value());
                        doc_text.push('\n');
                    }
                    i += 2;
                    continue;
                }
                doc_text.clear();
            }
            TokenTree::Ident(id) if id == "pub" => {
                // `pub(crate)` and the like are not public.
                if let Some(TokenTree::Ident(kind)) = tokens.get(i + 1) {
                    let mut j = i + 1;
                    let mut kind = kind.to_string();
                    while matches!(kind.as_str(), "async" | "unsafe" | "extern")
                        || (kind == "const"
                            && matches!(tokens.get(j + 1), Some(TokenTree::Ident(k)) if k == "fn"))
                    {
                        j += 1;
                        kind = tokens.get(j).map(|t| t.to_string()).unwrap_or_default();
                    }
                    if matches!(
                        kind.as_str(),
                        "fn" | "struct" | "enum" | "union" | "trait" | "const" | "static" | "type" | "mod"
                    ) {
                        let name = match tokens.get(j + 1) {
                            Some(TokenTree::Punct(p)) if p.as_char() == '$' => {
                                format!(
                                    "${}",
                                    tokens.get(j + 2).map(|t| t.to_string()).unwrap_or_default()
                                )
                            }
                            Some(t) => t.to_string(),
                            None => String::new(),
                        };
                        out.push((owner.clone(), name, code_blocks(&doc_text)));
                    }
                }
                doc_text.clear();
            }
            // `impl Type {`: the items in the braces are `Type`'s.
            TokenTree::Ident(id) if id == "impl" => {
                if let (Some(TokenTree::Ident(ty)), Some(TokenTree::Group(g))) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                    && g.delimiter() == proc_macro2::Delimiter::Brace
                {
                    out.extend(macro_body_items(g.stream(), Some(ty.to_string())));
                    i += 3;
                    doc_text.clear();
                    continue;
                }
                doc_text.clear();
            }
            TokenTree::Group(g) => {
                out.extend(macro_body_items(g.stream(), owner.clone()));
                doc_text.clear();
            }
            _ => doc_text.clear(),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A throwaway `src/` with the given files.
    fn crate_with(files: &[(&str, &str)]) -> PathBuf {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("xtask-doc-examples-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn missing(files: &[(&str, &str)]) -> Vec<String> {
        let dir = crate_with(files);
        let found = scan(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        found.iter().map(|f| format!("{}: {}", f.file, f.item)).collect()
    }

    #[test]
    fn every_public_item_of_weavz_connect_has_an_example() {
        if let Err(e) = check() {
            panic!("{e}");
        }
    }

    #[test]
    fn reports_public_items_without_a_rust_code_block() {
        let lib = r#"
//! Crate docs.
pub mod a;
mod private;
/// With one.
///
/// ```
/// assert!(true);
/// ```
pub fn documented() {}
/// Only prose.
pub fn prose() {}
/// A `text` block is not an example.
///
/// ```text
/// x
/// ```
pub struct Text;
/// ```no_run
/// let _ = 1;
/// ```
pub enum E { A }
impl E {
    /// No example.
    pub fn method(&self) {}
    fn private_method(&self) {}
    /// ```
    /// ```
    pub const C: u8 = 1;
}
impl Default for E { fn default() -> E { E::A } }
pub(crate) fn internal() {}
"#;
        let a = "//! Module docs, no example.\n\n/// ```ignore\n/// x\n/// ```\npub type T = u8;\n";
        let private = "pub fn hidden() {}\n";
        let found = missing(&[("lib.rs", lib), ("a.rs", a), ("private.rs", private)]);
        assert_eq!(
            found,
            [
                "a.rs: a",
                "a.rs: a::T",
                "lib.rs: prose",
                "lib.rs: Text",
                "lib.rs: E::method"
            ]
        );
    }

    #[test]
    fn module_docs_and_macro_bodies_count() {
        let lib = "pub mod m;\n";
        let m = r#"
//! ```
//! assert_eq!(1, 1);
//! ```
macro_rules! decl {
    ($($k:ident),*) => {
        /// Docs without an example.
        #[derive(Debug)]
        pub enum Key { $($k),* }
        impl Key {
            /// Every key.
            ///
            /// ```
            /// ```
            pub const ALL: &[Key] = &[$(Key::$k),*];
            /// None.
            pub fn first() -> Key { Key::A }
        }
        pub(crate) fn internal() {}
    };
}
decl![A, B];
"#;
        assert_eq!(
            missing(&[("lib.rs", lib), ("m.rs", m)]),
            ["m.rs: m::Key", "m.rs: m::Key::first"]
        );
    }

    #[test]
    fn a_comment_end_in_the_docs_of_a_wasm_bindgen_export_is_reported() {
        let lib = r#"
/// ```
/// let _ = 1; /* fine: not exported */
/// ```
pub fn plain() {}
/// ```
/// let _ = 1; /* breaks the glue */
/// ```
#[wasm_bindgen(js_name = open)]
pub fn open() {}
"#;
        let dir = crate_with(&[("lib.rs", lib)]);
        let found = scan(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].item.as_str(), found[0].problem), ("open", JSDOC_END));
    }

    #[test]
    fn fences_rustdoc_compiles() {
        assert_eq!(code_blocks("```\n```"), Docs::Example);
        assert_eq!(code_blocks("```rust,no_run\n```"), Docs::Example);
        assert_eq!(code_blocks("```edition2021\n```"), Docs::Example);
        assert_eq!(code_blocks("```toml\n```"), Docs::None);
        assert_eq!(code_blocks("```ignore\n```"), Docs::Ignored);
        assert_eq!(code_blocks("```text\n```\n```\n```"), Docs::Example);
        // The closing fence of a `text` block is not the opening of an example.
        assert_eq!(code_blocks("```text\nx\n```\nprose"), Docs::None);
        assert_eq!(code_blocks("no blocks"), Docs::None);
    }
}
