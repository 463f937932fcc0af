//! Apply planning: what to send so that the server stores a desired resource.
//!
//! A plan compares the desired resource, read from a file, with the one on the
//! server. The file states the whole desired value of every mutable
//! field, so a field the file leaves out is cleared on the server. Values
//! that the server stores in another but equivalent form count as equal:
//! JSON strings (`namespaceConfigJson`, `networkConfigJson`,
//! `podTemplateJson`, `overridesJson`) that parse to the same JSON value,
//! zones that differ only in case, and an unset release channel against
//! `RELEASE_CHANNEL_STABLE`, which is what unset means.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::mask::{profile_template_mask, runner_mask};
use crate::v1beta2::{ProfileTemplate, ReleaseChannel, Runner};
use crate::wkt::FieldMask;

/// What to do so that the server stores the desired resource.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::{Plan, plan_profile_template};
/// use cwsandbox_control::v1beta2::ProfileTemplate;
///
/// let existing = ProfileTemplate { id: "9d1e".into(), display_name: "agents".into(), ..Default::default() };
/// let desired = ProfileTemplate {
///     display_name: "agents".into(),
///     description: "Sandboxes of the agent fleet".into(),
///     ..Default::default()
/// };
///
/// assert_eq!(plan_profile_template(None, &desired), Plan::Create);
/// assert_eq!(plan_profile_template(Some(&existing), &existing), Plan::Unchanged);
/// let Plan::Update { mask, diff } = plan_profile_template(Some(&existing), &desired) else {
///     panic!("a new description is an update");
/// };
/// assert_eq!(mask.paths, ["description"]);
/// assert_eq!(diff.to_string(), "description: (unset) -> \"Sandboxes of the agent fleet\"\n");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// The resource does not exist: create it.
    Create,
    /// The resource exists and differs: update it with `mask`.
    Update {
        /// The paths to send, at the granularity the API accepts.
        mask: FieldMask,
        /// The changed values, for a person to read.
        diff: Diff,
    },
    /// The resource exists and matches.
    Unchanged,
}

/// An immutable field whose desired value differs from the server's.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::plan_runner;
/// use cwsandbox_control::v1beta2::{Runner, RunnerIdentity};
///
/// let on = |cluster: &str| Runner {
///     identity: Some(RunnerIdentity { cluster_name: cluster.into(), ..Default::default() }),
///     ..Default::default()
/// };
/// let error = plan_runner(Some(&on("lab-west-cks")), &on("lab-east-cks")).unwrap_err();
/// assert_eq!(error.path, "identity.clusterName");
/// assert_eq!(error.current, "lab-west-cks");
/// assert_eq!(error.desired, "lab-east-cks");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    /// The field, as a JSON path.
    pub path: String,
    /// The value the server stores.
    pub current: String,
    /// The value the file requests.
    pub desired: String,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is immutable: the server has {:?} and the file requests {:?}; \
             delete and recreate the resource to change it",
            self.path, self.current, self.desired
        )
    }
}

impl std::error::Error for PlanError {}

/// The changed fields between two versions of a resource.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::{Plan, plan_profile_template};
/// use cwsandbox_control::v1beta2::ProfileTemplate;
///
/// let existing = ProfileTemplate { id: "9d1e".into(), display_name: "agents".into(), ..Default::default() };
/// let desired = ProfileTemplate {
///     display_name: "agents".into(),
///     description: "Sandboxes of the agent fleet".into(),
///     ..Default::default()
/// };
///
/// let Plan::Update { diff, .. } = plan_profile_template(Some(&existing), &desired) else {
///     panic!("a new description is an update");
/// };
/// assert!(!diff.is_empty());
/// assert_eq!(diff.changes().len(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diff {
    changes: Vec<FieldChange>,
}

