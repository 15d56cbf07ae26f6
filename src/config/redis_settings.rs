//! `[redis]`: where the queue lives (one Redis or a Redis Cluster), how it is partitioned, and how
//! long what it holds is kept.

use serde::Deserialize;

use super::lenient;

/// One Redis (or a proxy or managed endpoint in front of one), or a Redis Cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RedisMode {
    #[default]
    Single,
    Cluster,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RedisSettings {
    /// `single`: `url` is the Redis; `cluster`: `urls` are seed nodes of a Redis Cluster.
    pub mode: RedisMode,
    pub url: String,
    /// Seed nodes of the cluster (`mode = "cluster"`); any reachable one is enough to find the rest.
    pub urls: Vec<String>,
    /// Registry keys are `{prefix}:<name>`, per-event keys `{<partition tag>}:<name>`.
    pub prefix: String,
    /// Partitions of the per-event keys, each under a hash tag of its own; fixed for a
    /// deployment's life (see the README for changing it).
    #[serde(deserialize_with = "lenient::number")]
    pub partitions: usize,
    #[serde(deserialize_with = "lenient::number")]
    pub connect_timeout_ms: u64,
    /// Upper bound for one Redis operation; past it the request gets a 503.
    #[serde(deserialize_with = "lenient::number")]
    pub command_timeout_ms: u64,
    /// The `Retry-After` seconds sent with a 503 when Redis is unavailable.
    #[serde(deserialize_with = "lenient::number")]
    pub retry_after_secs: u64,
    /// How long an event is kept (findable by id, replayable, deliverable from its jobs).
    #[serde(deserialize_with = "lenient::number")]
    pub events_retention_secs: u64,
    /// Dead letters older than this are trimmed.
    #[serde(deserialize_with = "lenient::number")]
    pub dead_retention_secs: u64,
    /// Quarantined payloads older than this are trimmed.
    #[serde(deserialize_with = "lenient::number")]
    pub quarantine_retention_secs: u64,
    /// A consumer (of a process that is gone) idle this long with nothing pending is removed.
    #[serde(deserialize_with = "lenient::number")]
    pub idle_consumer_secs: u64,
    /// Before a provider gets its 200, this many replicas have acknowledged the write (`WAIT`);
    /// fewer within `wait_timeout_ms` is a 503. 0: the master's write is enough.
    #[serde(deserialize_with = "lenient::number")]
    pub wait_replicas: u32,
    #[serde(deserialize_with = "lenient::number")]
    pub wait_timeout_ms: u64,
}

impl Default for RedisSettings {
    fn default() -> Self {
        RedisSettings {
            mode: RedisMode::Single,
            url: "redis://127.0.0.1:6379".into(),
            urls: Vec::new(),
            prefix: "shiprelay".into(),
            partitions: 8,
            connect_timeout_ms: 2000,
            command_timeout_ms: 2000,
            retry_after_secs: 5,
            events_retention_secs: 7 * 24 * 3600,
            dead_retention_secs: 14 * 24 * 3600,
            quarantine_retention_secs: 14 * 24 * 3600,
            idle_consumer_secs: 3600,
            wait_replicas: 0,
            wait_timeout_ms: 200,
        }
    }
}

impl RedisSettings {
    /// The addresses to connect to: `url`, or the cluster's seed nodes.
    pub fn addresses(&self) -> Vec<&str> {
        match self.mode {
            RedisMode::Single => vec![self.url.as_str()],
            RedisMode::Cluster => self.urls.iter().map(String::as_str).collect(),
        }
    }
}
