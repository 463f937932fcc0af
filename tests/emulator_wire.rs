//! Wire behaviour of the emulator: REST and Connect error bodies, JSON and
//! binary codecs, Connect GET, compression, limits, HTTP/1.1 and h2c, faults.
#![cfg(feature = "emulator")]

#[allow(dead_code, reason = "each test binary uses part of the support module")]
#[path = "support/emulator_client.rs"]
mod support;

use std::io::{Read as _, Write as _};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use cwsandbox_control::emulator::{Emulator, EmulatorConfig, Fault, PeerInfo, Timings};
use cwsandbox_control::rpc::{BadRequest, ErrorInfo, RetryInfo};
use cwsandbox_control::v1beta2::{
    CreateProfileTemplateRequest, GetProfileTemplateRequest, ListProfileTemplatesResponse,
    ProfileSpec, ProfileTemplate, Runner, RunnerInstallStatus,
};
use http::Version;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use prost::Message as _;
use serde_json::{Value, json};
use support::{CONNECT, TestClient, create_profile_fixtures, create_runner_fixture};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Decodes the binary detail of `type_name` from a Connect error body.
fn connect_detail(body: &Value, type_name: &str) -> Vec<u8> {
    let detail = body["details"]
        .as_array()
        .and_then(|details| details.iter().find(|d| d["type"] == type_name))
        .unwrap_or_else(|| panic!("no {type_name} detail in {body}"));
    let value = detail["value"].as_str().expect("base64 value");
    assert!(!value.ends_with('='), "details are unpadded base64");
    STANDARD_NO_PAD.decode(value).expect("standard base64")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("gzip write");
    encoder.finish().expect("gzip finish")
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut output = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut output)
        .expect("valid gzip");
    output
}

#[tokio::test]
async fn error_bodies_per_protocol() {
    let emulator = support::start_instant().await;
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token();

    let rest = client
        .rest(
            "GET",
            "/v1beta2/sandbox/managed-runners/lab-east",
            token,
            None,
        )
        .await;
    assert_eq!(rest.status, 404);
    assert_eq!(rest.header("content-type"), Some("application/json"));
    let body = rest.json();
    assert_eq!(body["code"], 5);
    assert_eq!(body["message"], "runner \"lab-east\" not found");
    assert_eq!(
        body["details"][0]["@type"],
        "type.googleapis.com/google.rpc.ErrorInfo"
    );
    assert_eq!(body["details"][0]["reason"], "CWSANDBOX_RUNNER_NOT_FOUND");
    assert_eq!(body["details"][0]["domain"], "cwsandbox.com");
    assert_eq!(
        body["details"][0]["metadata"],
        json!({"runner_id": "lab-east"})
    );

    let connect = client
        .connect("GetRunner", token, &json!({"id": "lab-east"}))
        .await;
    assert_eq!(connect.status, 404);
    assert_eq!(connect.header("content-type"), Some("application/json"));
    let body = connect.json();
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["message"], "runner \"lab-east\" not found");
    let info = ErrorInfo::decode(connect_detail(&body, "google.rpc.ErrorInfo").as_slice())
        .expect("ErrorInfo");
    assert_eq!(info.reason, "CWSANDBOX_RUNNER_NOT_FOUND");
    assert_eq!(info.domain, "cwsandbox.com");
    assert_eq!(
        info.metadata.get("runner_id").map(String::as_str),
        Some("lab-east")
    );

    let fixture_path = format!(
        "{}/tests/fixtures/errors/connect-not-found.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let fixture: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture_path).expect("fixture"))
            .expect("fixture JSON");
    assert_eq!(
        body, fixture,
        "the Connect body matches the fixture byte for byte once parsed"
    );

    let invalid = client
        .connect(
            "CreateProfileTemplate",
            token,
            &json!({"profileTemplate": {"spec": {}}}),
        )
        .await;
    assert_eq!(invalid.status, 400);
    let body = invalid.json();
    assert_eq!(body["code"], "invalid_argument");
    let bad_request = BadRequest::decode(connect_detail(&body, "google.rpc.BadRequest").as_slice())
        .expect("BadRequest");
    assert_eq!(
        bad_request.field_violations[0].field,
        "profile_template.display_name"
    );
}

