//! Proto3 JSON forms of the well-known types: accepted and rejected inputs, printing, round
//! trips, the Any registry, and property tests that feed the parsers arbitrary text.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use cwsandbox_control::wkt::{
    Any, AnyType, Duration, Empty, FieldMask, Timestamp, find_any_type, register_any_types,
};
use proptest::prelude::*;
use prost::Message;
use serde_json::{Value, json};

/// Seconds of 0001-01-01T00:00:00Z.
const MIN_TIMESTAMP_SECONDS: i64 = -62_135_596_800;
/// Seconds of 9999-12-31T23:59:59Z.
const MAX_TIMESTAMP_SECONDS: i64 = 253_402_300_799;
/// Largest magnitude of Duration seconds.
const MAX_DURATION_SECONDS: i64 = 315_576_000_000;

fn timestamp(seconds: i64, nanos: i32) -> Timestamp {
    Timestamp { seconds, nanos }
}

fn duration(seconds: i64, nanos: i32) -> Duration {
    Duration { seconds, nanos }
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("value serializes to JSON")
}

fn json_error<T: serde::de::DeserializeOwned + std::fmt::Debug>(text: &str) -> String {
    match serde_json::from_str::<T>(text) {
        Ok(value) => panic!("{text} parsed as {value:?}, expected an error"),
        Err(error) => error.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Timestamp

#[test]
fn timestamp_prints_utc_with_shortest_exact_fraction() {
    let cases = [
        (0, 0, "1970-01-01T00:00:00Z"),
        (0, 500_000_000, "1970-01-01T00:00:00.500Z"),
        (0, 10_000, "1970-01-01T00:00:00.000010Z"),
        (0, 1, "1970-01-01T00:00:00.000000001Z"),
        (1_714_566_600, 250_000_000, "2024-05-01T12:30:00.250Z"),
        (1_709_164_800, 0, "2024-02-29T00:00:00Z"),
        (-1, 999_999_999, "1969-12-31T23:59:59.999999999Z"),
        (951_782_400, 0, "2000-02-29T00:00:00Z"),
        (MIN_TIMESTAMP_SECONDS, 0, "0001-01-01T00:00:00Z"),
        (
            MAX_TIMESTAMP_SECONDS,
            999_999_999,
            "9999-12-31T23:59:59.999999999Z",
        ),
    ];
    for (seconds, nanos, expected) in cases {
        let value = timestamp(seconds, nanos);
        assert_eq!(
            to_json(&value),
            format!("\"{expected}\""),
            "{seconds} s {nanos} ns"
        );
        assert_eq!(value.to_string(), expected);
        assert_eq!(value.to_rfc3339().unwrap(), expected);
    }
}

#[test]
fn timestamp_parses_accepted_forms() {
    let cases = [
        ("2024-05-01T12:30:00Z", 1_714_566_600, 0),
        ("2024-05-01t12:30:00Z", 1_714_566_600, 0),
        ("2024-05-01T12:30:00z", 1_714_566_600, 0),
        ("2024-05-01T12:30:00.25Z", 1_714_566_600, 250_000_000),
        ("2024-05-01T12:30:00.1Z", 1_714_566_600, 100_000_000),
        ("2024-05-01T12:30:00.000000001Z", 1_714_566_600, 1),
        ("2024-05-01T12:30:00.123456789Z", 1_714_566_600, 123_456_789),
        ("2024-05-01T14:30:00+02:00", 1_714_566_600, 0),
        ("2024-05-01T07:00:00-05:30", 1_714_566_600, 0),
        ("2024-05-01T12:30:00+00:00", 1_714_566_600, 0),
        ("2024-05-01T12:30:00-00:00", 1_714_566_600, 0),
        ("2024-05-02T00:30:00+12:00", 1_714_566_600, 0),
        ("2024-02-29T00:00:00Z", 1_709_164_800, 0),
        ("2000-02-29T00:00:00Z", 951_782_400, 0),
        ("1969-12-31T23:59:59.999999999Z", -1, 999_999_999),
        ("0001-01-01T00:00:00Z", MIN_TIMESTAMP_SECONDS, 0),
        ("0001-01-01T01:00:00+01:00", MIN_TIMESTAMP_SECONDS, 0),
        ("9999-12-31T23:59:59Z", MAX_TIMESTAMP_SECONDS, 0),
        ("9999-12-31T22:59:59-01:00", MAX_TIMESTAMP_SECONDS, 0),
        (
            "9999-12-31T23:59:59.999999999Z",
            MAX_TIMESTAMP_SECONDS,
            999_999_999,
        ),
        ("2024-05-01T12:30:00+23:59", 1_714_480_260, 0),
    ];
    for (text, seconds, nanos) in cases {
        let expected = timestamp(seconds, nanos);
        let from_json: Timestamp = serde_json::from_str(&format!("\"{text}\"")).unwrap();
        assert_eq!(from_json, expected, "{text}");
        assert_eq!(text.parse::<Timestamp>().unwrap(), expected, "{text}");
    }
}

#[test]
fn timestamp_rejects_invalid_text() {
    let cases = [
        ("", "4-digit year"),
        ("2024-05-01", "followed by 'T'"),
        ("2024-05-01 12:30:00Z", "followed by 'T'"),
        ("24-05-01T12:30:00Z", "4-digit year"),
        ("10000-01-01T00:00:00Z", "YYYY-MM-DD"),
        ("2024-5-01T12:30:00Z", "YYYY-MM-DD"),
        ("2024/05/01T12:30:00Z", "YYYY-MM-DD"),
        ("2024-05-01T1:30:00Z", "hh:mm:ss"),
        ("2024-05-01T12:30Z", "hh:mm:ss"),
        ("2024-05-01T12:30:00", "offset ('Z' or +hh:mm) is missing"),
        ("2024-05-01T12:30:00 Z", "found ' '"),
        ("2024-05-01T12:30:00UTC", "found 'U'"),
        ("2024-05-01T12:30:00+0200", "+hh:mm or -hh:mm"),
        ("2024-05-01T12:30:00+2:00", "+hh:mm or -hh:mm"),
        ("2024-05-01T12:30:00+24:00", "offset 24:00 is out of range"),
        ("2024-05-01T12:30:00+01:60", "offset 01:60 is out of range"),
        ("2024-05-01T12:30:00.Z", "1 to 9 digits"),
        ("2024-05-01T12:30:00.1234567891Z", "has 10 digits"),
        (
            "2024-05-01T12:30:00ZZ",
            "unexpected 'Z' after the UTC offset",
        ),
        (
            "2024-05-01T12:30:00Z ",
            "unexpected ' ' after the UTC offset",
        ),
        (" 2024-05-01T12:30:00Z", "4-digit year"),
        ("0000-12-31T00:00:00Z", "year 0000"),
        ("2024-13-01T00:00:00Z", "month 13"),
        ("2024-00-01T00:00:00Z", "month 00"),
        ("2024-02-30T00:00:00Z", "day 30 does not exist in 2024-02"),
        ("2023-02-29T00:00:00Z", "day 29 does not exist in 2023-02"),
        ("1900-02-29T00:00:00Z", "day 29 does not exist in 1900-02"),
        ("2024-04-31T00:00:00Z", "day 31 does not exist in 2024-04"),
        ("2024-05-00T00:00:00Z", "day 00"),
        ("2024-05-01T24:00:00Z", "hour 24"),
        ("2024-05-01T23:60:00Z", "minute 60"),
        ("2016-12-31T23:59:60Z", "leap second"),
        ("2024-05-01T23:59:61Z", "second 61"),
        (
            "0001-01-01T00:00:00+00:01",
            "outside the years 0001 to 9999",
        ),
        (
            "9999-12-31T23:59:59-00:01",
            "outside the years 0001 to 9999",
        ),
        ("２０２４-05-01T12:30:00Z", "4-digit year"),
        ("2024-05-01T12:30:00.５Z", "1 to 9 digits"),
        ("2024-05-01T12:30:00+01:00é", "unexpected 'é'"),
    ];
    for (text, reason) in cases {
        let error = text.parse::<Timestamp>().unwrap_err().to_string();
        let quoted = format!("{text:?}");
        assert!(error.contains(&quoted), "{text}: {error}");
        assert!(error.contains(reason), "{text}: {error}");
        assert!(error.contains("expected RFC 3339"), "{text}: {error}");
        let from_json = json_error::<Timestamp>(&serde_json::to_string(text).unwrap());
        assert!(from_json.contains(reason), "{text}: {from_json}");
    }
}

#[test]
fn timestamp_rejects_non_string_json() {
    for text in ["1714566600", "null", "{}", "[\"2024-05-01T12:30:00Z\"]"] {
        let error = json_error::<Timestamp>(text);
        assert!(error.contains("RFC 3339"), "{text}: {error}");
    }
}

#[test]
fn timestamp_serialize_rejects_invalid_values() {
    let cases = [
        timestamp(MIN_TIMESTAMP_SECONDS - 1, 0),
        timestamp(MAX_TIMESTAMP_SECONDS + 1, 0),
        timestamp(0, -1),
        timestamp(0, 1_000_000_000),
        timestamp(i64::MIN, i32::MIN),
    ];
    for value in cases {
        let error = serde_json::to_string(&value).unwrap_err().to_string();
        let named = format!("seconds: {}, nanos: {}", value.seconds, value.nanos);
        assert!(error.contains(&named), "{value:?}: {error}");
        assert!(!value.is_valid());
        assert!(value.to_string().ends_with("(invalid)"), "{value}");
    }
}

#[test]
fn timestamp_from_unix_checks_range() {
    assert_eq!(
        Timestamp::from_unix(1_714_566_600, 5).unwrap(),
        timestamp(1_714_566_600, 5)
    );
    assert!(Timestamp::from_unix(MAX_TIMESTAMP_SECONDS, 999_999_999).is_ok());
    assert!(Timestamp::from_unix(MIN_TIMESTAMP_SECONDS, 0).is_ok());
    assert!(Timestamp::from_unix(MAX_TIMESTAMP_SECONDS + 1, 0).is_err());
    assert!(Timestamp::from_unix(MIN_TIMESTAMP_SECONDS - 1, 999_999_999).is_err());
    assert!(Timestamp::from_unix(0, 1_000_000_000).is_err());
    assert!(Timestamp::from_unix(0, u32::MAX).is_err());
}

#[test]
fn timestamp_converts_to_and_from_system_time() {
    let cases = [
        timestamp(0, 0),
        timestamp(1_714_566_600, 250_000_000),
        timestamp(-1, 750_000_000),
        timestamp(-86_400, 0),
    ];
    for value in cases {
        let time = SystemTime::try_from(value).unwrap();
        assert_eq!(Timestamp::try_from(time).unwrap(), value, "{value}");
    }
    let before_epoch = UNIX_EPOCH - std::time::Duration::from_millis(250);
    assert_eq!(
        Timestamp::try_from(before_epoch).unwrap(),
        timestamp(-1, 750_000_000)
    );
    let error = SystemTime::try_from(timestamp(0, -5)).unwrap_err();
    assert!(error.to_string().contains("nanos: -5"), "{error}");
}

#[test]
fn timestamp_now_is_valid_and_recent() {
    let now = Timestamp::now();
    assert!(now.is_valid(), "{now:?}");
    // 2024-01-01T00:00:00Z: a clock before this date is misconfigured.
    assert!(now.seconds > 1_704_067_200, "{now}");
}

#[test]
fn timestamp_binary_round_trip() {
    let value = timestamp(1_714_566_600, 250_000_000);
    let decoded = Timestamp::decode(value.encode_to_vec().as_slice()).unwrap();
    assert_eq!(decoded, value);
}

// ---------------------------------------------------------------------------------------------
// Duration

#[test]
fn duration_prints_seconds_with_shortest_exact_fraction() {
    let cases = [
        (0, 0, "0s"),
        (3, 0, "3s"),
        (1, 500_000_000, "1.500s"),
        (0, -500_000_000, "-0.500s"),
        (-1, -500_000_000, "-1.500s"),
        (-3, 0, "-3s"),
        (0, 1_000, "0.000001s"),
        (0, 1, "0.000000001s"),
        (0, -1, "-0.000000001s"),
        (MAX_DURATION_SECONDS, 999_999_999, "315576000000.999999999s"),
        (-MAX_DURATION_SECONDS, 0, "-315576000000s"),
    ];
    for (seconds, nanos, expected) in cases {
        let value = duration(seconds, nanos);
        assert_eq!(
            to_json(&value),
            format!("\"{expected}\""),
            "{seconds} s {nanos} ns"
        );
        assert_eq!(value.to_string(), expected);
        assert_eq!(value.to_json_string().unwrap(), expected);
    }
}

#[test]
fn duration_parses_accepted_forms() {
    let cases = [
        ("0s", 0, 0),
        ("-0s", 0, 0),
        ("3s", 3, 0),
        ("03s", 3, 0),
        ("1.5s", 1, 500_000_000),
        ("1.500s", 1, 500_000_000),
        ("-0.5s", 0, -500_000_000),
        ("-1.25s", -1, -250_000_000),
        ("0.000000001s", 0, 1),
        ("-0.000000001s", 0, -1),
        ("315576000000s", MAX_DURATION_SECONDS, 0),
        ("315576000000.999999999s", MAX_DURATION_SECONDS, 999_999_999),
        (
            "-315576000000.999999999s",
            -MAX_DURATION_SECONDS,
            -999_999_999,
        ),
    ];
    for (text, seconds, nanos) in cases {
        let expected = duration(seconds, nanos);
        let from_json: Duration = serde_json::from_str(&format!("\"{text}\"")).unwrap();
        assert_eq!(from_json, expected, "{text}");
        assert_eq!(text.parse::<Duration>().unwrap(), expected, "{text}");
    }
}

#[test]
fn duration_rejects_invalid_text() {
    let cases = [
        ("", "'s' suffix is missing"),
        ("1.5", "'s' suffix is missing"),
        ("1S", "'s' suffix is missing"),
        ("1ms", "decimal digits"),
        ("1 s", "decimal digits"),
        (" 1s", "decimal digits"),
        ("s", "decimal digits"),
        ("-s", "decimal digits"),
        ("+1s", "decimal digits"),
        ("--1s", "decimal digits"),
        (".5s", "decimal digits"),
        ("-.5s", "decimal digits"),
        ("1e3s", "decimal digits"),
        ("0x10s", "decimal digits"),
        ("1.s", "1 to 9 digits"),
        ("1.5.5s", "1 to 9 digits"),
        ("1.-5s", "1 to 9 digits"),
        ("1.0000000001s", "has 10 digits"),
        ("315576000001s", "out of range"),
        ("-315576000001s", "out of range"),
        ("99999999999999999999s", "out of range"),
        ("１s", "decimal digits"),
    ];
    for (text, reason) in cases {
        let error = text.parse::<Duration>().unwrap_err().to_string();
        let quoted = format!("{text:?}");
        assert!(error.contains(&quoted), "{text}: {error}");
        assert!(error.contains(reason), "{text}: {error}");
        let from_json = json_error::<Duration>(&serde_json::to_string(text).unwrap());
        assert!(from_json.contains(reason), "{text}: {from_json}");
    }
}

#[test]
fn duration_serialize_rejects_invalid_values() {
    let cases = [
        duration(1, -1),
        duration(-1, 1),
        duration(0, 1_000_000_000),
        duration(0, -1_000_000_000),
        duration(MAX_DURATION_SECONDS + 1, 0),
        duration(i64::MIN, 0),
    ];
    for value in cases {
        let error = serde_json::to_string(&value).unwrap_err().to_string();
        let named = format!("seconds: {}, nanos: {}", value.seconds, value.nanos);
        assert!(error.contains(&named), "{value:?}: {error}");
        assert!(value.to_string().ends_with("(invalid)"), "{value}");
    }
}

#[test]
fn duration_converts_to_std_duration() {
    let std_duration = std::time::Duration::try_from(duration(1, 500_000_000)).unwrap();
    assert_eq!(std_duration, std::time::Duration::from_millis(1_500));

    let error = std::time::Duration::try_from(duration(0, -1)).unwrap_err();
    assert!(error.to_string().contains("-0.000000001s"), "{error}");
    assert!(error.to_string().contains("negative"), "{error}");
    assert!(std::time::Duration::try_from(duration(1, -1)).is_err());
}

#[test]
fn duration_converts_from_std_duration() {
    let value = Duration::try_from(std::time::Duration::from_millis(1_500)).unwrap();
    assert_eq!(value, duration(1, 500_000_000));

    let longest = std::time::Duration::new(MAX_DURATION_SECONDS as u64, 999_999_999);
    assert_eq!(
        Duration::try_from(longest).unwrap(),
        duration(MAX_DURATION_SECONDS, 999_999_999)
    );
    let too_long = std::time::Duration::from_secs(MAX_DURATION_SECONDS as u64 + 1);
    let error = Duration::try_from(too_long).unwrap_err();
    assert!(error.to_string().contains("315576000001 s"), "{error}");
    assert!(Duration::try_from(std::time::Duration::MAX).is_err());
}

// ---------------------------------------------------------------------------------------------
// FieldMask

#[test]
fn field_mask_parses_json_paths() {
    let cases: [(&str, &[&str]); 9] = [
        ("", &[]),
        ("description", &["description"]),
        (
            "managedSpec.releaseChannel,profileBindings",
            &["managed_spec.release_channel", "profile_bindings"],
        ),
        (
            "identity.zone,managedSpec.releaseChannel",
            &["identity.zone", "managed_spec.release_channel"],
        ),
        ("a.bC.dEF", &["a.b_c.d_e_f"]),
        ("gpu2Count", &["gpu2_count"]),
        ("Foo", &["_foo"]),
        // snake_case that converts to camelCase and back without loss is accepted.
        (
            "managed_spec.release_channel,profile_bindings",
            &["managed_spec.release_channel", "profile_bindings"],
        ),
        ("a,a", &["a", "a"]),
    ];
    for (text, paths) in cases {
        let expected = FieldMask::new(paths.iter().copied());
        let from_json: FieldMask = serde_json::from_str(&format!("\"{text}\"")).unwrap();
        assert_eq!(from_json, expected, "{text}");
        assert_eq!(text.parse::<FieldMask>().unwrap(), expected, "{text}");
    }
}

#[test]
fn field_mask_rejects_invalid_json_paths() {
    let cases = [
        (",", "\"\"", "the path is empty"),
        ("a,", "\"\"", "the path is empty"),
        ("a,,b", "\"\"", "the path is empty"),
        ("a..b", "\"a..b\"", "segment between dots is empty"),
        (".a", "\".a\"", "segment between dots is empty"),
        ("a.", "\"a.\"", "segment between dots is empty"),
        ("a, b", "\" b\"", "character ' ' is not allowed"),
        ("a-b", "\"a-b\"", "character '-' is not allowed"),
        ("a/b", "\"a/b\"", "character '/' is not allowed"),
        ("labels.é", "\"labels.é\"", "character 'é' is not allowed"),
        ("a*", "\"a*\"", "character '*' is not allowed"),
        ("foo_1", "\"foo_1\"", "followed by '1'"),
        ("foo__bar", "\"foo__bar\"", "followed by '_'"),
        ("foo_", "\"foo_\"", "followed by the end of the path"),
        ("foo_.bar", "\"foo_.bar\"", "followed by '.'"),
        (
            "managed_specFoo",
            "\"managed_specFoo\"",
            "uppercase letter 'F'",
        ),
        ("fooBar,foo_Bar", "\"foo_Bar\"", "uppercase letter 'B'"),
    ];
    for (text, path, reason) in cases {
        let error = text.parse::<FieldMask>().unwrap_err().to_string();
        assert!(error.contains(&format!("path {path}")), "{text}: {error}");
        assert!(error.contains(reason), "{text}: {error}");
        let from_json = json_error::<FieldMask>(&serde_json::to_string(text).unwrap());
        assert!(from_json.contains(reason), "{text}: {from_json}");
    }
}

#[test]
fn field_mask_rejects_non_string_json() {
    for text in ["[\"a\", \"b\"]", "{\"paths\": [\"a\"]}", "null", "1"] {
        let error = json_error::<FieldMask>(text);
        assert!(error.contains("field mask string"), "{text}: {error}");
    }
}

#[test]
fn field_mask_prints_camel_case() {
    let cases: [(&[&str], &str); 6] = [
        (&[], ""),
        (&["description"], "description"),
        (
            &["managed_spec.release_channel", "profile_bindings"],
            "managedSpec.releaseChannel,profileBindings",
        ),
        (&["a.b_c.d_e_f"], "a.bC.dEF"),
        (&["gpu2_count"], "gpu2Count"),
        (&["_foo"], "Foo"),
    ];
    for (paths, expected) in cases {
        let mask = FieldMask::new(paths.iter().copied());
        assert_eq!(to_json(&mask), format!("\"{expected}\""), "{paths:?}");
        assert_eq!(mask.to_json_string().unwrap(), expected);
        assert!(mask.validate().is_ok(), "{paths:?}");
    }
}

#[test]
fn field_mask_serialize_rejects_irreversible_paths() {
    let cases = [
        ("fooBar", "uppercase letter 'B'"),
        ("foo_1", "followed by '1'"),
        ("foo__bar", "followed by '_'"),
        ("foo_", "followed by the end of the path"),
        ("", "the path is empty"),
        ("a..b", "segment between dots is empty"),
        ("a b", "character ' ' is not allowed"),
        ("a,b", "character ',' is not allowed"),
    ];
    for (path, reason) in cases {
        let mask = FieldMask::new(["ok", path]);
        let error = serde_json::to_string(&mask).unwrap_err().to_string();
        assert!(error.contains(&format!("path {path:?}")), "{path}: {error}");
        assert!(error.contains(reason), "{path}: {error}");
        assert!(mask.validate().is_err(), "{path}");
        assert!(mask.to_json_string().is_err(), "{path}");
    }
}

#[test]
fn field_mask_contains_listed_and_child_paths() {
    let mask = FieldMask::new(["managed_spec", "identity.zone"]);
    assert!(mask.contains("managed_spec"));
    assert!(mask.contains("managed_spec.release_channel"));
    assert!(mask.contains("identity.zone"));
    assert!(mask.contains("identity.zone.name"));
    assert!(!mask.contains("identity"));
    assert!(!mask.contains("managed_spec_v2"));
    assert!(!mask.contains("identity.zones"));
    assert!(!mask.contains(""));
}

#[test]
fn field_mask_normalized_sorts_dedupes_and_drops_children() {
    let cases: [(&[&str], &[&str]); 5] = [
        (&[], &[]),
        (&["b", "a.x", "a", "b"], &["a", "b"]),
        (&["a.b.c", "a.b", "a.bc"], &["a.b", "a.bc"]),
        (&["a_b", "a", "a.b"], &["a", "a_b"]),
        (&["z.y", "z.x"], &["z.x", "z.y"]),
    ];
    for (paths, expected) in cases {
        let normalized = FieldMask::new(paths.iter().copied()).normalized();
        assert_eq!(normalized.paths, expected, "{paths:?}");
    }
}

#[test]
fn field_mask_is_empty_only_without_paths() {
    assert!(FieldMask::default().is_empty());
    assert!("".parse::<FieldMask>().unwrap().is_empty());
    assert!(!FieldMask::new(["a"]).is_empty());
}

/// The update request of the REST API, with its mask as proto3 JSON writes it.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateRequest {
    runner: Value,
    update_mask: FieldMask,
}

#[test]
fn field_mask_round_trips_inside_request_body() {
    let body = r#"{"runner": {"id": "RUNNER_ID", "identity": {"zone": "US-WEST-09C"},
        "managedSpec": {"releaseChannel": "RELEASE_CHANNEL_STABLE"}},
        "updateMask": "identity.zone,managedSpec.releaseChannel"}"#;
    let request: UpdateRequest = serde_json::from_str(body).unwrap();
    assert_eq!(
        request.update_mask.paths,
        ["identity.zone", "managed_spec.release_channel"]
    );
    let printed: Value = serde_json::to_value(&request).unwrap();
    let original: Value = serde_json::from_str(body).unwrap();
    assert_eq!(printed, original);
}

