//! Queue statistics for the metrics: how much work is waiting where, and how old the oldest
//! unfinished piece is. Read-only and cheap (a handful of O(1)/O(log n) commands).

use std::collections::HashMap;

use redis::streams::StreamRangeReply;

use super::delivery::ROUTE_GROUP;
use super::stream::{StreamId, text as as_text};
use super::{Partition, Queue, QueueError};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Events not yet fanned out: unread by the router plus read but unacknowledged.
    pub events_unrouted: u64,
    /// Delivery jobs waiting or in flight (settled jobs are deleted, so this is the stream length).
    pub deliveries_pending: u64,
    pub retry_scheduled: u64,
    pub dead: u64,
    pub quarantine: u64,
    /// Time (ms) of the oldest event not yet fanned out.
    pub events_oldest_ms: Option<u64>,
    /// Time (ms) of the oldest delivery job waiting or in flight.
    pub deliveries_oldest_ms: Option<u64>,
}

impl QueueStats {
    /// These and `other` together: counts add up, the oldest is the older of the two.
    pub fn plus(&self, other: &QueueStats) -> QueueStats {
        let older = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        QueueStats {
            events_unrouted: self.events_unrouted + other.events_unrouted,
            deliveries_pending: self.deliveries_pending + other.deliveries_pending,
            retry_scheduled: self.retry_scheduled + other.retry_scheduled,
            dead: self.dead + other.dead,
            quarantine: self.quarantine + other.quarantine,
            events_oldest_ms: older(self.events_oldest_ms, other.events_oldest_ms),
            deliveries_oldest_ms: older(self.deliveries_oldest_ms, other.deliveries_oldest_ms),
        }
    }
}

impl Queue {
    /// How many payloads are quarantined (registry).
    pub async fn quarantine_len(&self) -> Result<u64, QueueError> {
        let mut conn = self.conn();
        self.bounded(
            "XLEN quarantine",
            redis::cmd("XLEN")
                .arg(self.keys.quarantine())
                .query_async(&mut conn),
        )
        .await
    }
}

/// Most entries counted one by one when Redis cannot report a group's lag.
const LAG_COUNT_LIMIT: usize = 10_000;

impl Partition {
    /// This partition's work (its quarantine count is 0: quarantine is the registry's).
    pub async fn stats(&self) -> Result<QueueStats, QueueError> {
        let mut conn = self.conn();
        let (deliveries, retry, dead): (u64, u64, u64) = self
            .bounded(
                "queue stats",
                redis::pipe()
                    .xlen(self.keys.deliveries())
                    .zcard(self.keys.retry())
                    .xlen(self.keys.dead())
                    .query_async(&mut conn),
            )
            .await?;
        let oldest_job: StreamRangeReply = self
            .bounded(
                "XRANGE",
                redis::cmd("XRANGE")
                    .arg(self.keys.deliveries())
                    .arg("-")
                    .arg("+")
                    .arg("COUNT")
                    .arg(1)
                    .query_async(&mut conn),
            )
            .await?;
        let (events_unrouted, events_oldest_ms) = self.unrouted().await?;
        Ok(QueueStats {
            events_unrouted,
            deliveries_pending: deliveries,
            retry_scheduled: retry,
            dead,
            quarantine: 0,
            events_oldest_ms,
            deliveries_oldest_ms: oldest_job
                .ids
                .first()
                .and_then(|e| StreamId::parse(&e.id))
                .map(|id| id.0),
        })
    }

    /// Events the router has not finished: its lag plus its pending entries, and the oldest one.
    async fn unrouted(&self) -> Result<(u64, Option<u64>), QueueError> {
        let events = self.keys.events();
        let mut conn = self.conn();
        let groups: Result<Vec<HashMap<String, redis::Value>>, QueueError> = self
            .bounded(
                "XINFO GROUPS",
                redis::cmd("XINFO")
                    .arg("GROUPS")
                    .arg(&events)
                    .query_async(&mut conn),
            )
            .await;
        let groups = match groups {
            Ok(groups) => groups,
            // No stream yet: nothing waits.
            Err(QueueError::Redis(e))
                if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::ResponseError) =>
            {
                return Ok((0, None));
            }
            Err(e) => return Err(e),
        };
        let Some(route) = groups
            .iter()
            .find(|g| as_text(g.get("name")).as_deref() == Some(ROUTE_GROUP))
        else {
            let length: u64 = self
                .bounded(
                    "XLEN",
                    redis::cmd("XLEN").arg(&events).query_async(&mut conn),
                )
                .await?;
            let first: StreamRangeReply = self
                .bounded(
                    "XRANGE",
                    redis::cmd("XRANGE")
                        .arg(&events)
                        .arg("-")
                        .arg("+")
                        .arg("COUNT")
                        .arg(1)
                        .query_async(&mut conn),
                )
                .await?;
            return Ok((
                length,
                first
                    .ids
                    .first()
                    .and_then(|e| StreamId::parse(&e.id))
                    .map(|id| id.0),
            ));
        };
        let pending = route
            .get("pending")
            .and_then(|v| redis::from_redis_value_ref::<u64>(v).ok())
            .unwrap_or(0);
        let last = as_text(route.get("last-delivered-id")).unwrap_or_else(|| "0-0".into());
        let next: StreamRangeReply = self
            .bounded(
                "XRANGE",
                redis::cmd("XRANGE")
                    .arg(&events)
                    .arg(format!("({last}"))
                    .arg("+")
                    .arg("COUNT")
                    .arg(1)
                    .query_async(&mut conn),
            )
            .await
            .or_else(|e| {
                if last == "0-0" {
                    Ok(StreamRangeReply::default())
                } else {
                    Err(e)
                }
            })?;
        let lag = match route
            .get("lag")
            .and_then(|v| redis::from_redis_value_ref::<u64>(v).ok())
        {
            Some(lag) => lag,
            None if next.ids.is_empty() => 0,
            None => {
                let unread: StreamRangeReply = self
                    .bounded(
                        "XRANGE",
                        redis::cmd("XRANGE")
                            .arg(&events)
                            .arg(format!("({last}"))
                            .arg("+")
                            .arg("COUNT")
                            .arg(LAG_COUNT_LIMIT)
                            .query_async(&mut conn),
                    )
                    .await?;
                unread.ids.len() as u64
            }
        };
        let oldest_pending: (u64, Option<String>, Option<String>, redis::Value) = self
            .bounded(
                "XPENDING",
                redis::cmd("XPENDING")
                    .arg(&events)
                    .arg(ROUTE_GROUP)
                    .query_async(&mut conn),
            )
            .await?;
        let candidates = [
            oldest_pending.1.as_deref().and_then(StreamId::parse),
            next.ids.first().and_then(|e| StreamId::parse(&e.id)),
        ];
        let oldest = candidates.into_iter().flatten().min().map(|id| id.0);
        Ok((lag + pending, oldest))
    }
}
