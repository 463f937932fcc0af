//! The checked-in golden files match what the code generator emits now.

#[test]
fn golden_files_are_current() {
    let repo = xtask::repo_root();
    let drifts = xtask::golden::check(&repo).unwrap();
    let diffs: Vec<_> = drifts.iter().map(|drift| drift.diff.as_str()).collect();
    assert!(
        drifts.is_empty(),
        "golden files differ from the generator; run `cargo xtask codegen` and review:\n{}",
        diffs.join("\n")
    );
}
