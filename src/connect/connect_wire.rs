//! The Connect protocol's unary requests (POST and GET) and successful
//! responses, per <https://connectrpc.com/docs/protocol>.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue};
use percent_encoding::utf8_percent_encode;

use super::channel::Message;
use super::code::Code;
use super::codec::{Codec, gzip};
use super::error_body::{content_type, media_type};
use super::headers::CONNECT_PROTOCOL_VERSION;
use super::path_template::UNRESERVED;
use super::status::{ClientErrorKind, Status};

/// A Connect request ready to send, without the headers common to all calls.
#[derive(Debug, Clone)]
pub(crate) struct ConnectRequest {
    pub method: http::Method,
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// How a Connect call is to be sent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectOptions {
    pub codec: Codec,
    pub compression_threshold: Option<usize>,
    /// Send as GET when the URL is at most this long; `None` sends POST.
    pub get_max_url_length: Option<usize>,
    /// Length of `scheme://authority`, counted towards the URL limit.
    pub origin_length: usize,
}

/// Encodes a unary Connect request for the procedure at `path`.
pub(crate) fn encode_request<M: Message>(
    path: &str,
    message: &M,
    options: ConnectOptions,
) -> Result<ConnectRequest, Status> {
    let payload = options.codec.encode(message)?;
    let compress = options
        .compression_threshold
        .is_some_and(|threshold| payload.len() > threshold);
    let payload = if compress { gzip(&payload)? } else { payload };

    if let Some(max_url_length) = options.get_max_url_length {
        let path_and_query = format!("{path}?{}", get_query(options.codec, &payload, compress));
        if options.origin_length + path_and_query.len() <= max_url_length {
            return Ok(ConnectRequest {
                method: http::Method::GET,
                path_and_query,
                headers: HeaderMap::new(),
                body: Bytes::new(),
            });
        }
    }

    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(options.codec.content_type()),
    );
    headers.insert(CONNECT_PROTOCOL_VERSION, HeaderValue::from_static("1"));
    if compress {
        headers.insert(
            http::header::CONTENT_ENCODING,
            HeaderValue::from_static("gzip"),
        );
    }
    Ok(ConnectRequest {
        method: http::Method::POST,
        path_and_query: path.to_string(),
        headers,
        body: Bytes::from(payload),
    })
}

/// Builds the query of a Connect GET, in the parameter order the protocol
/// recommends for cache hits: `connect`, `base64`, `compression`, `encoding`,
/// `message`. Binary or compressed messages are URL-safe base64 without
/// padding; a JSON message is percent-encoded.
pub(crate) fn get_query(codec: Codec, payload: &[u8], compressed: bool) -> String {
    let base64 = compressed || codec == Codec::Proto;
    let mut query = String::from("connect=v1");
    if base64 {
        query.push_str("&base64=1");
    }
    if compressed {
        query.push_str("&compression=gzip");
    }
    query.push_str("&encoding=");
    query.push_str(codec.name());
    query.push_str("&message=");
    if base64 {
        query.push_str(&URL_SAFE_NO_PAD.encode(payload));
    } else {
        // A JSON payload from serde_json is always UTF-8.
        let text = String::from_utf8_lossy(payload);
        query.extend(utf8_percent_encode(&text, UNRESERVED));
    }
    query
}

