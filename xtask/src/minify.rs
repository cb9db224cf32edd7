//! Shrinks what wasm-bindgen emits, after `wasm-opt`:
//!
//! - the `.wasm`'s import and export names (`__wbg_open_df8f03ea7b6074f9`, the module
//!   `./weavz_connect_bg.js`, `wasm_bindgen__convert__closures_____invoke__h…`) are
//!   replaced by one or two letters (`wasm-opt --minify-imports-and-exports-and-modules`,
//!   which prints the mapping), and the JS glue is rewritten to match;
//! - the glue (and its `snippets/`) is bundled into one file and minified with esbuild.
//!
//! The rewrite is checked: every name the mapping mentions must be found exactly where
//! the glue defines or uses it, and no `wasm.<name>` may be left over, or the build fails.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::sh::{Result, run};

/// The glue's name for the module the `.wasm` imports its JS functions from.
const GLUE_MODULE: &str = "./weavz_connect_bg.js";

/// The `wasm-opt` pass that renames imports (with their module) and exports; it prints
/// the mapping as JSON on stdout.
pub const MINIFY_NAMES_PASS: &str = "--minify-imports-and-exports-and-modules";

/// The mapping `wasm-opt` printed: `imports` as `[module, old, new]`, `exports` as
/// `[old, new]`.
pub struct NameMap {
    imports: Vec<(String, String, String)>,
    exports: Vec<(String, String)>,
}

impl NameMap {
    /// Reads the JSON `wasm-opt` printed (anything before the first `{` is ignored).
    pub fn parse(stdout: &str) -> Result<NameMap> {
        let start = stdout.find('{').ok_or("wasm-opt printed no name mapping")?;
        let json: serde_json::Value =
            serde_json::from_str(&stdout[start..]).map_err(|e| format!("wasm-opt's name mapping: {e}"))?;
        let strings = |v: &serde_json::Value| -> Result<Vec<String>> {
            v.as_array()
                .ok_or("a mapping entry is not an array")?
                .iter()
                .map(|s| {
                    s.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| "a mapping name is not a string".to_owned())
                })
                .collect()
        };
        let list = |key: &str| -> Result<Vec<Vec<String>>> {
            json[key]
                .as_array()
                .ok_or_else(|| format!("wasm-opt's name mapping has no `{key}`"))?
                .iter()
                .map(strings)
                .collect()
        };
        let imports = list("imports")?
            .into_iter()
            .map(|e| match <[String; 3]>::try_from(e) {
                Ok([m, old, new]) => Ok((m, old, new)),
                Err(_) => Err("an import mapping is not [module, old, new]".to_owned()),
            })
            .collect::<Result<Vec<_>>>()?;
        let exports = list("exports")?
            .into_iter()
            .map(|e| match <[String; 2]>::try_from(e) {
                Ok([old, new]) => Ok((old, new)),
                Err(_) => Err("an export mapping is not [old, new]".to_owned()),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(NameMap { imports, exports })
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// Byte offsets of `word` in `text` where it is not part of a longer identifier.
fn word_positions(text: &str, word: &str) -> Vec<usize> {
    text.match_indices(word)
        .filter(|(i, _)| {
            let before = text[..*i].chars().next_back();
            let after = text[i + word.len()..].chars().next();
            !before.is_some_and(is_ident_char) && !after.is_some_and(is_ident_char)
        })
        .map(|(i, _)| i)
        .collect()
}

/// Rewrites the glue for the renamed `.wasm`: the import module, each import function's
/// key in the import object, and each `wasm.<export>`.
pub fn rename_in_glue(glue: &str, map: &NameMap, new_module: &str) -> Result<String> {
    let mut out = glue.to_owned();

    let module_key = format!("\"{GLUE_MODULE}\":");
    if out.matches(&module_key).count() != 1 {
        return Err(format!(
            "the glue does not define the import module {GLUE_MODULE} exactly once"
        ));
    }
    out = out.replace(&module_key, &format!("{new_module:?}:"));

    for (module, old, new) in &map.imports {
        if module != GLUE_MODULE {
            return Err(format!("unexpected import module {module} (of {old})"));
        }
        let at = word_positions(&out, old);
        let [i] = at.as_slice() else {
            return Err(format!(
                "the glue mentions the import {old} {} times, not once",
                at.len()
            ));
        };
        let key_end = i + old.len();
        if !out[key_end..].starts_with(':') {
            return Err(format!(
                "the import {old} is not a key of the glue's import object"
            ));
        }
        out.replace_range(*i..key_end, &format!("{new:?}"));
    }

    for (old, new) in &map.exports {
        let from = format!("wasm.{old}");
        let at: Vec<usize> = word_positions(&out, &from);
        // Replace from the end so earlier offsets stay valid.
        for i in at.into_iter().rev() {
            out.replace_range(i..i + from.len(), &format!("wasm[{new:?}]"));
        }
    }
    let left: BTreeSet<&str> = word_positions(&out, "wasm")
        .into_iter()
        .filter_map(|i| {
            let rest = out[i + 4..].strip_prefix('.')?;
            Some(&rest[..rest.find(|c| !is_ident_char(c)).unwrap_or(rest.len())])
        })
        .filter(|used| !used.is_empty())
        .collect();
    if !left.is_empty() {
        return Err(format!(
            "the glue uses exports the mapping does not rename: {left:?}"
        ));
    }
    Ok(out)
}

/// Reads a LEB128 unsigned integer at `*at`.
fn leb(bytes: &[u8], at: &mut usize) -> Result<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at).ok_or("truncated .wasm")?;
        *at += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("bad LEB128 in .wasm".into())
}

fn name<'a>(bytes: &'a [u8], at: &mut usize) -> Result<&'a str> {
    let len = leb(bytes, at)? as usize;
    let s = bytes.get(*at..*at + len).ok_or("truncated .wasm")?;
    *at += len;
    std::str::from_utf8(s).map_err(|_| "a .wasm name is not UTF-8".to_owned())
}

