//! Typed error details, decoded from binary protobuf or from proto3 JSON.

use serde_json::Value;

use super::metadata::decode_base64_lenient;
use crate::rpc;
use crate::wkt;

/// A typed error detail, from `google.rpc.Status.details` or Connect error details.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
///
/// ```
/// use cwsandbox_control::connect::{Code, Detail, Status};
/// use cwsandbox_control::rpc::ErrorInfo;
///
/// let info = ErrorInfo { reason: "QUOTA".into(), domain: "example.com".into(), ..ErrorInfo::default() };
/// let status = Status::new(Code::ResourceExhausted, "quota exceeded")
///     .with_detail(Detail::ErrorInfo(info));
/// for detail in status.details() {
///     match detail {
///         Detail::ErrorInfo(info) => assert_eq!(info.reason, "QUOTA"),
///         other => panic!("unexpected detail {}", other.type_name()),
///     }
/// }
/// ```
pub enum Detail {
    /// `google.rpc.ErrorInfo`: a machine-readable reason within a domain.
    ErrorInfo(rpc::ErrorInfo),
    /// `google.rpc.RetryInfo`: how long to wait before a retry.
    RetryInfo(rpc::RetryInfo),
    /// `google.rpc.BadRequest`: the invalid fields of the request.
    BadRequest(rpc::BadRequest),
    /// `google.rpc.PreconditionFailure`: the preconditions that failed.
    PreconditionFailure(rpc::PreconditionFailure),
    /// `google.rpc.QuotaFailure`: the quotas that were exceeded.
    QuotaFailure(rpc::QuotaFailure),
    /// `google.rpc.ResourceInfo`: the resource the error is about.
    ResourceInfo(rpc::ResourceInfo),
    /// `google.rpc.RequestInfo`: the server's id for the request.
    RequestInfo(rpc::RequestInfo),
    /// `google.rpc.DebugInfo`: debugging data from the server.
    DebugInfo(rpc::DebugInfo),
    /// `google.rpc.Help`: links to documentation.
    Help(rpc::Help),
    /// `google.rpc.LocalizedMessage`: the message translated for the user.
    LocalizedMessage(rpc::LocalizedMessage),
    /// A detail of a type this crate does not decode, or one that failed to
    /// decode, kept as it arrived.
    Other(OtherDetail),
}

/// An error detail that was not decoded into a typed message.
#[derive(Debug, Clone, PartialEq)]
///
/// ```
/// use cwsandbox_control::connect::Detail;
/// use serde_json::json;
///
/// let json = json!({"@type": "type.googleapis.com/acme.v1.QuotaHint", "bucket": "cpu"});
/// let Detail::Other(other) = Detail::from_any_json(&json) else {
///     panic!("acme.v1.QuotaHint is not a type this crate decodes");
/// };
/// assert_eq!(other.type_name, "acme.v1.QuotaHint");
/// assert_eq!(other.json.as_ref().unwrap()["bucket"], "cpu");
/// assert_eq!(other.value, None);
/// assert_eq!(other.decode_error, None);
/// ```
pub struct OtherDetail {
    /// The fully qualified message name, such as `acme.v1.QuotaHint`, without
    /// a `type.googleapis.com/` prefix.
    pub type_name: String,
    /// The binary protobuf encoding, when the detail arrived in that form.
    pub value: Option<Vec<u8>>,
    /// The JSON form, when the detail arrived as JSON (a google.rpc.Status
    /// detail, or the `debug` member of a Connect detail).
    pub json: Option<Value>,
    /// Why decoding failed; `None` when the type is not one this crate decodes.
    pub decode_error: Option<String>,
}

impl Detail {
    /// Returns the fully qualified message name of the detail.
    ///
    /// ```
    /// use cwsandbox_control::connect::Detail;
    /// use cwsandbox_control::rpc::RequestInfo;
    ///
    /// let detail = Detail::RequestInfo(RequestInfo::default());
    /// assert_eq!(detail.type_name(), "google.rpc.RequestInfo");
    /// ```
    pub fn type_name(&self) -> &str {
        match self {
            Detail::ErrorInfo(_) => "google.rpc.ErrorInfo",
            Detail::RetryInfo(_) => "google.rpc.RetryInfo",
            Detail::BadRequest(_) => "google.rpc.BadRequest",
            Detail::PreconditionFailure(_) => "google.rpc.PreconditionFailure",
            Detail::QuotaFailure(_) => "google.rpc.QuotaFailure",
            Detail::ResourceInfo(_) => "google.rpc.ResourceInfo",
            Detail::RequestInfo(_) => "google.rpc.RequestInfo",
            Detail::DebugInfo(_) => "google.rpc.DebugInfo",
            Detail::Help(_) => "google.rpc.Help",
            Detail::LocalizedMessage(_) => "google.rpc.LocalizedMessage",
            Detail::Other(other) => &other.type_name,
        }
    }

