//! Tenants: many teams share one relay, and no API key reaches past its own tenant.
//!
//! Layout: `model` (tenants and keys as stored and shown), `keys` (key format, digests, admin keys
//! from config), `scope` (the [`Principal`] and every scoping rule) and `validate` are pure and
//! unit-tested; `services::tenants` stores through `queue` and `services::directory`
//! authenticates API keys. No I/O here.

pub mod keys;
pub mod model;
pub mod scope;
pub mod validate;

pub use model::{DEFAULT_TENANT, Role, Tenant, TenantKey};
pub use scope::{Call, Denied, Principal};