#[tokio::test]
async fn json_and_binary_codecs_agree() {
    let emulator = support::start_instant().await;
    let client = TestClient::h2c(&emulator.base_url());
    let token = emulator.admin_token();

    let request = CreateProfileTemplateRequest {
        profile_template: Some(ProfileTemplate {
            display_name: "binary".into(),
            spec: Some(ProfileSpec {
                runtime_class: "gvisor".into(),
                ..ProfileSpec::default()
            }),
            ..ProfileTemplate::default()
        }),
    };
    let reply = client
        .connect_proto("CreateProfileTemplate", token, request.encode_to_vec())
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/proto"));
    let created = ProfileTemplate::decode(reply.body.clone()).expect("ProfileTemplate");
    assert_eq!(created.display_name, "binary");
    assert!(created.created_at.is_some());

    let as_json = client
        .connect("GetProfileTemplate", token, &json!({"id": created.id}))
        .await
        .json();
    assert_eq!(as_json["spec"]["runtimeClass"], "gvisor");
    assert_eq!(as_json["id"], created.id.as_str());

    let get = GetProfileTemplateRequest {
        id: created.id.clone(),
    };
    let reply = client
        .connect_proto("GetProfileTemplate", token, get.encode_to_vec())
        .await;
    assert_eq!(
        ProfileTemplate::decode(reply.body).expect("decodes"),
        created
    );

    let reply = client
        .connect_proto("ListProfileTemplates", token, Vec::new())
        .await;
    let page = ListProfileTemplatesResponse::decode(reply.body).expect("list decodes");
    assert_eq!(page.profile_templates, vec![created]);

    let broken = client
        .connect_proto("GetRunner", token, vec![0x0a, 0x05, b'a'])
        .await;
    assert_eq!(broken.status, 400);
    assert_eq!(broken.json()["code"], "invalid_argument");

    let profiles = create_profile_fixtures(&TestClient::http1(&emulator.base_url()), token).await;
    create_runner_fixture(&TestClient::http1(&emulator.base_url()), token, &profiles).await;
    let get = json!({"id": "lab-west"});
    let reply = client
        .call(
            "POST",
            &format!("{CONNECT}GetRunner"),
            Some(token),
            &[("content-type", "application/proto")],
            cwsandbox_control::v1beta2::GetRunnerRequest {
                id: "lab-west".into(),
            }
            .encode_to_vec(),
        )
        .await;
    let runner = Runner::decode(reply.body).expect("runner decodes");
    assert_eq!(runner.install_status, RunnerInstallStatus::Ready as i32);
    let json_runner = client.connect("GetRunner", token, &get).await.json();
    assert_eq!(json_runner["id"], runner.id.as_str());
}

#[tokio::test]
async fn runner_json_always_carries_statuses() {
    let emulator = support::start_manual().await;
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token();
    let profiles = create_profile_fixtures(&client, token).await;
    let created = create_runner_fixture(&client, token, &profiles).await;
    assert_eq!(
        created["connectionStatus"],
        "RUNNER_CONNECTION_STATUS_UNSPECIFIED"
    );
    let listed = client
        .connect("ListManagedRunners", token, &json!({}))
        .await
        .json();
    assert_eq!(
        listed["runners"][0]["connectionStatus"],
        "RUNNER_CONNECTION_STATUS_UNSPECIFIED"
    );
    assert_eq!(
        listed["runners"][0]["installStatus"],
        "RUNNER_INSTALL_STATUS_PENDING"
    );
}

