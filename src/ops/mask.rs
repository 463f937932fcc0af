//! Field masks of the update methods: computing, checking and applying them.
//!
//! Paths are proto field names in snake_case (`managed_spec.release_channel`),
//! as [`FieldMask::paths`] stores them; the JSON form in camelCase is the
//! wire codec's business. Like the emulator, the checks here also accept a
//! path in lowerCamelCase. They classify a rejected path with the field
//! tables generated from the descriptors (`RUNNER_FIELD_PATHS` and
//! `PROFILE_TEMPLATE_FIELD_PATHS` in [`crate::v1beta2`]), and the emulator
//! resolves paths with the same code, so both give the same result for every
//! path. The semantics follow the API:
//!
//! - A listed path whose value is empty clears the field, except that a
//!   cleared `spec` of a profile template is the empty spec, because the
//!   field is required.
//! - `maintenance_policy`, `overrides`, `profile_bindings` and `spec` replace
//!   the whole value.
//! - The parent path `managed_spec` always replaces the two booleans, and
//!   replaces `release_channel`, `maintenance_policy` and `overrides` only
//!   when the source sets them.
//! - An empty mask applies every non-empty mutable field of the source.

use std::fmt;

use super::field_path::{self, FieldKind, FieldPathInfo};
use crate::v1beta2::{
    ManagedRunnerSpec, PROFILE_TEMPLATE_FIELD_PATHS, ProfileTemplate, RUNNER_FIELD_PATHS, Runner,
    RunnerIdentity,
};
use crate::wkt::FieldMask;

/// The update mask paths a runner update accepts.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::{RUNNER_MASK_PATHS, validate_runner_mask};
/// use cwsandbox_control::wkt::FieldMask;
///
/// let every_path = FieldMask { paths: RUNNER_MASK_PATHS.iter().map(|path| path.to_string()).collect() };
/// assert!(validate_runner_mask(&every_path).is_ok());
/// assert!(!RUNNER_MASK_PATHS.contains(&"identity.cluster_name"), "the cluster is immutable");
/// ```
pub const RUNNER_MASK_PATHS: &[&str] = &[
    "display_name",
    "identity.zone",
    "identity.runner_group_id",
    "managed_spec",
    "managed_spec.release_channel",
    "managed_spec.maintenance_policy",
    "managed_spec.overrides",
    "profile_bindings",
];

/// The update mask paths a profile template update accepts.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::{PROFILE_TEMPLATE_MASK_PATHS, validate_profile_template_mask};
/// use cwsandbox_control::wkt::FieldMask;
///
/// let every_path = FieldMask {
///     paths: PROFILE_TEMPLATE_MASK_PATHS.iter().map(|path| path.to_string()).collect(),
/// };
/// assert!(validate_profile_template_mask(&every_path).is_ok());
/// assert!(!PROFILE_TEMPLATE_MASK_PATHS.contains(&"display_name"), "the name is immutable");
/// ```
pub const PROFILE_TEMPLATE_MASK_PATHS: &[&str] = &["description", "spec", "labels"];

/// The reason an update mask path is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MaskErrorKind {
    /// No field of the resource has the path.
    UnknownField,
    /// The field, or a message that contains it, is output only.
    OutputOnly,
    /// The field, or a message that contains it, is immutable.
    Immutable,
    /// The field can change, but the update method does not accept the path.
    NotUpdatable,
}

/// An update mask path that the resource does not accept.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::{MaskErrorKind, validate_profile_template_mask};
/// use cwsandbox_control::wkt::FieldMask;
///
/// let mask = FieldMask { paths: vec!["display_name".into()] };
/// let error = validate_profile_template_mask(&mask).unwrap_err();
/// assert_eq!(error.kind(), MaskErrorKind::Immutable);
/// assert_eq!(
///     error.to_string(),
///     "invalid update mask path `display_name` for a profile template: \
///      the field is immutable; the updatable paths are description, spec, labels"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskError {
    path: String,
    resource: &'static str,
    allowed: &'static [&'static str],
    kind: MaskErrorKind,
    detail: String,
}

