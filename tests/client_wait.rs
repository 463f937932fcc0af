//! `Client::wait_until_ready` and `Client::wait_until_deleted` against the
//! emulator, with a manual clock so that each lifecycle step happens when
//! the test moves the clock.

#![cfg(feature = "emulator")]

use std::time::Duration;

use cwsandbox_control::Client;
use cwsandbox_control::connect::{Channel, Code, RetryPolicy};
use cwsandbox_control::emulator::{Emulator, EmulatorHandle, Timings};
use cwsandbox_control::ops::{WaitCondition, WaitError, WaitOptions};
use cwsandbox_control::v1beta2::{
    CreateManagedRunnerRequest, CreateProfileTemplateRequest, DeleteManagedRunnerRequest,
    ProfileSpec, ProfileTemplate, Runner, RunnerIdentity, RunnerInstallErrorReason,
    RunnerInstallStatus, RunnerProfileBinding,
};
use tokio::sync::mpsc;

const RUNNER_ID: &str = "lab-west";

/// A poll interval short enough that the tests do not sit idle.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// A bound on how long a test waits for the next poll, so that a broken wait
/// fails the test instead of hanging it. It is not a timing assertion.
const HANG_GUARD: Duration = Duration::from_secs(30);

async fn start(timings: Timings) -> (EmulatorHandle, Client) {
    let emulator = Emulator::builder()
        .timings(timings)
        .manual_clock()
        .start()
        .await
        .unwrap();
    let channel = Channel::builder(emulator.base_url())
        .bearer_token(emulator.admin_token().to_string())
        .build()
        .unwrap();
    (emulator, Client::new(channel))
}

/// Lifecycle steps of one second each, so that `advance` moves one step.
fn one_second_steps() -> Timings {
    Timings {
        pending: Duration::from_secs(1),
        provisioning: Duration::from_secs(1),
        deleting: Duration::from_secs(1),
        ..Timings::default()
    }
}

async fn create_runner(client: &Client) -> Runner {
    let template = ProfileTemplate {
        display_name: "agents".to_string(),
        spec: Some(ProfileSpec::default()),
        ..ProfileTemplate::default()
    };
    let request = CreateProfileTemplateRequest {
        profile_template: Some(template),
    };
    let template = client.create_profile_template(request).await.unwrap();
    let runner = Runner {
        identity: Some(RunnerIdentity {
            zone: "US-WEST-09B".to_string(),
            cluster_name: "lab-west-cks".to_string(),
            ..RunnerIdentity::default()
        }),
        profile_bindings: vec![RunnerProfileBinding {
            profile_template_id: template.id,
            is_default: true,
            ..RunnerProfileBinding::default()
        }],
        ..Runner::default()
    };
    let request = CreateManagedRunnerRequest {
        runner_id: RUNNER_ID.to_string(),
        runner: Some(runner),
    };
    client.create_managed_runner(request).await.unwrap()
}

fn options() -> WaitOptions {
    WaitOptions::new(Duration::from_secs(60)).with_poll_interval(POLL_INTERVAL)
}

/// Receives polled install statuses until one equals `expected`.
async fn wait_for_status(
    statuses: &mut mpsc::UnboundedReceiver<i32>,
    expected: RunnerInstallStatus,
) {
    let search = async {
        while let Some(status) = statuses.recv().await {
            if status == expected as i32 {
                return true;
            }
        }
        false
    };
    let found = tokio::time::timeout(HANG_GUARD, search).await;
    assert_eq!(found, Ok(true), "no poll returned {expected:?}");
}