#[tokio::test]
async fn connect_get_requests() {
    let emulator = support::start_instant().await;
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token();
    let created = client
        .connect(
            "CreateProfileTemplate",
            token,
            &json!({"profileTemplate": {"displayName": "via-get", "spec": {}}}),
        )
        .await
        .json();
    let id = created["id"].as_str().expect("id");

    let message = json!({ "id": id }).to_string();
    let binary = GetProfileTemplateRequest { id: id.to_string() }.encode_to_vec();
    let queries = [
        format!(
            "connect=v1&encoding=json&message={}",
            utf8_percent_encode(&message, NON_ALPHANUMERIC)
        ),
        format!(
            "encoding=json&base64=1&message={}",
            URL_SAFE_NO_PAD.encode(&message)
        ),
        format!(
            "encoding=proto&base64=1&message={}",
            URL_SAFE_NO_PAD.encode(&binary)
        ),
        format!(
            "encoding=json&base64=1&compression=gzip&message={}",
            URL_SAFE_NO_PAD.encode(gzip(message.as_bytes()))
        ),
    ];
    for query in &queries {
        let reply = client
            .call(
                "GET",
                &format!("{CONNECT}GetProfileTemplate?{query}"),
                Some(token),
                &[],
                "",
            )
            .await;
        assert_eq!(
            reply.status,
            200,
            "{query}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        let template = if query.contains("encoding=proto") {
            ProfileTemplate::decode(reply.body).expect("binary").id
        } else {
            reply.json()["id"].as_str().expect("id").to_string()
        };
        assert_eq!(template, id, "{query}");
    }

    let cases: [(&str, &str, u16, &str); 5] = [
        (
            "GET",
            "DeleteProfileTemplate?encoding=json&message=%7B%7D",
            405,
            "unimplemented",
        ),
        (
            "GET",
            "GetProfileTemplate?encoding=xml&message=%7B%7D",
            400,
            "invalid_argument",
        ),
        (
            "GET",
            "GetProfileTemplate?message=%7B%7D",
            400,
            "invalid_argument",
        ),
        (
            "GET",
            "GetProfileTemplate?connect=v2&encoding=json&message=%7B%7D",
            400,
            "invalid_argument",
        ),
        ("PUT", "GetProfileTemplate", 405, "unimplemented"),
    ];
    for (method, path, status, code) in cases {
        let reply = client
            .call(method, &format!("{CONNECT}{path}"), Some(token), &[], "")
            .await;
        assert_eq!(reply.status, status, "{method} {path}");
        assert_eq!(reply.json()["code"], code, "{method} {path}");
    }
}

