//! Helpers shared by the breaking-change tests.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use xtask::breaking::{self, Finding};
use xtask::protoset::ProtoSet;

/// Returns the directory of the crafted cases: `<name>/old/` and `<name>/new/`.
pub fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

/// Returns the repository's proto root, which supplies the `google/api` imports.
pub fn proto_dir() -> PathBuf {
    xtask::repo_root().join("proto")
}

/// Returns the names of every case directory, sorted.
pub fn case_names() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(cases_dir())
        .expect("cases directory is readable")
        .map(|entry| {
            entry
                .expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Compiles one side (`old` or `new`) of a case.
pub fn compile(case: &str, side: &str) -> ProtoSet {
    let root = cases_dir().join(case).join(side);
    ProtoSet::compile(&root, &[proto_dir()])
        .unwrap_or_else(|err| panic!("case {case}/{side} does not compile: {err:#}"))
}

/// Runs the xtask check on one case.
pub fn check_case(case: &str) -> Vec<Finding> {
    breaking::check(&compile(case, "old"), &compile(case, "new"))
}

/// Formats findings one per line for assertion messages.
pub fn report(findings: &[Finding]) -> String {
    findings.iter().map(|f| format!("  {f}\n")).collect()
}