#[tokio::test]
async fn ready_reports_each_status() {
    let (emulator, client) = start(one_second_steps()).await;
    create_runner(&client).await;

    let (sender, mut statuses) = mpsc::unbounded_channel();
    let waiter = client.clone();
    let wait = tokio::spawn(async move {
        waiter
            .wait_until_ready(RUNNER_ID, options(), |runner| {
                let _ = sender.send(runner.install_status);
            })
            .await
    });

    wait_for_status(&mut statuses, RunnerInstallStatus::Pending).await;
    emulator.advance(Duration::from_secs(1));
    wait_for_status(&mut statuses, RunnerInstallStatus::Provisioning).await;
    emulator.advance(Duration::from_secs(1));

    let runner = tokio::time::timeout(HANG_GUARD, wait)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(runner.install_status, RunnerInstallStatus::Ready as i32);
    assert_eq!(
        runner.identity.unwrap_or_default().runner_id,
        RUNNER_ID,
        "the ready runner is the one waited for"
    );
    wait_for_status(&mut statuses, RunnerInstallStatus::Ready).await;
}

#[tokio::test]
async fn ready_returns_at_once_when_ready() {
    let (emulator, client) = start(one_second_steps()).await;
    let created = create_runner(&client).await;
    emulator.advance(Duration::from_secs(2));

    let mut polls = 0;
    let runner = client
        .wait_until_ready(&created.id, options(), |_| polls += 1)
        .await
        .unwrap();
    assert_eq!(runner.id, created.id);
    assert_eq!(runner.install_status, RunnerInstallStatus::Ready as i32);
    assert_eq!(polls, 1);
    assert_eq!(emulator.request_count("GetRunner"), 1);
}

#[tokio::test]
async fn ready_ends_on_failed_install() {
    let (emulator, client) = start(one_second_steps()).await;
    create_runner(&client).await;
    emulator
        .fail_install(RUNNER_ID, RunnerInstallErrorReason::ImagePullFailed)
        .unwrap();

    let error = client
        .wait_until_ready(RUNNER_ID, options(), |_| {})
        .await
        .unwrap_err();
    let WaitError::InstallFailed { runner } = &error else {
        panic!("expected InstallFailed, got {error:?}");
    };
    assert_eq!(runner.install_status, RunnerInstallStatus::Failed as i32);
    let reason = runner.install_error.as_ref().map(|error| error.reason);
    assert_eq!(
        reason,
        Some(RunnerInstallErrorReason::ImagePullFailed as i32)
    );
    let message = error.to_string();
    assert!(message.contains("lab-west failed to install"), "{message}");
    assert!(message.contains("IMAGE_PULL_FAILED"), "{message}");
}

#[tokio::test]
async fn ready_ends_when_deleting() {
    let (_emulator, client) = start(one_second_steps()).await;
    create_runner(&client).await;
    let request = DeleteManagedRunnerRequest {
        id: RUNNER_ID.to_string(),
    };
    client.delete_managed_runner(request).await.unwrap();

    let error = client
        .wait_until_ready(RUNNER_ID, options(), |_| {})
        .await
        .unwrap_err();
    let WaitError::Deleting { runner } = &error else {
        panic!("expected Deleting, got {error:?}");
    };
    assert_eq!(runner.install_status, RunnerInstallStatus::Deleting as i32);
}

#[tokio::test]
async fn ready_times_out_with_last_runner() {
    let (emulator, client) = start(one_second_steps()).await;
    create_runner(&client).await;

    // The clock never moves, so the runner stays PENDING.
    let options = WaitOptions::new(Duration::from_millis(100)).with_poll_interval(POLL_INTERVAL);
    let mut polls = 0;
    let error = client
        .wait_until_ready(RUNNER_ID, options, |_| polls += 1)
        .await
        .unwrap_err();
    let WaitError::Timeout {
        condition, last, ..
    } = &error
    else {
        panic!("expected Timeout, got {error:?}");
    };
    assert_eq!(*condition, WaitCondition::Ready);
    let last_status = last.as_ref().map(|runner| runner.install_status);
    assert_eq!(last_status, Some(RunnerInstallStatus::Pending as i32));
    assert!(polls >= 1, "the callback saw no poll");
    assert_eq!(
        error.to_string(),
        "timed out waiting for the runner to be ready \
         (last seen: install PENDING, connection UNSPECIFIED)"
    );
    assert!(emulator.request_count("GetRunner") >= 1);
}

