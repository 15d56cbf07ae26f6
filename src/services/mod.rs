//! The `/v1` services: what a call to the management API does, in the caller's scope, through the
//! store. Each takes a [`crate::tenancy::Call`] (who asks, with which correlation id), checks the
//! scope rules of `tenancy::scope`, validates with the pure validators, changes the store and
//! writes the audit entry; the HTTP edge only extracts, calls and maps the one [`ServiceError`].
//!
//! Layout:
//! - `error`: the [`ServiceError`] every service returns;
//! - `audit`: writing the audit log;
//! - `directory`: API-key authentication (admin keys from config, tenant keys by digest);
//! - `tenants`, `subscriptions`, `stats`: the resources of the same names.

pub mod audit;
pub mod directory;
pub mod error;
pub mod stats;
pub mod subscriptions;
pub mod tenants;

pub use error::ServiceError;
