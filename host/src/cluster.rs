//! Throwaway PostgreSQL clusters from the local server binaries, for `cargo xtask` (when no
//! server is running) and for tests that must stop, restart or reconfigure their own server
//! (fault and TLS tests) without touching the shared one.
//!
//! Each cluster has its own data directory, a free port on 127.0.0.1 and its socket in the
//! data directory. initdb refuses to run as root, so as root the cluster belongs to the
//! `postgres` user (commands run through `runuser`). Dropping the value stops the server
//! and, unless the data is kept, removes the directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

pub struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_user: Option<String>,
    settings: Vec<(String, String)>,
    keep_data: bool,
}

/// The directory of `initdb`/`pg_ctl`: on PATH, else the newest /usr/lib/postgresql/*/bin
/// (Debian and Ubuntu keep the server binaries off PATH).
pub fn find_bin_dir() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|p| p.join("initdb").is_file() && p.join("pg_ctl").is_file())
    });
    if on_path.is_some() {
        return on_path;
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn check(what: &str, out: std::io::Result<Output>) -> anyhow::Result<Output> {
    let out = out.with_context(|| format!("running {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out)
}

impl Cluster {
    /// Creates (initdb) a cluster in `data`, or in a fresh temporary directory when `None`;
    /// an existing cluster in `data` is reused. Not started yet: see [`Cluster::start`].
    pub fn init(data: Option<PathBuf>, keep_data: bool) -> anyhow::Result<Cluster> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let Some(bin) = find_bin_dir() else {
            bail!(
                "no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in \
                 /usr/lib/postgresql/*/bin. Install PostgreSQL (Debian/Ubuntu: \
                 `apt-get install postgresql`; macOS: `brew install postgresql`) or set \
                 DATABASE_URL=postgres://user:pass@host:port/db"
            );
        };
        let data = data.unwrap_or_else(|| {
            std::env::temp_dir().join(format!(
                "drink-orders-pg-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ))
        });
        let cluster = Cluster {
            bin,
            data,
            port: free_port()?,
            as_user: is_root().then(|| "postgres".to_string()),
            settings: Vec::new(),
            keep_data,
        };
        if !cluster.data.join("PG_VERSION").exists() {
            let _ = std::fs::remove_dir_all(&cluster.data);
            std::fs::create_dir_all(&cluster.data)
                .with_context(|| format!("creating {}", cluster.data.display()))?;
            cluster.chown(&cluster.data)?;
            check(
                "initdb",
                cluster
                    .tool("initdb")
                    .args([
                        "-A",
                        "trust",
                        "-U",
                        "postgres",
                        "-E",
                        "UTF8",
                        "--no-sync",
                        "-D",
                    ])
                    .arg(&cluster.data)
                    .output(),
            )?;
        }
        Ok(cluster)
    }

    /// Adds a server setting (`-c name=value`) for the next start.
    pub fn set(&mut self, name: &str, value: &str) -> &mut Self {
        self.settings.push((name.to_string(), value.to_string()));
        self
    }

    /// Writes a file into the data directory, owned by the server's user, with `mode`
    /// (e.g. 0o600 for a TLS key, which PostgreSQL requires). Returns its path.
    pub fn write_file(&self, name: &str, contents: &[u8], mode: u32) -> anyhow::Result<PathBuf> {
        use std::os::unix::fs::PermissionsExt;
        let path = self.data.join(name);
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
        self.chown(&path)?;
        Ok(path)
    }

    fn chown(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(user) = &self.as_user {
            check(
                "chown",
                Command::new("chown")
                    .arg(format!("{user}:{user}"))
                    .arg(path)
                    .output(),
            )?;
        }
        Ok(())
    }

    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        match &self.as_user {
            Some(user) => {
                let mut cmd = Command::new("runuser");
                cmd.args(["-u", user, "--"]).arg(program);
                cmd
            }
            None => Command::new(program),
        }
    }

    fn options(&self) -> String {
        let mut options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off",
            self.port,
            self.data.display()
        );
        for (name, value) in &self.settings {
            options.push_str(&format!(" -c {name}={value}"));
        }
        options
    }

    /// The server log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.join("server.log")).unwrap_or_default()
    }

    fn pg_ctl(&self, action: &str, extra: &[&str]) -> anyhow::Result<()> {
        let out = self
            .tool("pg_ctl")
            .args([action, "-w", "-t", "60"])
            .args(extra)
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(self.data.join("server.log"))
            .args(["-o", &self.options()])
            .output();
        check(&format!("pg_ctl {action}"), out)
            .with_context(|| format!("server log:\n{}", self.log()))?;
        Ok(())
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start(&self) -> anyhow::Result<()> {
        self.pg_ctl("start", &[])
    }

    /// Stops the server (`-m fast`: running statements are cancelled, connections closed).
    pub fn stop(&self) -> anyhow::Result<()> {
        self.pg_ctl("stop", &["-m", "fast"])
    }

    /// Restarts the server (`-m fast`) with the same settings.
    pub fn restart(&self) -> anyhow::Result<()> {
        self.pg_ctl("restart", &["-m", "fast"])
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// URL of database `name` (plaintext; add TLS parameters yourself for TLS tests).
    pub fn url(&self, name: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{name}?sslmode=disable",
            self.port
        )
    }

    /// Waits (up to 30 s) until the server answers, creates database `name`, returns its URL.
    pub async fn create_database(&self, name: &str) -> anyhow::Result<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let admin = loop {
            match crate::connect(&self.url("postgres")).await {
                Ok(client) => break client,
                Err(e) if Instant::now() > deadline => {
                    return Err(e.context("waiting for the throwaway cluster"));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .with_context(|| format!("creating database {name}"))?;
        Ok(self.url(name))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let mode = if self.keep_data { "fast" } else { "immediate" };
        let _ = self
            .tool("pg_ctl")
            .args(["stop", "-w", "-t", "30", "-m", mode, "-D"])
            .arg(&self.data)
            .output();
        if !self.keep_data {
            let _ = std::fs::remove_dir_all(&self.data);
        }
    }
}
