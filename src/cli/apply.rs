//! `cwsctl apply`: make the server match the resources in files.
//!
//! Templates are matched by displayName and runners by runnerId. Templates
//! go first, so that a runner's `profileTemplateId` may name a template of
//! the same run by its displayName. Output-only fields in the files (as
//! `cwsctl ... get -o yaml` prints them) are ignored.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use serde_json::Value;

use super::args::ApplyArgs;
use super::context::Context;
use super::error::{CliError, CliResult};
use super::input::{self, Document, Resource};
use super::output::{Format, render_structured, to_json, write_stdout};
use super::resolve::{needs_name_lookup, replace_names};
use crate::Client;
use crate::connect::Code;
use crate::ops::{Diff, Plan, plan_profile_template, plan_runner};
use crate::v1beta2::{
    CreateManagedRunnerRequest, CreateProfileTemplateRequest, GetRunnerRequest, ProfileTemplate,
    Runner, RunnerIdentity, UpdateManagedRunnerRequest, UpdateProfileTemplateRequest,
};
use crate::wkt::FieldMask;

/// One request that apply sends, or would send in a dry run.
struct Step {
    method: &'static str,
    request: Value,
}

/// The requests planned and the resources as the server returned them.
#[derive(Default)]
struct Outcome {
    steps: Vec<Step>,
    resources: Vec<Value>,
}

pub(crate) async fn run(context: &mut Context, args: ApplyArgs) -> CliResult {
    let documents = input::read_paths(&args.files.files)?;
    let (templates, runners) = split(documents)?;
    let dry_run = args.dry_run.dry_run;

    let client = context.client().await?;
    let mut outcome = Outcome::default();
    let ids = apply_templates(context, &client, &templates, dry_run, &mut outcome).await?;
    apply_runners(context, &client, &runners, dry_run, &ids, &mut outcome).await?;

    if dry_run {
        print_steps(context, &outcome.steps)
    } else if context.format() == Format::Table {
        Ok(())
    } else {
        // The structured formats print every resource as the server now has it.
        context.print(&outcome.resources, String::new)
    }
}

type Templates = Vec<(String, ProfileTemplate)>;
type Runners = Vec<(String, String, Runner)>;

/// Splits the documents into templates and runners, checking the keys they are matched by.
fn split(documents: Vec<Document>) -> CliResult<(Templates, Runners)> {
    let mut templates = Vec::new();
    let mut runners = Vec::new();
    for document in documents {
        match document.resource {
            Resource::ProfileTemplate { template, mask } => {
                reject_mask(&document.origin, mask.as_ref())?;
                if template.display_name.is_empty() {
                    return Err(CliError::usage(format!(
                        "{}: a profile template needs a displayName, which apply matches it by",
                        document.origin
                    )));
                }
                templates.push((document.origin, template));
            }
            Resource::Runner {
                runner_id,
                runner,
                mask,
            } => {
                reject_mask(&document.origin, mask.as_ref())?;
                if runner_id.is_empty() {
                    return Err(CliError::usage(format!(
                        "{}: a runner needs a runnerId, which apply matches it by: \
                         set `runnerId` next to `runner`, or `identity.runnerId`",
                        document.origin
                    )));
                }
                runners.push((document.origin, runner_id, runner));
            }
        }
    }
    Ok((templates, runners))
}

fn reject_mask(origin: &str, mask: Option<&FieldMask>) -> CliResult {
    match mask {
        Some(_) => Err(CliError::usage(format!(
            "{origin}: apply computes the update mask itself; remove updateMask from the file"
        ))),
        None => Ok(()),
    }
}

