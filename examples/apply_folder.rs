//! Applies folders of YAML and JSON resource files from Rust code with
//! `cwsandbox_control::ops`, the way `cwsctl apply -f DIR` does: profile
//! templates first, then runners, each created when missing, updated with a
//! field mask when it differs and left alone when it matches. The second pass
//! over the same files then changes nothing.
//!
//! ```sh
//! cargo run --example apply_folder -- examples/profiles examples/runners --wait
//! ```
//!
//! It runs against the in-process emulator on 127.0.0.1 unless `--endpoint
//! URL` names a control plane, whose token then comes from
//! `COREWEAVE_API_TOKEN`.
//!
//! Each file contains one resource per YAML document (or a JSON object or list):
//! a bare ProfileTemplate or Runner, or a create request body
//! (`{"profileTemplate": ...}`, `{"runnerId": ..., "runner": ...}`), with
//! lowerCamelCase or snake_case keys. A template's `spec.namespace`,
//! `spec.network` and `spec.pod` may be objects, and a binding's `overrides`
//! too; they are sent as the API's JSON strings. A binding may name its
//! template by display name. Documents with an `updateMask` are skipped,
//! because apply computes the mask itself.
//!
//! The YAML parser is `serde_yaml_ng`, which this crate depends on with the
//! `cli` feature; a program of your own would depend on a YAML crate directly.

use std::collections::HashMap;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use cwsandbox_control::Client;
use cwsandbox_control::connect::{Channel, Status};
use cwsandbox_control::emulator::{Emulator, EmulatorHandle};
use cwsandbox_control::ops::{self, Plan, WaitCondition, WaitOptions};
use cwsandbox_control::v1beta2::{
    GetRunnerRequest, ProfileTemplate, Runner, UpdateManagedRunnerRequest,
    UpdateProfileTemplateRequest,
};
use futures_util::TryStreamExt as _;
use serde::Deserialize as _;
use serde_json::{Map, Value};

const USAGE: &str = "usage: apply_folder DIR... [--endpoint URL] [--wait]";

/// How long `--wait` waits for each runner to become READY.
const WAIT_TIMEOUT: Duration = Duration::from_secs(120);

/// The JSON string fields that a file may give as objects, by their object key.
const STRUCTURED_SPEC_FIELDS: [(&str, &str); 3] = [
    ("namespace", "namespaceConfigJson"),
    ("network", "networkConfigJson"),
    ("pod", "podTemplateJson"),
];

struct Args {
    folders: Vec<PathBuf>,
    endpoint: Option<String>,
    wait: bool,
}

