//! `cargo xtask fuzz`: runs every fuzz target of `fuzz/` for a bounded time and reports the
//! executions and findings of each.
//!
//! Two engines drive the same target functions (`fuzz/src/targets.rs`):
//!
//! - libFuzzer through `cargo fuzz run --sanitizer none`, which is coverage-guided and works
//!   on the stable toolchain without sanitizers (cargo-fuzz 0.13.2);
//! - the crate's own `stable_runner`, which mutates the seed corpus at random without
//!   coverage feedback and needs nothing beyond cargo.
//!
//! `auto` picks libFuzzer when `cargo fuzz` is installed.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// Largest input, in bytes, for both engines.
pub const MAX_INPUT_LEN: usize = 4096;

/// libFuzzer's per-input timeout, in seconds: an input that runs longer is saved as a hang.
const LIBFUZZER_INPUT_TIMEOUT_SECONDS: u64 = 10;

/// libFuzzer's memory limit, in MiB: a process that grows past it is saved as an OOM.
const LIBFUZZER_RSS_LIMIT_MB: u64 = 2048;

/// The fuzzing engine that runs the targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// `cargo fuzz run` (libFuzzer, coverage-guided).
    LibFuzzer,
    /// `fuzz/src/bin/stable_runner.rs` (random mutation of the seeds).
    Stable,
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::LibFuzzer => "libfuzzer",
            Self::Stable => "stable",
        })
    }
}

/// Settings of one `cargo xtask fuzz` run.
#[derive(Debug, Clone)]
pub struct FuzzOptions {
    /// Seconds per target.
    pub seconds: u64,
    /// Targets to run; empty runs all.
    pub targets: Vec<String>,
    /// Engine; `None` picks libFuzzer when `cargo fuzz` is installed.
    pub engine: Option<Engine>,
    /// Seed of the stable runner's random generator; `None` uses the clock.
    pub seed: Option<u64>,
}

/// The outcome of one target.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetResult {
    /// Target name.
    pub name: String,
    /// Inputs run.
    pub execs: u64,
    /// Seconds spent fuzzing.
    pub seconds: f64,
    /// Saved inputs and what they triggered, one line each.
    pub findings: Vec<String>,
}

/// One target of the fuzz crate and its seed directories, relative to the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInfo {
    /// Target name, also the name of its libFuzzer binary.
    pub name: String,
    /// Seed directories.
    pub seed_dirs: Vec<String>,
}

/// Runs the requested targets and returns their results, in the order of the fuzz crate.
pub fn run(repo: &Path, options: &FuzzOptions) -> Result<(Engine, Vec<TargetResult>)> {
    let engine = match options.engine {
        Some(engine) => engine,
        None if cargo_fuzz_installed(repo) => Engine::LibFuzzer,
        None => Engine::Stable,
    };
    let runner = build_stable_runner(repo)?;
    let all = list_targets(&runner)?;
    let selected = select(&all, &options.targets)?;
    let results = match engine {
        Engine::Stable => run_stable(repo, &runner, &selected, options)?,
        Engine::LibFuzzer => run_libfuzzer(repo, &selected, options)?,
    };
    Ok((engine, results))
}

/// Returns the targets named in `requested`, or all of them when it is empty.
pub fn select(all: &[TargetInfo], requested: &[String]) -> Result<Vec<TargetInfo>> {
    if requested.is_empty() {
        return Ok(all.to_vec());
    }
    requested
        .iter()
        .map(|name| {
            all.iter()
                .find(|target| &target.name == name)
                .cloned()
                .with_context(|| {
                    let names: Vec<&str> = all.iter().map(|t| t.name.as_str()).collect();
                    format!(
                        "unknown fuzz target {name:?}; the targets are {}",
                        names.join(", ")
                    )
                })
        })
        .collect()
}

fn cargo() -> PathBuf {
    std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from)
}

fn cargo_fuzz_installed(repo: &Path) -> bool {
    Command::new(cargo())
        .args(["fuzz", "--version"])
        .current_dir(repo)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Builds the stable runner in release mode and returns its path.
fn build_stable_runner(repo: &Path) -> Result<PathBuf> {
    let manifest = repo.join("fuzz/Cargo.toml");
    println!("building fuzz/ stable_runner (release)");
    let status = Command::new(cargo())
        .args([
            "build",
            "--release",
            "--no-default-features",
            "--bin",
            "stable_runner",
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .current_dir(repo)
        .status()
        .context("failed to run cargo build for fuzz/")?;
    if !status.success() {
        bail!("cargo build of fuzz/ stable_runner failed ({status})");
    }
    Ok(repo.join("fuzz/target/release/stable_runner"))
}

fn list_targets(runner: &Path) -> Result<Vec<TargetInfo>> {
    let output = Command::new(runner)
        .arg("list")
        .output()
        .with_context(|| format!("failed to run {} list", runner.display()))?;
    if !output.status.success() {
        bail!("{} list failed ({})", runner.display(), output.status);
    }
    Ok(parse_target_list(&String::from_utf8_lossy(&output.stdout)))
}

/// Parses `stable_runner list`: one target per line, its name then its seed directories.
pub fn parse_target_list(text: &str) -> Vec<TargetInfo> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?.to_string();
            Some(TargetInfo {
                name,
                seed_dirs: words.map(str::to_string).collect(),
            })
        })
        .collect()
}

