//! Fuzz targets of `cwsandbox-control`.
//!
//! The target bodies live in [`targets`] and are driven two ways:
//!
//! - by libFuzzer, through the binaries under `fuzz_targets/` that `cargo fuzz run` builds
//!   with coverage instrumentation (needs a nightly toolchain);
//! - by [`engine`], a time-bounded runner without coverage feedback that mutates the seed
//!   corpus at random and builds on the stable toolchain (`cargo xtask fuzz`).
//!
//! [`TARGETS`] lists every target with its seed directories and the tokens that the stable
//! runner splices into inputs.

pub mod emulator;
pub mod engine;
pub mod mutate;
pub mod targets;
pub mod wire;

use std::path::{Path, PathBuf};

/// One fuzz target: its name (also the name of its libFuzzer binary), its body, and where
/// its seed inputs live.
pub struct Target {
    /// Name, such as `json_response`.
    pub name: &'static str,
    /// The body, which panics on a finding.
    pub run: fn(&[u8]),
    /// Seed directories, relative to the repository root. Each file is one input.
    pub seed_dirs: &'static [&'static str],
    /// Tokens that the mutator inserts, such as JSON punctuation or field names.
    pub dictionary: &'static [&'static str],
}

/// Tokens for targets whose input is proto3 JSON.
const JSON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1e999",
    "-0",
    "1.5",
    "9223372036854775807",
    "18446744073709551616",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"\"",
    "\"AAAA\"",
    "\"-_8=\"",
    "\"@type\"",
    "\"type.googleapis.com/google.rpc.ErrorInfo\"",
    "\"type.googleapis.com/google.rpc.RetryInfo\"",
    "\"type.googleapis.com/google.protobuf.Any\"",
    "\"type.googleapis.com/google.protobuf.Duration\"",
    "\"value\"",
    "\"details\"",
    "\"code\"",
    "\"message\"",
    "\"runners\"",
    "\"profileTemplates\"",
    "\"nextPageToken\"",
    "\"installStatus\"",
    "\"RUNNER_INSTALL_STATUS_READY\"",
    "\"RUNNER_INSTALL_STATUS_FUTURE\"",
    "\"createdAt\"",
    "\"2024-05-01T12:30:00.123456789+05:30\"",
    "\"0001-01-01T00:00:00Z\"",
    "\"9999-12-31T23:59:59.999999999Z\"",
    "\"1.5s\"",
    "\"-315576000000s\"",
    "\"activeRevision\"",
    "\"updateMask\"",
    "\"managedSpec.releaseChannel\"",
    "\"profile_bindings\"",
    "\"labels\"",
    "\"retryDelay\"",
    "\"fieldViolations\"",
    "\"metadata\"",
    "\"spec\"",
];

/// Tokens for the FieldMask and well-known type text targets.
const TEXT_TOKENS: &[&str] = &[
    ",",
    ".",
    "_",
    "A",
    "a",
    "0",
    "managedSpec",
    "release_channel",
    "profileBindings",
    "Z",
    "T",
    "+",
    "-",
    ":",
    "s",
    ".000000001",
    "9999",
    "0001",
    "-00:00",
    "+23:59",
    "\"",
    "\u{e9}",
];

/// Tokens for the path template target: characters that URLs give a meaning.
const PATH_TOKENS: &[&str] = &[
    "/",
    "?",
    "#",
    "%",
    "%2F",
    "%00",
    ".",
    "..",
    "&",
    "=",
    "+",
    " ",
    "\0",
    ":",
    "@",
    ";",
    "\\",
    "{",
    "}",
    "\u{e9}",
    "\u{1f600}",
    "\u{fffd}",
    "*",
    "**",
];

/// Tokens for the Connect GET query target.
const QUERY_TOKENS: &[&str] = &[
    "&",
    "=",
    "%",
    "encoding=json",
    "encoding=proto",
    "message=",
    "base64=1",
    "compression=gzip",
    "compression=identity",
    "connect=v1",
    "%7B%7D",
    "%22id%22",
    "%3A",
    "H4sI",
    "-_",
    "+/",
];

/// Every fuzz target, in the order `cargo xtask fuzz` runs them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "json_response",
        run: targets::json_response,
        seed_dirs: &["tests/fixtures/errors", "fuzz/seeds/json_response"],
        dictionary: JSON_TOKENS,
    },
    Target {
        name: "json_request",
        run: targets::json_request,
        seed_dirs: &["tests/fixtures/requests", "fuzz/seeds/json_request"],
        dictionary: JSON_TOKENS,
    },
    Target {
        name: "proto_response",
        run: targets::proto_response,
        seed_dirs: &["fuzz/seeds/proto_response"],
        dictionary: &[
            "\u{8}",
            "\u{12}",
            "\u{1a}",
            "\u{22}",
            "\u{60}",
            "\u{ff}\u{ff}\u{ff}\u{ff}\u{0f}",
        ],
    },
    Target {
        name: "error_body",
        run: wire::error_body,
        seed_dirs: &["fuzz/seeds/error_body"],
        dictionary: JSON_TOKENS,
    },
    Target {
        name: "path_template",
        run: wire::path_template,
        seed_dirs: &["fuzz/seeds/path_template"],
        dictionary: PATH_TOKENS,
    },
    Target {
        name: "emulator_request",
        run: emulator::emulator_request,
        seed_dirs: &["fuzz/seeds/emulator_request"],
        dictionary: JSON_TOKENS,
    },
    Target {
        name: "connect_get_query",
        run: emulator::connect_get_query,
        seed_dirs: &["fuzz/seeds/connect_get_query"],
        dictionary: QUERY_TOKENS,
    },
    Target {
        name: "field_mask",
        run: targets::field_mask,
        seed_dirs: &["fuzz/seeds/field_mask"],
        dictionary: TEXT_TOKENS,
    },
    Target {
        name: "wkt_text",
        run: targets::wkt_text,
        seed_dirs: &["fuzz/seeds/wkt_text"],
        dictionary: TEXT_TOKENS,
    },
];

/// Returns the target called `name`.
pub fn find_target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|target| target.name == name)
}

/// Returns the repository root: the parent of this crate's directory.
pub fn repo_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}
