//! The types a service stores in its state can cross threads and be shared:
//! compile-time bounds, then one client cloned into many tasks at once.

use cwsandbox_control::Client;
use cwsandbox_control::connect::{Channel, Code, Status};
use cwsandbox_control::v1beta2::{
    CreateManagedRunnerRequest, GetRunnerRequest, ListProfileTemplatesRequest,
    RunnerManagementServiceClient,
};

fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
fn assert_send_sync<T: Send + Sync + 'static>() {}

#[test]
fn shared_types_are_send_sync_clone() {
    assert_send_sync_clone::<Client>();
    assert_send_sync_clone::<Channel>();
    assert_send_sync_clone::<RunnerManagementServiceClient>();
    assert_send_sync::<Status>();
}

/// Checks at compile time that `future` can move to another thread, as
/// `tokio::spawn` and axum handlers require.
fn assert_send_future<F: std::future::Future + Send>(future: F) -> F {
    future
}

#[test]
fn call_futures_are_send() {
    let channel = Channel::builder("http://127.0.0.1:1").build().unwrap();
    let client = Client::new(channel);
    // The futures are built and dropped, never polled, so nothing is sent.
    drop(assert_send_future(
        client.get_runner(GetRunnerRequest::default()),
    ));
    drop(assert_send_future(client.list_profile_templates(
        ListProfileTemplatesRequest::default(),
    )));
    drop(assert_send_future(
        client.create_managed_runner(CreateManagedRunnerRequest::default()),
    ));
    drop(assert_send_future(client.find_profile_template("agents")));
    drop(assert_send_future(
        client.create_profile_template_safely(Default::default()),
    ));
    drop(assert_send_future(client.create_managed_runner_safely(
        "lab-west",
        Default::default(),
    )));
}

#[test]
fn status_is_boxable_error() {
    fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<Status>();

    let boxed: Box<dyn std::error::Error + Send + Sync> =
        Box::new(Status::client(Code::NotFound, "gone"));
    assert!(boxed.to_string().contains("gone"), "{boxed}");
}

/// Calls from many tasks through clones of one client, against the emulator.
#[cfg(feature = "emulator")]
mod concurrent {
    use std::collections::BTreeSet;

    use cwsandbox_control::Client;
    use cwsandbox_control::connect::{Channel, Status};
    use cwsandbox_control::emulator::Emulator;
    use cwsandbox_control::v1beta2::{
        CreateProfileTemplateRequest, GetProfileTemplateRequest, ListProfileTemplatesRequest,
        ProfileSpec, ProfileTemplate,
    };

    const TASKS: usize = 16;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn one_client_serves_sixteen_tasks() {
        let emulator = Emulator::start().await.unwrap();
        let channel = Channel::builder(emulator.base_url())
            .bearer_token(emulator.admin_token().to_string())
            .build()
            .unwrap();
        let client = Client::new(channel);

        let mut tasks = tokio::task::JoinSet::new();
        for index in 0..TASKS {
            let client = client.clone();
            tasks.spawn(async move { create_then_get(&client, index).await });
        }
        let mut ids = BTreeSet::new();
        while let Some(joined) = tasks.join_next().await {
            let id = joined.expect("task panicked").expect("call failed");
            ids.insert(id);
        }
        assert_eq!(ids.len(), TASKS, "each task created its own template");

        let page = client
            .list_profile_templates(ListProfileTemplatesRequest {
                page_size: 100,
                page_token: String::new(),
            })
            .await
            .unwrap();
        let listed: BTreeSet<String> = page.profile_templates.into_iter().map(|t| t.id).collect();
        assert_eq!(listed, ids);
    }

    /// Creates a template named after `index`, reads it back and returns its id.
    async fn create_then_get(client: &Client, index: usize) -> Result<String, Status> {
        let template = ProfileTemplate {
            display_name: format!("task-{index}"),
            spec: Some(ProfileSpec::default()),
            ..ProfileTemplate::default()
        };
        let request = CreateProfileTemplateRequest {
            profile_template: Some(template),
        };
        let created = client.create_profile_template(request).await?;
        let got = client
            .get_profile_template(GetProfileTemplateRequest {
                id: created.id.clone(),
            })
            .await?;
        assert_eq!(got.display_name, format!("task-{index}"));
        Ok(got.id)
    }
}
