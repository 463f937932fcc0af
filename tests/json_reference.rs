//! Differential tests of proto3 JSON against the reference implementation:
//! Python protobuf's `json_format`, run as a line filter
//! (`tests/peers/python/jsonref.py`, installed by `tests/peers/setup.sh`).
//!
//! For each message, our JSON must parse in the reference into the same
//! message (compared through the binary encoding), and the reference's JSON
//! must parse in ours into the same message.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

use base64::Engine as _;
use cwsandbox_control::rpc;
use cwsandbox_control::v1beta2::*;
use cwsandbox_control::wkt;
use proptest::prelude::*;
use prost::Message;
use serde_json::{Value, json};

/// The reference filter, started once and shared by every test of this file.
struct Reference {
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

static REFERENCE: Mutex<Option<Reference>> = Mutex::new(None);

fn start_reference() -> Reference {
    let root = env!("CARGO_MANIFEST_DIR");
    let python = format!("{root}/tests/peers/python/.venv/bin/python");
    let script = format!("{root}/tests/peers/python/jsonref.py");
    assert!(
        std::path::Path::new(&python).exists(),
        "{python} is missing: run `bash tests/peers/setup.sh` first"
    );
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("jsonref.py starts");
    let stdin = child.stdin.take().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    Reference {
        _child: child,
        stdin,
        stdout,
    }
}

/// Sends one request line to the reference and returns its answer line.
fn reference(request: Value) -> Value {
    let mut guard = REFERENCE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let reference = guard.get_or_insert_with(start_reference);
    writeln!(reference.stdin, "{request}").unwrap();
    reference.stdin.flush().unwrap();
    let mut line = String::new();
    reference.stdout.read_line(&mut line).unwrap();
    serde_json::from_str(&line)
        .unwrap_or_else(|error| panic!("bad reference line {line:?}: {error}"))
}

/// Asserts that both implementations agree on `message` in both directions.
fn assert_agrees<M>(type_name: &str, message: &M)
where
    M: Message
        + Default
        + PartialEq
        + std::fmt::Debug
        + serde::Serialize
        + serde::de::DeserializeOwned,
{
    let ours = serde_json::to_value(message).unwrap();
    let answer = reference(json!({"type": type_name, "json": ours}));
    assert_eq!(
        answer["ok"], true,
        "reference rejected our JSON {ours}: {answer}"
    );

    let binary = base64::engine::general_purpose::STANDARD
        .decode(answer["binary_b64"].as_str().unwrap())
        .unwrap();
    let theirs_decoded = M::decode(binary.as_slice()).unwrap();
    assert_eq!(
        &theirs_decoded, message,
        "reference read our JSON {ours} differently"
    );

    let their_json = answer["json"].clone();
    let parsed: M = serde_json::from_value(their_json.clone())
        .unwrap_or_else(|error| panic!("we reject the reference's JSON {their_json}: {error}"));
    assert_eq!(
        &parsed, message,
        "we read the reference's JSON {their_json} differently"
    );
    assert_eq!(ours, their_json, "the two JSON forms differ");
}

/// Asserts that the reference and we both accept or both reject `json`, and
/// read it into the same message when accepted.
fn assert_same_verdict<M>(type_name: &str, json: Value)
where
    M: Message + Default + PartialEq + std::fmt::Debug + serde::de::DeserializeOwned,
{
    let answer = reference(json!({"type": type_name, "json": json}));
    let ours = serde_json::from_value::<M>(json.clone());
    match (answer["ok"].as_bool(), ours) {
        (Some(true), Ok(message)) => {
            let binary = base64::engine::general_purpose::STANDARD
                .decode(answer["binary_b64"].as_str().unwrap())
                .unwrap();
            assert_eq!(M::decode(binary.as_slice()).unwrap(), message, "{json}");
        }
        (Some(false), Err(_)) => {}
        (_, ours) => panic!("verdicts differ on {json}: reference {answer}, ours {ours:?}"),
    }
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z0-9-]{1,20}",
        "\\PC{0,12}",
        Just("quote \" backslash \\ newline \n tab \t nul \u{0} emoji \u{1F980}".to_string()),
    ]
}

fn string_map() -> impl Strategy<Value = std::collections::HashMap<String, String>> {
    proptest::collection::hash_map("[a-zA-Z0-9_.-]{1,10}", text(), 0..4)
}

fn timestamp() -> impl Strategy<Value = wkt::Timestamp> {
    // 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
    (
        -62_135_596_800i64..=253_402_300_799,
        prop_oneof![Just(0), 0..1_000_000_000i32],
    )
        .prop_map(|(seconds, nanos)| wkt::Timestamp { seconds, nanos })
}

fn duration() -> impl Strategy<Value = wkt::Duration> {
    (-315_576_000_000i64..=315_576_000_000, 0..1_000_000_000i32).prop_map(|(seconds, nanos)| {
        let nanos = if seconds < 0 {
            -nanos
        } else if seconds == 0 {
            nanos.abs()
        } else {
            nanos
        };
        wkt::Duration { seconds, nanos }
    })
}

