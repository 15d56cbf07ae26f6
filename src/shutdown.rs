//! The stop signal every long-running task watches (router, workers, scheduler, sampler), in a
//! module of its own so none of them depends on the runtime that starts them.

use std::time::Duration;

use tokio::sync::watch;

/// A handle the tasks watch to know when to stop.
#[derive(Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// A sender that starts the shutdown, and the handle tasks watch.
    pub fn channel() -> (watch::Sender<bool>, Shutdown) {
        let (stop, watch) = watch::channel(false);
        (stop, Shutdown(watch))
    }

    pub fn is_stopping(&self) -> bool {
        *self.0.borrow()
    }

    /// Sleeps, waking early when shutdown starts.
    pub async fn sleep(&mut self, duration: Duration) {
        tokio::select! {
            _ = tokio::time::sleep(duration) => {}
            _ = self.0.changed() => {}
        }
    }
}

/// Resolves at the first SIGTERM or SIGINT (and logs which).
pub async fn signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = terminate => tracing::info!("SIGTERM received, shutting down gracefully"),
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received, shutting down gracefully"),
    }
}
