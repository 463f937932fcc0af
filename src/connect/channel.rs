//! The channel that carries unary calls.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, Uri};
use http_body_util::Full;
use tokio::time::Instant;

use super::builder::{ChannelBuilder, Endpoint, HttpVersion, plaintext_token_message};
use super::code::Code;
use super::codec::Codec;
use super::connect_wire::{self, ConnectOptions};
use super::error_body::{ErrorResponse, Protocol, decode_error_response};
use super::exchange::{HttpClient, RawResponse, ResponseLimits, decompress, exchange};
use super::headers::{CONNECT_TIMEOUT_MS, USER_AGENT, check_custom_headers, connect_timeout_value};
use super::interceptor::{CallOutcome, Interceptor};
use super::metadata::split_trailers;
use super::method::{HttpRule, Idempotency, MethodDescriptor};
use super::request::{CallOptions, Request, Response};
use super::rest;
use super::retry::{RetryBudget, RetryPolicy};
use super::status::{ClientErrorKind, Status};

/// Longest path and query that the `http` crate (1.x) accepts in a URI.
/// A request whose URL would be longer is invalid input, not an internal
/// error, so it fails with `InvalidArgument` before the URI is built.
const MAX_PATH_AND_QUERY_BYTES: usize = 65_534;

/// The bounds a message type meets to travel over a channel: the binary
/// protobuf encoding and the proto3 JSON form.
///
/// ```
/// use cwsandbox_control::connect::Message;
/// use cwsandbox_control::v1beta2::GetRunnerRequest;
///
/// /// Checks that the binary and the JSON form of a message decode to the same value.
/// fn round_trips<M: Message + PartialEq>(message: &M) -> bool {
///     let binary = M::decode(message.encode_to_vec().as_slice()).unwrap();
///     let json: M = serde_json::from_str(&serde_json::to_string(message).unwrap()).unwrap();
///     binary == *message && json == *message
/// }
///
/// assert!(round_trips(&GetRunnerRequest { id: "lab-west".into() }));
/// ```
pub trait Message:
    prost::Message + Default + serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static
{
}

impl<T> Message for T where
    T: prost::Message
        + Default
        + serde::Serialize
        + serde::de::DeserializeOwned
        + Send
        + Sync
        + 'static
{
}

/// The settings of a built channel.
pub(crate) struct ChannelConfig {
    pub endpoint: Endpoint,
    pub protocol: Protocol,
    pub codec: Codec,
    pub http_version: HttpVersion,
    /// The `Authorization` value, marked sensitive.
    pub authorization: Option<HeaderValue>,
    pub allow_plaintext_token: bool,
    pub default_timeout: Option<Duration>,
    pub max_response_size: usize,
    pub max_header_list_size: usize,
    pub max_json_depth: usize,
    pub compression_threshold: Option<usize>,
    pub connect_get: bool,
    pub max_get_url_length: usize,
    pub default_headers: HeaderMap,
    pub retry_policy: RetryPolicy,
    pub retry_budget: Option<Arc<RetryBudget>>,
}

struct Inner {
    config: ChannelConfig,
    client: HttpClient,
    interceptors: Vec<Arc<dyn Interceptor>>,
}

