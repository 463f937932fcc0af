//! The bearer token, kept out of logs and debug output.

use std::fmt;

/// A bearer token sent as `Authorization: Bearer <token>`.
///
/// `Debug` and `Display` print `<redacted>`, so the token cannot leak through
/// logs, panics or error messages. Read it with [`SecretToken::expose_secret`].
#[derive(Clone, PartialEq, Eq)]
///
/// ```
/// use cwsandbox_control::connect::SecretToken;
///
/// let token = SecretToken::from("s3cr3t");
/// assert_eq!(token.to_string(), "<redacted>");
/// assert_eq!(format!("{token:?}"), "SecretToken(<redacted>)");
/// assert_eq!(token.expose_secret(), "s3cr3t");
/// assert_eq!(token, SecretToken::new(String::from("s3cr3t")));
/// ```
pub struct SecretToken(String);

impl SecretToken {
    /// Wraps a token.
    ///
    /// ```
    /// use cwsandbox_control::connect::SecretToken;
    ///
    /// let token = SecretToken::new("s3cr3t");
    /// assert_eq!(token.expose_secret(), "s3cr3t");
    /// ```
    pub fn new(token: impl Into<String>) -> Self {
        SecretToken(token.into())
    }

    /// Returns the token itself. Keep the result out of logs.
    ///
    /// ```
    /// use cwsandbox_control::connect::SecretToken;
    ///
    /// let token = SecretToken::new("s3cr3t");
    /// let header = format!("Bearer {}", token.expose_secret());
    /// assert_eq!(header, "Bearer s3cr3t");
    /// ```
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

impl fmt::Display for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for SecretToken {
    fn from(token: String) -> Self {
        SecretToken(token)
    }
}

impl From<&str> for SecretToken {
    fn from(token: &str) -> Self {
        SecretToken(token.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_redacted_in_debug_and_display() {
        let token = SecretToken::new("s3cr3t-value");
        assert_eq!(token.to_string(), "<redacted>");
        assert!(!format!("{token:?}").contains("s3cr3t"));
        assert!(!format!("{:?}", Some(&token)).contains("s3cr3t"));
        assert_eq!(token.expose_secret(), "s3cr3t-value");
    }
}
