//! Strict checking of input documents against the compiled message descriptors.
//!
//! The generated proto3 JSON decoders skip unknown fields, which is right for
//! responses from a newer server but hides typos in a file a person wrote.
//! This pass walks a JSON value next to the message descriptor, rejects
//! unknown fields and values of the wrong type with the JSON path of the
//! value, and renames proto (snake_case) field names to their JSON names.
//! Map keys are left as they are.

use std::sync::OnceLock;

use prost_reflect::{DescriptorPool, FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Map, Value};

static DESCRIPTORS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/file_descriptor_set.bin"));

/// A value of an input document that does not fit its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SchemaError {
    /// The JSON path of the value, such as `runner.profileBindings[0].isDefault`.
    pub(crate) path: String,
    /// The problem, with what the message expects in its place.
    pub(crate) problem: String,
}

fn pool() -> Option<&'static DescriptorPool> {
    static POOL: OnceLock<Option<DescriptorPool>> = OnceLock::new();
    POOL.get_or_init(|| DescriptorPool::decode(DESCRIPTORS).ok())
        .as_ref()
}

/// Checks `value` against the message `full_name` and returns it with every
/// field under its JSON name.
pub(crate) fn normalize(full_name: &str, value: &Value, path: &str) -> Result<Value, SchemaError> {
    let Some(message) = pool().and_then(|pool| pool.get_message_by_name(full_name)) else {
        return Err(SchemaError {
            path: path.to_string(),
            problem: format!("no descriptor for message {full_name} is compiled in"),
        });
    };
    normalize_message(&message, value, path)
}

fn normalize_message(
    message: &MessageDescriptor,
    value: &Value,
    path: &str,
) -> Result<Value, SchemaError> {
    if let Some(result) = normalize_well_known(message, value, path) {
        return result;
    }
    let Value::Object(object) = value else {
        return Err(wrong_type(path, "an object", value));
    };

    let mut output = Map::new();
    for (key, field_value) in object {
        let child = join(path, key);
        let field = message
            .get_field_by_json_name(key)
            .or_else(|| message.get_field_by_name(key))
            .ok_or_else(|| unknown_field(message, &child))?;
        if output.contains_key(field.json_name()) {
            return Err(SchemaError {
                path: child,
                problem: format!(
                    "duplicate field: `{}` and `{}` name the same field",
                    field.name(),
                    field.json_name()
                ),
            });
        }
        let normalized = normalize_field(&field, field_value, &child)?;
        output.insert(field.json_name().to_string(), normalized);
    }
    Ok(Value::Object(output))
}

/// Checks the well-known types that have a JSON form of their own.
fn normalize_well_known(
    message: &MessageDescriptor,
    value: &Value,
    path: &str,
) -> Option<Result<Value, SchemaError>> {
    let expected = match message.full_name() {
        "google.protobuf.Timestamp" => "an RFC 3339 timestamp string such as 2026-01-31T12:00:00Z",
        "google.protobuf.Duration" => "a duration string such as 1.5s",
        "google.protobuf.FieldMask" => "a string of comma-separated field paths",
        "google.protobuf.Any" => return Some(Ok(value.clone())),
        _ => return None,
    };
    Some(match value {
        Value::Null => Ok(Value::Null),
        Value::String(text) => {
            check_well_known_text(message.full_name(), text, expected, path).map(|()| value.clone())
        }
        _ => Err(wrong_type(path, expected, value)),
    })
}

/// Parses the text of a Timestamp, Duration or FieldMask with the crate's own parser.
fn check_well_known_text(
    full_name: &str,
    text: &str,
    expected: &str,
    path: &str,
) -> Result<(), SchemaError> {
    let parsed = match full_name {
        "google.protobuf.Timestamp" => text.parse::<crate::wkt::Timestamp>().map(drop),
        "google.protobuf.Duration" => text.parse::<crate::wkt::Duration>().map(drop),
        _ => text.parse::<crate::wkt::FieldMask>().map(drop),
    };
    parsed.map_err(|error| SchemaError {
        path: path.to_string(),
        problem: format!("invalid value {text:?}: expected {expected}: {error}"),
    })
}

