//! End-to-end test harness, in the style of zero-to-production's `spawn_app()`:
//! every test gets the development host on a free port, serving the real release-built
//! `.wasm` components of this repository, against a fresh PostgreSQL database that is
//! created and migrated for the test and dropped after it.
//!
//! The PostgreSQL server comes from `DATABASE_URL` (an admin connection to any database
//! of the server; `cargo xtask test` sets it, starting a throwaway cluster if needed), or
//! `postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable`.
//! The components must be built first: `cargo xtask build` (or `cargo xtask test`).
//!
//! With `E2E_SPIN_BIN=/path/to/spin`, the same tests run against a real Spin instead:
//! `spawn_app()` starts `spin up --listen 127.0.0.1:PORT --from <manifest>` with the
//! variables in `SPIN_VARIABLE_*`, after migrating the test database with the migrate
//! component on the development host, and waits for `/.well-known/spin/health`. Tests that
//! only make sense on the development host start with [`require_devhost!`], which skips
//! them there with a printed reason.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use devhost::{AppOptions, RunningHost, VariableSource};
use serde::Serialize;
use serde_json::Value;

pub mod api;
pub mod stand_in;

/// The repository root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Admin URL of the test PostgreSQL server.
pub fn admin_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".to_string()
    })
}

/// The `spin` binary the suite runs against (`E2E_SPIN_BIN`), if any.
pub fn spin_binary() -> Option<PathBuf> {
    std::env::var_os("E2E_SPIN_BIN")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Whether the suite runs against a real Spin (`E2E_SPIN_BIN` is set).
pub fn on_spin() -> bool {
    spin_binary().is_some()
}

/// Skips the calling test, with the reason printed, when the suite runs against a real
/// Spin: the test inspects the development host itself.
#[macro_export]
macro_rules! require_devhost {
    ($reason:expr) => {
        if $crate::on_spin() {
            eprintln!(
                "skipped against Spin (E2E_SPIN_BIN): {}: {}",
                module_path!(),
                $reason
            );
            return;
        }
    };
}

/// The command line that serves `manifest` with a real Spin on `port`, and its
/// environment: the variables as `SPIN_VARIABLE_<NAME>` (as `spin up` reads them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpinCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

impl SpinCommand {
    pub fn new(
        program: &Path,
        manifest: &Path,
        port: u16,
        variables: &HashMap<String, String>,
        max_instance_memory: Option<usize>,
        direct_mounts: bool,
    ) -> Self {
        let mut args = vec![
            "up".to_string(),
            "--listen".to_string(),
            format!("127.0.0.1:{port}"),
            "--from".to_string(),
            manifest.display().to_string(),
        ];
        if let Some(bytes) = max_instance_memory {
            args.push("--max-instance-memory".to_string());
            args.push(bytes.to_string());
        }
        if direct_mounts {
            args.push("--direct-mounts".to_string());
        }
        let mut env: Vec<(String, String)> = variables
            .iter()
            .map(|(name, value)| {
                (
                    format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase()),
                    value.clone(),
                )
            })
            .collect();
        env.sort();
        Self {
            program: program.to_path_buf(),
            args,
            env,
        }
    }
}

/// A `spin up` child process, killed when dropped.
struct SpinProcess {
    child: tokio::process::Child,
}

