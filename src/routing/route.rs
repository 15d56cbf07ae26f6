//! Fan-out: each stored event becomes one delivery job per matching subscription, so a slow or
//! failing subscriber never delays another. `targets` is pure, and the enqueue uses it too (it
//! fans out itself when its snapshot is current); `run` is the loop for the rest.

use std::time::Duration;

use super::snapshot::{SubscriptionCache, Subscriptions};
use crate::event::EventHead;
use crate::queue::{Partition, RoutableEvent, Routed, Take, Target};
use crate::shutdown::Shutdown;
use crate::subscriptions::filter;
use crate::subscriptions::matching::EventFacts;
use crate::telemetry::trace_context::{TraceContext, continue_in};
use crate::telemetry::tracing_on;

/// The subscriptions one event goes to: its target alone when it has one (a test ping for one
/// subscription, never ordered), else every enabled subscription whose filters and tenant admit
/// it, each job in its subject's lane when the subscription wants order per subject and the event
/// has a subject. `document` is the whole event as JSON, asked for only when a subscription with a
/// payload filter has admitted it otherwise.
pub fn targets(
    event: &EventHead,
    document: &dyn Fn() -> serde_json::Value,
    target: Option<&str>,
    subscriptions: &Subscriptions,
) -> Vec<Target> {
    match target {
        Some(id) => subscriptions
            .get(id)
            .map(|s| Target::unordered(&s.id))
            .into_iter()
            .collect(),
        None => {
            let facts = EventFacts::of(event);
            let whole = std::cell::OnceCell::new();
            subscriptions
                .all
                .iter()
                .filter(|s| subscriptions.admits(s, &facts))
                .filter(|s| {
                    s.filter.is_empty() || filter::holds(&s.filter, whole.get_or_init(document))
                })
                .map(|s| Target {
                    subscription_id: s.id.clone(),
                    lane: s.lane_of(event.subject.as_deref()),
                })
                .collect()
        }
    }
}

/// [`targets`] of a stored event's JSON.
pub fn plan(
    event_json: &str,
    target: Option<&str>,
    subscriptions: &Subscriptions,
) -> Result<Vec<Target>, String> {
    let event: EventHead =
        serde_json::from_str(event_json).map_err(|e| format!("unreadable event: {e}"))?;
    let document = || serde_json::from_str(event_json).unwrap_or_default();
    Ok(targets(&event, &document, target, subscriptions))
}

/// The `fan_out` span of a routed event, in the event's trace (a disabled span with traces off).
fn fan_out_span(event_json: &str) -> tracing::Span {
    if !tracing_on() {
        return tracing::Span::none();
    }
    let span = tracing::info_span!("fan_out", events = 1, trace_id = tracing::field::Empty);
    continue_in(&span, TraceContext::of_event(event_json).as_ref());
    span
}

/// One partition's router: fans out the events the enqueue could not (its snapshot was stale).
pub struct Router {
    pub queue: Partition,
    pub cache: SubscriptionCache,
    pub consumer: String,
    pub visibility_timeout: Duration,
}

const BATCH: usize = 100;
const BLOCK_MS: u64 = 1000;
/// After a read that did not fill a batch, events get this long to gather before the next one.
/// Without it, a steady stream is routed one or two events per round trip, and the router's
/// Redis calls cost more than ingest itself (BENCHMARKS.md); an event waits at most this long.
pub const LINGER: Duration = Duration::from_millis(5);

impl Router {
    pub async fn run(self, mut shutdown: Shutdown) {
        let mut last_claim = tokio::time::Instant::now();
        while !shutdown.is_stopping() {
            let claim_due = last_claim.elapsed() >= self.visibility_timeout / 2;
            let read = if claim_due {
                last_claim = tokio::time::Instant::now();
                let min_idle = self.visibility_timeout.as_millis() as u64;
                self.queue
                    .take_events(
                        &self.consumer,
                        Take::Stale {
                            min_idle_ms: min_idle,
                        },
                        BATCH,
                    )
                    .await
            } else {
                self.queue
                    .take_events(&self.consumer, Take::New { block_ms: BLOCK_MS }, BATCH)
                    .await
            };
            let result = match read {
                Ok(entries) => self.route(&entries).await.map(|()| entries.len()),
                Err(e) => Err(e),
            };
            match result {
                Ok(read) if read > 0 && read < BATCH => shutdown.sleep(LINGER).await,
                Ok(_) => {}
                Err(error) => {
                    tracing::error!(%error, "routing failed; retrying shortly");
                    shutdown.sleep(Duration::from_millis(500)).await;
                }
            }
        }
    }

    async fn route(&self, entries: &[RoutableEvent]) -> Result<(), crate::queue::QueueError> {
        if entries.is_empty() {
            return Ok(());
        }
        let subscriptions = self.cache.current().await?;
        let routed: Vec<Routed> = entries
            .iter()
            .map(|entry| {
                let _span = entry.json.as_deref().map(fan_out_span).map(|s| s.entered());
                let subscriptions = match &entry.json {
                    Some(json) => plan(json, None, &subscriptions).unwrap_or_else(|reason| {
                        tracing::error!(entry = %entry.event_entry, %reason, "event cannot be routed; acknowledged without jobs");
                        Vec::new()
                    }),
                    None => {
                        tracing::error!(entry = %entry.event_entry, "routed event is no longer stored; acknowledged without jobs");
                        Vec::new()
                    }
                };
                Routed {
                    routing_entry: entry.entry_id.clone(),
                    event_entry: entry.event_entry.clone(),
                    subscriptions,
                }
            })
            .collect();
        self.queue.fan_out(&routed).await?;
        Ok(())
    }
}
