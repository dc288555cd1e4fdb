//! The app behind a transaction-mode PgBouncer, as Exoscale DBaaS's connection pools run it
//! (docs/OPERATIONS.md, "Sizing"): does pooling work with how Spin talks to PostgreSQL?
//!
//! Spin 3.6.3 (factor-outbound-pg, tokio-postgres 0.7.12) and the development host
//! (tokio-postgres 0.7.18) run every statement the same way: `Parse` of a *named* statement
//! (`s0`, `s1`, … from a process-wide counter) with `Describe` and `Sync`, then, after that
//! round trip, `Bind`/`Execute`/`Sync` of that name, then `Close`. In transaction mode
//! PgBouncer hands the server connection back to its pool at each `Sync` outside a
//! transaction, so the `Bind` may reach a server connection that never saw the `Parse`.
//! PgBouncer ≥ 1.21 with `max_prepared_statements` > 0 tracks such statements and prepares
//! them on whichever server connection runs them (the default is 0 before 1.24, 200 from
//! 1.24 on; Exoscale's pooler defaults to 100); older versions reject the setting.
//!
//! Each test starts its own PgBouncer (a child process, daemonised with a pid file, on a free
//! port of 127.0.0.1, as the `postgres` user when run as root) in front of the test server.
//! The binary: `$PGBOUNCER`, else `/usr/sbin/pgbouncer` (Debian's package), else `PATH`.
//! Without one the tests are skipped with a loud message, but only outside CI: when `CI` is
//! set they fail instead (`.ci/run` installs Debian's). Debian 12 ships 1.18, which has no
//! `max_prepared_statements`: there the passing case only checks that the setting is
//! refused; Debian 13 ships 1.24.1, on which both cases run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use e2e::api::{get_mine, new_visitor, place_order};
use e2e::{TestApp, TestDatabase, admin_url, app_builder, json, probe_builder};
use reqwest::StatusCode;
use serde_json::json;

/// First PgBouncer release with `max_prepared_statements`.
const PREPARED_STATEMENTS_SINCE: (u32, u32) = (1, 21);
/// What Exoscale's pooler defaults to (its API schema: `pgbouncer-settings`).
const EXOSCALE_MAX_PREPARED_STATEMENTS: u32 = 100;
/// Server connections per database and user: far fewer than the clients, as in production.
const POOL_SIZE: u32 = 4;
/// Requests in flight at once: more than the pool has server connections.
const CONCURRENCY: usize = 24;

// ---------------------------------------------------------------------------------------------
// PgBouncer as a child process

fn find_pgbouncer() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PGBOUNCER") {
        return Some(PathBuf::from(path));
    }
    let debian = PathBuf::from("/usr/sbin/pgbouncer");
    if debian.is_file() {
        return Some(debian);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("pgbouncer"))
            .find(|p| p.is_file())
    })
}

/// The binary, or `None` (after a loud message) when the test must be skipped. In CI a
/// missing PgBouncer is a failure, never a skip.
fn pgbouncer_or_skip() -> Option<PathBuf> {
    if let Some(bin) = find_pgbouncer() {
        return Some(bin);
    }
    let message = "the connection pooling tests need PgBouncer (apt-get install pgbouncer, \
                   or PGBOUNCER=/path/to/pgbouncer)";
    if std::env::var_os("CI").is_some() {
        panic!("{message}; CI is set, so this is a failure, not a skip");
    }
    eprintln!("\n!!!!!!!! SKIPPED: {message} !!!!!!!!\n");
    None
}

/// `(major, minor, patch)` from `pgbouncer --version` ("PgBouncer 1.18.0").
fn version(bin: &Path) -> (u32, u32, u32) {
    let out = Command::new(bin)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("running {} --version: {e}", bin.display()));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let number = text
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("unexpected `pgbouncer --version`: {text}"));
    let mut parts = number.split('.').map(|p| {
        p.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse::<u32>()
            .unwrap_or(0)
    });
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A running PgBouncer; stopped (by the pid in its pid file) and removed on drop.
struct Pgbouncer {
    dir: PathBuf,
    port: u16,
    user: String,
}

