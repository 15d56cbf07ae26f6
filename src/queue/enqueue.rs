//! Enqueueing provider requests: dedupe and append in one atomic script, and group commit.
//!
//! Under load many provider requests are waiting on Redis at once. Sending each as its own script
//! call makes Redis pay a round trip, a script invocation and an AOF write per request, and that,
//! not the work itself, was the ingest bottleneck. The [`Enqueuer`] therefore hands requests to one
//! task that sends whatever has gathered while the previous call was in flight as one call. One
//! call per HTTP worker thread at a time makes the batches largest: with four overlapping, the
//! benchmark spent 15 % more Redis CPU per request at 64 senders and had a higher p99 (the worker
//! threads' calls still overlap, so Redis is not idle). An idle relay sends a request at once, so
//! nothing waits for a batch to fill.
//!
//! With `redis.wait_replicas` = R, a batch is answered only once R replicas acknowledged it
//! (`WAIT` on the connection that wrote, after the script: WAIT cannot run inside one); fewer in
//! `redis.wait_timeout_ms` is a 503 for every request of the batch. Their events are stored, so
//! the provider's resend is a repeat, answered 200 once a replica has it.
//!
//! Each request keeps its own guarantees inside a batch: it is deduplicated on its own key, and its
//! events are all written or none are. The batch as a whole is one script, so it is all-or-nothing
//! too: an error or an out-of-memory refusal fails every request in it, each of which then answers
//! 503 and is resent by its provider.

use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc, oneshot};

use super::{Partition, Queue, QueueError};
use crate::event::Event;

/// Requests sent in one script call at most.
const MAX_BATCH_REQUESTS: usize = 128;
/// A call takes no more requests once it holds this many bytes of events.
const MAX_BATCH_BYTES: usize = 1 << 20;
/// Script calls in flight at once, per HTTP worker thread.
const MAX_CALLS_IN_FLIGHT: usize = 1;
/// Requests waiting for a call; beyond this, handlers wait to hand theirs over.
const WAITING: usize = 4096;

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
    /// Per event, in order: the ids of the subscriptions it goes to.
    pub targets: Vec<Vec<String>>,
}

/// One provider request, serialised and ready for the script.
struct Request {
    seen_key: String,
    dedupe_ttl_secs: u64,
    ids_json: String,
    /// Per event: its id-index key, id, type and CloudEvent JSON.
    events: Vec<[String; 4]>,
    /// Per event: the subscriptions it goes to, and the snapshot version they are from.
    fan_out: Option<FanOut>,
}

impl Request {
    fn new(
        partition: &Partition,
        source: &str,
        dedupe_key: &str,
        events: &[Event],
        dedupe_ttl_secs: u64,
        fan_out: Option<FanOut>,
    ) -> Result<Request, QueueError> {
        let events_len = events.len();
        let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
        let ids_json = serde_json::to_string(&ids).map_err(|e| QueueError::Reply(e.to_string()))?;
        let events = events
            .iter()
            .map(|event| {
                let json =
                    serde_json::to_string(event).map_err(|e| QueueError::Reply(e.to_string()))?;
                Ok([
                    partition.keys.event_index(&event.id),
                    event.id.clone(),
                    event.event_type.as_str().to_string(),
                    json,
                ])
            })
            .collect::<Result<_, QueueError>>()?;
        Ok(Request {
            seen_key: partition.keys.seen(source, dedupe_key),
            dedupe_ttl_secs,
            ids_json,
            events,
            fan_out: fan_out.filter(|f| f.targets.len() == events_len),
        })
    }

    fn bytes(&self) -> usize {
        self.events.iter().map(|e| e[3].len()).sum()
    }
}

