//! The methods of the service, executed against the state of one caller's
//! organization.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use serde_json::{Value, json};
use uuid::Uuid;

use super::codec::{Call, Reply};
use super::config::{ClusterConfig, ClusterStatus, EmulatorConfig};
use super::error::{ApiError, Violation, reason};
use super::lifecycle::{self, ready_at};
use super::mask;
use super::page_token::{ListKind, PageKey, PageTokens, page_size};
use super::state::{InstallFailure, Revision, RunnerRecord, State, TemplateRecord};
use super::timefmt::timestamp;
use super::validate;
use crate::v1beta2::{
    CreateManagedRunnerRequest, CreateProfileTemplateRequest, ListManagedRunnersResponse,
    ListProfileTemplatesResponse, Runner, RunnerIdentity, RunnerInstallErrorReason,
    RunnerInstallStatus, UpdateManagedRunnerRequest, UpdateProfileTemplateRequest,
};

/// The inputs of a call besides the state.
pub(crate) struct Context<'a> {
    pub(crate) now: SystemTime,
    pub(crate) config: &'a EmulatorConfig,
    pub(crate) page_tokens: &'a PageTokens,
    /// Organization of the caller; every lookup is scoped to it.
    pub(crate) organization: &'a str,
}

/// Runs one call. Mutating calls change `state` only when they succeed.
pub(crate) fn execute(state: &mut State, cx: &Context<'_>, call: Call) -> Result<Reply, ApiError> {
    match call {
        Call::CreateProfileTemplate(request) => create_template(state, cx, request),
        Call::GetProfileTemplate(request) => {
            let template = find_template(state, cx, &request.id, "id")?;
            Ok(Reply::Template(Box::new(template.template.clone())))
        }
        Call::ListProfileTemplates(request) => {
            let kind = ListKind::ProfileTemplates;
            let (size, after) = open_page(kind, request.page_size, &request.page_token, cx)?;
            let items = state.templates_after(cx.organization, after.as_ref());
            let (records, next_page_token) = cut_page(items, size, kind, cx);
            let profile_templates = records
                .into_iter()
                .map(|record| record.template.clone())
                .collect();
            Ok(Reply::Templates(ListProfileTemplatesResponse {
                profile_templates,
                next_page_token,
            }))
        }
        Call::UpdateProfileTemplate(request) => update_template(state, cx, request),
        Call::DeleteProfileTemplate(request) => delete_template(state, cx, &request.id),
        Call::CreateManagedRunner(request) => create_runner(state, cx, request),
        Call::GetRunner(request) => {
            let key = find_runner(state, cx, &request.id, "id")?;
            Ok(Reply::Runner(Box::new(render(state, cx, &key))))
        }
        Call::ListManagedRunners(request) => {
            let kind = ListKind::ManagedRunners;
            let (size, after) = open_page(kind, request.page_size, &request.page_token, cx)?;
            let items = state
                .runners_after(cx.organization, after.as_ref())
                .filter(|(_, record)| is_live(record, cx));
            let (records, next_page_token) = cut_page(items, size, kind, cx);
            let runners = records
                .into_iter()
                .map(|record| lifecycle::render(record, cx.now, cx.config, state.versions()))
                .collect();
            Ok(Reply::Runners(ListManagedRunnersResponse {
                runners,
                next_page_token,
            }))
        }
        Call::UpdateManagedRunner(request) => update_runner(state, cx, request),
        Call::DeleteManagedRunner(request) => delete_runner(state, cx, &request.id),
        Call::ApplyManagedRunnerUpdate(request) => apply_update(state, cx, &request.id),
    }
}

fn required(field: &str, description: &str) -> ApiError {
    ApiError::invalid(vec![Violation::new(
        field,
        format!("required; {description}"),
    )])
}

/// Checks a List request's page size and token; returns the size and the
/// key the page starts after.
fn open_page(
    kind: ListKind,
    requested_size: i32,
    token: &str,
    cx: &Context<'_>,
) -> Result<(usize, Option<PageKey>), ApiError> {
    let size = page_size(requested_size)?;
    let after = match token {
        "" => None,
        token => Some(cx.page_tokens.open(kind, cx.organization, token)?),
    };
    Ok((size, after))
}

