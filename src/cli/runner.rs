//! `cwsctl runner`: managed runners and their profile bindings.

use std::collections::HashMap;

use futures_util::{StreamExt, TryStreamExt};

use super::args::{ListArgs, RunnerCommand, WaitFor};
use super::context::Context;
use super::error::{CliError, CliResult};
use super::input::{self, Resource, update_mask};
use super::output::runners_table;
use super::profile::print_dry_run;
use super::progress::RunnerProgress;
use super::resolve::{
    find_template, get_runner, is_resource_name, is_uuid, resolve_binding_templates,
    template_ids_by_name,
};
use crate::ops::{
    BindOptions, Plan, WaitCondition, WaitOptions, bind, plan_runner, unbind, validate_runner_mask,
    wait_for_runner,
};
use crate::v1beta2::{
    ApplyManagedRunnerUpdateRequest, CreateManagedRunnerRequest, DeleteManagedRunnerRequest,
    ListManagedRunnersResponse, Runner, RunnerManagementServiceClient, RunnerProfileBinding,
    UpdateManagedRunnerRequest,
};
use crate::wkt::FieldMask;

pub(crate) async fn run(context: &mut Context, command: RunnerCommand) -> CliResult {
    match command {
        RunnerCommand::Create {
            runner_id,
            file,
            dry_run,
        } => create(context, &runner_id, &file.file, dry_run.dry_run).await,
        RunnerCommand::Get { id } => get(context, &id).await,
        RunnerCommand::List(list) => self::list(context, &list).await,
        RunnerCommand::Update {
            id,
            file,
            mask,
            dry_run,
        } => {
            update(
                context,
                &id,
                &file.file,
                mask.mask.as_deref(),
                dry_run.dry_run,
            )
            .await
        }
        RunnerCommand::Delete { id, wait } => delete(context, &id, wait).await,
        RunnerCommand::ApplyUpdate { id } => apply_update(context, &id).await,
        RunnerCommand::Wait { id, condition } => wait(context, &id, condition).await,
        RunnerCommand::Bind {
            runner,
            profile,
            name,
            default,
            overrides_json,
        } => {
            let options = BindOptions {
                name,
                default,
                overrides_json,
            };
            bind_profile(context, &runner, &profile, options).await
        }
        RunnerCommand::Unbind { runner, profile } => {
            unbind_profile(context, &runner, &profile).await
        }
    }
}

/// Reads the one runner document of `path`: its runner id, the runner and the update mask.
fn read_runner(path: &str) -> CliResult<(String, Runner, Option<FieldMask>)> {
    let mut documents = input::read_file(path, Some(input::Kind::Runner))?;
    if documents.len() != 1 {
        return Err(CliError::usage(format!(
            "{path} contains {} documents and this command takes one; \
             use `cwsctl apply -f {path}` for several",
            documents.len()
        )));
    }
    let document = documents.remove(0);
    match document.resource {
        Resource::Runner {
            runner_id,
            runner,
            mask,
        } => Ok((runner_id, runner, mask)),
        Resource::ProfileTemplate { .. } => Err(CliError::usage(format!(
            "{} contains a profile template, not a runner; use `cwsctl profile` for templates",
            document.origin
        ))),
    }
}

/// Maps template ids to display names for the PROFILES column. A failed
/// listing only costs the names, so it is logged and skipped.
pub(crate) async fn template_names(
    client: &RunnerManagementServiceClient,
) -> HashMap<String, String> {
    match template_ids_by_name(client).await {
        Ok(ids) => ids.into_iter().map(|(name, id)| (id, name)).collect(),
        Err(error) => {
            tracing::warn!(%error, "listing templates for the PROFILES column failed");
            HashMap::new()
        }
    }
}

/// Prints a runner: as a table with template names, or as JSON or YAML.
pub(crate) async fn print_runner(
    context: &mut Context,
    client: &RunnerManagementServiceClient,
    runner: &Runner,
) -> CliResult {
    let names = if context.format() == super::output::Format::Table {
        template_names(client).await
    } else {
        HashMap::new()
    };
    context.print(runner, || {
        runners_table(std::slice::from_ref(runner), &names)
    })
}

