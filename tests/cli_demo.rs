//! `cwsctl demo` runs the whole workflow against the in-process emulator.

// Helpers outside #[test] functions unwrap too: a panic is how a test fails.
#![allow(clippy::unwrap_used)]

mod cli_support;

use std::time::{Duration, Instant};

use cli_support::{cwsctl, texts};

#[test]
fn demo_runs_to_completion() {
    let started = Instant::now();
    let output = cwsctl()
        .arg("demo")
        .timeout(Duration::from_secs(90))
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&output);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the demo took {:?}",
        started.elapsed()
    );

    for expected in [
        "$ cwsctl profile create -f examples/profiles/train-a100.yaml",
        "page 2 (nextPageToken: none, the last page)",
        "$ cwsctl runner wait lab-west --for connected",
        "updateMask: managedSpec.releaseChannel",
        "ALREADY_EXISTS, HTTP 409",
        "$ cwsctl runner apply-update lab-west",
        "runner lab-west deleted",
        "profile template zone-defaults deleted",
        "Demo finished",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing in:\n{stdout}"
        );
    }
}
