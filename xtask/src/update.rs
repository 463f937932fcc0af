//! Taking a new proto release into the proto directory.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use tempfile::TempDir;

use crate::protoset::find_proto_files;

/// A proto release staged next to the current protos.
pub struct Staged {
    /// The current proto directory with the release's trees swapped in.
    pub dir: TempDir,
    /// Top-level names (directories or files) that the release provides.
    pub entries: Vec<String>,
}

/// Copies `proto_dir` into a temporary directory and replaces each top-level
/// directory or `.proto` file that `release` provides with the release's
/// `.proto` files. Trees the release lacks, such as vendored `google/`
/// definitions, stay as they are.
pub fn stage(release: &Path, proto_dir: &Path) -> Result<Staged> {
    let entries = release_entries(release)?;
    let dir = tempfile::tempdir().context("failed to create a temporary directory")?;
    copy_protos(proto_dir, dir.path())?;
    for entry in &entries {
        replace_entry(&release.join(entry), &dir.path().join(entry))?;
    }
    Ok(Staged { dir, entries })
}

/// Replaces the staged entries in `proto_dir`.
pub fn install(staged: &Staged, proto_dir: &Path) -> Result<()> {
    for entry in &staged.entries {
        replace_entry(&staged.dir.path().join(entry), &proto_dir.join(entry))?;
    }
    Ok(())
}

/// Top-level names under `release` that contain `.proto` files, sorted.
fn release_entries(release: &Path) -> Result<Vec<String>> {
    let files = find_proto_files(release)?;
    if files.is_empty() {
        bail!(
            "no .proto files under {}: pass the root of a proto release with --from",
            release.display()
        );
    }
    let mut entries: Vec<String> = files
        .iter()
        .filter_map(|file| file.split('/').next().map(str::to_string))
        .collect();
    entries.sort();
    entries.dedup();
    Ok(entries)
}

fn replace_entry(source: &Path, dest: &Path) -> Result<()> {
    if dest.is_dir() {
        fs::remove_dir_all(dest).with_context(|| format!("failed to remove {}", dest.display()))?;
    } else if dest.exists() {
        fs::remove_file(dest).with_context(|| format!("failed to remove {}", dest.display()))?;
    }
    if source.is_dir() {
        copy_protos(source, dest)
    } else {
        copy_file(source, dest)
    }
}

/// Copies the `.proto` files under `source` to the same paths under `dest`.
fn copy_protos(source: &Path, dest: &Path) -> Result<()> {
    for file in find_proto_files(source)? {
        copy_file(&source.join(&file), &dest.join(&file))?;
    }
    Ok(())
}

fn copy_file(source: &Path, dest: &Path) -> Result<()> {
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("failed to create {}", parent.display()))?;
    }
    fs::copy(source, dest)
        .with_context(|| format!("failed to copy {} to {}", source.display(), dest.display()))?;
    Ok(())
}

/// Runs `cargo <args>` in `repo` with the output going to the terminal, and
/// returns whether it succeeded.
pub fn cargo(repo: &Path, args: &[&str]) -> Result<bool> {
    let cargo = std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from);
    let status = Command::new(&cargo)
        .args(args)
        .current_dir(repo)
        .status()
        .with_context(|| format!("failed to run {} {}", cargo.display(), args.join(" ")))?;
    Ok(status.success())
}
