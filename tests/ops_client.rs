//! Pagination streams and `wait_for_runner` against a scripted stub, with no network.

// Helpers outside #[test] functions unwrap too: a panic is how a test fails.
#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cwsandbox_control::connect::{BoxFuture, Code, Request, Response, Status};
use cwsandbox_control::ops::{
    WaitCondition, WaitError, WaitOptions, managed_runner_pages, managed_runners,
    profile_templates, wait_for_runner,
};
use cwsandbox_control::v1beta2::*;
use cwsandbox_control::wkt::Empty;
use futures_util::{StreamExt, TryStreamExt};

/// A stub that serves list calls from a table of pages keyed by token and
/// `GetRunner` from a queue, and records every list request.
#[derive(Debug, Default, Clone)]
struct Scripted {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    /// (request token, items, next token)
    runner_pages: Vec<(String, Vec<&'static str>, String)>,
    template_pages: Vec<(String, Vec<&'static str>, String)>,
    list_requests: Vec<(i32, String)>,
    gets: VecDeque<Result<Runner, Code>>,
    get_count: usize,
}

fn unimplemented<T: Send + 'static>() -> BoxFuture<'static, Result<Response<T>, Status>> {
    Box::pin(async { Err(Status::client(Code::Unimplemented, "not scripted")) })
}

fn page_for(
    pages: &[(String, Vec<&'static str>, String)],
    token: &str,
) -> Result<(Vec<&'static str>, String), Status> {
    pages
        .iter()
        .find(|(request_token, _, _)| request_token == token)
        .map(|(_, items, next)| (items.clone(), next.clone()))
        .ok_or_else(|| Status::new(Code::InvalidArgument, format!("bad token {token:?}")))
}

impl RunnerManagementServiceStub for Scripted {
    fn create_profile_template(
        &self,
        _: Request<CreateProfileTemplateRequest>,
    ) -> BoxFuture<'_, Result<Response<ProfileTemplate>, Status>> {
        unimplemented()
    }
    fn get_profile_template(
        &self,
        _: Request<GetProfileTemplateRequest>,
    ) -> BoxFuture<'_, Result<Response<ProfileTemplate>, Status>> {
        unimplemented()
    }
    fn list_profile_templates(
        &self,
        request: Request<ListProfileTemplatesRequest>,
    ) -> BoxFuture<'_, Result<Response<ListProfileTemplatesResponse>, Status>> {
        let request = request.into_inner();
        let mut state = self.state.lock().unwrap();
        state
            .list_requests
            .push((request.page_size, request.page_token.clone()));
        let result = page_for(&state.template_pages, &request.page_token).map(|(items, next)| {
            Response::new(ListProfileTemplatesResponse {
                profile_templates: items
                    .into_iter()
                    .map(|name| ProfileTemplate {
                        display_name: name.to_string(),
                        ..Default::default()
                    })
                    .collect(),
                next_page_token: next,
            })
        });
        Box::pin(async move { result })
    }
    fn update_profile_template(
        &self,
        _: Request<UpdateProfileTemplateRequest>,
    ) -> BoxFuture<'_, Result<Response<ProfileTemplate>, Status>> {
        unimplemented()
    }
    fn delete_profile_template(
        &self,
        _: Request<DeleteProfileTemplateRequest>,
    ) -> BoxFuture<'_, Result<Response<Empty>, Status>> {
        unimplemented()
    }
    fn create_managed_runner(
        &self,
        _: Request<CreateManagedRunnerRequest>,
    ) -> BoxFuture<'_, Result<Response<Runner>, Status>> {
        unimplemented()
    }
    fn get_runner(
        &self,
        _: Request<GetRunnerRequest>,
    ) -> BoxFuture<'_, Result<Response<Runner>, Status>> {
        let mut state = self.state.lock().unwrap();
        state.get_count += 1;
        let next = if state.gets.len() > 1 {
            state.gets.pop_front()
        } else {
            state.gets.front().cloned()
        };
        let result = match next {
            Some(Ok(runner)) => Ok(Response::new(runner)),
            Some(Err(code)) => Err(Status::new(code, "scripted")),
            None => Err(Status::new(Code::NotFound, "no runner")),
        };
        Box::pin(async move { result })
    }
    fn list_managed_runners(
        &self,
        request: Request<ListManagedRunnersRequest>,
    ) -> BoxFuture<'_, Result<Response<ListManagedRunnersResponse>, Status>> {
        let request = request.into_inner();
        let mut state = self.state.lock().unwrap();
        state
            .list_requests
            .push((request.page_size, request.page_token.clone()));
        let result = page_for(&state.runner_pages, &request.page_token).map(|(items, next)| {
            Response::new(ListManagedRunnersResponse {
                runners: items
                    .into_iter()
                    .map(|id| Runner {
                        id: id.to_string(),
                        ..Default::default()
                    })
                    .collect(),
                next_page_token: next,
            })
        });
        Box::pin(async move { result })
    }
    fn update_managed_runner(
        &self,
        _: Request<UpdateManagedRunnerRequest>,
    ) -> BoxFuture<'_, Result<Response<Runner>, Status>> {
        unimplemented()
    }
    fn delete_managed_runner(
        &self,
        _: Request<DeleteManagedRunnerRequest>,
    ) -> BoxFuture<'_, Result<Response<Empty>, Status>> {
        unimplemented()
    }
    fn apply_managed_runner_update(
        &self,
        _: Request<ApplyManagedRunnerUpdateRequest>,
    ) -> BoxFuture<'_, Result<Response<Runner>, Status>> {
        unimplemented()
    }
}

