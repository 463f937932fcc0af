//! A local emulator of the control plane API v1beta2, in-process for tests and
//! standalone for tools.
//!
//! One port serves both wire forms of the API over HTTP/1.1 and HTTP/2
//! cleartext: the REST paths under `/v1beta2/sandbox/` (JSON, errors as
//! `google.rpc.Status`) and the Connect procedures
//! `/coreweave.sandbox.v1beta2.RunnerManagementService/<Method>` (JSON or
//! binary, POST or GET for Get and List, gzip, Connect error bodies).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use std::time::Duration;
//! use cwsandbox_control::emulator::{Emulator, Timings};
//!
//! let emulator = Emulator::builder()
//!     .timings(Timings::instant())
//!     .manual_clock()
//!     .start()
//!     .await?;
//! println!("{} with token {}", emulator.base_url(), emulator.admin_token());
//! let start = emulator.now();
//! emulator.advance(Duration::from_secs(5));
//! assert_eq!(emulator.now().duration_since(start).unwrap(), Duration::from_secs(5));
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Behaviour beyond the API contract
//!
//! - Tokens come from [`EmulatorConfig::tokens`]. The defaults are
//!   `admin-token` and `user-token` of organization `org-example`, and
//!   `other-admin-token` of `org-other`.
//! - Clusters come from [`EmulatorConfig::clusters`]. A runner's zone must be
//!   the cluster's `zone` or one of its `extra_zones`, on create and on a zone
//!   update alike. The default `lab-west-cks` spans `US-WEST-09B` and
//!   `US-WEST-09C`. A cluster's `status` decides whether installs on it end
//!   READY or FAILED.
//! - A runner keeps its runner id and its cluster while it is DELETING, so a
//!   new runner with the same runner id or on the same cluster is
//!   ALREADY_EXISTS until teardown ends. A DELETING runner does not keep its
//!   templates in use.
//! - Update and apply-update of a DELETING runner are FAILED_PRECONDITION.
//!   A configuration change or apply-update of a FAILED runner retries the
//!   install.
//! - A configuration change is a change of `managedSpec`, `profileBindings`,
//!   `identity.zone` or `identity.runnerGroupId`, or of the spec of a bound
//!   template; `displayName` is not one.
//! - Without a mask, message fields apply when present and booleans only
//!   when true.
//! - Changing the release channel keeps the runner's version; apply-update
//!   moves it once the channel has a newer one.
//! - Page tokens are sealed with a key drawn at start. With a state file the
//!   key is kept in it, so tokens survive a restart; without one they do not.

mod api;
mod clock;
mod codec;
mod config;
mod error;
mod faults;
mod handle;
mod lifecycle;
mod mask;
#[cfg(test)]
mod mask_differential;
mod page_token;
mod persist;
mod routes;
mod server;
mod service;
mod state;
mod timefmt;
mod validate;
mod wire;

pub use config::{
    ClusterConfig, ClusterStatus, EmulatorConfig, Fault, ReleaseVersions, Role, Timings,
    TokenConfig,
};
pub use handle::{Emulator, EmulatorBuilder, EmulatorHandle, serve};
pub use service::{EmulatorService, PeerInfo};
