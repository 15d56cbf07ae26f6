//! A subscription's delivery options, shared by the stored record (`model`) and the API bodies
//! (`requests`): how its deliveries are ordered and how they carry the event.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How a subscription's deliveries are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Ordering {
    /// As fast as they go: a retried event may arrive after a later one.
    #[default]
    None,
    /// Per subject (tracking number, shipment or order id), one at a time in the order shiprelay
    /// accepted them; while one is retried, later ones of that subject wait.
    Subject,
}

/// How a delivery carries the event (the CloudEvents HTTP binding's modes, or plain JSON).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// The CloudEvent as the JSON body, `Content-Type: application/json`: for plain webhook
    /// consumers.
    #[default]
    Json,
    /// The same body as `application/cloudevents+json; charset=utf-8` (structured mode).
    CloudeventsStructured,
    /// The attributes as `ce-*` headers and `data` as the body (binary mode); the signature
    /// covers the body only.
    CloudeventsBinary,
}
