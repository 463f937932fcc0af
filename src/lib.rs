//! Typed client, CLI and local emulator for the CoreWeave Sandbox control plane API (v1beta2).

#[cfg(feature = "cli")]
pub mod cli;
mod client;
pub mod connect;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod ops;
pub mod wkt;

pub use client::{Client, DEFAULT_ENDPOINT, TOKEN_ENV, existing_resource};

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
}

/// The google.rpc error model: `Status`, `Code` and the standard error details.
#[allow(
    clippy::unnecessary_cast,
    reason = "pbjson casts enum values that are already i32"
)]
pub mod rpc {
    include!(concat!(env!("OUT_DIR"), "/google.rpc.rs"));
    include!(concat!(env!("OUT_DIR"), "/google.rpc.serde.rs"));
}
