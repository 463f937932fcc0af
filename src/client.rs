//! The entry point for the CoreWeave API: its defaults, the token from the
//! environment, creates that are safe to retry, and waits on a runner.

mod ensure;
mod wait;

pub use ensure::Ensured;

use std::ops::Deref;
use std::time::Duration;

use crate::connect::{Channel, ChannelBuilder, Code, Detail, Origin, OtherDetail, Status};
use crate::v1beta2::{
    CreateManagedRunnerRequest, CreateProfileTemplateRequest, ListProfileTemplatesRequest,
    ProfileTemplate, Runner, RunnerManagementServiceClient, RunnerManagementServiceStub,
};

/// The documented endpoint of the control plane. REST paths start with `/v1beta2/sandbox`.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::DEFAULT_ENDPOINT;
///
/// assert!(DEFAULT_ENDPOINT.starts_with("https://"));
/// // Client::builder() is Client::builder_for(DEFAULT_ENDPOINT).
/// ```
pub const DEFAULT_ENDPOINT: &str = "https://api.coreweave.com";

/// The environment variable that contains the API token, as CoreWeave's tools read it.
///
/// # Examples
///
/// ```
/// use cwsandbox_control::TOKEN_ENV;
///
/// assert_eq!(TOKEN_ENV, "COREWEAVE_API_TOKEN");
/// // Client::builder() sends the trimmed value as a bearer token when it is set.
/// if std::env::var_os(TOKEN_ENV).is_none() {
///     eprintln!("set {TOKEN_ENV} to call the API");
/// }
/// ```
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
/// use cwsandbox_control::Client;
/// use cwsandbox_control::v1beta2::ListManagedRunnersRequest;
///
/// let client = Client::new(channel);
/// // A generated method, reached through Deref.
/// let page = client.list_managed_runners(ListManagedRunnersRequest::default()).await?;
/// assert!(page.runners.is_empty());
/// // A method of Client itself.
/// assert_eq!(client.find_profile_template("agents").await?, None);
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "emulator"))]
/// # fn main() {}
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    inner: RunnerManagementServiceClient,
}

impl Client {
    /// Returns a channel builder for [`DEFAULT_ENDPOINT`] with the token of
    /// [`TOKEN_ENV`] when it is set.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use cwsandbox_control::Client;
    ///
    /// // Building opens no connection: the first call does.
    /// let channel = Client::builder().default_timeout(Duration::from_secs(30)).build();
    /// let tls = cfg!(any(feature = "tls-ring-webpki", feature = "tls-ring-native"));
    /// // An https endpoint needs one of the TLS features.
    /// assert_eq!(channel.is_ok(), tls);
    /// ```
    pub fn builder() -> ChannelBuilder {
        Self::builder_for(DEFAULT_ENDPOINT)
    }

    /// Returns a channel builder for `endpoint` with the token of [`TOKEN_ENV`]
    /// when it is set.
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
    /// use cwsandbox_control::Client;
    /// use cwsandbox_control::v1beta2::ListProfileTemplatesRequest;
    ///
    /// // A token set on the builder replaces the one from COREWEAVE_API_TOKEN.
    /// let channel = Client::builder_for(&emulator.base_url())
    ///     .bearer_token(emulator.admin_token().to_string())
    ///     .build()?;
    /// let client = Client::new(channel);
    /// let page = client.list_profile_templates(ListProfileTemplatesRequest::default()).await?;
    /// assert!(page.profile_templates.is_empty());
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn builder_for(endpoint: &str) -> ChannelBuilder {
        let builder = Channel::builder(endpoint);
        match std::env::var(TOKEN_ENV) {
            Ok(token) if !token.trim().is_empty() => builder.bearer_token(token.trim().to_string()),
            _ => builder,
        }
    }

