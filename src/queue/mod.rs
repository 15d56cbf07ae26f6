//! The only code that knows Redis: key names, Lua scripts and stream operations.
//!
//! Every operation is bounded by the configured command timeout, so a hung or unreachable Redis
//! turns into a prompt [`QueueError`] (and a 503 for the caller) instead of a stuck request.
//! Connections ([`conn::Conn`]) are made lazily and re-made by themselves, to one Redis or to a
//! Redis Cluster: shiprelay starts while Redis is down, recovers when it comes back and follows a
//! cluster's failovers and resharding, without a restart.
//!
//! # Layout
//! - [`Queue`]: the root handle: it hands out the other two, enqueues, and reads across all
//!   partitions (event and dead-letter pages, redrive, the backlog).
//! - [`Registry`]: the registry (`{prefix}`: tenants, keys, subscriptions, audit, idempotency,
//!   per-minute stats, quarantine, rate-limit state), with its records' encoding (`records.rs`)
//!   and compare-and-set loop (`updates.rs`).
//! - [`Partition`]: one partition's per-event keys (`partition.rs` says how tags are chosen);
//!   routing, jobs, retries, dead letters, lanes and parking run on one partition at a time, each
//!   script within its slot. Neither handle derefs into another: code holds the one it uses.
//! - `upgrade/`: the move from the layout before partitions.
//! - `conn.rs`: the connection to either topology; `keys.rs` and `partition.rs`: every key name.

mod audit;
mod conn;
mod consume;
mod delivery;
mod enqueue;
mod enqueue_batch;
mod events;
mod fan_out;
mod hygiene;
mod idempotency;
mod job;
mod keys;
mod merged;
mod minutes;
mod pacing;
pub mod partition;
mod readiness;
pub mod records;
mod recovery;
mod registry;
mod settle;
mod stats;
mod stream;
mod subscriptions;
mod tenants;
mod updates;
mod upgrade;
mod version;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use redis::AsyncCommands;

use conn::Connector;
pub use pacing::{Parked, Slots, WaitingJobs};
use partition::PartKeys;
pub use partition::{Partition, Waiting};

pub use audit::AuditRecord;
pub use conn::Conn;
pub use consume::{JobEntry, RoutableEvent, Take};
use delivery::{DELIVER_GROUP, Entry, ROUTE_GROUP};
pub use delivery::{Settle, Settlement};
pub use enqueue::Enqueuer;
pub use enqueue_batch::{EnqueueOutcome, Enqueued, FanOut};
pub use events::{EventQuery, EventsPage, Visible};
pub use fan_out::Routed;
pub use hygiene::{MIN_REDIS, check_version};
pub use idempotency::{IdempotencyBegin, IdempotencySlot, StoredResponse};
pub use job::{Job, JobRef, Target};
pub use keys::Keys;
pub use readiness::Readiness;
pub use recovery::{DeadEntry, LoggedAttempt, Scan, StoredEvent};
pub use registry::Registry;
pub use stats::QueueStats;
pub use stream::{Position, StreamId};
pub use subscriptions::{SubscriptionCreate, SubscriptionsPage};
pub use tenants::TenantDelete;
pub use updates::{MAX_UPDATE_ATTEMPTS, RELAY_ACTOR, Updated};
pub use upgrade::{IDLE_BEFORE_REMOVAL, LegacyPass};

use crate::config::RedisSettings;

#[derive(Debug, Clone, thiserror::Error)]
pub enum QueueError {
    #[error("Redis did not answer within {0:?}")]
    Timeout(Duration),
    #[error("Redis failed: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("unexpected reply from Redis: {0}")]
    Reply(String),
    #[error("{acked} of {wanted} replicas acknowledged the write in time")]
    NotReplicated { acked: u64, wanted: u32 },
}

/// A verified payload that could not be normalised.
#[derive(Debug, Clone, Copy)]
pub struct QuarantineEntry<'a> {
    pub source: &'a str,
    pub reason: &'a str,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub correlation_id: &'a str,
    pub content_type: &'a str,
    pub body: &'a [u8],
}

