//! What the channel puts on the wire and how it reads what comes back,
//! checked against recording servers on 127.0.0.1.

#[path = "support/connect_server.rs"]
mod server;

use std::io::{Read as _, Write as _};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cwsandbox_control::connect::{
    CallOutcome, Channel, Code, Codec, Interceptor, MethodDescriptor, Protocol, Request, Status,
    decode_binary_header,
};
use cwsandbox_control::v1beta2::runner_management_service::{
    CREATE_PROFILE_TEMPLATE, DELETE_PROFILE_TEMPLATE, GET_PROFILE_TEMPLATE, LIST_PROFILE_TEMPLATES,
    UPDATE_PROFILE_TEMPLATE,
};
use cwsandbox_control::v1beta2::{
    CreateProfileTemplateRequest, DeleteProfileTemplateRequest, GetProfileTemplateRequest,
    ListProfileTemplatesRequest, ListProfileTemplatesResponse, ProfileTemplate,
    RunnerManagementServiceClient, UpdateProfileTemplateRequest,
};
use cwsandbox_control::wkt::Empty;
use http::{HeaderName, HeaderValue};
use prost::Message as _;
use server::{RecordedRequest, http_response, respond_with};

const TEMPLATE_JSON: &[u8] = br#"{"id": "tpl-1", "displayName": "train-a100"}"#;

fn json_ok(_: &RecordedRequest) -> Vec<u8> {
    http_response(
        "200 OK",
        &[("Content-Type", "application/json")],
        TEMPLATE_JSON,
    )
}

fn get_request(id: &str) -> Request<GetProfileTemplateRequest> {
    Request::new(GetProfileTemplateRequest { id: id.to_string() })
}

async fn get(channel: &Channel, id: &str) -> Result<ProfileTemplate, Status> {
    channel
        .unary(&GET_PROFILE_TEMPLATE, get_request(id))
        .await
        .map(|response| response.into_inner())
}

fn only_request(requests: Vec<RecordedRequest>) -> RecordedRequest {
    assert_eq!(requests.len(), 1, "{requests:#?}");
    requests.into_iter().next().expect("one request")
}

#[tokio::test]
async fn connect_post_carries_protocol_headers() {
    let server = respond_with(|_| {
        http_response(
            "200 OK",
            &[
                ("Content-Type", "application/json"),
                ("X-Request-Id", "r1"),
                ("Trailer-Acme-Cost", "3"),
            ],
            TEMPLATE_JSON,
        )
    })
    .await;
    let channel = Channel::builder(format!("{}/gateway/", server.url()))
        .protocol(Protocol::Connect)
        .bearer_token("t0ken")
        .build()
        .unwrap();
    let request = get_request("tpl-1").with_timeout(Duration::from_secs(5));
    let response = channel
        .unary::<_, ProfileTemplate>(&GET_PROFILE_TEMPLATE, request)
        .await
        .unwrap();

    assert_eq!(response.get_ref().display_name, "train-a100");
    assert_eq!(response.headers()["x-request-id"], "r1");
    assert!(response.headers().get("trailer-acme-cost").is_none());
    assert_eq!(response.trailers()["acme-cost"], "3");

    let sent = only_request(server.recorded());
    assert_eq!(sent.method, "POST");
    assert_eq!(
        sent.target,
        "/gateway/coreweave.sandbox.v1beta2.RunnerManagementService/GetProfileTemplate"
    );
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(sent.header("connect-protocol-version"), Some("1"));
    assert_eq!(sent.header("accept-encoding"), Some("gzip"));
    assert_eq!(sent.header("authorization"), Some("Bearer t0ken"));
    let user_agent = sent.header("user-agent").unwrap();
    assert!(user_agent.starts_with("cwsandbox-control/"), "{user_agent}");
    let timeout: u64 = sent.header("connect-timeout-ms").unwrap().parse().unwrap();
    assert!((4000..=5000).contains(&timeout), "{timeout}");
    let body: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(body, serde_json::json!({"id": "tpl-1"}));
}