fn run_stable(
    repo: &Path,
    runner: &Path,
    targets: &[TargetInfo],
    options: &FuzzOptions,
) -> Result<Vec<TargetResult>> {
    let mut command = Command::new(runner);
    command
        .arg("run")
        .args(["--seconds", &options.seconds.to_string()])
        .args(["--max-len", &MAX_INPUT_LEN.to_string()])
        .current_dir(repo);
    if let Some(seed) = options.seed {
        command.args(["--seed", &seed.to_string()]);
    }
    for target in targets {
        command.args(["--target", &target.name]);
    }
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("failed to run {}", runner.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    print!("{stdout}");
    let results = parse_stable_output(&stdout);
    if results.len() != targets.len() {
        bail!(
            "stable_runner stopped after {} of {} targets ({}); a crash that aborts the \
             process, such as a stack overflow, ends it early: rerun with the printed seed",
            results.len(),
            targets.len(),
            output.status
        );
    }
    Ok(results)
}

/// Parses the `result` lines of `stable_runner run` and the finding lines under each.
pub fn parse_stable_output(text: &str) -> Vec<TargetResult> {
    let mut results: Vec<TargetResult> = Vec::new();
    for line in text.lines() {
        if let Some(fields) = line.strip_prefix("result ") {
            let value = |key: &str| {
                fields
                    .split_whitespace()
                    .find_map(|field| field.strip_prefix(key)?.strip_prefix('='))
                    .unwrap_or_default()
                    .to_string()
            };
            results.push(TargetResult {
                name: value("target"),
                execs: value("execs").parse().unwrap_or(0),
                seconds: value("seconds").parse().unwrap_or(0.0),
                findings: Vec::new(),
            });
        } else if let Some(finding) = line.strip_prefix("  ")
            && !finding.starts_with(' ')
            && let Some(last) = results.last_mut()
        {
            last.findings.push(finding.to_string());
        }
    }
    results
}

fn run_libfuzzer(
    repo: &Path,
    targets: &[TargetInfo],
    options: &FuzzOptions,
) -> Result<Vec<TargetResult>> {
    // `cargo fuzz run` builds each target itself. A `cargo fuzz build` of the whole crate
    // would also build stable_runner with coverage instrumentation but without libFuzzer,
    // which does not link.
    let mut results = Vec::new();
    for target in targets {
        let corpus = repo.join("fuzz/corpus").join(&target.name);
        let logs = repo.join("fuzz/artifacts").join(&target.name);
        fs::create_dir_all(&corpus)
            .and_then(|()| fs::create_dir_all(&logs))
            .with_context(|| format!("failed to create {}", corpus.display()))?;
        let log_path = logs.join("libfuzzer.log");
        let log = fs::File::create(&log_path)
            .with_context(|| format!("failed to create {}", log_path.display()))?;

        let mut command = Command::new(cargo());
        command
            .args(["fuzz", "run", "--fuzz-dir", "fuzz", "--sanitizer", "none"])
            .arg(&target.name)
            .arg(&corpus);
        for dir in &target.seed_dirs {
            if repo.join(dir).is_dir() {
                command.arg(repo.join(dir));
            }
        }
        command
            .arg("--")
            .arg(format!("-max_total_time={}", options.seconds))
            .arg(format!("-max_len={MAX_INPUT_LEN}"))
            .arg(format!("-timeout={LIBFUZZER_INPUT_TIMEOUT_SECONDS}"))
            .arg(format!("-rss_limit_mb={LIBFUZZER_RSS_LIMIT_MB}"))
            .arg("-print_final_stats=1");
        if let Some(seed) = options.seed {
            command.arg(format!("-seed={seed}"));
        }
        let started = std::time::Instant::now();
        let status = command
            .current_dir(repo)
            .stdout(log.try_clone()?)
            .stderr(log)
            .status()
            .context("failed to run cargo fuzz run")?;
        let wall_seconds = started.elapsed().as_secs_f64();
        let text = fs::read_to_string(&log_path).unwrap_or_default();
        let mut result = parse_libfuzzer_log(&target.name, &text);
        if result.seconds == 0.0 {
            // libFuzzer prints no "Done" line when it stops on a finding; the wall time
            // includes the build, so it is an upper bound.
            result.seconds = wall_seconds;
        }
        if !status.success() && result.findings.is_empty() {
            result.findings.push(format!(
                "cargo fuzz run exited with {status}; see {}",
                log_path.display()
            ));
        }
        println!(
            "result target={} execs={} seconds={:.1} findings={}",
            result.name,
            result.execs,
            result.seconds,
            result.findings.len()
        );
        for finding in &result.findings {
            println!("  {finding}");
        }
        results.push(result);
    }
    Ok(results)
}

/// Reads the executions, time and saved inputs from a libFuzzer log.
pub fn parse_libfuzzer_log(name: &str, text: &str) -> TargetResult {
    let mut result = TargetResult {
        name: name.to_string(),
        execs: 0,
        seconds: 0.0,
        findings: Vec::new(),
    };
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("stat::number_of_executed_units:") {
            result.execs = rest.trim().parse().unwrap_or(result.execs);
        } else if let Some(rest) = line.strip_prefix("Done ") {
            // "Done 480442 runs in 11 second(s)"
            let mut words = rest.split_whitespace();
            if let Some(runs) = words.next().and_then(|w| w.parse().ok()) {
                result.execs = runs;
            }
            if let Some(seconds) = words.nth(2).and_then(|w| w.parse().ok()) {
                result.seconds = seconds;
            }
        } else if let Some(rest) = line.split("Test unit written to ").nth(1) {
            result.findings.push(rest.trim().to_string());
        } else if line.starts_with("SUMMARY: libFuzzer:") {
            result.findings.push(line.to_string());
        }
    }
    result
}

