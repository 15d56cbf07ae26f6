//! Partitions: every per-event key (events, jobs, retries, dead letters, dedupe markers) lives
//! under the hash tag of one of `redis.partitions` partitions, so that a Redis Cluster spreads them
//! over its masters while each request's dedupe and append stay one atomic script in one slot.
//!
//! A request's partition follows from its ordering key (the subject of its first event, else its
//! dedupe key), so a provider's retry lands where the first try did, and one subject's events share
//! a partition (the room ordered delivery needs). Tags are chosen, not numbered: `{shiprelay:0}` to
//! `{shiprelay:7}` hash to slots that land 2/4/2 on a 3-master cluster, so partition `n`'s tag is
//! the first of `prefix:n`, `prefix:n.1`, `prefix:n.2`, ... whose slot lies near the middle of the
//! `n`-th of N equal slot ranges: the partitions then spread as evenly as the masters' ranges allow.

use sha2::{Digest, Sha256};

use super::Queue;
use super::keys::hashed_if_long;

const SLOTS: usize = 16_384;

/// The hash tag of partition `index` of `count`: see the module docs.
pub fn tag(prefix: &str, index: usize, count: usize) -> String {
    let width = SLOTS / count.max(1);
    let middle = index * SLOTS / count.max(1) + width / 2;
    let near = (width / 8).max(1);
    (0u32..)
        .map(|k| match k {
            0 => format!("{prefix}:{index}"),
            k => format!("{prefix}:{index}.{k}"),
        })
        .find(|tag| usize::from(slot_of(tag)).abs_diff(middle) <= near)
        .expect("some suffix hashes near any slot")
}

/// The cluster slot of keys under this hash tag (Redis hashes the text between the braces).
pub fn slot_of(tag: &str) -> u16 {
    crc16::State::<crc16::XMODEM>::calculate(tag.as_bytes()) % SLOTS as u16
}

/// A request's ordering key: the subject of its first event, else its dedupe key.
pub fn ordering_key<'a>(events: &'a [crate::event::Event], dedupe_key: &'a str) -> &'a str {
    events
        .first()
        .and_then(|event| event.subject.as_deref())
        .unwrap_or(dedupe_key)
}

/// Which of `count` partitions a request with this ordering key goes to.
pub fn partition_of(ordering_key: &str, count: usize) -> usize {
    let digest = Sha256::digest(ordering_key.as_bytes());
    let head = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    (head % count.max(1) as u64) as usize
}

/// The keys of one partition.
#[derive(Debug, Clone)]
pub struct PartKeys {
    tag: String,
}

impl PartKeys {
    pub fn new(tag: String) -> PartKeys {
        PartKeys { tag }
    }

    fn key(&self, name: &str) -> String {
        format!("{{{}}}:{name}", self.tag)
    }

    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// Stream of normalised events (field `event` holds the CloudEvent JSON); no consumer group:
    /// jobs and routing entries reference its entries.
    pub fn events(&self) -> String {
        self.key("events")
    }

    /// Event id -> its entry id in the events stream, for lookups by id.
    pub fn event_index(&self, event_id: &str) -> String {
        self.key(&format!("event:{event_id}"))
    }

    /// Events still to be fanned out by a router (field `e`: the event's entry id); consumer group
    /// `route`. Only events the enqueue could not fan out itself land here.
    pub fn routing(&self) -> String {
        self.key("routing")
    }

    /// This partition's copy of the subscriptions version: the enqueue fans out itself only when
    /// its snapshot has this version.
    pub fn subscriptions_version(&self) -> String {
        self.key("subscriptions:version")
    }

    /// Delivery jobs, one per (event, subscription); consumer group `deliver`.
    pub fn deliveries(&self) -> String {
        self.key("deliveries")
    }

    /// Jobs waiting for their next attempt, scored by due time (ms).
    pub fn retry(&self) -> String {
        self.key("retry")
    }

    /// Jobs that exhausted their attempts (or whose subscription is disabled), with the reason.
    pub fn dead(&self) -> String {
        self.key("dead")
    }

    /// Written by an enqueue of repeats only, when waiting for replicas: it gives `WAIT` a write of
    /// this client to wait for.
    pub fn replication_mark(&self) -> String {
        self.key("replication-mark")
    }

    /// Written by readiness checks: a partition is ready when its master takes a write.
    pub fn probe(&self) -> String {
        self.key("probe")
    }

    /// One subject's lane of an ordered subscription: the jobs of that subject in accepted order,
    /// the first being the one out for delivery (elements `<seq>|e|<event entry>` or
    /// `<seq>|j|<job JSON>`).
    pub fn lane(&self, subscription_id: &str, subject: &str) -> String {
        self.key(&format!(
            "lane:{subscription_id}:{}",
            hashed_if_long(subject)
        ))
    }

    /// The counter that orders lane elements (replays and redrives join a lane's tail).
    pub fn lane_seq(&self) -> String {
        self.key("lane-seq")
    }

