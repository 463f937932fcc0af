//! The bodies of the fuzz targets.
//!
//! Each function takes arbitrary bytes and panics only when the code under test
//! breaks a rule that holds for every input: a decoded value prints and parses
//! back to itself, a binary encoding decodes to the same message. Rejecting an
//! input is never a finding; panicking, hanging or allocating without bound is.

use std::fmt::Debug;

use cwsandbox_control::rpc;
use cwsandbox_control::v1beta2;
use cwsandbox_control::wkt::{Any, Duration, Empty, FieldMask, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Decodes `data` as the proto3 JSON of every response type, the
/// google.rpc.Status of REST errors included.
pub fn json_response(data: &[u8]) {
    check_json::<v1beta2::Runner>(data);
    check_json::<v1beta2::ProfileTemplate>(data);
    check_json::<v1beta2::ListManagedRunnersResponse>(data);
    check_json::<v1beta2::ListProfileTemplatesResponse>(data);
    check_json::<Empty>(data);
    check_json::<rpc::Status>(data);
}

/// Decodes `data` as the proto3 JSON of every request type, which the
/// emulator decodes from clients.
pub fn json_request(data: &[u8]) {
    check_json::<v1beta2::CreateProfileTemplateRequest>(data);
    check_json::<v1beta2::GetProfileTemplateRequest>(data);
    check_json::<v1beta2::ListProfileTemplatesRequest>(data);
    check_json::<v1beta2::UpdateProfileTemplateRequest>(data);
    check_json::<v1beta2::DeleteProfileTemplateRequest>(data);
    check_json::<v1beta2::CreateManagedRunnerRequest>(data);
    check_json::<v1beta2::GetRunnerRequest>(data);
    check_json::<v1beta2::ListManagedRunnersRequest>(data);
    check_json::<v1beta2::UpdateManagedRunnerRequest>(data);
    check_json::<v1beta2::DeleteManagedRunnerRequest>(data);
    check_json::<v1beta2::ApplyManagedRunnerUpdateRequest>(data);
}

/// Decodes `data` as the binary protobuf encoding of every response type, as
/// the Connect `application/proto` codec does.
pub fn proto_response(data: &[u8]) {
    check_binary::<v1beta2::Runner>(data);
    check_binary::<v1beta2::ProfileTemplate>(data);
    check_binary::<v1beta2::ListManagedRunnersResponse>(data);
    check_binary::<v1beta2::ListProfileTemplatesResponse>(data);
    check_binary::<rpc::Status>(data);
    check_binary::<rpc::ErrorInfo>(data);
    check_binary::<rpc::BadRequest>(data);
    check_binary::<rpc::RetryInfo>(data);
}

/// Parses `data` as the JSON string form of a FieldMask, and checks that a
/// parsed mask prints and parses back to the same paths.
pub fn field_mask(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mask) = text.parse::<FieldMask>() else {
        return;
    };
    let printed = match mask.to_json_string() {
        Ok(printed) => printed,
        Err(error) => panic!("parsed mask {mask:?} does not print: {error}"),
    };
    let again: FieldMask = match printed.parse() {
        Ok(again) => again,
        Err(error) => panic!("printed mask {printed:?} does not parse: {error}"),
    };
    assert_eq!(again, mask, "mask changed after printing as {printed:?}");

    let normalized = mask.normalized();
    for path in &mask.paths {
        assert!(
            normalized.contains(path),
            "normalized mask {normalized:?} lost {path:?}"
        );
    }
}

/// Parses `data` as the JSON forms of Timestamp, Duration and Any, and checks
/// that each parsed value prints and parses back to itself.
pub fn wkt_text(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        check_text::<Timestamp>(text, |value| value.to_rfc3339().map_err(|e| e.to_string()));
        check_text::<Duration>(text, |value| {
            value.to_json_string().map_err(|e| e.to_string())
        });
    }
    check_json::<Any>(data);
}

fn check_text<T>(text: &str, print: impl Fn(&T) -> Result<String, String>)
where
    T: std::str::FromStr + PartialEq + Debug,
{
    let Ok(value) = text.parse::<T>() else {
        return;
    };
    let printed = match print(&value) {
        Ok(printed) => printed,
        Err(error) => panic!("{value:?}, parsed from {text:?}, does not print: {error}"),
    };
    match printed.parse::<T>() {
        Ok(again) => assert_eq!(
            again, value,
            "{text:?} changed after printing as {printed:?}"
        ),
        Err(_) => panic!("{printed:?}, printed from {text:?}, does not parse"),
    }
}

/// Decodes `data` as `T` in proto3 JSON. A decoded value must print as JSON that decodes
/// and prints again to the same JSON, and it must survive a binary round trip.
///
/// The JSON comparison is on `serde_json::Value`, whose object equality ignores member
/// order, because map fields are hash maps that print in any order.
pub fn check_json<T>(data: &[u8])
where
    T: prost::Message + Default + PartialEq + Serialize + DeserializeOwned + Debug,
{
    let Ok(value) = serde_json::from_slice::<T>(data) else {
        return;
    };
    check_binary_round_trip(&value);
    let printed = match serde_json::to_vec(&value) {
        Ok(printed) => printed,
        Err(error) => panic!("decoded {value:?} does not print as JSON: {error}"),
    };
    let again = match serde_json::from_slice::<T>(&printed) {
        Ok(again) => again,
        Err(error) => panic!(
            "printed JSON {} does not decode: {error}",
            String::from_utf8_lossy(&printed)
        ),
    };
    let reprinted = match serde_json::to_vec(&again) {
        Ok(reprinted) => reprinted,
        Err(error) => panic!("decoded {again:?} does not print as JSON: {error}"),
    };
    let first: serde_json::Value =
        serde_json::from_slice(&printed).expect("printed JSON is valid JSON");
    let second: serde_json::Value =
        serde_json::from_slice(&reprinted).expect("printed JSON is valid JSON");
    assert_eq!(first, second, "JSON changed after a decode and print");
}

/// Checks that the binary encoding of `value` decodes, and that the decoded message encodes
/// and decodes to itself. The decoded message, not `value`, is the reference: an Any of an
/// unregistered type keeps JSON members that the binary encoding does not carry.
fn check_binary_round_trip<T>(value: &T)
where
    T: prost::Message + Default + PartialEq + Debug,
{
    let decoded = match T::decode(value.encode_to_vec().as_slice()) {
        Ok(decoded) => decoded,
        Err(error) => panic!("binary encoding of {value:?} does not decode: {error}"),
    };
    match T::decode(decoded.encode_to_vec().as_slice()) {
        Ok(again) => assert_eq!(again, decoded, "binary round trip changed the message"),
        Err(error) => panic!("binary encoding of {decoded:?} does not decode: {error}"),
    }
}

/// Decodes `data` as `T` in the binary encoding. A decoded value must encode
/// and decode back unchanged. Printing it as JSON may fail (an enum number that
/// has no name, a Timestamp outside the years 1 to 9999) but must not panic.
pub fn check_binary<T>(data: &[u8])
where
    T: prost::Message + Default + PartialEq + Serialize + Debug,
{
    let Ok(value) = T::decode(data) else {
        return;
    };
    check_binary_round_trip(&value);
    let _ = serde_json::to_vec(&value);
}
