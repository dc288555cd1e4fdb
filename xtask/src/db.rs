//! Finding a PostgreSQL server for `up` and `test`: `DATABASE_URL`; else the server on
//! 127.0.0.1:5432; else a throwaway cluster started from the local `initdb`/`pg_ctl`
//! binaries (as the `postgres` user when running as root); else a clear message.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use devhost::cluster::Cluster;

const LOCAL_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Data kept in target/dev-postgres across runs.
    Development,
    /// A fresh cluster, removed afterwards.
    Tests,
}

/// A server to use; a cluster this process started is stopped on drop (and, for tests,
/// removed).
pub struct Server {
    admin: String,
    /// Held for its `Drop`, which stops the cluster we started.
    #[allow(dead_code)]
    cluster: Option<Cluster>,
}

impl Server {
    pub fn admin_url(&self) -> String {
        self.admin.clone()
    }

    /// Creates database `name` if missing; returns its URL.
    pub async fn ensure_database(&self, name: &str) -> anyhow::Result<String> {
        let client = devhost::connect(&self.admin).await?;
        let exists = client
            .query_opt(
                "SELECT 1 FROM pg_database WHERE datname = $1::text",
                &[&name],
            )
            .await?
            .is_some();
        if !exists {
            client
                .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .await
                .with_context(|| format!("creating database {name}"))?;
        }
        Ok(devhost::dburl::with_database(&self.admin, name))
    }
}

pub async fn find_or_start(root: &Path, purpose: Purpose) -> anyhow::Result<Server> {
    if let Ok(url) = std::env::var("DATABASE_URL") {
        devhost::connect(&url)
            .await
            .context("DATABASE_URL is set but the server does not answer")?;
        println!("    using DATABASE_URL ({})", devhost::pg::redact(&url));
        return Ok(Server {
            admin: url,
            cluster: None,
        });
    }
    if std::env::var_os("XTASK_THROWAWAY_DB").is_none()
        && std::net::TcpStream::connect_timeout(
            &"127.0.0.1:5432".parse().expect("address"),
            Duration::from_secs(1),
        )
        .is_ok()
    {
        match devhost::connect(LOCAL_ADMIN).await {
            Ok(_) => {
                println!("    using PostgreSQL on 127.0.0.1:5432");
                return Ok(Server {
                    admin: LOCAL_ADMIN.to_string(),
                    cluster: None,
                });
            }
            Err(e) => {
                println!("    127.0.0.1:5432 answers but refuses us ({e:#}); starting our own")
            }
        }
    }
    start_cluster(root, purpose).await
}

async fn start_cluster(root: &Path, purpose: Purpose) -> anyhow::Result<Server> {
    let (data, keep) = match purpose {
        Purpose::Development => (Some(root.join("target/dev-postgres")), true),
        Purpose::Tests => (None, false),
    };
    let cluster = Cluster::init(data, keep)?;
    cluster.start()?;
    let admin = cluster.url("postgres");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match devhost::connect(&admin).await {
            Ok(_) => break,
            Err(e) if Instant::now() > deadline => return Err(e.context("waiting for PostgreSQL")),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    println!(
        "    started PostgreSQL in {} on 127.0.0.1:{}",
        cluster.data_dir().display(),
        cluster.port()
    );
    Ok(Server {
        admin,
        cluster: Some(cluster),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The path taken on machines where PostgreSQL is installed but not running.
    #[tokio::test]
    async fn a_throwaway_cluster_starts_from_the_local_binaries_and_is_removed_after() {
        let root = std::env::temp_dir();
        let server = start_cluster(&root, Purpose::Tests)
            .await
            .expect("a throwaway cluster starts (initdb and pg_ctl must be installed)");
        let data = server
            .cluster
            .as_ref()
            .map(|c| c.data_dir().to_path_buf())
            .expect("we started it");
        let url = server
            .ensure_database("xtask_probe")
            .await
            .expect("create db");
        let client = devhost::connect(&url).await.expect("connect");
        let one: i32 = client
            .query_one("SELECT 1", &[])
            .await
            .expect("query")
            .get(0);
        assert_eq!(one, 1);
        drop(client);
        drop(server);
        assert!(
            !data.exists(),
            "the test cluster's data directory is removed"
        );
    }
}
