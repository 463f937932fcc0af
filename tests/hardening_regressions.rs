//! Decoding rules that real servers and proxies have broken clients with, one test per
//! behaviour. Each input is what a peer may send; each test pins what the client makes of it.

#[path = "support/hardening_server.rs"]
mod server;

use std::time::Duration as StdDuration;

use base64::Engine as _;
use cwsandbox_control::connect::{Channel, Code, Detail, Protocol, Status};
use cwsandbox_control::rpc;
use cwsandbox_control::v1beta2::{
    GetRunnerRequest, ListManagedRunnersResponse, ManagementMode, ReleaseChannel, Runner,
    RunnerConnectionStatus, RunnerInstallStatus, RunnerManagementServiceClient,
    UpdateManagedRunnerRequest,
};
use cwsandbox_control::wkt::{Any, Duration, FieldMask, Timestamp};
use prost::Message as _;
use serde_json::json;
use server::{Received, respond, spawn_http1};

fn decode<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, String> {
    serde_json::from_value(value).map_err(|error| error.to_string())
}

// ---------------------------------------------------------------------------------------------
// Numbers

#[test]
fn int32_accepts_decimal_string() {
    let runner: Runner = decode(json!({"activeRevision": "2147483647", "targetRevision": "-7"}))
        .expect("int32 fields accept their decimal string form");
    assert_eq!(runner.active_revision, i32::MAX);
    assert_eq!(runner.target_revision, -7);
}

#[test]
fn int32_rejects_out_of_range_string() {
    for text in ["2147483648", "-2147483649", "9223372036854775807"] {
        let result = decode::<Runner>(json!({ "activeRevision": text }));
        assert!(result.is_err(), "{text} fit an int32: {result:?}");
    }
}

#[test]
fn large_int64_seconds_as_string() {
    // Duration seconds are an int64, printed as a decimal string in the JSON form.
    let max: Duration = decode(json!("315576000000.999999999s")).expect("largest Duration");
    assert_eq!(max.seconds, 315_576_000_000);
    assert_eq!(max.nanos, 999_999_999);
    let min: Duration = decode(json!("-315576000000s")).expect("smallest Duration");
    assert_eq!(min.seconds, -315_576_000_000);

    for text in [
        "315576000001s",
        "9223372036854775807s",
        "-9223372036854775808s",
    ] {
        let result = decode::<Duration>(json!(text));
        assert!(result.is_err(), "{text} decoded: {result:?}");
    }
}

#[test]
fn retry_info_with_huge_delay_decodes() {
    let status: rpc::Status = decode(json!({
        "code": 14,
        "details": [{
            "@type": "type.googleapis.com/google.rpc.RetryInfo",
            "retryDelay": "315576000000s"
        }]
    }))
    .expect("RetryInfo with the largest Duration");
    let info: rpc::RetryInfo = status.details[0]
        .unpack()
        .expect("detail unpacks")
        .expect("detail is a RetryInfo");
    assert_eq!(info.retry_delay.map(|d| d.seconds), Some(315_576_000_000));
}

#[test]
fn unknown_detail_number_survives_reprint() {
    // An Any of an unregistered type keeps its members as JSON numbers (f64). A number must
    // print back as the same number, or a CLI that shows the detail changes what the server
    // sent.
    // serde_json without its `float_roundtrip` feature reads this number one bit off, and
    // reads the shortest form it prints for that value one more bit off.
    let text =
        r#"{"@type":"type.googleapis.com/example.Quota","limit":1.1790494076670778435435e5}"#;
    let any: Any = serde_json::from_str(text).expect("unregistered Any decodes");
    let printed = serde_json::to_string(&any).expect("unregistered Any prints");
    let again: Any = serde_json::from_str(&printed).expect("printed Any decodes");
    assert_eq!(again, any, "printed as {printed}");
}

// ---------------------------------------------------------------------------------------------
// Enums

