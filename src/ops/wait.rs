//! Waiting for a runner to reach a state, by polling `GetRunner`.

use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

use crate::connect::{Code, Status};
use crate::v1beta2::{
    GetRunnerRequest, Runner, RunnerConnectionStatus, RunnerInstallError, RunnerInstallErrorReason,
    RunnerInstallStatus, RunnerManagementServiceClient,
};

/// The default time between two polls. Real installs take 20 to 60 seconds,
/// and the emulator's short lifecycle takes a few seconds.
///
/// ```
/// use cwsandbox_control::ops::{POLL_INTERVAL, WaitOptions};
/// use std::time::Duration;
///
/// let options = WaitOptions::new(Duration::from_secs(60));
/// assert_eq!(options.poll_interval, POLL_INTERVAL);
/// ```
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// The default timeout of a wait: ten minutes, well above a real install.
///
/// ```
/// use cwsandbox_control::ops::{DEFAULT_WAIT_TIMEOUT, WaitOptions};
///
/// assert_eq!(WaitOptions::default().timeout, DEFAULT_WAIT_TIMEOUT);
/// assert_eq!(DEFAULT_WAIT_TIMEOUT.as_secs(), 600);
/// ```
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(600);

/// The timeout used in place of one too large to add to the current
/// instant: 30 years, which no real wait reaches.
const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);

/// How long to wait and how often to poll.
///
/// The timeout counts from the start of the wait and bounds the polls too: a
/// `GetRunner` call still running when it passes is cancelled. A zero timeout
/// ends the wait with [`WaitError::Timeout`] before the first poll returns.
///
/// ```
/// use std::time::Duration;
/// use cwsandbox_control::ops::WaitOptions;
///
/// let options = WaitOptions::new(Duration::from_secs(120))
///     .with_poll_interval(Duration::from_secs(2));
/// assert_eq!(options.timeout, Duration::from_secs(120));
/// assert_eq!(options.poll_interval, Duration::from_secs(2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WaitOptions {
    /// The maximum time the wait takes, from its start.
    pub timeout: Duration,
    /// The pause after each poll that did not end the wait; must not be zero.
    pub poll_interval: Duration,
}

impl WaitOptions {
    /// Creates options with `timeout` and the default [`POLL_INTERVAL`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use cwsandbox_control::ops::{POLL_INTERVAL, WaitOptions};
    ///
    /// let options = WaitOptions::new(Duration::from_secs(30));
    /// assert_eq!(options.timeout, Duration::from_secs(30));
    /// assert_eq!(options.poll_interval, POLL_INTERVAL);
    /// ```
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            poll_interval: POLL_INTERVAL,
        }
    }

    /// Sets the time between two polls.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cwsandbox_control::ops::WaitOptions;
    ///
    /// let options = WaitOptions::default().with_poll_interval(Duration::from_secs(5));
    /// assert_eq!(options.poll_interval, Duration::from_secs(5));
    /// ```
    #[must_use]
    pub fn with_poll_interval(mut self, poll_interval: Duration) -> Self {
        self.poll_interval = poll_interval;
        self
    }
}

impl Default for WaitOptions {
    /// Returns [`DEFAULT_WAIT_TIMEOUT`] and [`POLL_INTERVAL`].
    fn default() -> Self {
        Self::new(DEFAULT_WAIT_TIMEOUT)
    }
}

/// The state to wait for.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::WaitCondition;
///
/// assert_eq!(WaitCondition::Connected.to_string(), "connected");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaitCondition {
    /// The install status is READY.
    Ready,
    /// The install status is READY and the connection status is CONNECTED.
    Connected,
    /// `GetRunner` returns NOT_FOUND because teardown ended.
    Deleted,
}

impl fmt::Display for WaitCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ready => "ready",
            Self::Connected => "connected",
            Self::Deleted => "deleted",
        })
    }
}