// ---------------------------------------------------------------------------------------------
// Empty

#[test]
fn empty_prints_and_parses_empty_object() {
    assert_eq!(to_json(&Empty {}), "{}");
    assert_eq!(serde_json::from_str::<Empty>("{}").unwrap(), Empty {});
    assert_eq!(
        serde_json::from_str::<Empty>(r#"{"added": {"later": [1, 2]}}"#).unwrap(),
        Empty {}
    );
}

#[test]
fn empty_rejects_non_objects() {
    for text in ["null", "[]", "\"\"", "0"] {
        let error = json_error::<Empty>(text);
        assert!(error.contains("empty object"), "{text}: {error}");
    }
}

// ---------------------------------------------------------------------------------------------
// Any

/// Test copies of google.rpc detail messages, with serde in proto3 JSON form.
#[derive(Clone, PartialEq, Message, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ErrorInfo {
    #[prost(string, tag = "1")]
    reason: String,
    #[prost(string, tag = "2")]
    domain: String,
    #[prost(map = "string, string", tag = "3")]
    metadata: HashMap<String, String>,
}

impl prost::Name for ErrorInfo {
    const NAME: &'static str = "ErrorInfo";
    const PACKAGE: &'static str = "google.rpc";

    fn type_url() -> String {
        "type.googleapis.com/google.rpc.ErrorInfo".into()
    }
}

