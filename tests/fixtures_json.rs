//! Every request fixture parses into its request type and prints back the same JSON.

use cwsandbox_control::v1beta2::{
    CreateManagedRunnerRequest, CreateProfileTemplateRequest, UpdateManagedRunnerRequest,
    UpdateProfileTemplateRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

#[path = "support/json_defaults.rs"]
mod json_defaults;

use json_defaults::without_defaults;

fn round_trip<T: Serialize + DeserializeOwned>(file: &str) {
    let path = format!(
        "{}/tests/fixtures/requests/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let expected = without_defaults(serde_json::from_str(&text).unwrap());
    let message: T = serde_json::from_str(&text).unwrap_or_else(|error| panic!("{file}: {error}"));
    let printed = serde_json::to_value(&message).unwrap();
    assert_eq!(printed, expected, "{file} did not print back the same JSON");
}

#[test]
fn create_profile_fixtures_round_trip() {
    round_trip::<CreateProfileTemplateRequest>("create-profile-allowlist.json");
    round_trip::<CreateProfileTemplateRequest>("create-profile-gpu.json");
    round_trip::<CreateProfileTemplateRequest>("create-profile-minimal.json");
}

#[test]
fn create_runner_fixture_round_trips() {
    round_trip::<CreateManagedRunnerRequest>("create-runner.json");
}

#[test]
fn update_fixtures_round_trip() {
    round_trip::<UpdateProfileTemplateRequest>("update-profile-description.json");
    round_trip::<UpdateManagedRunnerRequest>("update-runner-channel-and-zone.json");
    round_trip::<UpdateManagedRunnerRequest>("update-runner-swap-default.json");
}

#[test]
fn null_reads_as_default() {
    let text = r#"{"profileTemplate": {"displayName": null, "labels": null, "spec": {"tags": null,
        "instanceTypes": null, "resourceDefaults": null}}, "updateMask": null}"#;
    let request: UpdateProfileTemplateRequest = serde_json::from_str(text).unwrap();
    let template = request.profile_template.unwrap();
    assert!(template.display_name.is_empty());
    assert!(template.labels.is_empty());
    assert!(template.spec.unwrap().tags.is_empty());
    assert!(request.update_mask.is_none());
}

#[test]
fn unknown_enum_name_reads_as_default() {
    let text = r#"{"runnerId": "a", "runner": {"managedSpec": {"releaseChannel": "RELEASE_CHANNEL_NIGHTLY"}}}"#;
    let request: CreateManagedRunnerRequest = serde_json::from_str(text).unwrap();
    let spec = request.runner.unwrap().managed_spec.unwrap();
    assert_eq!(spec.release_channel, 0);
}

#[test]
fn unknown_enum_number_round_trips() {
    use cwsandbox_control::v1beta2::Runner;
    let runner: Runner = serde_json::from_str(
        r#"{"installStatus": 42, "managementMode": "MANAGEMENT_MODE_MANAGED"}"#,
    )
    .unwrap();
    assert_eq!(runner.install_status, 42);
    let printed = serde_json::to_value(&runner).unwrap();
    assert_eq!(printed["installStatus"], 42);
    assert_eq!(printed["managementMode"], "MANAGEMENT_MODE_MANAGED");
}

#[test]
fn enum_number_out_of_range_is_an_error() {
    use cwsandbox_control::v1beta2::Runner;
    let error = serde_json::from_str::<Runner>(r#"{"installStatus": 4294967296}"#).unwrap_err();
    assert!(error.to_string().contains("4294967296"), "{error}");
}
