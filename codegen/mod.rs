//! The code generator behind `build.rs` and `cargo xtask codegen`.
//!
//! It compiles `.proto` files with protox (no protoc binary), then writes three
//! Rust files per protobuf package:
//!
//! - `<package>.rs`: prost messages and enums, documented from the proto comments;
//! - `<package>.serde.rs`: proto3 JSON serde from pbjson, adjusted so that `null`
//!   reads as the field's default and enums keep unknown numbers;
//! - `<package>.client.rs`: for each service, method descriptors (procedure path,
//!   google.api.http rule, idempotency), a stub trait and a typed client;
//! - `<package>.fields.rs`, when `Config::field_path_module` is set: the field
//!   paths of each resource that an update method changes with a mask.
//!
//! The generator returns the files in memory, so golden tests can compare them
//! without touching `OUT_DIR`.

mod client;
mod field_paths;
mod json_fixes;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Settings of one generator run: the protos, the packages to emit and the
/// Rust paths that the generated code refers to.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Directory that `.proto` imports are resolved against.
    pub(crate) proto_root: PathBuf,
    /// Further directories that imports are resolved against, after `proto_root`.
    pub(crate) include_dirs: Vec<PathBuf>,
    /// Files to compile, relative to `proto_root`.
    pub(crate) files: Vec<String>,
    /// Protobuf packages to emit Rust for, such as `google.rpc`.
    pub(crate) packages: Vec<String>,
    /// Rust path of the Connect runtime module, such as `crate::connect`.
    pub(crate) runtime_path: String,
    /// Rust path of the well-known types module, such as `crate::wkt`.
    pub(crate) wkt_path: String,
    /// Rustdoc examples of the generated client methods, keyed by
    /// `<Service>Client::<method>` (such as `ShelfServiceClient::get_shelf`).
    /// Each value is the code between the fences, hidden `# ` lines included.
    /// `None` emits no examples. With `Some`, every client method needs one
    /// and every key must name a client method.
    pub(crate) doc_examples: Option<BTreeMap<String, String>>,
    /// Rust path of the module that defines `FieldPathInfo` and `FieldKind`,
    /// such as `crate::ops`. `None` emits no field path tables.
    pub(crate) field_path_module: Option<String>,
}

/// One generated source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GeneratedFile {
    /// File name, such as `google.rpc.serde.rs`.
    pub(crate) name: String,
    /// Rust source text.
    pub(crate) contents: String,
}

/// Everything one run of the generator produces.
#[derive(Debug)]
pub(crate) struct Output {
    /// Generated Rust files, sorted by name.
    pub(crate) files: Vec<GeneratedFile>,
    /// The compiled `FileDescriptorSet`, imports and source info included.
    pub(crate) descriptor_set: Vec<u8>,
    /// Every `.proto` file read, for `cargo:rerun-if-changed`.
    pub(crate) inputs: Vec<PathBuf>,
}

/// Compiles the configured protos and generates the Rust files.
///
/// # Errors
///
/// Returns a message naming the file or package at fault when a proto does
/// not compile or a generator step fails.
pub(crate) fn generate(config: &Config) -> Result<Output, String> {
    let roots = std::iter::once(&config.proto_root).chain(&config.include_dirs);
    let mut compiler = protox::Compiler::new(roots)
        .map_err(|error| format!("cannot read {}: {error}", config.proto_root.display()))?;
    compiler.include_imports(true).include_source_info(true);
    compiler
        .open_files(&config.files)
        .map_err(|error| format!("proto compilation failed: {error:?}"))?;

    let descriptor_set = compiler.encode_file_descriptor_set();
    let inputs = compiler
        .files()
        .filter_map(|file| file.path().map(Path::to_path_buf))
        .collect();
    let fds = compiler.file_descriptor_set();
    let pool = prost_reflect::DescriptorPool::decode(descriptor_set.as_slice())
        .map_err(|error| format!("descriptor set does not decode: {error}"))?;

    let mut files = BTreeMap::new();
    for (name, contents) in generate_messages(config, &fds)? {
        files.insert(name, contents);
    }
    for (name, contents) in generate_serde(config, &descriptor_set)? {
        files.insert(name, contents);
    }
    let mut documented = BTreeSet::new();
    for package in &config.packages {
        if let Some(contents) = client::generate_package(&pool, package, config, &mut documented)? {
            files.insert(format!("{package}.client.rs"), contents);
        }
        if let Some(module) = &config.field_path_module
            && let Some(contents) = field_paths::generate_package(&pool, package, module)?
        {
            files.insert(format!("{package}.fields.rs"), contents);
        }
    }
    if let Some(examples) = &config.doc_examples {
        let unknown: Vec<&str> = examples
            .keys()
            .filter(|key| !documented.contains(*key))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            return Err(format!(
                "doc examples name no generated client method: {}; rename or remove them",
                unknown.join(", ")
            ));
        }
    }

    let files = files
        .into_iter()
        .map(|(name, contents)| GeneratedFile { name, contents })
        .collect();
    Ok(Output {
        files,
        descriptor_set,
        inputs,
    })
}

/// Runs prost-build over the files of the configured packages.
fn generate_messages(
    config: &Config,
    fds: &prost_types::FileDescriptorSet,
) -> Result<Vec<(String, String)>, String> {
    // prost-build needs every file to resolve types, so all go in and only the
    // configured packages come out.
    let requests = fds
        .file
        .iter()
        .map(|file| {
            let module = prost_build::Module::from_protobuf_package_name(file.package());
            (module, file.clone())
        })
        .collect();

    let mut prost = prost_build::Config::new();
    prost
        .compile_well_known_types()
        .extern_path(".google.protobuf", &config.wkt_path)
        .enable_type_names()
        .type_name_domain(["."], "type.googleapis.com");
    let modules = prost
        .generate(requests)
        .map_err(|error| format!("prost-build failed: {error}"))?;

    let emitted: Vec<_> = config
        .packages
        .iter()
        .map(|package| prost_build::Module::from_protobuf_package_name(package))
        .collect();
    let mut files: Vec<_> = modules
        .into_iter()
        .filter(|(module, _)| emitted.contains(module))
        .map(|(module, code)| (module.to_file_name_or("_"), code))
        .collect();
    files.sort();
    Ok(files)
}

/// Runs pbjson-build over the configured packages, then closes the gaps between
/// its output and the proto3 JSON mapping (see `json_fixes`).
fn generate_serde(config: &Config, descriptor_set: &[u8]) -> Result<Vec<(String, String)>, String> {
    let prefixes: Vec<String> = config.packages.iter().map(|p| format!(".{p}")).collect();
    let mut outputs: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut builder = pbjson_build::Builder::new();
    builder
        .register_descriptors(descriptor_set)
        .map_err(|error| format!("pbjson-build cannot read descriptors: {error}"))?
        .extern_path(".google.protobuf", &config.wkt_path)
        .ignore_unknown_fields()
        .ignore_unknown_enum_variants();

    let writers = builder
        .generate(&prefixes, |_| Ok(Vec::new()))
        .map_err(|error| format!("pbjson-build failed: {error}"))?;
    for (package, bytes) in writers {
        outputs
            .entry(package.to_string())
            .or_default()
            .extend(bytes);
    }

    outputs
        .into_iter()
        .map(|(package, bytes)| {
            let text = String::from_utf8(bytes)
                .map_err(|_| format!("pbjson output for {package} is not UTF-8"))?;
            Ok((format!("{package}.serde.rs"), json_fixes::rewrite(&text)))
        })
        .collect()
}