#[derive(Clone, PartialEq, Message, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RetryInfo {
    #[prost(message, optional, tag = "1")]
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_delay: Option<Duration>,
}

impl prost::Name for RetryInfo {
    const NAME: &'static str = "RetryInfo";
    const PACKAGE: &'static str = "google.rpc";
}

#[derive(Clone, PartialEq, Message, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct FieldViolation {
    #[prost(string, tag = "1")]
    field: String,
    #[prost(string, tag = "2")]
    description: String,
}

#[derive(Clone, PartialEq, Message, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct BadRequest {
    #[prost(message, repeated, tag = "1")]
    field_violations: Vec<FieldViolation>,
}

impl prost::Name for BadRequest {
    const NAME: &'static str = "BadRequest";
    const PACKAGE: &'static str = "google.rpc";

    fn type_url() -> String {
        "type.googleapis.com/google.rpc.BadRequest".into()
    }
}

/// A message that no test registers.
#[derive(Clone, PartialEq, Message, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Unregistered {
    #[prost(string, tag = "1")]
    note: String,
}

impl prost::Name for Unregistered {
    const NAME: &'static str = "Unregistered";
    const PACKAGE: &'static str = "example.test";
}

/// `google.rpc.Status`, the error body of the REST API.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Status {
    code: i32,
    message: String,
    details: Vec<Any>,
}

