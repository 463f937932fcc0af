//! Tiny HTTP/1.1 servers on 127.0.0.1 for transport tests: each accepted
//! connection is handed to a test-supplied handler, which reads the request
//! with [`read_request`] and responds with raw bytes, resets, stalls or closes.

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request as the server read it.
#[derive(Debug, Clone, Default)]
pub struct RecordedRequest {
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    /// Header names in lowercase, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// Returns the first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    }

    /// Returns the path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// Returns the query, or "" when there is none.
    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, query)| query)
    }
}

/// A running server; the accept loop stops when it is dropped.
pub struct RawServer {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<RecordedRequest>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RawServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Returns the requests read so far by handlers that used [`Recorder`].
    pub fn recorded(&self) -> Vec<RecordedRequest> {
        self.requests.lock().expect("request log lock").clone()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Stores requests for [`RawServer::recorded`].
#[derive(Clone)]
pub struct Recorder(Arc<Mutex<Vec<RecordedRequest>>>);

impl Recorder {
    pub fn push(&self, request: &RecordedRequest) {
        self.0
            .lock()
            .expect("request log lock")
            .push(request.clone());
    }
}

/// Starts a server that hands each connection to `handler`.
pub async fn spawn<F, Fut>(handler: F) -> RawServer
where
    F: Fn(TcpStream, Recorder) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a port on 127.0.0.1");
    let addr = listener
        .local_addr()
        .expect("local address of the listener");
    let requests = Arc::new(Mutex::new(Vec::new()));
    let recorder = Recorder(requests.clone());
    let handler = Arc::new(handler);
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let handler = handler.clone();
            let recorder = recorder.clone();
            tokio::spawn(async move { handler(stream, recorder).await });
        }
    });
    RawServer {
        addr,
        requests,
        task,
    }
}

/// Starts a server that records each request and responds to it with the bytes
/// `respond` returns, then closes the connection.
pub async fn respond_with<F>(respond: F) -> RawServer
where
    F: Fn(&RecordedRequest) -> Vec<u8> + Send + Sync + 'static,
{
    let respond = Arc::new(respond);
    spawn(move |mut stream, recorder| {
        let respond = respond.clone();
        async move {
            let Some(request) = read_request(&mut stream).await else {
                return;
            };
            recorder.push(&request);
            let _ = stream.write_all(&respond(&request)).await;
            let _ = stream.shutdown().await;
        }
    })
    .await
}

/// Reads one HTTP/1.1 request with a Content-Length body (or none).
pub async fn read_request<S: AsyncReadExt + Unpin>(stream: &mut S) -> Option<RecordedRequest> {
    let mut buffer = Vec::new();
    let head_end = loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            break end;
        }
        let mut chunk = [0u8; 4096];
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };

    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
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
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let mut chunk = vec![0u8; length - body.len()];
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Some(RecordedRequest {
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

/// Formats a complete HTTP/1.1 response with Content-Length and `Connection: close`.
pub fn http_response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut response = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = response.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Returns a port on 127.0.0.1 that nothing listens on: bound, then released.
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a port on 127.0.0.1");
    let addr = listener
        .local_addr()
        .expect("local address of the listener");
    drop(listener);
    addr
}
