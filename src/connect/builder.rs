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
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// Sets the codec of Connect calls. Default: [`Codec::Json`]. REST calls
    /// always use JSON.
    pub fn codec(mut self, codec: Codec) -> Self {
        self.codec = codec;
        self
    }

    /// Sets the HTTP versions the channel uses. Default: [`HttpVersion::Auto`].
    pub fn http_version(mut self, version: HttpVersion) -> Self {
        self.http_version = version;
        self
    }

    /// Uses HTTP/1.1 only.
    pub fn http1_only(self) -> Self {
        self.http_version(HttpVersion::Http1Only)
    }

    /// Uses HTTP/2 only, with prior knowledge over cleartext (h2c).
    pub fn http2_prior_knowledge(self) -> Self {
        self.http_version(HttpVersion::Http2PriorKnowledge)
    }

    /// Sends `Authorization: Bearer <token>` with every call.
    ///
    /// Over plain `http://` the token is only sent to a loopback host
    /// (127.0.0.0/8, ::1, `localhost`) unless
    /// [`allow_plaintext_token`](Self::allow_plaintext_token) is set.
    pub fn bearer_token(mut self, token: impl Into<SecretToken>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Allows sending a bearer token over plain HTTP to a host that is not
    /// loopback, where anyone on the path can read it. Default: false.
    pub fn allow_plaintext_token(mut self, allow: bool) -> Self {
        self.allow_plaintext_token = allow;
        self
    }

    /// Sets the time allowed to open a TCP connection. Default: 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the time allowed for a call that sets no timeout of its own,
    /// from sending the request to reading the last byte of the response.
    /// Default: 30 s.
    pub fn default_timeout(mut self, timeout: Duration) -> Self {
        self.default_timeout = Some(timeout);
        self
    }

    /// Lets calls without a timeout of their own wait for as long as the
    /// server takes.
    pub fn no_default_timeout(mut self) -> Self {
        self.default_timeout = None;
        self
    }

    /// Sets the maximum size in bytes of a response body, applied to the
    /// body as received and again after decompression. Default: 4 MiB.
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// Sets the maximum nesting depth of response JSON. Default: 128. A
    /// value below 128 adds a scan of each JSON body before it is parsed.
    /// Depths above 128 still fail, because serde_json stops at 128 while it
    /// parses.
    pub fn max_json_depth(mut self, depth: usize) -> Self {
        self.max_json_depth = depth;
        self
    }

    /// Sets the maximum size in bytes of the response header list, counted as
    /// HTTP/2 counts it: names, values and 32 bytes per field. Default: 64 KiB.
    pub fn max_response_header_list_size(mut self, bytes: u32) -> Self {
        self.max_header_list_size = bytes;
        self
    }

    /// Gzips Connect request messages larger than `bytes`, or sends every
    /// request uncompressed with `None`. Default: 1 KiB. Responses are
    /// always requested with `Accept-Encoding: gzip`.
    pub fn request_compression_threshold(mut self, bytes: Option<usize>) -> Self {
        self.compression_threshold = bytes;
        self
    }

    /// Sends Connect calls of side-effect-free methods as HTTP GET, which
    /// caches and proxies can serve. Default: false.
    pub fn connect_get(mut self, enabled: bool) -> Self {
        self.connect_get = enabled;
        self
    }

    /// Sets the maximum URL length of a Connect GET; a longer request is sent
    /// as POST. Default: 8 KiB.
    pub fn max_get_url_length(mut self, bytes: usize) -> Self {
        self.max_get_url_length = bytes;
        self
    }

    /// Trusts the CA certificates of a PEM bundle, in addition to the
    /// built-in roots.
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_roots_pem.push(pem.into());
        self
    }

    /// Sets the retry policy of every call; a call's own policy takes precedence.
    /// The default is [`RetryPolicy::default`].
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = policy;
        self
    }

    /// Sets the retry budget shared by the channel's calls; `None` removes the
    /// limit. The default is [`RetryBudget::default`].
    pub fn retry_budget(mut self, budget: Option<Arc<RetryBudget>>) -> Self {
        self.retry_budget = budget;
        self
    }

    /// Adds a header to every request.
    pub fn default_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.default_headers.append(name, value);
        self
    }

    /// Registers an interceptor. Interceptors run in registration order.
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
