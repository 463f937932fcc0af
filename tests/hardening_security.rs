//! Where the bearer token must not go. It never appears in `Debug`, `Display`, logs or
//! error messages. It is never sent over plain HTTP to a host that is not loopback, to a
//! server whose certificate does not verify, or to the target of a redirect.

#[path = "support/hardening_server.rs"]
mod server;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cwsandbox_control::connect::{
    Channel, Code, Interceptor, MethodDescriptor, Protocol, Request, SecretToken, Status,
};
use cwsandbox_control::v1beta2::{GetRunnerRequest, RunnerManagementServiceClient};
use http::header::{AUTHORIZATION, HeaderValue};
use server::{Received, respond, spawn_http1, spawn_http1_on};

const TOKEN: &str = "cwsb-secret-token-7f3a9c21d4";
const PROTOCOLS: [Protocol; 2] = [Protocol::Rest, Protocol::Connect];

fn get_request() -> GetRunnerRequest {
    GetRunnerRequest {
        id: "lab-west".to_string(),
    }
}

/// Returns whether the request names `id` in its path (REST) or its body (Connect).
fn names_id(request: &Received, id: &str) -> bool {
    request.path().ends_with(&format!("/{id}"))
        || String::from_utf8_lossy(&request.body).contains(&format!("\"{id}\""))
}

fn assert_no_token(text: &str, what: &str) {
    assert!(!text.contains(TOKEN), "{what} shows the token: {text}");
    assert!(
        !text.contains(&TOKEN[5..20]),
        "{what} shows part of the token: {text}"
    );
}

// ---------------------------------------------------------------------------------------------
// Debug, Display and error messages

#[test]
fn token_redacted_in_debug_and_display() {
    let token = SecretToken::new(TOKEN);
    assert_no_token(&format!("{token:?}"), "SecretToken Debug");
    assert_no_token(&format!("{token}"), "SecretToken Display");
    assert_no_token(&format!("{:?}", Some(&token)), "Option<SecretToken> Debug");

    let builder = Channel::builder("https://api.example.invalid").bearer_token(TOKEN);
    assert_no_token(&format!("{builder:?}"), "ChannelBuilder Debug");
    let channel = builder.build().expect("https endpoint with a token");
    assert_no_token(&format!("{channel:?}"), "Channel Debug");
    assert_no_token(&format!("{channel:#?}"), "Channel pretty Debug");
    let client = RunnerManagementServiceClient::new(channel);
    assert_no_token(&format!("{client:?}"), "client Debug");
}

#[test]
fn invalid_token_error_hides_token() {
    let bad = format!("{TOKEN}\r\nx-injected: 1");
    let error = Channel::builder("https://api.example.invalid")
        .bearer_token(bad)
        .build()
        .expect_err("a token with CR LF cannot be a header value");
    assert_no_token(&error.to_string(), "BuildError Display");
    assert_no_token(&format!("{error:?}"), "BuildError Debug");
}

#[test]
fn plaintext_build_error_hides_token() {
    let error = Channel::builder("http://example.invalid")
        .bearer_token(TOKEN)
        .build()
        .expect_err("a token over plain HTTP to a remote host");
    let message = error.to_string();
    assert!(message.contains("plain HTTP"), "{message}");
    assert!(message.contains("example.invalid"), "{message}");
    assert_no_token(&message, "BuildError Display");
    assert_no_token(&format!("{error:?}"), "BuildError Debug");
}

#[tokio::test]
async fn call_errors_hide_token() {
    // A 401 with a body, a reset and a timeout: none of the statuses may carry the token.
    let server = spawn_http1(|mut stream, request: Received| async move {
        match () {
            () if names_id(&request, "reset") => server::reset(stream),
            () if names_id(&request, "slow") => server::stall(stream).await,
            () => {
                let body = br#"{"code":16,"message":"invalid token"}"#;
                let headers = [("content-type", "application/json")];
                respond(&mut stream, "401 Unauthorized", &headers, body).await;
            }
        }
    })
    .await;
    for protocol in PROTOCOLS {
        let channel = Channel::builder(server.url())
            .protocol(protocol)
            .bearer_token(TOKEN)
            .default_timeout(Duration::from_millis(300))
            .build()
            .expect("loopback channel with a token");
        let client = RunnerManagementServiceClient::new(channel);
        for id in ["lab", "reset", "slow"] {
            let status = client
                .get_runner(GetRunnerRequest { id: id.to_string() })
                .await
                .expect_err("every call fails");
            assert_no_token(&status.to_string(), "Status Display");
            assert_no_token(&format!("{status:?}"), "Status Debug");
            assert_no_token(&format!("{status:#?}"), "Status pretty Debug");
            let mut source = std::error::Error::source(&status);
            while let Some(error) = source {
                assert_no_token(&error.to_string(), "Status source");
                source = error.source();
            }
        }
    }
    // The server did receive the token: the check above is about what the client shows.
    let received = server.received();
    let expected = format!("Bearer {TOKEN}");
    assert!(
        received
            .iter()
            .all(|request| request.header("authorization") == Some(expected.as_str()))
    );
}

