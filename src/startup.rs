//! `Application::build`: wires settings into a running server. Shared by `main` and the tests, so
//! the tests exercise exactly what production runs (zero-to-production style).

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::config::{Config, Role, Settings};
use crate::delivery::runtime::DeliveryRuntime;
use crate::http::{self, AppState};
use crate::ingest::Ingestor;
use crate::metrics::Metrics;
use crate::queue::Queue;
use crate::recording::sampler::Sampler;
use crate::services::audit::AuditLog;
use crate::services::directory::KeyDirectory;
use crate::shutdown::Shutdown;

/// The background tasks' stop signal and handles.
type Background = (
    tokio::sync::watch::Sender<bool>,
    Vec<tokio::task::JoinHandle<()>>,
);

pub struct Application {
    port: u16,
    server: Server,
    role: Role,
    delivery: Option<DeliveryRuntime>,
    /// The sampler and the minute-counts flusher, stopped after delivery (its last counts go
    /// out with the final flush).
    background: Background,
    metrics_server: Option<ServerHandle>,
    shutdown_timeout: Duration,
}

impl Application {
    /// Binds the listener and prepares the server; Redis is connected lazily, so this succeeds
    /// while Redis is down (readiness says so until it is back).
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let settings = &config.settings;
        let listener = TcpListener::bind(&settings.server.listen)
            .with_context(|| format!("cannot listen on {}", settings.server.listen))?;
        let port = listener.local_addr()?.port();
        let source_ids: Vec<String> = config.sources.iter().map(|s| s.id.clone()).collect();
        let metrics = Metrics::for_process(&crate::metrics::Known {
            sources: &source_ids,
            partitions: settings.redis.partitions,
            max_tenant_labels: settings.metrics.max_tenant_labels,
        });
        let queue = Queue::connect(&settings.redis)
            .context("invalid Redis settings")?
            .counting_errors(metrics.redis_errors.clone(), "http");
        let state = web::Data::new(app_state(settings, &queue, &metrics, source_ids));
        refuse_old_redis(&queue).await?;
        // `shiprelay_partition_up` is true from the first scrape on, not 0 until a probe.
        metrics.set_partitions_up(&queue.partitions_up().await);
        if let Err(error) = queue.publish_version().await {
            tracing::warn!(%error, "could not copy the subscriptions version into the partitions yet");
        }
        adopt_existing_subscriptions(&state).await;
        let role = settings.server.role;
        let delivery = match role.delivers() {
            true => Some(start_delivery(settings, &queue, &metrics).await?),
            false => None,
        };
        let background = start_background(settings, &queue, &metrics);
        let metrics_server = match settings.metrics.listen.is_empty() {
            true => None,
            false => Some(metrics_server(&settings.metrics.listen, metrics.clone())?),
        };
        Ok(Application {
            port,
            server: http_server(&config, listener, state, &metrics)?,
            role,
            delivery,
            background,
            metrics_server,
            shutdown_timeout: Duration::from_secs(settings.server.shutdown_timeout_secs),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server: `graceful` lets in-flight requests finish (up to the shutdown timeout).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// Serves until the server is stopped, then stops delivery: no new work is taken, and
    /// in-flight deliveries get up to the shutdown timeout.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        if let Some(delivery) = self.delivery {
            delivery.stop(self.shutdown_timeout).await;
        }
        let (stop, tasks) = self.background;
        let _ = stop.send(true);
        for task in tasks {
            let _ = task.await;
        }
        if let Some(server) = self.metrics_server {
            server.stop(true).await;
        }
        served
    }
}

