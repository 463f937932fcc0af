//! The socket side: accepts TCP connections and serves HTTP/1.1 and HTTP/2
//! cleartext (prior knowledge) on the same port, with bounded headers, bodies
//! and read times.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::error::{ApiError, reason};
use super::service::{EmulatorService, PeerInfo, body_too_large};
use crate::rpc::Code;

/// How long open connections may finish their requests after shutdown starts.
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// A running accept loop.
#[derive(Debug)]
pub(crate) struct ServerTask {
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl ServerTask {
    /// Stops accepting, lets open requests finish, and waits for the loop to end.
    pub(crate) async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }

    /// Stops the loop and every connection at once.
    pub(crate) fn abort(&self) {
        let _ = self.shutdown.send(true);
        self.task.abort();
    }
}

/// Serves `service` on `listener` until shutdown.
pub(crate) fn spawn(service: EmulatorService, listener: TcpListener) -> ServerTask {
    let (shutdown, shutdown_receiver) = watch::channel(false);
    let task = tokio::spawn(accept_loop(service, listener, shutdown_receiver));
    ServerTask { shutdown, task }
}

async fn accept_loop(
    service: EmulatorService,
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(serve_connection(service.clone(), stream, peer, shutdown.clone()));
                }
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed; retrying");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = shutdown.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(DRAIN_TIME, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "closing connections that did not finish in time"
        );
        connections.abort_all();
    }
    tracing::info!("emulator stopped");
}

async fn serve_connection(
    service: EmulatorService,
    stream: TcpStream,
    peer: SocketAddr,
    mut shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let config = service.config();
    let header_limit = config.max_header_bytes;
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.read_timeout)
        // hyper requires at least 8 KiB here; larger headers get 431.
        .max_buf_size(header_limit.saturating_add(1024).max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(header_limit.saturating_add(1024)).unwrap_or(u32::MAX));

    let peer_info = PeerInfo {
        remote_addr: Some(peer),
    };
    let handler = service.clone();
    let http_service = service_fn(move |request: Request<Incoming>| {
        let handler = handler.clone();
        async move { Ok::<_, Infallible>(serve_request(&handler, request, peer_info).await) }
    });
    let connection = builder.serve_connection(TokioIo::new(stream), http_service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, %peer, "connection closed with an error");
            }
        }
        _ = shutdown.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Reads the body within the size and time limits, then hands the request to the service.
async fn serve_request(
    service: &EmulatorService,
    request: Request<Incoming>,
    peer: PeerInfo,
) -> Response<Full<Bytes>> {
    let config = service.config();
    let limit = config.max_body_bytes;
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return service
            .reject(&parts, &body_too_large(limit))
            .map(Full::new);
    }
    let read = tokio::time::timeout(config.read_timeout, Limited::new(body, limit).collect()).await;
    let body = match read {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(error)) => {
            let rejection = if error.downcast_ref::<LengthLimitError>().is_some() {
                body_too_large(limit)
            } else {
                ApiError::new(
                    Code::InvalidArgument,
                    reason::MALFORMED_REQUEST,
                    format!("reading the request body failed: {error}"),
                )
            };
            return service.reject(&parts, &rejection).map(Full::new);
        }
        Err(_) => {
            let timeout = ApiError::new(
                Code::DeadlineExceeded,
                reason::REQUEST_TIMEOUT,
                format!(
                    "the request body did not arrive within {} ms",
                    config.read_timeout.as_millis()
                ),
            )
            .with_http_status(StatusCode::REQUEST_TIMEOUT);
            return service.reject(&parts, &timeout).map(Full::new);
        }
    };
    service
        .handle(Request::from_parts(parts, body), peer)
        .await
        .map(Full::new)
}
