//! Configuration of a [`Channel`]: endpoint, protocol, HTTP version, TLS,
//! credentials and limits.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, Uri};

use super::channel::{Channel, ChannelConfig};
use super::codec::Codec;
use super::error_body::Protocol;
use super::interceptor::Interceptor;
use super::retry::{RetryBudget, RetryPolicy};
use super::token::SecretToken;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Default maximum size of a response body, compressed and decompressed: 4 MiB.
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 4 * 1024 * 1024;
/// Default maximum nesting depth of response JSON: 128, the depth at which
/// serde_json stops parsing, so the default adds no pass over the body.
pub const DEFAULT_MAX_JSON_DEPTH: usize = 128;
/// Default maximum size of the response header list: 64 KiB.
pub const DEFAULT_MAX_HEADER_LIST_SIZE: u32 = 64 * 1024;
/// Default size above which Connect request bodies are gzipped: 1 KiB.
pub const DEFAULT_COMPRESSION_THRESHOLD: usize = 1024;
/// Default maximum URL length of a Connect GET; longer requests use POST: 8 KiB.
pub const DEFAULT_MAX_GET_URL_LENGTH: usize = 8 * 1024;
/// Default time allowed to open a TCP connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for a whole call.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The HTTP versions a channel uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
///
/// ```
/// # #[cfg(feature = "emulator")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use cwsandbox_control::connect::{Channel, HttpVersion, Request, Response};
/// use cwsandbox_control::emulator::Emulator;
/// use cwsandbox_control::v1beta2::runner_management_service::LIST_PROFILE_TEMPLATES;
/// use cwsandbox_control::v1beta2::{ListProfileTemplatesRequest, ListProfileTemplatesResponse};
///
/// let emulator = Emulator::start().await?;
/// for (version, wire) in [
///     (HttpVersion::Auto, http::Version::HTTP_11),
///     (HttpVersion::Http1Only, http::Version::HTTP_11),
///     (HttpVersion::Http2PriorKnowledge, http::Version::HTTP_2),
/// ] {
///     let channel = Channel::builder(emulator.base_url())
///         .bearer_token(emulator.admin_token())
///         .http_version(version)
///         .build()?;
///     let request = Request::new(ListProfileTemplatesRequest::default());
///     let response: Response<ListProfileTemplatesResponse> =
///         channel.unary(&LIST_PROFILE_TEMPLATES, request).await?;
///     assert_eq!(response.http_version(), wire, "{version:?}");
/// }
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "emulator"))]
/// # fn main() {}
/// ```
pub enum HttpVersion {
    /// HTTP/2 or HTTP/1.1 as ALPN decides over TLS; HTTP/1.1 over cleartext.
    #[default]
    Auto,
    /// HTTP/1.1 only.
    Http1Only,
    /// HTTP/2 only: over cleartext with prior knowledge (h2c), over TLS with
    /// ALPN offering only `h2`.
    Http2PriorKnowledge,
}

/// The error of [`ChannelBuilder::build`]: an invalid endpoint, option or
/// certificate.
///
/// ```
/// use cwsandbox_control::connect::Channel;
///
/// let error = Channel::builder("127.0.0.1:8080").build().unwrap_err();
/// assert!(error.to_string().contains("has no scheme"), "{error}");
///
/// let error = Channel::builder("http://127.0.0.1:8080/?region=west").build().unwrap_err();
/// assert!(error.to_string().contains("has a query"), "{error}");
/// ```
pub struct BuildError {
    message: String,
    source: Option<BoxError>,
}

impl BuildError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        BuildError {
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }
}

impl fmt::Debug for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuildError")
            .field("message", &self.message)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

/// Builds a [`Channel`]. Create one with [`Channel::builder`].
///
/// ```
/// use std::time::Duration;
/// use cwsandbox_control::connect::{Channel, Codec, Protocol};
///
/// let channel = Channel::builder("http://127.0.0.1:8080")
///     .protocol(Protocol::Connect)
///     .codec(Codec::Proto)
///     .http2_prior_knowledge()
///     .default_timeout(Duration::from_secs(5))
///     .build()?;
/// # Ok::<(), cwsandbox_control::connect::BuildError>(())
/// ```
#[derive(Clone)]
pub struct ChannelBuilder {
    endpoint: String,
    protocol: Protocol,
    codec: Codec,
    http_version: HttpVersion,
    token: Option<SecretToken>,
    allow_plaintext_token: bool,
    connect_timeout: Duration,
    default_timeout: Option<Duration>,
    max_response_size: usize,
    max_json_depth: usize,
    max_header_list_size: u32,
    compression_threshold: Option<usize>,
    connect_get: bool,
    max_get_url_length: usize,
    extra_roots_pem: Vec<Vec<u8>>,
    default_headers: HeaderMap,
    interceptors: Vec<Arc<dyn Interceptor>>,
    retry_policy: RetryPolicy,
    retry_budget: Option<Arc<RetryBudget>>,
}

