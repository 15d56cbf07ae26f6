//! Which subscriptions an event goes to, shared by ingest (routing on arrival), recovery (replay)
//! and delivery (reading a job's subscription).
//!
//! Layout:
//! - `snapshot`: the per-process, generation-checked snapshot of tenants and subscriptions;
//! - `route`: the router task that turns stream entries into delivery jobs.

pub mod route;
pub mod snapshot;