/// A connection pool to one server that carries unary calls over the Connect
/// protocol or REST transcoding.
///
/// Cloning is cheap and clones share the pool: over HTTP/2, concurrent calls
/// are multiplexed on one connection. Build one with [`Channel::builder`].
///
/// Calls need a Tokio runtime with the time driver enabled.
#[derive(Clone)]
///
/// ```
/// # #[cfg(feature = "emulator")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use cwsandbox_control::connect::Channel;
/// use cwsandbox_control::emulator::Emulator;
/// use cwsandbox_control::v1beta2::{ListProfileTemplatesRequest, RunnerManagementServiceClient};
///
/// let emulator = Emulator::start().await?;
/// let channel = Channel::builder(emulator.base_url())
///     .bearer_token(emulator.admin_token())
///     .build()?;
///
/// // Both clients send their calls over the same connection pool.
/// let first = RunnerManagementServiceClient::new(channel.clone());
/// let second = RunnerManagementServiceClient::new(channel);
/// let (a, b) = tokio::join!(
///     first.list_profile_templates(ListProfileTemplatesRequest::default()),
///     second.list_profile_templates(ListProfileTemplatesRequest::default()),
/// );
/// assert!(a?.profile_templates.is_empty());
/// assert!(b?.profile_templates.is_empty());
/// assert_eq!(emulator.request_count("ListProfileTemplates"), 2);
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "emulator"))]
/// # fn main() {}
/// ```
pub struct Channel {
    inner: Arc<Inner>,
}

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.inner.config;
        f.debug_struct("Channel")
            .field("scheme", &config.endpoint.scheme.as_str())
            .field("authority", &config.endpoint.authority.as_str())
            .field("path_prefix", &config.endpoint.path_prefix)
            .field("protocol", &config.protocol)
            .field("codec", &config.codec)
            .field("http_version", &config.http_version)
            .field(
                "bearer_token",
                &config.authorization.as_ref().map(|_| "<redacted>"),
            )
            .field("default_timeout", &config.default_timeout)
            .field("interceptors", &self.inner.interceptors.len())
            .finish_non_exhaustive()
    }
}

/// Returns the deadline of one attempt: the call's deadline, shortened by the
/// retry policy's per-attempt timeout.
fn attempt_deadline(call: Option<Deadline>, attempt_timeout: Option<Duration>) -> Option<Deadline> {
    let Some(timeout) = attempt_timeout else {
        return call;
    };
    let own = Instant::now()
        .checked_add(timeout)
        .map(|at| Deadline { at, timeout });
    match (call, own) {
        (Some(call), Some(own)) if call.at <= own.at => Some(call),
        (_, Some(own)) => Some(own),
        (call, None) => call,
    }
}

/// How to decode the body of a successful response.
#[derive(Debug, Clone, Copy)]
enum ResponseFormat {
    Connect(Codec),
    Rest(Option<HttpRule>),
}

/// An encoded request that each attempt of a call sends again.
#[derive(Debug, Clone)]
pub(crate) struct PreparedRequest {
    method: http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    format: ResponseFormat,
}

/// The deadline of a call and the timeout it came from, for messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    at: Instant,
    timeout: Duration,
}

impl Channel {
    /// Starts building a channel to `endpoint`: a scheme, an authority and an
    /// optional path prefix that is put before every request path, such as
    /// `https://api.example.com` or `http://127.0.0.1:8080/gateway`.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Channel, Protocol};
    ///
    /// let channel = Channel::builder("http://127.0.0.1:8080/gateway").build()?;
    /// assert_eq!(channel.protocol(), Protocol::Rest);
    /// assert!(format!("{channel:?}").contains("/gateway"));
    /// # Ok::<(), cwsandbox_control::connect::BuildError>(())
    /// ```
    pub fn builder(endpoint: impl Into<String>) -> ChannelBuilder {
        ChannelBuilder::new(endpoint)
    }

    pub(crate) fn from_parts(
        config: ChannelConfig,
        client: HttpClient,
        interceptors: Vec<Arc<dyn Interceptor>>,
    ) -> Channel {
        Channel {
            inner: Arc::new(Inner {
                config,
                client,
                interceptors,
            }),
        }
    }

    /// Returns the wire protocol of the channel.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Channel, Protocol};
    ///
    /// let channel = Channel::builder("http://127.0.0.1:8080")
    ///     .protocol(Protocol::Connect)
    ///     .build()?;
    /// assert_eq!(channel.protocol(), Protocol::Connect);
    /// # Ok::<(), cwsandbox_control::connect::BuildError>(())
    /// ```
    pub fn protocol(&self) -> Protocol {
        self.inner.config.protocol
    }

