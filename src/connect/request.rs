//! Requests with per-call options, and responses with their metadata.

use std::time::Duration;

use http::HeaderMap;

use super::code::Code;
use super::metadata::{
    InvalidBinaryHeader, binary_header_name, encode_binary_header, get_binary_all,
};
use super::method::Idempotency;
use super::retry::RetryPolicy;
use super::status::{ClientErrorKind, Status};

/// Options that apply to one call.
#[derive(Debug, Clone, Default)]
///
/// ```
/// use std::time::Duration;
/// use cwsandbox_control::connect::{CallOptions, Idempotency, Request, RetryPolicy};
/// use cwsandbox_control::v1beta2::GetRunnerRequest;
///
/// let mut request = Request::new(GetRunnerRequest { id: "lab-west".into() });
/// *request.options_mut() = CallOptions {
///     timeout: Some(Duration::from_secs(5)),
///     idempotency: Some(Idempotency::Idempotent),
///     retry: Some(RetryPolicy::none()),
///     ..CallOptions::default()
/// };
/// assert_eq!(request.options().timeout, Some(Duration::from_secs(5)));
/// assert_eq!(request.options().connect_get, None, "the channel decides");
/// ```
pub struct CallOptions {
    /// Time allowed for the whole call, retries included. `None` uses the
    /// channel's default.
    pub timeout: Option<Duration>,
    /// Headers added to the request, after the channel's own.
    pub headers: HeaderMap,
    /// Overrides the method's idempotency for this call, for example to mark
    /// an update that carries a field mask as safe to retry.
    pub idempotency: Option<Idempotency>,
    /// Whether a side-effect-free method may be sent as a Connect GET. `None`
    /// uses the channel's default.
    pub connect_get: Option<bool>,
    /// Overrides the channel's retry policy for this call.
    pub retry: Option<RetryPolicy>,
}

/// A request message and the options of its call.
#[derive(Debug, Clone, Default)]
///
/// ```
/// # #[cfg(feature = "emulator")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use cwsandbox_control::connect::{Channel, Request};
/// use cwsandbox_control::emulator::Emulator;
/// use cwsandbox_control::v1beta2::{ListProfileTemplatesRequest, RunnerManagementServiceClient};
/// use http::{HeaderName, HeaderValue};
///
/// let emulator = Emulator::start().await?;
/// let channel = Channel::builder(emulator.base_url())
///     .bearer_token(emulator.admin_token())
///     .build()?;
/// let client = RunnerManagementServiceClient::new(channel);
///
/// // Typed client methods take a bare message or a request with options.
/// client.list_profile_templates(ListProfileTemplatesRequest::default()).await?;
/// let request = Request::new(ListProfileTemplatesRequest { page_size: 10, ..Default::default() })
///     .with_timeout(Duration::from_secs(5))
///     .with_header(HeaderName::from_static("x-request-id"), HeaderValue::from_static("r-1"));
/// assert_eq!(request.get_ref().page_size, 10);
/// client.list_profile_templates(request).await?;
/// assert_eq!(emulator.request_count("ListProfileTemplates"), 2);
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "emulator"))]
/// # fn main() {}
/// ```
pub struct Request<T> {
    message: T,
    options: CallOptions,
}

impl<T> Request<T> {
    /// Wraps a message with default options.
    ///
    /// ```
    /// use cwsandbox_control::connect::Request;
    /// use cwsandbox_control::v1beta2::GetRunnerRequest;
    ///
    /// let request = Request::new(GetRunnerRequest { id: "lab-west".into() });
    /// assert_eq!(request.get_ref().id, "lab-west");
    /// assert_eq!(request.options().timeout, None);
    /// ```
    pub fn new(message: T) -> Self {
        Self {
            message,
            options: CallOptions::default(),
        }
    }

