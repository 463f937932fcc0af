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
pub struct Status(Box<Inner>);

impl Status {
    /// Creates a status that a server sent.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self::with_origin(code, message, Origin::Server)
    }

    /// Creates a status that the client made, such as a timeout.
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
    pub fn code(&self) -> Code {
        self.0.code
    }

    /// Returns the message, as the server or the client wrote it.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// Returns the typed details.
    pub fn details(&self) -> &[Detail] {
        &self.0.details
    }

    /// Returns the headers of the response that carried the error, without
    /// the Connect `trailer-` headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.0.headers
    }

    /// Returns the trailers of the response that carried the error: Connect
    /// `trailer-` headers with the prefix removed, and HTTP trailers.
    pub fn trailers(&self) -> &HeaderMap {
        &self.0.trailers
    }

    /// Returns where the status came from.
    pub fn origin(&self) -> Origin {
        self.0.origin
    }

    /// Returns the HTTP status of the response, when there was one.
    pub fn http_status(&self) -> Option<http::StatusCode> {
        self.0.http_status
    }

    /// Returns the first `ErrorInfo` detail.
    pub fn error_info(&self) -> Option<&rpc::ErrorInfo> {
        self.0.details.iter().find_map(|detail| match detail {
            Detail::ErrorInfo(info) => Some(info),
            _ => None,
        })
    }

    /// Returns how long the server asked the client to wait before a retry:
    /// the first valid `RetryInfo` detail, or else a `Retry-After` header in
    /// seconds on an HTTP 429 or 503 response.
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
    pub fn bad_request(&self) -> Option<&rpc::BadRequest> {
        self.0.details.iter().find_map(|detail| match detail {
            Detail::BadRequest(info) => Some(info),
            _ => None,
        })
    }

    /// Returns true when a server (or a proxy in front of it) sent this status.
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
    pub fn is_unsent(&self) -> bool {
        self.0.unsent
    }

    /// Returns true when the call ran out of time, on the client or on the server.
    pub fn is_timeout(&self) -> bool {
        self.0.code == Code::DeadlineExceeded || self.0.kind == Some(ClientErrorKind::Timeout)
    }

    /// Returns true when no connection to the server could be made.
    pub fn is_connect(&self) -> bool {
        self.0.kind == Some(ClientErrorKind::Connect)
    }

    /// Returns true when the connection failed before a complete response arrived.
    pub fn is_transport(&self) -> bool {
        matches!(
            self.0.kind,
            Some(ClientErrorKind::Connect | ClientErrorKind::Transport)
        )
    }

    /// Returns true when the response arrived but could not be decoded.
    pub fn is_decode(&self) -> bool {
        self.0.kind == Some(ClientErrorKind::Decode)
    }

    /// Returns true when the response passed the channel's size or JSON
    /// nesting limit.
    pub fn is_too_large(&self) -> bool {
        self.0.kind == Some(ClientErrorKind::TooLarge)
    }

    /// Returns true when the server responded with a redirect (HTTP 3xx).
    pub fn is_redirect(&self) -> bool {
        self.0.kind == Some(ClientErrorKind::Redirect)
    }

    /// Returns true when the resource does not exist.
    pub fn is_not_found(&self) -> bool {
        self.0.code == Code::NotFound
    }

    /// Returns true when the resource already exists.
    pub fn is_already_exists(&self) -> bool {
        self.0.code == Code::AlreadyExists
    }

    /// Returns true when the service is temporarily unavailable.
    pub fn is_unavailable(&self) -> bool {
        self.0.code == Code::Unavailable
    }

    /// Adds a detail.
    pub fn with_detail(mut self, detail: Detail) -> Self {
        self.0.details.push(detail);
        self
    }

    /// Replaces the details.
    pub fn with_details(mut self, details: Vec<Detail>) -> Self {
        self.0.details = details;
        self
    }

    /// Sets the response metadata.
    pub fn with_metadata(mut self, headers: HeaderMap, trailers: HeaderMap) -> Self {
        self.0.headers = headers;
        self.0.trailers = trailers;
        self
    }

    /// Sets the HTTP status of the response.
    pub fn with_http_status(mut self, status: http::StatusCode) -> Self {
        self.0.http_status = Some(status);
        self
    }

    /// Sets the underlying error.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.0.source = Some(Arc::from(source.into()));
        self
    }

    /// Marks the request as provably never sent, see [`Status::is_unsent`].
    /// Stubs and test doubles use this to imitate connection failures.
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
