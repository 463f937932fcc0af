//! Validation of profile templates and runners that needs no stored state.
//!
//! Each check appends `Violation`s with the proto path of the field, so one
//! response lists every problem of a request.

use std::collections::HashMap;
use std::net::IpAddr;

use serde_json::{Map, Value};

use super::error::{Violation, reason};
use super::timefmt::is_valid_timestamp;
use crate::v1beta2::{
    MaintenancePolicy, ManagedRunnerSpec, ProfileSpec, ProfileTemplate, ReleaseChannel, Runner,
    RunnerDeploymentOverrides, RunnerProfileBinding,
};

/// Shortest and longest maintenance window, in seconds.
const WINDOW_SECONDS: std::ops::RangeInclusive<i32> = 60..=604_800;

/// Maximum nesting depth of the JSON held in the `*Json` string fields.
const MAX_EMBEDDED_JSON_DEPTH: usize = 32;

/// Checks a runner id or template display name: 1-63 characters of
/// `[a-z0-9-]`, starting and ending with a letter or digit.
pub(crate) fn check_name(field: &str, value: &str, out: &mut Vec<Violation>) {
    if value.is_empty() {
        out.push(Violation::new(field, "required"));
    } else if !is_valid_name(value) {
        out.push(Violation::new(
            field,
            format!(
                "{value:?} is invalid: use 1-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit"
            ),
        ));
    }
}

pub(crate) fn is_valid_name(value: &str) -> bool {
    let bytes = value.as_bytes();
    let allowed = |byte: &u8| byte.is_ascii_lowercase() || byte.is_ascii_digit() || *byte == b'-';
    let alphanumeric =
        |byte: Option<&u8>| byte.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    (1..=63).contains(&bytes.len())
        && bytes.iter().all(allowed)
        && alphanumeric(bytes.first())
        && alphanumeric(bytes.last())
}

fn output_only(out: &mut Vec<Violation>, field: String) {
    out.push(
        Violation::new(field, "is output only; remove it from the create request")
            .with_reason(reason::OUTPUT_ONLY_FIELD),
    );
}

/// Rejects output-only fields that a create request sets.
pub(crate) fn template_output_only(template: &ProfileTemplate, out: &mut Vec<Violation>) {
    let set = [
        ("id", !template.id.is_empty()),
        ("organization_id", !template.organization_id.is_empty()),
        ("created_at", template.created_at.is_some()),
        ("updated_at", template.updated_at.is_some()),
    ];
    for (name, is_set) in set {
        if is_set {
            output_only(out, format!("profile_template.{name}"));
        }
    }
}

/// Rejects output-only fields that a create request sets.
pub(crate) fn runner_output_only(runner: &Runner, out: &mut Vec<Violation>) {
    let set = [
        ("id", !runner.id.is_empty()),
        ("management_mode", runner.management_mode != 0),
        ("install_status", runner.install_status != 0),
        ("install_error", runner.install_error.is_some()),
        ("connection_status", runner.connection_status != 0),
        (
            "active_config_version",
            !runner.active_config_version.is_empty(),
        ),
        (
            "active_profile_spec_version",
            !runner.active_profile_spec_version.is_empty(),
        ),
        ("active_revision", runner.active_revision != 0),
        ("target_revision", runner.target_revision != 0),
        ("update_available", runner.update_available),
        ("rollout_in_progress", runner.rollout_in_progress),
        ("deployment_spec", runner.deployment_spec.is_some()),
        ("created_at", runner.created_at.is_some()),
        ("updated_at", runner.updated_at.is_some()),
        ("last_heartbeat_at", runner.last_heartbeat_at.is_some()),
        ("organization_id", !runner.organization_id.is_empty()),
    ];
    for (name, is_set) in set {
        if is_set {
            output_only(out, format!("runner.{name}"));
        }
    }
}

/// Checks the fields of a template that a create or update leaves it with.
pub(crate) fn template(template: &ProfileTemplate, out: &mut Vec<Violation>) {
    check_name("profile_template.display_name", &template.display_name, out);
    match &template.spec {
        Some(spec) => profile_spec(spec, "profile_template.spec", out),
        None => out.push(Violation::new(
            "profile_template.spec",
            "required; send {} for an empty spec",
        )),
    }
    for key in template.labels.keys() {
        if key.is_empty() {
            out.push(Violation::new(
                "profile_template.labels",
                "label keys must not be empty",
            ));
        }
    }
}

