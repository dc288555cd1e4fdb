//! Replicas behind a load balancer: N `devhost serve` processes on free ports of 127.0.0.1
//! behind nginx (round robin), against one database — what SpinKube's replicas behind
//! ingress-nginx are in production, on one machine. For the benchmark's rush with a killed
//! replica (`cargo xtask bench`), its test-sized variant (tests/tests/replicas.rs) and
//! `cargo xtask up --replicas N`.
//!
//! Every process is a child of the caller: the replicas get their variables as
//! `SPIN_VARIABLE_*` (never on a command line) and log into files in a private temporary
//! directory, which also holds nginx's configuration, pid file, logs and temp paths. nginx
//! runs in the foreground (`daemon off`) with that directory as its prefix and listens on
//! 127.0.0.1 only. Dropping [`Replicas`] kills every process it started (by its own pid) and
//! removes the directory; [`Replicas::stop`] stops them gracefully first.
//!
//! nginx: `$NGINX`, else `/usr/sbin/nginx` (Debian's `nginx-light` or `nginx`), else `PATH`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// How long a replica (loading its components, from Wasmtime's cache when warm) and nginx
/// may take to answer their health check.
const START_DEADLINE: Duration = Duration::from_secs(120);
/// How long a graceful stop may take before the process is killed.
const STOP_DEADLINE: Duration = Duration::from_secs(10);
/// Pause between two readiness probes.
const PROBE_EVERY: Duration = Duration::from_millis(50);

/// What to start.
#[derive(Debug, Clone)]
pub struct ReplicaOptions {
    /// The `devhost` binary.
    pub binary: PathBuf,
    /// The directory the replicas run in (spin.toml's relative paths).
    pub root: PathBuf,
    pub manifest: PathBuf,
    /// Application variables, passed as `SPIN_VARIABLE_<NAME>`.
    pub variables: Vec<(String, String)>,
    /// Wasmtime's compile cache, shared by the replicas.
    pub cache_dir: Option<PathBuf>,
    pub replicas: usize,
    /// nginx's address (port 0: a free port).
    pub listen: SocketAddr,
    /// `RUST_LOG` of the replicas (`info` logs a line per request).
    pub rust_log: String,
}

/// The nginx binary: `$NGINX`, `/usr/sbin/nginx`, else on `PATH`.
pub fn find_nginx() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("NGINX").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let debian = PathBuf::from("/usr/sbin/nginx");
    if debian.is_file() {
        return Some(debian);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("nginx"))
            .find(|p| p.is_file())
    })
}

/// The message for a missing nginx.
pub const NGINX_MISSING: &str = "replicas need nginx as their load balancer: \
     apt-get install nginx-light (or set NGINX=/path/to/nginx)";

/// nginx's configuration: round robin over `ports` on 127.0.0.1, keep-alive connections to
/// them, a failed replica taken out for a second (then tried again), no buffering of
/// answers (streamed CSV exports pass through as they come, as with ingress-nginx). As
/// ingress-nginx, a request is passed to the next replica when connecting fails; a request
/// already sent is not passed on unless it is idempotent (nginx's default).
pub fn nginx_config(dir: &Path, listen: SocketAddr, ports: &[u16], as_root: bool) -> String {
    let d = dir.display();
    let servers: String = ports
        .iter()
        .map(|p| format!("        server 127.0.0.1:{p} max_fails=1 fail_timeout=1s;\n"))
        .collect();
    let user = if as_root { "user root;\n" } else { "" };
    format!(
        "daemon off;\n\
         {user}\
         worker_processes 1;\n\
         worker_rlimit_nofile 16384;\n\
         pid {d}/nginx.pid;\n\
         error_log {d}/error.log warn;\n\
         events {{\n    worker_connections 8192;\n}}\n\
         http {{\n\
         \x20   access_log off;\n\
         \x20   client_body_temp_path {d}/client_body;\n\
         \x20   proxy_temp_path {d}/proxy;\n\
         \x20   fastcgi_temp_path {d}/fastcgi;\n\
         \x20   uwsgi_temp_path {d}/uwsgi;\n\
         \x20   scgi_temp_path {d}/scgi;\n\
         \x20   keepalive_requests 100000;\n\
         \x20   upstream replicas {{\n\
         {servers}\
         \x20       keepalive 128;\n\
         \x20       keepalive_requests 100000;\n\
         \x20   }}\n\
         \x20   server {{\n\
         \x20       listen {listen};\n\
         \x20       client_max_body_size 1m;\n\
         \x20       location / {{\n\
         \x20           proxy_pass http://replicas;\n\
         \x20           proxy_http_version 1.1;\n\
         \x20           proxy_set_header Connection \"\";\n\
         \x20           proxy_set_header Host $http_host;\n\
         \x20           proxy_buffering off;\n\
         \x20           proxy_connect_timeout 1s;\n\
         \x20           proxy_read_timeout 60s;\n\
         \x20       }}\n\
         \x20   }}\n\
         }}\n"
    )
}

