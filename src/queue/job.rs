//! A delivery job: one event for one subscription, as it travels through a partition's deliveries
//! stream, its retry schedule and its dead letters.
//!
//! Jobs reference their event (its entry id in the same partition's events stream) instead of
//! carrying it, so fanning an event out to ten subscriptions writes ten small entries, not ten
//! copies: a first attempt is just `e` (event entry) and `s` (subscription) fields; a scheduled
//! retry is this struct's JSON without the event. Dead letters carry the event itself, so they
//! outlive the events' retention; so do jobs an earlier version wrote.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub event_id: String,
    pub subscription_id: String,
    /// The attempt this job makes next (1-based).
    pub attempt: u32,
    /// When the first attempt was made; `None` before it.
    pub first_attempt_at: Option<DateTime<Utc>>,
    /// The event's subject and time, for ordered delivery per subject later.
    pub subject: Option<String>,
    pub event_time: DateTime<Utc>,
    /// When shiprelay received the event: delivery lag is measured from here.
    pub received_at: DateTime<Utc>,
    /// The event's entry id in the events stream of the job's partition, when the job references
    /// it rather than carrying it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_entry: Option<String>,
    /// The subject of the lane the job heads, when its subscription wants order per subject (see
    /// `deliveries.lua`): settling it lets the lane's next job out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lane: Option<String>,
    /// The slot (ms, Redis's clock) its rate limit reserved for this attempt, when it was parked
    /// to wait for it: it is attempted then without reserving again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_slot_ms: Option<i64>,
    /// The CloudEvent JSON exactly as stored: the request body. Empty in a stored reference;
    /// filled in when the job is taken.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub event: String,
}

impl Job {
    /// A first-attempt job for `subscription_id` from a stored event.
    pub fn first(event: &crate::event::EventHead, event_json: &str, subscription_id: &str) -> Job {
        Job {
            event_id: event.id.clone(),
            subscription_id: subscription_id.to_string(),
            attempt: 1,
            first_attempt_at: None,
            subject: event.subject.clone(),
            event_time: event.time,
            received_at: event.data.provider.received_at,
            event_entry: None,
            lane: None,
            rate_slot_ms: None,
            event: event_json.to_string(),
        }
    }

    /// Its member in its subscription's rate waiting set, while it waits for a reserved slot.
    pub fn rate_waiting_member(&self) -> Option<String> {
        self.rate_slot_ms
            .map(|_| format!("{}:{}", self.event_id, self.attempt))
    }

    /// The same job, ready for its next attempt.
    pub fn next_attempt(&self, first_attempt_at: DateTime<Utc>) -> Job {
        Job {
            attempt: self.attempt + 1,
            first_attempt_at: Some(first_attempt_at),
            rate_slot_ms: None,
            ..self.clone()
        }
    }

    /// The same job starting over, for redrive and replay.
    pub fn fresh(&self) -> Job {
        Job {
            attempt: 1,
            first_attempt_at: None,
            lane: None,
            rate_slot_ms: None,
            ..self.clone()
        }
    }

    /// The whole job, its event included (a dead letter).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a job always serialises")
    }

    /// The job as it is scheduled: without its event when it references one.
    pub fn scheduled_json(&self) -> String {
        if self.event_entry.is_some() {
            serde_json::to_string(&Job {
                event: String::new(),
                ..self.clone()
            })
            .expect("a job always serialises")
        } else {
            self.to_json()
        }
    }
}

/// A subscription an event goes to, with the lane its job joins when the subscription wants order
/// per subject (the event's subject; `None`: unordered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub subscription_id: String,
    pub lane: Option<String>,
}

impl Target {
    /// An unordered target.
    pub fn unordered(subscription_id: impl Into<String>) -> Target {
        Target {
            subscription_id: subscription_id.into(),
            lane: None,
        }
    }
}

/// A first attempt as a partition's deliveries stream holds it: an event entry and a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRef {
    pub event_entry: String,
    pub subscription_id: String,
    /// The lane it joins (its event's subject), when its subscription wants order per subject.
    pub lane: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> Job {
        Job {
            event_id: "evt_01".into(),
            subscription_id: "sub_\"a\"".into(),
            attempt: 2,
            first_attempt_at: Some("2026-03-10T14:30:01Z".parse().unwrap()),
            subject: Some("usps:9400\"quoted\"".into()),
            event_time: "2026-03-10T14:28:00Z".parse().unwrap(),
            received_at: "2026-03-10T14:30:00.123456Z".parse().unwrap(),
            event_entry: Some("1700000000000-3".into()),
            lane: Some("usps:9400".into()),
            rate_slot_ms: Some(1_700_000_000_050),
            event: r#"{"id":"evt_01","data":{"note":"a \"quote\" and \u00e9"}}"#.into(),
        }
    }

    #[test]
    fn a_scheduled_reference_leaves_its_event_out_and_a_dead_letter_keeps_it() {
        let job = job();
        let scheduled: Job = serde_json::from_str(&job.scheduled_json()).unwrap();
        assert_eq!(scheduled.event, "");
        assert_eq!(scheduled.event_entry, job.event_entry);
        assert_eq!(
            Job {
                event: job.event.clone(),
                ..scheduled
            },
            job
        );
        let whole: Job = serde_json::from_str(&job.to_json()).unwrap();
        assert_eq!(whole, job);
        // A job that carries its event (an earlier version's) keeps it when scheduled.
        let carried = Job {
            event_entry: None,
            ..job.clone()
        };
        let back: Job = serde_json::from_str(&carried.scheduled_json()).unwrap();
        assert_eq!(back, carried);
    }

    #[test]
    fn jobs_an_earlier_version_wrote_still_read() {
        let old = r#"{"event_id":"evt_01","subscription_id":"sub_a","attempt":1,"first_attempt_at":null,"subject":null,"event_time":"2026-03-10T14:28:00Z","received_at":"2026-03-10T14:30:00Z","event":"{}"}"#;
        let job: Job = serde_json::from_str(old).unwrap();
        assert_eq!(job.event_entry, None);
        assert_eq!(job.event, "{}");
    }
}