impl MaskError {
    /// Returns the rejected path.
    ///
    /// # Examples
    ///
    /// ```
    /// use cwsandbox_control::ops::validate_runner_mask;
    /// use cwsandbox_control::wkt::FieldMask;
    ///
    /// let mask = FieldMask { paths: vec!["display_name".into(), "identity.cluster_id".into()] };
    /// let error = validate_runner_mask(&mask).unwrap_err();
    /// assert_eq!(error.path(), "identity.cluster_id");
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Returns the paths the resource accepts.
    ///
    /// # Examples
    ///
    /// ```
    /// use cwsandbox_control::ops::{PROFILE_TEMPLATE_MASK_PATHS, validate_profile_template_mask};
    /// use cwsandbox_control::wkt::FieldMask;
    ///
    /// let mask = FieldMask { paths: vec!["id".into()] };
    /// let error = validate_profile_template_mask(&mask).unwrap_err();
    /// assert_eq!(error.allowed(), PROFILE_TEMPLATE_MASK_PATHS);
    /// ```
    pub fn allowed(&self) -> &'static [&'static str] {
        self.allowed
    }

    /// Returns the reason the path is rejected.
    ///
    /// # Examples
    ///
    /// ```
    /// use cwsandbox_control::ops::{MaskErrorKind, validate_runner_mask};
    /// use cwsandbox_control::wkt::FieldMask;
    ///
    /// let kind = |path: &str| {
    ///     let mask = FieldMask { paths: vec![path.to_string()] };
    ///     validate_runner_mask(&mask).unwrap_err().kind()
    /// };
    /// assert_eq!(kind("identity.nope"), MaskErrorKind::UnknownField);
    /// assert_eq!(kind("install_status"), MaskErrorKind::OutputOnly);
    /// assert_eq!(kind("identity.runner_id"), MaskErrorKind::Immutable);
    /// assert_eq!(kind("managed_spec.overrides.env"), MaskErrorKind::NotUpdatable);
    /// ```
    pub fn kind(&self) -> MaskErrorKind {
        self.kind
    }
}

impl fmt::Display for MaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid update mask path `{}` for a {}: {}; the updatable paths are {}",
            self.path,
            self.resource,
            self.detail,
            self.allowed.join(", ")
        )
    }
}

impl std::error::Error for MaskError {}

/// The update mask rules of one resource: its generated field paths and the
/// paths its update method accepts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MaskRules {
    /// The resource in lower case, as error messages name it.
    resource: &'static str,
    /// The protobuf message name, such as `Runner`.
    message: &'static str,
    fields: &'static [FieldPathInfo],
    allowed: &'static [&'static str],
}

/// The rules of `UpdateManagedRunner`.
pub(crate) const RUNNER_RULES: MaskRules = MaskRules {
    resource: "runner",
    message: "Runner",
    fields: RUNNER_FIELD_PATHS,
    allowed: RUNNER_MASK_PATHS,
};

/// The rules of `UpdateProfileTemplate`.
pub(crate) const PROFILE_TEMPLATE_RULES: MaskRules = MaskRules {
    resource: "profile template",
    message: "ProfileTemplate",
    fields: PROFILE_TEMPLATE_FIELD_PATHS,
    allowed: PROFILE_TEMPLATE_MASK_PATHS,
};

