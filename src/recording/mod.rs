//! Background tasks that record what the relay does, off the hot path.
//!
//! Layout:
//! - `flush`: adds a process's per-minute counts ([`crate::metrics::minutes`]) to Redis every few
//!   seconds, for `GET /v1/stats` and the console's Overview;
//! - `sampler`: samples queue depths and subscription states into the Prometheus gauges.

pub mod flush;
pub mod sampler;
