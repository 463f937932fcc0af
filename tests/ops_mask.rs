//! Update mask tests: applying a computed mask to the old resource yields the
//! new one on every mutable field, the mask only names accepted paths, and a
//! rejected path gets the error kind and message of its field.

// Helpers outside #[test] functions unwrap too: a panic is how a test fails.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use cwsandbox_control::ops::{
    MaskErrorKind, PROFILE_TEMPLATE_MASK_PATHS, RUNNER_MASK_PATHS, apply_profile_template_mask,
    apply_runner_mask, profile_template_mask, runner_mask, validate_profile_template_mask,
    validate_runner_mask,
};
use cwsandbox_control::v1beta2::{
    MaintenancePolicy, MaintenanceWindow, ManagedRunnerSpec, PROFILE_TEMPLATE_FIELD_PATHS,
    ProfileSpec, ProfileTemplate, RUNNER_FIELD_PATHS, ResourceDefaults, Runner,
    RunnerDeploymentOverrides, RunnerIdentity, RunnerProfileBinding, RunnerScaling,
};
use cwsandbox_control::wkt::FieldMask;
use proptest::collection::{hash_map, vec};
use proptest::option;
use proptest::prelude::*;

fn word() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-c]{1,2}"]
}

fn labels() -> impl Strategy<Value = HashMap<String, String>> {
    hash_map("[a-b]", "[x-y]", 0..3)
}

fn identity() -> impl Strategy<Value = RunnerIdentity> {
    (word(), word(), word(), word()).prop_map(|(runner_id, zone, cluster_name, group)| {
        RunnerIdentity {
            runner_id,
            zone,
            cluster_name,
            runner_group_id: group,
            ..Default::default()
        }
    })
}

fn maintenance_policy() -> impl Strategy<Value = MaintenancePolicy> {
    vec((word(), 0..3i32), 0..2).prop_map(|windows| MaintenancePolicy {
        windows: windows
            .into_iter()
            .map(|(cron, duration_seconds)| MaintenanceWindow {
                cron,
                duration_seconds,
            })
            .collect(),
        exclusions: Vec::new(),
    })
}

fn overrides() -> impl Strategy<Value = RunnerDeploymentOverrides> {
    (labels(), vec(word(), 0..2), option::of(0..3i32)).prop_map(|(env, args, replicas)| {
        RunnerDeploymentOverrides {
            env,
            args,
            scaling: replicas.map(|replicas| RunnerScaling {
                replicas,
                ..Default::default()
            }),
            ..Default::default()
        }
    })
}

fn managed_spec() -> impl Strategy<Value = ManagedRunnerSpec> {
    (
        0..3i32,
        option::of(maintenance_policy()),
        option::of(overrides()),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(release_channel, maintenance_policy, overrides, privileged, enforce)| {
                ManagedRunnerSpec {
                    release_channel,
                    maintenance_policy,
                    overrides,
                    allow_privileged_profile_annotations: privileged,
                    enforce_resource_limits: enforce,
                }
            },
        )
}

fn bindings() -> impl Strategy<Value = Vec<RunnerProfileBinding>> {
    vec((word(), word(), any::<bool>()), 0..3).prop_map(|items| {
        items
            .into_iter()
            .map(|(id, name, is_default)| RunnerProfileBinding {
                profile_template_id: id,
                profile_name: name,
                is_default,
                ..Default::default()
            })
            .collect()
    })
}

fn runner() -> impl Strategy<Value = Runner> {
    (
        word(),
        word(),
        option::of(identity()),
        option::of(managed_spec()),
        bindings(),
        0..6i32,
    )
        .prop_map(
            |(id, display_name, identity, managed_spec, profile_bindings, install_status)| Runner {
                id,
                display_name,
                identity,
                managed_spec,
                profile_bindings,
                install_status,
                ..Default::default()
            },
        )
}

/// Returns the mutable fields of a runner, reading absent messages as their defaults.
fn mutable_view(
    runner: &Runner,
) -> (
    String,
    String,
    String,
    ManagedRunnerSpec,
    Vec<RunnerProfileBinding>,
) {
    let identity = runner.identity.clone().unwrap_or_default();
    (
        runner.display_name.clone(),
        identity.zone,
        identity.runner_group_id,
        runner.managed_spec.clone().unwrap_or_default(),
        runner.profile_bindings.clone(),
    )
}

fn template() -> impl Strategy<Value = ProfileTemplate> {
    let spec = (word(), option::of(word())).prop_map(|(runtime_class, cpu)| ProfileSpec {
        runtime_class,
        resource_defaults: cpu.map(|cpu_limit| ResourceDefaults {
            cpu_limit,
            ..Default::default()
        }),
        ..Default::default()
    });
    (word(), word(), option::of(spec), labels()).prop_map(
        |(display_name, description, spec, labels)| ProfileTemplate {
            display_name,
            description,
            spec,
            labels,
            ..Default::default()
        },
    )
}

