//! Faulty servers on 127.0.0.1: every failure must become a Status with a
//! fitting code, within the deadline, without a panic.

#[path = "support/connect_server.rs"]
mod server;

use std::io::Write as _;
use std::time::{Duration, Instant};

use cwsandbox_control::connect::{Channel, Code, Protocol, Request, Status};
use cwsandbox_control::v1beta2::runner_management_service::GET_PROFILE_TEMPLATE;
use cwsandbox_control::v1beta2::{GetProfileTemplateRequest, ProfileTemplate};
use server::{closed_port, http_response, read_request, respond_with, spawn};
use tokio::io::AsyncWriteExt;

const DEADLINE: Duration = Duration::from_millis(400);
/// Time allowed past the deadline for scheduling on a loaded machine.
const SLACK: Duration = Duration::from_millis(600);

fn channel(url: &str, protocol: Protocol) -> Channel {
    Channel::builder(url)
        .protocol(protocol)
        .default_timeout(DEADLINE)
        .build()
        .expect("channel")
}

/// Calls GetProfileTemplate and returns the error with the time it took.
async fn call_error(channel: &Channel) -> (Status, Duration) {
    let started = Instant::now();
    let request = Request::new(GetProfileTemplateRequest {
        id: "tpl-1".to_string(),
    });
    let result = channel
        .unary::<_, ProfileTemplate>(&GET_PROFILE_TEMPLATE, request)
        .await;
    let elapsed = started.elapsed();
    let status = result.expect_err("the call must fail");
    assert!(
        elapsed < DEADLINE + SLACK,
        "took {elapsed:?}, deadline {DEADLINE:?}: {status}"
    );
    (status, elapsed)
}

const PROTOCOLS: [Protocol; 2] = [Protocol::Connect, Protocol::Rest];

#[tokio::test]
async fn closed_port_is_unavailable_and_unsent() {
    let addr = closed_port().await;
    for protocol in PROTOCOLS {
        let (status, _) = call_error(&channel(&format!("http://{addr}"), protocol)).await;
        assert_eq!(status.code(), Code::Unavailable, "{protocol:?}: {status}");
        assert!(status.is_unsent(), "{status}");
        assert!(status.is_connect(), "{status}");
        assert!(!status.is_from_server());
        assert!(status.message().contains(&addr.to_string()), "{status}");
        assert!(std::error::Error::source(&status).is_some());
    }
}

#[tokio::test]
async fn overlong_url_is_invalid_argument() {
    let addr = closed_port().await;
    // Over REST the id is a path segment; Connect sends it in the body, so
    // only REST builds a URL this long.
    let channel = channel(&format!("http://{addr}"), Protocol::Rest);
    let request = Request::new(GetProfileTemplateRequest {
        id: "a".repeat(100_000),
    });
    let status = channel
        .unary::<_, ProfileTemplate>(&GET_PROFILE_TEMPLATE, request)
        .await
        .expect_err("the call must fail");
    assert_eq!(status.code(), Code::InvalidArgument, "{status}");
    assert!(status.is_unsent(), "{status}");
    assert!(!status.is_from_server());
    assert!(status.message().contains("GetProfileTemplate"), "{status}");
    assert!(status.message().contains("too long"), "{status}");
    assert!(!status.message().contains("/coreweave."), "{status}");
}

#[tokio::test]
async fn reset_connection_is_unavailable_and_maybe_sent() {
    let server = spawn(|mut stream, _| async move {
        let _ = read_request(&mut stream).await;
        let _ = stream.set_zero_linger();
        drop(stream);
    })
    .await;
    for protocol in PROTOCOLS {
        let (status, _) = call_error(&channel(&server.url(), protocol)).await;
        assert_eq!(status.code(), Code::Unavailable, "{protocol:?}: {status}");
        assert!(!status.is_unsent(), "{status}");
        assert!(status.is_transport(), "{status}");
    }
}

