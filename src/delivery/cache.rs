//! The subscriptions every router and worker matches against, with their tenants' allowed sources,
//! reloaded only when the subscriptions version in Redis changes (one GET per batch; tenant changes
//! bump it too), so a change is seen by the very next batch in every process.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Mutex;

use crate::queue::{Queue, QueueError};
use crate::subscriptions::matching::{EventFacts, matches};
use crate::subscriptions::model::Subscription;
use crate::tenancy::Tenant;
use crate::tenancy::model::allows;

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

/// All subscriptions at one version, in creation order and by id, and each tenant's allowed
/// sources.
#[derive(Default)]
pub struct Subscriptions {
    pub all: Vec<Subscription>,
    by_id: HashMap<String, usize>,
    tenant_sources: HashMap<String, Vec<String>>,
}

impl Subscriptions {
    /// A snapshot of exactly these subscriptions and tenants.
    pub fn of(all: Vec<Subscription>, tenants: &[Tenant]) -> Subscriptions {
        let by_id = all
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        let tenant_sources = tenants
            .iter()
            .map(|t| (t.id.clone(), t.allowed_sources.clone()))
            .collect();
        Subscriptions {
            all,
            by_id,
            tenant_sources,
        }
    }

    /// The same tenants with only the subscriptions `keep` selects.
    pub fn only(&self, keep: impl Fn(&Subscription) -> bool) -> Subscriptions {
        let all: Vec<Subscription> = self.all.iter().filter(|s| keep(s)).cloned().collect();
        let by_id = all
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        Subscriptions {
            all,
            by_id,
            tenant_sources: self.tenant_sources.clone(),
        }
    }

    pub fn get(&self, id: &str) -> Option<&Subscription> {
        self.by_id.get(id).map(|&i| &self.all[i])
    }

    /// Whether the subscription's tenant may receive events of `source_id` (a subscription whose
    /// tenant is unknown receives nothing).
    pub fn tenant_allows(&self, subscription: &Subscription, source_id: &str) -> bool {
        self.tenant_sources
            .get(&subscription.tenant)
            .is_some_and(|allowed| allows(allowed, source_id))
    }

    /// The subscription's own filters and its tenant's allowed sources both admit the event.
    pub fn admits(&self, subscription: &Subscription, facts: &EventFacts) -> bool {
        matches(subscription, facts) && self.tenant_allows(subscription, facts.source_id)
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
            let mut tenants = Vec::new();
            for record in self.queue.tenants_all().await? {
                match crate::tenancy::service::decode(&record) {
                    Ok(tenant) => tenants.push(tenant),
                    Err(error) => tracing::error!(%error, "unreadable tenant record skipped"),
                }
            }
            state.current = Arc::new(Subscriptions::of(all, &tenants));
            state.version = Some(version);
        }
        Ok(state.current.clone())
    }
}