/// Takes one page of at most `size` items from `items`, which are in List
/// order, and seals the token of the next page when more items follow.
fn cut_page<'a, T>(
    items: impl Iterator<Item = (&'a PageKey, T)>,
    size: usize,
    kind: ListKind,
    cx: &Context<'_>,
) -> (Vec<T>, String) {
    let mut remaining = items.peekable();
    let mut page = Vec::with_capacity(size);
    let mut last_key = None;
    while page.len() < size {
        let Some((key, item)) = remaining.next() else {
            break;
        };
        last_key = Some(key);
        page.push(item);
    }
    let next_page_token = match (remaining.peek(), last_key) {
        (Some(_), Some(last)) => cx.page_tokens.seal(kind, cx.organization, last),
        _ => String::new(),
    };
    (page, next_page_token)
}

// ---- profile templates ----

fn find_template<'a>(
    state: &'a State,
    cx: &Context<'_>,
    id: &str,
    field: &str,
) -> Result<&'a TemplateRecord, ApiError> {
    if id.is_empty() {
        return Err(required(field, "set it to the id of the profile template"));
    }
    let key = normalize_uuid(id);
    state
        .templates()
        .get(&key)
        .filter(|record| record.organization == cx.organization)
        .ok_or_else(|| {
            ApiError::not_found(
                reason::PROFILE_NOT_FOUND,
                format!("profile template {id:?} not found"),
            )
            .with_metadata("profile_template_id", id)
        })
}

/// Returns the canonical lowercase form of a UUID. Other ids pass unchanged.
fn normalize_uuid(id: &str) -> String {
    match Uuid::parse_str(id) {
        Ok(uuid) => uuid.hyphenated().to_string(),
        Err(_) => id.to_string(),
    }
}

fn create_template(
    state: &mut State,
    cx: &Context<'_>,
    request: CreateProfileTemplateRequest,
) -> Result<Reply, ApiError> {
    let Some(mut template) = request.profile_template else {
        return Err(required("profile_template", "send the template to create"));
    };
    let mut violations = Vec::new();
    validate::template_output_only(&template, &mut violations);
    validate::template(&template, &mut violations);
    if !violations.is_empty() {
        return Err(ApiError::invalid(violations));
    }
    if state.has_display_name(cx.organization, &template.display_name) {
        return Err(ApiError::already_exists(
            reason::PROFILE_ALREADY_EXISTS,
            format!(
                "profile template with display name {:?} already exists",
                template.display_name
            ),
        )
        .with_metadata("display_name", &template.display_name));
    }
    template.id = Uuid::new_v4().to_string();
    template.organization_id = cx.organization.to_string();
    template.created_at = Some(timestamp(cx.now));
    template.updated_at = template.created_at;
    state.put_template(TemplateRecord {
        organization: cx.organization.to_string(),
        template: template.clone(),
    });
    Ok(Reply::Template(Box::new(template)))
}

fn update_template(
    state: &mut State,
    cx: &Context<'_>,
    request: UpdateProfileTemplateRequest,
) -> Result<Reply, ApiError> {
    let Some(changes) = request.profile_template else {
        return Err(required(
            "profile_template",
            "send the template with its id",
        ));
    };
    if changes.id.is_empty() {
        return Err(required(
            "profile_template.id",
            "set it to the id of the template",
        ));
    }
    let paths = mask::template_paths(request.update_mask.as_ref())?;
    let stored = find_template(state, cx, &changes.id, "profile_template.id")?;
    let mut updated = stored.template.clone();

    let mut violations = Vec::new();
    if !changes.display_name.is_empty() && changes.display_name != updated.display_name {
        violations.push(
            Violation::new(
                "profile_template.display_name",
                "is immutable; create a new template to change it",
            )
            .with_reason(reason::IMMUTABLE_FIELD),
        );
    }
    mask::apply_template(&mut updated, &changes, paths.as_deref());
    validate::template(&updated, &mut violations);
    if !violations.is_empty() {
        return Err(ApiError::invalid(violations));
    }

    let spec_changed = updated.spec != stored.template.spec;
    if updated != stored.template {
        updated.updated_at = Some(timestamp(cx.now));
    }
    let id = updated.id.clone();
    let organization = stored.organization.clone();
    state.put_template(TemplateRecord {
        organization,
        template: updated.clone(),
    });
    if spec_changed {
        roll_out_template_change(state, cx, &id);
    }
    Ok(Reply::Template(Box::new(updated)))
}