#[tokio::test]
async fn stalled_server_hits_the_deadline() {
    let server = spawn(|mut stream, _| async move {
        let _ = read_request(&mut stream).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    for protocol in PROTOCOLS {
        let (status, elapsed) = call_error(&channel(&server.url(), protocol)).await;
        assert_eq!(status.code(), Code::DeadlineExceeded, "{status}");
        assert!(status.is_timeout());
        assert!(!status.is_unsent());
        assert!(elapsed >= DEADLINE, "returned early after {elapsed:?}");
    }
}

#[tokio::test]
async fn stall_in_the_body_hits_the_deadline() {
    let server = spawn(|mut stream, _| async move {
        let _ = read_request(&mut stream).await;
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                    Content-Length: 100\r\n\r\n{\"id\": ";
        let _ = stream.write_all(head.as_bytes()).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    for protocol in PROTOCOLS {
        let (status, elapsed) = call_error(&channel(&server.url(), protocol)).await;
        assert_eq!(status.code(), Code::DeadlineExceeded, "{status}");
        assert!(elapsed >= DEADLINE, "returned early after {elapsed:?}");
    }
}

#[tokio::test]
async fn truncated_body_is_internal() {
    let server = spawn(|mut stream, _| async move {
        let _ = read_request(&mut stream).await;
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                    Content-Length: 100\r\n\r\n{\"id\": \"tp";
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
    for protocol in PROTOCOLS {
        let (status, _) = call_error(&channel(&server.url(), protocol)).await;
        assert_eq!(status.code(), Code::Internal, "{status}");
        assert!(status.message().contains("cut off"), "{status}");
        assert!(status.is_transport());
        assert!(!status.is_from_server());
    }
}

/// Streams `total` bytes of JSON-ish filler after the given response head.
async fn stream_large_body(stream: &mut tokio::net::TcpStream, head: &str, total: usize) {
    if stream.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    while sent < total {
        let size = chunk.len().min(total - sent);
        if stream.write_all(&chunk[..size]).await.is_err() {
            return;
        }
        sent += size;
    }
}

#[tokio::test]
async fn ten_mib_body_with_length_is_rejected() {
    const SIZE: usize = 10 * 1024 * 1024;
    let server = spawn(|mut stream, _| async move {
        let _ = read_request(&mut stream).await;
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {SIZE}\r\n\r\n"
        );
        stream_large_body(&mut stream, &head, SIZE).await;
    })
    .await;
    for protocol in PROTOCOLS {
        let (status, _) = call_error(&channel(&server.url(), protocol)).await;
        assert_eq!(status.code(), Code::ResourceExhausted, "{status}");
        assert!(status.is_too_large());
        assert!(status.message().contains("4194304"), "{status}");
    }
}

#[tokio::test]
async fn ten_mib_chunked_body_is_rejected() {
    const SIZE: usize = 10 * 1024 * 1024;
    let server = spawn(|mut stream, _| async move {
        let _ = read_request(&mut stream).await;
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                    Transfer-Encoding: chunked\r\n\r\n";
        if stream.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = vec![b' '; 64 * 1024];
        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
        framed.extend_from_slice(&chunk);
        framed.extend_from_slice(b"\r\n");
        for _ in 0..SIZE / chunk.len() {
            if stream.write_all(&framed).await.is_err() {
                return;
            }
        }
        let _ = stream.write_all(b"0\r\n\r\n").await;
    })
    .await;
    for protocol in PROTOCOLS {
        let (status, _) = call_error(&channel(&server.url(), protocol)).await;
        assert_eq!(status.code(), Code::ResourceExhausted, "{status}");
    }
}

#[tokio::test]
async fn gzip_bomb_is_rejected_after_decompression() {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&vec![b' '; 10 * 1024 * 1024]).unwrap();
    let compressed = encoder.finish().unwrap();
    assert!(compressed.len() < 64 * 1024);
    let server = respond_with(move |_| {
        http_response(
            "200 OK",
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", "gzip"),
            ],
            &compressed,
        )
    })
    .await;
    for protocol in PROTOCOLS {
        let (status, _) = call_error(&channel(&server.url(), protocol)).await;
        assert_eq!(status.code(), Code::ResourceExhausted, "{status}");
        assert!(status.message().contains("decompressed"), "{status}");
    }
}

#[tokio::test]
async fn html_502_from_a_proxy_is_unavailable() {
    let page = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/errors/proxy-502.html"
    ))
    .unwrap();
    let server = respond_with(move |_| {
        http_response("502 Bad Gateway", &[("Content-Type", "text/html")], &page)
    })
    .await;
    for protocol in PROTOCOLS {
        let (status, _) = call_error(&channel(&server.url(), protocol)).await;
        assert_eq!(status.code(), Code::Unavailable, "{protocol:?}: {status}");
        assert_eq!(status.http_status(), Some(http::StatusCode::BAD_GATEWAY));
        assert!(status.message().contains("502 Bad Gateway"), "{status}");
        assert!(status.is_from_server());
    }
}

#[tokio::test]
async fn html_200_is_unknown() {
    let server = respond_with(|_| {
        http_response(
            "200 OK",
            &[("Content-Type", "text/html")],
            b"<html>login</html>",
        )
    })
    .await;
    for protocol in PROTOCOLS {
        let (status, _) = call_error(&channel(&server.url(), protocol)).await;
        assert_eq!(status.code(), Code::Unknown, "{protocol:?}: {status}");
        assert!(status.message().contains("text/html"), "{status}");
        assert!(status.is_decode());
        assert_eq!(status.http_status(), Some(http::StatusCode::OK));
    }
}

#[tokio::test]
async fn undecodable_200_bodies_are_internal() {
    // (words the message must contain, Content-Encoding, body)
    let cases: [(&str, &str, &[u8]); 4] = [
        ("invalid JSON", "identity", b"{\"id\": "),
        ("UTF-8", "identity", b"{\"id\": \"\xff\xfe\"}"),
        ("gzip", "gzip", b"not gzip"),
        ("content-encoding br", "br", b"x"),
    ];
    for (problem, encoding, body) in cases {
        let headers = [
            ("Content-Type", "application/json"),
            ("Content-Encoding", encoding),
        ];
        let response = http_response("200 OK", &headers, body);
        let server = respond_with(move |_| response.clone()).await;
        for protocol in PROTOCOLS {
            let (status, _) = call_error(&channel(&server.url(), protocol)).await;
            assert_eq!(status.code(), Code::Internal, "{problem}: {status}");
            assert!(status.message().contains(problem), "{problem}: {status}");
            assert!(status.is_decode(), "{status}");
        }
    }
}

#[tokio::test]
async fn deep_unknown_field_is_skipped() {
    // serde_json skips an unknown value with a heap stack of one byte per
    // level, so nesting there costs no recursion and the call succeeds.
    let body = format!(
        "{{\"id\": \"tpl-1\", \"extra\": {}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let server = respond_with(move |_| {
        http_response(
            "200 OK",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
    })
    .await;
    for protocol in PROTOCOLS {
        let request = Request::new(GetProfileTemplateRequest {
            id: "tpl-1".to_string(),
        });
        let template = channel(&server.url(), protocol)
            .unary::<_, ProfileTemplate>(&GET_PROFILE_TEMPLATE, request)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(template.id, "tpl-1");
    }
}

#[tokio::test]
async fn lower_json_depth_is_checked_first() {
    let body = format!("{{\"extra\": {}{}}}", "[".repeat(20), "]".repeat(20));
    let server = respond_with(move |_| {
        http_response(
            "200 OK",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
    })
    .await;
    for protocol in PROTOCOLS {
        let channel = Channel::builder(server.url())
            .protocol(protocol)
            .default_timeout(DEADLINE)
            .max_json_depth(16)
            .build()
            .unwrap();
        let (status, _) = call_error(&channel).await;
        assert_eq!(status.code(), Code::ResourceExhausted, "{status}");
        assert!(status.message().contains("21 levels"), "{status}");
    }
}

#[tokio::test]
async fn redirect_is_not_followed() {
    let target = respond_with(|_| http_response("200 OK", &[], b"{}")).await;
    let location = format!("{}/elsewhere", target.url());
    let redirect_to = location.clone();
    let server = respond_with(move |_| {
        http_response("302 Found", &[("Location", redirect_to.as_str())], b"")
    })
    .await;
    for protocol in PROTOCOLS {
        let channel = Channel::builder(server.url())
            .protocol(protocol)
            .bearer_token("t0ken")
            .default_timeout(DEADLINE)
            .build()
            .unwrap();
        let (status, _) = call_error(&channel).await;
        assert_eq!(status.code(), Code::Unknown, "{status}");
        assert!(status.is_redirect());
        assert!(status.message().contains(&location), "{status}");
    }
    assert_eq!(server.recorded().len(), 2);
    assert!(target.recorded().is_empty(), "the redirect was followed");
}

#[tokio::test]
async fn oversized_response_headers_are_rejected() {
    let big = "x".repeat(100 * 1024);
    let server = respond_with(move |_| {
        http_response(
            "200 OK",
            &[
                ("Content-Type", "application/json"),
                ("X-Big", big.as_str()),
            ],
            b"{}",
        )
    })
    .await;
    for protocol in PROTOCOLS {
        let (status, _) = call_error(&channel(&server.url(), protocol)).await;
        assert_eq!(status.code(), Code::ResourceExhausted, "{status}");
        assert!(status.is_too_large(), "{status}");
        assert!(status.message().contains("headers"), "{status}");
    }
}

#[tokio::test]
async fn expired_deadline_is_unsent() {
    let server = respond_with(|_| http_response("200 OK", &[], b"{}")).await;
    let channel = channel(&server.url(), Protocol::Connect);
    let request = Request::new(GetProfileTemplateRequest::default()).with_timeout(Duration::ZERO);
    let status = channel
        .unary::<_, ProfileTemplate>(&GET_PROFILE_TEMPLATE, request)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded);
    assert!(status.is_unsent());
    assert!(server.recorded().is_empty());
}
