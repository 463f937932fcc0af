//! A small HTTP client for the emulator tests, written on hyper directly so
//! the tests do not share code with the crate's own client.

use std::collections::HashMap;

use bytes::Bytes;
use cwsandbox_control::emulator::{Emulator, EmulatorHandle, Timings};
use http::{HeaderMap, Request, Version};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// Path prefix of the Connect procedures.
pub(crate) const CONNECT: &str = "/coreweave.sandbox.v1beta2.RunnerManagementService/";

/// A response with its body read.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) version: Version,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    /// Parses the body as JSON; panics with the body text when it is not JSON.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "status {}: body is not JSON ({error}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Returns the `google.rpc.ErrorInfo` of a REST error body.
    pub(crate) fn error_info(&self) -> Value {
        self.rest_detail("type.googleapis.com/google.rpc.ErrorInfo")
            .unwrap_or(Value::Null)
    }

    pub(crate) fn rest_detail(&self, type_url: &str) -> Option<Value> {
        let body = self.json();
        body["details"]
            .as_array()?
            .iter()
            .find(|detail| detail["@type"] == type_url)
            .cloned()
    }

    /// Returns the `(field, description)` pairs of the REST error's BadRequest.
    pub(crate) fn violations(&self) -> Vec<(String, String)> {
        let Some(bad_request) = self.rest_detail("type.googleapis.com/google.rpc.BadRequest")
        else {
            return Vec::new();
        };
        bad_request["fieldViolations"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|item| {
                        (
                            item["field"].as_str().unwrap_or("").to_string(),
                            item["description"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Panics unless this is a REST error with the given status, code and reason.
    #[track_caller]
    pub(crate) fn assert_rest_error(&self, status: u16, code: i64, reason: &str) {
        let body = String::from_utf8_lossy(&self.body).into_owned();
        assert_eq!(self.status, status, "HTTP status; body: {body}");
        let json = self.json();
        assert_eq!(json["code"].as_i64(), Some(code), "code; body: {body}");
        assert!(
            json["message"].as_str().is_some_and(|m| !m.is_empty()),
            "message; body: {body}"
        );
        let info = self.error_info();
        assert_eq!(info["reason"], reason, "reason; body: {body}");
        assert_eq!(info["domain"], "cwsandbox.com", "domain; body: {body}");
    }
}

/// An HTTP/1.1 or h2c client aimed at one emulator.
pub(crate) struct TestClient {
    base: String,
    inner: Client<HttpConnector, Full<Bytes>>,
}

impl TestClient {
    pub(crate) fn http1(base: &str) -> Self {
        Self {
            base: base.to_string(),
            inner: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    pub(crate) fn h2c(base: &str) -> Self {
        Self {
            base: base.to_string(),
            inner: Client::builder(TokioExecutor::new())
                .http2_only(true)
                .build_http(),
        }
    }

    /// Sends one request with raw headers and body; panics when it cannot.
    pub(crate) async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Reply {
        self.try_call(method, path, token, headers, body)
            .await
            .unwrap_or_else(|error| panic!("{method} {path}: {error}"))
    }

    /// Sends one request; `Err` when the connection fails.
    pub(crate) async fn try_call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Result<Reply, String> {
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder
            .body(Full::new(body.into()))
            .map_err(|error| error.to_string())?;
        let response = self
            .inner
            .request(request)
            .await
            .map_err(|error| error.to_string())?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|error| error.to_string())?
            .to_bytes();
        Ok(Reply {
            status: parts.status.as_u16(),
            version: parts.version,
            headers: parts.headers,
            body,
        })
    }

    /// Sends a REST call with an optional JSON body.
    pub(crate) async fn rest(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Reply {
        let bytes = body.map(|body| body.to_string()).unwrap_or_default();
        let headers: &[(&str, &str)] = if body.is_some() {
            &[("content-type", "application/json")]
        } else {
            &[]
        };
        self.call(method, path, Some(token), headers, bytes).await
    }

    /// Sends a Connect unary call with the JSON codec.
    pub(crate) async fn connect(&self, method: &str, token: &str, body: &Value) -> Reply {
        self.call(
            "POST",
            &format!("{CONNECT}{method}"),
            Some(token),
            &[
                ("content-type", "application/json"),
                ("connect-protocol-version", "1"),
            ],
            body.to_string(),
        )
        .await
    }

    /// Sends a Connect unary call with the binary codec.
    pub(crate) async fn connect_proto(&self, method: &str, token: &str, body: Vec<u8>) -> Reply {
        self.call(
            "POST",
            &format!("{CONNECT}{method}"),
            Some(token),
            &[
                ("content-type", "application/proto"),
                ("connect-protocol-version", "1"),
            ],
            body,
        )
        .await
    }
}

/// Starts an emulator whose lifecycle steps take no time, on a frozen clock.
pub(crate) async fn start_instant() -> EmulatorHandle {
    Emulator::builder()
        .timings(Timings::instant())
        .manual_clock()
        .start()
        .await
        .expect("emulator starts")
}

/// Starts an emulator with the default timings on a frozen clock.
pub(crate) async fn start_manual() -> EmulatorHandle {
    Emulator::builder()
        .manual_clock()
        .start()
        .await
        .expect("emulator starts")
}

/// Reads a request fixture and replaces its placeholders:
/// `PROFILE_ID_OF:<displayName>` from `profiles`, then `RUNNER_ID` and `PROFILE_ID`.
pub(crate) fn fixture(
    name: &str,
    profiles: &HashMap<String, String>,
    runner: &str,
    profile: &str,
) -> Value {
    let path = format!(
        "{}/tests/fixtures/requests/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    for (display_name, id) in profiles {
        text = text.replace(&format!("PROFILE_ID_OF:{display_name}"), id);
    }
    text = text
        .replace("RUNNER_ID", runner)
        .replace("PROFILE_ID", profile);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Creates the three template fixtures and returns their ids by display name.
pub(crate) async fn create_profile_fixtures(
    client: &TestClient,
    token: &str,
) -> HashMap<String, String> {
    let mut ids = HashMap::new();
    for name in [
        "create-profile-allowlist.json",
        "create-profile-gpu.json",
        "create-profile-minimal.json",
    ] {
        let body = fixture(name, &ids, "", "");
        let reply = client
            .rest(
                "POST",
                "/v1beta2/sandbox/profile-templates",
                token,
                Some(&body),
            )
            .await;
        assert_eq!(
            reply.status,
            200,
            "{name}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        let created = reply.json();
        let display_name = created["displayName"]
            .as_str()
            .expect("displayName")
            .to_string();
        let id = created["id"].as_str().expect("id").to_string();
        ids.insert(display_name, id);
    }
    ids
}

/// Creates the runner fixture and returns the created runner.
pub(crate) async fn create_runner_fixture(
    client: &TestClient,
    token: &str,
    profiles: &HashMap<String, String>,
) -> Value {
    let body = fixture("create-runner.json", profiles, "", "");
    let reply = client
        .rest(
            "POST",
            "/v1beta2/sandbox/managed-runners",
            token,
            Some(&body),
        )
        .await;
    assert_eq!(
        reply.status,
        200,
        "create-runner: {}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}
