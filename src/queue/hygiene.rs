//! Keeping Redis from growing without bound: dead letters and quarantined payloads are trimmed to
//! their retention, and consumers of processes that are gone (idle, nothing pending) are removed
//! from the consumer groups, so `XINFO CONSUMERS` lists the living.

use std::collections::HashMap;

use super::stream::text;
use super::{DELIVER_GROUP, Partition, Queue, QueueError, ROUTE_GROUP, Registry};

/// Trims `stream` exactly below `before_ms`: these streams are small, and an operator expects an
/// entry past its retention to be gone.
async fn trim_below(queue: &Queue, stream: String, before_ms: i64) -> Result<(), QueueError> {
    let mut conn = queue.conn();
    let _: i64 = queue
        .bounded(
            "XTRIM MINID",
            redis::cmd("XTRIM")
                .arg(stream)
                .arg("MINID")
                .arg(format!("{}-0", before_ms.max(0)))
                .query_async(&mut conn),
        )
        .await?;
    Ok(())
}

impl Registry {
    /// Trims quarantined payloads older than the cutoff (ms since the epoch).
    pub async fn trim_quarantine(&self, before_ms: i64) -> Result<(), QueueError> {
        trim_below(&self.queue, self.keys.quarantine(), before_ms).await
    }
}

impl Partition {
    /// Trims this partition's dead letters older than the cutoff (ms since the epoch).
    pub async fn trim_dead(&self, before_ms: i64) -> Result<(), QueueError> {
        trim_below(&self.queue, self.keys.dead(), before_ms).await
    }

    /// Removes consumers idle for at least `idle_ms` with nothing pending; returns how many.
    pub async fn remove_idle_consumers(&self, idle_ms: u64) -> Result<usize, QueueError> {
        let mut removed = 0;
        for (stream, group) in [
            (self.keys.routing(), ROUTE_GROUP),
            (self.keys.deliveries(), DELIVER_GROUP),
        ] {
            let mut conn = self.conn();
            let consumers: Result<Vec<HashMap<String, redis::Value>>, QueueError> = self
                .timed(
                    redis::cmd("XINFO")
                        .arg("CONSUMERS")
                        .arg(&stream)
                        .arg(group)
                        .query_async(&mut conn),
                )
                .await;
            let consumers = match consumers {
                Ok(consumers) => consumers,
                // No stream or group yet: nobody to remove.
                Err(QueueError::Redis(e)) if matches!(e.code(), Some("NOGROUP") | Some("ERR")) => {
                    continue;
                }
                other => self.counted("XINFO CONSUMERS", other)?,
            };
            for consumer in consumers {
                let number =
                    |name: &str| text(consumer.get(name)).and_then(|v| v.parse::<u64>().ok());
                let (Some(name), Some(pending), Some(idle)) = (
                    text(consumer.get("name")),
                    number("pending"),
                    number("idle"),
                ) else {
                    continue;
                };
                if pending == 0 && idle >= idle_ms {
                    let _: i64 = self
                        .bounded(
                            "XGROUP DELCONSUMER",
                            redis::cmd("XGROUP")
                                .arg("DELCONSUMER")
                                .arg(&stream)
                                .arg(group)
                                .arg(&name)
                                .query_async(&mut conn),
                        )
                        .await?;
                    tracing::info!(consumer = %name, group, "idle consumer removed");
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

/// The oldest Redis shiprelay runs on: 7.0 (XAUTOCLAIM's deleted-entry reply, `XADD ... MINID`
/// trimming, `SET ... GET` of an `Idempotency-Key`, `#!lua` script flags).
pub const MIN_REDIS: (u64, u64) = (7, 0);

/// Whether `INFO server` text names a Redis new enough; the error says which version was found.
pub fn check_version(info: &str) -> Result<(), String> {
    let version = info
        .lines()
        .find_map(|line| line.trim().strip_prefix("redis_version:"))
        .ok_or_else(|| "the server did not say its Redis version (INFO server)".to_string())?;
    let mut parts = version.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if found >= MIN_REDIS {
        Ok(())
    } else {
        Err(format!(
            "Redis {version} is older than {}.{}, which shiprelay needs; upgrade Redis",
            MIN_REDIS.0, MIN_REDIS.1
        ))
    }
}

impl Queue {
    /// `INFO server` of the Redis this queue talks to.
    pub async fn server_info(&self) -> Result<String, QueueError> {
        let mut conn = self.conn();
        self.bounded(
            "INFO server",
            redis::cmd("INFO").arg("server").query_async(&mut conn),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::check_version;

    #[test]
    fn redis_7_and_newer_pass_older_is_named() {
        assert!(
            check_version("# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n").is_ok()
        );
        assert!(check_version("redis_version:7.2.4").is_ok());
        assert!(check_version("redis_version:8.0.0").is_ok());
        assert_eq!(
            check_version("redis_version:6.2.14\r\n").unwrap_err(),
            "Redis 6.2.14 is older than 7.0, which shiprelay needs; upgrade Redis"
        );
        assert!(check_version("redis_mode:standalone").is_err());
    }
}
