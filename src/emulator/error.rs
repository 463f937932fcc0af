//! Errors the emulator returns, and their two wire forms: a `google.rpc.Status`
//! JSON body for REST and a Connect error body for Connect.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::{Map, Value, json};

use super::timefmt::format_duration;
use super::wire::{ERROR_DOMAIN, TYPE_URL_PREFIX, connect_code_name, http_status};
use crate::rpc::{BadRequest, Code, ErrorInfo, RetryInfo, bad_request::FieldViolation};

/// `ErrorInfo.reason` values. Each names a cause a client may branch on.
pub(crate) mod reason {
    pub(crate) const UNAUTHENTICATED: &str = "CWSANDBOX_UNAUTHENTICATED";
    pub(crate) const PERMISSION_DENIED: &str = "CWSANDBOX_PERMISSION_DENIED";
    pub(crate) const INVALID_ARGUMENT: &str = "CWSANDBOX_INVALID_ARGUMENT";
    pub(crate) const MALFORMED_REQUEST: &str = "CWSANDBOX_MALFORMED_REQUEST";
    pub(crate) const OUTPUT_ONLY_FIELD: &str = "CWSANDBOX_OUTPUT_ONLY_FIELD";
    pub(crate) const IMMUTABLE_FIELD: &str = "CWSANDBOX_IMMUTABLE_FIELD";
    pub(crate) const INVALID_UPDATE_MASK: &str = "CWSANDBOX_INVALID_UPDATE_MASK";
    pub(crate) const INVALID_PAGE_SIZE: &str = "CWSANDBOX_INVALID_PAGE_SIZE";
    pub(crate) const INVALID_PAGE_TOKEN: &str = "CWSANDBOX_INVALID_PAGE_TOKEN";
    pub(crate) const ZONE_MISMATCH: &str = "CWSANDBOX_ZONE_MISMATCH";
    pub(crate) const BOUND_PROFILE_NOT_FOUND: &str = "CWSANDBOX_BOUND_PROFILE_NOT_FOUND";
    pub(crate) const PROFILE_NOT_FOUND: &str = "CWSANDBOX_PROFILE_NOT_FOUND";
    pub(crate) const RUNNER_NOT_FOUND: &str = "CWSANDBOX_RUNNER_NOT_FOUND";
    pub(crate) const CLUSTER_NOT_FOUND: &str = "CWSANDBOX_CLUSTER_NOT_FOUND";
    pub(crate) const PROFILE_ALREADY_EXISTS: &str = "CWSANDBOX_PROFILE_ALREADY_EXISTS";
    pub(crate) const RUNNER_ALREADY_EXISTS: &str = "CWSANDBOX_RUNNER_ALREADY_EXISTS";
    pub(crate) const CLUSTER_HAS_RUNNER: &str = "CWSANDBOX_CLUSTER_HAS_RUNNER";
    pub(crate) const PROFILE_IN_USE: &str = "CWSANDBOX_PROFILE_IN_USE";
    pub(crate) const NO_UPDATE_AVAILABLE: &str = "CWSANDBOX_NO_UPDATE_AVAILABLE";
    pub(crate) const RUNNER_DELETING: &str = "CWSANDBOX_RUNNER_DELETING";
    pub(crate) const UNAVAILABLE: &str = "CWSANDBOX_UNAVAILABLE";
    pub(crate) const INTERNAL: &str = "CWSANDBOX_INTERNAL";
    pub(crate) const REQUEST_TOO_LARGE: &str = "CWSANDBOX_REQUEST_TOO_LARGE";
    pub(crate) const REQUEST_TIMEOUT: &str = "CWSANDBOX_REQUEST_TIMEOUT";
    pub(crate) const DEADLINE_EXCEEDED: &str = "CWSANDBOX_DEADLINE_EXCEEDED";
    pub(crate) const UNSUPPORTED_MEDIA_TYPE: &str = "CWSANDBOX_UNSUPPORTED_MEDIA_TYPE";
    pub(crate) const UNSUPPORTED_COMPRESSION: &str = "CWSANDBOX_UNSUPPORTED_COMPRESSION";
    pub(crate) const UNKNOWN_PROCEDURE: &str = "CWSANDBOX_UNKNOWN_PROCEDURE";
    pub(crate) const UNKNOWN_PATH: &str = "CWSANDBOX_UNKNOWN_PATH";
    pub(crate) const METHOD_NOT_ALLOWED: &str = "CWSANDBOX_METHOD_NOT_ALLOWED";
}

