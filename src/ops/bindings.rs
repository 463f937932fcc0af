//! Edits of a runner's profile binding list.
//!
//! Bindings are not addressable: they change only by an update of the runner
//! whose mask names `profile_bindings`, which replaces the whole list. These
//! functions compute the new list from the runner's current one, keeping
//! every other binding as it is and exactly one default.

use std::fmt;

use crate::v1beta2::{Runner, RunnerProfileBinding};

/// How to bind a profile template to a runner.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::{BindOptions, bind};
/// use cwsandbox_control::v1beta2::Runner;
///
/// let options = BindOptions {
///     name: Some("gpu".into()),
///     default: true,
///     overrides_json: Some(r#"{"runtimeClass": "kata-qemu"}"#.into()),
/// };
/// let bindings = bind(&Runner::default(), "9d1e", options)?;
/// assert_eq!(bindings[0].profile_name, "gpu");
/// assert!(bindings[0].is_default);
/// # Ok::<(), cwsandbox_control::ops::BindError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BindOptions {
    /// The alias sandboxes select the profile by. `None` keeps the current
    /// alias of an existing binding, or leaves it empty (the template's
    /// display name) on a new one.
    pub name: Option<String>,
    /// Makes this binding the runner's default, clearing the flag on the others.
    pub default: bool,
    /// A partial profile spec as a JSON object, applied over the template.
    /// `None` keeps the current overrides of an existing binding.
    pub overrides_json: Option<String>,
}

/// A binding change that would leave the runner invalid.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::{BindError, unbind};
/// use cwsandbox_control::v1beta2::{Runner, RunnerProfileBinding};
///
/// let binding = |id: &str, is_default: bool| RunnerProfileBinding {
///     profile_template_id: id.into(),
///     is_default,
///     ..Default::default()
/// };
/// let runner = Runner { profile_bindings: vec![binding("a", true)], ..Default::default() };
///
/// let error = unbind(&runner, "a").unwrap_err();
/// assert!(matches!(error, BindError::UnbindLast { .. }));
/// assert!(error.to_string().contains("bind another template first"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BindError {
    /// The overrides are not a JSON object.
    InvalidOverrides {
        /// The parse error, or the kind of JSON value found instead of an object.
        reason: String,
    },
    /// Another binding of the runner already uses the alias.
    DuplicateName {
        /// The alias.
        name: String,
        /// The template bound under that alias.
        profile_template_id: String,
    },
    /// The template is not bound to the runner.
    NotBound {
        /// The template.
        profile_template_id: String,
        /// The templates the runner binds.
        bound: Vec<String>,
    },
    /// The binding is the runner's default and other bindings remain.
    UnbindDefault {
        /// The template of the default binding.
        profile_template_id: String,
    },
    /// The binding is the runner's only one.
    UnbindLast {
        /// The template of the only binding.
        profile_template_id: String,
    },
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidOverrides { reason } => {
                write!(
                    f,
                    "invalid binding overrides: expected a JSON object: {reason}"
                )
            }
            Self::DuplicateName {
                name,
                profile_template_id,
            } => write!(
                f,
                "profile name {name:?} is already the alias of template {profile_template_id} \
                 on this runner; choose another name"
            ),
            Self::NotBound {
                profile_template_id,
                bound,
            } => write!(
                f,
                "template {profile_template_id} is not bound to this runner; it binds {}",
                bound.join(", ")
            ),
            Self::UnbindDefault {
                profile_template_id,
            } => write!(
                f,
                "template {profile_template_id} is the runner's default binding; make another \
                 binding the default first, because a runner needs exactly one default"
            ),
            Self::UnbindLast {
                profile_template_id,
            } => write!(
                f,
                "template {profile_template_id} is the runner's only binding, and a runner \
                 needs at least one; bind another template first or delete the runner"
            ),
        }
    }
}

impl std::error::Error for BindError {}

