//! `cwsctl` commands that need no server: dry runs of the request fixtures,
//! input errors, the token check, completions and usage errors.

// Helpers outside #[test] functions unwrap too: a panic is how a test fails.
#![allow(clippy::unwrap_used)]

mod cli_support;

use cli_support::{cwsctl, free_port, json, repo_path, texts, without_defaults};
use serde_json::Value;

fn fixture(name: &str) -> String {
    repo_path(&format!("tests/fixtures/requests/{name}"))
}

fn fixture_json(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    without_defaults(serde_json::from_str(&text).unwrap())
}

/// Runs a dry run with `-o json` and checks that stdout is the fixture.
fn assert_dry_run_matches(args: &[&str], name: &str) {
    let output = cwsctl()
        .args(args)
        .args(["-f", &fixture(name), "--dry-run", "-o", "json"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{name}: {stderr}");
    assert_eq!(json(&output), fixture_json(name), "{name}");
}

#[test]
fn dry_run_create_profiles_match_fixtures() {
    for name in [
        "create-profile-gpu.json",
        "create-profile-allowlist.json",
        "create-profile-minimal.json",
    ] {
        assert_dry_run_matches(&["profile", "create"], name);
    }
}

#[test]
fn dry_run_create_runner_matches_fixture() {
    assert_dry_run_matches(&["runner", "create", "lab-west"], "create-runner.json");
}

#[test]
fn dry_run_updates_match_fixtures() {
    assert_dry_run_matches(
        &["profile", "update", "PROFILE_ID"],
        "update-profile-description.json",
    );
    assert_dry_run_matches(
        &["runner", "update", "RUNNER_ID"],
        "update-runner-channel-and-zone.json",
    );
    assert_dry_run_matches(
        &["runner", "update", "RUNNER_ID"],
        "update-runner-swap-default.json",
    );
}

#[test]
fn dry_run_yaml_prints_request() {
    let output = cwsctl()
        .args([
            "profile",
            "create",
            "-f",
            &fixture("create-profile-minimal.json"),
        ])
        .args(["--dry-run", "-o", "yaml"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let (stdout, _) = texts(&output);
    assert_eq!(
        stdout,
        "profileTemplate:\n  displayName: zone-defaults\n  spec: {}\n"
    );
}

#[test]
fn dry_run_table_names_method() {
    let output = cwsctl()
        .args([
            "profile",
            "create",
            "-f",
            &fixture("create-profile-minimal.json"),
        ])
        .arg("--dry-run")
        .output()
        .unwrap();
    let (stdout, _) = texts(&output);
    assert!(
        stdout.starts_with("dry run: CreateProfileTemplate would send\n"),
        "{stdout}"
    );
}

#[test]
fn structured_yaml_example_becomes_json_strings() {
    let output = cwsctl()
        .args([
            "profile",
            "create",
            "-f",
            &repo_path("examples/profiles/train-a100.yaml"),
        ])
        .args(["--dry-run", "-o", "json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let request = json(&output);
    let spec = &request["profileTemplate"]["spec"];
    let namespace: Value =
        serde_json::from_str(spec["namespaceConfigJson"].as_str().unwrap()).unwrap();
    assert_eq!(namespace["strategy"], "per-user");
    assert_eq!(namespace["namespacePrefix"], "train-");
    let expected = fixture_json("create-profile-gpu.json");
    assert_eq!(
        spec["resourceDefaults"],
        expected["profileTemplate"]["spec"]["resourceDefaults"]
    );
}

#[test]
fn profile_yaml_examples_match_fixtures() {
    let pairs = [
        ("train-a100.yaml", "create-profile-gpu.json"),
        ("agents-allowlist.yaml", "create-profile-allowlist.json"),
        ("zone-defaults.yaml", "create-profile-minimal.json"),
    ];
    for (example, name) in pairs {
        let output = cwsctl()
            .args(["profile", "create", "-f"])
            .arg(repo_path(&format!("examples/profiles/{example}")))
            .args(["--dry-run", "-o", "json"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{example}");
        assert_eq!(
            normalize_json_strings(json(&output)),
            normalize_json_strings(fixture_json(name)),
            "{example}"
        );
    }
}

/// Parses the `*Json` string fields so that key order does not matter.
fn normalize_json_strings(mut value: Value) -> Value {
    if let Some(spec) = value["profileTemplate"]["spec"].as_object_mut() {
        for field in [
            "namespaceConfigJson",
            "networkConfigJson",
            "podTemplateJson",
        ] {
            if let Some(Value::String(text)) = spec.get(field) {
                let parsed: Value = serde_json::from_str(text).unwrap();
                spec.insert(field.to_string(), parsed);
            }
        }
    }
    value
}

#[test]
fn stdin_accepts_yaml() {
    let output = cwsctl()
        .args(["profile", "create", "-f", "-", "--dry-run", "-o", "json"])
        .write_stdin("display_name: from-stdin\nspec: {}\n")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        json(&output)["profileTemplate"]["displayName"],
        "from-stdin"
    );
}

/// Runs `cwsctl` and returns the exit code and stderr.
fn failure(args: &[&str], stdin: Option<&str>) -> (i32, String) {
    let mut command = cwsctl();
    command.args(args);
    if let Some(text) = stdin {
        command.write_stdin(text);
    }
    let output = command.output().unwrap();
    let (stdout, stderr) = texts(&output);
    assert!(
        !output.status.success(),
        "expected a failure of {args:?}: {stdout}"
    );
    (output.status.code().unwrap(), stderr)
}

#[test]
fn missing_file_is_usage_error() {
    let (code, stderr) = failure(&["profile", "create", "-f", "/nonexistent/p.yaml"], None);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cannot read /nonexistent/p.yaml"),
        "{stderr}"
    );
    assert!(stderr.contains("check the path"), "{stderr}");
}

#[test]
fn invalid_yaml_is_usage_error() {
    let (code, stderr) = failure(
        &["profile", "create", "-f", "-", "--dry-run"],
        Some("displayName: [unclosed\nspec: {}\n"),
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("invalid YAML in stdin"), "{stderr}");
}

#[test]
fn unknown_field_is_named() {
    let (code, stderr) = failure(
        &["profile", "create", "-f", "-", "--dry-run"],
        Some("displayName: a\nspec:\n  runtimeClas: gvisor\n"),
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("spec.runtimeClas: unknown field"),
        "{stderr}"
    );
    assert!(stderr.contains("runtimeClass"), "{stderr}");
}

#[test]
fn wrong_type_is_named() {
    let (code, stderr) = failure(
        &["runner", "create", "lab", "-f", "-", "--dry-run"],
        Some(r#"{"runner": {"managedSpec": {"enforceResourceLimits": "yes"}}}"#),
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "runner.managedSpec.enforceResourceLimits: wrong type: expected true or false"
        ),
        "{stderr}"
    );
}

#[test]
fn runner_file_rejected_by_profile_create() {
    let (code, stderr) = failure(
        &[
            "profile",
            "create",
            "-f",
            &fixture("create-runner.json"),
            "--dry-run",
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("contains a runner"), "{stderr}");
}

#[test]
fn bad_mask_path_lists_allowed() {
    let (code, stderr) = failure(
        &[
            "runner",
            "update",
            "RUNNER_ID",
            "-f",
            &fixture("update-runner-swap-default.json"),
            "--mask",
            "identity.clusterName",
            "--dry-run",
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("`identity.cluster_name`"), "{stderr}");
    assert!(stderr.contains("profile_bindings"), "{stderr}");
}

#[test]
fn missing_token_fails_before_network() {
    // The endpoint is a closed loopback port: a connection attempt would
    // fail differently, so the token message proves nothing was sent.
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let (code, stderr) = failure(&["--endpoint", &endpoint, "profile", "list"], None);
    assert_eq!(code, 2);
    assert!(stderr.contains("no API token"), "{stderr}");
    assert!(stderr.contains("COREWEAVE_API_TOKEN"), "{stderr}");
}

#[test]
fn missing_token_with_default_endpoint() {
    let (code, stderr) = failure(&["runner", "get", "lab-west"], None);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no API token for https://api.coreweave.com"),
        "{stderr}"
    );
}

#[test]
fn token_is_never_printed() {
    let secret = "s3cret-token-value";
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let output = cwsctl()
        .args(["--endpoint", &endpoint, "-v", "profile", "list"])
        .env("COREWEAVE_API_TOKEN", secret)
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&output);
    assert!(!stdout.contains(secret));
    assert!(!stderr.contains(secret), "{stderr}");
}

#[test]
fn unreachable_endpoint_is_runtime_error() {
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let output = cwsctl()
        .args(["--endpoint", &endpoint, "--token", "t", "--timeout", "5s"])
        .args(["profile", "list"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("listing profile templates failed"),
        "{stderr}"
    );
    assert!(stderr.contains("UNAVAILABLE"), "{stderr}");
    assert!(stderr.contains("hint: "), "{stderr}");
}

#[test]
fn usage_error_exits_two() {
    let (code, stderr) = failure(&["profile", "create"], None);
    assert_eq!(code, 2);
    assert!(stderr.contains("--filename"), "{stderr}");
    let (code, _) = failure(&["--output", "xml", "profile", "list"], None);
    assert_eq!(code, 2);
}

#[test]
fn completions_print_scripts() {
    for (shell, marker) in [
        ("bash", "_cwsctl"),
        ("zsh", "#compdef cwsctl"),
        ("fish", "complete -c cwsctl"),
    ] {
        let output = cwsctl().args(["completions", shell]).output().unwrap();
        assert!(output.status.success(), "{shell}");
        let (stdout, _) = texts(&output);
        assert!(stdout.contains(marker), "{shell}: {marker} missing");
    }
}

#[test]
fn help_documents_exit_status() {
    let output = cwsctl().arg("--help").output().unwrap();
    assert!(output.status.success());
    let (stdout, _) = texts(&output);
    assert!(stdout.contains("Exit status: 0 on success, 1"), "{stdout}");
}

#[test]
fn plain_http_beyond_loopback_is_rejected() {
    let (code, stderr) = failure(
        &[
            "--endpoint",
            "http://api.example.com",
            "--token",
            "t",
            "profile",
            "list",
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("will not send the API token over plain HTTP"),
        "{stderr}"
    );
    assert!(stderr.contains("https://"), "{stderr}");
}

#[test]
fn input_larger_than_limit_is_rejected() {
    let output = cwsctl()
        .args(["--emulator", "profile", "create", "-f", "/dev/zero"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("larger than 16 MiB"), "{stderr}");
}

#[test]
fn emulator_conflicts_with_endpoint() {
    let output = cwsctl()
        .args([
            "--emulator",
            "--endpoint",
            "http://127.0.0.1:9",
            "profile",
            "list",
        ])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

#[test]
fn example_folders_apply_cleanly() {
    let profiles = repo_path("examples/profiles");
    let runners = repo_path("examples/runners");
    let output = cwsctl()
        .args(["--emulator", "apply", "-f", &profiles, "-f", &runners])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
}

#[test]
fn byte_order_mark_is_skipped() {
    let directory = tempfile::tempdir().unwrap();
    let cases = [
        ("bom.json", r#"{"displayName": "with-bom", "spec": {}}"#),
        ("bom.yaml", "displayName: with-bom\nspec: {}\n"),
        // Without an extension, the first character after the mark selects JSON.
        ("bom-json", r#"{"displayName": "with-bom", "spec": {}}"#),
    ];
    for (name, body) in cases {
        let path = directory.path().join(name);
        std::fs::write(&path, format!("\u{feff}{body}")).unwrap();
        let output = cwsctl()
            .args(["profile", "create", "--dry-run", "-o", "json", "-f"])
            .arg(&path)
            .output()
            .unwrap();
        let (_, stderr) = texts(&output);
        assert!(output.status.success(), "{name}: {stderr}");
        assert_eq!(
            json(&output)["profileTemplate"]["displayName"],
            "with-bom",
            "{name}"
        );
    }
}

#[test]
fn duplicate_keys_are_rejected() {
    let directory = tempfile::tempdir().unwrap();
    let cases = [
        (
            "dup.json",
            "{\"displayName\": \"a\",\n \"spec\": {},\n \"displayName\": \"b\"}",
        ),
        (
            "dup.yaml",
            "displayName: a\nspec:\n  runtimeClass: x\n  runtimeClass: y\n",
        ),
    ];
    for (name, body) in cases {
        let path = directory.path().join(name);
        std::fs::write(&path, body).unwrap();
        let path = path.to_string_lossy().into_owned();
        let (code, stderr) = failure(&["profile", "create", "--dry-run", "-f", &path], None);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(stderr.contains(&path), "{name}: {stderr}");
        assert!(stderr.contains("duplicate key"), "{name}: {stderr}");
        assert!(stderr.contains(" line "), "{name}: {stderr}");
    }
    let (_, stderr) = failure(
        &["profile", "create", "--dry-run", "-f", "-"],
        Some("displayName: a\nspec: {}\ndisplayName: b\n"),
    );
    assert!(
        stderr.contains(r#"duplicate key "displayName""#),
        "{stderr}"
    );
}

#[test]
fn mask_flag_and_file_mask_must_agree() {
    let fixture = fixture("update-runner-channel-and-zone.json");
    let (code, stderr) = failure(
        &[
            "runner",
            "update",
            "RUNNER_ID",
            "-f",
            &fixture,
            "--mask",
            "displayName",
            "--dry-run",
        ],
        None,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(r#"--mask "displayName" differs from the updateMask"#),
        "{stderr}"
    );
    assert!(stderr.contains("drop --mask"), "{stderr}");

    let file_mask = fixture_json("update-runner-channel-and-zone.json")["updateMask"]
        .as_str()
        .unwrap()
        .to_string();
    let output = cwsctl()
        .args(["runner", "update", "RUNNER_ID", "-f", &fixture])
        .args(["--mask", &file_mask, "--dry-run", "-o", "json"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
}

#[test]
fn profile_update_help_shows_template_paths() {
    let output = cwsctl()
        .args(["profile", "update", "--help"])
        .output()
        .unwrap();
    let (stdout, _) = texts(&output);
    assert!(output.status.success());
    assert!(stdout.contains("spec,labels"), "{stdout}");
    assert!(!stdout.contains("managedSpec"), "{stdout}");
    assert!(!stdout.contains("profileBindings"), "{stdout}");
}

#[test]
fn invalid_list_arguments_fail_before_sending() {
    // Nothing listens on this port: a request would fail with a connection
    // error (exit 1), so exit 2 shows the arguments were rejected first.
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let cases: [&[&str]; 5] = [
        &["profile", "list", "--page-size", "-5"],
        &["profile", "list", "--timeout", "-5s"],
        &["runner", "list", "--page-size", "0"],
        &["runner", "bind", "lab", "gpu", "--overrides-json", "{bad"],
        &["runner", "bind", "lab", "gpu", "--overrides-json", "[1]"],
    ];
    for args in cases {
        let output = cwsctl()
            .args(["--endpoint", &endpoint, "--token", "t0ken"])
            .args(args)
            .output()
            .unwrap();
        let (_, stderr) = texts(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("invalid value"), "{args:?}: {stderr}");
        assert!(!stderr.contains("t0ken"), "{args:?}: {stderr}");
    }
}
