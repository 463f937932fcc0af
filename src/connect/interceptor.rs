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
