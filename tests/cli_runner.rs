//! `cwsctl runner` against a standalone emulator child process.

// Helpers outside #[test] functions unwrap too: a panic is how a test fails.
#![allow(clippy::unwrap_used)]

mod cli_support;

use cli_support::{Server, json, repo_path, texts};
use serde_json::Value;

/// Creates the three example templates and the lab-west runner, and waits
/// until the runner is ready and connected.
fn setup() -> Server {
    let server = Server::start();
    for name in [
        "train-a100.yaml",
        "agents-allowlist.yaml",
        "zone-defaults.yaml",
    ] {
        let file = repo_path(&format!("examples/profiles/{name}"));
        let output = server
            .admin()
            .args(["profile", "create", "-f", &file])
            .output()
            .unwrap();
        assert!(output.status.success(), "{name}");
    }
    let file = repo_path("examples/runners/lab-west.yaml");
    let output = server
        .admin()
        .args(["runner", "create", "lab-west", "-f", &file, "-o", "json"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    let created = json(&output);
    assert_eq!(created["installStatus"], "RUNNER_INSTALL_STATUS_PENDING");

    let output = server
        .admin()
        .args([
            "runner",
            "wait",
            "lab-west",
            "--for",
            "connected",
            "--timeout",
            "30s",
        ])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    server
}

fn get(server: &Server, id: &str) -> Value {
    let output = server
        .user()
        .args(["runner", "get", id, "-o", "json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    json(&output)
}

fn template_id(server: &Server, name: &str) -> String {
    let output = server
        .user()
        .args(["profile", "get", name, "-o", "json"])
        .output()
        .unwrap();
    json(&output)["id"].as_str().unwrap().to_string()
}

fn defaults(runner: &Value) -> Vec<String> {
    runner["profileBindings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|binding| binding["isDefault"] == true)
        .map(|binding| binding["profileTemplateId"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn create_resolves_names_and_waits() {
    let server = setup();
    let runner = get(&server, "lab-west");
    assert_eq!(runner["installStatus"], "RUNNER_INSTALL_STATUS_READY");
    assert_eq!(
        runner["connectionStatus"],
        "RUNNER_CONNECTION_STATUS_CONNECTED"
    );
    let bindings = runner["profileBindings"].as_array().unwrap();
    assert_eq!(bindings.len(), 2);
    assert_eq!(
        bindings[0]["profileTemplateId"],
        template_id(&server, "agents-allowlist").as_str()
    );
    assert_eq!(
        bindings[1]["profileTemplateId"],
        template_id(&server, "train-a100").as_str()
    );
}

#[test]
fn wait_prints_status_changes() {
    let server = Server::start();
    let file = repo_path("examples/profiles/zone-defaults.yaml");
    server
        .admin()
        .args(["profile", "create", "-f", &file])
        .assert()
        .success();
    let runner = r#"{"runnerId": "east", "runner": {"identity": {"zone": "US-EAST-04A",
        "clusterName": "cks-east-04a"}, "profileBindings": [
        {"profileTemplateId": "zone-defaults", "isDefault": true}]}}"#;
    server
        .admin()
        .args(["runner", "create", "east", "-f", "-"])
        .write_stdin(runner)
        .assert()
        .success();
    let output = server
        .admin()
        .args(["runner", "wait", "east", "--for", "ready"])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("runner east: install"), "{stderr}");
    assert!(
        stderr
            .lines()
            .last()
            .unwrap_or("")
            .contains("install READY"),
        "{stderr}"
    );
    assert!(stdout.contains("READY"), "{stdout}");
}

#[test]
fn get_and_list_formats() {
    let server = setup();
    let output = server
        .user()
        .args(["runner", "get", "lab-west"])
        .output()
        .unwrap();
    let (stdout, _) = texts(&output);
    assert!(stdout.contains("RUNNER ID"), "{stdout}");
    assert!(stdout.contains("agents*,train-a100"), "{stdout}");
    assert!(stdout.contains("CONNECTED"), "{stdout}");

    let output = server
        .user()
        .args(["runner", "list", "-o", "yaml"])
        .output()
        .unwrap();
    let (stdout, _) = texts(&output);
    assert!(stdout.contains("runnerId: lab-west"), "{stdout}");

    let output = server
        .user()
        .args([
            "runner",
            "list",
            "--page-size",
            "1",
            "--limit",
            "1",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(json(&output)["runners"].as_array().unwrap().len(), 1);
}

#[test]
fn update_with_file_mask() {
    let server = setup();
    let file = repo_path("examples/updates/lab-west-channel.json");
    let output = server
        .admin()
        .args(["runner", "update", "lab-west", "-f", &file, "-o", "json"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    let runner = json(&output);
    assert_eq!(
        runner["managedSpec"]["releaseChannel"],
        "RELEASE_CHANNEL_STABLE"
    );
    assert!(runner["managedSpec"]["maintenancePolicy"].is_object());
}

#[test]
fn update_with_flag_mask_and_fixture() {
    let server = setup();
    let id = get(&server, "lab-west")["id"].as_str().unwrap().to_string();
    let text = std::fs::read_to_string(repo_path(
        "tests/fixtures/requests/update-runner-channel-and-zone.json",
    ))
    .unwrap()
    .replace("RUNNER_ID", &id);
    // --mask may not differ from an updateMask in the file, so the file's
    // mask goes and --mask narrows the update to the zone.
    let mut request: Value = serde_json::from_str(&text).unwrap();
    request.as_object_mut().unwrap().remove("updateMask");
    let text = request.to_string();
    let output = server
        .admin()
        .args([
            "runner",
            "update",
            &id,
            "-f",
            "-",
            "--mask",
            "identity.zone",
            "-o",
            "json",
        ])
        .write_stdin(text)
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    let runner = json(&output);
    assert_eq!(runner["identity"]["zone"], "US-WEST-09C");
    assert_eq!(
        runner["managedSpec"]["releaseChannel"],
        "RELEASE_CHANNEL_RAPID"
    );
}

#[test]
fn update_computed_mask_prints_diff() {
    let server = setup();
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("lab-west.yaml");
    let text = std::fs::read_to_string(repo_path("examples/runners/lab-west.yaml"))
        .unwrap()
        .replace(
            "displayName: Lab (west)",
            "displayName: Lab (west, renamed)",
        );
    std::fs::write(&file, text).unwrap();
    let output = server
        .admin()
        .args([
            "runner",
            "update",
            "lab-west",
            "-f",
            &file.to_string_lossy(),
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stdout.contains(r#"displayName: "Lab (west)" -> "Lab (west, renamed)""#),
        "{stdout}"
    );
    assert!(!stdout.contains("profileBindings"), "{stdout}");
}

#[test]
fn bind_default_and_unbind() {
    let server = setup();
    // lab-west enforces resource limits, so a bound template must set them.
    server
        .admin()
        .args(["profile", "create", "-f", "-"])
        .write_stdin("displayName: small-cpu\nspec:\n  resourceDefaults: {cpuLimit: '1', memoryLimit: 1Gi}\n")
        .assert()
        .success();
    let output = server
        .admin()
        .args([
            "runner",
            "bind",
            "lab-west",
            "small-cpu",
            "--name",
            "zone",
            "--default",
        ])
        .args(["--overrides-json", r#"{"tags":["bound"]}"#, "-o", "json"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    let runner = json(&output);
    assert_eq!(runner["profileBindings"].as_array().unwrap().len(), 3);
    assert_eq!(defaults(&runner), [template_id(&server, "small-cpu")]);
    assert_eq!(runner["profileBindings"][2]["profileName"], "zone");

    let output = server
        .admin()
        .args(["runner", "unbind", "lab-west", "small-cpu"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("default binding"), "{stderr}");
    assert!(stderr.contains("--default"), "{stderr}");

    let output = server
        .admin()
        .args(["runner", "unbind", "lab-west", "train-a100", "-o", "json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let runner = json(&output);
    assert_eq!(runner["profileBindings"].as_array().unwrap().len(), 2);
}

#[test]
fn swap_default_fixture() {
    let server = setup();
    let id = get(&server, "lab-west")["id"].as_str().unwrap().to_string();
    let text = std::fs::read_to_string(repo_path(
        "tests/fixtures/requests/update-runner-swap-default.json",
    ))
    .unwrap()
    .replace("RUNNER_ID", &id)
    .replace(
        "PROFILE_ID_OF:agents-allowlist",
        &template_id(&server, "agents-allowlist"),
    )
    .replace(
        "PROFILE_ID_OF:train-a100",
        &template_id(&server, "train-a100"),
    );
    let output = server
        .admin()
        .args(["runner", "update", &id, "-f", "-", "-o", "json"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        defaults(&json(&output)),
        [template_id(&server, "train-a100")]
    );
}

#[test]
fn unbind_last_binding_fails() {
    let server = Server::start();
    let file = repo_path("examples/profiles/zone-defaults.yaml");
    server
        .admin()
        .args(["profile", "create", "-f", &file])
        .assert()
        .success();
    let runner = r#"{"runnerId": "solo", "runner": {"identity": {"zone": "US-EAST-04A",
        "clusterName": "cks-east-04a"}, "profileBindings": [
        {"profileTemplateId": "zone-defaults", "isDefault": true}]}}"#;
    server
        .admin()
        .args(["runner", "create", "solo", "-f", "-"])
        .write_stdin(runner)
        .assert()
        .success();
    let output = server
        .admin()
        .args(["runner", "unbind", "solo", "zone-defaults"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("only binding"), "{stderr}");
    assert!(stderr.contains("at least one"), "{stderr}");
}

#[test]
fn bind_unknown_profile_fails() {
    let server = setup();
    let output = server
        .admin()
        .args(["runner", "bind", "lab-west", "no-such-profile"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("no-such-profile"), "{stderr}");
    assert!(stderr.contains("cwsctl profile list"), "{stderr}");
}

#[test]
fn duplicate_runner_is_conflict() {
    let server = setup();
    let file = repo_path("examples/runners/lab-west.yaml");
    let output = server
        .admin()
        .args(["runner", "create", "lab-west", "-f", &file])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("ALREADY_EXISTS"), "{stderr}");
}

#[test]
fn apply_update_without_update_fails() {
    let server = setup();
    let output = server
        .admin()
        .args(["runner", "apply-update", "lab-west"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("FAILED_PRECONDITION"), "{stderr}");
}

#[test]
fn delete_wait_until_gone() {
    let server = setup();
    let output = server
        .admin()
        .args(["runner", "delete", "lab-west", "--wait", "--timeout", "30s"])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("runner lab-west deleted"), "{stdout}");

    let output = server
        .user()
        .args(["runner", "get", "lab-west"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("NOT_FOUND"), "{stderr}");
}

#[test]
fn wait_times_out() {
    let server = setup();
    let output = server
        .admin()
        .args([
            "runner",
            "wait",
            "lab-west",
            "--for",
            "deleted",
            "--timeout",
            "1s",
        ])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("timed out waiting for the runner to be deleted"),
        "{stderr}"
    );
}

#[test]
fn bare_runner_form_creates() {
    let server = Server::start();
    server
        .admin()
        .args(["profile", "create", "-f", "-"])
        .write_stdin("displayName: east-default\nspec: {}\n")
        .assert()
        .success();
    let bare = "\
kind: Runner
display_name: East
identity:
  runner_id: east
  zone: us-east-04a
  cluster_name: cks-east-04a
profile_bindings:
  - profile_template_id: east-default
    is_default: true
    overrides: {tags: [east]}
";
    let output = server
        .admin()
        .args(["runner", "create", "east", "-f", "-", "-o", "yaml"])
        .write_stdin(bare)
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("displayName: East"), "{stdout}");
    assert!(
        stdout.contains(r#"overridesJson: '{"tags":["east"]}'"#),
        "{stdout}"
    );
}

#[test]
fn apply_update_rolls_out() {
    let server = setup();
    let file = repo_path("examples/updates/lab-west-channel.json");
    server
        .admin()
        .args(["runner", "update", "lab-west", "-f", &file])
        .assert()
        .success();
    let runner = get(&server, "lab-west");
    assert_eq!(runner["updateAvailable"], true, "{runner}");

    let output = server
        .admin()
        .args(["runner", "apply-update", "lab-west", "-o", "json"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    let runner = json(&output);
    assert!(runner.get("updateAvailable").is_none(), "{runner}");
    assert!(stderr.contains("rolling out revision"), "{stderr}");
}
