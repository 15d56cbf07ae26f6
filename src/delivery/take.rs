//! The take stage: a partition's delivery jobs come off its deliveries stream in batches, new
//! ones (blocking for a second) or, every half visibility timeout, those a stopped worker left
//! pending; each is sorted once by what its subscription's state says should become of it.

use std::time::Duration;

use crate::queue::{Job, JobEntry, Partition, Take};
use crate::routing::snapshot::Subscriptions;
use crate::shutdown::Shutdown;

const BLOCK_MS: u64 = 1000;
const MAX_BATCH: usize = 100;

/// A job taken from the deliveries stream.
pub struct Taken {
    pub entry_id: String,
    pub job: Job,
}

/// What a taken entry is, decided once from the batch's subscriptions snapshot.
pub enum Sorted {
    /// The entry (this stream id) cannot be read as a job.
    Unreadable(String),
    /// Its event is no longer stored (its subscription's tenant, when it still has one).
    EventGone(Taken, Option<String>),
    /// Its subscription's record is damaged: it waits until it can be read again.
    SubscriptionUnreadable(Taken),
    Deleted(Taken),
    /// Its subscription is disabled (its tenant).
    Disabled(Taken, String),
    /// To attempt.
    Active(Taken),
}

/// Sorts a taken entry by its subscription's state: the one place that state is read.
pub fn sort(entry: JobEntry, subscriptions: &Subscriptions) -> Sorted {
    let Some(job) = entry.job else {
        return Sorted::Unreadable(entry.entry_id);
    };
    let subscription = subscriptions.get(&job.subscription_id);
    let taken = Taken {
        entry_id: entry.entry_id,
        job,
    };
    if entry.event_gone {
        return Sorted::EventGone(taken, subscription.map(|s| s.tenant.clone()));
    }
    if subscriptions
        .unreadable
        .contains(&taken.job.subscription_id)
    {
        return Sorted::SubscriptionUnreadable(taken);
    }
    match subscription {
        None => Sorted::Deleted(taken),
        Some(s) if !s.enabled => Sorted::Disabled(taken, s.tenant.clone()),
        Some(_) => Sorted::Active(taken),
    }
}

/// Reads one partition's jobs for one consumer.
pub struct Taker {
    pub reader: Partition,
    pub consumer: String,
    pub visibility_timeout: Duration,
    last_claim: tokio::time::Instant,
}

impl Taker {
    pub fn new(reader: Partition, consumer: String, visibility_timeout: Duration) -> Taker {
        Taker {
            reader,
            consumer,
            visibility_timeout,
            last_claim: tokio::time::Instant::now(),
        }
    }

    /// The next batch (empty when there was none, or the read failed and was logged).
    pub async fn next(&mut self, shutdown: &mut Shutdown) -> Vec<JobEntry> {
        let claim_due = self.last_claim.elapsed() >= self.visibility_timeout / 2;
        let take = if claim_due {
            self.last_claim = tokio::time::Instant::now();
            Take::Stale {
                min_idle_ms: self.visibility_timeout.as_millis() as u64,
            }
        } else {
            Take::New { block_ms: BLOCK_MS }
        };
        match self.reader.take_jobs(&self.consumer, take, MAX_BATCH).await {
            Ok(entries) => entries,
            Err(error) => {
                tracing::error!(%error, "reading delivery jobs failed; retrying shortly");
                shutdown.sleep(Duration::from_millis(500)).await;
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::secret::Secret;
    use crate::subscriptions::model::{CreateSubscription, create};

    fn subscription(id: &str, enabled: bool) -> crate::subscriptions::model::Subscription {
        let request = CreateSubscription {
            url: "https://hooks.example.com/".into(),
            events: vec!["*".into()],
            enabled: Some(enabled),
            ..CreateSubscription::default()
        };
        create(
            request,
            id.into(),
            Secret::new("whsec_x"),
            DateTime::<Utc>::MIN_UTC,
        )
    }

    fn entry(subscription_id: &str, readable: bool, event_gone: bool) -> JobEntry {
        let job = Job {
            event_id: "evt_1".into(),
            subscription_id: subscription_id.into(),
            attempt: 1,
            first_attempt_at: None,
            subject: None,
            event_time: DateTime::<Utc>::MIN_UTC,
            received_at: DateTime::<Utc>::MIN_UTC,
            event_entry: None,
            lane: None,
            rate_slot_ms: None,
            event: "{}".into(),
        };
        JobEntry {
            entry_id: "1-0".into(),
            job: readable.then_some(job),
            event_gone,
        }
    }

    #[test]
    fn each_job_is_sorted_by_its_subscriptions_state_once() {
        let mut all = Subscriptions::of(
            vec![subscription("sub_on", true), subscription("sub_off", false)],
            &[],
        );
        all.unreadable.insert("sub_damaged".into());
        let sorted = |e| sort(e, &all);
        assert!(matches!(
            sorted(entry("sub_on", true, false)),
            Sorted::Active(_)
        ));
        assert!(matches!(
            sorted(entry("sub_off", true, false)),
            Sorted::Disabled(_, tenant) if tenant == crate::tenancy::DEFAULT_TENANT
        ));
        assert!(matches!(
            sorted(entry("sub_gone", true, false)),
            Sorted::Deleted(_)
        ));
        assert!(matches!(
            sorted(entry("sub_damaged", true, false)),
            Sorted::SubscriptionUnreadable(_)
        ));
        assert!(matches!(
            sorted(entry("sub_on", false, false)),
            Sorted::Unreadable(id) if id == "1-0"
        ));
        // A lost event is dead-lettered whatever the subscription's state, with its tenant.
        assert!(matches!(
            sorted(entry("sub_on", true, true)),
            Sorted::EventGone(_, Some(_))
        ));
        assert!(matches!(
            sorted(entry("sub_gone", true, true)),
            Sorted::EventGone(_, None)
        ));
    }
}
