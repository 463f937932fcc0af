//! Repository tasks behind `cargo xtask`: the breaking-change check of the
//! protos, proto lint, the API snapshot and taking in a new proto release.

pub mod bench;
pub mod breaking;
pub mod buf;
pub mod describe;
pub mod descriptor;
pub mod fuzz;
pub mod git;
pub mod golden;
pub mod lint;
pub mod msrv;
pub mod options;
pub mod protoset;
pub mod semver;
pub mod summary;
pub mod update;

use std::path::PathBuf;

/// Returns the root of the repository that contains this crate.
pub fn repo_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}
