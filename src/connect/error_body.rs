//! Decoding of error responses in every shape a server or proxy may send.
//!
//! Recognized JSON bodies, whatever the protocol of the call:
//!
//! - Connect: `{"code": "not_found", "message", "details": [{"type", "value"}]}`.
//!   An unknown code name is `unknown`; an integer code is read as a
//!   google.rpc.Code number.
//! - google.rpc.Status: `{"code": 5, "message", "details": [{"@type", ...}]}`.
//! - AIP-193: `{"error": {"code": 404, "status": "NOT_FOUND", "message", "details"}}`.
//!
//! Anything else (HTML from a proxy, an empty body, invalid JSON) gets its code
//! from the HTTP status: the Connect table for Connect calls, the google.rpc
//! table for REST calls.

use std::time::Duration;

use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

use super::code::Code;
use super::codec::check_json;
use super::details::Detail;
use super::status::Status;

/// The wire protocol of a call, which decides how HTTP statuses map to codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
///
/// ```
/// use cwsandbox_control::connect::{Code, Protocol};
/// use http::StatusCode;
///
/// // A 404 without a status body is a missing resource over REST, but a missing
/// // procedure over Connect.
/// assert_eq!(Protocol::Rest.code_for_http_status(StatusCode::NOT_FOUND), Code::NotFound);
/// assert_eq!(Protocol::Connect.code_for_http_status(StatusCode::NOT_FOUND), Code::Unimplemented);
/// assert_eq!(Protocol::default(), Protocol::Rest);
/// ```
pub enum Protocol {
    /// REST transcoding from the google.api.http rules of each method.
    #[default]
    Rest,
    /// The Connect protocol, unary calls.
    Connect,
}

impl Protocol {
    /// Returns the protocol name used in logs: `rest` or `connect`.
    ///
    /// ```
    /// use cwsandbox_control::connect::Protocol;
    ///
    /// assert_eq!(Protocol::Rest.name(), "rest");
    /// assert_eq!(Protocol::Connect.name(), "connect");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Rest => "rest",
            Protocol::Connect => "connect",
        }
    }

    /// Returns the code of an HTTP error status whose body is not a status.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Protocol};
    /// use http::StatusCode;
    ///
    /// assert_eq!(Protocol::Rest.code_for_http_status(StatusCode::BAD_REQUEST), Code::InvalidArgument);
    /// assert_eq!(Protocol::Connect.code_for_http_status(StatusCode::BAD_REQUEST), Code::Internal);
    /// ```
    pub fn code_for_http_status(self, status: StatusCode) -> Code {
        match self {
            Protocol::Rest => Code::from_rest_http_status(status),
            Protocol::Connect => Code::from_connect_http_status(status),
        }
    }
}

/// An error response after its body was read and decompressed.
pub(crate) struct ErrorResponse<'a> {
    pub protocol: Protocol,
    pub http_status: StatusCode,
    pub headers: HeaderMap,
    pub trailers: HeaderMap,
    pub body: &'a [u8],
    pub max_json_depth: usize,
}

/// Builds the status of an error response.
pub(crate) fn decode_error_response(response: ErrorResponse<'_>) -> Status {
    let retry_after = retry_after(response.http_status, &response.headers);
    let status = match parse_json_object(&response) {
        Some(object) => status_from_json(&response, &object),
        None => status_from_http(&response),
    };
    status
        .with_http_status(response.http_status)
        .with_retry_after(retry_after)
        .with_metadata(response.headers, response.trailers)
}

/// Returns the body as a JSON object when the content type allows JSON and
/// the body parses within the nesting limit.
fn parse_json_object(response: &ErrorResponse<'_>) -> Option<Map<String, Value>> {
    let content_type = content_type(&response.headers);
    let maybe_json = content_type.is_none_or(is_json_content_type);
    if !maybe_json || response.body.is_empty() {
        return None;
    }
    let text = check_json(response.body, response.max_json_depth).ok()?;
    match serde_json::from_str(text).ok()? {
        Value::Object(object) => Some(object),
        _ => None,
    }
}