impl MaskRules {
    /// Resolves every path of `mask` to its entry in the accepted paths, in
    /// mask order.
    pub(crate) fn resolve_mask(&self, mask: &FieldMask) -> Result<Vec<&'static str>, MaskError> {
        mask.paths.iter().map(|path| self.resolve(path)).collect()
    }

    /// Resolves one path, in snake_case or lowerCamelCase, to its entry in
    /// the accepted paths, or explains with the generated field table why the
    /// method rejects it.
    pub(crate) fn resolve(&self, raw: &str) -> Result<&'static str, MaskError> {
        let path = to_snake_case(raw);
        if let Some(allowed) = self.allowed.iter().find(|allowed| **allowed == path) {
            return Ok(allowed);
        }
        let (kind, detail) = match field_path::find(self.fields, &path) {
            None => (MaskErrorKind::UnknownField, self.unknown_detail(&path)),
            Some(info) => self.rejected_detail(info),
        };
        Err(MaskError {
            path: raw.to_string(),
            resource: self.resource,
            allowed: self.allowed,
            kind,
            detail,
        })
    }

    fn unknown_detail(&self, path: &str) -> String {
        let message = self.message;
        if path.is_empty() {
            return format!("the path is empty, so it names no field of {message}");
        }
        // The nearest existing ancestor explains why a deeper path cannot exist.
        let Some(parent) = field_path::ancestors(self.fields, path).next() else {
            return format!("no such field exists in {message}");
        };
        let parent_path = parent.path;
        let has_children = self
            .fields
            .iter()
            .any(|info| is_below(info.path, parent_path));
        if has_children {
            format!("no such field exists in {message}")
        } else if parent.kind == FieldKind::Map {
            format!(
                "no such field exists in {message}, because `{parent_path}` is a map field, which a path names only as a whole"
            )
        } else if parent.repeated {
            format!(
                "no such field exists in {message}, because `{parent_path}` is a repeated field, which a path names only as a whole"
            )
        } else {
            format!(
                "no such field exists in {message}, because a path cannot go below `{parent_path}`"
            )
        }
    }

    fn rejected_detail(&self, info: &'static FieldPathInfo) -> (MaskErrorKind, String) {
        let path = info.path;
        let ancestors: Vec<_> = field_path::ancestors(self.fields, path).collect();
        if info.output_only {
            return (
                MaskErrorKind::OutputOnly,
                "the field is output only".to_string(),
            );
        }
        if let Some(parent) = ancestors.iter().find(|parent| parent.output_only) {
            let detail = format!(
                "the field is part of `{}`, which is output only",
                parent.path
            );
            return (MaskErrorKind::OutputOnly, detail);
        }
        if info.immutable {
            return (
                MaskErrorKind::Immutable,
                "the field is immutable".to_string(),
            );
        }
        if let Some(parent) = ancestors.iter().find(|parent| parent.immutable) {
            let detail = format!("the field is part of `{}`, which is immutable", parent.path);
            return (MaskErrorKind::Immutable, detail);
        }

        let replacing_parent = ancestors
            .iter()
            .find(|parent| self.allowed.contains(&parent.path));
        let detail = if let Some(parent) = replacing_parent {
            format!(
                "the field changes only as part of `{}`, so name that path instead",
                parent.path
            )
        } else if self.allowed.iter().any(|allowed| is_below(allowed, path)) {
            "the field contains fields that cannot change, so name its updatable sub-paths instead"
                .to_string()
        } else {
            "the update method cannot change the field".to_string()
        };
        (MaskErrorKind::NotUpdatable, detail)
    }
}

/// Returns whether `path` names a field inside the message at `parent`.
fn is_below(path: &str, parent: &str) -> bool {
    path.strip_prefix(parent)
        .is_some_and(|rest| rest.starts_with('.'))
}

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

/// Checks every path of a runner update mask against the generated `Runner`
/// field table and [`RUNNER_MASK_PATHS`]. Paths may be in snake_case or
/// lowerCamelCase, as the emulator accepts them.
///
/// # Errors
///
/// Returns the first path that is unknown, output only, immutable or not
/// accepted by `UpdateManagedRunner`; [`MaskError::kind`] returns the reason.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::validate_runner_mask;
/// use cwsandbox_control::wkt::FieldMask;
///
/// let valid = FieldMask { paths: vec!["managed_spec.release_channel".into()] };
/// assert!(validate_runner_mask(&valid).is_ok());
///
/// let immutable = FieldMask { paths: vec!["identity.cluster_name".into()] };
/// let error = validate_runner_mask(&immutable).unwrap_err();
/// assert_eq!(error.path(), "identity.cluster_name");
///
/// let unknown = FieldMask { paths: vec!["identity.nope".into()] };
/// let message = validate_runner_mask(&unknown).unwrap_err().to_string();
/// assert!(message.contains("no such field exists in Runner"), "{message}");
/// ```
pub fn validate_runner_mask(mask: &FieldMask) -> Result<(), MaskError> {
    RUNNER_RULES.resolve_mask(mask).map(drop)
}

