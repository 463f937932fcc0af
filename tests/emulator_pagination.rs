//! Pagination of both lists: default and clamped page sizes, exact and
//! off-by-one page boundaries, forged and foreign tokens, and a stable order
//! while items are added and removed between pages.
#![cfg(feature = "emulator")]

#[allow(dead_code, reason = "each test binary uses part of the support module")]
#[path = "support/emulator_client.rs"]
mod support;

use std::collections::HashSet;

use cwsandbox_control::emulator::{
    ClusterConfig, ClusterStatus, Emulator, EmulatorHandle, Timings,
};
use serde_json::{Value, json};
use support::TestClient;

const TEMPLATES: &str = "/v1beta2/sandbox/profile-templates";
const RUNNERS: &str = "/v1beta2/sandbox/managed-runners";

async fn create_templates(
    client: &TestClient,
    token: &str,
    prefix: &str,
    count: usize,
) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    for index in 0..count {
        let body =
            json!({"profileTemplate": {"displayName": format!("{prefix}-{index}"), "spec": {}}});
        let reply = client.rest("POST", TEMPLATES, token, Some(&body)).await;
        assert_eq!(
            reply.status,
            200,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        ids.push(reply.json()["id"].as_str().expect("id").to_string());
    }
    ids
}

/// Fetches one page and returns the ids of its items and its next page token.
async fn page(client: &TestClient, token: &str, list: &str, query: &str) -> (Vec<String>, String) {
    let reply = client
        .rest("GET", &format!("{list}?{query}"), token, None)
        .await;
    assert_eq!(
        reply.status,
        200,
        "{query}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    let body = reply.json();
    let key = if list == TEMPLATES {
        "profileTemplates"
    } else {
        "runners"
    };
    let ids = body[key]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| item["id"].as_str().expect("id").to_string())
                .collect()
        })
        .unwrap_or_default();
    let next = body["nextPageToken"].as_str().unwrap_or("").to_string();
    (ids, next)
}

async fn all_pages(client: &TestClient, token: &str, list: &str, size: usize) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut next = String::new();
    loop {
        let query = format!("pageSize={size}&pageToken={next}");
        let (ids, token_out) = page(client, token, list, &query).await;
        pages.push(ids);
        if token_out.is_empty() {
            return pages;
        }
        next = token_out;
    }
}

#[tokio::test]
async fn empty_lists_have_no_items_and_no_token() {
    let emulator = support::start_instant().await;
    let client = TestClient::http1(&emulator.base_url());
    for list in [TEMPLATES, RUNNERS] {
        let reply = client.rest("GET", list, emulator.admin_token(), None).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json(), json!({}), "{list}");
    }
    let connect = client
        .connect("ListManagedRunners", emulator.user_token(), &json!({}))
        .await;
    assert_eq!(connect.json(), json!({}));
}

#[tokio::test]
async fn page_sizes_and_boundaries() {
    let emulator = support::start_instant().await;
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token();
    let ids = create_templates(&client, token, "t", 100).await;

    let cases: [(&str, usize, bool); 6] = [
        ("", 50, true),
        ("pageSize=0", 50, true),
        ("pageSize=1", 1, true),
        ("pageSize=100", 100, false),
        ("page_size=1000", 100, false),
        ("pageSize=99", 99, true),
    ];
    for (query, expected, has_next) in cases {
        let (items, next) = page(&client, token, TEMPLATES, query).await;
        assert_eq!(items.len(), expected, "{query}");
        assert_eq!(!next.is_empty(), has_next, "{query}: next page token");
    }

    create_templates(&client, token, "u", 1).await;
    let pages = all_pages(&client, token, TEMPLATES, 100).await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [100, 1],
        "101 items"
    );
    let listed: HashSet<&String> = pages.iter().flatten().collect();
    assert_eq!(listed.len(), 101);
    assert!(ids.iter().all(|id| listed.contains(id)));

    let pages = all_pages(&client, token, TEMPLATES, 50).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [50, 50, 1]);
}