fn normalize_field(
    field: &FieldDescriptor,
    value: &Value,
    path: &str,
) -> Result<Value, SchemaError> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    if field.is_map() {
        let Kind::Message(entry) = field.kind() else {
            return Ok(value.clone());
        };
        let Value::Object(object) = value else {
            return Err(wrong_type(path, "an object of key-value pairs", value));
        };
        let value_field = entry.map_entry_value_field();
        let mut output = Map::new();
        for (key, item) in object {
            let child = format!("{path}.{key}");
            output.insert(key.clone(), normalize_single(&value_field, item, &child)?);
        }
        return Ok(Value::Object(output));
    }
    if field.is_list() {
        let Value::Array(items) = value else {
            return Err(wrong_type(path, "a list", value));
        };
        let normalized = items
            .iter()
            .enumerate()
            .map(|(index, item)| normalize_single(field, item, &format!("{path}[{index}]")))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Value::Array(normalized));
    }
    normalize_single(field, value, path)
}

/// Checks one value of a field: a singular value, a list item or a map value.
fn normalize_single(
    field: &FieldDescriptor,
    value: &Value,
    path: &str,
) -> Result<Value, SchemaError> {
    match field.kind() {
        Kind::Message(message) => normalize_message(&message, value, path),
        Kind::Enum(enumeration) => {
            let known = match value {
                Value::String(name) => enumeration.get_value_by_name(name).is_some(),
                Value::Number(number) => number.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                _ => false,
            };
            if known {
                Ok(value.clone())
            } else {
                let names: Vec<String> = enumeration
                    .values()
                    .map(|known| known.name().to_string())
                    .collect();
                Err(SchemaError {
                    path: path.to_string(),
                    problem: format!(
                        "invalid value {}: expected one of {}",
                        value,
                        names.join(", ")
                    ),
                })
            }
        }
        Kind::String => match value {
            Value::String(_) => Ok(value.clone()),
            _ => Err(wrong_type(path, "a string (quote the value)", value)),
        },
        Kind::Bytes => match value {
            Value::String(_) => Ok(value.clone()),
            _ => Err(wrong_type(path, "a base64 string", value)),
        },
        Kind::Bool => match value {
            Value::Bool(_) => Ok(value.clone()),
            _ => Err(wrong_type(path, "true or false", value)),
        },
        Kind::Float | Kind::Double => match value {
            Value::Number(_) => Ok(value.clone()),
            Value::String(text) if text.parse::<f64>().is_ok() => Ok(value.clone()),
            _ => Err(wrong_type(path, "a number", value)),
        },
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            integer(value, path, i32::MIN.into(), i32::MAX.into())
        }
        Kind::Uint32 | Kind::Fixed32 => integer(value, path, 0, u32::MAX.into()),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            integer(value, path, i64::MIN.into(), i64::MAX.into())
        }
        Kind::Uint64 | Kind::Fixed64 => integer(value, path, 0, u64::MAX.into()),
    }
}

/// Accepts an integer in `[min, max]`, as a JSON number or a decimal string.
fn integer(value: &Value, path: &str, min: i128, max: i128) -> Result<Value, SchemaError> {
    let parsed = match value {
        Value::Number(number) => number
            .as_i64()
            .map(i128::from)
            .or_else(|| number.as_u64().map(i128::from))
            .or_else(|| {
                number
                    .as_f64()
                    .filter(|float| float.fract() == 0.0 && float.abs() < 9.0e15)
                    .map(|float| float as i128)
            }),
        Value::String(text) => text.trim().parse::<i128>().ok(),
        _ => None,
    };
    match parsed {
        Some(number) if (min..=max).contains(&number) => Ok(value.clone()),
        Some(_) => Err(SchemaError {
            path: path.to_string(),
            problem: format!("{value} is out of range: expected an integer from {min} to {max}"),
        }),
        None => Err(wrong_type(path, "an integer", value)),
    }
}

fn unknown_field(message: &MessageDescriptor, path: &str) -> SchemaError {
    let names: Vec<String> = message
        .fields()
        .map(|field| field.json_name().to_string())
        .collect();
    SchemaError {
        path: path.to_string(),
        problem: format!(
            "unknown field: {} has the fields {}",
            message.name(),
            names.join(", ")
        ),
    }
}

