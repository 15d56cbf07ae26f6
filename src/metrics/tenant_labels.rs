//! The `tenant` label of the per-tenant metrics, bounded: the first `max` tenants a process sees
//! get a label of their own, every later one is counted under [`OTHER`]. The decision is the pure
//! [`choose`]; [`TenantLabels`] only keeps the set of tenants admitted so far.

use std::collections::HashSet;
use std::sync::Mutex;

/// The label of every tenant past the cap. Tenant ids are `[a-z0-9-]`, so no tenant can be
/// called this: a tenant named `other` keeps a series of its own.
pub const OTHER: &str = "_other";

/// What becomes of a tenant's label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Seen before: it has its label.
    Own,
    /// New, and there is room: it gets its label from now on.
    Admit,
    /// New, and `max` tenants have labels already: counted under [`OTHER`].
    Other,
}

/// The label decision for `tenant`, given the tenants admitted so far and the cap.
pub fn choose(admitted: &HashSet<String>, max: usize, tenant: &str) -> Choice {
    if admitted.contains(tenant) {
        Choice::Own
    } else if admitted.len() < max {
        Choice::Admit
    } else {
        Choice::Other
    }
}

/// The tenants that have a label of their own in this process (at most `max`).
#[derive(Debug)]
pub struct TenantLabels {
    max: usize,
    admitted: Mutex<HashSet<String>>,
}

impl TenantLabels {
    pub fn new(max: usize) -> TenantLabels {
        TenantLabels {
            max,
            admitted: Mutex::new(HashSet::new()),
        }
    }

    /// The label to count `tenant` under; admits it when there is room. A tenant that is not
    /// known (its subscription is already gone) is counted under [`OTHER`].
    pub fn label(&self, tenant: Option<&str>) -> String {
        let Some(tenant) = tenant else {
            return OTHER.to_string();
        };
        let mut admitted = self
            .admitted
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match choose(&admitted, self.max, tenant) {
            Choice::Own => tenant.to_string(),
            Choice::Admit => {
                admitted.insert(tenant.to_string());
                tenant.to_string()
            }
            Choice::Other => OTHER.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(tenants: &[&str]) -> HashSet<String> {
        tenants.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn a_known_tenant_keeps_its_label_even_at_the_cap() {
        assert_eq!(choose(&set(&["acme", "bolt"]), 2, "acme"), Choice::Own);
        assert_eq!(choose(&set(&["acme", "bolt"]), 0, "bolt"), Choice::Own);
    }

    #[test]
    fn a_new_tenant_is_admitted_below_the_cap_and_is_other_at_it() {
        assert_eq!(choose(&set(&[]), 1, "acme"), Choice::Admit);
        assert_eq!(choose(&set(&["acme"]), 2, "bolt"), Choice::Admit);
        assert_eq!(choose(&set(&["acme", "bolt"]), 2, "cargo"), Choice::Other);
        assert_eq!(choose(&set(&[]), 0, "acme"), Choice::Other);
    }

    #[test]
    fn the_first_n_tenants_seen_get_labels_and_the_rest_share_other() {
        let labels = TenantLabels::new(2);
        let seen: Vec<String> = ["acme", "bolt", "cargo", "acme", "dray", "bolt"]
            .into_iter()
            .map(|t| labels.label(Some(t)))
            .collect();
        assert_eq!(seen, ["acme", "bolt", OTHER, "acme", OTHER, "bolt"]);
    }

    #[test]
    fn a_tenant_called_other_is_not_the_overflow() {
        let labels = TenantLabels::new(1);
        assert_eq!(labels.label(Some("other")), "other");
        assert_eq!(labels.label(Some("acme")), OTHER);
        assert_ne!(labels.label(Some("other")), OTHER);
    }

    #[test]
    fn an_unknown_tenant_is_other_and_takes_no_place() {
        let labels = TenantLabels::new(1);
        assert_eq!(labels.label(None), OTHER);
        assert_eq!(labels.label(Some("acme")), "acme");
    }
}
