//! Typed client, CLI and local emulator for the CoreWeave Sandbox control plane API (v1beta2).
//!
//! The control plane manages *profile templates*, which define what a sandbox
//! may request, and *managed runners*, the per-cluster agents that place sandboxes,
//! with their profile bindings. This crate gives Rust programs:
//!
//! - the API's messages and a typed client, generated at build time from the
//!   `.proto` files shipped in the crate ([`v1beta2`]);
//! - [`Client`], that client with CoreWeave's endpoint, the token from
//!   `COREWEAVE_API_TOKEN` and creates that are safe to retry;
//! - a generic Connect and REST transport with retries, deadlines and one
//!   error type, [`connect::Status`] ([`connect`]);
//! - an emulator of the control plane that runs in-process on 127.0.0.1, so
//!   code that calls the API can be tested offline (`emulator`, with the
//!   feature of that name).
//!
//! # Calling the API
//!
//! ```no_run
//! use cwsandbox_control::Client;
//! use cwsandbox_control::v1beta2::ListProfileTemplatesRequest;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! // https://api.coreweave.com with the token from COREWEAVE_API_TOKEN.
//! let client = Client::new(Client::builder().build()?);
//! let page = client.list_profile_templates(ListProfileTemplatesRequest::default()).await?;
//! for template in page.profile_templates {
//!     println!("{} {}", template.id, template.display_name);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Every method returns the response message or a [`connect::Status`] with the
//! code, the message and the typed google.rpc details the server sent. Calls
//! need a Tokio runtime with the `net` and `time` drivers. [`Client`],
//! [`connect::Channel`] and the generated client are `Send + Sync` and cheap
//! to clone, and clones share one connection pool, so one client can serve a
//! whole program.
//!
//! # Testing against the emulator
//!
//! With the `emulator` feature, `emulator::Emulator::start()` serves the API on
//! a free port of 127.0.0.1 with the same validation, errors and runner
//! lifecycle, and `admin_token()` returns a token it accepts for every call:
//!
//! ```
//! # #[cfg(feature = "emulator")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use cwsandbox_control::Client;
//! use cwsandbox_control::connect::{Channel, Code};
//! use cwsandbox_control::emulator::Emulator;
//! use cwsandbox_control::v1beta2::{
//!     CreateProfileTemplateRequest, GetRunnerRequest, ProfileSpec, ProfileTemplate,
//! };
//!
//! let emulator = Emulator::start().await?;
//! let channel = Channel::builder(emulator.base_url())
//!     .bearer_token(emulator.admin_token().to_string())
//!     .build()?;
//! let client = Client::new(channel);
//!
//! let template = ProfileTemplate {
//!     display_name: "agents".to_string(),
//!     spec: Some(ProfileSpec::default()),
//!     ..ProfileTemplate::default()
//! };
//! let request = CreateProfileTemplateRequest { profile_template: Some(template) };
//! let created = client.create_profile_template(request).await?;
//! assert_eq!(created.display_name, "agents");
//!
//! let missing = client.get_runner(GetRunnerRequest { id: "no-such-runner".into() }).await;
//! assert_eq!(missing.unwrap_err().code(), Code::NotFound);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "emulator"))]
//! # fn main() {}
//! ```
//!
//! The `examples/` directory of the repository has more. `quickstart` lists
//! and creates templates, and `retries` prints what the retry policy does
//! under injected faults. `apply_folder` applies a folder of YAML files with
//! [`ops`], and `axum_service` is an HTTP service with its own tests against
//! the emulator.
//!
//! # Features
//!
//! | feature | adds | default |
//! | --- | --- | --- |
//! | `tls-ring-webpki` | HTTPS with rustls on the ring provider and the Mozilla root certificates compiled in | yes |
//! | `tls-ring-native` | HTTPS with rustls on the ring provider and the operating system's root certificates | no |
//! | `emulator` | the `emulator` module: the server side of the API, for tests | through `cli` |
//! | `cli` | the `cwsctl` binary and its dependencies (clap, indicatif, comfy-table, tracing-subscriber, a YAML parser) | yes |
//!
//! A library that embeds this crate usually wants
//! `default-features = false, features = ["tls-ring-webpki"]`, plus
//! `emulator` in its dev-dependencies. Without a TLS feature, building a
//! channel for an `https://` endpoint is an error. With both TLS features the
//! client trusts both root sets. Either way the ring provider is passed to
//! rustls explicitly, so a program that also links aws-lc-rs still works.
//!
//! # Modules
//!
//! - [`v1beta2`]: the messages, enums and [`v1beta2::RunnerManagementServiceClient`].
//! - [`connect`]: channels, call options, retries, interceptors and [`connect::Status`].
//! - [`ops`]: field masks, apply plans, profile binding edits, pagination streams and
//!   waiting for a runner, as `cwsctl` uses them.
//! - [`rpc`]: the google.rpc error model: `Status`, `Code` and the error details.
//! - [`wkt`]: the well-known types (`Timestamp`, `FieldMask`, ...) with their proto3 JSON forms.
//! - `emulator` (feature `emulator`): the in-process and standalone emulator.
//!
//! # Types from other crates in the public API
//!
//! These crates are part of this crate's interface on purpose, so a release
//! that moves to a new major version of one of them is a breaking release:
//!
//! - [`http`]: header maps, header names and values, status codes and the
//!   request head that [`connect::Interceptor`] sees.
//! - [`prost`]: every message implements [`prost::Message`] and [`prost::Name`]
//!   for the binary encoding.
//! - [`bytes`]: the buffers of [`prost::Message::encode`] and
//!   [`prost::Message::decode`].
//! - [`serde_json`]: the JSON of error details that no generated type
//!   describes ([`connect::OtherDetail::json`]) and the values of an
//!   [`ops::FieldChange`]. Every message also implements `serde::Serialize`
//!   and `serde::Deserialize` in the proto3 JSON form.
//!
//! Nothing is printed unless the program installs a `tracing` subscriber. The
//! client emits events at debug level only, for each failed call and each
//! retry. The emulator, a server, logs its start and stop and each error
//! response at info level, and its own failures at warn and error level.

