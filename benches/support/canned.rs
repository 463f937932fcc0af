//! An HTTP/2 cleartext server on loopback that responds to every request with
//! the same response, for timing whole client calls without a real server.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::server::conn::http2;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// A fixed response: HTTP status, content type and body.
#[derive(Clone)]
pub(crate) struct Canned {
    pub(crate) status: StatusCode,
    pub(crate) content_type: &'static str,
    pub(crate) body: Bytes,
}

/// Starts a server on 127.0.0.1 on a free port that reads each request body
/// and responds with `canned`. Returns its `http://` base URL.
///
/// The server runs on the current Tokio runtime until the runtime stops.
pub(crate) async fn serve(canned: Canned) -> String {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("binding a loopback port");
    let address = listener.local_addr().expect("reading the bound address");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let canned = canned.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<Incoming>| {
                    let canned = canned.clone();
                    async move {
                        // Drain the request so that flow control sees it consumed.
                        let _ = request.into_body().collect().await;
                        let response = Response::builder()
                            .status(canned.status)
                            .header(http::header::CONTENT_TYPE, canned.content_type)
                            .body(Full::new(canned.body))
                            .expect("a canned response with valid parts");
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = http2::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{address}")
}