/// One invalid field of a request, reported in `google.rpc.BadRequest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    /// Path of the field in proto names: `runner.profile_bindings[1].profile_template_id`.
    pub(crate) field: String,
    /// The problem and how to fix it.
    pub(crate) description: String,
    /// The `ErrorInfo` reason the violation implies when it is the first one.
    pub(crate) reason: &'static str,
    /// The status message when the violation is the first one; `None` means
    /// `<field>: <description>`.
    pub(crate) message: Option<String>,
}

impl Violation {
    pub(crate) fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
            reason: reason::INVALID_ARGUMENT,
            message: None,
        }
    }

    pub(crate) fn with_reason(mut self, reason: &'static str) -> Self {
        self.reason = reason;
        self
    }

    pub(crate) fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    fn summary(&self) -> String {
        match &self.message {
            Some(message) => message.clone(),
            None => format!("{}: {}", self.field, self.description),
        }
    }
}

/// An error response: a code, a message and the details both wire forms
/// carry. Boxed, so results that carry it stay small.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError(Box<ErrorParts>);

/// The contents of an [`ApiError`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ErrorParts {
    pub(crate) code: Code,
    pub(crate) message: String,
    pub(crate) reason: &'static str,
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) violations: Vec<Violation>,
    pub(crate) retry_delay: Option<Duration>,
    /// An HTTP status that replaces the one of `code`, such as 413 or 405.
    pub(crate) http_status: Option<StatusCode>,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
}

impl std::ops::Deref for ApiError {
    type Target = ErrorParts;

    fn deref(&self) -> &ErrorParts {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ErrorParts {
        &mut self.0
    }
}

impl ApiError {
    pub(crate) fn new(code: Code, reason: &'static str, message: impl Into<String>) -> Self {
        Self(Box::new(ErrorParts {
            code,
            message: message.into(),
            reason,
            metadata: BTreeMap::new(),
            violations: Vec::new(),
            retry_delay: None,
            http_status: None,
            headers: Vec::new(),
        }))
    }

    /// Creates an INVALID_ARGUMENT error listing `violations`. The message and the
    /// reason come from the first violation.
    pub(crate) fn invalid(violations: Vec<Violation>) -> Self {
        let (message, reason) = match violations.as_slice() {
            [] => ("invalid request".to_string(), reason::INVALID_ARGUMENT),
            [only] => (only.summary(), only.reason),
            [first, rest @ ..] => (
                format!(
                    "{} (and {} more invalid field{})",
                    first.summary(),
                    rest.len(),
                    if rest.len() == 1 { "" } else { "s" }
                ),
                first.reason,
            ),
        };
        let mut error = Self::new(Code::InvalidArgument, reason, message);
        error.violations = violations;
        error
    }

    pub(crate) fn not_found(reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(Code::NotFound, reason, message)
    }

    pub(crate) fn already_exists(reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(Code::AlreadyExists, reason, message)
    }

    pub(crate) fn failed_precondition(reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(Code::FailedPrecondition, reason, message)
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(Code::Internal, reason::INTERNAL, message)
    }

    pub(crate) fn with_metadata(mut self, key: &str, value: impl Into<String>) -> Self {
        self.metadata.insert(key.to_string(), value.into());
        self
    }

    pub(crate) fn with_http_status(mut self, status: StatusCode) -> Self {
        self.http_status = Some(status);
        self
    }

