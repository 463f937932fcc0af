//! The request fixtures succeed in order against the emulator, over REST and
//! over Connect: profiles, the runner bound to them, then the updates.
#![cfg(feature = "emulator")]

#[allow(dead_code, reason = "each test binary uses part of the support module")]
#[path = "support/emulator_client.rs"]
mod support;

use serde_json::Value;
use support::{TestClient, create_profile_fixtures, create_runner_fixture, fixture};

#[tokio::test]
async fn fixtures_succeed_over_rest() {
    let emulator = support::start_instant().await;
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token();

    let profiles = create_profile_fixtures(&client, token).await;
    assert_eq!(profiles.len(), 3);
    let runner = create_runner_fixture(&client, token, &profiles).await;
    let runner_id = runner["id"].as_str().expect("runner id").to_string();
    assert_eq!(runner["identity"]["runnerId"], "lab-west");
    assert_eq!(runner["identity"]["clusterName"], "lab-west-cks");
    assert_eq!(runner["identity"]["clusterId"], "cl-lab-west-09b");
    assert_eq!(
        runner["managedSpec"]["releaseChannel"],
        "RELEASE_CHANNEL_RAPID"
    );
    assert_eq!(
        runner["managedSpec"]["maintenancePolicy"]["exclusions"][0]["startTime"],
        "2026-12-20T00:00:00Z"
    );

    let profile_id = &profiles["zone-defaults"];
    let body = fixture(
        "update-profile-description.json",
        &profiles,
        &runner_id,
        profile_id,
    );
    let path = format!("/v1beta2/sandbox/profile-templates/{profile_id}");
    let reply = client.rest("PATCH", &path, token, Some(&body)).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.json()["description"], "now with a longer description");

    let path = format!("/v1beta2/sandbox/managed-runners/{runner_id}");
    let body = fixture(
        "update-runner-channel-and-zone.json",
        &profiles,
        &runner_id,
        profile_id,
    );
    let reply = client.rest("PATCH", &path, token, Some(&body)).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let updated = reply.json();
    assert_eq!(updated["identity"]["zone"], "US-WEST-09C");
    assert_eq!(
        updated["managedSpec"]["releaseChannel"],
        "RELEASE_CHANNEL_STABLE"
    );
    assert_eq!(updated["managedSpec"]["enforceResourceLimits"], true);

    let body = fixture(
        "update-runner-swap-default.json",
        &profiles,
        &runner_id,
        profile_id,
    );
    let reply = client.rest("PATCH", &path, token, Some(&body)).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let bindings = reply.json()["profileBindings"].clone();
    assert_eq!(bindings[0]["profileName"], "agents");
    assert_eq!(bindings[0].get("isDefault"), None);
    assert_eq!(bindings[1]["isDefault"], true);
    assert_eq!(
        bindings[1]["profileTemplateId"],
        Value::String(profiles["train-a100"].clone())
    );
}

#[tokio::test]
async fn fixtures_succeed_over_connect() {
    let emulator = support::start_instant().await;
    let client = TestClient::h2c(&emulator.base_url());
    let token = emulator.admin_token();
    let mut profiles = std::collections::HashMap::new();

    for name in [
        "create-profile-allowlist.json",
        "create-profile-gpu.json",
        "create-profile-minimal.json",
    ] {
        let reply = client
            .connect(
                "CreateProfileTemplate",
                token,
                &fixture(name, &profiles, "", ""),
            )
            .await;
        assert_eq!(
            reply.status,
            200,
            "{name}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        let created = reply.json();
        let display_name = created["displayName"]
            .as_str()
            .expect("displayName")
            .to_string();
        profiles.insert(
            display_name,
            created["id"].as_str().expect("id").to_string(),
        );
    }
    let reply = client
        .connect(
            "CreateManagedRunner",
            token,
            &fixture("create-runner.json", &profiles, "", ""),
        )
        .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let runner_id = reply.json()["id"].as_str().expect("id").to_string();
    let profile_id = profiles["train-a100"].clone();

    let updates = [
        ("UpdateProfileTemplate", "update-profile-description.json"),
        ("UpdateManagedRunner", "update-runner-channel-and-zone.json"),
        ("UpdateManagedRunner", "update-runner-swap-default.json"),
    ];
    for (method, name) in updates {
        let body = fixture(name, &profiles, &runner_id, &profile_id);
        let reply = client.connect(method, token, &body).await;
        assert_eq!(
            reply.status,
            200,
            "{name}: {}",
            String::from_utf8_lossy(&reply.body)
        );
    }
    let reply = client
        .connect("GetRunner", token, &serde_json::json!({"id": "lab-west"}))
        .await;
    assert_eq!(reply.status, 200);
    let runner = reply.json();
    assert_eq!(runner["identity"]["zone"], "US-WEST-09C");
    assert_eq!(runner["profileBindings"][1]["isDefault"], true);
}
