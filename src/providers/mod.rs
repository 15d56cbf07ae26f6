//! Normalisers: one pure module per provider, from a verified raw body to CloudEvents.
//!
//! Dispatch is one `match` on [`ProviderKind`] (mini-redis style: one enum, one file per variant).
//! A normaliser never rejects a well-formed event of an unknown type: it becomes
//! `provider.unmapped`. It fails only when the body is not JSON or not the provider's envelope, and
//! the caller quarantines the payload with that reason.

pub mod carrier;
mod common;
pub mod depth;
pub mod flexops;
pub mod flexport_logistics;
pub mod flexport_v1;
pub mod flexport_v2;
pub mod generic;
#[cfg(test)]
mod test_support;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::event::Event;

/// JSON pointers (RFC 6901) that locate a generic source's facts in its payload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenericFields {
    /// The provider's event id, for deduplication; without it the body hash is used.
    pub id_pointer: Option<String>,
    /// The provider's event type; our type when it is in our vocabulary, else `provider.unmapped`.
    pub type_pointer: Option<String>,
    pub subject_pointer: Option<String>,
    /// An RFC 3339 time or Unix seconds.
    pub time_pointer: Option<String>,
}

/// Which normaliser a source uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderKind {
    FlexportV1,
    FlexportV2,
    FlexportLogistics,
    FlexOps,
    Generic(GenericFields),
}

impl ProviderKind {
    /// The name used in config (`kind = "..."`) and in `data.provider.name`.
    pub fn name(&self) -> &'static str {
        match self {
            ProviderKind::FlexportV1 => "flexport_v1",
            ProviderKind::FlexportV2 => "flexport_v2",
            ProviderKind::FlexportLogistics => "flexport_logistics",
            ProviderKind::FlexOps => "flexops",
            ProviderKind::Generic(_) => "generic",
        }
    }
}

/// What a normaliser gets besides the payload.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub source_id: &'a str,
    pub received_at: DateTime<Utc>,
}

/// What one provider module returns: the provider's own event id (when it has one) and the events,
/// whose `id` is still empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub provider_event_id: Option<String>,
    pub events: Vec<Event>,
}

/// The result of normalising one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    /// Deduplication key: the provider's event id, or `sha256:<hex of the body>` when it has none.
    pub dedupe_key: String,
    pub events: Vec<Event>,
}

/// Why a verified payload could not be normalised; it is quarantined with this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    #[error("the body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("the body is not a {provider} event: {reason}")]
    UnexpectedShape {
        provider: &'static str,
        reason: String,
    },
    /// Its event, stored, could not be read back (see [`depth`]).
    #[error(
        "payload nested deeper than {max} levels ({depth}): its stored event could not be read back"
    )]
    TooDeep { depth: usize, max: usize },
}

/// Normalises a verified body. `random` supplies the random half of each event's ULID.
pub fn normalize(
    kind: &ProviderKind,
    cx: Context<'_>,
    body: &[u8],
    random: &mut dyn FnMut() -> u128,
) -> Result<Normalized, NormalizeError> {
    let json: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| NormalizeError::InvalidJson(e.to_string()))?;
    let parsed = match kind {
        ProviderKind::FlexportV1 => flexport_v1::normalize(&json, cx)?,
        ProviderKind::FlexportV2 => flexport_v2::normalize(&json, cx)?,
        ProviderKind::FlexportLogistics => flexport_logistics::normalize(&json, cx)?,
        ProviderKind::FlexOps => flexops::normalize(&json, cx)?,
        ProviderKind::Generic(fields) => generic::normalize(&json, cx, fields)?,
    };
    for event in &parsed.events {
        depth::check(event).map_err(|depth| NormalizeError::TooDeep {
            depth,
            max: depth::MAX_PAYLOAD_DEPTH,
        })?;
    }
    let dedupe_key = match parsed.provider_event_id {
        Some(id) => id,
        None => format!("sha256:{}", hex::encode(Sha256::digest(body))),
    };
    let events = parsed
        .events
        .into_iter()
        .map(|mut event| {
            event.id = new_event_id(cx.received_at, random());
            event
        })
        .collect();
    Ok(Normalized { dedupe_key, events })
}

/// `evt_` + a ULID: time-ordered, so ids sort like the stream.
pub fn new_event_id(at: DateTime<Utc>, random: u128) -> String {
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    format!("evt_{}", ulid::Ulid::from_parts(millis, random))
}
