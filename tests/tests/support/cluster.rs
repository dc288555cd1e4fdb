//! A throwaway PostgreSQL cluster of one test, from the local server binaries: its own data
//! directory, free port and socket directory, so a test may stop and restart it without
//! touching the shared server. As root, the server runs as the `postgres` user (initdb
//! refuses root). Stopped and removed on drop.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_user: Option<String>,
}

fn bin_dir() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|p| p.join("initdb").is_file() && p.join("pg_ctl").is_file())
    });
    if on_path.is_some() {
        return on_path;
    }
    // Debian/Ubuntu keep the server binaries out of PATH; take the newest version.
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

fn check(what: &str, out: std::io::Result<Output>) -> Output {
    let out = out.unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl Cluster {
    /// initdb + start; panics with the reason when the server binaries are missing.
    pub fn start() -> Cluster {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let bin = bin_dir().expect(
            "PostgreSQL server binaries (initdb, pg_ctl) not found in PATH or \
             /usr/lib/postgresql/*/bin; install postgresql",
        );
        let as_user = is_root().then(|| "postgres".to_string());
        let data = std::env::temp_dir().join(format!(
            "drinks-faults-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).expect("create the data directory");
        let cluster = Cluster {
            bin,
            data,
            port: free_port(),
            as_user,
        };
        if let Some(user) = &cluster.as_user {
            check(
                "chown of the data directory",
                Command::new("chown")
                    .arg(format!("{user}:{user}"))
                    .arg(&cluster.data)
                    .output(),
            );
        }
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
        );
        cluster.start_server();
        cluster
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
        format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off",
            self.port,
            self.data.display()
        )
    }

    fn log(&self) -> PathBuf {
        self.data.join("server.log")
    }

    /// `pg_ctl start`, waiting until it accepts connections.
    pub fn start_server(&self) {
        let out = self
            .tool("pg_ctl")
            .args(["start", "-w", "-t", "30", "-D"])
            .arg(&self.data)
            .arg("-l")
            .arg(self.log())
            .args(["-o", &self.options()])
            .output();
        if !matches!(&out, Ok(o) if o.status.success()) {
            panic!(
                "pg_ctl start failed: {out:?}\n{}",
                std::fs::read_to_string(self.log()).unwrap_or_default()
            );
        }
    }

    /// `pg_ctl stop -m fast`: running statements are cancelled, connections closed.
    pub fn stop_server(&self) {
        check(
            "pg_ctl stop",
            self.tool("pg_ctl")
                .args(["stop", "-w", "-t", "30", "-m", "fast", "-D"])
                .arg(&self.data)
                .output(),
        );
    }

    /// `pg_ctl restart -m fast` (same options as before).
    pub fn restart_server(&self) {
        check(
            "pg_ctl restart",
            self.tool("pg_ctl")
                .args(["restart", "-w", "-t", "30", "-m", "fast", "-D"])
                .arg(&self.data)
                .arg("-l")
                .arg(self.log())
                .args(["-o", &self.options()])
                .output(),
        );
    }

    /// URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{name}?sslmode=disable",
            self.port
        )
    }

    /// Creates database `name` (waiting up to 10 s for the server) and returns its URL.
    pub async fn create_database(&self, name: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        let admin = loop {
            match devhost::connect(&self.url("postgres")).await {
                Ok(client) => break client,
                Err(e) if Instant::now() > deadline => panic!("throwaway cluster: {e:#}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create database");
        self.url(name)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .tool("pg_ctl")
            .args(["stop", "-w", "-t", "30", "-m", "immediate", "-D"])
            .arg(&self.data)
            .output();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}