fn json_object_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(r#"{"strategy":"per-user","namespacePrefix":"t-"}"#.to_string()),
        Just(r#"{"egress":{"default":"open","modes":{"open":{"type":"internet"}}}}"#.to_string()),
    ]
}

fn profile_spec() -> impl Strategy<Value = ProfileSpec> {
    (
        (
            text(),
            text(),
            proptest::option::of(resources()),
            proptest::collection::vec(text(), 0..3),
        ),
        (string_map(), proptest::collection::vec(text(), 0..3)),
        (json_object_text(), json_object_text(), json_object_text()),
    )
        .prop_map(
            |((image, runtime, defaults, instances), (selector, tags), (ns, net, pod))| {
                ProfileSpec {
                    container_image: image,
                    runtime_class: runtime,
                    resource_defaults: defaults.map(|r| ResourceDefaults {
                        cpu_request: r.cpu_request,
                        memory_request: r.memory_request,
                        cpu_limit: r.cpu_limit,
                        memory_limit: r.memory_limit,
                    }),
                    instance_types: instances,
                    node_selector: selector,
                    tags,
                    namespace_config_json: ns,
                    network_config_json: net,
                    pod_template_json: pod,
                }
            },
        )
}

fn resources() -> impl Strategy<Value = RunnerResourceRequirements> {
    (text(), text(), text(), text()).prop_map(|(a, b, c, d)| RunnerResourceRequirements {
        cpu_request: a,
        memory_request: b,
        cpu_limit: c,
        memory_limit: d,
    })
}

fn profile_template() -> impl Strategy<Value = ProfileTemplate> {
    (
        (text(), text(), text(), text()),
        proptest::option::of(profile_spec()),
        string_map(),
        (
            proptest::option::of(timestamp()),
            proptest::option::of(timestamp()),
        ),
    )
        .prop_map(
            |((id, org, name, description), spec, labels, (created, updated))| ProfileTemplate {
                id,
                organization_id: org,
                display_name: name,
                description,
                spec,
                labels,
                created_at: created,
                updated_at: updated,
            },
        )
}

/// Enum numbers, known and unknown to the schema.
fn enum_number() -> impl Strategy<Value = i32> {
    prop_oneof![0..4i32, Just(99), Just(-1)]
}

fn runner() -> impl Strategy<Value = Runner> {
    (
        (text(), text(), text(), text(), text()),
        (enum_number(), enum_number(), enum_number(), enum_number()),
        (any::<i32>(), any::<i32>(), any::<bool>(), any::<bool>()),
        (
            proptest::option::of(timestamp()),
            proptest::option::of(duration()),
        ),
        proptest::collection::vec((text(), text(), any::<bool>()), 0..3),
        (
            string_map(),
            proptest::collection::vec(text(), 0..3),
            any::<i32>(),
            any::<i32>(),
        ),
    )
        .prop_map(|(names, enums, numbers, times, bindings, overrides)| {
            let (id, display_name, runner_id, zone, cluster) = names;
            let (channel, mode, install, connection) = enums;
            let (active, target, update, rollout) = numbers;
            let (heartbeat, window) = times;
            let (env, args, min, max) = overrides;
            Runner {
                id,
                display_name,
                identity: Some(RunnerIdentity {
                    runner_id,
                    zone,
                    cluster_name: cluster,
                    ..RunnerIdentity::default()
                }),
                management_mode: mode,
                managed_spec: Some(ManagedRunnerSpec {
                    release_channel: channel,
                    maintenance_policy: Some(MaintenancePolicy {
                        windows: vec![MaintenanceWindow {
                            cron: "30 3 * * SUN".to_string(),
                            duration_seconds: window.map_or(0, |d| d.nanos),
                        }],
                        exclusions: vec![MaintenanceExclusion {
                            start_time: heartbeat,
                            end_time: heartbeat,
                            reason: "freeze".to_string(),
                        }],
                    }),
                    overrides: Some(RunnerDeploymentOverrides {
                        env,
                        args,
                        scaling: Some(RunnerScaling {
                            replicas: 0,
                            autoscaling_enabled: true,
                            min_replicas: min,
                            max_replicas: max,
                        }),
                        ..RunnerDeploymentOverrides::default()
                    }),
                    allow_privileged_profile_annotations: update,
                    enforce_resource_limits: rollout,
                }),
                profile_bindings: bindings
                    .into_iter()
                    .map(|(id, name, default)| RunnerProfileBinding {
                        profile_template_id: id,
                        profile_name: name,
                        is_default: default,
                        overrides_json: String::new(),
                    })
                    .collect(),
                install_status: install,
                connection_status: connection,
                active_revision: active,
                target_revision: target,
                update_available: update,
                rollout_in_progress: rollout,
                last_heartbeat_at: heartbeat,
                ..Runner::default()
            }
        })
}

