//! Tenants and their API keys as stored and as the API shows them. Pure: ids, keys and times come
//! from the caller.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The tenant that owns subscriptions created before tenants existed, and those an admin creates
/// without naming one.
pub const DEFAULT_TENANT: &str = "default";
pub const DEFAULT_MAX_SUBSCRIPTIONS: u32 = 100;

/// A team that subscribes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    /// `[a-z0-9-]{1,64}`, chosen by the admin.
    pub id: String,
    pub name: String,
    /// Source ids whose events its subscriptions may receive and its keys may read; `["*"]` all,
    /// empty none.
    pub allowed_sources: Vec<String>,
    pub max_subscriptions: u32,
    /// Deliveries per second across all of its subscriptions; none: no cap.
    #[serde(default)]
    pub max_deliveries_per_second: Option<u32>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

impl Tenant {
    /// The tenant created on demand for single-team setups and upgraded data: every source.
    pub fn default_tenant(now: DateTime<Utc>) -> Tenant {
        Tenant {
            id: DEFAULT_TENANT.into(),
            name: "Default".into(),
            allowed_sources: vec!["*".into()],
            max_subscriptions: DEFAULT_MAX_SUBSCRIPTIONS,
            max_deliveries_per_second: None,
            created_at: now,
            updated_at: None,
        }
    }

    /// Whether events of `source_id` are this tenant's to receive and read.
    pub fn allows_source(&self, source_id: &str) -> bool {
        allows(&self.allowed_sources, source_id)
    }
}

/// `["*"]` admits every source; otherwise exactly the listed ones.
pub fn allows(allowed: &[String], source_id: &str) -> bool {
    allowed.iter().any(|s| s == "*" || s == source_id)
}

/// `POST /v1/tenants` body.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateTenant {
    #[schema(pattern = "^[a-z0-9-]{1,64}$", example = "warehouse")]
    pub id: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Default: none (`[]`); `["*"]` for every source.
    #[schema(max_items = 50)]
    pub allowed_sources: Option<Vec<String>>,
    /// Default 100.
    #[schema(minimum = 0, maximum = 100000)]
    pub max_subscriptions: Option<u32>,
    #[schema(minimum = 1, maximum = 100000)]
    pub max_deliveries_per_second: Option<u32>,
}

/// `PATCH /v1/tenants/{id}` body: absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateTenant {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(max_items = 50)]
    pub allowed_sources: Option<Vec<String>>,
    #[schema(minimum = 0, maximum = 100000)]
    pub max_subscriptions: Option<u32>,
    /// `null` keeps the cap; `0` removes it.
    #[schema(minimum = 0, maximum = 100000)]
    pub max_deliveries_per_second: Option<u32>,
}

pub fn create_tenant(request: CreateTenant, now: DateTime<Utc>) -> Tenant {
    Tenant {
        id: request.id,
        name: request.name,
        allowed_sources: request.allowed_sources.unwrap_or_default(),
        max_subscriptions: request
            .max_subscriptions
            .unwrap_or(DEFAULT_MAX_SUBSCRIPTIONS),
        max_deliveries_per_second: request.max_deliveries_per_second,
        created_at: now,
        updated_at: None,
    }
}

pub fn apply_tenant_update(tenant: &mut Tenant, update: UpdateTenant, now: DateTime<Utc>) {
    if let Some(name) = update.name {
        tenant.name = name;
    }
    if let Some(sources) = update.allowed_sources {
        tenant.allowed_sources = sources;
    }
    if let Some(max) = update.max_subscriptions {
        tenant.max_subscriptions = max;
    }
    if let Some(rate) = update.max_deliveries_per_second {
        tenant.max_deliveries_per_second = (rate > 0).then_some(rate);
    }
    tenant.updated_at = Some(now);
}

/// What a tenant key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// GET only.
    Read,
    /// Everything on the tenant's own objects.
    Write,
}

/// A tenant key as stored (under its digest) and listed: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantKey {
    /// `key_` + ULID.
    pub id: String,
    pub tenant: String,
    pub role: Role,
    pub label: String,
    /// The key's first 8 characters (`srk_` and 4 more), to recognise it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    /// Updated at most once a minute per process.
    #[serde(default)]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// `POST /v1/tenants/{id}/keys` body.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateKey {
    pub role: Role,
    #[schema(max_length = 200)]
    pub label: Option<String>,
}

/// The answer to key creation: the only time the key is shown.
#[derive(Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedKey {
    pub id: String,
    /// `srk_` + base64url of 32 random bytes. Shown this once; stored only as its SHA-256.
    pub key: String,
    pub role: Role,
    pub label: String,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKey")
            .field("id", &self.id)
            .field("key", &"[redacted]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(sources: &[&str]) -> Tenant {
        Tenant {
            allowed_sources: sources.iter().map(|s| s.to_string()).collect(),
            ..Tenant::default_tenant(Utc::now())
        }
    }

    #[test]
    fn allowed_sources_star_empty_and_lists() {
        assert!(tenant(&["*"]).allows_source("flexops"));
        assert!(!tenant(&[]).allows_source("flexops"));
        assert!(tenant(&["shop", "flexops"]).allows_source("flexops"));
        assert!(!tenant(&["shop"]).allows_source("flexops"));
    }

    #[test]
    fn updates_change_only_what_they_name_and_zero_lifts_the_rate_cap() {
        let mut t = tenant(&["*"]);
        t.max_deliveries_per_second = Some(5);
        let now = Utc::now();
        apply_tenant_update(
            &mut t,
            UpdateTenant {
                allowed_sources: Some(vec!["shop".into()]),
                max_deliveries_per_second: Some(0),
                ..Default::default()
            },
            now,
        );
        assert_eq!(t.allowed_sources, vec!["shop"]);
        assert_eq!(t.max_deliveries_per_second, None);
        assert_eq!(t.name, "Default");
        assert_eq!(t.updated_at, Some(now));
    }

    #[test]
    fn a_created_tenant_has_the_documented_defaults() {
        let t = create_tenant(
            CreateTenant {
                id: "ops".into(),
                name: "Ops".into(),
                ..Default::default()
            },
            Utc::now(),
        );
        assert!(t.allowed_sources.is_empty());
        assert_eq!(t.max_subscriptions, 100);
    }
}