/// The reason a wait ended before the runner reached the state.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "emulator")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use cwsandbox_control::connect::Channel;
/// # use cwsandbox_control::emulator::Emulator;
/// # let emulator = Emulator::builder().manual_clock().start().await?;
/// # let channel = Channel::builder(emulator.base_url())
/// #     .bearer_token(emulator.admin_token().to_string())
/// #     .build()?;
/// use std::time::Duration;
/// use cwsandbox_control::ops::{WaitError, WaitOptions};
///
/// # let client = cwsandbox_control::Client::new(channel);
/// # use cwsandbox_control::v1beta2 as api;
/// # let spec = Some(api::ProfileSpec::default());
/// # let template = api::ProfileTemplate { display_name: "agents".into(), spec, ..Default::default() };
/// # let request = api::CreateProfileTemplateRequest { profile_template: Some(template) };
/// # let template = client.create_profile_template(request).await?;
/// # let binding = api::RunnerProfileBinding { profile_template_id: template.id.clone(), is_default: true, ..Default::default() };
/// # let identity = api::RunnerIdentity { zone: "US-WEST-09B".into(), cluster_name: "lab-west-cks".into(), ..Default::default() };
/// # let runner = api::Runner { identity: Some(identity), profile_bindings: vec![binding], ..Default::default() };
/// # let request = api::CreateManagedRunnerRequest { runner_id: "lab-west".into(), runner: Some(runner) };
/// # client.create_managed_runner(request).await?;
/// // The emulator's clock is frozen, so the new runner stays PENDING.
/// let options = WaitOptions::new(Duration::from_millis(50));
/// let error = client.wait_until_ready("lab-west", options, |_| {}).await.unwrap_err();
/// assert!(matches!(error, WaitError::Timeout { .. }));
/// assert_eq!(
///     error.to_string(),
///     "timed out waiting for the runner to be ready (last seen: install PENDING, connection UNSPECIFIED)"
/// );
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "emulator"))]
/// # fn main() {}
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum WaitError {
    /// The install failed: the status is FAILED.
    InstallFailed {
        /// The runner as the last poll returned it, with the reason in `install_error`.
        runner: Box<Runner>,
    },
    /// The runner is being deleted, so it will never become ready.
    Deleting {
        /// The runner as the last poll returned it.
        runner: Box<Runner>,
    },
    /// The deadline passed.
    #[non_exhaustive]
    Timeout {
        /// The state waited for.
        condition: WaitCondition,
        /// The runner as the last successful poll returned it.
        last: Option<Box<Runner>>,
        /// The status of the last poll when it failed with UNAVAILABLE or
        /// DEADLINE_EXCEEDED, as when the server stopped responding.
        last_error: Option<Box<Status>>,
    },
    /// A poll failed with a status other than a transient one.
    Status(Status),
    /// The poll interval is zero, which would send `GetRunner` calls back to back.
    InvalidPollInterval,
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InstallFailed { runner } => {
                write!(f, "runner {} failed to install", runner_name(runner))?;
                if let Some(error) = &runner.install_error {
                    write!(f, ": {}", describe_install_error(error))?;
                }
                Ok(())
            }
            Self::Deleting { runner } => write!(
                f,
                "runner {} is being deleted and will not become ready",
                runner_name(runner)
            ),
            Self::Timeout {
                condition,
                last,
                last_error,
            } => {
                write!(f, "timed out waiting for the runner to be {condition}")?;
                if let Some(runner) = last {
                    write!(f, " (last seen: {})", describe_status(runner))?;
                }
                if let Some(status) = last_error {
                    write!(f, "; the last poll failed: {status}")?;
                }
                Ok(())
            }
            Self::Status(status) => write!(f, "polling the runner failed: {status}"),
            Self::InvalidPollInterval => f.write_str(
                "invalid wait options: the poll interval is 0; set one of at least 1 ms",
            ),
        }
    }
}

impl std::error::Error for WaitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Status(status) => Some(status),
            _ => None,
        }
    }
}