/// One changed leaf value. `None` means the field is unset.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::{Plan, plan_runner};
/// use cwsandbox_control::v1beta2::Runner;
/// use serde_json::json;
///
/// let existing = Runner { display_name: "lab".into(), ..Default::default() };
/// let desired = Runner { display_name: "Lab (west)".into(), ..Default::default() };
/// let Ok(Plan::Update { diff, .. }) = plan_runner(Some(&existing), &desired) else {
///     panic!("a new display name is an update");
/// };
/// let change = &diff.changes()[0];
/// assert_eq!(change.path, "displayName");
/// assert_eq!(change.old, Some(json!("lab")));
/// assert_eq!(change.new, Some(json!("Lab (west)")));
/// assert_eq!(change.to_string(), r#"displayName: "lab" -> "Lab (west)""#);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    /// The JSON path of the value: `managedSpec.releaseChannel`,
    /// `profileBindings[1].isDefault`.
    pub path: String,
    /// The value before the change.
    pub old: Option<Value>,
    /// The value after the change.
    pub new: Option<Value>,
}

impl Diff {
    /// Returns the changes in path order within each masked field.
    ///
    /// # Examples
    ///
    /// ```
    /// use cwsandbox_control::ops::{Plan, plan_profile_template};
    /// use cwsandbox_control::v1beta2::ProfileTemplate;
    ///
    /// let existing = ProfileTemplate { id: "9d1e".into(), display_name: "agents".into(), ..Default::default() };
    /// let desired = ProfileTemplate {
    ///     display_name: "agents".into(),
    ///     description: "Sandboxes of the agent fleet".into(),
    ///     ..Default::default()
    /// };
    ///
    /// let Plan::Update { diff, .. } = plan_profile_template(Some(&existing), &desired) else {
    ///     panic!("a new description is an update");
    /// };
    /// let paths: Vec<&str> = diff.changes().iter().map(|change| change.path.as_str()).collect();
    /// assert_eq!(paths, ["description"]);
    /// ```
    pub fn changes(&self) -> &[FieldChange] {
        &self.changes
    }

    /// Returns true when nothing changed.
    ///
    /// # Examples
    ///
    /// ```
    /// use cwsandbox_control::ops::Diff;
    ///
    /// assert!(Diff::default().is_empty());
    /// assert_eq!(Diff::default().to_string(), "");
    /// ```
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

impl fmt::Display for Diff {
    /// Writes one `path: old -> new` line per change.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for change in &self.changes {
            writeln!(f, "{change}")?;
        }
        Ok(())
    }
}

impl fmt::Display for FieldChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} -> {}",
            self.path,
            show(self.old.as_ref()),
            show(self.new.as_ref())
        )
    }
}

fn show(value: Option<&Value>) -> String {
    match value {
        None => "(unset)".to_string(),
        Some(value) => value.to_string(),
    }
}

/// Plans the change that makes the server hold `desired`, a template found
/// by its display name (`existing` is `None` when there is none).
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::{Plan, plan_profile_template};
/// use cwsandbox_control::v1beta2::{ProfileSpec, ProfileTemplate};
///
/// let with_network = |json: &str| ProfileTemplate {
///     display_name: "agents".into(),
///     spec: Some(ProfileSpec { network_config_json: json.into(), ..Default::default() }),
///     ..Default::default()
/// };
/// // JSON strings that parse to the same value are equal.
/// let existing = with_network(r#"{"egress": {"default": "deny"}}"#);
/// let desired = with_network(r#"{"egress":{"default":"deny"}}"#);
/// assert_eq!(plan_profile_template(Some(&existing), &desired), Plan::Unchanged);
///
/// let desired = with_network(r#"{"egress":{"default":"allow"}}"#);
/// let Plan::Update { mask, diff } = plan_profile_template(Some(&existing), &desired) else {
///     panic!("a new egress default is an update");
/// };
/// assert_eq!(mask.paths, ["spec"]);
/// assert_eq!(diff.changes()[0].path, "spec.networkConfigJson");
/// ```
pub fn plan_profile_template(
    existing: Option<&ProfileTemplate>,
    desired: &ProfileTemplate,
) -> Plan {
    let Some(existing) = existing else {
        return Plan::Create;
    };
    let desired = equivalent_profile_template(existing, desired);
    let mask = profile_template_mask(existing, &desired);
    if mask.paths.is_empty() {
        return Plan::Unchanged;
    }
    let diff = diff_paths(existing, &desired, &mask, template_json_paths);
    Plan::Update { mask, diff }
}