#[derive(Clone)]
pub struct Queue {
    conn: Conn,
    connector: Connector,
    connect_timeout: Duration,
    keys: Keys,
    /// The partitions' keys, by partition number.
    parts: Arc<[PartKeys]>,
    timeout: Duration,
    index_ttl_secs: u64,
    /// `redis.wait_replicas` and `redis.wait_timeout_ms`: what an enqueue waits for.
    replication: Option<(u32, u64)>,
    scripts: Arc<Scripts>,
    /// `shiprelay_redis_errors_total{op}`, counted under `area` (http, route, deliver, ...).
    errors: Option<(prometheus::IntCounterVec, &'static str)>,
}

/// The deliveries library (`deliveries.lua`): one script, cached by its SHA, with one entry per
/// operation, named as its first argument.
const DELIVERIES: &str = include_str!("deliveries.lua");

/// An entry of a library script: invoked like a script of its own, with the entry's name put
/// first (the library takes it off before the entry reads its arguments).
struct LibraryEntry {
    script: redis::Script,
    name: &'static str,
}

impl LibraryEntry {
    fn of(library: &str, name: &'static str) -> LibraryEntry {
        LibraryEntry {
            script: redis::Script::new(library),
            name,
        }
    }

    fn prepare_invoke(&self) -> redis::ScriptInvocation<'_> {
        let mut invocation = self.script.prepare_invoke();
        invocation.arg(self.name);
        invocation
    }
}

struct Scripts {
    enqueue: LibraryEntry,
    append_targeted: redis::Script,
    subscription_replace: redis::Script,
    fan_out: LibraryEntry,
    settle: LibraryEntry,
    attempt_record: LibraryEntry,
    settle_together: LibraryEntry,
    pump: redis::Script,
    append_jobs: LibraryEntry,
    park: redis::Script,
    rate_reserve: redis::Script,
    rate_admit: redis::Script,
    subscription_create: redis::Script,
    tenant_create: redis::Script,
    tenant_delete: redis::Script,
    key_create: redis::Script,
    key_revoke: redis::Script,
    request_window: redis::Script,
    version_copy: redis::Script,
    legacy_event: redis::Script,
}

impl Queue {
    /// Prepares a connection; it is established on first use and re-established after failures.
    pub fn connect(settings: &RedisSettings) -> Result<Queue, QueueError> {
        let connector = Connector::new(settings)?;
        let timeout = Duration::from_millis(settings.command_timeout_ms);
        let connect_timeout = Duration::from_millis(settings.connect_timeout_ms);
        let conn = connector.connect(connect_timeout, Some(timeout))?;
        let count = settings.partitions.max(1);
        Ok(Queue {
            conn,
            connector,
            connect_timeout,
            keys: Keys::new(&settings.prefix),
            parts: (0..count)
                .map(|n| PartKeys::new(partition::tag(&settings.prefix, n, count)))
                .collect(),
            timeout,
            index_ttl_secs: settings.events_retention_secs,
            replication: (settings.wait_replicas > 0)
                .then_some((settings.wait_replicas, settings.wait_timeout_ms)),
            scripts: Arc::new(Scripts {
                enqueue: LibraryEntry::of(DELIVERIES, "enqueue"),
                append_targeted: redis::Script::new(include_str!("append_targeted.lua")),
                subscription_replace: redis::Script::new(include_str!("subscription_replace.lua")),
                fan_out: LibraryEntry::of(DELIVERIES, "fan_out"),
                settle: LibraryEntry::of(DELIVERIES, "settle"),
                attempt_record: LibraryEntry::of(DELIVERIES, "attempt_record"),
                settle_together: LibraryEntry::of(DELIVERIES, "settle_together"),
                pump: redis::Script::new(include_str!("pump.lua")),
                append_jobs: LibraryEntry::of(DELIVERIES, "append_jobs"),
                park: redis::Script::new(include_str!("park.lua")),
                rate_reserve: redis::Script::new(include_str!("rate_reserve.lua")),
                rate_admit: redis::Script::new(include_str!("rate_admit.lua")),
                subscription_create: redis::Script::new(include_str!("subscription_create.lua")),
                tenant_create: redis::Script::new(include_str!("tenant_create.lua")),
                tenant_delete: redis::Script::new(include_str!("tenant_delete.lua")),
                key_create: redis::Script::new(include_str!("key_create.lua")),
                key_revoke: redis::Script::new(include_str!("key_revoke.lua")),
                request_window: redis::Script::new(include_str!("request_window.lua")),
                version_copy: redis::Script::new(include_str!("version_copy.lua")),
                legacy_event: redis::Script::new(include_str!("upgrade/legacy_event.lua")),
            }),
            errors: None,
        })
    }

    /// The same queue on a connection of its own, for a loop that blocks on XREADGROUP: a
    /// blocking read on the shared (multiplexed) connection would hold up every other command.
    pub fn dedicated(&self) -> Result<Queue, QueueError> {
        // Blocking reads are bounded by `read_group` itself, not by a response timeout.
        self.on_new_connection(None)
    }

