//! Pagination of the list methods as streams.
//!
//! Each stream sends the next list request only when the caller polls for
//! more, so memory stays bounded by one page. It follows `nextPageToken`
//! until the server returns an empty one, and yields a page that is empty but
//! carries a token like any other. A token that the server already returned means the
//! server would send the same pages forever: the stream yields the page that
//! carried it, then an error, and ends.

use std::collections::HashSet;
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
    /// The next request carries this token, and `seen` contains a hash of every
    /// token sent so far. Hashes keep memory at a few bytes per page, however
    /// long the server's tokens are.
    Next {
        token: String,
        seen: HashSet<u64>,
        hasher: RandomState,
    },
    /// The last page had a token that was already sent: yield this error next.
    Repeated(Status),
    /// The last page arrived, or an error ended the stream.
    Done,
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
        seen: HashSet::new(),
        hasher: RandomState::new(),
    };
    stream::unfold((start, fetch), move |(cursor, mut fetch)| async move {
        let (token, mut seen, hasher) = match cursor {
            Cursor::Next {
                token,
                seen,
                hasher,
            } => (token, seen, hasher),
            Cursor::Repeated(status) => return Some((Err(status), (Cursor::Done, fetch))),
            Cursor::Done => return None,
        };
        seen.insert(hasher.hash_one(&token));
        let page = match fetch(token).await {
            Ok(page) => page,
            Err(status) => return Some((Err(status), (Cursor::Done, fetch))),
        };

        let next = next_token(&page);
        if next.is_empty() {
            return Some((Ok(page), (Cursor::Done, fetch)));
        }
        if seen.contains(&hasher.hash_one(&next)) {
            tracing::debug!(token = %next, "list response repeated a page token");
            let status = Status::client(
                Code::Internal,
                format!(
                    "the server returned page token {next:?} a second time; \
                     stopped listing because following it would repeat pages forever"
                ),
            );
            return Some((Ok(page), (Cursor::Repeated(status), fetch)));
        }
        Some((
            Ok(page),
            (
                Cursor::Next {
                    token: next,
                    seen,
                    hasher,
                },
                fetch,
            ),
        ))
    })
}
