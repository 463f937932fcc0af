//! `cargo xtask bench-peers`: unary calls per second and latency of this
//! crate's client, the connect-node and connect-python clients, and a raw
//! hyper floor, all against one connect-node server on loopback.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Deserialize;

/// Templates seeded in the server: one full page of the List benchmark.
const SEED_TEMPLATES: u32 = 100;
/// Concurrency levels, as the performance goals name them.
const CONCURRENCY: [u32; 2] = [1, 64];
/// Time allowed for the peer server to print its port.
const SERVER_START_TIMEOUT: Duration = Duration::from_secs(30);
/// Markers around the generated section of the output file.
const SECTION_BEGIN: &str = "<!-- bench-peers: begin generated section -->";
const SECTION_END: &str = "<!-- bench-peers: end generated section -->";

/// Options of `cargo xtask bench-peers`.
#[derive(Debug, Args)]
pub struct BenchPeersArgs {
    /// Seconds of load for each client, RPC and concurrency.
    #[arg(long, value_name = "N", default_value_t = 10.0)]
    pub seconds: f64,
    /// Markdown file whose generated section receives the results (the
    /// section is appended when the file has none). Default: print only.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Use the bench client already built in target/release instead of
    /// running `cargo build --release --example bench_client`.
    #[arg(long)]
    pub no_build: bool,
    /// Skip the connect-python client, the slowest to run.
    #[arg(long)]
    pub no_python: bool,
}

/// The program that sends the calls: this crate's client, the floor or a peer client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sender {
    Ours,
    Floor,
    ConnectNode,
    ConnectPython,
}

impl Sender {
    fn label(self) -> &'static str {
        match self {
            Sender::Ours => "cwsandbox-control",
            Sender::Floor => "floor (raw hyper)",
            Sender::ConnectNode => "connect-node",
            Sender::ConnectPython => "connect-python",
        }
    }
}

/// One load run: who, which RPC, codec and concurrency.
#[derive(Debug, Clone, Copy)]
struct Case {
    sender: Sender,
    rpc: &'static str,
    binary: bool,
    concurrency: u32,
}

impl Case {
    fn codec(self) -> &'static str {
        if self.binary { "proto" } else { "json" }
    }
}

/// The JSON line that every bench client prints.
#[derive(Debug, Clone, Copy, Deserialize)]
struct Measured {
    calls: u64,
    errors: u64,
    calls_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    peak_rss_bytes: u64,
    /// User and system CPU time of the client process, from GNU time.
    #[serde(skip)]
    cpu_seconds: Option<f64>,
}

/// Parses GNU time's `%U %S` output: user and system seconds on the last line.
fn parse_cpu_seconds(text: &str) -> Option<f64> {
    let line = text.lines().rev().find(|line| !line.trim().is_empty())?;
    let mut fields = line.split_whitespace().map(str::parse::<f64>);
    let user = fields.next()?.ok()?;
    let system = fields.next()?.ok()?;
    Some(user + system)
}

#[derive(Debug, Clone, Copy)]
struct Row {
    case: Case,
    measured: Measured,
    load_before: f64,
}

/// The connect-node server, killed on drop.
struct PeerServer {
    child: Child,
    base: String,
}