fn register_rpc_types() {
    register_any_types([
        AnyType::of::<ErrorInfo>(),
        AnyType::of::<RetryInfo>(),
        AnyType::of::<BadRequest>(),
    ]);
}

fn error_info() -> ErrorInfo {
    ErrorInfo {
        reason: "RUNNER_NOT_FOUND".into(),
        domain: "cwsandbox.com".into(),
        metadata: HashMap::from([("runner_id".into(), "lab-east".into())]),
    }
}

#[test]
fn any_pack_and_unpack() {
    let any = Any::pack(&error_info());
    assert_eq!(any.type_url, "type.googleapis.com/google.rpc.ErrorInfo");
    assert_eq!(any.type_name(), "google.rpc.ErrorInfo");
    assert_eq!(any.unpack::<ErrorInfo>().unwrap(), Some(error_info()));
    assert_eq!(any.unpack::<RetryInfo>().unwrap(), None);
    assert!(any.json_fields().is_none());
}

#[test]
fn any_pack_adds_host_to_bare_type_url() {
    // prost's default type URL is "/<full name>".
    let any = Any::pack(&RetryInfo::default());
    assert_eq!(any.type_url, "type.googleapis.com/google.rpc.RetryInfo");
}

#[test]
fn any_unpack_reports_corrupt_value() {
    let any = Any::new("type.googleapis.com/google.rpc.ErrorInfo", vec![0x0a, 0x05]);
    let error = any.unpack::<ErrorInfo>().unwrap_err();
    assert!(
        error.to_string().contains("google.rpc.ErrorInfo"),
        "{error}"
    );
    assert!(std::error::Error::source(&error).is_some());
}

