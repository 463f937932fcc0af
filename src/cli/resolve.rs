//! Resolving display names and runner ids to server ids.

use std::collections::HashMap;

use futures_util::TryStreamExt;

use super::error::{CliError, CliResult};
use crate::connect::{Code, Status};
use crate::ops::profile_templates;
use crate::v1beta2::{
    GetProfileTemplateRequest, GetRunnerRequest, ProfileTemplate, Runner,
    RunnerManagementServiceClient,
};

/// Page size of the listings that resolve names.
const RESOLVE_PAGE_SIZE: i32 = 100;

/// Returns true for the 8-4-4-4-12 hexadecimal form of a UUID.
pub(crate) fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            8 | 13 | 18 | 23 => *byte == b'-',
            _ => byte.is_ascii_hexdigit(),
        })
}

/// Returns true for the form of a template display name or a runner id:
/// 1-63 characters of `[a-z0-9-]`, starting and ending alphanumeric.
pub(crate) fn is_resource_name(text: &str) -> bool {
    let bytes = text.as_bytes();
    let edge = |byte: &u8| byte.is_ascii_lowercase() || byte.is_ascii_digit();
    (1..=63).contains(&bytes.len())
        && bytes.first().is_some_and(edge)
        && bytes.last().is_some_and(edge)
        && bytes.iter().all(|byte| edge(byte) || *byte == b'-')
}

/// Returns true when `reference` must be looked up as a display name: it has
/// the form of a name and not of a UUID. Anything else is used as an id.
pub(crate) fn needs_name_lookup(reference: &str) -> bool {
    is_resource_name(reference) && !is_uuid(reference)
}

/// Lists every template and maps display names to ids.
pub(crate) async fn template_ids_by_name(
    client: &RunnerManagementServiceClient,
) -> CliResult<HashMap<String, String>> {
    let templates: Vec<ProfileTemplate> = profile_templates(client, RESOLVE_PAGE_SIZE)
        .try_collect()
        .await
        .map_err(|status| CliError::api("listing profile templates", status))?;
    Ok(templates
        .into_iter()
        .map(|template| (template.display_name, template.id))
        .collect())
}

/// Fetches a template by id or display name.
pub(crate) async fn find_template(
    client: &RunnerManagementServiceClient,
    reference: &str,
) -> CliResult<ProfileTemplate> {
    if needs_name_lookup(reference) {
        let templates: Vec<ProfileTemplate> = profile_templates(client, RESOLVE_PAGE_SIZE)
            .try_collect()
            .await
            .map_err(|status| CliError::api("listing profile templates", status))?;
        if let Some(template) = templates
            .into_iter()
            .find(|template| template.display_name == reference)
        {
            return Ok(template);
        }
    }

    let request = GetProfileTemplateRequest {
        id: reference.to_string(),
    };
    match client.get_profile_template(request).await {
        Ok(template) => Ok(template),
        Err(status) if status.code() == Code::NotFound => Err(CliError::failed(format!(
            "no profile template has the id or display name {reference:?}; \
             `cwsctl profile list` shows the templates that exist"
        ))),
        Err(status) => Err(CliError::api(
            format!("getting profile template {reference:?}"),
            status,
        )),
    }
}

/// Fetches a runner by UUID or runner id.
pub(crate) async fn get_runner(
    client: &RunnerManagementServiceClient,
    reference: &str,
) -> CliResult<Runner> {
    client
        .get_runner(GetRunnerRequest {
            id: reference.to_string(),
        })
        .await
        .map_err(|status| runner_error(reference, status))
}

/// Wraps a failed runner call, naming the runner.
pub(crate) fn runner_error(reference: &str, status: Status) -> CliError {
    CliError::api(format!("getting runner {reference:?}"), status)
}

/// Replaces each binding's `profileTemplateId` that is a display name with
/// the template's id, listing templates only when some binding needs it.
pub(crate) async fn resolve_binding_templates(
    client: &RunnerManagementServiceClient,
    runner: &mut Runner,
) -> CliResult {
    let pending = runner
        .profile_bindings
        .iter()
        .any(|binding| needs_name_lookup(&binding.profile_template_id));
    if !pending {
        return Ok(());
    }
    let ids = template_ids_by_name(client).await?;
    replace_names(runner, &ids)
}

/// Replaces binding template names with ids from `ids`.
pub(crate) fn replace_names(runner: &mut Runner, ids: &HashMap<String, String>) -> CliResult {
    for (index, binding) in runner.profile_bindings.iter_mut().enumerate() {
        if !needs_name_lookup(&binding.profile_template_id) {
            continue;
        }
        let Some(id) = ids.get(&binding.profile_template_id) else {
            return Err(CliError::failed(format!(
                "profileBindings[{index}].profileTemplateId: no profile template is named {:?}; \
                 create it first, or give the template's id",
                binding.profile_template_id
            )));
        };
        binding.profile_template_id.clone_from(id);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_form_is_recognized() {
        assert!(is_uuid("0b9c1f9e-4b7e-4a4e-9a43-3c1f0e2d9b10"));
        assert!(!is_uuid("0b9c1f9e-4b7e-4a4e-9a43-3c1f0e2d9b1"));
        assert!(!is_uuid("lab-west"));
    }

    #[test]
    fn names_follow_resource_rules() {
        assert!(is_resource_name("train-a100"));
        assert!(is_resource_name("a"));
        assert!(!is_resource_name("-a"));
        assert!(!is_resource_name("a-"));
        assert!(!is_resource_name("PROFILE_ID"));
        assert!(!is_resource_name("PROFILE_ID_OF:agents-allowlist"));
        assert!(!is_resource_name(&"a".repeat(64)));
    }

    #[test]
    fn uuid_needs_no_lookup() {
        assert!(!needs_name_lookup("0b9c1f9e-4b7e-4a4e-9a43-3c1f0e2d9b10"));
        assert!(needs_name_lookup("agents-allowlist"));
    }

    #[test]
    fn replace_names_reports_missing() {
        let mut runner = Runner {
            profile_bindings: vec![crate::v1beta2::RunnerProfileBinding {
                profile_template_id: "ghost".to_string(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let error = replace_names(&mut runner, &HashMap::new()).unwrap_err();
        assert!(error.to_string().contains("profileBindings[0]"), "{error}");
    }
}