/// Starts a new revision on every runner that binds the changed template.
fn roll_out_template_change(state: &mut State, cx: &Context<'_>, template_id: &str) {
    let binders: Vec<String> = state
        .runners()
        .iter()
        .filter(|(_, record)| is_live(record, cx) && !lifecycle::is_deleting(record, cx.now))
        .filter(|(_, record)| binds(&record.runner, template_id))
        .map(|(key, _)| key.clone())
        .collect();
    for key in binders {
        bump_revision(state, cx, &key, None);
    }
}

fn binds(runner: &Runner, template_id: &str) -> bool {
    runner
        .profile_bindings
        .iter()
        .any(|binding| binding.profile_template_id == template_id)
}

fn delete_template(state: &mut State, cx: &Context<'_>, id: &str) -> Result<Reply, ApiError> {
    let record = find_template(state, cx, id, "id")?;
    let key = record.template.id.clone();
    let name = record.template.display_name.clone();
    let mut users: Vec<&str> = state
        .runners()
        .values()
        .filter(|runner| is_live(runner, cx) && !lifecycle::is_deleting(runner, cx.now))
        .filter(|runner| binds(&runner.runner, &key))
        .map(|runner| runner_id_of(&runner.runner))
        .collect();
    users.sort_unstable();
    if !users.is_empty() {
        return Err(ApiError::failed_precondition(
            reason::PROFILE_IN_USE,
            format!(
                "profile template {name:?} is bound by runner{} {}; remove the binding{} first",
                if users.len() == 1 { "" } else { "s" },
                users.join(", "),
                if users.len() == 1 { "" } else { "s" },
            ),
        )
        .with_metadata("profile_template_id", &key)
        .with_metadata("runner_ids", users.join(",")));
    }
    state.remove_template(&key);
    Ok(Reply::Empty)
}

// ---- runners ----

fn runner_id_of(runner: &Runner) -> &str {
    runner
        .identity
        .as_ref()
        .map_or("", |identity| identity.runner_id.as_str())
}

/// Returns whether a runner belongs to the caller and has not finished teardown.
fn is_live(record: &RunnerRecord, cx: &Context<'_>) -> bool {
    record.organization == cx.organization
        && !lifecycle::is_gone(record, cx.now, &cx.config.timings)
}

/// Finds a live runner of the caller by UUID or runner id; returns its key.
fn find_runner(state: &State, cx: &Context<'_>, id: &str, field: &str) -> Result<String, ApiError> {
    if id.is_empty() {
        return Err(required(field, "set it to the runner's UUID or runner id"));
    }
    let by_uuid = normalize_uuid(id);
    if state
        .runners()
        .get(&by_uuid)
        .is_some_and(|record| is_live(record, cx))
    {
        return Ok(by_uuid);
    }
    state
        .runners()
        .iter()
        .find(|(_, record)| is_live(record, cx) && runner_id_of(&record.runner) == id)
        .map(|(key, _)| key.clone())
        .ok_or_else(|| {
            ApiError::not_found(reason::RUNNER_NOT_FOUND, format!("runner {id:?} not found"))
                .with_metadata("runner_id", id)
        })
}

fn render(state: &State, cx: &Context<'_>, key: &str) -> Runner {
    match state.runners().get(key) {
        Some(record) => lifecycle::render(record, cx.now, cx.config, state.versions()),
        None => Runner::default(),
    }
}