async fn create(context: &mut Context, runner_id: &str, path: &str, dry_run: bool) -> CliResult {
    let (file_runner_id, mut runner, mask) = read_runner(path)?;
    if mask.is_some() {
        return Err(CliError::usage(format!(
            "{path} sets updateMask, which a create does not take; \
             use `cwsctl runner update` to change a runner"
        )));
    }
    if !file_runner_id.is_empty() && file_runner_id != runner_id {
        return Err(CliError::usage(format!(
            "{path} sets runner id {file_runner_id:?} but the command creates {runner_id:?}; \
             make them match or drop the one in the file"
        )));
    }
    if !is_resource_name(runner_id) {
        return Err(CliError::usage(format!(
            "invalid runner id {runner_id:?}: use 1-63 characters of [a-z0-9-], \
             starting and ending with a letter or digit"
        )));
    }
    if runner
        .profile_bindings
        .iter()
        .any(|binding| super::resolve::needs_name_lookup(&binding.profile_template_id))
    {
        let client = context.client().await?;
        resolve_binding_templates(&client, &mut runner).await?;
    }

    if dry_run {
        let request = CreateManagedRunnerRequest {
            runner_id: runner_id.to_string(),
            runner: Some(runner),
        };
        return print_dry_run(context, "CreateManagedRunner", &request);
    }
    let client = context.client().await?;
    let created = client
        .create_managed_runner_safely(runner_id, runner)
        .await
        .map_err(|status| CliError::api(format!("creating runner {runner_id:?}"), status))?;
    context.note(&format!(
        "runner {runner_id} created (id {}); `cwsctl runner wait {runner_id}` follows its install",
        created.id
    ))?;
    print_runner(context, &client, &created).await
}

async fn get(context: &mut Context, id: &str) -> CliResult {
    let client = context.client().await?;
    let runner = get_runner(&client, id).await?;
    print_runner(context, &client, &runner).await
}

async fn list(context: &mut Context, list: &ListArgs) -> CliResult {
    let client = context.client().await?;
    let stream = crate::ops::managed_runners(&client, list.page_size);
    let runners: Vec<Runner> = match list.limit {
        Some(limit) => stream.take(limit).try_collect().await,
        None => stream.try_collect().await,
    }
    .map_err(|status| CliError::api("listing runners", status))?;

    let response = ListManagedRunnersResponse {
        runners,
        next_page_token: String::new(),
    };
    let names = if context.format() == super::output::Format::Table {
        template_names(&client).await
    } else {
        HashMap::new()
    };
    context.print(&response, || runners_table(&response.runners, &names))
}

async fn update(
    context: &mut Context,
    reference: &str,
    path: &str,
    mask_flag: Option<&str>,
    dry_run: bool,
) -> CliResult {
    let (_, mut runner, file_mask) = read_runner(path)?;
    let given_mask = update_mask(mask_flag, file_mask, path, validate_runner_mask)?;

    // A UUID-shaped or otherwise non-runner-id reference with a mask needs no read.
    let offline = given_mask.is_some() && (is_uuid(reference) || !is_resource_name(reference));
    let current = if offline {
        None
    } else {
        let client = context.client().await?;
        Some(get_runner(&client, reference).await?)
    };
    let id = current
        .as_ref()
        .map_or_else(|| reference.to_string(), |current| current.id.clone());
    if !runner.id.is_empty() && runner.id != id && runner.id != reference {
        return Err(CliError::usage(format!(
            "{path} sets id {:?} but the command names runner {reference:?}; \
             drop the id from the file or make them match",
            runner.id
        )));
    }
    runner.id.clone_from(&id);
    if runner
        .profile_bindings
        .iter()
        .any(|binding| super::resolve::needs_name_lookup(&binding.profile_template_id))
    {
        let client = context.client().await?;
        resolve_binding_templates(&client, &mut runner).await?;
    }

    let mask = match (given_mask, &current) {
        (Some(mask), _) => mask,
        (None, Some(current)) => match plan_runner(Some(current), &runner)? {
            Plan::Update { mask, diff } => {
                context.note(&format!("runner {reference}:"))?;
                for change in diff.changes() {
                    context.note(&format!("  {change}"))?;
                }
                mask
            }
            Plan::Unchanged | Plan::Create => {
                context.note(&format!(
                    "runner {reference} unchanged: the file matches the server"
                ))?;
                return Ok(());
            }
        },
        (None, None) => FieldMask::default(),
    };

    let request = UpdateManagedRunnerRequest {
        runner: Some(runner),
        update_mask: Some(mask),
    };
    if dry_run {
        return print_dry_run(context, "UpdateManagedRunner", &request);
    }
    send_update(context, reference, request).await
}

async fn send_update(
    context: &mut Context,
    reference: &str,
    request: UpdateManagedRunnerRequest,
) -> CliResult {
    let client = context.client().await?;
    let updated = client
        .update_managed_runner(request)
        .await
        .map_err(|status| CliError::api(format!("updating runner {reference:?}"), status))?;
    context.note(&format!(
        "runner {reference} updated (target revision {})",
        updated.target_revision
    ))?;
    print_runner(context, &client, &updated).await
}

async fn delete(context: &mut Context, id: &str, wait: bool) -> CliResult {
    let client = context.client().await?;
    client
        .delete_managed_runner(DeleteManagedRunnerRequest { id: id.to_string() })
        .await
        .map_err(|status| CliError::api(format!("deleting runner {id:?}"), status))?;
    context.note(&format!("runner {id} deleting"))?;
    if wait {
        wait_with_progress(context, &client, id, WaitCondition::Deleted).await?;
        context.note(&format!("runner {id} deleted"))?;
    }
    Ok(())
}