fn page(token: &str, items: &[&'static str], next: &str) -> (String, Vec<&'static str>, String) {
    (token.to_string(), items.to_vec(), next.to_string())
}

fn client(stub: &Scripted) -> RunnerManagementServiceClient {
    RunnerManagementServiceClient::from_stub(stub.clone())
}

#[tokio::test]
async fn runners_follow_tokens_to_end() {
    let stub = Scripted::default();
    stub.state.lock().unwrap().runner_pages = vec![
        page("", &["r1", "r2"], "t1"),
        page("t1", &[], "t2"),
        page("t2", &["r3"], ""),
    ];
    let ids: Vec<String> = managed_runners(&client(&stub), 2)
        .map_ok(|runner| runner.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["r1", "r2", "r3"]);
    let requests = stub.state.lock().unwrap().list_requests.clone();
    assert_eq!(
        requests,
        [
            (2, String::new()),
            (2, "t1".to_string()),
            (2, "t2".to_string())
        ]
    );
}

#[tokio::test]
async fn empty_page_with_token_is_yielded() {
    let stub = Scripted::default();
    stub.state.lock().unwrap().runner_pages = vec![page("", &[], "t1"), page("t1", &["r1"], "")];
    let pages: Vec<ListManagedRunnersResponse> = managed_runner_pages(&client(&stub), 0)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    assert!(pages[0].runners.is_empty());
    assert_eq!(pages[1].runners.len(), 1);
}

#[tokio::test]
async fn repeated_token_is_error() {
    let stub = Scripted::default();
    stub.state.lock().unwrap().template_pages =
        vec![page("", &["a"], "t1"), page("t1", &["b"], "t1")];
    let items: Vec<Result<ProfileTemplate, Status>> =
        profile_templates(&client(&stub), 1).collect().await;
    assert_eq!(items.len(), 3);
    assert_eq!(items[1].as_ref().unwrap().display_name, "b");
    let error = items[2].as_ref().unwrap_err();
    assert_eq!(error.code(), Code::Internal);
    assert!(error.message().contains("\"t1\""), "{}", error.message());
    assert_eq!(stub.state.lock().unwrap().list_requests.len(), 2);
}

#[tokio::test]
async fn token_loop_is_error() {
    let stub = Scripted::default();
    stub.state.lock().unwrap().template_pages = vec![
        page("", &["a"], "t1"),
        page("t1", &["b"], "t2"),
        page("t2", &["c"], "t3"),
        page("t3", &["d"], "t1"),
    ];
    let items: Vec<Result<ProfileTemplate, Status>> =
        profile_templates(&client(&stub), 1).collect().await;
    let error = items.last().unwrap().as_ref().unwrap_err();
    assert_eq!(error.code(), Code::Internal);
    assert!(error.message().contains("again"), "{}", error.message());
    // A check that remembers every token stops after 4 requests; the
    // constant-memory check may follow the loop a little further.
    let requests = stub.state.lock().unwrap().list_requests.len();
    assert!((4..=12).contains(&requests), "{requests} requests");
    assert_eq!(items.len(), requests + 1);
}

#[tokio::test]
async fn list_error_ends_stream() {
    let stub = Scripted::default();
    stub.state.lock().unwrap().template_pages = vec![page("", &["a"], "missing")];
    let items: Vec<Result<ProfileTemplate, Status>> =
        profile_templates(&client(&stub), 0).collect().await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[1].as_ref().unwrap_err().code(), Code::InvalidArgument);
}

