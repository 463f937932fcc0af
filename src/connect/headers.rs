//! Header names and values that the channel writes, and the checks on
//! headers that callers add.

use std::time::Duration;

use http::{HeaderMap, HeaderValue};

use super::code::Code;
use super::metadata::{BINARY_SUFFIX, decode_binary_header};
use super::status::{ClientErrorKind, Status};

/// The `User-Agent` of every request.
pub(crate) const USER_AGENT: &str = concat!("cwsandbox-control/", env!("CARGO_PKG_VERSION"));

/// `Connect-Protocol-Version`, sent with every Connect POST.
pub(crate) const CONNECT_PROTOCOL_VERSION: &str = "connect-protocol-version";
/// `Connect-Timeout-Ms`: the time left for the call, in milliseconds.
pub(crate) const CONNECT_TIMEOUT_MS: &str = "connect-timeout-ms";

/// The largest value `Connect-Timeout-Ms` may carry: ten digits.
const MAX_TIMEOUT_MS: u128 = 9_999_999_999;

/// Headers that the channel sets itself and that callers may not add.
const RESERVED: [&str; 10] = [
    "content-type",
    "content-length",
    "content-encoding",
    "accept-encoding",
    "transfer-encoding",
    "host",
    "te",
    "connection",
    "upgrade",
    "keep-alive",
];

/// Returns the `Connect-Timeout-Ms` value for the time left: whole
/// milliseconds rounded up, at least 1 and at most ten digits.
pub(crate) fn connect_timeout_value(remaining: Duration) -> HeaderValue {
    let millis = remaining.as_nanos().div_ceil(1_000_000);
    let millis = millis.clamp(1, MAX_TIMEOUT_MS);
    HeaderValue::from(u64::try_from(millis).unwrap_or(u64::MAX))
}

/// Checks headers that a caller adds: no header the channel controls, no
/// name reserved by the Connect protocol, and base64 in `-bin` headers.
pub(crate) fn check_custom_headers(headers: &HeaderMap) -> Result<(), Status> {
    for (name, value) in headers {
        let name = name.as_str();
        if RESERVED.contains(&name) || name.starts_with("connect-") {
            return Err(invalid(format!(
                "header {name} is set by the channel and cannot be added to a call; \
                 use the channel builder options instead"
            )));
        }
        if name.ends_with(BINARY_SUFFIX) && decode_binary_header(value).is_err() {
            return Err(invalid(format!(
                "header {name} ends in -bin but its value is not base64; encode binary \
                 values with encode_binary_header"
            )));
        }
    }
    Ok(())
}

fn invalid(message: String) -> Status {
    Status::client(Code::InvalidArgument, message).with_kind(ClientErrorKind::Encode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_is_rounded_up_and_capped_at_ten_digits() {
        let cases = [
            (Duration::from_millis(1500), "1500"),
            (Duration::from_micros(1500), "2"),
            (Duration::from_nanos(1), "1"),
            (Duration::ZERO, "1"),
            (Duration::from_secs(9_999_999), "9999999000"),
            (Duration::from_secs(10_000_000), "9999999999"),
            (Duration::MAX, "9999999999"),
        ];
        for (remaining, expected) in cases {
            assert_eq!(connect_timeout_value(remaining), expected, "{remaining:?}");
        }
    }

    #[test]
    fn reserved_headers_are_rejected() {
        for name in [
            "content-type",
            "connect-timeout-ms",
            "connect-anything",
            "host",
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(
                http::HeaderName::from_static(name),
                HeaderValue::from_static("x"),
            );
            let status = check_custom_headers(&headers).unwrap_err();
            assert_eq!(status.code(), Code::InvalidArgument, "{name}");
            assert!(status.is_unsent());
        }
    }

    #[test]
    fn bin_headers_must_be_base64() {
        let mut headers = HeaderMap::new();
        headers.insert("acme-trace-bin", HeaderValue::from_static("AQID"));
        headers.insert("x-request-id", HeaderValue::from_static("abc"));
        assert!(check_custom_headers(&headers).is_ok());
        headers.insert("acme-trace-bin", HeaderValue::from_static("not base64!"));
        assert!(check_custom_headers(&headers).is_err());
    }
}