/// One replica: its port, its process (none while killed) and the CPU time of its earlier
/// processes (killed or stopped).
struct Replica {
    port: u16,
    child: Option<Child>,
    earlier_cpu_ticks: u64,
}

/// Running replicas behind nginx.
pub struct Replicas {
    /// nginx's address: send every request here.
    pub addr: SocketAddr,
    options: ReplicaOptions,
    dir: tempfile::TempDir,
    replicas: Vec<Replica>,
    nginx: Option<Child>,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")
        .context("finding a free port")?
        .local_addr()?
        .port())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Whether `GET /.well-known/spin/health` on `addr` answers 200 (within a second).
fn healthy(addr: SocketAddr) -> bool {
    let timeout = Duration::from_secs(1);
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, timeout) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    let request = "GET /.well-known/spin/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                   Connection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.ends_with(b" 200")
}

/// Waits until `addr` is healthy; fails early when `child` exits.
fn wait_healthy(what: &str, addr: SocketAddr, child: &mut Child, log: &Path) -> anyhow::Result<()> {
    let deadline = Instant::now() + START_DEADLINE;
    loop {
        if let Some(status) = child.try_wait().context("waiting for a child")? {
            let output = std::fs::read_to_string(log).unwrap_or_default();
            bail!("{what} exited with {status} before answering:\n{output}");
        }
        if healthy(addr) {
            return Ok(());
        }
        if Instant::now() > deadline {
            let output = std::fs::read_to_string(log).unwrap_or_default();
            bail!(
                "{what} did not answer on {addr} within {} s:\n{output}",
                START_DEADLINE.as_secs()
            );
        }
        std::thread::sleep(PROBE_EVERY);
    }
}

/// Clock ticks per second of /proc's CPU times.
fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// User + system CPU time of process `pid` so far, in clock ticks (0 when it is gone).
pub fn process_cpu_ticks(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // Fields after the command name (which may contain spaces) in parentheses: state is
    // field 3, utime 14, stime 15.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
    field(14).unwrap_or(0) + field(15).unwrap_or(0)
}

/// The children of process `pid` (nginx's workers).
fn children_of(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Sends SIGTERM to `child` and waits for it (by the deadline, then SIGKILL).
fn stop_child(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let Ok(pid) = libc::pid_t::try_from(child.id()) else {
        let _ = child.kill();
        let _ = child.wait();
        return;
    };
    // SAFETY: signalling our own child, which has not been reaped (try_wait said so).
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let deadline = Instant::now() + STOP_DEADLINE;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(PROBE_EVERY);
    }
    let _ = child.kill();
    let _ = child.wait();
}

