//! The upgrade from the layout before partitions, where everything lived under `{prefix}`:
//! `{prefix}:events` (group `route`), `{prefix}:deliveries` (group `deliver`, jobs carrying their
//! events), `{prefix}:retry` and `{prefix}:dead`. A pass moves what is pending there into the
//! partitions: unrouted events (to be routed anew), jobs, retries (same due time) and dead
//! letters. Entries a consumer of the previous version is still working on (pending with it, not
//! yet idle for the visibility timeout) are left to it: what it settles lands in the old retry or
//! dead keys, and the next pass moves that. So passes repeat, every few seconds in every
//! delivering process, for as long as old processes write the old layout (a rolling upgrade);
//! once the old keys are empty and no old event has arrived for [`IDLE_BEFORE_REMOVAL`], they are
//! deleted.
//!
//! Each move writes the new entry before it removes the old one: a crash in between repeats
//! that one entry (at least once), never loses it. One pass runs at a time (a lock key).

mod adopt;

use std::time::Duration;

use redis::streams::StreamRangeReply;

use super::stream::{StreamId, entry};
use super::{DELIVER_GROUP, Entry, Queue, QueueError, ROUTE_GROUP};

/// Entries moved per batch.
pub(super) const BATCH: usize = 200;
/// The old keys are deleted once they are empty and no old event arrived for this long.
pub const IDLE_BEFORE_REMOVAL: Duration = Duration::from_secs(60);
const CONSUMER: &str = "shiprelay-upgrade";

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LegacyPass {
    /// Another process holds the lock: nothing was done.
    pub skipped: bool,
    pub events: usize,
    pub jobs: usize,
    pub retries: usize,
    pub dead: usize,
    /// Entries still pending with consumers of the previous version.
    pub held_elsewhere: u64,
    /// The old keys were found empty and idle, and deleted (or there were none).
    pub finished: bool,
}

impl LegacyPass {
    pub fn moved(&self) -> usize {
        self.events + self.jobs + self.retries + self.dead
    }
}

fn legacy_keys(queue: &Queue) -> [String; 4] {
    ["events", "deliveries", "retry", "dead"].map(|name| queue.keys.legacy(name))
}

impl Queue {
    /// Whether any key of the layout before partitions exists.
    pub async fn legacy_exists(&self) -> Result<bool, QueueError> {
        let mut conn = self.conn();
        let count: u64 = self
            .bounded(
                "EXISTS legacy",
                redis::cmd("EXISTS")
                    .arg(&legacy_keys(self))
                    .query_async(&mut conn),
            )
            .await?;
        Ok(count > 0)
    }

    /// One pass of the upgrade (see the module docs); `min_idle_ms`: how long an old consumer's
    /// pending entry must have been idle before it is taken over.
    pub async fn legacy_pass(
        &self,
        owner: &str,
        min_idle_ms: u64,
    ) -> Result<LegacyPass, QueueError> {
        if !self.legacy_exists().await? {
            return Ok(LegacyPass {
                finished: true,
                ..LegacyPass::default()
            });
        }
        let lock = self.keys.legacy("upgrade-lock");
        let mut conn = self.conn();
        let locked: Option<String> = self
            .bounded(
                "SET upgrade lock",
                redis::cmd("SET")
                    .arg(&lock)
                    .arg(owner)
                    .arg("NX")
                    .arg("PX")
                    .arg(60_000)
                    .query_async(&mut conn),
            )
            .await?;
        if locked.is_none() {
            return Ok(LegacyPass {
                skipped: true,
                ..LegacyPass::default()
            });
        }
        let result = self.legacy_moves(min_idle_ms).await;
        let _: Result<i64, _> = self
            .timed(redis::cmd("DEL").arg(&lock).query_async(&mut conn))
            .await;
        result
    }

    async fn legacy_moves(&self, min_idle_ms: u64) -> Result<LegacyPass, QueueError> {
        let mut pass = LegacyPass::default();
        let [events, deliveries, _, _] = legacy_keys(self);
        loop {
            let batch = self.legacy_take(&events, ROUTE_GROUP, min_idle_ms).await?;
            if batch.is_empty() {
                break;
            }
            for old in &batch {
                self.adopt_event(old).await?;
            }
            self.legacy_ack(&events, ROUTE_GROUP, &batch, false).await?;
            pass.events += batch.len();
        }
        loop {
            let batch = self
                .legacy_take(&deliveries, DELIVER_GROUP, min_idle_ms)
                .await?;
            if batch.is_empty() {
                break;
            }
            for old in &batch {
                self.adopt_job(old).await?;
            }
            self.legacy_ack(&deliveries, DELIVER_GROUP, &batch, true)
                .await?;
            pass.jobs += batch.len();
        }
        pass.retries = self.adopt_retries().await?;
        pass.dead = self.adopt_dead().await?;
        pass.held_elsewhere = self.legacy_pending(&events, ROUTE_GROUP).await?
            + self.legacy_pending(&deliveries, DELIVER_GROUP).await?;
        pass.finished = self.legacy_remove_if_done(pass.held_elsewhere).await?;
        Ok(pass)
    }