    /// Decodes a detail from its type (a message name or type URL) and its
    /// binary protobuf encoding. Unknown types and invalid bytes become
    /// [`Detail::Other`].
    ///
    /// ```
    /// use cwsandbox_control::connect::Detail;
    /// use cwsandbox_control::rpc::RetryInfo;
    /// use cwsandbox_control::wkt;
    /// use prost::Message as _;
    ///
    /// let info = RetryInfo { retry_delay: Some(wkt::Duration { seconds: 2, nanos: 0 }) };
    /// let bytes = info.encode_to_vec();
    /// let detail = Detail::from_binary("type.googleapis.com/google.rpc.RetryInfo", &bytes);
    /// assert_eq!(detail, Detail::RetryInfo(info));
    ///
    /// // Bytes that are not a RetryInfo are kept, with the reason.
    /// let Detail::Other(other) = Detail::from_binary("google.rpc.RetryInfo", &[0xff]) else {
    ///     panic!("invalid bytes must not decode");
    /// };
    /// assert_eq!(other.value.as_deref(), Some(&[0xff][..]));
    /// assert!(other.decode_error.is_some());
    /// ```
    pub fn from_binary(type_name: &str, value: &[u8]) -> Detail {
        let type_name = strip_type_url(type_name);
        match decode_binary(type_name, value) {
            Some(Ok(detail)) => detail,
            Some(Err(error)) => Detail::Other(OtherDetail {
                type_name: type_name.to_string(),
                value: Some(value.to_vec()),
                json: None,
                decode_error: Some(error.to_string()),
            }),
            None => Detail::Other(OtherDetail {
                type_name: type_name.to_string(),
                value: Some(value.to_vec()),
                json: None,
                decode_error: None,
            }),
        }
    }

    /// Decodes a detail in the proto3 JSON form of `google.protobuf.Any`:
    /// an object with `@type` and the fields of the message.
    ///
    /// ```
    /// use cwsandbox_control::connect::Detail;
    /// use serde_json::json;
    ///
    /// let json = json!({
    ///     "@type": "type.googleapis.com/google.rpc.BadRequest",
    ///     "fieldViolations": [{"field": "runner.identity.zone", "description": "required"}],
    /// });
    /// let Detail::BadRequest(request) = Detail::from_any_json(&json) else {
    ///     panic!("google.rpc.BadRequest decodes");
    /// };
    /// assert_eq!(request.field_violations[0].field, "runner.identity.zone");
    /// ```
    pub fn from_any_json(value: &Value) -> Detail {
        let Some(object) = value.as_object() else {
            return other_json("", value, Some("the detail is not a JSON object".into()));
        };
        let Some(type_url) = object.get("@type").and_then(Value::as_str) else {
            return other_json("", value, Some("the detail has no @type".into()));
        };
        let type_name = strip_type_url(type_url);
        let mut fields = object.clone();
        fields.remove("@type");
        match decode_json(type_name, Value::Object(fields)) {
            Some(Ok(detail)) => detail,
            Some(Err(error)) => other_json(type_name, value, Some(error)),
            None => other_json(type_name, value, None),
        }
    }