#[test]
fn unknown_enum_names_in_response() {
    let runner: Runner = decode(json!({
        "id": "r1",
        "installStatus": "RUNNER_INSTALL_STATUS_HIBERNATING",
        "connectionStatus": "RUNNER_CONNECTION_STATUS_FLAPPING",
        "managementMode": "MANAGEMENT_MODE_HYBRID",
        "managedSpec": {"releaseChannel": "RELEASE_CHANNEL_NIGHTLY"},
    }))
    .expect("a response with enum names from a newer server decodes");
    assert_eq!(runner.id, "r1");
    assert_eq!(runner.install_status(), RunnerInstallStatus::Unspecified);
    assert_eq!(
        runner.connection_status(),
        RunnerConnectionStatus::Unspecified
    );
    assert_eq!(runner.management_mode(), ManagementMode::Unspecified);
    let channel = runner.managed_spec.expect("managedSpec").release_channel();
    assert_eq!(channel, ReleaseChannel::Unspecified);
}

#[test]
fn unknown_enum_number_in_response() {
    let runner: Runner = decode(json!({"installStatus": 42, "connectionStatus": -1}))
        .expect("enum numbers without a name decode");
    assert_eq!(runner.install_status(), RunnerInstallStatus::Unspecified);
    assert_eq!(
        runner.connection_status(),
        RunnerConnectionStatus::Unspecified
    );
}

#[test]
fn unknown_fields_in_list_response() {
    let page: ListManagedRunnersResponse = decode(json!({
        "runners": [{"id": "r1", "futureField": {"nested": [1, 2, 3]}}],
        "nextPageToken": "t2",
        "totalSize": 10,
    }))
    .expect("unknown members are ignored in responses");
    assert_eq!(page.runners.len(), 1);
    assert_eq!(page.next_page_token, "t2");
}

#[test]
fn null_fields_decode_as_defaults() {
    let runner: Runner = decode(json!({
        "id": null,
        "identity": null,
        "profileBindings": null,
        "installStatus": null,
        "activeRevision": null,
        "createdAt": null,
    }))
    .expect("null is the default of any field");
    assert_eq!(runner, Runner::default());
}

// ---------------------------------------------------------------------------------------------
// Timestamps

#[test]
fn timestamp_offset_with_nine_fraction_digits() {
    let cases = [
        (
            "2024-05-01T12:30:00.123456789+05:30",
            "2024-05-01T07:00:00.123456789Z",
        ),
        (
            "2024-05-01T00:00:00.000000001-08:00",
            "2024-05-01T08:00:00.000000001Z",
        ),
        (
            "2024-12-31T23:59:59.999999999-00:01",
            "2025-01-01T00:00:59.999999999Z",
        ),
        ("2024-05-01t12:30:00.5z", "2024-05-01T12:30:00.500Z"),
    ];
    for (input, utc) in cases {
        let parsed: Timestamp = decode(json!(input)).unwrap_or_else(|e| panic!("{input}: {e}"));
        let printed = serde_json::to_value(parsed).expect("valid Timestamp prints");
        assert_eq!(printed, json!(utc), "{input}");
    }
}

#[test]
fn timestamp_rejects_ten_fraction_digits() {
    let result = decode::<Timestamp>(json!("2024-05-01T12:30:00.1234567891Z"));
    assert!(result.is_err(), "{result:?}");
}

#[test]
fn timestamp_offset_past_year_range() {
    // 0001-01-01T00:30:00+01:00 is 30 minutes before the earliest valid Timestamp.
    let result = decode::<Timestamp>(json!("0001-01-01T00:30:00+01:00"));
    assert!(result.is_err(), "{result:?}");
    let result = decode::<Timestamp>(json!("9999-12-31T23:30:00-01:00"));
    assert!(result.is_err(), "{result:?}");
}

