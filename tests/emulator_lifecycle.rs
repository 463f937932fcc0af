//! The runner lifecycle on the manual clock with the default timings:
//! 1 s pending, 2 s provisioning, 1 s deleting, 3 s rollout, 10 s liveness
//! window and a heartbeat every 2 s.
#![cfg(feature = "emulator")]

#[allow(dead_code, reason = "each test binary uses part of the support module")]
#[path = "support/emulator_client.rs"]
mod support;

use std::time::Duration;

use cwsandbox_control::emulator::{Emulator, EmulatorHandle, Timings};
use cwsandbox_control::v1beta2::{ReleaseChannel, RunnerInstallErrorReason};
use serde_json::{Value, json};
use support::{TestClient, create_profile_fixtures, create_runner_fixture};

const RUNNER: &str = "/v1beta2/sandbox/managed-runners/lab-west";

async fn get(client: &TestClient, emulator: &EmulatorHandle) -> Value {
    let reply = client
        .rest("GET", RUNNER, emulator.admin_token(), None)
        .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

fn secs(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}

#[tokio::test]
async fn install_moves_to_ready_and_connects() {
    let emulator = support::start_manual().await;
    let client = TestClient::http1(&emulator.base_url());
    let profiles = create_profile_fixtures(&client, emulator.admin_token()).await;
    let created = create_runner_fixture(&client, emulator.admin_token(), &profiles).await;

    assert_eq!(created["installStatus"], "RUNNER_INSTALL_STATUS_PENDING");
    assert_eq!(
        created["connectionStatus"],
        "RUNNER_CONNECTION_STATUS_UNSPECIFIED"
    );
    assert_eq!(created["managementMode"], "MANAGEMENT_MODE_MANAGED");
    assert_eq!(created["organizationId"], "org-example");
    assert_eq!(created["targetRevision"], 1);
    assert_eq!(created.get("activeRevision"), None);
    assert_eq!(created["rolloutInProgress"], true);
    assert_eq!(created.get("lastHeartbeatAt"), None);
    let deployment = &created["deploymentSpec"];
    assert_eq!(
        deployment["image"], "cwsandbox/runner:1.5.0",
        "RAPID version"
    );
    assert_eq!(deployment["env"], json!({"LOG_LEVEL": "info"}));
    assert_eq!(deployment["nodeSelector"], json!({"pool": "control"}));
    assert_eq!(deployment["tolerations"][0]["key"], "dedicated");
    assert_eq!(deployment["resources"]["memoryLimit"], "4Gi");
    assert_eq!(deployment["scaling"]["maxReplicas"], 6);

    let steps: [(u64, &str, &str); 5] = [
        (
            0,
            "RUNNER_INSTALL_STATUS_PENDING",
            "RUNNER_CONNECTION_STATUS_UNSPECIFIED",
        ),
        (
            1,
            "RUNNER_INSTALL_STATUS_PROVISIONING",
            "RUNNER_CONNECTION_STATUS_UNSPECIFIED",
        ),
        (
            1,
            "RUNNER_INSTALL_STATUS_PROVISIONING",
            "RUNNER_CONNECTION_STATUS_UNSPECIFIED",
        ),
        (
            1,
            "RUNNER_INSTALL_STATUS_READY",
            "RUNNER_CONNECTION_STATUS_CONNECTED",
        ),
        (
            30,
            "RUNNER_INSTALL_STATUS_READY",
            "RUNNER_CONNECTION_STATUS_CONNECTED",
        ),
    ];
    for (advance, install, connection) in steps {
        emulator.advance(secs(advance));
        let runner = get(&client, &emulator).await;
        assert_eq!(runner["installStatus"], install, "after +{advance}s");
        assert_eq!(runner["connectionStatus"], connection, "after +{advance}s");
    }
    let ready = get(&client, &emulator).await;
    assert_eq!(ready["activeRevision"], 1);
    assert_eq!(ready.get("rolloutInProgress"), None);
    assert!(
        ready["activeConfigVersion"]
            .as_str()
            .is_some_and(|v| !v.is_empty())
    );
    assert!(
        ready["activeProfileSpecVersion"]
            .as_str()
            .is_some_and(|v| !v.is_empty())
    );
    assert!(
        ready["lastHeartbeatAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
}

#[tokio::test]
async fn configuration_changes_roll_out() {
    let emulator = support::start_manual().await;
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token();
    let profiles = create_profile_fixtures(&client, token).await;
    create_runner_fixture(&client, token, &profiles).await;
    emulator.advance(secs(3));
    let ready = get(&client, &emulator).await;
    let first_config = ready["activeConfigVersion"].clone();
    let first_profiles = ready["activeProfileSpecVersion"].clone();

    let rename = json!({"runner": {"displayName": "renamed"}, "updateMask": "displayName"});
    let renamed = client
        .rest("PATCH", RUNNER, token, Some(&rename))
        .await
        .json();
    assert_eq!(
        renamed["targetRevision"], 1,
        "a display name is not configuration"
    );

    let channel = json!({"runner": {"managedSpec": {"releaseChannel": "RELEASE_CHANNEL_STABLE"}}, "updateMask": "managedSpec.releaseChannel"});
    let changed = client
        .rest("PATCH", RUNNER, token, Some(&channel))
        .await
        .json();
    assert_eq!(changed["targetRevision"], 2);
    assert_eq!(changed["activeRevision"], 1);
    assert_eq!(changed["rolloutInProgress"], true);
    assert_eq!(changed["activeConfigVersion"], first_config);

    emulator.advance(secs(2));
    assert_eq!(
        get(&client, &emulator).await["activeRevision"],
        1,
        "rollout takes 3 s"
    );
    emulator.advance(secs(1));
    let rolled = get(&client, &emulator).await;
    assert_eq!(rolled["activeRevision"], 2);
    assert_eq!(rolled.get("rolloutInProgress"), None);
    assert_ne!(rolled["activeConfigVersion"], first_config);
    assert_eq!(rolled["activeProfileSpecVersion"], first_profiles);

    let template = format!(
        "/v1beta2/sandbox/profile-templates/{}",
        profiles["train-a100"]
    );
    let spec =
        json!({"profileTemplate": {"spec": {"runtimeClass": "gvisor"}}, "updateMask": "spec"});
    assert_eq!(
        client
            .rest("PATCH", &template, token, Some(&spec))
            .await
            .status,
        200
    );
    let bumped = get(&client, &emulator).await;
    assert_eq!(
        bumped["targetRevision"], 3,
        "a bound template's spec is configuration"
    );
    emulator.advance(secs(3));
    let rolled = get(&client, &emulator).await;
    assert_eq!(rolled["activeRevision"], 3);
    assert_ne!(rolled["activeProfileSpecVersion"], first_profiles);

    let description = json!({"profileTemplate": {"description": "x"}, "updateMask": "description"});
    client
        .rest("PATCH", &template, token, Some(&description))
        .await;
    assert_eq!(get(&client, &emulator).await["targetRevision"], 3);
}

#[tokio::test]
async fn published_versions_are_applied() {
    let emulator = support::start_manual().await;
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token();
    let profiles = create_profile_fixtures(&client, token).await;
    create_runner_fixture(&client, token, &profiles).await;
    emulator.advance(secs(3));
    assert_eq!(get(&client, &emulator).await.get("updateAvailable"), None);

    assert_eq!(
        emulator
            .publish_version(ReleaseChannel::Stable)
            .expect("published"),
        "1.4.1"
    );
    assert_eq!(
        get(&client, &emulator).await.get("updateAvailable"),
        None,
        "another channel"
    );
    let apply = format!("{RUNNER}/apply-update");
    client
        .rest("POST", &apply, token, Some(&json!({})))
        .await
        .assert_rest_error(400, 9, "CWSANDBOX_NO_UPDATE_AVAILABLE");

    assert_eq!(
        emulator
            .publish_version(ReleaseChannel::Rapid)
            .expect("published"),
        "1.5.1"
    );
    let runner = get(&client, &emulator).await;
    assert_eq!(runner["updateAvailable"], true);
    assert_eq!(runner["deploymentSpec"]["image"], "cwsandbox/runner:1.5.0");

    let applied = client.rest("POST", &apply, token, Some(&json!({}))).await;
    assert_eq!(
        applied.status,
        200,
        "{}",
        String::from_utf8_lossy(&applied.body)
    );
    let applied = applied.json();
    assert_eq!(applied.get("updateAvailable"), None);
    assert_eq!(applied["targetRevision"], 2);
    assert_eq!(applied["rolloutInProgress"], true);
    assert_eq!(applied["deploymentSpec"]["image"], "cwsandbox/runner:1.5.1");
    emulator.advance(secs(3));
    assert_eq!(get(&client, &emulator).await["activeRevision"], 2);

    let by_connect = client
        .connect(
            "ApplyManagedRunnerUpdate",
            token,
            &json!({"id": "lab-west"}),
        )
        .await;
    assert_eq!(by_connect.status, 400);
    assert_eq!(by_connect.json()["code"], "failed_precondition");
}

#[tokio::test]
async fn heartbeats_stop_and_resume() {
    let emulator = support::start_manual().await;
    let client = TestClient::http1(&emulator.base_url());
    let profiles = create_profile_fixtures(&client, emulator.admin_token()).await;
    create_runner_fixture(&client, emulator.admin_token(), &profiles).await;
    emulator.advance(secs(3));
    emulator.stop_heartbeats("lab-west").expect("runner found");

    let last = get(&client, &emulator).await["lastHeartbeatAt"].clone();
    emulator.advance(secs(10));
    let quiet = get(&client, &emulator).await;
    assert_eq!(
        quiet["connectionStatus"], "RUNNER_CONNECTION_STATUS_CONNECTED",
        "within the window"
    );
    assert_eq!(quiet["lastHeartbeatAt"], last);
    emulator.advance(secs(1));
    let lost = get(&client, &emulator).await;
    assert_eq!(
        lost["connectionStatus"],
        "RUNNER_CONNECTION_STATUS_DISCONNECTED"
    );
    assert_eq!(lost["installStatus"], "RUNNER_INSTALL_STATUS_READY");

    emulator
        .resume_heartbeats("lab-west")
        .expect("runner found");
    let back = get(&client, &emulator).await;
    assert_eq!(
        back["connectionStatus"],
        "RUNNER_CONNECTION_STATUS_CONNECTED"
    );
    assert_ne!(back["lastHeartbeatAt"], last);

    let missing = emulator
        .stop_heartbeats("lab-nowhere")
        .expect_err("no such runner");
    assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
}

#[tokio::test]
async fn failed_installs_report_and_retry() {
    let emulator = support::start_manual().await;
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token();
    let profiles = create_profile_fixtures(&client, token).await;
    create_runner_fixture(&client, token, &profiles).await;
    emulator.advance(secs(1));
    emulator
        .fail_install("lab-west", RunnerInstallErrorReason::ImagePullFailed)
        .expect("runner found");

    let failed = get(&client, &emulator).await;
    assert_eq!(failed["installStatus"], "RUNNER_INSTALL_STATUS_FAILED");
    assert_eq!(
        failed["connectionStatus"],
        "RUNNER_CONNECTION_STATUS_UNSPECIFIED"
    );
    let error = &failed["installError"];
    assert_eq!(
        error["reason"],
        "RUNNER_INSTALL_ERROR_REASON_IMAGE_PULL_FAILED"
    );
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(
        error["remediationHints"]
            .as_array()
            .is_some_and(|h| !h.is_empty())
    );
    assert!(
        error["occurredAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    emulator.advance(secs(60));
    assert_eq!(
        get(&client, &emulator).await["installStatus"],
        "RUNNER_INSTALL_STATUS_FAILED"
    );

    let retry = json!({"runner": {"managedSpec": {"releaseChannel": "RELEASE_CHANNEL_STABLE"}}, "updateMask": "managedSpec.releaseChannel"});
    let retried = client
        .rest("PATCH", RUNNER, token, Some(&retry))
        .await
        .json();
    assert_eq!(retried["installStatus"], "RUNNER_INSTALL_STATUS_PENDING");
    assert_eq!(retried.get("installError"), None);
    emulator.advance(secs(3));
    assert_eq!(
        get(&client, &emulator).await["installStatus"],
        "RUNNER_INSTALL_STATUS_READY"
    );
}

#[tokio::test]
async fn unhealthy_clusters_fail_installs() {
    let emulator = support::start_manual().await;
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token();
    let profiles = create_profile_fixtures(&client, token).await;
    let cases = [
        (
            "offline",
            "cks-east-01a-offline",
            "US-EAST-01A",
            "RUNNER_INSTALL_ERROR_REASON_CLUSTER_UNREACHABLE",
        ),
        (
            "full",
            "cks-east-13a-full",
            "US-EAST-13A",
            "RUNNER_INSTALL_ERROR_REASON_INSUFFICIENT_CAPACITY",
        ),
    ];
    for (runner_id, cluster, zone, reason) in cases {
        let body = json!({
            "runnerId": runner_id,
            "runner": {
                "identity": {"zone": zone, "clusterName": cluster},
                "profileBindings": [{"profileTemplateId": profiles["zone-defaults"], "isDefault": true}]
            }
        });
        let path = format!("/v1beta2/sandbox/managed-runners/{runner_id}");
        let created = client
            .rest(
                "POST",
                "/v1beta2/sandbox/managed-runners",
                token,
                Some(&body),
            )
            .await;
        assert_eq!(
            created.json()["installStatus"],
            "RUNNER_INSTALL_STATUS_PENDING",
            "{cluster}"
        );
        emulator.advance(secs(2));
        let provisioning = client.rest("GET", &path, token, None).await.json();
        assert_eq!(
            provisioning["installStatus"], "RUNNER_INSTALL_STATUS_PROVISIONING",
            "{cluster}"
        );
        emulator.advance(secs(1));
        let failed = client.rest("GET", &path, token, None).await.json();
        assert_eq!(
            failed["installStatus"], "RUNNER_INSTALL_STATUS_FAILED",
            "{cluster}"
        );
        assert_eq!(failed["installError"]["reason"], reason, "{cluster}");
    }
}

#[tokio::test]
async fn delete_tears_down_then_vanishes() {
    let emulator = support::start_manual().await;
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token();
    let profiles = create_profile_fixtures(&client, token).await;
    let runner = create_runner_fixture(&client, token, &profiles).await;
    emulator.advance(secs(3));

    assert_eq!(client.rest("DELETE", RUNNER, token, None).await.status, 200);
    let deleting = get(&client, &emulator).await;
    assert_eq!(deleting["installStatus"], "RUNNER_INSTALL_STATUS_DELETING");
    assert_eq!(
        client.rest("DELETE", RUNNER, token, None).await.status,
        200,
        "still tearing down"
    );
    let update = json!({"runner": {"displayName": "x"}, "updateMask": "displayName"});
    client
        .rest("PATCH", RUNNER, token, Some(&update))
        .await
        .assert_rest_error(400, 9, "CWSANDBOX_RUNNER_DELETING");
    let again = support::fixture("create-runner.json", &profiles, "", "");
    client
        .rest(
            "POST",
            "/v1beta2/sandbox/managed-runners",
            token,
            Some(&again),
        )
        .await
        .assert_rest_error(409, 6, "CWSANDBOX_RUNNER_ALREADY_EXISTS");

    emulator.advance(secs(1));
    client
        .rest("GET", RUNNER, token, None)
        .await
        .assert_rest_error(404, 5, "CWSANDBOX_RUNNER_NOT_FOUND");
    let list = client
        .rest("GET", "/v1beta2/sandbox/managed-runners", token, None)
        .await;
    assert_eq!(list.json(), json!({}));
    let recreated = client
        .rest(
            "POST",
            "/v1beta2/sandbox/managed-runners",
            token,
            Some(&again),
        )
        .await;
    assert_eq!(
        recreated.status, 200,
        "the runner id and the cluster are free again"
    );
    assert_ne!(recreated.json()["id"], runner["id"]);
}

#[tokio::test]
async fn zero_timings_finish_at_once() {
    let emulator = Emulator::builder()
        .timings(Timings::instant())
        .start()
        .await
        .expect("emulator starts");
    let client = TestClient::http1(&emulator.base_url());
    let profiles = create_profile_fixtures(&client, emulator.admin_token()).await;
    let created = create_runner_fixture(&client, emulator.admin_token(), &profiles).await;
    assert_eq!(created["installStatus"], "RUNNER_INSTALL_STATUS_READY");
    assert_eq!(
        created["connectionStatus"],
        "RUNNER_CONNECTION_STATUS_CONNECTED"
    );
    assert_eq!(created["activeRevision"], 1);
    assert_eq!(
        client
            .rest("DELETE", RUNNER, emulator.admin_token(), None)
            .await
            .status,
        200
    );
    let after_teardown = client
        .rest("GET", RUNNER, emulator.admin_token(), None)
        .await;
    assert_eq!(after_teardown.status, 404);
}
