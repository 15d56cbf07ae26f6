//! Queue statistics for the metrics: how much work is waiting where, and how old the oldest
//! unfinished piece is. Read-only and cheap (a handful of O(1)/O(log n) commands).

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
        let oldest_job = self.oldest_id(&self.keys.deliveries()).await?;
        let (events_unrouted, events_oldest_ms) = self.unrouted().await?;
        Ok(QueueStats {
            events_unrouted,
            deliveries_pending: deliveries,
            retry_scheduled: retry,
            dead,
            quarantine: 0,
            events_oldest_ms,
            deliveries_oldest_ms: oldest_job.map(|id| id.0),
        })
    }

    /// Events not yet fanned out: the routing stream's entries (retired once routed), and the
    /// time of the oldest.
    async fn unrouted(&self) -> Result<(u64, Option<u64>), QueueError> {
        let mut conn = self.conn();
        let length: u64 = self
            .bounded(
                "XLEN routing",
                redis::cmd("XLEN")
                    .arg(self.keys.routing())
                    .query_async(&mut conn),
            )
            .await?;
        let oldest = self.oldest_id(&self.keys.routing()).await?;
        Ok((length, oldest.map(|id| id.0)))
    }
}
