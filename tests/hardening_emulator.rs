//! The emulator under hostile clients: bodies and headers over its limits, compression
//! bombs, deeply nested JSON and clients that send too slowly. Each request must be
//! rejected with an error response or a closed connection, without the resident set
//! growing with what the client offers.

#![cfg(feature = "emulator")]

#[path = "support/hardening_server.rs"]
mod server;

use std::io::Write as _;
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use cwsandbox_control::emulator::{Emulator, EmulatorConfig, EmulatorHandle, PeerInfo, Timings};
use server::{peak_rss_growth, reset_peak_rss};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The emulator's body limit in these tests.
const BODY_LIMIT: usize = 256 * 1024;
/// The emulator's header limit in these tests.
const HEADER_LIMIT: usize = 16 * 1024;
/// The emulator's read timeout in these tests.
const READ_TIMEOUT: Duration = Duration::from_millis(400);
/// Resident set growth allowed for one hostile request. Other tests of this binary run at
/// the same time, so the bound is generous but far below what the clients offer.
const MAX_GROWTH: usize = 48 << 20;

const CREATE_TEMPLATE_CONNECT: &str =
    "/coreweave.sandbox.v1beta2.RunnerManagementService/CreateProfileTemplate";

async fn start_emulator() -> EmulatorHandle {
    let config = EmulatorConfig {
        max_body_bytes: BODY_LIMIT,
        max_header_bytes: HEADER_LIMIT,
        read_timeout: READ_TIMEOUT,
        ..EmulatorConfig::default()
    };
    Emulator::builder()
        .config(config)
        .timings(Timings::instant())
        .manual_clock()
        .start()
        .await
        .expect("emulator on 127.0.0.1")
}

/// Reads what the emulator sends until it closes the connection or `limit` passes, and
/// returns the HTTP status of the first response, if one arrived.
async fn read_status(stream: &mut TcpStream, limit: Duration) -> Option<u16> {
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(remaining, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(read)) => {
                received.extend_from_slice(&chunk[..read]);
                if received.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        }
    }
    let head = String::from_utf8_lossy(&received);
    head.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// Checks that the emulator still serves an ordinary request.
async fn assert_still_serving(emulator: &EmulatorHandle) {
    let mut stream = TcpStream::connect(emulator.addr()).await.expect("connect");
    let request = format!(
        "GET /v1beta2/sandbox/profile-templates HTTP/1.1\r\nhost: emulator\r\n\
         authorization: Bearer {}\r\nconnection: close\r\n\r\n",
        emulator.admin_token()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let status = read_status(&mut stream, Duration::from_secs(5)).await;
    assert_eq!(status, Some(200), "the emulator stopped serving");
}

#[tokio::test]
async fn declared_huge_body_rejected_unread() {
    let emulator = start_emulator().await;
    let mut stream = TcpStream::connect(emulator.addr()).await.expect("connect");
    let head = format!(
        "POST /v1beta2/sandbox/profile-templates HTTP/1.1\r\nhost: emulator\r\n\
         authorization: Bearer {}\r\ncontent-type: application/json\r\n\
         content-length: 1073741824\r\n\r\n{{\"profileTemplate\":",
        emulator.admin_token()
    );
    stream
        .write_all(head.as_bytes())
        .await
        .expect("send the head");
    let started = Instant::now();
    let status = read_status(&mut stream, Duration::from_secs(3)).await;
    assert!(
        status.is_some_and(|status| (400..500).contains(&status)),
        "a 1 GiB body was not rejected: {status:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_still_serving(&emulator).await;
}

#[tokio::test]
async fn streamed_body_over_limit_rejected() {
    let emulator = start_emulator().await;
    let Some(baseline) = reset_peak_rss() else {
        eprintln!("skipped: /proc/self/clear_refs is not available");
        return;
    };
    let mut stream = TcpStream::connect(emulator.addr()).await.expect("connect");
    let head = format!(
        "POST {CREATE_TEMPLATE_CONNECT} HTTP/1.1\r\nhost: emulator\r\n\
         authorization: Bearer {}\r\ncontent-type: application/json\r\n\
         transfer-encoding: chunked\r\n\r\n",
        emulator.admin_token()
    );
    stream
        .write_all(head.as_bytes())
        .await
        .expect("send the head");
    let block = vec![b' '; 64 * 1024];
    let chunk_head = format!("{:x}\r\n", block.len());
    let mut sent = 0usize;
    // Send up to 64 MiB; the emulator responds or closes after its 256 KiB limit.
    while sent < 64 << 20 {
        let wrote = async {
            stream.write_all(chunk_head.as_bytes()).await?;
            stream.write_all(&block).await?;
            stream.write_all(b"\r\n").await
        };
        match tokio::time::timeout(Duration::from_secs(2), wrote).await {
            Ok(Ok(())) => sent += block.len(),
            Ok(Err(_)) | Err(_) => break,
        }
    }
    let status = read_status(&mut stream, Duration::from_secs(3)).await;
    if let Some(status) = status {
        assert!(
            (400..500).contains(&status),
            "HTTP {status} after {sent} bytes"
        );
    }
    assert!(
        sent < 64 << 20 || status.is_some(),
        "the emulator read 64 MiB without a response"
    );
    let growth = peak_rss_growth(baseline);
    assert!(growth < MAX_GROWTH, "the heap grew by {growth} bytes");
    assert_still_serving(&emulator).await;
}

#[tokio::test]
async fn oversized_headers_rejected() {
    let emulator = start_emulator().await;
    let mut stream = TcpStream::connect(emulator.addr()).await.expect("connect");
    let mut head = format!(
        "GET /v1beta2/sandbox/profile-templates HTTP/1.1\r\nhost: emulator\r\n\
         authorization: Bearer {}\r\n",
        emulator.admin_token()
    );
    for index in 0..256 {
        head.push_str(&format!("x-padding-{index}: {}\r\n", "v".repeat(1000)));
    }
    head.push_str("\r\n");
    // The emulator may close the connection before all 256 KB arrive.
    let _ = stream.write_all(head.as_bytes()).await;
    let status = read_status(&mut stream, Duration::from_secs(3)).await;
    assert_ne!(status, Some(200), "256 KB of headers were accepted");
    if let Some(status) = status {
        assert!((400..500).contains(&status), "HTTP {status}");
    }
    assert_still_serving(&emulator).await;
}

#[tokio::test]
async fn slow_headers_time_out() {
    let emulator = start_emulator().await;
    let mut stream = TcpStream::connect(emulator.addr()).await.expect("connect");
    stream
        .write_all(b"GET /v1beta2/sandbox/profile-templates HTTP/1.1\r\nhost: emulator\r\n")
        .await
        .expect("send the request line");
    let started = Instant::now();
    let mut closed = false;
    // One header byte every 100 ms would take minutes; the read timeout is 400 ms.
    for _ in 0..50 {
        if stream.write_all(b"x").await.is_err() {
            closed = true;
            break;
        }
        let mut probe = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(100), stream.read(&mut probe)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(_)) => {
                // A 408 response; the connection closes after it.
                closed = true;
                break;
            }
            Err(_) => {}
        }
    }
    let elapsed = started.elapsed();
    assert!(closed, "the connection stayed open for {elapsed:?}");
    assert!(
        elapsed < READ_TIMEOUT + Duration::from_secs(2),
        "closed after {elapsed:?}"
    );
    assert_still_serving(&emulator).await;
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("compress");
    encoder.finish().expect("compress")
}

