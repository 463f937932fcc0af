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
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use cwsandbox_control::emulator::{Emulator, Timings};
///
/// let defaults = Emulator::start().await?;
/// assert_eq!(defaults.admin_token(), "admin-token");
///
/// let fast = Emulator::builder().timings(Timings::instant()).manual_clock().start().await?;
/// assert_eq!(fast.config().timings, Timings::instant());
/// # Ok(())
/// # }
/// ```
pub struct Emulator;

impl Emulator {
    /// Starts an emulator with the default configuration on `127.0.0.1` and a free port.
    ///
    /// # Errors
    ///
    /// Returns an error when no port can be bound.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::emulator::Emulator;
    ///
    /// let emulator = Emulator::start().await?;
    /// assert!(emulator.addr().ip().is_loopback());
    /// assert_eq!(emulator.user_token(), "user-token");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start() -> io::Result<EmulatorHandle> {
        Self::builder().start().await
    }

    /// Creates a builder that starts from the default configuration.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::emulator::{Emulator, Role};
    ///
    /// let emulator = Emulator::builder()
    ///     .token("ci-token", "org-ci", Role::Admin)
    ///     .start()
    ///     .await?;
    /// assert!(emulator.config().tokens.iter().any(|token| token.token == "ci-token"));
    /// # Ok(())
    /// # }
    /// ```
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
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::net::SocketAddr;
/// use cwsandbox_control::emulator::{EmulatorConfig, serve};
///
/// let config = EmulatorConfig { runner_image: "registry.local/runner".into(), ..EmulatorConfig::default() };
/// let emulator = serve(config, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
/// assert_eq!(emulator.config().runner_image, "registry.local/runner");
/// assert_ne!(emulator.addr().port(), 0, "the free port that was bound");
/// # Ok(())
/// # }
/// ```
pub async fn serve(config: EmulatorConfig, addr: SocketAddr) -> io::Result<EmulatorHandle> {
    Emulator::builder().config(config).addr(addr).start().await
}

/// Configures an emulator before it starts.
#[derive(Debug, Clone)]
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use cwsandbox_control::emulator::{Emulator, Fault, Timings};
///
/// let emulator = Emulator::builder()
///     .timings(Timings::instant())
///     .manual_clock()
///     .fault("GetRunner", Fault { delay: Duration::from_millis(1), ..Fault::default() })
///     .fault_seed(7)
///     .max_body_bytes(64 * 1024)
///     .start()
///     .await?;
/// assert_eq!(emulator.config().fault_seed, Some(7));
/// assert_eq!(emulator.config().max_body_bytes, 64 * 1024);
/// # Ok(())
/// # }
/// ```
pub struct EmulatorBuilder {
    config: EmulatorConfig,
    addr: SocketAddr,
}

impl EmulatorBuilder {
    /// Replaces the whole configuration.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::emulator::{Emulator, EmulatorConfig};
    ///
    /// let config: EmulatorConfig = serde_json::from_str(r#"{"manual_clock": true}"#)?;
    /// let emulator = Emulator::builder().config(config).start().await?;
    /// let before = emulator.now();
    /// assert_eq!(emulator.now(), before, "the manual clock stands still");
    /// # Ok(())
    /// # }
    /// ```
    pub fn config(mut self, config: EmulatorConfig) -> Self {
        self.config = config;
        self
    }

    /// Sets the listen address; the default is `127.0.0.1:0` (a free port).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::net::{Ipv4Addr, SocketAddr};
    /// use cwsandbox_control::emulator::Emulator;
    ///
    /// let emulator = Emulator::builder()
    ///     .addr(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
    ///     .start()
    ///     .await?;
    /// assert_eq!(emulator.addr().ip(), Ipv4Addr::LOCALHOST);
    /// assert_eq!(emulator.base_url(), format!("http://{}", emulator.addr()));
    /// # Ok(())
    /// # }
    /// ```
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Adds a bearer token of `organization` with `role`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::{Channel, Code};
    /// use cwsandbox_control::emulator::{Emulator, Role};
    /// use cwsandbox_control::v1beta2::{
    ///     CreateProfileTemplateRequest, ListProfileTemplatesRequest, RunnerManagementServiceClient,
    /// };
    ///
    /// let emulator = Emulator::builder().token("viewer", "org-example", Role::User).start().await?;
    /// let channel = Channel::builder(emulator.base_url()).bearer_token("viewer").build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    ///
    /// client.list_profile_templates(ListProfileTemplatesRequest::default()).await?;
    /// let status = client
    ///     .create_profile_template(CreateProfileTemplateRequest::default())
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(status.code(), Code::PermissionDenied);
    /// # Ok(())
    /// # }
    /// ```
    pub fn token(mut self, token: &str, organization: &str, role: Role) -> Self {
        self.config.tokens.push(TokenConfig {
            token: token.to_string(),
            organization: organization.to_string(),
            role,
        });
        self
    }

