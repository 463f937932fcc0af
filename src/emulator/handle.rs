//! Starting the emulator and controlling a running one.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use tokio::net::TcpListener;

use super::config::{ClusterConfig, EmulatorConfig, Fault, Role, Timings, TokenConfig};
use super::server::{self, ServerTask};
use super::service::EmulatorService;
use crate::v1beta2::{ReleaseChannel, RunnerInstallErrorReason};

/// Entry point: `Emulator::start()` for the defaults, `Emulator::builder()` to configure.
#[derive(Debug)]
pub struct Emulator;

impl Emulator {
    /// Starts an emulator with the default configuration on `127.0.0.1` and a free port.
    ///
    /// # Errors
    ///
    /// Returns an error when no port can be bound.
    pub async fn start() -> io::Result<EmulatorHandle> {
        Self::builder().start().await
    }

    /// Creates a builder that starts from the default configuration.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder {
            config: EmulatorConfig::default(),
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        }
    }
}

/// Starts the emulator with `config`, listening on `addr`.
///
/// # Errors
///
/// Returns an error when the configuration is invalid, the state file cannot
/// be read or `addr` cannot be bound.
pub async fn serve(config: EmulatorConfig, addr: SocketAddr) -> io::Result<EmulatorHandle> {
    Emulator::builder().config(config).addr(addr).start().await
}

/// Configures an emulator before it starts.
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    config: EmulatorConfig,
    addr: SocketAddr,
}

impl EmulatorBuilder {
    /// Replaces the whole configuration.
    pub fn config(mut self, config: EmulatorConfig) -> Self {
        self.config = config;
        self
    }

    /// Sets the listen address; the default is `127.0.0.1:0` (a free port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Adds a bearer token of `organization` with `role`.
    pub fn token(mut self, token: &str, organization: &str, role: Role) -> Self {
        self.config.tokens.push(TokenConfig {
            token: token.to_string(),
            organization: organization.to_string(),
            role,
        });
        self
    }

    /// Adds a cluster.
    pub fn cluster(mut self, cluster: ClusterConfig) -> Self {
        self.config.clusters.push(cluster);
        self
    }

    /// Sets the durations of the runner lifecycle.
    pub fn timings(mut self, timings: Timings) -> Self {
        self.config.timings = timings;
        self
    }

    /// Freezes the clock; it moves only through [`EmulatorHandle::advance`].
    pub fn manual_clock(mut self) -> Self {
        self.config.manual_clock = true;
        self
    }

    /// Keeps the state in `path` across restarts.
    pub fn state_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.config.state_path = Some(path.into());
        self
    }

    /// Injects `fault` into every call of `method`, such as `GetRunner`.
    pub fn fault(mut self, method: &str, fault: Fault) -> Self {
        self.config.faults.insert(method.to_string(), fault);
        self
    }

    /// Seeds the random choice of failing calls, for repeatable tests.
    pub fn fault_seed(mut self, seed: u64) -> Self {
        self.config.fault_seed = Some(seed);
        self
    }

    /// Sets the maximum request body size in bytes.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.config.max_body_bytes = limit;
        self
    }

    /// Builds the request handler without a socket, for in-process calls and fuzzing.
    ///
    /// # Errors
    ///
    /// Returns an error when the configuration is invalid or the state file
    /// cannot be read.
    pub fn build_service(self) -> io::Result<EmulatorService> {
        EmulatorService::new(self.config)
    }

    /// Binds the listen address and starts serving.
    ///
    /// # Errors
    ///
    /// Returns an error when the configuration is invalid, the state file
    /// cannot be read or the address cannot be bound.
    pub async fn start(self) -> io::Result<EmulatorHandle> {
        let addr = self.addr;
        let service = EmulatorService::new(self.config)?;
        let listener = TcpListener::bind(addr).await.map_err(|error| {
            io::Error::new(error.kind(), format!("cannot listen on {addr}: {error}"))
        })?;
        let addr = listener.local_addr()?;
        let server = server::spawn(service.clone(), listener);
        tracing::info!(%addr, "emulator listening on http://{addr} (REST and Connect, HTTP/1.1 and h2c)");
        for token in &service.config().tokens {
            tracing::info!(
                token = %token.token,
                organization = %token.organization,
                role = ?token.role,
                "emulator accepts bearer token"
            );
        }
        Ok(EmulatorHandle {
            service,
            addr,
            server: Some(server),
        })
    }
}