/// Plans the change that makes the server hold `desired`, a runner found by
/// its runner id (`existing` is `None` when there is none).
///
/// # Errors
///
/// Returns a [`PlanError`] when the file sets a cluster that differs from the
/// runner's: the cluster of a runner is immutable.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::{Plan, plan_runner};
/// use cwsandbox_control::v1beta2::{ManagedRunnerSpec, ReleaseChannel, Runner, RunnerIdentity};
///
/// let runner = |zone: &str, channel: ReleaseChannel| Runner {
///     identity: Some(RunnerIdentity { zone: zone.into(), ..Default::default() }),
///     managed_spec: Some(ManagedRunnerSpec { release_channel: channel as i32, ..Default::default() }),
///     ..Default::default()
/// };
/// // Zones differ only in case, and an unset channel means STABLE.
/// let existing = runner("US-WEST-09B", ReleaseChannel::Stable);
/// let desired = runner("us-west-09b", ReleaseChannel::Unspecified);
/// assert_eq!(plan_runner(Some(&existing), &desired)?, Plan::Unchanged);
///
/// let desired = runner("US-WEST-09B", ReleaseChannel::Rapid);
/// let Plan::Update { mask, .. } = plan_runner(Some(&existing), &desired)? else {
///     panic!("a new release channel is an update");
/// };
/// assert_eq!(mask.paths, ["managed_spec.release_channel"]);
/// # Ok::<(), cwsandbox_control::ops::PlanError>(())
/// ```
pub fn plan_runner(existing: Option<&Runner>, desired: &Runner) -> Result<Plan, PlanError> {
    let Some(existing) = existing else {
        return Ok(Plan::Create);
    };
    check_cluster(existing, desired)?;
    let desired = equivalent_runner(existing, desired);
    let mask = runner_mask(existing, &desired);
    if mask.paths.is_empty() {
        return Ok(Plan::Unchanged);
    }
    let diff = diff_paths(existing, &desired, &mask, runner_json_paths);
    Ok(Plan::Update { mask, diff })
}

fn check_cluster(existing: &Runner, desired: &Runner) -> Result<(), PlanError> {
    let (Some(current), Some(wanted)) = (&existing.identity, &desired.identity) else {
        return Ok(());
    };
    let pairs = [
        (
            "identity.clusterId",
            &current.cluster_id,
            &wanted.cluster_id,
        ),
        (
            "identity.clusterName",
            &current.cluster_name,
            &wanted.cluster_name,
        ),
    ];
    for (path, current, wanted) in pairs {
        if !wanted.is_empty() && !current.is_empty() && current != wanted {
            return Err(PlanError {
                path: path.to_string(),
                current: current.clone(),
                desired: wanted.clone(),
            });
        }
    }
    Ok(())
}

/// Returns `desired` with each value that is equivalent to the existing one
/// replaced by the existing form, so that only real changes reach the mask.
fn equivalent_profile_template(
    existing: &ProfileTemplate,
    desired: &ProfileTemplate,
) -> ProfileTemplate {
    let mut desired = desired.clone();
    if let (Some(current), Some(wanted)) = (&existing.spec, &mut desired.spec) {
        keep_equivalent_json(
            &current.namespace_config_json,
            &mut wanted.namespace_config_json,
        );
        keep_equivalent_json(
            &current.network_config_json,
            &mut wanted.network_config_json,
        );
        keep_equivalent_json(&current.pod_template_json, &mut wanted.pod_template_json);
    }
    desired
}