/// Checks every path of a profile template update mask against the generated
/// `ProfileTemplate` field table and [`PROFILE_TEMPLATE_MASK_PATHS`]. Paths
/// may be in snake_case or lowerCamelCase, as the emulator accepts them.
///
/// # Errors
///
/// Returns the first path that is unknown, output only, immutable or not
/// accepted by `UpdateProfileTemplate`; [`MaskError::kind`] returns the reason.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::{MaskErrorKind, validate_profile_template_mask};
/// use cwsandbox_control::wkt::FieldMask;
///
/// let valid = FieldMask { paths: vec!["description".into(), "labels".into()] };
/// assert!(validate_profile_template_mask(&valid).is_ok());
///
/// // The spec is replaced as a whole, so its fields have no path of their own.
/// let inner = FieldMask { paths: vec!["spec.runtime_class".into()] };
/// let error = validate_profile_template_mask(&inner).unwrap_err();
/// assert_eq!(error.path(), "spec.runtime_class");
/// assert_eq!(error.kind(), MaskErrorKind::NotUpdatable);
/// ```
pub fn validate_profile_template_mask(mask: &FieldMask) -> Result<(), MaskError> {
    PROFILE_TEMPLATE_RULES.resolve_mask(mask).map(drop)
}

/// Computes the mask that turns `old` into `new` on the runner's mutable
/// fields, naming each changed field at the finest path the API accepts.
///
/// The two booleans of `managed_spec` have no path of their own, so a change
/// to either adds the parent path `managed_spec`.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::runner_mask;
/// use cwsandbox_control::v1beta2::{ManagedRunnerSpec, Runner};
///
/// let old = Runner::default();
/// let new = Runner {
///     display_name: "Lab (west)".into(),
///     managed_spec: Some(ManagedRunnerSpec { enforce_resource_limits: true, ..Default::default() }),
///     ..Default::default()
/// };
/// // The boolean has no path of its own, so the mask names its parent.
/// assert_eq!(runner_mask(&old, &new).paths, ["display_name", "managed_spec"]);
/// assert!(runner_mask(&new, &new).paths.is_empty());
/// ```
pub fn runner_mask(old: &Runner, new: &Runner) -> FieldMask {
    let mut paths = Vec::new();
    if old.display_name != new.display_name {
        paths.push("display_name");
    }

    let (old_identity, new_identity) = (identity_or_default(old), identity_or_default(new));
    if old_identity.zone != new_identity.zone {
        paths.push("identity.zone");
    }
    if old_identity.runner_group_id != new_identity.runner_group_id {
        paths.push("identity.runner_group_id");
    }

    let (old_spec, new_spec) = (managed_spec_or_default(old), managed_spec_or_default(new));
    if old_spec.allow_privileged_profile_annotations
        != new_spec.allow_privileged_profile_annotations
        || old_spec.enforce_resource_limits != new_spec.enforce_resource_limits
    {
        paths.push("managed_spec");
    }
    if old_spec.release_channel != new_spec.release_channel {
        paths.push("managed_spec.release_channel");
    }
    if old_spec.maintenance_policy != new_spec.maintenance_policy {
        paths.push("managed_spec.maintenance_policy");
    }
    if old_spec.overrides != new_spec.overrides {
        paths.push("managed_spec.overrides");
    }

    if old.profile_bindings != new.profile_bindings {
        paths.push("profile_bindings");
    }
    field_mask(&paths)
}

/// Computes the mask that turns `old` into `new` on the template's mutable
/// fields: `description`, `spec` and `labels`.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::profile_template_mask;
/// use cwsandbox_control::v1beta2::ProfileTemplate;
///
/// let old = ProfileTemplate { display_name: "agents".into(), ..Default::default() };
/// let mut new = old.clone();
/// new.description = "Sandboxes of the agent fleet".into();
/// new.labels.insert("team".into(), "ml".into());
/// assert_eq!(profile_template_mask(&old, &new).paths, ["description", "labels"]);
/// ```
pub fn profile_template_mask(old: &ProfileTemplate, new: &ProfileTemplate) -> FieldMask {
    let mut paths = Vec::new();
    if old.description != new.description {
        paths.push("description");
    }
    if old.spec != new.spec {
        paths.push("spec");
    }
    if old.labels != new.labels {
        paths.push("labels");
    }
    field_mask(&paths)
}