/// Sends `request` to the socket-free handler and returns the response status.
async fn handle(emulator: &EmulatorHandle, request: http::Request<Bytes>) -> u16 {
    let response = tokio::time::timeout(
        Duration::from_secs(5),
        emulator.service().handle(request, PeerInfo::default()),
    )
    .await
    .expect("the handler responds within 5 s");
    response.status().as_u16()
}

#[tokio::test]
async fn gzip_bomb_body_rejected() {
    let emulator = start_emulator().await;
    // 64 MiB of JSON whitespace compresses to about 64 KiB, below the body limit.
    let bomb = Bytes::from(gzip(&vec![b' '; 64 << 20]));
    assert!(bomb.len() < BODY_LIMIT, "the bomb is {} bytes", bomb.len());
    let Some(baseline) = reset_peak_rss() else {
        eprintln!("skipped: /proc/self/clear_refs is not available");
        return;
    };
    for (path, encoding_header) in [
        (CREATE_TEMPLATE_CONNECT, "content-encoding"),
        ("/v1beta2/sandbox/profile-templates", "content-encoding"),
    ] {
        let request = http::Request::builder()
            .method("POST")
            .uri(path)
            .header(
                "authorization",
                format!("Bearer {}", emulator.admin_token()),
            )
            .header("content-type", "application/json")
            .header(encoding_header, "gzip")
            .body(bomb.clone())
            .expect("request");
        let status = handle(&emulator, request).await;
        assert!((400..500).contains(&status), "{path}: HTTP {status}");
    }
    let growth = peak_rss_growth(baseline);
    assert!(growth < MAX_GROWTH, "the heap grew by {growth} bytes");
}

#[tokio::test]
async fn connect_get_gzip_bomb_rejected() {
    let emulator = start_emulator().await;
    let bomb = gzip(&vec![b' '; 16 << 20]);
    let message = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bomb);
    let Some(baseline) = reset_peak_rss() else {
        eprintln!("skipped: /proc/self/clear_refs is not available");
        return;
    };
    let uri = format!(
        "/coreweave.sandbox.v1beta2.RunnerManagementService/ListProfileTemplates\
         ?encoding=json&compression=gzip&base64=1&message={message}"
    );
    let request = http::Request::builder()
        .method("GET")
        .uri(uri)
        .header(
            "authorization",
            format!("Bearer {}", emulator.admin_token()),
        )
        .body(Bytes::new())
        .expect("request");
    let status = handle(&emulator, request).await;
    assert!((400..500).contains(&status), "HTTP {status}");
    let growth = peak_rss_growth(baseline);
    assert!(growth < MAX_GROWTH, "the heap grew by {growth} bytes");
}

#[tokio::test]
async fn deep_json_body_rejected() {
    let emulator = start_emulator().await;
    let depth = 100_000;
    let body = format!(
        "{{\"profileTemplate\":{{\"labels\":{}{}}}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    for path in [
        CREATE_TEMPLATE_CONNECT,
        "/v1beta2/sandbox/profile-templates",
    ] {
        let request = http::Request::builder()
            .method("POST")
            .uri(path)
            .header(
                "authorization",
                format!("Bearer {}", emulator.admin_token()),
            )
            .header("content-type", "application/json")
            .body(Bytes::from(body.clone()))
            .expect("request");
        let status = handle(&emulator, request).await;
        assert_eq!(status, 400, "{path}");
    }
}