impl fmt::Debug for ChannelBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelBuilder")
            .field("endpoint", &self.endpoint)
            .field("protocol", &self.protocol)
            .field("codec", &self.codec)
            .field("http_version", &self.http_version)
            .field("token", &self.token)
            .field("default_timeout", &self.default_timeout)
            .field("interceptors", &self.interceptors.len())
            .finish_non_exhaustive()
    }
}

impl ChannelBuilder {
    pub(crate) fn new(endpoint: impl Into<String>) -> Self {
        ChannelBuilder {
            endpoint: endpoint.into(),
            protocol: Protocol::Rest,
            codec: Codec::Json,
            http_version: HttpVersion::Auto,
            token: None,
            allow_plaintext_token: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            default_timeout: Some(DEFAULT_CALL_TIMEOUT),
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            max_json_depth: DEFAULT_MAX_JSON_DEPTH,
            max_header_list_size: DEFAULT_MAX_HEADER_LIST_SIZE,
            compression_threshold: Some(DEFAULT_COMPRESSION_THRESHOLD),
            connect_get: false,
            max_get_url_length: DEFAULT_MAX_GET_URL_LENGTH,
            extra_roots_pem: Vec::new(),
            default_headers: HeaderMap::new(),
            interceptors: Vec::new(),
            retry_policy: RetryPolicy::default(),
            retry_budget: Some(Arc::new(RetryBudget::default())),
        }
    }

    /// Sets the wire protocol. Default: [`Protocol::Rest`].
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::{Channel, Protocol};
    /// use cwsandbox_control::emulator::Emulator;
    /// use cwsandbox_control::v1beta2::RunnerManagementServiceClient;
    /// use cwsandbox_control::v1beta2::ListProfileTemplatesRequest;
    /// # use std::sync::{Arc, Mutex};
    /// # use cwsandbox_control::connect::{Interceptor, MethodDescriptor, Status};
    /// # /// Records the method and path of every request.
    /// # #[derive(Clone, Default)]
    /// # struct Paths(Arc<Mutex<Vec<String>>>);
    /// # impl Interceptor for Paths {
    /// #     fn before(&self, _: &MethodDescriptor, request: &mut http::request::Parts) -> Result<(), Status> {
    /// #         let line = format!("{} {}", request.method, request.uri.path());
    /// #         self.0.lock().unwrap().push(line);
    /// #         Ok(())
    /// #     }
    /// # }
    ///
    /// let emulator = Emulator::start().await?;
    /// let paths = Paths::default();
    /// let channel = Channel::builder(emulator.base_url())
    ///     .bearer_token(emulator.admin_token())
    ///     .protocol(Protocol::Connect)
    ///     .interceptor(paths.clone())
    ///     .build()?;
    /// assert_eq!(channel.protocol(), Protocol::Connect);
    ///
    /// let client = RunnerManagementServiceClient::new(channel);
    /// client.list_profile_templates(ListProfileTemplatesRequest::default()).await?;
    /// assert_eq!(
    ///     paths.0.lock().unwrap()[0],
    ///     "POST /coreweave.sandbox.v1beta2.RunnerManagementService/ListProfileTemplates"
    /// );
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// Sets the codec of Connect calls. Default: [`Codec::Json`]. REST calls
    /// always use JSON.
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::{Channel, Codec, Protocol, Request, Response};
    /// use cwsandbox_control::emulator::Emulator;
    /// use cwsandbox_control::v1beta2::runner_management_service::LIST_PROFILE_TEMPLATES;
    /// use cwsandbox_control::v1beta2::{ListProfileTemplatesRequest, ListProfileTemplatesResponse};
    ///
    /// let emulator = Emulator::start().await?;
    /// let channel = Channel::builder(emulator.base_url())
    ///     .bearer_token(emulator.admin_token())
    ///     .protocol(Protocol::Connect)
    ///     .codec(Codec::Proto)
    ///     .build()?;
    /// let request = Request::new(ListProfileTemplatesRequest::default());
    /// let response: Response<ListProfileTemplatesResponse> =
    ///     channel.unary(&LIST_PROFILE_TEMPLATES, request).await?;
    /// assert_eq!(response.headers()["content-type"], "application/proto");
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn codec(mut self, codec: Codec) -> Self {
        self.codec = codec;
        self
    }

