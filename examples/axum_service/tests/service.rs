//! The runner service against the in-process emulator on 127.0.0.1.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum_runner_service::{AppState, Placement, router, runner_id};
use cwsandbox_control::Client;
use cwsandbox_control::connect::{Channel, RetryPolicy};
use cwsandbox_control::emulator::{ClusterConfig, ClusterStatus, Emulator, EmulatorHandle, Fault};
use cwsandbox_control::v1beta2::{
    CreateProfileTemplateRequest, GetRunnerRequest, ProfileSpec, ProfileTemplate,
};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The emulator's default cluster, and one more for the second team.
const WEST: (&str, &str) = ("lab-west-cks", "US-WEST-09B");
const EAST: (&str, &str) = ("lab-east-cks", "US-EAST-04A");

struct Fixture {
    emulator: EmulatorHandle,
    client: Client,
    app: Router,
    /// Template ids by display name.
    templates: BTreeMap<String, String>,
}

/// Starts an emulator with two clusters and two templates, and the service
/// with the teams `ml` (west), `web` (east) and `late` (west, like `ml`).
async fn start() -> Fixture {
    let east = ClusterConfig {
        id: "cluster-east".to_string(),
        name: EAST.0.to_string(),
        zone: EAST.1.to_string(),
        extra_zones: Vec::new(),
        status: ClusterStatus::default(),
    };
    let emulator = Emulator::builder().cluster(east).start().await.unwrap();
    let channel = Channel::builder(emulator.base_url())
        .bearer_token(emulator.admin_token().to_string())
        .retry_policy(RetryPolicy {
            max_attempts: 2,
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let client = Client::new(channel);

    let mut templates = BTreeMap::new();
    for name in ["agents", "train"] {
        let template = ProfileTemplate {
            display_name: name.to_string(),
            spec: Some(ProfileSpec::default()),
            ..ProfileTemplate::default()
        };
        let request = CreateProfileTemplateRequest {
            profile_template: Some(template),
        };
        let created = client.create_profile_template(request).await.unwrap();
        templates.insert(name.to_string(), created.id);
    }

    let placement = |(cluster, zone): (&str, &str)| Placement {
        cluster_name: cluster.to_string(),
        zone: zone.to_string(),
    };
    let teams = BTreeMap::from([
        ("ml".to_string(), placement(WEST)),
        ("web".to_string(), placement(EAST)),
        ("late".to_string(), placement(WEST)),
    ]);
    let app = router(AppState::new(client.clone(), teams).unwrap());
    Fixture {
        emulator,
        client,
        app,
        templates,
    }
}

/// Sends `POST /teams/{team}/runner` with `body` and returns the status and JSON reply.
async fn post(app: &Router, team: &str, body: &str) -> (StatusCode, Value) {
    let request = Request::post(format!("/teams/{team}/runner"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|error| panic!("reply is not JSON ({error}): {bytes:?}"));
    (status, value)
}

fn profile(name: &str) -> String {
    json!({ "profile": name }).to_string()
}

fn bound_ids(reply: &Value) -> Vec<String> {
    let bindings = reply["runner"]["profileBindings"].as_array().unwrap();
    bindings
        .iter()
        .map(|binding| binding["profileTemplateId"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn new_team_gets_runner() {
    let fixture = start().await;
    let (status, reply) = post(&fixture.app, "ml", &profile("agents")).await;

    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["created"], true);
    assert_eq!(reply["changed"], true);
    let runner = &reply["runner"];
    assert_eq!(runner["identity"]["runnerId"], "team-ml");
    assert_eq!(runner["identity"]["clusterName"], WEST.0);
    assert_eq!(runner["installStatus"], "RUNNER_INSTALL_STATUS_PENDING");
    assert_eq!(bound_ids(&reply), [fixture.templates["agents"].clone()]);
    assert_eq!(runner["profileBindings"][0]["isDefault"], true);

    let request = GetRunnerRequest {
        id: runner_id("ml"),
    };
    let stored = fixture.client.get_runner(request).await.unwrap();
    assert_eq!(stored.id, runner["id"].as_str().unwrap());
    assert_eq!(stored.profile_bindings.len(), 1);
}

#[tokio::test]
async fn second_profile_is_bound() {
    let fixture = start().await;
    post(&fixture.app, "ml", &profile("agents")).await;
    let (status, reply) = post(&fixture.app, "ml", &profile("train")).await;

    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["created"], false);
    assert_eq!(reply["changed"], true);
    let expected = [&fixture.templates["agents"], &fixture.templates["train"]];
    assert_eq!(bound_ids(&reply), expected.map(String::clone));
    let defaults: Vec<bool> = reply["runner"]["profileBindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|binding| binding["isDefault"].as_bool().unwrap_or(false))
        .collect();
    assert_eq!(
        defaults,
        [true, false],
        "the first binding stays the default"
    );
    assert_eq!(
        reply["runner"]["targetRevision"], 2,
        "a binding change is a new revision"
    );
}

#[tokio::test]
async fn bound_profile_changes_nothing() {
    let fixture = start().await;
    post(&fixture.app, "ml", &profile("agents")).await;
    let updates_before = fixture.emulator.request_count("UpdateManagedRunner");
    let (status, reply) = post(&fixture.app, "ml", &profile("agents")).await;

    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["created"], false);
    assert_eq!(reply["changed"], false);
    assert_eq!(bound_ids(&reply).len(), 1);
    let updates_after = fixture.emulator.request_count("UpdateManagedRunner");
    assert_eq!(updates_after, updates_before, "no update was sent");
}

#[tokio::test]
async fn teams_get_separate_runners() {
    let fixture = start().await;
    let (ml_status, ml) = post(&fixture.app, "ml", &profile("agents")).await;
    let (web_status, web) = post(&fixture.app, "web", &profile("train")).await;

    assert_eq!(ml_status, StatusCode::CREATED, "{ml}");
    assert_eq!(web_status, StatusCode::CREATED, "{web}");
    assert_eq!(web["runner"]["identity"]["clusterName"], EAST.0);
    assert_ne!(ml["runner"]["id"], web["runner"]["id"]);
}

#[tokio::test]
async fn concurrent_binds_keep_both() {
    let fixture = start().await;
    post(&fixture.app, "ml", &profile("agents")).await;
    // Without the per-team lock, each update would replace the other's list.
    let body = profile("train");
    let (one, two) = tokio::join!(
        post(&fixture.app, "ml", &body),
        post(&fixture.app, "ml", &body)
    );

    assert_eq!(one.0, StatusCode::OK, "{}", one.1);
    assert_eq!(two.0, StatusCode::OK, "{}", two.1);
    let changed = [&one.1, &two.1]
        .iter()
        .filter(|reply| reply["changed"] == true)
        .count();
    assert_eq!(changed, 1, "exactly one request bound the template");
}

#[tokio::test]
async fn concurrent_creates_make_one_runner() {
    let fixture = start().await;
    let (agents, train) = (profile("agents"), profile("train"));
    let (one, two) = tokio::join!(
        post(&fixture.app, "web", &agents),
        post(&fixture.app, "web", &train)
    );

    let statuses = [one.0, two.0];
    assert!(statuses.contains(&StatusCode::CREATED), "{statuses:?}");
    assert!(statuses.contains(&StatusCode::OK), "{statuses:?}");
    let request = GetRunnerRequest {
        id: runner_id("web"),
    };
    let stored = fixture.client.get_runner(request).await.unwrap();
    assert_eq!(stored.profile_bindings.len(), 2);
}

#[tokio::test]
async fn unknown_team_is_404() {
    let fixture = start().await;
    let (status, reply) = post(&fixture.app, "ops", &profile("agents")).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(reply["code"], "unknown_team");
    let message = reply["error"].as_str().unwrap();
    assert!(message.contains("\"ops\""), "{message}");
    assert!(message.contains("ml"), "{message}");
}

#[tokio::test]
async fn unknown_profile_is_404() {
    let fixture = start().await;
    let (status, reply) = post(&fixture.app, "ml", &profile("gpu-large")).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(reply["code"], "profile_not_found");
    assert!(reply["error"].as_str().unwrap().contains("gpu-large"));
    assert_eq!(fixture.emulator.request_count("CreateManagedRunner"), 0);
}

#[tokio::test]
async fn invalid_bodies_are_400() {
    let fixture = start().await;
    let cases = [
        ("not json", "{"),
        ("missing profile", "{}"),
        ("unknown field", r#"{"profile": "agents", "zone": "x"}"#),
        ("empty profile", r#"{"profile": "  "}"#),
    ];
    for (case, body) in cases {
        let (status, reply) = post(&fixture.app, "ml", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{case}: {reply}");
        assert_eq!(reply["code"], "invalid_request", "{case}");
    }
}

#[tokio::test]
async fn taken_cluster_is_409() {
    let fixture = start().await;
    post(&fixture.app, "ml", &profile("agents")).await;
    // `late` shares the west cluster, which already has the ml runner.
    let (status, reply) = post(&fixture.app, "late", &profile("agents")).await;

    assert_eq!(status, StatusCode::CONFLICT, "{reply}");
    assert_eq!(reply["code"], "already_exists");
}

#[tokio::test]
async fn unavailable_control_plane_is_503() {
    let fixture = start().await;
    let fault = Fault {
        unavailable_ratio: 1.0,
        retry_delay: Duration::from_millis(10),
        delay: Duration::ZERO,
    };
    fixture
        .emulator
        .set_fault("ListProfileTemplates", fault)
        .unwrap();
    let (status, reply) = post(&fixture.app, "ml", &profile("agents")).await;

    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{reply}");
    assert_eq!(reply["code"], "unavailable");
    assert_eq!(
        fixture.emulator.request_count("ListProfileTemplates"),
        2,
        "the client's policy allows two attempts"
    );
}

#[test]
fn team_names_are_checked() {
    for valid in ["ml", "team-7", &"a".repeat(58)] {
        assert!(
            axum_runner_service::validate_team_name(valid).is_ok(),
            "{valid}"
        );
    }
    for invalid in [
        "",
        "ML",
        "-ml",
        "ml-",
        "ml_west",
        "ml.west",
        &"a".repeat(59),
    ] {
        let error = axum_runner_service::validate_team_name(invalid).unwrap_err();
        assert!(error.contains(&format!("{invalid:?}")), "{error}");
    }
}

#[test]
fn placement_parses_cluster_and_zone() {
    let placement = Placement::parse("lab-west-cks@US-WEST-09B").unwrap();
    assert_eq!(placement.cluster_name, "lab-west-cks");
    assert_eq!(placement.zone, "US-WEST-09B");
    for invalid in ["lab-west-cks", "@US-WEST-09B", "lab-west-cks@"] {
        let error = Placement::parse(invalid).unwrap_err();
        assert!(error.contains("CLUSTER@ZONE"), "{error}");
    }
}

#[test]
fn invalid_team_in_config_is_rejected() {
    let channel = Channel::builder("http://127.0.0.1:1").build().unwrap();
    let placement = Placement::parse("c@z").unwrap();
    let teams = BTreeMap::from([("Bad Team".to_string(), placement)]);
    let error = AppState::new(Client::new(channel), teams)
        .err()
        .expect("an invalid team name is rejected");
    assert!(error.contains("\"Bad Team\""), "{error}");
}
