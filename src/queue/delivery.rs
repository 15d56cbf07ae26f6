//! The delivery side of the streams: consumer groups, reading and reclaiming work, and the atomic
//! scripts that fan events out, settle attempts, pump due retries and redrive dead letters.
//!
//! Consumer groups are created on start and again whenever Redis says one is missing (`NOGROUP`,
//! after Redis lost its data), so no restart is needed. Work a process took but never finished
//! stays pending and is reclaimed with XAUTOCLAIM after the visibility timeout.

use std::collections::HashMap;

use redis::streams::{StreamRangeReply, StreamReadReply};

use super::Job;
use super::stream::{StreamId, entry};
use super::{Partition, Queue, QueueError};

pub use super::settle::{Settle, Settlement};

pub const ROUTE_GROUP: &str = "route";
pub const DELIVER_GROUP: &str = "deliver";

/// One stream entry: its id and its fields as text.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub fields: HashMap<String, String>,
}

/// A job for the `append_jobs` entry of `deliveries.lua`.
struct Appended<'a> {
    /// The dead letter it comes from (`""`: none).
    dead_entry: &'a str,
    /// `e`: a first attempt referencing event entry `data`; `j`: the job JSON `data`.
    kind: &'static str,
    data: String,
    subscription_id: &'a str,
    lane: Option<&'a str>,
}

impl Partition {
    /// Creates the `route` and `deliver` groups (and their streams) unless they exist.
    pub async fn ensure_groups(&self) -> Result<(), QueueError> {
        for (stream, group) in [
            (self.keys.routing(), ROUTE_GROUP),
            (self.keys.deliveries(), DELIVER_GROUP),
        ] {
            let mut conn = self.conn();
            let created: Result<(), QueueError> = self
                .timed(
                    redis::cmd("XGROUP")
                        .arg("CREATE")
                        .arg(&stream)
                        .arg(group)
                        .arg("0")
                        .arg("MKSTREAM")
                        .query_async(&mut conn),
                )
                .await;
            // BUSYGROUP is the expected answer on every start but the first: not a failure.
            match created {
                Err(QueueError::Redis(e)) if e.code() == Some("BUSYGROUP") => {}
                other => self.counted("XGROUP CREATE", other)?,
            }
        }
        Ok(())
    }

    /// Reads new entries for `consumer`, waiting up to `block_ms`; recreates a missing group.
    pub async fn read_group(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        count: usize,
        block_ms: u64,
    ) -> Result<Vec<Entry>, QueueError> {
        let mut conn = self.conn();
        let command = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(group)
            .arg(consumer)
            .arg("COUNT")
            .arg(count)
            .arg("BLOCK")
            .arg(block_ms)
            .arg("STREAMS")
            .arg(stream)
            .arg(">")
            .to_owned();
        // The blocking read may legitimately take `block_ms`: bound it by that plus the timeout.
        let limit = std::time::Duration::from_millis(block_ms) + self.queue.timeout;
        let reply: Result<Option<StreamReadReply>, QueueError> = self.counted(
            "XREADGROUP",
            match tokio::time::timeout(limit, command.query_async(&mut conn)).await {
                Ok(result) => result.map_err(QueueError::from),
                Err(_) => Err(QueueError::Timeout(limit)),
            },
        );
        match reply {
            Ok(reply) => Ok(reply
                .map(|r| r.keys.into_iter().flat_map(|k| k.ids).map(entry).collect())
                .unwrap_or_default()),
            Err(QueueError::Redis(e)) if e.code() == Some("NOGROUP") => {
                tracing::warn!(
                    stream,
                    group,
                    "consumer group missing (Redis lost its data?): recreating"
                );
                self.ensure_groups().await?;
                Ok(Vec::new())
            }
            Err(e) => Err(e),
        }
    }

    /// Takes over entries pending for longer than `min_idle_ms` (their consumer died).
    pub async fn claim_stale(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        min_idle_ms: u64,
        count: usize,
    ) -> Result<Vec<Entry>, QueueError> {
        let mut conn = self.conn();
        let reply: Result<(String, StreamRangeReply, Vec<String>), QueueError> = self
            .bounded(
                "XAUTOCLAIM",
                redis::cmd("XAUTOCLAIM")
                    .arg(stream)
                    .arg(group)
                    .arg(consumer)
                    .arg(min_idle_ms)
                    .arg("0-0")
                    .arg("COUNT")
                    .arg(count)
                    .query_async(&mut conn),
            )
            .await;
        match reply {
            Ok((_, claimed, _deleted)) => Ok(claimed.ids.into_iter().map(entry).collect()),
            Err(QueueError::Redis(e)) if e.code() == Some("NOGROUP") => {
                self.ensure_groups().await?;
                Ok(Vec::new())
            }
            Err(e) => Err(e),
        }
    }

    /// Acknowledges and deletes a job that will never be attempted (unreadable, or its
    /// subscription was deleted), atomically.
    pub async fn discard(&self, entry_id: &str) -> Result<(), QueueError> {
        let mut conn = self.conn();
        self.bounded(
            "discard (XACK+XDEL)",
            redis::pipe()
                .atomic()
                .xack(self.keys.deliveries(), DELIVER_GROUP, &[entry_id])
                .ignore()
                .xdel(self.keys.deliveries(), &[entry_id])
                .ignore()
                .query_async::<()>(&mut conn),
        )
        .await
    }