fn find_cluster<'a>(
    config: &'a EmulatorConfig,
    identity: &RunnerIdentity,
) -> Result<&'a ClusterConfig, ApiError> {
    let (field, value, found) = if identity.cluster_id.is_empty() {
        let found = config
            .clusters
            .iter()
            .find(|c| c.name == identity.cluster_name);
        ("cluster_name", &identity.cluster_name, found)
    } else {
        let found = config.clusters.iter().find(|c| c.id == identity.cluster_id);
        ("cluster_id", &identity.cluster_id, found)
    };
    found.ok_or_else(|| {
        ApiError::not_found(
            reason::CLUSTER_NOT_FOUND,
            format!("cluster {value:?} not found; check identity.{field}"),
        )
        .with_metadata(field, value)
    })
}

fn check_zone(cluster: &ClusterConfig, zone: &str) -> Result<(), ApiError> {
    if cluster.serves_zone(zone) {
        return Ok(());
    }
    let mut zones = vec![cluster.zone.clone()];
    zones.extend(cluster.extra_zones.iter().cloned());
    let violation = Violation::new(
        "runner.identity.zone",
        format!(
            "zone {zone:?} does not match cluster {:?}, which is in {}",
            cluster.name,
            zones.join(", ")
        ),
    )
    .with_reason(reason::ZONE_MISMATCH);
    Err(ApiError::invalid(vec![violation])
        .with_metadata("zone", zone)
        .with_metadata("cluster_name", &cluster.name))
}

/// Checks the bindings against the stored templates: each exists in the
/// organization, profile names are distinct, and limits are set when enforced.
fn check_bound_templates(state: &State, cx: &Context<'_>, runner: &Runner) -> Vec<Violation> {
    let mut violations = Vec::new();
    let enforce = runner
        .managed_spec
        .as_ref()
        .is_some_and(|spec| spec.enforce_resource_limits);
    let mut names: HashMap<String, usize> = HashMap::new();
    for (index, binding) in runner.profile_bindings.iter().enumerate() {
        let prefix = format!("runner.profile_bindings[{index}]");
        let template = state
            .templates()
            .get(&normalize_uuid(&binding.profile_template_id))
            .filter(|record| record.organization == cx.organization);
        let Some(template) = template else {
            if !binding.profile_template_id.is_empty() {
                violations.push(
                    Violation::new(
                        format!("{prefix}.profile_template_id"),
                        format!(
                            "profile template {:?} not found; create it first or fix the id",
                            binding.profile_template_id
                        ),
                    )
                    .with_reason(reason::BOUND_PROFILE_NOT_FOUND),
                );
            }
            continue;
        };
        let template = &template.template;
        let name = if binding.profile_name.is_empty() {
            template.display_name.clone()
        } else {
            binding.profile_name.clone()
        };
        if let Some(first) = names.get(&name) {
            violations.push(Violation::new(
                format!("{prefix}.profile_name"),
                format!(
                    "profile name {name:?} is already used by profile_bindings[{first}]; give each binding a distinct profile_name"
                ),
            ));
        } else {
            names.insert(name, index);
        }
        if enforce {
            let defaults = template
                .spec
                .as_ref()
                .and_then(|spec| spec.resource_defaults.clone())
                .unwrap_or_default();
            let missing: Vec<&str> = [
                ("cpu_limit", defaults.cpu_limit.is_empty()),
                ("memory_limit", defaults.memory_limit.is_empty()),
            ]
            .into_iter()
            .filter(|(_, missing)| *missing)
            .map(|(name, _)| name)
            .collect();
            if !missing.is_empty() {
                violations.push(Violation::new(
                    format!("{prefix}.profile_template_id"),
                    format!(
                        "template {:?} sets no {}; managed_spec.enforce_resource_limits requires cpu_limit and memory_limit in every bound template",
                        template.display_name,
                        missing.join(" or ")
                    ),
                ));
            }
        }
    }
    violations
}

fn short_hash(value: &Value) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
    digest.as_ref()[..6]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Builds a new revision of `runner`'s current configuration.