    /// Adds a cluster.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::emulator::{ClusterConfig, ClusterStatus, Emulator};
    ///
    /// let cluster = ClusterConfig {
    ///     id: "cl-north-01a".into(),
    ///     name: "cks-north-01a".into(),
    ///     zone: "US-NORTH-01A".into(),
    ///     extra_zones: Vec::new(),
    ///     status: ClusterStatus::Ready,
    /// };
    /// let emulator = Emulator::builder().cluster(cluster.clone()).start().await?;
    /// assert_eq!(emulator.config().clusters.last(), Some(&cluster));
    /// # Ok(())
    /// # }
    /// ```
    pub fn cluster(mut self, cluster: ClusterConfig) -> Self {
        self.config.clusters.push(cluster);
        self
    }

    /// Sets the durations of the runner lifecycle.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use cwsandbox_control::emulator::{Emulator, Timings};
    /// use cwsandbox_control::v1beta2::RunnerInstallStatus;
    ///
    /// let timings = Timings {
    ///     pending: Duration::from_secs(1),
    ///     provisioning: Duration::from_secs(2),
    ///     ..Timings::instant()
    /// };
    /// let emulator = Emulator::builder().timings(timings).manual_clock().start().await?;
    /// # use cwsandbox_control::connect::Channel;
    /// # use cwsandbox_control::v1beta2::{
    /// #     CreateManagedRunnerRequest, CreateProfileTemplateRequest, GetRunnerRequest, ProfileSpec,
    /// #     ProfileTemplate, Runner, RunnerIdentity, RunnerManagementServiceClient, RunnerProfileBinding,
    /// # };
    /// # let channel = Channel::builder(emulator.base_url()).bearer_token(emulator.admin_token()).build()?;
    /// # let client = RunnerManagementServiceClient::new(channel);
    /// # let template = ProfileTemplate {
    /// #     display_name: "agents".into(),
    /// #     spec: Some(ProfileSpec::default()),
    /// #     ..ProfileTemplate::default()
    /// # };
    /// # let request = CreateProfileTemplateRequest { profile_template: Some(template) };
    /// # let template = client.create_profile_template(request).await?;
    /// # let identity = RunnerIdentity {
    /// #     zone: "US-WEST-09B".into(),
    /// #     cluster_name: "lab-west-cks".into(),
    /// #     ..RunnerIdentity::default()
    /// # };
    /// # let binding = RunnerProfileBinding {
    /// #     profile_template_id: template.id,
    /// #     is_default: true,
    /// #     ..RunnerProfileBinding::default()
    /// # };
    /// # let runner = Runner {
    /// #     identity: Some(identity),
    /// #     profile_bindings: vec![binding],
    /// #     ..Runner::default()
    /// # };
    /// # let request = CreateManagedRunnerRequest { runner_id: "lab-west".into(), runner: Some(runner) };
    /// # client.create_managed_runner(request).await?;
    /// # let get = || client.get_runner(GetRunnerRequest { id: "lab-west".into() });
    ///
    /// assert_eq!(get().await?.install_status(), RunnerInstallStatus::Pending);
    /// emulator.advance(Duration::from_secs(1));
    /// assert_eq!(get().await?.install_status(), RunnerInstallStatus::Provisioning);
    /// emulator.advance(Duration::from_secs(2));
    /// assert_eq!(get().await?.install_status(), RunnerInstallStatus::Ready);
    /// # Ok(())
    /// # }
    /// ```
    pub fn timings(mut self, timings: Timings) -> Self {
        self.config.timings = timings;
        self
    }

    /// Freezes the clock; it moves only through [`EmulatorHandle::advance`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use cwsandbox_control::emulator::Emulator;
    ///
    /// let emulator = Emulator::builder().manual_clock().start().await?;
    /// let start = emulator.now();
    /// emulator.advance(Duration::from_secs(90));
    /// assert_eq!(emulator.now().duration_since(start)?, Duration::from_secs(90));
    /// # Ok(())
    /// # }
    /// ```
    pub fn manual_clock(mut self) -> Self {
        self.config.manual_clock = true;
        self
    }