/// The resources read from the folders, in file order.
#[derive(Default)]
struct Resources {
    templates: Vec<ProfileTemplate>,
    /// Runner id and runner.
    runners: Vec<(String, Runner)>,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn Error>> {
    let args = parse_args(std::env::args().skip(1))?;
    let mut resources = Resources::default();
    for folder in &args.folders {
        read_folder(folder, &mut resources)?;
    }
    println!(
        "read {} profile template(s) and {} runner(s)",
        resources.templates.len(),
        resources.runners.len()
    );

    // The emulator must outlive the client's calls: dropping the handle stops it.
    let (client, _emulator) = connect(args.endpoint.as_deref()).await?;
    for pass in ["first pass", "second pass"] {
        println!("\n{pass}:");
        let template_ids = apply_templates(&client, &resources.templates).await?;
        let changed = apply_runners(&client, &resources.runners, &template_ids).await?;
        if args.wait {
            wait_ready(&client, &changed).await?;
        }
    }
    Ok(())
}

/// Applies the templates and returns the id of every template by display name.
async fn apply_templates(
    client: &Client,
    templates: &[ProfileTemplate],
) -> Result<HashMap<String, String>, Status> {
    let existing: Vec<ProfileTemplate> = ops::profile_templates(client, 100).try_collect().await?;
    let mut by_name: HashMap<String, ProfileTemplate> = existing
        .into_iter()
        .map(|template| (template.display_name.clone(), template))
        .collect();

    for desired in templates {
        let name = &desired.display_name;
        let current = by_name.get(name);
        let stored = match ops::plan_profile_template(current, desired) {
            Plan::Unchanged => {
                println!("  profile template {name}: unchanged");
                continue;
            }
            Plan::Create => {
                let created = client
                    .create_profile_template_safely(desired.clone())
                    .await?;
                println!("  profile template {name}: created, id {}", created.id);
                created
            }
            Plan::Update { mask, diff } => {
                println!(
                    "  profile template {name}: updating {}",
                    mask.paths.join(", ")
                );
                print!("{}", indent(&diff.to_string()));
                let request = UpdateProfileTemplateRequest {
                    profile_template: Some(ProfileTemplate {
                        id: current
                            .map(|template| template.id.clone())
                            .unwrap_or_default(),
                        ..desired.clone()
                    }),
                    update_mask: Some(mask),
                };
                client.update_profile_template(request).await?
            }
        };
        by_name.insert(name.clone(), stored);
    }

    let ids = by_name
        .into_iter()
        .map(|(name, template)| (name, template.id))
        .collect();
    Ok(ids)
}

/// Applies the runners and returns the runner ids of those it created or updated.
async fn apply_runners(
    client: &Client,
    runners: &[(String, Runner)],
    template_ids: &HashMap<String, String>,
) -> Result<Vec<String>, Box<dyn Error>> {
    let mut changed = Vec::new();
    for (runner_id, runner) in runners {
        let mut desired = runner.clone();
        for binding in &mut desired.profile_bindings {
            if let Some(id) = template_ids.get(&binding.profile_template_id) {
                binding.profile_template_id.clone_from(id);
            }
        }

        let request = GetRunnerRequest {
            id: runner_id.clone(),
        };
        let current = match client.get_runner(request).await {
            Ok(current) => Some(current),
            Err(status) if status.is_not_found() => None,
            Err(status) => return Err(status.into()),
        };

        match ops::plan_runner(current.as_ref(), &desired)? {
            Plan::Unchanged => println!("  runner {runner_id}: unchanged"),
            Plan::Create => {
                let created = client
                    .create_managed_runner_safely(runner_id, desired)
                    .await?;
                println!("  runner {runner_id}: created, id {}", created.id);
                changed.push(runner_id.clone());
            }
            Plan::Update { mask, diff } => {
                println!("  runner {runner_id}: updating {}", mask.paths.join(", "));
                print!("{}", indent(&diff.to_string()));
                let id = current.map(|runner| runner.id).unwrap_or_default();
                let request = UpdateManagedRunnerRequest {
                    runner: Some(Runner { id, ..desired }),
                    update_mask: Some(mask),
                };
                client.update_managed_runner(request).await?;
                changed.push(runner_id.clone());
            }
        }
    }
    Ok(changed)
}

/// Waits for each runner in `runner_ids` to become READY, printing status changes.
async fn wait_ready(client: &Client, runner_ids: &[String]) -> Result<(), Box<dyn Error>> {
    for runner_id in runner_ids {
        let mut last_status = String::new();
        let print_change = |runner: &Runner| {
            let status = ops::describe_status(runner);
            if status != last_status {
                println!("  runner {runner_id}: {status}");
                last_status = status;
            }
        };
        ops::wait_for_runner(
            client,
            runner_id,
            WaitCondition::Ready,
            WaitOptions::new(WAIT_TIMEOUT),
            print_change,
        )
        .await?;
    }
    Ok(())
}

/// Reads every `.yaml`, `.yml` and `.json` file of `folder`, in name order.
fn read_folder(folder: &Path, resources: &mut Resources) -> Result<(), Box<dyn Error>> {
    let entries = std::fs::read_dir(folder)
        .map_err(|error| format!("cannot read folder {}: {error}", folder.display()))?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let extension = path.extension().and_then(|ext| ext.to_str()).unwrap_or("");
        if matches!(extension, "yaml" | "yml" | "json") {
            paths.push(path);
        }
    }
    paths.sort();