    /// New entries of an old stream, then those idle with a consumer that stopped.
    async fn legacy_take(
        &self,
        stream: &str,
        group: &str,
        min_idle_ms: u64,
    ) -> Result<Vec<Entry>, QueueError> {
        let mut conn = self.conn();
        let read: Result<Option<redis::streams::StreamReadReply>, QueueError> = self
            .timed(
                redis::cmd("XREADGROUP")
                    .arg("GROUP")
                    .arg(group)
                    .arg(CONSUMER)
                    .arg("COUNT")
                    .arg(BATCH)
                    .arg("STREAMS")
                    .arg(stream)
                    .arg(">")
                    .query_async(&mut conn),
            )
            .await;
        let fresh: Vec<Entry> = match read {
            Ok(reply) => reply
                .map(|r| r.keys.into_iter().flat_map(|k| k.ids).map(entry).collect())
                .unwrap_or_default(),
            // No group: an old process wrote the stream after its keys were removed (or never
            // made one). Create it from the start, as that process would, and read next pass.
            Err(QueueError::Redis(e)) if e.code() == Some("NOGROUP") => {
                let created: Result<(), QueueError> = self
                    .timed(
                        redis::cmd("XGROUP")
                            .arg("CREATE")
                            .arg(stream)
                            .arg(group)
                            .arg("0")
                            .query_async(&mut conn),
                    )
                    .await;
                if let Err(QueueError::Redis(e)) = &created
                    && !matches!(e.code(), Some("BUSYGROUP") | Some("ERR"))
                {
                    tracing::warn!(error = %e, stream, "could not create an old consumer group");
                }
                return Ok(Vec::new());
            }
            Err(e) => return self.counted("XREADGROUP legacy", Err(e)),
        };
        if !fresh.is_empty() {
            return Ok(fresh);
        }
        let claimed: (String, StreamRangeReply, Vec<String>) = self
            .bounded(
                "XAUTOCLAIM legacy",
                redis::cmd("XAUTOCLAIM")
                    .arg(stream)
                    .arg(group)
                    .arg(CONSUMER)
                    .arg(min_idle_ms)
                    .arg("0-0")
                    .arg("COUNT")
                    .arg(BATCH)
                    .query_async(&mut conn),
            )
            .await?;
        Ok(claimed.1.ids.into_iter().map(entry).collect())
    }

    /// Acknowledges (and, for jobs, deletes) moved entries of an old stream.
    async fn legacy_ack(
        &self,
        stream: &str,
        group: &str,
        batch: &[Entry],
        delete: bool,
    ) -> Result<(), QueueError> {
        let ids: Vec<&str> = batch.iter().map(|e| e.id.as_str()).collect();
        let mut pipe = redis::pipe();
        pipe.cmd("XACK").arg(stream).arg(group).arg(&ids).ignore();
        if delete {
            pipe.cmd("XDEL").arg(stream).arg(&ids).ignore();
        }
        let mut conn = self.conn();
        self.bounded("XACK legacy", pipe.query_async::<()>(&mut conn))
            .await
    }

    /// Entries of an old stream still pending (the upgrade acknowledges what it moved at once, so
    /// these are held by consumers of the previous version).
    async fn legacy_pending(&self, stream: &str, group: &str) -> Result<u64, QueueError> {
        let mut conn = self.conn();
        let pending: Result<(u64, redis::Value, redis::Value, redis::Value), _> = self
            .timed(
                redis::cmd("XPENDING")
                    .arg(stream)
                    .arg(group)
                    .query_async(&mut conn),
            )
            .await;
        match pending {
            Ok((count, ..)) => Ok(count),
            // No such stream or group: nothing is pending.
            Err(QueueError::Redis(e)) if e.code() == Some("NOGROUP") => Ok(0),
            Err(e) => self.counted("XPENDING legacy", Err(e)),
        }
    }

    /// Deletes the old keys when nothing is left in them and no old event arrived lately.
    async fn legacy_remove_if_done(&self, held_elsewhere: u64) -> Result<bool, QueueError> {
        let [events, deliveries, retry, dead] = legacy_keys(self);
        let mut conn = self.conn();
        let (jobs, retries, letters, newest): (u64, u64, u64, StreamRangeReply) = self
            .bounded(
                "legacy sizes",
                redis::pipe()
                    .xlen(&deliveries)
                    .zcard(&retry)
                    .xlen(&dead)
                    .cmd("XREVRANGE")
                    .arg(&events)
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(1)
                    .query_async(&mut conn),
            )
            .await?;
        let now_ms = chrono::Utc::now().timestamp_millis().max(0) as u64;
        let quiet = newest
            .ids
            .first()
            .and_then(|e| StreamId::parse(&e.id))
            .is_none_or(|id| now_ms.saturating_sub(id.0) >= IDLE_BEFORE_REMOVAL.as_millis() as u64);
        if held_elsewhere > 0 || jobs + retries + letters > 0 || !quiet {
            return Ok(false);
        }
        let _: i64 = self
            .bounded(
                "DEL legacy",
                redis::cmd("DEL")
                    .arg(&[events, deliveries, retry, dead])
                    .query_async(&mut conn),
            )
            .await?;
        tracing::info!("the layout before partitions is drained and removed");
        Ok(true)
    }
}