impl Drop for PeerServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the benchmark and prints (and optionally writes) the report.
pub fn run(repo: &Path, args: &BenchPeersArgs) -> Result<bool> {
    if !(args.seconds > 0.0 && args.seconds.is_finite()) {
        bail!("invalid --seconds {}: use a positive number", args.seconds);
    }
    check_peers_installed(repo, !args.no_python)?;
    if !args.no_build {
        build_bench_client(repo)?;
    }
    let client = repo.join("target/release/examples/bench_client");
    if !client.is_file() {
        bail!(
            "{} is missing: run `cargo build --release --example bench_client`",
            client.display()
        );
    }

    let machine = Machine::read();
    let server = start_server(repo)?;
    eprintln!("connect-node server at {}", server.base);
    let warm_up = Case {
        sender: Sender::ConnectNode,
        rpc: "list",
        binary: false,
        concurrency: 8,
    };
    run_case(
        repo,
        &client,
        &server.base,
        warm_up,
        2.0_f64.min(args.seconds),
    )
    .context("warming up the server")?;

    let mut senders = vec![Sender::Ours, Sender::Floor, Sender::ConnectNode];
    if !args.no_python {
        senders.push(Sender::ConnectPython);
    }
    let mut rows = Vec::new();
    for rpc in ["get", "list"] {
        for concurrency in CONCURRENCY {
            for binary in [false, true] {
                for &sender in &senders {
                    let case = Case {
                        sender,
                        rpc,
                        binary,
                        concurrency,
                    };
                    let load_before = load_average().unwrap_or(f64::NAN);
                    eprintln!(
                        "running {} {rpc} {} c={concurrency}",
                        sender.label(),
                        case.codec()
                    );
                    let measured = run_case(repo, &client, &server.base, case, args.seconds)?;
                    rows.push(Row {
                        case,
                        measured,
                        load_before,
                    });
                }
            }
        }
    }
    drop(server);

    let command = format!(
        "cargo xtask bench-peers --seconds {}{}",
        args.seconds,
        if args.no_python { " --no-python" } else { "" }
    );
    let criterion = CriterionReport {
        ratios: criterion_ratios(repo),
        benchmarks: criterion_results(repo),
    };
    let report = render(&machine, &command, &rows, &criterion);
    println!("{report}");
    if let Some(out) = &args.out {
        let path = if out.is_absolute() {
            out.clone()
        } else {
            repo.join(out)
        };
        write_section(&path, &report)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(rows.iter().all(|row| row.measured.errors == 0))
}

fn check_peers_installed(repo: &Path, python: bool) -> Result<()> {
    let mut missing = Vec::new();
    let node_gen = repo.join("tests/peers/node/gen");
    let node_modules = repo.join("tests/peers/node/node_modules");
    if !node_gen.is_dir() || !node_modules.is_dir() {
        missing.push("tests/peers/node/{node_modules,gen}");
    }
    if python && !repo.join("tests/peers/python/.venv/bin/python").is_file() {
        missing.push("tests/peers/python/.venv");
    }
    if !missing.is_empty() {
        bail!(
            "peer installs are missing ({}): run `bash tests/peers/setup.sh`",
            missing.join(", ")
        );
    }
    Ok(())
}

fn build_bench_client(repo: &Path) -> Result<()> {
    eprintln!("building the bench client: cargo build --release --example bench_client");
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--example", "bench_client"])
        .current_dir(repo)
        .status()
        .context("failed to run cargo build")?;
    if !status.success() {
        bail!("cargo build --release --example bench_client failed ({status})");
    }
    Ok(())
}

/// Starts the connect-node server on a free loopback port with the seed
/// templates and waits for its `listening 127.0.0.1:PORT` line.
fn start_server(repo: &Path) -> Result<PeerServer> {
    let mut child = Command::new("node")
        .arg(repo.join("tests/peers/node/server.mjs"))
        .args(["--port", "0"])
        .env("PEER_SEED_TEMPLATES", SEED_TEMPLATES.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("failed to start `node tests/peers/node/server.mjs`; is node installed?")?;
    let stdout = child.stdout.take().context("no stdout pipe")?;
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(address) = line.strip_prefix("listening ") {
                let _ = sender.send(address.trim().to_string());
            }
        }
    });
    // The guard kills the server if it never reports its port.
    let mut server = PeerServer {
        child,
        base: String::new(),
    };
    let address = receiver
        .recv_timeout(SERVER_START_TIMEOUT)
        .context("the connect-node server printed no `listening` line within 30 s")?;
    server.base = format!("http://{address}");
    Ok(server)
}

/// GNU time, which reports the user and system CPU time of a child process.
const GNU_TIME: &str = "/usr/bin/time";

