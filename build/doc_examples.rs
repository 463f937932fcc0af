//! Rustdoc examples of the generated `RunnerManagementServiceClient`, one per
//! method, run by `cargo test --doc` against the in-process emulator.
//!
//! Each example body goes between a shared start and end: the start, hidden
//! from the rendered docs, starts an emulator with instant lifecycle timings
//! and builds `channel`, an admin channel to it, and defines the helpers
//! `create_template` and `create_runner` for examples that need a resource
//! to exist first. Without the `emulator` feature the example is an empty
//! `main`.

use std::collections::BTreeMap;

/// Hidden lines before each example body.
const START: &str = r##"# #[cfg(feature = "emulator")]
# use cwsandbox_control::v1beta2 as api;
# /// Creates a profile template named `name`.
# #[cfg(feature = "emulator")]
# #[allow(dead_code)]
# async fn create_template(
#     client: &api::RunnerManagementServiceClient,
#     name: &str,
# ) -> Result<api::ProfileTemplate, cwsandbox_control::connect::Status> {
#     let spec = Some(api::ProfileSpec::default());
#     let template = api::ProfileTemplate { display_name: name.into(), spec, ..Default::default() };
#     let request = api::CreateProfileTemplateRequest { profile_template: Some(template) };
#     client.create_profile_template(request).await
# }
# /// Creates the runner `runner_id` on the emulator's cluster `lab-west-cks`,
# /// bound to the template `template_id`.
# #[cfg(feature = "emulator")]
# #[allow(dead_code)]
# async fn create_runner(
#     client: &api::RunnerManagementServiceClient,
#     runner_id: &str,
#     template_id: &str,
# ) -> Result<api::Runner, cwsandbox_control::connect::Status> {
#     let binding = api::RunnerProfileBinding {
#         profile_template_id: template_id.into(),
#         is_default: true,
#         ..Default::default()
#     };
#     let identity = api::RunnerIdentity {
#         zone: "US-WEST-09B".into(),
#         cluster_name: "lab-west-cks".into(),
#         ..Default::default()
#     };
#     let runner = api::Runner {
#         identity: Some(identity),
#         profile_bindings: vec![binding],
#         ..Default::default()
#     };
#     let request = api::CreateManagedRunnerRequest { runner_id: runner_id.into(), runner: Some(runner) };
#     client.create_managed_runner(request).await
# }
# #[cfg(feature = "emulator")]
# #[tokio::main(flavor = "current_thread")]
# async fn main() -> Result<(), Box<dyn std::error::Error>> {
# use cwsandbox_control::emulator::{Emulator, Timings};
# let emulator = Emulator::builder().timings(Timings::instant()).start().await?;
# let channel = cwsandbox_control::connect::Channel::builder(emulator.base_url())
#     .bearer_token(emulator.admin_token().to_string())
#     .build()?;"##;

/// Hidden lines after each example body.
const END: &str = r##"# Ok(())
# }
# #[cfg(not(feature = "emulator"))]
# fn main() {}"##;