async fn apply_templates(
    context: &Context,
    client: &Client,
    templates: &Templates,
    dry_run: bool,
    outcome: &mut Outcome,
) -> CliResult<HashMap<String, String>> {
    let existing: Vec<ProfileTemplate> = crate::ops::profile_templates(client, 100)
        .try_collect()
        .await
        .map_err(|status| CliError::api("listing profile templates", status))?;
    let mut by_name: HashMap<String, ProfileTemplate> = existing
        .into_iter()
        .map(|template| (template.display_name.clone(), template))
        .collect();

    for (_, template) in templates {
        let desired = without_template_output(template);
        let name = desired.display_name.clone();
        match plan_profile_template(by_name.get(&name), &desired) {
            Plan::Unchanged => {
                context.note(&format!("profile template {name} unchanged"))?;
                if let Some(current) = by_name.get(&name) {
                    outcome.resources.push(to_json(current)?);
                }
            }
            Plan::Create => {
                let request = CreateProfileTemplateRequest {
                    profile_template: Some(desired.clone()),
                };
                outcome.steps.push(step("CreateProfileTemplate", &request)?);
                if dry_run {
                    context.note(&format!("profile template {name} would be created"))?;
                    continue;
                }
                let created = client
                    .create_profile_template_safely(desired)
                    .await
                    .map_err(|status| {
                        CliError::api(format!("creating profile template {name:?}"), status)
                    })?;
                context.note(&format!(
                    "profile template {name} created (id {})",
                    created.id
                ))?;
                outcome.resources.push(to_json(&created)?);
                by_name.insert(name, created);
            }
            Plan::Update { mask, diff } => {
                let id = by_name
                    .get(&name)
                    .map(|current| current.id.clone())
                    .unwrap_or_default();
                let request = UpdateProfileTemplateRequest {
                    profile_template: Some(ProfileTemplate { id, ..desired }),
                    update_mask: Some(mask),
                };
                outcome.steps.push(step("UpdateProfileTemplate", &request)?);
                let verb = if dry_run {
                    "would be updated"
                } else {
                    "updated"
                };
                note_diff(context, &format!("profile template {name} {verb}"), &diff)?;
                if dry_run {
                    continue;
                }
                let updated = client
                    .update_profile_template(request)
                    .await
                    .map_err(|status| {
                        CliError::api(format!("updating profile template {name:?}"), status)
                    })?;
                outcome.resources.push(to_json(&updated)?);
                by_name.insert(name, updated);
            }
        }
    }
    Ok(by_name
        .into_iter()
        .map(|(name, template)| (name, template.id))
        .collect())
}

async fn apply_runners(
    context: &Context,
    client: &Client,
    runners: &Runners,
    dry_run: bool,
    template_ids: &HashMap<String, String>,
    outcome: &mut Outcome,
) -> CliResult {
    for (origin, runner_id, runner) in runners {
        let mut desired = without_runner_output(runner);
        if dry_run {
            // Templates that a dry run would create have no id yet: keep their names.
            let known: HashMap<String, String> = template_ids
                .iter()
                .filter(|(_, id)| !id.is_empty())
                .map(|(name, id)| (name.clone(), id.clone()))
                .collect();
            resolve_known(&mut desired, &known);
        } else {
            replace_names(&mut desired, template_ids)
                .map_err(|error| CliError::failed(format!("{origin}: {}", strip_prefix(&error))))?;
        }

        let current = match client
            .get_runner(GetRunnerRequest {
                id: runner_id.clone(),
            })
            .await
        {
            Ok(current) => Some(current),
            Err(status) if status.code() == Code::NotFound => None,
            Err(status) => {
                return Err(CliError::api(
                    format!("getting runner {runner_id:?}"),
                    status,
                ));
            }
        };

        match plan_runner(current.as_ref(), &desired)
            .map_err(|error| CliError::failed(format!("{origin}: runner {runner_id}: {error}")))?
        {
            Plan::Unchanged => {
                context.note(&format!("runner {runner_id} unchanged"))?;
                if let Some(current) = &current {
                    outcome.resources.push(to_json(current)?);
                }
            }
            Plan::Create => {
                let request = CreateManagedRunnerRequest {
                    runner_id: runner_id.clone(),
                    runner: Some(desired.clone()),
                };
                outcome.steps.push(step("CreateManagedRunner", &request)?);
                if dry_run {
                    context.note(&format!("runner {runner_id} would be created"))?;
                    continue;
                }
                let created = client
                    .create_managed_runner_safely(runner_id, desired)
                    .await
                    .map_err(|status| {
                        CliError::api(format!("creating runner {runner_id:?}"), status)
                    })?;
                context.note(&format!("runner {runner_id} created (id {})", created.id))?;
                outcome.resources.push(to_json(&created)?);
            }
            Plan::Update { mask, diff } => {
                let id = current
                    .as_ref()
                    .map(|current| current.id.clone())
                    .unwrap_or_default();
                let request = UpdateManagedRunnerRequest {
                    runner: Some(Runner { id, ..desired }),
                    update_mask: Some(mask),
                };
                outcome.steps.push(step("UpdateManagedRunner", &request)?);
                let verb = if dry_run {
                    "would be updated"
                } else {
                    "updated"
                };
                note_diff(context, &format!("runner {runner_id} {verb}"), &diff)?;
                if dry_run {
                    continue;
                }
                let updated = client
                    .update_managed_runner(request)
                    .await
                    .map_err(|status| {
                        CliError::api(format!("updating runner {runner_id:?}"), status)
                    })?;
                outcome.resources.push(to_json(&updated)?);
            }
        }
    }
    Ok(())
}

