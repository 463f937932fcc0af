//! Tests of the snapshot, the change summary, staging a proto release,
//! reading protos from git and the command line.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{cases_dir, compile, proto_dir};
use xtask::protoset::ProtoSet;
use xtask::summary::{Action, changes};

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().expect("parent directory")).expect("create directory");
    fs::write(path, text).expect("write file");
}

#[test]
fn descriptor_snapshot_is_current() {
    let set = ProtoSet::compile(&proto_dir(), &[]).expect("repository protos compile");
    let committed = fs::read_to_string(proto_dir().join("descriptor.txt")).unwrap_or_default();
    assert!(
        committed == xtask::descriptor::render(&set),
        "proto/descriptor.txt is out of date: run `cargo xtask descriptor`"
    );
}

#[test]
fn descriptor_lists_fields_by_number() {
    let text = xtask::descriptor::render(&compile("safe_field_added", "new"));
    let fields: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("field "))
        .collect();
    assert_eq!(
        fields[0],
        "field example.v1.Thing.id = 1 string singular json=id"
    );
    assert_eq!(
        fields[3],
        "field example.v1.Thing.tags = 4 string repeated json=tags"
    );
    let price = "field example.v1.Thing.price_cents = 5 int64 singular json=priceCents";
    assert_eq!(fields[4], price);
}

#[test]
fn descriptor_shows_method_options() {
    let text = xtask::descriptor::render(&compile("rpc_removed", "old"));
    let expected = "method example.v1.ThingService.GetThing input=example.v1.GetThingRequest \
                    output=example.v1.Thing idempotency=NO_SIDE_EFFECTS http=GET /v1/things/{id}";
    assert!(text.lines().any(|line| line == expected), "{text}");
}

#[test]
fn summary_lists_added_field() {
    let found = changes(
        &compile("safe_field_added", "old"),
        &compile("safe_field_added", "new"),
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].action, Action::Added);
    assert_eq!(found[0].kind, "field");
    assert_eq!(found[0].element, "example.v1.Thing.price_cents");
}

#[test]
fn summary_lists_changed_method() {
    let case = "method_idempotency_changed";
    let found = changes(&compile(case, "old"), &compile(case, "new"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].action, Action::Changed);
    assert_eq!(found[0].element, "example.v1.ThingService.GetThing");
    assert!(
        found[0].old.contains("idempotency=NO_SIDE_EFFECTS"),
        "{}",
        found[0].old
    );
    assert!(
        found[0].new.contains("idempotency=IDEMPOTENCY_UNKNOWN"),
        "{}",
        found[0].new
    );
}

#[test]
fn summary_lists_removed_message() {
    let case = "message_removed";
    let found = changes(&compile(case, "old"), &compile(case, "new"));
    let removed: Vec<_> = found
        .iter()
        .filter(|c| c.action == Action::Removed)
        .collect();
    assert_eq!(removed.len(), 3, "{found:?}");
    assert_eq!(removed[0].kind, "message");
    assert_eq!(removed[0].element, "example.v1.Part");
}

#[test]
fn stage_replaces_release_trees() {
    let scratch = tempfile::tempdir().expect("temporary directory");
    let protos = scratch.path().join("proto");
    let release = scratch.path().join("release");
    write(&protos.join("google/api/http.proto"), "// vendored\n");
    write(&protos.join("acme/v1/old.proto"), "// old\n");
    write(&protos.join("descriptor.txt"), "snapshot\n");
    write(&release.join("acme/v1/new.proto"), "// new\n");
    write(&release.join("README.md"), "not a proto\n");

    let staged = xtask::update::stage(&release, &protos).expect("stage");
    assert_eq!(staged.entries, vec!["acme".to_string()]);
    assert!(staged.dir.path().join("acme/v1/new.proto").is_file());
    assert!(!staged.dir.path().join("acme/v1/old.proto").exists());
    assert!(staged.dir.path().join("google/api/http.proto").is_file());

    xtask::update::install(&staged, &protos).expect("install");
    assert!(protos.join("acme/v1/new.proto").is_file());
    assert!(!protos.join("acme/v1/old.proto").exists());
    assert!(protos.join("google/api/http.proto").is_file());
    assert!(protos.join("descriptor.txt").is_file());
    assert!(!protos.join("README.md").exists());
}

#[test]
fn stage_rejects_release_without_protos() {
    let scratch = tempfile::tempdir().expect("temporary directory");
    write(&scratch.path().join("release/README.md"), "empty\n");
    let result = xtask::update::stage(&scratch.path().join("release"), scratch.path());
    let message = format!("{:#}", result.err().expect("stage fails"));
    assert!(message.contains("no .proto files under"), "{message}");
}

fn git(repo: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=xtask test",
            "-c",
            "user.email=xtask@localhost",
        ])
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

#[test]
fn materialize_reads_committed_protos() {
    let scratch = tempfile::tempdir().expect("temporary directory");
    let repo = scratch.path().join("repo");
    write(&repo.join("proto/acme/v1/a.proto"), "// first\n");
    write(&repo.join("proto/notes.txt"), "skipped\n");
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    git(&repo, &["tag", "v0.1.0"]);
    write(&repo.join("proto/acme/v1/a.proto"), "// second\n");

    assert_eq!(
        xtask::git::latest_tag(&repo).expect("git"),
        Some("v0.1.0".to_string())
    );
    let dest = scratch.path().join("out");
    let count = xtask::git::materialize_protos(&repo, "v0.1.0", "proto", &dest).expect("read");
    assert_eq!(count, 1);
    let text = fs::read_to_string(dest.join("acme/v1/a.proto")).expect("file written");
    assert_eq!(text, "// first\n");
    assert!(!dest.join("notes.txt").exists());

    let error = xtask::git::materialize_protos(&repo, "no-such-ref", "proto", &dest);
    let message = format!("{:#}", error.expect_err("unknown ref fails"));
    assert!(
        message.contains("unknown git ref \"no-such-ref\""),
        "{message}"
    );
}

fn run_breaking(case: &str) -> (Option<i32>, String) {
    let dir = cases_dir().join(case);
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("breaking")
        .arg("--proto-dir")
        .arg(dir.join("new"))
        .arg("--against-dir")
        .arg(dir.join("old"))
        .arg("--include")
        .arg(proto_dir())
        .output()
        .expect("xtask runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn cli_exits_1_on_breaking_change() {
    let (code, stdout) = run_breaking("rpc_removed");
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("rpc-removed"), "{stdout}");
    assert!(
        stdout.contains("example.v1.ThingService.DeleteThing"),
        "{stdout}"
    );
    assert!(stdout.ends_with("1 breaking change\n"), "{stdout}");
}

#[test]
fn cli_exits_0_on_safe_change() {
    let (code, stdout) = run_breaking("safe_rpc_added");
    assert_eq!(code, Some(0), "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with("no breaking changes: "), "{stdout}");
}

#[test]
fn cli_exits_2_on_compile_error() {
    let scratch = tempfile::tempdir().expect("temporary directory");
    write(
        &scratch.path().join("broken.proto"),
        "syntax = \"proto3\";\nmessage {\n",
    );
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["breaking", "--against-dir"])
        .arg(scratch.path())
        .output()
        .expect("xtask runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("failed to compile the protos under"),
        "{stderr}"
    );
}