/// Prints one line per target and a total.
pub fn print_summary(engine: Engine, results: &[TargetResult]) {
    println!();
    println!(
        "{:<16} {:>12} {:>8} {:>10} {:>9}",
        "target", "execs", "seconds", "execs/s", "findings"
    );
    let mut total_execs = 0;
    let mut total_seconds = 0.0;
    for result in results {
        let rate = result.execs as f64 / result.seconds.max(1e-9);
        println!(
            "{:<16} {:>12} {:>8.1} {:>10.0} {:>9}",
            result.name,
            result.execs,
            result.seconds,
            rate,
            result.findings.len()
        );
        total_execs += result.execs;
        total_seconds += result.seconds;
    }
    println!("engine {engine}: {total_execs} execs in {total_seconds:.0} s");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libfuzzer_log_counts_runs_and_artifacts() {
        let log = "INFO: Seed: 1\n#2 INITED\nDone 480442 runs in 11 second(s)\n\
                   stat::number_of_executed_units: 480443\n";
        let result = parse_libfuzzer_log("field_mask", log);
        assert_eq!(result.execs, 480_443);
        assert_eq!(result.seconds, 11.0);
        assert!(result.findings.is_empty());

        let crash = "==1== ERROR: libFuzzer: deadly signal\n\
                     artifact_prefix='fuzz/artifacts/x/'; Test unit written to fuzz/artifacts/x/crash-ab\n\
                     SUMMARY: libFuzzer: deadly signal\n";
        let result = parse_libfuzzer_log("x", crash);
        assert_eq!(
            result.findings,
            [
                "fuzz/artifacts/x/crash-ab",
                "SUMMARY: libFuzzer: deadly signal"
            ]
        );
    }

    #[test]
    fn stable_output_keeps_findings_under_their_target() {
        let text = "seed 1\n\
            result target=a execs=10 seconds=1.0 execs_per_second=10 findings=1\n  \
            Panic fuzz/artifacts/a/crash-1\n    panicked at x\n\
            result target=b execs=20 seconds=2.0 execs_per_second=10 findings=0\n";
        let results = parse_stable_output(text);
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].execs, 10);
        assert_eq!(results[0].findings, ["Panic fuzz/artifacts/a/crash-1"]);
        assert_eq!(results[1].seconds, 2.0);
        assert!(results[1].findings.is_empty());
    }

    #[test]
    fn target_list_parses_seed_dirs() {
        let targets = parse_target_list("a tests/x fuzz/seeds/a\nb\n");
        assert_eq!(targets[0].seed_dirs, ["tests/x", "fuzz/seeds/a"]);
        assert!(targets[1].seed_dirs.is_empty());
        assert!(select(&targets, &["c".to_string()]).is_err());
        assert_eq!(select(&targets, &[]).unwrap().len(), 2);
    }
}
