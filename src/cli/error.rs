//! The errors of `cwsctl`, how they print, and the exit status of each.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use crate::connect::{Code, Detail, Origin, Status};
use crate::ops::{BindError, MaskError, PlanError, WaitError};

/// Exit status when the command line or an input file is wrong and nothing was sent.
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit status when a call failed or the server's state blocks the command.
pub(crate) const EXIT_FAILURE: u8 = 1;

/// An error that ends a command.
#[derive(Debug)]
pub(crate) enum CliError {
    /// The command line or an input file is wrong; nothing was sent.
    Usage(String),
    /// A call failed. `action` describes what the call was for.
    Api { action: String, status: Status },
    /// Anything else that failed while running: a wait, a refused edit.
    Failed(String),
    /// A write to stdout failed because the reader closed the pipe, as
    /// `cwsctl ... | head -1` does. The command stops and exits 0 without a
    /// message.
    StdoutClosed,
}

pub(crate) type CliResult<T = ()> = Result<T, CliError>;

impl CliError {
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }

    pub(crate) fn failed(message: impl Into<String>) -> Self {
        Self::Failed(message.into())
    }

    /// Wraps a status with the action it interrupted: "creating profile template x".
    pub(crate) fn api(action: impl Into<String>, status: Status) -> Self {
        Self::Api {
            action: action.into(),
            status,
        }
    }

    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => EXIT_USAGE,
            Self::Api { .. } | Self::Failed(_) => EXIT_FAILURE,
            Self::StdoutClosed => 0,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Self::Usage(message) | Self::Failed(message) => format!("error: {message}"),
            Self::Api { action, status } => render_status(action, status),
            Self::StdoutClosed => "error: stdout was closed".to_string(),
        };
        f.write_str(&escape_controls(&shorten_long_words(&text)))
    }
}

/// Replaces control characters other than newline and tab with `\u{..}`, so
/// that text from a server cannot move the cursor, recolour the terminal or
/// set its title when an error is printed.
// NOTE: newlines stay, because messages span lines; a server can still
// start a line of its own inside its message.
pub(crate) fn escape_controls(text: &str) -> Cow<'_, str> {
    let is_escaped = |character: char| character.is_control() && !matches!(character, '\n' | '\t');
    if !text.chars().any(is_escaped) {
        return Cow::Borrowed(text);
    }
    let mut output = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        if is_escaped(character) {
            let _ = write!(output, "\\u{{{:x}}}", u32::from(character));
        } else {
            output.push(character);
        }
    }
    Cow::Owned(output)
}

/// Maximum length, in characters, of a run of non-space characters that
/// messages show whole. Ids and names have at most 63, and most paths fit.
const MAX_WORD_CHARS: usize = 256;
/// Characters kept of a longer run, before the ellipsis.
const SHORTENED_WORD_CHARS: usize = 64;

/// Shortens every run of non-space characters longer than [`MAX_WORD_CHARS`]
/// to its first [`SHORTENED_WORD_CHARS`] characters, an ellipsis and the
/// length of the run. A message that echoes a 100,000-character value, from
/// the command line or from the server, so stays readable.
pub(crate) fn shorten_long_words(text: &str) -> Cow<'_, str> {
    if text.len() <= MAX_WORD_CHARS {
        return Cow::Borrowed(text);
    }
    let mut output = String::new();
    let mut shortened = false;
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end_matches(char::is_whitespace);
        let count = word.chars().count();
        if count > MAX_WORD_CHARS {
            output.extend(word.chars().take(SHORTENED_WORD_CHARS));
            let _ = write!(output, "\u{2026} ({count} characters)");
            shortened = true;
        } else {
            output.push_str(word);
        }
        output.push_str(&piece[word.len()..]);
    }
    if shortened {
        Cow::Owned(output)
    } else {
        Cow::Borrowed(text)
    }
}

impl From<MaskError> for CliError {
    fn from(error: MaskError) -> Self {
        Self::Usage(error.to_string())
    }
}

impl From<PlanError> for CliError {
    fn from(error: PlanError) -> Self {
        Self::Failed(error.to_string())
    }
}

impl From<BindError> for CliError {
    fn from(error: BindError) -> Self {
        Self::Failed(error.to_string())
    }
}

impl From<WaitError> for CliError {
    fn from(error: WaitError) -> Self {
        match error {
            WaitError::Status(status) => Self::api("waiting for the runner", status),
            other => Self::Failed(other.to_string()),
        }
    }
}

/// Renders a failed call: the code, the message, every detail, and a hint
/// for the codes a person can act on.
pub(crate) fn render_status(action: &str, status: &Status) -> String {
    let mut text = String::new();
    let code = status.code();
    let http = status
        .http_status()
        .map(|http| format!(", HTTP {}", http.as_u16()))
        .unwrap_or_default();
    let _ = write!(
        text,
        "error: {action} failed: {} ({}{http})",
        status.message(),
        code.as_str().to_ascii_uppercase()
    );
    for detail in status.details() {
        render_detail(&mut text, detail);
    }
    if let Some(delay) = status.retry_delay() {
        let _ = write!(text, "\n  retry after: {:.1}s", delay.as_secs_f64());
    }
    if let Some(hint) = hint(status) {
        let _ = write!(text, "\nhint: {hint}");
    }
    text
}

