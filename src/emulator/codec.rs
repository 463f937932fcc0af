//! Request decoding and response encoding for the JSON and binary codecs.
//!
//! JSON goes through the generated proto3 JSON serde of the messages, plus
//! three steps the emulator does itself so its wire form is exact. It reads
//! the update mask (one comma-separated string) here. It checks timestamps
//! and writes them as RFC 3339. Runners always carry `installStatus` and
//! `connectionStatus`, which proto3 JSON would omit when they are zero.

use std::sync::OnceLock;

use prost::Message;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::error::{ApiError, Violation, reason};
use super::routes::Method;
use super::timefmt::{format_rfc3339, parse_rfc3339};
use crate::v1beta2::{
    ApplyManagedRunnerUpdateRequest, CreateManagedRunnerRequest, CreateProfileTemplateRequest,
    DeleteManagedRunnerRequest, DeleteProfileTemplateRequest, GetProfileTemplateRequest,
    GetRunnerRequest, ListManagedRunnersRequest, ListManagedRunnersResponse,
    ListProfileTemplatesRequest, ListProfileTemplatesResponse, ProfileTemplate, ReleaseChannel,
    Runner, RunnerConnectionStatus, RunnerInstallStatus, UpdateManagedRunnerRequest,
    UpdateProfileTemplateRequest,
};
use crate::wkt::{FieldMask, Timestamp};

/// Message encoding of a request or response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    Json,
    Proto,
}

/// A decoded request of one method.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Call {
    CreateProfileTemplate(CreateProfileTemplateRequest),
    GetProfileTemplate(GetProfileTemplateRequest),
    ListProfileTemplates(ListProfileTemplatesRequest),
    UpdateProfileTemplate(UpdateProfileTemplateRequest),
    DeleteProfileTemplate(DeleteProfileTemplateRequest),
    CreateManagedRunner(CreateManagedRunnerRequest),
    GetRunner(GetRunnerRequest),
    ListManagedRunners(ListManagedRunnersRequest),
    UpdateManagedRunner(UpdateManagedRunnerRequest),
    DeleteManagedRunner(DeleteManagedRunnerRequest),
    ApplyManagedRunnerUpdate(ApplyManagedRunnerUpdateRequest),
}

/// A successful response.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reply {
    Template(Box<ProfileTemplate>),
    Templates(ListProfileTemplatesResponse),
    Runner(Box<Runner>),
    Runners(ListManagedRunnersResponse),
    Empty,
}

/// Decodes the body of a call to `method`. An empty body is the empty message.
pub(crate) fn decode_call(
    method: Method,
    codec: Codec,
    body: &[u8],
    max_depth: usize,
) -> Result<Call, ApiError> {
    match codec {
        Codec::Proto => decode_proto_call(method, body),
        Codec::Json => {
            let value = parse_json(body, max_depth)?;
            decode_json_call(method, value)
        }
    }
}

fn decode_proto_call(method: Method, body: &[u8]) -> Result<Call, ApiError> {
    fn decode<M: Message + Default>(method: Method, body: &[u8]) -> Result<M, ApiError> {
        M::decode(body).map_err(|error| {
            malformed(format!(
                "request body is not a valid binary {}Request: {error}",
                method.name()
            ))
        })
    }
    Ok(match method {
        Method::CreateProfileTemplate => Call::CreateProfileTemplate(decode(method, body)?),
        Method::GetProfileTemplate => Call::GetProfileTemplate(decode(method, body)?),
        Method::ListProfileTemplates => Call::ListProfileTemplates(decode(method, body)?),
        Method::UpdateProfileTemplate => Call::UpdateProfileTemplate(decode(method, body)?),
        Method::DeleteProfileTemplate => Call::DeleteProfileTemplate(decode(method, body)?),
        Method::CreateManagedRunner => Call::CreateManagedRunner(decode(method, body)?),
        Method::GetRunner => Call::GetRunner(decode(method, body)?),
        Method::ListManagedRunners => Call::ListManagedRunners(decode(method, body)?),
        Method::UpdateManagedRunner => Call::UpdateManagedRunner(decode(method, body)?),
        Method::DeleteManagedRunner => Call::DeleteManagedRunner(decode(method, body)?),
        Method::ApplyManagedRunnerUpdate => Call::ApplyManagedRunnerUpdate(decode(method, body)?),
    })
}

/// Parses a JSON request body into an object, bounding its nesting depth.
pub(crate) fn parse_json(body: &[u8], max_depth: usize) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|error| malformed(format!("request body is not valid JSON: {error}")))?;
    if depth(&value) > max_depth {
        return Err(malformed(format!(
            "request body nests deeper than {max_depth} levels"
        )));
    }
    if !value.is_object() {
        return Err(malformed("request body must be a JSON object".to_string()));
    }
    Ok(value)
}

