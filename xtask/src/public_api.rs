//! The widget crate's public API, written down: `xtask/public-api.txt` lists every public
//! item of `src/` (as the doc-example check walks them, whatever the features), and
//! `cargo xtask test` fails when the crate's public items differ from it. So adding,
//! removing or moving a public item is a visible decision, made in the commit that
//! changes the list.

use std::path::Path;

use crate::doc_examples;
use crate::sh::{Result, root};

/// The committed list.
const LIST: &str = "xtask/public-api.txt";

/// Set to write the list from the source instead of comparing.
const WRITE: &str = "WEAVZ_WRITE_PUBLIC_API";

/// What differs between the `listed` items and the `found` ones, one line each
/// (`+ item`: public but not listed; `- item`: listed but gone).
pub fn differences(listed: &[String], found: &[String]) -> Vec<String> {
    let mut out: Vec<String> = found
        .iter()
        .filter(|f| !listed.contains(f))
        .map(|f| format!("+ {f}"))
        .collect();
    out.extend(
        listed
            .iter()
            .filter(|l| !found.contains(l))
            .map(|l| format!("- {l}")),
    );
    out
}

fn read_list(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect())
}

/// The `xtask test` step.
pub fn check() -> Result {
    let found = doc_examples::public_items(&root().join("src"))?;
    let path = root().join(LIST);
    if std::env::var_os(WRITE).is_some() {
        let text = format!(
            "# The public API of the weavz-connect crate: every public item of src/, in source\n\
             # order. `cargo xtask test` fails when the crate differs from this list; after a\n\
             # deliberate change, rewrite it with {WRITE}=1 cargo test -p xtask public_api.\n{}\n",
            found.join("\n")
        );
        std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
        eprintln!("xtask: wrote {LIST} ({} public items)", found.len());
        return Ok(());
    }
    let diff = differences(&read_list(&path)?, &found);
    if diff.is_empty() {
        eprintln!("xtask: public API: {} items, as listed in {LIST}", found.len());
        Ok(())
    } else {
        Err(format!(
            "the public API differs from {LIST} ({} lines); if the change is deliberate, run \
             {WRITE}=1 cargo test -p xtask public_api and commit the list:\n  {}",
            diff.len(),
            diff.join("\n  ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_what_was_added_and_what_went() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(differences(&s(&["a", "b"]), &s(&["a", "b"])).is_empty());
        assert_eq!(differences(&s(&["a", "b"]), &s(&["a", "c"])), ["+ c", "- b"]);
    }

    #[test]
    fn public_api_is_as_listed() {
        check().unwrap();
    }
}
