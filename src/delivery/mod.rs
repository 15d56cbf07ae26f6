//! Delivery: every event reaches every matching subscription, signed, at least once.
//!
//! The enqueue fans most events out itself; `route` fans out the rest (one router per partition)
//! into one job per matching subscription; the worker pool (`worker`, one loop per partition,
//! one pool per process) POSTs jobs with `sender`; `backoff::decide` turns each attempt into a
//! [`backoff::Decision`] (data, not an error) that `queue` carries out; `schedule` moves due
//! retries back; `upgrade` drains the layout before partitions. `signing`, `wire` (each
//! format's body and headers), `backoff` and `ssrf` are pure and unit-tested.

pub mod admission;
pub mod attempt;
pub mod backoff;
pub mod cache;
mod deliver;
pub mod limits;
pub mod route;
pub mod runtime;
pub mod schedule;
pub mod sender;
pub mod signing;
pub mod ssrf;
pub mod upgrade;
pub mod wire;
pub mod worker;