impl Partition {
    /// Enqueues several requests in one script call; whether the snapshot was current, and one
    /// outcome per request, in order.
    async fn enqueue_batch(&self, requests: &[Request]) -> Result<Batch, QueueError> {
        // One version per call: requests with different snapshots (rare) are routed later.
        let version = requests
            .first()
            .and_then(|r| r.fan_out.as_ref())
            .map(|f| f.version)
            .filter(|v| {
                requests
                    .iter()
                    .all(|r| r.fan_out.as_ref().map(|f| f.version) == Some(*v))
            });
        let mut invocation = self.scripts.enqueue.prepare_invoke();
        invocation
            .key(self.keys.events())
            .key(self.keys.deliveries())
            .key(self.keys.routing())
            .key(self.keys.subscriptions_version())
            .arg(self.index_ttl_secs)
            .arg(u8::from(self.replication.is_some()))
            .arg(version.map(|v| v.to_string()).unwrap_or_default());
        for request in requests {
            invocation
                .key(&request.seen_key)
                .arg(request.dedupe_ttl_secs)
                .arg(request.events.len())
                .arg(&request.ids_json);
            for (i, [index_key, id, event_type, json]) in request.events.iter().enumerate() {
                invocation.key(index_key).arg(id).arg(event_type).arg(json);
                let targets = match (&request.fan_out, version) {
                    (Some(fan_out), Some(_)) => fan_out.targets[i].as_slice(),
                    _ => &[],
                };
                invocation.arg(targets.len());
                for target in targets {
                    invocation.arg(target);
                }
            }
        }
        invocation.key(self.keys.replication_mark());
        let mut conn = self.conn.clone();
        let reply: Vec<redis::Value> = self
            .bounded("enqueue script", invocation.invoke_async(&mut conn))
            .await?;
        let mut reply = reply.into_iter();
        let current = reply
            .next()
            .and_then(|v| redis::from_redis_value::<i64>(v).ok())
            == Some(1);
        let reply: Vec<(i64, String)> = reply
            .collect::<Vec<_>>()
            .chunks(2)
            .filter_map(|pair| match pair {
                [fresh, ids] => Some((
                    redis::from_redis_value_ref::<i64>(fresh).ok()?,
                    redis::from_redis_value_ref::<String>(ids).ok()?,
                )),
                _ => None,
            })
            .collect();
        if let Some((wanted, timeout_ms)) = self.replication {
            // On the connection that wrote, to the partition's master: WAIT counts the replicas
            // that have this client's writes (a batch of repeats wrote the replication mark, so it
            // waits too: the first acceptance may not have reached a replica yet).
            let wait = redis::cmd("WAIT").arg(wanted).arg(timeout_ms).to_owned();
            let events = self.keys.events();
            let acked: u64 = self
                .bounded("WAIT", conn.on_master_of(&events, &wait))
                .await?;
            if acked < u64::from(wanted) {
                let error = QueueError::NotReplicated { acked, wanted };
                return self.counted("WAIT", Err(error));
            }
        }
        if reply.len() != requests.len() {
            return Err(QueueError::Reply(format!(
                "{} outcomes for {} requests",
                reply.len(),
                requests.len()
            )));
        }
        let outcomes = reply
            .into_iter()
            .map(|(fresh, stored)| {
                let ids: Vec<String> = serde_json::from_str(&stored).map_err(|e| {
                    QueueError::Reply(format!("seen value is not a JSON id list: {e}"))
                })?;
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
}

/// What one script call did.
struct Batch {
    /// The snapshot the jobs were planned with was older than the partition's version: its events
    /// went to the routing stream, and the caller should refresh its snapshot.
    stale: bool,
    outcomes: Vec<Enqueued>,
}

/// What the enqueue of one request did, and whether its subscriptions snapshot was stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnqueueOutcome {
    pub enqueued: Enqueued,
    pub snapshot_stale: bool,
}

struct Waiting {
    request: Request,
    reply: oneshot::Sender<Result<EnqueueOutcome, QueueError>>,
}

/// Enqueues provider requests through one group-commit task per partition (see the module
/// docs), each on a connection of its own: a `WAIT` blocks only its partition's connection.
#[derive(Clone)]
pub struct Enqueuer {
    partitions: Arc<[PartitionEnqueuer]>,
}

#[derive(Clone)]
struct PartitionEnqueuer {
    partition: Partition,
    /// Script calls in flight, from callers and the task together.
    calls: Arc<Semaphore>,
    waiting: mpsc::Sender<Waiting>,
}

impl Enqueuer {
    /// Starts the tasks that send the batches; they end when the last `Enqueuer` is dropped.
    /// Must be called within a Tokio runtime.
    pub fn spawn(queue: Queue) -> Result<Enqueuer, QueueError> {
        let partitions = queue
            .partitions()
            .map(|partition| {
                let partition = partition.separate()?;
                let (waiting, receiver) = mpsc::channel(WAITING);
                let calls = Arc::new(Semaphore::new(MAX_CALLS_IN_FLIGHT));
                tokio::spawn(send_batches(partition.clone(), calls.clone(), receiver));
                Ok(PartitionEnqueuer {
                    partition,
                    calls,
                    waiting,
                })
            })
            .collect::<Result<_, QueueError>>()?;
        Ok(Enqueuer { partitions })
    }

    /// Stores `events` (and the jobs `fan_out` plans for them) in the partition of their ordering
    /// key unless `dedupe_key` was seen from `source` within `ttl_secs`, in one call with whatever
    /// other requests are waiting. Bounded by the Redis command timeout as a whole; a request that
    /// gives up is not sent later.
    pub async fn enqueue(
        &self,
        source: &str,
        dedupe_key: &str,
        events: &[Event],
        ttl_secs: u64,
        fan_out: Option<FanOut>,
    ) -> Result<EnqueueOutcome, QueueError> {
        let ordering_key = super::partition::ordering_key(events, dedupe_key);
        let index = super::partition::partition_of(ordering_key, self.partitions.len());
        let request = Request::new(
            &self.partitions[index].partition,
            source,
            dedupe_key,
            events,
            ttl_secs,
            fan_out,
        )?;
        self.partitions[index].enqueue(request).await
    }
}

impl PartitionEnqueuer {
    async fn enqueue(&self, request: Request) -> Result<EnqueueOutcome, QueueError> {
        // With a call to spare (the task takes freed calls first when it has requests waiting),
        // the request goes at once from here: no hand-over, so an idle relay adds no latency.
        if let Ok(_call) = self.calls.try_acquire() {
            let batch = self.partition.enqueue_batch(&[request]).await?;
            let snapshot_stale = batch.stale;
            return batch
                .outcomes
                .into_iter()
                .next()
                .map(|enqueued| EnqueueOutcome {
                    enqueued,
                    snapshot_stale,
                })
                .ok_or_else(|| QueueError::Reply("no outcome for the request".into()));
        }
        let (reply, outcome) = oneshot::channel();
        let handed_over = async {
            self.waiting
                .send(Waiting { request, reply })
                .await
                .map_err(|_| QueueError::Reply("the enqueue task has stopped".into()))?;
            outcome
                .await
                .map_err(|_| QueueError::Reply("the enqueue task dropped the request".into()))?
        };
        match tokio::time::timeout(self.partition.timeout, handed_over).await {
            Ok(result) => result,
            Err(_) => self.partition.counted(
                "enqueue script",
                Err(QueueError::Timeout(self.partition.timeout)),
            ),
        }
    }
}

async fn send_batches(
    partition: Partition,
    calls: Arc<Semaphore>,
    mut receiver: mpsc::Receiver<Waiting>,
) {
    while let Some(first) = receiver.recv().await {
        let permit = calls
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        // Everything that arrived while waiting for the permit goes in this call.
        let mut bytes = first.request.bytes();
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH_REQUESTS && bytes < MAX_BATCH_BYTES {
            match receiver.try_recv() {
                Ok(next) => {
                    bytes += next.request.bytes();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        batch.retain(|w| !w.reply.is_closed());
        if batch.is_empty() {
            continue;
        }
        let partition = partition.clone();
        tokio::spawn(async move {
            let (requests, replies): (Vec<_>, Vec<_>) =
                batch.into_iter().map(|w| (w.request, w.reply)).unzip();
            match partition.enqueue_batch(&requests).await {
                Ok(batch) => {
                    for (reply, enqueued) in replies.into_iter().zip(batch.outcomes) {
                        let _ = reply.send(Ok(EnqueueOutcome {
                            enqueued,
                            snapshot_stale: batch.stale,
                        }));
                    }
                }
                Err(error) => {
                    for reply in replies {
                        let _ = reply.send(Err(error.clone()));
                    }
                }
            }
            drop(permit);
        });
    }
}