    /// Keeps the state in `path` across restarts.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::emulator::Emulator;
    /// use cwsandbox_control::v1beta2::{
    ///     CreateProfileTemplateRequest, ListProfileTemplatesRequest, ProfileSpec, ProfileTemplate,
    /// };
    ///
    /// let directory = tempfile::tempdir()?;
    /// let path = directory.path().join("state.json");
    ///
    /// let emulator = Emulator::builder().state_path(&path).start().await?;
    /// # use cwsandbox_control::connect::Channel;
    /// # use cwsandbox_control::v1beta2::RunnerManagementServiceClient;
    /// # let channel = Channel::builder(emulator.base_url()).bearer_token(emulator.admin_token()).build()?;
    /// # let client = RunnerManagementServiceClient::new(channel);
    /// let template = ProfileTemplate {
    ///     display_name: "agents".into(),
    ///     spec: Some(ProfileSpec::default()),
    ///     ..ProfileTemplate::default()
    /// };
    /// let request = CreateProfileTemplateRequest { profile_template: Some(template) };
    /// client.create_profile_template(request).await?;
    /// emulator.shutdown().await;
    ///
    /// // A new emulator on the same file starts with the saved template.
    /// let emulator = Emulator::builder().state_path(&path).start().await?;
    /// # let channel = Channel::builder(emulator.base_url()).bearer_token(emulator.admin_token()).build()?;
    /// # let client = RunnerManagementServiceClient::new(channel);
    /// let page = client.list_profile_templates(ListProfileTemplatesRequest::default()).await?;
    /// assert_eq!(page.profile_templates[0].display_name, "agents");
    /// # Ok(())
    /// # }
    /// ```
    pub fn state_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.config.state_path = Some(path.into());
        self
    }

    /// Injects `fault` into every call of `method`, such as `GetRunner`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::{Code, RetryPolicy};
    /// use cwsandbox_control::emulator::{Emulator, Fault};
    /// use cwsandbox_control::v1beta2::ListProfileTemplatesRequest;
    ///
    /// let down = Fault { unavailable_ratio: 1.0, ..Fault::default() };
    /// let emulator = Emulator::builder().fault("ListProfileTemplates", down).start().await?;
    /// # use cwsandbox_control::connect::Channel;
    /// # use cwsandbox_control::v1beta2::RunnerManagementServiceClient;
    /// # let channel = Channel::builder(emulator.base_url())
    /// #     .bearer_token(emulator.admin_token())
    /// #     .retry_policy(RetryPolicy::none())
    /// #     .build()?;
    /// # let client = RunnerManagementServiceClient::new(channel);
    /// let status = client
    ///     .list_profile_templates(ListProfileTemplatesRequest::default())
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(status.code(), Code::Unavailable);
    /// # Ok(())
    /// # }
    /// ```
    pub fn fault(mut self, method: &str, fault: Fault) -> Self {
        self.config.faults.insert(method.to_string(), fault);
        self
    }

    /// Seeds the random choice of failing calls, for repeatable tests.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::{Channel, RetryPolicy};
    /// use cwsandbox_control::emulator::{Emulator, Fault};
    /// use cwsandbox_control::v1beta2::{ListProfileTemplatesRequest, RunnerManagementServiceClient};
    ///
    /// /// Returns which of 20 calls failed.
    /// async fn failures(seed: u64) -> Result<Vec<bool>, Box<dyn std::error::Error>> {
    ///     let flaky = Fault { unavailable_ratio: 0.5, ..Fault::default() };
    ///     let emulator = Emulator::builder()
    ///         .fault("ListProfileTemplates", flaky)
    ///         .fault_seed(seed)
    ///         .start()
    ///         .await?;
    ///     let channel = Channel::builder(emulator.base_url())
    ///         .bearer_token(emulator.admin_token())
    ///         .retry_policy(RetryPolicy::none())
    ///         .build()?;
    ///     let client = RunnerManagementServiceClient::new(channel);
    ///     let mut failed = Vec::new();
    ///     for _ in 0..20 {
    ///         let request = ListProfileTemplatesRequest::default();
    ///         failed.push(client.list_profile_templates(request).await.is_err());
    ///     }
    ///     Ok(failed)
    /// }
    ///
    /// assert_eq!(failures(7).await?, failures(7).await?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn fault_seed(mut self, seed: u64) -> Self {
        self.config.fault_seed = Some(seed);
        self
    }

    /// Sets the maximum request body size in bytes.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::Code;
    /// use cwsandbox_control::emulator::Emulator;
    /// use cwsandbox_control::v1beta2::{CreateProfileTemplateRequest, ProfileSpec, ProfileTemplate};
    ///
    /// let emulator = Emulator::builder().max_body_bytes(16).start().await?;
    /// # use cwsandbox_control::connect::Channel;
    /// # use cwsandbox_control::v1beta2::RunnerManagementServiceClient;
    /// # let channel = Channel::builder(emulator.base_url()).bearer_token(emulator.admin_token()).build()?;
    /// # let client = RunnerManagementServiceClient::new(channel);
    /// let template = ProfileTemplate {
    ///     display_name: "agents".into(),
    ///     spec: Some(ProfileSpec::default()),
    ///     ..ProfileTemplate::default()
    /// };
    /// let request = CreateProfileTemplateRequest { profile_template: Some(template) };
    /// let status = client.create_profile_template(request).await.unwrap_err();
    /// assert_eq!(status.code(), Code::ResourceExhausted);
    /// # Ok(())
    /// # }
    /// ```
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.config.max_body_bytes = limit;
        self
    }

    /// Builds the request handler without a socket, for in-process calls and fuzzing.
    ///
    /// # Errors
    ///
    /// Returns an error when the configuration is invalid or the state file or
    /// its journal cannot be read or written.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use bytes::Bytes;
    /// use cwsandbox_control::emulator::{Emulator, PeerInfo};
    ///
    /// let service = Emulator::builder().build_service()?;
    /// let request = http::Request::get("/v1beta2/sandbox/profile-templates")
    ///     .header("authorization", "Bearer admin-token")
    ///     .body(Bytes::new())?;
    /// let response = service.handle(request, PeerInfo::default()).await;
    /// assert_eq!(response.status(), http::StatusCode::OK);
    /// assert_eq!(response.body().as_ref(), b"{}");
    /// # Ok(())
    /// # }
    /// ```
    pub fn build_service(self) -> io::Result<EmulatorService> {
        EmulatorService::new(self.config)
    }

    /// Binds the listen address and starts serving.
    ///
    /// # Errors
    ///
    /// Returns an error when the configuration is invalid, the state file or
    /// its journal cannot be read or written, or the address cannot be bound.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::emulator::{Emulator, Fault};
    ///
    /// let error = Emulator::builder()
    ///     .fault("NoSuchMethod", Fault::default())
    ///     .start()
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    /// assert!(error.to_string().contains("NoSuchMethod"), "{error}");
    /// # Ok(())
    /// # }
    /// ```
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
            // The token itself stays out of logs, which are often collected
            // and kept. `cwsctl emulator serve` prints it once on stdout.
            tracing::info!(
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
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use cwsandbox_control::emulator::{Emulator, Timings};
/// use cwsandbox_control::v1beta2::{ReleaseChannel, RunnerConnectionStatus, RunnerInstallStatus};
///
/// let emulator = Emulator::builder().timings(Timings::instant()).manual_clock().start().await?;
/// # use cwsandbox_control::connect::Channel;
/// # use cwsandbox_control::v1beta2::{
/// #     CreateManagedRunnerRequest, CreateProfileTemplateRequest, GetRunnerRequest, ProfileSpec,
/// #     ProfileTemplate, Runner, RunnerIdentity, RunnerManagementServiceClient, RunnerProfileBinding,
/// # };
/// # let channel = Channel::builder(emulator.base_url()).bearer_token(emulator.admin_token()).build()?;
/// # let client = RunnerManagementServiceClient::new(channel);
/// # let template = ProfileTemplate {
/// #     display_name: "agents".into(),
/// #     spec: Some(ProfileSpec::default()),
/// #     ..ProfileTemplate::default()
/// # };
/// # let request = CreateProfileTemplateRequest { profile_template: Some(template) };
/// # let template = client.create_profile_template(request).await?;
/// # let identity = RunnerIdentity {
/// #     zone: "US-WEST-09B".into(),
/// #     cluster_name: "lab-west-cks".into(),
/// #     ..RunnerIdentity::default()
/// # };
/// # let binding = RunnerProfileBinding {
/// #     profile_template_id: template.id,
/// #     is_default: true,
/// #     ..RunnerProfileBinding::default()
/// # };
/// # let runner = Runner {
/// #     identity: Some(identity),
/// #     profile_bindings: vec![binding],
/// #     ..Runner::default()
/// # };
/// # let request = CreateManagedRunnerRequest { runner_id: "lab-west".into(), runner: Some(runner) };
/// # client.create_managed_runner(request).await?;
/// # let get = || client.get_runner(GetRunnerRequest { id: "lab-west".into() });
/// emulator.advance(Duration::from_secs(1));
/// let runner = get().await?;
/// assert_eq!(runner.install_status(), RunnerInstallStatus::Ready);
/// assert_eq!(runner.connection_status(), RunnerConnectionStatus::Connected);
/// assert!(!runner.update_available);
///
/// emulator.publish_version(ReleaseChannel::Stable)?;
/// assert!(get().await?.update_available);
///
/// emulator.stop_heartbeats("lab-west")?;
/// emulator.advance(Duration::from_secs(1));
/// assert_eq!(get().await?.connection_status(), RunnerConnectionStatus::Disconnected);
///
/// emulator.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct EmulatorHandle {
    service: EmulatorService,
    addr: SocketAddr,
    server: Option<ServerTask>,
}