#[tokio::test]
async fn invalid_sizes_and_tokens_are_rejected() {
    let emulator = support::start_instant().await;
    let other = support::start_instant().await;
    let client = TestClient::http1(&emulator.base_url());
    let other_client = TestClient::http1(&other.base_url());
    let token = emulator.admin_token();
    create_templates(&client, token, "t", 3).await;
    create_templates(&other_client, token, "t", 3).await;

    let (_, template_token) = page(&client, token, TEMPLATES, "pageSize=1").await;
    let (_, foreign_process) = page(&other_client, token, TEMPLATES, "pageSize=1").await;
    let mut edited = template_token.clone();
    edited.insert(
        3,
        if edited.as_bytes()[3] == b'A' {
            'B'
        } else {
            'A'
        },
    );
    edited.remove(4);

    let cases: Vec<(String, &str, &str, &str)> = vec![
        (
            "pageSize=-1".into(),
            TEMPLATES,
            "CWSANDBOX_INVALID_PAGE_SIZE",
            "page_size",
        ),
        (
            "pageSize=-1".into(),
            RUNNERS,
            "CWSANDBOX_INVALID_PAGE_SIZE",
            "page_size",
        ),
        (
            "pageSize=ten".into(),
            TEMPLATES,
            "CWSANDBOX_INVALID_PAGE_SIZE",
            "page_size",
        ),
        (
            "pageToken=forged".into(),
            TEMPLATES,
            "CWSANDBOX_INVALID_PAGE_TOKEN",
            "page_token",
        ),
        (
            format!("pageToken={edited}"),
            TEMPLATES,
            "CWSANDBOX_INVALID_PAGE_TOKEN",
            "page_token",
        ),
        (
            format!("pageToken={template_token}"),
            RUNNERS,
            "CWSANDBOX_INVALID_PAGE_TOKEN",
            "page_token",
        ),
        (
            format!("pageToken={foreign_process}"),
            TEMPLATES,
            "CWSANDBOX_INVALID_PAGE_TOKEN",
            "page_token",
        ),
        (
            "color=red".into(),
            TEMPLATES,
            "CWSANDBOX_MALFORMED_REQUEST",
            "color",
        ),
    ];
    for (query, list, reason, field) in &cases {
        let reply = client
            .rest("GET", &format!("{list}?{query}"), token, None)
            .await;
        reply.assert_rest_error(400, 3, reason);
        assert_eq!(reply.violations()[0].0, *field, "{list}?{query}");
    }

    let other_org = client
        .rest(
            "GET",
            &format!("{TEMPLATES}?pageToken={template_token}"),
            "other-admin-token",
            None,
        )
        .await;
    other_org.assert_rest_error(400, 3, "CWSANDBOX_INVALID_PAGE_TOKEN");

    let connect = client
        .connect("ListProfileTemplates", token, &json!({"pageSize": -5}))
        .await;
    assert_eq!(connect.status, 400);
    assert_eq!(connect.json()["code"], "invalid_argument");
}

#[tokio::test]
async fn order_is_stable_while_items_change() {
    let emulator = support::start_manual().await;
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token();
    for round in 0..5 {
        create_templates(&client, token, &format!("r{round}"), 6).await;
        emulator.advance(std::time::Duration::from_millis(10));
    }

    let (first, next) = page(&client, token, TEMPLATES, "pageSize=10").await;
    let created_order: Vec<String> = all_pages(&client, token, TEMPLATES, 100).await.concat();
    assert_eq!(&created_order[..10], first.as_slice());

    let removed_seen = &first[3];
    let removed_unseen = &created_order[25];
    for id in [removed_seen, removed_unseen] {
        let reply = client
            .rest("DELETE", &format!("{TEMPLATES}/{id}"), token, None)
            .await;
        assert_eq!(reply.status, 200);
    }
    emulator.advance(std::time::Duration::from_millis(10));
    let mut added = create_templates(&client, token, "late", 3).await;
    // Items created at the same instant are ordered by id.
    added.sort();

    let mut rest = Vec::new();
    let mut next = next;
    while !next.is_empty() {
        let (ids, following) = page(
            &client,
            token,
            TEMPLATES,
            &format!("pageSize=10&pageToken={next}"),
        )
        .await;
        rest.extend(ids);
        next = following;
    }
    let expected: Vec<String> = created_order[10..]
        .iter()
        .filter(|id| *id != removed_unseen)
        .cloned()
        .chain(added)
        .collect();
    assert_eq!(
        rest, expected,
        "later pages continue after the last key, skipping nothing"
    );
    let seen: HashSet<&String> = first.iter().chain(&rest).collect();
    assert_eq!(
        seen.len(),
        first.len() + rest.len(),
        "no item appears twice"
    );
}

