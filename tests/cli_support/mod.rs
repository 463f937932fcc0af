//! Helpers of the `cwsctl` tests: running the binary, and a standalone
//! emulator child process on a free loopback port.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use assert_cmd::cargo::cargo_bin;
use serde_json::Value;

pub const ADMIN_TOKEN: &str = "test-admin-token";
pub const USER_TOKEN: &str = "test-user-token";

/// Returns the path of a file under the crate root.
pub fn repo_path(relative: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(relative)
        .to_string_lossy()
        .into_owned()
}

/// Returns a `cwsctl` command with no token in its environment.
pub fn cwsctl() -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("cwsctl").unwrap();
    command
        .env_remove("COREWEAVE_API_TOKEN")
        .env_remove("RUST_LOG");
    command.timeout(Duration::from_secs(120));
    command
}

/// Returns `cwsctl` as a plain process command with no token in its
/// environment, for tests that set up stdout or stderr themselves.
pub fn cwsctl_process() -> Command {
    let mut command = Command::new(cargo_bin("cwsctl"));
    command
        .env_remove("COREWEAVE_API_TOKEN")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    command
}

/// Returns the write end of a pipe whose read end is already closed, so
/// that every write to it fails with EPIPE, as a write to `| head -1` does
/// once head has exited.
pub fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

/// Runs `cwsctl` with stdout a closed pipe and returns its exit status and
/// stderr.
pub fn output_with_closed_stdout(args: &[&str]) -> std::process::Output {
    cwsctl_process()
        .args(args)
        .stdout(closed_pipe())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

/// Returns a port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A `cwsctl emulator serve` child process, killed on drop.
pub struct Server {
    child: Child,
    pub endpoint: String,
    _state: tempfile::TempDir,
}

impl Server {
    /// Starts the emulator with fast lifecycle timings and waits until it listens.
    pub fn start() -> Self {
        Self::start_with(&[]).0
    }

    /// Starts the emulator with extra `emulator serve` arguments and returns
    /// it with the lines it printed before the first call.
    pub fn start_with(extra: &[&str]) -> (Self, Vec<String>) {
        let state = tempfile::tempdir().unwrap();
        let config = state.path().join("emulator.yaml");
        std::fs::write(&config, FAST_CONFIG).unwrap();
        let port = free_port();
        let address = format!("127.0.0.1:{port}");
        let mut child = Command::new(cargo_bin("cwsctl"))
            .args(["emulator", "serve", "--listen", &address])
            .args(["--config", &config.to_string_lossy()])
            .args(["--admin-token", ADMIN_TOKEN, "--user-token", USER_TOKEN])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();

        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().unwrap().unwrap();
        assert!(first.contains(&address), "unexpected first line: {first}");
        let mut banner = vec![first];
        for line in lines.by_ref() {
            let line = line.unwrap();
            let last = line.starts_with("try: ");
            banner.push(line);
            if last {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        let server = Self {
            child,
            endpoint: format!("http://{address}"),
            _state: state,
        };
        (server, banner)
    }

    /// Returns `cwsctl` pointed at this server with the admin token.
    pub fn admin(&self) -> assert_cmd::Command {
        let mut command = cwsctl();
        command.args(["--endpoint", &self.endpoint, "--token", ADMIN_TOKEN]);
        command
    }

    /// Returns `cwsctl` pointed at this server with the read-only token.
    pub fn user(&self) -> assert_cmd::Command {
        let mut command = cwsctl();
        command.args(["--endpoint", &self.endpoint, "--token", USER_TOKEN]);
        command
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Emulator timings short enough for tests. The stable channel is ahead of
/// the rapid one, so a runner that moves to it has an update available.
const FAST_CONFIG: &str = "\
release_versions:
  stable: 1.6.0
  rapid: 1.5.0
timings:
  pending: 200ms
  provisioning: 300ms
  deleting: 200ms
  rollout: 300ms
  liveness_window: 5s
  heartbeat_interval: 100ms
";

/// Parses stdout as JSON.
pub fn json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not JSON ({error}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Returns stdout and stderr as text.
pub fn texts(output: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[path = "../support/json_defaults.rs"]
mod json_defaults;

#[allow(unused_imports, reason = "only some test crates compare fixtures")]
pub(crate) use json_defaults::without_defaults;