impl SpinProcess {
    async fn start(command: &SpinCommand, addr: SocketAddr) -> anyhow::Result<Self> {
        let logs = workspace_root().join("target/e2e-spin");
        std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
        let log_file = logs.join(format!("{}.log", addr.port()));
        let log = std::fs::File::create(&log_file)
            .with_context(|| format!("creating {}", log_file.display()))?;
        let mut child = tokio::process::Command::new(&command.program)
            .args(&command.args)
            .envs(command.env.iter().map(|(k, v)| (k, v)))
            .current_dir(workspace_root())
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().context("log file")?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", command.program.display()))?;
        // Ready when Spin answers its own health check; fail early if it exits.
        let health = format!("http://{addr}/.well-known/spin/health");
        let client = reqwest::Client::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            if let Some(status) = child.try_wait().context("waiting for spin")? {
                let output = std::fs::read_to_string(&log_file).unwrap_or_default();
                anyhow::bail!("spin up exited with {status} before serving:\n{output}");
            }
            if let Ok(response) = client.get(&health).send().await
                && response.status() == 200
            {
                return Ok(Self { child });
            }
            if std::time::Instant::now() > deadline {
                let output = std::fs::read_to_string(&log_file).unwrap_or_default();
                anyhow::bail!("spin up did not answer {health} within 120 s:\n{output}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    async fn stop(mut self) -> anyhow::Result<()> {
        self.child.kill().await.context("stopping spin")
    }
}

/// What serves a test's app.
enum Server {
    DevHost(RunningHost),
    Spin(SpinProcess),
}

impl Server {
    async fn stop(self) -> anyhow::Result<()> {
        match self {
            Server::DevHost(host) => host.stop().await,
            Server::Spin(spin) => spin.stop().await,
        }
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// The process's Wasmtime engine, with the compile cache in target/devhost-cache.
pub fn engine() -> devhost::Engine {
    devhost::shared_engine(Some(&workspace_root().join("target/devhost-cache")))
        .expect("wasmtime engine")
}

/// Applies the migrations to `url` with the migrate component, as in every environment.
pub async fn migrate(url: &str) {
    if let Err(e) =
        devhost::migrate(&engine(), &workspace_root().join("migrate/spin.toml"), url).await
    {
        panic!("migrating {url}: {}", devhost::error_chain(&e));
    }
}

/// A freshly created, migrated database that is dropped when this value is dropped, or a
/// database the test brought itself ([`TestDatabase::external`]), which is left alone.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
    admin: String,
    owned: bool,
}

impl TestDatabase {
    pub async fn create(migrate: bool) -> TestDatabase {
        let admin = admin_url();
        let name = format!("drinks_test_{}", uuid::Uuid::new_v4().simple());
        let client = devhost::connect(&admin)
            .await
            .expect("connect to the test PostgreSQL server (is it running? see README)");
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create the test database");
        let url = devhost::dburl::with_database(&admin, &name);
        if migrate {
            self::migrate(&url).await;
        }
        TestDatabase {
            name,
            url,
            admin,
            owned: true,
        }
    }

    /// A database the test manages itself (e.g. on a throwaway cluster it restarts).
    pub fn external(url: &str) -> TestDatabase {
        TestDatabase {
            name: String::new(),
            url: url.to_string(),
            admin: String::new(),
            owned: false,
        }
    }

    /// A direct connection, for arranging and asserting.
    pub async fn client(&self) -> tokio_postgres::Client {
        devhost::connect(&self.url)
            .await
            .expect("connect to the test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        let name = &self.name;
        cleanup_as_admin(
            &self.admin,
            vec![format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")],
        );
    }
}

/// Runs `statements` one by one on the server of the admin URL `admin`, from a `Drop`
/// (outside async, possibly while a test panics): on a private runtime on a helper thread,
/// waiting until they ran. Best effort, for cleaning up: errors are ignored.
pub fn cleanup_as_admin(admin: &str, statements: Vec<String>) {
    let admin = admin.to_string();
    let _ = std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async move {
            if let Ok(client) = devhost::connect(&admin).await {
                for statement in statements {
                    let _ = client.batch_execute(&statement).await;
                }
            }
        });
    })
    .join();
}

/// What to start.
pub struct TestAppBuilder {
    manifest: PathBuf,
    variables: HashMap<String, String>,
    migrate: bool,
    bar_token: Option<String>,
    database_url: Option<String>,
    request_timeout: Option<std::time::Duration>,
    max_instance_memory: Option<usize>,
    direct_mounts: bool,
    /// Extra `allowed_outbound_hosts` entries per component (a derived manifest).
    outbound: Vec<(String, String)>,
}

impl Default for TestAppBuilder {
    fn default() -> Self {
        Self {
            manifest: workspace_root().join("spin.toml"),
            variables: HashMap::new(),
            migrate: true,
            bar_token: Some(format!("test-token-{}", uuid::Uuid::new_v4().simple())),
            database_url: None,
            request_timeout: None,
            max_instance_memory: None,
            direct_mounts: false,
            outbound: Vec::new(),
        }
    }
}

impl TestAppBuilder {
    /// Serve another manifest (relative to the repository root).
    pub fn manifest(mut self, path: &str) -> Self {
        self.manifest = workspace_root().join(path);
        self
    }

    /// Set an application variable (as `SPIN_VARIABLE_<NAME>` would).
    pub fn variable(mut self, name: &str, value: &str) -> Self {
        self.variables.insert(name.to_string(), value.to_string());
        self
    }

    /// Start with an empty database (no migrations applied).
    pub fn unmigrated(mut self) -> Self {
        self.migrate = false;
        self
    }

    /// Start without a bar token configured.
    pub fn without_bar_token(mut self) -> Self {
        self.bar_token = None;
        self
    }

    /// Serve an existing database (migrated or not, as the test arranged) instead of a
    /// fresh one; it is not dropped afterwards.
    pub fn database_url(mut self, url: &str) -> Self {
        self.database_url = Some(url.to_string());
        self
    }

    /// Serve a database that cannot be reached: `db_url` points at port 1 on loopback
    /// (connection refused, fast), and `db_port` follows so that `allowed_outbound_hosts`
    /// still allows it; every request that needs the database meets the outage.
    pub fn unreachable_database(self) -> Self {
        self.variable(
            "db_url",
            "postgres://postgres@127.0.0.1:1/none?sslmode=disable",
        )
        .variable("db_port", "1")
    }

    /// Give up on every request of `TestApp::http` after `timeout` (a hang is a failure).
    pub fn request_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// `--max-instance-memory`: limit every instance's linear memory to `bytes`.
    pub fn max_instance_memory(mut self, bytes: usize) -> Self {
        self.max_instance_memory = Some(bytes);
        self
    }

    /// `--direct-mounts`: serve the `files` directories themselves, not copies taken at start.
    pub fn direct_mounts(mut self) -> Self {
        self.direct_mounts = true;
        self
    }

    /// Serve the manifest with one more `allowed_outbound_hosts` entry for `component`
    /// (e.g. `http://127.0.0.1:PORT` for a stand-in of an external service): the app runs
    /// from a copy of the manifest with that entry added, its paths made absolute.
    pub fn allow_outbound(mut self, component: &str, entry: &str) -> Self {
        self.outbound
            .push((component.to_string(), entry.to_string()));
        self
    }

    /// The manifest to serve: the configured one, or a derived copy with the extra
    /// outbound hosts (in target/e2e-manifests/, named uniquely).
    fn manifest_to_serve(&self) -> anyhow::Result<PathBuf> {
        if self.outbound.is_empty() {
            return Ok(self.manifest.clone());
        }
        let base = self
            .manifest
            .parent()
            .context("the manifest has a directory")?
            .to_path_buf();
        let text = std::fs::read_to_string(&self.manifest)
            .with_context(|| format!("reading {}", self.manifest.display()))?;
        let mut manifest: toml::Table = text.parse().context("parsing the manifest")?;
        let components = manifest
            .get_mut("component")
            .and_then(|c| c.as_table_mut())
            .context("the manifest has components")?;
        for (_, component) in components.iter_mut() {
            let Some(component) = component.as_table_mut() else {
                continue;
            };
            if let Some(toml::Value::String(source)) = component.get_mut("source") {
                *source = base.join(&*source).display().to_string();
            }
            if let Some(toml::Value::Array(files)) = component.get_mut("files") {
                for file in files.iter_mut() {
                    if let Some(toml::Value::String(source)) =
                        file.as_table_mut().and_then(|f| f.get_mut("source"))
                    {
                        *source = base.join(&*source).display().to_string();
                    }
                }
            }
        }
        for (name, entry) in &self.outbound {
            let component = components
                .get_mut(name)
                .and_then(|c| c.as_table_mut())
                .with_context(|| format!("no component {name}"))?;
            let hosts = component
                .entry("allowed_outbound_hosts")
                .or_insert_with(|| toml::Value::Array(Vec::new()));
            if let toml::Value::Array(hosts) = hosts {
                hosts.push(toml::Value::String(entry.clone()));
            }
        }
        let dir = workspace_root().join("target/e2e-manifests");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!("{}.toml", uuid::Uuid::new_v4().simple()));
        std::fs::write(&path, toml::to_string(&manifest)?)
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    pub async fn spawn(self) -> TestApp {
        let db = match &self.database_url {
            Some(url) => TestDatabase::external(url),
            None => TestDatabase::create(self.migrate).await,
        };
        let (db_host, db_port) = devhost::dburl::host_and_port(&db.url);
        let mut overrides = HashMap::from([
            ("db_url".to_string(), db.url.clone()),
            ("db_host".to_string(), db_host),
            ("db_port".to_string(), db_port.to_string()),
        ]);
        if let Some(token) = &self.bar_token {
            overrides.insert("bar_token".to_string(), token.clone());
        }
        let manifest = self
            .manifest_to_serve()
            .expect("the manifest with the test's outbound hosts");
        let manifest_path = manifest.clone();
        overrides.extend(self.variables);
        let (addr, server) = match spin_binary() {
            Some(spin) => {
                let port = free_port().expect("a free port");
                let addr = SocketAddr::from(([127, 0, 0, 1], port));
                let command = SpinCommand::new(
                    &spin,
                    &manifest,
                    port,
                    &overrides,
                    self.max_instance_memory,
                    self.direct_mounts,
                );
                let process = SpinProcess::start(&command, addr)
                    .await
                    .map_err(|e| anyhow::anyhow!(devhost::error_chain(&e)))
                    .context("starting Spin (E2E_SPIN_BIN)")
                    .expect("spin up serves the app");
                (addr, Server::Spin(process))
            }
            None => {
                let options = AppOptions {
                    manifest,
                    variables: VariableSource {
                        overrides,
                        read_environment: false,
                    },
                    max_instance_memory: self.max_instance_memory,
                    direct_mounts: self.direct_mounts,
                };
                let engine = engine();
                let listen: SocketAddr = "127.0.0.1:0".parse().expect("address");
                let host = devhost::spawn(&engine, &options, listen)
                    .await
                    .map_err(|e| anyhow::anyhow!(devhost::error_chain(&e)))
                    .context("starting the development host (did you run `cargo xtask build`?)")
                    .expect("development host starts");
                (host.addr, Server::DevHost(host))
            }
        };
        let address = format!("http://{addr}");
        TestApp {
            address,
            addr,
            bar_token: self.bar_token.unwrap_or_default(),
            http: {
                let mut client =
                    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
                if let Some(timeout) = self.request_timeout {
                    client = client.timeout(timeout);
                }
                client.build().expect("http client")
            },
            db,
            host: Some(server),
            // Only a derived copy is removed, never the configured manifest itself.
            _manifest: if self.outbound.is_empty() {
                None
            } else {
                Some(RemoveOnDrop(manifest_path))
            },
        }
    }
}

/// A running app for one test.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub addr: SocketAddr,
    /// The bar token the app was started with (empty if started without one).
    pub bar_token: String,
    pub http: reqwest::Client,
    pub db: TestDatabase,
    host: Option<Server>,
    /// A derived manifest (`allow_outbound`), removed after the server stopped.
    _manifest: Option<RemoveOnDrop>,
}

/// A file removed when dropped.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The app of this repository (spin.toml) on a fresh, migrated database.
pub async fn spawn_app() -> TestApp {
    TestAppBuilder::default().spawn().await
}

/// Configure before starting: `app_builder().without_bar_token().spawn().await`.
pub fn app_builder() -> TestAppBuilder {
    TestAppBuilder::default()
}

/// The test-only probe component (tests/fixtures/probe.toml), to test the host itself.
pub fn probe_builder() -> TestAppBuilder {
    TestAppBuilder::default()
        .manifest("tests/fixtures/probe.toml")
        .unmigrated()
        .without_bar_token()
}

impl TestApp {
    /// Runs SQL through the probe component's pg4 connection; returns its JSON report
    /// (`columns`/`rows` with Debug-formatted WIT values, or `error`).
    pub async fn probe_sql(&self, sql: &str, params: Value) -> Value {
        json(
            self.post_json(
                "/probe/sql",
                &serde_json::json!({"sql": sql, "params": params}),
            )
            .await,
        )
        .await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("GET request")
    }

