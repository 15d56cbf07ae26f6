//! Reading the events stream back: newest-first pages with filters, lookup by id, and the
//! append of an event meant for one subscription (a test ping).
//!
//! A page scans at most [`SCAN_BUDGET`] entries, so a filter that matches rarely still answers
//! promptly; the cursor then says where to continue.

use super::partition::PartKeys;
use super::stream::{Position, StreamId};
use super::{Partition, Queue, QueueError};
use crate::event::Event;

/// Entries read per XREVRANGE call.
const SCAN_BATCH: usize = 256;
/// Entries examined per page at most.
pub const SCAN_BUDGET: usize = 10_000;

#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub event_type: Option<String>,
    /// A configured source id (matched against `source = shiprelay/<id>`).
    pub source: Option<String>,
    pub subject: Option<String>,
    /// Received at or after (ms since the epoch; the stream id's time).
    pub since_ms: Option<u64>,
    /// Received at or before (ms).
    pub until_ms: Option<u64>,
    /// Continue with entries older than this one, from a previous page.
    pub cursor: Option<Position>,
    pub page_size: usize,
    /// A tenant's view: events of these sources only (`*` all), and test pings only when their
    /// target is in `targets`. `None`: everything (admin).
    pub visible: Option<Visible>,
}

/// What a scoped reader may see of the events stream.
#[derive(Debug, Clone, Default)]
pub struct Visible {
    pub sources: Vec<String>,
    pub targets: Vec<String>,
}

impl Visible {
    /// Whether an event of `source` (CloudEvents `source`, `shiprelay/<id>`), meant for `target`
    /// when it is a test ping, is visible.
    pub fn admits(&self, source: &str, target: Option<&str>) -> bool {
        match target {
            Some(target) => self.targets.iter().any(|t| t == target),
            None => crate::tenancy::model::allows(
                &self.sources,
                source.strip_prefix("shiprelay/").unwrap_or(source),
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub struct EventsPage {
    pub events: Vec<serde_json::Value>,
    /// Where the next page starts; `None` when nothing older is left.
    pub next_cursor: Option<String>,
}

impl Queue {
    pub async fn events_page(&self, query: &EventQuery) -> Result<EventsPage, QueueError> {
        let oldest = query
            .since_ms
            .map_or_else(|| "-".to_string(), |ms| format!("{ms}-0"));
        let mut before = match (query.cursor, query.until_ms) {
            (Some(cursor), _) => Some(cursor),
            // Everything received up to and including `until_ms`, in every partition.
            (None, Some(ms)) => Some(Position {
                id: StreamId(ms, u64::MAX),
                partition: usize::MAX,
            }),
            (None, None) => None,
        };
        let source = query.source.as_ref().map(|s| format!("shiprelay/{s}"));
        let mut events = Vec::new();
        let mut scanned = 0;
        loop {
            let entries = self
                .merged_newest(PartKeys::events, before, &oldest, SCAN_BATCH)
                .await?;
            let exhausted = entries.len() < SCAN_BATCH;
            for entry in entries {
                scanned += 1;
                let fields = entry.fields;
                before = Position::parse(&entry.id);
                let Some(event) = fields
                    .get("event")
                    .and_then(|json| serde_json::from_str::<serde_json::Value>(json).ok())
                else {
                    continue;
                };
                let field_is = |name: &str, wanted: &Option<String>| {
                    wanted
                        .as_ref()
                        .is_none_or(|w| event.get(name).and_then(|v| v.as_str()) == Some(w))
                };
                if !field_is("type", &query.event_type)
                    || !field_is("source", &source)
                    || !field_is("subject", &query.subject)
                {
                    continue;
                }
                if let Some(visible) = &query.visible {
                    let event_source = event.get("source").and_then(|v| v.as_str()).unwrap_or("");
                    if !visible.admits(event_source, fields.get("target").map(String::as_str)) {
                        continue;
                    }
                }
                events.push(event);
                if events.len() == query.page_size {
                    return Ok(EventsPage {
                        events,
                        next_cursor: Some(entry.id),
                    });
                }
            }
            if exhausted || before.is_none() {
                return Ok(EventsPage {
                    events,
                    next_cursor: None,
                });
            }
            if scanned >= SCAN_BUDGET {
                return Ok(EventsPage {
                    events,
                    next_cursor: before.map(|p| p.to_string()),
                });
            }
        }
    }

    /// The stored CloudEvent with this id, while it is retained, and the subscription it is meant
    /// for when it is a test ping, and where it is (its partition is not known from the id: each
    /// is asked).
    pub async fn event_by_id(
        &self,
        id: &str,
    ) -> Result<Option<(serde_json::Value, Option<String>, Position)>, QueueError> {
        // Every partition's id index at once: the id does not say which one holds it.
        let lookups =
            self.partitions().map(|partition| async move {
                let mut conn = partition.conn();
                let entry_id: Option<String> = partition
                    .bounded(
                        "GET",
                        redis::cmd("GET")
                            .arg(partition.keys.event_index(id))
                            .query_async(&mut conn),
                    )
                    .await?;
                Ok::<_, QueueError>(entry_id.as_deref().and_then(StreamId::parse).map(|id| {
                    Position {
                        id,
                        partition: partition.index,
                    }
                }))
            });
        let found = futures_util::future::try_join_all(lookups).await?;
        let Some(position) = found.into_iter().flatten().next() else {
            return Ok(None);
        };
        let Some(mut found) = self.entry_at(PartKeys::events, position).await? else {
            return Ok(None);
        };
        let target = found.fields.remove("target");
        Ok(found
            .fields
            .remove("event")
            .and_then(|json| serde_json::from_str(&json).ok())
            .map(|event| (event, target, position)))
    }
}

impl Partition {
    /// Stores `event` and its one job, for `subscription_id` alone; returns the stream entry id.
    pub async fn append_targeted(
        &self,
        event: &Event,
        subscription_id: &str,
    ) -> Result<String, QueueError> {
        let json = serde_json::to_string(event).map_err(|e| QueueError::Reply(e.to_string()))?;
        let mut invocation = self.scripts().append_targeted.prepare_invoke();
        invocation
            .key(self.keys.events())
            .key(self.keys.event_index(&event.id))
            .key(self.keys.deliveries())
            .arg(subscription_id)
            .arg(json)
            .arg(self.queue.index_ttl_secs);
        let mut conn = self.conn();
        self.bounded("append-targeted script", invocation.invoke_async(&mut conn))
            .await
    }
}
