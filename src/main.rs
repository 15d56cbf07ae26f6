//! The `shiprelay` command: `serve` runs the relay, `check-config` validates a config file, `listen`
//! is a local subscriber that verifies deliveries (for development).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use shiprelay::config::{Config, ConfigError, Role};
use shiprelay::listen::ListenOptions;
use shiprelay::secret::Secret;
use shiprelay::shutdown;
use shiprelay::startup::Application;

/// glibc's allocator took a fifth of the ingest CPU in the benchmark profile (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(version, about = "Webhook relay for logistics events")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the relay.
    Serve {
        /// TOML config file; SHIPRELAY_* environment variables override it.
        #[arg(long, short, env = "SHIPRELAY_CONFIG")]
        config: Option<PathBuf>,
        /// What this process does (overrides `server.role`): all, ingest (HTTP ingest and API) or
        /// worker (delivery; HTTP serves only health, readiness and metrics).
        #[arg(long, value_enum)]
        role: Option<Role>,
    },
    /// Validate a config file (with the environment applied) and name every problem.
    CheckConfig {
        #[arg(long, short, env = "SHIPRELAY_CONFIG")]
        config: PathBuf,
    },
    /// Move the pending work of the layout before partitions (an earlier version's unrouted
    /// events, jobs, retries and dead letters) into the partitions. A delivering shiprelay does
    /// this by itself every few seconds; this runs it once, by hand, and says what it moved.
    Migrate {
        #[arg(long, short, env = "SHIPRELAY_CONFIG")]
        config: Option<PathBuf>,
    },
    /// A local subscriber for development: accepts deliveries on any path, verifies each with the
    /// subscription's secret (Standard Webhooks) and prints one line per delivery.
    Listen {
        /// Port to listen on (0: any free port, printed at start).
        #[arg(long, short, default_value_t = 9000)]
        port: u16,
        /// Address to bind.
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        /// The subscription's signing secret (`whsec_...`); repeat it, or separate with commas,
        /// during a rotation.
        #[arg(
            long,
            short,
            env = "SHIPRELAY_LISTEN_SECRET",
            value_delimiter = ',',
            hide_env_values = true
        )]
        secret: Vec<String>,
        /// Also print each delivery's body (the CloudEvent), formatted.
        #[arg(long)]
        body: bool,
        /// Exit non-zero at the first delivery that does not verify.
        #[arg(long)]
        fail_on_bad_signature: bool,
        /// Allowed difference between `webhook-timestamp` and this machine's clock.
        #[arg(long, default_value_t = 300)]
        tolerance_secs: u64,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::CheckConfig { config } => check_config(&config),
        Command::Migrate { config } => match migrate(config) {
            Ok(summary) => {
                println!("{summary}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("shiprelay migrate: {error:#}");
                ExitCode::FAILURE
            }
        },
        Command::Listen {
            port,
            host,
            secret,
            body,
            fail_on_bad_signature,
            tolerance_secs,
        } => {
            let options = ListenOptions {
                address: std::net::SocketAddr::new(host, port),
                secrets: secret.into_iter().map(Secret::new).collect(),
                tolerance_secs,
                print_body: body,
                fail_on_bad_signature,
            };
            match actix_web::rt::System::new().block_on(shiprelay::listen::run(options)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("shiprelay listen: {error}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Serve { config, role } => match serve(config, role) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("shiprelay: {error:#}");
                ExitCode::FAILURE
            }
        },
    }
}

fn check_config(path: &std::path::Path) -> ExitCode {
    match Config::load(Some(path)) {
        Ok(config) => {
            let ids: Vec<String> = config
                .sources
                .iter()
                .map(|s| format!("{} ({})", s.id, s.provider.name()))
                .collect();
            println!(
                "{}: valid; {} source(s): {}",
                path.display(),
                ids.len(),
                ids.join(", ")
            );
            ExitCode::SUCCESS
        }
        Err(ConfigError::Invalid(problems)) => {
            eprintln!("{}: {} problem(s)", path.display(), problems.len());
            for problem in problems {
                eprintln!("  {problem}");
            }
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

fn migrate(config: Option<PathBuf>) -> anyhow::Result<String> {
    let config = Config::load(config.as_deref())?;
    let _traces = shiprelay::telemetry::init(&config.settings.log, &Default::default())?;
    actix_web::rt::System::new()
        .block_on(async move { shiprelay::upgrade::by_hand(&config.settings).await })
}

fn serve(config: Option<PathBuf>, role: Option<Role>) -> anyhow::Result<()> {
    let mut config = Config::load(config.as_deref())?;
    if let Some(role) = role {
        config.settings.server.role = role;
    }
    // Kept to the end: dropping it sends the spans still buffered.
    let _traces = shiprelay::telemetry::init(&config.settings.log, &config.settings.telemetry)?;
    actix_web::rt::System::new().block_on(async move {
        // Listening for SIGTERM before the build: the listener is bound during it, so a signal
        // that arrives then must stop the server gracefully, not kill the process.
        let signal = tokio::spawn(shutdown::signal());
        let application = Application::build(config).await?;
        tracing::info!(port = application.port(), role = ?application.role(), "shiprelay listening");
        let handle = application.handle();
        tokio::spawn(async move {
            let _ = signal.await;
            handle.stop(true).await;
        });
        application.run_until_stopped().await?;
        tracing::info!("stopped");
        Ok(())
    })
}
