//! Fuzz targets that go through the real client: a [`Channel`] calls an HTTP/1.1 server on
//! 127.0.0.1 that this module runs, so response decoding, error body decoding and path
//! template expansion run exactly as in production.
//!
//! Each call opens a new connection because the server closes it after one response, so
//! these targets run thousands, not hundreds of thousands, of inputs per second.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use cwsandbox_control::connect::{Channel, Protocol, Request, RetryPolicy, Status};
use cwsandbox_control::v1beta2::runner_management_service as methods;
use cwsandbox_control::v1beta2::{
    ApplyManagedRunnerUpdateRequest, DeleteManagedRunnerRequest, GetRunnerRequest,
    ListManagedRunnersRequest, ListManagedRunnersResponse, Runner, UpdateManagedRunnerRequest,
};
use cwsandbox_control::wkt::Empty;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The deadline of every call.
const CALL_DEADLINE: Duration = Duration::from_secs(1);

/// Time after which a call that has not returned counts as a hang, although its deadline
/// is [`CALL_DEADLINE`].
const HANG_LIMIT: Duration = Duration::from_secs(5);

/// The client's response size limit, small so that the limit is reachable by inputs.
const RESPONSE_LIMIT: usize = 2048;

/// Content types that the error body target picks from by index.
const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/json; charset=utf-8",
    "text/html",
    "application/proto",
    "text/plain",
    "",
    "application/grpc",
    "application/xml",
];

/// The server and the runtime shared by every input of a process.
struct Harness {
    runtime: tokio::runtime::Runtime,
    rest: Channel,
    connect: Channel,
    /// The raw response the server sends next.
    response: Arc<Mutex<Vec<u8>>>,
    /// Targets (path and query) of the requests the server read.
    targets: Arc<Mutex<Vec<String>>>,
}

/// Returns the harness of one target. Each target has its own server, so targets that run
/// at the same time in one process (as `cargo test` runs them) do not share responses.
fn harness(target: WireTarget) -> &'static Harness {
    static ERROR_BODY: OnceLock<Harness> = OnceLock::new();
    static PATH_TEMPLATE: OnceLock<Harness> = OnceLock::new();
    match target {
        WireTarget::ErrorBody => ERROR_BODY.get_or_init(start_harness),
        WireTarget::PathTemplate => PATH_TEMPLATE.get_or_init(start_harness),
    }
}

#[derive(Debug, Clone, Copy)]
enum WireTarget {
    ErrorBody,
    PathTemplate,
}

/// Retries as in production, with delays short enough for fuzzing: backoff of at most a
/// few milliseconds, and a server-requested delay over 10 ms ends the call.
fn fuzz_retry_policy() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(4),
        max_server_delay: Duration::from_millis(10),
        ..RetryPolicy::default()
    }
}

fn start_harness() -> Harness {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let response = Arc::new(Mutex::new(Vec::new()));
    let targets = Arc::new(Mutex::new(Vec::new()));
    let listener = runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    runtime.spawn(serve(listener, Arc::clone(&response), Arc::clone(&targets)));
    let channel = |protocol| {
        Channel::builder(format!("http://{addr}"))
            .protocol(protocol)
            .default_timeout(CALL_DEADLINE)
            .max_response_size(RESPONSE_LIMIT)
            .retry_policy(fuzz_retry_policy())
            .build()
            .expect("loopback channel")
    };
    Harness {
        rest: channel(Protocol::Rest),
        connect: channel(Protocol::Connect),
        runtime,
        response,
        targets,
    }
}

async fn serve(listener: TcpListener, response: Arc<Mutex<Vec<u8>>>, log: Arc<Mutex<Vec<String>>>) {
    while let Ok((mut stream, _)) = listener.accept().await {
        let response = Arc::clone(&response);
        let log = Arc::clone(&log);
        tokio::spawn(async move {
            let Some(target) = read_request_target(&mut stream).await else {
                return;
            };
            log.lock().unwrap_or_else(|e| e.into_inner()).push(target);
            let bytes = response.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        });
    }
}