    /// Sets the HTTP versions the channel uses. Default: [`HttpVersion::Auto`].
    ///
    /// ```
    /// use cwsandbox_control::connect::{Channel, HttpVersion};
    ///
    /// let channel = Channel::builder("http://127.0.0.1:8080")
    ///     .http_version(HttpVersion::Http1Only)
    ///     .build()?;
    /// assert!(format!("{channel:?}").contains("Http1Only"));
    /// # Ok::<(), cwsandbox_control::connect::BuildError>(())
    /// ```
    pub fn http_version(mut self, version: HttpVersion) -> Self {
        self.http_version = version;
        self
    }

    /// Uses HTTP/1.1 only.
    ///
    /// ```
    /// use cwsandbox_control::connect::Channel;
    ///
    /// let channel = Channel::builder("http://127.0.0.1:8080").http1_only().build()?;
    /// assert!(format!("{channel:?}").contains("Http1Only"));
    /// # Ok::<(), cwsandbox_control::connect::BuildError>(())
    /// ```
    pub fn http1_only(self) -> Self {
        self.http_version(HttpVersion::Http1Only)
    }

    /// Uses HTTP/2 only, with prior knowledge over cleartext (h2c).
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
    /// // The emulator serves HTTP/1.1 and h2c on one port.
    /// let emulator = Emulator::start().await?;
    /// let channel = Channel::builder(emulator.base_url())
    ///     .bearer_token(emulator.admin_token())
    ///     .http2_prior_knowledge()
    ///     .build()?;
    /// let request = Request::new(ListProfileTemplatesRequest::default());
    /// let response: Response<ListProfileTemplatesResponse> =
    ///     channel.unary(&LIST_PROFILE_TEMPLATES, request).await?;
    /// assert_eq!(response.http_version(), http::Version::HTTP_2);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn http2_prior_knowledge(self) -> Self {
        self.http_version(HttpVersion::Http2PriorKnowledge)
    }

    /// Sends `Authorization: Bearer <token>` with every call.
    ///
    /// Over plain `http://` the token is only sent to a loopback host
    /// (127.0.0.0/8, ::1, `localhost`) unless
    /// [`allow_plaintext_token`](Self::allow_plaintext_token) is set.
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
    ///     .build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    /// client.list_profile_templates(ListProfileTemplatesRequest::default()).await?;
    ///
    /// // Without a token the emulator rejects the call.
    /// let anonymous = RunnerManagementServiceClient::new(Channel::builder(emulator.base_url()).build()?);
    /// let status = anonymous
    ///     .list_profile_templates(ListProfileTemplatesRequest::default())
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(status.code(), Code::Unauthenticated);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn bearer_token(mut self, token: impl Into<SecretToken>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Allows sending a bearer token over plain HTTP to a host that is not
    /// loopback, where anyone on the path can read it. Default: false.
    ///
    /// ```
    /// use cwsandbox_control::connect::Channel;
    ///
    /// // No connection is opened: build only checks where the token would go.
    /// let endpoint = "http://gateway.example.invalid:8080";
    /// let error = Channel::builder(endpoint).bearer_token("token").build().unwrap_err();
    /// assert!(error.to_string().contains("plain HTTP"), "{error}");
    /// assert!(!error.to_string().contains("token\""), "the token is never echoed");
    ///
    /// let channel = Channel::builder(endpoint)
    ///     .bearer_token("token")
    ///     .allow_plaintext_token(true)
    ///     .build();
    /// assert!(channel.is_ok());
    /// ```
    pub fn allow_plaintext_token(mut self, allow: bool) -> Self {
        self.allow_plaintext_token = allow;
        self
    }

    /// Sets the time allowed to open a TCP connection. Default: 10 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cwsandbox_control::connect::{Channel, RetryPolicy};
    /// use cwsandbox_control::v1beta2::{GetRunnerRequest, RunnerManagementServiceClient};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // A port that nothing listens on refuses the connection at once.
    /// let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    /// let channel = Channel::builder(format!("http://127.0.0.1:{port}"))
    ///     .connect_timeout(Duration::from_secs(2))
    ///     .retry_policy(RetryPolicy::none())
    ///     .build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    /// let status = client
    ///     .get_runner(GetRunnerRequest { id: "lab-west".into() })
    ///     .await
    ///     .unwrap_err();
    /// assert!(status.is_connect());
    /// assert!(status.is_unsent());
    /// # Ok(())
    /// # }
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the time allowed for a call that sets no timeout of its own,
    /// from sending the request to reading the last byte of the response.
    /// Default: 30 s.
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use cwsandbox_control::connect::{Channel, Code, RetryPolicy};
    /// use cwsandbox_control::emulator::{Emulator, Fault};
    /// use cwsandbox_control::v1beta2::{GetRunnerRequest, RunnerManagementServiceClient};
    ///
    /// // Every GetRunner call waits 60 s in the emulator before it is handled.
    /// let slow = Fault { delay: Duration::from_secs(60), ..Fault::default() };
    /// let emulator = Emulator::builder().fault("GetRunner", slow).start().await?;
    /// let channel = Channel::builder(emulator.base_url())
    ///     .bearer_token(emulator.admin_token())
    ///     .default_timeout(Duration::from_millis(50))
    ///     .retry_policy(RetryPolicy::none())
    ///     .build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    /// let status = client
    ///     .get_runner(GetRunnerRequest { id: "lab-west".into() })
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(status.code(), Code::DeadlineExceeded);
    /// assert!(status.is_timeout());
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn default_timeout(mut self, timeout: Duration) -> Self {
        self.default_timeout = Some(timeout);
        self
    }

    /// Lets calls without a timeout of their own wait for as long as the
    /// server takes.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cwsandbox_control::connect::{Channel, Request};
    /// use cwsandbox_control::v1beta2::{GetRunnerRequest, RunnerManagementServiceClient};
    ///
    /// // Calls wait for as long as the server takes, unless they set a timeout of their own.
    /// let channel = Channel::builder("http://127.0.0.1:8080").no_default_timeout().build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    /// let request = Request::new(GetRunnerRequest { id: "lab-west".into() })
    ///     .with_timeout(Duration::from_secs(5));
    /// assert_eq!(request.options().timeout, Some(Duration::from_secs(5)));
    /// # let _ = (client, request);
    /// # Ok::<(), cwsandbox_control::connect::BuildError>(())
    /// ```
    pub fn no_default_timeout(mut self) -> Self {
        self.default_timeout = None;
        self
    }

    /// Sets the maximum size in bytes of a response body, applied to the
    /// body as received and again after decompression. Default: 4 MiB.
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
    /// let status = client
    ///     .list_profile_templates(ListProfileTemplatesRequest::default())
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(status.code(), Code::ResourceExhausted);
    /// assert!(status.is_too_large());
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// Sets the maximum nesting depth of response JSON. Default: 128. A
    /// value below 128 adds a scan of each JSON body before it is parsed,
    /// which counts every level, unknown fields included. Without the scan,
    /// serde_json stops at 128 levels of the values it builds (error
    /// details, `Any` contents), and skips an unknown field of any depth
    /// without recursion. A value above 128 has the same effect as 128.
    ///
    /// ```
    /// use cwsandbox_control::connect::Channel;
    ///
    /// let channel = Channel::builder("http://127.0.0.1:8080").max_json_depth(16).build();
    /// assert!(channel.is_ok());
    ///
    /// let error = Channel::builder("http://127.0.0.1:8080").max_json_depth(0).build().unwrap_err();
    /// assert_eq!(error.to_string(), "max_json_depth must be at least 1");
    /// ```
    pub fn max_json_depth(mut self, depth: usize) -> Self {
        self.max_json_depth = depth;
        self
    }

    /// Sets the maximum size in bytes of the response header list, counted as
    /// HTTP/2 counts it: names, values and 32 bytes per field. Default: 64 KiB.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Channel, DEFAULT_MAX_HEADER_LIST_SIZE};
    ///
    /// let channel = Channel::builder("http://127.0.0.1:8080")
    ///     .max_response_header_list_size(2 * DEFAULT_MAX_HEADER_LIST_SIZE)
    ///     .build();
    /// assert!(channel.is_ok());
    /// ```
    pub fn max_response_header_list_size(mut self, bytes: u32) -> Self {
        self.max_header_list_size = bytes;
        self
    }

    /// Gzips Connect request messages larger than `bytes`, or sends every
    /// request uncompressed with `None`. Default: 1 KiB. Responses are
    /// always requested with `Accept-Encoding: gzip`.
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::{Channel, Protocol};
    /// use cwsandbox_control::emulator::Emulator;
    /// use cwsandbox_control::v1beta2::{
    ///     CreateProfileTemplateRequest, ProfileSpec, ProfileTemplate, RunnerManagementServiceClient,
    /// };
    /// # use std::sync::{Arc, Mutex};
    /// # use cwsandbox_control::connect::{Interceptor, MethodDescriptor, Status};
    /// # /// Records the Content-Encoding of every request.
    /// # #[derive(Clone, Default)]
    /// # struct Encodings(Arc<Mutex<Vec<Option<String>>>>);
    /// # impl Interceptor for Encodings {
    /// #     fn before(&self, _: &MethodDescriptor, request: &mut http::request::Parts) -> Result<(), Status> {
    /// #         let encoding = request.headers.get("content-encoding");
    /// #         let encoding = encoding.map(|value| value.to_str().unwrap().to_string());
    /// #         self.0.lock().unwrap().push(encoding);
    /// #         Ok(())
    /// #     }
    /// # }
    ///
    /// let emulator = Emulator::start().await?;
    /// let encodings = Encodings::default();
    /// let channel = Channel::builder(emulator.base_url())
    ///     .bearer_token(emulator.admin_token())
    ///     .protocol(Protocol::Connect)
    ///     .request_compression_threshold(Some(16))
    ///     .interceptor(encodings.clone())
    ///     .build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    /// let template = ProfileTemplate {
    ///     display_name: "agents-with-a-long-name".to_string(),
    ///     spec: Some(ProfileSpec::default()),
    ///     ..ProfileTemplate::default()
    /// };
    /// let request = CreateProfileTemplateRequest { profile_template: Some(template) };
    /// client.create_profile_template(request).await?;
    /// assert_eq!(encodings.0.lock().unwrap()[0].as_deref(), Some("gzip"));
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn request_compression_threshold(mut self, bytes: Option<usize>) -> Self {
        self.compression_threshold = bytes;
        self
    }

    /// Sends Connect calls of side-effect-free methods as HTTP GET, which
    /// caches and proxies can serve. Default: false.
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::{Channel, Protocol};
    /// use cwsandbox_control::emulator::Emulator;
    /// use cwsandbox_control::v1beta2::{ListProfileTemplatesRequest, RunnerManagementServiceClient};
    /// # use std::sync::{Arc, Mutex};
    /// # use cwsandbox_control::connect::{Interceptor, MethodDescriptor, Status};
    /// # /// Records the HTTP method of every request.
    /// # #[derive(Clone, Default)]
    /// # struct Methods(Arc<Mutex<Vec<http::Method>>>);
    /// # impl Interceptor for Methods {
    /// #     fn before(&self, _: &MethodDescriptor, request: &mut http::request::Parts) -> Result<(), Status> {
    /// #         self.0.lock().unwrap().push(request.method.clone());
    /// #         Ok(())
    /// #     }
    /// # }
    ///
    /// let emulator = Emulator::start().await?;
    /// let methods = Methods::default();
    /// let channel = Channel::builder(emulator.base_url())
    ///     .bearer_token(emulator.admin_token())
    ///     .protocol(Protocol::Connect)
    ///     .connect_get(true)
    ///     .interceptor(methods.clone())
    ///     .build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    /// client.list_profile_templates(ListProfileTemplatesRequest::default()).await?;
    /// assert_eq!(methods.0.lock().unwrap()[0], http::Method::GET);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn connect_get(mut self, enabled: bool) -> Self {
        self.connect_get = enabled;
        self
    }

    /// Sets the maximum URL length of a Connect GET; a longer request is sent
    /// as POST. Default: 8 KiB.
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::{Channel, Protocol};
    /// use cwsandbox_control::emulator::Emulator;
    /// use cwsandbox_control::v1beta2::{ListProfileTemplatesRequest, RunnerManagementServiceClient};
    /// # use std::sync::{Arc, Mutex};
    /// # use cwsandbox_control::connect::{Interceptor, MethodDescriptor, Status};
    /// # /// Records the HTTP method of every request.
    /// # #[derive(Clone, Default)]
    /// # struct Methods(Arc<Mutex<Vec<http::Method>>>);
    /// # impl Interceptor for Methods {
    /// #     fn before(&self, _: &MethodDescriptor, request: &mut http::request::Parts) -> Result<(), Status> {
    /// #         self.0.lock().unwrap().push(request.method.clone());
    /// #         Ok(())
    /// #     }
    /// # }
    ///
    /// let emulator = Emulator::start().await?;
    /// let methods = Methods::default();
    /// let channel = Channel::builder(emulator.base_url())
    ///     .bearer_token(emulator.admin_token())
    ///     .protocol(Protocol::Connect)
    ///     .connect_get(true)
    ///     .max_get_url_length(16)
    ///     .interceptor(methods.clone())
    ///     .build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    /// client.list_profile_templates(ListProfileTemplatesRequest::default()).await?;
    /// // The GET URL would be longer than 16 bytes, so the call went as POST.
    /// assert_eq!(methods.0.lock().unwrap()[0], http::Method::POST);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn max_get_url_length(mut self, bytes: usize) -> Self {
        self.max_get_url_length = bytes;
        self
    }

    /// Trusts the CA certificates of a PEM bundle, in addition to the
    /// built-in roots.
    ///
    /// ```
    /// use cwsandbox_control::connect::Channel;
    ///
    /// let error = Channel::builder("https://api.example.invalid")
    ///     .add_root_certificate_pem("not a certificate")
    ///     .build()
    ///     .unwrap_err();
    /// assert!(error.to_string().contains("CERTIFICATE"), "{error}");
    /// ```
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_roots_pem.push(pem.into());
        self
    }

    /// Sets the retry policy of every call; a call's own policy takes precedence.
    /// The default is [`RetryPolicy::default`].
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use cwsandbox_control::connect::{Channel, Code, RetryPolicy};
    /// use cwsandbox_control::emulator::{Emulator, Fault};
    /// use cwsandbox_control::v1beta2::{GetRunnerRequest, RunnerManagementServiceClient};
    ///
    /// // Every GetRunner call fails with UNAVAILABLE.
    /// let down = Fault { unavailable_ratio: 1.0, ..Fault::default() };
    /// let emulator = Emulator::builder().fault("GetRunner", down).start().await?;
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
    /// let status = client
    ///     .get_runner(GetRunnerRequest { id: "lab-west".into() })
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(status.code(), Code::Unavailable);
    /// assert_eq!(emulator.request_count("GetRunner"), 3);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = policy;
        self
    }

    /// Sets the retry budget shared by the channel's calls; `None` removes the
    /// limit. The default is [`RetryBudget::default`].
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use cwsandbox_control::connect::{Channel, RetryBudget, RetryPolicy};
    /// use cwsandbox_control::emulator::{Emulator, Fault};
    /// use cwsandbox_control::v1beta2::{GetRunnerRequest, RunnerManagementServiceClient};
    ///
    /// let down = Fault { unavailable_ratio: 1.0, ..Fault::default() };
    /// let emulator = Emulator::builder().fault("GetRunner", down).start().await?;
    /// // Retries stop once half of the 4 tokens are gone.
    /// let budget = Arc::new(RetryBudget::new(4, 0.1));
    /// let channel = Channel::builder(emulator.base_url())
    ///     .bearer_token(emulator.admin_token())
    ///     .retry_policy(RetryPolicy { initial_backoff: Duration::from_millis(1), ..RetryPolicy::default() })
    ///     .retry_budget(Some(budget.clone()))
    ///     .build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    /// let request = GetRunnerRequest { id: "lab-west".into() };
    /// assert!(client.get_runner(request).await.is_err());
    /// assert_eq!(emulator.request_count("GetRunner"), 2);
    /// assert_eq!(budget.tokens(), 2);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn retry_budget(mut self, budget: Option<Arc<RetryBudget>>) -> Self {
        self.retry_budget = budget;
        self
    }

    /// Adds a header to every request.
    ///
    /// ```
    /// use cwsandbox_control::connect::Channel;
    /// use http::{HeaderName, HeaderValue};
    ///
    /// let channel = Channel::builder("http://127.0.0.1:8080")
    ///     .default_header(HeaderName::from_static("x-team"), HeaderValue::from_static("infra"))
    ///     .build();
    /// assert!(channel.is_ok());
    ///
    /// // Headers that the channel writes itself are rejected.
    /// let error = Channel::builder("http://127.0.0.1:8080")
    ///     .default_header(http::header::CONTENT_TYPE, HeaderValue::from_static("text/plain"))
    ///     .build()
    ///     .unwrap_err();
    /// assert!(error.to_string().contains("content-type"), "{error}");
    /// ```
    pub fn default_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.default_headers.append(name, value);
        self
    }

    /// Registers an interceptor. Interceptors run in registration order.
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::{Arc, Mutex};
    /// use cwsandbox_control::connect::{
    ///     CallOutcome, Channel, Code, Interceptor, MethodDescriptor, RetryPolicy,
    /// };
    /// use cwsandbox_control::emulator::{Emulator, Fault};
    /// use cwsandbox_control::v1beta2::{GetRunnerRequest, RunnerManagementServiceClient};
    ///
    /// /// Collects the code of every attempt.
    /// #[derive(Clone, Default)]
    /// struct Codes(Arc<Mutex<Vec<Option<Code>>>>);
    ///
    /// impl Interceptor for Codes {
    ///     fn after(&self, _: &MethodDescriptor, outcome: &CallOutcome<'_>) {
    ///         self.0.lock().unwrap().push(outcome.code());
    ///     }
    /// }
    ///
    /// let emulator = Emulator::start().await?;
    /// let codes = Codes::default();
    /// let channel = Channel::builder(emulator.base_url())
    ///     .bearer_token(emulator.admin_token())
    ///     .retry_policy(RetryPolicy::none())
    ///     .interceptor(codes.clone())
    ///     .build()?;
    /// let client = RunnerManagementServiceClient::new(channel);
    /// let _ = client.get_runner(GetRunnerRequest { id: "lab-west".into() }).await;
    /// assert_eq!(*codes.0.lock().unwrap(), [Some(Code::NotFound)]);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn interceptor(mut self, interceptor: impl Interceptor) -> Self {
        self.interceptors.push(Arc::new(interceptor));
        self
    }

    /// Builds the channel. No connection is opened until the first call.
    ///
    /// # Errors
    ///
    /// Returns a [`BuildError`] when the endpoint is not an absolute `http`
    /// or `https` URL without a query, or is `https` while no TLS feature is
    /// enabled. Also when the bearer token would travel in plain text, or a
    /// default header or PEM certificate is invalid.
    ///
    /// ```
    /// use cwsandbox_control::connect::Channel;
    ///
    /// let channel = Channel::builder("http://127.0.0.1:8080/gateway").build();
    /// assert!(channel.is_ok());
    ///
    /// let error = Channel::builder("ftp://127.0.0.1").build().unwrap_err();
    /// assert!(error.to_string().contains("only http and https"), "{error}");
    /// ```
    pub fn build(self) -> Result<Channel, BuildError> {
        let endpoint = Endpoint::parse(&self.endpoint)?;
        let authorization = match &self.token {
            Some(token) => Some(authorization_value(token)?),
            None => None,
        };
        if authorization.is_some() && !endpoint.token_allowed(self.allow_plaintext_token) {
            return Err(BuildError::new(plaintext_token_message(&endpoint.host)));
        }
        crate::connect::headers::check_custom_headers(&self.default_headers)
            .map_err(|status| BuildError::new(status.message().to_string()))?;
        if self.max_json_depth == 0 {
            return Err(BuildError::new("max_json_depth must be at least 1"));
        }

        let client = super::exchange::build_client(
            self.http_version,
            self.connect_timeout,
            self.max_header_list_size,
            &self.extra_roots_pem,
        )?;
        let config = ChannelConfig {
            endpoint,
            protocol: self.protocol,
            codec: self.codec,
            http_version: self.http_version,
            authorization,
            allow_plaintext_token: self.allow_plaintext_token,
            default_timeout: self.default_timeout,
            max_response_size: self.max_response_size,
            max_header_list_size: usize::try_from(self.max_header_list_size).unwrap_or(usize::MAX),
            max_json_depth: self.max_json_depth,
            compression_threshold: self.compression_threshold,
            connect_get: self.connect_get,
            max_get_url_length: self.max_get_url_length,
            default_headers: self.default_headers,
            retry_policy: self.retry_policy,
            retry_budget: self.retry_budget,
        };
        Ok(Channel::from_parts(config, client, self.interceptors))
    }
}