#[tokio::test]
async fn routing_and_protocol_errors() {
    let emulator = support::start_instant().await;
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token();
    let json_type = [("content-type", "application/json")];

    let unknown = client
        .call(
            "POST",
            &format!("{CONNECT}WatchRunners"),
            Some(token),
            &json_type,
            "{}",
        )
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["code"], "unimplemented");
    let other_service = client
        .call("POST", "/pkg.v1.Other/Get", Some(token), &json_type, "{}")
        .await;
    assert_eq!(other_service.status, 404);
    assert_eq!(other_service.json()["code"], "unimplemented");

    let media = client
        .call(
            "POST",
            &format!("{CONNECT}GetRunner"),
            Some(token),
            &[("content-type", "text/plain")],
            "{}",
        )
        .await;
    assert_eq!(media.status, 415);
    assert_eq!(
        media.header("accept-post"),
        Some("application/json, application/proto")
    );

    let charset = client
        .call(
            "POST",
            &format!("{CONNECT}ListManagedRunners"),
            Some(token),
            &[("content-type", "application/json; charset=utf-8")],
            "{}",
        )
        .await;
    assert_eq!(charset.status, 200);

    let version = client
        .call(
            "POST",
            &format!("{CONNECT}ListManagedRunners"),
            Some(token),
            &[
                ("content-type", "application/json"),
                ("connect-protocol-version", "2"),
            ],
            "{}",
        )
        .await;
    assert_eq!(version.status, 400);

    let timeout_header = client
        .call(
            "POST",
            &format!("{CONNECT}ListManagedRunners"),
            Some(token),
            &[
                ("content-type", "application/json"),
                ("connect-timeout-ms", "soon"),
            ],
            "{}",
        )
        .await;
    assert_eq!(timeout_header.status, 400);

    let compression = client
        .call(
            "POST",
            &format!("{CONNECT}ListManagedRunners"),
            Some(token),
            &[
                ("content-type", "application/json"),
                ("content-encoding", "br"),
            ],
            "{}",
        )
        .await;
    assert_eq!(compression.status, 501);
    assert_eq!(compression.json()["code"], "unimplemented");

    let no_route = client
        .rest("GET", "/v1beta2/sandbox/clusters", token, None)
        .await;
    no_route.assert_rest_error(404, 5, "CWSANDBOX_UNKNOWN_PATH");
    let wrong_method = client
        .rest("PUT", "/v1beta2/sandbox/managed-runners/x", token, None)
        .await;
    wrong_method.assert_rest_error(405, 12, "CWSANDBOX_METHOD_NOT_ALLOWED");
    assert_eq!(wrong_method.header("allow"), Some("GET, PATCH, DELETE"));
    let query = client
        .rest(
            "GET",
            "/v1beta2/sandbox/managed-runners/x?view=full",
            token,
            None,
        )
        .await;
    query.assert_rest_error(400, 3, "CWSANDBOX_MALFORMED_REQUEST");

    let deep = format!(
        "{{\"profileTemplate\": {}{}}}",
        "[".repeat(100),
        "]".repeat(100)
    );
    let reply = client
        .call(
            "POST",
            "/v1beta2/sandbox/profile-templates",
            Some(token),
            &json_type,
            deep,
        )
        .await;
    reply.assert_rest_error(400, 3, "CWSANDBOX_MALFORMED_REQUEST");
    let deeper = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let reply = client
        .call(
            "POST",
            "/v1beta2/sandbox/profile-templates",
            Some(token),
            &json_type,
            deeper,
        )
        .await;
    reply.assert_rest_error(400, 3, "CWSANDBOX_MALFORMED_REQUEST");
}

#[tokio::test]
async fn compression_both_ways() {
    let emulator = support::start_instant().await;
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token();

    let body = json!({"profileTemplate": {"displayName": "zipped", "spec": {}}}).to_string();
    let compressed = gzip(body.as_bytes());
    let rest = client
        .call(
            "POST",
            "/v1beta2/sandbox/profile-templates",
            Some(token),
            &[
                ("content-type", "application/json"),
                ("content-encoding", "gzip"),
            ],
            compressed.clone(),
        )
        .await;
    assert_eq!(rest.status, 200, "{}", String::from_utf8_lossy(&rest.body));
    let body = json!({"profileTemplate": {"displayName": "zipped-2", "spec": {}}}).to_string();
    let connect = client
        .call(
            "POST",
            &format!("{CONNECT}CreateProfileTemplate"),
            Some(token),
            &[
                ("content-type", "application/json"),
                ("content-encoding", "gzip"),
            ],
            gzip(body.as_bytes()),
        )
        .await;
    assert_eq!(
        connect.status,
        200,
        "{}",
        String::from_utf8_lossy(&connect.body)
    );
    let corrupt = client
        .call(
            "POST",
            "/v1beta2/sandbox/profile-templates",
            Some(token),
            &[("content-encoding", "gzip")],
            compressed[..10].to_vec(),
        )
        .await;
    corrupt.assert_rest_error(400, 3, "CWSANDBOX_MALFORMED_REQUEST");

    for index in 0..20 {
        let body = json!({"profileTemplate": {"displayName": format!("bulk-{index}"), "description": "x".repeat(100), "spec": {}}});
        client
            .rest(
                "POST",
                "/v1beta2/sandbox/profile-templates",
                token,
                Some(&body),
            )
            .await;
    }
    let plain = client
        .rest("GET", "/v1beta2/sandbox/profile-templates", token, None)
        .await;
    assert_eq!(plain.header("content-encoding"), None);
    for (path, accept) in [
        ("/v1beta2/sandbox/profile-templates", "gzip"),
        (
            &*format!("{CONNECT}ListProfileTemplates?encoding=json&message=%7B%7D"),
            "br, gzip;q=0.8",
        ),
    ] {
        let zipped = client
            .call("GET", path, Some(token), &[("accept-encoding", accept)], "")
            .await;
        assert_eq!(zipped.status, 200, "{path}");
        assert_eq!(zipped.header("content-encoding"), Some("gzip"), "{path}");
        let unzipped: Value = serde_json::from_slice(&gunzip(&zipped.body)).expect("JSON");
        assert_eq!(unzipped, plain.json(), "{path}");
    }
    let small = client
        .call(
            "GET",
            "/v1beta2/sandbox/managed-runners",
            Some(token),
            &[("accept-encoding", "gzip")],
            "",
        )
        .await;
    assert_eq!(
        small.header("content-encoding"),
        None,
        "small bodies stay uncompressed"
    );
}