    /// Returns the message.
    ///
    /// ```
    /// use cwsandbox_control::connect::Request;
    /// use cwsandbox_control::v1beta2::GetRunnerRequest;
    ///
    /// let request = Request::new(GetRunnerRequest { id: "lab-west".into() });
    /// assert_eq!(request.get_ref().id, "lab-west");
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.message
    }

    /// Returns the message for changing.
    ///
    /// ```
    /// use cwsandbox_control::connect::Request;
    /// use cwsandbox_control::v1beta2::GetRunnerRequest;
    ///
    /// let mut request = Request::new(GetRunnerRequest::default());
    /// request.get_mut().id = "lab-east".into();
    /// assert_eq!(request.into_inner().id, "lab-east");
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.message
    }

    /// Returns the message, dropping the options.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cwsandbox_control::connect::Request;
    /// use cwsandbox_control::v1beta2::GetRunnerRequest;
    ///
    /// let request = Request::new(GetRunnerRequest { id: "lab-west".into() })
    ///     .with_timeout(Duration::from_secs(1));
    /// let message: GetRunnerRequest = request.into_inner();
    /// assert_eq!(message.id, "lab-west");
    /// ```
    pub fn into_inner(self) -> T {
        self.message
    }

    /// Returns the call options.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cwsandbox_control::connect::Request;
    ///
    /// let request = Request::new(()).with_timeout(Duration::from_secs(3));
    /// assert_eq!(request.options().timeout, Some(Duration::from_secs(3)));
    /// ```
    pub fn options(&self) -> &CallOptions {
        &self.options
    }

    /// Returns the call options for changing.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cwsandbox_control::connect::Request;
    ///
    /// let mut request = Request::new(());
    /// request.options_mut().timeout = Some(Duration::from_secs(3));
    /// assert_eq!(request.options().timeout, Some(Duration::from_secs(3)));
    /// ```
    pub fn options_mut(&mut self) -> &mut CallOptions {
        &mut self.options
    }

    /// Splits the request into its message and options.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Idempotency, Request};
    ///
    /// let request = Request::new("message").with_idempotency(Idempotency::Idempotent);
    /// let (message, options) = request.into_parts();
    /// assert_eq!(message, "message");
    /// assert_eq!(options.idempotency, Some(Idempotency::Idempotent));
    /// ```
    pub fn into_parts(self) -> (T, CallOptions) {
        (self.message, self.options)
    }

    /// Sets the time allowed for the whole call, retries included.
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use cwsandbox_control::connect::{Channel, Code, Request, RetryPolicy};
    /// use cwsandbox_control::emulator::{Emulator, Fault};
    /// use cwsandbox_control::v1beta2::{GetRunnerRequest, RunnerManagementServiceClient};
    ///
    /// // Every GetRunner call waits 60 s in the emulator before it is handled.
    /// let slow = Fault { delay: Duration::from_secs(60), ..Fault::default() };
    /// let emulator = Emulator::builder().fault("GetRunner", slow).start().await?;
    /// let channel = Channel::builder(emulator.base_url())
    ///     .bearer_token(emulator.admin_token())
    ///     .build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    /// let request = Request::new(GetRunnerRequest { id: "lab-west".into() })
    ///     .with_timeout(Duration::from_millis(50))
    ///     .with_retry_policy(RetryPolicy::none());
    /// let status = client.get_runner(request).await.unwrap_err();
    /// assert_eq!(status.code(), Code::DeadlineExceeded);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// Adds a request header. A header of the same name set on the channel
    /// is replaced, and headers that the channel controls (`content-type`,
    /// `connect-*` and the like) fail the call with `InvalidArgument`.
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::{Channel, Code, Request};
    /// use cwsandbox_control::emulator::Emulator;
    /// use cwsandbox_control::v1beta2::{ListProfileTemplatesRequest, RunnerManagementServiceClient};
    /// use http::{HeaderName, HeaderValue, header};
    ///
    /// let emulator = Emulator::start().await?;
    /// let channel = Channel::builder(emulator.base_url())
    ///     .bearer_token(emulator.admin_token())
    ///     .build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    ///
    /// let request = Request::new(ListProfileTemplatesRequest::default())
    ///     .with_header(HeaderName::from_static("x-request-id"), HeaderValue::from_static("r-1"));
    /// client.list_profile_templates(request).await?;
    ///
    /// let request = Request::new(ListProfileTemplatesRequest::default())
    ///     .with_header(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    /// let status = client.list_profile_templates(request).await.unwrap_err();
    /// assert_eq!(status.code(), Code::InvalidArgument);
    /// assert_eq!(emulator.request_count("ListProfileTemplates"), 1, "the second call was not sent");
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn with_header(mut self, name: http::HeaderName, value: http::HeaderValue) -> Self {
        self.options.headers.append(name, value);
        self
    }

    /// Adds binary metadata: `name` gets the `-bin` suffix when it lacks one,
    /// and the value is sent as unpadded base64.
    ///
    /// # Errors
    ///
    /// Returns `InvalidArgument` when `name` is not a valid header name.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Request};
    ///
    /// let request = Request::new(()).with_binary_header("trace", &[1, 2])?;
    /// assert_eq!(request.options().headers["trace-bin"], "AQI");
    ///
    /// let error = Request::new(()).with_binary_header("bad name", &[1]).unwrap_err();
    /// assert_eq!(error.code(), Code::InvalidArgument);
    /// # Ok::<(), cwsandbox_control::connect::Status>(())
    /// ```
    pub fn with_binary_header(mut self, name: &str, value: &[u8]) -> Result<Self, Status> {
        let header = binary_header_name(name).ok_or_else(|| {
            Status::client(
                Code::InvalidArgument,
                format!(
                    "{name:?} is not a valid header name; use lowercase letters, digits, - and _"
                ),
            )
            .with_kind(ClientErrorKind::Encode)
        })?;
        self.options
            .headers
            .append(header, encode_binary_header(value));
        Ok(self)
    }

    /// Overrides the method's idempotency for this call.
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use cwsandbox_control::connect::{Channel, Idempotency, Request, RetryPolicy};
    /// use cwsandbox_control::emulator::{Emulator, Fault};
    /// use cwsandbox_control::v1beta2::{
    ///     ProfileTemplate, RunnerManagementServiceClient, UpdateProfileTemplateRequest,
    /// };
    ///
    /// let down = Fault { unavailable_ratio: 1.0, ..Fault::default() };
    /// let emulator = Emulator::builder().fault("UpdateProfileTemplate", down).start().await?;
    /// let policy = RetryPolicy {
    ///     max_attempts: 3,
    ///     initial_backoff: Duration::from_millis(1),
    ///     ..RetryPolicy::default()
    /// };
    /// let channel = Channel::builder(emulator.base_url())
    ///     .bearer_token(emulator.admin_token())
    ///     .retry_policy(policy)
    ///     .build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    /// let template = ProfileTemplate { id: "tpl-1".into(), ..ProfileTemplate::default() };
    /// let update = UpdateProfileTemplateRequest {
    ///     profile_template: Some(template),
    ///     ..UpdateProfileTemplateRequest::default()
    /// };
    ///
    /// // An update may change state, so it is not retried by default.
    /// let _ = client.update_profile_template(update.clone()).await;
    /// assert_eq!(emulator.request_count("UpdateProfileTemplate"), 1);
    ///
    /// // One that sets every field by its mask can be marked idempotent.
    /// let request = Request::new(update).with_idempotency(Idempotency::Idempotent);
    /// let _ = client.update_profile_template(request).await;
    /// assert_eq!(emulator.request_count("UpdateProfileTemplate"), 1 + 3);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn with_idempotency(mut self, idempotency: Idempotency) -> Self {
        self.options.idempotency = Some(idempotency);
        self
    }

    /// Sets the idempotency unless the caller already chose one.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Idempotency, Request};
    ///
    /// let request = Request::new(())
    ///     .with_idempotency(Idempotency::Unknown)
    ///     .with_default_idempotency(Idempotency::Idempotent);
    /// assert_eq!(request.options().idempotency, Some(Idempotency::Unknown));
    ///
    /// let request = Request::new(()).with_default_idempotency(Idempotency::Idempotent);
    /// assert_eq!(request.options().idempotency, Some(Idempotency::Idempotent));
    /// ```
    pub fn with_default_idempotency(mut self, idempotency: Idempotency) -> Self {
        self.options.idempotency.get_or_insert(idempotency);
        self
    }

    /// Sets the retry policy of this call; [`RetryPolicy::none`] disables retries.
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::{Channel, Code, Request, RetryPolicy};
    /// use cwsandbox_control::emulator::{Emulator, Fault};
    /// use cwsandbox_control::v1beta2::{GetRunnerRequest, RunnerManagementServiceClient};
    ///
    /// let down = Fault { unavailable_ratio: 1.0, ..Fault::default() };
    /// let emulator = Emulator::builder().fault("GetRunner", down).start().await?;
    /// let channel = Channel::builder(emulator.base_url())
    ///     .bearer_token(emulator.admin_token())
    ///     .build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    /// let request = Request::new(GetRunnerRequest { id: "lab-west".into() })
    ///     .with_retry_policy(RetryPolicy::none());
    /// let status = client.get_runner(request).await.unwrap_err();
    /// assert_eq!(status.code(), Code::Unavailable);
    /// assert_eq!(emulator.request_count("GetRunner"), 1);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.options.retry = Some(policy);
        self
    }

    /// Allows or forbids a Connect GET for this call.
    ///
    /// ```
    /// use cwsandbox_control::connect::Request;
    ///
    /// let request = Request::new(()).with_connect_get(false);
    /// assert_eq!(request.options().connect_get, Some(false));
    /// ```
    pub fn with_connect_get(mut self, allowed: bool) -> Self {
        self.options.connect_get = Some(allowed);
        self
    }
}