/// Example bodies keyed by the method of `RunnerManagementServiceClient`.
const BODIES: &[(&str, &str)] = &[
    (
        "new",
        r##"use cwsandbox_control::v1beta2::{ListProfileTemplatesRequest, RunnerManagementServiceClient};

let client = RunnerManagementServiceClient::new(channel);
let page = client.list_profile_templates(ListProfileTemplatesRequest::default()).await?;
assert!(page.profile_templates.is_empty());"##,
    ),
    (
        "from_stub",
        r##"use cwsandbox_control::connect::Code;
use cwsandbox_control::v1beta2::{GetRunnerRequest, RunnerManagementServiceClient};

// A channel is one stub; a test double that implements
// RunnerManagementServiceStub is another.
let client = RunnerManagementServiceClient::from_stub(channel);
let missing = client.get_runner(GetRunnerRequest { id: "no-such-runner".into() }).await;
assert_eq!(missing.unwrap_err().code(), Code::NotFound);"##,
    ),
    (
        "stub",
        r##"use std::sync::Arc;
use cwsandbox_control::v1beta2::RunnerManagementServiceClient;

let client = RunnerManagementServiceClient::new(channel);
let clone = client.clone();
// Clones share one stub, and with it one connection pool.
assert!(Arc::ptr_eq(client.stub(), clone.stub()));"##,
    ),
    (
        "create_profile_template",
        r##"use cwsandbox_control::connect::Code;
use cwsandbox_control::v1beta2::{
    CreateProfileTemplateRequest, ProfileSpec, ProfileTemplate, RunnerManagementServiceClient,
};

let client = RunnerManagementServiceClient::new(channel);
let template = ProfileTemplate {
    display_name: "agents".into(),
    spec: Some(ProfileSpec { runtime_class: "gvisor".into(), ..Default::default() }),
    ..Default::default()
};
let request = CreateProfileTemplateRequest { profile_template: Some(template.clone()) };
let created = client.create_profile_template(request).await?;
assert!(!created.id.is_empty());
assert_eq!(created.display_name, "agents");

let again = CreateProfileTemplateRequest { profile_template: Some(template) };
let duplicate = client.create_profile_template(again).await;
assert_eq!(duplicate.unwrap_err().code(), Code::AlreadyExists);"##,
    ),
    (
        "get_profile_template",
        r##"use cwsandbox_control::v1beta2::{GetProfileTemplateRequest, RunnerManagementServiceClient};

let client = RunnerManagementServiceClient::new(channel);
# let created = create_template(&client, "agents").await?;
let request = GetProfileTemplateRequest { id: created.id.clone() };
let template = client.get_profile_template(request).await?;
assert_eq!(template.display_name, "agents");"##,
    ),
    (
        "list_profile_templates",
        r##"use cwsandbox_control::v1beta2::{ListProfileTemplatesRequest, RunnerManagementServiceClient};

let client = RunnerManagementServiceClient::new(channel);
# for name in ["agents", "batch", "ci"] {
#     create_template(&client, name).await?;
# }
let first = client
    .list_profile_templates(ListProfileTemplatesRequest { page_size: 2, page_token: String::new() })
    .await?;
assert_eq!(first.profile_templates.len(), 2);

let request = ListProfileTemplatesRequest { page_size: 2, page_token: first.next_page_token };
let last = client.list_profile_templates(request).await?;
assert_eq!(last.profile_templates.len(), 1);
assert!(last.next_page_token.is_empty());"##,
    ),
    (
        "update_profile_template",
        r##"use cwsandbox_control::v1beta2::{
    ProfileTemplate, RunnerManagementServiceClient, UpdateProfileTemplateRequest,
};
use cwsandbox_control::wkt::FieldMask;

let client = RunnerManagementServiceClient::new(channel);
# let created = create_template(&client, "agents").await?;
let template = ProfileTemplate {
    id: created.id.clone(),
    description: "Sandboxes of the agent fleet".into(),
    ..Default::default()
};
let request = UpdateProfileTemplateRequest {
    profile_template: Some(template),
    update_mask: Some(FieldMask { paths: vec!["description".into()] }),
};
let updated = client.update_profile_template(request).await?;
assert_eq!(updated.description, "Sandboxes of the agent fleet");
assert_eq!(updated.display_name, "agents");"##,
    ),
    (
        "delete_profile_template",
        r##"use cwsandbox_control::connect::Code;
use cwsandbox_control::v1beta2::{
    DeleteProfileTemplateRequest, GetProfileTemplateRequest, RunnerManagementServiceClient,
};

let client = RunnerManagementServiceClient::new(channel);
# let created = create_template(&client, "agents").await?;
client
    .delete_profile_template(DeleteProfileTemplateRequest { id: created.id.clone() })
    .await?;
let gone = client.get_profile_template(GetProfileTemplateRequest { id: created.id }).await;
assert_eq!(gone.unwrap_err().code(), Code::NotFound);"##,
    ),
    (
        "create_managed_runner",
        r##"use cwsandbox_control::v1beta2::{
    CreateManagedRunnerRequest, Runner, RunnerIdentity, RunnerManagementServiceClient,
    RunnerProfileBinding,
};