impl Replicas {
    /// Starts the replicas (waiting until each answers its health check), then nginx in
    /// front of them (waiting until it passes a health check through). Blocking.
    pub fn start(options: ReplicaOptions) -> anyhow::Result<Replicas> {
        if options.replicas == 0 {
            bail!("at least one replica");
        }
        let nginx = find_nginx().context(NGINX_MISSING)?;
        let dir = tempfile::Builder::new()
            .prefix("drinks-replicas-")
            .tempdir()
            .context("creating the replicas' directory")?;
        let listen = if options.listen.port() == 0 {
            SocketAddr::new(options.listen.ip(), free_port()?)
        } else {
            options.listen
        };
        let mut set = Replicas {
            addr: listen,
            dir,
            replicas: Vec::new(),
            nginx: None,
            options,
        };
        for _ in 0..set.options.replicas {
            set.replicas.push(Replica {
                port: free_port()?,
                child: None,
                earlier_cpu_ticks: 0,
            });
        }
        for i in 0..set.replicas.len() {
            set.spawn_replica(i)?;
        }
        for i in 0..set.replicas.len() {
            set.wait_replica(i)?;
        }
        let ports: Vec<u16> = set.replicas.iter().map(|r| r.port).collect();
        let config = set.dir.path().join("nginx.conf");
        std::fs::write(
            &config,
            nginx_config(set.dir.path(), listen, &ports, is_root()),
        )
        .context("writing nginx.conf")?;
        let log = set.dir.path().join("nginx.log");
        let out = std::fs::File::create(&log).context("creating nginx.log")?;
        let mut child = Command::new(&nginx)
            .arg("-p")
            .arg(set.dir.path())
            .arg("-c")
            .arg(&config)
            .arg("-e")
            .arg(set.dir.path().join("error.log"))
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("starting {}", nginx.display()))?;
        let ready = wait_healthy("nginx", listen, &mut child, &log);
        set.nginx = Some(child);
        if let Err(e) = ready {
            let errors =
                std::fs::read_to_string(set.dir.path().join("error.log")).unwrap_or_default();
            return Err(e.context(errors));
        }
        Ok(set)
    }

    fn log_path(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("replica-{i}.log"))
    }

    fn addr_of(&self, i: usize) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.replicas[i].port))
    }

    fn spawn_replica(&mut self, i: usize) -> anyhow::Result<()> {
        let o = &self.options;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path(i))
            .context("creating a replica's log")?;
        let mut command = Command::new(&o.binary);
        command
            .current_dir(&o.root)
            .arg("serve")
            .arg("--manifest")
            .arg(&o.manifest)
            .arg("--listen")
            .arg(self.addr_of(i).to_string());
        if let Some(cache) = &o.cache_dir {
            command.arg("--cache-dir").arg(cache);
        }
        // Only the variables given: none leak in from this process's environment.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SPIN_VARIABLE_") {
                command.env_remove(name);
            }
        }
        for (name, value) in &o.variables {
            command.env(
                format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase()),
                value,
            );
        }
        let child = command
            .env("RUST_LOG", &o.rust_log)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {} serve", o.binary.display()))?;
        self.replicas[i].child = Some(child);
        Ok(())
    }

    fn wait_replica(&mut self, i: usize) -> anyhow::Result<()> {
        let addr = self.addr_of(i);
        let log = self.log_path(i);
        let child = self.replicas[i]
            .child
            .as_mut()
            .context("the replica is not running")?;
        wait_healthy(&format!("replica {i}"), addr, child, &log)
    }

    /// Where the replicas' logs (`replica-N.log`) and nginx's (`error.log`) are.
    pub fn log_dir(&self) -> &Path {
        self.dir.path()
    }

    /// How many replicas there are (running or killed).
    pub fn len(&self) -> usize {
        self.replicas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.replicas.is_empty()
    }

    /// The replicas' own addresses (behind nginx).
    pub fn replica_addrs(&self) -> Vec<SocketAddr> {
        (0..self.replicas.len()).map(|i| self.addr_of(i)).collect()
    }

    /// Kills replica `i` with SIGKILL (no graceful anything: in-flight requests and its
    /// database connections are cut) and reaps it. Blocking.
    pub fn kill(&mut self, i: usize) -> anyhow::Result<()> {
        let replica = &mut self.replicas[i];
        let mut child = replica.child.take().context("the replica is not running")?;
        // Its CPU time up to the kill (what it spends between this read and the signal is
        // lost: microseconds).
        replica.earlier_cpu_ticks += process_cpu_ticks(child.id());
        child.kill().context("SIGKILL")?;
        child.wait().context("reaping the killed replica")?;
        Ok(())
    }

    /// Starts replica `i` again on its port and waits until it is healthy. Blocking.
    pub fn restart(&mut self, i: usize) -> anyhow::Result<()> {
        if self.replicas[i].child.is_some() {
            bail!("replica {i} is running");
        }
        self.spawn_replica(i)?;
        self.wait_replica(i)
    }

    /// CPU time (user + system) of every replica process so far, killed ones included.
    pub fn replicas_cpu_seconds(&self) -> f64 {
        let ticks: u64 = self
            .replicas
            .iter()
            .map(|r| {
                r.earlier_cpu_ticks + r.child.as_ref().map_or(0, |c| process_cpu_ticks(c.id()))
            })
            .sum();
        ticks as f64 / ticks_per_second()
    }

    /// CPU time (user + system) of nginx so far, master and workers.
    pub fn nginx_cpu_seconds(&self) -> f64 {
        let Some(nginx) = &self.nginx else {
            return 0.0;
        };
        let master = nginx.id();
        let ticks: u64 = std::iter::once(master)
            .chain(children_of(master))
            .map(process_cpu_ticks)
            .sum();
        ticks as f64 / ticks_per_second()
    }

    /// What the replicas and nginx logged so far.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for i in 0..self.replicas.len() {
            let text = std::fs::read_to_string(self.log_path(i)).unwrap_or_default();
            out.push_str(&format!("--- replica {i} ({})\n{text}", self.addr_of(i)));
        }
        let errors = std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default();
        out.push_str(&format!("--- nginx error.log\n{errors}"));
        out
    }

    /// The last `lines` lines of each log (for a failure message).
    pub fn log_tails(&self, lines: usize) -> String {
        let tail = |text: String| {
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        };
        let mut out = String::new();
        for i in 0..self.replicas.len() {
            let text = std::fs::read_to_string(self.log_path(i)).unwrap_or_default();
            out.push_str(&format!(
                "--- replica {i} ({})\n{}\n",
                self.addr_of(i),
                tail(text)
            ));
        }
        let errors = std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default();
        out.push_str(&format!("--- nginx error.log\n{}\n", tail(errors)));
        out
    }

    /// Stops nginx, then the replicas (SIGTERM: in-flight requests finish), each bounded
    /// by a deadline, then removes the directory. Blocking.
    pub fn stop(mut self) {
        self.stop_all();
    }

    fn stop_all(&mut self) {
        if let Some(mut nginx) = self.nginx.take() {
            stop_child(&mut nginx);
        }
        for replica in &mut self.replicas {
            if let Some(mut child) = replica.child.take() {
                replica.earlier_cpu_ticks += process_cpu_ticks(child.id());
                stop_child(&mut child);
            }
        }
    }
}