/// Conversion into a [`Request`], so typed client methods take either a bare
/// message or a request with options.
///
/// ```
/// use std::time::Duration;
/// use cwsandbox_control::connect::{IntoRequest, Request};
/// use cwsandbox_control::v1beta2::GetRunnerRequest;
///
/// fn timeout_of(request: impl IntoRequest<GetRunnerRequest>) -> Option<Duration> {
///     request.into_request().options().timeout
/// }
///
/// assert_eq!(timeout_of(GetRunnerRequest::default()), None);
/// let request = Request::new(GetRunnerRequest::default()).with_timeout(Duration::from_secs(1));
/// assert_eq!(timeout_of(request), Some(Duration::from_secs(1)));
/// ```
pub trait IntoRequest<T> {
    /// Wraps the value in a request.
    fn into_request(self) -> Request<T>;
}

impl<T> IntoRequest<T> for T {
    fn into_request(self) -> Request<T> {
        Request::new(self)
    }
}

impl<T> IntoRequest<T> for Request<T> {
    fn into_request(self) -> Request<T> {
        self
    }
}

/// A response message with the headers and trailers it came with.
#[derive(Debug, Clone, Default)]
///
/// ```
/// # #[cfg(feature = "emulator")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use cwsandbox_control::connect::{Channel, Request, Response};
/// use cwsandbox_control::emulator::Emulator;
/// use cwsandbox_control::v1beta2::runner_management_service::LIST_PROFILE_TEMPLATES;
/// use cwsandbox_control::v1beta2::{ListProfileTemplatesRequest, ListProfileTemplatesResponse};
///
/// let emulator = Emulator::start().await?;
/// let channel = Channel::builder(emulator.base_url())
///     .bearer_token(emulator.admin_token())
///     .build()?;
/// let request = Request::new(ListProfileTemplatesRequest::default());
/// let response: Response<ListProfileTemplatesResponse> =
///     channel.unary(&LIST_PROFILE_TEMPLATES, request).await?;
/// assert_eq!(response.http_status(), http::StatusCode::OK);
/// assert_eq!(response.http_version(), http::Version::HTTP_11);
/// assert_eq!(response.headers()["content-type"], "application/json");
/// assert!(response.trailers().is_empty());
/// assert!(response.into_inner().profile_templates.is_empty());
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "emulator"))]
/// # fn main() {}
/// ```
pub struct Response<T> {
    message: T,
    headers: HeaderMap,
    trailers: HeaderMap,
    http_status: http::StatusCode,
    http_version: http::Version,
}

