//! The HTTP exchange: the pooled hyper client, sending a request, and reading
//! a response body within the size limit.

use std::error::Error as StdError;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode, Version};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::builder::{BuildError, HttpVersion};
use super::code::Code;
use super::codec::{gunzip, too_large};
use super::status::{ClientErrorKind, Status};

/// hyper's smallest allowed HTTP/1 read buffer; a smaller value panics.
const MIN_HTTP1_BUFFER: usize = 8192;

/// Per-field overhead in the header list size, as HTTP/2 counts it
/// (RFC 9113, SETTINGS_MAX_HEADER_LIST_SIZE).
const HEADER_FIELD_OVERHEAD: usize = 32;

#[cfg(any(feature = "tls-ring-webpki", feature = "tls-ring-native"))]
type Connector = hyper_rustls::HttpsConnector<HttpConnector>;
#[cfg(not(any(feature = "tls-ring-webpki", feature = "tls-ring-native")))]
type Connector = HttpConnector;

/// The pooled client that all clones of a channel share. Over HTTP/2,
/// concurrent calls are multiplexed on one connection.
pub(crate) type HttpClient = Client<Connector, Full<Bytes>>;

/// A response whose body was read in full, not yet decompressed.
pub(crate) struct RawResponse {
    pub status: StatusCode,
    pub version: Version,
    pub headers: HeaderMap,
    /// HTTP trailers, which HTTP/2 servers may send after the body.
    pub http_trailers: HeaderMap,
    pub body: Bytes,
}

pub(crate) fn build_client(
    version: HttpVersion,
    connect_timeout: Duration,
    max_header_list_size: u32,
    extra_roots_pem: &[Vec<u8>],
) -> Result<HttpClient, BuildError> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(connect_timeout));
    let connector = make_connector(http, version, extra_roots_pem)?;

    // hyper's HTTP/1 buffer limit is approximate (one read may pass it), so
    // it only bounds memory at twice the limit; `exchange` checks the exact size.
    let header_buffer = usize::try_from(max_header_list_size)
        .unwrap_or(usize::MAX)
        .saturating_mul(2);
    let mut builder = Client::builder(TokioExecutor::new());
    builder
        .timer(TokioTimer::new())
        .pool_timer(TokioTimer::new())
        .http2_max_header_list_size(max_header_list_size)
        .http1_max_buf_size(header_buffer.max(MIN_HTTP1_BUFFER))
        .http2_only(version == HttpVersion::Http2PriorKnowledge);
    Ok(builder.build(connector))
}

#[cfg(any(feature = "tls-ring-webpki", feature = "tls-ring-native"))]
fn make_connector(
    http: HttpConnector,
    version: HttpVersion,
    extra_roots_pem: &[Vec<u8>],
) -> Result<Connector, BuildError> {
    let config = super::tls::client_config(extra_roots_pem)?;
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http();
    let connector = match version {
        HttpVersion::Auto => builder.enable_http1().enable_http2().wrap_connector(http),
        HttpVersion::Http1Only => builder.enable_http1().wrap_connector(http),
        HttpVersion::Http2PriorKnowledge => builder.enable_http2().wrap_connector(http),
    };
    Ok(connector)
}

#[cfg(not(any(feature = "tls-ring-webpki", feature = "tls-ring-native")))]
fn make_connector(
    http: HttpConnector,
    _version: HttpVersion,
    extra_roots_pem: &[Vec<u8>],
) -> Result<Connector, BuildError> {
    if !extra_roots_pem.is_empty() {
        return Err(BuildError::new(
            "root certificates were added, but the crate was built without the \
             tls-ring-webpki or tls-ring-native feature",
        ));
    }
    Ok(http)
}

/// Limits of one exchange.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResponseLimits {
    /// Maximum body size in bytes, as received.
    pub body: usize,
    /// Maximum header list size in bytes, counted as HTTP/2 counts it.
    pub header_list: usize,
}

