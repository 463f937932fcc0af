//! The runner lifecycle, derived from a runner's stored events and the clock:
//! install status, install error, heartbeats, revisions and the rendered
//! deployment. Nothing runs in the background; every response recomputes these.

use std::time::{Duration, SystemTime};

use super::config::{EmulatorConfig, Timings};
use super::state::{ChannelVersions, Revision, RunnerRecord, is_newer};
use super::timefmt::{add, timestamp};
use crate::v1beta2::{
    ManagementMode, ReleaseChannel, Runner, RunnerConnectionStatus, RunnerDeploymentSpec,
    RunnerInstallError, RunnerInstallErrorReason, RunnerInstallStatus, RunnerResourceRequirements,
    RunnerScaling,
};

/// Time at which the current install reaches READY, unless it fails first.
pub(crate) fn ready_at(record: &RunnerRecord, timings: &Timings) -> SystemTime {
    add(
        add(record.install_started_at, timings.pending),
        timings.provisioning,
    )
}

/// Returns whether teardown has ended, so the runner no longer exists.
pub(crate) fn is_gone(record: &RunnerRecord, now: SystemTime, timings: &Timings) -> bool {
    record
        .deleted_at
        .is_some_and(|deleted| now >= add(deleted, timings.deleting))
}

/// Returns whether the runner is being deleted.
pub(crate) fn is_deleting(record: &RunnerRecord, now: SystemTime) -> bool {
    record.deleted_at.is_some_and(|deleted| now >= deleted)
}

/// Time of the install failure if it has happened by `now`.
fn failed_at(record: &RunnerRecord, now: SystemTime) -> Option<SystemTime> {
    record
        .failure
        .as_ref()
        .map(|failure| failure.at)
        .filter(|at| *at <= now)
}

/// Install status at `now`.
pub(crate) fn install_status(
    record: &RunnerRecord,
    now: SystemTime,
    timings: &Timings,
) -> RunnerInstallStatus {
    if is_deleting(record, now) {
        RunnerInstallStatus::Deleting
    } else if failed_at(record, now).is_some() {
        RunnerInstallStatus::Failed
    } else if now < add(record.install_started_at, timings.pending) {
        RunnerInstallStatus::Pending
    } else if now < ready_at(record, timings) {
        RunnerInstallStatus::Provisioning
    } else {
        RunnerInstallStatus::Ready
    }
}

/// Returns the end of the runner's active life: now, or the failure or delete before it.
fn end_of_activity(record: &RunnerRecord, now: SystemTime) -> SystemTime {
    let mut end = now;
    if let Some(failed) = failed_at(record, now) {
        end = end.min(failed);
    }
    if let Some(deleted) = record.deleted_at {
        end = end.min(deleted);
    }
    end
}

/// Returns the revision running at `now`, or `None` before the first install finished.
///
/// A change made while no revision ran (during the first install or a
/// retried one) is part of the install. A later change becomes active when
/// its rollout ends; until then the revision that was active at the change
/// keeps running.
pub(crate) fn active_revision<'a>(
    record: &'a RunnerRecord,
    now: SystemTime,
    timings: &Timings,
) -> Option<&'a Revision> {
    let ready = ready_at(record, timings);
    let end = end_of_activity(record, now);
    if end < ready {
        return None;
    }
    let part_of_install = record.target.started_at < ready || record.previous.is_none();
    if part_of_install || end >= add(record.target.started_at, timings.rollout) {
        Some(&record.target)
    } else {
        record.previous.as_ref()
    }
}

/// Returns the last heartbeat and the connection status at `now`.
///
/// A runner sends its first heartbeat when its install ends and one every
/// `heartbeat_interval` after, until heartbeats stop, it fails or it is deleted.
pub(crate) fn heartbeat(
    record: &RunnerRecord,
    now: SystemTime,
    timings: &Timings,
) -> (Option<SystemTime>, RunnerConnectionStatus) {
    let ready = ready_at(record, timings);
    let failed_before_ready = record
        .failure
        .as_ref()
        .is_some_and(|failure| failure.at <= ready && failure.at <= now);
    if now < ready || failed_before_ready {
        return (None, RunnerConnectionStatus::Unspecified);
    }
    let mut end = end_of_activity(record, now);
    if let Some(stopped) = record.heartbeats_stopped_at {
        end = end.min(stopped);
    }
    let end = end.max(ready);
    let elapsed = end.duration_since(ready).unwrap_or_default();
    let last = if timings.heartbeat_interval.is_zero() {
        end
    } else {
        let beats = elapsed.as_nanos() / timings.heartbeat_interval.as_nanos();
        let since_ready = timings.heartbeat_interval.as_nanos() * beats;
        add(
            ready,
            Duration::from_nanos(u64::try_from(since_ready).unwrap_or(u64::MAX)),
        )
    };
    let silence = now.duration_since(last).unwrap_or_default();
    let status = if silence <= timings.liveness_window {
        RunnerConnectionStatus::Connected
    } else {
        RunnerConnectionStatus::Disconnected
    };
    (Some(last), status)
}