#[cfg(feature = "cli")]
pub mod cli;
mod client;
pub mod connect;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod ops;
pub mod wkt;

pub use client::{Client, DEFAULT_ENDPOINT, Ensured, TOKEN_ENV, existing_resource};

/// Messages, enums and the typed client of `coreweave.sandbox.v1beta2`.
#[allow(
    clippy::unnecessary_cast,
    reason = "pbjson casts enum values that are already i32"
)]
pub mod v1beta2 {
    include!(concat!(env!("OUT_DIR"), "/coreweave.sandbox.v1beta2.rs"));
    include!(concat!(
        env!("OUT_DIR"),
        "/coreweave.sandbox.v1beta2.serde.rs"
    ));
    include!(concat!(
        env!("OUT_DIR"),
        "/coreweave.sandbox.v1beta2.client.rs"
    ));
    include!(concat!(
        env!("OUT_DIR"),
        "/coreweave.sandbox.v1beta2.fields.rs"
    ));
}

/// The google.rpc error model: `Status`, `Code` and the standard error details.
///
/// REST error bodies are a `google.rpc.Status` in proto3 JSON, with each detail packed in
/// an `Any`. [`connect::Status`] decodes them into [`connect::Detail`] values, and these
/// types read or build them directly:
///
/// ```
/// use cwsandbox_control::rpc::{BadRequest, Code, ErrorInfo, Status, bad_request::FieldViolation};
/// use cwsandbox_control::wkt::Any;
/// use serde_json::json;
///
/// let body = json!({
///     "code": 3,
///     "message": "runner.identity.zone: required",
///     "details": [
///         {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "CWSANDBOX_INVALID_ARGUMENT"},
///         {
///             "@type": "type.googleapis.com/google.rpc.BadRequest",
///             "fieldViolations": [{"field": "runner.identity.zone", "description": "required"}],
///         },
///     ],
/// });
/// let status: Status = serde_json::from_value(body.clone())?;
/// assert_eq!(Code::try_from(status.code)?, Code::InvalidArgument);
/// let info = status.details[0].unpack::<ErrorInfo>()?.unwrap();
/// assert_eq!(info.reason, "CWSANDBOX_INVALID_ARGUMENT");
///
/// let violation = FieldViolation {
///     field: "runner.identity.zone".into(),
///     description: "required".into(),
///     ..FieldViolation::default()
/// };
/// assert_eq!(status.details[1], Any::pack(&BadRequest { field_violations: vec![violation] }));
/// assert_eq!(serde_json::to_value(&status)?, body);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[allow(
    clippy::unnecessary_cast,
    reason = "pbjson casts enum values that are already i32"
)]
pub mod rpc {
    include!(concat!(env!("OUT_DIR"), "/google.rpc.rs"));
    include!(concat!(env!("OUT_DIR"), "/google.rpc.serde.rs"));
}