#[tokio::test]
async fn size_limits() {
    let emulator = Emulator::builder()
        .max_body_bytes(4096)
        .start()
        .await
        .expect("emulator starts");
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token();
    let large = json!({"profileTemplate": {"displayName": "big", "description": "x".repeat(5000), "spec": {}}}).to_string();

    let rest = client
        .call(
            "POST",
            "/v1beta2/sandbox/profile-templates",
            Some(token),
            &[("content-type", "application/json")],
            large.clone(),
        )
        .await;
    rest.assert_rest_error(413, 8, "CWSANDBOX_REQUEST_TOO_LARGE");
    let connect = client
        .call(
            "POST",
            &format!("{CONNECT}CreateProfileTemplate"),
            Some(token),
            &[("content-type", "application/json")],
            large.clone(),
        )
        .await;
    assert_eq!(connect.status, 413);
    assert_eq!(connect.json()["code"], "resource_exhausted");
    let bomb = client
        .call(
            "POST",
            "/v1beta2/sandbox/profile-templates",
            Some(token),
            &[("content-encoding", "gzip")],
            gzip(large.as_bytes()),
        )
        .await;
    bomb.assert_rest_error(413, 8, "CWSANDBOX_REQUEST_TOO_LARGE");

    let huge_header = "h".repeat(20_000);
    let reply = client
        .call(
            "GET",
            "/v1beta2/sandbox/managed-runners",
            Some(token),
            &[("x-padding", huge_header.as_str())],
            "",
        )
        .await;
    assert_eq!(reply.status, 431);
    let h2 = TestClient::h2c(&emulator.base_url());
    let many = "h".repeat(9_000);
    let reply = h2
        .call(
            "GET",
            "/v1beta2/sandbox/managed-runners",
            Some(token),
            &[("x-a", many.as_str()), ("x-b", many.as_str())],
            "",
        )
        .await;
    assert_eq!(reply.status, 431);
}

#[tokio::test]
async fn http1_and_h2c_share_the_port() {
    let emulator = support::start_instant().await;
    for (client, version) in [
        (TestClient::http1(&emulator.base_url()), Version::HTTP_11),
        (TestClient::h2c(&emulator.base_url()), Version::HTTP_2),
    ] {
        let rest = client
            .rest(
                "GET",
                "/v1beta2/sandbox/managed-runners",
                emulator.admin_token(),
                None,
            )
            .await;
        assert_eq!(rest.version, version);
        assert_eq!(rest.status, 200);
        let connect = client
            .connect("ListProfileTemplates", emulator.user_token(), &json!({}))
            .await;
        assert_eq!(connect.version, version);
        assert_eq!(connect.status, 200);
    }
}

