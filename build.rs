//! Compiles `proto/` into prost messages, proto3 JSON serde and typed clients.
//!
//! Needs no protoc binary and no network: protox compiles the protos in-process.

#[path = "codegen/mod.rs"]
mod codegen;
#[path = "build/doc_examples.rs"]
mod doc_examples;

use std::path::PathBuf;

const PROTO_FILES: [&str; 6] = [
    "coreweave/sandbox/v1beta2/profile_template.proto",
    "coreweave/sandbox/v1beta2/runner.proto",
    "coreweave/sandbox/v1beta2/runner_management_service.proto",
    "google/rpc/code.proto",
    "google/rpc/status.proto",
    "google/rpc/error_details.proto",
];

fn main() {
    if let Err(message) = run() {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env_var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env_var("OUT_DIR")?);
    let config = codegen::Config {
        proto_root: manifest_dir.join("proto"),
        include_dirs: Vec::new(),
        files: PROTO_FILES.iter().map(|file| (*file).to_string()).collect(),
        packages: vec![
            "coreweave.sandbox.v1beta2".to_string(),
            "google.rpc".to_string(),
        ],
        runtime_path: "crate::connect".to_string(),
        wkt_path: "crate::wkt".to_string(),
        doc_examples: Some(doc_examples::doc_examples()),
        field_path_module: Some("crate::ops".to_string()),
    };

    let output = codegen::generate(&config)?;
    for file in &output.files {
        let path = out_dir.join(&file.name);
        std::fs::write(&path, &file.contents)
            .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    }
    let descriptor_path = out_dir.join("file_descriptor_set.bin");
    std::fs::write(&descriptor_path, &output.descriptor_set)
        .map_err(|error| format!("cannot write {}: {error}", descriptor_path.display()))?;

    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=codegen");
    println!("cargo:rerun-if-changed=build");
    for input in &output.inputs {
        println!("cargo:rerun-if-changed={}", input.display());
    }
    Ok(())
}

fn env_var(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set; run this through cargo"))
}
