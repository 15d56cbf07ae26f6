//! A delivery job: one event for one subscription, as it travels through the deliveries stream,
//! the retry schedule and the dead-letter stream. It carries the event itself, so delivering never
//! depends on the events stream still holding it.

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
    /// The CloudEvent JSON exactly as stored: the request body.
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
            event: event_json.to_string(),
        }
    }

    /// The same job, ready for its next attempt.
    pub fn next_attempt(&self, first_attempt_at: DateTime<Utc>) -> Job {
        Job {
            attempt: self.attempt + 1,
            first_attempt_at: Some(first_attempt_at),
            ..self.clone()
        }
    }

    /// The same job starting over, for redrive and replay.
    pub fn fresh(&self) -> Job {
        Job {
            attempt: 1,
            first_attempt_at: None,
            ..self.clone()
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a job always serialises")
    }
}