    /// Sends one unary call: encodes the request, sends it, and decodes the
    /// response or the error.
    ///
    /// The call's timeout (from [`CallOptions::timeout`], else the channel's
    /// default) covers the whole exchange, response body included.
    ///
    /// # Errors
    ///
    /// Returns the [`Status`] the server sent, or one the client made: the
    /// request could not be encoded, the connection failed, the deadline
    /// passed, or the response could not be decoded.
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use cwsandbox_control::connect::{Channel, Code, Request, Response};
    /// use cwsandbox_control::emulator::Emulator;
    /// use cwsandbox_control::v1beta2::runner_management_service::{
    ///     CREATE_PROFILE_TEMPLATE, GET_RUNNER,
    /// };
    /// use cwsandbox_control::v1beta2::{
    ///     CreateProfileTemplateRequest, GetRunnerRequest, ProfileSpec, ProfileTemplate, Runner,
    /// };
    ///
    /// let emulator = Emulator::start().await?;
    /// let channel = Channel::builder(emulator.base_url())
    ///     .bearer_token(emulator.admin_token())
    ///     .build()?;
    ///
    /// let template = ProfileTemplate {
    ///     display_name: "agents".to_string(),
    ///     spec: Some(ProfileSpec::default()),
    ///     ..ProfileTemplate::default()
    /// };
    /// let request = Request::new(CreateProfileTemplateRequest { profile_template: Some(template) });
    /// let response: Response<ProfileTemplate> = channel.unary(&CREATE_PROFILE_TEMPLATE, request).await?;
    /// assert_eq!(response.http_status(), http::StatusCode::OK);
    /// assert_eq!(response.get_ref().display_name, "agents");
    ///
    /// // REST puts the id into the path, so an empty id fails before anything is sent.
    /// let request = Request::new(GetRunnerRequest { id: String::new() });
    /// let status = channel.unary::<_, Runner>(&GET_RUNNER, request).await.unwrap_err();
    /// assert_eq!(status.code(), Code::InvalidArgument);
    /// assert!(status.is_unsent());
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub async fn unary<Req: Message, Resp: Message>(
        &self,
        method: &'static MethodDescriptor,
        request: Request<Req>,
    ) -> Result<Response<Resp>, Status> {
        let started = Instant::now();
        let (message, options) = request.into_parts();
        let deadline = self.deadline(&options, started);
        match self.prepare(method, &message, &options) {
            Ok(prepared) => {
                self.send_with_retries(method, &prepared, &options, deadline)
                    .await
            }
            Err(status) => {
                self.report::<Resp>(method, started, Err(&status));
                Err(status)
            }
        }
    }

    /// Sends attempts until one succeeds, the retry policy or budget ends
    /// the call, or the next delay would pass the call's deadline.
    async fn send_with_retries<Resp: Message>(
        &self,
        method: &'static MethodDescriptor,
        prepared: &PreparedRequest,
        options: &CallOptions,
        deadline: Option<Deadline>,
    ) -> Result<Response<Resp>, Status> {
        let config = &self.inner.config;
        let policy = options.retry.as_ref().unwrap_or(&config.retry_policy);
        let idempotency = options.idempotency.unwrap_or(method.idempotency);
        let mut attempt = 1;
        loop {
            let attempt_deadline = attempt_deadline(deadline, policy.attempt_timeout);
            let status = match self.attempt(method, prepared, attempt_deadline).await {
                Ok(response) => {
                    if let Some(budget) = &config.retry_budget {
                        budget.on_success();
                    }
                    return Ok(response);
                }
                Err(status) => status,
            };
            let Some(delay) = self.retry_delay(policy, idempotency, &status, attempt, deadline)
            else {
                return Err(status);
            };
            tracing::debug!(
                procedure = method.procedure,
                attempt,
                code = %status.code(),
                delay_ms = delay.as_millis() as u64,
                "retrying the call"
            );
            tokio::time::sleep(delay).await;
            // The timer may wake late. A deadline that passed meanwhile ends the
            // call with the failure that caused the retry, not a timeout of its own.
            if deadline.is_some_and(|deadline| deadline.at <= Instant::now()) {
                return Err(status);
            }
            attempt += 1;
        }
    }