// ---------------------------------------------------------------------------------------------
// Logs

/// A `MakeWriter` that appends every log line to one shared buffer.
#[derive(Clone, Default)]
struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("log buffer lock")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLogs {
    type Writer = CapturedLogs;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl CapturedLogs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer lock")).into_owned()
    }
}

#[tokio::test]
async fn token_absent_from_trace_logs() {
    let logs = CapturedLogs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    // The test runtime has one thread, so the default subscriber of this thread receives the
    // events of the connection tasks too.
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = spawn_http1(|mut stream, request: Received| async move {
        if names_id(&request, "missing") {
            let body = br#"{"code":"not_found","message":"runner missing not found"}"#;
            let headers = [("content-type", "application/json")];
            respond(&mut stream, "404 Not Found", &headers, body).await;
        } else {
            let body = br#"{"id":"r1"}"#;
            let headers = [("content-type", "application/json")];
            respond(&mut stream, "200 OK", &headers, body).await;
        }
    })
    .await;
    for protocol in PROTOCOLS {
        let channel = Channel::builder(server.url())
            .protocol(protocol)
            .bearer_token(TOKEN)
            .build()
            .expect("loopback channel with a token");
        let client = RunnerManagementServiceClient::new(channel);
        let runner = client
            .get_runner(get_request())
            .await
            .expect("200 response");
        assert_eq!(runner.id, "r1");
        let status = client
            .get_runner(GetRunnerRequest {
                id: "missing".to_string(),
            })
            .await
            .expect_err("404 response");
        assert_eq!(status.code(), Code::NotFound);
    }

    let text = logs.text();
    assert!(!text.is_empty(), "no log lines were captured");
    assert_no_token(&text, "the TRACE log");
}

// ---------------------------------------------------------------------------------------------
// Plain HTTP

#[test]
fn plaintext_token_to_remote_host_rejected() {
    let hosts = [
        "http://example.invalid",
        "http://api.example.invalid:8080/prefix",
        "http://localhost.example.invalid",
        "http://127.0.0.1.example.invalid",
        "http://[::ffff:7f00:1]",
    ];
    for url in hosts {
        let started = Instant::now();
        let result = Channel::builder(url).bearer_token(TOKEN).build();
        let error = result.expect_err(url);
        assert!(error.to_string().contains("plain HTTP"), "{url}: {error}");
        assert!(started.elapsed() < Duration::from_millis(100), "{url}");
    }
}

#[test]
fn plaintext_token_to_loopback_allowed() {
    for url in [
        "http://127.0.0.1:9",
        "http://127.8.9.10:9",
        "http://localhost:9",
        "http://[::1]:9",
    ] {
        let result = Channel::builder(url).bearer_token(TOKEN).build();
        assert!(result.is_ok(), "{url}: {result:?}");
    }
}

/// Adds an `Authorization` header to every request, as a user's auth layer would.
#[derive(Debug)]
struct AddToken;

impl Interceptor for AddToken {
    fn before(
        &self,
        _method: &MethodDescriptor,
        request: &mut http::request::Parts,
    ) -> Result<(), Status> {
        let mut value =
            HeaderValue::from_str(&format!("Bearer {TOKEN}")).expect("token header value");
        value.set_sensitive(true);
        request.headers.insert(AUTHORIZATION, value);
        Ok(())
    }
}

