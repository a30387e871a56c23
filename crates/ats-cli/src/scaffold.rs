//! `ats new-adapter <name>`: a new adapter crate that compiles and passes
//! its conformance suite before its author writes a line.
//!
//! It copies a registered adapter (Greenhouse by default: a partner API
//! the ATS calls with a key the vendor issued, results written back to a
//! callback URL) with its recorded fixtures, renaming every identifier, and
//! writes `docs/providers/<name>.md` with the sections every provider page
//! has, to fill in. The copy is the starting point: its wire format is the
//! original provider's until the author changes it, file by file, fixture
//! by fixture (`docs/adding-an-adapter.md`).

use std::path::{Path, PathBuf};

/// What to generate.
#[derive(Debug)]
pub struct Args {
    /// The new adapter's name (`[a-z][a-z0-9]*`).
    pub name: String,
    /// The adapter to copy.
    pub from: String,
    /// The workspace root.
    pub root: PathBuf,
}

/// The type names of the adapters that can be copied.
const TYPE_NAMES: &[(&str, &str)] = &[
    ("greenhouse", "Greenhouse"),
    ("ashby", "Ashby"),
    ("lever", "Lever"),
    ("workable", "Workable"),
    ("kombo", "Kombo"),
    ("stackone", "StackOne"),
    ("knit", "Knit"),
];

/// Generates the crate, the fixtures and the provider page; returns the
/// files written.
pub fn run(args: &Args) -> Result<Vec<PathBuf>, String> {
    let name = args.name.as_str();
    if name.is_empty()
        || !name.starts_with(|c: char| c.is_ascii_lowercase())
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        return Err(format!(
            "`{name}`: a name is lower-case letters and digits, starting with a letter"
        ));
    }
    let from_type = TYPE_NAMES
        .iter()
        .find(|(n, _)| *n == args.from)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            format!(
                "--from {}: one of {}",
                args.from,
                TYPE_NAMES
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
    let root = &args.root;
    if !root.join("Cargo.toml").is_file() || !root.join("crates").is_dir() {
        return Err(format!(
            "{}: not the workspace root (no Cargo.toml and crates/)",
            root.display()
        ));
    }
    let crate_dir = root.join("crates").join(format!("ats-{name}"));
    let fixtures = root.join("fixtures").join(name);
    let page = root.join("docs/providers").join(format!("{name}.md"));
    for taken in [&crate_dir, &fixtures, &page] {
        if taken.exists() {
            return Err(format!("{} exists already", taken.display()));
        }
    }
    let new_type = type_name(name);
    let rename = |text: &str| -> String {
        text.replace(&format!("ats-{}", args.from), &format!("ats-{name}"))
            .replace(&format!("ats_{}", args.from), &format!("ats_{name}"))
            .replace(from_type, &new_type)
            .replace(&from_type.to_uppercase(), &name.to_uppercase())
            .replace(&args.from, name)
    };
    let mut written = Vec::new();
    copy_tree(
        &root.join("crates").join(format!("ats-{}", args.from)),
        &crate_dir,
        &rename,
        &mut written,
    )?;
    copy_tree(
        &root.join("fixtures").join(&args.from),
        &fixtures,
        &rename,
        &mut written,
    )?;
    std::fs::write(&page, provider_page(name, &new_type, &args.from))
        .map_err(|e| format!("{}: {e}", page.display()))?;
    written.push(page);
    Ok(written)
}

/// `teamtailor` → `Teamtailor`.
fn type_name(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn copy_tree(
    from: &Path,
    to: &Path,
    rename: &dyn Fn(&str) -> String,
    written: &mut Vec<PathBuf>,
) -> Result<(), String> {
    let entries = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let source = entry.path();
        let file_name = rename(&entry.file_name().to_string_lossy());
        if file_name == "target" {
            continue;
        }
        let target = to.join(file_name);
        if source.is_dir() {
            copy_tree(&source, &target, rename, written)?;
        } else {
            let text = std::fs::read_to_string(&source)
                .map_err(|e| format!("{}: {e}", source.display()))?;
            std::fs::write(&target, rename(&text))
                .map_err(|e| format!("{}: {e}", target.display()))?;
            written.push(target);
        }
    }
    Ok(())
}

/// The provider page to fill in: the sections every page has.
fn provider_page(name: &str, type_name: &str, from: &str) -> String {
    format!(
        "# {type_name}: wire formats for the assessment adapter\n\n\
         This page is the record of what {type_name} publishes and what `ats-{name}` does with it.\n\
         Everything here is in our own words; where {type_name}'s documentation is silent, the text\n\
         says **unconfirmed** and names the behaviour the adapter chose.\n\n\
         > Generated by `ats new-adapter {name} --from {from}`: the crate and `fixtures/{name}/`\n\
         > are a renamed copy of `ats-{from}`, so they compile and pass the conformance suite.\n\
         > Replace each section's content with {type_name}'s facts, then the wire structs, the\n\
         > translation and the fixtures (`docs/adding-an-adapter.md`).\n\n\
         ## 0. Sources and how much to trust them\n\n\
         | tag | source | parts used |\n|---|---|---|\n| | {type_name}'s own documentation (first) | |\n\n\
         ## 1. Model: who calls whom\n\n\
         ## 2. Authentication (both ways)\n\n\
         ## 3. Endpoints and events\n\n\
         One subsection per call or event, both directions: method, path, every field (name to\n\
         the letter, type, required, nullable), status values, answers and error bodies, with an\n\
         example and the source of each fact.\n\n\
         ## 4. Errors, limits, retries, idempotency\n\n\
         ## 5. Mapping to the core model\n\n\
         ## 6. Corrections to earlier assumptions\n\n\
         ## 7. What `ats-{name}` does\n\n\
         ## 8. Fixtures\n\n\
         `fixtures/{name}/`: one file per exchange; every key and token in them is made up, and\n\
         `docs/fixtures.md` says which secret signed each signed fixture.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names() {
        assert_eq!(type_name("teamtailor"), "Teamtailor");
        assert_eq!(type_name("hibob2"), "Hibob2");
    }
}
