//! Binary (`-bin`) metadata and Connect trailers carried in headers.
//!
//! HTTP header values cannot hold arbitrary bytes, so Connect sends binary
//! metadata under names ending in `-bin`, base64-encoded. Senders write
//! unpadded standard base64; receivers accept standard or URL-safe, padded or
//! not. Unary Connect responses carry trailers as headers prefixed `trailer-`.

use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use http::{HeaderMap, HeaderName, HeaderValue};

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_encode_padding(false)
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);

/// The suffix of binary metadata names.
///
/// ```
/// use cwsandbox_control::connect::BINARY_SUFFIX;
///
/// assert!("trace-context-bin".ends_with(BINARY_SUFFIX));
/// ```
pub const BINARY_SUFFIX: &str = "-bin";

/// The prefix of trailers sent as headers in unary Connect responses.
pub(crate) const TRAILER_PREFIX: &str = "trailer-";

/// The error of decoding a `-bin` header value that is not base64.
#[derive(Debug, Clone, PartialEq, Eq)]
///
/// ```
/// use cwsandbox_control::connect::decode_binary_header;
/// use http::HeaderValue;
///
/// let error = decode_binary_header(&HeaderValue::from_static("not base64!")).unwrap_err();
/// assert!(error.to_string().contains("not base64"), "{error}");
/// ```
pub struct InvalidBinaryHeader {
    message: String,
}

impl fmt::Display for InvalidBinaryHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for InvalidBinaryHeader {}

/// Decodes base64 in the standard or the URL-safe alphabet, with or without padding.
pub(crate) fn decode_base64_lenient(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let text = text.trim();
    if text.contains(['-', '_']) {
        URL_SAFE_LENIENT.decode(text)
    } else {
        STANDARD_LENIENT.decode(text)
    }
}