#[tokio::test]
async fn connect_proto_codec_round_trips() {
    let template = ProfileTemplate {
        id: "tpl-1".to_string(),
        display_name: "train-a100".to_string(),
        ..Default::default()
    };
    let encoded = template.encode_to_vec();
    let server = respond_with(move |_| {
        http_response("200 OK", &[("Content-Type", "application/proto")], &encoded)
    })
    .await;
    let channel = Channel::builder(server.url())
        .protocol(Protocol::Connect)
        .codec(Codec::Proto)
        .build()
        .unwrap();
    assert_eq!(get(&channel, "tpl-1").await.unwrap(), template);

    let sent = only_request(server.recorded());
    assert_eq!(sent.header("content-type"), Some("application/proto"));
    let decoded = GetProfileTemplateRequest::decode(sent.body.as_slice()).unwrap();
    assert_eq!(decoded.id, "tpl-1");
}

#[tokio::test]
async fn connect_get_for_side_effect_free_methods() {
    for (codec, expected_query) in [
        (
            Codec::Json,
            "connect=v1&encoding=json&message=%7B%22id%22%3A%22a%2Fb%20c%22%7D",
        ),
        (
            Codec::Proto,
            "connect=v1&base64=1&encoding=proto&message=CgVhL2IgYw",
        ),
    ] {
        let template = ProfileTemplate {
            id: "a/b c".to_string(),
            ..Default::default()
        };
        let (content_type, body) = match codec {
            Codec::Json => ("application/json", br#"{"id": "a/b c"}"#.to_vec()),
            Codec::Proto => ("application/proto", template.encode_to_vec()),
        };
        let server = respond_with(move |_| {
            http_response("200 OK", &[("Content-Type", content_type)], &body)
        })
        .await;
        let channel = Channel::builder(server.url())
            .protocol(Protocol::Connect)
            .codec(codec)
            .connect_get(true)
            .build()
            .unwrap();
        assert_eq!(get(&channel, "a/b c").await.unwrap().id, "a/b c");

        let sent = only_request(server.recorded());
        assert_eq!(sent.method, "GET");
        assert_eq!(
            sent.path(),
            "/coreweave.sandbox.v1beta2.RunnerManagementService/GetProfileTemplate"
        );
        assert_eq!(sent.query(), expected_query, "{codec:?}");
        assert!(sent.header("content-type").is_none());
        assert!(sent.header("connect-protocol-version").is_none());
        assert!(sent.header("connect-timeout-ms").is_some());
        assert!(sent.body.is_empty());
    }
}

#[tokio::test]
async fn connect_get_skips_methods_with_side_effects() {
    let server = respond_with(json_ok).await;
    let channel = Channel::builder(server.url())
        .protocol(Protocol::Connect)
        .connect_get(true)
        .build()
        .unwrap();
    let create = CreateProfileTemplateRequest::default();
    channel
        .unary::<_, ProfileTemplate>(&CREATE_PROFILE_TEMPLATE, Request::new(create))
        .await
        .unwrap();
    let request = get_request("tpl-1").with_connect_get(false);
    channel
        .unary::<_, ProfileTemplate>(&GET_PROFILE_TEMPLATE, request)
        .await
        .unwrap();
    let methods: Vec<String> = server
        .recorded()
        .into_iter()
        .map(|request| request.method)
        .collect();
    assert_eq!(methods, ["POST", "POST"]);
}

#[tokio::test]
async fn long_connect_get_falls_back_to_post() {
    let server = respond_with(json_ok).await;
    let channel = Channel::builder(server.url())
        .protocol(Protocol::Connect)
        .connect_get(true)
        .max_get_url_length(256)
        .build()
        .unwrap();
    get(&channel, &"x".repeat(300)).await.unwrap();
    get(&channel, "short").await.unwrap();
    let methods: Vec<String> = server
        .recorded()
        .into_iter()
        .map(|request| request.method)
        .collect();
    assert_eq!(methods, ["POST", "GET"]);
}

fn create_request(description_len: usize) -> Request<CreateProfileTemplateRequest> {
    Request::new(CreateProfileTemplateRequest {
        profile_template: Some(ProfileTemplate {
            display_name: "train-a100".to_string(),
            description: "d".repeat(description_len),
            ..Default::default()
        }),
    })
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut output = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut output)
        .expect("gzip request body");
    output
}

