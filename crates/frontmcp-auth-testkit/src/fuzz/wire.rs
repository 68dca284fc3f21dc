//! Requests as bytes on a raw TCP connection, and what came back: no HTTP library between the
//! fuzzer and the server, so malformed request lines, headers and lengths reach it as sent.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A request body.
#[derive(Debug, Clone)]
pub enum Body {
    /// None.
    Empty,
    /// `application/x-www-form-urlencoded` pairs.
    Form(Vec<(String, String)>),
    /// `application/json`.
    Json(Value),
    /// Bytes as they are, with the content type the headers give.
    Raw(Vec<u8>),
}

/// One request the server knows, as a fuzzer mutates it.
#[derive(Debug, Clone)]
pub struct Template {
    /// What the request is, for the report.
    pub name: String,
    /// The method.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query pairs.
    pub query: Vec<(String, String)>,
    /// Headers beyond `Host`, `Content-Type`, `Content-Length` and `Connection`.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
}

impl Template {
    /// A request of `method` to `path` with no body.
    pub fn new(name: &str, method: &str, path: &str) -> Template {
        Template {
            name: name.to_owned(),
            method: method.to_owned(),
            path: path.to_owned(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    /// With the query `pairs`.
    pub fn query(mut self, pairs: &[(&str, &str)]) -> Template {
        self.query = owned(pairs);
        self
    }

    /// With a form body of `pairs`.
    pub fn form(mut self, pairs: &[(&str, &str)]) -> Template {
        self.body = Body::Form(owned(pairs));
        self
    }

    /// With a JSON body.
    pub fn json(mut self, value: Value) -> Template {
        self.body = Body::Json(value);
        self
    }

    /// With one more header.
    pub fn header(mut self, name: &str, value: &str) -> Template {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A request as it goes on the wire, after mutation.
#[derive(Debug, Clone, Default)]
pub struct Wire {
    /// The request line's method.
    pub method: Vec<u8>,
    /// The request target (path and query).
    pub target: Vec<u8>,
    /// Every header, `Host` and `Connection` included.
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
    /// Whether the client stops sending after the request (a client that leaves mid-upload:
    /// its declared length is then longer than what it sent).
    pub half_close: bool,
}

impl Wire {
    /// The bytes of the request.
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + 512);
        out.extend_from_slice(&self.method);
        out.push(b' ');
        out.extend_from_slice(&self.target);
        out.extend_from_slice(b" HTTP/1.1\r\n");
        for (name, value) in &self.headers {
            out.extend_from_slice(name);
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

/// What the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A status line and what arrived of the rest.
    Answered {
        /// The status code.
        status: u16,
        /// What arrived, status line and headers included.
        text: String,
    },
    /// The connection closed (or reset) before a status line.
    Dropped(String),
    /// Nothing within the time allowed.
    Silent,
}

/// Sends `request` on a new connection to `addr` and reads the answer: until the server closes,
/// at most `cap` bytes, and for at most `wait` (an answer that has started, such as an event
/// stream, counts as answered when the time is up).
pub async fn exchange(
    addr: SocketAddr,
    request: &[u8],
    half_close: bool,
    wait: Duration,
    cap: usize,
) -> Outcome {
    let mut received = Vec::new();
    let sent = send_and_read(addr, request, half_close, &mut received, cap);
    match tokio::time::timeout(wait, sent).await {
        Ok(error) => classify(&received, error),
        Err(_) if received.is_empty() => Outcome::Silent,
        Err(_) => classify(&received, None),
    }
}

async fn send_and_read(
    addr: SocketAddr,
    request: &[u8],
    half_close: bool,
    received: &mut Vec<u8>,
    cap: usize,
) -> Option<String> {
    let mut stream = match TcpStream::connect(addr).await {
        Ok(stream) => stream,
        Err(e) => return Some(format!("connect: {e}")),
    };
    let _ = stream.set_nodelay(true);
    // A server may answer (and close) before reading everything: a failed write is then not
    // an error of the server's. The write side stays open unless the client leaves: a server
    // may take a half-closed connection for a client that left.
    let _ = stream.write_all(request).await;
    if half_close {
        let _ = stream.shutdown().await;
    }
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        // An event stream may stay open: what it sends within a moment is read (a response
        // to a POST arrives at once), then the status is what counts.
        let read = if is_stream(received) {
            match tokio::time::timeout(STREAM_GRACE, stream.read(&mut buffer)).await {
                Ok(read) => read,
                Err(_) => return None,
            }
        } else {
            stream.read(&mut buffer).await
        };
        match read {
            Ok(0) => return None,
            Ok(n) => {
                received.extend_from_slice(&buffer[..n]);
                if received.len() >= cap {
                    return None;
                }
            }
            Err(e) => return Some(e.to_string()),
        }
    }
}

/// How long an open event stream is read after its last bytes.
const STREAM_GRACE: Duration = Duration::from_millis(300);

/// Whether the answer's head has arrived and opens an event stream (which stays open: the
/// status is what the fuzzer needs).
fn is_stream(received: &[u8]) -> bool {
    let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    String::from_utf8_lossy(&received[..end])
        .to_ascii_lowercase()
        .contains("content-type: text/event-stream")
}

fn classify(bytes: &[u8], error: Option<String>) -> Outcome {
    let text = String::from_utf8_lossy(bytes);
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| text.strip_prefix("HTTP/1.0 "))
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse::<u16>().ok());
    match (status, error) {
        (Some(status), _) => Outcome::Answered {
            status,
            text: text.into_owned(),
        },
        (None, Some(error)) => Outcome::Dropped(error),
        (None, None) if bytes.is_empty() => Outcome::Dropped(String::from("closed")),
        (None, None) => Outcome::Dropped(format!(
            "not HTTP: {}",
            text.chars().take(80).collect::<String>()
        )),
    }
}
