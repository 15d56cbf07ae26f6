//! Reading what recovery works on: dead letters (stream entries with fields `job`, `reason`,
//! `failed_at`) and ranges of the events stream, across partitions. The rest of the code sees typed
//! entries and opaque cursors (positions), never field names or id arithmetic.

use super::Job;
use super::partition::PartKeys;
use super::stream::{Position, StreamId};
use super::{Entry, Queue, QueueError};

/// Entries read per Redis call while scanning.
const SCAN_BATCH: usize = 500;

/// One dead letter.
#[derive(Debug, Clone)]
pub struct DeadEntry {
    /// Its position (`<ms>-<seq>-<partition>`): the dead letter's id in the API, and its cursor.
    pub id: String,
    pub failed_at_ms: Option<i64>,
    pub reason: String,
    /// When it headed a lane: how many later jobs of its subject were waiting behind it, and went
    /// on when it was dead-lettered.
    pub passed_by: Option<u64>,
    pub job: Job,
}

/// One stored event of a range.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// Its position (`<ms>-<seq>-<partition>`).
    pub entry_id: String,
    pub partition: usize,
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
        passed_by: entry.fields.get("passed").and_then(|n| n.parse().ok()),
        job,
        id: entry.id,
    })
}

impl Queue {
    /// Dead letters before `before` (newest first, all partitions), examining at most `limit`.
    pub async fn dead_letters_newest(
        &self,
        before: Option<Position>,
        limit: usize,
    ) -> Result<Scan<DeadEntry>, QueueError> {
        let batch = limit.min(SCAN_BATCH);
        let entries = self
            .merged_newest(PartKeys::dead, before, "-", batch)
            .await?;
        let exhausted = entries.len() < batch;
        let last = entries.last().map(|e| e.id.clone());
        let examined = entries.len();
        Ok(Scan {
            examined,
            items: entries.into_iter().filter_map(dead_entry).collect(),
            last,
            exhausted,
        })
    }

    /// Dead letters after `after` (oldest first, all partitions), one batch.
    pub async fn dead_letters_oldest(
        &self,
        after: Option<&str>,
    ) -> Result<Scan<DeadEntry>, QueueError> {
        let position = after.and_then(Position::parse);
        let entries = self
            .merged_oldest(PartKeys::dead, position, None, "+", SCAN_BATCH)
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
        for position in ids.iter().filter_map(|id| Position::parse(id)) {
            let mut entry = self.entry_at(PartKeys::dead, position).await?;
            if let Some(entry) = entry.as_mut() {
                entry.id = position.to_string();
            }
            found.extend(entry.and_then(dead_entry));
        }
        Ok(found)
    }

    /// Deletes dead letters; returns how many existed.
    pub async fn dead_letters_delete(&self, ids: &[String]) -> Result<usize, QueueError> {
        let mut deleted = 0;
        for partition in self.partitions() {
            let ids: Vec<String> = ids
                .iter()
                .filter_map(|id| Position::parse(id))
                .filter(|p| p.partition == partition.index)
                .map(|p| p.id.to_string())
                .collect();
            if ids.is_empty() {
                continue;
            }
            let mut conn = partition.conn();
            let count: usize = partition
                .bounded(
                    "XDEL dead",
                    redis::cmd("XDEL")
                        .arg(partition.keys.dead())
                        .arg(&ids)
                        .query_async(&mut conn),
                )
                .await?;
            deleted += count;
        }
        Ok(deleted)
    }

    /// Stored events received in `[since_ms, until_ms]` after the entry `after`, one batch.
    pub async fn events_in_range(
        &self,
        since_ms: i64,
        until_ms: i64,
        after: Option<&str>,
    ) -> Result<Scan<StoredEvent>, QueueError> {
        let since = StreamId(since_ms.max(0) as u64, 0);
        let end = format!("{}-{}", until_ms.max(0), u64::MAX);
        let position = after.and_then(Position::parse);
        let entries = self
            .merged_oldest(PartKeys::events, position, Some(since), &end, SCAN_BATCH)
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
                        partition: Position::parse(&entry.id)?.partition,
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
