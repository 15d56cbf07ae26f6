//! Tenants and their keys through the API (admin keys only), the upgrade that gives data written
//! before tenants existed to tenant `default`, and the audit entries of every change.

use chrono::{DateTime, Utc};

use crate::queue::{Queue, Registry, TenantDelete, Updated, records};
use crate::services::audit::AuditLog;
use crate::services::error::ServiceError;
use crate::tenancy::keys::{SHOWN_PREFIX_CHARS, digest, new_key};
use crate::tenancy::model::{
    self, CreateKey, CreateTenant, CreatedKey, DEFAULT_TENANT, Tenant, TenantKey, UpdateTenant,
};
use crate::tenancy::{Call, validate};

pub struct Tenants<'a> {
    pub queue: &'a Queue,
    pub registry: &'a Registry,
    pub audit: &'a AuditLog,
    pub known_sources: &'a [String],
}

impl Tenants<'_> {
    fn sources(&self) -> Vec<&str> {
        self.known_sources.iter().map(String::as_str).collect()
    }

    pub async fn create(
        &self,
        call: &Call,
        request: CreateTenant,
        now: DateTime<Utc>,
    ) -> Result<Tenant, ServiceError> {
        call.principal.require_admin()?;
        validate::validate_create(&request, &self.sources()).map_err(ServiceError::Invalid)?;
        let tenant = model::create_tenant(request, now);
        if !self
            .registry
            .tenant_create(&tenant.id, now.timestamp_millis(), &encode(&tenant)?)
            .await?
        {
            return Err(ServiceError::Conflict(format!(
                "a tenant with id `{}` exists",
                tenant.id
            )));
        }
        self.audit
            .record(call, &tenant.id, "tenant.created", &tenant.id)
            .await;
        Ok(tenant)
    }

    pub async fn list(&self, call: &Call) -> Result<Vec<Tenant>, ServiceError> {
        call.principal.require_admin()?;
        self.registry
            .tenants_all()
            .await?
            .iter()
            .map(|r| decode(r))
            .collect()
    }

    pub async fn get(&self, call: &Call, id: &str) -> Result<Tenant, ServiceError> {
        call.principal.require_admin()?;
        self.load(id).await?.ok_or(ServiceError::NotFound)
    }

    /// A tenant record, for internal use (no scope check).
    pub async fn load(&self, id: &str) -> Result<Option<Tenant>, ServiceError> {
        match self.registry.tenant(id).await? {
            Some(record) => decode(&record).map(Some),
            None => Ok(None),
        }
    }

    pub async fn update(
        &self,
        call: &Call,
        id: &str,
        update: UpdateTenant,
        now: DateTime<Utc>,
    ) -> Result<Tenant, ServiceError> {
        call.principal.require_admin()?;
        validate::validate_update(&update, &self.sources()).map_err(ServiceError::Invalid)?;
        let change = |tenant: &mut Tenant| model::apply_tenant_update(tenant, update.clone(), now);
        match self.registry.tenant_update(id, change).await? {
            Updated::Changed { after, .. } => {
                self.audit.record(call, id, "tenant.updated", id).await;
                Ok(after)
            }
            Updated::Missing => Err(ServiceError::NotFound),
            Updated::Contended => Err(ServiceError::Contended),
        }
    }

    pub async fn delete(&self, call: &Call, id: &str) -> Result<(), ServiceError> {
        call.principal.require_admin()?;
        match self.registry.tenant_delete(id).await? {
            TenantDelete::Deleted => {
                self.audit.record(call, id, "tenant.deleted", id).await;
                Ok(())
            }
            TenantDelete::NotFound => Err(ServiceError::NotFound),
            TenantDelete::HasSubscriptions => Err(ServiceError::Conflict(
                "the tenant still has subscriptions: delete them first".into(),
            )),
        }
    }

    /// The tenant a new subscription goes to; `default` is created on demand.
    pub async fn owner(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Tenant>, ServiceError> {
        if id == DEFAULT_TENANT {
            return self.ensure_default(now).await.map(Some);
        }
        self.load(id).await
    }

    /// Tenant `default` (every source), created when missing.
    pub async fn ensure_default(&self, now: DateTime<Utc>) -> Result<Tenant, ServiceError> {
        if let Some(tenant) = self.load(DEFAULT_TENANT).await? {
            return Ok(tenant);
        }
        let tenant = Tenant::default_tenant(now);
        self.registry
            .tenant_create(&tenant.id, now.timestamp_millis(), &encode(&tenant)?)
            .await?;
        Ok(self.load(DEFAULT_TENANT).await?.unwrap_or(tenant))
    }

    pub async fn create_key(
        &self,
        call: &Call,
        tenant: &str,
        request: CreateKey,
        now: DateTime<Utc>,
        random: [u8; 32],
        id_random: u128,
    ) -> Result<CreatedKey, ServiceError> {
        call.principal.require_admin()?;
        validate::validate_key(&request).map_err(ServiceError::Invalid)?;
        let key = new_key(random);
        let record = TenantKey {
            id: format!(
                "key_{}",
                ulid::Ulid::from_parts(now.timestamp_millis().max(0) as u64, id_random)
            ),
            tenant: tenant.to_string(),
            role: request.role,
            label: request.label.unwrap_or_default(),
            prefix: key.expose().chars().take(SHOWN_PREFIX_CHARS).collect(),
            created_at: now,
            last_used_at: None,
        };
        let json = records::encode(&record)?;
        if !self
            .registry
            .key_create(tenant, &record.id, &digest(key.expose()), &json)
            .await?
        {
            return Err(ServiceError::NotFound);
        }
        self.audit
            .record(call, tenant, "key.created", &record.id)
            .await;
        Ok(CreatedKey {
            id: record.id,
            key: key.expose().to_string(),
            role: record.role,
            label: record.label,
            created_at: now,
        })
    }

    pub async fn list_keys(
        &self,
        call: &Call,
        tenant: &str,
    ) -> Result<Vec<TenantKey>, ServiceError> {
        call.principal.require_admin()?;
        if self.load(tenant).await?.is_none() {
            return Err(ServiceError::NotFound);
        }
        let mut keys: Vec<TenantKey> = Vec::new();
        for (record, last_used) in self.registry.keys_of(tenant).await? {
            let mut key: TenantKey = records::decode("key", &record)?;
            key.last_used_at = last_used.and_then(DateTime::from_timestamp_millis);
            keys.push(key);
        }
        keys.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(keys)
    }

    pub async fn revoke_key(
        &self,
        call: &Call,
        tenant: &str,
        key_id: &str,
    ) -> Result<(), ServiceError> {
        call.principal.require_admin()?;
        if !self.registry.key_revoke(tenant, key_id).await? {
            return Err(ServiceError::NotFound);
        }
        self.audit.record(call, tenant, "key.revoked", key_id).await;
        Ok(())
    }

    /// A page of the audit log, newest first (admin only).
    pub async fn audit(
        &self,
        call: &Call,
        tenant: Option<&str>,
        before: Option<crate::queue::StreamId>,
        size: usize,
    ) -> Result<(Vec<crate::queue::AuditRecord>, Option<String>), ServiceError> {
        call.principal.require_admin()?;
        Ok(self.registry.audit_page(before, size, tenant).await?)
    }

    /// Upgrade of data written before tenants existed: every subscription is in its tenant's
    /// index, and tenant `default` exists when any subscription belongs to it. Idempotent.
    pub async fn adopt_existing(
        &self,
        subscriptions: &[crate::subscriptions::model::Subscription],
        now: DateTime<Utc>,
    ) -> Result<usize, ServiceError> {
        let mut adopted = 0;
        if subscriptions.iter().any(|s| s.tenant == DEFAULT_TENANT) {
            self.ensure_default(now).await?;
        }
        for subscription in subscriptions {
            self.registry
                .index_subscription(
                    &subscription.tenant,
                    &subscription.id,
                    subscription.created_at.timestamp_millis(),
                )
                .await?;
            adopted += 1;
        }
        Ok(adopted)
    }
}

fn encode(tenant: &Tenant) -> Result<String, ServiceError> {
    Ok(records::encode(tenant)?)
}

pub fn decode(record: &str) -> Result<Tenant, ServiceError> {
    Ok(records::decode("tenant", record)?)
}
