//! Embeds the shared vectors (`tests/vectors/*.json`) and the release files
//! they name into the wasm tests, which have no file system. Every JSON file
//! in the folder becomes a test, so adding a vector file needs no code edit.

use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../..");
    let dir = root.join("tests/vectors");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();

    let mut data = String::from("pub const VECTOR_FILES: &[(&str, &str)] = &[\n");
    let mut tests = String::new();
    let mut releases: Vec<String> = Vec::new();
    for path in &files {
        let name = file_name(path)?;
        let text = std::fs::read_to_string(path)?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if let Some(rel) = json.get("release_file").and_then(|v| v.as_str()) {
            if !releases.iter().any(|r| r == rel) {
                releases.push(rel.to_owned());
            }
        }
        writeln!(data, "    ({name:?}, include_str!({:?})),", abs(path)?)?;
        let ident: String = name
            .trim_end_matches(".json")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        writeln!(
            tests,
            "#[wasm_bindgen_test]\nfn vectors_{ident}() {{\n    run_vector_file({name:?});\n}}\n"
        )?;
    }
    data.push_str("];\n\npub const RELEASE_FILES: &[(&str, &str)] = &[\n");
    for rel in &releases {
        let path = root.join(rel);
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(data, "    ({rel:?}, include_str!({:?})),", abs(&path)?)?;
    }
    data.push_str("];\n");

    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("vector_data.rs"), data)?;
    std::fs::write(out.join("vector_tests.rs"), tests)?;
    Ok(())
}

fn file_name(path: &Path) -> Result<String, Box<dyn Error>> {
    Ok(path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{}: not a utf-8 file name", path.display()))?
        .to_owned())
}

fn abs(path: &Path) -> Result<String, Box<dyn Error>> {
    let path = path.canonicalize()?;
    Ok(path
        .to_str()
        .ok_or_else(|| format!("{}: not a utf-8 path", path.display()))?
        .to_owned())
}