/// `/metrics` alone on its own address (`[metrics] listen`).
fn metrics_server(listen: &str, metrics: Metrics) -> anyhow::Result<ServerHandle> {
    let metrics = web::Data::new(metrics);
    let server = HttpServer::new(move || {
        App::new().app_data(metrics.clone()).route(
            "/metrics",
            web::get().to(|metrics: web::Data<Metrics>| async move {
                actix_web::HttpResponse::Ok()
                    .content_type("text/plain; version=0.0.4; charset=utf-8")
                    .body(metrics.render())
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .bind(listen)
    .with_context(|| format!("cannot listen on {listen} for metrics"))?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok(handle)
}

/// Refuses a Redis older than 7.0 at start. A Redis that does not answer yet is not refused:
/// shiprelay starts while Redis is down (readiness says so) and this check runs at the next start.
async fn refuse_old_redis(queue: &Queue) -> anyhow::Result<()> {
    match queue.server_info().await {
        Ok(info) => crate::queue::check_version(&info).map_err(anyhow::Error::msg),
        Err(error) => {
            tracing::warn!(%error, "could not check the Redis version yet");
            Ok(())
        }
    }
}

/// Upgrade of data written before tenants existed: such subscriptions belong to tenant `default`,
/// created here when they exist. Idempotent; not fatal while Redis is down (the next start, or
/// the first admin create, does it).
async fn adopt_existing_subscriptions(state: &AppState) {
    let records = match state.registry.subscriptions_all().await {
        Ok(records) => records,
        Err(error) => {
            tracing::warn!(%error, "could not check subscriptions for tenants yet");
            return;
        }
    };
    let subscriptions: Vec<_> = records
        .iter()
        .filter_map(|(_, r)| serde_json::from_str(r).ok())
        .collect();
    match state
        .tenants()
        .adopt_existing(&subscriptions, chrono::Utc::now())
        .await
    {
        Ok(n) if n > 0 => tracing::info!(subscriptions = n, "subscriptions indexed by tenant"),
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "could not index subscriptions by tenant"),
    }
}

/// What every HTTP handler shares.
fn app_state(
    settings: &Settings,
    queue: &Queue,
    metrics: &Metrics,
    source_ids: Vec<String>,
) -> AppState {
    let document = openapi_document(settings.server.role, settings.metrics.listen.is_empty());
    AppState {
        queue: queue.clone(),
        metrics: metrics.clone(),
        max_body_bytes: settings.server.max_body_bytes,
        body_timeout: Duration::from_secs(settings.server.body_timeout_secs),
        retry_after_secs: settings.redis.retry_after_secs,
        keys: KeyDirectory::new(queue.clone(), &settings.api.keys),
        requests_per_second_per_key: settings.api.requests_per_second_per_key,
        registry: queue.registry(),
        audit: AuditLog {
            registry: queue.registry(),
            max_len: settings.api.audit_len,
        },
        subscription_cache: crate::routing::snapshot::SubscriptionCache::new(queue.clone()),
        api_max_body_bytes: settings.api.max_body_bytes,
        idempotency_ttl_secs: settings.api.idempotency_ttl_secs,
        secret_rotation_grace: chrono::Duration::seconds(
            i64::try_from(settings.api.secret_rotation_grace_secs).unwrap_or(i64::MAX / 1000),
        ),
        source_ids,
        allow_private_targets: settings.delivery.allow_private_targets,
        routes: http::openapi::RouteTable::from_document(&document),
        openapi_json: document.to_string(),
    }
}

/// The HTTP server on `listener`, running: the routes of the role, the console, and per worker
/// thread an ingest of its own.
fn http_server(
    config: &Config,
    listener: TcpListener,
    state: web::Data<AppState>,
    metrics: &Metrics,
) -> anyhow::Result<Server> {
    let settings = &config.settings;
    let role = settings.server.role;
    let metrics_on_main = settings.metrics.listen.is_empty();
    let sources = config.sources.clone();
    let dedupe_ttl_secs = settings.ingest.dedupe_ttl_secs;
    let ingest_queue = state.queue.clone();
    // One snapshot for every HTTP worker thread's enqueue.
    let ingest_subscriptions =
        crate::routing::snapshot::SubscriptionCache::new(state.queue.clone())
            .counting_unreadable(metrics.unreadable_records.clone());
    let mut server = HttpServer::new(move || {
        let app = App::new()
            .into_utoipa_app()
            .configure(|config| http::services(config, role, metrics_on_main))
            .into_app()
            .configure(http::extractor_config)
            .wrap(from_fn(http::correlation::middleware))
            .app_data(state.clone())
            .default_service(web::to(http::fallback));
        if !role.serves_api() {
            return app;
        }
        let app = app.configure(http::console::configure);
        // Per HTTP worker thread: ingest has its own Redis connection and enqueue task here,
        // so a provider request never waits for another thread to be scheduled.
        let ingest_queue = ingest_queue
            .separate()
            .expect("Queue::connect accepted these settings");
        app.app_data(web::Data::new(
            Ingestor::new(
                sources.clone(),
                ingest_queue,
                ingest_subscriptions.clone(),
                dedupe_ttl_secs,
            )
            .expect("Queue::connect accepted these settings"),
        ))
    })
    .client_request_timeout(Duration::from_secs(settings.server.header_timeout_secs))
    .listen(listener)?
    .shutdown_timeout(settings.server.shutdown_timeout_secs)
    .disable_signals();
    if settings.server.workers > 0 {
        server = server.workers(settings.server.workers);
    }
    Ok(server.run())
}

/// Creates the consumer groups and starts a router, a worker and a scheduler per partition.
async fn start_delivery(
    settings: &Settings,
    queue: &Queue,
    metrics: &Metrics,
) -> anyhow::Result<DeliveryRuntime> {
    for partition in queue.partitions() {
        if let Err(error) = partition.ensure_groups().await {
            // Not fatal: the loops create the groups once Redis answers.
            tracing::warn!(%error, partition = partition.index, "could not create consumer groups yet");
            break;
        }
    }
    DeliveryRuntime::start(
        queue.clone(),
        &settings.delivery,
        &settings.redis,
        settings.api.audit_len,
        metrics.clone(),
    )
}

/// Starts the sampler and the minute-counts flusher.
fn start_background(settings: &Settings, queue: &Queue, metrics: &Metrics) -> Background {
    let (stop_sampler, shutdown) = Shutdown::channel();
    let sampler = Sampler {
        queue: queue.counting_errors(metrics.redis_errors.clone(), "sample"),
        metrics: metrics.clone(),
        interval: Duration::from_secs(settings.metrics.sample_interval_secs),
    };
    let flusher = crate::recording::flush::Flusher {
        registry: queue
            .counting_errors(metrics.redis_errors.clone(), "sample")
            .registry(),
        counts: metrics.minutes.clone(),
    };
    (
        stop_sampler,
        vec![
            tokio::spawn(sampler.run(shutdown.clone())),
            tokio::spawn(flusher.run(shutdown)),
        ],
    )
}

/// The OpenAPI document of every route `http::services` registers for `role`.
pub fn openapi_document(role: Role, metrics_on_main: bool) -> serde_json::Value {
    let (_, document) = App::new()
        .into_utoipa_app()
        .openapi(http::openapi::ApiDoc::openapi())
        .configure(|config| http::services(config, role, metrics_on_main))
        .split_for_parts();
    let mut document = serde_json::to_value(&document).expect("the OpenAPI document serialises");
    http::openapi::apply_common_responses(&mut document);
    document
}
