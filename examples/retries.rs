//! Shows what the retry policy does when calls fail, using the emulator's
//! fault injection and a closed port, all on 127.0.0.1.
//!
//! An [`Interceptor`] runs on every attempt, so the example prints each one with
//! its outcome and the time the channel waited before it:
//!
//! ```sh
//! cargo run --example retries
//! ```
//!
//! The cases run in turn:
//!
//! - a Get that fails half the time succeeds after retries, each one after
//!   the delay the emulator's `RetryInfo` requests;
//! - a List that always fails stops at `max_attempts`;
//! - a Create is not retried, because it is not idempotent;
//! - the safe create retries a Create that failed by first looking the
//!   template up, so it never creates it twice;
//! - a Get to a port where nothing listens is retried with exponential
//!   backoff and full jitter, because no request left the process.

use std::error::Error;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use cwsandbox_control::Client;
use cwsandbox_control::connect::{
    CallOutcome, Channel, Interceptor, MethodDescriptor, RetryBudget, RetryPolicy, Status,
};
use cwsandbox_control::emulator::{Emulator, Fault};
use cwsandbox_control::v1beta2::{
    CreateProfileTemplateRequest, GetProfileTemplateRequest, ListProfileTemplatesRequest,
    ProfileSpec, ProfileTemplate,
};

/// Tokens of the retry budget; retries stop once half of them are spent.
const BUDGET_TOKENS: u32 = 40;

/// Prints one line per attempt: its number within the case, the time since
/// the previous attempt ended (the retry delay), and its outcome. Clones
/// share one state, so the calls it watches must not overlap.
#[derive(Clone, Default)]
struct AttemptLog {
    state: Arc<Mutex<CallState>>,
}

#[derive(Default)]
struct CallState {
    attempt: u32,
    previous_end: Option<Instant>,
}

impl AttemptLog {
    /// Prints `label` and counts the next attempt as the first of a new case.
    fn new_call(&self, label: &str) {
        println!("\n{label}");
        *self.lock() = CallState::default();
    }

    fn lock(&self) -> MutexGuard<'_, CallState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Interceptor for AttemptLog {
    fn before(
        &self,
        method: &MethodDescriptor,
        _request: &mut http::request::Parts,
    ) -> Result<(), Status> {
        let mut state = self.lock();
        state.attempt += 1;
        let waited = match state.previous_end {
            Some(end) => format!("after waiting {} ms", end.elapsed().as_millis()),
            None => "first attempt".to_string(),
        };
        println!("  #{} {}: {waited}", state.attempt, method.method);
        Ok(())
    }

    fn after(&self, _method: &MethodDescriptor, outcome: &CallOutcome<'_>) {
        let mut state = self.lock();
        state.previous_end = Some(Instant::now());
        let took = outcome.elapsed().as_millis();
        match outcome.error() {
            None => println!("    ok in {took} ms"),
            Some(status) => {
                let hint = status
                    .retry_delay()
                    .map(|delay| format!(", RetryInfo asks for {} ms", delay.as_millis()))
                    .unwrap_or_default();
                println!("    {} in {took} ms{hint}", status.code());
            }
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn Error>> {
    // A fixed seed makes the emulator fail the same attempts on every run.
    let emulator = Emulator::builder().fault_seed(28).start().await?;
    let log = AttemptLog::default();
    let budget = Arc::new(RetryBudget::new(BUDGET_TOKENS, 0.1));
    let policy = RetryPolicy {
        max_attempts: 5,
        initial_backoff: Duration::from_millis(50),
        ..RetryPolicy::default()
    };
    let channel = Channel::builder(emulator.base_url())
        .bearer_token(emulator.admin_token().to_string())
        .retry_policy(policy.clone())
        .retry_budget(Some(budget.clone()))
        .interceptor(log.clone())
        .build()?;
    let client = Client::new(channel);
    println!(
        "retry policy: {} attempts, backoff bound {} ms doubling up to {} ms; budget {} tokens",
        policy.max_attempts,
        policy.initial_backoff.as_millis(),
        policy.max_backoff.as_millis(),
        budget.tokens()
    );

    log.new_call("CreateProfileTemplate, no fault:");
    let created = client
        .create_profile_template(CreateProfileTemplateRequest {
            profile_template: Some(template("retry-demo")),
        })
        .await?;

    emulator.set_fault("GetProfileTemplate", unavailable(0.5, 120))?;
    log.new_call("GetProfileTemplate, half of the calls UNAVAILABLE:");
    let request = GetProfileTemplateRequest {
        id: created.id.clone(),
    };
    let got = client.get_profile_template(request).await;
    report(got.map(|template| template.display_name));

    emulator.set_fault("ListProfileTemplates", unavailable(1.0, 80))?;
    log.new_call("ListProfileTemplates, every call UNAVAILABLE:");
    let request = ListProfileTemplatesRequest {
        page_size: 10,
        page_token: String::new(),
    };
    let listed = client.list_profile_templates(request).await;
    report(listed.map(|page| format!("{} templates", page.profile_templates.len())));
    emulator.clear_fault("ListProfileTemplates")?;

    emulator.set_fault("CreateProfileTemplate", unavailable(1.0, 80))?;
    log.new_call("CreateProfileTemplate, every call UNAVAILABLE:");
    let request = CreateProfileTemplateRequest {
        profile_template: Some(template("retry-demo-2")),
    };
    report(client.create_profile_template(request).await.map(|t| t.id));

    emulator.set_fault("CreateProfileTemplate", unavailable(0.5, 80))?;
    log.new_call("create_profile_template_safely, half of the Create calls UNAVAILABLE:");
    let safe = client
        .create_profile_template_safely(template("retry-demo-2"))
        .await;
    report(safe.map(|template| format!("{} ({})", template.display_name, template.id)));
    emulator.clear_fault("CreateProfileTemplate")?;

    log.new_call("GetProfileTemplate to a closed port (connection refused):");
    let closed = closed_port_client(&log, policy).await?;
    let request = GetProfileTemplateRequest { id: created.id };
    report(closed.get_profile_template(request).await.map(|t| t.id));

    println!(
        "\nthe emulator received {} Get attempts; {} of {} tokens left in the retry budget",
        emulator.request_count("GetProfileTemplate"),
        budget.tokens(),
        BUDGET_TOKENS
    );
    Ok(())
}

/// Returns a client of a loopback port where nothing listens.
async fn closed_port_client(
    log: &AttemptLog,
    policy: RetryPolicy,
) -> Result<Client, Box<dyn Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    drop(listener);
    let channel = Channel::builder(format!("http://{addr}"))
        .retry_policy(policy)
        .interceptor(log.clone())
        .build()?;
    Ok(Client::new(channel))
}

/// Builds a fault that fails `ratio` of the calls with a `RetryInfo` delay of `retry_ms`.
fn unavailable(ratio: f64, retry_ms: u64) -> Fault {
    Fault {
        unavailable_ratio: ratio,
        retry_delay: Duration::from_millis(retry_ms),
        delay: Duration::ZERO,
    }
}

fn template(name: &str) -> ProfileTemplate {
    ProfileTemplate {
        display_name: name.to_string(),
        spec: Some(ProfileSpec::default()),
        ..ProfileTemplate::default()
    }
}

fn report(result: Result<String, Status>) {
    match result {
        Ok(value) => println!("  => ok: {value}"),
        Err(status) => println!("  => failed: {status}"),
    }
}
