//! Delivery: every event reaches every matching subscription, signed, at least once.
//!
//! The enqueue fans most events out itself; `routing::route` fans out the rest into one job per
//! matching subscription. Each partition's `worker` runs the jobs through the pipeline, one stage
//! per file:
//! - `take`: a batch off the deliveries stream, each job sorted once by its subscription's state;
//! - `admit`: rate-limit slot, in-flight cap and pool room, or a [`settle::Park`] with its reason
//!   and due time (the plans themselves are pure, in `admission`; the places in `limits`);
//! - `render`: the subscription's wire format, headers and signature (pure);
//! - `destination`: the [`destination::Destination`] seam, HTTP its first implementation;
//! - `decide`: the retry decision ([`crate::backoff`]) as what to settle and log (pure);
//! - `settle`: into the store, atomically in the job's partition.
//!
//! `schedule` moves due retries and parked jobs back; `runtime` starts a router, a worker and a
//! scheduler per partition.

pub mod admission;
pub mod admit;
pub mod decide;
pub mod destination;
pub mod limits;
pub mod render;
pub mod runtime;
pub mod schedule;
pub mod settle;
pub mod take;
pub mod worker;
