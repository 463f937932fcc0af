//! Update masks: which paths an update may name and how each path changes
//! the stored resource.
//!
//! Paths are accepted in proto (snake_case) and JSON (lowerCamelCase)
//! spelling. A listed path whose value is empty clears the field; message
//! paths replace the whole value. Without a mask (or with an empty one) every
//! non-empty mutable field of the request applies.

use super::error::{ApiError, Violation, reason};
use crate::v1beta2::{ManagedRunnerSpec, ProfileTemplate, Runner, RunnerIdentity};
use crate::wkt::FieldMask;

/// A mutable path of `Runner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunnerPath {
    DisplayName,
    Zone,
    RunnerGroupId,
    ManagedSpec,
    ReleaseChannel,
    MaintenancePolicy,
    Overrides,
    ProfileBindings,
}

const RUNNER_PATHS: [(&str, RunnerPath); 8] = [
    ("display_name", RunnerPath::DisplayName),
    ("identity.zone", RunnerPath::Zone),
    ("identity.runner_group_id", RunnerPath::RunnerGroupId),
    ("managed_spec", RunnerPath::ManagedSpec),
    ("managed_spec.release_channel", RunnerPath::ReleaseChannel),
    (
        "managed_spec.maintenance_policy",
        RunnerPath::MaintenancePolicy,
    ),
    ("managed_spec.overrides", RunnerPath::Overrides),
    ("profile_bindings", RunnerPath::ProfileBindings),
];

/// Runner paths that exist but may not be updated, with the reason.
const RUNNER_FIXED_PATHS: [(&str, &str); 22] = [
    ("id", "is output only"),
    ("organization_id", "is output only"),
    (
        "identity",
        "names immutable fields; use identity.zone or identity.runner_group_id",
    ),
    ("identity.runner_id", "is immutable"),
    ("identity.cluster_id", "is immutable"),
    ("identity.cluster_name", "is immutable"),
    ("management_mode", "is output only"),
    ("install_status", "is output only"),
    ("install_error", "is output only"),
    ("connection_status", "is output only"),
    ("active_config_version", "is output only"),
    ("active_profile_spec_version", "is output only"),
    ("active_revision", "is output only"),
    ("target_revision", "is output only"),
    ("update_available", "is output only"),
    ("rollout_in_progress", "is output only"),
    ("deployment_spec", "is output only"),
    ("created_at", "is output only"),
    ("updated_at", "is output only"),
    ("last_heartbeat_at", "is output only"),
    (
        "managed_spec.allow_privileged_profile_annotations",
        "cannot be named alone; use the parent path managed_spec",
    ),
    (
        "managed_spec.enforce_resource_limits",
        "cannot be named alone; use the parent path managed_spec",
    ),
];

/// A mutable path of `ProfileTemplate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TemplatePath {
    Description,
    Spec,
    Labels,
}

const TEMPLATE_PATHS: [(&str, TemplatePath); 3] = [
    ("description", TemplatePath::Description),
    ("spec", TemplatePath::Spec),
    ("labels", TemplatePath::Labels),
];

const TEMPLATE_FIXED_PATHS: [(&str, &str); 5] = [
    ("id", "is output only"),
    ("organization_id", "is output only"),
    (
        "display_name",
        "is immutable; create a new template to change it",
    ),
    ("created_at", "is output only"),
    ("updated_at", "is output only"),
];

/// Converts a lowerCamelCase path to snake_case; snake_case paths pass unchanged.
pub(crate) fn to_snake_case(path: &str) -> String {
    let mut snake = String::with_capacity(path.len() + 4);
    for character in path.chars() {
        if character.is_ascii_uppercase() {
            snake.push('_');
            snake.push(character.to_ascii_lowercase());
        } else {
            snake.push(character);
        }
    }
    snake
}

