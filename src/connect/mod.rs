//! A generic Connect and REST (google.api.http) client runtime.
//!
//! Nothing here depends on the CoreWeave API: generated clients pass a
//! [`MethodDescriptor`] and a message to [`Channel::unary`], which carries the
//! call over the Connect protocol or REST transcoding and returns the response
//! message or a [`Status`].
//!
//! ```no_run
//! use cwsandbox_control::connect::{Channel, Protocol};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let channel = Channel::builder("https://api.example.com")
//!     .protocol(Protocol::Connect)
//!     .bearer_token(std::env::var("API_TOKEN")?)
//!     .build()?;
//! # let _ = channel;
//! # Ok(())
//! # }
//! ```
//!
//! # Errors
//!
//! Every failure is a [`Status`]. Errors that the client makes up use these
//! codes:
//!
//! | failure | code |
//! | --- | --- |
//! | connection refused, DNS or TLS handshake failure | `unavailable` (unsent) |
//! | connection reset before the response head | `unavailable` |
//! | deadline passed | `deadline_exceeded` |
//! | response body cut off, invalid JSON, UTF-8, protobuf or gzip | `internal` |
//! | 200 response whose content type is not the requested codec's | `internal`, or `unknown` when it is not `application/*` at all |
//! | response over the size or JSON depth limit | `resource_exhausted` |
//! | request that cannot be encoded or transcoded (missing path field) | `invalid_argument` or `internal` (unsent) |
//! | bearer token over plain HTTP to a remote host | `failed_precondition` (unsent) |
//! | HTTP 3xx redirect | `unknown` |

mod builder;
mod channel;
mod code;
mod codec;
mod connect_wire;
mod details;
mod error_body;
mod exchange;
mod headers;
mod interceptor;
mod metadata;
mod method;
mod path_template;
mod request;
mod rest;
mod retry;
mod status;
#[cfg(any(feature = "tls-ring-webpki", feature = "tls-ring-native"))]
mod tls;
mod token;

pub use builder::{
    BuildError, ChannelBuilder, DEFAULT_CALL_TIMEOUT, DEFAULT_COMPRESSION_THRESHOLD,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_GET_URL_LENGTH, DEFAULT_MAX_HEADER_LIST_SIZE,
    DEFAULT_MAX_JSON_DEPTH, DEFAULT_MAX_RESPONSE_SIZE, HttpVersion,
};
pub use channel::{Channel, Message};
pub use code::{Code, UnknownCodeName};
pub use codec::Codec;
pub use details::{Detail, OtherDetail};
pub use error_body::Protocol;
pub use interceptor::{CallOutcome, Interceptor};
pub use metadata::{
    BINARY_SUFFIX, InvalidBinaryHeader, decode_binary_header, encode_binary_header, get_binary_all,
};
pub use method::{HttpRule, HttpVerb, Idempotency, MethodDescriptor};
pub use request::{CallOptions, IntoRequest, Request, Response};
pub use retry::{RetryBudget, RetryPolicy};
pub use status::{Origin, Status};
pub use token::SecretToken;

/// A boxed future that is `Send`, as the stub traits return.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