fn run_case(repo: &Path, client: &Path, base: &str, case: Case, seconds: f64) -> Result<Measured> {
    let concurrency = case.concurrency.to_string();
    let seconds = seconds.to_string();
    let mut argv: Vec<OsString> = match case.sender {
        Sender::Ours | Sender::Floor => vec![client.into()],
        Sender::ConnectNode => vec![
            "node".into(),
            repo.join("tests/peers/node/bench-client.mjs").into(),
        ],
        Sender::ConnectPython => vec![
            repo.join("tests/peers/python/.venv/bin/python").into(),
            repo.join("tests/peers/python/bench_client.py").into(),
        ],
    };
    for arg in [
        "--base",
        base,
        "--rpc",
        case.rpc,
        "--concurrency",
        &concurrency,
        "--seconds",
        &seconds,
    ] {
        argv.push(arg.into());
    }
    if case.binary {
        argv.push("--binary".into());
    }
    if case.sender == Sender::Floor {
        argv.push("--floor".into());
    }

    // Without GNU time the CPU column stays empty.
    let cpu_file = tempfile::NamedTempFile::new().context("creating a temporary file")?;
    let mut command = if Path::new(GNU_TIME).is_file() {
        let mut command = Command::new(GNU_TIME);
        command
            .args(["--format", "%U %S", "--output"])
            .arg(cpu_file.path())
            .args(&argv);
        command
    } else {
        let mut command = Command::new(&argv[0]);
        command.args(&argv[1..]);
        command
    };
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("failed to start the {} bench client", case.sender.label()))?;

    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().rev().find(|line| line.starts_with('{'));
    let Some(line) = line else {
        bail!(
            "the {} bench client printed no result ({}): {}",
            case.sender.label(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    };
    let mut measured: Measured = serde_json::from_str(line).with_context(|| {
        format!(
            "invalid result line from the {} bench client: {line}",
            case.sender.label()
        )
    })?;

    measured.cpu_seconds = fs::read_to_string(cpu_file.path())
        .ok()
        .and_then(|text| parse_cpu_seconds(&text));
    if measured.errors > 0 {
        eprintln!(
            "warning: {} calls of the {} bench client failed: {}",
            measured.errors,
            case.sender.label(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(measured)
}

/// The machine facts printed beside the figures.
struct Machine {
    cpus: String,
    cpu_model: String,
    memory: String,
    kernel: String,
}

impl Machine {
    fn read() -> Machine {
        let cpus = std::thread::available_parallelism()
            .map_or_else(|_| "unknown".to_string(), |n| n.to_string());
        let cpu_model = fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find_map(|line| line.strip_prefix("model name"))
                    .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_string())
            })
            .unwrap_or_else(|| "unknown".to_string());
        let memory = fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find_map(|line| line.strip_prefix("MemTotal:"))
                    .and_then(|rest| {
                        rest.trim()
                            .trim_end_matches("kB")
                            .trim()
                            .parse::<u64>()
                            .ok()
                    })
            })
            .map_or_else(
                || "unknown".to_string(),
                |kib| format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0),
            );
        let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
            .map_or_else(|_| "unknown".to_string(), |text| text.trim().to_string());
        Machine {
            cpus,
            cpu_model,
            memory,
            kernel,
        }
    }
}