/// Nesting depth of a JSON value: 1 for a scalar, one more per array or object level.
pub(crate) fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(fields) => 1 + fields.values().map(depth).max().unwrap_or(0),
        _ => 1,
    }
}

fn malformed(message: String) -> ApiError {
    ApiError::new(
        crate::rpc::Code::InvalidArgument,
        reason::MALFORMED_REQUEST,
        message,
    )
}

fn decode_json_call(method: Method, mut value: Value) -> Result<Call, ApiError> {
    let mut violations = Vec::new();
    let mask = match method {
        Method::UpdateProfileTemplate | Method::UpdateManagedRunner => {
            take_update_mask(&mut value, &mut violations)
        }
        _ => None,
    };
    for_each_field(
        &mut value,
        &["profileTemplate", "profile_template"],
        |template| {
            visit_template_timestamps(template, "profile_template", &mut |v, path| {
                check_timestamp(v, path, &mut violations);
            });
        },
    );
    for_each_field(&mut value, &["runner"], |runner| {
        visit_runner_timestamps(runner, "runner", &mut |v, path| {
            check_timestamp(v, path, &mut violations);
        });
        check_release_channel(runner, &mut violations);
    });
    if !violations.is_empty() {
        return Err(ApiError::invalid(violations));
    }

    fn decode<T: DeserializeOwned>(method: Method, value: Value) -> Result<T, ApiError> {
        serde_json::from_value(value).map_err(|error| {
            malformed(format!(
                "request body does not match {}Request: {error}",
                method.name()
            ))
        })
    }
    Ok(match method {
        Method::CreateProfileTemplate => Call::CreateProfileTemplate(decode(method, value)?),
        Method::GetProfileTemplate => Call::GetProfileTemplate(decode(method, value)?),
        Method::ListProfileTemplates => Call::ListProfileTemplates(decode(method, value)?),
        Method::UpdateProfileTemplate => {
            let mut request: UpdateProfileTemplateRequest = decode(method, value)?;
            request.update_mask = mask;
            Call::UpdateProfileTemplate(request)
        }
        Method::DeleteProfileTemplate => Call::DeleteProfileTemplate(decode(method, value)?),
        Method::CreateManagedRunner => Call::CreateManagedRunner(decode(method, value)?),
        Method::GetRunner => Call::GetRunner(decode(method, value)?),
        Method::ListManagedRunners => Call::ListManagedRunners(decode(method, value)?),
        Method::UpdateManagedRunner => {
            let mut request: UpdateManagedRunnerRequest = decode(method, value)?;
            request.update_mask = mask;
            Call::UpdateManagedRunner(request)
        }
        Method::DeleteManagedRunner => Call::DeleteManagedRunner(decode(method, value)?),
        Method::ApplyManagedRunnerUpdate => Call::ApplyManagedRunnerUpdate(decode(method, value)?),
    })
}

/// Removes `updateMask` from a request object and splits it into paths.
fn take_update_mask(value: &mut Value, violations: &mut Vec<Violation>) -> Option<FieldMask> {
    let fields = value.as_object_mut()?;
    let mask = fields
        .remove("updateMask")
        .or_else(|| fields.remove("update_mask"))?;
    match mask {
        Value::Null => None,
        Value::String(text) => Some(FieldMask {
            paths: text
                .split(',')
                .map(str::trim)
                .filter(|path| !path.is_empty())
                .map(str::to_string)
                .collect(),
        }),
        _ => {
            violations.push(
                Violation::new(
                    "update_mask",
                    "must be one string of comma-separated paths, such as \"description,labels\"",
                )
                .with_reason(reason::INVALID_UPDATE_MASK),
            );
            None
        }
    }
}

/// Calls `visit` on each field of `value` whose key is one of `names`.
fn for_each_field(value: &mut Value, names: &[&str], mut visit: impl FnMut(&mut Value)) {
    if let Value::Object(fields) = value {
        for (key, field) in fields.iter_mut() {
            if names.contains(&key.as_str()) {
                visit(field);
            }
        }
    }
}

type TimestampVisitor<'a> = dyn FnMut(&mut Value, String) + 'a;

fn visit_fields(
    value: &mut Value,
    prefix: &str,
    fields: &[(&str, &str)],
    visit: &mut TimestampVisitor<'_>,
) {
    for (camel, snake) in fields {
        for_each_field(value, &[camel, snake], |field| {
            visit(field, format!("{prefix}.{snake}"));
        });
    }
}

