//! Retries, the retry budget and safe creates, against the emulator's fault
//! injection and a proxy that loses a response after the server handled it.

#![cfg(feature = "emulator")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cwsandbox_control::connect::{Channel, Code, RetryBudget, RetryPolicy};
use cwsandbox_control::emulator::{Emulator, EmulatorHandle, Fault};
use cwsandbox_control::v1beta2::{
    CreateProfileTemplateRequest, GetProfileTemplateRequest, ListProfileTemplatesRequest,
    ProfileSpec, ProfileTemplate,
};
use cwsandbox_control::{Client, existing_resource};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn template(name: &str) -> ProfileTemplate {
    ProfileTemplate {
        display_name: name.to_string(),
        description: "retry test".to_string(),
        spec: Some(ProfileSpec {
            runtime_class: "kata-qemu".to_string(),
            ..ProfileSpec::default()
        }),
        ..ProfileTemplate::default()
    }
}

fn client(
    url: &str,
    emulator: &EmulatorHandle,
    policy: RetryPolicy,
    budget: Option<Arc<RetryBudget>>,
) -> Client {
    let channel = Channel::builder(url)
        .bearer_token(emulator.admin_token().to_string())
        .retry_policy(policy)
        .retry_budget(budget)
        .default_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    Client::new(channel)
}

async fn create(client: &Client, name: &str) -> ProfileTemplate {
    let request = CreateProfileTemplateRequest {
        profile_template: Some(template(name)),
    };
    client.create_profile_template(request).await.unwrap()
}

#[tokio::test]
async fn calls_succeed_through_thirty_percent_unavailable() {
    let emulator = Emulator::builder().fault_seed(7).start().await.unwrap();
    let policy = RetryPolicy {
        max_attempts: 10,
        ..RetryPolicy::default()
    };
    let client = client(
        &emulator.base_url(),
        &emulator,
        policy,
        Some(Arc::new(RetryBudget::new(100, 0.1))),
    );
    let created = create(&client, "flaky-target").await;

    let retry_delay = Duration::from_millis(150);
    let fault = Fault {
        unavailable_ratio: 0.3,
        retry_delay,
        delay: Duration::ZERO,
    };
    emulator.set_fault("GetProfileTemplate", fault).unwrap();

    let started = Instant::now();
    let calls = 20;
    for _ in 0..calls {
        let request = GetProfileTemplateRequest {
            id: created.id.clone(),
        };
        let got = client.get_profile_template(request).await.unwrap();
        assert_eq!(got.id, created.id);
    }
    let elapsed = started.elapsed();

    let attempts = emulator.request_count("GetProfileTemplate");
    let retries = attempts - calls;
    assert!(retries > 0, "30% faults over {calls} calls caused no retry");
    let waited = retry_delay * u32::try_from(retries).unwrap();
    assert!(
        elapsed >= waited,
        "{retries} retries took {elapsed:?}, under the RetryInfo delays {waited:?}"
    );
}

#[tokio::test]
async fn budget_stops_retries_when_every_call_fails() {
    let emulator = Emulator::builder().fault_seed(7).start().await.unwrap();
    let policy = RetryPolicy {
        max_attempts: 100,
        ..RetryPolicy::default()
    };
    let budget = Arc::new(RetryBudget::new(10, 0.1));
    let client = client(
        &emulator.base_url(),
        &emulator,
        policy,
        Some(budget.clone()),
    );
    let created = create(&client, "down-target").await;

    let fault = Fault {
        unavailable_ratio: 1.0,
        retry_delay: Duration::from_millis(10),
        delay: Duration::ZERO,
    };
    emulator.set_fault("GetProfileTemplate", fault).unwrap();

    let deadline = Duration::from_secs(3);
    let started = Instant::now();
    let request = GetProfileTemplateRequest {
        id: created.id.clone(),
    };
    let request = cwsandbox_control::connect::Request::new(request).with_timeout(deadline);
    let status = client.get_profile_template(request).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert!(
        started.elapsed() < deadline,
        "the call outlived its deadline"
    );

    // Ten tokens allow retries while more than five remain: five attempts.
    assert_eq!(emulator.request_count("GetProfileTemplate"), 5);

    let request = GetProfileTemplateRequest {
        id: created.id.clone(),
    };
    client.get_profile_template(request).await.unwrap_err();
    assert_eq!(
        emulator.request_count("GetProfileTemplate"),
        6,
        "an empty budget still retried"
    );
}

