//! Validation, NOT_FOUND, ALREADY_EXISTS and FAILED_PRECONDITION rules of the
//! emulator, one table per resource.
#![cfg(feature = "emulator")]

#[allow(dead_code, reason = "each test binary uses part of the support module")]
#[path = "support/emulator_client.rs"]
mod support;

use std::collections::HashMap;

use serde_json::{Value, json};
use support::{TestClient, create_profile_fixtures};

const TEMPLATES: &str = "/v1beta2/sandbox/profile-templates";
const RUNNERS: &str = "/v1beta2/sandbox/managed-runners";

/// Sets the value at a JSON pointer, creating missing objects on the way.
fn set(body: &mut Value, pointer: &str, value: Value) {
    let mut target = body;
    for part in pointer.trim_start_matches('/').split('/') {
        target = if let Value::Array(items) = target {
            &mut items[part.parse::<usize>().expect("array index")]
        } else {
            if !target.is_object() {
                *target = json!({});
            }
            let fields = target.as_object_mut().expect("object");
            fields.entry(part.to_string()).or_insert(Value::Null)
        };
    }
    *target = value;
}

/// Removes the value at a JSON pointer.
fn remove(body: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer with a parent");
    if let Some(Value::Object(fields)) = body.pointer_mut(parent) {
        fields.remove(key);
    }
}

/// An expected error: HTTP status, google.rpc code, reason, first violation field.
struct Expected {
    status: u16,
    code: i64,
    reason: &'static str,
    field: Option<&'static str>,
}

const fn invalid(field: &'static str) -> Expected {
    Expected {
        status: 400,
        code: 3,
        reason: "CWSANDBOX_INVALID_ARGUMENT",
        field: Some(field),
    }
}

const fn invalid_because(field: &'static str, reason: &'static str) -> Expected {
    Expected {
        status: 400,
        code: 3,
        reason,
        field: Some(field),
    }
}

const MALFORMED: Expected = Expected {
    status: 400,
    code: 3,
    reason: "CWSANDBOX_MALFORMED_REQUEST",
    field: None,
};

#[track_caller]
fn check(name: &str, reply: &support::Reply, expected: &Expected) {
    let body = String::from_utf8_lossy(&reply.body).into_owned();
    assert_eq!(
        reply.status, expected.status,
        "{name}: status; body: {body}"
    );
    let json = reply.json();
    assert_eq!(
        json["code"].as_i64(),
        Some(expected.code),
        "{name}: code; body: {body}"
    );
    assert_eq!(
        reply.error_info()["reason"],
        expected.reason,
        "{name}: reason; body: {body}"
    );
    if let Some(field) = expected.field {
        let violations = reply.violations();
        assert_eq!(
            violations.first().map(|(field, _)| field.as_str()),
            Some(field),
            "{name}: field; body: {body}"
        );
    }
}

fn template_body() -> Value {
    json!({"profileTemplate": {
        "displayName": "cpu-small",
        "spec": {
            "resourceDefaults": {"cpuLimit": "1", "memoryLimit": "1Gi"},
            "namespaceConfigJson": "{\"strategy\":\"per-org\"}",
            "networkConfigJson": "{\"egress\":{\"default\":\"open\",\"modes\":{\"open\":{\"type\":\"internet\"}}}}",
            "podTemplateJson": "{\"tolerations\":[]}"
        }
    }})
}

type Mutation = fn(&mut Value);

