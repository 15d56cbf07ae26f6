//! The two consumer groups as the router and the workers see them: typed entries taken from a
//! partition's routing stream (group `route`) and deliveries stream (group `deliver`), new or
//! reclaimed from a consumer that stopped answering, with the events they reference read from the
//! events stream. Stream names, group names and entry fields stay here.

use std::collections::HashMap;

use redis::streams::StreamRangeReply;

use super::stream::entry;
use super::{DELIVER_GROUP, Entry, Job, Partition, QueueError, ROUTE_GROUP};

/// An event to route.
#[derive(Debug, Clone)]
pub struct RoutableEvent {
    /// The routing entry (acknowledged once the event's jobs are written).
    pub entry_id: String,
    /// The event's entry id in the events stream.
    pub event_entry: String,
    /// The CloudEvent JSON; `None` when the event is gone or unreadable (acknowledged without
    /// jobs).
    pub json: Option<String>,
}

/// A delivery job taken from the deliveries stream.
#[derive(Debug, Clone)]
pub struct JobEntry {
    pub entry_id: String,
    /// `None` when the entry cannot be read as a job (it is discarded).
    pub job: Option<Job>,
    /// The job references an event that is no longer stored (past `redis.events_retention_secs`).
    pub event_gone: bool,
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

    /// The stored events with these entry ids (one pipelined call); missing ones are left out.
    pub(super) async fn events_at(
        &self,
        ids: impl Iterator<Item = &str>,
    ) -> Result<HashMap<String, Entry>, QueueError> {
        let mut pipe = redis::pipe();
        let mut wanted = Vec::new();
        for id in ids {
            if wanted.iter().any(|w| w == id) {
                continue;
            }
            pipe.cmd("XRANGE").arg(self.keys.events()).arg(id).arg(id);
            wanted.push(id.to_string());
        }
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        let mut conn = self.conn();
        let replies: Vec<StreamRangeReply> = self
            .bounded("XRANGE events", pipe.query_async(&mut conn))
            .await?;
        Ok(replies
            .into_iter()
            .flat_map(|reply| reply.ids)
            .map(entry)
            .map(|entry| (entry.id.clone(), entry))
            .collect())
    }

    /// Events for the router.
    pub async fn take_events(
        &self,
        consumer: &str,
        take: Take,
        count: usize,
    ) -> Result<Vec<RoutableEvent>, QueueError> {
        let entries = self
            .take(&self.keys.routing(), ROUTE_GROUP, consumer, take, count)
            .await?;
        let mut events = self
            .events_at(
                entries
                    .iter()
                    .filter_map(|e| e.fields.get("e").map(String::as_str)),
            )
            .await?;
        Ok(entries
            .into_iter()
            .map(|mut entry| {
                let event_entry = entry.fields.remove("e").unwrap_or_default();
                RoutableEvent {
                    json: events
                        .get_mut(&event_entry)
                        .and_then(|e| e.fields.remove("event")),
                    event_entry,
                    entry_id: entry.id,
                }
            })
            .collect())
    }

    /// Jobs for a worker, with the events they reference.
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
        let jobs: Vec<(String, Option<Job>)> = entries
            .into_iter()
            .map(|entry| (entry.id.clone(), stored_job(&entry)))
            .collect();
        let referenced = jobs
            .iter()
            .filter_map(|(_, job)| job.as_ref())
            .filter(|job| job.event.is_empty())
            .filter_map(|job| job.event_entry.as_deref());
        let events = self.events_at(referenced).await?;
        Ok(jobs
            .into_iter()
            .map(|(entry_id, job)| resolve(entry_id, job, &events))
            .collect())
    }
}

/// A job as stored: a first attempt's reference (`e`, `s`, and `l`, its lane's subject, when it
/// heads a lane), or a job's JSON (`job`).
fn stored_job(entry: &Entry) -> Option<Job> {
    if let Some(json) = entry.fields.get("job") {
        return serde_json::from_str(json).ok();
    }
    let (event_entry, subscription_id) = (entry.fields.get("e")?, entry.fields.get("s")?);
    // The rest comes from the event when it is read.
    Some(Job {
        event_id: String::new(),
        subscription_id: subscription_id.clone(),
        attempt: 1,
        first_attempt_at: None,
        subject: None,
        event_time: chrono::DateTime::UNIX_EPOCH,
        received_at: chrono::DateTime::UNIX_EPOCH,
        event_entry: Some(event_entry.clone()),
        lane: entry.fields.get("l").cloned(),
        rate_slot_ms: None,
        event: String::new(),
    })
}

/// The job with its event filled in from `events`.
fn resolve(entry_id: String, job: Option<Job>, events: &HashMap<String, Entry>) -> JobEntry {
    let Some(mut job) = job else {
        return JobEntry {
            entry_id,
            job: None,
            event_gone: false,
        };
    };
    if !job.event.is_empty() {
        return JobEntry {
            entry_id,
            job: Some(job),
            event_gone: false,
        };
    }
    let stored = job
        .event_entry
        .as_ref()
        .and_then(|id| events.get(id))
        .and_then(|entry| entry.fields.get("event"));
    let Some(json) = stored else {
        return JobEntry {
            entry_id,
            job: Some(job),
            event_gone: true,
        };
    };
    if job.event_id.is_empty() {
        // A first attempt's reference: its facts come from the event.
        match serde_json::from_str::<crate::event::EventHead>(json) {
            Ok(head) => {
                let first = Job::first(&head, json, &job.subscription_id);
                job = Job {
                    event_entry: job.event_entry,
                    lane: job.lane,
                    ..first
                };
            }
            Err(_) => {
                return JobEntry {
                    entry_id,
                    job: None,
                    event_gone: false,
                };
            }
        }
    } else {
        job.event = json.clone();
    }
    JobEntry {
        entry_id,
        job: Some(job),
        event_gone: false,
    }
}