/// Applies the fields of `source` that `mask` names to `target`, as the server
/// does for an update. An empty mask applies every non-empty mutable field.
///
/// # Errors
///
/// Returns the first path that [`validate_runner_mask`] rejects; `target` is
/// unchanged then.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::apply_runner_mask;
/// use cwsandbox_control::v1beta2::Runner;
/// use cwsandbox_control::wkt::FieldMask;
///
/// let mut stored = Runner { display_name: "lab".into(), ..Default::default() };
/// let source = Runner { display_name: "Lab (west)".into(), ..Default::default() };
/// apply_runner_mask(&mut stored, &source, &FieldMask { paths: vec!["display_name".into()] })?;
/// assert_eq!(stored.display_name, "Lab (west)");
///
/// // A rejected mask leaves the target unchanged.
/// let immutable = FieldMask { paths: vec!["identity.cluster_id".into()] };
/// assert!(apply_runner_mask(&mut stored, &Runner::default(), &immutable).is_err());
/// assert_eq!(stored.display_name, "Lab (west)");
/// # Ok::<(), cwsandbox_control::ops::MaskError>(())
/// ```
pub fn apply_runner_mask(
    target: &mut Runner,
    source: &Runner,
    mask: &FieldMask,
) -> Result<(), MaskError> {
    let paths = RUNNER_RULES.resolve_mask(mask)?;
    if paths.is_empty() {
        apply_runner_unmasked(target, source);
        return Ok(());
    }

    let source_identity = identity_or_default(source);
    let source_spec = managed_spec_or_default(source);
    for path in paths {
        match path {
            "display_name" => target.display_name.clone_from(&source.display_name),
            "identity.zone" => identity_mut(target).zone.clone_from(&source_identity.zone),
            "identity.runner_group_id" => identity_mut(target)
                .runner_group_id
                .clone_from(&source_identity.runner_group_id),
            "managed_spec" => apply_managed_spec_parent(managed_spec_mut(target), &source_spec),
            "managed_spec.release_channel" => {
                managed_spec_mut(target).release_channel = source_spec.release_channel;
            }
            "managed_spec.maintenance_policy" => managed_spec_mut(target)
                .maintenance_policy
                .clone_from(&source_spec.maintenance_policy),
            "managed_spec.overrides" => managed_spec_mut(target)
                .overrides
                .clone_from(&source_spec.overrides),
            "profile_bindings" => target.profile_bindings.clone_from(&source.profile_bindings),
            // resolve_mask returns only entries of RUNNER_MASK_PATHS.
            _ => {}
        }
    }
    Ok(())
}

/// Applies the fields of `source` that `mask` names to `target`, as the server
/// does for an update. An empty mask applies every non-empty mutable field.
///
/// # Errors
///
/// Returns the first path that [`validate_profile_template_mask`] rejects;
/// `target` is unchanged then.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::apply_profile_template_mask;
/// use cwsandbox_control::v1beta2::ProfileTemplate;
/// use cwsandbox_control::wkt::FieldMask;
///
/// let mut stored = ProfileTemplate { description: "old".into(), ..Default::default() };
/// // A listed path whose value is empty clears the field.
/// let source = ProfileTemplate::default();
/// apply_profile_template_mask(&mut stored, &source, &FieldMask { paths: vec!["description".into()] })?;
/// assert_eq!(stored.description, "");
/// # Ok::<(), cwsandbox_control::ops::MaskError>(())
/// ```
pub fn apply_profile_template_mask(
    target: &mut ProfileTemplate,
    source: &ProfileTemplate,
    mask: &FieldMask,
) -> Result<(), MaskError> {
    let paths = PROFILE_TEMPLATE_RULES.resolve_mask(mask)?;
    if paths.is_empty() {
        if !source.description.is_empty() {
            target.description.clone_from(&source.description);
        }
        if source.spec.is_some() {
            target.spec.clone_from(&source.spec);
        }
        if !source.labels.is_empty() {
            target.labels.clone_from(&source.labels);
        }
        return Ok(());
    }

    for path in paths {
        match path {
            "description" => target.description.clone_from(&source.description),
            // The spec is a required field, so clearing it stores the empty spec.
            "spec" => target.spec = Some(source.spec.clone().unwrap_or_default()),
            "labels" => target.labels.clone_from(&source.labels),
            // resolve_mask returns only entries of PROFILE_TEMPLATE_MASK_PATHS.
            _ => {}
        }
    }
    Ok(())
}