/// Resolves the paths of a mask against a table; `Ok(None)` means no mask.
fn resolve<P: Copy>(
    mask: Option<&FieldMask>,
    mutable: &[(&str, P)],
    fixed: &[(&str, &str)],
    sub_message_parent: &[&str],
) -> Result<Option<Vec<P>>, ApiError> {
    let Some(mask) = mask.filter(|mask| !mask.paths.is_empty()) else {
        return Ok(None);
    };
    let names: Vec<&str> = mutable.iter().map(|(name, _)| *name).collect();
    let mut paths = Vec::new();
    let mut violations = Vec::new();
    for raw in &mask.paths {
        let path = to_snake_case(raw.trim());
        if let Some((_, resolved)) = mutable.iter().find(|(name, _)| *name == path) {
            paths.push(*resolved);
            continue;
        }
        let description = if let Some((_, why)) = fixed.iter().find(|(name, _)| *name == path) {
            format!("path {raw:?} {why}; mutable paths: {}", names.join(", "))
        } else if let Some(parent) = sub_message_parent
            .iter()
            .find(|parent| path.starts_with(&format!("{parent}.")))
        {
            format!(
                "path {raw:?} names part of {parent}, which is replaced as a whole; use {parent}"
            )
        } else {
            format!("unknown path {raw:?}; mutable paths: {}", names.join(", "))
        };
        violations.push(
            Violation::new("update_mask", description).with_reason(reason::INVALID_UPDATE_MASK),
        );
    }
    if violations.is_empty() {
        Ok(Some(paths))
    } else {
        Err(ApiError::invalid(violations))
    }
}

/// Resolves an update mask of `UpdateManagedRunner`.
pub(crate) fn runner_paths(mask: Option<&FieldMask>) -> Result<Option<Vec<RunnerPath>>, ApiError> {
    resolve(
        mask,
        &RUNNER_PATHS,
        &RUNNER_FIXED_PATHS,
        &[
            "managed_spec.maintenance_policy",
            "managed_spec.overrides",
            "profile_bindings",
        ],
    )
}

/// Resolves an update mask of `UpdateProfileTemplate`.
pub(crate) fn template_paths(
    mask: Option<&FieldMask>,
) -> Result<Option<Vec<TemplatePath>>, ApiError> {
    resolve(
        mask,
        &TEMPLATE_PATHS,
        &TEMPLATE_FIXED_PATHS,
        &["spec", "labels"],
    )
}

/// Applies an update request to a stored runner.
pub(crate) fn apply_runner(stored: &mut Runner, request: &Runner, paths: Option<&[RunnerPath]>) {
    let request_identity = request.identity.clone().unwrap_or_default();
    let request_spec = request.managed_spec.clone();
    let identity = stored.identity.get_or_insert_with(RunnerIdentity::default);
    let Some(paths) = paths else {
        if !request.display_name.is_empty() {
            stored.display_name.clone_from(&request.display_name);
        }
        if !request_identity.zone.is_empty() {
            identity.zone = request_identity.zone;
        }
        if !request_identity.runner_group_id.is_empty() {
            identity.runner_group_id = request_identity.runner_group_id;
        }
        if let Some(request_spec) = request_spec {
            let spec = stored
                .managed_spec
                .get_or_insert_with(ManagedRunnerSpec::default);
            if request_spec.release_channel != 0 {
                spec.release_channel = request_spec.release_channel;
            }
            if request_spec.maintenance_policy.is_some() {
                spec.maintenance_policy = request_spec.maintenance_policy;
            }
            if request_spec.overrides.is_some() {
                spec.overrides = request_spec.overrides;
            }
            spec.allow_privileged_profile_annotations |=
                request_spec.allow_privileged_profile_annotations;
            spec.enforce_resource_limits |= request_spec.enforce_resource_limits;
        }
        if !request.profile_bindings.is_empty() {
            stored
                .profile_bindings
                .clone_from(&request.profile_bindings);
        }
        return;
    };

    let request_spec = request_spec.unwrap_or_default();
    for path in paths {
        match path {
            RunnerPath::DisplayName => stored.display_name.clone_from(&request.display_name),
            RunnerPath::Zone => identity.zone.clone_from(&request_identity.zone),
            RunnerPath::RunnerGroupId => {
                identity
                    .runner_group_id
                    .clone_from(&request_identity.runner_group_id);
            }
            RunnerPath::ProfileBindings => {
                stored
                    .profile_bindings
                    .clone_from(&request.profile_bindings);
            }
            RunnerPath::ManagedSpec
            | RunnerPath::ReleaseChannel
            | RunnerPath::MaintenancePolicy
            | RunnerPath::Overrides => {
                let spec = stored
                    .managed_spec
                    .get_or_insert_with(ManagedRunnerSpec::default);
                apply_managed_spec_path(spec, &request_spec, *path);
            }
        }
    }
}