#[tokio::test]
async fn large_connect_requests_are_gzipped() {
    let server = respond_with(json_ok).await;
    let channel = Channel::builder(server.url())
        .protocol(Protocol::Connect)
        .build()
        .unwrap();
    for length in [10, 5000] {
        channel
            .unary::<_, ProfileTemplate>(&CREATE_PROFILE_TEMPLATE, create_request(length))
            .await
            .unwrap();
    }
    let disabled = Channel::builder(server.url())
        .protocol(Protocol::Connect)
        .request_compression_threshold(None)
        .build()
        .unwrap();
    disabled
        .unary::<_, ProfileTemplate>(&CREATE_PROFILE_TEMPLATE, create_request(5000))
        .await
        .unwrap();

    let sent = server.recorded();
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0].header("content-encoding"), None);
    assert_eq!(sent[1].header("content-encoding"), Some("gzip"));
    assert!(sent[1].body.len() < 500, "{} bytes", sent[1].body.len());
    let body: serde_json::Value = serde_json::from_slice(&gunzip(&sent[1].body)).unwrap();
    assert_eq!(
        body["profileTemplate"]["description"]
            .as_str()
            .unwrap()
            .len(),
        5000
    );
    assert_eq!(sent[2].header("content-encoding"), None);
    assert!(sent[2].body.len() > 5000);
}

#[tokio::test]
async fn gzipped_responses_are_decoded() {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(TEMPLATE_JSON).unwrap();
    let compressed = encoder.finish().unwrap();
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
    for protocol in [Protocol::Connect, Protocol::Rest] {
        let channel = Channel::builder(server.url())
            .protocol(protocol)
            .build()
            .unwrap();
        assert_eq!(get(&channel, "tpl-1").await.unwrap().id, "tpl-1");
    }
}

#[tokio::test]
async fn rest_get_list_update_delete_transcode() {
    let server = respond_with(|request| {
        let body: &[u8] = match request.method.as_str() {
            "DELETE" => b"{}",
            _ if request.path().ends_with("profile-templates") => {
                br#"{"profileTemplates": [{"id": "a"}], "nextPageToken": "n"}"#
            }
            _ => TEMPLATE_JSON,
        };
        http_response("200 OK", &[("Content-Type", "application/json")], body)
    })
    .await;
    let channel = Channel::builder(format!("{}/v9", server.url()))
        .bearer_token("t0ken")
        .build()
        .unwrap();

    get(&channel, "tpl/1 é").await.unwrap();
    let list: ListProfileTemplatesResponse = channel
        .unary(
            &LIST_PROFILE_TEMPLATES,
            Request::new(ListProfileTemplatesRequest {
                page_size: 10,
                page_token: "a+b=".to_string(),
            }),
        )
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.profile_templates[0].id, "a");
    assert_eq!(list.next_page_token, "n");
    let update = UpdateProfileTemplateRequest {
        profile_template: Some(ProfileTemplate {
            id: "tpl-1".to_string(),
            description: "new".to_string(),
            ..Default::default()
        }),
        update_mask: None,
    };
    channel
        .unary::<_, ProfileTemplate>(&UPDATE_PROFILE_TEMPLATE, Request::new(update))
        .await
        .unwrap();
    let deleted: Empty = channel
        .unary(
            &DELETE_PROFILE_TEMPLATE,
            Request::new(DeleteProfileTemplateRequest {
                id: "tpl-1".to_string(),
            }),
        )
        .await
        .unwrap()
        .into_inner();
    assert_eq!(deleted, Empty {});

    let sent = server.recorded();
    assert_eq!(sent.len(), 4);
    assert_eq!(sent[0].method, "GET");
    assert_eq!(
        sent[0].target,
        "/v9/v1beta2/sandbox/profile-templates/tpl%2F1%20%C3%A9"
    );
    assert_eq!(sent[0].header("accept"), Some("application/json"));
    assert_eq!(sent[0].header("authorization"), Some("Bearer t0ken"));
    assert!(sent[0].header("content-type").is_none());
    assert!(sent[0].header("connect-timeout-ms").is_none());
    assert!(sent[0].body.is_empty());

    assert_eq!(
        sent[1].target,
        "/v9/v1beta2/sandbox/profile-templates?pageSize=10&pageToken=a%2Bb%3D"
    );

    assert_eq!(sent[2].method, "PATCH");
    assert_eq!(
        sent[2].target,
        "/v9/v1beta2/sandbox/profile-templates/tpl-1"
    );
    assert_eq!(sent[2].header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&sent[2].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"profileTemplate": {"description": "new"}})
    );

    assert_eq!(sent[3].method, "DELETE");
    assert_eq!(
        sent[3].target,
        "/v9/v1beta2/sandbox/profile-templates/tpl-1"
    );
}

