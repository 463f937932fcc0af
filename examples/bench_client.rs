//! Closed-loop load of one unary RPC over HTTP/2 cleartext, for comparing this
//! client with the Connect peers' bench clients in `tests/peers/`.
//!
//! ```text
//! cargo build --release --example bench_client
//! target/release/examples/bench_client --base URL --rpc get|list \
//!     --concurrency C --seconds S [--binary] [--token T] [--floor]
//! ```
//!
//! `get` calls GetProfileTemplate for 00000000-0000-4000-8000-000000000000
//! (the template seed-00000 of a peer server started with
//! `PEER_SEED_TEMPLATES` of at least 1); `list` calls ListProfileTemplates
//! with page size 100. C tasks each send the next call as soon as the previous
//! one returns, for S seconds, over one channel (one HTTP/2 connection).
//! Prints one JSON line: `{calls, errors, seconds, calls_per_sec, p50_ms,
//! p99_ms, peak_rss_bytes}`, where `calls` counts successful calls only.
//!
//! `--floor` replaces the client with raw hyper on one HTTP/2 connection:
//! it sends the request the client would send (same URI and headers, body
//! encoded once up front), reads the response body and discards it without
//! decoding. A call counts as failed unless the status is 200.
//!
//! Exits 1 when any call failed, 2 on invalid arguments.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cwsandbox_control::connect::{
    Channel, Code, Codec, Interceptor, MethodDescriptor, Protocol, Status,
};
use cwsandbox_control::v1beta2::{
    GetProfileTemplateRequest, ListProfileTemplatesRequest, RunnerManagementServiceClient,
};
use http::{HeaderMap, Request, StatusCode, Uri};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use prost::Message;
use tokio::net::TcpStream;

const SEED_TEMPLATE_ID: &str = "00000000-0000-4000-8000-000000000000";
const LIST_PAGE_SIZE: i32 = 100;
const USAGE: &str = "usage: bench_client --base URL --rpc get|list --concurrency C --seconds S \
                     [--binary] [--token T] [--floor]";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rpc {
    Get,
    List,
}

#[derive(Debug)]
struct Options {
    base: String,
    rpc: Rpc,
    concurrency: usize,
    seconds: f64,
    binary: bool,
    token: Option<String>,
    floor: bool,
}

fn parse_options(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut base = None;
    let mut rpc = None;
    let mut concurrency = 1;
    let mut seconds = 10.0;
    let mut binary = false;
    let mut token = None;
    let mut floor = false;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("missing value after {name}"))
        };
        match arg.as_str() {
            "--base" => base = Some(value("--base")?),
            "--rpc" => {
                rpc = Some(match value("--rpc")?.as_str() {
                    "get" => Rpc::Get,
                    "list" => Rpc::List,
                    other => return Err(format!("invalid --rpc {other:?}: use get or list")),
                });
            }
            "--concurrency" => {
                let text = value("--concurrency")?;
                concurrency = match text.parse::<usize>() {
                    Ok(n) if n >= 1 => n,
                    _ => {
                        return Err(format!(
                            "invalid --concurrency {text:?}: use a positive integer"
                        ));
                    }
                };
            }
            "--seconds" => {
                let text = value("--seconds")?;
                seconds = match text.parse::<f64>() {
                    Ok(s) if s > 0.0 && s.is_finite() => s,
                    _ => {
                        return Err(format!("invalid --seconds {text:?}: use a positive number"));
                    }
                };
            }
            "--binary" => binary = true,
            "--token" => token = Some(value("--token")?),
            "--floor" => floor = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Options {
        base: base.ok_or("--base is required")?,
        rpc: rpc.ok_or("--rpc is required")?,
        concurrency,
        seconds,
        binary,
        token,
        floor,
    })
}

/// Latencies and failures of one worker.
#[derive(Default)]
struct Tally {
    latencies_ms: Vec<f64>,
    errors: u64,
    first_error: Option<String>,
}

impl Tally {
    fn record(&mut self, started: Instant, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => self
                .latencies_ms
                .push(started.elapsed().as_secs_f64() * 1000.0),
            Err(error) => {
                self.errors += 1;
                self.first_error.get_or_insert(error);
            }
        }
    }
}

/// One way to send the benchmarked call.
#[derive(Clone)]
enum Caller {
    Client(RunnerManagementServiceClient),
    Floor(Arc<Floor>),
}

impl Caller {
    async fn call(&self, rpc: Rpc) -> Result<(), String> {
        match self {
            Caller::Client(client) => call_client(client, rpc).await,
            Caller::Floor(floor) => floor.call().await,
        }
    }
}

fn get_request() -> GetProfileTemplateRequest {
    GetProfileTemplateRequest {
        id: SEED_TEMPLATE_ID.to_string(),
    }
}

fn list_request() -> ListProfileTemplatesRequest {
    ListProfileTemplatesRequest {
        page_size: LIST_PAGE_SIZE,
        page_token: String::new(),
    }
}

async fn call_client(client: &RunnerManagementServiceClient, rpc: Rpc) -> Result<(), String> {
    let outcome = match rpc {
        Rpc::Get => client.get_profile_template(get_request()).await.map(drop),
        Rpc::List => client
            .list_profile_templates(list_request())
            .await
            .map(drop),
    };
    outcome.map_err(|status| status.to_string())
}