/// Builds the `Authorization` header value of a token, marked sensitive so
/// that hyper's HTTP/2 encoder never indexes it.
fn authorization_value(token: &SecretToken) -> Result<HeaderValue, BuildError> {
    let mut value =
        HeaderValue::try_from(format!("Bearer {}", token.expose_secret())).map_err(|_| {
            BuildError::new(
                "the bearer token contains bytes that are not allowed in an HTTP header \
                 (control characters or newlines); check how the token was read",
            )
        })?;
    value.set_sensitive(true);
    Ok(value)
}

pub(crate) fn plaintext_token_message(host: &str) -> String {
    format!(
        "a bearer token may not be sent over plain HTTP to {host}, which is not a loopback \
         host; use an https:// endpoint, or call allow_plaintext_token(true) if the network \
         path is trusted"
    )
}

/// The parsed endpoint URL.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub scheme: http::uri::Scheme,
    pub authority: http::uri::Authority,
    /// Host without brackets, for messages and the loopback check.
    pub host: String,
    /// The path prefix without a trailing `/`, empty for none.
    pub path_prefix: String,
}

/// Returns the text after the port colon of an authority, if it has one.
fn port_text(authority: &str) -> Option<&str> {
    let after_host = match authority.rfind(']') {
        Some(end) => &authority[end + 1..],
        None => authority,
    };
    after_host.rfind(':').map(|colon| &after_host[colon + 1..])
}

