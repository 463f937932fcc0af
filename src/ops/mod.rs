//! Operations built on the generated client: field masks, apply planning,
//! profile binding edits, pagination streams and waiting for a runner.
//!
//! Everything here is plain library code that the `cwsctl` CLI uses and that
//! programs can use the same way. Nothing prints; events go to `tracing`.
//!
//! ```
//! use cwsandbox_control::ops::{runner_mask, apply_runner_mask};
//! use cwsandbox_control::v1beta2::Runner;
//!
//! let old = Runner { display_name: "lab".into(), ..Default::default() };
//! let new = Runner { display_name: "lab west".into(), ..Default::default() };
//! let mask = runner_mask(&old, &new);
//! assert_eq!(mask.paths, ["display_name"]);
//!
//! let mut updated = old.clone();
//! apply_runner_mask(&mut updated, &new, &mask)?;
//! assert_eq!(updated.display_name, "lab west");
//! # Ok::<(), cwsandbox_control::ops::MaskError>(())
//! ```

mod bindings;
mod field_path;
pub(crate) mod mask;
mod pages;
mod plan;
mod wait;

#[cfg(feature = "cli")]
pub(crate) use bindings::check_overrides;
pub use bindings::{BindError, BindOptions, bind, unbind};
pub use field_path::{FieldKind, FieldPathInfo};
pub use mask::{
    MaskError, MaskErrorKind, PROFILE_TEMPLATE_MASK_PATHS, RUNNER_MASK_PATHS,
    apply_profile_template_mask, apply_runner_mask, profile_template_mask, runner_mask,
    validate_profile_template_mask, validate_runner_mask,
};
pub use pages::{managed_runner_pages, managed_runners, profile_template_pages, profile_templates};
pub use plan::{Diff, FieldChange, Plan, PlanError, plan_profile_template, plan_runner};
pub use wait::{
    DEFAULT_WAIT_TIMEOUT, POLL_INTERVAL, WaitCondition, WaitError, WaitOptions,
    describe_install_error, describe_status, wait_for_runner,
};
