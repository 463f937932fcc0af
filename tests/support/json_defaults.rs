//! Comparison of JSON values modulo the defaults that proto3 JSON leaves out.

use serde_json::Value;

/// Drops `false`, `0` and empty values, which proto3 JSON does not print.
pub(crate) fn without_defaults(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (key, without_defaults(value)))
                .filter(|(_, value)| !is_default(value))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_defaults).collect()),
        other => other,
    }
}

fn is_default(value: &Value) -> bool {
    match value {
        Value::Bool(flag) => !flag,
        Value::Number(number) => number.as_f64() == Some(0.0),
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Null => true,
        Value::Object(_) => false,
    }
}