fn visit_template_timestamps(template: &mut Value, prefix: &str, visit: &mut TimestampVisitor<'_>) {
    visit_fields(
        template,
        prefix,
        &[("createdAt", "created_at"), ("updatedAt", "updated_at")],
        visit,
    );
}

fn visit_runner_timestamps(runner: &mut Value, prefix: &str, visit: &mut TimestampVisitor<'_>) {
    visit_fields(
        runner,
        prefix,
        &[
            ("createdAt", "created_at"),
            ("updatedAt", "updated_at"),
            ("lastHeartbeatAt", "last_heartbeat_at"),
        ],
        visit,
    );
    for_each_field(runner, &["installError", "install_error"], |error| {
        let prefix = format!("{prefix}.install_error");
        visit_fields(error, &prefix, &[("occurredAt", "occurred_at")], visit);
    });
    for_each_field(runner, &["managedSpec", "managed_spec"], |spec| {
        for_each_field(
            spec,
            &["maintenancePolicy", "maintenance_policy"],
            |policy| {
                for_each_field(policy, &["exclusions"], |exclusions| {
                    if let Value::Array(items) = exclusions {
                        for (index, item) in items.iter_mut().enumerate() {
                            let prefix = format!(
                                "{prefix}.managed_spec.maintenance_policy.exclusions[{index}]"
                            );
                            visit_fields(
                                item,
                                &prefix,
                                &[("startTime", "start_time"), ("endTime", "end_time")],
                                visit,
                            );
                        }
                    }
                });
            },
        );
    });
}

/// Returns whether the `Timestamp` serde reads and writes RFC 3339 text. When it does
/// not, the emulator converts between the text and the serde's object form.
fn timestamps_are_text() -> bool {
    static TEXT: OnceLock<bool> = OnceLock::new();
    *TEXT.get_or_init(|| {
        serde_json::to_value(Timestamp::default()).is_ok_and(|value| value.is_string())
    })
}

/// Checks one timestamp of a request and puts it in the form the serde reads.
fn check_timestamp(value: &mut Value, path: String, violations: &mut Vec<Violation>) {
    match value {
        Value::Null => {}
        Value::String(text) => match parse_rfc3339(text) {
            Ok((seconds, nanos)) if !timestamps_are_text() => {
                *value = serde_json::json!({ "seconds": seconds, "nanos": nanos });
            }
            Ok(_) => {}
            Err(message) => violations.push(Violation::new(path, message)),
        },
        _ => violations.push(Violation::new(
            path,
            "must be an RFC 3339 timestamp string such as \"2026-12-20T00:00:00Z\"",
        )),
    }
}

/// Rejects release channel names and numbers that the enum does not define;
/// the generated serde would read them as UNSPECIFIED.
fn check_release_channel(runner: &mut Value, violations: &mut Vec<Violation>) {
    for_each_field(runner, &["managedSpec", "managed_spec"], |spec| {
        for_each_field(spec, &["releaseChannel", "release_channel"], |channel| {
            let known = match channel {
                Value::Null => true,
                Value::String(name) => ReleaseChannel::from_str_name(name).is_some(),
                Value::Number(number) => number
                    .as_i64()
                    .and_then(|n| i32::try_from(n).ok())
                    .is_some_and(|n| ReleaseChannel::try_from(n).is_ok()),
                _ => false,
            };
            if !known {
                violations.push(Violation::new(
                    "runner.managed_spec.release_channel",
                    format!(
                        "unknown release channel {channel}; use RELEASE_CHANNEL_STABLE or RELEASE_CHANNEL_RAPID"
                    ),
                ));
            }
        });
    });
}

/// Encodes a successful response.
pub(crate) fn encode_reply(reply: &Reply, codec: Codec) -> Vec<u8> {
    match codec {
        Codec::Proto => match reply {
            Reply::Template(template) => template.encode_to_vec(),
            Reply::Templates(page) => page.encode_to_vec(),
            Reply::Runner(runner) => runner.encode_to_vec(),
            Reply::Runners(page) => page.encode_to_vec(),
            Reply::Empty => Vec::new(),
        },
        Codec::Json => {
            let value = reply_json(reply);
            serde_json::to_vec(&value).unwrap_or_else(|_| b"{}".to_vec())
        }
    }
}