    /// Returns the delay before the next attempt, or `None` when the call ends
    /// with `status`.
    fn retry_delay(
        &self,
        policy: &RetryPolicy,
        idempotency: Idempotency,
        status: &Status,
        attempt: u32,
        deadline: Option<Deadline>,
    ) -> Option<Duration> {
        let now = Instant::now();
        if deadline.is_some_and(|deadline| deadline.at <= now) {
            return None;
        }
        if !policy.is_retryable(status, idempotency, attempt) {
            return None;
        }
        let budget = self.inner.config.retry_budget.as_ref();
        if budget.is_some_and(|budget| !budget.on_failure()) {
            tracing::debug!(code = %status.code(), "retry budget exhausted; not retrying");
            return None;
        }
        let delay = policy.delay(status, attempt)?;
        match deadline {
            Some(deadline) if now + delay >= deadline.at => None,
            _ => Some(delay),
        }
    }

    /// Returns the deadline of a call that starts now.
    pub(crate) fn deadline(&self, options: &CallOptions, now: Instant) -> Option<Deadline> {
        let timeout = options.timeout.or(self.inner.config.default_timeout)?;
        let at = now.checked_add(timeout)?;
        Some(Deadline { at, timeout })
    }

    /// Encodes a request once, for every attempt to send.
    pub(crate) fn prepare<Req: Message>(
        &self,
        method: &'static MethodDescriptor,
        message: &Req,
        options: &CallOptions,
    ) -> Result<PreparedRequest, Status> {
        check_custom_headers(&options.headers)?;
        let config = &self.inner.config;
        let prepared = match config.protocol {
            Protocol::Connect => self.prepare_connect(method, message, options)?,
            Protocol::Rest => prepare_rest(method, message)?,
        };
        let (http_method, path_and_query, mut headers, body, format) = prepared;

        headers.insert(
            http::header::USER_AGENT,
            HeaderValue::from_static(USER_AGENT),
        );
        headers.insert(
            http::header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip"),
        );
        if let Some(authorization) = &config.authorization {
            headers.insert(http::header::AUTHORIZATION, authorization.clone());
        }
        override_headers(&mut headers, &config.default_headers);
        override_headers(&mut headers, &options.headers);

        let path_and_query = format!("{}{path_and_query}", config.endpoint.path_prefix);
        if path_and_query.len() > MAX_PATH_AND_QUERY_BYTES {
            return Err(Status::client(
                Code::InvalidArgument,
                format!(
                    "the URL path and query of {} would be {} bytes, over the limit of \
                     {MAX_PATH_AND_QUERY_BYTES}: a request field sent in the URL, such as an \
                     id, is too long",
                    method.method,
                    path_and_query.len()
                ),
            )
            .with_kind(ClientErrorKind::Encode));
        }
        let uri = Uri::builder()
            .scheme(config.endpoint.scheme.clone())
            .authority(config.endpoint.authority.clone())
            .path_and_query(path_and_query)
            .build()
            .map_err(|error| {
                Status::client(
                    Code::Internal,
                    format!("failed to build the URL of {}: {error}", method.procedure),
                )
                .with_kind(ClientErrorKind::Encode)
                .with_source(error)
            })?;
        Ok(PreparedRequest {
            method: http_method,
            uri,
            headers,
            body,
            format,
        })
    }

    fn prepare_connect<Req: Message>(
        &self,
        method: &'static MethodDescriptor,
        message: &Req,
        options: &CallOptions,
    ) -> Result<PreparedParts, Status> {
        let config = &self.inner.config;
        let get_allowed = options.connect_get.unwrap_or(config.connect_get)
            && method.idempotency == Idempotency::NoSideEffects;
        let origin_length = config.endpoint.scheme.as_str().len()
            + "://".len()
            + config.endpoint.authority.as_str().len()
            + config.endpoint.path_prefix.len();
        let connect_options = ConnectOptions {
            codec: config.codec,
            compression_threshold: config.compression_threshold,
            get_max_url_length: get_allowed.then_some(config.max_get_url_length),
            origin_length,
        };
        let request = connect_wire::encode_request(method.procedure, message, connect_options)?;
        Ok((
            request.method,
            request.path_and_query,
            request.headers,
            request.body,
            ResponseFormat::Connect(config.codec),
        ))
    }

