//! List pages with every field set, shared by the benchmarks.
//!
//! The templates carry the same values as the seed templates of the Node peer
//! server (`tests/peers/node/seed.mjs`), so the codec benchmarks and the
//! end-to-end runs against that server measure the same payload.

use std::collections::HashMap;

use cwsandbox_control::v1beta2::{
    ListManagedRunnersResponse, ListProfileTemplatesResponse, MaintenanceExclusion,
    MaintenancePolicy, MaintenanceWindow, ManagedRunnerSpec, ManagementMode, ProfileSpec,
    ProfileTemplate, ReleaseChannel, ResourceDefaults, Runner, RunnerConnectionStatus,
    RunnerDeploymentOverrides, RunnerDeploymentSpec, RunnerIdentity, RunnerInstallError,
    RunnerInstallErrorReason, RunnerInstallStatus, RunnerProfileBinding,
    RunnerResourceRequirements, RunnerScaling, Toleration,
};
use cwsandbox_control::wkt::Timestamp;

/// Items on each benchmarked page: the maximum page size of the API.
pub(crate) const PAGE_ITEMS: usize = 100;

/// 2024-05-01T12:30:00.250Z.
const CREATED: Timestamp = Timestamp {
    seconds: 1_714_566_600,
    nanos: 250_000_000,
};

fn string_map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_string(), (*value).to_string()))
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_string()).collect()
}

/// Returns a deterministic UUID-shaped id for item `index` of kind `kind`.
fn item_id(kind: u32, index: usize) -> String {
    format!("{kind:08x}-0000-4000-8000-{index:012x}")
}

/// Returns template `index` with every field of the template and its spec set.
pub(crate) fn full_template(index: usize) -> ProfileTemplate {
    ProfileTemplate {
        id: item_id(0, index),
        organization_id: "org-bench".to_string(),
        display_name: format!("seed-{index:05}"),
        description: format!("Seed template {index} for benchmarks"),
        spec: Some(ProfileSpec {
            container_image: "registry.example.com/ml/train:2.4".to_string(),
            runtime_class: "kata-qemu".to_string(),
            resource_defaults: Some(ResourceDefaults {
                cpu_request: "500m".to_string(),
                memory_request: "1Gi".to_string(),
                cpu_limit: "2".to_string(),
                memory_limit: "4Gi".to_string(),
            }),
            instance_types: strings(&["gd-8xh100ib-i128", "cd-gp-a192-genoa"]),
            node_selector: string_map(&[
                ("node.coreweave.cloud/class", "cpu"),
                ("topology.kubernetes.io/zone", "us-east-04a"),
            ]),
            tags: strings(&["seed", "benchmark"]),
            namespace_config_json: r#"{"strategy":"per-user","namespacePrefix":"sbx-"}"#
                .to_string(),
            network_config_json: r#"{"egress":{"default":"restricted","modes":{"restricted":{"type":"allowlist","cidrs":["10.0.0.0/8"]},"open":{"type":"internet"}}}}"#
                .to_string(),
            pod_template_json: r#"{"tolerations":[{"key":"is_cpu_compute","operator":"Exists","effect":"NoSchedule"}],"annotations":{"example.com/team":"ml"}}"#
                .to_string(),
        }),
        labels: string_map(&[
            ("team", "ml"),
            ("tier", "bench"),
            ("index", &index.to_string()),
        ]),
        created_at: Some(CREATED),
        updated_at: Some(CREATED),
    }
}

/// Returns a ListProfileTemplatesResponse of [`PAGE_ITEMS`] full templates.
pub(crate) fn template_page() -> ListProfileTemplatesResponse {
    ListProfileTemplatesResponse {
        profile_templates: (0..PAGE_ITEMS).map(full_template).collect(),
        next_page_token: "eyJvZmZzZXQiOjEwMH0".to_string(),
    }
}

fn tolerations() -> Vec<Toleration> {
    vec![Toleration {
        key: "is_cpu_compute".to_string(),
        operator: "Exists".to_string(),
        value: String::new(),
        effect: "NoSchedule".to_string(),
    }]
}

fn resources() -> RunnerResourceRequirements {
    RunnerResourceRequirements {
        cpu_request: "250m".to_string(),
        memory_request: "512Mi".to_string(),
        cpu_limit: "1".to_string(),
        memory_limit: "1Gi".to_string(),
    }
}

fn scaling() -> RunnerScaling {
    RunnerScaling {
        replicas: 2,
        autoscaling_enabled: true,
        min_replicas: 1,
        max_replicas: 4,
    }
}