    /// Decodes a Connect error detail: `{"type", "value", "debug"}`, where
    /// `value` is base64 (standard or URL-safe, padded or not) of the binary
    /// message.
    ///
    /// ```
    /// use base64::Engine as _;
    /// use cwsandbox_control::connect::Detail;
    /// use cwsandbox_control::rpc::ErrorInfo;
    /// use prost::Message as _;
    /// use serde_json::json;
    ///
    /// let info = ErrorInfo { reason: "STOCKOUT".into(), ..ErrorInfo::default() };
    /// let value = base64::engine::general_purpose::STANDARD_NO_PAD.encode(info.encode_to_vec());
    /// let json = json!({"type": "google.rpc.ErrorInfo", "value": value});
    /// assert_eq!(Detail::from_connect_json(&json), Detail::ErrorInfo(info));
    /// ```
    pub fn from_connect_json(value: &Value) -> Detail {
        let type_name = value.get("type").and_then(Value::as_str).unwrap_or("");
        let debug = value.get("debug").cloned();
        let Some(encoded) = value.get("value").and_then(Value::as_str) else {
            let json = debug.unwrap_or_else(|| value.clone());
            let reason = Some("the detail has no base64 value".to_string());
            return other_json(strip_type_url(type_name), &json, reason);
        };
        match decode_base64_lenient(encoded) {
            Ok(bytes) => match Detail::from_binary(type_name, &bytes) {
                Detail::Other(mut other) => {
                    other.json = debug;
                    Detail::Other(other)
                }
                detail => detail,
            },
            Err(error) => {
                let json = debug.unwrap_or_else(|| value.clone());
                let reason = Some(format!("the detail value is not base64: {error}"));
                other_json(strip_type_url(type_name), &json, reason)
            }
        }
    }
}

fn other_json(type_name: &str, json: &Value, decode_error: Option<String>) -> Detail {
    Detail::Other(OtherDetail {
        type_name: type_name.to_string(),
        value: None,
        json: Some(json.clone()),
        decode_error,
    })
}

/// Removes the `type.googleapis.com/` (or any host and path) prefix of a type URL.
fn strip_type_url(type_url: &str) -> &str {
    type_url.rsplit('/').next().unwrap_or(type_url)
}

fn decode_binary(type_name: &str, value: &[u8]) -> Option<Result<Detail, prost::DecodeError>> {
    use prost::Message as _;

    let detail = match type_name {
        "google.rpc.ErrorInfo" => rpc::ErrorInfo::decode(value).map(Detail::ErrorInfo),
        "google.rpc.RetryInfo" => rpc::RetryInfo::decode(value).map(Detail::RetryInfo),
        "google.rpc.BadRequest" => rpc::BadRequest::decode(value).map(Detail::BadRequest),
        "google.rpc.PreconditionFailure" => {
            rpc::PreconditionFailure::decode(value).map(Detail::PreconditionFailure)
        }
        "google.rpc.QuotaFailure" => rpc::QuotaFailure::decode(value).map(Detail::QuotaFailure),
        "google.rpc.ResourceInfo" => rpc::ResourceInfo::decode(value).map(Detail::ResourceInfo),
        "google.rpc.RequestInfo" => rpc::RequestInfo::decode(value).map(Detail::RequestInfo),
        "google.rpc.DebugInfo" => rpc::DebugInfo::decode(value).map(Detail::DebugInfo),
        "google.rpc.Help" => rpc::Help::decode(value).map(Detail::Help),
        "google.rpc.LocalizedMessage" => {
            rpc::LocalizedMessage::decode(value).map(Detail::LocalizedMessage)
        }
        _ => return None,
    };
    Some(detail)
}

fn decode_json(type_name: &str, fields: Value) -> Option<Result<Detail, String>> {
    fn parse<T: serde::de::DeserializeOwned>(fields: Value) -> Result<T, String> {
        serde_json::from_value(fields).map_err(|error| error.to_string())
    }

    let detail = match type_name {
        "google.rpc.ErrorInfo" => parse(fields).map(Detail::ErrorInfo),
        "google.rpc.RetryInfo" => parse_retry_info(fields).map(Detail::RetryInfo),
        "google.rpc.BadRequest" => parse(fields).map(Detail::BadRequest),
        "google.rpc.PreconditionFailure" => parse(fields).map(Detail::PreconditionFailure),
        "google.rpc.QuotaFailure" => parse(fields).map(Detail::QuotaFailure),
        "google.rpc.ResourceInfo" => parse(fields).map(Detail::ResourceInfo),
        "google.rpc.RequestInfo" => parse(fields).map(Detail::RequestInfo),
        "google.rpc.DebugInfo" => parse(fields).map(Detail::DebugInfo),
        "google.rpc.Help" => parse(fields).map(Detail::Help),
        "google.rpc.LocalizedMessage" => parse(fields).map(Detail::LocalizedMessage),
        _ => return None,
    };
    Some(detail)
}

