//! The typed client against misbehaving servers on 127.0.0.1, over REST and Connect.
//!
//! Every scenario must end in the right `Status` code within the call's deadline, with the
//! resident set bounded by the response size limit. A CreateManagedRunner that may have
//! reached the server must not be sent a second time, which the servers check by counting
//! the requests they read.

#[path = "support/hardening_server.rs"]
mod server;

use std::time::{Duration, Instant};

use cwsandbox_control::connect::{Channel, Code, Detail, Protocol, RetryPolicy, Status};
use cwsandbox_control::v1beta2::{
    CreateManagedRunnerRequest, GetRunnerRequest, RunnerIdentity, RunnerManagementServiceClient,
    RunnerProfileBinding,
};
use server::{
    GoAway, Received, Server, peak_rss_growth, reset, reset_peak_rss, respond, spawn_h2,
    spawn_http1, stall, trickle,
};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// The deadline of every call.
const DEADLINE: Duration = Duration::from_millis(500);
/// Time allowed past the deadline for scheduling on a loaded two-core machine.
const SLACK: Duration = Duration::from_millis(750);
/// The client's response size limit in these tests.
const RESPONSE_LIMIT: usize = 64 * 1024;
const TOKEN: &str = "hardening-token-0123456789";
const PROTOCOLS: [Protocol; 2] = [Protocol::Rest, Protocol::Connect];

// ---------------------------------------------------------------------------------------------
// Scenarios

/// One way for a server to misbehave after it read the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    ResetBeforeHeaders,
    ResetAfterHeaders,
    ResetMidBody,
    Html502,
    TruncatedBody,
    NonJsonBody,
    BodyOverLimit,
    EndlessChunkedBody,
    InvalidUtf8,
    FakeGzip,
    TextPlainContentType,
    XmlContentType,
    UnknownConnectCode,
    IntegerConnectCode,
    DetailsNotBase64,
    RetryAfter,
    EmptyBody503,
    Trickle,
    NeverAnswers,
}

const RUNNER_JSON: &[u8] = br#"{"id":"6f1c2b7e-3a44-4c1e-9d57-0b6f3f1f2a10","displayName":"lab","installStatus":"RUNNER_INSTALL_STATUS_READY","connectionStatus":"RUNNER_CONNECTION_STATUS_CONNECTED"}"#;

async fn misbehave(scenario: Scenario, mut stream: TcpStream) {
    let json = [("content-type", "application/json")];
    match scenario {
        Scenario::ResetBeforeHeaders => reset(stream),
        Scenario::ResetAfterHeaders => {
            let head =
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n";
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.flush().await;
            tokio::time::sleep(Duration::from_millis(20)).await;
            reset(stream);
        }
        Scenario::ResetMidBody => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                RUNNER_JSON.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream
                .write_all(&RUNNER_JSON[..RUNNER_JSON.len() / 2])
                .await;
            let _ = stream.flush().await;
            tokio::time::sleep(Duration::from_millis(20)).await;
            reset(stream);
        }
        Scenario::Html502 => {
            let page =
                b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
            respond(
                &mut stream,
                "502 Bad Gateway",
                &[("content-type", "text/html")],
                page,
            )
            .await;
        }
        Scenario::TruncatedBody => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                RUNNER_JSON.len() + 100
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(RUNNER_JSON).await;
            let _ = stream.shutdown().await;
        }
        Scenario::NonJsonBody => {
            respond(&mut stream, "200 OK", &json, b"this is not JSON").await;
        }
        Scenario::BodyOverLimit => {
            let total = 256 << 20;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {total}\r\n\r\n"
            );
            stream_zeros(&mut stream, &head, total, false).await;
        }
        Scenario::EndlessChunkedBody => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
            stream_zeros(&mut stream, head, 256 << 20, true).await;
        }
        Scenario::InvalidUtf8 => {
            respond(&mut stream, "200 OK", &json, b"{\"id\":\"\xff\xfe\xfd\"}").await;
        }
        Scenario::FakeGzip => {
            let headers = [
                ("content-type", "application/json"),
                ("content-encoding", "gzip"),
            ];
            respond(&mut stream, "200 OK", &headers, RUNNER_JSON).await;
        }
        Scenario::TextPlainContentType => {
            respond(
                &mut stream,
                "200 OK",
                &[("content-type", "text/plain")],
                RUNNER_JSON,
            )
            .await;
        }
        Scenario::XmlContentType => {
            let xml = b"<runner><id>r1</id></runner>";
            respond(
                &mut stream,
                "200 OK",
                &[("content-type", "application/xml")],
                xml,
            )
            .await;
        }
        Scenario::UnknownConnectCode => {
            let body = br#"{"code":"teapot","message":"short and stout"}"#;
            respond(&mut stream, "418 I'm a teapot", &json, body).await;
        }
        Scenario::IntegerConnectCode => {
            let body = br#"{"code":5,"message":"runner lab not found"}"#;
            respond(&mut stream, "404 Not Found", &json, body).await;
        }
        Scenario::DetailsNotBase64 => {
            let body = br#"{"code":"not_found","message":"runner lab not found","details":[{"type":"google.rpc.ErrorInfo","value":"%%% not base64 %%%"},{"type":"google.rpc.ErrorInfo","value":7}]}"#;
            respond(&mut stream, "404 Not Found", &json, body).await;
        }
        Scenario::RetryAfter => {
            let headers = [("content-type", "text/plain"), ("retry-after", "7")];
            respond(
                &mut stream,
                "503 Service Unavailable",
                &headers,
                b"overloaded",
            )
            .await;
        }
        Scenario::EmptyBody503 => {
            respond(&mut stream, "503 Service Unavailable", &[], b"").await;
        }
        Scenario::Trickle => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                RUNNER_JSON.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            trickle(&mut stream, RUNNER_JSON, Duration::from_millis(50)).await;
        }
        Scenario::NeverAnswers => stall(stream).await,
    }
}