fn equivalent_runner(existing: &Runner, desired: &Runner) -> Runner {
    let mut desired = desired.clone();
    if let (Some(current), Some(wanted)) = (&existing.identity, &mut desired.identity)
        && current.zone.eq_ignore_ascii_case(&wanted.zone)
    {
        wanted.zone.clone_from(&current.zone);
    }

    let current_channel = existing
        .managed_spec
        .as_ref()
        .map_or(0, |spec| spec.release_channel);
    let wanted_channel = desired
        .managed_spec
        .as_ref()
        .map_or(0, |spec| spec.release_channel);
    if wanted_channel != current_channel
        && channel_or_stable(wanted_channel) == channel_or_stable(current_channel)
    {
        // The mask treats an absent managedSpec as one with every field at its default.
        let wanted = desired.managed_spec.get_or_insert_with(Default::default);
        wanted.release_channel = current_channel;
    }

    if existing.profile_bindings.len() == desired.profile_bindings.len() {
        let pairs = existing.profile_bindings.iter();
        for (current, wanted) in pairs.zip(&mut desired.profile_bindings) {
            keep_equivalent_json(&current.overrides_json, &mut wanted.overrides_json);
        }
    }
    desired
}

fn channel_or_stable(channel: i32) -> i32 {
    if channel == ReleaseChannel::Unspecified as i32 {
        ReleaseChannel::Stable as i32
    } else {
        channel
    }
}

fn keep_equivalent_json(current: &str, wanted: &mut String) {
    if current == wanted.as_str() {
        return;
    }
    let parse = |text: &str| serde_json::from_str::<Value>(text).ok();
    if let (Some(current_value), Some(wanted_value)) = (parse(current), parse(wanted))
        && current_value == wanted_value
    {
        *wanted = current.to_string();
    }
}

/// Maps a template mask path to the JSON paths it covers.
fn template_json_paths(path: &str) -> Vec<&'static str> {
    match path {
        "description" => vec!["description"],
        "spec" => vec!["spec"],
        "labels" => vec!["labels"],
        _ => Vec::new(),
    }
}

/// Maps a runner mask path to the JSON paths it covers. The parent
/// `managed_spec` only enters a computed mask for the two booleans.
fn runner_json_paths(path: &str) -> Vec<&'static str> {
    match path {
        "display_name" => vec!["displayName"],
        "identity.zone" => vec!["identity.zone"],
        "identity.runner_group_id" => vec!["identity.runnerGroupId"],
        "managed_spec" => vec![
            "managedSpec.allowPrivilegedProfileAnnotations",
            "managedSpec.enforceResourceLimits",
        ],
        "managed_spec.release_channel" => vec!["managedSpec.releaseChannel"],
        "managed_spec.maintenance_policy" => vec!["managedSpec.maintenancePolicy"],
        "managed_spec.overrides" => vec!["managedSpec.overrides"],
        "profile_bindings" => vec!["profileBindings"],
        _ => Vec::new(),
    }
}

fn diff_paths<T: Serialize>(
    old: &T,
    new: &T,
    mask: &FieldMask,
    json_paths: fn(&str) -> Vec<&'static str>,
) -> Diff {
    let old = serde_json::to_value(old).unwrap_or(Value::Null);
    let new = serde_json::to_value(new).unwrap_or(Value::Null);
    let mut changes = Vec::new();
    for path in &mask.paths {
        for json_path in json_paths(path) {
            let old_value = lookup(&old, json_path);
            let new_value = lookup(&new, json_path);
            diff_values(json_path.to_string(), old_value, new_value, &mut changes);
        }
    }
    Diff { changes }
}

fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(value, |value, key| value.get(key))
        .filter(|value| !value.is_null())
}

