//! The one error type of every call.

use std::fmt;

use http::HeaderMap;

use super::code::Code;
use crate::rpc;
use crate::wkt::Any;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Where a [`Status`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The server sent it as an error response.
    Server,
    /// The client made it: a timeout, a connection failure, a response that
    /// did not decode, or a request that could not be encoded.
    Client,
}

/// A typed error detail, from `google.rpc.Status.details` or Connect error details.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Detail {
    /// `google.rpc.ErrorInfo`: a machine-readable reason within a domain.
    ErrorInfo(rpc::ErrorInfo),
    /// `google.rpc.RetryInfo`: how long to wait before a retry.
    RetryInfo(rpc::RetryInfo),
    /// `google.rpc.BadRequest`: the invalid fields of the request.
    BadRequest(rpc::BadRequest),
    /// `google.rpc.PreconditionFailure`: the preconditions that failed.
    PreconditionFailure(rpc::PreconditionFailure),
    /// `google.rpc.QuotaFailure`: the quotas that were exceeded.
    QuotaFailure(rpc::QuotaFailure),
    /// `google.rpc.ResourceInfo`: the resource the error is about.
    ResourceInfo(rpc::ResourceInfo),
    /// `google.rpc.RequestInfo`: the server's id for the request.
    RequestInfo(rpc::RequestInfo),
    /// `google.rpc.DebugInfo`: debugging data from the server.
    DebugInfo(rpc::DebugInfo),
    /// `google.rpc.Help`: links to documentation.
    Help(rpc::Help),
    /// `google.rpc.LocalizedMessage`: the message translated for the user.
    LocalizedMessage(rpc::LocalizedMessage),
    /// A detail of a type this crate does not decode, kept as it arrived.
    Other(Any),
}

struct Inner {
    code: Code,
    message: String,
    details: Vec<Detail>,
    headers: HeaderMap,
    trailers: HeaderMap,
    origin: Origin,
    http_status: Option<http::StatusCode>,
    source: Option<BoxError>,
}

/// The error of a call: a [`Code`], a message, typed details and the metadata
/// of the response that carried it.
///
/// `Display` prints `<code>: <message>`, and for client-made errors the
/// source chain is reachable through [`std::error::Error::source`].
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
            http_status: None,
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

    /// Returns the headers of the response that carried the error.
    pub fn headers(&self) -> &HeaderMap {
        &self.0.headers
    }

    /// Returns the trailers of the response that carried the error.
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

    /// Returns the delay of the first `RetryInfo` detail, when it is valid.
    pub fn retry_delay(&self) -> Option<std::time::Duration> {
        self.0.details.iter().find_map(|detail| match detail {
            Detail::RetryInfo(info) => {
                let delay = info.retry_delay.as_ref()?;
                let seconds = u64::try_from(delay.seconds).ok()?;
                let nanos = u32::try_from(delay.nanos).ok()?;
                Some(std::time::Duration::new(seconds, nanos))
            }
            _ => None,
        })
    }

    /// Returns the first `BadRequest` detail.
    pub fn bad_request(&self) -> Option<&rpc::BadRequest> {
        self.0.details.iter().find_map(|detail| match detail {
            Detail::BadRequest(info) => Some(info),
            _ => None,
        })
    }

    /// Returns true when the server sent this status.
    pub fn is_from_server(&self) -> bool {
        self.0.origin == Origin::Server
    }

    /// Returns true when the call ran out of time.
    pub fn is_timeout(&self) -> bool {
        self.0.code == Code::DeadlineExceeded
    }

    /// Returns true when the resource does not exist.
    pub fn is_not_found(&self) -> bool {
        self.0.code == Code::NotFound
    }

    /// Returns true when the resource already exists.
    pub fn is_already_exists(&self) -> bool {
        self.0.code == Code::AlreadyExists
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
        self.0.source = Some(source.into());
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