#[test]
fn any_type_name_without_slash_is_whole_url() {
    assert_eq!(
        Any::new("google.rpc.ErrorInfo", vec![]).type_name(),
        "google.rpc.ErrorInfo"
    );
    assert_eq!(Any::new("a/b/c.D", vec![]).type_name(), "c.D");
}

#[test]
fn any_prints_registered_message_members() {
    register_rpc_types();
    let printed = serde_json::to_value(Any::pack(&error_info())).unwrap();
    let expected = json!({
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "RUNNER_NOT_FOUND",
        "domain": "cwsandbox.com",
        "metadata": {"runner_id": "lab-east"},
    });
    assert_eq!(printed, expected);
    let text = serde_json::to_string(&Any::pack(&error_info())).unwrap();
    assert!(text.starts_with("{\"@type\":"), "{text}");
}

#[test]
fn any_parses_registered_message_to_binary() {
    register_rpc_types();
    let text = r#"{"reason": "RUNNER_NOT_FOUND", "domain": "cwsandbox.com",
        "metadata": {"runner_id": "lab-east"},
        "@type": "type.googleapis.com/google.rpc.ErrorInfo"}"#;
    let any: Any = serde_json::from_str(text).unwrap();
    assert!(any.json_fields().is_none());
    assert_eq!(any.value, error_info().encode_to_vec());
    assert_eq!(any.unpack::<ErrorInfo>().unwrap(), Some(error_info()));
}

#[test]
fn any_rejects_invalid_members_of_registered_type() {
    register_rpc_types();
    let text = r#"{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "soon"}"#;
    let error = json_error::<Any>(text);
    assert!(error.contains("google.rpc.RetryInfo"), "{error}");
    assert!(error.contains("\"soon\""), "{error}");
}

#[test]
fn any_status_bodies_round_trip() {
    register_rpc_types();
    let bodies = [
        r#"{"code": 3, "message": "exactly one profile binding must be the default (found 2)",
            "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": "runner.profile_bindings",
            "description": "2 bindings have is_default set; exactly one is required"}]}]}"#,
        r#"{"code": 14, "message": "cluster validation is temporarily unavailable",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
            "retryDelay": "1.500s"}]}"#,
    ];
    for body in bodies {
        let status: Status = serde_json::from_str(body).unwrap();
        assert!(status.details[0].json_fields().is_none(), "{body}");
        let printed = serde_json::to_value(&status).unwrap();
        let original: Value = serde_json::from_str(body).unwrap();
        assert_eq!(printed, original);
    }
    let retry: Status = serde_json::from_str(bodies[1]).unwrap();
    let info = retry.details[0].unpack::<RetryInfo>().unwrap().unwrap();
    assert_eq!(info.retry_delay, Some(duration(1, 500_000_000)));
}

