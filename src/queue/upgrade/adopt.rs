//! Moving one old entry (see `mod.rs`) into the partition its ordering key belongs to: the new
//! entry is written before the old one is removed.

use redis::streams::StreamRangeReply;

use super::BATCH;
use crate::queue::stream::entry;
use crate::queue::{Entry, Queue, QueueError};

impl Queue {
    pub(super) async fn adopt_event(&self, old: &Entry) -> Result<(), QueueError> {
        let (Some(id), Some(json)) = (old.fields.get("id"), old.fields.get("event")) else {
            tracing::warn!(entry = %old.id, "an old event without id or body was skipped");
            return Ok(());
        };
        let head: Option<crate::event::EventHead> = serde_json::from_str(json).ok();
        let ordering = head
            .as_ref()
            .and_then(|h| h.subject.clone())
            .unwrap_or_else(|| id.clone());
        let partition = self.partition_for(&ordering);
        let mut invocation = self.scripts.legacy_event.prepare_invoke();
        invocation
            .key(partition.keys.events())
            .key(partition.keys.event_index(id))
            .key(partition.keys.routing())
            .key(partition.keys.deliveries())
            .arg(id)
            .arg(old.fields.get("type").cloned().unwrap_or_default())
            .arg(json)
            .arg(old.fields.get("target").cloned().unwrap_or_default())
            .arg(self.index_ttl_secs);
        let mut conn = partition.conn();
        partition
            .bounded(
                "adopt event script",
                invocation.invoke_async::<String>(&mut conn),
            )
            .await?;
        Ok(())
    }

    /// The partition an old job (its JSON) belongs to: its subject's, else its event's.
    fn partition_of_job(&self, json: &str) -> crate::queue::Partition {
        let job: Option<crate::queue::Job> = serde_json::from_str(json).ok();
        let ordering = job
            .map(|j| j.subject.unwrap_or(j.event_id))
            .unwrap_or_default();
        self.partition_for(&ordering)
    }

    pub(super) async fn adopt_job(&self, old: &Entry) -> Result<(), QueueError> {
        let Some(json) = old.fields.get("job") else {
            return Ok(()); // unreadable: nothing to deliver
        };
        let partition = self.partition_of_job(json);
        let mut conn = partition.conn();
        let _: String = partition
            .bounded(
                "XADD adopted job",
                redis::cmd("XADD")
                    .arg(partition.keys.deliveries())
                    .arg("*")
                    .arg("job")
                    .arg(json)
                    .query_async(&mut conn),
            )
            .await?;
        Ok(())
    }

    pub(super) async fn adopt_retries(&self) -> Result<usize, QueueError> {
        let old = self.keys.legacy("retry");
        let mut moved = 0;
        loop {
            let mut conn = self.conn();
            let batch: Vec<(String, f64)> = self
                .bounded(
                    "ZRANGE legacy",
                    redis::cmd("ZRANGE")
                        .arg(&old)
                        .arg(0)
                        .arg(BATCH as i64 - 1)
                        .arg("WITHSCORES")
                        .query_async(&mut conn),
                )
                .await?;
            if batch.is_empty() {
                return Ok(moved);
            }
            for (json, due) in &batch {
                let partition = self.partition_of_job(json);
                let mut part_conn = partition.conn();
                let _: i64 = partition
                    .bounded(
                        "ZADD adopted retry",
                        redis::cmd("ZADD")
                            .arg(partition.keys.retry())
                            .arg(*due)
                            .arg(json)
                            .query_async(&mut part_conn),
                    )
                    .await?;
                let _: i64 = self
                    .bounded(
                        "ZREM legacy",
                        redis::cmd("ZREM")
                            .arg(&old)
                            .arg(json)
                            .query_async(&mut conn),
                    )
                    .await?;
            }
            moved += batch.len();
        }
    }

    pub(super) async fn adopt_dead(&self) -> Result<usize, QueueError> {
        let old = self.keys.legacy("dead");
        let mut moved = 0;
        loop {
            let mut conn = self.conn();
            let batch: StreamRangeReply = self
                .bounded(
                    "XRANGE legacy dead",
                    redis::cmd("XRANGE")
                        .arg(&old)
                        .arg("-")
                        .arg("+")
                        .arg("COUNT")
                        .arg(BATCH)
                        .query_async(&mut conn),
                )
                .await?;
            if batch.ids.is_empty() {
                return Ok(moved);
            }
            for letter in batch.ids.into_iter().map(entry) {
                let Some(json) = letter.fields.get("job") else {
                    continue;
                };
                let partition = self.partition_of_job(json);
                let mut part_conn = partition.conn();
                let mut add = redis::cmd("XADD");
                add.arg(partition.keys.dead()).arg("*");
                for field in ["job", "reason", "failed_at"] {
                    if let Some(value) = letter.fields.get(field) {
                        add.arg(field).arg(value);
                    }
                }
                let _: String = partition
                    .bounded("XADD adopted dead letter", add.query_async(&mut part_conn))
                    .await?;
                let _: i64 = self
                    .bounded(
                        "XDEL legacy dead",
                        redis::cmd("XDEL")
                            .arg(&old)
                            .arg(&letter.id)
                            .query_async(&mut conn),
                    )
                    .await?;
                moved += 1;
            }
        }
    }
}