fn status_from_json(response: &ErrorResponse<'_>, object: &Map<String, Value>) -> Status {
    if let Some(Value::Object(envelope)) = object.get("error") {
        return status_from_aip193(response, envelope);
    }
    let code = match object.get("code") {
        Some(Value::String(name)) => Code::from_name(name).unwrap_or(Code::Unknown),
        Some(Value::Number(number)) => number
            .as_i64()
            .and_then(|number| i32::try_from(number).ok())
            .map_or(Code::Unknown, Code::from_i32),
        _ => return status_from_http(response),
    };
    Status::new(code, message_of(object)).with_details(details_of(object))
}

/// Reads the AIP-193 envelope, whose `code` is the HTTP status and whose
/// `status` is the google.rpc.Code enum name.
fn status_from_aip193(response: &ErrorResponse<'_>, envelope: &Map<String, Value>) -> Status {
    let from_name = envelope
        .get("status")
        .and_then(Value::as_str)
        .and_then(Code::from_name);
    let from_http = || {
        let number = envelope.get("code").and_then(Value::as_u64)?;
        let status = StatusCode::from_u16(u16::try_from(number).ok()?).ok()?;
        Some(Code::from_rest_http_status(status))
    };
    let code = from_name
        .or_else(from_http)
        .unwrap_or_else(|| response.protocol.code_for_http_status(response.http_status));
    Status::new(code, message_of(envelope)).with_details(details_of(envelope))
}

fn message_of(object: &Map<String, Value>) -> String {
    match object.get("message") {
        Some(Value::String(message)) => message.clone(),
        _ => String::new(),
    }
}

/// Decodes each detail in the Connect form (`type` and base64 `value`) or
/// the google.protobuf.Any JSON form (`@type` and fields).
fn details_of(object: &Map<String, Value>) -> Vec<Detail> {
    let Some(Value::Array(details)) = object.get("details") else {
        return Vec::new();
    };
    details
        .iter()
        .map(|detail| {
            if detail.get("@type").is_some() {
                Detail::from_any_json(detail)
            } else {
                Detail::from_connect_json(detail)
            }
        })
        .collect()
}

fn status_from_http(response: &ErrorResponse<'_>) -> Status {
    let code = response.protocol.code_for_http_status(response.http_status);
    let reason = response.http_status.canonical_reason().unwrap_or("");
    let status = response.http_status.as_u16();
    let described = describe_body(&response.headers, response.body);
    let message = if reason.is_empty() {
        format!("HTTP {status} {described}")
    } else {
        format!("HTTP {status} {reason} {described}")
    };
    Status::new(code, message)
}

/// Describes a body that is not a status: its content type and the start of
/// its text with HTML tags removed, so a proxy's error page reads as a line.
fn describe_body(headers: &HeaderMap, body: &[u8]) -> String {
    const MAX_CHARS: usize = 200;

    if body.is_empty() {
        return "with an empty body".to_string();
    }
    let kind = content_type(headers).unwrap_or("no content type");
    let Ok(text) = std::str::from_utf8(body) else {
        return format!("with a binary body of {} bytes ({kind})", body.len());
    };
    let mut plain = String::new();
    let mut in_tag = false;
    for character in text.chars() {
        match character {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                plain.push(' ');
            }
            _ if in_tag => {}
            _ => plain.push(character),
        }
    }
    let mut snippet: String = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    if snippet.chars().count() > MAX_CHARS {
        snippet = snippet.chars().take(MAX_CHARS).collect::<String>() + "...";
    }
    format!("with a body ({kind}): {snippet}")
}

pub(crate) fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
}

