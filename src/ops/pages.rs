//! Pagination of the list methods as streams.
//!
//! Each stream sends the next list request only when the caller polls for
//! more, so memory stays bounded by one page. It follows `nextPageToken`
//! until the server returns an empty one, and yields a page that is empty but
//! carries a token like any other. A token that the server already returned means the
//! server would send the same pages forever: the stream yields the page that
//! carried it, then an error, and ends. Detecting that takes constant memory,
//! so a stream of any length keeps only the current page in memory.

use std::future::Future;
use std::hash::{BuildHasher, RandomState};

use futures_core::Stream;
use futures_util::stream::{self, TryStreamExt};

use crate::connect::{Code, Status};
use crate::v1beta2::{
    ListManagedRunnersRequest, ListManagedRunnersResponse, ListProfileTemplatesRequest,
    ListProfileTemplatesResponse, ProfileTemplate, Runner, RunnerManagementServiceClient,
};

/// Streams the pages of `ListProfileTemplates`, `page_size` items at most
/// each (0 lets the server choose).
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "emulator")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use cwsandbox_control::connect::Channel;
/// # use cwsandbox_control::emulator::{Emulator, Timings};
/// # let emulator = Emulator::builder().timings(Timings::instant()).start().await?;
/// # let channel = Channel::builder(emulator.base_url())
/// #     .bearer_token(emulator.admin_token().to_string())
/// #     .build()?;
/// use cwsandbox_control::ops::profile_template_pages;
/// use futures_util::TryStreamExt;
///
/// # let client = cwsandbox_control::v1beta2::RunnerManagementServiceClient::new(channel);
/// # use cwsandbox_control::v1beta2 as api;
/// # for name in ["agents", "batch", "ci"] {
/// #     let spec = Some(api::ProfileSpec::default());
/// #     let template = api::ProfileTemplate { display_name: name.into(), spec, ..Default::default() };
/// #     client.create_profile_template(api::CreateProfileTemplateRequest { profile_template: Some(template) }).await?;
/// # }
/// let pages: Vec<_> = profile_template_pages(&client, 2).try_collect().await?;
/// let sizes: Vec<usize> = pages.iter().map(|page| page.profile_templates.len()).collect();
/// assert_eq!(sizes, [2, 1]);
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "emulator"))]
/// # fn main() {}
/// ```
pub fn profile_template_pages(
    client: &RunnerManagementServiceClient,
    page_size: i32,
) -> impl Stream<Item = Result<ListProfileTemplatesResponse, Status>> + Send + 'static {
    let client = client.clone();
    follow_tokens(
        move |page_token| {
            let client = client.clone();
            async move {
                let request = ListProfileTemplatesRequest {
                    page_size,
                    page_token,
                };
                client.list_profile_templates(request).await
            }
        },
        |page: &ListProfileTemplatesResponse| page.next_page_token.clone(),
    )
}

/// Streams every profile template, fetching pages of `page_size` as needed.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "emulator")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use cwsandbox_control::connect::Channel;
/// # use cwsandbox_control::emulator::{Emulator, Timings};
/// # let emulator = Emulator::builder().timings(Timings::instant()).start().await?;
/// # let channel = Channel::builder(emulator.base_url())
/// #     .bearer_token(emulator.admin_token().to_string())
/// #     .build()?;
/// use cwsandbox_control::ops::profile_templates;
/// use futures_util::TryStreamExt;
///
/// # let client = cwsandbox_control::v1beta2::RunnerManagementServiceClient::new(channel);
/// # use cwsandbox_control::v1beta2 as api;
/// # for name in ["agents", "batch", "ci"] {
/// #     let spec = Some(api::ProfileSpec::default());
/// #     let template = api::ProfileTemplate { display_name: name.into(), spec, ..Default::default() };
/// #     client.create_profile_template(api::CreateProfileTemplateRequest { profile_template: Some(template) }).await?;
/// # }
/// // Pages of 2 are fetched as the stream is read.
/// let templates: Vec<_> = profile_templates(&client, 2).try_collect().await?;
/// let mut names: Vec<String> = templates.into_iter().map(|template| template.display_name).collect();
/// names.sort();
/// assert_eq!(names, ["agents", "batch", "ci"]);
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "emulator"))]
/// # fn main() {}
/// ```
pub fn profile_templates(
    client: &RunnerManagementServiceClient,
    page_size: i32,
) -> impl Stream<Item = Result<ProfileTemplate, Status>> + Send + 'static {
    profile_template_pages(client, page_size)
        .map_ok(|page| stream::iter(page.profile_templates.into_iter().map(Ok)))
        .try_flatten()
}