impl<T> Response<T> {
    /// Builds a response from its parts.
    ///
    /// ```
    /// use cwsandbox_control::connect::Response;
    /// use http::{HeaderMap, HeaderValue};
    ///
    /// let mut trailers = HeaderMap::new();
    /// trailers.insert("x-cost", HeaderValue::from_static("3"));
    /// let response = Response::from_parts("message", HeaderMap::new(), trailers);
    /// assert_eq!(response.trailers()["x-cost"], "3");
    /// assert_eq!(response.http_status(), http::StatusCode::OK);
    /// ```
    pub fn from_parts(message: T, headers: HeaderMap, trailers: HeaderMap) -> Self {
        Self {
            message,
            headers,
            trailers,
            http_status: http::StatusCode::OK,
            http_version: http::Version::default(),
        }
    }

    pub(crate) fn with_http(mut self, status: http::StatusCode, version: http::Version) -> Self {
        self.http_status = status;
        self.http_version = version;
        self
    }

    /// Wraps a message with no metadata.
    ///
    /// ```
    /// use cwsandbox_control::connect::Response;
    ///
    /// let response = Response::new(42);
    /// assert_eq!(*response.get_ref(), 42);
    /// assert!(response.headers().is_empty());
    /// ```
    pub fn new(message: T) -> Self {
        Self::from_parts(message, HeaderMap::new(), HeaderMap::new())
    }