/// Sends a request and reads the whole response body, failing once the
/// header list or the body passes its limit.
pub(crate) async fn exchange(
    client: &HttpClient,
    request: http::Request<Full<Bytes>>,
    limits: ResponseLimits,
) -> Result<RawResponse, Status> {
    let authority = request
        .uri()
        .authority()
        .map_or_else(String::new, ToString::to_string);
    let response = client
        .request(request)
        .await
        .map_err(|error| send_error(&authority, error))?;
    let (parts, mut body) = response.into_parts();
    let max_size = limits.body;

    let header_list_size = header_list_size(&parts.headers);
    if header_list_size > limits.header_list {
        return Err(Status::client(
            Code::ResourceExhausted,
            format!(
                "the response headers take {header_list_size} bytes, more than the limit of {}; \
                 raise max_response_header_list_size on the channel builder if they are expected",
                limits.header_list
            ),
        )
        .with_kind(ClientErrorKind::TooLarge)
        .with_http_status(parts.status));
    }

    let length = content_length(&parts.headers);
    if length.is_some_and(|length| length > max_size as u64) {
        return Err(too_large("received", max_size).with_http_status(parts.status));
    }
    // One allocation for a body of declared length, instead of a copy at
    // each doubling. The length is below max_size, checked above.
    let capacity = length.map_or(0, |length| length as usize);
    let mut data = BytesMut::with_capacity(capacity);
    let mut http_trailers = HeaderMap::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| body_error(&authority, error))?;
        match frame.into_data() {
            Ok(chunk) => {
                if data.len().saturating_add(chunk.len()) > max_size {
                    return Err(too_large("received", max_size).with_http_status(parts.status));
                }
                data.extend_from_slice(&chunk);
            }
            Err(frame) => {
                if let Ok(trailers) = frame.into_trailers() {
                    http_trailers.extend(trailers);
                }
            }
        }
    }
    Ok(RawResponse {
        status: parts.status,
        version: parts.version,
        headers: parts.headers,
        http_trailers,
        body: data.freeze(),
    })
}

/// Decompresses a body per its `Content-Encoding`. An empty body is never
/// decompressed, as the Connect protocol requires.
pub(crate) fn decompress(
    headers: &HeaderMap,
    body: Bytes,
    max_size: usize,
) -> Result<Bytes, Status> {
    let encoding = headers
        .get(http::header::CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.trim().to_ascii_lowercase());
    match encoding.as_deref() {
        None | Some("" | "identity") => Ok(body),
        Some(_) if body.is_empty() => Ok(body),
        Some("gzip") => gunzip(&body, max_size),
        Some(other) => Err(Status::client(
            Code::Internal,
            format!("the response uses content-encoding {other}, but the client accepts only gzip"),
        )
        .with_kind(ClientErrorKind::Decode)),
    }
}

/// Returns the size of a header list: names, values and 32 bytes per field.
fn header_list_size(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + HEADER_FIELD_OVERHEAD)
        .sum()
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Maps a failure before the response head arrived. A connect error means
/// the request was never written: connection refused, DNS failure, connect
/// timeout, TLS handshake failure.
fn send_error(authority: &str, error: hyper_util::client::legacy::Error) -> Status {
    let cause = error_chain(&error);
    let status = if error.is_connect() {
        Status::client(
            Code::Unavailable,
            format!("failed to connect to {authority}: {cause}"),
        )
        .with_kind(ClientErrorKind::Connect)
    } else {
        Status::client(
            Code::Unavailable,
            format!("the connection to {authority} failed before a response arrived: {cause}"),
        )
        .with_kind(ClientErrorKind::Transport)
    };
    status.with_source(error)
}

/// Maps a failure while reading the body. The response was cut off, so the
/// status is `Internal`, as for any response that cannot be decoded. A retry
/// policy can still tell it apart with [`Status::is_transport`].
fn body_error(authority: &str, error: hyper::Error) -> Status {
    let cause = error_chain(&error);
    Status::client(
        Code::Internal,
        format!("the response body from {authority} was cut off: {cause}"),
    )
    .with_kind(ClientErrorKind::Transport)
    .with_source(error)
}

/// Joins the messages of an error's source chain, skipping repeats and the
/// generic top-level message of hyper-util's client error.
pub(crate) fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(error) = current {
        let text = error.to_string();
        let generic = text.starts_with("client error (");
        let repeated = parts.last().is_some_and(|last| last.contains(&text));
        if !generic && !repeated && !text.is_empty() {
            parts.push(text);
        }
        current = error.source();
    }
    if parts.is_empty() {
        error.to_string()
    } else {
        parts.join(": ")
    }
}
