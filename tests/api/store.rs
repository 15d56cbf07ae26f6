//! The one door the tests go through to Redis: seeding what an earlier version (or another
//! process) wrote, damaging a record on purpose, and inspecting keys. Key names come from the
//! crate ([`Keys`], [`PartKeys`]) with the test config's prefix, never from literals, so a test
//! reads the keys shiprelay writes; the commands are the few the tests need, each named for what
//! it does.

use std::collections::HashMap;

use redis::aio::ConnectionLike;
use redis::{FromRedisValue, ToRedisArgs};
use shiprelay::queue::Keys;
use shiprelay::queue::partition::{PartKeys, tag};

use crate::helpers::TEST_PARTITIONS;

/// The test config's `redis.prefix`.
pub const PREFIX: &str = "test";

/// The registry's keys in the test config.
pub fn registry() -> Keys {
    Keys::new(PREFIX)
}

/// Partition `n`'s keys in the test config.
pub fn partition(n: usize) -> PartKeys {
    PartKeys::new(tag(PREFIX, n, TEST_PARTITIONS))
}

/// A stream entry as field -> raw bytes.
pub type Fields = HashMap<String, Vec<u8>>;

/// A connection to the Redis (or cluster) under test, with the commands the tests use.
pub struct Store<C> {
    pub conn: C,
}

impl<C: ConnectionLike + Send> Store<C> {
    pub fn on(conn: C) -> Store<C> {
        Store { conn }
    }

    /// Any command, for the rare check no method below names.
    pub async fn run<T: FromRedisValue>(&mut self, command: &str, args: impl ToRedisArgs) -> T {
        redis::cmd(command)
            .arg(args)
            .query_async(&mut self.conn)
            .await
            .unwrap_or_else(|e| panic!("{command}: {e}"))
    }

    /// Appends an entry (`id`: `*` or an explicit id) with these fields; returns its id.
    pub async fn append(&mut self, stream: &str, id: &str, fields: &[(&str, &str)]) -> String {
        let mut command = redis::cmd("XADD");
        command.arg(stream).arg(id);
        for (field, value) in fields {
            command.arg(*field).arg(*value);
        }
        command.query_async(&mut self.conn).await.unwrap()
    }

    /// Appends `n` entries with these fields, in pipelined batches (to fill a stream fast).
    pub async fn append_many(&mut self, stream: &str, n: usize, fields: &[(&str, &str)]) {
        for chunk in (0..n).collect::<Vec<_>>().chunks(2000) {
            let mut pipe = redis::pipe();
            for _ in chunk {
                let cmd = pipe.cmd("XADD").arg(stream).arg("*");
                for (field, value) in fields {
                    cmd.arg(*field).arg(*value);
                }
                cmd.ignore();
            }
            let _: () = pipe.query_async(&mut self.conn).await.unwrap();
        }
    }

    /// Every entry of a stream, oldest first: (id, fields).
    pub async fn entries(&mut self, stream: &str) -> Vec<(String, Fields)> {
        let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(stream)
            .arg("-")
            .arg("+")
            .query_async(&mut self.conn)
            .await
            .unwrap();
        reply
            .ids
            .into_iter()
            .map(|entry| {
                let fields = entry
                    .map
                    .into_iter()
                    .map(|(k, v)| (k, redis::from_redis_value::<Vec<u8>>(v).unwrap()))
                    .collect();
                (entry.id, fields)
            })
            .collect()
    }

    /// Creates a consumer group at the start of `stream` (creating the stream).
    pub async fn create_group(&mut self, stream: &str, group: &str) {
        let _: () = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(stream)
            .arg(group)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut self.conn)
            .await
            .unwrap();
    }

    /// A field of a hash (a registry record's `record`, say).
    pub async fn field(&mut self, hash: &str, field: &str) -> Option<String> {
        self.run("HGET", (hash, field)).await
    }

    /// Sets a field of a hash (to damage a record, or to write one an earlier version wrote).
    pub async fn set_field(&mut self, hash: &str, field: &str, value: &str) {
        let _: i64 = self.run("HSET", (hash, field, value)).await;
    }

    /// `command` (`XLEN`, `ZCARD`) of partition key `name`, summed over every partition.
    pub async fn count_all(&mut self, command: &str, name: &str) -> usize {
        count_all(&mut self.conn, command, name).await
    }

    /// Every entry of a stream (of every partition's, for `{test}:events` and the like, in
    /// stream-id order), as field -> raw bytes.
    pub async fn stream_fields(&mut self, key: &str) -> Vec<Fields> {
        let mut all = Vec::new();
        for key in expand(key) {
            for (id, fields) in self.entries(&key).await {
                all.push((shiprelay::queue::StreamId::parse(&id).unwrap(), fields));
            }
        }
        all.sort_by_key(|(id, _)| *id);
        all.into_iter().map(|(_, fields)| fields).collect()
    }

    /// The length of a stream (summed over the partitions for `{test}:events` and the like).
    pub async fn stream_len(&mut self, key: &str) -> usize {
        let mut total = 0;
        for key in expand(key) {
            let len: usize = self.run("XLEN", &key).await;
            total += len;
        }
        total
    }
}

/// `{test}:events`, `{test}:deliveries`, ... stand for that key of every partition.
fn expand(key: &str) -> Vec<String> {
    match key.strip_prefix("{test}:") {
        Some(name @ ("events" | "deliveries" | "retry" | "dead" | "routing")) => {
            (0..TEST_PARTITIONS).map(|n| part_key(n, name)).collect()
        }
        _ => vec![key.to_string()],
    }
}

/// Partition `n`'s key `name` (`events`, `deliveries`, `retry`, `dead`, ...) in the test config.
pub fn part_key(n: usize, name: &str) -> String {
    format!("{{{}}}:{name}", tag(PREFIX, n, TEST_PARTITIONS))
}

/// `command` (`XLEN`, `ZCARD`) of partition key `name`, summed over every partition.
pub async fn count_all(
    conn: &mut impl redis::aio::ConnectionLike,
    command: &str,
    name: &str,
) -> usize {
    let mut total = 0;
    for n in 0..TEST_PARTITIONS {
        let count: usize = redis::cmd(command)
            .arg(part_key(n, name))
            .query_async(conn)
            .await
            .unwrap();
        total += count;
    }
    total
}

/// Jobs pending in the `deliver` group of every partition.
pub async fn pending_jobs(conn: &mut impl redis::aio::ConnectionLike) -> u64 {
    let mut total = 0;
    for n in 0..TEST_PARTITIONS {
        let pending: (u64, redis::Value, redis::Value, redis::Value) = redis::cmd("XPENDING")
            .arg(part_key(n, "deliveries"))
            .arg("deliver")
            .query_async(conn)
            .await
            .unwrap();
        total += pending.0;
    }
    total
}
