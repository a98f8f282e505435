#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The core's layers, as ARCHITECTURE.md draws them: each directory of
//! `src/` uses only the layers below it, so there is no cycle to untangle
//! and the tree shows the architecture.

use std::path::Path;

/// Bottom up: a layer may use the ones before it, never the ones after.
const LAYERS: [&str; 6] = ["format", "model", "compile", "eval", "signed", "reports"];

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn each_layer_uses_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut wrong = Vec::new();
    let mut seen = 0;
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let Some(own) = rel.iter().next().and_then(|c| c.to_str()) else {
            continue;
        };
        let Some(rank) = LAYERS.iter().position(|l| *l == own) else {
            // lib.rs only declares the layers and re-exports them.
            assert_eq!(rel, Path::new("lib.rs"), "a file outside the layers");
            continue;
        };
        seen += 1;
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            for (i, _) in line.match_indices("crate::") {
                let rest = &line[i + "crate::".len()..];
                let used: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if let Some(r) = LAYERS.iter().position(|l| *l == used) {
                    if r > rank {
                        wrong.push(format!("{}:{}: {own} uses {used}", rel.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(seen >= 20, "only {seen} files in the layers");
    assert!(wrong.is_empty(), "upward uses:\n{}", wrong.join("\n"));
}

#[test]
fn src_has_only_the_layers_and_lib() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut names: Vec<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = LAYERS.iter().map(|l| (*l).to_owned()).collect();
    expected.push("lib.rs".to_owned());
    expected.sort();
    assert_eq!(names, expected);
}
