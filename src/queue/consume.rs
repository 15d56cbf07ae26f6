//! The two consumer groups as the router and the workers see them: typed entries taken from the
//! events stream (group `route`) and the deliveries stream (group `deliver`), new or reclaimed from
//! a consumer that stopped answering. Stream names, group names and entry fields stay here.

use super::{DELIVER_GROUP, Entry, Job, Partition, QueueError, ROUTE_GROUP};

/// An event to route.
#[derive(Debug, Clone)]
pub struct RoutableEvent {
    pub entry_id: String,
    /// The CloudEvent JSON; `None` for an entry without one (acknowledged without jobs).
    pub json: Option<String>,
    /// A test ping's one subscription.
    pub target: Option<String>,
}

/// A delivery job taken from the deliveries stream.
#[derive(Debug, Clone)]
pub struct JobEntry {
    pub entry_id: String,
    /// `None` when the entry cannot be read as a job (it is discarded).
    pub job: Option<Job>,
}

/// Which entries to take: new ones (waiting up to `block_ms`), or those pending longer than
/// `min_idle_ms` with a consumer that stopped.
#[derive(Debug, Clone, Copy)]
pub enum Take {
    New { block_ms: u64 },
    Stale { min_idle_ms: u64 },
}

impl Partition {
    async fn take(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        take: Take,
        count: usize,
    ) -> Result<Vec<Entry>, QueueError> {
        match take {
            Take::New { block_ms } => {
                self.read_group(stream, group, consumer, count, block_ms)
                    .await
            }
            Take::Stale { min_idle_ms } => {
                self.claim_stale(stream, group, consumer, min_idle_ms, count)
                    .await
            }
        }
    }

    /// Events for the router.
    pub async fn take_events(
        &self,
        consumer: &str,
        take: Take,
        count: usize,
    ) -> Result<Vec<RoutableEvent>, QueueError> {
        let entries = self
            .take(&self.keys.events(), ROUTE_GROUP, consumer, take, count)
            .await?;
        Ok(entries
            .into_iter()
            .map(|mut entry| RoutableEvent {
                json: entry.fields.remove("event"),
                target: entry.fields.remove("target"),
                entry_id: entry.id,
            })
            .collect())
    }

    /// Jobs for a worker.
    pub async fn take_jobs(
        &self,
        consumer: &str,
        take: Take,
        count: usize,
    ) -> Result<Vec<JobEntry>, QueueError> {
        let entries = self
            .take(
                &self.keys.deliveries(),
                DELIVER_GROUP,
                consumer,
                take,
                count,
            )
            .await?;
        Ok(entries
            .into_iter()
            .map(|entry| JobEntry {
                job: entry
                    .fields
                    .get("job")
                    .and_then(|json| serde_json::from_str(json).ok()),
                entry_id: entry.id,
            })
            .collect())
    }
}