/// Writes `head` and then `total` zero bytes in 64 KiB writes, as chunks when `chunked`.
/// Stops when the client goes away.
async fn stream_zeros(stream: &mut TcpStream, head: &str, total: usize, chunked: bool) {
    let block = vec![b'0'; 64 * 1024];
    if stream.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let mut sent = 0;
    while sent < total {
        let result = if chunked {
            let size = format!("{:x}\r\n", block.len());
            match stream.write_all(size.as_bytes()).await {
                Ok(()) => match stream.write_all(&block).await {
                    Ok(()) => stream.write_all(b"\r\n").await,
                    Err(error) => Err(error),
                },
                Err(error) => Err(error),
            }
        } else {
            stream.write_all(&block).await
        };
        if result.is_err() {
            return;
        }
        sent += block.len();
    }
}

/// The code the client must report for a scenario over `protocol`.
fn expected_code(scenario: Scenario, protocol: Protocol) -> Code {
    use Scenario as S;
    match scenario {
        // Connect reads another application/* type as the wrong codec, so Internal. REST
        // reads any body that is not JSON as coming from something other than the API.
        S::XmlContentType if protocol == Protocol::Rest => Code::Unknown,
        S::ResetBeforeHeaders => Code::Unavailable,
        S::ResetAfterHeaders | S::ResetMidBody | S::TruncatedBody => Code::Internal,
        S::Html502 | S::RetryAfter | S::EmptyBody503 => Code::Unavailable,
        S::NonJsonBody | S::InvalidUtf8 | S::FakeGzip | S::XmlContentType => Code::Internal,
        S::BodyOverLimit | S::EndlessChunkedBody => Code::ResourceExhausted,
        S::TextPlainContentType => Code::Unknown,
        // A JSON error body with a Connect code string is read as such on either protocol.
        S::UnknownConnectCode => Code::Unknown,
        S::IntegerConnectCode | S::DetailsNotBase64 => Code::NotFound,
        S::Trickle | S::NeverAnswers => Code::DeadlineExceeded,
    }
}

/// Returns true when the failure happens after the server may have acted on the request.
fn may_have_reached_handler(scenario: Scenario) -> bool {
    !matches!(
        scenario,
        Scenario::EmptyBody503 | Scenario::Html502 | Scenario::RetryAfter
    )
}

