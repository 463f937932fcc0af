//! The one error type of every call.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;

use super::code::Code;
use super::details::Detail;
use crate::rpc;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;
type SharedError = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// The origin of a [`Status`]: the server or the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
///
/// ```
/// use cwsandbox_control::connect::{Code, Origin, Status};
///
/// assert_eq!(Status::new(Code::NotFound, "no runner").origin(), Origin::Server);
/// assert_eq!(Status::client(Code::DeadlineExceeded, "timed out").origin(), Origin::Client);
/// ```
pub enum Origin {
    /// A server, or a proxy in front of it, sent it as an error response.
    Server,
    /// The client made it: a timeout, a connection failure, a response that
    /// did not decode, or a request that could not be encoded.
    Client,
}

/// The kind of a client-made failure, for the `is_*` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientErrorKind {
    /// No connection: refused, DNS failure, TLS handshake failure, connect timeout.
    Connect,
    /// The connection failed after the request may have been written.
    Transport,
    /// The call's deadline passed.
    Timeout,
    /// The request could not be encoded or transcoded.
    Encode,
    /// The response could not be decoded.
    Decode,
    /// The response passed a size or nesting limit.
    TooLarge,
    /// The server responded with a redirect, which the client does not follow.
    Redirect,
    /// The channel's configuration forbids sending the request as built.
    Refused,
    /// An interceptor stopped the call.
    Interceptor,
}

#[derive(Clone)]
struct Inner {
    code: Code,
    message: String,
    details: Vec<Detail>,
    headers: HeaderMap,
    trailers: HeaderMap,
    origin: Origin,
    kind: Option<ClientErrorKind>,
    unsent: bool,
    http_status: Option<http::StatusCode>,
    retry_after: Option<Duration>,
    source: Option<SharedError>,
}

/// The error of a call: a [`Code`], a message, typed details and the metadata
/// of the response that carried it.
///
/// `Display` prints `<code>: <message>`, or the code alone when the message is
/// empty. Details, headers and the source are left to the accessors. For
/// client-made errors the underlying error (I/O, TLS, JSON) is reachable
/// through [`std::error::Error::source`]. Clones share the source.
#[derive(Clone)]
///
/// ```
/// # #[cfg(feature = "emulator")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use cwsandbox_control::connect::{Channel, Code, Origin};
/// use cwsandbox_control::emulator::Emulator;
/// use cwsandbox_control::v1beta2::{
///     CreateProfileTemplateRequest, ProfileSpec, ProfileTemplate, RunnerManagementServiceClient,
/// };
///
/// let emulator = Emulator::start().await?;
/// let channel = Channel::builder(emulator.base_url())
///     .bearer_token(emulator.admin_token())
///     .build()?;
/// let client = RunnerManagementServiceClient::new(channel);
///
/// let template = ProfileTemplate {
///     display_name: "Not a valid name!".to_string(),
///     spec: Some(ProfileSpec::default()),
///     ..ProfileTemplate::default()
/// };
/// let request = CreateProfileTemplateRequest { profile_template: Some(template) };
/// let status = client.create_profile_template(request).await.unwrap_err();
///
/// assert_eq!(status.code(), Code::InvalidArgument);
/// assert!(status.to_string().starts_with("invalid_argument: profile_template.display_name"));
/// assert_eq!(status.origin(), Origin::Server);
/// assert_eq!(status.http_status(), Some(http::StatusCode::BAD_REQUEST));
/// assert_eq!(status.error_info().unwrap().reason, "CWSANDBOX_INVALID_ARGUMENT");
/// let violation = &status.bad_request().unwrap().field_violations[0];
/// assert_eq!(violation.field, "profile_template.display_name");
/// assert_eq!(status.headers()["content-type"], "application/json");
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "emulator"))]
/// # fn main() {}
/// ```
pub struct Status(Box<Inner>);

