//! Reading stored events, scoped: a tenant sees events of its allowed sources and its own test
//! pings.

use super::Recovery;
use crate::queue::{EventQuery, EventsPage, Visible, records};
use crate::services::error::ServiceError;
use crate::tenancy::{Call, Principal, Tenant};

impl Recovery<'_> {
    /// A page of events; `tenant` (admin keys) narrows to what that tenant would see.
    pub async fn events(
        &self,
        call: &Call,
        tenant: Option<&str>,
        mut query: EventQuery,
    ) -> Result<EventsPage, ServiceError> {
        query.visible = match (call.principal.list_scope(tenant), &call.principal) {
            (Err(_), _) => {
                return Ok(EventsPage {
                    events: Vec::new(),
                    next_cursor: None,
                });
            }
            (Ok(Some(id)), Principal::Admin { .. }) => Some(self.visibility_of(id).await?),
            _ => self.visibility(call).await?,
        };
        Ok(self.queue.events_page(&query).await?)
    }

    pub async fn event(&self, call: &Call, id: &str) -> Result<serde_json::Value, ServiceError> {
        Ok(self.event_in_partition(call, id).await?.0)
    }

    /// The event and where it is stored.
    pub(super) async fn event_in_partition(
        &self,
        call: &Call,
        id: &str,
    ) -> Result<(serde_json::Value, crate::queue::Position), ServiceError> {
        let (event, target, position) = self
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
        Ok((event, position))
    }

    /// `None` for an admin (everything).
    pub(super) async fn visibility(&self, call: &Call) -> Result<Option<Visible>, ServiceError> {
        match &call.principal {
            Principal::Admin { .. } => Ok(None),
            Principal::Tenant { tenant, .. } => self.visibility_of(&tenant.id).await.map(Some),
        }
    }

    /// What tenant `id` sees: its allowed sources and its own subscriptions' test pings (an
    /// unknown tenant: nothing).
    async fn visibility_of(&self, id: &str) -> Result<Visible, ServiceError> {
        let sources = match self.registry.tenant(id).await? {
            Some(record) => records::decode::<Tenant>("tenant", &record)?.allowed_sources,
            None => Vec::new(),
        };
        let all = self.all_subscriptions().await?;
        Ok(Visible {
            sources,
            targets: all
                .all
                .iter()
                .filter(|s| s.tenant == id)
                .map(|s| s.id.clone())
                .collect(),
        })
    }
}