#[tokio::test]
async fn rest_empty_success_bodies_are_default_messages() {
    for (status, body) in [
        ("200 OK", &b""[..]),
        ("204 No Content", b""),
        ("201 Created", b"{}"),
    ] {
        let server = respond_with(move |_| http_response(status, &[], body)).await;
        let channel = Channel::builder(server.url()).build().unwrap();
        let template = get(&channel, "tpl-1").await.unwrap();
        assert_eq!(template, ProfileTemplate::default(), "{status}");
    }
}

#[tokio::test]
async fn missing_path_field_fails_before_sending() {
    let server = respond_with(json_ok).await;
    let channel = Channel::builder(server.url()).build().unwrap();
    let status = get(&channel, "").await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("id"), "{status}");
    assert!(status.is_unsent());
    assert!(server.recorded().is_empty());
}

#[tokio::test]
async fn errors_keep_details_headers_and_trailers() {
    let rest_body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/errors/rest-unavailable-retry.json"
    ))
    .unwrap();
    let server = respond_with(move |_| {
        http_response(
            "503 Service Unavailable",
            &[
                ("Content-Type", "application/json"),
                ("Retry-After", "30"),
                ("Trailer-Acme-Cost", "7"),
            ],
            &rest_body,
        )
    })
    .await;
    for protocol in [Protocol::Rest, Protocol::Connect] {
        let channel = Channel::builder(server.url())
            .protocol(protocol)
            .build()
            .unwrap();
        let status = get(&channel, "tpl-1").await.unwrap_err();
        assert_eq!(status.code(), Code::Unavailable);
        assert!(status.is_from_server());
        assert!(!status.is_unsent());
        assert_eq!(
            status.http_status(),
            Some(http::StatusCode::SERVICE_UNAVAILABLE)
        );
        assert_eq!(status.retry_delay(), Some(Duration::from_millis(1500)));
        assert_eq!(status.headers()["retry-after"], "30");
        if protocol == Protocol::Connect {
            assert_eq!(status.trailers()["acme-cost"], "7");
        }
    }
}

#[tokio::test]
async fn retry_after_applies_without_retry_info() {
    let server = respond_with(|_| {
        http_response(
            "429 Too Many Requests",
            &[("Content-Type", "application/json"), ("Retry-After", "4")],
            br#"{"code": "resource_exhausted", "message": "slow down"}"#,
        )
    })
    .await;
    let channel = Channel::builder(server.url())
        .protocol(Protocol::Connect)
        .build()
        .unwrap();
    let status = get(&channel, "tpl-1").await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(status.message(), "slow down");
    assert_eq!(status.retry_delay(), Some(Duration::from_secs(4)));
}

#[tokio::test]
async fn call_headers_and_binary_metadata_are_sent() {
    let server = respond_with(json_ok).await;
    let channel = Channel::builder(server.url())
        .default_header(
            HeaderName::from_static("x-team"),
            HeaderValue::from_static("ml"),
        )
        .default_header(
            HeaderName::from_static("x-env"),
            HeaderValue::from_static("dev"),
        )
        .build()
        .unwrap();
    let request = get_request("tpl-1")
        .with_header(
            HeaderName::from_static("x-env"),
            HeaderValue::from_static("prod"),
        )
        .with_binary_header("acme-trace", &[0xfb, 0xff, 0x00])
        .unwrap();
    channel
        .unary::<_, ProfileTemplate>(&GET_PROFILE_TEMPLATE, request)
        .await
        .unwrap();
    let sent = only_request(server.recorded());
    assert_eq!(sent.header("x-team"), Some("ml"));
    assert_eq!(sent.header("x-env"), Some("prod"));
    let envs = sent
        .headers
        .iter()
        .filter(|(name, _)| name == "x-env")
        .count();
    assert_eq!(envs, 1);
    let trace = HeaderValue::from_str(sent.header("acme-trace-bin").unwrap()).unwrap();
    assert_eq!(decode_binary_header(&trace).unwrap(), [0xfb, 0xff, 0x00]);
}

#[tokio::test]
async fn reserved_call_headers_are_rejected() {
    let server = respond_with(json_ok).await;
    let channel = Channel::builder(server.url()).build().unwrap();
    let request = get_request("tpl-1").with_header(
        HeaderName::from_static("connect-timeout-ms"),
        HeaderValue::from_static("1"),
    );
    let status = channel
        .unary::<_, ProfileTemplate>(&GET_PROFILE_TEMPLATE, request)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.is_unsent());
    assert!(server.recorded().is_empty());
}

