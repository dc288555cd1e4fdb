//! `devhost`: runs this repository's spin.toml on Wasmtime.
//!
//! ```text
//! devhost serve   [--manifest spin.toml] [--listen 127.0.0.1:3000] [--variable name=value]... [--cache-dir DIR]
//! devhost run     [--manifest migrate/spin.toml] [--variable name=value]...   (command trigger)
//! ```
//! Variables also come from `SPIN_VARIABLE_<NAME>`, as with `spin up`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use devhost::{AppOptions, VariableSource};

const USAGE: &str = "usage:
  devhost serve   [--manifest spin.toml] [--listen 127.0.0.1:3000] [--variable name=value]... [--cache-dir DIR]
  devhost run     [--manifest spin.toml] [--variable name=value]... [--cache-dir DIR]   (runs the [[trigger.command]] components once)";

fn main() -> std::process::ExitCode {
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
    match runtime.block_on(run(std::env::args().skip(1).collect())) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn value(args: &mut std::vec::IntoIter<String>, flag: &str) -> anyhow::Result<String> {
    args.next()
        .with_context(|| format!("{flag} needs a value\n{USAGE}"))
}

async fn run(args: Vec<String>) -> anyhow::Result<()> {
    let mut args = args.into_iter();
    let command = args.next().unwrap_or_default();
    match command.as_str() {
        "serve" | "run" => {
            let mut manifest = PathBuf::from("spin.toml");
            let mut listen: SocketAddr = "127.0.0.1:3000".parse()?;
            let mut cache_dir = None;
            let mut variables = VariableSource::from_environment();
            while let Some(flag) = args.next() {
                match flag.as_str() {
                    "--manifest" | "-f" => manifest = value(&mut args, &flag)?.into(),
                    "--listen" if command == "serve" => {
                        let v = value(&mut args, &flag)?;
                        listen = v.parse().with_context(|| format!("--listen {v}"))?;
                    }
                    "--cache-dir" => cache_dir = Some(PathBuf::from(value(&mut args, &flag)?)),
                    "--variable" => {
                        let v = value(&mut args, &flag)?;
                        let (name, val) = v
                            .split_once('=')
                            .with_context(|| format!("--variable {v}: expected name=value"))?;
                        variables
                            .overrides
                            .insert(name.to_string(), val.to_string());
                    }
                    other => bail!("unknown flag {other}\n{USAGE}"),
                }
            }
            let options = AppOptions {
                manifest,
                variables,
                cache_dir,
                ..Default::default()
            };
            let engine = devhost::new_engine()?;
            if command == "run" {
                let outcomes = devhost::run_commands(&engine, &options, false).await?;
                return match outcomes.iter().find(|o| o.exit_code != 0) {
                    Some(failed) => bail!("{} exited with {}", failed.component, failed.exit_code),
                    None => Ok(()),
                };
            }
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
        "" | "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown command {other}\n{USAGE}"),
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