impl Status {
    /// Creates a status that a server sent.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Status};
    ///
    /// let status = Status::new(Code::NotFound, "runner lab-west not found");
    /// assert!(status.is_from_server());
    /// assert_eq!(status.to_string(), "not_found: runner lab-west not found");
    /// ```
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self::with_origin(code, message, Origin::Server)
    }

    /// Creates a status that the client made, such as a timeout.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Status};
    ///
    /// let status = Status::client(Code::DeadlineExceeded, "");
    /// assert!(!status.is_from_server());
    /// assert!(status.is_timeout());
    /// assert_eq!(status.to_string(), "deadline_exceeded");
    /// ```
    pub fn client(code: Code, message: impl Into<String>) -> Self {
        Self::with_origin(code, message, Origin::Client)
    }

    fn with_origin(code: Code, message: impl Into<String>, origin: Origin) -> Self {
        Status(Box::new(Inner {
            code,
            message: message.into(),
            details: Vec::new(),
            headers: HeaderMap::new(),
            trailers: HeaderMap::new(),
            origin,
            kind: None,
            unsent: false,
            http_status: None,
            retry_after: None,
            source: None,
        }))
    }

    /// Returns the code.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Status};
    ///
    /// assert_eq!(Status::new(Code::Aborted, "conflict").code(), Code::Aborted);
    /// ```
    pub fn code(&self) -> Code {
        self.0.code
    }

    /// Returns the message, as the server or the client wrote it.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Status};
    ///
    /// assert_eq!(Status::new(Code::Aborted, "conflict").message(), "conflict");
    /// ```
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// Returns the typed details.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Detail, Status};
    /// use cwsandbox_control::rpc::RequestInfo;
    ///
    /// let info = RequestInfo { request_id: "r-1".into(), ..RequestInfo::default() };
    /// let status = Status::new(Code::Internal, "failed").with_detail(Detail::RequestInfo(info));
    /// assert_eq!(status.details().len(), 1);
    /// assert_eq!(status.details()[0].type_name(), "google.rpc.RequestInfo");
    /// ```
    pub fn details(&self) -> &[Detail] {
        &self.0.details
    }

    /// Returns the headers of the response that carried the error, without
    /// the Connect `trailer-` headers.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Status};
    /// use http::{HeaderMap, HeaderValue};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-request-id", HeaderValue::from_static("r-1"));
    /// let status = Status::new(Code::Internal, "failed").with_metadata(headers, HeaderMap::new());
    /// assert_eq!(status.headers()["x-request-id"], "r-1");
    /// ```
    pub fn headers(&self) -> &HeaderMap {
        &self.0.headers
    }

    /// Returns the trailers of the response that carried the error: Connect
    /// `trailer-` headers with the prefix removed, and HTTP trailers.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Status};
    /// use http::{HeaderMap, HeaderValue};
    ///
    /// let mut trailers = HeaderMap::new();
    /// trailers.insert("x-cost", HeaderValue::from_static("3"));
    /// let status = Status::new(Code::Internal, "failed").with_metadata(HeaderMap::new(), trailers);
    /// assert_eq!(status.trailers()["x-cost"], "3");
    /// ```
    pub fn trailers(&self) -> &HeaderMap {
        &self.0.trailers
    }

    /// Returns where the status came from.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Origin, Status};
    ///
    /// assert_eq!(Status::client(Code::Unavailable, "refused").origin(), Origin::Client);
    /// ```
    pub fn origin(&self) -> Origin {
        self.0.origin
    }

    /// Returns the HTTP status of the response, when there was one.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Status};
    /// use http::StatusCode;
    ///
    /// let status = Status::new(Code::NotFound, "gone").with_http_status(StatusCode::NOT_FOUND);
    /// assert_eq!(status.http_status(), Some(StatusCode::NOT_FOUND));
    /// assert_eq!(Status::client(Code::Unavailable, "refused").http_status(), None);
    /// ```
    pub fn http_status(&self) -> Option<http::StatusCode> {
        self.0.http_status
    }

    /// Returns the first `ErrorInfo` detail.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Detail, Status};
    /// use cwsandbox_control::rpc::ErrorInfo;
    ///
    /// let info = ErrorInfo { reason: "RUNNER_DELETING".into(), ..ErrorInfo::default() };
    /// let status = Status::new(Code::FailedPrecondition, "deleting").with_detail(Detail::ErrorInfo(info));
    /// assert_eq!(status.error_info().map(|info| info.reason.as_str()), Some("RUNNER_DELETING"));
    /// ```
    pub fn error_info(&self) -> Option<&rpc::ErrorInfo> {
        self.0.details.iter().find_map(|detail| match detail {
            Detail::ErrorInfo(info) => Some(info),
            _ => None,
        })
    }

    /// Returns how long the server asked the client to wait before a retry:
    /// the first valid `RetryInfo` detail, or else a `Retry-After` header in
    /// seconds on an HTTP 429 or 503 response.
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use cwsandbox_control::connect::{Channel, RetryPolicy};
    /// use cwsandbox_control::emulator::{Emulator, Fault};
    /// use cwsandbox_control::v1beta2::{GetRunnerRequest, RunnerManagementServiceClient};
    ///
    /// let fault = Fault {
    ///     unavailable_ratio: 1.0,
    ///     retry_delay: Duration::from_secs(2),
    ///     ..Fault::default()
    /// };
    /// let emulator = Emulator::builder().fault("GetRunner", fault).start().await?;
    /// let channel = Channel::builder(emulator.base_url())
    ///     .bearer_token(emulator.admin_token())
    ///     .retry_policy(RetryPolicy::none())
    ///     .build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    /// let status = client
    ///     .get_runner(GetRunnerRequest { id: "lab-west".into() })
    ///     .await
    ///     .unwrap_err();
    /// assert!(status.is_unavailable());
    /// assert_eq!(status.retry_delay(), Some(Duration::from_secs(2)));
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn retry_delay(&self) -> Option<Duration> {
        let from_detail = self.0.details.iter().find_map(|detail| match detail {
            Detail::RetryInfo(info) => {
                let delay = info.retry_delay.as_ref()?;
                let seconds = u64::try_from(delay.seconds).ok()?;
                let nanos = u32::try_from(delay.nanos).ok()?;
                (nanos < 1_000_000_000).then(|| Duration::new(seconds, nanos))
            }
            _ => None,
        });
        from_detail.or(self.0.retry_after)
    }

    /// Returns the first `BadRequest` detail.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Detail, Status};
    /// use cwsandbox_control::rpc::{BadRequest, bad_request::FieldViolation};
    ///
    /// let violation = FieldViolation {
    ///     field: "runner.identity.zone".into(),
    ///     description: "required".into(),
    ///     ..FieldViolation::default()
    /// };
    /// let detail = Detail::BadRequest(BadRequest { field_violations: vec![violation] });
    /// let status = Status::new(Code::InvalidArgument, "invalid runner").with_detail(detail);
    /// assert_eq!(status.bad_request().unwrap().field_violations[0].description, "required");
    /// ```
    pub fn bad_request(&self) -> Option<&rpc::BadRequest> {
        self.0.details.iter().find_map(|detail| match detail {
            Detail::BadRequest(info) => Some(info),
            _ => None,
        })
    }

    /// Returns true when a server (or a proxy in front of it) sent this status.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Status};
    ///
    /// assert!(Status::new(Code::NotFound, "gone").is_from_server());
    /// assert!(!Status::client(Code::NotFound, "gone").is_from_server());
    /// ```
    pub fn is_from_server(&self) -> bool {
        self.0.origin == Origin::Server
    }

    /// Returns true when the request provably never left the process, so
    /// sending it again cannot repeat a side effect. That is the case when
    /// the connection was refused, DNS or the TLS handshake failed, the
    /// request could not be encoded, an interceptor stopped it, the channel
    /// rejected it, or the deadline had passed before it was sent.
    ///
    /// False means the server may have received the request, even when the
    /// status is client-made (a timeout, a reset connection).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::{Channel, Code, RetryPolicy};
    /// use cwsandbox_control::v1beta2::{GetRunnerRequest, RunnerManagementServiceClient};
    ///
    /// // A port that nothing listens on refuses the connection.
    /// let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    /// let channel = Channel::builder(format!("http://127.0.0.1:{port}"))
    ///     .retry_policy(RetryPolicy::none())
    ///     .build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    /// let status = client
    ///     .get_runner(GetRunnerRequest { id: "lab-west".into() })
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(status.code(), Code::Unavailable);
    /// assert!(status.is_unsent(), "no connection, so the request never left");
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_unsent(&self) -> bool {
        self.0.unsent
    }

    /// Returns true when the call ran out of time, on the client or on the server.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Status};
    ///
    /// assert!(Status::new(Code::DeadlineExceeded, "server gave up").is_timeout());
    /// assert!(!Status::new(Code::Unavailable, "try again").is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        self.0.code == Code::DeadlineExceeded || self.0.kind == Some(ClientErrorKind::Timeout)
    }

    /// Returns true when no connection to the server could be made.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::{Channel, Code, RetryPolicy};
    /// use cwsandbox_control::v1beta2::{GetRunnerRequest, RunnerManagementServiceClient};
    ///
    /// // A port that nothing listens on refuses the connection.
    /// let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    /// let channel = Channel::builder(format!("http://127.0.0.1:{port}"))
    ///     .retry_policy(RetryPolicy::none())
    ///     .build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    /// let status = client
    ///     .get_runner(GetRunnerRequest { id: "lab-west".into() })
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(status.code(), Code::Unavailable);
    /// assert!(status.is_connect());
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_connect(&self) -> bool {
        self.0.kind == Some(ClientErrorKind::Connect)
    }

    /// Returns true when the connection failed before a complete response arrived.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::{Channel, Code, RetryPolicy};
    /// use cwsandbox_control::v1beta2::{GetRunnerRequest, RunnerManagementServiceClient};
    ///
    /// // A port that nothing listens on refuses the connection.
    /// let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    /// let channel = Channel::builder(format!("http://127.0.0.1:{port}"))
    ///     .retry_policy(RetryPolicy::none())
    ///     .build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    /// let status = client
    ///     .get_runner(GetRunnerRequest { id: "lab-west".into() })
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(status.code(), Code::Unavailable);
    /// assert!(status.is_transport(), "a failed connect is a transport failure too");
    /// assert!(!status.is_decode());
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_transport(&self) -> bool {
        matches!(
            self.0.kind,
            Some(ClientErrorKind::Connect | ClientErrorKind::Transport)
        )
    }

    /// Returns true when the response arrived but could not be decoded.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # /// Serves one canned HTTP/1.1 response on 127.0.0.1 and returns the URL.
    /// # async fn serve_once(response: &'static str) -> std::io::Result<String> {
    /// #     use tokio::io::{AsyncReadExt, AsyncWriteExt};
    /// #     let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// #     let url = format!("http://{}", listener.local_addr()?);
    /// #     tokio::spawn(async move {
    /// #         let (mut stream, _) = listener.accept().await.unwrap();
    /// #         let mut request = [0; 4096];
    /// #         let _ = stream.read(&mut request).await;
    /// #         stream.write_all(response.as_bytes()).await.unwrap();
    /// #     });
    /// #     Ok(url)
    /// # }
    /// use cwsandbox_control::connect::{Channel, Code};
    /// use cwsandbox_control::v1beta2::{GetRunnerRequest, RunnerManagementServiceClient};
    ///
    /// let url = serve_once(
    ///     "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5\r\n\r\n{oops",
    /// )
    /// .await?;
    /// let client = RunnerManagementServiceClient::new(Channel::builder(url).build()?);
    /// let status = client
    ///     .get_runner(GetRunnerRequest { id: "lab-west".into() })
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(status.code(), Code::Internal);
    /// assert!(status.is_decode());
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_decode(&self) -> bool {
        self.0.kind == Some(ClientErrorKind::Decode)
    }

    /// Returns true when the response passed the channel's size or JSON
    /// nesting limit.
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::{Channel, Code};
    /// use cwsandbox_control::emulator::Emulator;
    /// use cwsandbox_control::v1beta2::{ListProfileTemplatesRequest, RunnerManagementServiceClient};
    ///
    /// let emulator = Emulator::start().await?;
    /// let channel = Channel::builder(emulator.base_url())
    ///     .bearer_token(emulator.admin_token())
    ///     .max_response_size(1)
    ///     .build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    /// let request = ListProfileTemplatesRequest::default();
    /// let status = client.list_profile_templates(request).await.unwrap_err();
    /// assert_eq!(status.code(), Code::ResourceExhausted);
    /// assert!(status.is_too_large());
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn is_too_large(&self) -> bool {
        self.0.kind == Some(ClientErrorKind::TooLarge)
    }

    /// Returns true when the server responded with a redirect (HTTP 3xx).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # /// Serves one canned HTTP/1.1 response on 127.0.0.1 and returns the URL.
    /// # async fn serve_once(response: &'static str) -> std::io::Result<String> {
    /// #     use tokio::io::{AsyncReadExt, AsyncWriteExt};
    /// #     let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// #     let url = format!("http://{}", listener.local_addr()?);
    /// #     tokio::spawn(async move {
    /// #         let (mut stream, _) = listener.accept().await.unwrap();
    /// #         let mut request = [0; 4096];
    /// #         let _ = stream.read(&mut request).await;
    /// #         stream.write_all(response.as_bytes()).await.unwrap();
    /// #     });
    /// #     Ok(url)
    /// # }
    /// use cwsandbox_control::connect::{Channel, Code};
    /// use cwsandbox_control::v1beta2::{GetRunnerRequest, RunnerManagementServiceClient};
    ///
    /// let url = serve_once(
    ///     "HTTP/1.1 307 Temporary Redirect\r\nlocation: /elsewhere\r\ncontent-length: 0\r\n\r\n",
    /// )
    /// .await?;
    /// let client = RunnerManagementServiceClient::new(Channel::builder(url).build()?);
    /// let status = client
    ///     .get_runner(GetRunnerRequest { id: "lab-west".into() })
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(status.code(), Code::Unknown);
    /// assert!(status.is_redirect());
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_redirect(&self) -> bool {
        self.0.kind == Some(ClientErrorKind::Redirect)
    }

    /// Returns true when the resource does not exist.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Status};
    ///
    /// assert!(Status::new(Code::NotFound, "gone").is_not_found());
    /// assert!(!Status::new(Code::PermissionDenied, "hidden").is_not_found());
    /// ```
    pub fn is_not_found(&self) -> bool {
        self.0.code == Code::NotFound
    }

    /// Returns true when the resource already exists.
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::Channel;
    /// use cwsandbox_control::emulator::Emulator;
    /// use cwsandbox_control::v1beta2::{
    ///     CreateProfileTemplateRequest, ProfileSpec, ProfileTemplate, RunnerManagementServiceClient,
    /// };
    ///
    /// let emulator = Emulator::start().await?;
    /// let channel = Channel::builder(emulator.base_url())
    ///     .bearer_token(emulator.admin_token())
    ///     .build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    /// let template = ProfileTemplate {
    ///     display_name: "agents".to_string(),
    ///     spec: Some(ProfileSpec::default()),
    ///     ..ProfileTemplate::default()
    /// };
    /// let request = CreateProfileTemplateRequest { profile_template: Some(template) };
    /// client.create_profile_template(request.clone()).await?;
    /// let status = client.create_profile_template(request).await.unwrap_err();
    /// assert!(status.is_already_exists());
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn is_already_exists(&self) -> bool {
        self.0.code == Code::AlreadyExists
    }

    /// Returns true when the service is temporarily unavailable.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Status};
    ///
    /// assert!(Status::new(Code::Unavailable, "try again").is_unavailable());
    /// ```
    pub fn is_unavailable(&self) -> bool {
        self.0.code == Code::Unavailable
    }

    /// Adds a detail.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Detail, Status};
    /// use cwsandbox_control::rpc::Help;
    ///
    /// let status = Status::new(Code::FailedPrecondition, "quota")
    ///     .with_detail(Detail::Help(Help::default()))
    ///     .with_detail(Detail::Help(Help::default()));
    /// assert_eq!(status.details().len(), 2);
    /// ```
    pub fn with_detail(mut self, detail: Detail) -> Self {
        self.0.details.push(detail);
        self
    }

    /// Replaces the details.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Detail, Status};
    /// use cwsandbox_control::rpc::Help;
    ///
    /// let status = Status::new(Code::FailedPrecondition, "quota")
    ///     .with_detail(Detail::Help(Help::default()))
    ///     .with_details(Vec::new());
    /// assert!(status.details().is_empty());
    /// ```
    pub fn with_details(mut self, details: Vec<Detail>) -> Self {
        self.0.details = details;
        self
    }

    /// Sets the response metadata.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Status};
    /// use http::{HeaderMap, HeaderValue};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("retry-after", HeaderValue::from_static("1"));
    /// let status = Status::new(Code::Unavailable, "busy").with_metadata(headers, HeaderMap::new());
    /// assert_eq!(status.headers()["retry-after"], "1");
    /// assert!(status.trailers().is_empty());
    /// ```
    pub fn with_metadata(mut self, headers: HeaderMap, trailers: HeaderMap) -> Self {
        self.0.headers = headers;
        self.0.trailers = trailers;
        self
    }

    /// Sets the HTTP status of the response.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Status};
    ///
    /// let status = Status::new(Code::Unavailable, "busy")
    ///     .with_http_status(http::StatusCode::SERVICE_UNAVAILABLE);
    /// assert_eq!(status.http_status().map(|status| status.as_u16()), Some(503));
    /// ```
    pub fn with_http_status(mut self, status: http::StatusCode) -> Self {
        self.0.http_status = Some(status);
        self
    }

    /// Sets the underlying error.
    ///
    /// ```
    /// use std::error::Error as _;
    /// use cwsandbox_control::connect::{Code, Status};
    ///
    /// let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
    /// let status = Status::client(Code::Unavailable, "connection lost").with_source(io);
    /// assert_eq!(status.source().unwrap().to_string(), "reset by peer");
    /// ```
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.0.source = Some(Arc::from(source.into()));
        self
    }

    /// Marks the request as provably never sent, see [`Status::is_unsent`].
    /// Stubs and test doubles use this to imitate connection failures.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Status};
    ///
    /// let status = Status::client(Code::Unavailable, "connection refused").unsent();
    /// assert!(status.is_unsent());
    /// ```
    pub fn unsent(mut self) -> Self {
        self.0.unsent = true;
        self
    }

    pub(crate) fn with_kind(mut self, kind: ClientErrorKind) -> Self {
        self.0.kind = Some(kind);
        self.0.unsent = matches!(
            kind,
            ClientErrorKind::Connect
                | ClientErrorKind::Encode
                | ClientErrorKind::Refused
                | ClientErrorKind::Interceptor
        );
        self
    }

    pub(crate) fn with_retry_after(mut self, delay: Option<Duration>) -> Self {
        self.0.retry_after = delay;
        self
    }
}

