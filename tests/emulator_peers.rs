//! Peers that no one here wrote call the emulator: the connect-node client
//! runs every RPC over the Connect protocol, `buf curl` calls it from the
//! protos alone, and `curl` calls the REST paths as CoreWeave's docs show.
//! Install the peers with `bash tests/peers/setup.sh`.

#![cfg(feature = "emulator")]

use std::path::PathBuf;
use std::process::{Command, Output};

use cwsandbox_control::emulator::{Emulator, EmulatorHandle, Timings};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn node_peer(file: &str) -> PathBuf {
    let path = repo().join("tests/peers/node").join(file);
    let modules = repo().join("tests/peers/node/node_modules");
    assert!(
        modules.exists(),
        "{} is missing: run `bash tests/peers/setup.sh` first",
        modules.display()
    );
    path
}

async fn emulator() -> EmulatorHandle {
    Emulator::builder()
        .timings(Timings::instant())
        .start()
        .await
        .unwrap()
}

/// Runs a command off the async runtime and returns its output.
async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn connect_node_client_calls_every_rpc() {
    let emulator = emulator().await;
    let modes: [&[&str]; 4] = [&[], &["--binary"], &["--http1"], &["--get", "--binary"]];
    for mode in modes {
        let mut command = Command::new("node");
        command
            .arg(node_peer("client.mjs"))
            .args([
                "--base",
                &emulator.base_url(),
                "--token",
                emulator.admin_token(),
            ])
            .args(["--teardown-seconds", "10"])
            .args(mode);
        let output = run(command).await;
        let report = text(&output);
        assert!(
            output.status.success(),
            "connect-node client failed in mode {mode:?}:\n{report}"
        );
        assert!(
            report.contains(r#""rpcs_called":11"#),
            "not every RPC was called:\n{report}"
        );
    }
}

fn buf_curl(emulator: &EmulatorHandle, token: &str, method: &str, body: &str) -> Command {
    let buf = node_peer("node_modules/.bin/buf");
    let mut command = Command::new(buf);
    command
        .args(["curl", "--http2-prior-knowledge", "--protocol", "connect"])
        .arg("--schema")
        .arg(repo().join("proto"))
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args(["-d", body])
        .arg(format!(
            "{}/coreweave.sandbox.v1beta2.RunnerManagementService/{method}",
            emulator.base_url()
        ));
    command
}

#[tokio::test]
async fn buf_curl_creates_and_reads_a_template() {
    let emulator = emulator().await;
    let token = emulator.admin_token().to_string();
    let body =
        r#"{"profileTemplate": {"displayName": "from-buf", "spec": {"runtimeClass": "gvisor"}}}"#;
    let output = run(buf_curl(&emulator, &token, "CreateProfileTemplate", body)).await;
    assert!(output.status.success(), "{}", text(&output));
    let created: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(created["displayName"], "from-buf");

    let body = format!(r#"{{"id": "{}"}}"#, created["id"].as_str().unwrap());
    let output = run(buf_curl(&emulator, &token, "GetProfileTemplate", &body)).await;
    assert!(output.status.success(), "{}", text(&output));
    let got: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(got["spec"]["runtimeClass"], "gvisor");
}

#[tokio::test]
async fn buf_curl_sees_documented_errors() {
    let emulator = emulator().await;
    let cases = [
        (
            emulator.admin_token().to_string(),
            "GetRunner",
            r#"{"id": "no-such-runner"}"#,
            "not_found",
        ),
        (
            "wrong-token".to_string(),
            "ListManagedRunners",
            "{}",
            "unauthenticated",
        ),
        (
            emulator.user_token().to_string(),
            "CreateProfileTemplate",
            r#"{"profileTemplate": {"displayName": "nope", "spec": {}}}"#,
            "permission_denied",
        ),
        (
            emulator.admin_token().to_string(),
            "CreateProfileTemplate",
            r#"{"profileTemplate": {}}"#,
            "invalid_argument",
        ),
    ];
    for (token, method, body, code) in cases {
        let output = run(buf_curl(&emulator, &token, method, body)).await;
        let report = text(&output);
        assert!(!output.status.success(), "{method} succeeded:\n{report}");
        assert!(
            report.contains(&format!(r#""code": "{code}""#)),
            "{method}: expected {code}:\n{report}"
        );
    }
}

#[tokio::test]
async fn curl_calls_the_rest_paths() {
    let emulator = emulator().await;
    let base = format!("{}/v1beta2/sandbox", emulator.base_url());
    let auth = format!("Authorization: Bearer {}", emulator.admin_token());
    let fixture = repo().join("tests/fixtures/requests/create-profile-minimal.json");

    let mut create = Command::new("curl");
    create
        .args([
            "-sS",
            "-X",
            "POST",
            "-H",
            &auth,
            "-H",
            "Content-Type: application/json",
        ])
        .arg("--data-binary")
        .arg(format!("@{}", fixture.display()))
        .arg(format!("{base}/profile-templates"));
    let output = run(create).await;
    assert!(output.status.success(), "{}", text(&output));
    let created: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(created["displayName"], "zone-defaults", "{}", text(&output));

    let mut list = Command::new("curl");
    list.args(["-sS", "-H", &auth])
        .arg(format!("{base}/profile-templates?pageSize=10"));
    let output = run(list).await;
    let page: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        page["profileTemplates"].as_array().unwrap().len(),
        1,
        "{}",
        text(&output)
    );

    let mut missing = Command::new("curl");
    missing
        .args([
            "-sS",
            "-o",
            "/dev/stderr",
            "-w",
            "%{http_code}",
            "-H",
            &auth,
        ])
        .arg(format!("{base}/managed-runners/lab-east"));
    let output = run(missing).await;
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "404",
        "{}",
        text(&output)
    );
    let status: serde_json::Value = serde_json::from_slice(&output.stderr).unwrap();
    assert_eq!(status["code"], 5);
    assert_eq!(
        status["details"][0]["@type"],
        "type.googleapis.com/google.rpc.ErrorInfo"
    );
}
