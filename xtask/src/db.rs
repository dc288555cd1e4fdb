//! Finding PostgreSQL for `up` and `test`: `DATABASE_URL`; else the server on
//! 127.0.0.1:5432; else a throwaway cluster started from the local `initdb`/`pg_ctl`
//! binaries (as the `postgres` user when running as root); else a clear message.
//!
//! What `DATABASE_URL` means depends on the command, as everywhere else:
//! - `up` serves the database the URL names (created if missing, then migrated), as sqlx,
//!   diesel, psql and every other tool read it; without `DATABASE_URL`, database
//!   `drink_orders` on the server found or started.
//! - `test`, `bench` and `schemathesis` use it as an admin connection to the server: the
//!   harness creates a fresh database per test next to the one the URL names.

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
    /// `DATABASE_URL` when `up` found it there: the database it names is the one served.
    named: Option<String>,
    /// Held for its `Drop`, which stops the cluster we started.
    #[allow(dead_code)]
    cluster: Option<Cluster>,
}

impl Server {
    pub fn admin_url(&self) -> String {
        self.admin.clone()
    }

    /// The database `up` serves, created if missing; returns its URL. That is the database
    /// `DATABASE_URL` names when `up` took the server from there, else `default` on the
    /// server found or started. Says which in the start-up lines.
    pub async fn ensure_database(&self, default: &str) -> anyhow::Result<String> {
        let (url, origin) = match &self.named {
            Some(url) => (url.clone(), "named by DATABASE_URL"),
            None => (
                devhost::dburl::with_database(&self.admin, default),
                "the default",
            ),
        };
        let name = database_name(&url)?;
        let maintenance = match &self.named {
            Some(url) => maintenance_url(url),
            None => self.admin.clone(),
        };
        let created = create_if_missing(&url, &name, &maintenance)
            .await
            .with_context(|| match &self.named {
                Some(_) => format!("DATABASE_URL names database {name}"),
                None => format!("database {name}"),
            })?;
        let created = if created { ", created" } else { "" };
        println!("    serving database {name} ({origin}{created})");
        Ok(url)
    }
}

/// The database a connection string names (URL or `key=value` form); like libpq, the user
/// name when it names none.
pub fn database_name(url: &str) -> anyhow::Result<String> {
    let config: tokio_postgres::Config = url.parse().context("parsing DATABASE_URL")?;
    config
        .get_dbname()
        .or(config.get_user())
        .map(str::to_string)
        .context("DATABASE_URL names neither a database nor a user")
}

/// The same server's `postgres` database, where `createdb` connects to create one.
fn maintenance_url(url: &str) -> String {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        devhost::dburl::with_database(url, "postgres")
    } else {
        // key=value form: a later key overrides an earlier one.
        format!("{url} dbname=postgres")
    }
}

/// Whether `error` is PostgreSQL's "database does not exist" (SQLSTATE 3D000).
fn is_missing_database(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<tokio_postgres::Error>()
            .and_then(|e| e.code())
            == Some(&tokio_postgres::error::SqlState::INVALID_CATALOG_NAME)
    })
}

/// Connects to `url`; if its database `name` does not exist, creates it through
/// `maintenance`. Returns whether it created it.
async fn create_if_missing(url: &str, name: &str, maintenance: &str) -> anyhow::Result<bool> {
    let missing = match devhost::connect(url).await {
        Ok(_) => return Ok(false),
        Err(e) if is_missing_database(&e) => e,
        Err(e) => return Err(e),
    };
    let client = devhost::connect(maintenance).await.with_context(|| {
        format!(
            "{name} does not exist ({missing:#}), and creating it needs a connection to the \
             server's postgres database"
        )
    })?;
    let create = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
    match client.batch_execute(&create).await {
        Ok(()) => Ok(true),
        // Created by someone else in the meantime: fine.
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE) => {
            Ok(false)
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!("creating database {name}"))),
    }
}

pub async fn find_or_start(root: &Path, purpose: Purpose) -> anyhow::Result<Server> {
    if let Ok(url) = std::env::var("DATABASE_URL") {
        return from_database_url(url, purpose).await;
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
                    named: None,
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

async fn from_database_url(url: String, purpose: Purpose) -> anyhow::Result<Server> {
    println!("    using DATABASE_URL ({})", devhost::pg::redact(&url));
    match purpose {
        // Its database may not exist yet: `ensure_database` creates it, or says why not.
        Purpose::Development => Ok(Server {
            admin: maintenance_url(&url),
            named: Some(url),
            cluster: None,
        }),
        Purpose::Tests => {
            devhost::connect(&url)
                .await
                .context("DATABASE_URL is set but the server does not answer")?;
            Ok(Server {
                admin: url,
                named: None,
                cluster: None,
            })
        }
    }
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
        named: None,
        cluster: Some(cluster),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server `cargo xtask test` hands the tests, else the local one.
    fn test_server() -> String {
        std::env::var("DATABASE_URL").unwrap_or_else(|_| LOCAL_ADMIN.to_string())
    }

    async fn database_exists(admin: &str, name: &str) -> bool {
        devhost::connect(admin)
            .await
            .expect("connect to the test server")
            .query_opt(
                "SELECT 1 FROM pg_database WHERE datname = $1::text",
                &[&name],
            )
            .await
            .expect("query pg_database")
            .is_some()
    }

    #[test]
    fn the_database_of_a_connection_string_is_the_one_it_names_else_the_user() {
        for (url, name) in [
            (
                "postgres://u:p@db.example:21699/drinks?sslmode=require",
                "drinks",
            ),
            ("postgresql://u@h/x%20y", "x y"),
            ("postgres://alice@h:5432", "alice"),
            ("host=h user=bob dbname=events", "events"),
            ("host=h user=bob", "bob"),
        ] {
            assert_eq!(database_name(url).expect(url), name, "{url}");
        }
        assert_eq!(
            maintenance_url("postgres://u@h:1/drinks?sslmode=disable"),
            "postgres://u@h:1/postgres?sslmode=disable"
        );
        assert_eq!(
            database_name(&maintenance_url("host=h user=bob dbname=events")).expect("parses"),
            "postgres"
        );
    }

    #[tokio::test]
    async fn up_serves_the_database_database_url_names_and_creates_it_if_missing() {
        let admin = test_server();
        let name = format!("xtask_up_{}", uuid::Uuid::new_v4().simple());
        let url = devhost::dburl::with_database(&admin, &name);
        let server = from_database_url(url.clone(), Purpose::Development)
            .await
            .expect("DATABASE_URL naming a missing database is accepted");
        assert!(!database_exists(&admin, &name).await, "not created yet");

        let served = server
            .ensure_database("drink_orders")
            .await
            .expect("the named database is created");
        assert_eq!(served, url, "the URL is served as given, not drink_orders");
        assert!(database_exists(&admin, &name).await, "{name} was created");
        let again = server.ensure_database("drink_orders").await;
        assert_eq!(again.expect("an existing database is reused"), url);

        devhost::connect(&admin)
            .await
            .expect("connect")
            .batch_execute(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
            .await
            .expect("drop the test database");
    }

    #[tokio::test]
    async fn test_keeps_database_url_as_the_admin_connection_of_the_server() {
        let admin = test_server();
        let server = from_database_url(admin.clone(), Purpose::Tests)
            .await
            .expect("the test server answers");
        assert_eq!(server.admin_url(), admin);
        assert!(server.named.is_none(), "tests create their own databases");
    }

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
