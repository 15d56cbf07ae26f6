//! A raw HTTP/1.1 client for requests no well-behaved client sends: header blocks too large,
//! bodies that trickle or stop, bytes that are not UTF-8. It writes exactly the bytes it is given
//! and parses the one response that comes back, so a test sees what a hostile client would.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// No test waits longer than this for a byte; a server that hangs fails the test instead.
const READ_BOUND: Duration = Duration::from_secs(30);

pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// Asserts an RFC 9457 problem with this status and slug that carries `X-Correlation-ID`.
    pub fn assert_problem(&self, status: u16, slug: &str) -> Value {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        assert!(self.header("x-correlation-id").is_some());
        let problem = self.json();
        assert_eq!(problem["type"], format!("urn:shiprelay:problem:{slug}"));
        assert_eq!(problem["status"], status);
        problem
    }
}

pub struct RawConnection {
    reader: OwnedReadHalf,
    writer: Option<OwnedWriteHalf>,
    buffered: Vec<u8>,
}

impl RawConnection {
    /// Connects to `http://host:port` (a test app's address).
    pub async fn open(address: &str) -> RawConnection {
        let host = address.trim_start_matches("http://");
        let (reader, writer) = TcpStream::connect(host).await.unwrap().into_split();
        RawConnection {
            reader,
            writer: Some(writer),
            buffered: Vec::new(),
        }
    }

    /// Writes these bytes; an error means the server has closed the connection.
    pub async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let writer = self.writer.as_mut().expect("writer not taken");
        writer.write_all(bytes).await?;
        writer.flush().await
    }

    /// The writing half, for a task that keeps sending while the test reads.
    pub fn take_writer(&mut self) -> OwnedWriteHalf {
        self.writer.take().expect("writer not taken")
    }

    /// Reads one response: the head, then a `Content-Length` body, or everything to EOF.
    /// `None` when the server closed the connection without answering.
    pub async fn response(&mut self) -> Option<RawResponse> {
        let head_end = loop {
            if let Some(at) = find(&self.buffered, b"\r\n\r\n") {
                break at;
            }
            if !self.fill().await {
                assert!(
                    self.buffered.is_empty(),
                    "connection closed inside a response head: {:?}",
                    String::from_utf8_lossy(&self.buffered)
                );
                return None;
            }
        };
        let head = String::from_utf8_lossy(&self.buffered[..head_end]).into_owned();
        self.buffered.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not a status line: {status_line:?}"));
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let length = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .map(|(_, v)| v.parse::<usize>().unwrap());
        match length {
            Some(length) => {
                while self.buffered.len() < length {
                    assert!(self.fill().await, "connection closed inside a body");
                }
            }
            None => while self.fill().await {},
        }
        let body = self
            .buffered
            .drain(..length.unwrap_or(self.buffered.len()))
            .collect();
        Some(RawResponse {
            status,
            headers,
            body,
        })
    }

    /// Whether the server closes the connection (EOF or reset) instead of sending more.
    pub async fn closed_by_server(&mut self) -> bool {
        !self.fill().await && self.buffered.is_empty()
    }

    /// Reads more bytes; false at EOF or reset.
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 16 * 1024];
        match tokio::time::timeout(READ_BOUND, self.reader.read(&mut chunk)).await {
            Err(_) => panic!("the server sent nothing for {READ_BOUND:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => false,
            Ok(Ok(n)) => {
                self.buffered.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One request written on a fresh connection, and its response.
pub async fn exchange(address: &str, request: &[u8]) -> Option<RawResponse> {
    let mut connection = RawConnection::open(address).await;
    // The server may refuse before reading everything; what it answers is what matters.
    let _ = connection.send(request).await;
    connection.response().await
}