#[tokio::test]
async fn call_token_over_plaintext_refused_unsent() {
    let interceptor_channel = Channel::builder("http://example.invalid")
        .interceptor(AddToken)
        .build()
        .expect("no token at build time");
    let header_channel = Channel::builder("http://example.invalid")
        .build()
        .expect("no token at build time");
    for (label, channel, per_call_header) in [
        ("interceptor", interceptor_channel, false),
        ("call header", header_channel, true),
    ] {
        let client = RunnerManagementServiceClient::new(channel);
        let mut request = Request::new(get_request());
        if per_call_header {
            let mut value = HeaderValue::from_str(&format!("Bearer {TOKEN}")).expect("header");
            value.set_sensitive(true);
            request = request.with_header(AUTHORIZATION, value);
        }
        let started = Instant::now();
        let status = client.get_runner(request).await.expect_err(label);
        let elapsed = started.elapsed();
        assert_eq!(status.code(), Code::FailedPrecondition, "{label}: {status}");
        assert!(status.is_unsent(), "{label}: {status:?}");
        assert!(status.message().contains("plain HTTP"), "{label}: {status}");
        assert_no_token(&format!("{status:?}"), label);
        // A DNS lookup of example.invalid, or a connection attempt, would take longer and
        // fail with Unavailable instead.
        assert!(elapsed < Duration::from_millis(100), "{label}: {elapsed:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// TLS

#[cfg(any(feature = "tls-ring-webpki", feature = "tls-ring-native"))]
mod tls {
    use std::sync::Arc;

    use tokio_rustls::TlsAcceptor;
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

    use super::*;

    struct SelfSigned {
        pem: String,
        der: CertificateDer<'static>,
        key: PrivateKeyDer<'static>,
    }

    fn self_signed() -> SelfSigned {
        let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        let certified = rcgen::generate_simple_self_signed(names).expect("self-signed certificate");
        SelfSigned {
            pem: certified.cert.pem(),
            der: certified.cert.der().clone(),
            key: PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()).into(),
        }
    }

    /// Serves HTTP/1.1 over TLS with `cert`; returns the address and the requests that
    /// arrived after a completed handshake.
    async fn spawn_https(cert: &SelfSigned) -> (std::net::SocketAddr, Arc<Mutex<Vec<Received>>>) {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert.der.clone()], cert.key.clone_key())
            .expect("server certificate");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    let Ok(mut stream) = acceptor.accept(stream).await else {
                        return;
                    };
                    let Some(request) = server::read_request(&mut stream).await else {
                        return;
                    };
                    log.lock().expect("request log lock").push(request);
                    let headers = [("content-type", "application/json")];
                    respond(&mut stream, "200 OK", &headers, br#"{"id":"r1"}"#).await;
                });
            }
        });
        (addr, received)
    }

    #[tokio::test]
    async fn self_signed_server_rejected_by_default() {
        let cert = self_signed();
        let (addr, received) = spawn_https(&cert).await;
        for host in ["127.0.0.1", "localhost"] {
            let channel = Channel::builder(format!("https://{host}:{}", addr.port()))
                .bearer_token(TOKEN)
                .default_timeout(Duration::from_secs(5))
                .build()
                .expect("https channel");
            let client = RunnerManagementServiceClient::new(channel);
            let status = client
                .get_runner(get_request())
                .await
                .expect_err("an unknown issuer fails the handshake");
            assert_eq!(status.code(), Code::Unavailable, "{host}: {status:?}");
            assert!(status.is_unsent(), "{host}: {status:?}");
            assert_no_token(&format!("{status:?}"), "TLS failure status");
        }
        let count = received.lock().expect("request log lock").len();
        assert_eq!(
            count, 0,
            "a request went out before the certificate verified"
        );
    }

    #[tokio::test]
    async fn self_signed_server_accepted_with_its_ca() {
        let cert = self_signed();
        let (addr, received) = spawn_https(&cert).await;
        let channel = Channel::builder(format!("https://127.0.0.1:{}", addr.port()))
            .bearer_token(TOKEN)
            .add_root_certificate_pem(cert.pem.clone())
            .default_timeout(Duration::from_secs(5))
            .build()
            .expect("https channel with an added root");
        let client = RunnerManagementServiceClient::new(channel);
        let runner = client
            .get_runner(get_request())
            .await
            .expect("the added root verifies the server");
        assert_eq!(runner.id, "r1");
        let received = received.lock().expect("request log lock").clone();
        let expected = format!("Bearer {TOKEN}");
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].header("authorization"), Some(expected.as_str()));
    }
}

// ---------------------------------------------------------------------------------------------
// Redirects

#[tokio::test]
async fn redirect_to_other_host_not_followed() {
    // The second server listens on another loopback address, which is another host.
    let target = spawn_http1_on("127.0.0.2", |mut stream, _request: Received| async move {
        let headers = [("content-type", "application/json")];
        respond(&mut stream, "200 OK", &headers, br#"{"id":"stolen"}"#).await;
    })
    .await;
    let location = format!("{}/v1beta2/sandbox/managed-runners/lab-west", target.url());
    for status_line in [
        "301 Moved Permanently",
        "302 Found",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let location = location.clone();
        let origin = spawn_http1(move |mut stream, _request: Received| {
            let location = location.clone();
            async move {
                let headers = [("location", location.as_str())];
                respond(&mut stream, status_line, &headers, b"").await;
            }
        })
        .await;
        for protocol in PROTOCOLS {
            let channel = Channel::builder(origin.url())
                .protocol(protocol)
                .bearer_token(TOKEN)
                .default_timeout(Duration::from_secs(2))
                .build()
                .expect("loopback channel with a token");
            let client = RunnerManagementServiceClient::new(channel);
            let status = client
                .get_runner(get_request())
                .await
                .expect_err("a redirect is an error");
            assert!(
                status.is_redirect(),
                "{status_line} {protocol:?}: {status:?}"
            );
            assert_eq!(status.code(), Code::Unknown, "{status_line}: {status}");
        }
        assert_eq!(origin.request_count(), 2, "{status_line}");
    }
    assert_eq!(
        target.request_count(),
        0,
        "the redirect target received a request"
    );
    assert_eq!(target.connection_count(), 0);
}
