//! A JSON value parsed from JSON or YAML text that rejects duplicate keys.
//!
//! serde_json and serde_yaml_ng keep the last of two equal keys when they
//! build a [`Value`], so a second `displayName` in a file would silently win
//! over the first. [`UniqueKeys`] builds the same [`Value`] and fails on the
//! second key instead. The parser adds the line and column to the error.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A value whose objects had no duplicate keys in the text it was parsed from.
pub(crate) struct UniqueKeys(pub(crate) Value);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor).map(UniqueKeys)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON or YAML value")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_i128<E: de::Error>(self, value: i128) -> Result<Value, E> {
        match i64::try_from(value) {
            Ok(small) => self.visit_i64(small),
            Err(_) => Err(E::custom(format!(
                "integer {value} is out of range: a number in a resource file fits in 64 bits"
            ))),
        }
    }

    fn visit_u128<E: de::Error>(self, value: u128) -> Result<Value, E> {
        match u64::try_from(value) {
            Ok(small) => self.visit_u64(small),
            Err(_) => Err(E::custom(format!(
                "integer {value} is out of range: a number in a resource file fits in 64 bits"
            ))),
        }
    }

    // Infinity and NaN have no JSON form; like serde_json's own `Value`,
    // they become null, which the schema check then reports by field.
    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Value, E> {
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_string()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        UniqueKeys::deserialize(deserializer).map(|UniqueKeys(value)| value)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueKeys(item)) = sequence.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "duplicate key {key:?} (remove one of the two)"
                )));
            }
            let UniqueKeys(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Result<Value, String> {
        serde_json::from_str::<UniqueKeys>(text)
            .map(|UniqueKeys(value)| value)
            .map_err(|error| error.to_string())
    }

    fn yaml(text: &str) -> Result<Value, String> {
        serde_yaml_ng::from_str::<UniqueKeys>(text)
            .map(|UniqueKeys(value)| value)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn values_match_serde_json() {
        let text = r#"{"a": [1, -2, 2.5, true, null, "x"], "b": {"c": {}}}"#;
        let expected: Value = serde_json::from_str(text).unwrap();
        assert_eq!(json(text).unwrap(), expected);
        assert_eq!(yaml(text).unwrap(), expected);
    }

    #[test]
    fn json_duplicate_names_key_and_line() {
        let message = json("{\n  \"a\": 1,\n  \"a\": 2\n}").unwrap_err();
        assert!(message.contains(r#"duplicate key "a""#), "{message}");
        assert!(message.contains("line 3"), "{message}");
    }

    #[test]
    fn yaml_nested_duplicate_names_key_and_line() {
        let message = yaml("spec:\n  pod: {}\n  pod: {}\n").unwrap_err();
        assert!(message.contains(r#"duplicate key "pod""#), "{message}");
        assert!(message.contains("line "), "{message}");
    }

    #[test]
    fn equal_keys_in_different_objects_are_fine() {
        assert!(json(r#"{"a": {"x": 1}, "b": {"x": 2}}"#).is_ok());
        assert!(yaml("- x: 1\n- x: 2\n").is_ok());
    }
}
