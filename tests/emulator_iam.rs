//! Authentication, roles and organization scoping, over REST and Connect.
#![cfg(feature = "emulator")]

#[allow(dead_code, reason = "each test binary uses part of the support module")]
#[path = "support/emulator_client.rs"]
mod support;

use serde_json::json;
use support::{CONNECT, TestClient, create_profile_fixtures, create_runner_fixture};

#[tokio::test]
async fn tokens_are_checked() {
    let emulator = support::start_instant().await;
    let client = TestClient::http1(&emulator.base_url());
    let list = "/v1beta2/sandbox/managed-runners";
    let cases: [(&str, Option<&str>, u16); 7] = [
        ("no header", None, 401),
        ("unknown token", Some("Bearer nope"), 401),
        ("basic scheme", Some("Basic YWRtaW46YWRtaW4="), 401),
        ("scheme only", Some("Bearer"), 401),
        ("token prefix", Some("Bearer admin-toke"), 401),
        ("admin token", Some("Bearer admin-token"), 200),
        ("lower-case scheme", Some("bearer user-token"), 200),
    ];
    for (name, header, status) in cases {
        let headers: Vec<(&str, &str)> = header.map(|h| ("authorization", h)).into_iter().collect();
        let reply = client.call("GET", list, None, &headers, "").await;
        assert_eq!(reply.status, status, "{name}");
        if status == 401 {
            reply.assert_rest_error(401, 16, "CWSANDBOX_UNAUTHENTICATED");
            assert!(
                reply
                    .header("www-authenticate")
                    .is_some_and(|v| v.starts_with("Bearer")),
                "{name}"
            );
        }
    }

    let connect = client
        .call(
            "POST",
            &format!("{CONNECT}ListManagedRunners"),
            None,
            &[("content-type", "application/json")],
            "{}",
        )
        .await;
    assert_eq!(connect.status, 401);
    assert_eq!(connect.json()["code"], "unauthenticated");
}

#[tokio::test]
async fn user_role_may_only_read() {
    let emulator = support::start_instant().await;
    let client = TestClient::http1(&emulator.base_url());
    let admin = emulator.admin_token();
    let user = emulator.user_token();
    let profiles = create_profile_fixtures(&client, admin).await;
    let runner = create_runner_fixture(&client, admin, &profiles).await;
    let runner_path = format!(
        "/v1beta2/sandbox/managed-runners/{}",
        runner["id"].as_str().expect("id")
    );
    let template_path = format!(
        "/v1beta2/sandbox/profile-templates/{}",
        profiles["zone-defaults"]
    );
    let template_body = json!({"profileTemplate": {"displayName": "x", "spec": {}}});
    let update_body = json!({"runner": {"displayName": "x"}, "updateMask": "displayName"});
    let apply_path = format!("{runner_path}/apply-update");

    let cases: Vec<(&str, &str, Option<&serde_json::Value>, u16)> = vec![
        ("GET", "/v1beta2/sandbox/managed-runners", None, 200),
        ("GET", runner_path.as_str(), None, 200),
        ("GET", "/v1beta2/sandbox/profile-templates", None, 200),
        ("GET", template_path.as_str(), None, 200),
        (
            "POST",
            "/v1beta2/sandbox/profile-templates",
            Some(&template_body),
            403,
        ),
        ("PATCH", template_path.as_str(), Some(&template_body), 403),
        ("DELETE", template_path.as_str(), None, 403),
        (
            "POST",
            "/v1beta2/sandbox/managed-runners",
            Some(&template_body),
            403,
        ),
        ("PATCH", runner_path.as_str(), Some(&update_body), 403),
        ("DELETE", runner_path.as_str(), None, 403),
        ("POST", apply_path.as_str(), Some(&template_body), 403),
    ];
    for (method, path, body, status) in cases {
        let reply = client.rest(method, path, user, body).await;
        if status == 403 {
            reply.assert_rest_error(403, 7, "CWSANDBOX_PERMISSION_DENIED");
            assert_eq!(
                reply.error_info()["metadata"]["required_role"],
                "SANDBOX_ADMIN"
            );
        } else {
            assert_eq!(reply.status, status, "{method} {path}");
        }
    }
    let still_there = client.rest("GET", &template_path, admin, None).await;
    assert_eq!(still_there.status, 200, "the denied delete changed nothing");

    let connect = client
        .connect("DeleteManagedRunner", user, &json!({"id": "lab-west"}))
        .await;
    assert_eq!(connect.status, 403);
    assert_eq!(connect.json()["code"], "permission_denied");
}

