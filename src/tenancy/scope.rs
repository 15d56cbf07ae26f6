//! Who is calling, and what that caller may see and do: the scoping rules of the API as pure
//! functions. Every `/v1` service takes a [`Principal`] and asks it; a tenant never learns that
//! another tenant's object exists, so "not yours" and "does not exist" are the same answer.

use super::model::{DEFAULT_TENANT, Role, Tenant};

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A key from `api.keys`: everything, tenants and keys included.
    Admin { actor: String },
    /// A key created for a tenant: that tenant's objects only.
    Tenant {
        tenant: Tenant,
        key_id: String,
        role: Role,
    },
}

/// One API call: who makes it, and the correlation id its audit entries carry.
#[derive(Debug, Clone)]
pub struct Call {
    pub principal: Principal,
    pub correlation_id: String,
}

/// Why a principal may not do something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// Not this caller's, or not there: answered exactly like an unknown id.
    #[error("not found")]
    Hidden,
    /// The caller is known but the action is not theirs to take (403).
    #[error("{0}")]
    Forbidden(&'static str),
}

impl Principal {
    /// How the audit log names the caller: `admin:<digest prefix>` or the tenant key's id.
    pub fn actor(&self) -> String {
        match self {
            Principal::Admin { actor } => actor.clone(),
            Principal::Tenant { key_id, .. } => key_id.clone(),
        }
    }

    /// A stable id for per-caller state (idempotency keys, rate limits). For an admin key it is
    /// the digest prefix alone, as the previous version scoped `Idempotency-Key`s, so keys stored
    /// before an upgrade still replay.
    pub fn scope_id(&self) -> String {
        match self {
            Principal::Admin { actor } => actor.trim_start_matches("admin:").to_string(),
            Principal::Tenant { key_id, .. } => key_id.clone(),
        }
    }

    pub fn is_admin(&self) -> bool {
        matches!(self, Principal::Admin { .. })
    }

    pub fn tenant(&self) -> Option<&Tenant> {
        match self {
            Principal::Admin { .. } => None,
            Principal::Tenant { tenant, .. } => Some(tenant),
        }
    }

    /// Admin-only routes (tenants, keys, audit).
    pub fn require_admin(&self) -> Result<(), Denied> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(Denied::Forbidden("this route is for admin keys only"))
        }
    }

    /// A read key may only read (GET).
    pub fn may_use_method(&self, method: &str) -> Result<(), Denied> {
        match self {
            Principal::Tenant {
                role: Role::Read, ..
            } if !matches!(method, "GET" | "HEAD") => {
                Err(Denied::Forbidden("this API key is read-only"))
            }
            _ => Ok(()),
        }
    }

    /// Whether an object of tenant `owner` is visible to this caller.
    pub fn sees(&self, owner: &str) -> bool {
        match self {
            Principal::Admin { .. } => true,
            Principal::Tenant { tenant, .. } => tenant.id == owner,
        }
    }

    /// [`Principal::sees`] as a result: another tenant's object is [`Denied::Hidden`].
    pub fn check_owner(&self, owner: &str) -> Result<(), Denied> {
        if self.sees(owner) {
            Ok(())
        } else {
            Err(Denied::Hidden)
        }
    }

    /// Whether events of this source are readable by this caller.
    pub fn reads_source(&self, source_id: &str) -> bool {
        match self {
            Principal::Admin { .. } => true,
            Principal::Tenant { tenant, .. } => tenant.allows_source(source_id),
        }
    }

    /// The tenant a list is narrowed to: an admin's `?tenant=` (or none: everything); a tenant
    /// key always its own (asking for another tenant lists nothing: `Err(Hidden)`).
    pub fn list_scope<'a>(&'a self, requested: Option<&'a str>) -> Result<Option<&'a str>, Denied> {
        match self {
            Principal::Admin { .. } => Ok(requested),
            Principal::Tenant { tenant, .. } => match requested {
                Some(other) if other != tenant.id => Err(Denied::Hidden),
                _ => Ok(Some(tenant.id.as_str())),
            },
        }
    }

    /// The tenant a new subscription belongs to: the one an admin names (else `default`); a
    /// tenant key's own (naming another is refused as if it did not exist).
    pub fn owner_for_new(&self, requested: Option<&str>) -> Result<String, Denied> {
        match self {
            Principal::Admin { .. } => Ok(requested.unwrap_or(DEFAULT_TENANT).to_string()),
            Principal::Tenant { tenant, .. } => match requested {
                Some(other) if other != tenant.id => Err(Denied::Hidden),
                _ => Ok(tenant.id.clone()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn tenant_key(id: &str, role: Role, sources: &[&str]) -> Principal {
        Principal::Tenant {
            tenant: Tenant {
                id: id.into(),
                allowed_sources: sources.iter().map(|s| s.to_string()).collect(),
                ..Tenant::default_tenant(Utc::now())
            },
            key_id: format!("key_{id}"),
            role,
        }
    }

    fn admin() -> Principal {
        Principal::Admin {
            actor: "admin:0123456789ab".into(),
        }
    }

    #[test]
    fn admins_see_everything_tenants_only_their_own() {
        let a = tenant_key("a", Role::Write, &["*"]);
        assert!(admin().sees("a") && admin().sees("b"));
        assert!(a.sees("a"));
        assert_eq!(a.check_owner("b"), Err(Denied::Hidden));
    }

    #[test]
    fn read_keys_only_read() {
        let reader = tenant_key("a", Role::Read, &["*"]);
        assert!(reader.may_use_method("GET").is_ok());
        assert!(matches!(
            reader.may_use_method("POST"),
            Err(Denied::Forbidden(_))
        ));
        assert!(
            tenant_key("a", Role::Write, &[])
                .may_use_method("DELETE")
                .is_ok()
        );
        assert!(admin().may_use_method("PATCH").is_ok());
    }

    #[test]
    fn only_admins_pass_admin_routes() {
        assert!(admin().require_admin().is_ok());
        assert!(matches!(
            tenant_key("a", Role::Write, &["*"]).require_admin(),
            Err(Denied::Forbidden(_))
        ));
    }

    #[test]
    fn sources_are_read_within_the_allowed_ones() {
        let a = tenant_key("a", Role::Read, &["shop"]);
        assert!(a.reads_source("shop"));
        assert!(!a.reads_source("flexops"));
        assert!(admin().reads_source("flexops"));
    }

    #[test]
    fn lists_are_narrowed_to_the_own_tenant() {
        let a = tenant_key("a", Role::Read, &["*"]);
        assert_eq!(a.list_scope(None), Ok(Some("a")));
        assert_eq!(a.list_scope(Some("a")), Ok(Some("a")));
        assert_eq!(a.list_scope(Some("b")), Err(Denied::Hidden));
        assert_eq!(admin().list_scope(None), Ok(None));
        assert_eq!(admin().list_scope(Some("b")), Ok(Some("b")));
    }

    #[test]
    fn new_subscriptions_belong_to_the_callers_tenant_or_the_admins_choice() {
        let a = tenant_key("a", Role::Write, &["*"]);
        assert_eq!(a.owner_for_new(None), Ok("a".to_string()));
        assert_eq!(a.owner_for_new(Some("b")), Err(Denied::Hidden));
        assert_eq!(admin().owner_for_new(None), Ok("default".to_string()));
        assert_eq!(admin().owner_for_new(Some("b")), Ok("b".to_string()));
    }

    #[test]
    fn actors_name_the_key_not_the_secret() {
        assert_eq!(admin().actor(), "admin:0123456789ab");
        assert_eq!(tenant_key("a", Role::Read, &[]).actor(), "key_a");
    }
}
