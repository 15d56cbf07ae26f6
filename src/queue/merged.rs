//! Reads across partitions: each partition's stream is read with the same bounds and the entries
//! merged into one order, (stream id, partition), so a page and its cursor ([`Position`]) mean the
//! same whichever partition an entry lives in. Entries come back with their position as their id.

use futures_util::future::try_join_all;
use redis::streams::StreamRangeReply;

use super::partition::PartKeys;
use super::stream::{Position, StreamId, entry};
use super::{Entry, Partition, Queue, QueueError};

/// Which stream of a partition to read.
pub type StreamOf = fn(&PartKeys) -> String;

impl Queue {
    /// Newest-first entries of `stream` in every partition before `before` and not older than
    /// `oldest` (a stream id bound such as `-`), at most `count`.
    pub(super) async fn merged_newest(
        &self,
        stream: StreamOf,
        before: Option<Position>,
        oldest: &str,
        count: usize,
    ) -> Result<Vec<Entry>, QueueError> {
        let reads = self.partitions().filter_map(|partition| {
            let end = match before {
                None => "+".to_string(),
                Some(position) => position.older_bound_in(partition.index)?,
            };
            let oldest = oldest.to_string();
            Some(async move { range(&partition, "XREVRANGE", stream, &end, &oldest, count).await })
        });
        let mut all: Vec<(Position, Entry)> = try_join_all(reads).await?.concat();
        all.sort_by_key(|entry| std::cmp::Reverse(entry.0));
        Ok(finish(all, count))
    }

    /// Oldest-first entries of `stream` in every partition after `after` and not newer than
    /// `newest` (a stream id bound such as `+`), at most `count`.
    pub(super) async fn merged_oldest(
        &self,
        stream: StreamOf,
        after: Option<Position>,
        start_at: Option<StreamId>,
        newest: &str,
        count: usize,
    ) -> Result<Vec<Entry>, QueueError> {
        let reads = self.partitions().map(|partition| {
            let start = match (after, start_at) {
                (Some(position), Some(floor)) if position.id < floor => floor.to_string(),
                (Some(position), _) => position.newer_bound_in(partition.index),
                (None, Some(floor)) => floor.to_string(),
                (None, None) => "-".to_string(),
            };
            let newest = newest.to_string();
            async move { range(&partition, "XRANGE", stream, &start, &newest, count).await }
        });
        let mut all: Vec<(Position, Entry)> = try_join_all(reads).await?.concat();
        all.sort_by_key(|entry| entry.0);
        Ok(finish(all, count))
    }

    /// The entry at `position` of `stream`, if it is there.
    pub(super) async fn entry_at(
        &self,
        stream: StreamOf,
        position: Position,
    ) -> Result<Option<Entry>, QueueError> {
        if position.partition >= self.partition_count() {
            return Ok(None);
        }
        let partition = self.partition(position.partition);
        let id = position.id.to_string();
        let mut conn = partition.conn();
        let reply: StreamRangeReply = partition
            .bounded(
                "XRANGE",
                redis::cmd("XRANGE")
                    .arg(stream(&partition.keys))
                    .arg(&id)
                    .arg(&id)
                    .query_async(&mut conn),
            )
            .await?;
        Ok(positioned(reply, position.partition)
            .into_iter()
            .next()
            .map(|(_, entry)| entry))
    }
}

/// `XRANGE` or `XREVRANGE` (`command`) of one partition's `stream` from `from` to `to`, its entries
/// with their positions.
async fn range(
    partition: &Partition,
    command: &'static str,
    stream: StreamOf,
    from: &str,
    to: &str,
    count: usize,
) -> Result<Vec<(Position, Entry)>, QueueError> {
    let mut conn = partition.conn();
    let reply: StreamRangeReply = partition
        .bounded(
            command,
            redis::cmd(command)
                .arg(stream(&partition.keys))
                .arg(from)
                .arg(to)
                .arg("COUNT")
                .arg(count)
                .query_async(&mut conn),
        )
        .await?;
    Ok(positioned(reply, partition.index))
}

fn positioned(reply: StreamRangeReply, partition: usize) -> Vec<(Position, Entry)> {
    reply
        .ids
        .into_iter()
        .map(entry)
        .filter_map(|entry| {
            let id = StreamId::parse(&entry.id)?;
            Some((Position { id, partition }, entry))
        })
        .collect()
}

fn finish(all: Vec<(Position, Entry)>, count: usize) -> Vec<Entry> {
    all.into_iter()
        .take(count)
        .map(|(position, mut entry)| {
            entry.id = position.to_string();
            entry
        })
        .collect()
}