/// Decodes the message of a successful (HTTP 200) Connect response.
///
/// A content type that is not `application/...` at all is `Unknown`, because
/// the response may not come from a Connect server (a captive portal, a
/// misrouted proxy). A different codec than the request's, and a body that
/// does not decode, are `Internal`.
pub(crate) fn decode_response<M: Message>(
    codec: Codec,
    headers: &HeaderMap,
    body: &[u8],
    max_json_depth: usize,
) -> Result<M, Status> {
    let received = content_type(headers).unwrap_or("");
    let media = media_type(received);
    if media != codec.content_type() {
        let code = if media.starts_with("application/") {
            Code::Internal
        } else {
            Code::Unknown
        };
        let shown = if received.is_empty() {
            "none"
        } else {
            received
        };
        return Err(Status::client(
            code,
            format!(
                "the response has content type {shown}, expected {}",
                codec.content_type()
            ),
        )
        .with_kind(ClientErrorKind::Decode));
    }
    codec.decode(body, max_json_depth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_get_query_is_percent_encoded() {
        let query = get_query(Codec::Json, r#"{"id":"a b/é"}"#.as_bytes(), false);
        assert_eq!(
            query,
            "connect=v1&encoding=json&message=%7B%22id%22%3A%22a%20b%2F%C3%A9%22%7D"
        );
    }

    #[test]
    fn proto_get_query_is_url_safe_base64() {
        let query = get_query(Codec::Proto, &[0x0a, 0x03, 0xfb, 0xff, 0xfe], false);
        assert_eq!(query, "connect=v1&base64=1&encoding=proto&message=CgP7__4");
    }

    #[test]
    fn compressed_get_query_names_gzip() {
        let query = get_query(Codec::Json, &[0x1f, 0x8b, 0x08], true);
        assert_eq!(
            query,
            "connect=v1&base64=1&compression=gzip&encoding=json&message=H4sI"
        );
    }

    fn json_headers(content_type: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(content_type),
        );
        headers
    }

    #[test]
    fn unexpected_content_types() {
        let cases = [
            ("text/html", Code::Unknown),
            ("application/proto", Code::Internal),
            ("application/grpc", Code::Internal),
        ];
        for (content_type, code) in cases {
            let result: Result<crate::rpc::ErrorInfo, _> =
                decode_response(Codec::Json, &json_headers(content_type), b"{}", 64);
            let status = result.unwrap_err();
            assert_eq!(status.code(), code, "{content_type}");
            assert!(status.message().contains(content_type), "{status}");
            assert!(status.is_decode());
        }
    }

    #[test]
    fn json_charset_parameter_is_accepted() {
        let headers = json_headers("application/json; charset=utf-8");
        let info: crate::rpc::ErrorInfo =
            decode_response(Codec::Json, &headers, br#"{"reason":"R"}"#, 64).unwrap();
        assert_eq!(info.reason, "R");
    }

    #[test]
    fn invalid_json_is_internal() {
        let headers = json_headers("application/json");
        let result: Result<crate::rpc::ErrorInfo, _> =
            decode_response(Codec::Json, &headers, b"{\"reason\":", 64);
        let status = result.unwrap_err();
        assert_eq!(status.code(), Code::Internal);
        assert!(status.message().contains("invalid JSON"), "{status}");
    }

    #[test]
    fn invalid_proto_is_internal() {
        let headers = json_headers("application/proto");
        let result: Result<crate::rpc::ErrorInfo, _> =
            decode_response(Codec::Proto, &headers, &[0x0a, 0x05, 0x41], 64);
        assert_eq!(result.unwrap_err().code(), Code::Internal);
    }

    #[test]
    fn long_get_falls_back_to_post() {
        let message = crate::rpc::ErrorInfo {
            reason: "x".repeat(300),
            ..Default::default()
        };
        let options = ConnectOptions {
            codec: Codec::Json,
            compression_threshold: None,
            get_max_url_length: Some(200),
            origin_length: 22,
        };
        let request = encode_request("/pkg.Service/Get", &message, options).unwrap();
        assert_eq!(request.method, http::Method::POST);
        assert_eq!(request.path_and_query, "/pkg.Service/Get");
        assert_eq!(request.headers[CONNECT_PROTOCOL_VERSION], "1");

        let options = ConnectOptions {
            get_max_url_length: Some(8192),
            ..options
        };
        let request = encode_request("/pkg.Service/Get", &message, options).unwrap();
        assert_eq!(request.method, http::Method::GET);
        assert!(request.body.is_empty());
        assert!(request.headers.get(http::header::CONTENT_TYPE).is_none());
    }

    #[test]
    fn large_post_is_gzipped() {
        let message = crate::rpc::ErrorInfo {
            reason: "x".repeat(2000),
            ..Default::default()
        };
        let options = ConnectOptions {
            codec: Codec::Proto,
            compression_threshold: Some(1024),
            get_max_url_length: None,
            origin_length: 0,
        };
        let request = encode_request("/pkg.Service/Put", &message, options).unwrap();
        assert_eq!(request.headers[http::header::CONTENT_ENCODING], "gzip");
        assert_eq!(
            request.headers[http::header::CONTENT_TYPE],
            "application/proto"
        );
        assert!(request.body.len() < 200);
    }
}