/// The distinct module names of a `.wasm`'s imports.
pub fn import_modules(wasm: &[u8]) -> Result<BTreeSet<String>> {
    if wasm.get(..4) != Some(b"\0asm") {
        return Err("not a .wasm file".into());
    }
    let mut at = 8;
    let mut modules = BTreeSet::new();
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let size = leb(wasm, &mut at)? as usize;
        let end = at + size;
        if id == 2 {
            let count = leb(wasm, &mut at)?;
            for _ in 0..count {
                modules.insert(name(wasm, &mut at)?.to_owned());
                name(wasm, &mut at)?;
                let kind = *wasm.get(at).ok_or("truncated .wasm")?;
                at += 1;
                let limits = |at: &mut usize| -> Result {
                    let flags = leb(wasm, at)?;
                    leb(wasm, at)?;
                    if flags & 1 != 0 {
                        leb(wasm, at)?;
                    }
                    Ok(())
                };
                match kind {
                    0 => drop(leb(wasm, &mut at)?),
                    1 => {
                        at += 1; // reference type
                        limits(&mut at)?;
                    }
                    2 => limits(&mut at)?,
                    3 => at += 2, // value type, mutability
                    4 => {
                        at += 1; // attribute
                        leb(wasm, &mut at)?;
                    }
                    other => return Err(format!("unknown import kind {other} in .wasm")),
                }
            }
            return Ok(modules);
        }
        at = end;
    }
    Ok(modules)
}

/// Bundles the glue with its snippets and minifies it in place (esbuild); removes the
/// now-inlined `snippets/`.
pub fn bundle_glue(esbuild: &Path, dir: &Path, glue_name: &str) -> Result {
    let glue = dir.join(glue_name);
    let bundled = dir.join(format!("{glue_name}.min"));
    run(
        &format!("esbuild: bundle and minify {}", glue.display()),
        Command::new(esbuild)
            .arg(&glue)
            .args([
                "--bundle",
                "--minify",
                "--format=esm",
                "--platform=browser",
                "--log-level=warning",
            ])
            .arg(format!("--outfile={}", bundled.display())),
    )?;
    std::fs::rename(&bundled, &glue).map_err(|e| format!("replacing {}: {e}", glue.display()))?;
    let snippets = dir.join("snippets");
    if snippets.exists() {
        std::fs::remove_dir_all(&snippets).map_err(|e| format!("removing {}: {e}", snippets.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GLUE: &str = r#"export function open(options) {
    const ret = wasm.open(options);
    return ret;
}
function __wbg_get_imports() {
    const import0 = {
        __proto__: null,
        __wbg_open_df8f03ea7b6074f9: function(arg0) { return wasm.open_helper(arg0); },
        __wbg_open_df8f03ea7b6074f9x: function() {},
    };
    return { __proto__: null, "./weavz_connect_bg.js": import0 };
}
let wasm;
wasm = instance.exports;
"#;

    fn map() -> NameMap {
        NameMap::parse(
            r#"{ "imports": [ ["./weavz_connect_bg.js", "__wbg_open_df8f03ea7b6074f9", "a"],
                             ["./weavz_connect_bg.js", "__wbg_open_df8f03ea7b6074f9x", "b"] ],
                "exports": [ ["open", "c"], ["open_helper", "d"] ] }"#,
        )
        .unwrap()
    }

    #[test]
    fn renames_imports_module_and_exports() {
        let out = rename_in_glue(GLUE, &map(), "m").unwrap();
        assert!(
            out.contains(r#""a": function(arg0) { return wasm["d"](arg0); }"#),
            "{out}"
        );
        assert!(out.contains(r#""b": function() {}"#), "{out}");
        assert!(out.contains(r#""m": import0"#), "{out}");
        assert!(out.contains(r#"const ret = wasm["c"](options);"#), "{out}");
        assert!(out.contains("export function open(options)"), "{out}");
    }

    #[test]
    fn refuses_a_glue_it_does_not_understand() {
        let mut partial = map();
        partial.exports.pop();
        assert!(
            rename_in_glue(GLUE, &partial, "m")
                .unwrap_err()
                .contains("open_helper")
        );
        let twice = GLUE.replace("return wasm.open_helper(arg0);", "__wbg_open_df8f03ea7b6074f9;");
        assert!(rename_in_glue(&twice, &map(), "m").is_err());
        assert!(rename_in_glue(&GLUE.replace("./weavz", "./other"), &map(), "m").is_err());
    }

    #[test]
    fn reads_import_modules() {
        // (module (import "ab" "f" (func)) (import "ab" "m" (memory 1 2)))
        let wasm = [
            b"\0asm\x01\0\0\0".as_slice(),
            &[1, 4, 1, 0x60, 0, 0],
            &[
                2, 17, 2, 2, b'a', b'b', 1, b'f', 0, 0, 2, b'a', b'b', 1, b'm', 2, 1, 1, 2,
            ],
        ]
        .concat();
        assert_eq!(import_modules(&wasm).unwrap(), BTreeSet::from(["ab".to_owned()]));
    }
}
