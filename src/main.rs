//! The `shiprelay` command: `serve` runs the relay, `check-config` validates a config file.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use shiprelay::config::{Config, ConfigError, Role};
use shiprelay::startup::{Application, stop_on_signals};

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
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::CheckConfig { config } => check_config(&config),
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

fn serve(config: Option<PathBuf>, role: Option<Role>) -> anyhow::Result<()> {
    let mut config = Config::load(config.as_deref())?;
    if let Some(role) = role {
        config.settings.server.role = role;
    }
    shiprelay::telemetry::init(&config.settings.log);
    actix_web::rt::System::new().block_on(async move {
        let application = Application::build(config).await?;
        tracing::info!(port = application.port(), role = ?application.role(), "shiprelay listening");
        tokio::spawn(stop_on_signals(application.handle()));
        application.run_until_stopped().await?;
        tracing::info!("stopped");
        Ok(())
    })
}