/// Returns true for `application/json` and `application/*+json`, with any parameters.
pub(crate) fn is_json_content_type(content_type: &str) -> bool {
    let essence = media_type(content_type);
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Returns the media type without parameters, in lowercase.
pub(crate) fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Reads `Retry-After` in seconds on a 429 or 503 response.
// NOTE: the HTTP-date form of Retry-After is ignored.
fn retry_after(status: StatusCode, headers: &HeaderMap) -> Option<Duration> {
    if status != StatusCode::TOO_MANY_REQUESTS && status != StatusCode::SERVICE_UNAVAILABLE {
        return None;
    }
    let value = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    let seconds: u64 = value.trim().parse().ok()?;
    Some(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::Origin;
    use http::HeaderValue;

    fn decode(protocol: Protocol, status: u16, content_type: Option<&str>, body: &str) -> Status {
        let mut headers = HeaderMap::new();
        if let Some(content_type) = content_type {
            headers.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_str(content_type).unwrap(),
            );
        }
        decode_with_headers(protocol, status, headers, body)
    }

    fn decode_with_headers(
        protocol: Protocol,
        status: u16,
        headers: HeaderMap,
        body: &str,
    ) -> Status {
        decode_error_response(ErrorResponse {
            protocol,
            http_status: StatusCode::from_u16(status).unwrap(),
            headers,
            trailers: HeaderMap::new(),
            body: body.as_bytes(),
            max_json_depth: 64,
        })
    }

    #[test]
    fn http_status_messages_read_cleanly() {
        let status = decode(Protocol::Rest, 599, None, "");
        assert_eq!(status.message(), "HTTP 599 with an empty body");
        let status = decode(
            Protocol::Rest,
            502,
            Some("text/html"),
            "<h1>Bad gateway</h1>",
        );
        assert_eq!(
            status.message(),
            "HTTP 502 Bad Gateway with a body (text/html): Bad gateway"
        );
    }

    #[test]
    fn unknown_connect_code_name_is_unknown() {
        let status = decode(
            Protocol::Connect,
            400,
            Some("application/json"),
            r#"{"code": "teapot", "message": "short and stout"}"#,
        );
        assert_eq!(status.code(), Code::Unknown);
        assert_eq!(status.message(), "short and stout");
        assert_eq!(status.origin(), Origin::Server);
    }

    #[test]
    fn integer_code_in_connect_body() {
        let status = decode(
            Protocol::Connect,
            409,
            Some("application/json"),
            r#"{"code": 6, "message": "exists"}"#,
        );
        assert_eq!(status.code(), Code::AlreadyExists);
    }

    #[test]
    fn null_code_falls_back_to_http_status() {
        let status = decode(
            Protocol::Connect,
            503,
            Some("application/json"),
            r#"{"code": null}"#,
        );
        assert_eq!(status.code(), Code::Unavailable);
        let status = decode(Protocol::Connect, 404, Some("application/json"), "{}");
        assert_eq!(status.code(), Code::Unimplemented);
    }

    #[test]
    fn empty_body_uses_protocol_table() {
        let connect = decode(Protocol::Connect, 404, None, "");
        assert_eq!(connect.code(), Code::Unimplemented);
        assert!(connect.message().contains("empty body"), "{connect}");
        let rest = decode(Protocol::Rest, 404, None, "");
        assert_eq!(rest.code(), Code::NotFound);
    }

    #[test]
    fn json_with_wrong_content_type_is_not_parsed() {
        let status = decode(
            Protocol::Rest,
            500,
            Some("text/plain"),
            r#"{"code": 5, "message": "x"}"#,
        );
        assert_eq!(status.code(), Code::Internal);
        assert!(status.message().contains("text/plain"), "{status}");
    }

    #[test]
    fn invalid_json_falls_back() {
        let status = decode(Protocol::Rest, 429, Some("application/json"), "{oops");
        assert_eq!(status.code(), Code::ResourceExhausted);
    }

    #[test]
    fn deep_json_falls_back() {
        let body = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let status = decode(Protocol::Connect, 503, Some("application/json"), &body);
        assert_eq!(status.code(), Code::Unavailable);
    }

    #[test]
    fn binary_body_is_described_by_size() {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        let status = decode_error_response(ErrorResponse {
            protocol: Protocol::Rest,
            http_status: StatusCode::BAD_GATEWAY,
            headers,
            trailers: HeaderMap::new(),
            body: &[0xff, 0xfe, 0x00],
            max_json_depth: 64,
        });
        assert_eq!(status.code(), Code::Unavailable);
        assert!(status.message().contains("3 bytes"), "{status}");
    }

    #[test]
    fn retry_after_seconds_on_429_and_503() {
        for code in [429, 503] {
            let mut headers = HeaderMap::new();
            headers.insert(http::header::RETRY_AFTER, HeaderValue::from_static("7"));
            let status = decode_with_headers(Protocol::Rest, code, headers, "");
            assert_eq!(status.retry_delay(), Some(Duration::from_secs(7)), "{code}");
        }
        let mut headers = HeaderMap::new();
        headers.insert(http::header::RETRY_AFTER, HeaderValue::from_static("7"));
        let status = decode_with_headers(Protocol::Rest, 500, headers, "");
        assert_eq!(status.retry_delay(), None);
    }

    #[test]
    fn aip193_without_status_uses_http_code() {
        let status = decode(
            Protocol::Rest,
            400,
            Some("application/json; charset=utf-8"),
            r#"{"error": {"code": 403, "message": "no"}}"#,
        );
        assert_eq!(status.code(), Code::PermissionDenied);
        assert_eq!(status.message(), "no");
    }

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/errors/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
    }

    /// Decodes a fixture under both protocols; JSON status bodies must not
    /// depend on the protocol.
    fn decode_fixture(name: &str, status: u16, content_type: &str) -> [Status; 2] {
        let body = fixture(name);
        [Protocol::Connect, Protocol::Rest]
            .map(|protocol| decode(protocol, status, Some(content_type), &body))
    }

    #[test]
    fn fixture_connect_not_found() {
        for status in decode_fixture("connect-not-found.json", 404, "application/json") {
            assert_eq!(status.code(), Code::NotFound);
            assert_eq!(status.message(), r#"runner "lab-east" not found"#);
            assert_eq!(status.details().len(), 1);
            let info = status.error_info().expect("ErrorInfo detail");
            assert_eq!(info.reason, "CWSANDBOX_RUNNER_NOT_FOUND");
            assert_eq!(info.domain, "cwsandbox.com");
            assert_eq!(
                info.metadata.get("runner_id").map(String::as_str),
                Some("lab-east")
            );
            assert_eq!(status.http_status(), Some(StatusCode::NOT_FOUND));
        }
    }

    #[test]
    fn fixture_rest_already_exists() {
        for status in decode_fixture("rest-already-exists.json", 409, "application/json") {
            assert_eq!(status.code(), Code::AlreadyExists);
            assert_eq!(
                status.message(),
                r#"profile template with display name "train-a100" already exists"#
            );
            let info = status.error_info().expect("ErrorInfo detail");
            assert_eq!(info.reason, "CWSANDBOX_PROFILE_ALREADY_EXISTS");
            assert_eq!(info.domain, "cwsandbox.com");
            assert_eq!(
                info.metadata.get("display_name").map(String::as_str),
                Some("train-a100")
            );
        }
    }

    #[test]
    fn fixture_rest_bad_request() {
        for status in decode_fixture("rest-bad-request.json", 400, "application/json") {
            assert_eq!(status.code(), Code::InvalidArgument);
            assert_eq!(
                status.message(),
                "exactly one profile binding must be the default (found 2)"
            );
            let bad_request = status.bad_request().expect("BadRequest detail");
            assert_eq!(bad_request.field_violations.len(), 1);
            let violation = &bad_request.field_violations[0];
            assert_eq!(violation.field, "runner.profile_bindings");
            assert_eq!(
                violation.description,
                "2 bindings have is_default set; exactly one is required"
            );
        }
    }

    #[test]
    fn fixture_rest_unavailable_retry() {
        for status in decode_fixture("rest-unavailable-retry.json", 503, "application/json") {
            assert_eq!(status.code(), Code::Unavailable);
            assert_eq!(
                status.message(),
                "cluster validation is temporarily unavailable"
            );
            assert!(matches!(status.details(), [Detail::RetryInfo(_)]));
            assert_eq!(status.retry_delay(), Some(Duration::from_millis(1500)));
        }
    }

    #[test]
    fn fixture_aip193_envelope() {
        for status in decode_fixture("aip193-envelope.json", 404, "application/json") {
            assert_eq!(status.code(), Code::NotFound);
            assert_eq!(status.message(), r#"runner "lab-east" not found"#);
            assert!(status.details().is_empty());
        }
    }

    #[test]
    fn fixture_proxy_502_html() {
        let [connect, rest] = decode_fixture("proxy-502.html", 502, "text/html");
        for status in [&connect, &rest] {
            assert_eq!(status.code(), Code::Unavailable);
            assert!(status.message().contains("502 Bad Gateway"), "{status}");
            assert!(status.message().contains("text/html"), "{status}");
            assert!(!status.message().contains('<'), "{status}");
            assert!(status.is_from_server());
        }
    }

    #[test]
    fn html_status_codes_follow_protocol_table() {
        let body = fixture("proxy-502.html");
        let cases = [
            (400, Code::Internal, Code::InvalidArgument),
            (401, Code::Unauthenticated, Code::Unauthenticated),
            (403, Code::PermissionDenied, Code::PermissionDenied),
            (404, Code::Unimplemented, Code::NotFound),
            (409, Code::Unknown, Code::Aborted),
            (429, Code::Unavailable, Code::ResourceExhausted),
            (500, Code::Unknown, Code::Internal),
            (501, Code::Unknown, Code::Unimplemented),
            (504, Code::Unavailable, Code::DeadlineExceeded),
        ];
        for (http, connect_code, rest_code) in cases {
            let connect = decode(Protocol::Connect, http, Some("text/html"), &body);
            assert_eq!(connect.code(), connect_code, "connect {http}");
            let rest = decode(Protocol::Rest, http, Some("text/html"), &body);
            assert_eq!(rest.code(), rest_code, "rest {http}");
        }
    }

    #[test]
    fn connect_details_accept_every_base64_form() {
        let info = crate::rpc::ErrorInfo {
            reason: "R?>".to_string(),
            domain: "d~~".to_string(),
            metadata: Default::default(),
        };
        let bytes = prost::Message::encode_to_vec(&info);
        use base64::Engine as _;
        use base64::engine::general_purpose as engines;
        let forms = [
            engines::STANDARD.encode(&bytes),
            engines::STANDARD_NO_PAD.encode(&bytes),
            engines::URL_SAFE.encode(&bytes),
            engines::URL_SAFE_NO_PAD.encode(&bytes),
        ];
        for form in forms {
            let body = serde_json::json!({
                "code": "aborted",
                "details": [{"type": "google.rpc.ErrorInfo", "value": form}]
            })
            .to_string();
            let status = decode(Protocol::Connect, 409, Some("application/json"), &body);
            assert_eq!(status.error_info(), Some(&info), "{form}");
        }
    }

    #[test]
    fn undecodable_details_are_kept_as_other() {
        let body = serde_json::json!({
            "code": "internal",
            "message": "m",
            "details": [
                {"type": "acme.v1.Hint", "value": "CAE"},
                {"type": "google.rpc.ErrorInfo", "value": "////"},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": 5},
                {"@type": "type.googleapis.com/acme.v1.Other", "x": 1},
                "not an object"
            ]
        })
        .to_string();
        let status = decode(Protocol::Connect, 500, Some("application/json"), &body);
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.details().len(), 5);
        for detail in status.details() {
            assert!(matches!(detail, Detail::Other(_)), "{detail:?}");
        }
        let names: Vec<&str> = status.details().iter().map(Detail::type_name).collect();
        assert_eq!(
            names,
            [
                "acme.v1.Hint",
                "google.rpc.ErrorInfo",
                "google.rpc.RetryInfo",
                "acme.v1.Other",
                ""
            ]
        );
    }

    #[test]
    fn trailers_and_headers_are_kept() {
        let mut trailers = HeaderMap::new();
        trailers.insert("acme-cost", HeaderValue::from_static("3"));
        let mut headers = HeaderMap::new();
        headers.insert("x-request-id", HeaderValue::from_static("r1"));
        let status = decode_error_response(ErrorResponse {
            protocol: Protocol::Connect,
            http_status: StatusCode::NOT_FOUND,
            headers,
            trailers,
            body: br#"{"code": "not_found"}"#,
            max_json_depth: 64,
        });
        assert_eq!(status.trailers()["acme-cost"], "3");
        assert_eq!(status.headers()["x-request-id"], "r1");
        assert_eq!(status.message(), "");
    }

    #[test]
    fn json_content_types() {
        assert!(is_json_content_type("application/json"));
        assert!(is_json_content_type("Application/JSON; charset=utf-8"));
        assert!(is_json_content_type("application/problem+json"));
        assert!(!is_json_content_type("text/html"));
        assert!(!is_json_content_type("application/proto"));
    }
}