/// Applies every non-empty mutable field, the meaning of an update without a mask.
fn apply_runner_unmasked(target: &mut Runner, source: &Runner) {
    if !source.display_name.is_empty() {
        target.display_name.clone_from(&source.display_name);
    }
    if let Some(identity) = &source.identity {
        if !identity.zone.is_empty() {
            identity_mut(target).zone.clone_from(&identity.zone);
        }
        if !identity.runner_group_id.is_empty() {
            identity_mut(target)
                .runner_group_id
                .clone_from(&identity.runner_group_id);
        }
    }
    if let Some(spec) = &source.managed_spec {
        let target_spec = managed_spec_mut(target);
        copy_set_sub_fields(target_spec, spec);
        if spec.allow_privileged_profile_annotations {
            target_spec.allow_privileged_profile_annotations = true;
        }
        if spec.enforce_resource_limits {
            target_spec.enforce_resource_limits = true;
        }
    }
    if !source.profile_bindings.is_empty() {
        target.profile_bindings.clone_from(&source.profile_bindings);
    }
}

/// Applies the parent path `managed_spec`: both booleans, and the three other
/// fields only when the source sets them.
fn apply_managed_spec_parent(target: &mut ManagedRunnerSpec, source: &ManagedRunnerSpec) {
    target.allow_privileged_profile_annotations = source.allow_privileged_profile_annotations;
    target.enforce_resource_limits = source.enforce_resource_limits;
    copy_set_sub_fields(target, source);
}

fn copy_set_sub_fields(target: &mut ManagedRunnerSpec, source: &ManagedRunnerSpec) {
    if source.release_channel != 0 {
        target.release_channel = source.release_channel;
    }
    if source.maintenance_policy.is_some() {
        target
            .maintenance_policy
            .clone_from(&source.maintenance_policy);
    }
    if source.overrides.is_some() {
        target.overrides.clone_from(&source.overrides);
    }
}

fn identity_or_default(runner: &Runner) -> RunnerIdentity {
    runner.identity.clone().unwrap_or_default()
}

fn managed_spec_or_default(runner: &Runner) -> ManagedRunnerSpec {
    runner.managed_spec.clone().unwrap_or_default()
}

fn identity_mut(runner: &mut Runner) -> &mut RunnerIdentity {
    runner.identity.get_or_insert_with(RunnerIdentity::default)
}

fn managed_spec_mut(runner: &mut Runner) -> &mut ManagedRunnerSpec {
    runner
        .managed_spec
        .get_or_insert_with(ManagedRunnerSpec::default)
}

