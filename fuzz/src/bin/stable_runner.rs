//! Runs the fuzz targets without libFuzzer, on the stable toolchain.
//!
//! ```text
//! stable_runner list
//! stable_runner run [--target NAME]... [--seconds N] [--seed N] [--max-len BYTES] [--artifacts DIR]
//! stable_runner replay --target NAME FILE...
//! stable_runner write-proto-seeds
//! ```
//!
//! `write-proto-seeds` writes the binary encodings of the `json_response` seeds into
//! `fuzz/seeds/proto_response`.
//!
//! `list` prints each target's name and seed directories on one line, separated by spaces.
//! `run` prints one `result` line per target, which `cargo xtask fuzz` reads, and exits
//! with 1 when any target saved a finding.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cwsandbox_control_fuzz::engine::{self, CountingAllocator, Options};
use cwsandbox_control_fuzz::{TARGETS, Target, find_target, repo_root};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const USAGE: &str = "usage: stable_runner list\n       \
    stable_runner run [--target NAME]... [--seconds N] [--seed N] [--max-len BYTES] [--artifacts DIR]\n       \
    stable_runner replay --target NAME FILE...\n       \
    stable_runner write-proto-seeds";

struct RunArgs {
    targets: Vec<&'static Target>,
    options: Options,
    inputs: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let parsed = match parse(rest) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match command.as_str() {
        "list" => {
            for target in TARGETS {
                println!("{} {}", target.name, target.seed_dirs.join(" "));
            }
            ExitCode::SUCCESS
        }
        "run" => run(&parsed),
        "replay" => replay(&parsed),
        "write-proto-seeds" => write_proto_seeds(),
        other => {
            eprintln!("error: unknown command {other:?}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn parse(args: &[String]) -> Result<RunArgs, String> {
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |elapsed| elapsed.as_nanos() as u64);
    let mut parsed = RunArgs {
        targets: Vec::new(),
        options: Options {
            duration: Duration::from_secs(10),
            seed,
            max_len: 4096,
            artifacts: repo_root().join("fuzz/artifacts"),
        },
        inputs: Vec::new(),
    };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = |name: &str| {
            iter.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--target" => {
                let name = value("--target")?;
                let target = find_target(&name)
                    .ok_or_else(|| format!("unknown target {name:?}; `list` shows the targets"))?;
                parsed.targets.push(target);
            }
            "--seconds" => {
                let text = value("--seconds")?;
                let seconds: f64 = text
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s >= 0.0)
                    .ok_or_else(|| format!("invalid --seconds {text:?}: expected seconds >= 0"))?;
                parsed.options.duration = Duration::from_secs_f64(seconds);
            }
            "--seed" => {
                let text = value("--seed")?;
                parsed.options.seed = text.parse().map_err(|_| {
                    format!("invalid --seed {text:?}: expected an unsigned integer")
                })?;
            }
            "--max-len" => {
                let text = value("--max-len")?;
                parsed.options.max_len = text
                    .parse()
                    .ok()
                    .filter(|len| *len > 0)
                    .ok_or_else(|| format!("invalid --max-len {text:?}: expected bytes > 0"))?;
            }
            "--artifacts" => parsed.options.artifacts = PathBuf::from(value("--artifacts")?),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag:?}")),
            input => parsed.inputs.push(PathBuf::from(input)),
        }
    }
    Ok(parsed)
}

fn run(args: &RunArgs) -> ExitCode {
    let targets: Vec<&Target> = if args.targets.is_empty() {
        TARGETS.iter().collect()
    } else {
        args.targets.clone()
    };
    let repo = repo_root();
    let mut found = false;
    println!("seed {}", args.options.seed);
    for target in targets {
        let report = engine::run(target, &repo, &args.options);
        let seconds = report.elapsed.as_secs_f64();
        let rate = report.execs as f64 / seconds.max(1e-9);
        println!(
            "result target={} execs={} seconds={seconds:.1} execs_per_second={rate:.0} seeds={} \
             slowest_ms={:.2} max_alloc_kib={} findings={} panics={}",
            report.target,
            report.execs,
            report.seeds,
            report.slowest.as_secs_f64() * 1000.0,
            report.max_allocation / 1024,
            report.findings.len(),
            report.panics,
        );
        for finding in &report.findings {
            found = true;
            println!(
                "  {:?} {}\n    {}",
                finding.kind,
                finding.path.display(),
                finding.message.replace('\n', "\n    ")
            );
        }
    }
    if found {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn replay(args: &RunArgs) -> ExitCode {
    let [target] = args.targets.as_slice() else {
        eprintln!("error: replay needs exactly one --target\n{USAGE}");
        return ExitCode::from(2);
    };
    let failures = engine::replay(target, &args.inputs);
    for (path, message) in &failures {
        println!("{}: {message}", path.display());
    }
    println!(
        "replayed {} inputs on {}: {} panicked",
        args.inputs.len(),
        target.name,
        failures.len()
    );
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn write_proto_seeds() -> ExitCode {
    use cwsandbox_control::v1beta2::{
        ListManagedRunnersResponse, ListProfileTemplatesResponse, ProfileTemplate, Runner,
    };
    use prost::Message;

    let repo = repo_root();
    let from = repo.join("fuzz/seeds/json_response");
    let to = repo.join("fuzz/seeds/proto_response");
    let Ok(entries) = std::fs::read_dir(&from) else {
        eprintln!("error: cannot read {}", from.display());
        return ExitCode::from(2);
    };
    let mut written = 0;
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let Ok(text) = std::fs::read(&path) else {
            continue;
        };
        let encoded = serde_json::from_slice::<Runner>(&text)
            .map(|m| m.encode_to_vec())
            .or_else(|_| {
                serde_json::from_slice::<ProfileTemplate>(&text).map(|m| m.encode_to_vec())
            })
            .or_else(|_| {
                serde_json::from_slice::<ListManagedRunnersResponse>(&text)
                    .map(|m| m.encode_to_vec())
            })
            .or_else(|_| {
                serde_json::from_slice::<ListProfileTemplatesResponse>(&text)
                    .map(|m| m.encode_to_vec())
            })
            .or_else(|_| {
                serde_json::from_slice::<cwsandbox_control::rpc::Status>(&text)
                    .map(|m| m.encode_to_vec())
            });
        let (Ok(bytes), Some(stem)) = (encoded, path.file_stem()) else {
            continue;
        };
        let target = to.join(format!("{}.bin", stem.to_string_lossy()));
        if let Err(error) =
            std::fs::create_dir_all(&to).and_then(|()| std::fs::write(&target, bytes))
        {
            eprintln!("error: cannot write {}: {error}", target.display());
            return ExitCode::from(2);
        }
        written += 1;
    }
    println!("wrote {written} seeds to {}", to.display());
    ExitCode::SUCCESS
}
