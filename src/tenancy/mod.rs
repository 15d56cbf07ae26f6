//! Tenants: many teams share one relay, and no API key reaches past its own tenant.
//!
//! Layout: `model` (tenants and keys as stored and shown), `keys` (key format, digests, admin keys
//! from config), `scope` (the [`Principal`] and every scoping rule) and `validate` are pure and
//! unit-tested; `service` stores through `queue` and writes the audit log.

pub mod directory;
pub mod keys;
pub mod model;
pub mod scope;
pub mod service;
pub mod validate;

pub use model::{DEFAULT_TENANT, Role, Tenant, TenantKey};
pub use scope::{Call, Denied, Principal};