/// Streams the pages of `ListManagedRunners`, `page_size` items at most each
/// (0 lets the server choose).
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "emulator")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use cwsandbox_control::connect::Channel;
/// # use cwsandbox_control::emulator::{Emulator, Timings};
/// # let emulator = Emulator::builder().timings(Timings::instant()).start().await?;
/// # let channel = Channel::builder(emulator.base_url())
/// #     .bearer_token(emulator.admin_token().to_string())
/// #     .build()?;
/// use cwsandbox_control::ops::managed_runner_pages;
/// use futures_util::TryStreamExt;
///
/// # let client = cwsandbox_control::v1beta2::RunnerManagementServiceClient::new(channel);
/// # use cwsandbox_control::v1beta2 as api;
/// # let spec = Some(api::ProfileSpec::default());
/// # let template = api::ProfileTemplate { display_name: "agents".into(), spec, ..Default::default() };
/// # let template = client.create_profile_template(api::CreateProfileTemplateRequest { profile_template: Some(template) }).await?;
/// # // The emulator places at most one managed runner on each cluster.
/// # let clusters = [("lab-west-cks", "US-WEST-09B"), ("cks-east-04a", "US-EAST-04A"), ("cks-central-02a", "US-CENTRAL-02A")];
/// # for (runner_id, (cluster, zone)) in ["lab-a", "lab-b", "lab-c"].into_iter().zip(clusters) {
/// #     let binding = api::RunnerProfileBinding { profile_template_id: template.id.clone(), is_default: true, ..Default::default() };
/// #     let identity = api::RunnerIdentity { zone: zone.into(), cluster_name: cluster.into(), ..Default::default() };
/// #     let runner = api::Runner { identity: Some(identity), profile_bindings: vec![binding], ..Default::default() };
/// #     client.create_managed_runner(api::CreateManagedRunnerRequest { runner_id: runner_id.into(), runner: Some(runner) }).await?;
/// # }
/// let pages: Vec<_> = managed_runner_pages(&client, 2).try_collect().await?;
/// let sizes: Vec<usize> = pages.iter().map(|page| page.runners.len()).collect();
/// assert_eq!(sizes, [2, 1]);
/// assert!(pages[1].next_page_token.is_empty());
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "emulator"))]
/// # fn main() {}
/// ```
pub fn managed_runner_pages(
    client: &RunnerManagementServiceClient,
    page_size: i32,
) -> impl Stream<Item = Result<ListManagedRunnersResponse, Status>> + Send + 'static {
    let client = client.clone();
    follow_tokens(
        move |page_token| {
            let client = client.clone();
            async move {
                let request = ListManagedRunnersRequest {
                    page_size,
                    page_token,
                };
                client.list_managed_runners(request).await
            }
        },
        |page: &ListManagedRunnersResponse| page.next_page_token.clone(),
    )
}

/// Streams every managed runner, fetching pages of `page_size` as needed.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "emulator")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use cwsandbox_control::connect::Channel;
/// # use cwsandbox_control::emulator::{Emulator, Timings};
/// # let emulator = Emulator::builder().timings(Timings::instant()).start().await?;
/// # let channel = Channel::builder(emulator.base_url())
/// #     .bearer_token(emulator.admin_token().to_string())
/// #     .build()?;
/// use cwsandbox_control::ops::managed_runners;
/// use futures_util::{StreamExt, TryStreamExt};
///
/// # let client = cwsandbox_control::v1beta2::RunnerManagementServiceClient::new(channel);
/// # use cwsandbox_control::v1beta2 as api;
/// # let spec = Some(api::ProfileSpec::default());
/// # let template = api::ProfileTemplate { display_name: "agents".into(), spec, ..Default::default() };
/// # let template = client.create_profile_template(api::CreateProfileTemplateRequest { profile_template: Some(template) }).await?;
/// # // The emulator places at most one managed runner on each cluster.
/// # let clusters = [("lab-west-cks", "US-WEST-09B"), ("cks-east-04a", "US-EAST-04A"), ("cks-central-02a", "US-CENTRAL-02A")];
/// # for (runner_id, (cluster, zone)) in ["lab-a", "lab-b", "lab-c"].into_iter().zip(clusters) {
/// #     let binding = api::RunnerProfileBinding { profile_template_id: template.id.clone(), is_default: true, ..Default::default() };
/// #     let identity = api::RunnerIdentity { zone: zone.into(), cluster_name: cluster.into(), ..Default::default() };
/// #     let runner = api::Runner { identity: Some(identity), profile_bindings: vec![binding], ..Default::default() };
/// #     client.create_managed_runner(api::CreateManagedRunnerRequest { runner_id: runner_id.into(), runner: Some(runner) }).await?;
/// # }
/// // Taking one runner sends one List call.
/// let first: Vec<_> = managed_runners(&client, 2).take(1).collect().await;
/// assert_eq!(first.len(), 1);
///
/// let all: Vec<_> = managed_runners(&client, 2).try_collect().await?;
/// assert_eq!(all.len(), 3);
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "emulator"))]
/// # fn main() {}
/// ```
pub fn managed_runners(
    client: &RunnerManagementServiceClient,
    page_size: i32,
) -> impl Stream<Item = Result<Runner, Status>> + Send + 'static {
    managed_runner_pages(client, page_size)
        .map_ok(|page| stream::iter(page.runners.into_iter().map(Ok)))
        .try_flatten()
}