    /// Returns the message.
    ///
    /// ```
    /// use cwsandbox_control::connect::Response;
    ///
    /// assert_eq!(Response::new("message").get_ref(), &"message");
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.message
    }

    /// Returns the message, dropping the metadata.
    ///
    /// ```
    /// use cwsandbox_control::connect::Response;
    ///
    /// assert_eq!(Response::new(vec![1, 2]).into_inner(), [1, 2]);
    /// ```
    pub fn into_inner(self) -> T {
        self.message
    }

    /// Returns the response headers.
    ///
    /// ```
    /// use cwsandbox_control::connect::Response;
    /// use http::{HeaderMap, HeaderValue};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-request-id", HeaderValue::from_static("r-1"));
    /// let response = Response::from_parts((), headers, HeaderMap::new());
    /// assert_eq!(response.headers()["x-request-id"], "r-1");
    /// ```
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Returns the trailers: Connect `trailer-` headers with the prefix
    /// removed, and HTTP trailers.
    ///
    /// ```
    /// use cwsandbox_control::connect::Response;
    ///
    /// assert!(Response::new(()).trailers().is_empty());
    /// ```
    pub fn trailers(&self) -> &HeaderMap {
        &self.trailers
    }

    /// Returns the HTTP status of the response: 200 for Connect, any 2xx for REST.
    ///
    /// ```
    /// use cwsandbox_control::connect::Response;
    ///
    /// assert_eq!(Response::new(()).http_status(), http::StatusCode::OK);
    /// ```
    pub fn http_status(&self) -> http::StatusCode {
        self.http_status
    }

    /// Returns the HTTP version the response arrived over.
    ///
    /// ```
    /// use cwsandbox_control::connect::Response;
    ///
    /// assert_eq!(Response::new(()).http_version(), http::Version::HTTP_11);
    /// ```
    pub fn http_version(&self) -> http::Version {
        self.http_version
    }

    /// Returns the decoded values of binary header `name` (with or without
    /// the `-bin` suffix), or of the trailer when no header has that name.
    ///
    /// # Errors
    ///
    /// Returns [`InvalidBinaryHeader`] when a value is not base64.
    ///
    /// ```
    /// use cwsandbox_control::connect::Response;
    /// use http::{HeaderMap, HeaderValue};
    ///
    /// let mut trailers = HeaderMap::new();
    /// trailers.insert("checksum-bin", HeaderValue::from_static("3q2+7w"));
    /// let response = Response::from_parts((), HeaderMap::new(), trailers);
    /// assert_eq!(response.binary_metadata("checksum")?, [vec![0xde, 0xad, 0xbe, 0xef]]);
    /// assert!(response.binary_metadata("missing")?.is_empty());
    /// # Ok::<(), cwsandbox_control::connect::InvalidBinaryHeader>(())
    /// ```
    pub fn binary_metadata(&self, name: &str) -> Result<Vec<Vec<u8>>, InvalidBinaryHeader> {
        let values = get_binary_all(&self.headers, name)?;
        if values.is_empty() {
            get_binary_all(&self.trailers, name)
        } else {
            Ok(values)
        }
    }
}
