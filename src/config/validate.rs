//! Settings validation: every problem at once, with its path, so `check-config` names them all.

use std::net::SocketAddr;

use super::{MIN_API_KEY_LEN, Settings};

/// The most `metrics.max_tenant_labels` may be.
pub const MAX_TENANT_LABELS: usize = 10_000;

/// One thing wrong with the configuration, located by its path (`sources[1].kind`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

pub(super) fn validate(s: &Settings) -> Vec<Problem> {
    let mut checks = Checks(Vec::new());
    for section in [
        server,
        redis_connection,
        observability,
        retention,
        api,
        delivery,
        ingest_and_log,
    ] {
        section(s, &mut checks);
    }
    checks.0
}

/// The problems found so far.
struct Checks(Vec<Problem>);

impl Checks {
    fn check(&mut self, ok: bool, path: &str, message: String) {
        if !ok {
            self.0.push(Problem {
                path: path.into(),
                message,
            });
        }
    }
}

/// `server.*`.
fn server(s: &Settings, c: &mut Checks) {
    c.check(
        s.server.listen.parse::<SocketAddr>().is_ok(),
        "server.listen",
        format!(
            "`{}` is not an address:port such as 127.0.0.1:8080",
            s.server.listen
        ),
    );
    c.check(
        (1..=64 * 1024 * 1024).contains(&s.server.max_body_bytes),
        "server.max_body_bytes",
        "must be between 1 and 67108864 (64 MiB)".into(),
    );
    for (path, secs) in [
        ("server.header_timeout_secs", s.server.header_timeout_secs),
        ("server.body_timeout_secs", s.server.body_timeout_secs),
    ] {
        c.check(
            (1..=3600).contains(&secs),
            path,
            "must be between 1 and 3600 seconds".into(),
        );
    }
}

/// Where Redis is and how it is named and reached.
fn redis_connection(s: &Settings, c: &mut Checks) {
    let is_redis_url = |url: &str| {
        redis::parse_redis_url(url).is_some()
            && ["redis", "rediss", "unix", "redis+unix"]
                .iter()
                .any(|scheme| url.starts_with(&format!("{scheme}:")))
    };
    match s.redis.mode {
        super::RedisMode::Single => c.check(
            is_redis_url(&s.redis.url),
            "redis.url",
            "not a Redis URL (redis://host:port[/db], rediss://..., unix:///path)".into(),
        ),
        super::RedisMode::Cluster => {
            c.check(
                !s.redis.urls.is_empty(),
                "redis.urls",
                "`mode = \"cluster\"` needs the seed nodes: urls = [\"redis://host:port\", ...]"
                    .into(),
            );
            for (i, url) in s.redis.urls.iter().enumerate() {
                c.check(
                    is_redis_url(url)
                        && (url.starts_with("redis://") || url.starts_with("rediss://")),
                    &format!("redis.urls[{i}]"),
                    "not a cluster node URL (redis://host:port or rediss://host:port)".into(),
                );
            }
        }
    }
    c.check(
        (1..=1024).contains(&s.redis.partitions),
        "redis.partitions",
        "must be between 1 and 1024".into(),
    );
    c.check(
        !s.redis.prefix.is_empty()
            && s.redis
                .prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c)),
        "redis.prefix",
        "must be non-empty: letters, digits, `-`, `_`, `.`, `:`".into(),
    );
    c.check(
        s.redis.command_timeout_ms > 0 && s.redis.connect_timeout_ms > 0,
        "redis",
        "connect_timeout_ms and command_timeout_ms must be positive".into(),
    );
}

/// `metrics.*` and `telemetry.*`.
fn observability(s: &Settings, c: &mut Checks) {
    c.check(
        s.metrics.listen.is_empty() || s.metrics.listen.parse::<SocketAddr>().is_ok(),
        "metrics.listen",
        format!(
            "`{}` is not an address:port such as 0.0.0.0:9090",
            s.metrics.listen
        ),
    );
    for (path, message) in s.telemetry.problems() {
        c.check(false, path, message);
    }
    c.check(
        s.metrics.sample_interval_secs >= 1,
        "metrics.sample_interval_secs",
        "must be at least 1".into(),
    );
    c.check(
        s.metrics.max_tenant_labels <= MAX_TENANT_LABELS,
        "metrics.max_tenant_labels",
        format!(
            "must be at most {MAX_TENANT_LABELS} (each tenant label costs a series per delivery \
             outcome and a lag histogram); 0 counts every tenant as `_other`"
        ),
    );
}

