//! Creates or updates a resource to match a desired one, and edits a
//! runner's profile bindings.

use super::Client;
use crate::connect::{Code, Status};
use crate::ops::Plan;
use crate::v1beta2::{
    GetRunnerRequest, ProfileTemplate, Runner, UpdateManagedRunnerRequest,
    UpdateProfileTemplateRequest,
};

/// The outcome of an `ensure_*` call.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "emulator")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use cwsandbox_control::connect::Channel;
/// # use cwsandbox_control::emulator::{Emulator, Timings};
/// # let emulator = Emulator::builder().timings(Timings::instant()).start().await?;
/// # let channel = Channel::builder(emulator.base_url())
/// #     .bearer_token(emulator.admin_token().to_string())
/// #     .build()?;
/// use cwsandbox_control::Ensured;
/// use cwsandbox_control::v1beta2::{ProfileSpec, ProfileTemplate};
///
/// # let client = cwsandbox_control::Client::new(channel);
/// let desired = ProfileTemplate {
///     display_name: "agents".into(),
///     spec: Some(ProfileSpec::default()),
///     ..Default::default()
/// };
/// let outcome = client.ensure_profile_template(desired).await?;
/// let template = match outcome {
///     Ensured::Created(template) => template,
///     Ensured::Updated { resource, .. } | Ensured::Unchanged(resource) => resource,
/// };
/// assert_eq!(template.display_name, "agents");
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "emulator"))]
/// # fn main() {}
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Ensured<T> {
    /// The resource did not exist and was created.
    Created(T),
    /// The resource differed and was updated with `mask`.
    Updated {
        /// The resource as the server returned it.
        resource: T,
        /// The paths that were sent.
        mask: crate::wkt::FieldMask,
    },
    /// The resource already matched; nothing was sent.
    Unchanged(T),
}