/// Appends the leaf differences between `old` and `new` under `path`.
fn diff_values(path: String, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<FieldChange>) {
    match (old, new) {
        (Some(Value::Object(old_map)), Some(Value::Object(new_map))) => {
            let mut keys: Vec<&String> = old_map.keys().chain(new_map.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let child = format!("{path}.{key}");
                diff_values(child, old_map.get(key), new_map.get(key), out);
            }
        }
        (Some(Value::Array(old_items)), Some(Value::Array(new_items))) => {
            for index in 0..old_items.len().max(new_items.len()) {
                let child = format!("{path}[{index}]");
                diff_values(child, old_items.get(index), new_items.get(index), out);
            }
        }
        _ if old != new => out.push(FieldChange {
            path,
            old: old.cloned(),
            new: new.cloned(),
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1beta2::{ManagedRunnerSpec, ProfileSpec, RunnerIdentity, RunnerProfileBinding};

    fn template(description: &str, network: &str) -> ProfileTemplate {
        ProfileTemplate {
            id: "9d1e".to_string(),
            display_name: "agents".to_string(),
            description: description.to_string(),
            spec: Some(ProfileSpec {
                runtime_class: "gvisor".to_string(),
                network_config_json: network.to_string(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn missing_template_is_created() {
        assert_eq!(
            plan_profile_template(None, &template("a", "{}")),
            Plan::Create
        );
    }

    #[test]
    fn equal_template_is_unchanged() {
        let existing = template("a", r#"{"egress": {"default": "x"}}"#);
        let desired = template("a", r#"{"egress":{"default":"x"}}"#);
        assert_eq!(
            plan_profile_template(Some(&existing), &desired),
            Plan::Unchanged
        );
    }

    #[test]
    fn changed_template_diff_names_leaves() {
        let existing = template("a", "{}");
        let mut desired = template("b", "{}");
        desired.spec.as_mut().unwrap().runtime_class = "kata-qemu".to_string();
        let Plan::Update { mask, diff } = plan_profile_template(Some(&existing), &desired) else {
            panic!("expected an update");
        };
        assert_eq!(mask.paths, ["description", "spec"]);
        let lines: Vec<String> = diff.changes().iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                r#"description: "a" -> "b""#,
                r#"spec.runtimeClass: "gvisor" -> "kata-qemu""#
            ]
        );
    }

    #[test]
    fn unset_field_shows_unset() {
        let existing = template("a", "{}");
        let desired = template("", "{}");
        let Plan::Update { diff, .. } = plan_profile_template(Some(&existing), &desired) else {
            panic!("expected an update");
        };
        assert_eq!(diff.to_string(), "description: \"a\" -> (unset)\n");
    }

    fn runner(zone: &str, channel: i32) -> Runner {
        Runner {
            identity: Some(RunnerIdentity {
                runner_id: "lab".to_string(),
                zone: zone.to_string(),
                cluster_name: "lab-cks".to_string(),
                ..Default::default()
            }),
            managed_spec: Some(ManagedRunnerSpec {
                release_channel: channel,
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

    #[test]
    fn runner_equivalent_forms_are_unchanged() {
        let mut existing = runner("US-WEST-09B", 1);
        existing.install_status = 3;
        let desired = runner("us-west-09b", 0);
        assert_eq!(plan_runner(Some(&existing), &desired), Ok(Plan::Unchanged));
    }

    #[test]
    fn runner_channel_change_diff() {
        let existing = runner("US-WEST-09B", 2);
        let desired = runner("US-WEST-09B", 1);
        let Ok(Plan::Update { mask, diff }) = plan_runner(Some(&existing), &desired) else {
            panic!("expected an update");
        };
        assert_eq!(mask.paths, ["managed_spec.release_channel"]);
        assert_eq!(
            diff.to_string(),
            "managedSpec.releaseChannel: \"RELEASE_CHANNEL_RAPID\" -> \"RELEASE_CHANNEL_STABLE\"\n"
        );
    }

    #[test]
    fn runner_cluster_change_is_error() {
        let existing = runner("US-WEST-09B", 1);
        let mut desired = runner("US-WEST-09B", 1);
        desired.identity.as_mut().unwrap().cluster_name = "other".to_string();
        let error = plan_runner(Some(&existing), &desired).unwrap_err();
        assert_eq!(error.path, "identity.clusterName");
        assert!(error.to_string().contains("immutable"));
    }

    #[test]
    fn binding_diff_is_per_index() {
        let existing = runner("Z", 1);
        let mut desired = runner("Z", 1);
        desired.profile_bindings.push(RunnerProfileBinding {
            profile_template_id: "p2".to_string(),
            ..Default::default()
        });
        let Ok(Plan::Update { diff, .. }) = plan_runner(Some(&existing), &desired) else {
            panic!("expected an update");
        };
        assert_eq!(
            diff.to_string(),
            "profileBindings[1]: (unset) -> {\"profileTemplateId\":\"p2\"}\n"
        );
    }
}
