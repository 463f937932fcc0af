//! `cwsctl emulator serve` and the in-process emulator of `--emulator`.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use super::args::ServeArgs;
use super::error::{CliError, CliResult};
use super::output::write_stdout;
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
    // Serving is the command's work and the banner only informs, so a
    // closed stdout does not stop the emulator.
    if let Err(error) = write_stdout(&banner(&handle)) {
        tracing::warn!(%error, "writing the banner to stdout failed; serving anyway");
    }

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
    if let Some(path) = &config.state_path {
        check_state_path(path)?;
    }
    Ok(config)
}

/// Checks that the state file can be written before the emulator starts, so
/// that a bad path gets a message about the path rather than an I/O error.
/// The directory must exist and accept new files; it is not created, so that
/// a mistyped directory fails here instead of keeping the state elsewhere.
fn check_state_path(path: &Path) -> CliResult {
    let shown = path.display();
    if path.is_dir() {
        return Err(CliError::usage(format!(
            "the state file {shown} is a directory: give a file path inside it, such as \
             {shown}/state.json"
        )));
    }
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let directory_shown = directory.display();
    if !directory.is_dir() {
        return Err(CliError::usage(format!(
            "the directory {directory_shown} of the state file {shown} does not exist: \
             create it (mkdir -p {directory_shown}) or give a path in an existing directory"
        )));
    }
    let name = path
        .file_name()
        .map_or_else(|| "state".into(), |name| name.to_string_lossy());
    let probe = directory.join(format!(".{name}.probe-{}", std::process::id()));
    std::fs::File::create(&probe).map_err(|error| {
        CliError::usage(format!(
            "cannot create files in {directory_shown}, the directory of the state file \
             {shown}: {error}"
        ))
    })?;
    if let Err(error) = std::fs::remove_file(&probe) {
        tracing::warn!(%error, path = %probe.display(), "removing the probe file failed");
    }
    Ok(())
}

fn read_config(path: &str) -> CliResult<EmulatorConfig> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        CliError::usage(format!(
            "cannot read the emulator configuration {path}: {error}"
        ))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    // YAML is a superset of JSON, so one parser reads both forms.
    serde_yaml_ng::from_str(text).map_err(|error| {
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

/// Returns the lines printed at start: the address, tokens, clusters and a first command.
fn banner(handle: &EmulatorHandle) -> String {
    let mut text = format!("emulator listening on {}\n", handle.base_url());
    for token in &handle.config().tokens {
        let role = match token.role {
            Role::Admin => "SANDBOX_ADMIN",
            Role::User => "SANDBOX_USER",
        };
        text.push_str(&format!(
            "token {} (organization {}, {role})\n",
            token.token, token.organization
        ));
    }
    for cluster in &handle.config().clusters {
        text.push_str(&format!(
            "cluster {} (id {}, zone {}, {:?})\n",
            cluster.name, cluster.id, cluster.zone, cluster.status
        ));
    }
    text.push_str(&format!(
        "try: cwsctl --endpoint {} --token {} profile list\n",
        handle.base_url(),
        handle.admin_token()
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_path_in_missing_directory_is_rejected() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("missing").join("state.json");
        let message = check_state_path(&path).unwrap_err().to_string();
        assert!(message.contains("does not exist"), "{message}");
        assert!(message.contains("mkdir -p"), "{message}");
    }

    #[test]
    fn state_path_that_is_a_directory_is_rejected() {
        let directory = tempfile::tempdir().unwrap();
        let message = check_state_path(directory.path()).unwrap_err().to_string();
        assert!(message.contains("is a directory"), "{message}");
    }

    #[test]
    fn state_path_in_existing_directory_passes() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("state.json");
        check_state_path(&path).unwrap();
        let left: Vec<_> = std::fs::read_dir(directory.path()).unwrap().collect();
        assert!(left.is_empty(), "the probe file was left behind");
    }

    #[test]
    fn cluster_flag_parses() {
        let cluster = parse_cluster("lab=US-WEST-09B").unwrap();
        assert_eq!(cluster.id, "cl-lab");
        assert_eq!(cluster.zone, "US-WEST-09B");
        assert!(parse_cluster("lab").is_err());
        assert!(parse_cluster("=Z").is_err());
    }
}
