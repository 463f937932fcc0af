//! Golden files of the code generator: the Rust it emits for the test proto
//! in `tests/golden/proto`, checked in under `tests/golden/expected`.

#[path = "../../codegen/mod.rs"]
#[allow(dead_code, unreachable_pub)]
mod codegen;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};

/// A golden file that differs from what the generator emits now.
#[derive(Debug)]
pub struct Drift {
    /// File name under `tests/golden/expected`.
    pub name: String,
    /// Unified diff from the checked-in file to the generated one.
    pub diff: String,
}

/// Returns the directory of the checked-in golden files.
pub fn expected_dir(repo: &Path) -> PathBuf {
    repo.join("tests/golden/expected")
}

/// Runs the generator on the golden test proto, with the crate's public paths
/// so that the output compiles from outside the crate.
pub fn generate(repo: &Path) -> Result<Vec<(String, String)>> {
    let config = codegen::Config {
        proto_root: repo.join("tests/golden/proto"),
        files: vec!["golden/v1/golden.proto".to_string()],
        packages: vec!["golden.v1".to_string()],
        runtime_path: "::cwsandbox_control::connect".to_string(),
        wkt_path: "::cwsandbox_control::wkt".to_string(),
        include_dirs: vec![repo.join("proto")],
        // The golden files compile in a test crate whose doc comments never
        // run, so they carry no examples.
        doc_examples: None,
    };
    let output = codegen::generate(&config).map_err(|message| anyhow!(message))?;
    Ok(output
        .files
        .into_iter()
        .map(|file| (file.name, file.contents))
        .collect())
}

/// Writes the golden files and returns their names.
pub fn write(repo: &Path) -> Result<Vec<String>> {
    let dir = expected_dir(repo);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let files = generate(repo)?;
    for (name, contents) in &files {
        let path = dir.join(name);
        fs::write(&path, contents).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(files.into_iter().map(|(name, _)| name).collect())
}

/// Compares the golden files with the generator's output.
pub fn check(repo: &Path) -> Result<Vec<Drift>> {
    let dir = expected_dir(repo);
    let mut drifts = Vec::new();
    for (name, generated) in generate(repo)? {
        let path = dir.join(&name);
        let expected = fs::read_to_string(&path).unwrap_or_default();
        if expected != generated {
            let diff = similar::TextDiff::from_lines(&expected, &generated)
                .unified_diff()
                .header(&format!("expected/{name}"), &format!("generated/{name}"))
                .to_string();
            drifts.push(Drift { name, diff });
        }
    }
    Ok(drifts)
}
