//! The minimum supported Rust version check of the dependency graph.
//!
//! `rust-version` in Cargo.toml is a promise that the crate builds with that
//! toolchain. Only one toolchain is installed where this check runs, so it
//! cannot build with the older one. Two checks cover what can be checked.
//! Clippy's `incompatible_msrv` lint, which runs with the rest of clippy,
//! flags calls of standard library items stabilized after `rust-version`.
//! This task flags every package in the resolved graph of the crate (normal,
//! build and dev dependencies, every feature on) whose own `rust-version` is
//! newer.
//! Language features newer than `rust-version` are not caught by either.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// The package whose dependency graph is checked.
pub const PACKAGE: &str = "cwsandbox-control";

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    resolve: Option<Resolve>,
}

#[derive(Deserialize)]
struct Package {
    id: String,
    name: String,
    version: String,
    rust_version: Option<String>,
}

#[derive(Deserialize)]
struct Resolve {
    nodes: Vec<Node>,
}

#[derive(Deserialize)]
struct Node {
    id: String,
    deps: Vec<NodeDep>,
}

#[derive(Deserialize)]
struct NodeDep {
    pkg: String,
}

/// A package whose `rust-version` is newer than the crate's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// `name@version` of the package.
    pub package: String,
    /// The package's `rust-version`.
    pub rust_version: String,
}

/// A `major.minor.patch` Rust version; a missing part counts as 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RustVersion([u64; 3]);

impl RustVersion {
    /// Parses `1.88` or `1.88.0`.
    ///
    /// # Errors
    ///
    /// Returns an error naming the text when a part is not a number or
    /// there are more than three parts.
    pub fn parse(text: &str) -> Result<Self> {
        let mut parts = [0u64; 3];
        let mut count = 0;
        for (index, part) in text.trim().split('.').enumerate() {
            if index >= 3 {
                bail!("invalid rust-version {text:?}: use major.minor or major.minor.patch");
            }
            parts[index] = part.parse().with_context(|| {
                format!("invalid rust-version {text:?}: {part:?} is not a number")
            })?;
            count = index + 1;
        }
        if count < 2 {
            bail!("invalid rust-version {text:?}: use major.minor or major.minor.patch");
        }
        Ok(Self(parts))
    }
}

/// Returns the packages reachable from `root` whose `rust-version` is newer
/// than `limit`, sorted by name.
///
/// # Errors
///
/// Returns an error when the metadata has no resolved graph, `root` is not in
/// it, or a package declares a `rust-version` that does not parse.
fn violations(metadata: &Metadata, root: &str, limit: RustVersion) -> Result<Vec<Violation>> {
    let resolve = metadata
        .resolve
        .as_ref()
        .context("cargo metadata returned no dependency graph")?;
    let packages: BTreeMap<&str, &Package> = metadata
        .packages
        .iter()
        .map(|package| (package.id.as_str(), package))
        .collect();
    let edges: BTreeMap<&str, Vec<&str>> = resolve
        .nodes
        .iter()
        .map(|node| {
            let deps = node.deps.iter().map(|dep| dep.pkg.as_str()).collect();
            (node.id.as_str(), deps)
        })
        .collect();
    let root_id = metadata
        .packages
        .iter()
        .find(|package| package.name == root)
        .map(|package| package.id.as_str())
        .with_context(|| format!("package {root} is not in the workspace"))?;

    let mut reached = BTreeSet::new();
    let mut pending = vec![root_id];
    while let Some(id) = pending.pop() {
        if !reached.insert(id) {
            continue;
        }
        pending.extend(edges.get(id).into_iter().flatten().copied());
    }

    let mut found = Vec::new();
    for id in reached {
        let Some(package) = packages.get(id) else {
            continue;
        };
        let Some(declared) = &package.rust_version else {
            continue;
        };
        let version = RustVersion::parse(declared)
            .with_context(|| format!("in package {}@{}", package.name, package.version))?;
        if version.cmp(&limit) == Ordering::Greater {
            found.push(Violation {
                package: format!("{}@{}", package.name, package.version),
                rust_version: declared.clone(),
            });
        }
    }
    found.sort_by(|a, b| a.package.cmp(&b.package));
    Ok(found)
}