impl fmt::Debug for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Status")
            .field("code", &self.0.code)
            .field("message", &self.0.message)
            .field("details", &self.0.details)
            .field("origin", &self.0.origin)
            .field("unsent", &self.0.unsent)
            .field("http_status", &self.0.http_status)
            .field("source", &self.0.source)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.message.is_empty() {
            write!(f, "{}", self.0.code)
        } else {
            write!(f, "{}: {}", self.0.code, self.0.message)
        }
    }
}

impl std::error::Error for Status {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wkt;

    #[test]
    fn retry_info_wins_over_retry_after() {
        let info = rpc::RetryInfo {
            retry_delay: Some(wkt::Duration {
                seconds: 1,
                nanos: 500_000_000,
            }),
        };
        let status = Status::new(Code::Unavailable, "busy")
            .with_retry_after(Some(Duration::from_secs(9)))
            .with_detail(Detail::RetryInfo(info));
        assert_eq!(status.retry_delay(), Some(Duration::from_millis(1500)));
    }

    #[test]
    fn retry_after_applies_without_retry_info() {
        let status =
            Status::new(Code::Unavailable, "busy").with_retry_after(Some(Duration::from_secs(9)));
        assert_eq!(status.retry_delay(), Some(Duration::from_secs(9)));
    }

