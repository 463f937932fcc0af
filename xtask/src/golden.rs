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
    let output = codegen::generate(&config(repo)).map_err(|message| anyhow!(message))?;
    Ok(output
        .files
        .into_iter()
        .map(|file| (file.name, file.contents))
        .collect())
}

/// Returns the generator settings of the golden files.
fn config(repo: &Path) -> codegen::Config {
    codegen::Config {
        proto_root: repo.join("tests/golden/proto"),
        files: vec!["golden/v1/golden.proto".to_string()],
        packages: vec!["golden.v1".to_string()],
        runtime_path: "::cwsandbox_control::connect".to_string(),
        wkt_path: "::cwsandbox_control::wkt".to_string(),
        include_dirs: vec![repo.join("proto")],
        // The golden files compile in a test crate whose doc comments never
        // run, so they carry no examples.
        doc_examples: None,
        field_path_module: Some("::cwsandbox_control::ops".to_string()),
    }
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// The methods of the golden `ShelfServiceClient`.
    const METHODS: [&str; 7] = [
        "new",
        "from_stub",
        "stub",
        "get_shelf",
        "update_shelf",
        "delete_shelf",
        "echo",
    ];

    fn examples() -> BTreeMap<String, String> {
        METHODS
            .iter()
            .map(|method| {
                let key = format!("ShelfServiceClient::{method}");
                (
                    key,
                    format!("# let hidden = 1;\nassert_eq!(\"{method}\", \"{method}\");"),
                )
            })
            .collect()
    }

    fn client_file(config: &codegen::Config) -> Result<String, String> {
        let output = codegen::generate(config)?;
        let file = output
            .files
            .into_iter()
            .find(|file| file.name == "golden.v1.client.rs")
            .ok_or("no client file was generated")?;
        Ok(file.contents)
    }

    #[test]
    fn examples_go_into_method_docs() {
        let mut config = config(&crate::repo_root());
        config.doc_examples = Some(examples());
        let code = client_file(&config).unwrap();
        for method in METHODS {
            let line = format!("assert_eq!(\"{method}\", \"{method}\");");
            assert!(code.contains(&line), "no example for {method}:\n{code}");
        }
        assert!(code.contains("/// # Examples"), "{code}");
        assert!(code.contains("/// # let hidden = 1;"), "{code}");
    }

    #[test]
    fn no_examples_without_config() {
        let code = client_file(&config(&crate::repo_root())).unwrap();
        assert!(!code.contains("# Examples"), "{code}");
    }

    #[test]
    fn missing_example_is_error() {
        let mut config = config(&crate::repo_root());
        let mut partial = examples();
        partial.remove("ShelfServiceClient::echo");
        config.doc_examples = Some(partial);
        let error = client_file(&config).unwrap_err();
        assert!(
            error.contains("no doc example for ShelfServiceClient::echo"),
            "{error}"
        );
    }

    #[test]
    fn unknown_example_key_is_error() {
        let mut config = config(&crate::repo_root());
        let mut extra = examples();
        extra.insert(
            "ShelfServiceClient::list_shelves".to_string(),
            "1;".to_string(),
        );
        config.doc_examples = Some(extra);
        let error = client_file(&config).unwrap_err();
        assert!(
            error.contains("ShelfServiceClient::list_shelves"),
            "{error}"
        );
        assert!(error.contains("name no generated client method"), "{error}");
    }
}