fn field_mask(paths: &[&str]) -> FieldMask {
    FieldMask {
        paths: paths.iter().map(|path| (*path).to_string()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1beta2::{MaintenancePolicy, MaintenanceWindow, RunnerProfileBinding};

    fn runner() -> Runner {
        Runner {
            id: "4f0c".to_string(),
            display_name: "Lab".to_string(),
            identity: Some(RunnerIdentity {
                runner_id: "lab".to_string(),
                zone: "US-WEST-09B".to_string(),
                cluster_name: "lab-cks".to_string(),
                ..Default::default()
            }),
            managed_spec: Some(ManagedRunnerSpec {
                release_channel: 2,
                maintenance_policy: Some(MaintenancePolicy {
                    windows: vec![MaintenanceWindow {
                        cron: "0 3 * * SUN".to_string(),
                        duration_seconds: 3600,
                    }],
                    exclusions: Vec::new(),
                }),
                enforce_resource_limits: true,
                ..Default::default()
            }),
            profile_bindings: vec![RunnerProfileBinding {
                profile_template_id: "p1".to_string(),
                is_default: true,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn mask(paths: &[&str]) -> FieldMask {
        field_mask(paths)
    }

    #[test]
    fn runner_mask_of_equal_runners_is_empty() {
        assert!(runner_mask(&runner(), &runner()).paths.is_empty());
    }

    #[test]
    fn runner_mask_names_finest_paths() {
        let old = runner();
        let mut new = runner();
        new.display_name = "Lab west".to_string();
        new.identity.as_mut().unwrap().zone = "US-WEST-09C".to_string();
        new.managed_spec.as_mut().unwrap().release_channel = 1;
        assert_eq!(
            runner_mask(&old, &new).paths,
            [
                "display_name",
                "identity.zone",
                "managed_spec.release_channel"
            ]
        );
    }

    #[test]
    fn runner_mask_uses_parent_for_booleans() {
        let old = runner();
        let mut new = runner();
        new.managed_spec.as_mut().unwrap().enforce_resource_limits = false;
        assert_eq!(runner_mask(&old, &new).paths, ["managed_spec"]);
    }

    #[test]
    fn runner_mask_ignores_output_only_fields() {
        let old = runner();
        let mut new = runner();
        new.install_status = 3;
        new.target_revision = 7;
        new.id = "other".to_string();
        assert!(runner_mask(&old, &new).paths.is_empty());
    }

    #[test]
    fn validate_runner_mask_names_bad_path() {
        let error =
            validate_runner_mask(&mask(&["display_name", "identity.cluster_id"])).unwrap_err();
        assert_eq!(error.path(), "identity.cluster_id");
        let message = error.to_string();
        assert!(message.contains("`identity.cluster_id`"), "{message}");
        assert!(
            message.contains("managed_spec.release_channel"),
            "{message}"
        );
    }

    #[test]
    fn validate_template_mask_rejects_display_name() {
        let error = validate_profile_template_mask(&mask(&["display_name"])).unwrap_err();
        assert_eq!(error.allowed(), PROFILE_TEMPLATE_MASK_PATHS);
    }

    #[test]
    fn apply_listed_empty_value_clears() {
        let mut target = runner();
        let source = Runner::default();
        apply_runner_mask(
            &mut target,
            &source,
            &mask(&["managed_spec.maintenance_policy", "display_name"]),
        )
        .unwrap();
        assert_eq!(target.display_name, "");
        assert_eq!(
            target.managed_spec.as_ref().unwrap().maintenance_policy,
            None
        );
        assert_eq!(target.managed_spec.as_ref().unwrap().release_channel, 2);
    }

    #[test]
    fn apply_parent_keeps_unset_sub_fields() {
        let mut target = runner();
        let source = Runner {
            managed_spec: Some(ManagedRunnerSpec {
                allow_privileged_profile_annotations: true,
                ..Default::default()
            }),
            ..Default::default()
        };
        apply_runner_mask(&mut target, &source, &mask(&["managed_spec"])).unwrap();
        let spec = target.managed_spec.unwrap();
        assert!(spec.allow_privileged_profile_annotations);
        assert!(!spec.enforce_resource_limits);
        assert_eq!(spec.release_channel, 2);
        assert!(spec.maintenance_policy.is_some());
    }

    #[test]
    fn apply_without_mask_skips_empty_fields() {
        let mut target = runner();
        let source = Runner {
            display_name: "Renamed".to_string(),
            ..Default::default()
        };
        apply_runner_mask(&mut target, &source, &FieldMask::default()).unwrap();
        assert_eq!(target.display_name, "Renamed");
        assert_eq!(target.profile_bindings, runner().profile_bindings);
        assert!(target.managed_spec.unwrap().enforce_resource_limits);
    }

    #[test]
    fn apply_rejects_bad_path_untouched() {
        let mut target = runner();
        let error = apply_runner_mask(&mut target, &Runner::default(), &mask(&["id"]));
        assert!(error.is_err());
        assert_eq!(target, runner());
    }

    #[test]
    fn template_mask_and_apply_round_trip() {
        let old = ProfileTemplate {
            description: "old".to_string(),
            labels: [("team".to_string(), "a".to_string())].into(),
            ..Default::default()
        };
        let new = ProfileTemplate {
            description: "new".to_string(),
            spec: Some(Default::default()),
            ..Default::default()
        };
        let computed = profile_template_mask(&old, &new);
        assert_eq!(computed.paths, ["description", "spec", "labels"]);
        let mut target = old.clone();
        apply_profile_template_mask(&mut target, &new, &computed).unwrap();
        assert_eq!(target, new);
    }
}
