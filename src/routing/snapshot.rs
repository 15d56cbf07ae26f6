//! The subscriptions every router and worker matches against, with their tenants' allowed sources,
//! reloaded only when the subscriptions version in Redis changes (one GET per batch; tenant changes
//! bump it too), so a change is seen by the very next batch in every process.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::Mutex;

use crate::queue::{Queue, QueueError, Registry, records};
use crate::subscriptions::matching::{EventFacts, matches};
use crate::subscriptions::model::Subscription;
use crate::tenancy::Tenant;
use crate::tenancy::model::allows;

#[derive(Clone)]
pub struct SubscriptionCache {
    registry: Registry,
    state: Arc<Mutex<Snapshot>>,
    /// `shiprelay_unreadable_records_total{kind}`, counted at each reload that finds one.
    unreadable_counter: Option<prometheus::IntCounterVec>,
}

#[derive(Default)]
struct Snapshot {
    version: Option<u64>,
    /// When the version was last compared with Redis's.
    checked_at: Option<std::time::Instant>,
    current: Arc<Subscriptions>,
}

/// All subscriptions at one version, in creation order and by id, and each tenant's allowed
/// sources.
#[derive(Default)]
pub struct Subscriptions {
    pub all: Vec<Subscription>,
    by_id: HashMap<String, usize>,
    tenant_sources: HashMap<String, Vec<String>>,
    /// Each tenant's `maxDeliveriesPerSecond`, when it has one.
    tenant_rates: HashMap<String, u32>,
    /// Ids whose record exists but cannot be read: not deleted, so their jobs must wait.
    pub unreadable: HashSet<String>,
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
        let tenant_rates = tenants
            .iter()
            .filter_map(|t| {
                Some((
                    t.id.clone(),
                    t.max_deliveries_per_second.filter(|&r| r > 0)?,
                ))
            })
            .collect();
        Subscriptions {
            all,
            by_id,
            tenant_sources,
            tenant_rates,
            unreadable: HashSet::new(),
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
            tenant_rates: self.tenant_rates.clone(),
            unreadable: self.unreadable.clone(),
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

    /// The subscription's own rate limit and its tenant's (per second), when either has one.
    pub fn rate_limits(&self, subscription: &Subscription) -> Option<(Option<u32>, Option<u32>)> {
        let tenant = self.tenant_rates.get(&subscription.tenant).copied();
        (subscription.rate_limit_per_second.is_some() || tenant.is_some())
            .then_some((subscription.rate_limit_per_second, tenant))
    }

    /// The subscription's own filters and its tenant's allowed sources both admit the event.
    pub fn admits(&self, subscription: &Subscription, facts: &EventFacts) -> bool {
        matches(subscription, facts) && self.tenant_allows(subscription, facts.source_id)
    }
}

impl SubscriptionCache {
    pub fn new(queue: Queue) -> SubscriptionCache {
        SubscriptionCache {
            registry: queue.registry(),
            state: Arc::default(),
            unreadable_counter: None,
        }
    }

    /// The same cache, counting unreadable records it finds.
    pub fn counting_unreadable(mut self, counter: prometheus::IntCounterVec) -> SubscriptionCache {
        self.unreadable_counter = Some(counter);
        self
    }

    /// The subscriptions as of now (reloaded if any changed since the last call).
    pub async fn current(&self) -> Result<Arc<Subscriptions>, QueueError> {
        Ok(self.current_versioned().await?.0)
    }

    /// The snapshot and its version, compared with Redis's at most every `max_age` (the enqueue's
    /// version check makes an older snapshot safe: it only means the router fans out instead);
    /// `None` when Redis cannot be asked.
    pub async fn recent(&self, max_age: std::time::Duration) -> Option<(Arc<Subscriptions>, u64)> {
        {
            let state = self.state.lock().await;
            if let (Some(version), Some(at)) = (state.version, state.checked_at)
                && at.elapsed() < max_age
            {
                return Some((state.current.clone(), version));
            }
        }
        self.current_versioned().await.ok()
    }

    /// Makes the next [`SubscriptionCache::recent`] ask Redis.
    pub async fn expire(&self) {
        self.state.lock().await.checked_at = None;
    }

    async fn current_versioned(&self) -> Result<(Arc<Subscriptions>, u64), QueueError> {
        let version = self.registry.subscriptions_version().await?;
        let mut state = self.state.lock().await;
        state.checked_at = Some(std::time::Instant::now());
        if state.version != Some(version) {
            let (mut all, mut unreadable) = (Vec::new(), HashSet::new());
            for (id, record) in self.registry.subscriptions_all().await? {
                match serde_json::from_str::<Subscription>(&record) {
                    Ok(subscription) => all.push(subscription),
                    Err(error) => {
                        tracing::error!(subscription_id = %id, %error, "unreadable subscription record: not routed to, its jobs wait");
                        if let Some(counter) = &self.unreadable_counter {
                            counter.with_label_values(&["subscription"]).inc();
                        }
                        unreadable.insert(id);
                    }
                }
            }
            let mut tenants = Vec::new();
            for record in self.registry.tenants_all().await? {
                match records::decode::<Tenant>("tenant", &record) {
                    Ok(tenant) => tenants.push(tenant),
                    Err(error) => tracing::error!(%error, "unreadable tenant record skipped"),
                }
            }
            let mut current = Subscriptions::of(all, &tenants);
            current.unreadable = unreadable;
            state.current = Arc::new(current);
            state.version = Some(version);
        }
        Ok((state.current.clone(), version))
    }
}
