//! Message codecs, gzip, and the checks that bound what a response may cost.

use std::io::Read;

use bytes::Bytes;

use super::channel::Message;
use super::code::Code;
use super::status::{ClientErrorKind, Status};

/// How Connect messages are encoded on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
///
/// ```
/// use cwsandbox_control::connect::Codec;
///
/// assert_eq!(Codec::default(), Codec::Json);
/// assert_eq!(Codec::Json.content_type(), "application/json");
/// assert_eq!(Codec::Proto.name(), "proto");
/// ```
pub enum Codec {
    /// Proto3 JSON, content type `application/json`.
    #[default]
    Json,
    /// Binary protobuf, content type `application/proto`.
    Proto,
}

impl Codec {
    /// Returns the codec name of the Connect protocol: `json` or `proto`.
    ///
    /// ```
    /// use cwsandbox_control::connect::Codec;
    ///
    /// assert_eq!(Codec::Json.name(), "json");
    /// assert_eq!(Codec::Proto.name(), "proto");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Codec::Json => "json",
            Codec::Proto => "proto",
        }
    }

    /// Returns the unary content type, such as `application/json`.
    ///
    /// ```
    /// use cwsandbox_control::connect::Codec;
    ///
    /// assert_eq!(Codec::Proto.content_type(), "application/proto");
    /// ```
    pub fn content_type(self) -> &'static str {
        match self {
            Codec::Json => "application/json",
            Codec::Proto => "application/proto",
        }
    }

    pub(crate) fn encode<M: Message>(self, message: &M) -> Result<Vec<u8>, Status> {
        match self {
            Codec::Json => encode_json(message),
            Codec::Proto => Ok(message.encode_to_vec()),
        }
    }

    pub(crate) fn decode<M: Message>(self, body: &[u8], max_depth: usize) -> Result<M, Status> {
        match self {
            Codec::Json => decode_json(body, max_depth),
            Codec::Proto => decode_proto(body),
        }
    }
}

pub(crate) fn encode_json<M: Message>(message: &M) -> Result<Vec<u8>, Status> {
    serde_json::to_vec(message).map_err(|error| {
        Status::client(
            Code::Internal,
            format!("failed to encode the request as JSON: {error}"),
        )
        .with_kind(ClientErrorKind::Encode)
        .with_source(error)
    })
}

/// Decodes a proto3 JSON message. An empty body is the default message.
pub(crate) fn decode_json<M: Message>(body: &[u8], max_depth: usize) -> Result<M, Status> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(M::default());
    }
    let text = check_json(body, max_depth)?;
    serde_json::from_str(text).map_err(json_error)
}

/// Maps a serde_json error of a response message to a status. Nesting past
/// serde_json's own limit gets the same status as a too-deep document
/// caught by [`check_json`].
pub(crate) fn json_error(error: serde_json::Error) -> Status {
    // serde_json 1.x has no error category for this case, only the message.
    if error.to_string().starts_with("recursion limit exceeded") {
        return too_deep(
            format!("more than {PARSER_MAX_DEPTH} levels"),
            PARSER_MAX_DEPTH,
        );
    }
    Status::client(
        Code::Internal,
        format!("invalid JSON in the response message: {error}"),
    )
    .with_kind(ClientErrorKind::Decode)
    .with_source(error)
}

fn decode_proto<M: Message>(body: &[u8]) -> Result<M, Status> {
    M::decode(body).map_err(|error| {
        Status::client(
            Code::Internal,
            format!("invalid binary protobuf in the response message: {error}"),
        )
        .with_kind(ClientErrorKind::Decode)
        .with_source(error)
    })
}

/// The nesting depth at which serde_json stops parsing, without a feature
/// flag to lift it (serde_json 1.x).
pub(crate) const PARSER_MAX_DEPTH: usize = 128;

/// Checks that a JSON document is UTF-8 and, when `max_depth` is below
/// [`PARSER_MAX_DEPTH`], that it nests at most `max_depth` levels before any
/// parser allocates for it. Returns the document as text.
///
/// At [`PARSER_MAX_DEPTH`] and above no scan runs, because serde_json
/// enforces that depth itself while it parses and the scan would cost about
/// a quarter of the time of decoding a 100-item page.
pub(crate) fn check_json(body: &[u8], max_depth: usize) -> Result<&str, Status> {
    let text = std::str::from_utf8(body).map_err(|error| {
        Status::client(
            Code::Internal,
            format!("the response body is not valid UTF-8: {error}"),
        )
        .with_kind(ClientErrorKind::Decode)
        .with_source(error)
    })?;
    if max_depth >= PARSER_MAX_DEPTH {
        return Ok(text);
    }
    let depth = json_depth(body);
    if depth > max_depth {
        return Err(too_deep(format!("{depth} levels"), max_depth));
    }
    Ok(text)
}

fn too_deep(depth: String, max_depth: usize) -> Status {
    Status::client(
        Code::ResourceExhausted,
        format!(
            "the response JSON nests {depth} deep, more than the limit of {max_depth}; \
             raise max_json_depth on the channel builder if the server is trusted"
        ),
    )
    .with_kind(ClientErrorKind::TooLarge)
}

