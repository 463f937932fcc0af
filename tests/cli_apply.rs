//! `cwsctl apply` against a standalone emulator child process.

// Helpers outside #[test] functions unwrap too: a panic is how a test fails.
#![allow(clippy::unwrap_used)]

mod cli_support;

use cli_support::{Server, json, repo_path, texts};

fn apply(server: &Server, args: &[&str]) -> (String, String) {
    let output = server.admin().arg("apply").args(args).output().unwrap();
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "apply {args:?}: {stderr}");
    (stdout, stderr)
}

fn examples() -> [String; 2] {
    [
        repo_path("examples/profiles"),
        repo_path("examples/runners/lab-west.yaml"),
    ]
}

#[test]
fn apply_creates_then_changes_nothing() {
    let server = Server::start();
    let [profiles, runner] = examples();
    let (stdout, _) = apply(&server, &["-f", &profiles, "-f", &runner]);
    for expected in [
        "profile template agents-allowlist created",
        "profile template train-a100 created",
        "profile template zone-defaults created",
        "runner lab-west created",
    ] {
        assert!(stdout.contains(expected), "{expected} missing in {stdout}");
    }

    let (stdout, _) = apply(&server, &["-f", &profiles, "-f", &runner]);
    assert_eq!(stdout.matches("unchanged").count(), 4, "{stdout}");
    assert!(!stdout.contains("->"), "{stdout}");
}

#[test]
fn apply_updates_exactly_changed_fields() {
    let server = Server::start();
    let [profiles, runner] = examples();
    apply(&server, &["-f", &profiles, "-f", &runner]);

    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("lab-west.yaml");
    let text = std::fs::read_to_string(&runner)
        .unwrap()
        .replace("RELEASE_CHANNEL_RAPID", "RELEASE_CHANNEL_STABLE")
        .replace("LOG_LEVEL: info", "LOG_LEVEL: debug");
    std::fs::write(&file, text).unwrap();
    let file = file.to_string_lossy().into_owned();

    let output = server
        .admin()
        .args(["apply", "-f", &file, "--dry-run", "-o", "json"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    let requests = json(&output);
    assert_eq!(requests.as_array().unwrap().len(), 1);
    assert_eq!(
        requests[0]["updateMask"],
        "managedSpec.releaseChannel,managedSpec.overrides"
    );
    assert!(
        stderr.contains(
            r#"managedSpec.releaseChannel: "RELEASE_CHANNEL_RAPID" -> "RELEASE_CHANNEL_STABLE""#
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(r#"managedSpec.overrides.env.LOG_LEVEL: "info" -> "debug""#),
        "{stderr}"
    );

    let (stdout, _) = apply(&server, &["-f", &file]);
    assert!(stdout.contains("runner lab-west updated"), "{stdout}");
    let (stdout, _) = apply(&server, &["-f", &file]);
    assert!(stdout.contains("runner lab-west unchanged"), "{stdout}");
}

#[test]
fn dry_run_changes_nothing() {
    let server = Server::start();
    let [profiles, runner] = examples();
    let output = server
        .admin()
        .args([
            "apply",
            "-f",
            &profiles,
            "-f",
            &runner,
            "--dry-run",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    let requests = json(&output);
    assert_eq!(requests.as_array().unwrap().len(), 4);
    assert_eq!(requests[3]["runnerId"], "lab-west");

    let output = server
        .user()
        .args(["profile", "list", "-o", "json"])
        .output()
        .unwrap();
    assert!(json(&output).get("profileTemplates").is_none());
}

#[test]
fn multi_document_yaml_with_kinds() {
    let server = Server::start();
    let text = "\
kind: Runner
runnerId: east
runner:
  identity: {zone: US-EAST-04A, clusterName: cks-east-04a}
  profileBindings:
    - {profileTemplateId: east-default, isDefault: true}
---
kind: ProfileTemplate
display_name: east-default
spec: {runtime_class: gvisor}
";
    let output = server
        .admin()
        .args(["apply", "-f", "-", "-o", "yaml"])
        .write_stdin(text)
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("profile template east-default created"),
        "{stderr}"
    );
    assert!(stderr.contains("runner east created"), "{stderr}");
    assert!(stdout.contains("runtimeClass: gvisor"), "{stdout}");
}

#[test]
fn runner_without_id_is_usage_error() {
    let server = Server::start();
    let output = server
        .admin()
        .args(["apply", "-f", "-"])
        .write_stdin("kind: Runner\nidentity: {zone: US-EAST-04A}\n")
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("needs a runnerId"), "{stderr}");
}

#[test]
fn unknown_template_name_fails() {
    let server = Server::start();
    let text = r#"{"runnerId": "ghost", "runner": {"identity": {"zone": "US-EAST-04A",
        "clusterName": "cks-east-04a"}, "profileBindings": [
        {"profileTemplateId": "not-there", "isDefault": true}]}}"#;
    let output = server
        .admin()
        .args(["apply", "-f", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("no profile template is named \"not-there\""),
        "{stderr}"
    );
}

#[test]
fn json_list_of_documents() {
    let server = Server::start();
    let text = r#"[
        {"profileTemplate": {"displayName": "first", "spec": {}}},
        {"kind": "ProfileTemplate", "displayName": "second", "spec": {}}
    ]"#;
    let output = server
        .admin()
        .args(["apply", "-f", "-", "-o", "json"])
        .write_stdin(text)
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    let applied = json(&output);
    assert_eq!(applied.as_array().unwrap().len(), 2);
    assert_eq!(applied[1]["displayName"], "second");
}