fn revision(
    templates: &BTreeMap<String, TemplateRecord>,
    runner: &Runner,
    number: i32,
    runner_version: String,
    now: SystemTime,
) -> Revision {
    let identity = runner.identity.clone().unwrap_or_default();
    let config_version = short_hash(&json!({
        "version": runner_version,
        "zone": identity.zone.to_ascii_uppercase(),
        "group": identity.runner_group_id,
        "spec": serde_json::to_value(&runner.managed_spec).unwrap_or(Value::Null),
    }));
    let profiles: Vec<Value> = runner
        .profile_bindings
        .iter()
        .map(|binding| {
            let spec = templates
                .get(&binding.profile_template_id)
                .and_then(|record| serde_json::to_value(&record.template.spec).ok());
            json!({ "binding": serde_json::to_value(binding).unwrap_or(Value::Null), "spec": spec })
        })
        .collect();
    Revision {
        number,
        runner_version,
        config_version,
        profile_spec_version: short_hash(&Value::Array(profiles)),
        started_at: now,
    }
}

/// Returns the failure an install on `cluster` ends in, if the cluster is unhealthy.
fn cluster_failure(cluster: Option<&ClusterConfig>, at: SystemTime) -> Option<InstallFailure> {
    let (reason, message) = match cluster {
        None => (
            RunnerInstallErrorReason::ClusterNotFound,
            "the cluster no longer exists".to_string(),
        ),
        Some(cluster) => match cluster.status {
            ClusterStatus::Ready => return None,
            ClusterStatus::Unreachable => (
                RunnerInstallErrorReason::ClusterUnreachable,
                format!("cluster {:?} is unreachable", cluster.name),
            ),
            ClusterStatus::InsufficientCapacity => (
                RunnerInstallErrorReason::InsufficientCapacity,
                format!("cluster {:?} has no capacity for the runner", cluster.name),
            ),
            ClusterStatus::PermissionDenied => (
                RunnerInstallErrorReason::PermissionDenied,
                format!(
                    "the control plane may not install into cluster {:?}",
                    cluster.name
                ),
            ),
        },
    };
    Some(InstallFailure {
        reason: reason as i32,
        message,
        at,
    })
}

/// Starts (or restarts) the install of a runner at `now`.
fn start_install(record: &mut RunnerRecord, cx: &Context<'_>) {
    record.install_started_at = cx.now;
    let cluster_id = record
        .runner
        .identity
        .as_ref()
        .map_or("", |identity| identity.cluster_id.as_str());
    let cluster = cx
        .config
        .clusters
        .iter()
        .find(|cluster| cluster.id == cluster_id);
    record.failure = cluster_failure(cluster, ready_at(record, &cx.config.timings));
}

/// Makes the runner's current configuration the new target revision. A
/// runner whose install failed starts a fresh install.
fn bump_revision(state: &mut State, cx: &Context<'_>, key: &str, version: Option<String>) {
    let Some(record) = state.runners().get(key) else {
        return;
    };
    let timings = &cx.config.timings;
    let failed = lifecycle::install_status(record, cx.now, timings) == RunnerInstallStatus::Failed;
    let active = lifecycle::active_revision(record, cx.now, timings).cloned();
    let version = version.unwrap_or_else(|| record.target.runner_version.clone());
    let target = revision(
        state.templates(),
        &record.runner,
        record.target.number + 1,
        version,
        cx.now,
    );
    state.update_runner(key, |record| {
        record.target = target;
        record.previous = active;
        if failed {
            start_install(record, cx);
        }
    });
}

