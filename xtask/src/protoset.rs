//! Compiling a directory of `.proto` files with protox.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use prost_reflect::{
    DescriptorPool, EnumDescriptor, FileDescriptor, MessageDescriptor, ServiceDescriptor,
};

/// The compiled protos of one directory.
///
/// The pool also contains every imported file (well-known types, files found
/// through extra include paths), but only the files found under the root
/// directory are part of the set: the iterators below visit only those.
pub struct ProtoSet {
    root: PathBuf,
    pool: DescriptorPool,
    files: BTreeSet<String>,
}

impl ProtoSet {
    /// Compiles every `.proto` file under `root`. Imports resolve against
    /// `root`, then `includes` in order, then the well-known types that
    /// protox ships.
    pub fn compile(root: &Path, includes: &[PathBuf]) -> Result<Self> {
        let files = find_proto_files(root)?;
        if files.is_empty() {
            bail!("no .proto files under {}", root.display());
        }
        let mut include_paths = vec![root.to_path_buf()];
        include_paths.extend(includes.iter().cloned());
        let mut compiler = protox::Compiler::new(&include_paths)
            .with_context(|| format!("failed to set up the compiler for {}", root.display()))?;
        compiler.include_imports(true).include_source_info(true);
        compiler
            .open_files(&files)
            .map_err(|err| anyhow::anyhow!("{err}"))
            .with_context(|| format!("failed to compile the protos under {}", root.display()))?;
        Ok(ProtoSet {
            root: root.to_path_buf(),
            pool: compiler.descriptor_pool(),
            files: files.into_iter().collect(),
        })
    }

    /// Directory the set was compiled from.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Pool with the files of the set and everything they import.
    pub fn pool(&self) -> &DescriptorPool {
        &self.pool
    }

    /// Files of the set, sorted by name.
    pub fn files(&self) -> impl Iterator<Item = FileDescriptor> + '_ {
        self.files
            .iter()
            .filter_map(|name| self.pool.get_file_by_name(name))
    }

    /// Messages of the set, nested ones included, map entries excluded.
    pub fn messages(&self) -> Vec<MessageDescriptor> {
        let mut messages = Vec::new();
        for file in self.files() {
            for message in file.messages() {
                collect_messages(message, &mut messages);
            }
        }
        messages
    }

    /// Enums of the set, nested ones included.
    pub fn enums(&self) -> Vec<EnumDescriptor> {
        let mut enums = Vec::new();
        for file in self.files() {
            enums.extend(file.enums());
        }
        for message in self.messages() {
            enums.extend(message.child_enums());
        }
        enums
    }

    /// Services of the set.
    pub fn services(&self) -> Vec<ServiceDescriptor> {
        self.files()
            .flat_map(|file| file.services().collect::<Vec<_>>())
            .collect()
    }
}

fn collect_messages(message: MessageDescriptor, out: &mut Vec<MessageDescriptor>) {
    if message.is_map_entry() {
        return;
    }
    out.push(message.clone());
    for child in message.child_messages() {
        collect_messages(child, out);
    }
}

/// Returns the paths of the `.proto` files under `root`, relative to it, with
/// `/` separators, sorted.
pub fn find_proto_files(root: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    walk(root, root, &mut files)?;
    files.sort();
    Ok(files)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    let entries =
        fs::read_dir(dir).with_context(|| format!("failed to read directory {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            walk(root, &path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            out.push(relative_name(root, &path));
        }
    }
    Ok(())
}

fn relative_name(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<_> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}
