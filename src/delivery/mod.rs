//! Delivery: every event reaches every matching subscription, signed, at least once.
//!
//! The enqueue fans most events out itself; `routing::route` fans out the rest (one router per
//! partition) into one job per matching subscription; the worker pool (`worker`, one loop per
//! partition, one pool per process) POSTs jobs with `sender`; `backoff::decide` turns each attempt
//! into a [`crate::backoff::Decision`] (data, not an error) that `queue` carries out; `schedule`
//! moves due retries back. `signing`, `wire` (each format's body and headers), `backoff` and
//! `egress::ssrf` are pure and unit-tested outside this folder.

pub mod admission;
mod deliver;
pub mod limits;
pub mod runtime;
pub mod schedule;
pub mod sender;
pub mod worker;
