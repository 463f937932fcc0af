//! Misbehaving servers on 127.0.0.1 for the hardening tests.
//!
//! [`spawn_http1`] reads each request in full, counts it, and hands the
//! connection to a handler that may respond, stall, trickle, reset or close.
//! [`spawn_h2`] speaks HTTP/2 without TLS (prior knowledge) and can end a
//! connection with GOAWAY.

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Largest request head or body the servers read, so that a client bug cannot make the
/// test allocate without bound.
const MAX_REQUEST_BYTES: usize = 1 << 20;

/// A request as the server read it.
#[derive(Debug, Clone, Default)]
pub struct Received {
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Header names in lowercase.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

/// A running server. Its accept loop stops when it is dropped.
pub struct Server {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Returns the requests that the server read in full.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("request log lock").clone()
    }

    /// Returns how many requests the server read in full.
    pub fn request_count(&self) -> usize {
        self.received.lock().expect("request log lock").len()
    }

    /// Returns how many connections the server accepted.
    pub fn connection_count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts an HTTP/1.1 server on `ip` (a loopback address) that reads one
/// request per connection and passes the connection to `handler`.
pub async fn spawn_http1_on<F, Fut>(ip: &str, handler: F) -> Server
where
    F: Fn(TcpStream, Received) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind((ip, 0))
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    let received = Arc::new(Mutex::new(Vec::new()));
    let connections = Arc::new(AtomicUsize::new(0));
    let handler = Arc::new(handler);
    let log = Arc::clone(&received);
    let accepted = Arc::clone(&connections);
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            accepted.fetch_add(1, Ordering::SeqCst);
            let handler = Arc::clone(&handler);
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                if let Some(request) = read_request(&mut stream).await {
                    log.lock().expect("request log lock").push(request.clone());
                    handler(stream, request).await;
                }
            });
        }
    });
    Server {
        addr,
        received,
        connections,
        task,
    }
}

/// Starts an HTTP/1.1 server on 127.0.0.1; see [`spawn_http1_on`].
pub async fn spawn_http1<F, Fut>(handler: F) -> Server
where
    F: Fn(TcpStream, Received) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    spawn_http1_on("127.0.0.1", handler).await
}

/// Reads one HTTP/1.1 request with a `content-length` body. Returns `None` when
/// the client closed the connection or sent something unreadable.
pub async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> Option<Received> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = find(&buffer, b"\r\n\r\n") {
            break at;
        }
        if buffer.len() > MAX_REQUEST_BYTES {
            return None;
        }
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let target = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0)
        .min(MAX_REQUEST_BYTES);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    body.truncate(length);
    Some(Received {
        method,
        target,
        headers,
        body,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Writes a complete response with `content-length` and `connection: close`.
pub async fn respond<S: AsyncWrite + Unpin>(
    stream: &mut S,
    status: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) {
    let mut head = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.flush().await;
}

/// Closes the connection with a TCP reset instead of an orderly FIN.
pub fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

/// Sends `bytes` one at a time, `interval` apart.
pub async fn trickle(stream: &mut TcpStream, bytes: &[u8], interval: Duration) {
    for byte in bytes {
        if stream.write_all(&[*byte]).await.is_err() {
            return;
        }
        let _ = stream.flush().await;
        tokio::time::sleep(interval).await;
    }
}

/// Keeps the connection open without a response until the client closes it.
pub async fn stall(mut stream: TcpStream) {
    let mut sink = [0u8; 1024];
    while let Ok(read) = stream.read(&mut sink).await {
        if read == 0 {
            return;
        }
    }
}

/// How an HTTP/2 server ends each connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoAway {
    /// GOAWAY right after the handshake, before any request was accepted: last stream id 0,
    /// which tells the peer that its requests were not processed.
    BeforeRequest,
    /// GOAWAY after the request stream was accepted and read, without a response: the
    /// request may have had an effect.
    AfterRequest,
}

/// Starts an HTTP/2 (prior knowledge) server on 127.0.0.1 that ends every
/// connection with GOAWAY as `mode` selects.
pub async fn spawn_h2(mode: GoAway) -> Server {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    let received = Arc::new(Mutex::new(Vec::new()));
    let connections = Arc::new(AtomicUsize::new(0));
    let log = Arc::clone(&received);
    let accepted = Arc::clone(&connections);
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            accepted.fetch_add(1, Ordering::SeqCst);
            let log = Arc::clone(&log);
            tokio::spawn(serve_h2(stream, mode, log));
        }
    });
    Server {
        addr,
        received,
        connections,
        task,
    }
}

async fn serve_h2(stream: TcpStream, mode: GoAway, log: Arc<Mutex<Vec<Received>>>) {
    let Ok(mut connection) = h2::server::handshake(stream).await else {
        return;
    };
    if mode == GoAway::AfterRequest {
        let Some(Ok((request, _respond))) = connection.accept().await else {
            return;
        };
        let (parts, mut body) = request.into_parts();
        let mut bytes = Vec::new();
        while let Some(Ok(chunk)) = body.data().await {
            let _ = body.flow_control().release_capacity(chunk.len());
            bytes.extend_from_slice(&chunk);
            if bytes.len() > MAX_REQUEST_BYTES {
                break;
            }
        }
        log.lock().expect("request log lock").push(Received {
            method: parts.method.to_string(),
            target: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| {
                    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                    (name.as_str().to_string(), value)
                })
                .collect(),
            body: bytes,
        });
    }
    connection.abrupt_shutdown(h2::Reason::NO_ERROR);
    // The GOAWAY goes out while the connection is polled; streams that arrive
    // meanwhile are refused.
    while let Some(Ok((_request, _respond))) = connection.accept().await {}
}

/// Reads a `kB` field of `/proc/self/status`, such as `VmHWM:`, in bytes.
pub fn proc_status_bytes(field: &str) -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    let kib: usize = line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Resets the peak resident set size (Linux `clear_refs` value 5) and returns the current
/// one, or `None` where `/proc` does not offer that.
pub fn reset_peak_rss() -> Option<usize> {
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    proc_status_bytes("VmRSS:")
}

/// Returns how far the resident set grew above `baseline` since [`reset_peak_rss`].
pub fn peak_rss_growth(baseline: usize) -> usize {
    proc_status_bytes("VmHWM:")
        .unwrap_or(baseline)
        .saturating_sub(baseline)
}