impl Client {
    /// Makes the server's profile template of `desired.display_name` match
    /// `desired`: creates it when missing (safely), updates exactly the fields
    /// that differ, or does nothing.
    ///
    /// # Errors
    ///
    /// Returns the status of the first call that failed.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use cwsandbox_control::connect::Channel;
    /// # use cwsandbox_control::emulator::{Emulator, Timings};
    /// # let emulator = Emulator::builder().timings(Timings::instant()).start().await?;
    /// # let channel = Channel::builder(emulator.base_url())
    /// #     .bearer_token(emulator.admin_token().to_string())
    /// #     .build()?;
    /// use cwsandbox_control::Ensured;
    /// use cwsandbox_control::v1beta2::{ProfileSpec, ProfileTemplate};
    ///
    /// # let client = cwsandbox_control::Client::new(channel);
    /// let mut desired = ProfileTemplate {
    ///     display_name: "agents".into(),
    ///     spec: Some(ProfileSpec::default()),
    ///     ..Default::default()
    /// };
    /// let first = client.ensure_profile_template(desired.clone()).await?;
    /// assert!(matches!(first, Ensured::Created(_)));
    /// let second = client.ensure_profile_template(desired.clone()).await?;
    /// assert!(matches!(second, Ensured::Unchanged(_)));
    ///
    /// desired.description = "Sandboxes of the agent fleet".into();
    /// let Ensured::Updated { mask, .. } = client.ensure_profile_template(desired).await? else {
    ///     panic!("a changed description is an update");
    /// };
    /// assert_eq!(mask.paths, ["description"]);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub async fn ensure_profile_template(
        &self,
        desired: ProfileTemplate,
    ) -> Result<Ensured<ProfileTemplate>, Status> {
        let existing = self.find_profile_template(&desired.display_name).await?;
        match crate::ops::plan_profile_template(existing.as_ref(), &desired) {
            Plan::Create => self
                .create_profile_template_safely(desired)
                .await
                .map(Ensured::Created),
            Plan::Unchanged => Ok(Ensured::Unchanged(existing.unwrap_or(desired))),
            Plan::Update { mask, .. } => {
                let mut template = desired;
                template.id = existing.map(|found| found.id).unwrap_or_default();
                let request = UpdateProfileTemplateRequest {
                    profile_template: Some(template),
                    update_mask: Some(mask.clone()),
                };
                let resource = self.inner.update_profile_template(request).await?;
                Ok(Ensured::Updated { resource, mask })
            }
        }
    }

    /// Makes the server's runner `runner_id` match `desired`: creates it when
    /// missing (safely), updates exactly the fields that differ, or does nothing.
    ///
    /// # Errors
    ///
    /// Returns `InvalidArgument` when `desired` changes an immutable field
    /// (the cluster), else the status of the first call that failed.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use cwsandbox_control::connect::Channel;
    /// # use cwsandbox_control::emulator::{Emulator, Timings};
    /// # let emulator = Emulator::builder().timings(Timings::instant()).start().await?;
    /// # let channel = Channel::builder(emulator.base_url())
    /// #     .bearer_token(emulator.admin_token().to_string())
    /// #     .build()?;
    /// use cwsandbox_control::Ensured;
    /// use cwsandbox_control::v1beta2::{Runner, RunnerIdentity, RunnerProfileBinding};
    ///
    /// # let client = cwsandbox_control::Client::new(channel);
    /// # use cwsandbox_control::v1beta2 as api;
    /// # let spec = Some(api::ProfileSpec::default());
    /// # let template = api::ProfileTemplate { display_name: "agents".into(), spec, ..Default::default() };
    /// # let request = api::CreateProfileTemplateRequest { profile_template: Some(template) };
    /// # let template = client.create_profile_template(request).await?;
    /// let mut desired = Runner {
    ///     display_name: "Lab (west)".into(),
    ///     identity: Some(RunnerIdentity {
    ///         zone: "US-WEST-09B".into(),
    ///         cluster_name: "lab-west-cks".into(),
    ///         ..Default::default()
    ///     }),
    ///     profile_bindings: vec![RunnerProfileBinding {
    ///         profile_template_id: template.id.clone(),
    ///         is_default: true,
    ///         ..Default::default()
    ///     }],
    ///     ..Default::default()
    /// };
    /// let created = client.ensure_runner("lab-west", desired.clone()).await?;
    /// assert!(matches!(created, Ensured::Created(_)));
    ///
    /// desired.display_name = "Lab (west, GPU)".into();
    /// let Ensured::Updated { resource, mask } = client.ensure_runner("lab-west", desired).await? else {
    ///     panic!("a changed display name is an update");
    /// };
    /// assert_eq!(mask.paths, ["display_name"]);
    /// assert_eq!(resource.display_name, "Lab (west, GPU)");
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub async fn ensure_runner(
        &self,
        runner_id: &str,
        desired: Runner,
    ) -> Result<Ensured<Runner>, Status> {
        let existing = self.lookup_runner(runner_id).await?;
        let plan = crate::ops::plan_runner(existing.as_ref(), &desired)
            .map_err(|error| Status::client(Code::InvalidArgument, error.to_string()).unsent())?;
        match plan {
            Plan::Create => self
                .create_managed_runner_safely(runner_id, desired)
                .await
                .map(Ensured::Created),
            Plan::Unchanged => Ok(Ensured::Unchanged(existing.unwrap_or(desired))),
            Plan::Update { mask, .. } => {
                let mut runner = desired;
                runner.id = existing.map(|found| found.id).unwrap_or_default();
                let request = UpdateManagedRunnerRequest {
                    runner: Some(runner),
                    update_mask: Some(mask.clone()),
                };
                let resource = self.inner.update_managed_runner(request).await?;
                Ok(Ensured::Updated { resource, mask })
            }
        }
    }

    /// Binds a profile template to a runner, keeping the other bindings and
    /// exactly one default.
    ///
    /// v1beta2 has no etag, so the runner is read again just before the write
    /// and the call fails with `Aborted` when its bindings changed meanwhile.
    /// This narrows the window in which another client's change is lost, but
    /// does not close it: a change that lands between that read and the
    /// write is overwritten. Several `cwsctl runner bind` commands started
    /// at once on one runner can lose bindings and still all succeed, so
    /// change one runner's bindings from one place at a time.
    ///
    /// # Errors
    ///
    /// Returns `FailedPrecondition` for a binding the rules forbid (see
    /// [`crate::ops::bind`]), `Aborted` for a concurrent change, or the status
    /// of the call that failed.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use cwsandbox_control::connect::Channel;
    /// # use cwsandbox_control::emulator::{Emulator, Timings};
    /// # let emulator = Emulator::builder().timings(Timings::instant()).start().await?;
    /// # let channel = Channel::builder(emulator.base_url())
    /// #     .bearer_token(emulator.admin_token().to_string())
    /// #     .build()?;
    /// use cwsandbox_control::ops::BindOptions;
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
    /// # let second = api::ProfileTemplate { display_name: "gpu".into(), spec: Some(api::ProfileSpec::default()), ..Default::default() };
    /// # let second = client.create_profile_template(api::CreateProfileTemplateRequest { profile_template: Some(second) }).await?;
    /// let options = BindOptions { name: Some("gpu".into()), default: true, ..Default::default() };
    /// let runner = client.bind_profile("lab-west", &second.id, options).await?;
    /// assert_eq!(runner.profile_bindings.len(), 2);
    /// let default = runner.profile_bindings.iter().find(|binding| binding.is_default);
    /// assert_eq!(default.map(|binding| binding.profile_name.as_str()), Some("gpu"));
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub async fn bind_profile(
        &self,
        runner_id: &str,
        profile_template_id: &str,
        options: crate::ops::BindOptions,
    ) -> Result<Runner, Status> {
        let runner = self
            .get_runner(GetRunnerRequest {
                id: runner_id.to_string(),
            })
            .await?;
        let bindings =
            crate::ops::bind(&runner, profile_template_id, options).map_err(|error| {
                Status::client(Code::FailedPrecondition, error.to_string()).unsent()
            })?;
        self.write_bindings(runner, bindings).await
    }

    /// Unbinds a profile template from a runner, with the same concurrency
    /// check as [`bind_profile`](Self::bind_profile).
    ///
    /// # Errors
    ///
    /// Returns `FailedPrecondition` when the template is not bound or is the
    /// default or last binding, `Aborted` for a concurrent change, or the
    /// status of the call that failed.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use cwsandbox_control::connect::Channel;
    /// # use cwsandbox_control::emulator::{Emulator, Timings};
    /// # let emulator = Emulator::builder().timings(Timings::instant()).start().await?;
    /// # let channel = Channel::builder(emulator.base_url())
    /// #     .bearer_token(emulator.admin_token().to_string())
    /// #     .build()?;
    /// use cwsandbox_control::connect::Code;
    /// use cwsandbox_control::ops::BindOptions;
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
    /// # let second = api::ProfileTemplate { display_name: "gpu".into(), spec: Some(api::ProfileSpec::default()), ..Default::default() };
    /// # let second = client.create_profile_template(api::CreateProfileTemplateRequest { profile_template: Some(second) }).await?;
    /// client.bind_profile("lab-west", &second.id, BindOptions::default()).await?;
    /// let runner = client.unbind_profile("lab-west", &second.id).await?;
    /// assert_eq!(runner.profile_bindings.len(), 1);
    ///
    /// // The last binding stays: a runner needs at least one.
    /// let last = client.unbind_profile("lab-west", &template.id).await;
    /// assert_eq!(last.unwrap_err().code(), Code::FailedPrecondition);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub async fn unbind_profile(
        &self,
        runner_id: &str,
        profile_template_id: &str,
    ) -> Result<Runner, Status> {
        let runner = self
            .get_runner(GetRunnerRequest {
                id: runner_id.to_string(),
            })
            .await?;
        let bindings = crate::ops::unbind(&runner, profile_template_id).map_err(|error| {
            Status::client(Code::FailedPrecondition, error.to_string()).unsent()
        })?;
        self.write_bindings(runner, bindings).await
    }

    /// Writes a new binding list after checking that the runner's bindings
    /// are still the ones it was computed from.
    async fn write_bindings(
        &self,
        read: Runner,
        bindings: Vec<crate::v1beta2::RunnerProfileBinding>,
    ) -> Result<Runner, Status> {
        let current = self
            .get_runner(GetRunnerRequest {
                id: read.id.clone(),
            })
            .await?;
        if current.profile_bindings != read.profile_bindings {
            let message = format!(
                "the profile bindings of runner {} changed while this edit was prepared; read the runner again and retry",
                read.id
            );
            return Err(Status::client(Code::Aborted, message).unsent());
        }
        let runner = Runner {
            id: read.id,
            profile_bindings: bindings,
            ..Runner::default()
        };
        let mask = crate::wkt::FieldMask {
            paths: vec!["profile_bindings".to_string()],
        };
        let request = UpdateManagedRunnerRequest {
            runner: Some(runner),
            update_mask: Some(mask),
        };
        self.inner.update_managed_runner(request).await
    }

    /// Returns the runner with this runner id, or `None` when there is none.
    pub(super) async fn lookup_runner(&self, runner_id: &str) -> Result<Option<Runner>, Status> {
        match self
            .inner
            .get_runner(GetRunnerRequest {
                id: runner_id.to_string(),
            })
            .await
        {
            Ok(found) => Ok(Some(found)),
            Err(status) if status.is_not_found() => Ok(None),
            Err(status) => Err(status),
        }
    }
}