    pub async fn post_json(&self, path: &str, body: &impl Serialize) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("POST request")
    }

    /// `GET` with the bar token, as a tablet of the bar sends it.
    pub async fn bar_get(&self, path: &str) -> reqwest::Response {
        self.bar(reqwest::Method::GET, path)
            .send()
            .await
            .expect("GET request as the bar")
    }

    /// A request builder with the bar token already set.
    pub fn bar(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.bar_token)
    }

    /// Stops the host (in-flight requests finish) but keeps the database.
    pub async fn stop_host(&mut self) {
        if let Some(host) = self.host.take() {
            host.stop().await.expect("host stops cleanly");
        }
    }

    /// How many component instances the development host is running now; `None` on Spin
    /// (`E2E_SPIN_BIN`), which does not tell.
    pub fn running_instances(&self) -> Option<usize> {
        match &self.host {
            Some(Server::DevHost(host)) => Some(host.running_instances()),
            _ => None,
        }
    }

    /// Runs SQL directly on the test database (to arrange a situation).
    pub async fn arrange_sql(&self, statements: &str) {
        self.db
            .client()
            .await
            .batch_execute(statements)
            .await
            .expect("arrange SQL");
    }

    /// Number of rows of `table` (for "nothing was written" assertions).
    pub async fn count(&self, table: &str) -> i64 {
        self.db
            .client()
            .await
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .expect("count rows")
            .get(0)
    }
}

