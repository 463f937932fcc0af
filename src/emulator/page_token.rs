//! Page tokens: opaque, sealed with HMAC-SHA-256 under a key drawn at start,
//! or kept in the state file when the emulator has one.
//!
//! A token carries the sort key `(created time, id)` of the last item of the
//! page, so the next page starts after it whatever was added or removed in
//! between. The MAC covers the list kind and the organization too, so a token
//! of another list or organization, an edited token, or one sealed under
//! another key (an earlier run without a state file) is rejected as
//! INVALID_ARGUMENT.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;

use super::error::{ApiError, Violation, reason};
use crate::wkt::Timestamp;

/// Bytes of the HMAC key.
pub(crate) const SECRET_LEN: usize = 32;

/// Draws a random HMAC key for page tokens.
pub(crate) fn new_secret() -> [u8; SECRET_LEN] {
    rand::random()
}

/// Bytes of the MAC kept in a token.
const TAG_LEN: usize = 16;
const FORMAT_VERSION: u8 = 1;

/// The list a token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListKind {
    ProfileTemplates = 1,
    ManagedRunners = 2,
}

/// The sort key of a listed item: creation time, then id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PageKey {
    pub(crate) seconds: i64,
    pub(crate) nanos: i32,
    pub(crate) id: String,
}

impl PageKey {
    /// The key that sorts before every other key.
    pub(crate) const MIN: Self = Self {
        seconds: i64::MIN,
        nanos: i32::MIN,
        id: String::new(),
    };

    /// Builds the key of an item from its creation time (zero when unset) and id.
    pub(crate) fn of(created_at: Option<Timestamp>, id: &str) -> Self {
        let created = created_at.unwrap_or_default();
        Self {
            seconds: created.seconds,
            nanos: created.nanos,
            id: id.to_string(),
        }
    }
}

/// Seals and opens page tokens with one process-wide key.
pub(crate) struct PageTokens {
    key: hmac::Key,
}

impl std::fmt::Debug for PageTokens {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("PageTokens { key: <redacted> }")
    }
}

impl PageTokens {
    /// Tokens sealed under a fresh random key.
    #[cfg(test)]
    pub(crate) fn random() -> Self {
        Self::with_secret(&new_secret())
    }

    /// Tokens sealed under `secret`, such as one kept in the state file so
    /// that tokens stay valid across restarts.
    pub(crate) fn with_secret(secret: &[u8; SECRET_LEN]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    /// Encodes the key of the last item of a page as the next page's token.
    pub(crate) fn seal(&self, kind: ListKind, organization: &str, last: &PageKey) -> String {
        let mut payload = vec![FORMAT_VERSION, kind as u8];
        payload.extend_from_slice(&last.seconds.to_be_bytes());
        payload.extend_from_slice(&last.nanos.to_be_bytes());
        payload.extend_from_slice(last.id.as_bytes());
        let tag = self.tag(&payload, organization);
        payload.extend_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(payload)
    }

    /// Decodes a token of list `kind` of `organization`.
    pub(crate) fn open(
        &self,
        kind: ListKind,
        organization: &str,
        token: &str,
    ) -> Result<PageKey, ApiError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(token.trim_end_matches('='))
            .map_err(|_| invalid_token())?;
        if bytes.len() < 2 + 8 + 4 + TAG_LEN {
            return Err(invalid_token());
        }
        let (payload, tag) = bytes.split_at(bytes.len() - TAG_LEN);
        let expected = self.tag(payload, organization);
        if !constant_time_eq(&expected[..TAG_LEN], tag) {
            return Err(invalid_token());
        }
        if payload[0] != FORMAT_VERSION || payload[1] != kind as u8 {
            return Err(invalid_token());
        }
        let seconds = i64::from_be_bytes(payload[2..10].try_into().map_err(|_| invalid_token())?);
        let nanos = i32::from_be_bytes(payload[10..14].try_into().map_err(|_| invalid_token())?);
        let id = String::from_utf8(payload[14..].to_vec()).map_err(|_| invalid_token())?;
        Ok(PageKey { seconds, nanos, id })
    }

    fn tag(&self, payload: &[u8], organization: &str) -> Vec<u8> {
        let mut context = hmac::Context::with_key(&self.key);
        context.update(payload);
        context.update(&[0]);
        context.update(organization.as_bytes());
        context.sign().as_ref().to_vec()
    }
}

fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

fn invalid_token() -> ApiError {
    ApiError::invalid(vec![
        Violation::new(
            "page_token",
            "is not a page token of this list; pass the nextPageToken of the previous page unchanged, or omit it for the first page",
        )
        .with_reason(reason::INVALID_PAGE_TOKEN),
    ])
}

/// Resolves a requested page size: 0 means 50, above 100 means 100, negative is invalid.
pub(crate) fn page_size(requested: i32) -> Result<usize, ApiError> {
    match requested {
        0 => Ok(50),
        size if size < 0 => Err(ApiError::invalid(vec![
            Violation::new(
                "page_size",
                format!("{size} is negative; use 0 for the default of 50, or 1 to 100"),
            )
            .with_reason(reason::INVALID_PAGE_SIZE),
        ])),
        size => Ok(usize::try_from(size.min(100)).unwrap_or(100)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PageKey {
        PageKey {
            seconds: 1_797_724_800,
            nanos: 5,
            id: "0b7e".to_string(),
        }
    }

    #[test]
    fn tokens_round_trip() {
        let tokens = PageTokens::random();
        let token = tokens.seal(ListKind::ManagedRunners, "org-a", &key());
        assert_eq!(
            tokens.open(ListKind::ManagedRunners, "org-a", &token),
            Ok(key())
        );
    }

    #[test]
    fn foreign_tokens_fail() {
        let tokens = PageTokens::random();
        let token = tokens.seal(ListKind::ManagedRunners, "org-a", &key());
        let mut edited = token.clone().into_bytes();
        edited[4] = if edited[4] == b'A' { b'B' } else { b'A' };
        let edited = String::from_utf8(edited).expect("ASCII");
        let other_key = PageTokens::random().seal(ListKind::ManagedRunners, "org-a", &key());
        let cases = [
            (ListKind::ProfileTemplates, "org-a", token.as_str()),
            (ListKind::ManagedRunners, "org-b", token.as_str()),
            (ListKind::ManagedRunners, "org-a", edited.as_str()),
            (ListKind::ManagedRunners, "org-a", other_key.as_str()),
            (ListKind::ManagedRunners, "org-a", "not a token!"),
            (ListKind::ManagedRunners, "org-a", "AAAA"),
        ];
        for (kind, organization, token) in cases {
            let error = tokens.open(kind, organization, token).expect_err(token);
            assert_eq!(error.reason, reason::INVALID_PAGE_TOKEN);
        }
    }

    #[test]
    fn page_sizes_clamp() {
        assert_eq!(page_size(0), Ok(50));
        assert_eq!(page_size(1), Ok(1));
        assert_eq!(page_size(100), Ok(100));
        assert_eq!(page_size(1000), Ok(100));
        assert!(page_size(-1).is_err());
    }
}
