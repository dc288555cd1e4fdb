//! The development host serving this repository's spin.toml against a database the test
//! brings itself (e.g. a throwaway cluster it stops and restarts), instead of the fresh
//! database on `DATABASE_URL`'s server that `spawn_app()` creates.
//!
//! Self-contained on purpose (only devhost, reqwest, uuid): `tests/tests/faults.rs`
//! includes it with `#[path]` until `pub mod external;` is added to `tests/src/lib.rs`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use devhost::{AppOptions, RunningHost, VariableSource};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Applies the migrations to `db_url` with the migrate component (as every environment).
pub async fn migrate(db_url: &str) {
    let engine = devhost::shared_engine().expect("wasmtime engine");
    if let Err(e) = devhost::migrate(
        &engine,
        &root().join("migrate/spin.toml"),
        db_url,
        Some(root().join("target/devhost-cache")),
    )
    .await
    {
        panic!("migrating {db_url}: {}", devhost::error_chain(&e));
    }
}

/// A host serving spin.toml on a free port of 127.0.0.1 against `db_url`.
pub struct ExternalApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub addr: SocketAddr,
    pub bar_token: String,
    /// A client whose every request gives up after 5 s (a hang is a failure, not a wait).
    pub http: reqwest::Client,
    host: Option<RunningHost>,
}

/// Starts the host for `db_url` (already migrated), with a bar token; `db_host`/`db_port`
/// are taken from the URL, as `allowed_outbound_hosts` needs them.
pub async fn spawn_app_on(db_url: &str) -> ExternalApp {
    let (db_host, db_port) = devhost::dburl::host_and_port(db_url);
    let bar_token = format!("test-token-{}", uuid::Uuid::new_v4().simple());
    let options = AppOptions {
        manifest: root().join("spin.toml"),
        variables: VariableSource {
            overrides: [
                ("db_url".to_string(), db_url.to_string()),
                ("db_host".to_string(), db_host),
                ("db_port".to_string(), db_port.to_string()),
                ("bar_token".to_string(), bar_token.clone()),
            ]
            .into(),
            read_environment: false,
        },
        cache_dir: Some(root().join("target/devhost-cache")),
    };
    let engine = devhost::shared_engine().expect("wasmtime engine");
    let listen: SocketAddr = "127.0.0.1:0".parse().expect("address");
    let host = match devhost::spawn(&engine, &options, listen).await {
        Ok(host) => host,
        Err(e) => panic!(
            "starting the development host (did you run `cargo xtask build`?): {}",
            devhost::error_chain(&e)
        ),
    };
    ExternalApp {
        address: format!("http://{}", host.addr),
        addr: host.addr,
        bar_token,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client"),
        host: Some(host),
    }
}

impl ExternalApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Stops the host; in-flight requests finish first.
    pub async fn stop(mut self) {
        if let Some(host) = self.host.take() {
            host.stop().await.expect("host stops cleanly");
        }
    }
}