/// Returns runner `index` with every field set, the nested messages included.
pub(crate) fn full_runner(index: usize) -> Runner {
    let node_selector = string_map(&[("node.coreweave.cloud/class", "cpu")]);
    let annotations = string_map(&[("example.com/team", "ml")]);
    let labels = string_map(&[("app", "sandbox-runner"), ("tier", "bench")]);
    let env = string_map(&[("LOG_LEVEL", "info"), ("RUNNER_MODE", "managed")]);
    Runner {
        id: item_id(1, index),
        display_name: format!("runner-{index:05}"),
        identity: Some(RunnerIdentity {
            runner_id: format!("runner-{index:05}"),
            zone: "US-EAST-04A".to_string(),
            cluster_id: format!("cluster-{index:05}"),
            cluster_name: "cks-east-04a".to_string(),
            runner_group_id: "group-a".to_string(),
        }),
        management_mode: ManagementMode::Managed as i32,
        managed_spec: Some(ManagedRunnerSpec {
            release_channel: ReleaseChannel::Stable as i32,
            maintenance_policy: Some(MaintenancePolicy {
                windows: vec![MaintenanceWindow {
                    cron: "0 3 * * SUN".to_string(),
                    duration_seconds: 7200,
                }],
                exclusions: vec![MaintenanceExclusion {
                    start_time: Some(CREATED),
                    end_time: Some(Timestamp {
                        seconds: CREATED.seconds + 86_400,
                        nanos: 0,
                    }),
                    reason: "quarter-end freeze".to_string(),
                }],
            }),
            overrides: Some(RunnerDeploymentOverrides {
                node_selector: node_selector.clone(),
                tolerations: tolerations(),
                resources: Some(resources()),
                annotations: annotations.clone(),
                labels: labels.clone(),
                env: env.clone(),
                args: strings(&["--metrics-port=9090"]),
                scaling: Some(scaling()),
                cpu_runtime_class: "kata-qemu".to_string(),
                gpu_runtime_class: "nvidia".to_string(),
            }),
            allow_privileged_profile_annotations: true,
            enforce_resource_limits: true,
        }),
        profile_bindings: vec![
            RunnerProfileBinding {
                profile_template_id: item_id(0, index),
                profile_name: "default".to_string(),
                is_default: true,
                overrides_json: r#"{"resourceDefaults":{"cpuLimit":"4"}}"#.to_string(),
            },
            RunnerProfileBinding {
                profile_template_id: item_id(0, index + 1),
                profile_name: "gpu".to_string(),
                is_default: false,
                overrides_json: String::new(),
            },
        ],
        install_status: RunnerInstallStatus::Ready as i32,
        install_error: Some(RunnerInstallError {
            reason: RunnerInstallErrorReason::ImagePullFailed as i32,
            message: "image pull failed once before the retry succeeded".to_string(),
            diagnostic_detail: "ErrImagePull: registry returned 503".to_string(),
            remediation_hints: strings(&["check the registry credentials"]),
            occurred_at: Some(CREATED),
        }),
        connection_status: RunnerConnectionStatus::Connected as i32,
        active_config_version: "cfg-42".to_string(),
        active_profile_spec_version: "spec-17".to_string(),
        active_revision: 7,
        target_revision: 8,
        update_available: true,
        rollout_in_progress: false,
        deployment_spec: Some(RunnerDeploymentSpec {
            image: "registry.example.com/sandbox/runner:1.9.3".to_string(),
            env,
            args: strings(&["--metrics-port=9090"]),
            resources: Some(resources()),
            node_selector,
            tolerations: tolerations(),
            scaling: Some(scaling()),
            annotations,
            labels,
            service_account: "sandbox-runner".to_string(),
            image_pull_policy: "IfNotPresent".to_string(),
            gateway_server: "gateway.example.com:443".to_string(),
            cpu_runtime_class: "kata-qemu".to_string(),
            gpu_runtime_class: "nvidia".to_string(),
            init_resources: Some(resources()),
        }),
        created_at: Some(CREATED),
        updated_at: Some(CREATED),
        last_heartbeat_at: Some(CREATED),
        organization_id: "org-bench".to_string(),
    }
}

/// Returns a ListManagedRunnersResponse of [`PAGE_ITEMS`] full runners.
pub(crate) fn runner_page() -> ListManagedRunnersResponse {
    ListManagedRunnersResponse {
        runners: (0..PAGE_ITEMS).map(full_runner).collect(),
        next_page_token: "eyJvZmZzZXQiOjEwMH0".to_string(),
    }
}
