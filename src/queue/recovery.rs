//! Reading what recovery works on: dead letters (stream entries with fields `job`, `reason`,
//! `failed_at`) and ranges of the events stream. The rest of the code sees typed entries and
//! opaque cursors (stream ids), never field names or id arithmetic.

use super::Job;
use super::stream::StreamId;
use super::{Entry, Queue, QueueError};

/// Entries read per Redis call while scanning.
const SCAN_BATCH: usize = 500;

/// One dead letter.
#[derive(Debug, Clone)]
pub struct DeadEntry {
    /// The stream entry id: the dead letter's id in the API, and its cursor.
    pub id: String,
    pub failed_at_ms: Option<i64>,
    pub reason: String,
    pub job: Job,
}

/// One stored event of a range.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub entry_id: String,
    pub json: String,
    /// A test ping: meant for its target subscription only.
    pub targeted: bool,
}

/// What a bounded scan examined.
#[derive(Debug, Clone)]
pub struct Scan<T> {
    pub items: Vec<T>,
    /// The last entry examined; continue after it.
    pub last: Option<String>,
    /// True when the stream (or range) has nothing after `last`.
    pub exhausted: bool,
    /// How many entries were examined (items may be fewer: unreadable ones are skipped).
    pub examined: usize,
}

fn dead_entry(entry: Entry) -> Option<DeadEntry> {
    let job = serde_json::from_str(entry.fields.get("job")?).ok()?;
    Some(DeadEntry {
        failed_at_ms: entry.fields.get("failed_at").and_then(|ms| ms.parse().ok()),
        reason: entry.fields.get("reason").cloned().unwrap_or_default(),
        job,
        id: entry.id,
    })
}

impl Queue {
    /// Dead letters older than `before` (newest first), examining at most `limit` entries.
    pub async fn dead_letters_newest(
        &self,
        before: Option<StreamId>,
        limit: usize,
    ) -> Result<Scan<DeadEntry>, QueueError> {
        let entries = self
            .stream_page(&self.keys.dead(), before, limit.min(SCAN_BATCH))
            .await?;
        let exhausted = entries.len() < limit.min(SCAN_BATCH);
        let last = entries.last().map(|e| e.id.clone());
        let examined = entries.len();
        Ok(Scan {
            examined,
            items: entries.into_iter().filter_map(dead_entry).collect(),
            last,
            exhausted,
        })
    }

    /// Dead letters after `after` (oldest first), one batch.
    pub async fn dead_letters_oldest(
        &self,
        after: Option<&str>,
    ) -> Result<Scan<DeadEntry>, QueueError> {
        let start = after.map_or_else(|| "-".to_string(), |id| format!("({id}"));
        let entries = self
            .stream_range(&self.keys.dead(), &start, "+", SCAN_BATCH)
            .await?;
        let exhausted = entries.len() < SCAN_BATCH;
        let last = entries
            .last()
            .map(|e| e.id.clone())
            .or(after.map(String::from));
        let examined = entries.len();
        Ok(Scan {
            examined,
            items: entries.into_iter().filter_map(dead_entry).collect(),
            last,
            exhausted,
        })
    }

    /// The dead letters with these ids (ids that are not dead letters are skipped).
    pub async fn dead_letters_by_id(&self, ids: &[String]) -> Result<Vec<DeadEntry>, QueueError> {
        let mut found = Vec::new();
        for id in ids {
            if StreamId::parse(id).is_none() {
                continue;
            }
            let entries = self.stream_range(&self.keys.dead(), id, id, 1).await?;
            found.extend(entries.into_iter().filter_map(dead_entry));
        }
        Ok(found)
    }

    /// Deletes dead letters; returns how many existed.
    pub async fn dead_letters_delete(&self, ids: &[String]) -> Result<usize, QueueError> {
        let ids: Vec<&String> = ids
            .iter()
            .filter(|id| StreamId::parse(id).is_some())
            .collect();
        if ids.is_empty() {
            return Ok(0);
        }
        let mut conn = self.conn();
        self.bounded(
            "XDEL dead",
            redis::cmd("XDEL")
                .arg(self.keys.dead())
                .arg(&ids)
                .query_async(&mut conn),
        )
        .await
    }