#[test]
fn response_timestamps_with_offsets() {
    let runner: Runner = decode(json!({
        "createdAt": "2026-01-01T09:00:00.123456789+09:00",
        "lastHeartbeatAt": "2025-12-31T19:00:00-05:00",
    }))
    .expect("offsets decode in responses");
    let created = runner.created_at.expect("createdAt");
    let heartbeat = runner.last_heartbeat_at.expect("lastHeartbeatAt");
    assert_eq!(
        created.to_rfc3339().unwrap(),
        "2026-01-01T00:00:00.123456789Z"
    );
    assert_eq!(heartbeat.to_rfc3339().unwrap(), "2026-01-01T00:00:00Z");
}

// ---------------------------------------------------------------------------------------------
// Field masks

#[test]
fn field_mask_snake_case_paths_decode() {
    let snake: FieldMask = decode(json!("managed_spec.release_channel,profile_bindings"))
        .expect("snake_case mask paths decode");
    let camel: FieldMask = decode(json!("managedSpec.releaseChannel,profileBindings"))
        .expect("camelCase mask paths decode");
    assert_eq!(snake, camel);
    assert_eq!(
        snake.paths,
        ["managed_spec.release_channel", "profile_bindings"]
    );
    assert_eq!(
        serde_json::to_value(&snake).unwrap(),
        json!("managedSpec.releaseChannel,profileBindings")
    );
}

#[test]
fn field_mask_snake_case_in_request_body() {
    let request: UpdateManagedRunnerRequest = decode(json!({
        "runner": {"id": "lab-west"},
        "updateMask": "display_name,identity.runner_group_id",
    }))
    .expect("a snake_case mask in a request body decodes");
    let mask = request.update_mask.expect("updateMask");
    assert_eq!(mask.paths, ["display_name", "identity.runner_group_id"]);
}