    /// The same queue on a connection of its own, with the usual bounds. The connection is made
    /// on first use, by the runtime (thread) that uses it first: an HTTP worker thread with its
    /// own connection talks to Redis without handing every command to another thread.
    pub fn separate(&self) -> Result<Queue, QueueError> {
        self.on_new_connection(Some(self.timeout))
    }

    fn on_new_connection(&self, response_timeout: Option<Duration>) -> Result<Queue, QueueError> {
        Ok(Queue {
            conn: self
                .connector
                .connect(self.connect_timeout, response_timeout)?,
            ..self.clone()
        })
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    fn conn(&self) -> Conn {
        self.conn.clone()
    }

    /// A connection to the same Redis (or cluster, each command routed by its key), for tools and
    /// tests that inspect what the store wrote. Code of the relay goes through the handles.
    pub fn inspection_connection(&self) -> Conn {
        self.conn.clone()
    }

    /// Partition `index` (of [`Queue::partition_count`]).
    pub fn partition(&self, index: usize) -> Partition {
        Partition {
            queue: self.clone(),
            index,
            keys: self.parts[index].clone(),
        }
    }

    pub fn partition_count(&self) -> usize {
        self.parts.len()
    }

    /// Every partition, in order.
    pub fn partitions(&self) -> impl Iterator<Item = Partition> + '_ {
        (0..self.parts.len()).map(|n| self.partition(n))
    }

    /// The partition a request with this ordering key belongs to.
    pub fn partition_for(&self, ordering_key: &str) -> Partition {
        self.partition(partition::partition_of(ordering_key, self.parts.len()))
    }

    /// Whether this queue talks to a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        self.conn.is_cluster()
    }

    /// The same queue, counting its Redis errors in `counter` under `area`.
    pub fn counting_errors(&self, counter: prometheus::IntCounterVec, area: &'static str) -> Queue {
        Queue {
            errors: Some((counter, area)),
            ..self.clone()
        }
    }

    /// Counts and logs a failed operation: only real failures reach here, never an expected
    /// reply such as BUSYGROUP (see [`Queue::timed`]).
    fn counted<T>(&self, op: &'static str, result: Result<T, QueueError>) -> Result<T, QueueError> {
        if let Err(error) = &result {
            let area = self.errors.as_ref().map_or("-", |(_, area)| *area);
            tracing::warn!(op, area, %error, "Redis operation failed");
            if let Some((counter, area)) = &self.errors {
                counter.with_label_values(&[*area]).inc();
            }
        }
        result
    }

    /// `op` bounded by the command timeout, neither counted nor logged: for callers that expect
    /// some error replies and count the rest themselves.
    async fn timed<T>(
        &self,
        op: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, QueueError> {
        match tokio::time::timeout(self.timeout, op).await {
            Ok(result) => result.map_err(QueueError::from),
            Err(_) => Err(QueueError::Timeout(self.timeout)),
        }
    }

    /// `op` (named `name` in the log) bounded by the command timeout; a failure is counted in
    /// `shiprelay_redis_errors_total` and logged with the operation's name.
    async fn bounded<T>(
        &self,
        name: &'static str,
        op: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, QueueError> {
        let result = self.timed(op).await;
        self.counted(name, result)
    }

    /// Succeeds when Redis answers.
    pub async fn ping(&self) -> Result<(), QueueError> {
        let mut conn = self.conn.clone();
        let reply: String = self
            .bounded("PING", redis::cmd("PING").query_async(&mut conn))
            .await?;
        match reply.as_str() {
            "PONG" => Ok(()),
            other => Err(QueueError::Reply(other.to_string())),
        }
    }

    /// Keeps a payload that verified but could not be normalised; returns its stream entry id.
    pub async fn quarantine(&self, entry: QuarantineEntry<'_>) -> Result<String, QueueError> {
        let received_at = crate::time::rfc3339(entry.received_at);
        let fields: [(&str, &[u8]); 6] = [
            ("source", entry.source.as_bytes()),
            ("reason", entry.reason.as_bytes()),
            ("received_at", received_at.as_bytes()),
            ("correlation_id", entry.correlation_id.as_bytes()),
            ("content_type", entry.content_type.as_bytes()),
            ("body", entry.body),
        ];
        let mut conn = self.conn.clone();
        let key = self.keys.quarantine();
        self.bounded("XADD quarantine", conn.xadd(key, "*", &fields))
            .await
    }
}