#[tokio::test]
async fn stream_fetches_lazily() {
    let stub = Scripted::default();
    stub.state.lock().unwrap().template_pages =
        vec![page("", &["a", "b"], "t1"), page("t1", &["c"], "")];
    let first: Vec<Result<ProfileTemplate, Status>> =
        profile_templates(&client(&stub), 2).take(2).collect().await;
    assert_eq!(first.len(), 2);
    assert_eq!(stub.state.lock().unwrap().list_requests.len(), 1);
}

fn runner(install: RunnerInstallStatus, connection: RunnerConnectionStatus) -> Runner {
    Runner {
        id: "5b7e".to_string(),
        install_status: install as i32,
        connection_status: connection as i32,
        ..Default::default()
    }
}

fn timeout(seconds: u64) -> WaitOptions {
    WaitOptions::new(Duration::from_secs(seconds))
}

#[tokio::test]
async fn wait_reports_each_poll_until_connected() {
    use RunnerConnectionStatus::{Connected, Disconnected};
    use RunnerInstallStatus::{Pending, Provisioning, Ready};
    let stub = Scripted::default();
    stub.state.lock().unwrap().gets = VecDeque::from([
        Ok(runner(Pending, Disconnected)),
        Err(Code::Unavailable),
        Ok(runner(Provisioning, Disconnected)),
        Ok(runner(Ready, Disconnected)),
        Ok(runner(Ready, Connected)),
    ]);
    let mut seen = Vec::new();
    let result = wait_for_runner(
        &client(&stub),
        "lab",
        WaitCondition::Connected,
        timeout(60),
        |runner| seen.push(runner.install_status),
    )
    .await
    .unwrap();
    assert_eq!(result.unwrap().connection_status, Connected as i32);
    assert_eq!(seen, [1, 2, 3, 3]);
}

#[tokio::test]
async fn wait_stops_on_failed_install() {
    let stub = Scripted::default();
    let mut failed = runner(
        RunnerInstallStatus::Failed,
        RunnerConnectionStatus::Disconnected,
    );
    failed.install_error = Some(RunnerInstallError {
        reason: RunnerInstallErrorReason::ClusterUnreachable as i32,
        message: "cluster lab-cks did not answer".to_string(),
        remediation_hints: vec!["check the cluster's API server".to_string()],
        ..Default::default()
    });
    stub.state.lock().unwrap().gets = VecDeque::from([Ok(failed)]);
    let error = wait_for_runner(
        &client(&stub),
        "lab",
        WaitCondition::Ready,
        timeout(60),
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(error, WaitError::InstallFailed { .. }));
    let message = error.to_string();
    assert!(message.contains("CLUSTER_UNREACHABLE"), "{message}");
    assert!(message.contains("did not answer"), "{message}");
    assert!(message.contains("hint: check"), "{message}");
}

#[tokio::test]
async fn wait_deleted_ends_on_not_found() {
    let stub = Scripted::default();
    stub.state.lock().unwrap().gets = VecDeque::from([
        Ok(runner(
            RunnerInstallStatus::Deleting,
            RunnerConnectionStatus::Disconnected,
        )),
        Err(Code::NotFound),
    ]);
    let result = wait_for_runner(
        &client(&stub),
        "lab",
        WaitCondition::Deleted,
        timeout(60),
        |_| {},
    )
    .await
    .unwrap();
    assert!(result.is_none());
}

#[tokio::test]
async fn wait_not_found_is_error_for_ready() {
    let stub = Scripted::default();
    let error = wait_for_runner(
        &client(&stub),
        "gone",
        WaitCondition::Ready,
        timeout(60),
        |_| {},
    )
    .await
    .unwrap_err();
    let WaitError::Status(status) = error else {
        panic!("expected a status, got {error}");
    };
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn wait_times_out_with_last_status() {
    let stub = Scripted::default();
    stub.state.lock().unwrap().gets = VecDeque::from([Ok(runner(
        RunnerInstallStatus::Provisioning,
        RunnerConnectionStatus::Disconnected,
    ))]);
    let error = wait_for_runner(
        &client(&stub),
        "lab",
        WaitCondition::Ready,
        timeout(1),
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(error, WaitError::Timeout { .. }));
    assert_eq!(
        error.to_string(),
        "timed out waiting for the runner to be ready \
         (last seen: install PROVISIONING, connection DISCONNECTED)"
    );
    // At least one poll, and far fewer than a loop without the poll
    // interval would send in 1 s. The exact count depends on the machine.
    let polls = stub.state.lock().unwrap().get_count;
    assert!((1..=6).contains(&polls), "{polls} polls in 1 s");
}