    #[test]
    fn negative_retry_delay_is_ignored() {
        let info = rpc::RetryInfo {
            retry_delay: Some(wkt::Duration {
                seconds: -1,
                nanos: 0,
            }),
        };
        let status = Status::new(Code::Unavailable, "").with_detail(Detail::RetryInfo(info));
        assert_eq!(status.retry_delay(), None);
    }

    #[test]
    fn connect_errors_are_unsent() {
        let status =
            Status::client(Code::Unavailable, "refused").with_kind(ClientErrorKind::Connect);
        assert!(status.is_unsent());
        assert!(status.is_connect());
        let status =
            Status::client(Code::Unavailable, "reset").with_kind(ClientErrorKind::Transport);
        assert!(!status.is_unsent());
        assert!(status.is_transport());
    }

    #[test]
    fn display_is_code_and_message() {
        assert_eq!(
            Status::new(Code::NotFound, "no runner").to_string(),
            "not_found: no runner"
        );
        assert_eq!(Status::new(Code::Internal, "").to_string(), "internal");
    }

    #[test]
    fn source_chain_reaches_the_cause() {
        use std::error::Error as _;
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let status = Status::client(Code::Unavailable, "connect failed").with_source(io);
        let source = status.source().unwrap();
        assert_eq!(source.to_string(), "refused");
    }
}