/// Checks a profile spec: quantities and the three embedded JSON documents.
pub(crate) fn profile_spec(spec: &ProfileSpec, prefix: &str, out: &mut Vec<Violation>) {
    if let Some(defaults) = &spec.resource_defaults {
        let quantities = [
            ("cpu_request", &defaults.cpu_request),
            ("memory_request", &defaults.memory_request),
            ("cpu_limit", &defaults.cpu_limit),
            ("memory_limit", &defaults.memory_limit),
        ];
        for (name, value) in quantities {
            check_quantity(&format!("{prefix}.resource_defaults.{name}"), value, out);
        }
    }
    type ShapeCheck = fn(&Map<String, Value>) -> Result<(), String>;
    let documents: [(&str, &String, ShapeCheck); 3] = [
        (
            "namespace_config_json",
            &spec.namespace_config_json,
            namespace_config,
        ),
        (
            "network_config_json",
            &spec.network_config_json,
            network_config,
        ),
        ("pod_template_json", &spec.pod_template_json, |_| Ok(())),
    ];
    for (name, text, check_shape) in documents {
        if text.is_empty() {
            continue;
        }
        let result = json_object(text).and_then(|object| check_shape(&object));
        if let Err(message) = result {
            out.push(Violation::new(format!("{prefix}.{name}"), message));
        }
    }
}

/// Parses a string field that must hold a JSON object.
fn json_object(text: &str) -> Result<Map<String, Value>, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|error| format!("is not valid JSON: {error}"))?;
    if super::codec::depth(&value) > MAX_EMBEDDED_JSON_DEPTH {
        return Err(format!(
            "nests deeper than {MAX_EMBEDDED_JSON_DEPTH} levels"
        ));
    }
    match value {
        Value::Object(object) => Ok(object),
        other => Err(format!("must be a JSON object, not {}", json_kind(&other))),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn reject_unknown_keys(
    object: &Map<String, Value>,
    known: &[&str],
    subject: &str,
) -> Result<(), String> {
    let Some(key) = object.keys().find(|key| !known.contains(&key.as_str())) else {
        return Ok(());
    };
    // A field whose JSON name equals its proto name is listed once.
    let mut allowed: Vec<&str> = Vec::with_capacity(known.len());
    for name in known {
        if !allowed.contains(name) {
            allowed.push(name);
        }
    }
    Err(format!(
        "{subject} has unknown key {key:?}; allowed keys: {}",
        allowed.join(", ")
    ))
}

/// `{"strategy": "per-user"|"per-org"|"per-profile"|"static", "namespacePrefix": "..."}`.
fn namespace_config(object: &Map<String, Value>) -> Result<(), String> {
    reject_unknown_keys(object, &["strategy", "namespacePrefix"], "namespace config")?;
    const STRATEGIES: [&str; 4] = ["per-user", "per-org", "per-profile", "static"];
    match object.get("strategy") {
        Some(Value::String(strategy)) if STRATEGIES.contains(&strategy.as_str()) => {}
        Some(other) => {
            return Err(format!(
                "namespace config strategy {other} is invalid; use one of {}",
                STRATEGIES.join(", ")
            ));
        }
        None => return Err("namespace config needs a strategy".to_string()),
    }
    match object.get("namespacePrefix") {
        None | Some(Value::String(_)) => Ok(()),
        Some(other) => Err(format!(
            "namespace config namespacePrefix must be a string, not {}",
            json_kind(other)
        )),
    }
}

/// `{"egress": {"default": MODE, "modes": {MODE: {"type": ..., "cidrs": [...]}}}}`.
fn network_config(object: &Map<String, Value>) -> Result<(), String> {
    reject_unknown_keys(object, &["egress"], "network config")?;
    let Some(Value::Object(egress)) = object.get("egress") else {
        return Err("network config needs an egress object".to_string());
    };
    reject_unknown_keys(egress, &["default", "modes"], "network config egress")?;
    let Some(Value::Object(modes)) = egress.get("modes") else {
        return Err("network config egress needs a modes object".to_string());
    };
    if modes.is_empty() {
        return Err("network config egress.modes must name at least one mode".to_string());
    }
    match egress.get("default") {
        Some(Value::String(default)) if modes.contains_key(default) => {}
        Some(Value::String(default)) => {
            let names: Vec<&str> = modes.keys().map(String::as_str).collect();
            return Err(format!(
                "network config egress.default {default:?} is not a key of egress.modes ({})",
                names.join(", ")
            ));
        }
        _ => return Err("network config egress needs a default mode name".to_string()),
    }
    for (name, mode) in modes {
        egress_mode(name, mode)?;
    }
    Ok(())
}

fn egress_mode(name: &str, mode: &Value) -> Result<(), String> {
    let Value::Object(mode) = mode else {
        return Err(format!("egress mode {name:?} must be an object"));
    };
    reject_unknown_keys(mode, &["type", "cidrs"], &format!("egress mode {name:?}"))?;
    let kind = match mode.get("type") {
        Some(Value::String(kind)) if ["none", "internet", "allowlist"].contains(&kind.as_str()) => {
            kind.as_str()
        }
        _ => {
            return Err(format!(
                "egress mode {name:?} needs a type of none, internet or allowlist"
            ));
        }
    };
    let cidrs = match mode.get("cidrs") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(other) => {
            return Err(format!(
                "egress mode {name:?} cidrs must be an array, not {}",
                json_kind(other)
            ));
        }
    };
    for cidr in &cidrs {
        match cidr.as_str() {
            Some(text) if is_valid_cidr(text) => {}
            _ => return Err(format!("egress mode {name:?} has invalid CIDR {cidr}")),
        }
    }
    match (kind, cidrs.is_empty()) {
        ("allowlist", true) => Err(format!(
            "egress mode {name:?} of type allowlist needs at least one CIDR"
        )),
        ("none" | "internet", false) => Err(format!(
            "egress mode {name:?} of type {kind} takes no cidrs; only allowlist does"
        )),
        _ => Ok(()),
    }
}