/// Parses RetryInfo JSON. The delay is read here, from its proto3 JSON
/// string form (`"1.500s"`), so it does not depend on how the Duration type
/// implements serde.
fn parse_retry_info(fields: Value) -> Result<rpc::RetryInfo, String> {
    match fields
        .get("retryDelay")
        .or_else(|| fields.get("retry_delay"))
    {
        None | Some(Value::Null) => Ok(rpc::RetryInfo { retry_delay: None }),
        Some(Value::String(text)) => {
            let delay = parse_json_duration(text)
                .ok_or_else(|| format!("invalid duration {text:?} in retryDelay"))?;
            Ok(rpc::RetryInfo {
                retry_delay: Some(delay),
            })
        }
        Some(other) => Err(format!(
            "retryDelay must be a duration string such as \"1.5s\", found {other}"
        )),
    }
}

/// Parses the proto3 JSON form of a Duration: decimal seconds with an `s`
/// suffix and up to nine fractional digits, such as `-1.500s`.
pub(crate) fn parse_json_duration(text: &str) -> Option<wkt::Duration> {
    let number = text.strip_suffix('s')?;
    let (negative, number) = match number.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, number),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 9 {
        return None;
    }
    let seconds: i64 = whole.parse().ok()?;
    let nanos: i32 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<9}").parse().ok()?
    };
    let sign = if negative { -1 } else { 1 };
    Some(wkt::Duration {
        seconds: seconds.checked_mul(sign)?,
        nanos: nanos * sign as i32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_durations_parse() {
        let cases = [
            ("1.500s", 1, 500_000_000),
            ("3s", 3, 0),
            ("0.000000001s", 0, 1),
            ("-2.5s", -2, -500_000_000),
        ];
        for (text, seconds, nanos) in cases {
            let duration = parse_json_duration(text).unwrap();
            assert_eq!(
                (duration.seconds, duration.nanos),
                (seconds, nanos),
                "{text}"
            );
        }
        for text in ["", "s", "1", "1.s5", "1.0000000001s", "x1s", "1.5 s"] {
            assert!(parse_json_duration(text).is_none(), "{text}");
        }
    }

    #[test]
    fn unknown_binary_type_is_kept() {
        let detail = Detail::from_binary("type.googleapis.com/acme.v1.Hint", b"\x08\x01");
        let Detail::Other(other) = detail else {
            panic!("expected Other, got {detail:?}");
        };
        assert_eq!(other.type_name, "acme.v1.Hint");
        assert_eq!(other.value.as_deref(), Some(&b"\x08\x01"[..]));
        assert_eq!(other.decode_error, None);
    }

    #[test]
    fn invalid_binary_is_kept_with_reason() {
        let detail = Detail::from_binary("google.rpc.ErrorInfo", b"\xff\xff\xff");
        let Detail::Other(other) = detail else {
            panic!("expected Other, got {detail:?}");
        };
        assert!(other.decode_error.is_some());
    }

    #[test]
    fn connect_detail_with_bad_base64_is_kept() {
        let detail = Detail::from_connect_json(&json!({
            "type": "google.rpc.ErrorInfo",
            "value": "!!!",
            "debug": {"reason": "X"}
        }));
        let Detail::Other(other) = detail else {
            panic!("expected Other, got {detail:?}");
        };
        assert_eq!(other.json, Some(json!({"reason": "X"})));
        assert!(other.decode_error.unwrap().contains("base64"));
    }

    #[test]
    fn any_json_without_type_is_kept() {
        let detail = Detail::from_any_json(&json!({"reason": "X"}));
        assert!(matches!(detail, Detail::Other(_)));
        let detail = Detail::from_any_json(&json!("text"));
        assert!(matches!(detail, Detail::Other(_)));
    }

    #[test]
    fn any_json_error_info_decodes() {
        let detail = Detail::from_any_json(&json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "R",
            "domain": "d",
            "metadata": {"k": "v"}
        }));
        let Detail::ErrorInfo(info) = detail else {
            panic!("expected ErrorInfo, got {detail:?}");
        };
        assert_eq!(info.reason, "R");
        assert_eq!(info.metadata.get("k").map(String::as_str), Some("v"));
    }
}
