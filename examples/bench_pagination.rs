//! Peak memory of a client that lists many profile templates page by page
//! from the emulator.
//!
//! ```text
//! cargo build --release --features emulator --example bench_pagination
//! target/release/examples/bench_pagination [--items N] [--page-size P] [--state FILE]
//! ```
//!
//! The program starts itself again as a child process that runs the emulator
//! on 127.0.0.1 and creates N templates (default 100,000), so the server's
//! memory is not counted. The parent then lists every page of P templates
//! (default 100) over Connect JSON on HTTP/2 through
//! `ops::profile_template_pages` and drops each page after counting it. It prints one JSON line with the resident set size (RSS):
//! the baseline before the first full page, a sample every 10,000 items, and
//! the peak. The line also has the JSON size of one page and the peak growth
//! over the baseline in those pages, and the mean time of one List call.
//! When the server has at least 100 pages, the program then keeps 100 pages
//! at once to measure the resident memory of one decoded page
//! (`page_resident_bytes`), and gives the growth in those units too
//! (`growth_resident_pages`). The child
//! prints the time the creates took to standard error.
//!
//! With `--state FILE`, the emulator keeps its state in FILE, so every create
//! is written durably before it is acknowledged. FILE must not exist yet.
//!
//! With `--base URL` (and `--token T`), the program lists from a server that
//! is already running and contains N templates, such as the connect-node peer
//! started with `PEER_SEED_TEMPLATES=N`, and starts no emulator.
//!
//! Exits 1 when the run fails, 2 on invalid arguments.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Instant;

use cwsandbox_control::connect::{Channel, Codec, Protocol};
use cwsandbox_control::emulator::Emulator;
use cwsandbox_control::ops::profile_template_pages;
use cwsandbox_control::v1beta2::{
    CreateProfileTemplateRequest, ListProfileTemplatesRequest, ProfileSpec, ProfileTemplate,
    ResourceDefaults, RunnerManagementServiceClient,
};
use futures_util::{StreamExt as _, TryStreamExt as _};

const USAGE: &str =
    "usage: bench_pagination [--items N] [--page-size P] [--state FILE] [--base URL [--token T]]";
/// Concurrent creates while the server fills itself.
const SEED_CONCURRENCY: usize = 16;
/// Items between two RSS samples.
const SAMPLE_EVERY: usize = 10_000;
/// Pages kept at once to measure the memory of one decoded page.
const RETAINED_PAGES: usize = 100;

struct Options {
    items: usize,
    page_size: i32,
    /// An already running server to list from, instead of the emulator.
    base: Option<String>,
    token: String,
    /// State file of the emulator; `None` keeps its state in memory.
    state: Option<String>,
}

fn parse_options(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        items: 100_000,
        page_size: 100,
        base: None,
        token: "bench-token".to_string(),
        state: None,
    };
    while let Some(arg) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("missing value after {arg}"))?;
        match arg.as_str() {
            "--items" => {
                options.items = value
                    .parse()
                    .map_err(|_| format!("invalid --items {value:?}: use a count"))?;
            }
            "--page-size" => {
                options.page_size = match value.parse() {
                    Ok(size @ 1..=100) => size,
                    _ => return Err(format!("invalid --page-size {value:?}: use 1 to 100")),
                };
            }
            "--base" => options.base = Some(value),
            "--token" => options.token = value,
            "--state" => options.state = Some(value),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(options)
}

/// Returns one value of `/proc/self/status`, such as `VmRSS`, in bytes.
fn proc_status_bytes(field: &str) -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib * 1024)
}

fn template(index: usize) -> ProfileTemplate {
    let pairs = |items: &[(&str, &str)]| -> HashMap<String, String> {
        items
            .iter()
            .map(|(key, value)| ((*key).to_string(), (*value).to_string()))
            .collect()
    };
    ProfileTemplate {
        display_name: format!("page-{index:06}"),
        description: format!("Template {index} of the pagination benchmark"),
        spec: Some(ProfileSpec {
            container_image: "registry.example.com/ml/train:2.4".to_string(),
            runtime_class: "kata-qemu".to_string(),
            resource_defaults: Some(ResourceDefaults {
                cpu_request: "500m".to_string(),
                memory_request: "1Gi".to_string(),
                cpu_limit: "2".to_string(),
                memory_limit: "4Gi".to_string(),
            }),
            instance_types: vec!["gd-8xh100ib-i128".to_string()],
            node_selector: pairs(&[("topology.kubernetes.io/zone", "us-east-04a")]),
            tags: vec!["benchmark".to_string()],
            namespace_config_json: String::new(),
            network_config_json: String::new(),
            pod_template_json: r#"{"annotations":{"example.com/team":"ml"}}"#.to_string(),
        }),
        labels: pairs(&[("team", "ml"), ("index", &index.to_string())]),
        ..ProfileTemplate::default()
    }
}