#[tokio::test]
async fn faults_fail_and_delay_calls() {
    let emulator = support::start_instant().await;
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token();
    emulator
        .set_fault(
            "GetRunner",
            Fault {
                unavailable_ratio: 1.0,
                retry_delay: Duration::from_millis(1500),
                delay: Duration::ZERO,
            },
        )
        .expect("known method");

    let rest = client
        .rest("GET", "/v1beta2/sandbox/managed-runners/x", token, None)
        .await;
    rest.assert_rest_error(503, 14, "CWSANDBOX_UNAVAILABLE");
    let retry = rest
        .rest_detail("type.googleapis.com/google.rpc.RetryInfo")
        .expect("RetryInfo");
    assert_eq!(retry["retryDelay"], "1.500s");
    let connect = client
        .connect("GetRunner", token, &json!({"id": "x"}))
        .await;
    assert_eq!(connect.status, 503);
    let body = connect.json();
    assert_eq!(body["code"], "unavailable");
    let retry = RetryInfo::decode(connect_detail(&body, "google.rpc.RetryInfo").as_slice())
        .expect("RetryInfo");
    let delay = retry.retry_delay.expect("delay");
    assert_eq!((delay.seconds, delay.nanos), (1, 500_000_000));
    assert_eq!(emulator.request_count("GetRunner"), 2);
    assert_eq!(emulator.request_count("ListManagedRunners"), 0);

    emulator.clear_fault("GetRunner").expect("known method");
    let after = client
        .rest("GET", "/v1beta2/sandbox/managed-runners/x", token, None)
        .await;
    assert_eq!(after.status, 404);
    assert_eq!(emulator.request_count("GetRunner"), 3);
    assert!(emulator.set_fault("Fetch", Fault::default()).is_err());

    emulator
        .set_fault(
            "ListManagedRunners",
            Fault {
                delay: Duration::from_millis(300),
                ..Fault::default()
            },
        )
        .expect("known method");
    let started = std::time::Instant::now();
    let slow = client
        .rest("GET", "/v1beta2/sandbox/managed-runners", token, None)
        .await;
    assert_eq!(slow.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let deadline = client
        .call(
            "POST",
            &format!("{CONNECT}ListManagedRunners"),
            Some(token),
            &[
                ("content-type", "application/json"),
                ("connect-timeout-ms", "50"),
            ],
            "{}",
        )
        .await;
    assert_eq!(deadline.status, 504);
    assert_eq!(deadline.json()["code"], "deadline_exceeded");
}

#[tokio::test]
async fn seeded_faults_repeat() {
    let mut outcomes = Vec::new();
    for _ in 0..2 {
        let mut config = EmulatorConfig::default();
        config.faults.insert(
            "ListProfileTemplates".into(),
            Fault {
                unavailable_ratio: 0.5,
                ..Fault::default()
            },
        );
        config.fault_seed = Some(99);
        let emulator = Emulator::builder()
            .config(config)
            .start()
            .await
            .expect("starts");
        let client = TestClient::http1(&emulator.base_url());
        let mut statuses = Vec::new();
        for _ in 0..24 {
            statuses.push(
                client
                    .rest(
                        "GET",
                        "/v1beta2/sandbox/profile-templates",
                        emulator.admin_token(),
                        None,
                    )
                    .await
                    .status,
            );
        }
        outcomes.push(statuses);
    }
    assert_eq!(outcomes[0], outcomes[1]);
    assert!(
        outcomes[0].contains(&503) && outcomes[0].contains(&200),
        "{:?}",
        outcomes[0]
    );
}

#[tokio::test]
async fn slow_bodies_time_out() {
    let config = EmulatorConfig {
        read_timeout: Duration::from_millis(200),
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::builder()
        .config(config)
        .start()
        .await
        .expect("starts");
    let mut stream = tokio::net::TcpStream::connect(emulator.addr())
        .await
        .expect("connects");
    stream
        .write_all(b"POST /v1beta2/sandbox/profile-templates HTTP/1.1\r\nhost: x\r\nauthorization: Bearer admin-token\r\ncontent-length: 100\r\n\r\n{\"pro")
        .await
        .expect("writes");
    let mut response = vec![0; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut response))
        .await
        .expect("answered before 5 s")
        .expect("reads");
    let text = String::from_utf8_lossy(&response[..read]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("CWSANDBOX_REQUEST_TIMEOUT"), "{text}");
}

#[tokio::test]
async fn handler_runs_without_sockets() {
    let service = Emulator::builder()
        .timings(Timings::instant())
        .build_service()
        .expect("service builds");
    let request = http::Request::builder()
        .method("POST")
        .uri(format!("{CONNECT}CreateProfileTemplate"))
        .header("content-type", "application/json")
        .header("authorization", "Bearer admin-token")
        .body(Bytes::from(
            json!({"profileTemplate": {"displayName": "direct", "spec": {}}}).to_string(),
        ))
        .expect("request");
    let response = service.handle(request, PeerInfo::default()).await;
    assert_eq!(response.status(), 200);
    let body: Value = serde_json::from_slice(response.body()).expect("JSON");
    assert_eq!(body["displayName"], "direct");

    let oversized = http::Request::builder()
        .method("POST")
        .uri("/v1beta2/sandbox/profile-templates")
        .body(Bytes::from(vec![b' '; 2 * 1024 * 1024]))
        .expect("request");
    assert_eq!(
        service
            .handle(oversized, PeerInfo::default())
            .await
            .status(),
        413
    );
}

/// Field names of the API's requests, so random bodies reach the validation code.
const FIELD_NAMES: [&str; 24] = [
    "runner",
    "profileTemplate",
    "runnerId",
    "id",
    "identity",
    "zone",
    "clusterName",
    "clusterId",
    "managedSpec",
    "releaseChannel",
    "maintenancePolicy",
    "windows",
    "cron",
    "durationSeconds",
    "exclusions",
    "startTime",
    "overrides",
    "scaling",
    "profileBindings",
    "profileTemplateId",
    "isDefault",
    "updateMask",
    "spec",
    "networkConfigJson",
];

fn json_strategy() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-zA-Z0-9:.,{}\"-]{0,24}".prop_map(Value::String),
        Just(json!("US-EAST-04A")),
        Just(json!("2026-12-20T00:00:00Z")),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(
                (proptest::sample::select(FIELD_NAMES.to_vec()), inner),
                0..6
            )
            .prop_map(|fields| {
                Value::Object(
                    fields
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect(),
                )
            }),
        ]
    })
}

