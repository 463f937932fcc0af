//! `runner-service`: serves `POST /teams/{team}/runner` on top of the control plane.
//!
//! ```sh
//! COREWEAVE_API_TOKEN=... cargo run -p axum-runner-service -- \
//!     --endpoint https://api.coreweave.com \
//!     --team ml=ml-cks@US-WEST-09B --team web=web-cks@US-EAST-04A
//! curl -X POST localhost:8080/teams/ml/runner -H 'content-type: application/json' \
//!     -d '{"profile": "train-a100"}'
//! ```
//!
//! Against a local emulator in place of the real control plane:
//!
//! ```sh
//! cwsctl emulator serve --listen 127.0.0.1:8081 --cluster ml-cks=US-WEST-09B
//! COREWEAVE_API_TOKEN=admin-token cargo run -p axum-runner-service -- \
//!     --endpoint http://127.0.0.1:8081 --team ml=ml-cks@US-WEST-09B
//! ```

use std::collections::BTreeMap;
use std::error::Error;
use std::net::SocketAddr;

use axum_runner_service::{AppState, Placement, router, validate_team_name};
use cwsandbox_control::Client;
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: runner-service --endpoint URL --team NAME=CLUSTER@ZONE... \
                     [--listen ADDR]\n\
                     The token comes from COREWEAVE_API_TOKEN. ADDR defaults to 127.0.0.1:8080.";

struct Args {
    endpoint: String,
    listen: SocketAddr,
    teams: BTreeMap<String, Placement>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let args = parse_args(std::env::args().skip(1))?;

    let channel = Client::builder_for(&args.endpoint).build()?;
    let state = AppState::new(Client::new(channel), args.teams)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", args.listen))?;
    tracing::info!(addr = %listener.local_addr()?, endpoint = %args.endpoint, "runner service listening");

    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("runner service stopped");
    Ok(())
}

async fn shutdown_signal() {
    if let Err(error) = tokio::signal::ctrl_c().await {
        tracing::error!(%error, "cannot listen for ctrl-c; stopping now");
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut endpoint = None;
    let mut listen = SocketAddr::from(([127, 0, 0, 1], 8080));
    let mut teams = BTreeMap::new();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--endpoint" => endpoint = Some(value()?),
            "--listen" => {
                let text = value()?;
                listen = text
                    .parse()
                    .map_err(|_| format!("invalid --listen address {text:?}: use HOST:PORT"))?;
            }
            "--team" => {
                let (team, placement) = parse_team(&value()?)?;
                teams.insert(team, placement);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unexpected argument {other:?}\n{USAGE}")),
        }
    }
    let endpoint = endpoint.ok_or_else(|| format!("--endpoint is required\n{USAGE}"))?;
    if teams.is_empty() {
        return Err(format!("give at least one --team\n{USAGE}"));
    }
    Ok(Args {
        endpoint,
        listen,
        teams,
    })
}

/// Parses `NAME=CLUSTER@ZONE`.
fn parse_team(text: &str) -> Result<(String, Placement), String> {
    let (team, placement) = text.split_once('=').ok_or_else(|| {
        format!(
            "invalid --team {text:?}: expected NAME=CLUSTER@ZONE, such as ml=ml-cks@US-WEST-09B"
        )
    })?;
    validate_team_name(team)?;
    Ok((team.to_string(), Placement::parse(placement)?))
}