    /// A subscription's jobs waiting behind their lane's head (member: lane sequence number) or
    /// on its rate limit (member: `<event id>:<attempt>`), scored by when they were accepted (ms).
    pub fn waiting(&self, subscription_id: &str, reason: Waiting) -> String {
        let reason = match reason {
            Waiting::Lane => "lane",
            Waiting::Rate => "rate",
        };
        self.key(&format!("waiting:{subscription_id}:{reason}"))
    }

    /// Marker that a provider event was accepted; its value is the JSON array of our event ids.
    pub fn seen(&self, source: &str, dedupe_key: &str) -> String {
        self.key(&format!("seen:{source}:{}", hashed_if_long(dedupe_key)))
    }
}

/// Why a job waits (see [`PartKeys::waiting`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    Lane,
    Rate,
}

/// The queue as one partition sees it: per-event operations run here, on this partition's keys.
#[derive(Clone)]
pub struct Partition {
    pub(super) queue: Queue,
    pub index: usize,
    pub(super) keys: PartKeys,
}

impl Partition {
    pub(super) fn conn(&self) -> super::conn::Conn {
        self.queue.conn()
    }

    pub(super) async fn bounded<T>(
        &self,
        name: &'static str,
        op: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, super::QueueError> {
        self.queue.bounded(name, op).await
    }

    pub(super) async fn timed<T>(
        &self,
        op: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, super::QueueError> {
        self.queue.timed(op).await
    }

    pub(super) fn counted<T>(
        &self,
        op: &'static str,
        result: Result<T, super::QueueError>,
    ) -> Result<T, super::QueueError> {
        self.queue.counted(op, result)
    }

    pub(super) async fn oldest_id(
        &self,
        stream: &str,
    ) -> Result<Option<super::StreamId>, super::QueueError> {
        self.queue.oldest_id(stream).await
    }

    pub(super) fn scripts(&self) -> &super::Scripts {
        &self.queue.scripts
    }

    /// Whether this partition lives on a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        self.queue.is_cluster()
    }

    /// The same partition on a connection of its own, for a loop that blocks on XREADGROUP.
    pub fn dedicated(&self) -> Result<Partition, super::QueueError> {
        Ok(Partition {
            queue: self.queue.dedicated()?,
            ..self.clone()
        })
    }

    /// The same partition on a connection of its own with the usual bounds.
    pub fn separate(&self) -> Result<Partition, super::QueueError> {
        Ok(Partition {
            queue: self.queue.separate()?,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Masters of a default `redis-cli --cluster create` with `masters` nodes: equal ranges.
    fn master_of(slot: u16, masters: usize) -> usize {
        (usize::from(slot) * masters / SLOTS).min(masters - 1)
    }

    #[test]
    fn partitions_spread_evenly_over_the_masters() {
        for (count, masters, most) in [(8, 3, 3), (16, 3, 6), (8, 4, 2), (6, 3, 2), (3, 3, 1)] {
            let mut per_master = vec![0; masters];
            let tags: Vec<String> = (0..count).map(|n| tag("shiprelay", n, count)).collect();
            for t in &tags {
                per_master[master_of(slot_of(t), masters)] += 1;
            }
            assert!(
                per_master
                    .iter()
                    .all(|&n| n <= most && n >= count / masters),
                "{count} partitions on {masters} masters: {per_master:?}"
            );
            let mut unique = tags.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), count);
        }
        // The naive tags do not: this is why they are chosen.
        let naive: Vec<usize> = (0..8)
            .map(|n| master_of(slot_of(&format!("shiprelay:{n}")), 3))
            .collect();
        assert!((0..3).any(|m| naive.iter().filter(|&&x| x == m).count() >= 4));
    }

    #[test]
    fn slots_are_the_ones_redis_computes() {
        // `CLUSTER KEYSLOT {foo}:x` and `CLUSTER KEYSLOT 123456789` on a real Redis.
        assert_eq!(slot_of("foo"), 12182);
        assert_eq!(slot_of("123456789"), 12739);
    }

    #[test]
    fn tags_are_stable_and_carry_the_prefix() {
        assert_eq!(tag("shiprelay", 3, 8), tag("shiprelay", 3, 8));
        assert!(tag("p", 0, 1).starts_with("p:0"));
        let keys = PartKeys::new(tag("shiprelay", 2, 8));
        assert!(keys.events().starts_with("{shiprelay:2"));
        assert!(keys.events().ends_with("}:events"));
    }

    #[test]
    fn a_key_always_goes_to_the_same_partition_and_keys_spread() {
        assert_eq!(partition_of("usps:9400", 8), partition_of("usps:9400", 8));
        let mut counts = [0; 8];
        for i in 0..8000 {
            counts[partition_of(&format!("shipment-{i}"), 8)] += 1;
        }
        assert!(
            counts.iter().all(|&c| (800..1200).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(partition_of("anything", 1), 0);
    }
}