/// Reads a request head and its `content-length` body; returns the request target.
async fn read_request_target(stream: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        if buffer.len() > 1 << 20 {
            return None;
        }
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let target = head.split(' ').nth(1)?.to_string();
    let length: usize = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0);
    let mut body_read = buffer.len() - head_end - 4;
    while body_read < length.min(1 << 20) {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        body_read += read;
    }
    Some(target)
}

/// Runs `call` on the harness runtime and panics when it outlives [`HANG_LIMIT`].
fn run_call<T>(harness: &Harness, call: impl std::future::Future<Output = T>) -> T {
    harness.runtime.block_on(async {
        match tokio::time::timeout(HANG_LIMIT, call).await {
            Ok(result) => result,
            Err(_) => panic!("a call with a {CALL_DEADLINE:?} deadline ran past {HANG_LIMIT:?}"),
        }
    })
}

/// Builds a complete HTTP/1.1 response with a correct `content-length`.
fn raw_response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} Fuzz\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    )
    .into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// Serves a response built from `data` to a GetRunner call and checks the outcome.
///
/// Layout: byte 0 contains flags (bit 0: Connect instead of REST, bit 1: `content-encoding:
/// gzip`, bit 2: `retry-after: 3`), bytes 1-2 pick the HTTP status in 200..=599, byte 3
/// picks a content type from [`CONTENT_TYPES`], and the rest is the body.
pub fn error_body(data: &[u8]) {
    let [flags, high, low, type_index, body @ ..] = data else {
        return;
    };
    let status = 200 + u16::from_be_bytes([*high, *low]) % 400;
    let content_type = CONTENT_TYPES[usize::from(*type_index) % CONTENT_TYPES.len()];
    let mut headers = Vec::new();
    if !content_type.is_empty() {
        headers.push(("content-type", content_type));
    }
    if flags & 2 != 0 {
        headers.push(("content-encoding", "gzip"));
    }
    if flags & 4 != 0 {
        headers.push(("retry-after", "3"));
    }
    let harness = harness(WireTarget::ErrorBody);
    *harness.response.lock().unwrap_or_else(|e| e.into_inner()) =
        raw_response(status, &headers, body);
    let channel = if flags & 1 != 0 {
        &harness.connect
    } else {
        &harness.rest
    };

    let request = Request::new(GetRunnerRequest {
        id: "lab-west".to_string(),
    });
    let result: Result<_, Status> = run_call(
        harness,
        channel.unary::<_, Runner>(&methods::GET_RUNNER, request),
    );
    // Connect succeeds on 200 only; REST on any 2xx.
    let connect = flags & 1 != 0;
    let success_status = if connect {
        status == 200
    } else {
        (200..300).contains(&status)
    };
    match result {
        Ok(_) => assert!(success_status, "HTTP {status} became a successful call"),
        Err(error) => {
            let _ = (error.to_string(), format!("{error:?}"), error.retry_delay());
            assert!(
                error.message().len() <= 64 * 1024,
                "a {}-byte message from a {}-byte body",
                error.message().len(),
                body.len()
            );
            if success_status {
                assert!(
                    !error.is_from_server(),
                    "HTTP {status} is a success status, but {error} came from the body"
                );
            }
        }
    }
}

/// Percent-decodes one path segment or query value.
fn percent_decode(text: &str) -> Option<String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .ok()
        .map(|decoded| decoded.into_owned())
}

/// Checks that the request path ends with `/{encoded}{suffix}` and that the encoded
/// segment decodes to `value`.
fn check_path_segment(target: &str, prefix: &str, suffix: &str, value: &str) {
    let path = target.split('?').next().unwrap_or_default();
    let Some(segment) = path
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(suffix))
    else {
        panic!("path {path:?} does not match {prefix}<id>{suffix}");
    };
    assert!(
        segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)),
        "segment {segment:?} of {value:?} has a byte that is not unreserved or %-encoded"
    );
    assert!(
        segment != "." && segment != "..",
        "{value:?} became the dot segment {segment:?}"
    );
    assert_eq!(
        percent_decode(segment).as_deref(),
        Some(value),
        "segment {segment:?} does not decode to the value"
    );
}

