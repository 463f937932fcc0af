//! `cwsctl emulator serve`: the banner, the token, cluster and state flags.

// Helpers outside #[test] functions unwrap too: a panic is how a test fails.
#![allow(clippy::unwrap_used)]

mod cli_support;

use std::process::Stdio;
use std::time::Duration;

use cli_support::{
    ADMIN_TOKEN, Server, USER_TOKEN, closed_pipe, cwsctl, cwsctl_process, free_port, json, texts,
};

#[test]
fn banner_prints_address_and_tokens() {
    let (server, banner) = Server::start_with(&[]);
    assert!(
        banner[0].starts_with("emulator listening on http://127.0.0.1:"),
        "{banner:?}"
    );
    let text = banner.join("\n");
    assert!(text.contains(&format!("token {ADMIN_TOKEN} ")), "{text}");
    assert!(text.contains("SANDBOX_ADMIN"), "{text}");
    assert!(text.contains(&format!("token {USER_TOKEN} ")), "{text}");
    assert!(text.contains("SANDBOX_USER"), "{text}");
    assert!(
        text.contains(&format!("--endpoint {}", server.endpoint)),
        "{text}"
    );
}

#[test]
fn cluster_flag_replaces_clusters() {
    let (server, banner) = Server::start_with(&["--cluster", "edge-cks=US-EDGE-01A"]);
    let text = banner.join("\n");
    assert!(
        text.contains("cluster edge-cks (id cl-edge-cks, zone US-EDGE-01A"),
        "{text}"
    );
    assert!(!text.contains("lab-west-cks"), "{text}");

    server
        .admin()
        .args(["profile", "create", "-f", "-"])
        .write_stdin("displayName: edge\nspec: {}\n")
        .assert()
        .success();
    let runner = "runnerId: edge\nrunner:\n  identity: {zone: US-EDGE-01A, clusterName: edge-cks}\n  profileBindings: [{profileTemplateId: edge, isDefault: true}]\n";
    let output = server
        .admin()
        .args(["runner", "create", "edge", "-f", "-", "-o", "json"])
        .write_stdin(runner)
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(json(&output)["identity"]["clusterId"], "cl-edge-cks");
}

#[test]
fn state_survives_restart() {
    let directory = tempfile::tempdir().unwrap();
    let state = directory.path().join("state.json");
    let state = state.to_string_lossy().into_owned();

    let (server, _) = Server::start_with(&["--state", &state]);
    server
        .admin()
        .args(["profile", "create", "-f", "-"])
        .write_stdin("displayName: kept\nspec: {}\n")
        .assert()
        .success();
    drop(server);

    let (server, _) = Server::start_with(&["--state", &state]);
    let output = server
        .user()
        .args(["profile", "get", "kept", "-o", "json"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(json(&output)["displayName"], "kept");
}

#[test]
fn bad_flags_are_usage_errors() {
    for args in [
        vec!["emulator", "serve", "--listen", "nowhere"],
        vec![
            "emulator",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--cluster",
            "no-zone",
        ],
        vec![
            "emulator",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--config",
            "/nonexistent.yaml",
        ],
    ] {
        let output = cwsctl().args(&args).output().unwrap();
        let (_, stderr) = texts(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
    }
}

#[test]
fn state_in_missing_directory_fails_at_start() {
    let directory = tempfile::tempdir().unwrap();
    let state = directory.path().join("missing").join("state.json");
    let output = cwsctl()
        .args(["emulator", "serve", "--listen", "127.0.0.1:0", "--state"])
        .arg(&state)
        // Without the check at start, serve would run until this limit.
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(stderr.contains("mkdir -p"), "{stderr}");
}

#[test]
fn serve_keeps_running_with_closed_stdout() {
    let address = format!("127.0.0.1:{}", free_port());
    let mut child = cwsctl_process()
        .args(["emulator", "serve", "--listen", &address])
        .args(["--admin-token", ADMIN_TOKEN])
        .stdout(closed_pipe())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Poll until the emulator responds. Each try fails fast on a closed port.
    let endpoint = format!("http://{address}");
    let mut answered = false;
    for _ in 0..100 {
        let output = cwsctl()
            .args(["--endpoint", &endpoint, "--token", ADMIN_TOKEN])
            .args(["profile", "list", "-o", "json"])
            .output()
            .unwrap();
        if output.status.success() {
            answered = true;
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let exited = child.try_wait().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(exited, None, "the emulator exited");
    assert!(answered, "the emulator never answered");
}
