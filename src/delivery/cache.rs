//! The subscriptions every router and worker matches against, reloaded only when the
//! subscriptions version in Redis changes (one GET per batch), so a change is seen by the very
//! next batch in every process.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Mutex;

use crate::queue::{Queue, QueueError};
use crate::subscriptions::model::Subscription;

#[derive(Clone)]
pub struct SubscriptionCache {
    queue: Queue,
    state: Arc<Mutex<Snapshot>>,
}

#[derive(Default)]
struct Snapshot {
    version: Option<u64>,
    current: Arc<Subscriptions>,
}

/// All subscriptions at one version, in creation order and by id.
#[derive(Default)]
pub struct Subscriptions {
    pub all: Vec<Subscription>,
    by_id: HashMap<String, usize>,
}

impl Subscriptions {
    /// A snapshot of exactly these subscriptions.
    pub fn of(all: Vec<Subscription>) -> Subscriptions {
        let by_id = all
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        Subscriptions { all, by_id }
    }

    pub fn get(&self, id: &str) -> Option<&Subscription> {
        self.by_id.get(id).map(|&i| &self.all[i])
    }
}

impl SubscriptionCache {
    pub fn new(queue: Queue) -> SubscriptionCache {
        SubscriptionCache {
            queue,
            state: Arc::default(),
        }
    }

    /// The subscriptions as of now (reloaded if any changed since the last call).
    pub async fn current(&self) -> Result<Arc<Subscriptions>, QueueError> {
        let version = self.queue.subscriptions_version().await?;
        let mut state = self.state.lock().await;
        if state.version != Some(version) {
            let mut all = Vec::new();
            for record in self.queue.subscriptions_all().await? {
                match serde_json::from_str::<Subscription>(&record) {
                    Ok(subscription) => all.push(subscription),
                    Err(error) => tracing::error!(%error, "unreadable subscription record skipped"),
                }
            }
            state.current = Arc::new(Subscriptions::of(all));
            state.version = Some(version);
        }
        Ok(state.current.clone())
    }
}
