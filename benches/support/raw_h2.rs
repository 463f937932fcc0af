//! Raw hyper on one HTTP/2 cleartext connection: the floor that whole-call
//! benchmarks compare the client with.

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

/// Opens one HTTP/2 connection with prior knowledge to `base` (`http://host:port`).
pub(crate) async fn connect(base: &str) -> SendRequest<Full<Bytes>> {
    let address = base.trim_start_matches("http://");
    let stream = TcpStream::connect(address)
        .await
        .expect("connecting to the canned server");
    stream.set_nodelay(true).expect("setting TCP_NODELAY");
    let (sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("HTTP/2 handshake with the canned server");
    tokio::spawn(connection);
    sender
}

/// Sends one POST with `body` and returns the whole response body.
pub(crate) async fn post(
    sender: &SendRequest<Full<Bytes>>,
    uri: &str,
    content_type: &'static str,
    body: Bytes,
) -> Bytes {
    let request = Request::post(uri)
        .header(http::header::CONTENT_TYPE, content_type)
        .body(Full::new(body))
        .expect("a valid request");
    let response = sender
        .clone()
        .send_request(request)
        .await
        .expect("the canned server answers");
    response
        .into_body()
        .collect()
        .await
        .expect("reading the canned body")
        .to_bytes()
}