fn create_runner(
    state: &mut State,
    cx: &Context<'_>,
    request: CreateManagedRunnerRequest,
) -> Result<Reply, ApiError> {
    let Some(mut runner) = request.runner else {
        return Err(required("runner", "send the runner to create"));
    };
    let mut violations = Vec::new();
    let identity = runner.identity.get_or_insert_with(RunnerIdentity::default);
    let runner_id = match (request.runner_id.as_str(), identity.runner_id.as_str()) {
        (top, inner) if !top.is_empty() && !inner.is_empty() && top != inner => {
            violations.push(Violation::new(
                "runner.identity.runner_id",
                format!("{inner:?} differs from runner_id {top:?}; set one or make them equal"),
            ));
            top.to_string()
        }
        ("", inner) => inner.to_string(),
        (top, _) => top.to_string(),
    };
    validate::check_name("runner_id", &runner_id, &mut violations);
    identity.runner_id.clone_from(&runner_id);
    match (
        identity.cluster_id.is_empty(),
        identity.cluster_name.is_empty(),
    ) {
        (true, true) => violations.push(Violation::new(
            "runner.identity",
            "set one of cluster_id and cluster_name (neither is set)",
        )),
        (false, false) => violations.push(Violation::new(
            "runner.identity",
            "set exactly one of cluster_id and cluster_name (both are set)",
        )),
        _ => {}
    }
    validate::runner_output_only(&runner, &mut violations);
    validate::runner(&runner, &mut violations);
    if !violations.is_empty() {
        return Err(ApiError::invalid(violations));
    }

    let identity = runner.identity.clone().unwrap_or_default();
    let cluster = find_cluster(cx.config, &identity)?.clone();
    check_zone(&cluster, &identity.zone)?;
    let violations = check_bound_templates(state, cx, &runner);
    if !violations.is_empty() {
        return Err(ApiError::invalid(violations));
    }
    check_unique(state, cx, &runner_id, &cluster)?;

    let id = Uuid::new_v4().to_string();
    if let Some(identity) = runner.identity.as_mut() {
        identity.cluster_id.clone_from(&cluster.id);
        identity.cluster_name.clone_from(&cluster.name);
    }
    for binding in &mut runner.profile_bindings {
        binding.profile_template_id = normalize_uuid(&binding.profile_template_id);
    }
    runner.id.clone_from(&id);
    runner.organization_id = cx.organization.to_string();
    runner.created_at = Some(timestamp(cx.now));
    runner.updated_at = runner.created_at;
    let version = state
        .versions()
        .get(lifecycle::release_channel(&runner))
        .to_string();
    let target = revision(state.templates(), &runner, 1, version, cx.now);
    let mut record = RunnerRecord {
        organization: cx.organization.to_string(),
        runner,
        install_started_at: cx.now,
        deleted_at: None,
        failure: None,
        heartbeats_stopped_at: None,
        target,
        previous: None,
    };
    start_install(&mut record, cx);
    state.put_runner(id.clone(), record);
    Ok(Reply::Runner(Box::new(render(state, cx, &id))))
}

/// Rejects a second runner with the same runner id, or on the same cluster.
fn check_unique(
    state: &State,
    cx: &Context<'_>,
    runner_id: &str,
    cluster: &ClusterConfig,
) -> Result<(), ApiError> {
    let live = |record: &&RunnerRecord| !lifecycle::is_gone(record, cx.now, &cx.config.timings);
    if state.runners().values().filter(live).any(|record| {
        record.organization == cx.organization && runner_id_of(&record.runner) == runner_id
    }) {
        return Err(ApiError::already_exists(
            reason::RUNNER_ALREADY_EXISTS,
            format!("runner {runner_id:?} already exists"),
        )
        .with_metadata("runner_id", runner_id));
    }
    let holder = state.runners().values().filter(live).find(|record| {
        record
            .runner
            .identity
            .as_ref()
            .is_some_and(|identity| identity.cluster_id == cluster.id)
    });
    if let Some(holder) = holder {
        // Another organization's runner is not named, only counted.
        let message = if holder.organization == cx.organization {
            format!(
                "cluster {:?} already holds runner {:?}; a cluster holds at most one managed runner",
                cluster.name,
                runner_id_of(&holder.runner)
            )
        } else {
            format!(
                "cluster {:?} already holds a managed runner; a cluster holds at most one",
                cluster.name
            )
        };
        return Err(
            ApiError::already_exists(reason::CLUSTER_HAS_RUNNER, message)
                .with_metadata("cluster_id", &cluster.id)
                .with_metadata("cluster_name", &cluster.name),
        );
    }
    Ok(())
}