    /// Stored events received in `[since_ms, until_ms]` after the entry `after`, one batch.
    pub async fn events_in_range(
        &self,
        since_ms: i64,
        until_ms: i64,
        after: Option<&str>,
    ) -> Result<Scan<StoredEvent>, QueueError> {
        let since = StreamId(since_ms.max(0) as u64, 0);
        // A cursor from before the range (another range's) starts at the range.
        let start = match after.and_then(StreamId::parse) {
            Some(id) if id >= since => format!("({id}"),
            _ => since.to_string(),
        };
        let end = format!("{}-{}", until_ms.max(0), u64::MAX);
        let entries = self
            .stream_range(&self.keys.events(), &start, &end, SCAN_BATCH)
            .await?;
        let exhausted = entries.len() < SCAN_BATCH;
        let last = entries
            .last()
            .map(|e| e.id.clone())
            .or(after.map(String::from));
        let examined = entries.len();
        Ok(Scan {
            examined,
            items: entries
                .into_iter()
                .filter_map(|entry| {
                    Some(StoredEvent {
                        targeted: entry.fields.contains_key("target"),
                        json: entry.fields.get("event")?.clone(),
                        entry_id: entry.id,
                    })
                })
                .collect(),
            last,
            exhausted,
        })
    }
}

/// One entry of a subscription's delivery log, as `GET /v1/subscriptions/{id}/deliveries` shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoggedAttempt {
    pub id: String,
    /// RFC 3339 with `Z` (entries of earlier versions are normalised).
    pub at: String,
    pub event_id: String,
    pub attempt: u32,
    /// The HTTP status the subscriber answered, if it answered.
    pub status: Option<u16>,
    /// `HTTP 503`, `timeout`, `connection failed: ...`
    pub outcome: String,
    /// delivered | retry | dead | disabled
    pub result: String,
    pub next_attempt_at: Option<String>,
    pub latency_ms: u64,
    /// The first bytes of the response body.
    pub response: String,
}

impl LoggedAttempt {
    /// The stream fields it is written as (the settle script appends them).
    pub(super) fn fields(&self) -> [(&'static str, String); 9] {
        [
            ("at", self.at.clone()),
            ("event_id", self.event_id.clone()),
            ("attempt", self.attempt.to_string()),
            (
                "status",
                self.status.map(|c| c.to_string()).unwrap_or_default(),
            ),
            ("outcome", self.outcome.clone()),
            ("result", self.result.clone()),
            (
                "next_attempt_at",
                self.next_attempt_at.clone().unwrap_or_default(),
            ),
            ("latency_ms", self.latency_ms.to_string()),
            ("response", self.response.clone()),
        ]
    }
}

impl Queue {
    /// A page of a subscription's delivery log, newest first, and the cursor of the next page.
    pub async fn attempts_page(
        &self,
        subscription_id: &str,
        before: Option<StreamId>,
        size: usize,
    ) -> Result<(Vec<LoggedAttempt>, Option<String>), QueueError> {
        let entries = self
            .stream_page(&self.keys.attempts(subscription_id), before, size)
            .await?;
        let next = (entries.len() == size)
            .then(|| entries.last().map(|e| e.id.clone()))
            .flatten();
        Ok((entries.into_iter().map(logged_attempt).collect(), next))
    }
}

fn logged_attempt(entry: Entry) -> LoggedAttempt {
    let mut f = entry.fields;
    let mut take = |k: &str| f.remove(k).unwrap_or_default();
    LoggedAttempt {
        at: crate::time::normalise(take("at")),
        event_id: take("event_id"),
        attempt: take("attempt").parse().unwrap_or(0),
        status: take("status").parse().ok(),
        outcome: take("outcome"),
        result: take("result"),
        next_attempt_at: Some(take("next_attempt_at"))
            .filter(|s| !s.is_empty())
            .map(crate::time::normalise),
        latency_ms: take("latency_ms").parse().unwrap_or(0),
        response: take("response"),
        id: entry.id,
    }
}