#[tokio::test]
async fn no_timeout_sends_no_timeout_header() {
    let server = respond_with(json_ok).await;
    let channel = Channel::builder(server.url())
        .protocol(Protocol::Connect)
        .no_default_timeout()
        .build()
        .unwrap();
    get(&channel, "tpl-1").await.unwrap();
    let sent = only_request(server.recorded());
    assert!(sent.header("connect-timeout-ms").is_none());
}

/// Adds a header before each attempt and records each outcome's code.
#[derive(Default)]
struct Recording {
    codes: Mutex<Vec<Option<Code>>>,
    reject: bool,
}

struct RecordingInterceptor(Arc<Recording>);

impl Interceptor for RecordingInterceptor {
    fn before(
        &self,
        method: &MethodDescriptor,
        request: &mut http::request::Parts,
    ) -> Result<(), Status> {
        if self.0.reject {
            return Err(Status::client(Code::PermissionDenied, "blocked by policy"));
        }
        let value = HeaderValue::from_str(method.method).expect("method name is a header value");
        request.headers.insert("x-method", value);
        Ok(())
    }

    fn after(&self, _method: &MethodDescriptor, outcome: &CallOutcome<'_>) {
        self.0
            .codes
            .lock()
            .expect("outcome log lock")
            .push(outcome.code());
    }
}

#[tokio::test]
async fn interceptors_see_every_attempt() {
    let server = respond_with(|request| {
        if request.path().ends_with("missing") {
            http_response("404 Not Found", &[], b"")
        } else {
            json_ok(request)
        }
    })
    .await;
    let recording = Arc::new(Recording::default());
    let channel = Channel::builder(server.url())
        .interceptor(RecordingInterceptor(recording.clone()))
        .build()
        .unwrap();
    get(&channel, "tpl-1").await.unwrap();
    get(&channel, "missing").await.unwrap_err();
    get(&channel, "").await.unwrap_err();

    let codes = recording.codes.lock().unwrap().clone();
    assert_eq!(
        codes,
        [None, Some(Code::NotFound), Some(Code::InvalidArgument)]
    );
    let sent = server.recorded();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].header("x-method"), Some("GetProfileTemplate"));
}

#[tokio::test]
async fn interceptor_error_stops_the_call_unsent() {
    let server = respond_with(json_ok).await;
    let recording = Arc::new(Recording {
        reject: true,
        ..Default::default()
    });
    let channel = Channel::builder(server.url())
        .interceptor(RecordingInterceptor(recording.clone()))
        .build()
        .unwrap();
    let status = get(&channel, "tpl-1").await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(status.message(), "blocked by policy");
    assert!(status.is_unsent());
    assert!(server.recorded().is_empty());
    assert_eq!(
        recording.codes.lock().unwrap().clone(),
        [Some(Code::PermissionDenied)]
    );
}

#[tokio::test]
async fn typed_client_uses_the_channel() {
    let server = respond_with(json_ok).await;
    let channel = Channel::builder(server.url())
        .protocol(Protocol::Connect)
        .build()
        .unwrap();
    let client = RunnerManagementServiceClient::new(channel);
    let template = client
        .get_profile_template(GetProfileTemplateRequest {
            id: "tpl-1".to_string(),
        })
        .await
        .unwrap();
    assert_eq!(template.display_name, "train-a100");
}

