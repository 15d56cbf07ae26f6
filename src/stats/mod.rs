//! Figures over time for the console's Overview: ingest requests by outcome, deliveries by result
//! and delivery lag per minute, kept in Redis for a bounded time (Prometheus counters live per
//! process and keep no history, and a browser must never scrape `/metrics`).
//!
//! Layout:
//! - `counts`: what each process adds up in memory between flushes (pure; the fields' names);
//! - `series`: the answer of `GET /v1/stats` from the per-minute hashes, scoped (pure);
//! - `flush`: the task that adds a process's counts to Redis every few seconds;
//! - `service`: reads a window for a caller (admin: everything; tenant: its sources and
//!   subscriptions).
//!
//! Recording costs no Redis call on the hot path: ingest and delivery only add to a map in memory.

pub mod counts;
pub mod flush;
pub mod series;
pub mod service;

pub use counts::MinuteCounts;
pub use series::Window;

/// How long a minute's counts are kept in Redis: the longest window and a margin.
pub const RETENTION_SECS: u64 = 25 * 3600;
