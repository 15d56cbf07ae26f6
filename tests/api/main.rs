//! End-to-end tests: the application as `main` builds it, a real redis-server per test, real HTTP.

mod backend;
mod cli;
mod cluster;
mod cluster_harness;
mod crash;
mod delivery;
mod events_api;
mod faults;
mod helpers;
mod ingest_accepts;
mod ingest_rejects;
mod ingest_resilience;
mod listen;
mod malformed;
mod metrics;
mod openapi;
mod ops;
mod queue_hygiene;
mod raw_http;
mod recovery_bounds;
mod replication;
mod sink;
mod subscriptions_api;
mod tenants_api;
mod tenants_matrix;
mod upgrade;