#[test]
fn field_mask_rejects_ambiguous_paths() {
    for text in [
        "managed_Spec",
        "a_1",
        "a__b",
        "a,,b",
        "a, b",
        ".a",
        "a.",
        "a_",
    ] {
        let result = decode::<FieldMask>(json!(text));
        assert!(result.is_err(), "{text:?} decoded: {result:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Error details in google.rpc.Status

#[test]
fn status_details_of_unknown_type_decode() {
    let status: rpc::Status = decode(json!({
        "code": 5,
        "message": "not found",
        "details": [
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "CWSANDBOX_RUNNER_NOT_FOUND", "domain": "cwsandbox.com"},
            {"@type": "type.googleapis.com/example.v9.Future", "anything": [1, {"x": null}]}
        ]
    }))
    .expect("a detail of an unregistered type does not fail the Status");
    assert_eq!(status.code, 5);
    assert_eq!(status.details.len(), 2);
    let info: rpc::ErrorInfo = status.details[0].unpack().unwrap().unwrap();
    assert_eq!(info.reason, "CWSANDBOX_RUNNER_NOT_FOUND");
    assert_eq!(status.details[1].type_name(), "example.v9.Future");
}

#[test]
fn status_code_out_of_range_decodes() {
    // A server may send a code this client does not know; the Status still decodes.
    let status: rpc::Status = decode(json!({"code": 99, "message": "new"})).expect("code 99");
    assert_eq!(status.code, 99);
}

// ---------------------------------------------------------------------------------------------
// Error responses through the client

/// Serves every request with one fixed response and returns the client's error for a
/// GetRunner over `protocol`.
async fn error_for(
    protocol: Protocol,
    status_line: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: Vec<u8>,
) -> Status {
    let server = spawn_http1(move |mut stream, _request: Received| {
        let body = body.clone();
        async move { respond(&mut stream, status_line, headers, &body).await }
    })
    .await;
    let channel = Channel::builder(server.url())
        .protocol(protocol)
        .default_timeout(StdDuration::from_secs(5))
        .build()
        .expect("loopback channel");
    RunnerManagementServiceClient::new(channel)
        .get_runner(GetRunnerRequest {
            id: "lab-west".to_string(),
        })
        .await
        .expect_err("the server answers with an error")
}

const JSON: &[(&str, &str)] = &[("content-type", "application/json")];

#[tokio::test]
async fn empty_error_body_with_503() {
    for protocol in [Protocol::Rest, Protocol::Connect] {
        let status = error_for(protocol, "503 Service Unavailable", &[], Vec::new()).await;
        assert_eq!(status.code(), Code::Unavailable, "{protocol:?}: {status:?}");
        assert_eq!(status.http_status().map(|s| s.as_u16()), Some(503));
        let status = error_for(protocol, "503 Service Unavailable", JSON, Vec::new()).await;
        assert_eq!(
            status.code(),
            Code::Unavailable,
            "{protocol:?} JSON: {status:?}"
        );
    }
}

#[tokio::test]
async fn proxy_404_on_connect_is_unimplemented() {
    let page = b"<html><body><h1>404 Not Found</h1></body></html>".to_vec();
    let headers: &[(&str, &str)] = &[("content-type", "text/html")];
    let status = error_for(Protocol::Connect, "404 Not Found", headers, page.clone()).await;
    assert_eq!(status.code(), Code::Unimplemented, "{status:?}");
    let status = error_for(Protocol::Connect, "404 Not Found", &[], Vec::new()).await;
    assert_eq!(status.code(), Code::Unimplemented, "empty body: {status:?}");
    // A REST path that a proxy does not know is indistinguishable from a missing resource.
    let status = error_for(Protocol::Rest, "404 Not Found", headers, page).await;
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
}

#[tokio::test]
async fn rest_404_with_status_body_is_not_found() {
    let body = br#"{"code":5,"message":"runner \"lab-west\" not found","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"CWSANDBOX_RUNNER_NOT_FOUND","domain":"cwsandbox.com"}]}"#;
    let status = error_for(Protocol::Rest, "404 Not Found", JSON, body.to_vec()).await;
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert_eq!(status.message(), "runner \"lab-west\" not found");
    let info = status.error_info().expect("ErrorInfo detail");
    assert_eq!(info.reason, "CWSANDBOX_RUNNER_NOT_FOUND");
}

/// Returns an ErrorInfo whose binary encoding, in base64, uses the URL-safe characters
/// `-` or `_`, which the standard alphabet writes as `+` and `/`.
fn error_info_with_url_safe_base64() -> (rpc::ErrorInfo, String) {
    for seed in 0u32..10_000 {
        let odd_char = char::from_u32(0xa0 + seed % 0x700).unwrap_or('?');
        let info = rpc::ErrorInfo {
            reason: "CWSANDBOX_RUNNER_NOT_FOUND".to_string(),
            domain: "cwsandbox.com".to_string(),
            metadata: [(
                "runner_id".to_string(),
                format!("{odd_char}{}{odd_char}", seed / 0x700),
            )]
            .into_iter()
            .collect(),
        };
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(info.encode_to_vec());
        if encoded.contains('-') && encoded.contains('_') {
            return (info, encoded);
        }
    }
    panic!("no ErrorInfo encodes to base64 with both - and _");
}

#[tokio::test]
async fn url_safe_base64_in_connect_details() {
    let (info, url_safe) = error_info_with_url_safe_base64();
    let standard = base64::engine::general_purpose::STANDARD.encode(info.encode_to_vec());
    for (label, value) in [
        ("url-safe unpadded", url_safe),
        ("standard padded", standard),
    ] {
        let body = format!(
            r#"{{"code":"not_found","message":"gone","details":[{{"type":"google.rpc.ErrorInfo","value":"{value}"}}]}}"#
        );
        let status = error_for(Protocol::Connect, "404 Not Found", JSON, body.into_bytes()).await;
        assert_eq!(status.code(), Code::NotFound, "{label}: {status:?}");
        let decoded = status.details().iter().find_map(|detail| match detail {
            Detail::ErrorInfo(decoded) => Some(decoded.clone()),
            _ => None,
        });
        assert_eq!(
            decoded.as_ref(),
            Some(&info),
            "{label}: {:?}",
            status.details()
        );
    }
}

#[test]
fn url_safe_base64_in_binary_headers() {
    use cwsandbox_control::connect::decode_binary_header;
    let cases: [(&str, &[u8]); 4] = [
        ("-_-_AD4_", &[0xfb, 0xff, 0xbf, 0x00, 0x3e, 0x3f]),
        ("+/+/AD4/", &[0xfb, 0xff, 0xbf, 0x00, 0x3e, 0x3f]),
        ("-_-_Pg==", &[0xfb, 0xff, 0xbf, 0x3e]),
        ("-_-_Pg", &[0xfb, 0xff, 0xbf, 0x3e]),
    ];
    for (text, bytes) in cases {
        let value = http::HeaderValue::from_str(text).expect("header value");
        let decoded = decode_binary_header(&value).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(decoded, bytes, "{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Pagination

/// Serves ListManagedRunners with one runner per page and the next token from `next_of`,
/// which maps the request's page token to the token of the page it returns.
async fn paging_server(next_of: fn(&str) -> &'static str) -> server::Server {
    spawn_http1(move |mut stream, request: Received| async move {
        let query = request
            .target
            .split_once('?')
            .map_or("", |(_, query)| query);
        let token = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(name, _)| *name == "pageToken")
            .map_or("", |(_, value)| value);
        let body = format!(
            r#"{{"runners":[{{"id":"r-{token}"}}],"nextPageToken":"{}"}}"#,
            next_of(token)
        );
        respond(&mut stream, "200 OK", JSON, body.as_bytes()).await;
    })
    .await
}

/// Lists every page and returns the runner ids of the pages and the final error.
async fn list_all(server: &server::Server) -> (Vec<String>, Option<Status>) {
    use futures_util::StreamExt as _;
    let channel = Channel::builder(server.url())
        .default_timeout(StdDuration::from_secs(5))
        .build()
        .expect("loopback channel");
    let client = RunnerManagementServiceClient::new(channel);
    let mut pages = std::pin::pin!(cwsandbox_control::ops::managed_runner_pages(&client, 1));
    let mut ids = Vec::new();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => ids.extend(page.runners.into_iter().map(|runner| runner.id)),
            Err(status) => return (ids, Some(status)),
        }
        assert!(ids.len() < 100, "the listing does not stop: {ids:?}");
    }
    (ids, None)
}

#[tokio::test]
async fn pagination_token_that_repeats() {
    let server = paging_server(|_| "again").await;
    let (ids, error) = list_all(&server).await;
    assert_eq!(ids, ["r-", "r-again"]);
    let error = error.expect("a repeated token ends the listing with an error");
    assert_eq!(error.code(), Code::Internal, "{error:?}");
    assert!(error.message().contains("again"), "{error}");
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn pagination_token_cycle() {
    let server = paging_server(|token| match token {
        "" => "a",
        "a" => "b",
        _ => "a",
    })
    .await;
    let (ids, error) = list_all(&server).await;
    assert_eq!(ids, ["r-", "r-a", "r-b"]);
    let error = error.expect("a token cycle ends the listing with an error");
    assert_eq!(error.code(), Code::Internal, "{error:?}");
    assert_eq!(server.request_count(), 3);
}

#[tokio::test]
async fn pagination_empty_page_with_token_continues() {
    let server = spawn_http1(|mut stream, request: Received| async move {
        let body: &[u8] = if request.target.contains("pageToken=t1") {
            br#"{"runners":[{"id":"last"}]}"#
        } else {
            br#"{"nextPageToken":"t1"}"#
        };
        respond(&mut stream, "200 OK", JSON, body).await;
    })
    .await;
    let (ids, error) = list_all(&server).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(ids, ["last"]);
    assert_eq!(server.request_count(), 2);
}