impl EmulatorHandle {
    /// Returns the address the emulator listens on.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::emulator::Emulator;
    ///
    /// let emulator = Emulator::start().await?;
    /// let stream = tokio::net::TcpStream::connect(emulator.addr()).await?;
    /// assert_eq!(stream.peer_addr()?, emulator.addr());
    /// # Ok(())
    /// # }
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Returns `http://<addr>`, the base of both the REST paths and the Connect procedures.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::Channel;
    /// use cwsandbox_control::emulator::Emulator;
    /// use cwsandbox_control::v1beta2::{ListProfileTemplatesRequest, RunnerManagementServiceClient};
    ///
    /// let emulator = Emulator::start().await?;
    /// assert!(emulator.base_url().starts_with("http://127.0.0.1:"));
    /// let channel = Channel::builder(emulator.base_url()).bearer_token(emulator.admin_token()).build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    /// client.list_profile_templates(ListProfileTemplatesRequest::default()).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Returns the first admin token of the configuration, or `""` when there is none.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::emulator::{Emulator, EmulatorConfig};
    ///
    /// let emulator = Emulator::start().await?;
    /// assert_eq!(emulator.admin_token(), "admin-token");
    ///
    /// let config = EmulatorConfig { tokens: Vec::new(), ..EmulatorConfig::default() };
    /// let locked = Emulator::builder().config(config).start().await?;
    /// assert_eq!(locked.admin_token(), "");
    /// # Ok(())
    /// # }
    /// ```
    pub fn admin_token(&self) -> &str {
        self.first_token(Role::Admin)
    }