const ALL_SCENARIOS: [Scenario; 19] = [
    Scenario::ResetBeforeHeaders,
    Scenario::ResetAfterHeaders,
    Scenario::ResetMidBody,
    Scenario::Html502,
    Scenario::TruncatedBody,
    Scenario::NonJsonBody,
    Scenario::BodyOverLimit,
    Scenario::EndlessChunkedBody,
    Scenario::InvalidUtf8,
    Scenario::FakeGzip,
    Scenario::TextPlainContentType,
    Scenario::XmlContentType,
    Scenario::UnknownConnectCode,
    Scenario::IntegerConnectCode,
    Scenario::DetailsNotBase64,
    Scenario::RetryAfter,
    Scenario::EmptyBody503,
    Scenario::Trickle,
    Scenario::NeverAnswers,
];

// ---------------------------------------------------------------------------------------------
// Client side

/// Returns a client with the default retry policy.
fn client(url: &str, protocol: Protocol) -> RunnerManagementServiceClient {
    client_with_retries(url, protocol, RetryPolicy::default())
}

fn client_with_retries(
    url: &str,
    protocol: Protocol,
    policy: RetryPolicy,
) -> RunnerManagementServiceClient {
    let channel = Channel::builder(url)
        .protocol(protocol)
        .bearer_token(TOKEN)
        .default_timeout(DEADLINE)
        .max_response_size(RESPONSE_LIMIT)
        .retry_policy(policy)
        .build()
        .expect("channel to a loopback server");
    RunnerManagementServiceClient::new(channel)
}

fn create_request() -> CreateManagedRunnerRequest {
    CreateManagedRunnerRequest {
        runner_id: "lab-west".to_string(),
        runner: Some(cwsandbox_control::v1beta2::Runner {
            display_name: "Lab (west)".to_string(),
            identity: Some(RunnerIdentity {
                runner_id: "lab-west".to_string(),
                zone: "US-WEST-09B".to_string(),
                cluster_name: "lab-west-cks".to_string(),
                ..Default::default()
            }),
            profile_bindings: vec![RunnerProfileBinding {
                profile_template_id: "tpl-1".to_string(),
                is_default: true,
                ..Default::default()
            }],
            ..Default::default()
        }),
    }
}

/// Starts a server that plays `scenario` on every connection.
async fn scenario_server(scenario: Scenario) -> Server {
    spawn_http1(move |stream, _request: Received| misbehave(scenario, stream)).await
}

/// Runs GetRunner against `scenario` without retries and checks the code and the time
/// taken. With retries, the last attempt may run into the deadline, which makes the code
/// depend on timing; [`get_retries_stay_within_deadline`] covers that.
async fn check_get(scenario: Scenario, protocol: Protocol) -> Status {
    let server = scenario_server(scenario).await;
    let client = client_with_retries(&server.url(), protocol, RetryPolicy::none());
    let started = Instant::now();
    let result = client
        .get_runner(GetRunnerRequest {
            id: "lab-west".to_string(),
        })
        .await;
    let elapsed = started.elapsed();
    let status = result.expect_err("the call must fail");
    let expected = expected_code(scenario, protocol);
    assert_eq!(
        status.code(),
        expected,
        "{scenario:?} over {protocol:?}: got {status} ({status:?})"
    );
    assert!(
        elapsed < DEADLINE + SLACK,
        "{scenario:?} over {protocol:?} took {elapsed:?}: {status}"
    );
    assert!(
        !status.message().contains(TOKEN),
        "{scenario:?}: the message shows the token"
    );
    assert!(
        server.request_count() >= 1,
        "{scenario:?}: the server read no request"
    );
    status
}

/// Runs CreateManagedRunner against `scenario` and checks that the request was not sent
/// again after it may have reached the server.
async fn check_create(scenario: Scenario, protocol: Protocol) {
    let server = scenario_server(scenario).await;
    let client = client(&server.url(), protocol);
    let started = Instant::now();
    let status = client
        .create_managed_runner(create_request())
        .await
        .expect_err("the call must fail");
    let elapsed = started.elapsed();
    assert_eq!(
        status.code(),
        expected_code(scenario, protocol),
        "Create, {scenario:?} over {protocol:?}: {status}"
    );
    assert!(
        elapsed < DEADLINE + SLACK,
        "Create, {scenario:?} over {protocol:?} took {elapsed:?}"
    );
    let count = server.request_count();
    if may_have_reached_handler(scenario) {
        assert_eq!(
            count, 1,
            "Create, {scenario:?} over {protocol:?}: sent {count} times"
        );
    } else {
        assert!(count >= 1, "Create, {scenario:?}: never sent");
    }
    assert!(!status.is_unsent(), "{scenario:?}: {status:?}");
}