/// Returns the one-minute load average.
fn load_average() -> Option<f64> {
    fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn find(
    rows: &[Row],
    sender: Sender,
    rpc: &str,
    binary: bool,
    concurrency: u32,
) -> Option<Measured> {
    rows.iter()
        .find(|row| {
            row.case.sender == sender
                && row.case.rpc == rpc
                && row.case.binary == binary
                && row.case.concurrency == concurrency
        })
        .map(|row| row.measured)
}

/// One ratio against a goal.
struct Ratio {
    goal: &'static str,
    subject: String,
    value: f64,
    met: bool,
}

fn ratios(rows: &[Row]) -> Vec<Ratio> {
    let mut out = Vec::new();
    for rpc in ["get", "list"] {
        for binary in [false, true] {
            let codec = if binary { "proto" } else { "json" };
            let ours64 = find(rows, Sender::Ours, rpc, binary, 64);
            let floor64 = find(rows, Sender::Floor, rpc, binary, 64);
            let node64 = find(rows, Sender::ConnectNode, rpc, binary, 64);
            if let (Some(ours), Some(floor)) = (ours64, floor64) {
                let value = ours.calls_per_sec / floor.calls_per_sec;
                out.push(Ratio {
                    goal: "calls/s at c=64 >= 0.9 x floor",
                    subject: format!("{rpc} {codec}"),
                    value,
                    met: value >= 0.9,
                });
            }
            if let (Some(ours), Some(node)) = (ours64, node64) {
                let value = ours.calls_per_sec / node.calls_per_sec;
                out.push(Ratio {
                    goal: "calls/s at c=64 >= 3 x connect-node",
                    subject: format!("{rpc} {codec}"),
                    value,
                    met: value >= 3.0,
                });
            }
            let ours1 = find(rows, Sender::Ours, rpc, binary, 1);
            let floor1 = find(rows, Sender::Floor, rpc, binary, 1);
            if let (Some(ours), Some(floor)) = (ours1, floor1) {
                let value = ours.p99_ms / floor.p99_ms;
                out.push(Ratio {
                    goal: "p99 at c=1 <= 1.2 x floor",
                    subject: format!("{rpc} {codec}"),
                    value,
                    met: value <= 1.2,
                });
            }
        }
    }
    out
}

/// Reads criterion's latest mean estimate of a benchmark, in nanoseconds.
fn criterion_mean_ns(repo: &Path, id: &str) -> Option<f64> {
    let path = repo
        .join("target/criterion")
        .join(id)
        .join("new/estimates.json");
    let text = fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value.get("mean")?.get("point_estimate")?.as_f64()
}

/// Computes the JSON decode ratios from the latest criterion results in
/// target/criterion, when `cargo bench` has run on this machine.
///
/// The first ratio is the parse alone (`--bench codec`). The second is the
/// client's whole decode path, checks before the parse included, taken from
/// whole calls against a canned server (`--bench client`): the client's call
/// and the serde floor's call, each less the raw transport.
fn criterion_ratios(repo: &Path) -> Vec<Ratio> {
    const GOAL: &str = "JSON decode of 100 templates <= 1.3 x serde derive floor";
    let mut out = Vec::new();
    let parse = (
        criterion_mean_ns(repo, "templates_page_json/decode"),
        criterion_mean_ns(repo, "templates_page_json_floor/decode"),
    );
    if let (Some(ours), Some(floor)) = parse {
        let value = ours / floor;
        out.push(Ratio {
            goal: GOAL,
            subject: format!(
                "parse only: {:.0} us vs {:.0} us (`cargo bench --bench codec`)",
                ours / 1000.0,
                floor / 1000.0
            ),
            value,
            met: value <= 1.3,
        });
    }
    let calls = (
        criterion_mean_ns(repo, "list_page_call/json"),
        criterion_mean_ns(repo, "list_page_call/raw_serde_floor"),
        criterion_mean_ns(repo, "list_page_call/raw_transport"),
    );
    if let (Some(ours), Some(floor), Some(transport)) = calls {
        let value = (ours - transport) / (floor - transport);
        out.push(Ratio {
            goal: GOAL,
            subject: format!(
                "client decode path: {:.0} us vs {:.0} us (`cargo bench --bench client`)",
                (ours - transport) / 1000.0,
                (floor - transport) / 1000.0
            ),
            value,
            met: value <= 1.3,
        });
    }
    out
}

/// One criterion benchmark's latest result.
struct CriterionResult {
    id: String,
    mean_ns: f64,
    std_dev_ns: f64,
}

/// Reads every benchmark result under target/criterion, sorted by id.
fn criterion_results(repo: &Path) -> Vec<CriterionResult> {
    let mut results = Vec::new();
    let mut pending = vec![repo.join("target/criterion")];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            if path.file_name().is_some_and(|name| name == "new") {
                if let Some(result) = read_criterion_result(&path) {
                    results.push(result);
                }
            } else if path
                .file_name()
                .is_none_or(|name| name != "base" && name != "report")
            {
                pending.push(path);
            }
        }
    }
    results.sort_by(|left, right| left.id.cmp(&right.id));
    results
}

fn read_criterion_result(dir: &Path) -> Option<CriterionResult> {
    let read = |name: &str| -> Option<serde_json::Value> {
        serde_json::from_str(&fs::read_to_string(dir.join(name)).ok()?).ok()
    };
    let benchmark = read("benchmark.json")?;
    let estimates = read("estimates.json")?;
    let estimate = |name: &str| estimates.get(name)?.get("point_estimate")?.as_f64();
    Some(CriterionResult {
        id: benchmark.get("full_id")?.as_str()?.to_string(),
        mean_ns: estimate("mean")?,
        std_dev_ns: estimate("std_dev")?,
    })
}

