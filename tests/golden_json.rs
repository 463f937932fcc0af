//! The golden generated code compiles from outside the crate, and its proto3
//! JSON agrees with Python protobuf's `json_format` on every scalar form.

#[allow(missing_docs, dead_code, unreachable_pub, clippy::all)]
mod golden {
    include!("golden/expected/golden.v1.rs");
    include!("golden/expected/golden.v1.serde.rs");
    include!("golden/expected/golden.v1.client.rs");
    include!("golden/expected/golden.v1.fields.rs");
}

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use base64::Engine as _;
use golden::{Genre, Scalars, Shelf};
use prost::Message;
use serde_json::{Value, json};

/// Runs the reference filter on `requests` and returns its output lines.
fn reference(requests: &[Value]) -> Vec<Value> {
    let root = env!("CARGO_MANIFEST_DIR");
    let python = format!("{root}/tests/peers/python/.venv/bin/python");
    assert!(
        std::path::Path::new(&python).exists(),
        "{python} is missing: run `bash tests/peers/setup.sh` first"
    );
    let mut child = Command::new(python)
        .arg(format!("{root}/tests/peers/python/jsonref.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for request in requests {
        writeln!(stdin, "{request}").unwrap();
    }
    drop(stdin);
    let answers = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|line| serde_json::from_str(&line.unwrap()).unwrap())
        .collect();
    child.wait().unwrap();
    answers
}

fn decode_binary(answer: &Value) -> Scalars {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(answer["binary_b64"].as_str().unwrap())
        .unwrap();
    Scalars::decode(bytes.as_slice()).unwrap()
}

fn extremes() -> Vec<Scalars> {
    let shelf = Shelf {
        id: "s1".to_string(),
        genre: Genre::History as i32,
        books: [(-1, "a".to_string()), (7, "b".to_string())].into(),
        updated_at: None,
    };
    vec![
        Scalars::default(),
        Scalars {
            i32: i32::MIN,
            i64: i64::MIN,
            u32: u32::MAX,
            u64: u64::MAX,
            s32: i32::MAX,
            s64: i64::MAX,
            f32: u32::MAX,
            f64: u64::MAX,
            sf32: i32::MIN,
            sf64: i64::MIN,
            flt: 1.5,
            dbl: -2.25e300,
            flag: true,
            text: "text \u{1F980}".to_string(),
            data: vec![0, 255, 254, 63, 62],
            genre: 99,
            many_i64: vec![i64::MAX, 0, -1],
            genres: vec![Genre::Fiction as i32, Genre::History as i32],
            labels: [("k".to_string(), "v".to_string())].into(),
            shelves_by_number: [(i64::MIN, shelf.clone())].into(),
            maybe: Some(0),
            choice: Some(golden::scalars::Choice::ChoiceShelf(shelf)),
            ..Scalars::default()
        },
        Scalars {
            choice: Some(golden::scalars::Choice::ChoiceText(String::new())),
            ..Scalars::default()
        },
    ]
}

#[test]
fn scalar_extremes_agree() {
    let messages = extremes();
    let requests: Vec<Value> = messages
        .iter()
        .map(|message| json!({"type": "golden.v1.Scalars", "json": serde_json::to_value(message).unwrap()}))
        .collect();
    for ((message, request), answer) in messages.iter().zip(&requests).zip(reference(&requests)) {
        assert_eq!(
            answer["ok"], true,
            "reference rejected {}: {answer}",
            request["json"]
        );
        assert_eq!(
            &decode_binary(&answer),
            message,
            "reference read {} differently",
            request["json"]
        );
        let ours: Scalars = serde_json::from_value(answer["json"].clone()).unwrap();
        assert_eq!(&ours, message, "we read {} differently", answer["json"]);
    }
}

