//! Reading the events stream back: newest-first pages with filters, lookup by id, and the
//! append of an event meant for one subscription (a test ping).
//!
//! A page scans at most [`SCAN_BUDGET`] entries, so a filter that matches rarely still answers
//! promptly; the cursor then says where to continue.

use redis::streams::StreamRangeReply;

use super::stream::{StreamId, entry};
use super::{Queue, QueueError};
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
    pub cursor: Option<StreamId>,
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
        let start = query
            .since_ms
            .map_or_else(|| "-".to_string(), |ms| format!("{ms}-0"));
        let mut end = match (query.cursor, query.until_ms) {
            (Some(cursor), _) => match cursor.older_bound() {
                Some(bound) => bound,
                None => {
                    return Ok(EventsPage {
                        events: Vec::new(),
                        next_cursor: None,
                    });
                }
            },
            (None, Some(ms)) => format!("{ms}-{}", u64::MAX),
            (None, None) => "+".to_string(),
        };
        let source = query.source.as_ref().map(|s| format!("shiprelay/{s}"));
        let mut events = Vec::new();
        let mut scanned = 0;
        loop {
            let mut conn = self.conn();
            let reply: StreamRangeReply = self
                .bounded(
                    "XREVRANGE",
                    redis::cmd("XREVRANGE")
                        .arg(self.keys.events())
                        .arg(&end)
                        .arg(&start)
                        .arg("COUNT")
                        .arg(SCAN_BATCH)
                        .query_async(&mut conn),
                )
                .await?;
            let exhausted = reply.ids.len() < SCAN_BATCH;
            for entry in reply.ids.into_iter().map(entry) {
                scanned += 1;
                let fields = entry.fields;
                end = format!("({}", entry.id);
                if query
                    .event_type
                    .as_ref()
                    .is_some_and(|t| fields.get("type") != Some(t))
                {
                    continue;
                }
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
                if !field_is("source", &source) || !field_is("subject", &query.subject) {
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
            if exhausted {
                return Ok(EventsPage {
                    events,
                    next_cursor: None,
                });
            }
            if scanned >= SCAN_BUDGET {
                return Ok(EventsPage {
                    events,
                    next_cursor: Some(end.trim_start_matches('(').to_string()),
                });
            }
        }
    }

    /// The stored CloudEvent with this id, while it is retained, and the subscription it is meant
    /// for when it is a test ping.
    pub async fn event_by_id(
        &self,
        id: &str,
    ) -> Result<Option<(serde_json::Value, Option<String>)>, QueueError> {
        let mut conn = self.conn();
        let entry_id: Option<String> = self
            .bounded(
                "GET",
                redis::cmd("GET")
                    .arg(self.keys.event_index(id))
                    .query_async(&mut conn),
            )
            .await?;
        let Some(entry_id) = entry_id else {
            return Ok(None);
        };
        let reply: StreamRangeReply = self
            .bounded(
                "XRANGE",
                redis::cmd("XRANGE")
                    .arg(self.keys.events())
                    .arg(&entry_id)
                    .arg(&entry_id)
                    .query_async(&mut conn),
            )
            .await?;
        let Some(found) = reply.ids.into_iter().next() else {
            return Ok(None);
        };
        let mut fields = entry(found).fields;
        let target = fields.remove("target");
        Ok(fields
            .remove("event")
            .and_then(|json| serde_json::from_str(&json).ok())
            .map(|event| (event, target)))
    }

    /// Appends `event` for `subscription_id` alone; returns the stream entry id.
    pub async fn append_targeted(
        &self,
        event: &Event,
        subscription_id: &str,
    ) -> Result<String, QueueError> {
        let json = serde_json::to_string(event).map_err(|e| QueueError::Reply(e.to_string()))?;
        let mut invocation = self.scripts.append_targeted.prepare_invoke();
        invocation
            .key(self.keys.events())
            .key(self.keys.event_index(&event.id))
            .arg(&event.id)
            .arg(event.event_type.as_str())
            .arg(subscription_id)
            .arg(json)
            .arg(self.index_ttl_secs);
        let mut conn = self.conn();
        self.bounded("append-targeted script", invocation.invoke_async(&mut conn))
            .await
    }
}