/// Polls `GetRunner` for `id` (UUID or runner id) every
/// `options.poll_interval` until the runner meets `condition` or
/// `options.timeout` passes, calling `on_progress` with every runner a poll
/// returns.
///
/// Returns the runner that met the condition, or `None` for
/// [`WaitCondition::Deleted`]. UNAVAILABLE and DEADLINE_EXCEEDED results of a
/// single poll are transient: the next poll follows. The timeout runs on
/// Tokio's clock, so a test that pauses Tokio's time controls it.
/// [`Client::wait_until_ready`](crate::Client::wait_until_ready) and
/// [`Client::wait_until_deleted`](crate::Client::wait_until_deleted) wrap the
/// two common conditions.
///
/// # Errors
///
/// [`WaitError::InstallFailed`] when the install status becomes FAILED while
/// waiting for READY or CONNECTED, [`WaitError::Deleting`] when the runner
/// starts its teardown then, [`WaitError::Timeout`] when the timeout passes,
/// [`WaitError::InvalidPollInterval`] for a zero poll interval, and
/// [`WaitError::Status`] for any other failed poll, NOT_FOUND included
/// unless the condition is [`WaitCondition::Deleted`].
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "emulator")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use cwsandbox_control::Client;
/// # use cwsandbox_control::connect::Channel;
/// # use cwsandbox_control::emulator::{Emulator, Timings};
/// # use cwsandbox_control::v1beta2::{
/// #     CreateProfileTemplateRequest, ProfileSpec, ProfileTemplate, RunnerIdentity,
/// #     RunnerProfileBinding,
/// # };
/// use std::time::Duration;
/// use cwsandbox_control::ops::{WaitCondition, WaitOptions, describe_status, wait_for_runner};
/// use cwsandbox_control::v1beta2::{CreateManagedRunnerRequest, Runner, RunnerConnectionStatus};
///
/// # let emulator = Emulator::builder().timings(Timings::instant()).start().await?;
/// # let channel = Channel::builder(emulator.base_url())
/// #     .bearer_token(emulator.admin_token().to_string())
/// #     .build()?;
/// # let client = Client::new(channel);
/// # let template = ProfileTemplate {
/// #     display_name: "agents".into(),
/// #     spec: Some(ProfileSpec::default()),
/// #     ..Default::default()
/// # };
/// # let template = client
/// #     .create_profile_template(CreateProfileTemplateRequest { profile_template: Some(template) })
/// #     .await?;
/// # let runner = Runner {
/// #     identity: Some(RunnerIdentity {
/// #         zone: "US-WEST-09B".into(),
/// #         cluster_name: "lab-west-cks".into(),
/// #         ..Default::default()
/// #     }),
/// #     profile_bindings: vec![RunnerProfileBinding {
/// #         profile_template_id: template.id,
/// #         is_default: true,
/// #         ..Default::default()
/// #     }],
/// #     ..Default::default()
/// # };
/// # client
/// #     .create_managed_runner(CreateManagedRunnerRequest {
/// #         runner_id: "lab-west".into(),
/// #         runner: Some(runner),
/// #     })
/// #     .await?;
/// let mut seen = Vec::new();
/// let runner = wait_for_runner(
///     client.generated(),
///     "lab-west",
///     WaitCondition::Connected,
///     WaitOptions::new(Duration::from_secs(300)),
///     |runner| seen.push(describe_status(runner)),
/// )
/// .await?
/// .expect("a runner for every condition but Deleted");
/// assert_eq!(runner.connection_status, RunnerConnectionStatus::Connected as i32);
/// assert_eq!(seen.last().map(String::as_str), Some("install READY, connection CONNECTED"));
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "emulator"))]
/// # fn main() {}
/// ```
pub async fn wait_for_runner(
    client: &RunnerManagementServiceClient,
    id: &str,
    condition: WaitCondition,
    options: WaitOptions,
    mut on_progress: impl FnMut(&Runner),
) -> Result<Option<Runner>, WaitError> {
    if options.poll_interval.is_zero() {
        return Err(WaitError::InvalidPollInterval);
    }
    let deadline = after(Instant::now(), options.timeout);
    let mut last: Option<Box<Runner>> = None;
    let mut last_error: Option<Box<Status>> = None;
    loop {
        let request = GetRunnerRequest { id: id.to_string() };
        let poll = tokio::time::timeout_at(deadline, client.get_runner(request)).await;
        let Ok(result) = poll else {
            return Err(WaitError::Timeout {
                condition,
                last,
                last_error,
            });
        };

        match result {
            Ok(runner) => {
                on_progress(&runner);
                if let Some(outcome) = check(&runner, condition) {
                    return outcome.map(|()| Some(runner));
                }
                last = Some(Box::new(runner));
                last_error = None;
            }
            Err(status) if status.code() == Code::NotFound => {
                if condition == WaitCondition::Deleted {
                    return Ok(None);
                }
                return Err(WaitError::Status(status));
            }
            Err(status) if is_transient(&status) => {
                tracing::debug!(%status, id, "runner poll failed; polling again");
                last_error = Some(Box::new(status));
            }
            Err(status) => return Err(WaitError::Status(status)),
        }

        let now = Instant::now();
        if now >= deadline {
            return Err(WaitError::Timeout {
                condition,
                last,
                last_error,
            });
        }
        tokio::time::sleep_until(after(now, options.poll_interval).min(deadline)).await;
    }
}

