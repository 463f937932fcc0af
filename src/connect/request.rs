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
pub struct Request<T> {
    message: T,
    options: CallOptions,
}

impl<T> Request<T> {
    /// Wraps a message with default options.
    pub fn new(message: T) -> Self {
        Self {
            message,
            options: CallOptions::default(),
        }
    }

    /// Returns the message.
    pub fn get_ref(&self) -> &T {
        &self.message
    }

    /// Returns the message for changing.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.message
    }

    /// Returns the message, dropping the options.
    pub fn into_inner(self) -> T {
        self.message
    }

    /// Returns the call options.
    pub fn options(&self) -> &CallOptions {
        &self.options
    }

    /// Returns the call options for changing.
    pub fn options_mut(&mut self) -> &mut CallOptions {
        &mut self.options
    }

    /// Splits the request into its message and options.
    pub fn into_parts(self) -> (T, CallOptions) {
        (self.message, self.options)
    }

    /// Sets the time allowed for the whole call, retries included.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// Adds a request header. A header of the same name set on the channel
    /// is replaced, and headers that the channel controls (`content-type`,
    /// `connect-*` and the like) fail the call with `InvalidArgument`.
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
    pub fn with_idempotency(mut self, idempotency: Idempotency) -> Self {
        self.options.idempotency = Some(idempotency);
        self
    }

    /// Sets the idempotency unless the caller already chose one.
    pub fn with_default_idempotency(mut self, idempotency: Idempotency) -> Self {
        self.options.idempotency.get_or_insert(idempotency);
        self
    }

    /// Sets the retry policy of this call; [`RetryPolicy::none`] disables retries.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.options.retry = Some(policy);
        self
    }

    /// Allows or forbids a Connect GET for this call.
    pub fn with_connect_get(mut self, allowed: bool) -> Self {
        self.options.connect_get = Some(allowed);
        self
    }
}

/// Conversion into a [`Request`], so typed client methods take either a bare
/// message or a request with options.
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
pub struct Response<T> {
    message: T,
    headers: HeaderMap,
    trailers: HeaderMap,
    http_status: http::StatusCode,
    http_version: http::Version,
}

impl<T> Response<T> {
    /// Builds a response from its parts.
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
    pub fn new(message: T) -> Self {
        Self::from_parts(message, HeaderMap::new(), HeaderMap::new())
    }

    /// Returns the message.
    pub fn get_ref(&self) -> &T {
        &self.message
    }

    /// Returns the message, dropping the metadata.
    pub fn into_inner(self) -> T {
        self.message
    }

    /// Returns the response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Returns the trailers: Connect `trailer-` headers with the prefix
    /// removed, and HTTP trailers.
    pub fn trailers(&self) -> &HeaderMap {
        &self.trailers
    }

    /// Returns the HTTP status of the response: 200 for Connect, any 2xx for REST.
    pub fn http_status(&self) -> http::StatusCode {
        self.http_status
    }

    /// Returns the HTTP version the response arrived over.
    pub fn http_version(&self) -> http::Version {
        self.http_version
    }

    /// Returns the decoded values of binary header `name` (with or without
    /// the `-bin` suffix), or of the trailer when no header has that name.
    ///
    /// # Errors
    ///
    /// Returns [`InvalidBinaryHeader`] when a value is not base64.
    pub fn binary_metadata(&self, name: &str) -> Result<Vec<Vec<u8>>, InvalidBinaryHeader> {
        let values = get_binary_all(&self.headers, name)?;
        if values.is_empty() {
            get_binary_all(&self.trailers, name)
        } else {
            Ok(values)
        }
    }
}
