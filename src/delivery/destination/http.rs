//! The HTTP destination: one POST, classified into an [`Attempt`] for the retry policy.
//!
//! Sending never fails as a function: every way a request can go wrong is an `AttemptOutcome`,
//! so the caller always has something to record and decide on. Redirects are not followed (a 3xx
//! is an answer, retried like any other non-2xx, and following it could lead past the SSRF
//! guard), no proxy is used (a proxy would resolve names past the guard), and only the first
//! `max_excerpt_bytes` of a response body are read.

use std::error::Error;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Client, Response, redirect};
use url::{Host, Url};

use futures_util::future::BoxFuture;

use super::{Destination, Request};
use crate::backoff::attempt::{Attempt, AttemptOutcome};
use crate::egress::ssrf::{ForbiddenTarget, GuardedResolver, forbidden_reason};

/// The longest connection setup allowed, whatever the delivery timeout.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Error messages longer than this are cut, so a verbose TLS or DNS error stays one log line.
const MAX_MESSAGE_CHARS: usize = 200;

#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// The whole attempt: connecting, sending, the answer and the body excerpt.
    pub timeout: Duration,
    pub allow_private_targets: bool,
    pub user_agent: String,
    pub max_excerpt_bytes: usize,
    /// Idle connections kept per host: the pool's concurrency, so that a burst to one host does
    /// not close and reopen connections (a fixed 16 against 64 in flight made every fourth
    /// delivery pay a new TCP connection in the benchmark).
    pub max_idle_per_host: usize,
}

/// Delivers over a pooled HTTP client; cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct HttpDestination {
    client: Client,
    allow_private_targets: bool,
    max_excerpt_bytes: usize,
}

impl HttpDestination {
    pub fn new(config: HttpConfig) -> Result<HttpDestination, reqwest::Error> {
        let client = Client::builder()
            .tls_backend_rustls()
            .user_agent(config.user_agent)
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(MAX_CONNECT_TIMEOUT))
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(config.max_idle_per_host)
            .redirect(redirect::Policy::none())
            .no_proxy()
            .dns_resolver(GuardedResolver {
                allow_private: config.allow_private_targets,
            })
            .build()?;
        Ok(HttpDestination {
            client,
            allow_private_targets: config.allow_private_targets,
            max_excerpt_bytes: config.max_excerpt_bytes,
        })
    }

    /// POSTs `body` as `content_type` with `headers` to `url`. Latency runs from the start of
    /// the request to the response head (or the failure), not over the body excerpt.
    pub async fn send(
        &self,
        url: &str,
        content_type: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> Attempt {
        let started = Instant::now();
        if let Some(refusal) = self.refuse_literal(url) {
            return Attempt {
                outcome: refusal,
                latency: started.elapsed(),
                response_excerpt: None,
            };
        }
        let mut request = self
            .client
            .post(url)
            .header(CONTENT_TYPE, content_type)
            .body(body);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        match request.send().await {
            Ok(mut response) => {
                let latency = started.elapsed();
                let outcome = AttemptOutcome::Status {
                    code: response.status().as_u16(),
                    retry_after: retry_after(&response, Utc::now()),
                };
                let response_excerpt = excerpt(&mut response, self.max_excerpt_bytes).await;
                Attempt {
                    outcome,
                    latency,
                    response_excerpt,
                }
            }
            Err(error) => Attempt {
                outcome: classify(error),
                latency: started.elapsed(),
                response_excerpt: None,
            },
        }
    }

    /// reqwest connects to IP literals without asking the resolver, so they are checked here.
    fn refuse_literal(&self, url: &str) -> Option<AttemptOutcome> {
        if self.allow_private_targets {
            return None;
        }
        let ip = match Url::parse(url).ok()?.host()? {
            Host::Ipv4(ip) => ip.into(),
            Host::Ipv6(ip) => ip.into(),
            Host::Domain(_) => return None,
        };
        let class = forbidden_reason(ip)?;
        Some(AttemptOutcome::Refused(format!(
            "the target is a {class} address"
        )))
    }
}

impl Destination for HttpDestination {
    fn send<'a>(&'a self, request: Request<'a>) -> BoxFuture<'a, Attempt> {
        Box::pin(async move {
            let Request {
                url,
                content_type,
                headers,
                body,
            } = request;
            HttpDestination::send(self, url, &content_type, &headers, body).await
        })
    }
}

fn retry_after(response: &Response, now: DateTime<Utc>) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, now)
}

/// `Retry-After` as delta-seconds or an HTTP-date (a date in the past means now).
fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits but too large for u64: as long as possible; the policy caps it anyway.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        date.with_timezone(&Utc)
            .signed_duration_since(now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// At most `limit` bytes of the body, read chunk by chunk; `None` when empty or unreadable.
async fn excerpt(response: &mut Response, limit: usize) -> Option<String> {
    let mut bytes = Vec::new();
    while bytes.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let wanted = (limit - bytes.len()).min(chunk.len());
                bytes.extend_from_slice(&chunk[..wanted]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    (!bytes.is_empty()).then(|| String::from_utf8_lossy(&bytes).into_owned())
}

fn classify(error: reqwest::Error) -> AttemptOutcome {
    // The URL may carry credentials or tokens; it is the subscriber's, not the log's.
    let error = error.without_url();
    let chain = || std::iter::successors(Some(&error as &dyn Error), |e| (*e).source());
    if let Some(refused) = chain().find_map(|e| e.downcast_ref::<ForbiddenTarget>()) {
        return AttemptOutcome::Refused(refused.to_string());
    }
    let cause = chain().last().map(short).unwrap_or_default();
    if error.is_timeout() {
        AttemptOutcome::Timeout
    } else if error.is_connect() {
        AttemptOutcome::Connect(cause)
    } else {
        AttemptOutcome::Other(cause)
    }
}

fn short(error: &dyn Error) -> String {
    let message = error.to_string();
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}...", &message[..cut]),
        None => message,
    }
}

#[cfg(test)]
mod tests;