fn wrong_type(path: &str, expected: &str, value: &Value) -> SchemaError {
    SchemaError {
        path: path.to_string(),
        problem: format!("wrong type: expected {expected}, found {}", describe(value)),
    }
}

/// Describes a JSON value for an error message: its kind and a short excerpt.
pub(crate) fn describe(value: &Value) -> String {
    let text = value.to_string();
    let excerpt = if text.chars().count() > 40 {
        format!("{}...", text.chars().take(40).collect::<String>())
    } else {
        text
    };
    let kind = match value {
        Value::Null => return "null".to_string(),
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    };
    format!("{kind} {excerpt}")
}

/// Joins a JSON path and a field name.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const RUNNER: &str = "coreweave.sandbox.v1beta2.Runner";

    #[test]
    fn snake_case_keys_become_json_names() {
        let value = json!({"display_name": "a", "identity": {"cluster_name": "c"},
                           "managed_spec": {"overrides": {"node_selector": {"pool_name": "x"}}}});
        let normalized = normalize(RUNNER, &value, "runner").unwrap();
        assert_eq!(
            normalized,
            json!({"displayName": "a", "identity": {"clusterName": "c"},
                   "managedSpec": {"overrides": {"nodeSelector": {"pool_name": "x"}}}})
        );
    }

    #[test]
    fn unknown_field_names_path_and_fields() {
        let value = json!({"profileBindings": [{"profileTemplateId": "p", "isDefualt": true}]});
        let error = normalize(RUNNER, &value, "runner").unwrap_err();
        assert_eq!(error.path, "runner.profileBindings[0].isDefualt");
        assert!(error.problem.contains("isDefault"), "{}", error.problem);
    }

    #[test]
    fn wrong_type_names_expected_type() {
        let value = json!({"managedSpec": {"overrides": {"scaling": {"minReplicas": "two"}}}});
        let error = normalize(RUNNER, &value, "").unwrap_err();
        assert_eq!(error.path, "managedSpec.overrides.scaling.minReplicas");
        assert_eq!(
            error.problem,
            "wrong type: expected an integer, found a string \"two\""
        );
    }

    #[test]
    fn enum_accepts_names_and_numbers() {
        for channel in [json!("RELEASE_CHANNEL_RAPID"), json!(2)] {
            let value = json!({"managedSpec": {"releaseChannel": channel}});
            assert!(normalize(RUNNER, &value, "").is_ok());
        }
        let value = json!({"managedSpec": {"releaseChannel": "FAST"}});
        let error = normalize(RUNNER, &value, "").unwrap_err();
        assert!(
            error.problem.contains("RELEASE_CHANNEL_STABLE"),
            "{}",
            error.problem
        );
    }

    #[test]
    fn map_values_must_be_strings() {
        let value = json!({"managedSpec": {"overrides": {"env": {"WORKERS": 4}}}});
        let error = normalize(RUNNER, &value, "").unwrap_err();
        assert_eq!(error.path, "managedSpec.overrides.env.WORKERS");
    }

    #[test]
    fn timestamps_and_nulls_pass() {
        let value = json!({"managedSpec": {"maintenancePolicy": {"exclusions": [
            {"startTime": "2026-12-20T00:00:00Z", "endTime": null}]}}, "displayName": null});
        assert!(normalize(RUNNER, &value, "").is_ok());
    }

    #[test]
    fn invalid_timestamp_names_path() {
        let value = json!({"managedSpec": {"maintenancePolicy": {"exclusions": [
            {"startTime": "next tuesday"}]}}});
        let error = normalize(RUNNER, &value, "runner").unwrap_err();
        assert_eq!(
            error.path,
            "runner.managedSpec.maintenancePolicy.exclusions[0].startTime"
        );
        assert!(
            error.problem.starts_with("invalid value \"next tuesday\""),
            "{}",
            error.problem
        );
    }

    #[test]
    fn duplicate_spellings_are_rejected() {
        let value = json!({"displayName": "a", "display_name": "b"});
        let error = normalize(RUNNER, &value, "").unwrap_err();
        assert!(
            error.problem.starts_with("duplicate field"),
            "{}",
            error.problem
        );
    }
}