/// Returns whether `text` is an IPv4 or IPv6 network such as `198.51.100.0/24`.
pub(crate) fn is_valid_cidr(text: &str) -> bool {
    let Some((address, prefix)) = text.split_once('/') else {
        return false;
    };
    let Ok(address) = address.parse::<IpAddr>() else {
        return false;
    };
    let max = if address.is_ipv4() { 32 } else { 128 };
    !prefix.is_empty()
        && prefix.bytes().all(|b| b.is_ascii_digit())
        && prefix.parse::<u8>().is_ok_and(|bits| bits <= max)
}

fn check_quantity(field: &str, value: &str, out: &mut Vec<Violation>) {
    if !value.is_empty() && !is_valid_quantity(value) {
        out.push(Violation::new(
            field,
            format!("{value:?} is not a Kubernetes quantity such as 500m, 2 or 16Gi"),
        ));
    }
}

/// Returns whether `text` is a non-negative Kubernetes quantity: a decimal number with
/// an optional binary (`Ki`..`Ei`), decimal (`n`..`E`) or exponent suffix.
pub(crate) fn is_valid_quantity(text: &str) -> bool {
    let text = text.strip_prefix('+').unwrap_or(text);
    let number_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(number_end);
    let digits = number.bytes().filter(u8::is_ascii_digit).count();
    if digits == 0 || number.matches('.').count() > 1 {
        return false;
    }
    const SUFFIXES: [&str; 16] = [
        "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E",
    ];
    if SUFFIXES.contains(&suffix) {
        return true;
    }
    let Some(exponent) = suffix.strip_prefix(['e', 'E']) else {
        return false;
    };
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    !exponent.is_empty() && exponent.bytes().all(|b| b.is_ascii_digit())
}

/// Checks the runner fields a create or update leaves it with, except those
/// that need stored state (clusters and bound templates).
pub(crate) fn runner(runner: &Runner, out: &mut Vec<Violation>) {
    match &runner.identity {
        Some(identity) if !identity.zone.trim().is_empty() => {}
        _ => out.push(Violation::new(
            "runner.identity.zone",
            "required; set the CoreWeave zone of the cluster, such as US-EAST-04A",
        )),
    }
    bindings(&runner.profile_bindings, out);
    if let Some(spec) = &runner.managed_spec {
        managed_spec(spec, out);
    }
}