    pub(crate) fn with_header(mut self, name: HeaderName, value: &'static str) -> Self {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }

    /// Returns the HTTP status of the response.
    pub(crate) fn status(&self) -> StatusCode {
        self.http_status.unwrap_or_else(|| http_status(self.code))
    }

    fn error_info(&self) -> ErrorInfo {
        ErrorInfo {
            reason: self.reason.to_string(),
            domain: ERROR_DOMAIN.to_string(),
            metadata: self
                .metadata
                .iter()
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect(),
        }
    }

    fn bad_request(&self) -> Option<BadRequest> {
        if self.violations.is_empty() {
            return None;
        }
        let field_violations = self
            .violations
            .iter()
            .map(|violation| FieldViolation {
                field: violation.field.clone(),
                description: violation.description.clone(),
                ..FieldViolation::default()
            })
            .collect();
        Some(BadRequest { field_violations })
    }

    fn retry_info(&self) -> Option<RetryInfo> {
        self.retry_delay.map(|delay| RetryInfo {
            retry_delay: Some(crate::wkt::Duration {
                seconds: i64::try_from(delay.as_secs()).unwrap_or(i64::MAX),
                nanos: i32::try_from(delay.subsec_nanos()).unwrap_or(0),
            }),
        })
    }

    /// Encodes the `google.rpc.Status` JSON body of a REST error response.
    pub(crate) fn rest_body(&self) -> Vec<u8> {
        let mut details = vec![any_json(
            "google.rpc.ErrorInfo",
            to_json(&self.error_info()),
        )];
        if let Some(bad_request) = self.bad_request() {
            details.push(any_json("google.rpc.BadRequest", to_json(&bad_request)));
        }
        if let Some(delay) = self.retry_delay {
            let fields = json!({ "retryDelay": format_duration(delay) });
            details.push(any_json("google.rpc.RetryInfo", fields));
        }
        let body = json!({
            "code": self.code as i32,
            "message": self.message,
            "details": details,
        });
        serde_json::to_vec(&body).unwrap_or_default()
    }

    /// Encodes the Connect error body: code name, message and binary details in base64.
    pub(crate) fn connect_body(&self) -> Vec<u8> {
        let mut details = vec![connect_detail("google.rpc.ErrorInfo", &self.error_info())];
        if let Some(bad_request) = self.bad_request() {
            details.push(connect_detail("google.rpc.BadRequest", &bad_request));
        }
        if let Some(retry_info) = self.retry_info() {
            details.push(connect_detail("google.rpc.RetryInfo", &retry_info));
        }
        let mut body = Map::new();
        body.insert("code".into(), connect_code_name(self.code).into());
        if !self.message.is_empty() {
            body.insert("message".into(), self.message.clone().into());
        }
        body.insert("details".into(), Value::Array(details));
        serde_json::to_vec(&Value::Object(body)).unwrap_or_default()
    }
}

/// Serializes a detail message through its proto3 JSON serde.
fn to_json<T: serde::Serialize>(message: &T) -> Value {
    serde_json::to_value(message).unwrap_or_else(|_| Value::Object(Map::new()))
}

/// Builds the JSON form of `google.protobuf.Any`: `@type` followed by the message's fields.
fn any_json(full_name: &str, fields: Value) -> Value {
    let mut object = Map::new();
    object.insert(
        "@type".into(),
        Value::String(format!("{TYPE_URL_PREFIX}{full_name}")),
    );
    if let Value::Object(fields) = fields {
        object.extend(fields);
    }
    Value::Object(object)
}

fn connect_detail<M: prost::Message>(full_name: &str, message: &M) -> Value {
    json!({
        "type": full_name,
        "value": STANDARD_NO_PAD.encode(message.encode_to_vec()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;

    #[test]
    fn rest_body_carries_every_detail() {
        let mut error = ApiError::invalid(vec![Violation::new("runner.identity.zone", "required")]);
        error.retry_delay = Some(Duration::from_millis(1500));
        let body: Value = serde_json::from_slice(&error.rest_body()).expect("JSON body");
        assert_eq!(body["code"], 3);
        assert_eq!(body["message"], "runner.identity.zone: required");
        assert_eq!(
            body["details"][0]["@type"],
            "type.googleapis.com/google.rpc.ErrorInfo"
        );
        assert_eq!(body["details"][0]["reason"], "CWSANDBOX_INVALID_ARGUMENT");
        assert_eq!(body["details"][0]["domain"], "cwsandbox.com");
        assert_eq!(
            body["details"][1]["@type"],
            "type.googleapis.com/google.rpc.BadRequest"
        );
        assert_eq!(
            body["details"][1]["fieldViolations"][0]["field"],
            "runner.identity.zone"
        );
        assert_eq!(body["details"][2]["retryDelay"], "1.500s");
    }

    #[test]
    fn connect_body_encodes_details_in_base64() {
        let error = ApiError::not_found(reason::RUNNER_NOT_FOUND, "runner \"lab-east\" not found")
            .with_metadata("runner_id", "lab-east");
        let body: Value = serde_json::from_slice(&error.connect_body()).expect("JSON body");
        assert_eq!(body["code"], "not_found");
        assert_eq!(body["details"][0]["type"], "google.rpc.ErrorInfo");
        let value = body["details"][0]["value"].as_str().expect("base64 value");
        assert!(!value.ends_with('='));
        let bytes = STANDARD_NO_PAD.decode(value).expect("unpadded base64");
        let info = ErrorInfo::decode(bytes.as_slice()).expect("ErrorInfo");
        assert_eq!(info.reason, "CWSANDBOX_RUNNER_NOT_FOUND");
        assert_eq!(info.metadata["runner_id"], "lab-east");
    }

    #[test]
    fn several_violations_summarize() {
        let error = ApiError::invalid(vec![
            Violation::new("a", "bad"),
            Violation::new("b", "bad"),
            Violation::new("c", "bad"),
        ]);
        assert_eq!(error.message, "a: bad (and 2 more invalid fields)");
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
    }
}
