//! What one delivery attempt produced, as a destination reports it and the retry policy reads it.

use std::time::Duration;

/// The result of one HTTP attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The subscriber answered with this status (and `Retry-After`, when it sent a valid one).
    Status {
        code: u16,
        retry_after: Option<Duration>,
    },
    /// No answer within the delivery timeout.
    Timeout,
    /// No connection (DNS failure, refused, reset, TLS failure): a safe, short description.
    Connect(String),
    /// The SSRF guard refused the target: it resolves to a forbidden address.
    Refused(String),
    /// Anything else that went wrong sending the request.
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub outcome: AttemptOutcome,
    pub latency: Duration,
    /// The first bytes of the response body (lossy UTF-8), for the delivery log.
    pub response_excerpt: Option<String>,
}

impl AttemptOutcome {
    /// One line for the delivery log and the dead-letter reason: `HTTP 503`, `timeout`, ...
    pub fn summary(&self) -> String {
        match self {
            AttemptOutcome::Status { code, .. } => format!("HTTP {code}"),
            AttemptOutcome::Timeout => "timeout".to_string(),
            AttemptOutcome::Connect(message) => format!("connection failed: {message}"),
            AttemptOutcome::Refused(message) => format!("target refused: {message}"),
            AttemptOutcome::Other(message) => format!("request failed: {message}"),
        }
    }

    pub fn status_code(&self) -> Option<u16> {
        match self {
            AttemptOutcome::Status { code, .. } => Some(*code),
            _ => None,
        }
    }
}