/// Returns `start + duration`, or [`FAR_FUTURE`] after `start` when the sum
/// does not fit in an `Instant`.
fn after(start: Instant, duration: Duration) -> Instant {
    start
        .checked_add(duration)
        .unwrap_or_else(|| start + FAR_FUTURE)
}

/// Returns `Some` when the poll ends the wait: `Ok` for success, `Err` for a
/// state the runner cannot leave towards the condition.
fn check(runner: &Runner, condition: WaitCondition) -> Option<Result<(), WaitError>> {
    let install = runner.install_status;
    let ready = install == RunnerInstallStatus::Ready as i32;
    let connected = runner.connection_status == RunnerConnectionStatus::Connected as i32;
    match condition {
        WaitCondition::Deleted => None,
        _ if install == RunnerInstallStatus::Failed as i32 => Some(Err(WaitError::InstallFailed {
            runner: Box::new(runner.clone()),
        })),
        _ if install == RunnerInstallStatus::Deleting as i32 => Some(Err(WaitError::Deleting {
            runner: Box::new(runner.clone()),
        })),
        WaitCondition::Ready if ready => Some(Ok(())),
        WaitCondition::Connected if ready && connected => Some(Ok(())),
        _ => None,
    }
}

fn is_transient(status: &Status) -> bool {
    matches!(status.code(), Code::Unavailable | Code::DeadlineExceeded)
}

fn runner_name(runner: &Runner) -> &str {
    match &runner.identity {
        Some(identity) if !identity.runner_id.is_empty() => &identity.runner_id,
        _ => &runner.id,
    }
}

/// Describes the install and connection status in the enum names' short form:
/// `install PROVISIONING, connection DISCONNECTED`.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::describe_status;
/// use cwsandbox_control::v1beta2::{Runner, RunnerConnectionStatus, RunnerInstallStatus};
///
/// let runner = Runner {
///     install_status: RunnerInstallStatus::Provisioning as i32,
///     connection_status: RunnerConnectionStatus::Disconnected as i32,
///     ..Default::default()
/// };
/// assert_eq!(describe_status(&runner), "install PROVISIONING, connection DISCONNECTED");
/// ```
pub fn describe_status(runner: &Runner) -> String {
    let install = RunnerInstallStatus::try_from(runner.install_status)
        .map(|status| status.as_str_name())
        .unwrap_or("UNKNOWN");
    let connection = RunnerConnectionStatus::try_from(runner.connection_status)
        .map(|status| status.as_str_name())
        .unwrap_or("UNKNOWN");
    format!(
        "install {}, connection {}",
        install.trim_start_matches("RUNNER_INSTALL_STATUS_"),
        connection.trim_start_matches("RUNNER_CONNECTION_STATUS_")
    )
}

/// Describes an install error: its reason, message and remediation hints.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::ops::describe_install_error;
/// use cwsandbox_control::v1beta2::{RunnerInstallError, RunnerInstallErrorReason};
///
/// let error = RunnerInstallError {
///     reason: RunnerInstallErrorReason::ImagePullFailed as i32,
///     message: "the image was not found".into(),
///     remediation_hints: vec!["check the release channel".into()],
///     ..Default::default()
/// };
/// assert_eq!(
///     describe_install_error(&error),
///     "RUNNER_INSTALL_ERROR_REASON_IMAGE_PULL_FAILED: the image was not found; \
///      hint: check the release channel"
/// );
/// ```
pub fn describe_install_error(error: &RunnerInstallError) -> String {
    let reason = RunnerInstallErrorReason::try_from(error.reason)
        .map(|reason| reason.as_str_name())
        .unwrap_or("RUNNER_INSTALL_ERROR_REASON_UNKNOWN");
    let mut text = format!("{reason}: {}", error.message);
    if !error.diagnostic_detail.is_empty() {
        text.push_str(&format!(" ({})", error.diagnostic_detail));
    }
    for hint in &error.remediation_hints {
        text.push_str(&format!("; hint: {hint}"));
    }
    text
}
