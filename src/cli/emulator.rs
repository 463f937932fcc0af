//! `cwsctl emulator serve` and the in-process emulator of `--emulator`.

use std::net::SocketAddr;
use std::time::Duration;

use super::args::ServeArgs;
use super::error::{CliError, CliResult};
use crate::emulator::{
    ClusterConfig, ClusterStatus, Emulator, EmulatorConfig, EmulatorHandle, Role, Timings,
    TokenConfig,
};

/// The organization of the tokens given with `--admin-token` and `--user-token`.
const FLAG_TOKEN_ORGANIZATION: &str = "org-local";

/// Lifecycle timings of the in-process emulator: short, so that waits end in
/// a few seconds, but each state stays long enough to be seen.
pub(crate) fn short_timings() -> Timings {
    Timings {
        pending: Duration::from_millis(400),
        provisioning: Duration::from_millis(900),
        deleting: Duration::from_millis(600),
        rollout: Duration::from_millis(900),
        liveness_window: Duration::from_secs(10),
        heartbeat_interval: Duration::from_millis(300),
    }
}

/// Starts the emulator of `--emulator` on a free loopback port.
pub(crate) async fn start_in_process() -> CliResult<EmulatorHandle> {
    start_with(EmulatorConfig::default()).await
}

/// Starts an in-process emulator from `config`, with [`short_timings`].
pub(crate) async fn start_with(config: EmulatorConfig) -> CliResult<EmulatorHandle> {
    Emulator::builder()
        .config(config)
        .timings(short_timings())
        .start()
        .await
        .map_err(|error| CliError::failed(format!("cannot start the in-process emulator: {error}")))
}

/// Serves the emulator until the process ends.
pub(crate) async fn serve(args: ServeArgs) -> CliResult {
    let config = serve_config(&args)?;
    let address: SocketAddr = args.listen.parse().map_err(|_| {
        CliError::usage(format!(
            "invalid --listen address {:?}: use IP:PORT, such as 127.0.0.1:8080",
            args.listen
        ))
    })?;
    if !address.ip().is_loopback() {
        tracing::warn!(%address, "the emulator listens beyond loopback; anyone who reaches it can use the printed tokens");
    }

    let handle = crate::emulator::serve(config, address)
        .await
        .map_err(|error| CliError::failed(format!("cannot start the emulator: {error}")))?;
    print_banner(&handle);

    // NOTE: the runtime has no signal handling, so Ctrl-C ends the process at
    // once. With --state, the emulator saves each change before it responds,
    // so an acknowledged change survives that.
    std::future::pending::<()>().await;
    handle.shutdown().await;
    Ok(())
}

fn serve_config(args: &ServeArgs) -> CliResult<EmulatorConfig> {
    let mut config = match &args.config {
        Some(path) => read_config(path)?,
        None => EmulatorConfig::default(),
    };
    if let Some(state) = &args.state {
        config.state_path = Some(state.into());
    }

    if !args.admin_tokens.is_empty() || !args.user_tokens.is_empty() {
        let token = |token: &String, role| TokenConfig {
            token: token.clone(),
            organization: FLAG_TOKEN_ORGANIZATION.to_string(),
            role,
        };
        config.tokens = args
            .admin_tokens
            .iter()
            .map(|value| token(value, Role::Admin))
            .chain(
                args.user_tokens
                    .iter()
                    .map(|value| token(value, Role::User)),
            )
            .collect();
    }

    if !args.clusters.is_empty() {
        config.clusters = args
            .clusters
            .iter()
            .map(|text| parse_cluster(text))
            .collect::<CliResult<_>>()?;
    }
    config
        .validate()
        .map_err(|error| CliError::usage(format!("invalid emulator configuration: {error}")))?;
    Ok(config)
}

fn read_config(path: &str) -> CliResult<EmulatorConfig> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        CliError::usage(format!(
            "cannot read the emulator configuration {path}: {error}"
        ))
    })?;
    // YAML is a superset of JSON, so one parser reads both forms.
    serde_yaml_ng::from_str(&text).map_err(|error| {
        CliError::usage(format!("invalid emulator configuration in {path}: {error}"))
    })
}

/// Parses `NAME=ZONE` into a ready cluster whose id is `cl-NAME`.
fn parse_cluster(text: &str) -> CliResult<ClusterConfig> {
    let Some((name, zone)) = text
        .split_once('=')
        .filter(|(name, zone)| !name.trim().is_empty() && !zone.trim().is_empty())
    else {
        return Err(CliError::usage(format!(
            "invalid --cluster {text:?}: use NAME=ZONE, such as lab-west-cks=US-WEST-09B"
        )));
    };
    Ok(ClusterConfig {
        id: format!("cl-{}", name.trim()),
        name: name.trim().to_string(),
        zone: zone.trim().to_string(),
        extra_zones: Vec::new(),
        status: ClusterStatus::Ready,
    })
}

fn print_banner(handle: &EmulatorHandle) {
    println!("emulator listening on {}", handle.base_url());
    for token in &handle.config().tokens {
        let role = match token.role {
            Role::Admin => "SANDBOX_ADMIN",
            Role::User => "SANDBOX_USER",
        };
        println!(
            "token {} (organization {}, {role})",
            token.token, token.organization
        );
    }
    for cluster in &handle.config().clusters {
        println!(
            "cluster {} (id {}, zone {}, {:?})",
            cluster.name, cluster.id, cluster.zone, cluster.status
        );
    }
    println!(
        "try: cwsctl --endpoint {} --token {} profile list",
        handle.base_url(),
        handle.admin_token()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_flag_parses() {
        let cluster = parse_cluster("lab=US-WEST-09B").unwrap();
        assert_eq!(cluster.id, "cl-lab");
        assert_eq!(cluster.zone, "US-WEST-09B");
        assert!(parse_cluster("lab").is_err());
        assert!(parse_cluster("=Z").is_err());
    }
}
