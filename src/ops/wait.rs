//! Waiting for a runner to reach a state, by polling `GetRunner`.

use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

use crate::connect::{Code, Status};
use crate::v1beta2::{
    GetRunnerRequest, Runner, RunnerConnectionStatus, RunnerInstallError, RunnerInstallErrorReason,
    RunnerInstallStatus, RunnerManagementServiceClient,
};

/// The time between two polls. Real installs take 20 to 60 seconds, and the
/// emulator's short lifecycle takes a few seconds.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// The state to wait for.
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
    Timeout {
        /// The state waited for.
        condition: WaitCondition,
        /// The runner as the last successful poll returned it.
        last: Option<Box<Runner>>,
    },
    /// A poll failed with a status other than a transient one.
    Status(Status),
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
            Self::Timeout { condition, last } => {
                write!(f, "timed out waiting for the runner to be {condition}")?;
                if let Some(runner) = last {
                    write!(f, " (last seen: {})", describe_status(runner))?;
                }
                Ok(())
            }
            Self::Status(status) => write!(f, "polling the runner failed: {status}"),
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

/// Polls `GetRunner` for `id` (UUID or runner id) every [`POLL_INTERVAL`]
/// until the runner meets `condition` or `deadline` passes, calling
/// `on_progress` with every runner a poll returns.
///
/// Returns the runner that met the condition, or `None` for
/// [`WaitCondition::Deleted`]. UNAVAILABLE and DEADLINE_EXCEEDED results of a
/// single poll are transient: the next poll follows.
///
/// # Errors
///
/// [`WaitError::InstallFailed`] when the install status becomes FAILED while
/// waiting for READY or CONNECTED, [`WaitError::Deleting`] when the runner
/// starts its teardown then, [`WaitError::Timeout`] when the deadline passes,
/// and [`WaitError::Status`] for any other failed poll, NOT_FOUND included
/// unless the condition is [`WaitCondition::Deleted`].
pub async fn wait_for_runner(
    client: &RunnerManagementServiceClient,
    id: &str,
    condition: WaitCondition,
    deadline: Instant,
    mut on_progress: impl FnMut(&Runner),
) -> Result<Option<Runner>, WaitError> {
    let mut last: Option<Box<Runner>> = None;
    loop {
        let request = GetRunnerRequest { id: id.to_string() };
        let poll = tokio::time::timeout_at(deadline, client.get_runner(request)).await;
        let Ok(result) = poll else {
            return Err(WaitError::Timeout { condition, last });
        };

        match result {
            Ok(runner) => {
                on_progress(&runner);
                if let Some(outcome) = check(&runner, condition) {
                    return outcome.map(|()| Some(runner));
                }
                last = Some(Box::new(runner));
            }
            Err(status) if status.code() == Code::NotFound => {
                if condition == WaitCondition::Deleted {
                    return Ok(None);
                }
                return Err(WaitError::Status(status));
            }
            Err(status) if is_transient(&status) => {
                tracing::debug!(%status, id, "runner poll failed; polling again");
            }
            Err(status) => return Err(WaitError::Status(status)),
        }

        let now = Instant::now();
        if now >= deadline {
            return Err(WaitError::Timeout { condition, last });
        }
        tokio::time::sleep_until((now + POLL_INTERVAL).min(deadline)).await;
    }
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
