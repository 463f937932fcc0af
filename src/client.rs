//! The entry point for the CoreWeave API: its defaults, the token from the
//! environment, creates that are safe to retry, and waits on a runner.

mod wait;

use std::ops::Deref;
use std::time::Duration;

use crate::connect::{Channel, ChannelBuilder, Code, Detail, Origin, OtherDetail, Status};
use crate::ops::Plan;
use crate::v1beta2::{
    CreateManagedRunnerRequest, CreateProfileTemplateRequest, GetRunnerRequest,
    ListProfileTemplatesRequest, ProfileTemplate, Runner, RunnerManagementServiceClient,
    RunnerManagementServiceStub, UpdateManagedRunnerRequest, UpdateProfileTemplateRequest,
};

/// The documented endpoint of the control plane. REST paths start with `/v1beta2/sandbox`.
pub const DEFAULT_ENDPOINT: &str = "https://api.coreweave.com";

/// The environment variable that contains the API token, as CoreWeave's tools read it.
pub const TOKEN_ENV: &str = "COREWEAVE_API_TOKEN";

/// How many times a create is sent in all when earlier attempts failed in a way
/// that leaves open whether they reached the server.
const CREATE_ATTEMPTS: u32 = 3;

/// A client of `RunnerManagementService` with CoreWeave's defaults and the
/// conveniences this API needs.
///
/// It dereferences to the generated [`RunnerManagementServiceClient`], so every
/// RPC is a method call away. Cloning is cheap and clones share one connection
/// pool.
#[derive(Clone, Debug)]
pub struct Client {
    inner: RunnerManagementServiceClient,
}

impl Client {
    /// Returns a channel builder for [`DEFAULT_ENDPOINT`] with the token of
    /// [`TOKEN_ENV`] when it is set.
    pub fn builder() -> ChannelBuilder {
        Self::builder_for(DEFAULT_ENDPOINT)
    }

    /// Returns a channel builder for `endpoint` with the token of [`TOKEN_ENV`]
    /// when it is set.
    pub fn builder_for(endpoint: &str) -> ChannelBuilder {
        let builder = Channel::builder(endpoint);
        match std::env::var(TOKEN_ENV) {
            Ok(token) if !token.trim().is_empty() => builder.bearer_token(token.trim().to_string()),
            _ => builder,
        }
    }

    /// Creates a client that sends its calls over `channel`.
    pub fn new(channel: Channel) -> Self {
        Self {
            inner: RunnerManagementServiceClient::new(channel),
        }
    }

    /// Creates a client over any stub, such as a test double.
    pub fn from_stub(stub: impl RunnerManagementServiceStub) -> Self {
        Self {
            inner: RunnerManagementServiceClient::from_stub(stub),
        }
    }

    /// Returns the generated client.
    pub fn generated(&self) -> &RunnerManagementServiceClient {
        &self.inner
    }

    /// Finds a profile template by its display name, listing every page.
    ///
    /// # Errors
    ///
    /// Returns the status of the first List call that failed.
    pub async fn find_profile_template(
        &self,
        display_name: &str,
    ) -> Result<Option<ProfileTemplate>, Status> {
        let mut page_token = String::new();
        loop {
            let request = ListProfileTemplatesRequest {
                page_size: 100,
                page_token: page_token.clone(),
            };
            let page = self.inner.list_profile_templates(request).await?;
            if let Some(found) = page
                .profile_templates
                .into_iter()
                .find(|t| t.display_name == display_name)
            {
                return Ok(Some(found));
            }
            if page.next_page_token.is_empty() || page.next_page_token == page_token {
                return Ok(None);
            }
            page_token = page.next_page_token;
        }
    }

    /// Creates a profile template without ever creating it twice.
    ///
    /// When a create fails in a way that leaves open whether it reached the
    /// server (a timeout, a dropped connection, a 5xx from a proxy), this looks
    /// the template up by display name before sending again. A template that
    /// matches what was sent is returned as created. One that differs is an
    /// `AlreadyExists` status whose details carry the existing template (see
    /// [`existing_resource`]).
    ///
    /// # Errors
    ///
    /// Returns the server's status for a create it rejected, `AlreadyExists`
    /// for a different template of the same name, or the last failure.
    pub async fn create_profile_template_safely(
        &self,
        template: ProfileTemplate,
    ) -> Result<ProfileTemplate, Status> {
        let create = async || {
            let request = CreateProfileTemplateRequest {
                profile_template: Some(template.clone()),
            };
            self.inner.create_profile_template(request).await
        };
        let lookup = async || self.find_profile_template(&template.display_name).await;
        create_safely(create, lookup, template_matches(&template)).await
    }

    /// Creates a managed runner without ever creating it twice; the runner is
    /// looked up by its runner id after an ambiguous failure, as
    /// [`create_profile_template_safely`](Self::create_profile_template_safely) does.
    ///
    /// # Errors
    ///
    /// Returns the server's status for a create it rejected, `AlreadyExists`
    /// for a different runner with the same runner id, or the last failure.
    pub async fn create_managed_runner_safely(
        &self,
        runner_id: &str,
        runner: Runner,
    ) -> Result<Runner, Status> {
        let create = async || {
            let request = CreateManagedRunnerRequest {
                runner_id: runner_id.to_string(),
                runner: Some(runner.clone()),
            };
            self.inner.create_managed_runner(request).await
        };
        let lookup = async || match self
            .inner
            .get_runner(GetRunnerRequest {
                id: runner_id.to_string(),
            })
            .await
        {
            Ok(found) => Ok(Some(found)),
            Err(status) if status.is_not_found() => Ok(None),
            Err(status) => Err(status),
        };
        create_safely(create, lookup, runner_matches(&runner)).await
    }
}