let client = RunnerManagementServiceClient::new(channel);
# let template = create_template(&client, "agents").await?;
let runner = Runner {
    display_name: "Lab (west)".into(),
    identity: Some(RunnerIdentity {
        zone: "US-WEST-09B".into(),
        cluster_name: "lab-west-cks".into(),
        ..Default::default()
    }),
    profile_bindings: vec![RunnerProfileBinding {
        profile_template_id: template.id.clone(),
        is_default: true,
        ..Default::default()
    }],
    ..Default::default()
};
let request = CreateManagedRunnerRequest { runner_id: "lab-west".into(), runner: Some(runner) };
let created = client.create_managed_runner(request).await?;
assert!(!created.id.is_empty());
assert_eq!(created.identity.unwrap_or_default().runner_id, "lab-west");"##,
    ),
    (
        "get_runner",
        r##"use cwsandbox_control::v1beta2::{GetRunnerRequest, RunnerManagementServiceClient};

let client = RunnerManagementServiceClient::new(channel);
# let template = create_template(&client, "agents").await?;
# let created = create_runner(&client, "lab-west", &template.id).await?;
// The runner id and the server-assigned UUID both find the runner.
let by_runner_id = client.get_runner(GetRunnerRequest { id: "lab-west".into() }).await?;
let by_uuid = client.get_runner(GetRunnerRequest { id: created.id.clone() }).await?;
assert_eq!(by_runner_id.id, created.id);
assert_eq!(by_uuid.id, created.id);"##,
    ),
    (
        "list_managed_runners",
        r##"use cwsandbox_control::v1beta2::{ListManagedRunnersRequest, RunnerManagementServiceClient};

let client = RunnerManagementServiceClient::new(channel);
# let template = create_template(&client, "agents").await?;
# create_runner(&client, "lab-west", &template.id).await?;
let page = client.list_managed_runners(ListManagedRunnersRequest::default()).await?;
let runner_ids: Vec<String> = page
    .runners
    .into_iter()
    .map(|runner| runner.identity.unwrap_or_default().runner_id)
    .collect();
assert_eq!(runner_ids, ["lab-west"]);
assert!(page.next_page_token.is_empty());"##,
    ),
    (
        "update_managed_runner",
        r##"use cwsandbox_control::v1beta2::{
    Runner, RunnerManagementServiceClient, UpdateManagedRunnerRequest,
};
use cwsandbox_control::wkt::FieldMask;

let client = RunnerManagementServiceClient::new(channel);
# let template = create_template(&client, "agents").await?;
# let created = create_runner(&client, "lab-west", &template.id).await?;
let runner = Runner {
    id: created.id.clone(),
    display_name: "Lab (west, GPU)".into(),
    ..Default::default()
};
let request = UpdateManagedRunnerRequest {
    runner: Some(runner),
    update_mask: Some(FieldMask { paths: vec!["display_name".into()] }),
};
let updated = client.update_managed_runner(request).await?;
assert_eq!(updated.display_name, "Lab (west, GPU)");
// Fields outside the mask keep their values.
assert_eq!(updated.profile_bindings, created.profile_bindings);"##,
    ),
    (
        "delete_managed_runner",
        r##"use cwsandbox_control::connect::Code;
use cwsandbox_control::v1beta2::{
    DeleteManagedRunnerRequest, GetRunnerRequest, RunnerManagementServiceClient,
};

let client = RunnerManagementServiceClient::new(channel);
# let template = create_template(&client, "agents").await?;
# create_runner(&client, "lab-west", &template.id).await?;
client
    .delete_managed_runner(DeleteManagedRunnerRequest { id: "lab-west".into() })
    .await?;
// The emulator runs with instant timings here, so teardown has already
// ended; a real runner stays DELETING for a while first.
let gone = client.get_runner(GetRunnerRequest { id: "lab-west".into() }).await;
assert_eq!(gone.unwrap_err().code(), Code::NotFound);"##,
    ),
    (
        "apply_managed_runner_update",
        r##"use cwsandbox_control::v1beta2::{
    ApplyManagedRunnerUpdateRequest, GetRunnerRequest, ReleaseChannel,
    RunnerManagementServiceClient,
};

let client = RunnerManagementServiceClient::new(channel);
# let template = create_template(&client, "agents").await?;
# create_runner(&client, "lab-west", &template.id).await?;
// The emulator publishes a newer runner version on the runner's channel.
emulator.publish_version(ReleaseChannel::Stable)?;
let runner = client.get_runner(GetRunnerRequest { id: "lab-west".into() }).await?;
assert!(runner.update_available);

let request = ApplyManagedRunnerUpdateRequest { id: "lab-west".into() };
let updated = client.apply_managed_runner_update(request).await?;
assert!(!updated.update_available);"##,
    ),
];

/// Returns the complete doc example of each client method, keyed as
/// `codegen::Config::doc_examples` expects.
pub(crate) fn doc_examples() -> BTreeMap<String, String> {
    BODIES
        .iter()
        .map(|(method, body)| {
            let key = format!("RunnerManagementServiceClient::{method}");
            (key, format!("{START}\n{body}\n{END}"))
        })
        .collect()
}