fn bindings(bindings: &[RunnerProfileBinding], out: &mut Vec<Violation>) {
    if bindings.is_empty() {
        out.push(Violation::new(
            "runner.profile_bindings",
            "at least one profile binding is required",
        ));
        return;
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (index, binding) in bindings.iter().enumerate() {
        let prefix = format!("runner.profile_bindings[{index}]");
        let id = binding.profile_template_id.as_str();
        if id.is_empty() {
            out.push(Violation::new(
                format!("{prefix}.profile_template_id"),
                "required",
            ));
        } else if let Some(first) = seen.insert(id, index) {
            out.push(Violation::new(
                format!("{prefix}.profile_template_id"),
                format!("template {id:?} is already bound by profile_bindings[{first}]; bind each template once"),
            ));
            seen.insert(id, first);
        }
        if !binding.profile_name.is_empty() && !is_valid_name(&binding.profile_name) {
            check_name(
                &format!("{prefix}.profile_name"),
                &binding.profile_name,
                out,
            );
        }
        if !binding.overrides_json.is_empty()
            && let Err(violation) = binding_overrides(&binding.overrides_json, &prefix)
        {
            out.push(violation);
        }
    }
    let defaults = bindings.iter().filter(|binding| binding.is_default).count();
    if defaults != 1 {
        out.push(
            Violation::new(
                "runner.profile_bindings",
                format!("{defaults} bindings have is_default set; exactly one is required"),
            )
            .with_message(format!(
                "exactly one profile binding must be the default (found {defaults})"
            )),
        );
    }
}

/// The JSON names of `ProfileSpec` fields, in both spellings proto3 JSON accepts.
const PROFILE_SPEC_KEYS: [&str; 18] = [
    "containerImage",
    "container_image",
    "runtimeClass",
    "runtime_class",
    "resourceDefaults",
    "resource_defaults",
    "instanceTypes",
    "instance_types",
    "nodeSelector",
    "node_selector",
    "tags",
    "tags",
    "namespaceConfigJson",
    "namespace_config_json",
    "networkConfigJson",
    "network_config_json",
    "podTemplateJson",
    "pod_template_json",
];

/// Checks a binding's `overrides_json`: a partial `ProfileSpec` as a JSON object.
fn binding_overrides(text: &str, prefix: &str) -> Result<(), Violation> {
    let field = format!("{prefix}.overrides_json");
    let object = json_object(text).map_err(|message| Violation::new(&field, message))?;
    reject_unknown_keys(
        &object,
        &PROFILE_SPEC_KEYS,
        "overrides_json (a partial ProfileSpec)",
    )
    .map_err(|message| Violation::new(&field, message))?;
    let spec: ProfileSpec = serde_json::from_value(Value::Object(object)).map_err(|error| {
        Violation::new(&field, format!("is not a partial ProfileSpec: {error}"))
    })?;
    let mut nested = Vec::new();
    profile_spec(&spec, &field, &mut nested);
    match nested.into_iter().next() {
        Some(violation) => Err(Violation::new(
            field,
            format!("{}: {}", violation.field, violation.description),
        )),
        None => Ok(()),
    }
}

fn managed_spec(spec: &ManagedRunnerSpec, out: &mut Vec<Violation>) {
    if ReleaseChannel::try_from(spec.release_channel).is_err() {
        out.push(Violation::new(
            "runner.managed_spec.release_channel",
            format!(
                "unknown release channel {}; use RELEASE_CHANNEL_STABLE or RELEASE_CHANNEL_RAPID",
                spec.release_channel
            ),
        ));
    }
    if let Some(policy) = &spec.maintenance_policy {
        maintenance_policy(policy, out);
    }
    if let Some(overrides) = &spec.overrides {
        deployment_overrides(overrides, out);
    }
}

fn maintenance_policy(policy: &MaintenancePolicy, out: &mut Vec<Violation>) {
    let prefix = "runner.managed_spec.maintenance_policy";
    for (index, window) in policy.windows.iter().enumerate() {
        if let Err(message) = check_cron(&window.cron) {
            out.push(Violation::new(
                format!("{prefix}.windows[{index}].cron"),
                message,
            ));
        }
        if !WINDOW_SECONDS.contains(&window.duration_seconds) {
            out.push(Violation::new(
                format!("{prefix}.windows[{index}].duration_seconds"),
                format!(
                    "{} is outside 60..=604800 seconds (1 minute to 7 days)",
                    window.duration_seconds
                ),
            ));
        }
    }
    for (index, exclusion) in policy.exclusions.iter().enumerate() {
        let field = format!("{prefix}.exclusions[{index}]");
        match (&exclusion.start_time, &exclusion.end_time) {
            (Some(start), _) if !is_valid_timestamp(start) => out.push(Violation::new(
                format!("{field}.start_time"),
                "is outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z",
            )),
            (_, Some(end)) if !is_valid_timestamp(end) => out.push(Violation::new(
                format!("{field}.end_time"),
                "is outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z",
            )),
            (Some(start), Some(end)) => {
                if (end.seconds, end.nanos) <= (start.seconds, start.nanos) {
                    out.push(Violation::new(
                        format!("{field}.end_time"),
                        "must be after start_time",
                    ));
                }
            }
            (None, _) => out.push(Violation::new(format!("{field}.start_time"), "required")),
            (_, None) => out.push(Violation::new(format!("{field}.end_time"), "required")),
        }
    }
}

fn deployment_overrides(overrides: &RunnerDeploymentOverrides, out: &mut Vec<Violation>) {
    let prefix = "runner.managed_spec.overrides";
    for (index, toleration) in overrides.tolerations.iter().enumerate() {
        let field = format!("{prefix}.tolerations[{index}]");
        match toleration.operator.as_str() {
            "" | "Equal" => {
                if toleration.key.is_empty() {
                    out.push(Violation::new(
                        format!("{field}.key"),
                        "required unless the operator is Exists",
                    ));
                }
            }
            "Exists" => {
                if !toleration.value.is_empty() {
                    out.push(Violation::new(
                        format!("{field}.value"),
                        "must be empty when the operator is Exists",
                    ));
                }
            }
            other => out.push(Violation::new(
                format!("{field}.operator"),
                format!("{other:?} is invalid; use Equal or Exists"),
            )),
        }
        if !["", "NoSchedule", "PreferNoSchedule", "NoExecute"]
            .contains(&toleration.effect.as_str())
        {
            out.push(Violation::new(
                format!("{field}.effect"),
                format!(
                    "{:?} is invalid; use NoSchedule, PreferNoSchedule or NoExecute",
                    toleration.effect
                ),
            ));
        }
    }
    if let Some(resources) = &overrides.resources {
        let quantities = [
            ("cpu_request", &resources.cpu_request),
            ("memory_request", &resources.memory_request),
            ("cpu_limit", &resources.cpu_limit),
            ("memory_limit", &resources.memory_limit),
        ];
        for (name, value) in quantities {
            check_quantity(&format!("{prefix}.resources.{name}"), value, out);
        }
    }
    if let Some(scaling) = &overrides.scaling {
        let counts = [
            ("replicas", scaling.replicas),
            ("min_replicas", scaling.min_replicas),
            ("max_replicas", scaling.max_replicas),
        ];
        for (name, count) in counts {
            if count < 0 {
                out.push(Violation::new(
                    format!("{prefix}.scaling.{name}"),
                    format!("{count} is negative"),
                ));
            }
        }
        if scaling.min_replicas > scaling.max_replicas {
            out.push(Violation::new(
                format!("{prefix}.scaling.min_replicas"),
                format!(
                    "{} is greater than max_replicas {}; min_replicas must be at most max_replicas",
                    scaling.min_replicas, scaling.max_replicas
                ),
            ));
        }
    }
}

/// Checks a five-field cron expression (minute, hour, day of month, month,
/// day of week), with lists, ranges, steps and month and weekday names.
pub(crate) fn check_cron(expression: &str) -> Result<(), String> {
    let fields: Vec<&str> = expression.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "{expression:?} has {} fields; a cron expression has 5: minute hour day-of-month month day-of-week",
            fields.len()
        ));
    }
    const MONTHS: [&str; 12] = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    let specs: [(&str, u32, u32, &[&str], u32); 5] = [
        ("minute", 0, 59, &[], 0),
        ("hour", 0, 23, &[], 0),
        ("day of month", 1, 31, &[], 0),
        ("month", 1, 12, &MONTHS, 1),
        ("day of week", 0, 7, &DAYS, 0),
    ];
    for (field, (name, min, max, names, first_name_value)) in fields.iter().zip(specs) {
        for item in field.split(',') {
            if !is_valid_cron_item(item, min, max, names, first_name_value) {
                return Err(format!(
                    "{name} field {field:?} of {expression:?} is invalid; values run {min}-{max}"
                ));
            }
        }
    }
    Ok(())
}

