//! Update masks of runners and templates: documented paths in both
//! spellings, clearing, whole-value replacement, the parent `managed_spec`
//! rule, no mask, and rejected paths. Each case runs on a fresh emulator.
#![cfg(feature = "emulator")]

#[allow(dead_code, reason = "each test binary uses part of the support module")]
#[path = "support/emulator_client.rs"]
mod support;

use serde_json::{Value, json};
use support::{TestClient, create_profile_fixtures, create_runner_fixture};

/// What an update case expects: the runner after it, or an error.
enum Outcome {
    /// JSON pointer into the updated runner and the value there (`Null` = absent).
    Fields(Vec<(&'static str, Value)>),
    Error {
        status: u16,
        code: i64,
        reason: &'static str,
        field: &'static str,
    },
}

const fn mask_error(field: &'static str) -> Outcome {
    Outcome::Error {
        status: 400,
        code: 3,
        reason: "CWSANDBOX_INVALID_UPDATE_MASK",
        field,
    }
}

const fn invalid(reason: &'static str, field: &'static str) -> Outcome {
    Outcome::Error {
        status: 400,
        code: 3,
        reason,
        field,
    }
}

/// A template update: name, mask, changes, and the fields after it or the
/// expected error's reason and field.
type TemplateCase = (
    &'static str,
    Option<&'static str>,
    Value,
    Result<Vec<(&'static str, Value)>, (&'static str, &'static str)>,
);

fn lookup(value: &Value, pointer: &str) -> Value {
    value.pointer(pointer).cloned().unwrap_or(Value::Null)
}

#[tokio::test]
async fn runner_update_masks() {
    // The runner of create-runner.json: RAPID, zone US-WEST-09B on lab-west-cks,
    // enforceResourceLimits, overrides with env and nodeSelector, one window.
    let cases: Vec<(&str, Option<&str>, Value, Outcome)> = vec![
        (
            "display name in camelCase",
            Some("displayName"),
            json!({"displayName": "Lab"}),
            Outcome::Fields(vec![("/displayName", json!("Lab"))]),
        ),
        (
            "display name in snake_case",
            Some("display_name"),
            json!({"displayName": "Lab"}),
            Outcome::Fields(vec![("/displayName", json!("Lab"))]),
        ),
        (
            "display name cleared",
            Some("displayName"),
            json!({}),
            Outcome::Fields(vec![("/displayName", Value::Null)]),
        ),
        (
            "zone to a zone of the cluster",
            Some("identity.zone"),
            json!({"identity": {"zone": "us-west-09c"}}),
            Outcome::Fields(vec![
                ("/identity/zone", json!("us-west-09c")),
                ("/identity/clusterName", json!("lab-west-cks")),
            ]),
        ),
        (
            "zone to another cluster's zone",
            Some("identity.zone"),
            json!({"identity": {"zone": "US-EAST-04A"}}),
            invalid("CWSANDBOX_ZONE_MISMATCH", "runner.identity.zone"),
        ),
        (
            "zone cleared",
            Some("identity.zone"),
            json!({}),
            invalid("CWSANDBOX_INVALID_ARGUMENT", "runner.identity.zone"),
        ),
        (
            "runner group set",
            Some("identity.runnerGroupId"),
            json!({"identity": {"runnerGroupId": "blue"}}),
            Outcome::Fields(vec![
                ("/identity/runnerGroupId", json!("blue")),
                ("/identity/zone", json!("US-WEST-09B")),
            ]),
        ),
        (
            "release channel set",
            Some("managedSpec.releaseChannel"),
            json!({"managedSpec": {"releaseChannel": "RELEASE_CHANNEL_STABLE"}}),
            Outcome::Fields(vec![
                (
                    "/managedSpec/releaseChannel",
                    json!("RELEASE_CHANNEL_STABLE"),
                ),
                ("/managedSpec/enforceResourceLimits", json!(true)),
            ]),
        ),
        (
            "release channel by number",
            Some("managed_spec.release_channel"),
            json!({"managedSpec": {"releaseChannel": 1}}),
            Outcome::Fields(vec![(
                "/managedSpec/releaseChannel",
                json!("RELEASE_CHANNEL_STABLE"),
            )]),
        ),
        (
            "release channel cleared",
            Some("managedSpec.releaseChannel"),
            json!({}),
            Outcome::Fields(vec![
                ("/managedSpec/releaseChannel", Value::Null),
                ("/managedSpec/overrides/env/LOG_LEVEL", json!("info")),
            ]),
        ),
        (
            "maintenance policy replaced",
            Some("managedSpec.maintenancePolicy"),
            json!({"managedSpec": {"maintenancePolicy": {"windows": [{"cron": "0 1 * * *", "durationSeconds": 600}, {"cron": "0 2 * * *", "durationSeconds": 600}]}}}),
            Outcome::Fields(vec![
                (
                    "/managedSpec/maintenancePolicy/windows/1/cron",
                    json!("0 2 * * *"),
                ),
                ("/managedSpec/maintenancePolicy/exclusions", Value::Null),
            ]),
        ),
        (
            "maintenance policy cleared",
            Some("managedSpec.maintenancePolicy"),
            json!({"managedSpec": {}}),
            Outcome::Fields(vec![
                ("/managedSpec/maintenancePolicy", Value::Null),
                ("/managedSpec/overrides/env/LOG_LEVEL", json!("info")),
            ]),
        ),
        (
            "overrides replaced",
            Some("managedSpec.overrides"),
            json!({"managedSpec": {"overrides": {"env": {"MODE": "x"}}}}),
            Outcome::Fields(vec![
                ("/managedSpec/overrides/env", json!({"MODE": "x"})),
                ("/managedSpec/overrides/nodeSelector", Value::Null),
                ("/deploymentSpec/env", json!({"MODE": "x"})),
            ]),
        ),
        (
            "overrides cleared",
            Some("managedSpec.overrides"),
            json!({}),
            Outcome::Fields(vec![
                ("/managedSpec/overrides", Value::Null),
                (
                    "/managedSpec/releaseChannel",
                    json!("RELEASE_CHANNEL_RAPID"),
                ),
            ]),
        ),
        (
            "parent path keeps unset messages",
            Some("managedSpec"),
            json!({"managedSpec": {"allowPrivilegedProfileAnnotations": true}}),
            Outcome::Fields(vec![
                (
                    "/managedSpec/allowPrivilegedProfileAnnotations",
                    json!(true),
                ),
                ("/managedSpec/enforceResourceLimits", Value::Null),
                (
                    "/managedSpec/releaseChannel",
                    json!("RELEASE_CHANNEL_RAPID"),
                ),
                ("/managedSpec/overrides/env/LOG_LEVEL", json!("info")),
                (
                    "/managedSpec/maintenancePolicy/windows/0/durationSeconds",
                    json!(5400),
                ),
            ]),
        ),
        (
            "parent path replaces set messages",
            Some("managedSpec"),
            json!({"managedSpec": {"enforceResourceLimits": true, "overrides": {"args": ["--v"]}}}),
            Outcome::Fields(vec![
                ("/managedSpec/enforceResourceLimits", json!(true)),
                ("/managedSpec/overrides/args", json!(["--v"])),
                ("/managedSpec/overrides/env", Value::Null),
                (
                    "/managedSpec/maintenancePolicy/windows/0/durationSeconds",
                    json!(5400),
                ),
            ]),
        ),
        (
            "bindings cleared",
            Some("profileBindings"),
            json!({}),
            invalid("CWSANDBOX_INVALID_ARGUMENT", "runner.profile_bindings"),
        ),
        (
            "no mask applies non-empty fields",
            None,
            json!({"displayName": "Renamed"}),
            Outcome::Fields(vec![
                ("/displayName", json!("Renamed")),
                ("/identity/zone", json!("US-WEST-09B")),
                (
                    "/managedSpec/releaseChannel",
                    json!("RELEASE_CHANNEL_RAPID"),
                ),
                ("/profileBindings/0/profileName", json!("agents")),
            ]),
        ),
        (
            "no mask with a channel",
            None,
            json!({"managedSpec": {"releaseChannel": "RELEASE_CHANNEL_STABLE"}}),
            Outcome::Fields(vec![
                (
                    "/managedSpec/releaseChannel",
                    json!("RELEASE_CHANNEL_STABLE"),
                ),
                ("/managedSpec/enforceResourceLimits", json!(true)),
                ("/managedSpec/overrides/env/LOG_LEVEL", json!("info")),
            ]),
        ),
        (
            "empty mask is no mask",
            Some(""),
            json!({"identity": {"runnerGroupId": "g"}}),
            Outcome::Fields(vec![
                ("/identity/runnerGroupId", json!("g")),
                ("/displayName", json!("Lab (west)")),
            ]),
        ),
        (
            "unknown path",
            Some("colour"),
            json!({}),
            mask_error("update_mask"),
        ),
        (
            "immutable cluster path",
            Some("identity.clusterId"),
            json!({}),
            mask_error("update_mask"),
        ),
        (
            "immutable runner id path",
            Some("identity.runner_id"),
            json!({}),
            mask_error("update_mask"),
        ),
        (
            "whole identity path",
            Some("identity"),
            json!({}),
            mask_error("update_mask"),
        ),
        (
            "output-only path",
            Some("installStatus"),
            json!({}),
            mask_error("update_mask"),
        ),
        (
            "boolean without parent",
            Some("managedSpec.enforceResourceLimits"),
            json!({}),
            mask_error("update_mask"),
        ),
        (
            "inside a replaced message",
            Some("managedSpec.overrides.env"),
            json!({}),
            mask_error("update_mask"),
        ),
        (
            "one bad path among good ones",
            Some("displayName,nope"),
            json!({"displayName": "x"}),
            mask_error("update_mask"),
        ),
        (
            "immutable cluster name in the body",
            Some("displayName"),
            json!({"displayName": "x", "identity": {"clusterName": "cks-east-04a"}}),
            invalid("CWSANDBOX_IMMUTABLE_FIELD", "runner.identity.cluster_name"),
        ),
        (
            "immutable runner id in the body",
            None,
            json!({"identity": {"runnerId": "lab-other"}}),
            invalid("CWSANDBOX_IMMUTABLE_FIELD", "runner.identity.runner_id"),
        ),
        (
            "invalid value after the update",
            Some("managedSpec.maintenancePolicy"),
            json!({"managedSpec": {"maintenancePolicy": {"windows": [{"cron": "x", "durationSeconds": 600}]}}}),
            invalid(
                "CWSANDBOX_INVALID_ARGUMENT",
                "runner.managed_spec.maintenance_policy.windows[0].cron",
            ),
        ),
    ];

    for (name, mask, changes, outcome) in cases {
        let emulator = support::start_instant().await;
        let client = TestClient::http1(&emulator.base_url());
        let token = emulator.admin_token();
        let profiles = create_profile_fixtures(&client, token).await;
        let runner = create_runner_fixture(&client, token, &profiles).await;
        let id = runner["id"].as_str().expect("id");

        let mut body = json!({ "runner": changes });
        if let Some(mask) = mask {
            body["updateMask"] = json!(mask);
        }
        let path = format!("/v1beta2/sandbox/managed-runners/{id}");
        let reply = client.rest("PATCH", &path, token, Some(&body)).await;
        let text = String::from_utf8_lossy(&reply.body).into_owned();
        match outcome {
            Outcome::Fields(expected) => {
                assert_eq!(reply.status, 200, "{name}: {text}");
                let updated = reply.json();
                for (pointer, value) in expected {
                    assert_eq!(
                        lookup(&updated, pointer),
                        value,
                        "{name}: {pointer} in {text}"
                    );
                }
                let stored = client.rest("GET", &path, token, None).await.json();
                assert_eq!(
                    stored["managedSpec"], updated["managedSpec"],
                    "{name}: stored"
                );
            }
            Outcome::Error {
                status,
                code,
                reason,
                field,
            } => {
                reply.assert_rest_error(status, code, reason);
                assert_eq!(reply.violations()[0].0, field, "{name}: {text}");
                let stored = client.rest("GET", &path, token, None).await.json();
                assert_eq!(
                    stored["managedSpec"], runner["managedSpec"],
                    "{name}: unchanged"
                );
                assert_eq!(
                    stored["displayName"], runner["displayName"],
                    "{name}: unchanged"
                );
            }
        }
    }
}

#[tokio::test]
async fn runner_update_requests() {
    let emulator = support::start_instant().await;
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token();
    let profiles = create_profile_fixtures(&client, token).await;
    let runner = create_runner_fixture(&client, token, &profiles).await;
    let id = runner["id"].as_str().expect("id");

    let path = format!("/v1beta2/sandbox/managed-runners/{id}");
    let body = json!({"runner": {"id": "other", "displayName": "x"}, "updateMask": "displayName"});
    let reply = client.rest("PATCH", &path, token, Some(&body)).await;
    reply.assert_rest_error(400, 3, "CWSANDBOX_INVALID_ARGUMENT");
    assert_eq!(reply.violations()[0].0, "runner.id");

    let body = json!({"runner": {"displayName": "x"}, "updateMask": ["displayName"]});
    let reply = client.rest("PATCH", &path, token, Some(&body)).await;
    reply.assert_rest_error(400, 3, "CWSANDBOX_INVALID_UPDATE_MASK");

    let by_runner_id = "/v1beta2/sandbox/managed-runners/lab-west";
    let body = json!({"runner": {"displayName": "by runner id"}, "updateMask": "displayName"});
    let reply = client.rest("PATCH", by_runner_id, token, Some(&body)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["displayName"], "by runner id");

    let connect = client
        .connect(
            "UpdateManagedRunner",
            token,
            &json!({"runner": {"displayName": "x"}, "updateMask": "displayName"}),
        )
        .await;
    assert_eq!(connect.status, 400);
    assert_eq!(connect.json()["code"], "invalid_argument");

    let missing = client
        .rest(
            "PATCH",
            "/v1beta2/sandbox/managed-runners/lab-gone",
            token,
            Some(&body),
        )
        .await;
    missing.assert_rest_error(404, 5, "CWSANDBOX_RUNNER_NOT_FOUND");
}

#[tokio::test]
async fn template_update_masks() {
    let base = json!({
        "displayName": "cpu-small",
        "description": "first",
        "spec": {"runtimeClass": "gvisor", "tags": ["a"]},
        "labels": {"team": "infra"}
    });
    let cases: Vec<TemplateCase> = vec![
        (
            "description set",
            Some("description"),
            json!({"description": "second"}),
            Ok(vec![
                ("/description", json!("second")),
                ("/spec/runtimeClass", json!("gvisor")),
            ]),
        ),
        (
            "description cleared",
            Some("description"),
            json!({}),
            Ok(vec![("/description", Value::Null)]),
        ),
        (
            "spec replaced",
            Some("spec"),
            json!({"spec": {"containerImage": "img:1"}}),
            Ok(vec![
                ("/spec", json!({"containerImage": "img:1"})),
                ("/description", json!("first")),
            ]),
        ),
        (
            "spec cleared",
            Some("spec"),
            json!({}),
            Ok(vec![("/spec", json!({}))]),
        ),
        (
            "labels replaced",
            Some("labels"),
            json!({"labels": {"tier": "gold"}}),
            Ok(vec![("/labels", json!({"tier": "gold"}))]),
        ),
        (
            "labels cleared",
            Some("labels"),
            json!({}),
            Ok(vec![("/labels", Value::Null)]),
        ),
        (
            "two paths",
            Some("description,labels"),
            json!({"description": "d", "labels": {}}),
            Ok(vec![
                ("/description", json!("d")),
                ("/labels", Value::Null),
                ("/spec/runtimeClass", json!("gvisor")),
            ]),
        ),
        (
            "no mask",
            None,
            json!({"description": "third"}),
            Ok(vec![
                ("/description", json!("third")),
                ("/labels/team", json!("infra")),
                ("/spec/tags", json!(["a"])),
            ]),
        ),
        (
            "display name path",
            Some("displayName"),
            json!({"displayName": "other"}),
            Err(("CWSANDBOX_INVALID_UPDATE_MASK", "update_mask")),
        ),
        (
            "display name in the body",
            None,
            json!({"displayName": "other"}),
            Err(("CWSANDBOX_IMMUTABLE_FIELD", "profile_template.display_name")),
        ),
        (
            "same display name in the body",
            None,
            json!({"displayName": "cpu-small", "description": "x"}),
            Ok(vec![("/description", json!("x"))]),
        ),
        (
            "spec sub-path",
            Some("spec.runtimeClass"),
            json!({}),
            Err(("CWSANDBOX_INVALID_UPDATE_MASK", "update_mask")),
        ),
        (
            "unknown path",
            Some("color"),
            json!({}),
            Err(("CWSANDBOX_INVALID_UPDATE_MASK", "update_mask")),
        ),
        (
            "invalid spec",
            Some("spec"),
            json!({"spec": {"podTemplateJson": "[]"}}),
            Err((
                "CWSANDBOX_INVALID_ARGUMENT",
                "profile_template.spec.pod_template_json",
            )),
        ),
    ];
    for (name, mask, changes, expected) in cases {
        let emulator = support::start_instant().await;
        let client = TestClient::http1(&emulator.base_url());
        let token = emulator.admin_token();
        let created = client
            .rest(
                "POST",
                "/v1beta2/sandbox/profile-templates",
                token,
                Some(&json!({"profileTemplate": base})),
            )
            .await
            .json();
        let id = created["id"].as_str().expect("id");
        let mut body = json!({ "profileTemplate": changes });
        if let Some(mask) = mask {
            body["updateMask"] = json!(mask);
        }
        let path = format!("/v1beta2/sandbox/profile-templates/{id}");
        let reply = client.rest("PATCH", &path, token, Some(&body)).await;
        let text = String::from_utf8_lossy(&reply.body).into_owned();
        match expected {
            Ok(fields) => {
                assert_eq!(reply.status, 200, "{name}: {text}");
                let updated = reply.json();
                for (pointer, value) in fields {
                    assert_eq!(
                        lookup(&updated, pointer),
                        value,
                        "{name}: {pointer} in {text}"
                    );
                }
                assert_eq!(updated["displayName"], "cpu-small", "{name}");
                assert_eq!(updated["createdAt"], created["createdAt"], "{name}");
            }
            Err((reason, field)) => {
                reply.assert_rest_error(400, 3, reason);
                assert_eq!(reply.violations()[0].0, field, "{name}: {text}");
                let stored = client.rest("GET", &path, token, None).await.json();
                assert_eq!(stored, created, "{name}: unchanged");
            }
        }
    }
}
