//! Fuzz targets of the emulator's request handler, called without sockets.
//!
//! Every input gets a fresh emulator, so that a finding replays from its input alone. An
//! input may carry several requests, which run in order against that emulator, so that
//! reads and updates can find what an earlier create made.

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use cwsandbox_control::connect::Code;
use cwsandbox_control::emulator::{Emulator, EmulatorService, PeerInfo, Timings};
use cwsandbox_control::v1beta2::{
    ListManagedRunnersResponse, ListProfileTemplatesResponse, ProfileTemplate, Runner,
};
use cwsandbox_control::wkt::Empty;
use http::header::{HeaderName, HeaderValue};
use serde_json::Value;

/// Time after which one request counts as a hang.
const HANG_LIMIT: Duration = Duration::from_secs(5);

/// The emulator's request body limit in these targets.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Largest response that a request may produce. A page of 100 items stays far below.
const MAX_RESPONSE_BYTES: usize = 4 << 20;

/// Separates requests within one input.
const REQUEST_SEPARATOR: &[u8] = b"\xff\xfe";

/// Most requests run from one input.
const MAX_REQUESTS: usize = 4;

const CONNECT_PREFIX: &str = "/coreweave.sandbox.v1beta2.RunnerManagementService/";

const REST_PREFIX: &str = "/v1beta2/";

const HTTP_METHODS: &[&str] = &["GET", "POST", "PATCH", "DELETE", "PUT", "HEAD", "OPTIONS"];

/// Request paths; `{id}` is replaced with the first line of the request's input.
const ROUTES: &[&str] = &[
    "/v1beta2/sandbox/profile-templates",
    "/v1beta2/sandbox/profile-templates/{id}",
    "/v1beta2/sandbox/managed-runners",
    "/v1beta2/sandbox/managed-runners/{id}",
    "/v1beta2/sandbox/managed-runners/{id}/apply-update",
    "/v1beta2/sandbox/profile-templates?{id}",
    "/v1beta2/sandbox/managed-runners?{id}",
    "/coreweave.sandbox.v1beta2.RunnerManagementService/CreateProfileTemplate",
    "/coreweave.sandbox.v1beta2.RunnerManagementService/GetProfileTemplate",
    "/coreweave.sandbox.v1beta2.RunnerManagementService/ListProfileTemplates",
    "/coreweave.sandbox.v1beta2.RunnerManagementService/UpdateProfileTemplate",
    "/coreweave.sandbox.v1beta2.RunnerManagementService/DeleteProfileTemplate",
    "/coreweave.sandbox.v1beta2.RunnerManagementService/CreateManagedRunner",
    "/coreweave.sandbox.v1beta2.RunnerManagementService/GetRunner",
    "/coreweave.sandbox.v1beta2.RunnerManagementService/ListManagedRunners",
    "/coreweave.sandbox.v1beta2.RunnerManagementService/UpdateManagedRunner",
    "/coreweave.sandbox.v1beta2.RunnerManagementService/DeleteManagedRunner",
    "/coreweave.sandbox.v1beta2.RunnerManagementService/ApplyManagedRunnerUpdate",
    "/coreweave.sandbox.v1beta2.RunnerManagementService/NoSuchMethod",
    "{id}",
];

/// `Authorization` values: the default emulator's admin, user and other-organization
/// tokens, an unknown token, a malformed value and none.
const AUTHORIZATIONS: &[&str] = &[
    "Bearer admin-token",
    "Bearer user-token",
    "Bearer other-admin-token",
    "Bearer not-a-token",
    "Basic YWRtaW46YWRtaW4=",
    "",
];

const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/proto",
    "application/json; charset=utf-8",
    "text/plain",
    "",
    "application/connect+json",
];

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

fn new_emulator() -> EmulatorService {
    Emulator::builder()
        .timings(Timings::instant())
        .manual_clock()
        .max_body_bytes(MAX_BODY_BYTES)
        .build_service()
        .expect("default emulator configuration")
}

