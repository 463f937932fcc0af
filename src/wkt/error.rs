//! The error type shared by the well-known types.

use std::error::Error as StdError;
use std::fmt;

/// Maximum number of characters of a rejected input that an error message quotes.
const MAX_QUOTED_CHARS: usize = 80;

/// An invalid well-known type value: text that does not parse, a value outside the range
/// that the proto3 JSON form can print, or a conversion that does not fit the target type.
///
/// The message names the rejected value and the expected form.
#[derive(Debug)]
///
/// ```
/// use cwsandbox_control::wkt::Timestamp;
///
/// let error = "2024-02-30T00:00:00Z".parse::<Timestamp>().unwrap_err();
/// assert!(error.to_string().contains("2024-02-30"), "{error}");
/// ```
pub struct WktError {
    message: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl WktError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn with_source(
        message: impl Into<String>,
        source: impl StdError + Send + Sync + 'static,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// Returns the message, without the text of the underlying error if there is one.
    ///
    /// ```
    /// use cwsandbox_control::wkt::FieldMask;
    ///
    /// let error = FieldMask::new(["Bad Path"]).validate().unwrap_err();
    /// assert!(error.message().contains("Bad Path"), "{error}");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for WktError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl StdError for WktError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}

/// Quotes `text` for an error message, with escapes for control characters and with text past
/// [`MAX_QUOTED_CHARS`] cut off, so that a huge or binary input gives a readable message.
pub(crate) fn quoted(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{:?}...", &text[..cut]),
        None => format!("{text:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_escapes_control_characters() {
        assert_eq!(quoted("a\"b\n"), r#""a\"b\n""#);
    }

    #[test]
    fn quoted_cuts_long_text() {
        let long = "é".repeat(200);
        let text = quoted(&long);
        assert!(text.ends_with("\"..."), "{text}");
        assert_eq!(text.chars().filter(|c| *c == 'é').count(), MAX_QUOTED_CHARS);
    }

    #[test]
    fn display_appends_source() {
        let source = std::io::Error::other("disk full");
        let error = WktError::with_source("cannot decode", source);
        assert_eq!(error.to_string(), "cannot decode: disk full");
        assert_eq!(error.message(), "cannot decode");
        assert!(error.source().is_some());
    }
}