fn field_mask() -> impl Strategy<Value = wkt::FieldMask> {
    proptest::collection::vec(
        prop_oneof![
            Just("display_name"),
            Just("identity.zone"),
            Just("managed_spec.release_channel"),
            Just("managed_spec.maintenance_policy"),
            Just("profile_bindings"),
        ],
        0..4,
    )
    .prop_map(|paths| wkt::FieldMask {
        paths: paths.into_iter().map(String::from).collect(),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn profile_templates_agree(template in profile_template()) {
        assert_agrees("coreweave.sandbox.v1beta2.ProfileTemplate", &template);
    }

    #[test]
    fn runners_agree(runner in runner()) {
        assert_agrees("coreweave.sandbox.v1beta2.Runner", &runner);
    }

    #[test]
    fn update_requests_agree(runner in runner(), mask in proptest::option::of(field_mask())) {
        let request = UpdateManagedRunnerRequest { runner: Some(runner), update_mask: mask };
        assert_agrees("coreweave.sandbox.v1beta2.UpdateManagedRunnerRequest", &request);
    }

    #[test]
    fn retry_info_agrees(delay in duration()) {
        let info = rpc::RetryInfo { retry_delay: Some(delay) };
        assert_agrees("google.rpc.RetryInfo", &info);
    }

    #[test]
    fn timestamps_agree(at in timestamp()) {
        assert_agrees("google.protobuf.Timestamp", &at);
    }
}

#[test]
fn list_page_agrees() {
    let template = ProfileTemplate {
        id: "7d3c".to_string(),
        display_name: "train-a100".to_string(),
        spec: Some(ProfileSpec {
            tags: vec!["a".to_string()],
            ..ProfileSpec::default()
        }),
        ..ProfileTemplate::default()
    };
    let page = ListProfileTemplatesResponse {
        profile_templates: vec![template.clone(), template],
        next_page_token: "abc".to_string(),
    };
    assert_agrees(
        "coreweave.sandbox.v1beta2.ListProfileTemplatesResponse",
        &page,
    );
}

#[test]
fn status_with_known_any_agrees() {
    let info = rpc::ErrorInfo {
        reason: "CWSANDBOX_RUNNER_NOT_FOUND".to_string(),
        domain: "cwsandbox.com".to_string(),
        metadata: [("runner_id".to_string(), "lab-east".to_string())].into(),
    };
    let status = rpc::Status {
        code: 5,
        message: "runner \"lab-east\" not found".to_string(),
        details: vec![wkt::Any::pack(&info)],
    };
    assert_agrees("google.rpc.Status", &status);
}

#[test]
fn timestamp_inputs_agree() {
    for text in [
        "2026-12-04T10:00:00Z",
        "2026-12-04T10:00:00.123456789Z",
        "2026-12-04T10:00:00.1Z",
        "2026-12-04T10:00:00+05:30",
        "2026-12-04T10:00:00.5-08:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z",
        "10000-01-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-12-04 10:00:00Z",
        "2026-12-04T10:00:00",
        "2026-12-04T10:00:60Z",
        "2026-12-04T10:00:00.1234567891Z",
    ] {
        assert_same_verdict::<ProfileTemplate>(
            "coreweave.sandbox.v1beta2.ProfileTemplate",
            json!({ "createdAt": text }),
        );
    }
}

#[test]
fn duration_inputs_agree() {
    for text in [
        "1.5s",
        "-0.5s",
        "0s",
        "3s",
        "1.000000001s",
        "315576000000s",
        "315576000001s",
        "1.5",
        "s",
        "-s",
        "1.5ms",
    ] {
        assert_same_verdict::<rpc::RetryInfo>(
            "google.rpc.RetryInfo",
            json!({ "retryDelay": text }),
        );
    }
}

#[test]
fn field_mask_inputs_agree() {
    for text in [
        "",
        "displayName",
        "managedSpec.releaseChannel,profileBindings",
        "identity.runnerGroupId",
    ] {
        assert_same_verdict::<UpdateManagedRunnerRequest>(
            "coreweave.sandbox.v1beta2.UpdateManagedRunnerRequest",
            json!({ "updateMask": text }),
        );
    }
}

#[test]
fn enum_inputs_agree() {
    for value in [
        json!("RELEASE_CHANNEL_RAPID"),
        json!(2),
        json!(0),
        json!(null),
    ] {
        assert_same_verdict::<ManagedRunnerSpec>(
            "coreweave.sandbox.v1beta2.ManagedRunnerSpec",
            json!({ "releaseChannel": value }),
        );
    }
}

#[test]
fn null_and_empty_inputs_agree() {
    for value in [
        json!({"labels": null}),
        json!({"spec": null}),
        json!({"displayName": null}),
        json!({"labels": {}}),
        json!({"spec": {"tags": []}}),
        json!({"spec": {"tags": null}}),
    ] {
        assert_same_verdict::<ProfileTemplate>("coreweave.sandbox.v1beta2.ProfileTemplate", value);
    }
}
