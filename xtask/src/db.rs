//! Finding a PostgreSQL server for `up` and `test`: `DATABASE_URL`; else the server on
//! 127.0.0.1:5432; else a throwaway cluster started from the local `initdb`/`pg_ctl`
//! binaries (as the `postgres` user when running as root); else a clear message.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

const LOCAL_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Data kept in target/dev-postgres across runs.
    Development,
    /// A fresh cluster, removed afterwards.
    Tests,
}

/// A server to use; a cluster this process started is stopped on drop.
pub struct Server {
    admin: String,
    cluster: Option<Cluster>,
}

struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    as_user: Option<String>,
    remove_after: bool,
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

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(cluster) = &self.cluster {
            let _ = cluster
                .command("pg_ctl")
                .args(["stop", "-m", "fast", "-D"])
                .arg(&cluster.data)
                .output();
            if cluster.remove_after {
                let _ = std::fs::remove_dir_all(&cluster.data);
            }
        }
    }
}

impl Cluster {
    fn command(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        match &self.as_user {
            Some(user) => {
                let mut cmd = Command::new("runuser");
                cmd.args(["-u", user, "--"]).arg(program);
                cmd
            }
            None => Command::new(program),
        }
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

fn find_bin_dir() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|p| p.join("initdb").is_file() && p.join("pg_ctl").is_file())
    });
    if on_path.is_some() {
        return on_path;
    }
    // Debian/Ubuntu keep the server binaries out of PATH.
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").is_file())
        .collect();
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions.pop()
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

async fn start_cluster(root: &Path, purpose: Purpose) -> anyhow::Result<Server> {
    let Some(bin) = find_bin_dir() else {
        bail!(
            "no PostgreSQL found: DATABASE_URL is not set, nothing answers on 127.0.0.1:5432, \
             and no initdb/pg_ctl binaries were found (PATH, /usr/lib/postgresql/*/bin).\n\
             Install PostgreSQL (Debian/Ubuntu: `apt-get install postgresql`; macOS: \
             `brew install postgresql`) or set DATABASE_URL=postgres://user:pass@host:port/db"
        );
    };
    // initdb refuses to run as root; run the cluster as the `postgres` user then.
    let as_user = is_root().then(|| "postgres".to_string());
    let data = match purpose {
        Purpose::Development => root.join("target/dev-postgres"),
        Purpose::Tests => {
            std::env::temp_dir().join(format!("drink-orders-pg-{}", std::process::id()))
        }
    };
    let cluster = Cluster {
        bin,
        data: data.clone(),
        as_user: as_user.clone(),
        remove_after: purpose == Purpose::Tests,
    };
    if !data.join("PG_VERSION").exists() {
        std::fs::create_dir_all(&data)?;
        if let Some(user) = &as_user {
            let status = Command::new("chown")
                .args(["-R", &format!("{user}:{user}")])
                .arg(&data)
                .status()?;
            if !status.success() {
                bail!(
                    "chown of {} to {user} failed (does the user exist?)",
                    data.display()
                );
            }
        }
        println!("    initdb {}", data.display());
        let out = cluster
            .command("initdb")
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "-D"])
            .arg(&data)
            .output()
            .context("running initdb")?;
        if !out.status.success() {
            bail!("initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    let port = free_port()?;
    let options = format!(
        "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off",
        data.display()
    );
    let log = data.join("server.log");
    let out = cluster
        .command("pg_ctl")
        .args(["start", "-w", "-t", "60", "-D"])
        .arg(&data)
        .args(["-l"])
        .arg(&log)
        .args(["-o", &options])
        .output()
        .context("running pg_ctl start")?;
    if !out.status.success() {
        bail!(
            "pg_ctl start failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }
    let admin = format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable");
    let server = Server {
        admin: admin.clone(),
        cluster: Some(cluster),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match devhost::connect(&admin).await {
            Ok(_) => break,
            Err(e) if Instant::now() > deadline => return Err(e.context("waiting for PostgreSQL")),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    println!(
        "    started PostgreSQL from {} on 127.0.0.1:{port}",
        data.display()
    );
    Ok(server)
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
            .map(|c| c.data.clone())
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