fn deleting_error(runner_id: &str) -> ApiError {
    ApiError::failed_precondition(
        reason::RUNNER_DELETING,
        format!("runner {runner_id:?} is being deleted"),
    )
    .with_metadata("runner_id", runner_id)
}

/// Rejects immutable identity fields that an update sets to a new value.
fn check_immutable_identity(
    stored: &RunnerIdentity,
    changes: Option<&RunnerIdentity>,
) -> Vec<Violation> {
    let Some(changes) = changes else {
        return Vec::new();
    };
    [
        ("runner_id", &changes.runner_id, &stored.runner_id),
        ("cluster_id", &changes.cluster_id, &stored.cluster_id),
        ("cluster_name", &changes.cluster_name, &stored.cluster_name),
    ]
    .into_iter()
    .filter(|(_, new, old)| !new.is_empty() && new != old)
    .map(|(name, new, old)| {
        Violation::new(
            format!("runner.identity.{name}"),
            format!("is immutable: it is {old:?}, the request sets {new:?}"),
        )
        .with_reason(reason::IMMUTABLE_FIELD)
    })
    .collect()
}

/// Returns the parts of a runner whose change starts a new revision.
fn configuration(
    runner: &Runner,
) -> (
    Option<&crate::v1beta2::ManagedRunnerSpec>,
    &[crate::v1beta2::RunnerProfileBinding],
    String,
    String,
) {
    let identity = runner.identity.clone().unwrap_or_default();
    (
        runner.managed_spec.as_ref(),
        &runner.profile_bindings,
        identity.zone.to_ascii_uppercase(),
        identity.runner_group_id,
    )
}

fn update_runner(
    state: &mut State,
    cx: &Context<'_>,
    request: UpdateManagedRunnerRequest,
) -> Result<Reply, ApiError> {
    let Some(mut changes) = request.runner else {
        return Err(required("runner", "send the runner with its id"));
    };
    if changes.id.is_empty() {
        return Err(required(
            "runner.id",
            "set it to the runner's UUID or runner id",
        ));
    }
    let paths = mask::runner_paths(request.update_mask.as_ref())?;
    let key = find_runner(state, cx, &changes.id, "runner.id")?;
    let Some(record) = state.runners().get(&key) else {
        return Err(ApiError::internal("runner vanished during update"));
    };
    if lifecycle::is_deleting(record, cx.now) {
        return Err(deleting_error(runner_id_of(&record.runner)));
    }
    let stored_identity = record.runner.identity.clone().unwrap_or_default();
    let mut violations = check_immutable_identity(&stored_identity, changes.identity.as_ref());
    for binding in &mut changes.profile_bindings {
        binding.profile_template_id = normalize_uuid(&binding.profile_template_id);
    }
    let mut updated = record.runner.clone();
    mask::apply_runner(&mut updated, &changes, paths.as_deref());
    validate::runner(&updated, &mut violations);
    if !violations.is_empty() {
        return Err(ApiError::invalid(violations));
    }
    if let Some(cluster) = cx
        .config
        .clusters
        .iter()
        .find(|c| c.id == stored_identity.cluster_id)
    {
        let zone = updated
            .identity
            .as_ref()
            .map_or("", |identity| identity.zone.as_str());
        check_zone(cluster, zone)?;
    }
    let violations = check_bound_templates(state, cx, &updated);
    if !violations.is_empty() {
        return Err(ApiError::invalid(violations));
    }

    let reconfigured = configuration(&updated) != configuration(&record.runner);
    if updated != record.runner {
        updated.updated_at = Some(timestamp(cx.now));
    }
    state.update_runner(&key, |record| record.runner = updated);
    if reconfigured {
        bump_revision(state, cx, &key, None);
    }
    Ok(Reply::Runner(Box::new(render(state, cx, &key))))
}