/// Encodes bytes as a `-bin` header value: standard base64 without padding.
///
/// ```
/// use cwsandbox_control::connect::encode_binary_header;
///
/// assert_eq!(encode_binary_header(&[0xde, 0xad, 0xbe, 0xef]), "3q2+7w");
/// ```
pub fn encode_binary_header(bytes: &[u8]) -> HeaderValue {
    let text = STANDARD_LENIENT.encode(bytes);
    // Base64 output is always a valid header value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Decodes a `-bin` header value. Standard and URL-safe base64 are accepted,
/// padded or not.
///
/// # Errors
///
/// Returns [`InvalidBinaryHeader`] when the value is not base64.
///
/// ```
/// use cwsandbox_control::connect::decode_binary_header;
/// use http::HeaderValue;
///
/// let bytes = [0xde, 0xad, 0xbe, 0xef];
/// for text in ["3q2+7w", "3q2+7w==", "3q2-7w"] {
///     assert_eq!(decode_binary_header(&HeaderValue::from_static(text))?, bytes, "{text}");
/// }
/// # Ok::<(), cwsandbox_control::connect::InvalidBinaryHeader>(())
/// ```
pub fn decode_binary_header(value: &HeaderValue) -> Result<Vec<u8>, InvalidBinaryHeader> {
    let text = value.to_str().map_err(|_| InvalidBinaryHeader {
        message: "binary header value contains non-ASCII bytes; expected base64".to_string(),
    })?;
    decode_base64_lenient(text).map_err(|error| InvalidBinaryHeader {
        message: format!("binary header value is not base64: {error}"),
    })
}

/// Returns the decoded values of binary metadata `name` (with or without the
/// `-bin` suffix). Comma-separated values in one header are split, as HTTP
/// allows a list to be folded into one line.
///
/// # Errors
///
/// Returns [`InvalidBinaryHeader`] when a value is not base64.
///
/// ```
/// use cwsandbox_control::connect::get_binary_all;
/// use http::{HeaderMap, HeaderValue};
///
/// let mut headers = HeaderMap::new();
/// headers.append("trace-bin", HeaderValue::from_static("AQI,AwQ"));
/// headers.append("trace-bin", HeaderValue::from_static("BQ"));
/// let values = get_binary_all(&headers, "trace")?;
/// assert_eq!(values, [vec![1, 2], vec![3, 4], vec![5]]);
/// assert!(get_binary_all(&headers, "other-bin")?.is_empty());
/// # Ok::<(), cwsandbox_control::connect::InvalidBinaryHeader>(())
/// ```
pub fn get_binary_all(
    headers: &HeaderMap,
    name: &str,
) -> Result<Vec<Vec<u8>>, InvalidBinaryHeader> {
    let Some(name) = binary_header_name(name) else {
        return Ok(Vec::new());
    };
    let mut values = Vec::new();
    for value in headers.get_all(&name) {
        let text = value.to_str().map_err(|_| InvalidBinaryHeader {
            message: format!("header {name} contains non-ASCII bytes; expected base64"),
        })?;
        for part in text.split(',') {
            let bytes = decode_base64_lenient(part).map_err(|error| InvalidBinaryHeader {
                message: format!("header {name} is not base64: {error}"),
            })?;
            values.push(bytes);
        }
    }
    Ok(values)
}

/// Returns the header name of binary metadata, adding the `-bin` suffix when
/// `name` lacks it. Returns `None` when `name` is not a valid header name.
pub(crate) fn binary_header_name(name: &str) -> Option<HeaderName> {
    let name = name.to_ascii_lowercase();
    if name.ends_with(BINARY_SUFFIX) {
        HeaderName::from_bytes(name.as_bytes()).ok()
    } else {
        HeaderName::from_bytes(format!("{name}{BINARY_SUFFIX}").as_bytes()).ok()
    }
}

/// Splits response headers into the plain headers and the Connect trailers,
/// which arrive as `trailer-` headers and are returned with the prefix removed.
pub(crate) fn split_trailers(headers: HeaderMap) -> (HeaderMap, HeaderMap) {
    let mut plain = HeaderMap::with_capacity(headers.len());
    let mut trailers = HeaderMap::new();
    let mut current: Option<HeaderName> = None;
    for (name, value) in headers {
        if let Some(name) = name {
            current = Some(name);
        }
        let Some(name) = current.as_ref() else {
            continue;
        };
        let trailer_name = name
            .as_str()
            .strip_prefix(TRAILER_PREFIX)
            .and_then(|rest| HeaderName::from_bytes(rest.as_bytes()).ok());
        match trailer_name {
            Some(trailer_name) => trailers.append(trailer_name, value),
            None => plain.append(name.clone(), value),
        };
    }
    (plain, trailers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_values_round_trip_in_every_form() {
        let bytes = [0xfb, 0xff, 0x00, 0x10];
        let value = encode_binary_header(&bytes);
        assert_eq!(value.to_str().unwrap(), "+/8AEA");
        for text in ["+/8AEA", "+/8AEA==", "-_8AEA", "-_8AEA=="] {
            let decoded = decode_binary_header(&HeaderValue::from_static(text)).unwrap();
            assert_eq!(decoded, bytes, "{text}");
        }
    }

    #[test]
    fn invalid_binary_value_is_an_error() {
        let error = decode_binary_header(&HeaderValue::from_static("a$b")).unwrap_err();
        assert!(error.to_string().contains("not base64"), "{error}");
    }

    #[test]
    fn binary_values_split_on_commas() {
        let mut headers = HeaderMap::new();
        headers.append("acme-id-bin", HeaderValue::from_static("AQ, Ag"));
        headers.append("acme-id-bin", HeaderValue::from_static("Aw=="));
        let values = get_binary_all(&headers, "acme-id").unwrap();
        assert_eq!(values, vec![vec![1], vec![2], vec![3]]);
    }

    #[test]
    fn trailers_lose_their_prefix() {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.append("trailer-acme-cost", HeaderValue::from_static("1"));
        headers.append("trailer-acme-cost", HeaderValue::from_static("2"));
        let (plain, trailers) = split_trailers(headers);
        assert_eq!(plain.len(), 1);
        let costs: Vec<_> = trailers.get_all("acme-cost").iter().collect();
        assert_eq!(costs, ["1", "2"]);
    }
}