#[tokio::test]
async fn organizations_are_isolated() {
    let emulator = support::start_instant().await;
    let client = TestClient::http1(&emulator.base_url());
    let admin = emulator.admin_token();
    let other = "other-admin-token";
    let profiles = create_profile_fixtures(&client, admin).await;
    let runner = create_runner_fixture(&client, admin, &profiles).await;
    let uuid = runner["id"].as_str().expect("id");
    let template = &profiles["train-a100"];

    let update = json!({"runner": {"displayName": "x"}, "updateMask": "displayName"});
    let cases: Vec<(&str, String, Option<&serde_json::Value>, &str)> = vec![
        (
            "GET",
            format!("/v1beta2/sandbox/managed-runners/{uuid}"),
            None,
            "CWSANDBOX_RUNNER_NOT_FOUND",
        ),
        (
            "GET",
            "/v1beta2/sandbox/managed-runners/lab-west".into(),
            None,
            "CWSANDBOX_RUNNER_NOT_FOUND",
        ),
        (
            "PATCH",
            format!("/v1beta2/sandbox/managed-runners/{uuid}"),
            Some(&update),
            "CWSANDBOX_RUNNER_NOT_FOUND",
        ),
        (
            "DELETE",
            "/v1beta2/sandbox/managed-runners/lab-west".into(),
            None,
            "CWSANDBOX_RUNNER_NOT_FOUND",
        ),
        (
            "POST",
            format!("/v1beta2/sandbox/managed-runners/{uuid}/apply-update"),
            Some(&update),
            "CWSANDBOX_RUNNER_NOT_FOUND",
        ),
        (
            "GET",
            format!("/v1beta2/sandbox/profile-templates/{template}"),
            None,
            "CWSANDBOX_PROFILE_NOT_FOUND",
        ),
        (
            "DELETE",
            format!("/v1beta2/sandbox/profile-templates/{template}"),
            None,
            "CWSANDBOX_PROFILE_NOT_FOUND",
        ),
    ];
    for (method, path, body, reason) in &cases {
        let body = if *method == "POST" {
            Some(&json!({}))
        } else {
            *body
        };
        let reply = client.rest(method, path, other, body).await;
        reply.assert_rest_error(404, 5, reason);
    }
    for list in [
        "/v1beta2/sandbox/managed-runners",
        "/v1beta2/sandbox/profile-templates",
    ] {
        let reply = client.rest("GET", list, other, None).await;
        assert_eq!(reply.json(), json!({}), "{list}");
    }

    let same_name = json!({"profileTemplate": {"displayName": "train-a100", "spec": {}}});
    let reply = client
        .rest(
            "POST",
            "/v1beta2/sandbox/profile-templates",
            other,
            Some(&same_name),
        )
        .await;
    assert_eq!(
        reply.status, 200,
        "display names are unique per organization"
    );
    assert_eq!(reply.json()["organizationId"], "org-other");

    let mine = client
        .rest(
            "GET",
            &format!("/v1beta2/sandbox/managed-runners/{uuid}"),
            admin,
            None,
        )
        .await;
    assert_eq!(
        mine.json()["displayName"],
        "Lab (west)",
        "the other organization changed nothing"
    );
}