fn render_detail(text: &mut String, detail: &Detail) {
    match detail {
        Detail::ErrorInfo(info) => {
            let _ = write!(text, "\n  reason: {} (domain {})", info.reason, info.domain);
            let mut metadata: Vec<_> = info.metadata.iter().collect();
            metadata.sort();
            for (key, value) in metadata {
                let _ = write!(text, "\n    {key}: {value}");
            }
        }
        Detail::BadRequest(request) => {
            for violation in &request.field_violations {
                let _ = write!(
                    text,
                    "\n  invalid field {}: {}",
                    violation.field, violation.description
                );
            }
        }
        Detail::PreconditionFailure(failure) => {
            for violation in &failure.violations {
                let _ = write!(
                    text,
                    "\n  precondition {} {}: {}",
                    violation.r#type, violation.subject, violation.description
                );
            }
        }
        Detail::QuotaFailure(failure) => {
            for violation in &failure.violations {
                let _ = write!(
                    text,
                    "\n  quota {}: {}",
                    violation.subject, violation.description
                );
            }
        }
        Detail::ResourceInfo(info) => {
            let _ = write!(
                text,
                "\n  resource: {} {} {}",
                info.resource_type, info.resource_name, info.description
            );
        }
        Detail::RequestInfo(info) => {
            let _ = write!(text, "\n  request id: {}", info.request_id);
        }
        Detail::Help(help) => {
            for link in &help.links {
                let _ = write!(text, "\n  see: {} {}", link.description, link.url);
            }
        }
        Detail::LocalizedMessage(message) => {
            let _ = write!(
                text,
                "\n  message ({}): {}",
                message.locale, message.message
            );
        }
        Detail::DebugInfo(info) => {
            let _ = write!(text, "\n  debug: {}", info.detail);
        }
        Detail::RetryInfo(_) => {}
        Detail::Other(other) => {
            let type_name = if other.type_name.is_empty() {
                "(no type)"
            } else {
                other.type_name.as_str()
            };
            let _ = write!(text, "\n  detail of type {type_name}");
            if let Some(json) = &other.json {
                let _ = write!(text, ": {json}");
            }
        }
    }
}

/// Returns the next step for the codes a person can act on.
fn hint(status: &Status) -> Option<String> {
    // A server or proxy that rejects a request for its size often sends no
    // google.rpc.Status. The code is then derived from the HTTP status, which
    // is the more precise of the two.
    match status.http_status().map(|http| http.as_u16()) {
        Some(414 | 431) => {
            return Some(
                "a value sent in the request URL or headers, such as an id or a name, is too \
                 long for the server: shorten it (ids and names have at most 63 characters)"
                    .to_string(),
            );
        }
        Some(413) => {
            return Some(
                "the request body is too large for the server: shorten the values in the file"
                    .to_string(),
            );
        }
        _ => {}
    }
    let hint = match status.code() {
        Code::Unauthenticated => {
            "the server did not accept the token: set COREWEAVE_API_TOKEN or pass --token \
             with a valid CoreWeave API access token"
        }
        Code::PermissionDenied => {
            "the token lacks the IAM action: reads need SANDBOX_USER, and create, update and \
             delete need SANDBOX_ADMIN; ask an organization admin to grant it"
        }
        Code::AlreadyExists => {
            "the resource exists: see it with `cwsctl profile get` or `cwsctl runner get`, \
             or change it with `cwsctl apply -f FILE`, which updates what exists"
        }
        Code::NotFound => {
            "check the id or name; `cwsctl profile list` and `cwsctl runner list` show what exists"
        }
        Code::Unavailable if status.origin() == Origin::Client => {
            "the endpoint did not answer: check --endpoint and the network, or run with \
             --emulator to work against the local emulator"
        }
        Code::Unavailable | Code::Internal if status.is_from_server() => {
            "the server may recover: retry in a moment"
        }
        Code::DeadlineExceeded => "raise --timeout or check the network",
        _ => return None,
    };
    Some(hint.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_controls_keeps_plain_text() {
        let text = "runner lab-1 not found\nhint: check the id\tor name";
        assert!(matches!(escape_controls(text), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_controls_escapes_terminal_sequences() {
        let escaped = escape_controls("bad \u{1b}[31mred\u{7}\r\u{9b}2J end");
        assert_eq!(escaped, "bad \\u{1b}[31mred\\u{7}\\u{d}\\u{9b}2J end");
    }

    #[test]
    fn failed_message_escaped_when_printed() {
        let error = CliError::Failed("server said \u{1b}]0;title\u{7}".to_string());
        assert_eq!(
            error.to_string(),
            "error: server said \\u{1b}]0;title\\u{7}"
        );
    }
}