/// A named change of the base request and the error it must cause.
type Case = (&'static str, Box<dyn Fn(&mut Value)>, Expected);

#[tokio::test]
async fn template_create_rules() {
    let emulator = support::start_instant().await;
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token();

    let cases: Vec<(&str, Mutation, Expected)> = vec![
        (
            "missing template",
            |b| *b = json!({}),
            invalid("profile_template"),
        ),
        (
            "missing display name",
            |b| remove(b, "/profileTemplate/displayName"),
            invalid("profile_template.display_name"),
        ),
        (
            "upper-case display name",
            |b| set(b, "/profileTemplate/displayName", json!("Cpu-Small")),
            invalid("profile_template.display_name"),
        ),
        (
            "display name with underscore",
            |b| set(b, "/profileTemplate/displayName", json!("cpu_small")),
            invalid("profile_template.display_name"),
        ),
        (
            "display name of 64 characters",
            |b| set(b, "/profileTemplate/displayName", json!("a".repeat(64))),
            invalid("profile_template.display_name"),
        ),
        (
            "display name ending in a dash",
            |b| set(b, "/profileTemplate/displayName", json!("cpu-")),
            invalid("profile_template.display_name"),
        ),
        (
            "missing spec",
            |b| remove(b, "/profileTemplate/spec"),
            invalid("profile_template.spec"),
        ),
        (
            "output-only id",
            |b| set(b, "/profileTemplate/id", json!("x")),
            invalid_because("profile_template.id", "CWSANDBOX_OUTPUT_ONLY_FIELD"),
        ),
        (
            "output-only organization",
            |b| set(b, "/profileTemplate/organizationId", json!("x")),
            invalid_because(
                "profile_template.organization_id",
                "CWSANDBOX_OUTPUT_ONLY_FIELD",
            ),
        ),
        (
            "output-only created time",
            |b| {
                set(
                    b,
                    "/profileTemplate/createdAt",
                    json!("2026-01-01T00:00:00Z"),
                )
            },
            invalid_because("profile_template.created_at", "CWSANDBOX_OUTPUT_ONLY_FIELD"),
        ),
        (
            "malformed created time",
            |b| set(b, "/profileTemplate/createdAt", json!("yesterday")),
            invalid("profile_template.created_at"),
        ),
        (
            "namespace config not JSON",
            |b| {
                set(
                    b,
                    "/profileTemplate/spec/namespaceConfigJson",
                    json!("{strategy"),
                )
            },
            invalid("profile_template.spec.namespace_config_json"),
        ),
        (
            "namespace config an array",
            |b| set(b, "/profileTemplate/spec/namespaceConfigJson", json!("[]")),
            invalid("profile_template.spec.namespace_config_json"),
        ),
        (
            "namespace strategy unknown",
            |b| {
                set(
                    b,
                    "/profileTemplate/spec/namespaceConfigJson",
                    json!("{\"strategy\":\"per-team\"}"),
                )
            },
            invalid("profile_template.spec.namespace_config_json"),
        ),
        (
            "namespace key unknown",
            |b| {
                set(
                    b,
                    "/profileTemplate/spec/namespaceConfigJson",
                    json!("{\"strategy\":\"static\",\"name\":\"x\"}"),
                )
            },
            invalid("profile_template.spec.namespace_config_json"),
        ),
        (
            "network default not a mode",
            |b| {
                set(
                    b,
                    "/profileTemplate/spec/networkConfigJson",
                    json!(
                        "{\"egress\":{\"default\":\"closed\",\"modes\":{\"open\":{\"type\":\"internet\"}}}}"
                    ),
                )
            },
            invalid("profile_template.spec.network_config_json"),
        ),
        (
            "network allowlist without CIDRs",
            |b| {
                set(
                    b,
                    "/profileTemplate/spec/networkConfigJson",
                    json!(
                        "{\"egress\":{\"default\":\"m\",\"modes\":{\"m\":{\"type\":\"allowlist\"}}}}"
                    ),
                )
            },
            invalid("profile_template.spec.network_config_json"),
        ),
        (
            "network CIDR invalid",
            |b| {
                set(
                    b,
                    "/profileTemplate/spec/networkConfigJson",
                    json!(
                        "{\"egress\":{\"default\":\"m\",\"modes\":{\"m\":{\"type\":\"allowlist\",\"cidrs\":[\"10.0.0.0/40\"]}}}}"
                    ),
                )
            },
            invalid("profile_template.spec.network_config_json"),
        ),
        (
            "network type unknown",
            |b| {
                set(
                    b,
                    "/profileTemplate/spec/networkConfigJson",
                    json!("{\"egress\":{\"default\":\"m\",\"modes\":{\"m\":{\"type\":\"vpn\"}}}}"),
                )
            },
            invalid("profile_template.spec.network_config_json"),
        ),
        (
            "network without egress",
            |b| set(b, "/profileTemplate/spec/networkConfigJson", json!("{}")),
            invalid("profile_template.spec.network_config_json"),
        ),
        (
            "pod template a string",
            |b| set(b, "/profileTemplate/spec/podTemplateJson", json!("\"pod\"")),
            invalid("profile_template.spec.pod_template_json"),
        ),
        (
            "quantity invalid",
            |b| {
                set(
                    b,
                    "/profileTemplate/spec/resourceDefaults/cpuLimit",
                    json!("2 cores"),
                )
            },
            invalid("profile_template.spec.resource_defaults.cpu_limit"),
        ),
        (
            "quantity negative",
            |b| {
                set(
                    b,
                    "/profileTemplate/spec/resourceDefaults/memoryRequest",
                    json!("-1Gi"),
                )
            },
            invalid("profile_template.spec.resource_defaults.memory_request"),
        ),
        (
            "display name a number",
            |b| set(b, "/profileTemplate/displayName", json!(5)),
            MALFORMED,
        ),
        ("body an array", |b| *b = json!([1, 2]), MALFORMED),
    ];
    for (name, mutate, expected) in &cases {
        let mut body = template_body();
        mutate(&mut body);
        let reply = client.rest("POST", TEMPLATES, token, Some(&body)).await;
        check(name, &reply, expected);
    }

    let raw = client
        .call(
            "POST",
            TEMPLATES,
            Some(token),
            &[("content-type", "application/json")],
            "{\"profileTemplate\": ",
        )
        .await;
    check("truncated JSON", &raw, &MALFORMED);

    let created = client
        .rest("POST", TEMPLATES, token, Some(&template_body()))
        .await;
    assert_eq!(
        created.status,
        200,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let created = created.json();
    assert_eq!(created["organizationId"], "org-example");
    assert!(
        created["createdAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let duplicate = client
        .rest("POST", TEMPLATES, token, Some(&template_body()))
        .await;
    duplicate.assert_rest_error(409, 6, "CWSANDBOX_PROFILE_ALREADY_EXISTS");
    assert_eq!(
        duplicate.json()["message"],
        "profile template with display name \"cpu-small\" already exists"
    );
    assert_eq!(
        duplicate.error_info()["metadata"]["display_name"],
        "cpu-small"
    );

    let empty_spec = json!({"profileTemplate": {"displayName": "empty", "spec": {}}});
    let reply = client
        .rest("POST", TEMPLATES, token, Some(&empty_spec))
        .await;
    assert_eq!(reply.status, 200, "an empty spec is valid");
    assert_eq!(reply.json()["spec"], json!({}));
}

fn runner_body(profiles: &HashMap<String, String>) -> Value {
    json!({
        "runnerId": "lab-east",
        "runner": {
            "displayName": "Lab (east)",
            "identity": {"zone": "US-EAST-04A", "clusterName": "cks-east-04a"},
            "managedSpec": {
                "maintenancePolicy": {
                    "windows": [{"cron": "0 4 * * SAT", "durationSeconds": 3600}],
                    "exclusions": [{"startTime": "2026-12-20T00:00:00Z", "endTime": "2027-01-04T00:00:00Z"}]
                },
                "overrides": {
                    "tolerations": [{"key": "pool", "operator": "Equal", "value": "a", "effect": "NoSchedule"}],
                    "scaling": {"autoscalingEnabled": true, "minReplicas": 1, "maxReplicas": 3}
                }
            },
            "profileBindings": [
                {"profileTemplateId": profiles["agents-allowlist"], "isDefault": true},
                {"profileTemplateId": profiles["train-a100"]}
            ]
        }
    })
}

#[tokio::test]
async fn runner_create_rules() {
    let emulator = support::start_instant().await;
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token();
    let profiles = create_profile_fixtures(&client, token).await;

    let mut cases: Vec<Case> = vec![
        (
            "missing runner",
            Box::new(|b| remove(b, "/runner")),
            invalid("runner"),
        ),
        (
            "missing runner id",
            Box::new(|b| remove(b, "/runnerId")),
            invalid("runner_id"),
        ),
        (
            "invalid runner id",
            Box::new(|b| set(b, "/runnerId", json!("Lab_East"))),
            invalid("runner_id"),
        ),
        (
            "conflicting runner ids",
            Box::new(|b| set(b, "/runner/identity/runnerId", json!("lab-other"))),
            invalid("runner.identity.runner_id"),
        ),
        (
            "missing zone",
            Box::new(|b| remove(b, "/runner/identity/zone")),
            invalid("runner.identity.zone"),
        ),
        (
            "missing identity",
            Box::new(|b| remove(b, "/runner/identity")),
            invalid("runner.identity"),
        ),
        (
            "no cluster",
            Box::new(|b| remove(b, "/runner/identity/clusterName")),
            invalid("runner.identity"),
        ),
        (
            "both cluster id and name",
            Box::new(|b| set(b, "/runner/identity/clusterId", json!("cl-east-04a"))),
            invalid("runner.identity"),
        ),
        (
            "unknown cluster",
            Box::new(|b| set(b, "/runner/identity/clusterName", json!("nowhere"))),
            Expected {
                status: 404,
                code: 5,
                reason: "CWSANDBOX_CLUSTER_NOT_FOUND",
                field: None,
            },
        ),
        (
            "unknown cluster id",
            Box::new(|b| {
                remove(b, "/runner/identity/clusterName");
                set(b, "/runner/identity/clusterId", json!("cl-nowhere"));
            }),
            Expected {
                status: 404,
                code: 5,
                reason: "CWSANDBOX_CLUSTER_NOT_FOUND",
                field: None,
            },
        ),
        (
            "zone of another cluster",
            Box::new(|b| set(b, "/runner/identity/zone", json!("US-WEST-09B"))),
            invalid_because("runner.identity.zone", "CWSANDBOX_ZONE_MISMATCH"),
        ),
        (
            "no bindings",
            Box::new(|b| set(b, "/runner/profileBindings", json!([]))),
            invalid("runner.profile_bindings"),
        ),
        (
            "two defaults",
            Box::new(|b| set(b, "/runner/profileBindings/1/isDefault", json!(true))),
            invalid("runner.profile_bindings"),
        ),
        (
            "no default",
            Box::new(|b| set(b, "/runner/profileBindings/0/isDefault", json!(false))),
            invalid("runner.profile_bindings"),
        ),
        (
            "empty template id",
            Box::new(|b| set(b, "/runner/profileBindings/1/profileTemplateId", json!(""))),
            invalid("runner.profile_bindings[1].profile_template_id"),
        ),
        (
            "missing template",
            Box::new(|b| {
                set(
                    b,
                    "/runner/profileBindings/1/profileTemplateId",
                    json!("00000000-0000-4000-8000-000000000000"),
                )
            }),
            invalid_because(
                "runner.profile_bindings[1].profile_template_id",
                "CWSANDBOX_BOUND_PROFILE_NOT_FOUND",
            ),
        ),
        (
            "invalid profile name",
            Box::new(|b| set(b, "/runner/profileBindings/0/profileName", json!("Agents!"))),
            invalid("runner.profile_bindings[0].profile_name"),
        ),
        (
            "overrides JSON not an object",
            Box::new(|b| set(b, "/runner/profileBindings/0/overridesJson", json!("[1]"))),
            invalid("runner.profile_bindings[0].overrides_json"),
        ),
        (
            "overrides JSON unknown key",
            Box::new(|b| {
                set(
                    b,
                    "/runner/profileBindings/0/overridesJson",
                    json!("{\"gpuCount\":1}"),
                )
            }),
            invalid("runner.profile_bindings[0].overrides_json"),
        ),
        (
            "overrides JSON bad quantity",
            Box::new(|b| {
                set(
                    b,
                    "/runner/profileBindings/0/overridesJson",
                    json!("{\"resourceDefaults\":{\"cpuLimit\":\"lots\"}}"),
                )
            }),
            invalid("runner.profile_bindings[0].overrides_json"),
        ),
        (
            "window too short",
            Box::new(|b| {
                set(
                    b,
                    "/runner/managedSpec/maintenancePolicy/windows/0/durationSeconds",
                    json!(59),
                )
            }),
            invalid("runner.managed_spec.maintenance_policy.windows[0].duration_seconds"),
        ),
        (
            "window too long",
            Box::new(|b| {
                set(
                    b,
                    "/runner/managedSpec/maintenancePolicy/windows/0/durationSeconds",
                    json!(604_801),
                )
            }),
            invalid("runner.managed_spec.maintenance_policy.windows[0].duration_seconds"),
        ),
        (
            "cron of four fields",
            Box::new(|b| {
                set(
                    b,
                    "/runner/managedSpec/maintenancePolicy/windows/0/cron",
                    json!("0 4 * *"),
                )
            }),
            invalid("runner.managed_spec.maintenance_policy.windows[0].cron"),
        ),
        (
            "cron hour 24",
            Box::new(|b| {
                set(
                    b,
                    "/runner/managedSpec/maintenancePolicy/windows/0/cron",
                    json!("0 24 * * *"),
                )
            }),
            invalid("runner.managed_spec.maintenance_policy.windows[0].cron"),
        ),
        (
            "exclusion ends before it starts",
            Box::new(|b| {
                set(
                    b,
                    "/runner/managedSpec/maintenancePolicy/exclusions/0/endTime",
                    json!("2026-12-19T00:00:00Z"),
                )
            }),
            invalid("runner.managed_spec.maintenance_policy.exclusions[0].end_time"),
        ),
        (
            "exclusion without end",
            Box::new(|b| {
                remove(
                    b,
                    "/runner/managedSpec/maintenancePolicy/exclusions/0/endTime",
                )
            }),
            invalid("runner.managed_spec.maintenance_policy.exclusions[0].end_time"),
        ),
        (
            "exclusion start malformed",
            Box::new(|b| {
                set(
                    b,
                    "/runner/managedSpec/maintenancePolicy/exclusions/0/startTime",
                    json!("2026-12-40T00:00:00Z"),
                )
            }),
            invalid("runner.managed_spec.maintenance_policy.exclusions[0].start_time"),
        ),
        (
            "scaling min above max",
            Box::new(|b| {
                set(
                    b,
                    "/runner/managedSpec/overrides/scaling/minReplicas",
                    json!(4),
                )
            }),
            invalid("runner.managed_spec.overrides.scaling.min_replicas"),
        ),
        (
            "scaling negative",
            Box::new(|b| {
                set(
                    b,
                    "/runner/managedSpec/overrides/scaling/replicas",
                    json!(-1),
                )
            }),
            invalid("runner.managed_spec.overrides.scaling.replicas"),
        ),
        (
            "toleration operator",
            Box::new(|b| {
                set(
                    b,
                    "/runner/managedSpec/overrides/tolerations/0/operator",
                    json!("In"),
                )
            }),
            invalid("runner.managed_spec.overrides.tolerations[0].operator"),
        ),
        (
            "toleration effect",
            Box::new(|b| {
                set(
                    b,
                    "/runner/managedSpec/overrides/tolerations/0/effect",
                    json!("Evict"),
                )
            }),
            invalid("runner.managed_spec.overrides.tolerations[0].effect"),
        ),
        (
            "toleration Exists with value",
            Box::new(|b| {
                set(
                    b,
                    "/runner/managedSpec/overrides/tolerations/0/operator",
                    json!("Exists"),
                )
            }),
            invalid("runner.managed_spec.overrides.tolerations[0].value"),
        ),
        (
            "resource quantity",
            Box::new(|b| {
                set(
                    b,
                    "/runner/managedSpec/overrides/resources",
                    json!({"cpuLimit": "2 CPUs"}),
                )
            }),
            invalid("runner.managed_spec.overrides.resources.cpu_limit"),
        ),
        (
            "unknown release channel",
            Box::new(|b| {
                set(
                    b,
                    "/runner/managedSpec/releaseChannel",
                    json!("RELEASE_CHANNEL_BETA"),
                )
            }),
            invalid("runner.managed_spec.release_channel"),
        ),
        (
            "release channel number out of range",
            Box::new(|b| set(b, "/runner/managedSpec/releaseChannel", json!(9))),
            invalid("runner.managed_spec.release_channel"),
        ),
        (
            "output-only id",
            Box::new(|b| set(b, "/runner/id", json!("x"))),
            invalid_because("runner.id", "CWSANDBOX_OUTPUT_ONLY_FIELD"),
        ),
        (
            "output-only install status",
            Box::new(|b| {
                set(
                    b,
                    "/runner/installStatus",
                    json!("RUNNER_INSTALL_STATUS_READY"),
                )
            }),
            invalid_because("runner.install_status", "CWSANDBOX_OUTPUT_ONLY_FIELD"),
        ),
        (
            "output-only target revision",
            Box::new(|b| set(b, "/runner/targetRevision", json!(3))),
            invalid_because("runner.target_revision", "CWSANDBOX_OUTPUT_ONLY_FIELD"),
        ),
        (
            "output-only deployment spec",
            Box::new(|b| set(b, "/runner/deploymentSpec", json!({"image": "x"}))),
            invalid_because("runner.deployment_spec", "CWSANDBOX_OUTPUT_ONLY_FIELD"),
        ),
        (
            "identity a string",
            Box::new(|b| set(b, "/runner/identity", json!("lab"))),
            MALFORMED,
        ),
    ];
    let agents = profiles["agents-allowlist"].clone();
    cases.push((
        "template bound twice",
        Box::new(move |b| {
            set(
                b,
                "/runner/profileBindings/1/profileTemplateId",
                json!(agents),
            )
        }),
        invalid("runner.profile_bindings[1].profile_template_id"),
    ));
    let minimal = profiles["zone-defaults"].clone();
    cases.push((
        "enforced limits missing",
        Box::new(move |b| {
            set(b, "/runner/managedSpec/enforceResourceLimits", json!(true));
            set(
                b,
                "/runner/profileBindings/1/profileTemplateId",
                json!(minimal),
            );
        }),
        invalid("runner.profile_bindings[1].profile_template_id"),
    ));
    cases.push((
        "profile names collide",
        Box::new(|b| {
            set(b, "/runner/profileBindings/0/profileName", json!("shared"));
            set(b, "/runner/profileBindings/1/profileName", json!("shared"));
        }),
        invalid("runner.profile_bindings[1].profile_name"),
    ));

    for (name, mutate, expected) in &cases {
        let mut body = runner_body(&profiles);
        mutate(&mut body);
        let reply = client.rest("POST", RUNNERS, token, Some(&body)).await;
        check(name, &reply, expected);
    }

    let mut body = runner_body(&profiles);
    set(
        &mut body,
        "/runner/profileBindings/1/isDefault",
        json!(true),
    );
    let reply = client.rest("POST", RUNNERS, token, Some(&body)).await;
    assert_eq!(
        reply.json()["message"],
        "exactly one profile binding must be the default (found 2)"
    );
    assert_eq!(
        reply.violations()[0].1,
        "2 bindings have is_default set; exactly one is required"
    );

    let list = client.rest("GET", RUNNERS, token, None).await;
    assert_eq!(
        list.json(),
        json!({}),
        "no rejected create left a runner behind"
    );
}

#[tokio::test]
async fn conflicts_and_missing_resources() {
    let emulator = support::start_instant().await;
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token();
    let profiles = create_profile_fixtures(&client, token).await;

    let mut body = runner_body(&profiles);
    set(&mut body, "/runner/identity/zone", json!("us-east-04a"));
    let created = client.rest("POST", RUNNERS, token, Some(&body)).await;
    assert_eq!(
        created.status,
        200,
        "zones compare case-insensitively: {}",
        String::from_utf8_lossy(&created.body)
    );
    let uuid = created.json()["id"].as_str().expect("id").to_string();

    let again = client.rest("POST", RUNNERS, token, Some(&body)).await;
    again.assert_rest_error(409, 6, "CWSANDBOX_RUNNER_ALREADY_EXISTS");
    assert_eq!(again.error_info()["metadata"]["runner_id"], "lab-east");

    set(&mut body, "/runnerId", json!("lab-east-2"));
    let same_cluster = client.rest("POST", RUNNERS, token, Some(&body)).await;
    same_cluster.assert_rest_error(409, 6, "CWSANDBOX_CLUSTER_HAS_RUNNER");
    assert!(
        same_cluster.json()["message"]
            .as_str()
            .expect("message")
            .contains("lab-east")
    );

    let other = client.rest("POST", RUNNERS, "other-admin-token", Some(&json!({
        "runnerId": "theirs",
        "runner": {
            "identity": {"zone": "US-EAST-04A", "clusterId": "cl-east-04a"},
            "profileBindings": [{"profileTemplateId": profiles["agents-allowlist"], "isDefault": true}]
        }
    }))).await;
    check(
        "template of another organization",
        &other,
        &invalid_because(
            "runner.profile_bindings[0].profile_template_id",
            "CWSANDBOX_BOUND_PROFILE_NOT_FOUND",
        ),
    );

    for id in [uuid.as_str(), "lab-east", &uuid.to_uppercase()] {
        let reply = client
            .rest("GET", &format!("{RUNNERS}/{id}"), token, None)
            .await;
        assert_eq!(reply.status, 200, "get by {id}");
        assert_eq!(reply.json()["id"], uuid.as_str());
    }
    let missing = client
        .rest("GET", &format!("{RUNNERS}/lab-nowhere"), token, None)
        .await;
    missing.assert_rest_error(404, 5, "CWSANDBOX_RUNNER_NOT_FOUND");
    assert_eq!(
        missing.json()["message"],
        "runner \"lab-nowhere\" not found"
    );
    assert_eq!(missing.error_info()["metadata"]["runner_id"], "lab-nowhere");

    let in_use = client
        .rest(
            "DELETE",
            &format!("{TEMPLATES}/{}", profiles["train-a100"]),
            token,
            None,
        )
        .await;
    in_use.assert_rest_error(400, 9, "CWSANDBOX_PROFILE_IN_USE");
    assert!(
        in_use.json()["message"]
            .as_str()
            .expect("message")
            .contains("lab-east")
    );
    assert_eq!(in_use.error_info()["metadata"]["runner_ids"], "lab-east");

    let apply = client
        .rest(
            "POST",
            &format!("{RUNNERS}/lab-east/apply-update"),
            token,
            Some(&json!({})),
        )
        .await;
    apply.assert_rest_error(400, 9, "CWSANDBOX_NO_UPDATE_AVAILABLE");

    let unused = format!("{TEMPLATES}/{}", profiles["zone-defaults"]);
    assert_eq!(
        client.rest("DELETE", &unused, token, None).await.status,
        200
    );
    client
        .rest("DELETE", &unused, token, None)
        .await
        .assert_rest_error(404, 5, "CWSANDBOX_PROFILE_NOT_FOUND");
    client
        .rest("GET", &unused, token, None)
        .await
        .assert_rest_error(404, 5, "CWSANDBOX_PROFILE_NOT_FOUND");

    let delete = client
        .rest("DELETE", &format!("{RUNNERS}/lab-east"), token, None)
        .await;
    assert_eq!(delete.status, 200);
    assert_eq!(delete.json(), json!({}));
    for path in [format!("{RUNNERS}/lab-east"), format!("{RUNNERS}/{uuid}")] {
        client
            .rest("GET", &path, token, None)
            .await
            .assert_rest_error(404, 5, "CWSANDBOX_RUNNER_NOT_FOUND");
        client
            .rest("DELETE", &path, token, None)
            .await
            .assert_rest_error(404, 5, "CWSANDBOX_RUNNER_NOT_FOUND");
    }
    let freed = client
        .rest(
            "DELETE",
            &format!("{TEMPLATES}/{}", profiles["train-a100"]),
            token,
            None,
        )
        .await;
    assert_eq!(
        freed.status, 200,
        "a deleted runner no longer holds its templates"
    );
}