impl Drop for Replicas {
    fn drop(&mut self) {
        if let Some(mut nginx) = self.nginx.take() {
            let _ = nginx.kill();
            let _ = nginx.wait();
        }
        for replica in &mut self.replicas {
            if let Some(mut child) = replica.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_balances_over_every_replica_on_loopback_only() {
        let config = nginx_config(
            Path::new("/tmp/x"),
            "127.0.0.1:8080".parse().expect("address"),
            &[4001, 4002, 4003],
            false,
        );
        assert!(config.contains("listen 127.0.0.1:8080;"), "{config}");
        for port in [4001, 4002, 4003] {
            assert!(
                config.contains(&format!(
                    "server 127.0.0.1:{port} max_fails=1 fail_timeout=1s;"
                )),
                "{config}"
            );
        }
        assert!(config.contains("daemon off;"));
        assert!(config.contains("pid /tmp/x/nginx.pid;"));
        assert!(!config.contains("user root;"));
        assert!(config.lines().filter(|l| l.contains("listen")).count() == 1);
    }

    #[test]
    fn the_cpu_time_of_this_process_is_read_from_proc() {
        // Burn a little CPU so that at least one tick is counted.
        let start = Instant::now();
        let mut x = 0u64;
        while start.elapsed() < Duration::from_millis(50) {
            x = x.wrapping_mul(31).wrapping_add(1);
        }
        assert!(x != 1);
        assert!(process_cpu_ticks(std::process::id()) > 0);
        assert_eq!(process_cpu_ticks(u32::MAX), 0);
    }
}