/// Returns the maximum nesting depth of objects and arrays in a JSON text,
/// skipping brackets inside strings. Invalid JSON yields some depth too, and
/// the parser reports the syntax error afterwards.
pub(crate) fn json_depth(body: &[u8]) -> usize {
    let mut depth = 0usize;
    let mut max_depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in body {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                max_depth = max_depth.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max_depth
}

/// Compresses a body with gzip at the default level.
pub(crate) fn gzip(body: &[u8]) -> Result<Vec<u8>, Status> {
    use std::io::Write;

    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 2),
        flate2::Compression::default(),
    );
    let result = encoder.write_all(body).and_then(|()| encoder.finish());
    result.map_err(|error| {
        Status::client(
            Code::Internal,
            format!("failed to gzip the request body: {error}"),
        )
        .with_kind(ClientErrorKind::Encode)
        .with_source(error)
    })
}

/// Decompresses a gzip body, failing once the output passes `limit` bytes.
pub(crate) fn gunzip(body: &[u8], limit: usize) -> Result<Bytes, Status> {
    let decoder = flate2::bufread::GzDecoder::new(body);
    let expected = declared_size(body).unwrap_or_else(|| body.len().saturating_mul(4));
    // Room for one byte more than expected, so that reading to the end
    // needs no reallocation when the declared size is right.
    let mut output = Vec::with_capacity(expected.saturating_add(1).min(limit));
    let allowed = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    decoder
        .take(allowed)
        .read_to_end(&mut output)
        .map_err(|error| {
            Status::client(
                Code::Internal,
                format!("invalid gzip data in the response body: {error}"),
            )
            .with_kind(ClientErrorKind::Decode)
            .with_source(error)
        })?;
    if output.len() > limit {
        return Err(too_large("decompressed", limit));
    }
    Ok(Bytes::from(output))
}

/// Returns the uncompressed size that a gzip body declares in its last four
/// bytes (ISIZE, RFC 1952 section 2.3.1). The server sets it, so it only sizes
/// the first allocation: the limit applies to the bytes actually produced.
fn declared_size(body: &[u8]) -> Option<usize> {
    let trailer: [u8; 4] = body.get(body.len().checked_sub(4)?..)?.try_into().ok()?;
    usize::try_from(u32::from_le_bytes(trailer)).ok()
}

/// Returns the status of a response body over the size limit.
pub(crate) fn too_large(what: &str, limit: usize) -> Status {
    Status::client(
        Code::ResourceExhausted,
        format!(
            "the {what} response body is larger than the limit of {limit} bytes; \
             raise max_response_size on the channel builder if the response is expected"
        ),
    )
    .with_kind(ClientErrorKind::TooLarge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_ignores_brackets_in_strings() {
        assert_eq!(json_depth(br#"{"a": "[[[{{{", "b": [1, [2]]}"#), 3);
        assert_eq!(json_depth(br#"{"a": "\"[[", "b": {}}"#), 2);
        assert_eq!(json_depth(b"42"), 0);
    }

    #[test]
    fn deep_json_is_rejected_before_parsing() {
        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        let status = check_json(deep.as_bytes(), 64).unwrap_err();
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert!(status.message().contains("65 levels"), "{status}");
        assert!(check_json(deep.as_bytes(), 65).is_ok());
    }

    #[test]
    fn parser_depth_limit_is_resource_exhausted() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let text = check_json(deep.as_bytes(), PARSER_MAX_DEPTH).unwrap();
        let error = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
        let status = json_error(error);
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert!(
            status.message().contains("more than 128 levels"),
            "{status}"
        );
    }

    #[test]
    fn invalid_utf8_is_internal() {
        let status = check_json(b"{\"a\": \"\xff\"}", 64).unwrap_err();
        assert_eq!(status.code(), Code::Internal);
        assert!(status.message().contains("UTF-8"), "{status}");
    }

    #[test]
    fn gzip_round_trips_within_limit() {
        let body = b"hello hello hello hello".repeat(100);
        let compressed = gzip(&body).unwrap();
        assert_eq!(gunzip(&compressed, body.len()).unwrap(), body);
        let status = gunzip(&compressed, body.len() - 1).unwrap_err();
        assert_eq!(status.code(), Code::ResourceExhausted);
    }

    #[test]
    fn gunzip_ignores_false_declared_size() {
        let body = b"hello hello hello hello".repeat(100);
        let mut compressed = gzip(&body).unwrap();
        let trailer = compressed.len() - 4;
        for declared in [0u32, 7, u32::MAX] {
            compressed[trailer..].copy_from_slice(&declared.to_le_bytes());
            // The decoder checks ISIZE against what it produced.
            let status = gunzip(&compressed, body.len()).unwrap_err();
            assert_eq!(status.code(), Code::Internal, "declared {declared}");
        }
    }

    #[test]
    fn declared_size_reads_trailer() {
        let body = vec![b'x'; 70_000];
        assert_eq!(declared_size(&gzip(&body).unwrap()), Some(70_000));
        assert_eq!(declared_size(b"abc"), None);
    }

    #[test]
    fn bad_gzip_is_internal() {
        let status = gunzip(b"not gzip at all", 1024).unwrap_err();
        assert_eq!(status.code(), Code::Internal);
        assert!(status.message().contains("gzip"), "{status}");
    }
}