    /// Creates a client that sends its calls over `channel`.
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
    /// use cwsandbox_control::Client;
    /// use cwsandbox_control::connect::Code;
    /// use cwsandbox_control::v1beta2::GetRunnerRequest;
    ///
    /// let client = Client::new(channel);
    /// let missing = client.get_runner(GetRunnerRequest { id: "no-such-runner".into() }).await;
    /// assert_eq!(missing.unwrap_err().code(), Code::NotFound);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn new(channel: Channel) -> Self {
        Self {
            inner: RunnerManagementServiceClient::new(channel),
        }
    }

    /// Creates a client over any stub, such as a test double.
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
    /// use cwsandbox_control::Client;
    /// use cwsandbox_control::v1beta2::ListProfileTemplatesRequest;
    ///
    /// // A channel is one stub; a test double that implements
    /// // RunnerManagementServiceStub is another.
    /// let client = Client::from_stub(channel);
    /// let page = client.list_profile_templates(ListProfileTemplatesRequest::default()).await?;
    /// assert!(page.next_page_token.is_empty());
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn from_stub(stub: impl RunnerManagementServiceStub) -> Self {
        Self {
            inner: RunnerManagementServiceClient::from_stub(stub),
        }
    }

    /// Returns the generated client.
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
    /// use cwsandbox_control::Client;
    /// use cwsandbox_control::ops::managed_runners;
    /// use futures_util::TryStreamExt;
    ///
    /// let client = Client::new(channel);
    /// // The functions of `ops` take the generated client.
    /// let runners: Vec<_> = managed_runners(client.generated(), 50).try_collect().await?;
    /// assert!(runners.is_empty());
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn generated(&self) -> &RunnerManagementServiceClient {
        &self.inner
    }

    /// Finds a profile template by its display name, listing every page.
    ///
    /// # Errors
    ///
    /// Returns the status of the first List call that failed.
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
    /// # let client = cwsandbox_control::Client::new(channel);
    /// # use cwsandbox_control::v1beta2 as api;
    /// # let spec = Some(api::ProfileSpec::default());
    /// # let template = api::ProfileTemplate { display_name: "agents".into(), spec, ..Default::default() };
    /// # let request = api::CreateProfileTemplateRequest { profile_template: Some(template) };
    /// # let template = client.create_profile_template(request).await?;
    /// # let created = template;
    /// let found = client.find_profile_template("agents").await?;
    /// assert_eq!(found.map(|template| template.id), Some(created.id));
    /// assert_eq!(client.find_profile_template("no-such-template").await?, None);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
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
    /// use cwsandbox_control::v1beta2::{ProfileSpec, ProfileTemplate};
    ///
    /// # let client = cwsandbox_control::Client::new(channel);
    /// let template = ProfileTemplate {
    ///     display_name: "agents".into(),
    ///     spec: Some(ProfileSpec { runtime_class: "gvisor".into(), ..Default::default() }),
    ///     ..Default::default()
    /// };
    /// let created = client.create_profile_template_safely(template.clone()).await?;
    /// assert_eq!(created.display_name, "agents");
    ///
    /// // The server rejects a second template of the same name.
    /// let duplicate = client.create_profile_template_safely(template).await;
    /// assert_eq!(duplicate.unwrap_err().code(), Code::AlreadyExists);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
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
    /// use cwsandbox_control::v1beta2::{Runner, RunnerIdentity, RunnerProfileBinding};
    ///
    /// # let client = cwsandbox_control::Client::new(channel);
    /// # use cwsandbox_control::v1beta2 as api;
    /// # let spec = Some(api::ProfileSpec::default());
    /// # let template = api::ProfileTemplate { display_name: "agents".into(), spec, ..Default::default() };
    /// # let request = api::CreateProfileTemplateRequest { profile_template: Some(template) };
    /// # let template = client.create_profile_template(request).await?;
    /// let runner = Runner {
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
    /// let created = client.create_managed_runner_safely("lab-west", runner).await?;
    /// assert_eq!(created.identity.unwrap_or_default().runner_id, "lab-west");
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
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
        let lookup = async || self.lookup_runner(runner_id).await;
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
///
/// # Examples
///
/// ```
/// use cwsandbox_control::existing_resource;
/// use cwsandbox_control::connect::{Code, Detail, OtherDetail, Status};
/// use cwsandbox_control::v1beta2::ProfileTemplate;
/// use prost::{Message, Name};
///
/// // The status a safe create returns when another template has the name.
/// let existing = ProfileTemplate { id: "9d1e".into(), display_name: "agents".into(), ..Default::default() };
/// let detail = OtherDetail {
///     type_name: ProfileTemplate::full_name(),
///     value: Some(existing.encode_to_vec()),
///     json: None,
///     decode_error: None,
/// };
/// let status = Status::client(Code::AlreadyExists, "a different ProfileTemplate exists")
///     .with_detail(Detail::Other(detail));
///
/// let found: Option<ProfileTemplate> = existing_resource(&status);
/// assert_eq!(found.map(|template| template.id).as_deref(), Some("9d1e"));
/// ```
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
