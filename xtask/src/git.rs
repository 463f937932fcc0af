//! Reading protos of another revision from git.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

fn git(repo: &Path, args: &[&str]) -> Result<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .with_context(|| format!("failed to run git {}: is git installed?", args.join(" ")))
}

/// Returns the most recent tag reachable from HEAD, or `None` when the
/// repository has no tag.
pub fn latest_tag(repo: &Path) -> Result<Option<String>> {
    let output = git(repo, &["describe", "--tags", "--abbrev=0"])?;
    if !output.status.success() {
        return Ok(None);
    }
    let tag = String::from_utf8_lossy(&output.stdout).trim().to_string();
    Ok((!tag.is_empty()).then_some(tag))
}

/// Writes the `.proto` files that `rev` has under `proto_dir` (a path
/// relative to the repository root) into `dest`, keeping their paths below
/// `proto_dir`. Returns how many files it wrote.
pub fn materialize_protos(repo: &Path, rev: &str, proto_dir: &str, dest: &Path) -> Result<usize> {
    let commit = format!("{rev}^{{commit}}");
    let verify = git(repo, &["rev-parse", "--verify", "--quiet", &commit])?;
    if !verify.status.success() {
        bail!("unknown git ref {rev:?}: pass a tag, branch or commit with --against");
    }
    let prefix = proto_dir.trim_end_matches('/');
    let listing = git(
        repo,
        &["ls-tree", "-r", "-z", "--name-only", rev, "--", prefix],
    )?;
    if !listing.status.success() {
        bail!(
            "git ls-tree {rev} failed: {}",
            String::from_utf8_lossy(&listing.stderr)
        );
    }
    let mut count = 0;
    for path in String::from_utf8_lossy(&listing.stdout).split('\0') {
        if !path.ends_with(".proto") {
            continue;
        }
        let Some(relative) = path.strip_prefix(prefix).map(|p| p.trim_start_matches('/')) else {
            continue;
        };
        write_blob(repo, rev, path, &dest.join(relative))?;
        count += 1;
    }
    if count == 0 {
        bail!("git ref {rev:?} has no .proto files under {prefix}/");
    }
    Ok(count)
}

fn write_blob(repo: &Path, rev: &str, path: &str, dest: &Path) -> Result<()> {
    let output = git(repo, &["show", &format!("{rev}:{path}")])?;
    if !output.status.success() {
        bail!(
            "git show {rev}:{path} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("failed to create {}", parent.display()))?;
    }
    fs::write(dest, output.stdout).with_context(|| format!("failed to write {}", dest.display()))
}