/// Sends a create until it succeeds, and after every failure that may have
/// reached the server, looks the resource up before sending again.
///
/// An `AlreadyExists` status for a resent create is looked up too, because the
/// first attempt may have landed after a lookup that did not see it yet.
async fn create_safely<M, Create, CreateFuture, Lookup, LookupFuture>(
    create: Create,
    lookup: Lookup,
    matches: impl Fn(&M) -> bool,
) -> Result<M, Status>
where
    M: prost::Message + prost::Name + serde::Serialize,
    Create: Fn() -> CreateFuture,
    CreateFuture: Future<Output = Result<M, Status>>,
    Lookup: Fn() -> LookupFuture,
    LookupFuture: Future<Output = Result<Option<M>, Status>>,
{
    let mut attempt = 1;
    loop {
        let failure = match create().await {
            Ok(created) => return Ok(created),
            Err(status) if attempt > 1 && status.is_already_exists() => status,
            Err(status) if !is_ambiguous(&status) => return Err(status),
            Err(status) => status,
        };
        tracing::debug!(attempt, code = %failure.code(), kind = M::NAME, "a create may have landed; looking it up");
        if let Some(existing) = lookup().await? {
            return reconcile(existing, matches);
        }
        if attempt >= CREATE_ATTEMPTS {
            return Err(failure);
        }
        attempt += 1;
        tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
    }
}

impl Deref for Client {
    type Target = RunnerManagementServiceClient;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

/// Returns the resource attached to an `AlreadyExists` status by the safe creates.
pub fn existing_resource<M: prost::Message + prost::Name + Default>(status: &Status) -> Option<M> {
    status.details().iter().find_map(|detail| match detail {
        Detail::Other(other) if other.type_name == M::full_name() => {
            M::decode(other.value.as_deref()?).ok()
        }
        _ => None,
    })
}

/// Returns true when a failed create may have reached the server.
fn is_ambiguous(status: &Status) -> bool {
    if status.is_unsent() {
        return false;
    }
    match status.origin() {
        Origin::Client => !matches!(status.code(), Code::InvalidArgument | Code::Unauthenticated),
        Origin::Server => {
            matches!(
                status.code(),
                Code::Unavailable | Code::DeadlineExceeded | Code::Internal | Code::Unknown
            )
        }
    }
}

fn reconcile<M: prost::Message + prost::Name + serde::Serialize>(
    existing: M,
    matches: impl Fn(&M) -> bool,
) -> Result<M, Status> {
    if matches(&existing) {
        return Ok(existing);
    }
    let message = format!(
        "a different {} with the same name already exists; the earlier create landed or another client made it",
        M::NAME
    );
    let detail = OtherDetail {
        type_name: M::full_name(),
        value: Some(existing.encode_to_vec()),
        json: serde_json::to_value(&existing).ok(),
        decode_error: None,
    };
    Err(Status::client(Code::AlreadyExists, message).with_detail(Detail::Other(detail)))
}

/// Returns a check that an existing template contains what `sent` requested.
fn template_matches(sent: &ProfileTemplate) -> impl Fn(&ProfileTemplate) -> bool + '_ {
    move |existing| {
        existing.display_name == sent.display_name
            && existing.description == sent.description
            && existing.spec.clone().unwrap_or_default() == sent.spec.clone().unwrap_or_default()
            && existing.labels == sent.labels
    }
}

/// Returns a check that an existing runner contains what `sent` requested. The
/// server fills in the other cluster field and output-only fields, so only
/// the fields `sent` sets are compared.
fn runner_matches(sent: &Runner) -> impl Fn(&Runner) -> bool + '_ {
    move |existing| {
        let identity = sent.identity.clone().unwrap_or_default();
        let found = existing.identity.clone().unwrap_or_default();
        let same = |sent: &str, found: &str| sent.is_empty() || sent == found;
        (sent.display_name.is_empty() || sent.display_name == existing.display_name)
            && identity.zone.eq_ignore_ascii_case(&found.zone)
            && same(&identity.cluster_id, &found.cluster_id)
            && same(&identity.cluster_name, &found.cluster_name)
            && same(&identity.runner_group_id, &found.runner_group_id)
            && bindings_match(sent, existing)
            && sent.managed_spec.as_ref().is_none_or(|spec| {
                let found = existing.managed_spec.clone().unwrap_or_default();
                spec.allow_privileged_profile_annotations
                    == found.allow_privileged_profile_annotations
                    && spec.enforce_resource_limits == found.enforce_resource_limits
                    && (spec.maintenance_policy.is_none()
                        || spec.maintenance_policy == found.maintenance_policy)
                    && (spec.overrides.is_none() || spec.overrides == found.overrides)
            })
    }
}

fn bindings_match(sent: &Runner, existing: &Runner) -> bool {
    let key = |runner: &Runner| {
        let mut bindings: Vec<_> = runner
            .profile_bindings
            .iter()
            .map(|b| {
                (
                    b.profile_template_id.clone(),
                    b.profile_name.clone(),
                    b.is_default,
                    b.overrides_json.clone(),
                )
            })
            .collect();
        bindings.sort();
        bindings
    };
    key(sent) == key(existing)
}

/// The outcome of an `ensure_*` call.
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
    /// and the call fails with `Aborted` when its bindings changed meanwhile,
    /// instead of overwriting another client's change.
    ///
    /// # Errors
    ///
    /// Returns `FailedPrecondition` for a binding the rules forbid (see
    /// [`crate::ops::bind`]), `Aborted` for a concurrent change, or the status
    /// of the call that failed.
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

    async fn lookup_runner(&self, runner_id: &str) -> Result<Option<Runner>, Status> {
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
