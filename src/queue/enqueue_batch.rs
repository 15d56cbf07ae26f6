//! One enqueue script call: a batch of provider requests, each deduplicated on its own key, its
//! events stored once in its partition and fanned out there when its snapshot is current (see
//! `deliveries.lua`, entry `enqueue`); then, with `redis.wait_replicas`, the `WAIT` on the connection that wrote.

use super::{Partition, Queue, QueueError};
use crate::event::Event;

/// What the atomic enqueue did for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    /// New: these event ids were appended.
    Accepted(Vec<String>),
    /// Seen before: nothing was written; these are the ids it was first accepted as.
    Duplicate(Vec<String>),
}

/// The subscriptions each event of a request goes to, per a snapshot of this version: the enqueue
/// writes their jobs itself when the partition's copy of the version is this one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FanOut {
    pub version: u64,
    /// Per event, in order: the subscriptions it goes to.
    pub targets: Vec<Vec<super::Target>>,
}

/// What the enqueue of one request did, and whether its subscriptions snapshot was stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnqueueOutcome {
    pub enqueued: Enqueued,
    pub snapshot_stale: bool,
}

/// One provider request, serialised and ready for the script.
pub(super) struct Request {
    /// Its partition's events, deliveries and routing streams, version copy and lane counter.
    partition_keys: [String; 5],
    /// `WAIT` goes to the master holding this (the events stream's slot).
    pub(super) partition: usize,
    seen_key: String,
    dedupe_ttl_secs: u64,
    ids_json: String,
    /// Per event: its id-index key and CloudEvent JSON.
    events: Vec<(String, String)>,
    /// Per event and ordered target: its lane and its subscription's lane waiting set.
    lane_keys: Vec<Vec<[String; 2]>>,
    /// Per event: the subscriptions it goes to, and the snapshot version they are from.
    fan_out: Option<FanOut>,
    replication_mark: String,
}

impl Request {
    pub(super) fn new(
        partition: &Partition,
        source: &str,
        dedupe_key: &str,
        events: &[Event],
        dedupe_ttl_secs: u64,
        fan_out: Option<FanOut>,
    ) -> Result<Request, QueueError> {
        let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
        let ids_json = serde_json::to_string(&ids).map_err(|e| QueueError::Reply(e.to_string()))?;
        let stored = events
            .iter()
            .map(|event| {
                let json =
                    serde_json::to_string(event).map_err(|e| QueueError::Reply(e.to_string()))?;
                Ok((partition.keys.event_index(&event.id), json))
            })
            .collect::<Result<_, QueueError>>()?;
        let keys = &partition.keys;
        let fan_out = fan_out.filter(|f| f.targets.len() == events.len());
        let lane_keys = events
            .iter()
            .enumerate()
            .map(|(i, _)| {
                fan_out
                    .as_ref()
                    .map(|f| lanes_of(keys, &f.targets[i]))
                    .unwrap_or_default()
            })
            .collect();
        Ok(Request {
            partition_keys: [
                keys.events(),
                keys.deliveries(),
                keys.routing(),
                keys.subscriptions_version(),
                keys.lane_seq(),
            ],
            partition: partition.index,
            seen_key: keys.seen(source, dedupe_key),
            dedupe_ttl_secs,
            ids_json,
            fan_out,
            events: stored,
            lane_keys,
            replication_mark: keys.replication_mark(),
        })
    }

    pub(super) fn bytes(&self) -> usize {
        self.events.iter().map(|(_, json)| json.len()).sum()
    }
}

/// The lane and lane waiting set of each ordered target, in order.
pub(super) fn lanes_of(
    keys: &super::partition::PartKeys,
    targets: &[super::Target],
) -> Vec<[String; 2]> {
    targets
        .iter()
        .filter_map(|t| {
            let subject = t.lane.as_deref()?;
            Some([
                keys.lane(&t.subscription_id, subject),
                keys.waiting(&t.subscription_id, super::Waiting::Lane),
            ])
        })
        .collect()
}