/// A raw HTTP/1.1 exchange, for requests an HTTP client would normalise (`/../`,
/// backslashes): returns the status code, the lower-cased headers and the body.
pub async fn raw_http(addr: SocketAddr, request: &str) -> (u16, HashMap<String, String>, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete HTTP response head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, body)
}

/// Reads a response as JSON, with the body in the panic message if it is not JSON.
pub async fn json(response: reqwest::Response) -> Value {
    let text = response.text().await.expect("response body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spin_command_serves_the_manifest_on_loopback_with_variables_in_the_environment() {
        let variables = HashMap::from([
            ("db_url".to_string(), "postgres://u@127.0.0.1/x".to_string()),
            ("bar_token".to_string(), "t".to_string()),
        ]);
        let command = SpinCommand::new(
            Path::new("/usr/local/bin/spin"),
            Path::new("/repo/spin.toml"),
            3123,
            &variables,
            None,
            false,
        );
        assert_eq!(
            command.args,
            [
                "up",
                "--listen",
                "127.0.0.1:3123",
                "--from",
                "/repo/spin.toml"
            ]
        );
        assert_eq!(
            command.env,
            [
                ("SPIN_VARIABLE_BAR_TOKEN".to_string(), "t".to_string()),
                (
                    "SPIN_VARIABLE_DB_URL".to_string(),
                    "postgres://u@127.0.0.1/x".to_string()
                ),
            ]
        );
    }

    #[test]
    fn the_spin_command_passes_the_memory_limit_and_direct_mounts_on() {
        let command = SpinCommand::new(
            Path::new("spin"),
            Path::new("spin.toml"),
            1,
            &HashMap::new(),
            Some(1 << 28),
            true,
        );
        assert_eq!(
            command.args[5..],
            ["--max-instance-memory", "268435456", "--direct-mounts"]
        );
    }
}
