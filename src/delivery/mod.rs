//! Delivery: every event reaches every matching subscription, signed, at least once.
//!
//! `route` fans each event out into one job per matching subscription; the worker pool (`worker`)
//! POSTs jobs with `sender`; `backoff::decide` turns each attempt into a [`backoff::Decision`] (data,
//! not an error) that `queue` carries out atomically; `pump` moves due retries back. `signing`,
//! `backoff` and `ssrf` are pure and unit-tested.

pub mod attempt;
pub mod backoff;
pub mod cache;
pub mod route;
pub mod runtime;
pub mod schedule;
pub mod sender;
pub mod signing;
pub mod ssrf;
pub mod worker;