    /// Sends a prepared request once and decodes the outcome. The deadline
    /// covers sending, the response head and the whole body.
    pub(crate) async fn attempt<Resp: Message>(
        &self,
        method: &'static MethodDescriptor,
        prepared: &PreparedRequest,
        deadline: Option<Deadline>,
    ) -> Result<Response<Resp>, Status> {
        let started = Instant::now();
        let result = self
            .attempt_exchange(method, prepared, deadline, started)
            .await;
        let result = result.and_then(|raw| self.decode(prepared, raw));
        self.report(method, started, result.as_ref());
        result
    }

    async fn attempt_exchange(
        &self,
        method: &'static MethodDescriptor,
        prepared: &PreparedRequest,
        deadline: Option<Deadline>,
        started: Instant,
    ) -> Result<RawResponse, Status> {
        let config = &self.inner.config;
        let mut builder = http::Request::builder()
            .method(prepared.method.clone())
            .uri(prepared.uri.clone());
        if let Some(headers) = builder.headers_mut() {
            *headers = prepared.headers.clone();
        }
        let request = builder
            .body(Full::new(prepared.body.clone()))
            .map_err(|error| {
                Status::client(
                    Code::Internal,
                    format!("failed to build the request: {error}"),
                )
                .with_kind(ClientErrorKind::Encode)
                .with_source(error)
            })?;
        let (mut parts, body) = request.into_parts();

        if let Some(deadline) = deadline {
            let remaining = deadline.at.saturating_duration_since(started);
            if remaining.is_zero() {
                return Err(deadline_status(deadline, Duration::ZERO).unsent());
            }
            if config.protocol == Protocol::Connect {
                parts
                    .headers
                    .insert(CONNECT_TIMEOUT_MS, connect_timeout_value(remaining));
            }
        }
        for interceptor in &self.inner.interceptors {
            interceptor
                .before(method, &mut parts)
                .map_err(|status| status.with_kind(ClientErrorKind::Interceptor))?;
        }
        self.check_token_destination(&parts)?;

        let request = http::Request::from_parts(parts, body);
        let limits = ResponseLimits {
            body: config.max_response_size,
            header_list: config.max_header_list_size,
        };
        let exchange = exchange(&self.inner.client, request, limits);
        match deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline.at, exchange).await {
                Ok(result) => result,
                Err(_) => Err(deadline_status(deadline, started.elapsed())),
            },
            None => exchange.await,
        }
    }

    /// Rejects a request that would send an `Authorization` header in plain
    /// text to a host that is not loopback, wherever the header came from.
    fn check_token_destination(&self, parts: &http::request::Parts) -> Result<(), Status> {
        if !parts.headers.contains_key(http::header::AUTHORIZATION) {
            return Ok(());
        }
        let config = &self.inner.config;
        let plaintext = parts.uri.scheme() != Some(&http::uri::Scheme::HTTPS);
        let host = parts.uri.host().unwrap_or("");
        if plaintext && !config.allow_plaintext_token && !super::builder::is_loopback_host(host) {
            return Err(
                Status::client(Code::FailedPrecondition, plaintext_token_message(host))
                    .with_kind(ClientErrorKind::Refused),
            );
        }
        Ok(())
    }

    fn decode<Resp: Message>(
        &self,
        prepared: &PreparedRequest,
        raw: RawResponse,
    ) -> Result<Response<Resp>, Status> {
        let config = &self.inner.config;
        let RawResponse {
            status,
            version,
            headers,
            http_trailers,
            body,
        } = raw;
        let (headers, mut trailers) = match config.protocol {
            Protocol::Connect => split_trailers(headers),
            Protocol::Rest => (headers, HeaderMap::new()),
        };
        trailers.extend(http_trailers);

        if status.is_redirection() {
            return Err(redirect_status(config.protocol, status, headers, trailers));
        }
        let success = match config.protocol {
            Protocol::Connect => status == StatusCode::OK,
            Protocol::Rest => status.is_success(),
        };
        if !success {
            let body = decompress(&headers, body.clone(), config.max_response_size).unwrap_or(body);
            return Err(decode_error_response(ErrorResponse {
                protocol: config.protocol,
                http_status: status,
                headers,
                trailers,
                body: &body,
                max_json_depth: config.max_json_depth,
            }));
        }

        let decoded = decompress(&headers, body, config.max_response_size).and_then(|body| {
            match prepared.format {
                ResponseFormat::Connect(codec) => {
                    connect_wire::decode_response(codec, &headers, &body, config.max_json_depth)
                }
                ResponseFormat::Rest(rule) => {
                    rest::decode_response(rule.as_ref(), &headers, &body, config.max_json_depth)
                }
            }
        });
        match decoded {
            Ok(message) => {
                Ok(Response::from_parts(message, headers, trailers).with_http(status, version))
            }
            Err(error) => Err(error
                .with_http_status(status)
                .with_metadata(headers, trailers)),
        }
    }

    /// Emits the tracing events of an attempt and runs the `after` hooks.
    fn report<Resp>(
        &self,
        method: &'static MethodDescriptor,
        started: Instant,
        result: Result<&Response<Resp>, &Status>,
    ) {
        let protocol = self.inner.config.protocol;
        let elapsed = started.elapsed();
        let outcome = match result {
            Ok(response) => CallOutcome {
                protocol,
                elapsed,
                http_status: Some(response.http_status()),
                headers: Some(response.headers()),
                error: None,
            },
            Err(status) => CallOutcome {
                protocol,
                elapsed,
                http_status: status.http_status(),
                headers: status.http_status().map(|_| status.headers()),
                error: Some(status),
            },
        };
        let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
        match outcome.error {
            None => tracing::debug!(
                procedure = method.procedure,
                protocol = protocol.name(),
                code = "ok",
                elapsed_ms,
                "unary call finished"
            ),
            Some(status) => tracing::debug!(
                procedure = method.procedure,
                protocol = protocol.name(),
                code = status.code().as_str(),
                http_status = status.http_status().map(|status| status.as_u16()),
                unsent = status.is_unsent(),
                from_server = status.is_from_server(),
                elapsed_ms,
                error = %status,
                "unary call failed"
            ),
        }
        for interceptor in &self.inner.interceptors {
            interceptor.after(method, &outcome);
        }
    }
}