/// Serves HTTP/2 cleartext with hyper, responding to every request after a
/// short pause, and counts accepted connections.
async fn spawn_h2c_server(connections: Arc<AtomicUsize>) -> std::net::SocketAddr {
    use hyper::server::conn::http2;
    use hyper_util::rt::{TokioExecutor, TokioIo};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a port on 127.0.0.1");
    let addr = listener
        .local_addr()
        .expect("local address of the listener");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            connections.fetch_add(1, Ordering::SeqCst);
            let service = hyper::service::service_fn(|_request| async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let body = http_body_util::Full::new(bytes::Bytes::from_static(TEMPLATE_JSON));
                let mut response = http::Response::new(body);
                response.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                Ok::<_, std::convert::Infallible>(response)
            });
            tokio::spawn(async move {
                let _ = http2::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn http2_multiplexes_concurrent_calls_on_one_connection() {
    let connections = Arc::new(AtomicUsize::new(0));
    let addr = spawn_h2c_server(connections.clone()).await;
    let channel = Channel::builder(format!("http://{addr}"))
        .protocol(Protocol::Connect)
        .http2_prior_knowledge()
        .build()
        .unwrap();
    // One call first, so that the pooled connection exists before the burst.
    get(&channel, "warm-up").await.unwrap();

    let started = std::time::Instant::now();
    let calls = (0..32).map(|index| {
        let channel = channel.clone();
        async move {
            let response = channel
                .unary::<_, ProfileTemplate>(&GET_PROFILE_TEMPLATE, get_request(&index.to_string()))
                .await
                .unwrap();
            assert_eq!(response.http_version(), http::Version::HTTP_2);
        }
    });
    futures_util::future::join_all(calls).await;
    assert_eq!(connections.load(Ordering::SeqCst), 1);
    // 32 calls of 100 ms each finish together only when they run concurrently.
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn update_mask_travels_as_camel_case_string() {
    let server = respond_with(json_ok).await;
    for protocol in [Protocol::Rest, Protocol::Connect] {
        let channel = Channel::builder(server.url())
            .protocol(protocol)
            .build()
            .unwrap();
        let update = UpdateProfileTemplateRequest {
            profile_template: Some(ProfileTemplate {
                id: "tpl-1".to_string(),
                description: "new".to_string(),
                ..Default::default()
            }),
            update_mask: Some(cwsandbox_control::wkt::FieldMask {
                paths: vec![
                    "description".to_string(),
                    "spec.container_image".to_string(),
                ],
            }),
        };
        channel
            .unary::<_, ProfileTemplate>(&UPDATE_PROFILE_TEMPLATE, Request::new(update))
            .await
            .unwrap();
    }
    let sent = server.recorded();
    assert_eq!(sent.len(), 2);
    for request in &sent {
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(
            body["updateMask"], "description,spec.containerImage",
            "{body}"
        );
    }
}

#[test]
fn channel_is_cheap_to_share() {
    fn assert_shareable<T: Clone + Send + Sync + 'static>() {}
    assert_shareable::<Channel>();
    assert_shareable::<Status>();
}

/// Collects every tracing event as text: its message and fields.
#[derive(Clone, Default)]
struct EventLog(Arc<Mutex<Vec<String>>>);

struct FieldText(String);

impl tracing::field::Visit for FieldText {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl tracing::Subscriber for EventLog {
    fn enabled(&self, _metadata: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _span: &tracing::span::Id, _values: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _span: &tracing::span::Id, _follows: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut text = FieldText(event.metadata().target().to_string());
        event.record(&mut text);
        self.0.lock().expect("event log lock").push(text.0);
    }

    fn enter(&self, _span: &tracing::span::Id) {}

    fn exit(&self, _span: &tracing::span::Id) {}
}

#[tokio::test]
async fn tracing_events_describe_calls_without_token() {
    let server = respond_with(|request| {
        if request.target.contains("missing") {
            http_response("404 Not Found", &[], b"")
        } else {
            json_ok(request)
        }
    })
    .await;
    let log = EventLog::default();
    let _guard = tracing::subscriber::set_default(log.clone());
    let channel = Channel::builder(server.url())
        .bearer_token("s3cr3t-t0ken")
        .build()
        .unwrap();
    get(&channel, "tpl-1").await.unwrap();
    get(&channel, "missing").await.unwrap_err();

    let events = log.0.lock().unwrap().clone();
    // The test server closes each connection after one response, so a call
    // may meet a pooled connection that is already closed and be retried. The
    // retry event is not what this test checks, so only call events count.
    let ours: Vec<&String> = events
        .iter()
        .filter(|event| event.starts_with("cwsandbox_control"))
        .filter(|event| !event.contains("retrying the call"))
        .collect();
    assert_eq!(ours.len(), 2, "{ours:#?}");
    assert!(ours[0].contains("unary call finished"), "{}", ours[0]);
    assert!(ours[0].contains("GetProfileTemplate"), "{}", ours[0]);
    assert!(ours[0].contains("protocol=\"rest\""), "{}", ours[0]);
    assert!(ours[0].contains("elapsed_ms="), "{}", ours[0]);
    assert!(ours[1].contains("unary call failed"), "{}", ours[1]);
    assert!(ours[1].contains("code=\"not_found\""), "{}", ours[1]);
    for event in &events {
        assert!(!event.contains("s3cr3t"), "token in event: {event}");
    }
}
