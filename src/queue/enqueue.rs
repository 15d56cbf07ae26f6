//! Enqueueing provider requests: group commit into one atomic script call (`enqueue_batch.rs`).
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

use super::enqueue_batch::{EnqueueOutcome, FanOut, Request};
use super::{Queue, QueueError};
use crate::event::Event;

/// Requests sent in one script call at most.
const MAX_BATCH_REQUESTS: usize = 128;
/// A call takes no more requests once it holds this many bytes of events.
const MAX_BATCH_BYTES: usize = 1 << 20;
/// Script calls in flight at once, per HTTP worker thread.
const MAX_CALLS_IN_FLIGHT: usize = 1;
/// Requests waiting for a call; beyond this, handlers wait to hand theirs over.
const WAITING: usize = 4096;

struct Waiting {
    request: Request,
    reply: oneshot::Sender<Result<EnqueueOutcome, QueueError>>,
}

/// Enqueues provider requests through group-commit lanes, each a task with a connection of its
/// own: on one Redis a single lane takes every partition's requests (one script may touch any
/// key there, so batches stay as large as before partitions); on a cluster a lane per partition
/// (a script touches one slot), so a `WAIT` also holds up only its partition.
#[derive(Clone)]
pub struct Enqueuer {
    queue: Queue,
    lanes: Arc<[Lane]>,
}

#[derive(Clone)]
struct Lane {
    queue: Queue,
    /// Script calls in flight, from callers and the task together.
    calls: Arc<Semaphore>,
    waiting: mpsc::Sender<Waiting>,
}

impl Enqueuer {
    /// Starts the lanes' tasks; they end when the last `Enqueuer` is dropped. Must be called
    /// within a Tokio runtime.
    pub fn spawn(queue: Queue) -> Result<Enqueuer, QueueError> {
        let count = if queue.is_cluster() {
            queue.partition_count()
        } else {
            1
        };
        let lanes = (0..count)
            .map(|_| {
                let lane_queue = queue.separate()?;
                let (waiting, receiver) = mpsc::channel(WAITING);
                let calls = Arc::new(Semaphore::new(MAX_CALLS_IN_FLIGHT));
                tokio::spawn(send_batches(lane_queue.clone(), calls.clone(), receiver));
                Ok(Lane {
                    queue: lane_queue,
                    calls,
                    waiting,
                })
            })
            .collect::<Result<_, QueueError>>()?;
        Ok(Enqueuer { queue, lanes })
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
        let partition = self.queue.partition_for(ordering_key);
        let request = Request::new(&partition, source, dedupe_key, events, ttl_secs, fan_out)?;
        self.lanes[request.partition % self.lanes.len()]
            .enqueue(request)
            .await
    }
}

impl Lane {
    async fn enqueue(&self, request: Request) -> Result<EnqueueOutcome, QueueError> {
        // With a call to spare (the task takes freed calls first when it has requests waiting),
        // the request goes at once from here: no hand-over, so an idle relay adds no latency.
        if let Ok(_call) = self.calls.try_acquire() {
            let batch = self.queue.enqueue_batch(&[request]).await?;
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
        match tokio::time::timeout(self.queue.timeout, handed_over).await {
            Ok(result) => result,
            Err(_) => self.queue.counted(
                "enqueue script",
                Err(QueueError::Timeout(self.queue.timeout)),
            ),
        }
    }
}

async fn send_batches(queue: Queue, calls: Arc<Semaphore>, mut receiver: mpsc::Receiver<Waiting>) {
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
        let queue = queue.clone();
        tokio::spawn(async move {
            let (requests, replies): (Vec<_>, Vec<_>) =
                batch.into_iter().map(|w| (w.request, w.reply)).unzip();
            match queue.enqueue_batch(&requests).await {
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