fn client(base: &str, token: &str) -> Result<RunnerManagementServiceClient, String> {
    let channel = Channel::builder(base)
        .protocol(Protocol::Connect)
        .codec(Codec::Json)
        .http2_prior_knowledge()
        .bearer_token(token.to_string())
        .build()
        .map_err(|error| format!("invalid channel options: {error}"))?;
    Ok(RunnerManagementServiceClient::new(channel))
}

/// Runs the emulator, creates `items` templates, prints `listening URL TOKEN`
/// and serves until standard input closes.
// With `state`, each create waits for an fsync of the journal, so seeding
// takes far longer than in memory (BENCHMARKS.md, "Emulator writes and List
// pages").
async fn serve(items: usize, state: Option<&str>) -> Result<(), String> {
    let mut builder = Emulator::builder();
    if let Some(path) = state {
        if std::path::Path::new(path).exists() {
            return Err(format!(
                "state file {path} already exists; pass a path that does not exist"
            ));
        }
        builder = builder.state_path(path);
    }
    let emulator = builder
        .start()
        .await
        .map_err(|error| format!("failed to start the emulator: {error}"))?;
    let client = client(&emulator.base_url(), emulator.admin_token())?;

    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..SEED_CONCURRENCY {
        let client = client.clone();
        workers.push(tokio::spawn(async move {
            for index in (worker..items).step_by(SEED_CONCURRENCY) {
                let request = CreateProfileTemplateRequest {
                    profile_template: Some(template(index)),
                };
                client
                    .create_profile_template(request)
                    .await
                    .map_err(|status| format!("creating template {index} failed: {status}"))?;
            }
            Ok::<(), String>(())
        }));
    }
    for worker in workers {
        worker
            .await
            .map_err(|error| format!("a seeding task failed: {error}"))??;
    }

    eprintln!(
        "created {items} templates in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    println!(
        "listening {} {}",
        emulator.base_url(),
        emulator.admin_token()
    );
    // The parent closes standard input when it is done, or dies.
    tokio::task::spawn_blocking(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
    })
    .await
    .map_err(|error| format!("waiting for standard input failed: {error}"))?;
    Ok(())
}

/// The emulator child process, killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(items: usize, state: Option<&str>) -> Result<(Server, String, String), String> {
    let program = std::env::current_exe()
        .map_err(|error| format!("cannot find this program's path: {error}"))?;
    let mut arguments = vec![
        "serve".to_string(),
        "--items".to_string(),
        items.to_string(),
    ];
    if let Some(path) = state {
        arguments.extend(["--state".to_string(), path.to_string()]);
    }
    let mut child = Command::new(program)
        .args(&arguments)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|error| format!("failed to start the emulator process: {error}"))?;
    let stdout = child.stdout.take().ok_or("no stdout pipe")?;
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|error| format!("reading the emulator's address failed: {error}"))?;
    let mut words = line.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some("listening"), Some(base), Some(token)) => {
            Ok((server, base.to_string(), token.to_string()))
        }
        _ => Err(format!(
            "the emulator process printed {line:?} instead of its address"
        )),
    }
}