type PreparedParts = (http::Method, String, HeaderMap, Bytes, ResponseFormat);

fn prepare_rest<Req: Message>(
    method: &'static MethodDescriptor,
    message: &Req,
) -> Result<PreparedParts, Status> {
    let request = rest::transcode(method, message)?;
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::ACCEPT,
        HeaderValue::from_static("application/json"),
    );
    if request.body.is_some() {
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    let body = request.body.map(Bytes::from).unwrap_or_default();
    Ok((
        request.method,
        request.path_and_query,
        headers,
        body,
        ResponseFormat::Rest(method.http),
    ))
}

/// Replaces the values of every header name in `overrides`, so that call
/// headers win over channel headers of the same name.
fn override_headers(headers: &mut HeaderMap, overrides: &HeaderMap) {
    for name in overrides.keys() {
        headers.remove(name);
    }
    for (name, value) in overrides {
        headers.append(name.clone(), value.clone());
    }
}

fn deadline_status(deadline: Deadline, waited: Duration) -> Status {
    Status::client(
        Code::DeadlineExceeded,
        format!(
            "the call's deadline of {:?} passed after {:?} of this attempt, before the \
             response was complete; set a longer timeout on the call or the channel",
            deadline.timeout, waited
        ),
    )
    .with_kind(ClientErrorKind::Timeout)
}

fn redirect_status(
    protocol: Protocol,
    status: StatusCode,
    headers: HeaderMap,
    trailers: HeaderMap,
) -> Status {
    let location = headers
        .get(http::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map_or_else(
            || "no Location header".to_string(),
            |location| format!("Location {location}"),
        );
    Status::new(
        protocol.code_for_http_status(status),
        format!(
            "the server responded with HTTP {} and {location}; redirects are not followed, \
             so point the channel at the final URL",
            status.as_u16()
        ),
    )
    .with_kind(ClientErrorKind::Redirect)
    .with_http_status(status)
    .with_metadata(headers, trailers)
}
