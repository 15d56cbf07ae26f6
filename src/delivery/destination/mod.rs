//! Where a delivery goes: the one seam between the pipeline and the outside. A [`Destination`]
//! takes a rendered [`Request`] and reports an [`Attempt`]; it never fails as a function, so the
//! pipeline always has something to decide on and record. HTTP (`http`: SSRF-pinned, signed by
//! the render stage, with a timeout) is the first implementation; another kind of destination is
//! one more file here and one more arm of [`Destinations::of`].

pub mod http;

use futures_util::future::BoxFuture;

use crate::backoff::attempt::Attempt;
use crate::subscriptions::model::Subscription;

/// One rendered delivery: the body in the subscription's wire format and every header (the
/// subscription's own, the format's, the trace context and the Standard Webhooks signature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    pub url: &'a str,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Something a rendered delivery can be sent to.
pub trait Destination: Send + Sync {
    /// One attempt. The latency runs from the start of sending to the answer (or the failure).
    fn send<'a>(&'a self, request: Request<'a>) -> BoxFuture<'a, Attempt>;
}

/// Every kind of destination the relay delivers to, chosen by the subscription's URL.
pub struct Destinations {
    pub http: http::HttpDestination,
}

impl Destinations {
    /// The destination of `subscription`'s deliveries. HTTP(S) is the only kind a subscription can
    /// name today (its URL's scheme is validated when it is saved), so every delivery goes there.
    pub fn of(&self, _subscription: &Subscription) -> &dyn Destination {
        &self.http
    }
}
