//! Ingest: verify -> normalise -> deduplicate and enqueue. Framework-free, so the whole decision
//! of what happens to one provider request reads top to bottom in [`Ingestor::ingest`].
//!
//! The order matters: nothing is stored for a request that does not authenticate; a verified
//! payload that cannot be normalised is quarantined rather than dropped; and success is reported
//! only once Redis has the events.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tracing::Instrument;

use crate::auth::{self, AuthError, HeaderSource};
use crate::config::Source;
use crate::event::EventType;
use crate::providers::{self, Context, NormalizeError};
use crate::queue::{Enqueued, Enqueuer, FanOut, QuarantineEntry, Queue, QueueError};
use crate::routing::snapshot::SubscriptionCache;
use crate::telemetry::traced;

/// How old a subscriptions snapshot the enqueue may plan jobs with before asking Redis again.
/// Older is safe (the partition's version check sends its events to a router instead), so this
/// only bounds how long after a subscription change that costs a router's work.
const SNAPSHOT_MAX_AGE: std::time::Duration = std::time::Duration::from_millis(250);

/// One provider request, as the HTTP layer hands it over.
pub struct Request<'a> {
    pub headers: &'a dyn HeaderSource,
    pub body: &'a [u8],
    pub content_type: &'a str,
    pub correlation_id: &'a str,
    pub received_at: DateTime<Utc>,
    /// The trace the request's events travel in (stored on each).
    pub trace: Option<crate::telemetry::trace_context::TraceContext>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored as these events (ids), of these types.
    Accepted {
        ids: Vec<String>,
        types: Vec<EventType>,
    },
    /// Accepted before as these events; nothing stored now.
    Duplicate(Vec<String>),
    /// Verified but not normalisable: kept in the quarantine stream under `entry_id`.
    Quarantined { entry_id: String, reason: String },
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("request refused: {0}")]
    Unauthorized(#[from] AuthError),
    #[error("could not store the request")]
    Unavailable(#[from] QueueError),
}

pub struct Ingestor {
    sources: HashMap<String, Source>,
    queue: Queue,
    enqueuer: Enqueuer,
    /// The subscriptions the enqueue fans events out to itself.
    subscriptions: SubscriptionCache,
    dedupe_ttl_secs: u64,
}

impl Ingestor {
    /// Must be called within a Tokio runtime: it starts the [`Enqueuer`]'s tasks.
    pub fn new(
        sources: Vec<Source>,
        queue: Queue,
        subscriptions: SubscriptionCache,
        dedupe_ttl_secs: u64,
    ) -> Result<Ingestor, crate::queue::QueueError> {
        let sources = sources.into_iter().map(|s| (s.id.clone(), s)).collect();
        Ok(Ingestor {
            sources,
            enqueuer: Enqueuer::spawn(queue.clone())?,
            queue,
            subscriptions,
            dedupe_ttl_secs,
        })
    }

    /// The jobs of `events` per a recent snapshot, or none when it cannot be had (the router
    /// fans them out then).
    async fn fan_out(&self, events: &[crate::event::Event]) -> Option<FanOut> {
        let (subscriptions, version) = self.subscriptions.recent(SNAPSHOT_MAX_AGE).await?;
        let targets = events
            .iter()
            .map(|event| {
                let head = crate::event::EventHead::from(event);
                let document = || serde_json::to_value(event).unwrap_or_default();
                crate::routing::route::targets(&head, &document, None, &subscriptions)
            })
            .collect();
        Some(FanOut { version, targets })
    }

    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.get(id)
    }

    /// Decides and carries out what happens to one request for `source`.
    pub async fn ingest(
        &self,
        source: &Source,
        request: Request<'_>,
    ) -> Result<Outcome, IngestError> {
        auth::verify(
            &source.scheme,
            &source.secrets,
            request.headers,
            request.body,
            request.received_at.timestamp(),
        )?;
        let cx = Context {
            source_id: &source.id,
            received_at: request.received_at,
        };
        let mut random = rand::random::<u128>;
        match providers::normalize(&source.provider, cx, request.body, &mut random) {
            Ok(mut normalized) => {
                if let Some(trace) = &request.trace {
                    for event in &mut normalized.events {
                        event.traceparent = Some(trace.traceparent.clone());
                        event.tracestate = trace.tracestate.clone();
                    }
                }
                let fan_out = self
                    .fan_out(&normalized.events)
                    .instrument(traced(|| {
                        tracing::info_span!("fan_out", events = normalized.events.len())
                    }))
                    .await;
                let outcome = self
                    .enqueuer
                    .enqueue(
                        &source.id,
                        &normalized.dedupe_key,
                        &normalized.events,
                        self.dedupe_ttl_secs,
                        fan_out,
                    )
                    .instrument(traced(
                        || tracing::info_span!("enqueue", source = %source.id),
                    ))
                    .await?;
                if outcome.snapshot_stale {
                    self.subscriptions.expire().await;
                }
                Ok(match outcome.enqueued {
                    Enqueued::Accepted(ids) => Outcome::Accepted {
                        ids,
                        types: normalized.events.iter().map(|e| e.event_type).collect(),
                    },
                    Enqueued::Duplicate(ids) => Outcome::Duplicate(ids),
                })
            }
            Err(error) => self.quarantine(source, &request, &error).await,
        }
    }

    async fn quarantine(
        &self,
        source: &Source,
        request: &Request<'_>,
        error: &NormalizeError,
    ) -> Result<Outcome, IngestError> {
        let reason = error.to_string();
        let entry_id = self
            .queue
            .quarantine(QuarantineEntry {
                source: &source.id,
                reason: &reason,
                received_at: request.received_at,
                correlation_id: request.correlation_id,
                content_type: request.content_type,
                body: request.body,
            })
            .await?;
        tracing::warn!(source = %source.id, %entry_id, %reason, "payload quarantined");
        Ok(Outcome::Quarantined { entry_id, reason })
    }
}
