//! Runs `buf breaking` on every crafted case under `tests/cases` with the
//! breaking policy of the root `buf.yaml`, and asserts that buf and the xtask
//! check agree on whether each change breaks, apart from the differences
//! listed in `KNOWN_DIFFERENCES`.
//!
//! The test skips with a notice when no buf binary is found (see
//! `xtask::buf::find`). Run it with `--nocapture` to see the agreement count.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{case_names, check_case, proto_dir, report};

/// Cases where buf and the xtask check disagree on purpose, with the reason.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "go_package_changed",
        "buf (FILE_SAME_GO_PACKAGE) breaks: Go import paths change. xtask passes: \
         this project generates Rust, whose module paths follow the package",
    ),
    (
        "http_path_changed",
        "buf passes: it does not read google.api.http. xtask breaks: \
         REST clients call the old path",
    ),
    (
        "http_verb_changed",
        "buf passes: it does not read google.api.http. xtask breaks: \
         REST clients send the old verb",
    ),
];

/// Exit code of `buf breaking` when it found breaking changes.
const BUF_FOUND_BREAKING: i32 = 100;

/// Returns the `breaking:` section of the root `buf.yaml`, which is its last
/// section.
fn breaking_policy() -> String {
    let path = xtask::repo_root().join("buf.yaml");
    let text = fs::read_to_string(&path).expect("root buf.yaml is readable");
    let start = text
        .find("\nbreaking:")
        .expect("root buf.yaml has a breaking section");
    text[start + 1..].to_string()
}

/// Copies one side of a case, the repository's `google/` protos and a
/// `buf.yaml` with `policy` into `dest`.
fn prepare_side(case: &str, side: &str, policy: &str, dest: &Path) {
    let source = common::cases_dir().join(case).join(side);
    copy_tree(&source, dest);
    copy_tree(&proto_dir().join("google"), &dest.join("google"));
    fs::write(dest.join("buf.yaml"), format!("version: v2\n{policy}")).expect("write buf.yaml");
}

fn copy_tree(source: &Path, dest: &Path) {
    fs::create_dir_all(dest).expect("create directory");
    for entry in fs::read_dir(source).expect("read directory") {
        let path = entry.expect("directory entry").path();
        let target = dest.join(path.file_name().expect("file name"));
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            fs::copy(&path, &target).expect("copy file");
        }
    }
}

/// Runs buf on one case and returns whether buf found a breaking change,
/// with buf's output.
fn buf_verdict(buf: &Path, case: &str, policy: &str) -> (bool, String) {
    let scratch = tempfile::tempdir().expect("temporary directory");
    prepare_side(case, "old", policy, &scratch.path().join("old"));
    prepare_side(case, "new", policy, &scratch.path().join("new"));
    let output = Command::new(buf)
        .args(["breaking", "new", "--against", "old"])
        .current_dir(scratch.path())
        .output()
        .expect("buf runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    match output.status.code() {
        Some(0) => (false, text),
        Some(BUF_FOUND_BREAKING) => (true, text),
        _ => panic!("buf breaking failed on case {case}:\n{text}"),
    }
}

fn verdict_name(breaking: bool) -> &'static str {
    if breaking { "breaking" } else { "safe" }
}

#[test]
fn buf_agrees_with_xtask() {
    let Some(buf) = xtask::buf::find(&xtask::repo_root()) else {
        println!("skipped: no buf binary (set BUF or run tests/peers/setup.sh)");
        return;
    };
    let policy = breaking_policy();
    let cases = case_names();
    let mut agreed = 0;
    let mut mismatches = Vec::new();
    let mut table = Vec::new();
    for case in &cases {
        let findings = check_case(case);
        let ours = !findings.is_empty();
        let (theirs, buf_output) = buf_verdict(&buf, case, &policy);
        let known = KNOWN_DIFFERENCES.iter().find(|(name, _)| name == case);
        match (known, ours == theirs) {
            (None, true) => agreed += 1,
            (Some((_, reason)), false) => table.push(format!(
                "| {case} | {} | {} | {reason} |",
                verdict_name(ours),
                verdict_name(theirs)
            )),
            (None, false) => mismatches.push(format!(
                "{case}: xtask {} but buf {}\nxtask:\n{}buf:\n{buf_output}",
                verdict_name(ours),
                verdict_name(theirs),
                report(&findings)
            )),
            (Some(_), true) => mismatches.push(format!(
                "{case}: listed in KNOWN_DIFFERENCES, but both say {}",
                verdict_name(ours)
            )),
        }
    }
    println!(
        "buf agreement: {agreed} of {} cases agree, {} known differences",
        cases.len(),
        table.len()
    );
    println!("| case | xtask | buf | reason |\n| --- | --- | --- | --- |");
    for row in &table {
        println!("{row}");
    }
    assert!(
        mismatches.is_empty(),
        "buf and xtask disagree:\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn known_differences_name_real_cases() {
    let cases = case_names();
    for (case, _) in KNOWN_DIFFERENCES {
        assert!(
            cases.iter().any(|name| name == case),
            "no case directory {case}"
        );
    }
}