/// Returns the runner's binding list with `profile_template_id` bound.
///
/// A template that is already bound keeps its place and changes only what
/// `options` sets. A new binding goes last. The result has exactly one
/// default: the new binding when `options.default` is set or when no other
/// binding is the default, otherwise the current default.
///
/// # Errors
///
/// Returns [`BindError::InvalidOverrides`] when the overrides are not a JSON
/// object and [`BindError::DuplicateName`] when another binding has the alias.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::{BindOptions, bind};
/// use cwsandbox_control::v1beta2::{Runner, RunnerProfileBinding};
///
/// let binding = |id: &str, is_default: bool| RunnerProfileBinding {
///     profile_template_id: id.into(),
///     is_default,
///     ..Default::default()
/// };
/// let runner = Runner { profile_bindings: vec![binding("a", true)], ..Default::default() };
///
/// // A new binding goes last; the current default stays.
/// let bindings = bind(&runner, "b", BindOptions::default())?;
/// let ids: Vec<_> = bindings.iter().map(|b| (b.profile_template_id.as_str(), b.is_default)).collect();
/// assert_eq!(ids, [("a", true), ("b", false)]);
///
/// // With `default`, the new binding takes the flag.
/// let bindings = bind(&runner, "b", BindOptions { default: true, ..Default::default() })?;
/// let ids: Vec<_> = bindings.iter().map(|b| (b.profile_template_id.as_str(), b.is_default)).collect();
/// assert_eq!(ids, [("a", false), ("b", true)]);
/// # Ok::<(), cwsandbox_control::ops::BindError>(())
/// ```
pub fn bind(
    runner: &Runner,
    profile_template_id: &str,
    options: BindOptions,
) -> Result<Vec<RunnerProfileBinding>, BindError> {
    if let Some(overrides) = &options.overrides_json {
        check_overrides(overrides)?;
    }
    if let Some(name) = options.name.as_deref().filter(|name| !name.is_empty()) {
        let taken = runner.profile_bindings.iter().find(|binding| {
            binding.profile_name == name && binding.profile_template_id != profile_template_id
        });
        if let Some(binding) = taken {
            return Err(BindError::DuplicateName {
                name: name.to_string(),
                profile_template_id: binding.profile_template_id.clone(),
            });
        }
    }

    let mut bindings = runner.profile_bindings.clone();
    let index = match position(&bindings, profile_template_id) {
        Some(index) => index,
        None => {
            bindings.push(RunnerProfileBinding {
                profile_template_id: profile_template_id.to_string(),
                ..Default::default()
            });
            bindings.len() - 1
        }
    };

    let binding = &mut bindings[index];
    if let Some(name) = options.name {
        binding.profile_name = name;
    }
    if let Some(overrides) = options.overrides_json {
        binding.overrides_json = overrides;
    }
    let has_other_default = bindings
        .iter()
        .enumerate()
        .any(|(other, binding)| other != index && binding.is_default);
    if options.default || !has_other_default {
        set_default(&mut bindings, index);
    } else {
        keep_one_default(&mut bindings);
    }
    Ok(bindings)
}

/// Returns the runner's binding list without `profile_template_id`.
///
/// # Errors
///
/// Returns [`BindError::NotBound`] when the template is not bound,
/// [`BindError::UnbindLast`] for the only binding, and
/// [`BindError::UnbindDefault`] for the default binding while others remain.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::{BindError, unbind};
/// use cwsandbox_control::v1beta2::{Runner, RunnerProfileBinding};
///
/// let binding = |id: &str, is_default: bool| RunnerProfileBinding {
///     profile_template_id: id.into(),
///     is_default,
///     ..Default::default()
/// };
/// let runner = Runner {
///     profile_bindings: vec![binding("a", true), binding("b", false)],
///     ..Default::default()
/// };
///
/// let bindings = unbind(&runner, "b")?;
/// assert_eq!(bindings, [binding("a", true)]);
///
/// // The default binding stays while others remain.
/// assert!(matches!(unbind(&runner, "a"), Err(BindError::UnbindDefault { .. })));
/// # Ok::<(), BindError>(())
/// ```
pub fn unbind(
    runner: &Runner,
    profile_template_id: &str,
) -> Result<Vec<RunnerProfileBinding>, BindError> {
    let bindings = &runner.profile_bindings;
    let Some(index) = position(bindings, profile_template_id) else {
        return Err(BindError::NotBound {
            profile_template_id: profile_template_id.to_string(),
            bound: bindings
                .iter()
                .map(|binding| binding.profile_template_id.clone())
                .collect(),
        });
    };
    if bindings.len() == 1 {
        return Err(BindError::UnbindLast {
            profile_template_id: profile_template_id.to_string(),
        });
    }
    if bindings[index].is_default {
        return Err(BindError::UnbindDefault {
            profile_template_id: profile_template_id.to_string(),
        });
    }

    let mut bindings = bindings.clone();
    bindings.remove(index);
    keep_one_default(&mut bindings);
    Ok(bindings)
}

fn position(bindings: &[RunnerProfileBinding], profile_template_id: &str) -> Option<usize> {
    bindings
        .iter()
        .position(|binding| binding.profile_template_id == profile_template_id)
}

fn set_default(bindings: &mut [RunnerProfileBinding], index: usize) {
    for (other, binding) in bindings.iter_mut().enumerate() {
        binding.is_default = other == index;
    }
}

/// Keeps the first default when a list from the server has several, and makes
/// the first binding the default when it has none.
fn keep_one_default(bindings: &mut [RunnerProfileBinding]) {
    match bindings.iter().position(|binding| binding.is_default) {
        Some(first) => set_default(bindings, first),
        None if !bindings.is_empty() => set_default(bindings, 0),
        None => {}
    }
}

