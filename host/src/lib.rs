//! A development host for this repository's Spin application.
//!
//! The Spin CLI cannot be installed on the project's machines, so this crate runs the same
//! `.wasm` components on Wasmtime (the engine inside Spin), reading `spin.toml`. It
//! implements what the app needs of Spin 3.6.3 — HTTP trigger routing and headers,
//! `spin:postgres/postgres@4.0.0` with Spin's pooling and type mapping, application
//! variables, `allowed_outbound_hosts`, `files` mounts — and nothing else, so that code that
//! works here works on Spin. See docs/ARCHITECTURE.md.

pub mod app;
mod bindings;
pub mod cluster;
pub mod dburl;
mod kv;
pub mod manifest;
pub mod outbound;
mod outbound_http;
pub mod pg;
pub mod replicas;
pub mod routes;
pub mod server;
mod state;
mod tls;
pub mod variables;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use app::{App, AppOptions, CommandOutcome, new_engine, run_commands, shared_engine};
pub use variables::VariableSource;
/// The engine type the functions above take (so that users need not depend on wasmtime).
pub use wasmtime::Engine;

/// A host serving in the background (used by the e2e tests and `cargo xtask`).
pub struct RunningHost {
    pub addr: SocketAddr,
    app: Arc<App>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl RunningHost {
    /// How many component instances are running now (see [`App::running_instances`]).
    pub fn running_instances(&self) -> usize {
        self.app.running_instances()
    }

    /// Stops accepting, waits for in-flight requests.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => task.await.context("server task")?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningHost {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Loads the app and serves it on `listen` in a background task.
pub async fn spawn(
    engine: &wasmtime::Engine,
    options: &AppOptions,
    listen: SocketAddr,
) -> anyhow::Result<RunningHost> {
    let app = Arc::new(App::load(engine, options)?);
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server::serve(listener, app.clone(), async {
        let _ = rx.await;
    }));
    Ok(RunningHost {
        addr,
        app,
        shutdown: Some(tx),
        task: Some(task),
    })
}

/// Applies the database migrations by running the migration command app (normally
/// `migrate/spin.toml`) against `db_url`: the same component that migrates production.
/// Returns what it printed; fails with its error output if it exits non-zero.
pub async fn migrate(
    engine: &wasmtime::Engine,
    manifest: &std::path::Path,
    db_url: &str,
) -> anyhow::Result<String> {
    let (db_host, db_port) = dburl::host_and_port(db_url);
    let options = AppOptions {
        manifest: manifest.to_path_buf(),
        variables: VariableSource {
            overrides: [
                ("db_url".to_string(), db_url.to_string()),
                ("db_host".to_string(), db_host),
                ("db_port".to_string(), db_port.to_string()),
            ]
            .into(),
            read_environment: false,
        },
        ..Default::default()
    };
    let outcomes = run_commands(engine, &options, true).await?;
    let mut printed = String::new();
    for outcome in outcomes {
        printed.push_str(&outcome.stdout);
        if outcome.exit_code != 0 {
            anyhow::bail!(
                "{} exited with {}: {}{}",
                outcome.component,
                outcome.exit_code,
                outcome.stdout,
                outcome.stderr
            );
        }
    }
    Ok(printed)
}

/// An error and its causes, one per line, without a Rust backtrace (the form Spin's
/// messages take, minus the backtrace anyhow appends when `RUST_BACKTRACE` is set).
pub fn error_chain(e: &anyhow::Error) -> String {
    let mut out = e.to_string();
    let causes: Vec<String> = e.chain().skip(1).map(|c| c.to_string()).collect();
    if !causes.is_empty() {
        out.push_str("\n\nCaused by:");
        for (i, cause) in causes.iter().enumerate() {
            out.push_str(&format!("\n    {i}: {}", cause.replace('\n', "\n       ")));
        }
    }
    out
}

/// Opens one plain tokio-postgres connection (for migrations and tools), with TLS unless
/// the URL says `sslmode=disable`.
pub async fn connect(database_url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let config: tokio_postgres::Config =
        database_url.parse().context("parsing the database URL")?;
    let redacted = pg::redact(database_url);
    if config.get_ssl_mode() == tokio_postgres::config::SslMode::Disable {
        let (client, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .with_context(|| format!("connecting to {redacted}"))?;
        tokio::spawn(connection);
        Ok(client)
    } else {
        let (client, connection) = config
            .connect(tls::make_connector()?)
            .await
            .with_context(|| format!("connecting to {redacted}"))?;
        tokio::spawn(connection);
        Ok(client)
    }
}