impl Endpoint {
    fn parse(url: &str) -> Result<Endpoint, BuildError> {
        let uri: Uri = url.parse().map_err(|error| {
            BuildError::new(format!(
                "invalid endpoint URL {url:?}: {error}; expected a URL such as https://api.example.com"
            ))
            .with_source(error)
        })?;
        let scheme = uri.scheme().cloned().ok_or_else(|| {
            BuildError::new(format!(
                "endpoint URL {url:?} has no scheme; start it with https:// or http://"
            ))
        })?;
        if scheme != http::uri::Scheme::HTTP && scheme != http::uri::Scheme::HTTPS {
            return Err(BuildError::new(format!(
                "endpoint URL {url:?} has scheme {scheme}; only http and https are supported"
            )));
        }
        if scheme == http::uri::Scheme::HTTPS
            && !cfg!(any(
                feature = "tls-ring-webpki",
                feature = "tls-ring-native"
            ))
        {
            return Err(BuildError::new(format!(
                "endpoint URL {url:?} needs TLS, but the crate was built without the \
                 tls-ring-webpki or tls-ring-native feature"
            )));
        }
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| BuildError::new(format!("endpoint URL {url:?} has no host")))?;
        if uri.query().is_some() {
            return Err(BuildError::new(format!(
                "endpoint URL {url:?} has a query; remove it, calls add their own"
            )));
        }
        if authority.as_str().contains('@') {
            return Err(BuildError::new(format!(
                "endpoint URL {url:?} contains user information; pass credentials with bearer_token"
            )));
        }
        // The http crate accepts a port it cannot read as u16, and the
        // connector then uses the scheme's default port, so a URL such as
        // http://127.0.0.1:65536 would silently reach port 80.
        if let Some(port) = port_text(authority.as_str())
            && !port.parse::<u16>().is_ok_and(|port| port > 0)
        {
            return Err(BuildError::new(format!(
                "endpoint URL {url:?} has an invalid port {port:?}; use a port from 1 to 65535"
            )));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let path_prefix = uri.path().trim_end_matches('/').to_string();
        Ok(Endpoint {
            scheme,
            authority,
            host,
            path_prefix,
        })
    }

