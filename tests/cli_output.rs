//! What `cwsctl` writes: a closed stdout or stderr, log colour, long values
//! in messages, hints for over-long requests, and table cell widths.

// Helpers outside #[test] functions unwrap too: a panic is how a test fails.
#![allow(clippy::unwrap_used)]

mod cli_support;

use std::process::Stdio;

use cli_support::{
    closed_pipe, cwsctl, cwsctl_process, json, output_with_closed_stdout, repo_path, texts,
};

#[test]
fn closed_stdout_ends_quietly() {
    let profiles = repo_path("examples/profiles");
    let fixture = repo_path("tests/fixtures/requests/create-profile-minimal.json");
    let cases: [&[&str]; 6] = [
        &["completions", "bash"],
        &["--emulator", "profile", "list"],
        &["--emulator", "profile", "list", "-o", "yaml"],
        &["--emulator", "apply", "-f", &profiles],
        &["profile", "create", "-f", &fixture, "--dry-run"],
        &["demo"],
    ];
    for args in cases {
        let output = output_with_closed_stdout(args);
        let (_, stderr) = texts(&output);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

#[test]
fn closed_stderr_keeps_exit_status() {
    // No token: a usage error, written to stderr.
    let output = cwsctl_process()
        .args(["runner", "get", "lab-west"])
        .stdout(Stdio::piped())
        .stderr(closed_pipe())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn logs_have_no_color_off_terminal() {
    let output = cwsctl()
        .args(["--emulator", "-v", "profile", "list"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("emulator listening"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
}

#[test]
fn long_argument_is_shortened_in_errors() {
    let long = "a".repeat(100_000);
    let output = cwsctl()
        .args(["runner", "create", &long, "-f", "-", "--dry-run"])
        .write_stdin("runner: {}\n")
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr:.300}");
    assert!(stderr.contains("invalid runner id"), "{stderr:.300}");
    assert!(stderr.contains("\u{2026} (1000"), "{stderr:.300}");
    assert!(stderr.contains(" characters)"), "{stderr:.300}");
    assert!(stderr.len() < 1000, "{} bytes: {stderr:.300}", stderr.len());
}

#[test]
fn long_value_from_server_is_shortened() {
    // Connect sends the id in the body, so the server receives it and echoes
    // it in its message and in the ErrorInfo metadata.
    let long = "a".repeat(100_000);
    let output = cwsctl()
        .args([
            "--emulator",
            "--protocol",
            "connect",
            "runner",
            "get",
            &long,
        ])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr:.300}");
    assert!(stderr.contains("NOT_FOUND"), "{stderr:.300}");
    assert!(stderr.contains("characters)"), "{stderr:.300}");
    assert!(stderr.len() < 2000, "{} bytes: {stderr:.300}", stderr.len());
}

#[test]
fn overlong_url_is_invalid_argument() {
    // Over REST the id is a path segment, longer than a URI may be.
    let long = "a".repeat(100_000);
    let output = cwsctl()
        .args(["--emulator", "runner", "get", &long])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr:.300}");
    assert!(stderr.contains("INVALID_ARGUMENT"), "{stderr}");
    assert!(stderr.contains("too long"), "{stderr}");
    assert!(!stderr.contains("/coreweave."), "{stderr}");
    assert!(!stderr.contains("retry"), "{stderr}");
}

#[test]
fn header_too_large_hints_to_shorten() {
    // 50,000 characters fit in a URI but exceed the emulator's header limit,
    // so it responds 431 with no error body.
    let long = "a".repeat(50_000);
    let output = cwsctl()
        .args(["--emulator", "runner", "get", &long])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr:.300}");
    assert!(stderr.contains("HTTP 431"), "{stderr}");
    assert!(stderr.contains("hint: a value sent"), "{stderr}");
    assert!(stderr.contains("shorten it"), "{stderr}");
    assert!(!stderr.contains("retry"), "{stderr}");
}

#[test]
fn labels_column_is_capped() {
    let labels: String = (0..30)
        .map(|index| format!("  team{index:02}: x\n"))
        .collect();
    let text = format!("displayName: many-labels\nspec: {{}}\nlabels:\n{labels}");

    let output = cwsctl()
        .args(["--emulator", "profile", "create", "-f", "-"])
        .write_stdin(text.clone())
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    let row = stdout
        .lines()
        .find(|line| line.starts_with("many-labels"))
        .unwrap_or_else(|| panic!("no table row in {stdout}"));
    assert!(row.contains("team00=x"), "{row}");
    assert!(row.contains(" more"), "{row}");
    assert!(!row.contains("team29=x"), "{row}");
    assert!(row.chars().count() < 160, "{row}");

    let output = cwsctl()
        .args(["--emulator", "profile", "create", "-f", "-", "-o", "json"])
        .write_stdin(text)
        .output()
        .unwrap();
    let labels = json(&output)["labels"].as_object().unwrap().len();
    assert_eq!(labels, 30);
}
