//! Acknowledged writes survive a kill -9 of the emulator process.
//!
//! The test re-runs this test binary as a child process in server mode, which
//! an environment variable selects. It writes through REST while the child
//! runs and kills the child with SIGKILL mid-write. Then it starts the child
//! again on the same state file and checks every acknowledged write.
#![cfg(all(feature = "emulator", unix))]

#[allow(dead_code, reason = "each test binary uses part of the support module")]
#[path = "support/emulator_client.rs"]
mod support;

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cwsandbox_control::emulator::{Emulator, Timings};
use serde_json::json;
use support::TestClient;

/// Environment variable that turns `server_mode` into a running emulator
/// whose state lives in the file it names.
const SERVER_STATE_VAR: &str = "CWSANDBOX_EMULATOR_TEST_STATE";

/// Runs the emulator until killed when started by `acknowledged_writes_survive_kill`;
/// returns at once otherwise.
#[test]
fn server_mode() {
    let Ok(state_path) = std::env::var(SERVER_STATE_VAR) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let emulator = Emulator::builder()
            .timings(Timings::instant())
            .state_path(state_path)
            .start()
            .await
            .expect("emulator starts");
        println!("LISTENING {}", emulator.addr());
        std::io::stdout().flush().expect("stdout");
        std::future::pending::<()>().await;
    });
}

/// Starts the child emulator and returns it with its base URL.
fn spawn_server(state_path: &Path) -> (Child, String) {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "server_mode", "--nocapture", "--test-threads=1"])
        .env(SERVER_STATE_VAR, state_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("child starts");
    let stdout = child.stdout.take().expect("stdout piped");
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("child printed its address before exiting")
            .expect("stdout readable");
        // libtest prints "test server_mode ... " on the same line first.
        if let Some((_, addr)) = line.split_once("LISTENING ") {
            break addr.trim().to_string();
        }
    };
    (child, format!("http://{addr}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let state_path = directory.path().join("emulator-state.json");
    let (mut child, base) = spawn_server(&state_path);
    let client = Arc::new(TestClient::http1(&base));

    let template = client
        .rest(
            "POST",
            "/v1beta2/sandbox/profile-templates",
            "admin-token",
            Some(&json!({"profileTemplate": {"displayName": "base", "spec": {}}})),
        )
        .await
        .json();
    let runner = json!({
        "runnerId": "durable",
        "runner": {
            "identity": {"zone": "US-EAST-04A", "clusterName": "cks-east-04a"},
            "profileBindings": [{"profileTemplateId": template["id"], "isDefault": true}]
        }
    });
    let created = client
        .rest(
            "POST",
            "/v1beta2/sandbox/managed-runners",
            "admin-token",
            Some(&runner),
        )
        .await;
    assert_eq!(
        created.status,
        200,
        "{}",
        String::from_utf8_lossy(&created.body)
    );

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let last_name = Arc::new(Mutex::new(String::new()));
    let mut writers = Vec::new();
    for writer in 0..3 {
        let client = Arc::clone(&client);
        let acknowledged = Arc::clone(&acknowledged);
        writers.push(tokio::spawn(async move {
            for index in 0.. {
                let body = json!({"profileTemplate": {"displayName": format!("w{writer}-{index}"), "spec": {}}});
                let Ok(reply) = client
                    .try_call("POST", "/v1beta2/sandbox/profile-templates", Some("admin-token"), &[("content-type", "application/json")], body.to_string())
                    .await
                else {
                    return;
                };
                if reply.status != 200 {
                    return;
                }
                let id = reply.json()["id"].as_str().expect("id").to_string();
                acknowledged.lock().expect("lock").push(id);
            }
        }));
    }
    {
        let client = Arc::clone(&client);
        let last_name = Arc::clone(&last_name);
        writers.push(tokio::spawn(async move {
            for index in 0.. {
                let name = format!("rename {index}");
                let body = json!({"runner": {"displayName": name}, "updateMask": "displayName"});
                let Ok(reply) = client
                    .try_call(
                        "PATCH",
                        "/v1beta2/sandbox/managed-runners/durable",
                        Some("admin-token"),
                        &[("content-type", "application/json")],
                        body.to_string(),
                    )
                    .await
                else {
                    return;
                };
                if reply.status != 200 {
                    return;
                }
                *last_name.lock().expect("lock") = name;
            }
        }));
    }

    let waited = tokio::time::timeout(Duration::from_secs(60), async {
        while acknowledged.lock().expect("lock").len() < 60 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "60 writes acknowledged within 60 s");
    child.kill().expect("SIGKILL sent");
    child.wait().expect("child reaped");
    for writer in writers {
        writer.await.expect("writer task");
    }

    let acknowledged = acknowledged.lock().expect("lock").clone();
    let last_name = last_name.lock().expect("lock").clone();
    assert!(acknowledged.len() >= 60);

    let (mut restarted, base) = spawn_server(&state_path);
    let client = TestClient::http1(&base);
    for id in &acknowledged {
        let reply = client
            .rest(
                "GET",
                &format!("/v1beta2/sandbox/profile-templates/{id}"),
                "admin-token",
                None,
            )
            .await;
        assert_eq!(reply.status, 200, "acknowledged template {id} survived");
    }
    let runner = client
        .rest(
            "GET",
            "/v1beta2/sandbox/managed-runners/durable",
            "admin-token",
            None,
        )
        .await;
    assert_eq!(runner.status, 200);
    let restored_name = runner.json()["displayName"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let acknowledged_index: u64 = last_name.trim_start_matches("rename ").parse().unwrap_or(0);
    let restored_index: u64 = restored_name
        .trim_start_matches("rename ")
        .parse()
        .unwrap_or(0);
    assert!(
        restored_index >= acknowledged_index,
        "the runner shows {restored_name:?}, older than the acknowledged {last_name:?}"
    );
    restarted.kill().expect("SIGKILL sent");
    restarted.wait().expect("child reaped");
}