    for path in paths {
        let text = std::fs::read_to_string(&path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        let documents = parse_documents(&path, &text)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        for (index, document) in documents.into_iter().enumerate() {
            let origin = format!("{} document {}", path.display(), index + 1);
            add_document(document, &origin, resources)
                .map_err(|error| format!("{origin}: {error}"))?;
        }
    }
    Ok(())
}

/// Returns the documents of a file: a JSON object or list, or YAML documents.
fn parse_documents(path: &Path, text: &str) -> Result<Vec<Value>, Box<dyn Error>> {
    if path.extension().is_some_and(|ext| ext == "json") {
        return Ok(match serde_json::from_str(text)? {
            Value::Array(items) => items,
            value => vec![value],
        });
    }
    let mut documents = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(text) {
        let value = Value::deserialize(document)?;
        if !value.is_null() {
            documents.push(value);
        }
    }
    Ok(documents)
}

/// Adds one document to `resources` as a template or a runner.
fn add_document(
    document: Value,
    origin: &str,
    resources: &mut Resources,
) -> Result<(), Box<dyn Error>> {
    let Value::Object(mut fields) = document else {
        return Err("expected a mapping of fields".into());
    };
    if fields.contains_key("updateMask") || fields.contains_key("update_mask") {
        println!("skipped {origin}: it has an updateMask, and apply computes the mask itself");
        return Ok(());
    }
    let kind = fields.remove("kind");

    if let Some(template) = take_either(&mut fields, "profileTemplate", "profile_template") {
        return add_template(template, resources);
    }
    let runner_id = take_either(&mut fields, "runnerId", "runner_id");
    if let Some(runner) = fields.remove("runner") {
        return add_runner(runner, runner_id, resources);
    }
    match kind.as_ref().and_then(Value::as_str) {
        Some("ProfileTemplate") => add_template(Value::Object(fields), resources),
        Some("Runner") => add_runner(Value::Object(fields), runner_id, resources),
        Some(other) => Err(format!("unknown kind {other:?}: use ProfileTemplate or Runner").into()),
        None if fields.contains_key("spec") => add_template(Value::Object(fields), resources),
        None => add_runner(Value::Object(fields), runner_id, resources),
    }
}

fn add_template(mut template: Value, resources: &mut Resources) -> Result<(), Box<dyn Error>> {
    if let Some(spec) = template.get_mut("spec").and_then(Value::as_object_mut) {
        for (key, string_field) in STRUCTURED_SPEC_FIELDS {
            encode_object(spec, key, string_field);
        }
    }
    resources.templates.push(serde_json::from_value(template)?);
    Ok(())
}

fn add_runner(
    mut runner: Value,
    runner_id: Option<Value>,
    resources: &mut Resources,
) -> Result<(), Box<dyn Error>> {
    let bindings = take_either(
        runner.as_object_mut().ok_or("runner is not a mapping")?,
        "profileBindings",
        "profile_bindings",
    );
    if let Some(Value::Array(mut bindings)) = bindings {
        for binding in bindings.iter_mut().filter_map(Value::as_object_mut) {
            encode_object(binding, "overrides", "overridesJson");
        }
        runner["profileBindings"] = Value::Array(bindings);
    }
    let runner: Runner = serde_json::from_value(runner)?;

    let from_identity = runner
        .identity
        .as_ref()
        .map(|identity| identity.runner_id.clone());
    let runner_id = match runner_id {
        Some(Value::String(id)) => id,
        Some(other) => return Err(format!("runnerId must be a string, not {other}").into()),
        None => from_identity.unwrap_or_default(),
    };
    if runner_id.is_empty() {
        return Err("the runner has no runnerId: set runnerId or identity.runnerId".into());
    }
    resources.runners.push((runner_id, runner));
    Ok(())
}

/// Removes and returns the field named `camel` or `snake`.
fn take_either(fields: &mut Map<String, Value>, camel: &str, snake: &str) -> Option<Value> {
    fields.remove(camel).or_else(|| fields.remove(snake))
}

/// Replaces an object under `key` with its JSON text under `string_field`.
fn encode_object(fields: &mut Map<String, Value>, key: &str, string_field: &str) {
    if let Some(object @ Value::Object(_)) = fields.remove(key) {
        fields.insert(string_field.to_string(), Value::String(object.to_string()));
    }
}

/// Builds a client for `endpoint`, or for a new emulator when there is none.
async fn connect(
    endpoint: Option<&str>,
) -> Result<(Client, Option<EmulatorHandle>), Box<dyn Error>> {
    if let Some(endpoint) = endpoint {
        let channel = Client::builder_for(endpoint).build()?;
        println!("calling {endpoint}");
        return Ok((Client::new(channel), None));
    }

    let emulator = Emulator::start().await?;
    let channel = Channel::builder(emulator.base_url())
        .bearer_token(emulator.admin_token().to_string())
        .build()?;
    println!("calling the emulator at {}", emulator.base_url());
    Ok((Client::new(channel), Some(emulator)))
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("    {line}\n")).collect()
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        folders: Vec::new(),
        endpoint: None,
        wait: false,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--endpoint" => {
                let url = args
                    .next()
                    .ok_or_else(|| format!("--endpoint needs a URL\n{USAGE}"))?;
                parsed.endpoint = Some(url);
            }
            "--wait" => parsed.wait = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            flag if flag.starts_with('-') => {
                return Err(format!("unknown option {flag:?}\n{USAGE}"));
            }
            folder => parsed.folders.push(PathBuf::from(folder)),
        }
    }
    if parsed.folders.is_empty() {
        return Err(format!("give at least one folder\n{USAGE}"));
    }
    Ok(parsed)
}