/// Percent-encodes bytes that may not appear in a URI path or query.
fn uri_safe(text: &[u8], keep: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(byte) || keep.contains(byte) {
            out.push(char::from(*byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Runs one request through `service` and checks the response.
fn handle(service: &EmulatorService, request: http::Request<Bytes>) {
    let path = request.uri().path().to_string();
    let is_connect = path.starts_with(CONNECT_PREFIX);
    let sent_json = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_none_or(|value| value.as_bytes().starts_with(b"application/json"));
    let response = runtime().block_on(async {
        let call = service.handle(request, PeerInfo::default());
        match tokio::time::timeout(HANG_LIMIT, call).await {
            Ok(response) => response,
            Err(_) => panic!("the emulator did not respond to {path} within {HANG_LIMIT:?}"),
        }
    });
    check_response(&path, is_connect, sent_json, &response);
}

fn check_response(path: &str, is_connect: bool, sent_json: bool, response: &http::Response<Bytes>) {
    let status = response.status().as_u16();
    let body = response.body();
    assert!(
        body.len() <= MAX_RESPONSE_BYTES,
        "{path}: a {}-byte response",
        body.len()
    );
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let gzipped = response
        .headers()
        .contains_key(http::header::CONTENT_ENCODING);
    if gzipped || !content_type.starts_with("application/json") {
        return;
    }
    let json: Value = match serde_json::from_slice(body) {
        Ok(json) => json,
        Err(error) => panic!(
            "{path}: HTTP {status} with invalid JSON ({error}): {}",
            String::from_utf8_lossy(body)
        ),
    };
    if status == 200 {
        if is_connect && sent_json {
            check_connect_reply(path, body);
        }
        return;
    }
    // Paths under the REST prefix get a google.rpc.Status; Connect procedures, and other
    // paths that look like `/<service>/<method>`, get a Connect error.
    let code = json.get("code");
    let connect_code = code
        .and_then(Value::as_str)
        .is_some_and(|name| Code::from_name(name).is_some());
    let status_code = code
        .and_then(Value::as_i64)
        .is_some_and(|number| (1..=16).contains(&number));
    if is_connect {
        assert!(
            connect_code,
            "{path}: HTTP {status} Connect error without a known code: {json}"
        );
    } else if path.starts_with(REST_PREFIX) {
        assert!(
            status_code,
            "{path}: HTTP {status} Status without a code in 1..=16: {json}"
        );
    } else {
        assert!(
            connect_code || status_code,
            "{path}: HTTP {status} error without a code: {json}"
        );
    }
}

/// Checks that a successful Connect JSON reply decodes as the method's response type.
fn check_connect_reply(path: &str, body: &[u8]) {
    let method = path.trim_start_matches(CONNECT_PREFIX);
    let decoded = match method {
        "CreateProfileTemplate" | "GetProfileTemplate" | "UpdateProfileTemplate" => {
            serde_json::from_slice::<ProfileTemplate>(body).map(drop)
        }
        "ListProfileTemplates" => {
            serde_json::from_slice::<ListProfileTemplatesResponse>(body).map(drop)
        }
        "CreateManagedRunner"
        | "GetRunner"
        | "UpdateManagedRunner"
        | "ApplyManagedRunnerUpdate" => serde_json::from_slice::<Runner>(body).map(drop),
        "ListManagedRunners" => {
            serde_json::from_slice::<ListManagedRunnersResponse>(body).map(drop)
        }
        "DeleteProfileTemplate" | "DeleteManagedRunner" => {
            serde_json::from_slice::<Empty>(body).map(drop)
        }
        _ => Ok(()),
    };
    if let Err(error) = decoded {
        panic!(
            "{path}: 200 reply does not decode ({error}): {}",
            String::from_utf8_lossy(body)
        );
    }
}

/// Builds one request from a part of the input.
///
/// Layout: byte 0 picks the HTTP method, byte 1 the route, byte 2 the `Authorization`
/// value, byte 3 the content type, byte 4 contains flags (bit 0: `content-encoding: gzip`,
/// bit 1: `connect-protocol-version: 1`, bit 2: `connect-timeout-ms: 1`, bit 3:
/// `accept-encoding: gzip`, bit 4: a 20 KiB header). The rest is the `{id}` text of the
/// route up to the first newline, then the body.
fn build_request(part: &[u8]) -> Option<http::Request<Bytes>> {
    let [method, route, auth, content_type, flags, rest @ ..] = part else {
        return None;
    };
    let (id, body) = match rest.iter().position(|byte| *byte == b'\n') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let route = ROUTES[usize::from(*route) % ROUTES.len()];
    let path = if route == "{id}" {
        uri_safe(id, b"/?&=%:")
    } else if route.contains('?') {
        route.replace("{id}", &uri_safe(id, b"&=%"))
    } else {
        route.replace("{id}", &uri_safe(id, b"%"))
    };
    let path = if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    };
    let mut builder = http::Request::builder()
        .method(HTTP_METHODS[usize::from(*method) % HTTP_METHODS.len()])
        .uri(path);
    let authorization = AUTHORIZATIONS[usize::from(*auth) % AUTHORIZATIONS.len()];
    if !authorization.is_empty() {
        builder = builder.header(http::header::AUTHORIZATION, authorization);
    }
    let content_type = CONTENT_TYPES[usize::from(*content_type) % CONTENT_TYPES.len()];
    if !content_type.is_empty() {
        builder = builder.header(http::header::CONTENT_TYPE, content_type);
    }
    if flags & 1 != 0 {
        builder = builder.header(http::header::CONTENT_ENCODING, "gzip");
    }
    if flags & 2 != 0 {
        builder = builder.header("connect-protocol-version", "1");
    }
    if flags & 4 != 0 {
        builder = builder.header("connect-timeout-ms", "1");
    }
    if flags & 8 != 0 {
        builder = builder.header(http::header::ACCEPT_ENCODING, "gzip");
    }
    if flags & 16 != 0 {
        let big = HeaderValue::from_str(&"x".repeat(20 * 1024)).ok()?;
        builder = builder.header(HeaderName::from_static("x-padding"), big);
    }
    builder.body(Bytes::copy_from_slice(body)).ok()
}

/// Runs up to [`MAX_REQUESTS`] requests, separated by `0xFF 0xFE`, against a fresh
/// emulator and checks every response.
pub fn emulator_request(data: &[u8]) {
    let service = new_emulator();
    let mut rest = data;
    for _ in 0..MAX_REQUESTS {
        let (part, next) = match rest
            .windows(REQUEST_SEPARATOR.len())
            .position(|window| window == REQUEST_SEPARATOR)
        {
            Some(at) => (&rest[..at], &rest[at + REQUEST_SEPARATOR.len()..]),
            None => (rest, &[][..]),
        };
        if let Some(request) = build_request(part) {
            handle(&service, request);
        }
        if next.is_empty() {
            break;
        }
        rest = next;
    }
}

/// Sends a Connect GET whose query string comes from `data`.
///
/// Layout: byte 0 picks one of the four side-effect-free methods; the rest is the query,
/// with bytes that may not appear in a query percent-encoded.
pub fn connect_get_query(data: &[u8]) {
    let [method, query @ ..] = data else {
        return;
    };
    let methods = [
        "GetRunner",
        "ListManagedRunners",
        "GetProfileTemplate",
        "ListProfileTemplates",
    ];
    let method = methods[usize::from(*method) % methods.len()];
    let uri = format!("{CONNECT_PREFIX}{method}?{}", uri_safe(query, b"&=%+/"));
    let Ok(request) = http::Request::builder()
        .method("GET")
        .uri(uri)
        .header(http::header::AUTHORIZATION, "Bearer admin-token")
        .body(Bytes::new())
    else {
        return;
    };
    handle(&new_emulator(), request);
}
