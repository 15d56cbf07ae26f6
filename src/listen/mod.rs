//! `shiprelay listen`: a local subscriber for development. It accepts deliveries on any path,
//! verifies each with the subscription's secret (Standard Webhooks) and prints one line per
//! delivery, so a developer sees the whole path (provider -> shiprelay -> subscriber) work on their
//! own machine without writing a receiver. No config file is involved.
//!
//! Layout: `report` is the pure part (verdict and wording); this file is the HTTP edge. A verified
//! delivery is answered 204, one that does not verify 401 (so shiprelay's delivery log shows the
//! failure too). With `fail_on_bad_signature` the first unverified delivery ends the listener with
//! an error, so it can sit in a script.

mod report;

use std::io::Write;
use std::net::SocketAddr;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use tokio::sync::Notify;

pub use report::{Report, check_secret, inspect};

use crate::secret::Secret;

/// What the listener does, as given on the command line.
#[derive(Debug, Clone)]
pub struct ListenOptions {
    pub address: SocketAddr,
    pub secrets: Vec<Secret>,
    pub tolerance_secs: u64,
    pub print_body: bool,
    pub fail_on_bad_signature: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("--secret: {0}")]
    Secret(String),
    #[error("no secret: pass --secret whsec_... or set SHIPRELAY_LISTEN_SECRET")]
    NoSecret,
    #[error("a delivery did not verify: {0}")]
    BadSignature(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

struct State {
    options: ListenOptions,
    failed: std::sync::Mutex<Option<String>>,
    stop: Notify,
}

/// Serves until SIGINT/SIGTERM (Ok) or, with `fail_on_bad_signature`, the first delivery that does
/// not verify (Err).
pub async fn run(options: ListenOptions) -> Result<(), ListenError> {
    if options.secrets.is_empty() {
        return Err(ListenError::NoSecret);
    }
    for secret in &options.secrets {
        check_secret(secret.expose()).map_err(ListenError::Secret)?;
    }
    let address = options.address;
    let state = web::Data::new(State {
        options,
        failed: std::sync::Mutex::new(None),
        stop: Notify::new(),
    });
    let app_state = state.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(app_state.clone())
            .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
            .default_service(web::to(receive))
    })
    .workers(1)
    .disable_signals()
    .bind(address)
    .map_err(|source| ListenError::Bind { address, source })?;
    let bound = server.addrs().first().copied().unwrap_or(address);
    eprintln!(
        "shiprelay listen: accepting deliveries on http://{bound}/ (any path), verifying with {} \
         secret(s); Ctrl-C stops",
        state.options.secrets.len()
    );
    let server = server.run();
    let handle = server.handle();
    let serving = tokio::spawn(server);
    tokio::select! {
        _ = state.stop.notified() => {}
        _ = crate::shutdown::signal() => {}
    }
    handle.stop(true).await;
    let _ = serving.await;
    match state.failed.lock().unwrap().take() {
        Some(line) => Err(ListenError::BadSignature(line)),
        None => Ok(()),
    }
}

async fn receive(request: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    if request.method() != actix_web::http::Method::POST {
        return HttpResponse::MethodNotAllowed()
            .insert_header(("Allow", "POST"))
            .body("shiprelay listen accepts deliveries as POST\n");
    }
    let headers: Vec<(&str, &str)> = request
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();
    let options = &state.options;
    let report = inspect(
        &options.secrets,
        options.tolerance_secs,
        &headers.as_slice(),
        &body,
        chrono::Utc::now().timestamp(),
    );
    print_delivery(&report, options.print_body.then_some(&body[..]));
    if report.verified() {
        return HttpResponse::NoContent().finish();
    }
    if options.fail_on_bad_signature {
        *state.failed.lock().unwrap() = Some(report.line());
        state.stop.notify_one();
    }
    HttpResponse::Unauthorized().body(format!("{}\n", report.line()))
}

fn print_delivery(report: &Report, body: Option<&[u8]>) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", report.line());
    if let Some(body) = body {
        let shown = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|json| serde_json::to_string_pretty(&json).ok())
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
        let _ = writeln!(out, "{shown}");
    }
    let _ = out.flush();
}