proptest! {
    #[test]
    fn runner_mask_turns_old_into_new(old in runner(), new in runner()) {
        let mask = runner_mask(&old, &new);
        prop_assert!(validate_runner_mask(&mask).is_ok());

        let mut updated = old.clone();
        apply_runner_mask(&mut updated, &new, &mask).unwrap();
        prop_assert_eq!(mutable_view(&updated), mutable_view(&new));
        prop_assert_eq!(&updated.id, &old.id);
        prop_assert_eq!(updated.install_status, old.install_status);
    }

    #[test]
    fn runner_mask_of_self_is_empty(runner in runner()) {
        prop_assert!(runner_mask(&runner, &runner).paths.is_empty());
    }

    #[test]
    fn template_mask_turns_old_into_new(old in template(), new in template()) {
        let mask = profile_template_mask(&old, &new);
        prop_assert!(validate_profile_template_mask(&mask).is_ok());

        let mut updated = old.clone();
        apply_profile_template_mask(&mut updated, &new, &mask).unwrap();
        prop_assert_eq!(&updated.description, &new.description);
        // A cleared spec is stored as the empty spec, because the field is required.
        prop_assert_eq!(
            updated.spec.clone().unwrap_or_default(),
            new.spec.clone().unwrap_or_default()
        );
        prop_assert_eq!(&updated.labels, &new.labels);
        prop_assert_eq!(&updated.display_name, &old.display_name);
    }
}

fn runner_mask_error(path: &str) -> (MaskErrorKind, String) {
    let mask = FieldMask {
        paths: vec![path.to_string()],
    };
    let error = validate_runner_mask(&mask).unwrap_err();
    assert_eq!(error.path(), path);
    assert_eq!(error.allowed(), RUNNER_MASK_PATHS);
    (error.kind(), error.to_string())
}

#[test]
fn runner_mask_errors_by_kind() {
    let cases = [
        (
            "identity.nope",
            MaskErrorKind::UnknownField,
            "no such field exists in Runner",
        ),
        (
            "colour",
            MaskErrorKind::UnknownField,
            "no such field exists in Runner",
        ),
        ("id", MaskErrorKind::OutputOnly, "the field is output only"),
        (
            "install_status",
            MaskErrorKind::OutputOnly,
            "the field is output only",
        ),
        (
            "deployment_spec.image",
            MaskErrorKind::OutputOnly,
            "part of `deployment_spec`, which is output only",
        ),
        (
            "identity.runner_id",
            MaskErrorKind::Immutable,
            "the field is immutable",
        ),
        (
            "identity.clusterName",
            MaskErrorKind::Immutable,
            "the field is immutable",
        ),
        (
            "identity",
            MaskErrorKind::NotUpdatable,
            "name its updatable sub-paths instead",
        ),
        (
            "managed_spec.enforce_resource_limits",
            MaskErrorKind::NotUpdatable,
            "only as part of `managed_spec`",
        ),
        (
            "managed_spec.overrides.env",
            MaskErrorKind::NotUpdatable,
            "only as part of `managed_spec.overrides`",
        ),
    ];
    for (path, kind, fragment) in cases {
        let (actual_kind, message) = runner_mask_error(path);
        assert_eq!(actual_kind, kind, "{path}: {message}");
        assert!(message.contains(fragment), "{path}: {message}");
        assert!(
            message.contains("the updatable paths are display_name, identity.zone"),
            "{path}: {message}"
        );
    }
}

#[test]
fn mask_path_below_leaf_is_unknown() {
    let mask = FieldMask {
        paths: vec!["labels.team".to_string()],
    };
    let error = validate_profile_template_mask(&mask).unwrap_err();
    assert_eq!(error.kind(), MaskErrorKind::UnknownField);
    let message = error.to_string();
    assert!(message.contains("`labels` is a map field"), "{message}");

    let (kind, message) = runner_mask_error("display_name.length");
    assert_eq!(kind, MaskErrorKind::UnknownField);
    assert!(
        message.contains("a path cannot go below `display_name`"),
        "{message}"
    );

    let (kind, message) = runner_mask_error("");
    assert_eq!(kind, MaskErrorKind::UnknownField);
    assert!(message.contains("the path is empty"), "{message}");

    let mask = FieldMask {
        paths: vec!["profile_bindings.is_default".to_string()],
    };
    let message = validate_runner_mask(&mask).unwrap_err().to_string();
    assert!(
        message.contains("`profile_bindings` is a repeated field"),
        "{message}"
    );
}

#[test]
fn mask_accepts_camel_case_paths() {
    let mask = FieldMask {
        paths: vec![
            "managedSpec.releaseChannel".to_string(),
            "displayName".to_string(),
        ],
    };
    assert!(validate_runner_mask(&mask).is_ok());
    let old = Runner::default();
    let new = Runner {
        display_name: "west".to_string(),
        ..Default::default()
    };
    let mut updated = old.clone();
    apply_runner_mask(&mut updated, &new, &mask).unwrap();
    assert_eq!(updated.display_name, "west");
}

/// Every accepted path exists in the generated table and is neither output
/// only nor immutable there.
#[test]
fn accepted_paths_are_mutable_fields() {
    let tables = [
        (RUNNER_MASK_PATHS, RUNNER_FIELD_PATHS),
        (PROFILE_TEMPLATE_MASK_PATHS, PROFILE_TEMPLATE_FIELD_PATHS),
    ];
    for (accepted, table) in tables {
        for path in accepted {
            let info = table.iter().find(|info| info.path == *path);
            let info = info.unwrap_or_else(|| panic!("{path} is not in the field table"));
            assert!(!info.output_only, "{path}");
            assert!(!info.immutable, "{path}");
        }
    }
}
