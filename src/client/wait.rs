//! Waits on a runner's lifecycle, built on [`crate::ops::wait_for_runner`].

use super::Client;
use crate::connect::{Code, Status};
use crate::ops::{WaitCondition, WaitError, WaitOptions, wait_for_runner};
use crate::v1beta2::Runner;

impl Client {
    /// Polls the runner `id` (UUID or runner id) until its install status is
    /// READY, calling `on_progress` with the runner each poll returns, and
    /// returns the ready runner.
    ///
    /// A CONNECTED connection status is not required: use
    /// [`wait_for_runner`] with [`WaitCondition::Connected`] for that.
    ///
    /// # Errors
    ///
    /// [`WaitError::InstallFailed`] when the install status becomes FAILED,
    /// [`WaitError::Deleting`] when the runner starts its teardown,
    /// [`WaitError::Timeout`] when `options.timeout` passes,
    /// [`WaitError::InvalidPollInterval`] for a zero poll interval, and
    /// [`WaitError::Status`] when a poll fails for a reason other than
    /// UNAVAILABLE or DEADLINE_EXCEEDED, NOT_FOUND included.
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
    /// # use cwsandbox_control::v1beta2 as api;
    /// use std::time::Duration;
    /// use cwsandbox_control::ops::{WaitOptions, describe_status};
    /// use cwsandbox_control::v1beta2::RunnerInstallStatus;
    ///
    /// # let emulator = Emulator::builder().timings(Timings::instant()).start().await?;
    /// # let channel = Channel::builder(emulator.base_url())
    /// #     .bearer_token(emulator.admin_token().to_string())
    /// #     .build()?;
    /// # let client = Client::new(channel);
    /// # let spec = Some(api::ProfileSpec::default());
    /// # let template = api::ProfileTemplate { display_name: "agents".into(), spec, ..Default::default() };
    /// # let request = api::CreateProfileTemplateRequest { profile_template: Some(template) };
    /// # let template = client.create_profile_template(request).await?;
    /// # let binding = api::RunnerProfileBinding { profile_template_id: template.id, is_default: true, ..Default::default() };
    /// # let identity = api::RunnerIdentity { zone: "US-WEST-09B".into(), cluster_name: "lab-west-cks".into(), ..Default::default() };
    /// # let runner = api::Runner { identity: Some(identity), profile_bindings: vec![binding], ..Default::default() };
    /// # let request = api::CreateManagedRunnerRequest { runner_id: "lab-west".into(), runner: Some(runner) };
    /// # client.create_managed_runner(request).await?;
    /// let options = WaitOptions::new(Duration::from_secs(300));
    /// let mut polls = 0;
    /// let runner = client
    ///     .wait_until_ready("lab-west", options, |runner| {
    ///         polls += 1;
    ///         eprintln!("runner lab-west: {}", describe_status(runner));
    ///     })
    ///     .await?;
    /// assert_eq!(runner.install_status, RunnerInstallStatus::Ready as i32);
    /// assert!(polls >= 1);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub async fn wait_until_ready(
        &self,
        id: &str,
        options: WaitOptions,
        on_progress: impl FnMut(&Runner),
    ) -> Result<Runner, WaitError> {
        let found = wait_for_runner(self, id, WaitCondition::Ready, options, on_progress).await?;
        // wait_for_runner returns None only after a NOT_FOUND poll, and only
        // for WaitCondition::Deleted, so this arm is a fallback.
        found.ok_or_else(|| {
            let message = format!("runner {id} not found while waiting for it to be ready");
            WaitError::Status(Status::client(Code::NotFound, message))
        })
    }

    /// Polls the runner `id` (UUID or runner id) until `GetRunner` returns
    /// NOT_FOUND, calling `on_progress` with the runner each poll returns.
    ///
    /// This only waits: delete the runner first with
    /// [`delete_managed_runner`](crate::v1beta2::RunnerManagementServiceClient::delete_managed_runner).
    /// A runner that was never created, or whose teardown already ended,
    /// returns at the first poll.
    ///
    /// # Errors
    ///
    /// [`WaitError::Timeout`] when `options.timeout` passes,
    /// [`WaitError::InvalidPollInterval`] for a zero poll interval, and
    /// [`WaitError::Status`] when a poll fails for a reason other than
    /// NOT_FOUND, UNAVAILABLE or DEADLINE_EXCEEDED.
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
    /// # use cwsandbox_control::v1beta2 as api;
    /// use std::time::Duration;
    /// use cwsandbox_control::connect::Code;
    /// use cwsandbox_control::ops::WaitOptions;
    /// use cwsandbox_control::v1beta2::{DeleteManagedRunnerRequest, GetRunnerRequest};
    ///
    /// # let emulator = Emulator::builder().timings(Timings::instant()).start().await?;
    /// # let channel = Channel::builder(emulator.base_url())
    /// #     .bearer_token(emulator.admin_token().to_string())
    /// #     .build()?;
    /// # let client = Client::new(channel);
    /// # let spec = Some(api::ProfileSpec::default());
    /// # let template = api::ProfileTemplate { display_name: "agents".into(), spec, ..Default::default() };
    /// # let request = api::CreateProfileTemplateRequest { profile_template: Some(template) };
    /// # let template = client.create_profile_template(request).await?;
    /// # let binding = api::RunnerProfileBinding { profile_template_id: template.id, is_default: true, ..Default::default() };
    /// # let identity = api::RunnerIdentity { zone: "US-WEST-09B".into(), cluster_name: "lab-west-cks".into(), ..Default::default() };
    /// # let runner = api::Runner { identity: Some(identity), profile_bindings: vec![binding], ..Default::default() };
    /// # let request = api::CreateManagedRunnerRequest { runner_id: "lab-west".into(), runner: Some(runner) };
    /// # client.create_managed_runner(request).await?;
    /// client
    ///     .delete_managed_runner(DeleteManagedRunnerRequest { id: "lab-west".into() })
    ///     .await?;
    /// let options = WaitOptions::new(Duration::from_secs(300));
    /// client.wait_until_deleted("lab-west", options, |_| {}).await?;
    ///
    /// let gone = client.get_runner(GetRunnerRequest { id: "lab-west".into() }).await;
    /// assert_eq!(gone.unwrap_err().code(), Code::NotFound);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub async fn wait_until_deleted(
        &self,
        id: &str,
        options: WaitOptions,
        on_progress: impl FnMut(&Runner),
    ) -> Result<(), WaitError> {
        wait_for_runner(self, id, WaitCondition::Deleted, options, on_progress).await?;
        Ok(())
    }
}