fn is_valid_cron_item(
    item: &str,
    min: u32,
    max: u32,
    names: &[&str],
    first_name_value: u32,
) -> bool {
    let (range, step) = match item.split_once('/') {
        Some((range, step)) => (range, Some(step)),
        None => (item, None),
    };
    if let Some(step) = step
        && !step
            .parse::<u32>()
            .is_ok_and(|step| step >= 1 && step <= max.max(1))
    {
        return false;
    }
    let value = |text: &str| -> Option<u32> {
        if let Ok(number) = text.parse::<u32>() {
            return (min..=max).contains(&number).then_some(number);
        }
        let upper = text.to_ascii_uppercase();
        let position = names.iter().position(|name| *name == upper)?;
        u32::try_from(position).ok().map(|p| p + first_name_value)
    };
    if range == "*" {
        return true;
    }
    match range.split_once('-') {
        Some((low, high)) => {
            matches!((value(low), value(high)), (Some(low), Some(high)) if low <= high)
        }
        None => value(range).is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_lists_each_name_once() {
        let object = json_object(r#"{"nope": 1}"#).unwrap();
        let message = reject_unknown_keys(&object, &PROFILE_SPEC_KEYS, "overrides").unwrap_err();
        assert_eq!(message.matches("tags").count(), 1, "{message}");
        assert!(message.contains("\"nope\""), "{message}");
    }

    #[test]
    fn names_follow_the_rule() {
        for valid in ["a", "lab-west", "a1", &"a".repeat(63)] {
            assert!(is_valid_name(valid), "{valid}");
        }
        for invalid in ["", "-a", "a-", "Lab", "a_b", "a.b", &"a".repeat(64)] {
            assert!(!is_valid_name(invalid), "{invalid}");
        }
    }

    #[test]
    fn quantities_follow_kubernetes() {
        for valid in [
            "500m",
            "2",
            "16Gi",
            "0.5",
            "1e3",
            "1.5E-2",
            "128974848",
            "129M",
        ] {
            assert!(is_valid_quantity(valid), "{valid}");
        }
        for invalid in ["", "-1", "Gi", "1GB", "1.2.3", "1e", "ten"] {
            assert!(!is_valid_quantity(invalid), "{invalid}");
        }
    }

    #[test]
    fn cidrs_parse() {
        for valid in ["198.51.100.0/24", "0.0.0.0/0", "2001:db8::/32"] {
            assert!(is_valid_cidr(valid), "{valid}");
        }
        for invalid in [
            "198.51.100.0",
            "198.51.100.0/33",
            "2001:db8::/129",
            "x/8",
            "1.2.3.4/",
        ] {
            assert!(!is_valid_cidr(invalid), "{invalid}");
        }
    }

    #[test]
    fn cron_expressions() {
        for valid in [
            "30 3 * * SUN",
            "*/15 * * * *",
            "0 0 1,15 JAN-MAR mon-fri",
            "0 22 * * 7",
        ] {
            assert!(check_cron(valid).is_ok(), "{valid}");
        }
        for invalid in [
            "",
            "* * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * * * FUN",
            "*/0 * * * *",
            "5-1 * * * *",
        ] {
            assert!(check_cron(invalid).is_err(), "{invalid}");
        }
    }

    #[test]
    fn network_config_shapes() {
        let valid = r#"{"egress":{"default":"m","modes":{"m":{"type":"allowlist","cidrs":["10.0.0.0/8"]},"off":{"type":"none"}}}}"#;
        assert!(json_object(valid).and_then(|o| network_config(&o)).is_ok());
        let invalid = [
            r#"{"egress":{"default":"x","modes":{"m":{"type":"none"}}}}"#,
            r#"{"egress":{"default":"m","modes":{"m":{"type":"allowlist"}}}}"#,
            r#"{"egress":{"default":"m","modes":{"m":{"type":"open"}}}}"#,
            r#"{"egress":{"default":"m","modes":{"m":{"type":"internet","cidrs":["10.0.0.0/8"]}}}}"#,
            r#"{"egress":{"default":"m","modes":{"m":{"type":"allowlist","cidrs":["10.0.0.0"]}}}}"#,
            r#"{"ingress":{}}"#,
        ];
        for text in invalid {
            assert!(
                json_object(text).and_then(|o| network_config(&o)).is_err(),
                "{text}"
            );
        }
    }
}
