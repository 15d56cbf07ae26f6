//! Writing the audit log: every change made through the API, with who made it and the request's
//! correlation id. Entries hold ids and action names only, never a secret, key or header value.
//! A failed append is logged and counted (the change itself has happened and is answered).

use crate::queue::{AuditRecord, Registry};
use crate::tenancy::Call;

#[derive(Clone)]
pub struct AuditLog {
    pub registry: Registry,
    /// `api.audit_len`: about this many entries are kept.
    pub max_len: usize,
}

impl AuditLog {
    pub async fn record(&self, call: &Call, tenant: &str, action: &str, target: &str) {
        let record = AuditRecord {
            id: String::new(),
            at: crate::time::rfc3339(chrono::Utc::now()),
            actor: call.principal.actor(),
            tenant: tenant.to_string(),
            action: action.to_string(),
            target: target.to_string(),
            correlation_id: call.correlation_id.clone(),
        };
        if let Err(error) = self.registry.audit_append(&record, self.max_len).await {
            tracing::warn!(%error, action, target, "could not write the audit entry");
        }
    }
}