/// Raw hyper on one HTTP/2 connection, sending a request encoded once.
struct Floor {
    sender: SendRequest<Full<Bytes>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

/// The URI and headers of the first request the client would send, taken by
/// an interceptor that then stops the call.
#[derive(Clone, Default)]
struct CaptureHead {
    head: Arc<Mutex<Option<(Uri, HeaderMap)>>>,
}

impl Interceptor for CaptureHead {
    fn before(
        &self,
        _method: &MethodDescriptor,
        request: &mut http::request::Parts,
    ) -> Result<(), Status> {
        if let Ok(mut head) = self.head.lock() {
            *head = Some((request.uri.clone(), request.headers.clone()));
        }
        Err(Status::new(Code::Canceled, "request head captured"))
    }
}

impl Floor {
    /// Opens the connection and builds the request: the headers and URI are
    /// the ones the client sends (so the server does the same work, gzip of
    /// the response included), the body is encoded here once.
    async fn connect(options: &Options) -> Result<Floor, String> {
        let capture = CaptureHead::default();
        let client = build_client(options, Some(capture.clone()))?;
        let _ = call_client(&client, options.rpc).await;
        let (uri, headers) = capture
            .head
            .lock()
            .ok()
            .and_then(|mut head| head.take())
            .ok_or("the client built no request to copy for --floor")?;

        let authority = uri
            .authority()
            .ok_or_else(|| format!("invalid --base {:?}: no host and port", options.base))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!(
                "invalid --base {:?}: --floor speaks HTTP/2 cleartext, use http://",
                options.base
            ));
        }
        let address = match authority.port_u16() {
            Some(_) => authority.as_str().to_string(),
            None => format!("{}:80", authority.host()),
        };
        let stream = TcpStream::connect(&address)
            .await
            .map_err(|error| format!("failed to connect to {address}: {error}"))?;
        stream
            .set_nodelay(true)
            .map_err(|error| format!("failed to set TCP_NODELAY: {error}"))?;
        let (sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                .await
                .map_err(|error| format!("HTTP/2 handshake with {address} failed: {error}"))?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                eprintln!("floor connection ended: {error}");
            }
        });

        let body = match options.rpc {
            Rpc::Get => encode(&get_request(), options.binary)?,
            Rpc::List => encode(&list_request(), options.binary)?,
        };
        Ok(Floor {
            sender,
            uri,
            headers,
            body,
        })
    }

    async fn call(&self) -> Result<(), String> {
        let mut request = Request::post(self.uri.clone())
            .body(Full::new(self.body.clone()))
            .map_err(|error| format!("invalid request: {error}"))?;
        *request.headers_mut() = self.headers.clone();
        let mut sender = self.sender.clone();
        let response = sender
            .send_request(request)
            .await
            .map_err(|error| format!("request failed: {error}"))?;
        let status = response.status();
        response
            .into_body()
            .collect()
            .await
            .map_err(|error| format!("reading the response body failed: {error}"))?;
        if status == StatusCode::OK {
            Ok(())
        } else {
            Err(format!("HTTP status {status}"))
        }
    }
}

fn encode<M: Message + serde::Serialize>(message: &M, binary: bool) -> Result<Bytes, String> {
    if binary {
        return Ok(Bytes::from(message.encode_to_vec()));
    }
    serde_json::to_vec(message)
        .map(Bytes::from)
        .map_err(|error| format!("failed to encode the request as JSON: {error}"))
}

fn build_client(
    options: &Options,
    capture: Option<CaptureHead>,
) -> Result<RunnerManagementServiceClient, String> {
    let mut builder = Channel::builder(options.base.as_str())
        .protocol(Protocol::Connect)
        .codec(if options.binary {
            Codec::Proto
        } else {
            Codec::Json
        })
        .http2_prior_knowledge();
    if let Some(token) = &options.token {
        builder = builder.bearer_token(token.clone());
    }
    if let Some(capture) = capture {
        builder = builder.interceptor(capture);
    }
    let channel = builder
        .build()
        .map_err(|error| format!("invalid channel options: {error}"))?;
    Ok(RunnerManagementServiceClient::new(channel))
}

/// Returns the value at percentile `p` of sorted values, by the nearest-rank
/// method that the peer bench clients use.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Returns the peak resident set size of this process (`VmHWM`), in bytes.
fn peak_rss_bytes() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib * 1024)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

async fn run(options: Options) -> Result<u64, String> {
    let caller = if options.floor {
        Caller::Floor(Arc::new(Floor::connect(&options).await?))
    } else {
        Caller::Client(build_client(&options, None)?)
    };
    let rpc = options.rpc;
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(options.seconds);
    let workers: Vec<_> = (0..options.concurrency)
        .map(|_| {
            let caller = caller.clone();
            tokio::spawn(async move {
                let mut tally = Tally::default();
                while Instant::now() < deadline {
                    let call_started = Instant::now();
                    let outcome = caller.call(rpc).await;
                    tally.record(call_started, outcome);
                }
                tally
            })
        })
        .collect();
    let mut total = Tally::default();
    for worker in workers {
        let tally = worker
            .await
            .map_err(|error| format!("a worker task failed: {error}"))?;
        total.latencies_ms.extend(tally.latencies_ms);
        total.errors += tally.errors;
        if total.first_error.is_none() {
            total.first_error = tally.first_error;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();

    let mut sorted = total.latencies_ms;
    sorted.sort_by(f64::total_cmp);
    let line = serde_json::json!({
        "calls": sorted.len(),
        "errors": total.errors,
        "seconds": round3(elapsed),
        "calls_per_sec": round3(sorted.len() as f64 / elapsed),
        "p50_ms": round3(percentile(&sorted, 50.0)),
        "p99_ms": round3(percentile(&sorted, 99.0)),
        "peak_rss_bytes": peak_rss_bytes(),
    });
    println!("{line}");
    if let Some(error) = total.first_error {
        eprintln!("{} calls failed; first error: {error}", total.errors);
    }
    Ok(total.errors)
}

fn main() -> ExitCode {
    let options = match parse_options(std::env::args().skip(1)) {
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
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(options)) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(problem) => {
            eprintln!("{problem}");
            ExitCode::from(1)
        }
    }
}