#[tokio::test]
async fn create_is_not_retried_after_it_was_sent() {
    let emulator = Emulator::start().await.unwrap();
    let proxy = LossyProxy::start(emulator.addr().to_string(), 1).await;
    let client = client(&proxy.url(), &emulator, RetryPolicy::default(), None);

    let request = CreateProfileTemplateRequest {
        profile_template: Some(template("sent-once")),
    };
    let status = client.create_profile_template(request).await.unwrap_err();
    assert!(!status.is_unsent());
    assert_eq!(emulator.request_count("CreateProfileTemplate"), 1);
}

#[tokio::test]
async fn safe_create_reconciles_a_lost_response() {
    let emulator = Emulator::start().await.unwrap();
    let proxy = LossyProxy::start(emulator.addr().to_string(), 1).await;
    let client = client(&proxy.url(), &emulator, RetryPolicy::default(), None);

    let created = client
        .create_profile_template_safely(template("lost-response"))
        .await
        .unwrap();
    assert_eq!(created.display_name, "lost-response");
    assert!(!created.id.is_empty());
    assert_eq!(
        proxy.dropped(),
        1,
        "the proxy did not lose the first response"
    );
    assert_eq!(
        emulator.request_count("CreateProfileTemplate"),
        1,
        "the create was sent twice"
    );

    let page = client
        .list_profile_templates(ListProfileTemplatesRequest::default())
        .await
        .unwrap();
    let named: Vec<_> = page
        .profile_templates
        .iter()
        .filter(|t| t.display_name == "lost-response")
        .collect();
    assert_eq!(named.len(), 1);
}

#[tokio::test]
async fn safe_create_reports_a_different_existing_template() {
    let emulator = Emulator::start().await.unwrap();
    let direct = client(
        &emulator.base_url(),
        &emulator,
        RetryPolicy::default(),
        None,
    );
    let mut other = template("taken-name");
    other.description = "made by someone else".to_string();
    let request = CreateProfileTemplateRequest {
        profile_template: Some(other),
    };
    direct.create_profile_template(request).await.unwrap();

    // The create reaches the server, which rejects the duplicate; the proxy
    // loses that response, so the client cannot tell and looks the name up.
    let proxy = LossyProxy::start(emulator.addr().to_string(), 1).await;
    let client = client(&proxy.url(), &emulator, RetryPolicy::default(), None);
    let status = client
        .create_profile_template_safely(template("taken-name"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    let existing: ProfileTemplate = existing_resource(&status).unwrap();
    assert_eq!(existing.description, "made by someone else");
}

/// A TCP proxy that forwards requests to the server but closes the first
/// `losses` connections as soon as the server's response begins, so the
/// server has handled the request and the client never sees the response.
struct LossyProxy {
    addr: std::net::SocketAddr,
    dropped: Arc<AtomicUsize>,
}

impl LossyProxy {
    async fn start(upstream: String, losses: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let dropped = Arc::new(AtomicUsize::new(0));
        let counter = dropped.clone();
        tokio::spawn(async move {
            let mut connections = 0;
            while let Ok((client, _)) = listener.accept().await {
                connections += 1;
                let lose = connections <= losses;
                let upstream = upstream.clone();
                let counter = counter.clone();
                tokio::spawn(async move {
                    let server = TcpStream::connect(upstream).await.unwrap();
                    if lose {
                        lose_response(client, server, counter).await;
                    } else {
                        pass_through(client, server).await;
                    }
                });
            }
        });
        Self { addr, dropped }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn dropped(&self) -> usize {
        self.dropped.load(Ordering::SeqCst)
    }
}

async fn pass_through(mut client: TcpStream, mut server: TcpStream) {
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}

async fn lose_response(client: TcpStream, server: TcpStream, dropped: Arc<AtomicUsize>) {
    let (mut client_read, client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
        let _ = server_write.shutdown().await;
    });
    let mut first = [0u8; 1];
    let _ = server_read.read(&mut first).await;
    dropped.fetch_add(1, Ordering::SeqCst);
    drop(client_write);
}
