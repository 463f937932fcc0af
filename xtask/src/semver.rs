//! The semver check of the library's Rust API, through cargo-semver-checks.
//!
//! cargo-semver-checks compares the rustdoc JSON of the crate at a baseline
//! git revision with the working tree and reports changes that need a major
//! (or, before 1.0, a minor) version bump. It is an optional tool: when it
//! is missing, the task prints the install command and fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The package whose public API is checked.
pub const PACKAGE: &str = "cwsandbox-control";

/// The command that installs cargo-semver-checks. It builds from source,
/// which took 14 minutes on 2 CPUs shared with other builds.
pub const INSTALL_COMMAND: &str = "cargo install cargo-semver-checks --locked";

/// Returns the `cargo` arguments that check [`PACKAGE`] against `baseline_rev`.
///
/// Every feature is enabled on both sides, so the `emulator` module is part
/// of the checked API.
// Run with cargo-semver-checks 0.51.0 on Rust 1.95: 202 checks, about 3.5
// minutes on 2 CPUs. NOTE: 0.51 has no lint for a changed parameter type,
// so a function that keeps its arity but takes another type passes.
pub fn check_args(baseline_rev: &str) -> Vec<String> {
    [
        "semver-checks",
        "check-release",
        "--package",
        PACKAGE,
        "--baseline-rev",
        baseline_rev,
        "--all-features",
    ]
    .iter()
    .map(|arg| (*arg).to_string())
    .collect()
}

/// Returns the version line of `cargo semver-checks --version`, or `None`
/// when the subcommand is not installed.
pub fn installed_version(cargo: &Path) -> Option<String> {
    let output = Command::new(cargo)
        .args(["semver-checks", "--version"])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let version = String::from_utf8_lossy(&output.stdout).trim().to_string();
    Some(version)
}

/// Runs the check against `baseline_rev` and returns whether it found no
/// breaking change.
///
/// # Errors
///
/// Returns an error with the install command when cargo-semver-checks is
/// missing, or when it cannot be started.
pub fn run(repo: &Path, baseline_rev: &str) -> Result<bool> {
    let cargo = std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from);
    let Some(version) = installed_version(&cargo) else {
        bail!(
            "cargo-semver-checks is not installed: run `{INSTALL_COMMAND}` (a source build of \
             several minutes), then rerun `cargo xtask semver`"
        );
    };
    println!("{version}: checking {PACKAGE} against git ref {baseline_rev}");

    let args = check_args(baseline_rev);
    let status = Command::new(&cargo)
        .args(&args)
        .current_dir(repo)
        .status()
        .with_context(|| format!("failed to run {} {}", cargo.display(), args.join(" ")))?;
    Ok(status.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_name_package_and_baseline() {
        let args = check_args("v0.1.0");
        let joined = args.join(" ");
        assert!(
            joined.starts_with("semver-checks check-release"),
            "{joined}"
        );
        assert!(joined.contains("--package cwsandbox-control"), "{joined}");
        assert!(joined.contains("--baseline-rev v0.1.0"), "{joined}");
        assert!(joined.contains("--all-features"), "{joined}");
    }

    #[test]
    fn missing_subcommand_has_no_version() {
        let missing = Path::new("/nonexistent/cargo");
        assert_eq!(installed_version(missing), None);
    }
}