impl Pgbouncer {
    /// Starts PgBouncer in transaction mode in front of the server of `admin`, or returns
    /// its complaint when it refuses its configuration.
    fn start(
        bin: &Path,
        admin: &str,
        max_prepared_statements: Option<u32>,
    ) -> Result<Pgbouncer, String> {
        let config: tokio_postgres::Config = admin.parse().expect("the admin URL parses");
        let user = config.get_user().unwrap_or("postgres").to_string();
        let (host, server_port) = devhost::dburl::host_and_port(admin);
        let password = config
            .get_password()
            .map(|p| format!(" password={}", String::from_utf8_lossy(p)))
            .unwrap_or_default();
        let port = free_port();
        let dir = std::env::temp_dir().join(format!(
            "drinks-pgbouncer-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).expect("create the PgBouncer directory");
        let prepared = max_prepared_statements
            .map(|n| format!("max_prepared_statements = {n}\n"))
            .unwrap_or_default();
        let ini = format!(
            "[databases]\n\
             * = host={host} port={server_port}{password}\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {port}\n\
             unix_socket_dir =\n\
             auth_type = trust\n\
             auth_file = {dir}/users.txt\n\
             pool_mode = transaction\n\
             default_pool_size = {POOL_SIZE}\n\
             max_client_conn = 500\n\
             {prepared}\
             logfile = {dir}/pgbouncer.log\n\
             pidfile = {dir}/pgbouncer.pid\n",
            dir = dir.display()
        );
        std::fs::write(dir.join("pgbouncer.ini"), ini).expect("write pgbouncer.ini");
        std::fs::write(dir.join("users.txt"), format!("\"{user}\" \"\"\n"))
            .expect("write users.txt");
        let bouncer = Pgbouncer { dir, port, user };
        // PgBouncer refuses to run as root.
        let mut command = if is_root() {
            let owned = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(&bouncer.dir)
                .status()
                .is_ok_and(|s| s.success());
            assert!(owned, "chown the PgBouncer directory to postgres");
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(bin);
            c
        } else {
            Command::new(bin)
        };
        // -d: daemonise once the configuration is loaded; a bad one fails right here.
        let out = command
            .arg("-d")
            .arg(bouncer.dir.join("pgbouncer.ini"))
            .output()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        if !out.status.success() {
            return Err(format!(
                "{}{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                bouncer.log()
            ));
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "PgBouncer did not listen on 127.0.0.1:{port} within 10 s: {}",
                bouncer.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(bouncer)
    }

    /// The app's connection string for `database`, through PgBouncer.
    fn url(&self, database: &str) -> String {
        format!(
            "postgres://{}@127.0.0.1:{}/{database}?sslmode=disable&connect_timeout=5",
            self.user, self.port
        )
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("pgbouncer.log")).unwrap_or_default()
    }

    fn pid(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.join("pgbouncer.pid"))
            .ok()
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    }
}

impl Drop for Pgbouncer {
    fn drop(&mut self) {
        if let Some(pid) = self.pid() {
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Command::new("kill")
                .args(["-0", &pid])
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ---------------------------------------------------------------------------------------------
// Load

/// What a burst of visitors saw: each places an order and reads it back.
#[derive(Debug, Default)]
struct Outcome {
    ok: usize,
    failures: Vec<String>,
}

/// `CONCURRENCY` visitors at once, each placing an order and reading `GET /api/mine`, plus
/// the bar's queue and the public feed.
async fn burst(app: &Arc<TestApp>) -> Outcome {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..CONCURRENCY {
        let app = Arc::clone(app);
        tasks.spawn(async move {
            let visitor = new_visitor();
            let placed = place_order(&app, &visitor, &format!("Guest {i}"), "espresso").await;
            if placed.status() != StatusCode::CREATED {
                let status = placed.status();
                return Err(format!(
                    "POST /api/orders: {status} {}",
                    placed.text().await.unwrap_or_default()
                ));
            }
            let mine = get_mine(&app, &visitor).await;
            if mine.status() != StatusCode::OK {
                return Err(format!("GET /api/mine: {}", mine.status()));
            }
            let orders = json(mine).await;
            if orders["orders"].as_array().map(Vec::len) != Some(1) {
                return Err(format!("GET /api/mine: not the one order: {orders}"));
            }
            let queue = app.bar(reqwest::Method::GET, "/api/queue").send().await;
            let feed = app.get("/api/feed?tail=5").await;
            for (what, response) in [
                ("GET /api/queue", queue.expect("queue")),
                ("GET /api/feed", feed),
            ] {
                if response.status() != StatusCode::OK {
                    return Err(format!("{what}: {}", response.status()));
                }
            }
            Ok(())
        });
    }
    let mut outcome = Outcome::default();
    while let Some(result) = tasks.join_next().await {
        match result.expect("visitor task") {
            Ok(()) => outcome.ok += 1,
            Err(e) => outcome.failures.push(e),
        }
    }
    outcome
}

/// `CONCURRENCY` one-statement queries at once through the host's own `spin:postgres`
/// connection (the probe component); the errors they returned.
async fn probe_errors(probe: &Arc<TestApp>) -> Vec<String> {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..CONCURRENCY {
        let probe = Arc::clone(probe);
        tasks.spawn(async move {
            let body = probe
                .probe_sql("SELECT $1::int8 + 1 AS n", json!([{"t": "i64", "v": i}]))
                .await;
            body["error"].as_str().map(str::to_string)
        });
    }
    let mut errors = Vec::new();
    while let Some(result) = tasks.join_next().await {
        errors.extend(result.expect("probe task"));
    }
    errors
}

// ---------------------------------------------------------------------------------------------
// The tests

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_max_prepared_statements_transaction_pooling_loses_spins_prepared_statements() {
    let Some(bin) = pgbouncer_or_skip() else {
        return;
    };
    let (major, minor, patch) = version(&bin);
    let db = TestDatabase::create(true).await;
    // Off: 0 where the setting exists (PgBouncer >= 1.24 defaults to 200), absent before.
    let off = ((major, minor) >= PREPARED_STATEMENTS_SINCE).then_some(0);
    let bouncer = Pgbouncer::start(&bin, &admin_url(), off)
        .unwrap_or_else(|log| panic!("PgBouncer starts in transaction mode: {log}"));
    let url = bouncer.url(&db.name);

    // The cause, through the host's pg client: a statement prepared on one server
    // connection, executed on another.
    let probe = Arc::new(probe_builder().database_url(&url).spawn().await);
    let deadline = Instant::now() + Duration::from_secs(30);
    let lost = loop {
        let errors = probe_errors(&probe).await;
        // SQLSTATE 26000: invalid_sql_statement_name.
        let lost = errors
            .iter()
            .filter(|e| {
                e.contains("26000")
                    && e.contains("prepared statement")
                    && e.contains("does not exist")
            })
            .count();
        if lost > 0 {
            break lost;
        }
        assert!(
            Instant::now() < deadline,
            "no statement was lost within 30 s of bursts of {CONCURRENCY} queries over \
             {POOL_SIZE} server connections; last errors: {errors:?}"
        );
    };
    eprintln!(
        "PgBouncer {major}.{minor}.{patch} without max_prepared_statements: {lost} of \
         {CONCURRENCY} concurrent queries failed with SQLSTATE 26000 (prepared statement \
         \"sN\" does not exist)"
    );

    // What visitors see: orders and reads failing under a burst.
    let app = Arc::new(app_builder().database_url(&url).spawn().await);
    let deadline = Instant::now() + Duration::from_secs(30);
    let outcome = loop {
        let outcome = burst(&app).await;
        if !outcome.failures.is_empty() {
            break outcome;
        }
        assert!(
            Instant::now() < deadline,
            "every request succeeded for 30 s: transaction pooling without \
             max_prepared_statements was expected to fail some"
        );
    };
    eprintln!(
        "the app behind PgBouncer {major}.{minor}.{patch} without max_prepared_statements: \
         {} of {CONCURRENCY} visitors failed; first failure: {}",
        outcome.failures.len(),
        outcome.failures[0]
    );
    drop(app);
    drop(probe);
    drop(bouncer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_max_prepared_statements_transaction_pooling_serves_every_order() {
    let Some(bin) = pgbouncer_or_skip() else {
        return;
    };
    let (major, minor, patch) = version(&bin);
    let admin = admin_url();
    let started = Pgbouncer::start(&bin, &admin, Some(EXOSCALE_MAX_PREPARED_STATEMENTS));
    if (major, minor) < PREPARED_STATEMENTS_SINCE {
        // Debian 12's PgBouncer (1.18): the setting does not exist, the pooler refuses it.
        let log = match started {
            Err(log) => log,
            Ok(_) => panic!("PgBouncer {major}.{minor}.{patch} accepted max_prepared_statements"),
        };
        assert!(log.contains("max_prepared_statements"), "{log}");
        eprintln!(
            "\n!!!!!!!! NOT VERIFIED HERE: PgBouncer {major}.{minor}.{patch} has no \
             max_prepared_statements (since 1.21), so the app behind transaction pooling \
             with it cannot run on this machine. Set PGBOUNCER to a PgBouncer >= 1.21 to run \
             this test. !!!!!!!!\n"
        );
        return;
    }
    let bouncer = started.unwrap_or_else(|log| panic!("PgBouncer starts: {log}"));
    let db = TestDatabase::create(true).await;
    let url = bouncer.url(&db.name);

    let probe = Arc::new(probe_builder().database_url(&url).spawn().await);
    let app = Arc::new(app_builder().database_url(&url).spawn().await);
    let mut served = 0;
    for round in 0..10 {
        let errors = probe_errors(&probe).await;
        assert!(errors.is_empty(), "round {round}: {errors:?}");
        let outcome = burst(&app).await;
        assert!(
            outcome.failures.is_empty(),
            "round {round}: {} failed: {:?}",
            outcome.failures.len(),
            outcome.failures
        );
        served += outcome.ok;
    }
    // However many connections the hosts' pools opened to PgBouncer, the server saw at most
    // the pool's.
    let server_side: i64 = devhost::connect(&admin)
        .await
        .expect("connect to the test server")
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1::text",
            &[&db.name],
        )
        .await
        .expect("count server connections")
        .get(0);
    assert!(
        server_side <= i64::from(POOL_SIZE),
        "{server_side} server connections to {} (pool size {POOL_SIZE})",
        db.name
    );
    // Every order is in the database, once.
    let direct = TestDatabase::external(&db.url).client().await;
    let orders: i64 = direct
        .query_one("SELECT count(*) FROM orders", &[])
        .await
        .expect("count orders")
        .get(0);
    assert_eq!(orders, served as i64);
    eprintln!(
        "app behind PgBouncer {major}.{minor}.{patch} (transaction mode, \
         max_prepared_statements = {EXOSCALE_MAX_PREPARED_STATEMENTS}, {POOL_SIZE} server \
         connections): {served} visitors served, no failure"
    );
    drop(app);
    drop(probe);
    drop(bouncer);
}