/// Checks the dependency graph of [`PACKAGE`] against its `rust-version`
/// and prints the result. Returns whether no package needs a newer Rust.
///
/// # Errors
///
/// Returns an error when `cargo metadata` fails or its output does not parse.
pub fn run(repo: &Path) -> Result<bool> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(&cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--all-features",
            "--locked",
        ])
        .current_dir(repo)
        .output()
        .with_context(|| format!("failed to run {cargo} metadata"))?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let metadata: Metadata =
        serde_json::from_slice(&output.stdout).context("failed to parse cargo metadata output")?;
    let declared = metadata
        .packages
        .iter()
        .find(|package| package.name == PACKAGE)
        .and_then(|package| package.rust_version.clone())
        .with_context(|| format!("{PACKAGE} declares no rust-version in Cargo.toml"))?;
    let limit = RustVersion::parse(&declared)?;

    let found = violations(&metadata, PACKAGE, limit)?;
    let checked = metadata
        .resolve
        .as_ref()
        .map_or(0, |resolve| resolve.nodes.len());
    if found.is_empty() {
        println!(
            "msrv: every package in the graph of {PACKAGE} declares rust-version {declared} or \
             older, or none ({checked} packages in the workspace graph)"
        );
        return Ok(true);
    }
    for violation in &found {
        println!(
            "msrv: {} needs Rust {}, newer than {PACKAGE}'s rust-version {declared}",
            violation.package, violation.rust_version
        );
    }
    println!(
        "msrv: {} packages need a newer Rust; raise rust-version or pin older versions with \
         `cargo update --precise`",
        found.len()
    );
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(name: &str, rust_version: Option<&str>) -> Package {
        Package {
            id: format!("{name}-id"),
            name: name.to_string(),
            version: "1.0.0".to_string(),
            rust_version: rust_version.map(str::to_string),
        }
    }

    fn node(name: &str, deps: &[&str]) -> Node {
        Node {
            id: format!("{name}-id"),
            deps: deps
                .iter()
                .map(|dep| NodeDep {
                    pkg: format!("{dep}-id"),
                })
                .collect(),
        }
    }

    fn graph() -> Metadata {
        Metadata {
            packages: vec![
                package("root", Some("1.88")),
                package("old", Some("1.70")),
                package("same", Some("1.88.0")),
                package("newer", Some("1.89")),
                package("unpinned", None),
                package("unreached", Some("1.95")),
            ],
            resolve: Some(Resolve {
                nodes: vec![
                    node("root", &["old", "same"]),
                    node("old", &["newer", "unpinned"]),
                    node("same", &[]),
                    node("newer", &["old"]),
                    node("unpinned", &[]),
                    node("unreached", &[]),
                ],
            }),
        }
    }

    #[test]
    fn reports_newer_reachable_packages() {
        let limit = RustVersion::parse("1.88").unwrap();
        let found = violations(&graph(), "root", limit).unwrap();
        assert_eq!(
            found,
            [Violation {
                package: "newer@1.0.0".to_string(),
                rust_version: "1.89".to_string(),
            }]
        );
    }

    #[test]
    fn newer_limit_reports_nothing() {
        let limit = RustVersion::parse("1.89").unwrap();
        assert!(violations(&graph(), "root", limit).unwrap().is_empty());
    }

    #[test]
    fn versions_compare_by_number() {
        let parse = |text| RustVersion::parse(text).unwrap();
        assert!(parse("1.100") > parse("1.99"));
        assert_eq!(parse("1.88"), parse("1.88.0"));
        assert!(parse("1.88.1") > parse("1.88"));
    }

    #[test]
    fn invalid_versions_rejected() {
        for text in ["", "1", "1.x", "1.2.3.4", "one.two"] {
            let error = RustVersion::parse(text).unwrap_err();
            assert!(
                error.to_string().contains("invalid rust-version"),
                "{text}: {error:#}"
            );
        }
    }
}