#[tokio::test]
async fn ready_missing_runner_is_not_found() {
    let (_emulator, client) = start(one_second_steps()).await;
    let error = client
        .wait_until_ready("no-such-runner", options(), |_| {})
        .await
        .unwrap_err();
    let WaitError::Status(status) = &error else {
        panic!("expected a status, got {error:?}");
    };
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn zero_poll_interval_is_rejected() {
    let (emulator, client) = start(one_second_steps()).await;
    let options = WaitOptions::new(Duration::from_secs(60)).with_poll_interval(Duration::ZERO);
    let error = client
        .wait_until_ready(RUNNER_ID, options, |_| {})
        .await
        .unwrap_err();
    assert!(matches!(error, WaitError::InvalidPollInterval), "{error:?}");
    assert!(error.to_string().contains("poll interval is 0"), "{error}");

    let error = client
        .wait_until_deleted(RUNNER_ID, options, |_| {})
        .await
        .unwrap_err();
    assert!(matches!(error, WaitError::InvalidPollInterval), "{error:?}");
    assert_eq!(emulator.request_count("GetRunner"), 0);
}

#[tokio::test]
async fn deleted_follows_teardown() {
    let (emulator, client) = start(one_second_steps()).await;
    create_runner(&client).await;
    emulator.advance(Duration::from_secs(2));
    let request = DeleteManagedRunnerRequest {
        id: RUNNER_ID.to_string(),
    };
    client.delete_managed_runner(request).await.unwrap();

    let (sender, mut statuses) = mpsc::unbounded_channel();
    let waiter = client.clone();
    let wait = tokio::spawn(async move {
        waiter
            .wait_until_deleted(RUNNER_ID, options(), |runner| {
                let _ = sender.send(runner.install_status);
            })
            .await
    });

    wait_for_status(&mut statuses, RunnerInstallStatus::Deleting).await;
    emulator.advance(Duration::from_secs(1));
    let result = tokio::time::timeout(HANG_GUARD, wait)
        .await
        .unwrap()
        .unwrap();
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn deleted_returns_for_missing_runner() {
    let (emulator, client) = start(one_second_steps()).await;
    let mut polls = 0;
    client
        .wait_until_deleted("no-such-runner", options(), |_| polls += 1)
        .await
        .unwrap();
    assert_eq!(polls, 0, "NOT_FOUND carries no runner to report");
    assert_eq!(emulator.request_count("GetRunner"), 1);
}

#[tokio::test]
async fn deleted_times_out_while_runner_lives() {
    let (_emulator, client) = start(one_second_steps()).await;
    create_runner(&client).await;
    let options = WaitOptions::new(Duration::from_millis(100)).with_poll_interval(POLL_INTERVAL);
    let error = client
        .wait_until_deleted(RUNNER_ID, options, |_| {})
        .await
        .unwrap_err();
    let WaitError::Timeout {
        condition, last, ..
    } = &error
    else {
        panic!("expected Timeout, got {error:?}");
    };
    assert_eq!(*condition, WaitCondition::Deleted);
    assert!(last.is_some(), "the last polled runner is kept");
}

#[tokio::test]
async fn timeout_names_failed_polls() {
    let (emulator, client) = start(one_second_steps()).await;
    create_runner(&client).await;
    // Without retries inside each call, every poll returns its connection
    // error at once, so failed polls happen before the wait's timeout.
    let channel = Channel::builder(emulator.base_url())
        .bearer_token(emulator.admin_token().to_string())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let client = Client::new(channel);
    // With the server gone, every poll fails to connect until the timeout.
    emulator.shutdown().await;

    let options = WaitOptions::new(Duration::from_secs(2)).with_poll_interval(POLL_INTERVAL);
    let error = client
        .wait_until_ready(RUNNER_ID, options, |_| {})
        .await
        .unwrap_err();
    let WaitError::Timeout {
        last, last_error, ..
    } = &error
    else {
        panic!("expected Timeout, got {error:?}");
    };
    assert!(last.is_none(), "{last:?}");
    let status = last_error.as_ref().expect("the failed poll's status");
    assert_eq!(status.code(), Code::Unavailable);
    assert!(
        error.to_string().contains("the last poll failed"),
        "{error}"
    );
}
