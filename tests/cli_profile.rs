//! `cwsctl profile` against a standalone emulator child process.

// Helpers outside #[test] functions unwrap too: a panic is how a test fails.
#![allow(clippy::unwrap_used)]

mod cli_support;

use cli_support::{Server, cwsctl, json, repo_path, texts};

fn example(name: &str) -> String {
    repo_path(&format!("examples/profiles/{name}"))
}

fn fixture(name: &str) -> String {
    repo_path(&format!("tests/fixtures/requests/{name}"))
}

/// Creates a template from a file and returns its id.
fn create(server: &Server, file: &str) -> String {
    let output = server
        .admin()
        .args(["profile", "create", "-f", file, "-o", "json"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{file}: {stderr}");
    json(&output)["id"].as_str().unwrap().to_string()
}

#[test]
fn create_each_file_form() {
    let server = Server::start();
    // Structured YAML with camelCase keys, structured YAML with snake_case
    // keys, and a JSON request body.
    create(&server, &example("train-a100.yaml"));
    create(&server, &example("agents-allowlist.yaml"));
    create(&server, &fixture("create-profile-minimal.json"));

    let output = server
        .admin()
        .args(["profile", "list", "-o", "json"])
        .output()
        .unwrap();
    let listed = json(&output);
    let mut names: Vec<&str> = listed["profileTemplates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|template| template["displayName"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["agents-allowlist", "train-a100", "zone-defaults"]);
}

#[test]
fn create_prints_table() {
    let server = Server::start();
    let output = server
        .admin()
        .args(["profile", "create", "-f", &example("zone-defaults.yaml")])
        .output()
        .unwrap();
    assert!(output.status.success());
    let (stdout, _) = texts(&output);
    assert!(
        stdout.contains("profile template zone-defaults created"),
        "{stdout}"
    );
    assert!(stdout.contains("NAME"), "{stdout}");
    assert!(stdout.contains("AGE"), "{stdout}");
}

#[test]
fn get_by_id_and_name() {
    let server = Server::start();
    let id = create(&server, &example("train-a100.yaml"));
    for reference in [id.as_str(), "train-a100"] {
        let output = server
            .user()
            .args(["profile", "get", reference, "-o", "json"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{reference}");
        assert_eq!(json(&output)["id"], id.as_str());
    }

    let output = server
        .user()
        .args(["profile", "get", "train-a100", "-o", "yaml"])
        .output()
        .unwrap();
    let (stdout, _) = texts(&output);
    assert!(stdout.contains("displayName: train-a100"), "{stdout}");
}

#[test]
fn get_unknown_name_fails() {
    let server = Server::start();
    let output = server
        .user()
        .args(["profile", "get", "no-such-template"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("no profile template has the id or display name"),
        "{stderr}"
    );
    assert!(stderr.contains("cwsctl profile list"), "{stderr}");
}

#[test]
fn list_pages_and_limits() {
    let server = Server::start();
    for file in [
        "train-a100.yaml",
        "agents-allowlist.yaml",
        "zone-defaults.yaml",
    ] {
        create(&server, &example(file));
    }
    let output = server
        .user()
        .args(["profile", "list", "--page-size", "1", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(
        json(&output)["profileTemplates"].as_array().unwrap().len(),
        3
    );

    let output = server
        .user()
        .args([
            "profile",
            "list",
            "--page-size",
            "2",
            "--limit",
            "2",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        json(&output)["profileTemplates"].as_array().unwrap().len(),
        2
    );

    let output = server.user().args(["profile", "list"]).output().unwrap();
    let (stdout, _) = texts(&output);
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
}

#[test]
fn update_computes_mask_from_file() {
    let server = Server::start();
    create(&server, &example("zone-defaults.yaml"));
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("zone-defaults.yaml");
    std::fs::write(
        &file,
        "displayName: zone-defaults\ndescription: defaults of the zone\nspec: {}\n",
    )
    .unwrap();
    let file = file.to_string_lossy().into_owned();

    let output = server
        .admin()
        .args([
            "profile",
            "update",
            "zone-defaults",
            "-f",
            &file,
            "--dry-run",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(json(&output)["updateMask"], "description");
    assert!(
        stderr.contains(r#"description: (unset) -> "defaults of the zone""#),
        "{stderr}"
    );

    let output = server
        .admin()
        .args([
            "profile",
            "update",
            "zone-defaults",
            "-f",
            &file,
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(json(&output)["description"], "defaults of the zone");

    let output = server
        .admin()
        .args(["profile", "update", "zone-defaults", "-f", &file])
        .output()
        .unwrap();
    let (stdout, _) = texts(&output);
    assert!(stdout.contains("unchanged"), "{stdout}");
}

#[test]
fn update_with_other_display_name_fails() {
    let server = Server::start();
    create(&server, &example("zone-defaults.yaml"));
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("renamed.yaml");
    std::fs::write(&file, "displayName: renamed\nspec: {}\n").unwrap();
    let file = file.to_string_lossy().into_owned();

    let output = server
        .admin()
        .args(["profile", "update", "zone-defaults", "-f", &file])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stderr.contains(r#"displayName "renamed""#), "{stderr}");
    assert!(stderr.contains("cannot change after create"), "{stderr}");
    assert!(!stdout.contains("unchanged"), "{stdout}");
}

#[test]
fn update_with_explicit_mask() {
    let server = Server::start();
    let id = create(&server, &example("train-a100.yaml"));
    let output = server
        .admin()
        .args([
            "profile", "update", &id, "-f", "-", "--mask", "labels", "-o", "json",
        ])
        .write_stdin("displayName: train-a100\nlabels: {team: platform}\n")
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    let updated = json(&output);
    assert_eq!(updated["labels"], serde_json::json!({"team": "platform"}));
    assert_eq!(updated["spec"]["runtimeClass"], "kata-qemu-nvidia-gpu");
}

#[test]
fn update_fixture_with_file_mask() {
    let server = Server::start();
    let id = create(&server, &example("zone-defaults.yaml"));
    let text = std::fs::read_to_string(fixture("update-profile-description.json"))
        .unwrap()
        .replace("PROFILE_ID", &id);
    let output = server
        .admin()
        .args(["profile", "update", &id, "-f", "-", "-o", "json"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        json(&output)["description"],
        "now with a longer description"
    );
}

#[test]
fn delete_by_name_then_not_found() {
    let server = Server::start();
    create(&server, &example("zone-defaults.yaml"));
    let output = server
        .admin()
        .args(["profile", "delete", "zone-defaults"])
        .output()
        .unwrap();
    assert!(output.status.success());

    let output = server
        .admin()
        .args(["profile", "get", "zone-defaults"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn duplicate_create_shows_conflict() {
    let server = Server::start();
    create(&server, &example("zone-defaults.yaml"));
    let output = server
        .admin()
        .args(["profile", "create", "-f", &example("zone-defaults.yaml")])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("ALREADY_EXISTS, HTTP 409"), "{stderr}");
    assert!(stderr.contains("reason: CWSANDBOX_"), "{stderr}");
    assert!(stderr.contains("cwsctl apply"), "{stderr}");
}

#[test]
fn user_token_cannot_create() {
    let server = Server::start();
    let output = server
        .user()
        .args(["profile", "create", "-f", &example("zone-defaults.yaml")])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("PERMISSION_DENIED"), "{stderr}");
    assert!(stderr.contains("SANDBOX_ADMIN"), "{stderr}");
}

#[test]
fn wrong_token_is_unauthenticated() {
    let server = Server::start();
    let output = cwsctl()
        .args([
            "--endpoint",
            &server.endpoint,
            "--token",
            "wrong",
            "profile",
            "list",
        ])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("UNAUTHENTICATED"), "{stderr}");
    assert!(stderr.contains("COREWEAVE_API_TOKEN"), "{stderr}");
}

#[test]
fn invalid_spec_shows_field_violations() {
    let server = Server::start();
    let output = server
        .admin()
        .args(["profile", "create", "-f", "-"])
        .write_stdin("displayName: bad-network\nspec:\n  networkConfigJson: 'not json'\n")
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("INVALID_ARGUMENT"), "{stderr}");
    assert!(stderr.contains("invalid field"), "{stderr}");
}

#[test]
fn connect_protocol_works() {
    let server = Server::start();
    create(&server, &example("zone-defaults.yaml"));
    let output = server
        .user()
        .args([
            "--protocol",
            "connect",
            "profile",
            "get",
            "zone-defaults",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(json(&output)["displayName"], "zone-defaults");
}

#[test]
fn in_process_emulator_flag() {
    let output = cwsctl()
        .args([
            "--emulator",
            "profile",
            "create",
            "-f",
            &example("agents-allowlist.yaml"),
        ])
        .args(["-o", "json"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(json(&output)["displayName"], "agents-allowlist");

    let output = cwsctl()
        .args(["--emulator", "profile", "list", "-o", "yaml"])
        .output()
        .unwrap();
    assert!(output.status.success());
}