#[test]
fn any_keeps_members_of_unknown_type() {
    let text = r#"{"@type": "type.googleapis.com/example.test.Unregistered",
        "note": "kept", "nested": {"list": [1, 2.5, null, true]}}"#;
    let any: Any = serde_json::from_str(text).unwrap();
    assert_eq!(any.type_name(), "example.test.Unregistered");
    assert!(any.value.is_empty());
    let fields = any.json_fields().unwrap();
    assert_eq!(fields["note"], "kept");
    assert!(!fields.contains_key("@type"));

    let printed: Value = serde_json::to_value(&any).unwrap();
    let original: Value = serde_json::from_str(text).unwrap();
    assert_eq!(printed, original);

    // The serde of the target type reads the kept members; unknown ones are ignored here.
    let unpacked = any.unpack::<Unregistered>().unwrap().unwrap();
    assert_eq!(unpacked.note, "kept");
}

#[test]
fn any_binary_encoding_drops_kept_members() {
    let text = r#"{"@type": "type.googleapis.com/example.test.Unregistered", "note": "x"}"#;
    let any: Any = serde_json::from_str(text).unwrap();
    let decoded = Any::decode(any.encode_to_vec().as_slice()).unwrap();
    assert_eq!(decoded.type_url, any.type_url);
    assert!(decoded.value.is_empty());
    assert!(decoded.json_fields().is_none());
    assert_eq!(any.encoded_len(), any.encode_to_vec().len());
}

#[test]
fn any_binary_round_trip() {
    let any = Any::pack(&error_info());
    let bytes = any.encode_to_vec();
    assert_eq!(any.encoded_len(), bytes.len());
    assert_eq!(Any::decode(bytes.as_slice()).unwrap(), any);
    assert_eq!(Any::decode(&[][..]).unwrap(), Any::default());

    let mut cleared = any.clone();
    cleared.clear();
    assert_eq!(cleared, Any::default());
}

#[test]
fn any_decode_skips_unknown_fields() {
    let mut bytes = Any::pack(&error_info()).encode_to_vec();
    // Field 3, varint 150.
    bytes.extend_from_slice(&[0x18, 0x96, 0x01]);
    assert_eq!(
        Any::decode(bytes.as_slice()).unwrap(),
        Any::pack(&error_info())
    );
}

#[test]
fn any_decode_rejects_malformed_bytes() {
    // Field 1 claims 16 bytes but none follow.
    let error = Any::decode(&[0x0a, 0x10][..]).unwrap_err();
    assert!(error.to_string().contains("Any.type_url"), "{error}");
    // Field 1 contains invalid UTF-8.
    assert!(Any::decode(&[0x0a, 0x01, 0xff][..]).is_err());
}

#[test]
fn any_empty_object_is_empty_any() {
    let any: Any = serde_json::from_str("{}").unwrap();
    assert_eq!(any, Any::default());
    assert_eq!(to_json(&Any::default()), "{}");
}

