//! Differential property tests of update masks. For random stored resources,
//! requests and masks, the library's `ops::apply_*_mask` and the emulator's
//! Update handlers change the resource the same way. `ops::validate_*_mask`
//! accepts exactly the masks the emulator accepts, and both give the same
//! message for the first rejected path.
//!
//! The masks draw from every generated field path, in snake_case and
//! lowerCamelCase, and from malformed paths.

use std::collections::HashMap;

use proptest::collection::{hash_map, vec};
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

use super::error::ApiError;
use super::mask::{apply_runner, apply_template, runner_paths, template_paths};
use crate::ops::{
    FieldPathInfo, MaskError, apply_profile_template_mask, apply_runner_mask,
    validate_profile_template_mask, validate_runner_mask,
};
use crate::v1beta2::{
    MaintenancePolicy, MaintenanceWindow, ManagedRunnerSpec, PROFILE_TEMPLATE_FIELD_PATHS,
    ProfileSpec, ProfileTemplate, RUNNER_FIELD_PATHS, ResourceDefaults, Runner,
    RunnerDeploymentOverrides, RunnerIdentity, RunnerProfileBinding,
};
use crate::wkt::FieldMask;

/// Paths that name no field, or name one in a form that no mask accepts.
const MALFORMED_PATHS: &[&str] = &[
    "",
    "nope",
    "identity.nope",
    "labels.team",
    "profile_bindings.is_default",
    "display_name.length",
    "spec.resource_defaults.cpu_limit",
    "managed_spec.",
    ".display_name",
    "managed_spec..release_channel",
    " display_name",
    "Display_name",
    "IDENTITY.zone",
];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-c]{1,2}"]
}

fn labels() -> impl Strategy<Value = HashMap<String, String>> {
    hash_map("[a-b]", "[x-y]", 0..3)
}

fn identity() -> impl Strategy<Value = RunnerIdentity> {
    (word(), word(), word(), word()).prop_map(|(runner_id, zone, cluster_id, group)| {
        RunnerIdentity {
            runner_id,
            zone,
            cluster_id,
            runner_group_id: group,
            ..Default::default()
        }
    })
}

fn managed_spec() -> impl Strategy<Value = ManagedRunnerSpec> {
    let policy = vec(word(), 0..2).prop_map(|crons| MaintenancePolicy {
        windows: crons
            .into_iter()
            .map(|cron| MaintenanceWindow {
                cron,
                duration_seconds: 60,
            })
            .collect(),
        exclusions: Vec::new(),
    });
    let overrides = labels().prop_map(|env| RunnerDeploymentOverrides {
        env,
        ..Default::default()
    });
    (
        0..3i32,
        option::of(policy),
        option::of(overrides),
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

fn runner() -> impl Strategy<Value = Runner> {
    let bindings = vec((word(), any::<bool>()), 0..3).prop_map(|items| {
        items
            .into_iter()
            .map(|(profile_template_id, is_default)| RunnerProfileBinding {
                profile_template_id,
                is_default,
                ..Default::default()
            })
            .collect()
    });
    (
        word(),
        word(),
        option::of(identity()),
        option::of(managed_spec()),
        bindings,
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

fn template() -> impl Strategy<Value = ProfileTemplate> {
    let spec = (word(), option::of(word())).prop_map(|(runtime_class, cpu)| ProfileSpec {
        runtime_class,
        resource_defaults: cpu.map(|cpu_limit| ResourceDefaults {
            cpu_limit,
            ..Default::default()
        }),
        ..Default::default()
    });
    (word(), word(), word(), option::of(spec), labels()).prop_map(
        |(id, display_name, description, spec, labels)| ProfileTemplate {
            id,
            display_name,
            description,
            spec,
            labels,
            ..Default::default()
        },
    )
}

/// Converts a snake_case path to the lowerCamelCase spelling of proto3 JSON.
fn to_camel_case(path: &str) -> String {
    let mut camel = String::with_capacity(path.len());
    let mut upper = false;
    for character in path.chars() {
        if character == '_' {
            upper = true;
        } else if upper {
            camel.push(character.to_ascii_uppercase());
            upper = false;
        } else {
            camel.push(character);
        }
    }
    camel
}

/// Generates a mask of up to three paths from `table` and
/// [`MALFORMED_PATHS`], or no mask at all.
fn mask(table: &'static [FieldPathInfo]) -> impl Strategy<Value = Option<FieldMask>> {
    let known: Vec<&'static str> = table.iter().map(|info| info.path).collect();
    let camel: Vec<String> = known.iter().map(|path| to_camel_case(path)).collect();
    let path = prop_oneof![
        4 => select(known).prop_map(str::to_string),
        2 => select(camel),
        1 => select(MALFORMED_PATHS).prop_map(str::to_string),
    ];
    option::weighted(0.9, vec(path, 0..4).prop_map(|paths| FieldMask { paths }))
}

/// Checks that the emulator and the library reject the same mask with the
/// same message for the first rejected path.
fn same_rejection(emulator: &ApiError, library: &MaskError) -> Result<(), TestCaseError> {
    let Some(first) = emulator.violations.first() else {
        return Err(TestCaseError::fail("the emulator error has no violation"));
    };
    prop_assert_eq!(&first.field, "update_mask");
    prop_assert_eq!(&first.description, &library.to_string());
    Ok(())
}

proptest! {
    #[test]
    fn runner_apply_matches_emulator(
        stored in runner(),
        request in runner(),
        mask in mask(RUNNER_FIELD_PATHS),
    ) {
        let library_mask = mask.clone().unwrap_or_default();
        let emulator_paths = runner_paths(mask.as_ref());
        let validated = validate_runner_mask(&library_mask);
        prop_assert_eq!(emulator_paths.is_ok(), validated.is_ok(), "mask {:?}", mask);

        let mut library = stored.clone();
        let applied = apply_runner_mask(&mut library, &request, &library_mask);
        match (emulator_paths, applied) {
            (Ok(paths), Ok(())) => {
                let mut emulator = stored.clone();
                apply_runner(&mut emulator, &request, paths.as_deref());
                prop_assert_eq!(library, emulator);
            }
            (Err(emulator_error), Err(library_error)) => {
                same_rejection(&emulator_error, &library_error)?;
                prop_assert_eq!(library, stored, "a rejected mask changed the runner");
            }
            (emulator, library) => {
                prop_assert!(false, "emulator {emulator:?}, library {library:?}");
            }
        }
    }

    #[test]
    fn template_apply_matches_emulator(
        stored in template(),
        request in template(),
        mask in mask(PROFILE_TEMPLATE_FIELD_PATHS),
    ) {
        let library_mask = mask.clone().unwrap_or_default();
        let emulator_paths = template_paths(mask.as_ref());
        let validated = validate_profile_template_mask(&library_mask);
        prop_assert_eq!(emulator_paths.is_ok(), validated.is_ok(), "mask {:?}", mask);

        let mut library = stored.clone();
        let applied = apply_profile_template_mask(&mut library, &request, &library_mask);
        match (emulator_paths, applied) {
            (Ok(paths), Ok(())) => {
                let mut emulator = stored.clone();
                apply_template(&mut emulator, &request, paths.as_deref());
                prop_assert_eq!(library, emulator);
            }
            (Err(emulator_error), Err(library_error)) => {
                same_rejection(&emulator_error, &library_error)?;
                prop_assert_eq!(library, stored, "a rejected mask changed the template");
            }
            (emulator, library) => {
                prop_assert!(false, "emulator {emulator:?}, library {library:?}");
            }
        }
    }
}