async fn stream(options: &Options) -> Result<bool, String> {
    let (_server, client) = match &options.base {
        Some(base) => (None, client(base, &options.token)?),
        None => {
            let (server, base, token) = start_server(options.items, options.state.as_deref())?;
            (Some(server), client(&base, &token)?)
        }
    };

    // One small call opens the connection before the baseline is taken.
    let first = client
        .list_profile_templates(ListProfileTemplatesRequest {
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .map_err(|status| format!("the first List call failed: {status}"))?;
    drop(first);
    let baseline = proc_status_bytes("VmHWM");

    let started = Instant::now();
    let mut pages_stream = std::pin::pin!(profile_template_pages(&client, options.page_size));
    let mut items = 0usize;
    let mut pages = 0usize;
    let mut samples = Vec::new();
    while let Some(page) = pages_stream
        .try_next()
        .await
        .map_err(|status| format!("List call {} failed: {status}", pages + 1))?
    {
        pages += 1;
        let before = items;
        items += page.profile_templates.len();
        if items / SAMPLE_EVERY > before / SAMPLE_EVERY {
            samples.push(serde_json::json!({
                "items": items,
                "rss_bytes": proc_status_bytes("VmRSS"),
            }));
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let peak = proc_status_bytes("VmHWM");
    let growth = peak.saturating_sub(baseline);
    // Measured after the peak is read, so that encoding it does not count.
    let page_bytes = first_page_json_bytes(&client, options.page_size).await?;
    let growth_pages = growth as f64 / page_bytes.max(1) as f64;
    let page_resident = page_resident_bytes(&client, options.page_size, pages).await?;
    let growth_resident_pages = page_resident.map(|bytes| growth as f64 / bytes.max(1) as f64);
    let line = serde_json::json!({
        "items": items,
        "pages": pages,
        "page_size": options.page_size,
        "seconds": (elapsed * 1000.0).round() / 1000.0,
        "mean_page_ms": (elapsed * 1000.0 / pages.max(1) as f64 * 1000.0).round() / 1000.0,
        "page_json_bytes": page_bytes,
        "baseline_rss_bytes": baseline,
        "peak_rss_bytes": peak,
        "growth_bytes": growth,
        "growth_pages": (growth_pages * 100.0).round() / 100.0,
        "page_resident_bytes": page_resident,
        "growth_resident_pages": growth_resident_pages.map(|pages| (pages * 100.0).round() / 100.0),
        "samples": samples,
    });
    println!("{line}");
    if items != options.items {
        eprintln!("listed {items} templates, expected {}", options.items);
        return Ok(false);
    }
    Ok(true)
}

/// Returns the size of the first page as proto3 JSON.
async fn first_page_json_bytes(
    client: &RunnerManagementServiceClient,
    page_size: i32,
) -> Result<usize, String> {
    let page = client
        .list_profile_templates(ListProfileTemplatesRequest {
            page_size,
            page_token: String::new(),
        })
        .await
        .map_err(|status| format!("listing the first page again failed: {status}"))?;
    serde_json::to_vec(&page)
        .map(|json| json.len())
        .map_err(|error| format!("encoding the first page failed: {error}"))
}

/// Measures the memory that one decoded page takes while a program keeps it:
/// the growth of `VmRSS` while [`RETAINED_PAGES`] pages are listed and all
/// kept, divided by their number. Returns `None` when the server has fewer
/// pages. Memory that earlier pages freed is reused first, so the figure is
/// low by at most that memory divided by [`RETAINED_PAGES`].
async fn page_resident_bytes(
    client: &RunnerManagementServiceClient,
    page_size: i32,
    pages: usize,
) -> Result<Option<u64>, String> {
    if pages < RETAINED_PAGES {
        return Ok(None);
    }
    let before = proc_status_bytes("VmRSS");
    let kept: Vec<_> = profile_template_pages(client, page_size)
        .take(RETAINED_PAGES)
        .try_collect()
        .await
        .map_err(|status| format!("listing the retained pages failed: {status}"))?;
    let after = proc_status_bytes("VmRSS");
    drop(kept);
    Ok(Some(after.saturating_sub(before) / RETAINED_PAGES as u64))
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1).peekable();
    let serving = args.peek().is_some_and(|arg| arg == "serve");
    if serving {
        args.next();
    }
    let options = match parse_options(args) {
        Ok(options) => options,
        Err(problem) => {
            eprintln!("{problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("failed to start the Tokio runtime: {error}");
            return ExitCode::from(1);
        }
    };
    let result = if serving {
        runtime
            .block_on(serve(options.items, options.state.as_deref()))
            .map(|()| true)
    } else {
        runtime.block_on(stream(&options))
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(problem) => {
            eprintln!("{problem}");
            ExitCode::from(1)
        }
    }
}
