//! Lists the profile templates of an organization and creates one.
//!
//! By default this starts the in-process emulator on 127.0.0.1 and talks to
//! it, so it needs no account and sends nothing off the machine:
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! With `--endpoint URL` it calls that control plane instead, with the token
//! from `COREWEAVE_API_TOKEN`:
//!
//! ```sh
//! COREWEAVE_API_TOKEN=... cargo run --example quickstart -- --endpoint https://api.coreweave.com
//! ```

use std::error::Error;
use std::process::ExitCode;

use cwsandbox_control::Client;
use cwsandbox_control::connect::Channel;
use cwsandbox_control::emulator::{Emulator, EmulatorHandle};
use cwsandbox_control::v1beta2::{
    ListProfileTemplatesRequest, ProfileSpec, ProfileTemplate, ResourceDefaults,
};

const USAGE: &str = "usage: quickstart [--endpoint URL] [--name DISPLAY_NAME]";

struct Args {
    endpoint: Option<String>,
    name: String,
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

    // The emulator must outlive the client's calls: dropping the handle stops it.
    let (client, _emulator) = connect(args.endpoint.as_deref()).await?;

    print_templates(&client).await?;

    let template = ProfileTemplate {
        display_name: args.name.clone(),
        description: "CPU sandboxes with small default limits".to_string(),
        spec: Some(ProfileSpec {
            runtime_class: "kata-qemu".to_string(),
            resource_defaults: Some(ResourceDefaults {
                cpu_request: "500m".to_string(),
                memory_request: "1Gi".to_string(),
                cpu_limit: "1".to_string(),
                memory_limit: "2Gi".to_string(),
            }),
            ..ProfileSpec::default()
        }),
        ..ProfileTemplate::default()
    };
    // A create that fails on the way is looked up by display name before it
    // is sent again, so a retry never makes a second template.
    match client.create_profile_template_safely(template).await {
        Ok(created) => println!("created {} with id {}", created.display_name, created.id),
        Err(status) if status.is_already_exists() => {
            println!("{} already exists: {}", args.name, status.message());
        }
        Err(status) => return Err(status.into()),
    }

    print_templates(&client).await?;
    Ok(())
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

/// Prints one line per template, reading every page.
async fn print_templates(client: &Client) -> Result<(), Box<dyn Error>> {
    let mut request = ListProfileTemplatesRequest {
        page_size: 100,
        page_token: String::new(),
    };
    let mut count = 0;
    loop {
        let page = client.list_profile_templates(request.clone()).await?;
        for template in &page.profile_templates {
            let runtime = template
                .spec
                .as_ref()
                .map_or("", |spec| &spec.runtime_class);
            println!("  {}  {}  {runtime}", template.id, template.display_name);
            count += 1;
        }
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
    }
    println!("{count} profile template(s)");
    Ok(())
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        endpoint: None,
        name: "quickstart-cpu".to_string(),
    };
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--endpoint" => parsed.endpoint = Some(value("--endpoint")?),
            "--name" => parsed.name = value("--name")?,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unexpected argument {other:?}\n{USAGE}")),
        }
    }
    Ok(parsed)
}
