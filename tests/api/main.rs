//! End-to-end tests: the application as `main` builds it, a real redis-server per test, real HTTP.

mod cli;
mod helpers;
mod ingest_accepts;
mod ingest_rejects;
mod events_api;
mod ingest_resilience;
mod openapi;
mod ops;
mod subscriptions_api;