/// Returns the request targets that the server recorded and clears the record.
fn take_targets(harness: &Harness) -> Vec<String> {
    let mut targets = harness.targets.lock().unwrap_or_else(|e| e.into_inner());
    std::mem::take(&mut *targets)
}

/// A REST call whose path carries a runner id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PathCall {
    Get,
    Delete,
    Apply,
    Update,
}

fn send_path_call(harness: &Harness, call: PathCall, id: &str) -> Result<(), Status> {
    let rest = &harness.rest;
    let id = id.to_string();
    match call {
        PathCall::Get => {
            let request = Request::new(GetRunnerRequest { id });
            run_call(
                harness,
                rest.unary::<_, Runner>(&methods::GET_RUNNER, request),
            )
            .map(drop)
        }
        PathCall::Delete => {
            let request = Request::new(DeleteManagedRunnerRequest { id });
            run_call(
                harness,
                rest.unary::<_, Empty>(&methods::DELETE_MANAGED_RUNNER, request),
            )
            .map(drop)
        }
        PathCall::Apply => {
            let request = Request::new(ApplyManagedRunnerUpdateRequest { id });
            let method = &methods::APPLY_MANAGED_RUNNER_UPDATE;
            run_call(harness, rest.unary::<_, Runner>(method, request)).map(drop)
        }
        PathCall::Update => {
            let runner = Runner {
                id,
                ..Runner::default()
            };
            let request = Request::new(UpdateManagedRunnerRequest {
                runner: Some(runner),
                update_mask: None,
            });
            let method = &methods::UPDATE_MANAGED_RUNNER;
            run_call(harness, rest.unary::<_, Runner>(method, request)).map(drop)
        }
    }
}

/// Expands the REST path templates and the list query with an id and a page token taken
/// from `data`, and checks what arrives at the server.
///
/// Layout: the input, read as UTF-8 with invalid bytes replaced, is split at the first NUL
/// byte into the id and the page token.
pub fn path_template(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (id, token) = text.split_once('\0').unwrap_or((&text, ""));
    let harness = harness(WireTarget::PathTemplate);
    *harness.response.lock().unwrap_or_else(|e| e.into_inner()) =
        raw_response(200, &[("content-type", "application/json")], b"{}");
    let prefix = "/v1beta2/sandbox/managed-runners/";

    for call in [
        PathCall::Get,
        PathCall::Delete,
        PathCall::Apply,
        PathCall::Update,
    ] {
        let suffix = if call == PathCall::Apply {
            "/apply-update"
        } else {
            ""
        };
        take_targets(harness);
        match send_path_call(harness, call, id) {
            Ok(()) => {
                let targets = take_targets(harness);
                assert_eq!(targets.len(), 1, "one call, {} requests", targets.len());
                check_path_segment(&targets[0], prefix, suffix, id);
            }
            Err(error) => {
                assert!(
                    id.is_empty(),
                    "id {id:?} failed: {error} ({:?})",
                    error.code()
                );
                assert!(error.is_unsent(), "empty id was sent: {error:?}");
            }
        }
    }

    take_targets(harness);
    let request = Request::new(ListManagedRunnersRequest {
        page_size: 7,
        page_token: token.to_string(),
    });
    let result = run_call(
        harness,
        harness
            .rest
            .unary::<_, ListManagedRunnersResponse>(&methods::LIST_MANAGED_RUNNERS, request),
    );
    if let Err(error) = result {
        panic!("list with page token {token:?} failed: {error:?}");
    }
    let targets = take_targets(harness);
    let query = targets[0].split_once('?').map_or("", |(_, query)| query);
    let token_value = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == "pageToken" || *name == "page_token")
        .map(|(_, value)| value);
    match token_value {
        Some(value) => assert_eq!(
            percent_decode(&value.replace('+', " ")).as_deref(),
            Some(token),
            "query {query:?}"
        ),
        None => assert!(token.is_empty(), "query {query:?} lost the page token"),
    }
}