fn format_ns(ns: f64) -> String {
    if ns >= 1_000_000.0 {
        format!("{:.2} ms", ns / 1_000_000.0)
    } else if ns >= 1_000.0 {
        format!("{:.1} us", ns / 1_000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

/// Criterion's results and the ratios computed from them.
struct CriterionReport {
    ratios: Vec<Ratio>,
    benchmarks: Vec<CriterionResult>,
}

fn render(machine: &Machine, command: &str, rows: &[Row], criterion: &CriterionReport) -> String {
    let CriterionReport {
        ratios: decode,
        benchmarks,
    } = criterion;
    let mut text = String::new();
    let _ = writeln!(text, "Command: `{command}`\n");
    let _ = writeln!(
        text,
        "Machine: {} CPUs ({}), {} memory, Linux {}. Load average (1 min) before each run is in the last column. \
         CPU ms/call is the client process's user and system time (GNU time, start-up included) over its successful calls.\n",
        machine.cpus, machine.cpu_model, machine.memory, machine.kernel
    );
    let _ = writeln!(
        text,
        "| RPC | conc. | codec | client | calls/s | p50 ms | p99 ms | CPU ms/call | peak RSS MiB | errors | load |"
    );
    let _ = writeln!(
        text,
        "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for row in rows {
        let m = row.measured;
        // Process start-up is included, which favours long runs.
        let cpu_per_call = match m.cpu_seconds {
            Some(cpu) if m.calls > 0 => format!("{:.3}", cpu * 1000.0 / m.calls as f64),
            _ => "n/a".to_string(),
        };
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {} | {:.1} | {} | {:.2} |",
            row.case.rpc,
            row.case.concurrency,
            row.case.codec(),
            row.case.sender.label(),
            m.calls_per_sec,
            m.p50_ms,
            m.p99_ms,
            cpu_per_call,
            m.peak_rss_bytes as f64 / 1024.0 / 1024.0,
            m.errors,
            row.load_before,
        );
    }
    let total_calls: u64 = rows.iter().map(|row| row.measured.calls).sum();
    let _ = writeln!(text, "\n{total_calls} successful calls in all.\n");
    let _ = writeln!(text, "| goal | case | ratio | met |");
    let _ = writeln!(text, "| --- | --- | ---: | --- |");
    for ratio in ratios(rows).iter().chain(decode.iter()) {
        let _ = writeln!(
            text,
            "| {} | {} | {:.2} | {} |",
            ratio.goal,
            ratio.subject,
            ratio.value,
            if ratio.met { "yes" } else { "no" }
        );
    }
    if !benchmarks.is_empty() {
        let _ = writeln!(
            text,
            "\nLatest `cargo bench` results on this machine (criterion mean and standard deviation):\n"
        );
        let _ = writeln!(text, "| benchmark | mean | std. dev. |");
        let _ = writeln!(text, "| --- | ---: | ---: |");
        for result in benchmarks {
            let _ = writeln!(
                text,
                "| {} | {} | {} |",
                result.id,
                format_ns(result.mean_ns),
                format_ns(result.std_dev_ns)
            );
        }
    }
    text
}

/// Replaces the generated section of `path` with `report`, or appends one.
fn write_section(path: &Path, report: &str) -> Result<()> {
    let existing = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    };
    let section = format!("{SECTION_BEGIN}\n{report}{SECTION_END}\n");
    let updated = match (existing.find(SECTION_BEGIN), existing.find(SECTION_END)) {
        (Some(begin), Some(end)) if begin < end => {
            let after = end + SECTION_END.len();
            let rest = existing[after..]
                .strip_prefix('\n')
                .unwrap_or(&existing[after..]);
            format!("{}{section}{rest}", &existing[..begin])
        }
        _ if existing.is_empty() => section,
        _ => format!("{}\n\n{section}", existing.trim_end()),
    };
    fs::write(path, updated).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_section_replaces_only_the_section() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("B.md");
        fs::write(
            &path,
            format!("# Title\n\n{SECTION_BEGIN}\nold\n{SECTION_END}\n\n## After\n"),
        )
        .expect("write");
        write_section(&path, "new\n").expect("write section");
        let text = fs::read_to_string(&path).expect("read");
        assert_eq!(
            text,
            format!("# Title\n\n{SECTION_BEGIN}\nnew\n{SECTION_END}\n\n## After\n")
        );
    }

    #[test]
    fn cpu_seconds_sum_user_and_system() {
        assert_eq!(parse_cpu_seconds("1.25 0.50\n"), Some(1.75));
        assert_eq!(
            parse_cpu_seconds("Command exited with non-zero status 1\n0.10 0.20\n"),
            Some(0.30000000000000004)
        );
        assert_eq!(parse_cpu_seconds(""), None);
        assert_eq!(parse_cpu_seconds("garbage"), None);
    }

    #[test]
    fn write_section_appends_when_missing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("B.md");
        fs::write(&path, "# Title\n").expect("write");
        write_section(&path, "new\n").expect("write section");
        let text = fs::read_to_string(&path).expect("read");
        assert_eq!(
            text,
            format!("# Title\n\n{SECTION_BEGIN}\nnew\n{SECTION_END}\n")
        );
    }
}