/// Checks that binding overrides are one JSON object.
pub(crate) fn check_overrides(text: &str) -> Result<(), BindError> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        Ok(other) => Err(BindError::InvalidOverrides {
            reason: format!("found {}", json_kind(&other)),
        }),
        Err(error) => Err(BindError::InvalidOverrides {
            reason: error.to_string(),
        }),
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(id: &str, default: bool) -> RunnerProfileBinding {
        RunnerProfileBinding {
            profile_template_id: id.to_string(),
            is_default: default,
            ..Default::default()
        }
    }

    fn runner(bindings: Vec<RunnerProfileBinding>) -> Runner {
        Runner {
            profile_bindings: bindings,
            ..Default::default()
        }
    }

    fn defaults(bindings: &[RunnerProfileBinding]) -> Vec<&str> {
        bindings
            .iter()
            .filter(|binding| binding.is_default)
            .map(|binding| binding.profile_template_id.as_str())
            .collect()
    }

    #[test]
    fn bind_appends_and_keeps_default() {
        let runner = runner(vec![binding("a", true)]);
        let bindings = bind(&runner, "b", BindOptions::default()).unwrap();
        assert_eq!(bindings.len(), 2);
        assert_eq!(bindings[1].profile_template_id, "b");
        assert_eq!(defaults(&bindings), ["a"]);
    }

    #[test]
    fn bind_default_moves_default() {
        let runner = runner(vec![binding("a", true), binding("b", false)]);
        let options = BindOptions {
            default: true,
            ..Default::default()
        };
        let bindings = bind(&runner, "b", options).unwrap();
        assert_eq!(defaults(&bindings), ["b"]);
        assert_eq!(bindings.len(), 2);
    }

    #[test]
    fn bind_first_becomes_default() {
        let bindings = bind(&runner(Vec::new()), "a", BindOptions::default()).unwrap();
        assert_eq!(defaults(&bindings), ["a"]);
    }

    #[test]
    fn bind_existing_updates_in_place() {
        let mut current = binding("b", false);
        current.overrides_json = r#"{"tags":["x"]}"#.to_string();
        let runner = runner(vec![binding("a", true), current, binding("c", false)]);
        let options = BindOptions {
            name: Some("bee".to_string()),
            ..Default::default()
        };
        let bindings = bind(&runner, "b", options).unwrap();
        assert_eq!(bindings.len(), 3);
        assert_eq!(bindings[1].profile_name, "bee");
        assert_eq!(bindings[1].overrides_json, r#"{"tags":["x"]}"#);
        assert_eq!(bindings[2], runner.profile_bindings[2]);
    }

    #[test]
    fn bind_rejects_non_object_overrides() {
        let options = BindOptions {
            overrides_json: Some("[1]".to_string()),
            ..Default::default()
        };
        let error = bind(&runner(Vec::new()), "a", options).unwrap_err();
        assert!(error.to_string().contains("found an array"), "{error}");
    }

    #[test]
    fn bind_rejects_taken_alias() {
        let mut taken = binding("a", true);
        taken.profile_name = "gpu".to_string();
        let options = BindOptions {
            name: Some("gpu".to_string()),
            ..Default::default()
        };
        let error = bind(&runner(vec![taken]), "b", options).unwrap_err();
        assert!(matches!(error, BindError::DuplicateName { .. }));
    }

    #[test]
    fn unbind_keeps_others() {
        let runner = runner(vec![
            binding("a", true),
            binding("b", false),
            binding("c", false),
        ]);
        let bindings = unbind(&runner, "b").unwrap();
        let ids: Vec<&str> = bindings
            .iter()
            .map(|binding| binding.profile_template_id.as_str())
            .collect();
        assert_eq!(ids, ["a", "c"]);
        assert_eq!(defaults(&bindings), ["a"]);
    }

    #[test]
    fn unbind_default_is_rejected() {
        let runner = runner(vec![binding("a", true), binding("b", false)]);
        let error = unbind(&runner, "a").unwrap_err();
        assert!(matches!(error, BindError::UnbindDefault { .. }));
        assert!(
            error
                .to_string()
                .contains("make another binding the default")
        );
    }

    #[test]
    fn unbind_last_is_rejected() {
        let error = unbind(&runner(vec![binding("a", true)]), "a").unwrap_err();
        assert!(matches!(error, BindError::UnbindLast { .. }));
        assert!(error.to_string().contains("at least one"));
    }

    #[test]
    fn unbind_unknown_lists_bound() {
        let error = unbind(&runner(vec![binding("a", true)]), "z").unwrap_err();
        assert_eq!(
            error.to_string(),
            "template z is not bound to this runner; it binds a"
        );
    }
}