fn apply_managed_spec_path(
    spec: &mut ManagedRunnerSpec,
    request: &ManagedRunnerSpec,
    path: RunnerPath,
) {
    match path {
        RunnerPath::ReleaseChannel => spec.release_channel = request.release_channel,
        RunnerPath::MaintenancePolicy => {
            spec.maintenance_policy
                .clone_from(&request.maintenance_policy);
        }
        RunnerPath::Overrides => spec.overrides.clone_from(&request.overrides),
        // The parent path replaces the two booleans always and the three
        // sub-fields only when the request sets them.
        RunnerPath::ManagedSpec => {
            spec.allow_privileged_profile_annotations =
                request.allow_privileged_profile_annotations;
            spec.enforce_resource_limits = request.enforce_resource_limits;
            if request.release_channel != 0 {
                spec.release_channel = request.release_channel;
            }
            if request.maintenance_policy.is_some() {
                spec.maintenance_policy
                    .clone_from(&request.maintenance_policy);
            }
            if request.overrides.is_some() {
                spec.overrides.clone_from(&request.overrides);
            }
        }
        _ => {}
    }
}

/// Applies an update request to a stored template.
pub(crate) fn apply_template(
    stored: &mut ProfileTemplate,
    request: &ProfileTemplate,
    paths: Option<&[TemplatePath]>,
) {
    let Some(paths) = paths else {
        if !request.description.is_empty() {
            stored.description.clone_from(&request.description);
        }
        if request.spec.is_some() {
            stored.spec.clone_from(&request.spec);
        }
        if !request.labels.is_empty() {
            stored.labels.clone_from(&request.labels);
        }
        return;
    };
    for path in paths {
        match path {
            TemplatePath::Description => stored.description.clone_from(&request.description),
            // A cleared spec is the empty spec, which is valid.
            TemplatePath::Spec => stored.spec = Some(request.spec.clone().unwrap_or_default()),
            TemplatePath::Labels => stored.labels.clone_from(&request.labels),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(paths: &[&str]) -> FieldMask {
        FieldMask {
            paths: paths.iter().map(|path| (*path).to_string()).collect(),
        }
    }

    #[test]
    fn camel_and_snake_paths_resolve() {
        let resolved = runner_paths(Some(&mask(&[
            "managedSpec.releaseChannel",
            "identity.zone",
        ])))
        .expect("valid mask");
        assert_eq!(
            resolved,
            Some(vec![RunnerPath::ReleaseChannel, RunnerPath::Zone])
        );
        assert_eq!(runner_paths(Some(&mask(&[]))).expect("empty mask"), None);
    }

    #[test]
    fn fixed_and_unknown_paths_fail() {
        for path in [
            "identity.clusterId",
            "installStatus",
            "colour",
            "managed_spec.overrides.env",
        ] {
            let error = runner_paths(Some(&mask(&[path]))).expect_err(path);
            assert_eq!(error.violations[0].field, "update_mask", "{path}");
            assert_eq!(error.reason, reason::INVALID_UPDATE_MASK, "{path}");
        }
        assert!(template_paths(Some(&mask(&["displayName"]))).is_err());
    }

    #[test]
    fn parent_path_keeps_unset_sub_messages() {
        let mut stored = Runner {
            managed_spec: Some(ManagedRunnerSpec {
                release_channel: 2,
                overrides: Some(Default::default()),
                enforce_resource_limits: true,
                ..ManagedRunnerSpec::default()
            }),
            ..Runner::default()
        };
        let request = Runner {
            managed_spec: Some(ManagedRunnerSpec {
                allow_privileged_profile_annotations: true,
                ..ManagedRunnerSpec::default()
            }),
            ..Runner::default()
        };
        apply_runner(&mut stored, &request, Some(&[RunnerPath::ManagedSpec]));
        let spec = stored.managed_spec.expect("spec");
        assert_eq!(spec.release_channel, 2);
        assert!(spec.overrides.is_some());
        assert!(spec.allow_privileged_profile_annotations);
        assert!(!spec.enforce_resource_limits);
    }
}
