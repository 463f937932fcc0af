//! A generic Connect and REST (google.api.http) client runtime.
//!
//! Nothing here knows the CoreWeave API: generated clients hand a
//! [`MethodDescriptor`] and a message to [`Channel::unary`], which carries the
//! call over the Connect protocol or REST transcoding and returns the response
//! message or a [`Status`].

mod channel;
mod code;
mod method;
mod request;
mod status;

pub use channel::{Channel, Message};
pub use code::{Code, UnknownCodeName};
pub use method::{HttpRule, HttpVerb, Idempotency, MethodDescriptor};
pub use request::{CallOptions, IntoRequest, Request, Response};
pub use status::{Detail, Origin, Status};

/// A boxed future that is `Send`, as the stub traits return.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