/// The state of a token-following stream between two polls.
enum Cursor {
    /// The next request carries this token.
    Next { token: String, cycle: CycleCheck },
    /// The last page had a token that was already sent: yield this error next.
    Repeated(Status),
    /// The last page arrived, or an error ended the stream.
    Done,
}

/// Detects a server whose page tokens loop, in constant memory, with Brent's
/// cycle detection over token hashes: the hash of one checkpoint token is
/// kept, and the checkpoint moves to the newest token after 1, 2, 4, ...
/// pages. A token equal to the checkpoint, or to the token just sent, proves
/// a loop. A server that returns the token it was just sent is caught at the
/// first repeat, and any
/// loop after at most three times the pages that a check remembering every
/// token would need (the unit tests check this for loops of up to 64 tokens).
struct CycleCheck {
    hasher: RandomState,
    checkpoint: u64,
    /// The hash of the token just sent.
    last: u64,
    /// Tokens received since the checkpoint moved.
    steps: u64,
    /// Tokens after which the checkpoint moves next.
    span: u64,
}

impl CycleCheck {
    /// Starts with the token of the first request as the checkpoint.
    fn new(first: &str) -> Self {
        let hasher = RandomState::new();
        let hash = hasher.hash_one(first);
        Self {
            checkpoint: hash,
            last: hash,
            hasher,
            steps: 0,
            span: 1,
        }
    }

    /// Records the next token and returns whether it repeats an earlier one.
    fn is_repeat(&mut self, token: &str) -> bool {
        let hash = self.hasher.hash_one(token);
        if hash == self.checkpoint || hash == self.last {
            return true;
        }
        self.last = hash;
        self.steps += 1;
        if self.steps == self.span {
            self.checkpoint = hash;
            self.steps = 0;
            self.span = self.span.saturating_mul(2);
        }
        false
    }
}

/// Builds a page stream from one fetch per token and the reader of the next token.
fn follow_tokens<Page, Fetch, Fut>(
    fetch: Fetch,
    next_token: fn(&Page) -> String,
) -> impl Stream<Item = Result<Page, Status>> + Send + 'static
where
    Page: Send + 'static,
    Fetch: FnMut(String) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page, Status>> + Send + 'static,
{
    let start = Cursor::Next {
        token: String::new(),
        cycle: CycleCheck::new(""),
    };
    stream::unfold((start, fetch), move |(cursor, mut fetch)| async move {
        let (token, mut cycle) = match cursor {
            Cursor::Next { token, cycle } => (token, cycle),
            Cursor::Repeated(status) => return Some((Err(status), (Cursor::Done, fetch))),
            Cursor::Done => return None,
        };
        let page = match fetch(token).await {
            Ok(page) => page,
            Err(status) => return Some((Err(status), (Cursor::Done, fetch))),
        };

        let next = next_token(&page);
        if next.is_empty() {
            return Some((Ok(page), (Cursor::Done, fetch)));
        }
        if cycle.is_repeat(&next) {
            tracing::debug!(token = %next, "list response repeated a page token");
            let status = Status::client(
                Code::Internal,
                format!(
                    "the server returned page token {next:?} again; \
                     stopped listing because following it would repeat pages forever"
                ),
            );
            return Some((Ok(page), (Cursor::Repeated(status), fetch)));
        }
        Some((Ok(page), (Cursor::Next { token: next, cycle }, fetch)))
    })
}

#[cfg(test)]
mod tests {
    use super::CycleCheck;

    /// Feeds the tokens of a server that sends `tail` distinct tokens and
    /// then loops over `cycle` tokens, and returns how many tokens were
    /// received when the loop was detected.
    fn tokens_until_detected(tail: usize, cycle: usize) -> usize {
        let mut check = CycleCheck::new("");
        for received in 1..=10 * (tail + cycle) {
            let index = if received <= tail {
                received
            } else {
                tail + 1 + (received - tail - 1) % cycle
            };
            if check.is_repeat(&format!("t{index}")) {
                return received;
            }
        }
        panic!("no loop detected for tail {tail} and cycle {cycle}");
    }

    #[test]
    fn same_token_caught_at_first_repeat() {
        for tail in 0..64 {
            // The server returns token t{tail + 1} twice in a row.
            assert_eq!(tokens_until_detected(tail, 1), tail + 2, "tail {tail}");
        }
    }

    #[test]
    fn loops_caught_within_three_times_exact() {
        for tail in 0..64 {
            for cycle in 1..64 {
                // A check that remembers every token stops at the first repeat.
                let exact = tail + cycle + 1;
                let received = tokens_until_detected(tail, cycle);
                assert!(received >= exact, "tail {tail}, cycle {cycle}: {received}");
                assert!(
                    received <= 3 * exact,
                    "tail {tail}, cycle {cycle}: {received}"
                );
            }
        }
    }

    #[test]
    fn distinct_tokens_never_repeat() {
        let mut check = CycleCheck::new("");
        for index in 1..100_000 {
            assert!(!check.is_repeat(&format!("t{index}")), "token {index}");
        }
    }
}