/// What one script call did.
pub(super) struct Batch {
    /// A snapshot the jobs were planned with was older than its partition's version: those
    /// events went to the routing stream, and the caller should refresh its snapshot.
    pub(super) stale: bool,
    pub(super) outcomes: Vec<Enqueued>,
}

impl Queue {
    /// Enqueues several requests in one script call (on a cluster, all of one partition);
    /// whether every snapshot was current, and one outcome per request, in order.
    pub(super) async fn enqueue_batch(&self, requests: &[Request]) -> Result<Batch, QueueError> {
        let Some(first) = requests.first() else {
            return Ok(Batch {
                stale: false,
                outcomes: Vec::new(),
            });
        };
        let mut invocation = self.scripts.enqueue.prepare_invoke();
        invocation
            .arg(self.index_ttl_secs)
            .arg(u8::from(self.replication.is_some()))
            .arg(chrono::Utc::now().timestamp_millis());
        for request in requests {
            for key in &request.partition_keys {
                invocation.key(key);
            }
            invocation
                .key(&request.seen_key)
                .arg(
                    request
                        .fan_out
                        .as_ref()
                        .map(|f| f.version.to_string())
                        .unwrap_or_default(),
                )
                .arg(request.dedupe_ttl_secs)
                .arg(request.events.len())
                .arg(&request.ids_json);
            for (i, (index_key, json)) in request.events.iter().enumerate() {
                invocation.key(index_key).arg(json);
                for [lane, waiting] in &request.lane_keys[i] {
                    invocation.key(lane).key(waiting);
                }
                let targets = request
                    .fan_out
                    .as_ref()
                    .map_or(&[][..], |f| f.targets[i].as_slice());
                invocation.arg(targets.len());
                for target in targets {
                    invocation
                        .arg(&target.subscription_id)
                        .arg(target.lane.as_deref().unwrap_or(""));
                }
            }
        }
        invocation.key(&first.replication_mark);
        let mut conn = self.conn.clone();
        let reply: Vec<redis::Value> = self
            .bounded("enqueue script", invocation.invoke_async(&mut conn))
            .await?;
        if let Some((wanted, timeout_ms)) = self.replication {
            // On the connection that wrote, to the master that took it: WAIT counts the replicas
            // that have this client's writes (a batch of repeats wrote the replication mark, so it
            // waits too: the first acceptance may not have reached a replica yet).
            let wait = redis::cmd("WAIT").arg(wanted).arg(timeout_ms).to_owned();
            let acked: u64 = self
                .bounded("WAIT", conn.on_master_of(&first.partition_keys[0], &wait))
                .await?;
            if acked < u64::from(wanted) {
                let error = QueueError::NotReplicated { acked, wanted };
                return self.counted("WAIT", Err(error));
            }
        }
        outcomes(reply, requests.len())
    }
}

/// The script's reply: the staleness flag, then (stored, ids) per request.
fn outcomes(reply: Vec<redis::Value>, requests: usize) -> Result<Batch, QueueError> {
    let mut reply = reply.into_iter();
    let current = reply
        .next()
        .and_then(|v| redis::from_redis_value::<i64>(v).ok())
        == Some(1);
    let rest: Vec<redis::Value> = reply.collect();
    if rest.len() != 2 * requests {
        return Err(QueueError::Reply(format!(
            "{} outcomes for {requests} requests",
            rest.len() / 2
        )));
    }
    let outcomes = rest
        .chunks(2)
        .map(|pair| {
            let fresh = redis::from_redis_value_ref::<i64>(&pair[0])
                .map_err(|e| QueueError::Reply(e.to_string()))?;
            let stored = redis::from_redis_value_ref::<String>(&pair[1])
                .map_err(|e| QueueError::Reply(e.to_string()))?;
            let ids: Vec<String> = serde_json::from_str(&stored)
                .map_err(|e| QueueError::Reply(format!("seen value is not a JSON id list: {e}")))?;
            Ok(if fresh == 1 {
                Enqueued::Accepted(ids)
            } else {
                Enqueued::Duplicate(ids)
            })
        })
        .collect::<Result<_, QueueError>>()?;
    Ok(Batch {
        stale: !current,
        outcomes,
    })
}