#[test]
fn any_rejects_missing_or_invalid_type() {
    let cases = [
        (r#"{"reason": "X"}"#, "missing \"@type\""),
        (r#"{"reason": "X"}"#, "[\"reason\"]"),
        (r#"{"@type": 5}"#, "invalid \"@type\" 5"),
        (r#"{"@type": ""}"#, "invalid \"@type\" \"\""),
        (r#"{"@type": null, "a": 1}"#, "invalid \"@type\" null"),
        ("[]", "invalid type: sequence"),
        (
            "\"type.googleapis.com/google.rpc.ErrorInfo\"",
            "invalid type: string",
        ),
    ];
    for (text, reason) in cases {
        let error = json_error::<Any>(text);
        assert!(error.contains(reason), "{text}: {error}");
    }
}

#[test]
fn any_serialize_rejects_unknown_type_with_value() {
    let any = Any::pack(&Unregistered { note: "x".into() });
    let error = serde_json::to_string(&any).unwrap_err().to_string();
    assert!(error.contains("example.test.Unregistered"), "{error}");
    assert!(error.contains("register_any_types"), "{error}");

    let no_type = Any::new("", vec![1]);
    let error = serde_json::to_string(&no_type).unwrap_err().to_string();
    assert!(error.contains("type URL is empty"), "{error}");
}

#[test]
fn any_prints_empty_unknown_type() {
    let any = Any::pack(&Unregistered::default());
    assert_eq!(
        serde_json::to_value(&any).unwrap(),
        json!({"@type": "type.googleapis.com/example.test.Unregistered"})
    );
    // A well-known type with a special form cannot be printed without its registry entry.
    let struct_value = Any::new("type.googleapis.com/google.protobuf.Struct", vec![]);
    assert!(serde_json::to_string(&struct_value).is_err());
}

#[test]
fn any_wraps_well_known_types_in_value() {
    let cases = [
        (
            Any::pack(&timestamp(1, 500)),
            json!({"@type": "type.googleapis.com/google.protobuf.Timestamp",
                   "value": "1970-01-01T00:00:01.000000500Z"}),
        ),
        (
            Any::pack(&duration(-1, -500_000_000)),
            json!({"@type": "type.googleapis.com/google.protobuf.Duration", "value": "-1.500s"}),
        ),
        (
            Any::pack(&FieldMask::new(["managed_spec.release_channel", "labels"])),
            json!({"@type": "type.googleapis.com/google.protobuf.FieldMask",
                   "value": "managedSpec.releaseChannel,labels"}),
        ),
        (
            Any::pack(&Empty {}),
            json!({"@type": "type.googleapis.com/google.protobuf.Empty", "value": {}}),
        ),
        (
            Any::pack(&Any::pack(&duration(3, 0))),
            json!({"@type": "type.googleapis.com/google.protobuf.Any",
                   "value": {"@type": "type.googleapis.com/google.protobuf.Duration",
                             "value": "3s"}}),
        ),
    ];
    for (any, expected) in cases {
        assert_eq!(serde_json::to_value(&any).unwrap(), expected);
        let parsed: Any = serde_json::from_value(expected.clone()).unwrap();
        assert_eq!(parsed, any, "{expected}");
    }
}

#[test]
fn any_reads_empty_without_value_member() {
    let text = r#"{"@type": "type.googleapis.com/google.protobuf.Empty"}"#;
    let any: Any = serde_json::from_str(text).unwrap();
    assert_eq!(any, Any::pack(&Empty {}));
}

#[test]
fn any_rejects_well_known_type_without_value_member() {
    let cases = [
        r#"{"@type": "type.googleapis.com/google.protobuf.Duration"}"#,
        r#"{"@type": "type.googleapis.com/google.protobuf.Any"}"#,
        r#"{"@type": "type.googleapis.com/google.protobuf.Timestamp", "seconds": 1}"#,
    ];
    for text in cases {
        let error = json_error::<Any>(text);
        assert!(
            error.contains("\"value\" member is missing"),
            "{text}: {error}"
        );
    }
    let bad = r#"{"@type": "type.googleapis.com/google.protobuf.Duration", "value": "1m"}"#;
    let error = json_error::<Any>(bad);
    assert!(error.contains("invalid Duration \"1m\""), "{error}");
}

#[test]
fn any_nested_unknown_type_keeps_outer_members() {
    let text = r#"{"@type": "type.googleapis.com/google.protobuf.Any",
        "value": {"@type": "type.googleapis.com/example.test.Unregistered", "note": "deep"}}"#;
    let any: Any = serde_json::from_str(text).unwrap();
    assert!(any.json_fields().is_some());
    let printed: Value = serde_json::to_value(&any).unwrap();
    let original: Value = serde_json::from_str(text).unwrap();
    assert_eq!(printed, original);

    let inner = any.unpack::<Any>().unwrap().unwrap();
    assert_eq!(inner.type_name(), "example.test.Unregistered");
    assert_eq!(inner.json_fields().unwrap()["note"], "deep");
}

/// Packs a Duration in `levels` Any messages, one inside the other.
fn nested_any(levels: usize) -> Any {
    let mut any = Any::pack(&duration(1, 0));
    for _ in 0..levels {
        any = Any::pack(&any);
    }
    any
}

#[test]
fn any_nesting_within_limit_round_trips() {
    let any = nested_any(60);
    let text = serde_json::to_string(&any).unwrap();
    assert_eq!(serde_json::from_str::<Any>(&text).unwrap(), any);
}

#[test]
fn any_rejects_deep_nesting() {
    // Deep enough to overflow the stack of a test thread without the nesting limit.
    let any = nested_any(20_000);
    let error = serde_json::to_string(&any).unwrap_err().to_string();
    assert!(error.contains("nested more than 64 levels"), "{error}");

    let mut text = String::new();
    for _ in 0..100 {
        text.push_str(r#"{"@type": "type.googleapis.com/google.protobuf.Any", "value": "#);
    }
    text.push_str(r#"{"@type": "type.googleapis.com/google.protobuf.Empty"}"#);
    text.push_str(&"}".repeat(100));
    assert!(serde_json::from_str::<Any>(&text).is_err());
}

#[test]
fn any_registry_is_idempotent_and_finds_types() {
    register_rpc_types();
    register_rpc_types();
    let found = find_any_type("google.rpc.ErrorInfo").unwrap();
    assert_eq!(found.full_name(), "google.rpc.ErrorInfo");
    let json = found.to_json(&error_info().encode_to_vec()).unwrap();
    assert_eq!(json["reason"], "RUNNER_NOT_FOUND");
    assert_eq!(found.from_json(json).unwrap(), error_info().encode_to_vec());
    assert!(found.to_json(&[0x0a, 0x05]).is_err());

    for name in [
        "google.protobuf.Timestamp",
        "google.protobuf.Duration",
        "google.protobuf.FieldMask",
        "google.protobuf.Empty",
        "google.protobuf.Any",
    ] {
        assert!(find_any_type(name).is_some(), "{name}");
    }
    assert!(find_any_type("example.test.Unregistered").is_none());
}

#[test]
fn any_registry_ignores_built_in_names() {
    // Timestamp registered as an ordinary message would print members instead of `value`.
    register_any_types([AnyType::of::<Timestamp>()]);
    let printed = serde_json::to_value(Any::pack(&timestamp(0, 0))).unwrap();
    assert_eq!(printed["value"], "1970-01-01T00:00:00Z");
}

#[test]
fn well_known_type_names_and_urls() {
    use prost::Name;
    assert_eq!(Timestamp::full_name(), "google.protobuf.Timestamp");
    assert_eq!(Duration::full_name(), "google.protobuf.Duration");
    assert_eq!(FieldMask::full_name(), "google.protobuf.FieldMask");
    assert_eq!(Empty::full_name(), "google.protobuf.Empty");
    assert_eq!(Any::full_name(), "google.protobuf.Any");
    assert_eq!(
        Timestamp::type_url(),
        "type.googleapis.com/google.protobuf.Timestamp"
    );
    assert_eq!(
        Duration::type_url(),
        "type.googleapis.com/google.protobuf.Duration"
    );
    assert_eq!(
        FieldMask::type_url(),
        "type.googleapis.com/google.protobuf.FieldMask"
    );
    assert_eq!(
        Empty::type_url(),
        "type.googleapis.com/google.protobuf.Empty"
    );
    assert_eq!(Any::type_url(), "type.googleapis.com/google.protobuf.Any");
}

// ---------------------------------------------------------------------------------------------
// YAML (the CLI reads and writes these types with serde_yaml_ng)

#[cfg(feature = "cli")]
mod yaml {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Window {
        start_time: Timestamp,
        delay: Duration,
        update_mask: FieldMask,
        nothing: Empty,
        detail: Any,
    }

    #[test]
    fn yaml_round_trips_well_known_types() {
        register_rpc_types();
        let text = "startTime: 2024-05-01T12:30:00.250Z\n\
                    delay: 1.500s\n\
                    updateMask: managedSpec.releaseChannel,labels\n\
                    nothing: {}\n\
                    detail:\n  \"@type\": type.googleapis.com/google.rpc.ErrorInfo\n  \
                    reason: RUNNER_NOT_FOUND\n";
        let window: Window = serde_yaml_ng::from_str(text).unwrap();
        assert_eq!(window.start_time, timestamp(1_714_566_600, 250_000_000));
        assert_eq!(window.delay, duration(1, 500_000_000));
        assert_eq!(
            window.update_mask.paths,
            ["managed_spec.release_channel", "labels"]
        );
        let info = window.detail.unpack::<ErrorInfo>().unwrap().unwrap();
        assert_eq!(info.reason, "RUNNER_NOT_FOUND");

        let printed = serde_yaml_ng::to_string(&window).unwrap();
        let reread: Window = serde_yaml_ng::from_str(&printed).unwrap();
        assert_eq!(reread, window);
    }

    #[test]
    fn yaml_rejects_invalid_duration() {
        // YAML hands the plain scalar 1.5 to the string visitor, which rejects it.
        let error = serde_yaml_ng::from_str::<Duration>("1.5").unwrap_err();
        assert!(
            error.to_string().contains("invalid Duration \"1.5\""),
            "{error}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Property tests

/// Snake_case paths that convert to camelCase and back: segments of lowercase words.
fn snake_path() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-z][a-z0-9]{0,5}(_[a-z][a-z0-9]{0,4}){0,3}", 1..4)
        .prop_map(|segments| segments.join("."))
}

proptest! {
    #[test]
    fn timestamp_parser_never_panics(text in "\\PC*") {
        let _ = text.parse::<Timestamp>();
    }

    #[test]
    fn timestamp_parser_never_panics_on_near_misses(
        text in concat!(
            "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}",
            "(\\.[0-9]{0,12})?([Zz]|[+-][0-9]{2}:[0-9]{2})?",
        )
    ) {
        if let Ok(value) = text.parse::<Timestamp>() {
            prop_assert!(value.is_valid());
        }
    }

    #[test]
    fn timestamp_round_trips(
        seconds in MIN_TIMESTAMP_SECONDS..=MAX_TIMESTAMP_SECONDS,
        nanos in 0..1_000_000_000i32,
    ) {
        let value = timestamp(seconds, nanos);
        let text = value.to_string();
        prop_assert_eq!(text.parse::<Timestamp>().unwrap(), value);
        let json = serde_json::to_string(&value).unwrap();
        prop_assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), value);
        prop_assert!(text.ends_with('Z'));
    }

    #[test]
    fn timestamp_offset_shifts_utc(
        seconds in (MIN_TIMESTAMP_SECONDS + 86_400)..=(MAX_TIMESTAMP_SECONDS - 86_400),
        offset_minutes in -(23 * 60 + 59)..=(23 * 60 + 59i64),
    ) {
        // The local time that reads as `seconds` in UTC, written with an offset, is
        // `offset_minutes` earlier than `seconds`.
        let utc = timestamp(seconds, 0).to_string();
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let magnitude = offset_minutes.abs();
        let text = format!(
            "{}{sign}{:02}:{:02}",
            utc.trim_end_matches('Z'),
            magnitude / 60,
            magnitude % 60
        );
        let parsed = text.parse::<Timestamp>().unwrap();
        prop_assert_eq!(parsed.seconds, seconds - offset_minutes * 60);
    }

    #[test]
    fn duration_parser_never_panics(text in "\\PC*") {
        let _ = text.parse::<Duration>();
    }

    #[test]
    fn duration_parser_never_panics_on_near_misses(text in "-?[0-9]{0,14}(\\.[0-9]{0,11})?s?") {
        if let Ok(value) = text.parse::<Duration>() {
            prop_assert!(value.is_valid());
        }
    }

    #[test]
    fn duration_round_trips(
        seconds in 0..=MAX_DURATION_SECONDS,
        nanos in 0..1_000_000_000i32,
        negative in any::<bool>(),
    ) {
        let value = if negative { duration(-seconds, -nanos) } else { duration(seconds, nanos) };
        let text = value.to_string();
        prop_assert_eq!(text.parse::<Duration>().unwrap(), value);
        let json = serde_json::to_string(&value).unwrap();
        prop_assert_eq!(serde_json::from_str::<Duration>(&json).unwrap(), value);
    }

    #[test]
    fn field_mask_parser_never_panics(text in "\\PC*") {
        let _ = text.parse::<FieldMask>();
    }

    #[test]
    fn field_mask_parser_never_panics_on_near_misses(text in "[a-zA-Z0-9_.,]{0,20}") {
        if let Ok(mask) = text.parse::<FieldMask>() {
            // Whatever parses prints as camelCase and parses back to the same paths.
            let printed = mask.to_json_string().unwrap();
            prop_assert!(!printed.contains('_'));
            prop_assert_eq!(printed.parse::<FieldMask>().unwrap(), mask);
        }
    }

    #[test]
    fn field_mask_snake_paths_round_trip(paths in prop::collection::vec(snake_path(), 0..5)) {
        let mask = FieldMask::new(paths.clone());
        let printed = mask.to_json_string().unwrap();
        prop_assert_eq!(printed.parse::<FieldMask>().unwrap(), mask.clone());
        // The snake_case form is accepted as input as well.
        prop_assert_eq!(paths.join(",").parse::<FieldMask>().unwrap(), mask);
    }

    #[test]
    fn field_mask_camel_paths_round_trip(
        paths in prop::collection::vec("[a-z][a-zA-Z0-9]{0,8}(\\.[a-z][a-zA-Z0-9]{0,8}){0,2}", 1..5)
    ) {
        let text = paths.join(",");
        let mask = text.parse::<FieldMask>().unwrap();
        prop_assert_eq!(mask.to_json_string().unwrap(), text);
    }

    #[test]
    fn field_mask_normalized_is_minimal(paths in prop::collection::vec(snake_path(), 0..8)) {
        let mask = FieldMask::new(paths);
        let normalized = mask.normalized();
        for path in &mask.paths {
            prop_assert!(normalized.contains(path), "{} lost", path);
        }
        for (index, path) in normalized.paths.iter().enumerate() {
            let others = normalized
                .paths
                .iter()
                .enumerate()
                .filter(|(other, _)| *other != index)
                .map(|(_, other)| other.clone());
            prop_assert!(!FieldMask::new(others).contains(path), "{} redundant", path);
        }
        prop_assert_eq!(normalized.normalized(), normalized);
    }

    #[test]
    fn any_parser_never_panics(text in "\\PC*") {
        let _ = serde_json::from_str::<Any>(&text);
    }

    #[test]
    fn any_parser_never_panics_on_objects(
        type_url in concat!(
            "(type\\.googleapis\\.com/)?google\\.(protobuf|rpc)\\.",
            "(Any|Empty|Duration|Timestamp|FieldMask|ErrorInfo|Other)",
        ),
        value in prop_oneof![
            Just(json!(null)),
            Just(json!({})),
            Just(json!("1s")),
            Just(json!("2024-05-01T12:30:00Z")),
            Just(json!("a.b")),
            Just(json!({"@type": "type.googleapis.com/google.protobuf.Empty"})),
            any::<i64>().prop_map(|n| json!(n)),
        ],
    ) {
        register_rpc_types();
        let object = json!({"@type": type_url, "value": value});
        if let Ok(any) = serde_json::from_value::<Any>(object) {
            // Whatever parses prints again.
            prop_assert!(serde_json::to_string(&any).is_ok());
        }
    }
}
