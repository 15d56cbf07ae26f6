//! Reading stored events, scoped: a tenant sees events of its allowed sources and its own test
//! pings.

use super::Recovery;
use crate::queue::{EventQuery, EventsPage, Visible};
use crate::service_error::ServiceError;
use crate::tenancy::{Call, Principal};

impl Recovery<'_> {
    pub async fn events(
        &self,
        call: &Call,
        mut query: EventQuery,
    ) -> Result<EventsPage, ServiceError> {
        query.visible = self.visibility(call).await?;
        Ok(self.queue.events_page(&query).await?)
    }

    pub async fn event(&self, call: &Call, id: &str) -> Result<serde_json::Value, ServiceError> {
        let (event, target) = self
            .queue
            .event_by_id(id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if let Some(visible) = self.visibility(call).await? {
            let source = event.get("source").and_then(|v| v.as_str()).unwrap_or("");
            if !visible.admits(source, target.as_deref()) {
                return Err(ServiceError::NotFound);
            }
        }
        Ok(event)
    }

    /// `None` for an admin (everything).
    pub(super) async fn visibility(&self, call: &Call) -> Result<Option<Visible>, ServiceError> {
        let Principal::Tenant { tenant, .. } = &call.principal else {
            return Ok(None);
        };
        let own = self.visible(call).await?;
        Ok(Some(Visible {
            sources: tenant.allowed_sources.clone(),
            targets: own.all.iter().map(|s| s.id.clone()).collect(),
        }))
    }
}
