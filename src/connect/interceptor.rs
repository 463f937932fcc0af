//! Hooks that see every attempt of every call.

use std::time::Duration;

use http::{HeaderMap, StatusCode};

use super::code::Code;
use super::error_body::Protocol;
use super::method::MethodDescriptor;
use super::status::Status;

/// A hook registered on a channel with
/// [`ChannelBuilder::interceptor`](super::ChannelBuilder::interceptor).
///
/// Interceptors run in registration order, once per attempt: `before` when
/// the HTTP request is complete and about to be sent, `after` when the
/// response is decoded or the attempt failed. A call that fails before its
/// first attempt (the request could not be encoded) runs only `after`.
///
/// ```
/// # #[cfg(feature = "emulator")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use cwsandbox_control::connect::{Channel, Code, Interceptor, MethodDescriptor, Status};
/// use cwsandbox_control::emulator::Emulator;
/// use cwsandbox_control::v1beta2::{
///     DeleteProfileTemplateRequest, GetProfileTemplateRequest, RunnerManagementServiceClient,
/// };
/// use http::HeaderValue;
///
/// /// Tags every request and stops every delete before it leaves the process.
/// struct ReadOnly;
///
/// impl Interceptor for ReadOnly {
///     fn before(
///         &self,
///         method: &MethodDescriptor,
///         request: &mut http::request::Parts,
///     ) -> Result<(), Status> {
///         request.headers.insert("x-client-mode", HeaderValue::from_static("read-only"));
///         if method.method.starts_with("Delete") {
///             let message = format!("{} is not allowed in read-only mode", method.method);
///             return Err(Status::client(Code::PermissionDenied, message));
///         }
///         Ok(())
///     }
/// }
///
/// let emulator = Emulator::start().await?;
/// let channel = Channel::builder(emulator.base_url())
///     .bearer_token(emulator.admin_token())
///     .interceptor(ReadOnly)
///     .build()?;
/// let client = RunnerManagementServiceClient::new(channel);
///
/// let status = client
///     .delete_profile_template(DeleteProfileTemplateRequest { id: "tpl-1".into() })
///     .await
///     .unwrap_err();
/// assert_eq!(status.code(), Code::PermissionDenied);
/// assert!(status.is_unsent());
/// assert_eq!(emulator.request_count("DeleteProfileTemplate"), 0);
///
/// let status = client
///     .get_profile_template(GetProfileTemplateRequest { id: "tpl-1".into() })
///     .await
///     .unwrap_err();
/// assert_eq!(status.code(), Code::NotFound);
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "emulator"))]
/// # fn main() {}
/// ```
pub trait Interceptor: Send + Sync + 'static {
    /// Inspects or changes the HTTP request head before it is sent. An error
    /// stops the call with that status, which is marked unsent.
    ///
    /// # Errors
    ///
    /// Returns the status that the call fails with.
    fn before(
        &self,
        method: &MethodDescriptor,
        request: &mut http::request::Parts,
    ) -> Result<(), Status> {
        let _ = (method, request);
        Ok(())
    }

    /// Observes the outcome of an attempt.
    fn after(&self, method: &MethodDescriptor, outcome: &CallOutcome<'_>) {
        let _ = (method, outcome);
    }
}

/// The outcome of one attempt, as interceptors see it.
#[derive(Debug, Clone, Copy)]
///
/// ```
/// # #[cfg(feature = "emulator")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::{Arc, Mutex};
/// use cwsandbox_control::connect::{
///     CallOutcome, Channel, Code, Interceptor, MethodDescriptor, Protocol,
/// };
/// use cwsandbox_control::emulator::Emulator;
/// use cwsandbox_control::v1beta2::{
///     GetProfileTemplateRequest, ListProfileTemplatesRequest, RunnerManagementServiceClient,
/// };
///
/// /// One line per attempt: method, protocol, HTTP status, content type and code.
/// #[derive(Clone, Default)]
/// struct Log(Arc<Mutex<Vec<String>>>);
///
/// impl Interceptor for Log {
///     fn after(&self, method: &MethodDescriptor, outcome: &CallOutcome<'_>) {
///         let _time_taken = outcome.elapsed();
///         let content_type = outcome
///             .headers()
///             .and_then(|headers| headers.get("content-type"))
///             .and_then(|value| value.to_str().ok())
///             .unwrap_or("-");
///         let result = match outcome.error() {
///             None => "ok".to_string(),
///             Some(status) => status.code().to_string(),
///         };
///         assert_eq!(outcome.is_ok(), outcome.code().is_none());
///         self.0.lock().unwrap().push(format!(
///             "{} {} {:?} {content_type} {result}",
///             method.method,
///             outcome.protocol().name(),
///             outcome.http_status().map(|status| status.as_u16()),
///         ));
///     }
/// }
///
/// let emulator = Emulator::start().await?;
/// let log = Log::default();
/// let channel = Channel::builder(emulator.base_url())
///     .bearer_token(emulator.admin_token())
///     .protocol(Protocol::Connect)
///     .interceptor(log.clone())
///     .build()?;
/// let client = RunnerManagementServiceClient::new(channel);
/// client.list_profile_templates(ListProfileTemplatesRequest::default()).await?;
/// let missing = client.get_profile_template(GetProfileTemplateRequest { id: "tpl-1".into() }).await;
/// assert_eq!(missing.unwrap_err().code(), Code::NotFound);
///
/// assert_eq!(
///     *log.0.lock().unwrap(),
///     [
///         "ListProfileTemplates connect Some(200) application/json ok",
///         "GetProfileTemplate connect Some(404) application/json not_found",
///     ]
/// );
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "emulator"))]
/// # fn main() {}
/// ```
pub struct CallOutcome<'a> {
    pub(crate) protocol: Protocol,
    pub(crate) elapsed: Duration,
    pub(crate) http_status: Option<StatusCode>,
    pub(crate) headers: Option<&'a HeaderMap>,
    pub(crate) error: Option<&'a Status>,
}

impl CallOutcome<'_> {
    /// Returns the wire protocol of the call.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Returns the time from the start of the attempt to its outcome.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// Returns the HTTP status of the response, when one arrived.
    pub fn http_status(&self) -> Option<StatusCode> {
        self.http_status
    }

    /// Returns the response headers, when a response arrived.
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.headers
    }

    /// Returns true when the attempt returned a response message.
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }

    /// Returns the error of a failed attempt.
    pub fn error(&self) -> Option<&Status> {
        self.error
    }

    /// Returns the code of a failed attempt, or `None` on success.
    pub fn code(&self) -> Option<Code> {
        self.error.map(Status::code)
    }
}