// ---------------------------------------------------------------------------------------------
// Tests

#[tokio::test]
async fn every_scenario_over_rest() {
    for scenario in ALL_SCENARIOS {
        check_get(scenario, Protocol::Rest).await;
    }
}

#[tokio::test]
async fn every_scenario_over_connect() {
    for scenario in ALL_SCENARIOS {
        check_get(scenario, Protocol::Connect).await;
    }
}

#[tokio::test]
async fn create_is_never_sent_twice() {
    for protocol in PROTOCOLS {
        for scenario in ALL_SCENARIOS {
            check_create(scenario, protocol).await;
        }
    }
}

#[tokio::test]
async fn get_retries_stay_within_deadline() {
    let max_attempts = RetryPolicy::default().max_attempts as usize;
    for protocol in PROTOCOLS {
        for scenario in ALL_SCENARIOS {
            let server = scenario_server(scenario).await;
            let client = client(&server.url(), protocol);
            let started = Instant::now();
            let status = client
                .get_runner(GetRunnerRequest {
                    id: "lab-west".to_string(),
                })
                .await
                .expect_err("the call must fail");
            let elapsed = started.elapsed();
            let expected = expected_code(scenario, protocol);
            assert!(
                status.code() == expected || status.code() == Code::DeadlineExceeded,
                "{scenario:?} over {protocol:?}: {status:?}, expected {expected:?}"
            );
            assert!(
                elapsed < DEADLINE + SLACK,
                "{scenario:?} over {protocol:?} took {elapsed:?}"
            );
            let count = server.request_count();
            assert!(
                (1..=max_attempts).contains(&count),
                "{scenario:?} over {protocol:?}: {count} attempts"
            );
        }
    }
}

#[tokio::test]
async fn retry_after_header_sets_delay() {
    for protocol in PROTOCOLS {
        let status = check_get(Scenario::RetryAfter, protocol).await;
        assert_eq!(
            status.retry_delay(),
            Some(Duration::from_secs(7)),
            "{protocol:?}"
        );
    }
}

#[tokio::test]
async fn connect_error_body_shapes() {
    for protocol in PROTOCOLS {
        let status = check_get(Scenario::UnknownConnectCode, protocol).await;
        assert_eq!(status.message(), "short and stout");
        assert!(status.is_from_server());

        let status = check_get(Scenario::IntegerConnectCode, protocol).await;
        assert_eq!(status.message(), "runner lab not found");

        let status = check_get(Scenario::DetailsNotBase64, protocol).await;
        assert_eq!(status.message(), "runner lab not found");
        assert!(
            status
                .details()
                .iter()
                .all(|detail| !matches!(detail, Detail::ErrorInfo(_))),
            "an undecodable detail became an ErrorInfo: {:?}",
            status.details()
        );
    }
}

#[tokio::test]
async fn html_502_keeps_http_status() {
    for protocol in PROTOCOLS {
        let status = check_get(Scenario::Html502, protocol).await;
        assert_eq!(status.http_status().map(|s| s.as_u16()), Some(502));
        assert!(
            !status.message().contains("<html>") || status.message().len() < 512,
            "the message carries the whole page: {}",
            status.message()
        );
    }
}

#[tokio::test]
async fn oversized_bodies_keep_memory_bounded() {
    for scenario in [Scenario::BodyOverLimit, Scenario::EndlessChunkedBody] {
        for protocol in PROTOCOLS {
            let server = scenario_server(scenario).await;
            let client = client(&server.url(), protocol);
            let Some(baseline) = reset_peak_rss() else {
                eprintln!("skipped: /proc/self/clear_refs is not available");
                return;
            };
            let status = client
                .get_runner(GetRunnerRequest {
                    id: "lab-west".to_string(),
                })
                .await
                .expect_err("a 256 MiB body is over the limit");
            let growth = peak_rss_growth(baseline);
            assert_eq!(status.code(), Code::ResourceExhausted, "{status}");
            assert!(status.is_too_large(), "{status:?}");
            // The limit is 64 KiB. Other tests of this binary run at the same time and the
            // servers' buffers count too, so the bound is generous but far below the
            // 256 MiB that the server offers.
            assert!(
                growth < 32 << 20,
                "{scenario:?} over {protocol:?}: the heap grew by {growth} bytes"
            );
        }
    }
}