    /// Returns true when a bearer token may be sent to this endpoint.
    pub(crate) fn token_allowed(&self, allow_plaintext: bool) -> bool {
        self.scheme == http::uri::Scheme::HTTPS || allow_plaintext || is_loopback_host(&self.host)
    }
}

/// Returns true for `localhost`, 127.0.0.0/8 and ::1.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<IpAddr>()
        .is_ok_and(|address| address.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_ports_rejected() {
        for url in [
            "http://127.0.0.1:65536",
            "http://127.0.0.1:99999999",
            "http://127.0.0.1:0",
            "http://[::1]:70000",
            "https://api.example.com:",
        ] {
            let error = Endpoint::parse(url).unwrap_err();
            assert!(error.to_string().contains("invalid port"), "{url}: {error}");
        }
    }

    #[test]
    fn valid_ports_accepted() {
        for url in [
            "http://127.0.0.1:65535",
            "http://127.0.0.1:1",
            "http://[::1]:8080",
            "http://[::1]",
            "https://api.example.com",
        ] {
            assert!(Endpoint::parse(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.8.9.10",
            "::1",
            "[::1]",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "example.com",
            "10.0.0.1",
            "128.0.0.1",
            "::2",
            "localhost.example.com",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn endpoint_keeps_path_prefix() {
        let endpoint = Endpoint::parse("http://127.0.0.1:8080/api/v1/").unwrap();
        assert_eq!(endpoint.path_prefix, "/api/v1");
        assert_eq!(endpoint.authority.as_str(), "127.0.0.1:8080");
        let endpoint = Endpoint::parse("http://[::1]:80").unwrap();
        assert_eq!(endpoint.path_prefix, "");
        assert_eq!(endpoint.host, "::1");
    }

    #[test]
    fn invalid_endpoints_are_rejected() {
        for url in [
            "127.0.0.1:8080",
            "ftp://127.0.0.1",
            "http://127.0.0.1/?a=b",
            "http://user:pw@127.0.0.1",
            "not a url",
            "/path/only",
        ] {
            assert!(Endpoint::parse(url).is_err(), "{url}");
        }
    }

    #[tokio::test]
    async fn plaintext_token_to_remote_host_is_rejected() {
        let error = Channel::builder("http://192.0.2.1:8080")
            .bearer_token("t0ken")
            .build()
            .unwrap_err();
        assert!(error.to_string().contains("plain HTTP"), "{error}");
        assert!(!error.to_string().contains("t0ken"));

        let allowed = Channel::builder("http://192.0.2.1:8080")
            .bearer_token("t0ken")
            .allow_plaintext_token(true)
            .build();
        assert!(allowed.is_ok());
        let loopback = Channel::builder("http://localhost:8080")
            .bearer_token("t0ken")
            .build();
        assert!(loopback.is_ok());
    }

    #[tokio::test]
    async fn token_with_newline_is_rejected_without_echo() {
        let error = Channel::builder("http://127.0.0.1:1")
            .bearer_token("abc\ndef")
            .build()
            .unwrap_err();
        assert!(!error.to_string().contains("abc"), "{error}");
    }

    #[tokio::test]
    async fn debug_output_redacts_token() {
        let builder = Channel::builder("http://127.0.0.1:1").bearer_token("t0ken");
        assert!(!format!("{builder:?}").contains("t0ken"));
        let channel = builder.build().unwrap();
        assert!(!format!("{channel:?}").contains("t0ken"));
    }
}
