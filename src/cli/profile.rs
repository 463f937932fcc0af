//! `cwsctl profile`: profile templates.

use futures_util::{StreamExt, TryStreamExt};

use super::args::{ListArgs, ProfileCommand};
use super::context::Context;
use super::error::{CliError, CliResult};
use super::input::{self, Resource, update_mask};
use super::output::templates_table;
use super::resolve::{find_template, needs_name_lookup};
use crate::ops::{Plan, plan_profile_template, validate_profile_template_mask};
use crate::v1beta2::{
    CreateProfileTemplateRequest, DeleteProfileTemplateRequest, ListProfileTemplatesResponse,
    ProfileTemplate, UpdateProfileTemplateRequest,
};
use crate::wkt::FieldMask;

pub(crate) async fn run(context: &mut Context, command: ProfileCommand) -> CliResult {
    match command {
        ProfileCommand::Create { file, dry_run } => {
            create(context, &file.file, dry_run.dry_run).await
        }
        ProfileCommand::Get { id_or_name } => get(context, &id_or_name).await,
        ProfileCommand::List(list) => self::list(context, &list).await,
        ProfileCommand::Update {
            id_or_name,
            file,
            mask,
            dry_run,
        } => {
            update(
                context,
                &id_or_name,
                &file.file,
                mask.mask.as_deref(),
                dry_run.dry_run,
            )
            .await
        }
        ProfileCommand::Delete { id_or_name } => delete(context, &id_or_name).await,
    }
}

/// Reads the one template document of `path` and its update mask.
pub(crate) fn read_template(path: &str) -> CliResult<(ProfileTemplate, Option<FieldMask>)> {
    let mut documents = input::read_file(path, Some(input::Kind::ProfileTemplate))?;
    if documents.len() != 1 {
        return Err(CliError::usage(format!(
            "{path} contains {} documents and this command takes one; \
             use `cwsctl apply -f {path}` for several",
            documents.len()
        )));
    }
    let document = documents.remove(0);
    match document.resource {
        Resource::ProfileTemplate { template, mask } => Ok((template, mask)),
        Resource::Runner { .. } => Err(CliError::usage(format!(
            "{} contains a runner, not a profile template; use `cwsctl runner` for runners",
            document.origin
        ))),
    }
}

async fn create(context: &mut Context, path: &str, dry_run: bool) -> CliResult {
    let (template, mask) = read_template(path)?;
    if mask.is_some() {
        return Err(CliError::usage(format!(
            "{path} sets updateMask, which a create does not take; \
             use `cwsctl profile update` to change a template"
        )));
    }
    if dry_run {
        let request = CreateProfileTemplateRequest {
            profile_template: Some(template),
        };
        return print_dry_run(context, "CreateProfileTemplate", &request);
    }

    let name = template.display_name.clone();
    let client = context.client().await?;
    let created = client
        .create_profile_template_safely(template)
        .await
        .map_err(|status| CliError::api(format!("creating profile template {name:?}"), status))?;
    context.note(&format!(
        "profile template {} created (id {})",
        created.display_name, created.id
    ))?;
    context.print(&created, || templates_table(std::slice::from_ref(&created)))
}

async fn get(context: &mut Context, reference: &str) -> CliResult {
    let client = context.client().await?;
    let template = find_template(&client, reference).await?;
    context.print(&template, || {
        templates_table(std::slice::from_ref(&template))
    })
}

async fn list(context: &mut Context, list: &ListArgs) -> CliResult {
    let client = context.client().await?;
    let stream = crate::ops::profile_templates(&client, list.page_size);
    let templates: Vec<ProfileTemplate> = match list.limit {
        Some(limit) => stream.take(limit).try_collect().await,
        None => stream.try_collect().await,
    }
    .map_err(|status| CliError::api("listing profile templates", status))?;

    let response = ListProfileTemplatesResponse {
        profile_templates: templates,
        next_page_token: String::new(),
    };
    context.print(&response, || templates_table(&response.profile_templates))
}

async fn update(
    context: &mut Context,
    reference: &str,
    path: &str,
    mask_flag: Option<&str>,
    dry_run: bool,
) -> CliResult {
    let (mut template, file_mask) = read_template(path)?;
    let given_mask = update_mask(mask_flag, file_mask, path, validate_profile_template_mask)?;

    // With a mask and an id, nothing needs the server before the update itself.
    let offline = given_mask.is_some() && !needs_name_lookup(reference);
    let (id, current) = if offline {
        (reference.to_string(), None)
    } else {
        let client = context.client().await?;
        let current = find_template(&client, reference).await?;
        (current.id.clone(), Some(current))
    };
    if !template.id.is_empty() && template.id != id {
        return Err(CliError::usage(format!(
            "{path} sets id {:?} but the command names template {id:?}; \
             drop the id from the file or make them match",
            template.id
        )));
    }
    template.id.clone_from(&id);
    if let Some(current) = &current
        && !template.display_name.is_empty()
        && template.display_name != current.display_name
    {
        return Err(CliError::usage(format!(
            "{path} sets displayName {:?}, but template {id} is named {:?} and a display \
             name cannot change after create; remove displayName from the file, or create a \
             new template with that name",
            template.display_name, current.display_name
        )));
    }

    let mask = match (given_mask, &current) {
        (Some(mask), _) => mask,
        (None, Some(current)) => match plan_profile_template(Some(current), &template) {
            Plan::Update { mask, diff } => {
                context.note(&format!("profile template {}:", current.display_name))?;
                for change in diff.changes() {
                    context.note(&format!("  {change}"))?;
                }
                mask
            }
            Plan::Unchanged | Plan::Create => {
                context.note(&format!(
                    "profile template {} unchanged: the file matches the server",
                    current.display_name
                ))?;
                return Ok(());
            }
        },
        (None, None) => FieldMask::default(),
    };

    let request = UpdateProfileTemplateRequest {
        profile_template: Some(template),
        update_mask: Some(mask),
    };
    if dry_run {
        return print_dry_run(context, "UpdateProfileTemplate", &request);
    }
    let client = context.client().await?;
    let updated = client
        .update_profile_template(request)
        .await
        .map_err(|status| CliError::api(format!("updating profile template {id:?}"), status))?;
    context.note(&format!(
        "profile template {} updated",
        updated.display_name
    ))?;
    context.print(&updated, || templates_table(std::slice::from_ref(&updated)))
}

async fn delete(context: &mut Context, reference: &str) -> CliResult {
    let client = context.client().await?;
    let id = if needs_name_lookup(reference) {
        find_template(&client, reference).await?.id
    } else {
        reference.to_string()
    };
    client
        .delete_profile_template(DeleteProfileTemplateRequest { id: id.clone() })
        .await
        .map_err(|status| {
            CliError::api(format!("deleting profile template {reference:?}"), status)
        })?;
    context.note(&format!("profile template {reference} deleted"))?;
    Ok(())
}

/// Prints the request a dry run would send: the message alone in JSON and
/// YAML, with a heading in table output.
pub(crate) fn print_dry_run<T: serde::Serialize>(
    context: &Context,
    method: &str,
    request: &T,
) -> CliResult {
    context.print(request, || {
        let body = super::output::render_structured(super::output::Format::Json, request)
            .unwrap_or_else(|error| error.to_string());
        format!("dry run: {method} would send\n{body}")
    })
}