async fn apply_update(context: &mut Context, id: &str) -> CliResult {
    let client = context.client().await?;
    let runner = client
        .apply_managed_runner_update(ApplyManagedRunnerUpdateRequest { id: id.to_string() })
        .await
        .map_err(|status| CliError::api(format!("applying the update to runner {id:?}"), status))?;
    context.note(&format!(
        "runner {id} rolling out revision {}",
        runner.target_revision
    ))?;
    print_runner(context, &client, &runner).await
}

async fn wait(context: &mut Context, id: &str, condition: WaitFor) -> CliResult {
    let client = context.client().await?;
    let condition = match condition {
        WaitFor::Ready => WaitCondition::Ready,
        WaitFor::Connected => WaitCondition::Connected,
        WaitFor::Deleted => WaitCondition::Deleted,
    };
    match wait_with_progress(context, &client, id, condition).await? {
        Some(runner) => print_runner(context, &client, &runner).await,
        None => {
            context.note(&format!("runner {id} deleted"))?;
            Ok(())
        }
    }
}

/// Waits for `condition` within the command's wait timeout, showing progress on stderr.
pub(crate) async fn wait_with_progress(
    context: &Context,
    client: &RunnerManagementServiceClient,
    id: &str,
    condition: WaitCondition,
) -> CliResult<Option<Runner>> {
    let mut progress = RunnerProgress::new(format!("runner {id}"), context.stderr_is_terminal());
    let options = WaitOptions::new(context.wait_timeout());
    let result = wait_for_runner(client, id, condition, options, |runner| {
        progress.update(runner);
    })
    .await;
    if matches!(result, Ok(None)) {
        progress.gone();
    }
    progress.finish();
    Ok(result?)
}

/// Writes a new binding list with the `profile_bindings` mask.
fn bindings_update(
    runner: &Runner,
    bindings: Vec<RunnerProfileBinding>,
) -> UpdateManagedRunnerRequest {
    UpdateManagedRunnerRequest {
        runner: Some(Runner {
            id: runner.id.clone(),
            profile_bindings: bindings,
            ..Default::default()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["profile_bindings".to_string()],
        }),
    }
}

async fn bind_profile(
    context: &mut Context,
    reference: &str,
    profile: &str,
    options: BindOptions,
) -> CliResult {
    let client = context.client().await?;
    let runner = get_runner(&client, reference).await?;
    let template = find_template(&client, profile).await?;
    let bindings = bind(&runner, &template.id, options)?;
    if bindings == runner.profile_bindings {
        context.note(&format!(
            "runner {reference} already binds {} that way; nothing to change",
            template.display_name
        ))?;
        return print_runner(context, &client, &runner).await;
    }
    context.note(&format!(
        "binding {} to runner {reference}",
        template.display_name
    ))?;
    check_bindings_unchanged(&client, reference, &runner).await?;
    send_update(context, reference, bindings_update(&runner, bindings)).await
}

/// Fails when the runner's bindings changed since `read`, because v1beta2 has
/// no etag and the update would silently overwrite another client's change.
async fn check_bindings_unchanged(
    client: &crate::Client,
    reference: &str,
    read: &Runner,
) -> CliResult {
    let current = get_runner(client, reference).await?;
    if current.profile_bindings == read.profile_bindings {
        return Ok(());
    }
    Err(CliError::failed(format!(
        "the profile bindings of runner {reference} changed while this command ran; \
         nothing was written, run it again to work from the new bindings"
    )))
}

async fn unbind_profile(context: &mut Context, reference: &str, profile: &str) -> CliResult {
    let client = context.client().await?;
    let runner = get_runner(&client, reference).await?;
    let template_id = match find_template(&client, profile).await {
        Ok(template) => template.id,
        // A binding may outlive its template's visibility: match the reference itself.
        Err(_)
            if runner
                .profile_bindings
                .iter()
                .any(|binding| binding.profile_template_id == profile) =>
        {
            profile.to_string()
        }
        Err(error) => return Err(error),
    };
    let bindings = unbind(&runner, &template_id).map_err(|error| {
        let mut message = error.to_string();
        if matches!(error, crate::ops::BindError::UnbindDefault { .. }) {
            message.push_str(&format!(
                "; for example: cwsctl runner bind {reference} OTHER_PROFILE --default"
            ));
        }
        CliError::failed(message)
    })?;
    context.note(&format!("unbinding {profile} from runner {reference}"))?;
    check_bindings_unchanged(&client, reference, &runner).await?;
    send_update(context, reference, bindings_update(&runner, bindings)).await
}