async fn start_with_clusters(count: usize) -> EmulatorHandle {
    let mut builder = Emulator::builder()
        .timings(Timings::instant())
        .manual_clock();
    for index in 0..count {
        builder = builder.cluster(ClusterConfig {
            id: format!("cl-test-{index}"),
            name: format!("test-{index}"),
            zone: "US-TEST-01A".to_string(),
            extra_zones: Vec::new(),
            status: ClusterStatus::Ready,
        });
    }
    builder.start().await.expect("emulator starts")
}

#[tokio::test]
async fn runner_pages_follow_creation_order() {
    let emulator = start_with_clusters(12).await;
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token();
    let template = create_templates(&client, token, "p", 1).await.remove(0);
    let mut created = Vec::new();
    for index in 0..12 {
        emulator.advance(std::time::Duration::from_secs(1));
        let body = json!({
            "runnerId": format!("runner-{index}"),
            "runner": {
                "identity": {"zone": "US-TEST-01A", "clusterName": format!("test-{index}")},
                "profileBindings": [{"profileTemplateId": template, "isDefault": true}]
            }
        });
        let reply = client.rest("POST", RUNNERS, token, Some(&body)).await;
        assert_eq!(
            reply.status,
            200,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        created.push(reply.json()["id"].as_str().expect("id").to_string());
    }
    let pages = all_pages(&client, token, RUNNERS, 5).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [5, 5, 2]);
    assert_eq!(pages.concat(), created);

    let other = client.rest("GET", RUNNERS, "other-admin-token", None).await;
    assert_eq!(other.json(), json!({}), "another organization sees none");
    let connect = client
        .connect("ListManagedRunners", token, &json!({"pageSize": 100}))
        .await
        .json();
    let listed: Vec<&Value> = connect["runners"]
        .as_array()
        .expect("runners")
        .iter()
        .collect();
    assert_eq!(listed.len(), 12);
    assert!(
        listed
            .iter()
            .all(|runner| runner["installStatus"] == "RUNNER_INSTALL_STATUS_READY")
    );
}

async fn start_with_state(path: &std::path::Path) -> EmulatorHandle {
    Emulator::builder()
        .timings(Timings::instant())
        .state_path(path)
        .start()
        .await
        .expect("emulator starts")
}

#[tokio::test]
async fn tokens_survive_restart_with_state() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let path = directory.path().join("state.json");
    let emulator = start_with_state(&path).await;
    let client = TestClient::http1(&emulator.base_url());
    let token = emulator.admin_token().to_string();
    create_templates(&client, &token, "kept", 3).await;
    let (ids, _) = page(&client, &token, TEMPLATES, "pageSize=5").await;
    assert_eq!(ids.len(), 3);
    let (first, next) = page(&client, &token, TEMPLATES, "pageSize=1").await;
    assert_eq!(first, ids[..1]);
    assert!(!next.is_empty());
    emulator.shutdown().await;

    let restarted = start_with_state(&path).await;
    let client = TestClient::http1(&restarted.base_url());
    let query = format!("pageSize=1&pageToken={next}");
    let (second, next) = page(&client, &token, TEMPLATES, &query).await;
    assert_eq!(second, ids[1..2]);
    let query = format!("pageSize=5&pageToken={next}");
    let (third, last) = page(&client, &token, TEMPLATES, &query).await;
    assert_eq!(third, ids[2..]);
    assert!(last.is_empty());

    // Another state file has its own key, so the token is foreign there.
    let other = start_with_state(&directory.path().join("other.json")).await;
    let other_client = TestClient::http1(&other.base_url());
    create_templates(&other_client, &token, "other", 3).await;
    let reply = other_client
        .rest(
            "GET",
            &format!("{TEMPLATES}?pageSize=1&pageToken={next}"),
            &token,
            None,
        )
        .await;
    assert_eq!(
        reply.status,
        400,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    restarted.shutdown().await;
    other.shutdown().await;
}