#[test]
fn scalar_inputs_agree() {
    let inputs = [
        json!({"i64": "9223372036854775807"}),
        json!({"i64": 9007199254740991_i64}),
        json!({"i64": "-9223372036854775808"}),
        json!({"i64": "9223372036854775808"}),
        json!({"u64": "18446744073709551615"}),
        json!({"u64": "-1"}),
        json!({"i32": 1.0}),
        json!({"i32": 1.5}),
        json!({"i32": "12"}),
        json!({"i32": "1e2"}),
        json!({"dbl": "Infinity"}),
        json!({"dbl": "-Infinity"}),
        json!({"flt": 3.4e39}),
        json!({"data": "AP_-Pz4"}),
        json!({"data": "AP/+Pz4="}),
        json!({"data": "AP/+Pz4"}),
        json!({"genre": "GENRE_FICTION"}),
        json!({"genre": 5}),
        json!({"genres": ["GENRE_FICTION", 2]}),
        json!({"shelvesByNumber": {"-5": {"id": "x"}}}),
        json!({"shelvesByNumber": {"x": {"id": "x"}}}),
        json!({"maybe": 0}),
        json!({"maybe": null}),
        json!({"choiceText": "a"}),
        json!({"took": "-1.000000001s"}),
        json!({"at": "1970-01-01T00:00:00.000000001+00:00"}),
        json!({"mask": "a.bC,d"}),
        json!({"detail": {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "R"}}),
        json!({"detail": {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "1s"}}),
        json!({"flag": "true"}),
        json!({"text": 5}),
        json!({"i32": null, "text": null, "labels": null, "manyI64": null, "genre": null}),
    ];
    let requests: Vec<Value> = inputs
        .iter()
        .map(|json| json!({"type": "golden.v1.Scalars", "json": json}))
        .collect();
    let mut disagreements = Vec::new();
    for (input, answer) in inputs.iter().zip(reference(&requests)) {
        let ours = serde_json::from_value::<Scalars>(input.clone());
        match (answer["ok"].as_bool(), &ours) {
            (Some(true), Ok(message)) if decode_binary(&answer) == *message => {}
            (Some(false), Err(_)) => {}
            _ => disagreements.push(input.to_string()),
        }
    }
    let known: Vec<String> = KNOWN_DIFFERENCES
        .iter()
        .map(|(input, _)| input.to_string())
        .collect();
    assert_eq!(
        disagreements, known,
        "the differences from the reference changed"
    );
}

/// Inputs that pbjson 0.9 reads differently from the reference. None occurs in
/// this API's messages, which have no float fields and whose integer fields
/// servers print as plain integers.
const KNOWN_DIFFERENCES: [(&str, &str); 3] = [
    (
        r#"{"i32":1.0}"#,
        "pbjson rejects an integral float for an integer field",
    ),
    (
        r#"{"i32":"1e2"}"#,
        "pbjson rejects exponent notation in a quoted integer",
    ),
    (
        r#"{"flt":3.4e+39}"#,
        "pbjson reads an out-of-range float as infinity",
    ),
];

#[test]
fn non_finite_doubles_print_as_null() {
    // NOTE: pbjson 0.9 prints infinities and NaN through serde_json, which
    // writes `null`; proto3 JSON wants "Infinity", "-Infinity" and "NaN". The
    // API's messages have no float fields; this pins the gap for generated code
    // of other protos.
    let message = Scalars {
        dbl: f64::INFINITY,
        ..Scalars::default()
    };
    assert_eq!(
        serde_json::to_value(&message).unwrap(),
        json!({"dbl": null})
    );
}

#[test]
fn shelf_field_paths_follow_descriptor() {
    use cwsandbox_control::ops::FieldKind;

    let rows: Vec<_> = golden::SHELF_FIELD_PATHS
        .iter()
        .map(|info| (info.path, info.kind, info.repeated, info.output_only))
        .collect();
    assert_eq!(
        rows,
        [
            ("id", FieldKind::Scalar, false, true),
            ("genre", FieldKind::Enum, false, false),
            ("books", FieldKind::Map, false, false),
            // A well-known type is a leaf, so `updated_at.seconds` has no row.
            ("updated_at", FieldKind::Message, false, false),
        ]
    );
}