fn delete_runner(state: &mut State, cx: &Context<'_>, id: &str) -> Result<Reply, ApiError> {
    let key = find_runner(state, cx, id, "id")?;
    let timings = &cx.config.timings;
    let torn_down: Vec<String> = state
        .runners()
        .iter()
        .filter(|(_, record)| lifecycle::is_gone(record, cx.now, timings))
        .map(|(id, _)| id.clone())
        .collect();
    for id in &torn_down {
        state.remove_runner(id);
    }
    let deleted_at = state
        .runners()
        .get(&key)
        .and_then(|record| record.deleted_at);
    if deleted_at.is_none() {
        state.update_runner(&key, |record| {
            record.deleted_at = Some(cx.now);
            record.runner.updated_at = Some(timestamp(cx.now));
        });
    }
    Ok(Reply::Empty)
}

fn apply_update(state: &mut State, cx: &Context<'_>, id: &str) -> Result<Reply, ApiError> {
    let key = find_runner(state, cx, id, "id")?;
    let Some(record) = state.runners().get(&key) else {
        return Err(ApiError::internal("runner vanished during apply-update"));
    };
    let runner_id = runner_id_of(&record.runner).to_string();
    if lifecycle::is_deleting(record, cx.now) {
        return Err(deleting_error(&runner_id));
    }
    let channel = lifecycle::release_channel(&record.runner);
    let newest = state.versions().get(channel).to_string();
    if !lifecycle::update_available(record, cx.now, state.versions()) {
        return Err(ApiError::failed_precondition(
            reason::NO_UPDATE_AVAILABLE,
            format!(
                "runner {runner_id:?} has no update available: it targets {}, and the newest version of {} is {newest}",
                record.target.runner_version,
                channel_name(channel),
            ),
        )
        .with_metadata("runner_id", &runner_id)
        .with_metadata("version", &record.target.runner_version));
    }
    bump_revision(state, cx, &key, Some(newest));
    state.update_runner(&key, |record| {
        record.runner.updated_at = Some(timestamp(cx.now));
    });
    Ok(Reply::Runner(Box::new(render(state, cx, &key))))
}

fn channel_name(channel: crate::v1beta2::ReleaseChannel) -> &'static str {
    match channel {
        crate::v1beta2::ReleaseChannel::Unspecified => "RELEASE_CHANNEL_STABLE",
        other => other.as_str_name(),
    }
}

// ---- operations of the emulator handle, outside the API ----

/// Finds a runner of any organization by UUID or runner id, for handle operations.
pub(crate) fn find_any_runner(state: &State, reference: &str) -> Result<String, String> {
    let by_uuid = normalize_uuid(reference);
    if state.runners().contains_key(&by_uuid) {
        return Ok(by_uuid);
    }
    let matches: Vec<&String> = state
        .runners()
        .iter()
        .filter(|(_, record)| runner_id_of(&record.runner) == reference)
        .map(|(key, _)| key)
        .collect();
    match matches.as_slice() {
        [key] => Ok((*key).clone()),
        [] => Err(format!("runner {reference:?} not found")),
        _ => Err(format!(
            "runner id {reference:?} exists in several organizations; pass the runner's UUID"
        )),
    }
}

/// Makes a runner's install fail now with `reason`.
pub(crate) fn fail_install(
    record: &mut RunnerRecord,
    reason: RunnerInstallErrorReason,
    now: SystemTime,
) {
    let message = match reason {
        RunnerInstallErrorReason::ImagePullFailed => "the runner image could not be pulled",
        RunnerInstallErrorReason::Timeout => "the install did not finish in time",
        RunnerInstallErrorReason::ClusterUnreachable => "the cluster is unreachable",
        RunnerInstallErrorReason::InsufficientCapacity => {
            "the cluster has no capacity for the runner"
        }
        RunnerInstallErrorReason::PermissionDenied => {
            "the control plane lacks permission on the cluster"
        }
        RunnerInstallErrorReason::ClusterNotFound => "the cluster no longer exists",
        RunnerInstallErrorReason::Internal | RunnerInstallErrorReason::Unspecified => {
            "the install failed inside the control plane"
        }
    };
    record.failure = Some(InstallFailure {
        reason: reason as i32,
        message: message.to_string(),
        at: now,
    });
}