/// Whether the runner's release channel has a newer version than its target.
pub(crate) fn update_available(
    record: &RunnerRecord,
    now: SystemTime,
    versions: &ChannelVersions,
) -> bool {
    if is_deleting(record, now) {
        return false;
    }
    let channel = release_channel(&record.runner);
    is_newer(versions.get(channel), &record.target.runner_version)
}

/// Returns the release channel of a runner. Unset and unknown values mean STABLE.
pub(crate) fn release_channel(runner: &Runner) -> ReleaseChannel {
    runner
        .managed_spec
        .as_ref()
        .and_then(|spec| ReleaseChannel::try_from(spec.release_channel).ok())
        .unwrap_or(ReleaseChannel::Unspecified)
}

/// Renders the runner as a response shows it at `now`: configuration plus derived status.
pub(crate) fn render(
    record: &RunnerRecord,
    now: SystemTime,
    config: &EmulatorConfig,
    versions: &ChannelVersions,
) -> Runner {
    let timings = &config.timings;
    let mut runner = record.runner.clone();
    let status = install_status(record, now, timings);
    runner.management_mode = ManagementMode::Managed as i32;
    runner.install_status = status as i32;
    runner.install_error = match (&record.failure, status) {
        (Some(failure), RunnerInstallStatus::Failed) => Some(install_error(failure)),
        _ => None,
    };

    let (last_heartbeat, connection) = heartbeat(record, now, timings);
    runner.connection_status = connection as i32;
    runner.last_heartbeat_at = last_heartbeat.map(timestamp);

    let active = active_revision(record, now, timings);
    runner.active_revision = active.map_or(0, |revision| revision.number);
    runner.active_config_version = active.map_or(String::new(), |r| r.config_version.clone());
    runner.active_profile_spec_version =
        active.map_or(String::new(), |r| r.profile_spec_version.clone());
    runner.target_revision = record.target.number;
    runner.rollout_in_progress = runner.target_revision > runner.active_revision;
    runner.update_available = update_available(record, now, versions);
    runner.deployment_spec = Some(deployment_spec(
        &record.runner,
        &record.target.runner_version,
        config,
    ));
    runner
}

fn install_error(failure: &super::state::InstallFailure) -> RunnerInstallError {
    let reason = RunnerInstallErrorReason::try_from(failure.reason)
        .unwrap_or(RunnerInstallErrorReason::Internal);
    let (detail, hints): (&str, &[&str]) = match reason {
        RunnerInstallErrorReason::ClusterNotFound => (
            "the cluster named in identity is gone",
            &["Check the cluster id and name, then create the runner again."],
        ),
        RunnerInstallErrorReason::ClusterUnreachable => (
            "the control plane cannot open a connection to the cluster API server",
            &["Check that the cluster is running and reachable, then update the runner to retry."],
        ),
        RunnerInstallErrorReason::InsufficientCapacity => (
            "no node fits the runner's resource requests",
            &[
                "Lower managedSpec.overrides.resources or add nodes, then update the runner to retry.",
            ],
        ),
        RunnerInstallErrorReason::PermissionDenied => (
            "the control plane's service account may not create the runner's resources",
            &["Grant the control plane access to the cluster, then update the runner to retry."],
        ),
        RunnerInstallErrorReason::ImagePullFailed => (
            "the runner image could not be pulled",
            &["Check the registry and the node's pull credentials."],
        ),
        RunnerInstallErrorReason::Timeout => (
            "the install did not finish in time",
            &["Update the runner to retry the install."],
        ),
        RunnerInstallErrorReason::Internal | RunnerInstallErrorReason::Unspecified => (
            "an error inside the control plane",
            &["Update the runner to retry the install."],
        ),
    };
    RunnerInstallError {
        reason: reason as i32,
        message: failure.message.clone(),
        diagnostic_detail: detail.to_string(),
        remediation_hints: hints.iter().map(|hint| (*hint).to_string()).collect(),
        occurred_at: Some(timestamp(failure.at)),
    }
}