#[test]
fn handler_survives_arbitrary_requests() {
    use proptest::prelude::*;
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let service = Emulator::builder()
        .timings(Timings::instant())
        .build_service()
        .expect("service builds");
    let targets = [
        ("POST", format!("{CONNECT}CreateManagedRunner")),
        ("POST", format!("{CONNECT}UpdateManagedRunner")),
        ("POST", format!("{CONNECT}CreateProfileTemplate")),
        ("POST", format!("{CONNECT}ListManagedRunners")),
        (
            "GET",
            format!("{CONNECT}GetRunner?encoding=json&message=%7B%7D"),
        ),
        ("POST", "/v1beta2/sandbox/managed-runners".to_string()),
        ("PATCH", "/v1beta2/sandbox/managed-runners/lab".to_string()),
        ("POST", "/v1beta2/sandbox/profile-templates".to_string()),
        (
            "GET",
            "/v1beta2/sandbox/profile-templates?pageSize=3&pageToken=AAAA".to_string(),
        ),
    ];
    let bodies = prop_oneof![
        json_strategy().prop_map(|value| value.to_string().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..512),
    ];
    let content_types =
        proptest::sample::select(vec!["application/json", "application/proto", "text/plain"]);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(512));
    runner
        .run(
            &(0..targets.len(), bodies, content_types),
            |(target, body, content_type)| {
                let (method, path) = &targets[target];
                let request = http::Request::builder()
                    .method(*method)
                    .uri(path)
                    .header("authorization", "Bearer admin-token")
                    .header("content-type", content_type)
                    .body(Bytes::from(body))
                    .expect("request");
                let response = runtime.block_on(service.handle(request, PeerInfo::default()));
                let status = response.status().as_u16();
                prop_assert!(
                    [200, 400, 404, 409, 415].contains(&status),
                    "status {status}"
                );
                if status != 200 {
                    let body: Value =
                        serde_json::from_slice(response.body()).expect("JSON error body");
                    prop_assert!(body.get("code").is_some());
                }
                Ok(())
            },
        )
        .expect("no request breaks the handler");
}