/// What Redis keeps, and for how long.
fn retention(s: &Settings, c: &mut Checks) {
    c.check(
        s.redis.wait_timeout_ms < s.redis.command_timeout_ms,
        "redis.wait_timeout_ms",
        "must be shorter than redis.command_timeout_ms (the enqueue and its WAIT share it)".into(),
    );
    for (value, path) in [
        (s.redis.dead_retention_secs, "redis.dead_retention_secs"),
        (
            s.redis.quarantine_retention_secs,
            "redis.quarantine_retention_secs",
        ),
        (s.redis.idle_consumer_secs, "redis.idle_consumer_secs"),
        (s.redis.wait_timeout_ms, "redis.wait_timeout_ms"),
    ] {
        c.check(value > 0, path, "must be positive".into());
    }
    c.check(
        s.redis.events_retention_secs > s.delivery.max_age_secs,
        "redis.events_retention_secs",
        format!(
            "must be longer than delivery.max_age_secs ({} s): jobs reference their events until \
             they are delivered or dead",
            s.delivery.max_age_secs
        ),
    );
}

/// How `/metrics` is served, and `api.*`.
fn api(s: &Settings, c: &mut Checks) {
    c.check(
        s.metrics.listen.is_empty() == s.metrics.public,
        "metrics.listen",
        "`metrics.listen = \"\"` and `metrics.public = true` go together: both serve /metrics on the \
         main port, either alone is refused (the default is a port of its own, 0.0.0.0:9464)"
            .into(),
    );
    for (i, key) in s.api.keys.iter().enumerate() {
        c.check(
            crate::tenancy::keys::is_valid_admin_entry(key.expose())
                && key.expose().len() >= MIN_API_KEY_LEN
                && key.expose().bytes().all(|b| b.is_ascii_graphic()),
            &format!("api.keys[{i}]"),
            format!(
                "API keys must be at least {MIN_API_KEY_LEN} visible ASCII characters, or \
                 `sha256:` and the 64 hex digits of the key's SHA-256"
            ),
        );
    }
    c.check(
        s.api.audit_len >= 100,
        "api.audit_len",
        "must be at least 100".into(),
    );
    c.check(
        (1..=16 * 1024 * 1024).contains(&s.api.max_body_bytes),
        "api.max_body_bytes",
        "must be between 1 and 16777216 (16 MiB)".into(),
    );
    c.check(
        s.api.idempotency_ttl_secs > 0,
        "api.idempotency_ttl_secs",
        "must be positive".into(),
    );
}

/// `delivery.*`.
fn delivery(s: &Settings, c: &mut Checks) {
    let d = &s.delivery;
    c.check(
        d.concurrency >= 1 && d.per_subscription_in_flight >= 1,
        "delivery",
        "concurrency and per_subscription_in_flight must be at least 1".into(),
    );
    c.check(
        d.timeout_secs >= 1,
        "delivery.timeout_secs",
        "must be at least 1".into(),
    );
    c.check(
        d.visibility_timeout_secs >= d.timeout_secs + 5,
        "delivery.visibility_timeout_secs",
        format!(
            "must exceed delivery.timeout_secs ({}) by at least 5 s, or jobs still being delivered would be taken over",
            d.timeout_secs
        ),
    );
    c.check(
        d.retry_base_ms >= 1 && d.retry_cap_secs * 1000 >= d.retry_base_ms,
        "delivery.retry_base_ms",
        "must be at least 1 and not above retry_cap_secs".into(),
    );
    c.check(
        d.max_attempts >= 1,
        "delivery.max_attempts",
        "must be at least 1".into(),
    );
    c.check(
        d.max_age_secs >= 1,
        "delivery.max_age_secs",
        "must be at least 1".into(),
    );
    c.check(
        d.attempts_log_len >= 1,
        "delivery.attempts_log_len",
        "must be at least 1".into(),
    );
}

/// `ingest.*` and `log.*`.
fn ingest_and_log(s: &Settings, c: &mut Checks) {
    c.check(
        s.ingest.dedupe_ttl_secs > 0,
        "ingest.dedupe_ttl_secs",
        "must be positive".into(),
    );
    c.check(
        tracing_subscriber::EnvFilter::try_new(&s.log.level).is_ok(),
        "log.level",
        format!(
            "`{}` is not a tracing filter (e.g. info, shiprelay=debug)",
            s.log.level
        ),
    );
}

/// `sources.0.secret` -> `sources[0].secret`, the form every other problem uses.
pub(super) fn bracket_indexes(path: &str) -> String {
    let mut out = String::new();
    for segment in path.split('.') {
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(segment);
        }
    }
    out
}