#[tokio::test]
async fn h2_goaway_after_request_is_not_resent() {
    for protocol in PROTOCOLS {
        let server = spawn_h2(GoAway::AfterRequest).await;
        let channel = Channel::builder(server.url())
            .protocol(protocol)
            .http2_prior_knowledge()
            .default_timeout(DEADLINE)
            .build()
            .expect("h2c channel");
        let client = RunnerManagementServiceClient::new(channel);
        let started = Instant::now();
        let status = client
            .create_managed_runner(create_request())
            .await
            .expect_err("the server never answers");
        let elapsed = started.elapsed();
        assert_eq!(status.code(), Code::Unavailable, "{protocol:?}: {status:?}");
        assert!(elapsed < DEADLINE + SLACK, "{protocol:?} took {elapsed:?}");
        assert_eq!(server.request_count(), 1, "{protocol:?}: Create sent again");
        assert!(!status.is_unsent(), "{protocol:?}: {status:?}");
    }
}

#[tokio::test]
async fn h2_goaway_before_request_is_unavailable() {
    for protocol in PROTOCOLS {
        let server = spawn_h2(GoAway::BeforeRequest).await;
        let channel = Channel::builder(server.url())
            .protocol(protocol)
            .http2_prior_knowledge()
            .default_timeout(DEADLINE)
            .build()
            .expect("h2c channel");
        let client = RunnerManagementServiceClient::new(channel);
        let started = Instant::now();
        let status = client
            .create_managed_runner(create_request())
            .await
            .expect_err("every connection is refused with GOAWAY");
        let elapsed = started.elapsed();
        assert_eq!(status.code(), Code::Unavailable, "{protocol:?}: {status:?}");
        assert!(elapsed < DEADLINE + SLACK, "{protocol:?} took {elapsed:?}");
        assert_eq!(server.request_count(), 0, "{protocol:?}");
        assert!(server.connection_count() >= 1, "{protocol:?}");
    }
}

/// Returns whether a request the server read is a create (REST POST to the collection, or
/// the Connect procedure).
fn is_create(request: &Received) -> bool {
    request.path().ends_with("/CreateManagedRunner")
        || (request.method == "POST" && request.path() == "/v1beta2/sandbox/managed-runners")
}

#[tokio::test]
async fn safe_create_resends_only_after_not_found() {
    // Every create is reset after the server read it, so each one may have landed. The
    // lookup either fails (then the create must not be sent again) or finds nothing (then
    // one more create is allowed per lookup).
    for (label, lookup_not_found) in [("lookup fails", false), ("lookup finds nothing", true)] {
        for protocol in PROTOCOLS {
            let server = spawn_http1(move |mut stream, request: Received| async move {
                if is_create(&request) {
                    reset(stream);
                } else if lookup_not_found {
                    let body = br#"{"code":5,"message":"runner lab-west not found"}"#;
                    let connect = br#"{"code":"not_found","message":"runner lab-west not found"}"#;
                    let body: &[u8] = if request.path().starts_with("/coreweave") {
                        connect
                    } else {
                        body
                    };
                    let headers = [("content-type", "application/json")];
                    respond(&mut stream, "404 Not Found", &headers, body).await;
                } else {
                    reset(stream);
                }
            })
            .await;
            let channel = Channel::builder(server.url())
                .protocol(protocol)
                .bearer_token(TOKEN)
                .default_timeout(DEADLINE)
                .build()
                .expect("loopback channel");
            let client = cwsandbox_control::Client::new(channel);
            let runner = create_request().runner.expect("runner");
            let status = client
                .create_managed_runner_safely("lab-west", runner)
                .await
                .expect_err("every create is reset");
            let received = server.received();
            let creates = received.iter().filter(|r| is_create(r)).count();
            let lookups = received.len() - creates;
            assert!(!status.is_unsent(), "{label} {protocol:?}: {status:?}");
            if lookup_not_found {
                assert!(
                    creates <= lookups + 1,
                    "{label} {protocol:?}: {creates} creates after {lookups} lookups"
                );
                assert!(creates >= 2, "{label} {protocol:?}: {creates} creates");
            } else {
                assert_eq!(creates, 1, "{label} {protocol:?}: create sent again");
            }
        }
    }
}