/// A running emulator. Dropping it stops the server at once; `shutdown`
/// lets open requests finish first.
#[derive(Debug)]
pub struct EmulatorHandle {
    service: EmulatorService,
    addr: SocketAddr,
    server: Option<ServerTask>,
}

impl EmulatorHandle {
    /// Returns the address the emulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Returns `http://<addr>`, the base of both the REST paths and the Connect procedures.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Returns the first admin token of the configuration, or `""` when there is none.
    pub fn admin_token(&self) -> &str {
        self.first_token(Role::Admin)
    }

    /// Returns the first user token of the configuration, or `""` when there is none.
    pub fn user_token(&self) -> &str {
        self.first_token(Role::User)
    }

    fn first_token(&self, role: Role) -> &str {
        self.config()
            .tokens
            .iter()
            .find(|token| token.role == role)
            .map_or("", |token| token.token.as_str())
    }

    /// Returns the configuration the emulator runs with.
    pub fn config(&self) -> &EmulatorConfig {
        self.service.config()
    }

    /// Returns the request handler, for calls that bypass the socket.
    pub fn service(&self) -> &EmulatorService {
        &self.service
    }

    /// Returns the emulator's current time.
    pub fn now(&self) -> SystemTime {
        self.service.clock().now()
    }

    /// Moves the emulator's clock forward. With the system clock this adds
    /// to an offset, so it works in both clock modes.
    pub fn advance(&self, by: Duration) {
        self.service.clock().advance(by);
        tracing::debug!(
            by_ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX),
            manual = self.service.clock().is_manual(),
            "emulator clock advanced"
        );
    }

    /// Publishes the next patch version on `channel`, so runners following it
    /// report `updateAvailable`. Returns the new version.
    ///
    /// # Errors
    ///
    /// Returns an error when the state cannot be saved.
    pub fn publish_version(&self, channel: ReleaseChannel) -> io::Result<String> {
        let version = self.service.publish_version(channel)?;
        tracing::info!(channel = channel.as_str_name(), %version, "release version published");
        Ok(version)
    }

    /// Makes a runner's install fail now: it becomes FAILED with `installError`
    /// set. `runner` is the UUID or the runner id. A later configuration
    /// change or apply-update retries the install.
    ///
    /// # Errors
    ///
    /// Returns `NotFound` when no runner matches, or an error when the state
    /// cannot be saved.
    pub fn fail_install(&self, runner: &str, reason: RunnerInstallErrorReason) -> io::Result<()> {
        self.service.fail_install(runner, reason)
    }

    /// Stops a runner's heartbeats; it turns DISCONNECTED once the liveness
    /// window has passed since the last one.
    ///
    /// # Errors
    ///
    /// Returns `NotFound` when no runner matches, or an error when the state
    /// cannot be saved.
    pub fn stop_heartbeats(&self, runner: &str) -> io::Result<()> {
        self.service.change_runner(runner, |record, now| {
            record.heartbeats_stopped_at.get_or_insert(now);
        })
    }

    /// Resumes a runner's heartbeats: it is CONNECTED again, with its last
    /// heartbeat on the regular schedule.
    ///
    /// # Errors
    ///
    /// Returns `NotFound` when no runner matches, or an error when the state
    /// cannot be saved.
    pub fn resume_heartbeats(&self, runner: &str) -> io::Result<()> {
        self.service.change_runner(runner, |record, _| {
            record.heartbeats_stopped_at = None;
        })
    }

    /// Injects `fault` into every call of `method` (such as `GetRunner`) from now on.
    ///
    /// # Errors
    ///
    /// Returns `InvalidInput` for an unknown method name.
    pub fn set_fault(&self, method: &str, fault: Fault) -> io::Result<()> {
        self.service.set_fault(method, Some(fault))
    }

    /// Removes the fault of `method`.
    ///
    /// # Errors
    ///
    /// Returns `InvalidInput` for an unknown method name.
    pub fn clear_fault(&self, method: &str) -> io::Result<()> {
        self.service.set_fault(method, None)
    }

    /// Number of requests routed to `method` (such as `GetRunner`) so far,
    /// rejected ones included; 0 for an unknown name.
    pub fn request_count(&self, method: &str) -> u64 {
        self.service.request_count(method)
    }

    /// Stops accepting connections and waits up to five seconds for open
    /// requests to finish.
    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}