    /// Moves up to `limit` due retries into the deliveries stream; returns how many.
    pub async fn pump_due(&self, now_ms: i64, limit: usize) -> Result<usize, QueueError> {
        let mut invocation = self.scripts().pump.prepare_invoke();
        invocation
            .key(self.keys.retry())
            .key(self.keys.deliveries())
            .arg(now_ms)
            .arg(limit);
        let mut conn = self.conn();
        self.bounded("pump script", invocation.invoke_async(&mut conn))
            .await
    }

    /// Appends first-attempt jobs referencing this partition's events (replay), all or none; an
    /// ordered subscription's job joins the tail of its lane.
    pub async fn enqueue_refs(&self, jobs: &[super::JobRef]) -> Result<(), QueueError> {
        let appended: Vec<Appended> = jobs
            .iter()
            .map(|job| Appended {
                dead_entry: "",
                kind: "e",
                data: job.event_entry.clone(),
                subscription_id: &job.subscription_id,
                lane: job.lane.as_deref(),
            })
            .collect();
        self.append_jobs(&appended).await.map(drop)
    }

    /// Moves dead letters (entry id, fresh job) back to the deliveries stream (or their lanes' tails);
    /// returns how many moved (an entry another redrive moved first is skipped).
    pub async fn redrive(&self, entries: &[(String, Job)]) -> Result<usize, QueueError> {
        let appended: Vec<Appended> = entries
            .iter()
            .map(|(id, job)| Appended {
                dead_entry: id,
                kind: "j",
                data: job.to_json(),
                subscription_id: &job.subscription_id,
                lane: job.lane.as_deref(),
            })
            .collect();
        self.append_jobs(&appended).await
    }

    async fn append_jobs(&self, jobs: &[Appended<'_>]) -> Result<usize, QueueError> {
        if jobs.is_empty() {
            return Ok(0);
        }
        let mut invocation = self.scripts().append_jobs.prepare_invoke();
        invocation
            .key(self.keys.deliveries())
            .key(self.keys.dead())
            .key(self.keys.lane_seq())
            .arg(chrono::Utc::now().timestamp_millis());
        for job in jobs {
            invocation
                .arg(job.dead_entry)
                .arg(job.kind)
                .arg(&job.data)
                .arg(job.subscription_id)
                .arg(job.lane.unwrap_or(""));
            if let Some(subject) = job.lane {
                invocation
                    .key(self.keys.lane(job.subscription_id, subject))
                    .key(self.keys.waiting(job.subscription_id, super::Waiting::Lane));
            }
        }
        let mut conn = self.conn();
        self.bounded("append jobs script", invocation.invoke_async(&mut conn))
            .await
    }

    /// Trims the events stream below `min_id_ms`, but never past an event still waiting to be
    /// routed (the oldest routing entry: it was written with, or after, its event).
    pub async fn trim_events(&self, min_id_ms: i64) -> Result<(), QueueError> {
        let mut cutoff = StreamId(u64::try_from(min_id_ms).unwrap_or(0), 0);
        if let Some(routing) = self.oldest_id(&self.keys.routing()).await? {
            cutoff = cutoff.min(StreamId(routing.0, 0));
        }
        let mut conn = self.conn();
        if cutoff > StreamId(0, 0) {
            let _: i64 = self
                .bounded(
                    "XTRIM",
                    redis::cmd("XTRIM")
                        .arg(self.keys.events())
                        .arg("MINID")
                        .arg("~")
                        .arg(cutoff.to_string())
                        .query_async(&mut conn),
                )
                .await?;
        }
        Ok(())
    }
}

impl Queue {
    /// The id of a stream's oldest entry, if it has one.
    pub(super) async fn oldest_id(&self, stream: &str) -> Result<Option<StreamId>, QueueError> {
        let mut conn = self.conn();
        let first: StreamRangeReply = self
            .bounded(
                "XRANGE",
                redis::cmd("XRANGE")
                    .arg(stream)
                    .arg("-")
                    .arg("+")
                    .arg("COUNT")
                    .arg(1)
                    .query_async(&mut conn),
            )
            .await?;
        Ok(first.ids.first().and_then(|e| StreamId::parse(&e.id)))
    }

    /// Moves dead letters (position, fresh job) back to their partitions' deliveries streams;
    /// returns how many moved (an entry another redrive moved first is skipped).
    pub async fn redrive_dead(&self, entries: &[(String, Job)]) -> Result<usize, QueueError> {
        let mut moved = 0;
        for partition in self.partitions() {
            let mine: Vec<(String, Job)> = entries
                .iter()
                .filter_map(|(id, job)| {
                    let position = super::Position::parse(id)?;
                    (position.partition == partition.index)
                        .then(|| (position.id.to_string(), job.clone()))
                })
                .collect();
            moved += partition.redrive(&mine).await?;
        }
        Ok(moved)
    }

    /// Newest-first entries of a stream: the newest, or those older than `older_than`.
    pub async fn stream_page(
        &self,
        stream: &str,
        older_than: Option<StreamId>,
        count: usize,
    ) -> Result<Vec<Entry>, QueueError> {
        let end = match older_than {
            None => "+".to_string(),
            Some(id) => match id.older_bound() {
                Some(bound) => bound,
                None => return Ok(Vec::new()),
            },
        };
        let mut conn = self.conn();
        let reply: StreamRangeReply = self
            .bounded(
                "XREVRANGE",
                redis::cmd("XREVRANGE")
                    .arg(stream)
                    .arg(end)
                    .arg("-")
                    .arg("COUNT")
                    .arg(count)
                    .query_async(&mut conn),
            )
            .await?;
        Ok(reply.ids.into_iter().map(entry).collect())
    }
}