/// Renders the deployment the control plane makes of a runner's configuration.
pub(crate) fn deployment_spec(
    runner: &Runner,
    runner_version: &str,
    config: &EmulatorConfig,
) -> RunnerDeploymentSpec {
    let overrides = runner
        .managed_spec
        .as_ref()
        .and_then(|spec| spec.overrides.clone())
        .unwrap_or_default();
    let resources = overrides
        .resources
        .clone()
        .unwrap_or(RunnerResourceRequirements {
            cpu_request: "500m".to_string(),
            memory_request: "512Mi".to_string(),
            cpu_limit: "1".to_string(),
            memory_limit: "1Gi".to_string(),
        });
    let scaling = overrides.scaling.unwrap_or(RunnerScaling {
        replicas: 1,
        ..RunnerScaling::default()
    });
    let mut labels = overrides.labels.clone();
    labels.insert(
        "app.kubernetes.io/name".to_string(),
        "cwsandbox-runner".to_string(),
    );
    labels.insert(
        "app.kubernetes.io/version".to_string(),
        runner_version.to_string(),
    );
    let or_default = |value: &str, default: &str| {
        if value.is_empty() {
            default.to_string()
        } else {
            value.to_string()
        }
    };
    RunnerDeploymentSpec {
        image: format!("{}:{runner_version}", config.runner_image),
        env: overrides.env.clone(),
        args: overrides.args.clone(),
        resources: Some(resources),
        node_selector: overrides.node_selector.clone(),
        tolerations: overrides.tolerations.clone(),
        scaling: Some(scaling),
        annotations: overrides.annotations.clone(),
        labels,
        service_account: "cwsandbox-runner".to_string(),
        image_pull_policy: "IfNotPresent".to_string(),
        gateway_server: config.gateway_server.clone(),
        cpu_runtime_class: or_default(&overrides.cpu_runtime_class, "kata-qemu"),
        gpu_runtime_class: or_default(&overrides.gpu_runtime_class, "kata-qemu-nvidia-gpu"),
        init_resources: Some(RunnerResourceRequirements {
            cpu_request: "100m".to_string(),
            memory_request: "64Mi".to_string(),
            cpu_limit: "200m".to_string(),
            memory_limit: "128Mi".to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::state::InstallFailure;
    use std::time::UNIX_EPOCH;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_000_000 + seconds)
    }

    fn revision(number: i32, started: u64) -> Revision {
        Revision {
            number,
            runner_version: "1.4.0".into(),
            config_version: format!("c{number}"),
            profile_spec_version: format!("p{number}"),
            started_at: at(started),
        }
    }

    fn record() -> RunnerRecord {
        RunnerRecord {
            organization: "org".into(),
            runner: Runner::default(),
            install_started_at: at(0),
            deleted_at: None,
            failure: None,
            heartbeats_stopped_at: None,
            target: revision(1, 0),
            previous: None,
        }
    }

    #[test]
    fn install_moves_through_states() {
        let timings = Timings::default();
        let record = record();
        let cases = [
            (0, RunnerInstallStatus::Pending),
            (1, RunnerInstallStatus::Provisioning),
            (2, RunnerInstallStatus::Provisioning),
            (3, RunnerInstallStatus::Ready),
            (100, RunnerInstallStatus::Ready),
        ];
        for (second, expected) in cases {
            assert_eq!(
                install_status(&record, at(second), &timings),
                expected,
                "t={second}"
            );
        }
    }

    #[test]
    fn rollout_keeps_previous_until_done() {
        let timings = Timings::default();
        let mut record = record();
        record.previous = Some(revision(1, 0));
        record.target = revision(2, 10);
        assert_eq!(
            active_revision(&record, at(11), &timings).map(|r| r.number),
            Some(1)
        );
        assert_eq!(
            active_revision(&record, at(13), &timings).map(|r| r.number),
            Some(2)
        );
    }

    #[test]
    fn heartbeats_stop_then_disconnect() {
        let timings = Timings::default();
        let mut record = record();
        record.heartbeats_stopped_at = Some(at(8));
        let (last, status) = heartbeat(&record, at(9), &timings);
        assert_eq!(last, Some(at(7)));
        assert_eq!(status, RunnerConnectionStatus::Connected);
        let (_, status) = heartbeat(&record, at(18), &timings);
        assert_eq!(status, RunnerConnectionStatus::Disconnected);
    }

    #[test]
    fn failure_before_ready_never_connects() {
        let timings = Timings::default();
        let mut record = record();
        record.failure = Some(InstallFailure {
            reason: RunnerInstallErrorReason::Timeout as i32,
            message: "timed out".into(),
            at: at(2),
        });
        assert_eq!(
            install_status(&record, at(5), &timings),
            RunnerInstallStatus::Failed
        );
        assert_eq!(
            heartbeat(&record, at(5), &timings).1,
            RunnerConnectionStatus::Unspecified
        );
        assert!(active_revision(&record, at(5), &timings).is_none());
    }
}