/// Replaces the binding template names that `known` maps, leaving the others.
fn resolve_known(runner: &mut Runner, known: &HashMap<String, String>) {
    for binding in &mut runner.profile_bindings {
        if needs_name_lookup(&binding.profile_template_id)
            && let Some(id) = known.get(&binding.profile_template_id)
        {
            binding.profile_template_id.clone_from(id);
        }
    }
}

fn strip_prefix(error: &CliError) -> String {
    let text = error.to_string();
    text.strip_prefix("error: ").unwrap_or(&text).to_string()
}

fn note_diff(context: &Context, heading: &str, diff: &Diff) -> CliResult {
    context.note(heading)?;
    for change in diff.changes() {
        context.note(&format!("  {change}"))?;
    }
    Ok(())
}

fn step<T: serde::Serialize>(method: &'static str, request: &T) -> CliResult<Step> {
    Ok(Step {
        method,
        request: to_json(request)?,
    })
}

/// Prints the requests: a JSON list or YAML documents of the request
/// messages, or each with its method name in table output.
fn print_steps(context: &Context, steps: &[Step]) -> CliResult {
    match context.format() {
        Format::Table => {
            for step in steps {
                let body = render_structured(Format::Json, &step.request)?;
                write_stdout(&format!("dry run: {} would send\n{body}\n", step.method))?;
            }
            Ok(())
        }
        Format::Json => {
            let requests: Vec<&Value> = steps.iter().map(|step| &step.request).collect();
            context.print(&requests, String::new)
        }
        Format::Yaml => {
            let mut text = String::new();
            for step in steps {
                text.push_str("---\n");
                text.push_str(&render_structured(Format::Yaml, &step.request)?);
            }
            write_stdout(&text)
        }
    }
}

/// Returns the template without the fields the server sets.
fn without_template_output(template: &ProfileTemplate) -> ProfileTemplate {
    ProfileTemplate {
        id: String::new(),
        organization_id: String::new(),
        created_at: None,
        updated_at: None,
        ..template.clone()
    }
}

/// Returns the runner without the fields the server sets. When both cluster
/// fields are set, as a `get` prints them, the cluster id goes: a create takes one.
fn without_runner_output(runner: &Runner) -> Runner {
    let identity = runner.identity.clone().map(|identity| RunnerIdentity {
        cluster_id: if identity.cluster_name.is_empty() {
            identity.cluster_id.clone()
        } else {
            String::new()
        },
        ..identity
    });
    Runner {
        display_name: runner.display_name.clone(),
        identity,
        managed_spec: runner.managed_spec.clone(),
        profile_bindings: runner.profile_bindings.clone(),
        ..Default::default()
    }
}
