//! Update masks: which paths an update may name and how each path changes
//! the stored resource.
//!
//! Paths are accepted in proto (snake_case) and JSON (lowerCamelCase)
//! spelling, and checked by the same code as the library's
//! `ops::validate_runner_mask` and `ops::validate_profile_template_mask`.
//! A listed path whose value is empty clears the field; message paths
//! replace the whole value. Without a mask (or with an empty one) every
//! non-empty mutable field of the request applies.

use super::error::{ApiError, Violation, reason};
use crate::ops::mask::{MaskRules, PROFILE_TEMPLATE_RULES, RUNNER_RULES};
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

/// Resolves the paths of a mask with the rules that `ops::validate_*_mask`
/// use, so the emulator rejects exactly the paths the library rejects, with
/// the same message. `Ok(None)` means no mask.
fn resolve<P: Copy>(
    mask: Option<&FieldMask>,
    rules: &MaskRules,
    mutable: &[(&str, P)],
) -> Result<Option<Vec<P>>, ApiError> {
    let Some(mask) = mask.filter(|mask| !mask.paths.is_empty()) else {
        return Ok(None);
    };
    let mut paths = Vec::new();
    let mut violations = Vec::new();
    for raw in &mask.paths {
        let description = match rules.resolve(raw) {
            Ok(name) => match mutable
                .iter()
                .find(|(mutable_name, _)| *mutable_name == name)
            {
                Some((_, resolved)) => {
                    paths.push(*resolved);
                    continue;
                }
                None => {
                    return Err(ApiError::internal(format!(
                        "update mask path {name:?} has no handler in the emulator"
                    )));
                }
            },
            Err(error) => error.to_string(),
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
    resolve(mask, &RUNNER_RULES, &RUNNER_PATHS)
}

/// Resolves an update mask of `UpdateProfileTemplate`.
pub(crate) fn template_paths(
    mask: Option<&FieldMask>,
) -> Result<Option<Vec<TemplatePath>>, ApiError> {
    resolve(mask, &PROFILE_TEMPLATE_RULES, &TEMPLATE_PATHS)
}

/// Applies an update request to a stored runner.
pub(crate) fn apply_runner(stored: &mut Runner, request: &Runner, paths: Option<&[RunnerPath]>) {
    let request_identity = request.identity.clone().unwrap_or_default();
    let request_spec = request.managed_spec.clone();
    let Some(paths) = paths else {
        if !request.display_name.is_empty() {
            stored.display_name.clone_from(&request.display_name);
        }
        if !request_identity.zone.is_empty() {
            identity_mut(stored).zone = request_identity.zone;
        }
        if !request_identity.runner_group_id.is_empty() {
            identity_mut(stored).runner_group_id = request_identity.runner_group_id;
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
            RunnerPath::Zone => identity_mut(stored).zone.clone_from(&request_identity.zone),
            RunnerPath::RunnerGroupId => {
                identity_mut(stored)
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

/// Returns the stored identity, creating it only when a path writes to it,
/// so that an update never adds a message it does not set.
fn identity_mut(runner: &mut Runner) -> &mut RunnerIdentity {
    runner.identity.get_or_insert_with(RunnerIdentity::default)
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
    fn handlers_cover_accepted_paths() {
        let runner: Vec<&str> = RUNNER_PATHS.iter().map(|(name, _)| *name).collect();
        assert_eq!(runner, crate::ops::RUNNER_MASK_PATHS);
        let template: Vec<&str> = TEMPLATE_PATHS.iter().map(|(name, _)| *name).collect();
        assert_eq!(template, crate::ops::PROFILE_TEMPLATE_MASK_PATHS);
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
