//! `devhost`: runs this repository's spin.toml on Wasmtime.
//!
//! ```text
//! devhost serve   [--manifest spin.toml] [--listen 127.0.0.1:3000] [--variable name=value]...
//!                 [--cache-dir DIR] [--max-instance-memory BYTES] [--direct-mounts]
//! devhost run     [--manifest migrate/spin.toml] [--variable name=value]... [--cache-dir DIR]
//!                 (command trigger)
//! ```
//! Variables also come from `SPIN_VARIABLE_<NAME>`, as with `spin up`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, Parser, Subcommand};
use devhost::{AppOptions, VariableSource};

#[derive(Debug, Parser)]
#[command(
    name = "devhost",
    about = "Runs this repository's spin.toml on Wasmtime, like `spin up`.",
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP triggers of a manifest.
    Serve {
        #[command(flatten)]
        app: AppArgs,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:3000")]
        listen: SocketAddr,
        /// The most linear memory, in bytes, one instance may use (default: 4 GiB, as Spin).
        #[arg(long, env = "SPIN_MAX_INSTANCE_MEMORY")]
        max_instance_memory: Option<usize>,
        /// Mount `files` directories themselves instead of copies taken at start, so that
        /// changes show without a restart.
        #[arg(long)]
        direct_mounts: bool,
    },
    /// Run the [[trigger.command]] components of a manifest once.
    Run {
        #[command(flatten)]
        app: AppArgs,
    },
}

#[derive(Debug, Args)]
struct AppArgs {
    /// The manifest to load.
    #[arg(long, short = 'f', default_value = "spin.toml")]
    manifest: PathBuf,
    /// An application variable, `name=value` (repeatable); beats SPIN_VARIABLE_<NAME>.
    #[arg(long = "variable", value_name = "NAME=VALUE", value_parser = parse_variable)]
    variables: Vec<(String, String)>,
    /// Where compiled components are cached between runs (Wasmtime's compile cache).
    #[arg(long)]
    cache_dir: Option<PathBuf>,
}

fn parse_variable(v: &str) -> Result<(String, String), String> {
    v.split_once('=')
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .ok_or_else(|| format!("{v}: expected name=value"))
}

impl AppArgs {
    fn options(&self) -> AppOptions {
        let mut variables = VariableSource::from_environment();
        variables.overrides.extend(self.variables.iter().cloned());
        AppOptions {
            manifest: self.manifest.clone(),
            variables,
            ..Default::default()
        }
    }

    fn engine(&self) -> anyhow::Result<wasmtime::Engine> {
        devhost::new_engine(self.cache_dir.as_deref())
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,devhost=info".into()),
        )
        .with_target(false)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Run { app } => {
            let options = app.options();
            let engine = app.engine()?;
            let outcomes = devhost::run_commands(&engine, &options, false).await?;
            match outcomes.iter().find(|o| o.exit_code != 0) {
                Some(failed) => bail!("{} exited with {}", failed.component, failed.exit_code),
                None => Ok(()),
            }
        }
        Command::Serve {
            app,
            listen,
            max_instance_memory,
            direct_mounts,
        } => {
            let options = AppOptions {
                max_instance_memory,
                direct_mounts,
                ..app.options()
            };
            let engine = app.engine()?;
            let host = devhost::spawn(&engine, &options, listen).await?;
            tracing::info!(
                "serving {} on http://{}",
                options.manifest.display(),
                host.addr
            );
            shutdown_signal().await;
            tracing::info!("shutting down");
            host.stop().await
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_takes_spins_memory_and_mount_flags() {
        let cli = Cli::try_parse_from([
            "devhost",
            "serve",
            "-f",
            "x.toml",
            "--listen",
            "127.0.0.1:1",
            "--variable",
            "a=b=c",
            "--max-instance-memory",
            "1024",
            "--direct-mounts",
        ])
        .expect("parses");
        let Command::Serve {
            app,
            listen,
            max_instance_memory,
            direct_mounts,
        } = cli.command
        else {
            panic!("not serve");
        };
        assert_eq!(app.manifest, PathBuf::from("x.toml"));
        assert_eq!(app.variables, [("a".to_string(), "b=c".to_string())]);
        assert_eq!(listen.port(), 1);
        assert_eq!(max_instance_memory, Some(1024));
        assert!(direct_mounts);
    }

    #[test]
    fn a_variable_without_a_value_is_refused() {
        assert!(Cli::try_parse_from(["devhost", "run", "--variable", "a"]).is_err());
    }
}
