//! Replays the fuzz seeds and every saved fuzz finding through the fuzz target bodies, so
//! that `cargo test` keeps each input that once broke a rule as a regression test.
//!
//! The target bodies are the files of `fuzz/src/` themselves, compiled into this test.
//! Findings live in `tests/fixtures/fuzz/<target>/`, one input per file; `cargo xtask fuzz`
//! saves new ones under `fuzz/artifacts/<target>/`, from where they are copied here.

#[cfg(feature = "emulator")]
#[allow(dead_code, unreachable_pub)]
#[path = "../fuzz/src/emulator.rs"]
mod emulator;
#[allow(dead_code, unreachable_pub)]
#[path = "../fuzz/src/targets.rs"]
mod targets;
#[allow(dead_code, unreachable_pub)]
#[path = "../fuzz/src/wire.rs"]
mod wire;

use std::path::{Path, PathBuf};

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// Runs `body` on every file of the seed directories and of the findings directory of
/// `target`, and returns how many inputs ran.
fn replay(target: &str, seed_dirs: &[&str], body: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs: Vec<PathBuf> = seed_dirs.iter().map(|dir| root.join(dir)).collect();
    dirs.push(root.join("tests/fixtures/fuzz").join(target));
    let mut count = 0;
    for dir in dirs {
        for file in files_in(&dir) {
            let data = std::fs::read(&file).expect("readable input");
            let outcome = std::panic::catch_unwind(|| body(&data));
            assert!(outcome.is_ok(), "{target}: {} panicked", file.display());
            count += 1;
        }
    }
    count
}

#[test]
fn json_response_inputs_pass() {
    let dirs = ["tests/fixtures/errors", "fuzz/seeds/json_response"];
    assert!(replay("json_response", &dirs, targets::json_response) >= 6);
}

#[test]
fn json_request_inputs_pass() {
    let dirs = ["tests/fixtures/requests", "fuzz/seeds/json_request"];
    assert!(replay("json_request", &dirs, targets::json_request) >= 7);
}

#[test]
fn proto_response_inputs_pass() {
    let dirs = ["fuzz/seeds/proto_response"];
    assert!(replay("proto_response", &dirs, targets::proto_response) >= 1);
}

#[test]
fn field_mask_inputs_pass() {
    assert!(
        replay(
            "field_mask",
            &["fuzz/seeds/field_mask"],
            targets::field_mask
        ) >= 1
    );
}

#[test]
fn wkt_text_inputs_pass() {
    assert!(replay("wkt_text", &["fuzz/seeds/wkt_text"], targets::wkt_text) >= 2);
}

#[test]
fn error_body_inputs_pass() {
    assert!(replay("error_body", &["fuzz/seeds/error_body"], wire::error_body) >= 1);
}

#[test]
fn path_template_inputs_pass() {
    let dirs = ["fuzz/seeds/path_template"];
    assert!(replay("path_template", &dirs, wire::path_template) >= 1);
}

#[cfg(feature = "emulator")]
#[test]
fn emulator_request_inputs_pass() {
    let dirs = ["fuzz/seeds/emulator_request"];
    assert!(replay("emulator_request", &dirs, emulator::emulator_request) >= 1);
}

#[cfg(feature = "emulator")]
#[test]
fn connect_get_query_inputs_pass() {
    let dirs = ["fuzz/seeds/connect_get_query"];
    assert!(replay("connect_get_query", &dirs, emulator::connect_get_query) >= 1);
}