    /// Returns the first user token of the configuration, or `""` when there is none.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::{Channel, Code};
    /// use cwsandbox_control::emulator::Emulator;
    /// use cwsandbox_control::v1beta2::{DeleteProfileTemplateRequest, RunnerManagementServiceClient};
    ///
    /// let emulator = Emulator::start().await?;
    /// let channel = Channel::builder(emulator.base_url()).bearer_token(emulator.user_token()).build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    /// let request = DeleteProfileTemplateRequest { id: "tpl-1".into() };
    /// let status = client.delete_profile_template(request).await.unwrap_err();
    /// assert_eq!(status.code(), Code::PermissionDenied);
    /// # Ok(())
    /// # }
    /// ```
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
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::emulator::Emulator;
    ///
    /// let emulator = Emulator::start().await?;
    /// assert_eq!(emulator.config().release_versions.stable, "1.4.0");
    /// # Ok(())
    /// # }
    /// ```
    pub fn config(&self) -> &EmulatorConfig {
        self.service.config()
    }

    /// Returns the request handler, for calls that bypass the socket.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use bytes::Bytes;
    /// use cwsandbox_control::emulator::{Emulator, PeerInfo};
    ///
    /// let emulator = Emulator::start().await?;
    /// let request = http::Request::get("/v1beta2/sandbox/managed-runners/lab-west")
    ///     .header("authorization", "Bearer admin-token")
    ///     .body(Bytes::new())?;
    /// let response = emulator.service().handle(request, PeerInfo::default()).await;
    /// assert_eq!(response.status(), http::StatusCode::NOT_FOUND);
    /// assert_eq!(emulator.request_count("GetRunner"), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn service(&self) -> &EmulatorService {
        &self.service
    }

    /// Returns the emulator's current time.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::{Duration, SystemTime};
    /// use cwsandbox_control::emulator::Emulator;
    ///
    /// let emulator = Emulator::start().await?;
    /// emulator.advance(Duration::from_secs(3600));
    /// assert!(emulator.now() > SystemTime::now() + Duration::from_secs(3000));
    /// # Ok(())
    /// # }
    /// ```
    pub fn now(&self) -> SystemTime {
        self.service.clock().now()
    }

    /// Moves the emulator's clock forward. With the system clock this adds
    /// to an offset, so it works in both clock modes.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use cwsandbox_control::emulator::{Emulator, Timings};
    /// use cwsandbox_control::v1beta2::RunnerInstallStatus;
    ///
    /// let timings = Timings { pending: Duration::from_secs(30), ..Timings::instant() };
    /// let emulator = Emulator::builder().timings(timings).manual_clock().start().await?;
    /// # use cwsandbox_control::connect::Channel;
    /// # use cwsandbox_control::v1beta2::{
    /// #     CreateManagedRunnerRequest, CreateProfileTemplateRequest, GetRunnerRequest, ProfileSpec,
    /// #     ProfileTemplate, Runner, RunnerIdentity, RunnerManagementServiceClient, RunnerProfileBinding,
    /// # };
    /// # let channel = Channel::builder(emulator.base_url()).bearer_token(emulator.admin_token()).build()?;
    /// # let client = RunnerManagementServiceClient::new(channel);
    /// # let template = ProfileTemplate {
    /// #     display_name: "agents".into(),
    /// #     spec: Some(ProfileSpec::default()),
    /// #     ..ProfileTemplate::default()
    /// # };
    /// # let request = CreateProfileTemplateRequest { profile_template: Some(template) };
    /// # let template = client.create_profile_template(request).await?;
    /// # let identity = RunnerIdentity {
    /// #     zone: "US-WEST-09B".into(),
    /// #     cluster_name: "lab-west-cks".into(),
    /// #     ..RunnerIdentity::default()
    /// # };
    /// # let binding = RunnerProfileBinding {
    /// #     profile_template_id: template.id,
    /// #     is_default: true,
    /// #     ..RunnerProfileBinding::default()
    /// # };
    /// # let runner = Runner {
    /// #     identity: Some(identity),
    /// #     profile_bindings: vec![binding],
    /// #     ..Runner::default()
    /// # };
    /// # let request = CreateManagedRunnerRequest { runner_id: "lab-west".into(), runner: Some(runner) };
    /// # client.create_managed_runner(request).await?;
    /// # let get = || client.get_runner(GetRunnerRequest { id: "lab-west".into() });
    /// assert_eq!(get().await?.install_status(), RunnerInstallStatus::Pending);
    /// emulator.advance(Duration::from_secs(30));
    /// assert_eq!(get().await?.install_status(), RunnerInstallStatus::Ready);
    /// # Ok(())
    /// # }
    /// ```
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
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use cwsandbox_control::emulator::{Emulator, Timings};
    /// use cwsandbox_control::v1beta2::ReleaseChannel;
    ///
    /// let emulator = Emulator::builder().timings(Timings::instant()).manual_clock().start().await?;
    /// # use cwsandbox_control::connect::Channel;
    /// # use cwsandbox_control::v1beta2::{
    /// #     CreateManagedRunnerRequest, CreateProfileTemplateRequest, GetRunnerRequest, ProfileSpec,
    /// #     ProfileTemplate, Runner, RunnerIdentity, RunnerManagementServiceClient, RunnerProfileBinding,
    /// # };
    /// # let channel = Channel::builder(emulator.base_url()).bearer_token(emulator.admin_token()).build()?;
    /// # let client = RunnerManagementServiceClient::new(channel);
    /// # let template = ProfileTemplate {
    /// #     display_name: "agents".into(),
    /// #     spec: Some(ProfileSpec::default()),
    /// #     ..ProfileTemplate::default()
    /// # };
    /// # let request = CreateProfileTemplateRequest { profile_template: Some(template) };
    /// # let template = client.create_profile_template(request).await?;
    /// # let identity = RunnerIdentity {
    /// #     zone: "US-WEST-09B".into(),
    /// #     cluster_name: "lab-west-cks".into(),
    /// #     ..RunnerIdentity::default()
    /// # };
    /// # let binding = RunnerProfileBinding {
    /// #     profile_template_id: template.id,
    /// #     is_default: true,
    /// #     ..RunnerProfileBinding::default()
    /// # };
    /// # let runner = Runner {
    /// #     identity: Some(identity),
    /// #     profile_bindings: vec![binding],
    /// #     ..Runner::default()
    /// # };
    /// # let request = CreateManagedRunnerRequest { runner_id: "lab-west".into(), runner: Some(runner) };
    /// # client.create_managed_runner(request).await?;
    /// # let get = || client.get_runner(GetRunnerRequest { id: "lab-west".into() });
    /// emulator.advance(Duration::from_secs(1));
    /// assert!(!get().await?.update_available);
    ///
    /// // The runner follows the stable channel, whose version starts at 1.4.0.
    /// assert_eq!(emulator.publish_version(ReleaseChannel::Stable)?, "1.4.1");
    /// assert!(get().await?.update_available);
    /// # Ok(())
    /// # }
    /// ```
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
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::emulator::{Emulator, Timings};
    /// use cwsandbox_control::v1beta2::{RunnerInstallErrorReason, RunnerInstallStatus};
    ///
    /// let emulator = Emulator::builder().timings(Timings::instant()).manual_clock().start().await?;
    /// # use cwsandbox_control::connect::Channel;
    /// # use cwsandbox_control::v1beta2::{
    /// #     CreateManagedRunnerRequest, CreateProfileTemplateRequest, GetRunnerRequest, ProfileSpec,
    /// #     ProfileTemplate, Runner, RunnerIdentity, RunnerManagementServiceClient, RunnerProfileBinding,
    /// # };
    /// # let channel = Channel::builder(emulator.base_url()).bearer_token(emulator.admin_token()).build()?;
    /// # let client = RunnerManagementServiceClient::new(channel);
    /// # let template = ProfileTemplate {
    /// #     display_name: "agents".into(),
    /// #     spec: Some(ProfileSpec::default()),
    /// #     ..ProfileTemplate::default()
    /// # };
    /// # let request = CreateProfileTemplateRequest { profile_template: Some(template) };
    /// # let template = client.create_profile_template(request).await?;
    /// # let identity = RunnerIdentity {
    /// #     zone: "US-WEST-09B".into(),
    /// #     cluster_name: "lab-west-cks".into(),
    /// #     ..RunnerIdentity::default()
    /// # };
    /// # let binding = RunnerProfileBinding {
    /// #     profile_template_id: template.id,
    /// #     is_default: true,
    /// #     ..RunnerProfileBinding::default()
    /// # };
    /// # let runner = Runner {
    /// #     identity: Some(identity),
    /// #     profile_bindings: vec![binding],
    /// #     ..Runner::default()
    /// # };
    /// # let request = CreateManagedRunnerRequest { runner_id: "lab-west".into(), runner: Some(runner) };
    /// # client.create_managed_runner(request).await?;
    /// # let get = || client.get_runner(GetRunnerRequest { id: "lab-west".into() });
    /// emulator.fail_install("lab-west", RunnerInstallErrorReason::ImagePullFailed)?;
    /// let runner = get().await?;
    /// assert_eq!(runner.install_status(), RunnerInstallStatus::Failed);
    /// let error = runner.install_error.unwrap();
    /// assert_eq!(error.reason(), RunnerInstallErrorReason::ImagePullFailed);
    ///
    /// let missing = emulator.fail_install("no-such-runner", RunnerInstallErrorReason::ImagePullFailed);
    /// assert_eq!(missing.unwrap_err().kind(), std::io::ErrorKind::NotFound);
    /// # Ok(())
    /// # }
    /// ```
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
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use cwsandbox_control::emulator::{Emulator, Timings};
    /// use cwsandbox_control::v1beta2::RunnerConnectionStatus;
    ///
    /// let timings = Timings { liveness_window: Duration::from_secs(10), ..Timings::instant() };
    /// let emulator = Emulator::builder().timings(timings).manual_clock().start().await?;
    /// # use cwsandbox_control::connect::Channel;
    /// # use cwsandbox_control::v1beta2::{
    /// #     CreateManagedRunnerRequest, CreateProfileTemplateRequest, GetRunnerRequest, ProfileSpec,
    /// #     ProfileTemplate, Runner, RunnerIdentity, RunnerManagementServiceClient, RunnerProfileBinding,
    /// # };
    /// # let channel = Channel::builder(emulator.base_url()).bearer_token(emulator.admin_token()).build()?;
    /// # let client = RunnerManagementServiceClient::new(channel);
    /// # let template = ProfileTemplate {
    /// #     display_name: "agents".into(),
    /// #     spec: Some(ProfileSpec::default()),
    /// #     ..ProfileTemplate::default()
    /// # };
    /// # let request = CreateProfileTemplateRequest { profile_template: Some(template) };
    /// # let template = client.create_profile_template(request).await?;
    /// # let identity = RunnerIdentity {
    /// #     zone: "US-WEST-09B".into(),
    /// #     cluster_name: "lab-west-cks".into(),
    /// #     ..RunnerIdentity::default()
    /// # };
    /// # let binding = RunnerProfileBinding {
    /// #     profile_template_id: template.id,
    /// #     is_default: true,
    /// #     ..RunnerProfileBinding::default()
    /// # };
    /// # let runner = Runner {
    /// #     identity: Some(identity),
    /// #     profile_bindings: vec![binding],
    /// #     ..Runner::default()
    /// # };
    /// # let request = CreateManagedRunnerRequest { runner_id: "lab-west".into(), runner: Some(runner) };
    /// # client.create_managed_runner(request).await?;
    /// # let get = || client.get_runner(GetRunnerRequest { id: "lab-west".into() });
    /// emulator.advance(Duration::from_secs(1));
    /// emulator.stop_heartbeats("lab-west")?;
    /// emulator.advance(Duration::from_secs(5));
    /// assert_eq!(get().await?.connection_status(), RunnerConnectionStatus::Connected);
    /// emulator.advance(Duration::from_secs(10));
    /// assert_eq!(get().await?.connection_status(), RunnerConnectionStatus::Disconnected);
    /// # Ok(())
    /// # }
    /// ```
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
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use cwsandbox_control::emulator::{Emulator, Timings};
    /// use cwsandbox_control::v1beta2::RunnerConnectionStatus;
    ///
    /// let emulator = Emulator::builder().timings(Timings::instant()).manual_clock().start().await?;
    /// # use cwsandbox_control::connect::Channel;
    /// # use cwsandbox_control::v1beta2::{
    /// #     CreateManagedRunnerRequest, CreateProfileTemplateRequest, GetRunnerRequest, ProfileSpec,
    /// #     ProfileTemplate, Runner, RunnerIdentity, RunnerManagementServiceClient, RunnerProfileBinding,
    /// # };
    /// # let channel = Channel::builder(emulator.base_url()).bearer_token(emulator.admin_token()).build()?;
    /// # let client = RunnerManagementServiceClient::new(channel);
    /// # let template = ProfileTemplate {
    /// #     display_name: "agents".into(),
    /// #     spec: Some(ProfileSpec::default()),
    /// #     ..ProfileTemplate::default()
    /// # };
    /// # let request = CreateProfileTemplateRequest { profile_template: Some(template) };
    /// # let template = client.create_profile_template(request).await?;
    /// # let identity = RunnerIdentity {
    /// #     zone: "US-WEST-09B".into(),
    /// #     cluster_name: "lab-west-cks".into(),
    /// #     ..RunnerIdentity::default()
    /// # };
    /// # let binding = RunnerProfileBinding {
    /// #     profile_template_id: template.id,
    /// #     is_default: true,
    /// #     ..RunnerProfileBinding::default()
    /// # };
    /// # let runner = Runner {
    /// #     identity: Some(identity),
    /// #     profile_bindings: vec![binding],
    /// #     ..Runner::default()
    /// # };
    /// # let request = CreateManagedRunnerRequest { runner_id: "lab-west".into(), runner: Some(runner) };
    /// # client.create_managed_runner(request).await?;
    /// # let get = || client.get_runner(GetRunnerRequest { id: "lab-west".into() });
    /// emulator.stop_heartbeats("lab-west")?;
    /// emulator.advance(Duration::from_secs(1));
    /// assert_eq!(get().await?.connection_status(), RunnerConnectionStatus::Disconnected);
    ///
    /// emulator.resume_heartbeats("lab-west")?;
    /// assert_eq!(get().await?.connection_status(), RunnerConnectionStatus::Connected);
    /// # Ok(())
    /// # }
    /// ```
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
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::{Code, RetryPolicy};
    /// use cwsandbox_control::emulator::{Emulator, Fault};
    /// use cwsandbox_control::v1beta2::ListProfileTemplatesRequest;
    ///
    /// let emulator = Emulator::start().await?;
    /// # use cwsandbox_control::connect::Channel;
    /// # use cwsandbox_control::v1beta2::RunnerManagementServiceClient;
    /// # let channel = Channel::builder(emulator.base_url())
    /// #     .bearer_token(emulator.admin_token())
    /// #     .retry_policy(RetryPolicy::none())
    /// #     .build()?;
    /// # let client = RunnerManagementServiceClient::new(channel);
    /// emulator.set_fault("ListProfileTemplates", Fault { unavailable_ratio: 1.0, ..Fault::default() })?;
    /// let status = client
    ///     .list_profile_templates(ListProfileTemplatesRequest::default())
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(status.code(), Code::Unavailable);
    ///
    /// let unknown = emulator.set_fault("ListThings", Fault::default()).unwrap_err();
    /// assert_eq!(unknown.kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_fault(&self, method: &str, fault: Fault) -> io::Result<()> {
        self.service.set_fault(method, Some(fault))
    }

    /// Removes the fault of `method`.
    ///
    /// # Errors
    ///
    /// Returns `InvalidInput` for an unknown method name.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::RetryPolicy;
    /// use cwsandbox_control::emulator::{Emulator, Fault};
    /// use cwsandbox_control::v1beta2::ListProfileTemplatesRequest;
    ///
    /// let down = Fault { unavailable_ratio: 1.0, ..Fault::default() };
    /// let emulator = Emulator::builder().fault("ListProfileTemplates", down).start().await?;
    /// # use cwsandbox_control::connect::Channel;
    /// # use cwsandbox_control::v1beta2::RunnerManagementServiceClient;
    /// # let channel = Channel::builder(emulator.base_url())
    /// #     .bearer_token(emulator.admin_token())
    /// #     .retry_policy(RetryPolicy::none())
    /// #     .build()?;
    /// # let client = RunnerManagementServiceClient::new(channel);
    /// assert!(client.list_profile_templates(ListProfileTemplatesRequest::default()).await.is_err());
    /// emulator.clear_fault("ListProfileTemplates")?;
    /// assert!(client.list_profile_templates(ListProfileTemplatesRequest::default()).await.is_ok());
    /// # Ok(())
    /// # }
    /// ```
    pub fn clear_fault(&self, method: &str) -> io::Result<()> {
        self.service.set_fault(method, None)
    }

    /// Number of requests routed to `method` (such as `GetRunner`) so far,
    /// rejected ones included; 0 for an unknown name.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::emulator::Emulator;
    /// use cwsandbox_control::v1beta2::{GetRunnerRequest, ListProfileTemplatesRequest};
    ///
    /// let emulator = Emulator::start().await?;
    /// # use cwsandbox_control::connect::Channel;
    /// # use cwsandbox_control::v1beta2::RunnerManagementServiceClient;
    /// # let channel = Channel::builder(emulator.base_url()).bearer_token(emulator.admin_token()).build()?;
    /// # let client = RunnerManagementServiceClient::new(channel);
    /// client.list_profile_templates(ListProfileTemplatesRequest::default()).await?;
    /// let _ = client.get_runner(GetRunnerRequest { id: "no-such-runner".into() }).await;
    /// assert_eq!(emulator.request_count("ListProfileTemplates"), 1);
    /// assert_eq!(emulator.request_count("GetRunner"), 1, "rejected calls count too");
    /// assert_eq!(emulator.request_count("NoSuchMethod"), 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn request_count(&self, method: &str) -> u64 {
        self.service.request_count(method)
    }

    /// Stops accepting connections and waits up to five seconds for open
    /// requests to finish.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::emulator::Emulator;
    ///
    /// let emulator = Emulator::start().await?;
    /// let addr = emulator.addr();
    /// emulator.shutdown().await;
    /// assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    /// # Ok(())
    /// # }
    /// ```
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