/// Builds the proto3 JSON form of a response, with RFC 3339 timestamps and statuses.
pub(crate) fn reply_json(reply: &Reply) -> Value {
    match reply {
        Reply::Template(template) => template_json(template),
        Reply::Runner(runner) => runner_json(runner),
        Reply::Templates(page) => {
            let mut object = Map::new();
            if !page.profile_templates.is_empty() {
                let items = page.profile_templates.iter().map(template_json).collect();
                object.insert("profileTemplates".into(), Value::Array(items));
            }
            if !page.next_page_token.is_empty() {
                object.insert("nextPageToken".into(), page.next_page_token.clone().into());
            }
            Value::Object(object)
        }
        Reply::Runners(page) => {
            let mut object = Map::new();
            if !page.runners.is_empty() {
                let items = page.runners.iter().map(runner_json).collect();
                object.insert("runners".into(), Value::Array(items));
            }
            if !page.next_page_token.is_empty() {
                object.insert("nextPageToken".into(), page.next_page_token.clone().into());
            }
            Value::Object(object)
        }
        Reply::Empty => Value::Object(Map::new()),
    }
}

fn template_json(template: &ProfileTemplate) -> Value {
    let mut value = serde_json::to_value(template).unwrap_or_else(|_| Value::Object(Map::new()));
    visit_template_timestamps(&mut value, "", &mut |v, _| format_timestamp(v));
    value
}

fn runner_json(runner: &Runner) -> Value {
    let mut value = serde_json::to_value(runner).unwrap_or_else(|_| Value::Object(Map::new()));
    visit_runner_timestamps(&mut value, "", &mut |v, _| format_timestamp(v));
    if let Value::Object(fields) = &mut value {
        let install = RunnerInstallStatus::try_from(runner.install_status)
            .unwrap_or(RunnerInstallStatus::Unspecified);
        let connection = RunnerConnectionStatus::try_from(runner.connection_status)
            .unwrap_or(RunnerConnectionStatus::Unspecified);
        fields
            .entry("installStatus")
            .or_insert_with(|| install.as_str_name().into());
        fields
            .entry("connectionStatus")
            .or_insert_with(|| connection.as_str_name().into());
    }
    value
}

/// Rewrites a timestamp in the object form of the serde as RFC 3339 text.
fn format_timestamp(value: &mut Value) {
    if let Value::Object(fields) = value {
        let seconds = fields.get("seconds").and_then(Value::as_i64).unwrap_or(0);
        let nanos = fields
            .get("nanos")
            .and_then(Value::as_i64)
            .and_then(|n| i32::try_from(n).ok())
            .unwrap_or(0);
        *value = Value::String(format_rfc3339(seconds, nanos));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_levels() {
        assert_eq!(depth(&serde_json::json!(1)), 1);
        assert_eq!(depth(&serde_json::json!({"a": [1]})), 3);
    }

    #[test]
    fn deep_json_is_rejected() {
        let body = format!("{}{}", "[".repeat(40), "]".repeat(40));
        let error = parse_json(body.as_bytes(), 32).expect_err("too deep");
        assert_eq!(error.reason, reason::MALFORMED_REQUEST);
    }

    #[test]
    fn update_mask_is_split() {
        let body = br#"{"profileTemplate": {"id": "x"}, "updateMask": "description,spec"}"#;
        let call = decode_call(Method::UpdateProfileTemplate, Codec::Json, body, 64).expect("call");
        let Call::UpdateProfileTemplate(request) = call else {
            panic!("wrong call {call:?}");
        };
        let mask = request.update_mask.expect("mask");
        assert_eq!(mask.paths, ["description", "spec"]);
    }

    #[test]
    fn bad_timestamp_names_its_path() {
        let body = br#"{"runner": {"managedSpec": {"maintenancePolicy": {"exclusions": [{"startTime": "tomorrow"}]}}}}"#;
        let error =
            decode_call(Method::CreateManagedRunner, Codec::Json, body, 64).expect_err("bad");
        assert_eq!(
            error.violations[0].field,
            "runner.managed_spec.maintenance_policy.exclusions[0].start_time"
        );
    }

    #[test]
    fn runner_json_always_has_statuses() {
        let value = runner_json(&Runner::default());
        assert_eq!(value["installStatus"], "RUNNER_INSTALL_STATUS_UNSPECIFIED");
        assert_eq!(
            value["connectionStatus"],
            "RUNNER_CONNECTION_STATUS_UNSPECIFIED"
        );
    }

    #[test]
    fn timestamps_print_as_rfc3339() {
        let template = ProfileTemplate {
            created_at: Some(Timestamp {
                seconds: 1_797_724_800,
                nanos: 0,
            }),
            ..ProfileTemplate::default()
        };
        assert_eq!(
            template_json(&template)["createdAt"],
            "2026-12-20T00:00:00Z"
        );
    }
}
