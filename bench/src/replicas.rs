//! The rush on replicas: `devhost serve` processes behind nginx (`devhost::replicas`)
//! against one fresh database; phones polling (`GET /api/visit` as the visitor page does,
//! or the whole public feed as it did before: [`PhonePoll`]), orders from new guests, bar
//! tablets moving orders on with versions; optionally one replica killed with SIGKILL at a
//! third of the time and restarted at half. Clients retry what a dead replica costs them
//! (502, 503, 504, connection errors, timeouts) with the same request (`request_id` for
//! orders), as the pages do. Afterwards it checks, against the database:
//!
//! - every acknowledged order exists exactly once, and no guest has two orders;
//! - every order a tablet saw reached the phone of its guest: that phone's last seen status
//!   and version of it are the database's (with `visit`, for each phone's latest guest: a
//!   phone shows its guest's latest order);
//! - `feed`: every phone got every feed event exactly once and in order: its sequence of
//!   events (counted, and folded into a hash) equals the database's `order_events` after
//!   the start, ordered by `(tx, seq)`; `visit`: every ticker a phone received lists each
//!   order once, newest first.
//!
//! It reports p50/p99 per endpoint, errors by kind (those within [`FAULT_WINDOW`] of the
//! kill apart), the replicas' CPU time per request (`/proc/<pid>/stat` utime + stime of
//! every replica process, killed ones included; nginx apart) and PostgreSQL transactions
//! per request (`pg_stat_database` xact_commit + xact_rollback of the rush's database, read
//! after the replicas closed their connections: each `Sync` ends an implicit transaction,
//! so one statement as Spin sends it counts 3 — the checkout's cleanup batch, the prepare
//! and the execution).
//!
//! Every loop is bounded in time and count; the database is dropped at the end, also on
//! failure.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tokio::time::MissedTickBehavior;

use crate::load::{Outcome, Recorder, Summary, round3};
use devhost::replicas::{ReplicaOptions, Replicas};

/// How often a phone polls.
pub const POLL_EVERY: Duration = Duration::from_secs(2);
/// Errors this soon after the kill are the dead replica's cut connections (nginx takes a
/// failed replica out of the rotation at once).
pub const FAULT_WINDOW: Duration = Duration::from_secs(2);
/// Events per feed page a phone asks for (the feed's maximum).
const FEED_LIMIT: usize = 500;
/// Pages a phone reads back to back when they come full, per poll.
const MAX_PAGES_PER_POLL: usize = 20;
/// Attempts of one request whose failure a retry can fix.
const ATTEMPTS: usize = 6;
/// Pause before retrying (or as long as `Retry-After` says, at most 2 s).
const RETRY_PAUSE: Duration = Duration::from_millis(250);
/// A tablet's pause between two taps, and when its queue is empty.
const TAP_PAUSE: Duration = Duration::from_millis(20);
const EMPTY_QUEUE_PAUSE: Duration = Duration::from_millis(100);
/// Orders a tablet advances from one queue fetch before it fetches again.
const TAPS_PER_FETCH: usize = 10;
/// How long the phones may take to catch up after the load stopped.
const CATCH_UP_DEADLINE: Duration = Duration::from_secs(60);
/// Phones catching up at once (each replica's pool opens a connection per request in
/// flight, up to 64, and keeps it).
const CATCH_UP_CONCURRENCY: usize = 16;
/// How long after a close the page keeps polling its own view (the bar's undo window,
/// `UNDO_WINDOW_MS`).
const UNDO_WINDOW: Duration = Duration::from_millis(drinks_core::domain::UNDO_WINDOW_MS as u64);
/// Per-request timeout of the load generator.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

const FEED: &str = "GET /api/feed";
const VISIT: &str = "GET /api/visit";
const PLACE: &str = "POST /api/orders";
const QUEUE: &str = "GET /api/queue";
const PATCH: &str = "PATCH /api/orders/{id}";

/// What a phone polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum PhonePoll {
    /// `GET /api/visit` with its guest's visitor id, as the visitor page does (issue 16).
    Visit,
    /// The whole public feed, as the visitor page did before (every event of every order).
    Feed,
}

impl PhonePoll {
    fn endpoint(self) -> &'static str {
        match self {
            PhonePoll::Visit => VISIT,
            PhonePoll::Feed => FEED,
        }
    }
}

/// What to run.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub phones: usize,
    pub poll: PhonePoll,
    pub orders_per_sec: f64,
    pub tablets: usize,
    pub replicas: usize,
    pub secs: f64,
    /// Kill replica 0 with SIGKILL at `secs / 3` and start it again at `secs / 2`.
    pub kill: bool,
}

impl Plan {
    pub fn kill_at(&self) -> Duration {
        Duration::from_secs_f64(self.secs / 3.0)
    }

    pub fn restart_at(&self) -> Duration {
        Duration::from_secs_f64(self.secs / 2.0)
    }

    pub fn describe(&self) -> String {
        let fault = if self.kill {
            format!(
                ", replica 0 killed at {:.0} s and restarted at {:.0} s",
                self.kill_at().as_secs_f64(),
                self.restart_at().as_secs_f64()
            )
        } else {
            String::new()
        };
        format!(
            "{} phones polling {} every {} s, {} orders/s, {} tablets, {} s on {} replica(s){fault}",
            self.phones,
            self.poll.endpoint(),
            POLL_EVERY.as_secs(),
            self.orders_per_sec,
            self.tablets,
            self.secs,
            self.replicas
        )
    }
}

/// Where things are.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The `devhost` binary the replicas run.
    pub binary: PathBuf,
    /// The repository root (spin.toml, migrate/, target/).
    pub root: PathBuf,
    /// Admin connection to the PostgreSQL server (the rush's database is created on it).
    pub admin_url: String,
}

/// The checks afterwards.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Checks {
    /// Orders acknowledged (201, or 200 for a replay) to their guest.
    pub acknowledged: u64,
    /// Acknowledged orders missing from the database.
    pub lost: u64,
    /// Guests with more than one order in the database.
    pub duplicated: u64,
    /// Orders in the database that no guest saw acknowledged (all attempts failed).
    pub unacknowledged_stored: u64,
    /// Orders the tablets saw in the queue.
    pub seen_by_tablets: u64,
    /// Of those, orders whose guest's phone last saw another status or version than the
    /// database holds.
    pub stale_on_phone: u64,
    /// Of those, orders not checked: with `visit`, a phone shows only its latest guest's
    /// order (0 while there are at least as many phones as orders).
    pub not_latest_on_phone: u64,
    /// Feed events after the start, in the database.
    pub events: u64,
    /// `feed`: phones whose sequence of events differs from the database's (missing,
    /// repeated or out of order); `visit`: phones that received a ticker listing an order
    /// twice or out of order. And phones that did not catch up by the deadline.
    pub phones_out_of_step: u64,
    pub phones_not_caught_up: u64,
}

impl Checks {
    pub fn passed(&self) -> bool {
        self.lost == 0
            && self.duplicated == 0
            && self.stale_on_phone == 0
            && self.phones_out_of_step == 0
            && self.phones_not_caught_up == 0
    }
}

/// What one rush measured.
#[derive(Debug, Default, Clone, Serialize)]
pub struct RushOnReplicas {
    pub plan: Option<Plan>,
    pub seconds: f64,
    /// Per endpoint: latencies and outcomes of every attempt (`expected` = 409 version
    /// conflicts between tablets).
    pub endpoints: BTreeMap<String, Summary>,
    /// Errors within [`FAULT_WINDOW`] after the kill, by kind.
    pub fault_errors: BTreeMap<String, u64>,
    /// Every other error, by kind ("HTTP 500", "HTTP 503 database-unavailable", …).
    pub unexpected_errors: BTreeMap<String, u64>,
    /// Requests retried (a retry is a request of its own in `endpoints`).
    pub retries: u64,
    /// The phones' polls answered 200 and 304, and the bytes of their bodies.
    pub poll_200: u64,
    pub poll_304: u64,
    pub poll_bytes: u64,
    pub bytes_per_poll: f64,
    pub status_changes: u64,
    pub version_conflicts: u64,
    /// PATCHes found applied when retried (the answer to the first was lost).
    pub patches_applied_before_retry: u64,
    pub checks: Checks,
    /// Seconds from the end of the load until every event in the database was visible in
    /// the feed (no transaction older than the newest event still running anywhere on the
    /// server: docs/ARCHITECTURE.md, "Feed visibility"); `None` when that did not happen
    /// within [`CATCH_UP_DEADLINE`] — another client of the server held a transaction open.
    pub feed_settled_after_s: Option<f64>,
    /// Every HTTP request sent (attempts, catch-up polls included).
    pub requests: u64,
    pub replicas_cpu_seconds: f64,
    pub nginx_cpu_seconds: f64,
    /// Replica CPU milliseconds per request.
    pub cpu_ms_per_request: f64,
    pub nginx_cpu_ms_per_request: f64,
    /// PostgreSQL transactions of the rush's database per request, and per second of load.
    pub transactions: u64,
    pub transactions_per_request: f64,
    pub transactions_per_sec: f64,
    /// How statements were counted.
    pub statements_counted_by: String,
    /// What the replicas logged as errors or warnings (a 500's cause: a trap, a component's
    /// `error: internal error: …` line), counted by line with numbers and ids masked.
    pub replica_log: BTreeMap<String, u64>,
}

impl RushOnReplicas {
    pub fn unexpected(&self) -> u64 {
        self.unexpected_errors.values().sum()
    }

    pub fn p99(&self, endpoint: &str) -> f64 {
        self.endpoints.get(endpoint).map_or(f64::NAN, |s| s.p99_ms)
    }

    /// The targets of issue 16: `(target, measured, pass)`.
    pub fn targets(&self) -> Vec<(String, String, bool)> {
        let Some(plan) = &self.plan else {
            return Vec::new();
        };
        let on = format!(
            "{} replica(s){}",
            plan.replicas,
            if plan.kill { ", kill" } else { "" }
        );
        let c = &self.checks;
        let mut out = vec![
            (
                format!("rush on {on}: zero lost or duplicated orders"),
                format!(
                    "{} lost, {} duplicated of {}",
                    c.lost, c.duplicated, c.acknowledged
                ),
                c.lost == 0 && c.duplicated == 0,
            ),
            (
                format!("rush on {on}: every order the tablets saw reached its guest's phone"),
                format!("{} stale of {}", c.stale_on_phone, c.seen_by_tablets),
                c.stale_on_phone == 0,
            ),
            (
                match plan.poll {
                    PhonePoll::Feed => {
                        format!("rush on {on}: every phone got every event once, in order")
                    }
                    PhonePoll::Visit => format!(
                        "rush on {on}: every ticker a phone got lists each order once, in order"
                    ),
                },
                format!(
                    "{} out of step, {} not caught up ({} events)",
                    c.phones_out_of_step, c.phones_not_caught_up, c.events
                ),
                c.phones_out_of_step == 0 && c.phones_not_caught_up == 0,
            ),
            (
                format!("rush on {on}: zero errors outside the fault window"),
                format!("{}", self.unexpected()),
                self.unexpected() == 0,
            ),
        ];
        for endpoint in [plan.poll.endpoint(), PLACE] {
            let p99 = self.p99(endpoint);
            out.push((
                format!("rush on {on}: {endpoint} p99 <= 100 ms"),
                format!("{p99:.1} ms"),
                p99 <= 100.0,
            ));
        }
        out
    }

    /// Markdown: the plan, the endpoints, errors, checks, CPU and statements.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let Some(plan) = &self.plan else {
            return s;
        };
        s.push_str(&format!(
            "Rush on replicas: {} ({:.0} s with the catch-up). Phones' polls: {} × 200, {} × 304, \
             **{:.0} bytes per poll**. \
             Status changes: {}, version conflicts (409, expected): {}, retries: {}.\n\n",
            plan.describe(),
            self.seconds,
            self.poll_200,
            self.poll_304,
            self.bytes_per_poll,
            self.status_changes,
            self.version_conflicts,
            self.retries
        ));
        s.push_str("| endpoint | requests | p50 ms | p99 ms | max ms | errors |\n");
        s.push_str("|---|---:|---:|---:|---:|---:|\n");
        for (name, e) in &self.endpoints {
            s.push_str(&format!(
                "| {name} | {} | {:.2} | {:.2} | {:.1} | {} |\n",
                e.count, e.p50_ms, e.p99_ms, e.max_ms, e.errors
            ));
        }
        let kinds = |m: &BTreeMap<String, u64>| {
            if m.is_empty() {
                "none".to_string()
            } else {
                m.iter()
                    .map(|(k, v)| format!("{v} × {k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let c = &self.checks;
        if !self.replica_log.is_empty() {
            s.push_str("\nThe replicas logged:\n\n");
            for (line, n) in &self.replica_log {
                s.push_str(&format!("- {n} × `{line}`\n"));
            }
        }
        match self.feed_settled_after_s {
            Some(secs) if secs > 1.0 => s.push_str(&format!(
                "\nThe feed showed every event {secs:.1} s after the load stopped (a \
                 transaction elsewhere on the server held it back).\n"
            )),
            Some(_) => {}
            None => s.push_str(
                "\n**The feed was held back by a transaction elsewhere on the server** for \
                 longer than the catch-up allows: the event checks cannot pass.\n",
            ),
        }
        s.push_str(&format!(
            "\nErrors in the fault window: {}. Unexpected errors: {}.\n\
             Checks: {} orders acknowledged, {} lost, {} duplicated, {} stored without \
             acknowledgement; {} orders seen by tablets, {} stale on their guest's phone \
             ({} not their phone's latest); \
             {} events, {} phones out of step, {} not caught up: **{}**.\n\
             Cost: {} requests; replicas {:.1} s CPU = **{:.3} ms per request** (nginx {:.3} ms); \
             **{:.2} PostgreSQL transactions per request**, {:.0} per second ({}).\n",
            kinds(&self.fault_errors),
            kinds(&self.unexpected_errors),
            c.acknowledged,
            c.lost,
            c.duplicated,
            c.unacknowledged_stored,
            c.seen_by_tablets,
            c.stale_on_phone,
            c.not_latest_on_phone,
            c.events,
            c.phones_out_of_step,
            c.phones_not_caught_up,
            if c.passed() { "PASS" } else { "FAIL" },
            self.requests,
            self.replicas_cpu_seconds,
            self.cpu_ms_per_request,
            self.nginx_cpu_ms_per_request,
            self.transactions_per_request,
            self.transactions_per_sec,
            self.statements_counted_by,
        ));
        s
    }
}

/// Creates a fresh database, migrates it, starts the replicas behind nginx, runs the rush,
/// stops everything, checks, and drops the database.
pub async fn run(setup: &Setup, plan: &Plan) -> anyhow::Result<RushOnReplicas> {
    let name = format!("drinks_bench_replicas_{}", uuid::Uuid::new_v4().simple());
    let admin = devhost::connect(&setup.admin_url).await?;
    admin
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .await
        .with_context(|| format!("creating database {name}"))?;
    let db_url = devhost::dburl::with_database(&setup.admin_url, &name);
    let result = run_on(setup, plan, &db_url, &name).await;
    let dropped = admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await;
    if let Err(e) = dropped {
        eprintln!("bench: could not drop {name}: {e}");
    }
    result
}

async fn run_on(
    setup: &Setup,
    plan: &Plan,
    db_url: &str,
    name: &str,
) -> anyhow::Result<RushOnReplicas> {
    let cache = setup.root.join("target/devhost-cache");
    let engine = devhost::shared_engine(Some(&cache))?;
    devhost::migrate(&engine, &setup.root.join("migrate/spin.toml"), db_url)
        .await
        .map_err(|e| anyhow::anyhow!(devhost::error_chain(&e)))
        .context("migrating the rush's database")?;
    let bar_token = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let (db_host, db_port) = devhost::dburl::host_and_port(db_url);
    let options = ReplicaOptions {
        binary: setup.binary.clone(),
        root: setup.root.clone(),
        manifest: setup.root.join("spin.toml"),
        variables: vec![
            ("db_url".into(), db_url.to_string()),
            ("db_host".into(), db_host),
            ("db_port".into(), db_port.to_string()),
            ("bar_token".into(), bar_token.clone()),
        ],
        cache_dir: Some(cache),
        replicas: plan.replicas,
        listen: "127.0.0.1:0".parse().expect("address"),
        rust_log: "warn".into(),
    };
    let replicas = tokio::task::spawn_blocking(move || Replicas::start(options))
        .await?
        .context("starting the replicas behind nginx")?;
    let replicas = Arc::new(Mutex::new(Some(replicas)));
    let base = format!(
        "http://{}",
        lock(&replicas).as_ref().map(|r| r.addr).expect("started")
    );

    // Opened before the load: the replicas' pools may take every connection the server has.
    let db = devhost::connect(db_url).await?;
    let start_tx: Option<String> = db
        .query_one("select max(tx)::text from order_events", &[])
        .await?
        .get(0);
    // Counters read from another database, so that reading them counts nothing.
    let admin = devhost::connect(&setup.admin_url).await?;
    let stats = |admin: tokio_postgres::Client| async move {
        let row = admin
            .query_one(
                "select (xact_commit + xact_rollback)::int8, numbackends::int8 \
                 from pg_stat_database where datname = $1",
                &[&name],
            )
            .await?;
        anyhow::Ok((admin, row.get::<_, i64>(0), row.get::<_, i64>(1)))
    };
    let (admin, xacts_before, _) = stats(admin).await?;

    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(4_000)
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let ctx = Arc::new(Ctx {
        http,
        base,
        bar_token,
        plan: plan.clone(),
        start: Instant::now(),
        recorders: Mutex::new(BTreeMap::new()),
        requests: AtomicU64::new(0),
        retries: AtomicU64::new(0),
        fault_errors: Mutex::new(BTreeMap::new()),
        unexpected_errors: Mutex::new(BTreeMap::new()),
        killed_at: Mutex::new(None),
        guests: Mutex::new(HashMap::new()),
    });
    let cpu_before = {
        let guard = lock(&replicas);
        let r = guard.as_ref().expect("started");
        (r.replicas_cpu_seconds(), r.nginx_cpu_seconds())
    };
    let outcome = drive(ctx.clone(), replicas.clone(), &db).await;
    let taken = lock(&replicas).take();
    let (cpu_after, logs, tails) = match &taken {
        Some(r) => (
            (r.replicas_cpu_seconds(), r.nginx_cpu_seconds()),
            r.logs(),
            r.log_tails(10),
        ),
        None => (cpu_before, String::new(), String::new()),
    };
    if let Some(r) = taken {
        tokio::task::spawn_blocking(move || r.stop()).await?;
    }
    let (mut result, observed) = outcome
        .with_context(|| format!("the rush on replicas; the ends of their logs:\n{tails}"))?;
    result.replica_log = log_digest(&logs);

    // Backends report their counters when their connection closes: wait until the
    // replicas' have closed and the count stands still.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut admin = admin;
    let mut previous = -1;
    let xacts_after = loop {
        let (a, xacts, backends) = stats(admin).await?;
        admin = a;
        if (backends == 0 && xacts == previous) || Instant::now() > deadline {
            break xacts;
        }
        previous = xacts;
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let preload: String = admin
        .query_one("select current_setting('shared_preload_libraries')", &[])
        .await?
        .get(0);
    result.statements_counted_by = format!(
        "pg_stat_database xact_commit + xact_rollback; pg_stat_statements is {}",
        if preload.contains("pg_stat_statements") {
            "loaded but not used"
        } else {
            "not loaded on this server"
        }
    );
    result.transactions = (xacts_after - xacts_before).max(0) as u64;
    let requests = result.requests.max(1) as f64;
    result.transactions_per_request = round3(result.transactions as f64 / requests);
    result.transactions_per_sec = round3(result.transactions as f64 / result.seconds.max(1e-3));
    result.replicas_cpu_seconds = round3(cpu_after.0 - cpu_before.0);
    result.nginx_cpu_seconds = round3(cpu_after.1 - cpu_before.1);
    result.cpu_ms_per_request = round3(result.replicas_cpu_seconds * 1000.0 / requests);
    result.nginx_cpu_ms_per_request = round3(result.nginx_cpu_seconds * 1000.0 / requests);

    check(&db, start_tx.as_deref(), &observed, &mut result).await?;
    result.fault_errors = lock(&ctx.fault_errors).clone();
    result.unexpected_errors = lock(&ctx.unexpected_errors).clone();
    result.retries = ctx.retries.load(Ordering::Relaxed);
    result.plan = Some(plan.clone());
    Ok(result)
}

/// The replicas' error and warning lines (and components' `error:` lines), counted, with
/// digits masked so that the same failure on another order counts as one kind; at most
/// 200 characters of each.
fn log_digest(logs: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for line in logs.lines() {
        let Some(at) = ["ERROR", "WARN", "error:"]
            .iter()
            .find_map(|k| line.find(k))
        else {
            continue;
        };
        let masked: String = line[at..]
            .chars()
            .take(200)
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect();
        *out.entry(masked).or_default() += 1;
    }
    out
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Shared by every client task.
struct Ctx {
    http: reqwest::Client,
    base: String,
    bar_token: String,
    plan: Plan,
    start: Instant,
    /// Every attempt, per endpoint (one histogram each, shared by all clients).
    recorders: Mutex<BTreeMap<&'static str, Recorder>>,
    requests: AtomicU64,
    retries: AtomicU64,
    fault_errors: Mutex<BTreeMap<String, u64>>,
    unexpected_errors: Mutex<BTreeMap<String, u64>>,
    killed_at: Mutex<Option<Instant>>,
    /// Per phone: its latest guest and that guest's visitor id (set before the order is
    /// sent, as the page keeps its id before it orders).
    guests: Mutex<HashMap<usize, (usize, String)>>,
}

impl Ctx {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Files an error, seen now, under the fault (a dead replica's kind of failure, within
    /// [`FAULT_WINDOW`] of the kill) or as unexpected.
    fn error(&self, kind: &str, retryable: bool) {
        let now = Instant::now();
        let in_window =
            retryable && lock(&self.killed_at).is_some_and(|k| now >= k && now < k + FAULT_WINDOW);
        let map = if in_window {
            &self.fault_errors
        } else {
            &self.unexpected_errors
        };
        *lock(map).entry(kind.to_string()).or_default() += 1;
    }
}

/// An answer: status, `Retry-After`, `ETag`, body.
struct Answer {
    status: u16,
    retry_after: Option<u64>,
    etag: Option<String>,
    body: Vec<u8>,
}

/// The kind of a failed exchange, as reported: "HTTP 503 database-unavailable" (the
/// problem type's last segment), "HTTP 502", "timeout", "connect error", …
fn kind_of(answer: &Result<Answer, String>) -> String {
    match answer {
        Ok(a) => {
            let problem = serde_json::from_slice::<serde_json::Value>(&a.body)
                .ok()
                .and_then(|v| {
                    v["type"]
                        .as_str()
                        .map(|t| t.rsplit('/').next().unwrap_or(t).to_string())
                });
            match problem {
                Some(p) if !p.is_empty() => format!("HTTP {} {p}", a.status),
                _ => format!("HTTP {}", a.status),
            }
        }
        Err(kind) => kind.clone(),
    }
}

/// Whether sending the same request again can fix it: a dead or busy replica.
fn retryable(answer: &Result<Answer, String>) -> bool {
    match answer {
        Ok(a) => matches!(a.status, 502..=504),
        Err(_) => true,
    }
}

async fn exchange(request: reqwest::RequestBuilder) -> Result<Answer, String> {
    let response = request.send().await.map_err(|e| failure_kind(&e))?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| Some(v.to_str().ok()?.to_string()));
    let body = response.bytes().await.map_err(|e| failure_kind(&e))?;
    Ok(Answer {
        status,
        retry_after,
        etag,
        body: body.to_vec(),
    })
}

fn failure_kind(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        "connect error".into()
    } else {
        "transport error".into()
    }
}

/// Sends `build()` until it gets an answer a retry cannot change, at most [`ATTEMPTS`]
/// times; records every attempt (and files its error). Returns the last answer and the
/// number of attempts.
async fn with_retries(
    ctx: &Ctx,
    endpoint: &'static str,
    ok: &[u16],
    conflicts_expected: bool,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> (Result<Answer, String>, usize) {
    let mut last = Err("not sent".to_string());
    let mut attempts = 0;
    for attempt in 0..ATTEMPTS {
        attempts = attempt + 1;
        if attempt > 0 {
            ctx.retries.fetch_add(1, Ordering::Relaxed);
        }
        let t0 = Instant::now();
        let answer = exchange(build()).await;
        let latency = t0.elapsed();
        ctx.requests.fetch_add(1, Ordering::Relaxed);
        let fine = matches!(&answer, Ok(a) if ok.contains(&a.status));
        let again = !fine && retryable(&answer);
        let outcome = if fine {
            Outcome::Ok
        } else if conflicts_expected && matches!(&answer, Ok(a) if a.status == 409) {
            // The caller looks at it: conflicts between tablets are expected.
            Outcome::Expected
        } else {
            let kind = kind_of(&answer);
            ctx.error(&kind, again);
            Outcome::Error(kind)
        };
        lock(&ctx.recorders)
            .entry(endpoint)
            .or_default()
            .record(latency, &outcome);
        let pause = match &answer {
            Ok(a) => a
                .retry_after
                .map_or(RETRY_PAUSE, |s| Duration::from_secs(s.min(2))),
            Err(_) => RETRY_PAUSE,
        };
        last = answer;
        if !again {
            break;
        }
        tokio::time::sleep(pause).await;
    }
    (last, attempts)
}

/// What a feed page holds (the fields the phones read).
#[derive(Deserialize)]
struct Page {
    events: Vec<Event>,
    next: String,
}

#[derive(Deserialize)]
struct Event {
    kind: String,
    order: Option<EventOrder>,
    drink: Option<EventDrink>,
}

#[derive(Deserialize)]
struct EventOrder {
    id: i64,
    nickname: String,
    status: String,
    version: i64,
}

#[derive(Deserialize)]
struct EventDrink {
    id: String,
    available: bool,
    stock: Option<i64>,
}

impl Event {
    /// The event's identity, as [`EVENT_KEYS`] builds it from the database.
    fn key(&self) -> String {
        match (&self.order, &self.drink) {
            (Some(o), _) => format!("{}:{}:{}", self.kind, o.id, o.version),
            (None, Some(d)) => format!(
                "drink:{}:{}:{}",
                d.id,
                d.available,
                d.stock.map_or("null".to_string(), |s| s.to_string())
            ),
            (None, None) => self.kind.clone(),
        }
    }
}

/// The feed's events after the start, oldest first, as keys ([`Event::key`]).
const EVENT_KEYS: &str = "
select case when order_id is not null then kind || ':' || order_id || ':' || version
            when kind = 'drink' then 'drink:' || drink_id || ':' || available::text || ':'
                                     || coalesce(stock::text, 'null')
            else kind end
from order_events
where $1::text is null or tx > $1::text::xid8
order by tx, seq
";

/// Guest `n`'s nickname; phone `n % phones` is theirs.
fn nickname(n: usize) -> String {
    format!("guest {n}")
}

fn guest_of(nickname: &str) -> Option<usize> {
    nickname.strip_prefix("guest ")?.parse().ok()
}

/// Folds one more key into a phone's running hash of its event sequence.
fn fold(hash: u64, key: &str) -> u64 {
    let mut h = DefaultHasher::new();
    hash.hash(&mut h);
    key.hash(&mut h);
    h.finish()
}

/// What a phone reads of `GET /api/visit`.
#[derive(Deserialize)]
struct Visit {
    order: Option<VisitOrder>,
    ticker: Vec<TickerLine>,
}

#[derive(Deserialize)]
struct VisitOrder {
    id: i64,
    status: String,
    version: i64,
}

#[derive(Deserialize)]
struct TickerLine {
    id: i64,
}

/// Whether a ticker lists each order once and keeps the orders it shares with the phone's
/// previous ticker in the same order (no line jumps above a newer one: in the rush no order
/// is changed, which would move it up). Times are not compared: an order's time is its
/// transaction's start, and of two concurrent placements the one that started first may
/// commit, and so be listed, second.
fn ticker_in_order(previous: &[i64], lines: &[TickerLine]) -> bool {
    let ids: Vec<i64> = lines.iter().map(|l| l.id).collect();
    let unique: HashSet<i64> = ids.iter().copied().collect();
    let kept: Vec<i64> = previous
        .iter()
        .copied()
        .filter(|id| unique.contains(id))
        .collect();
    let now: Vec<i64> = ids.iter().copied().filter(|id| kept.contains(id)).collect();
    unique.len() == ids.len() && kept == now
}

/// One phone: its cursor (feed) or ETag (visit), what it received, and its guests' orders
/// as it last saw them.
#[derive(Default)]
struct Phone {
    cursor: String,
    etag: Option<String>,
    events: u64,
    hash: u64,
    /// Tickers that listed an order twice or out of order, and the last ticker's order ids.
    tickers_out_of_order: u64,
    ticker: Vec<i64>,
    own: HashMap<i64, (String, i64)>,
    /// The guest whose view the phone polls, and when it saw that guest's order closed.
    guest: Option<usize>,
    closed_seen: Option<Instant>,
    poll_200: u64,
    poll_304: u64,
    poll_bytes: u64,
}

impl Phone {
    /// One poll; returns whether it caught up.
    async fn poll(&mut self, ctx: &Ctx, index: usize) -> bool {
        match ctx.plan.poll {
            PhonePoll::Feed => self.poll_feed(ctx, index).await,
            PhonePoll::Visit => self.poll_visit(ctx, index).await,
        }
    }

    /// `GET /api/visit` as the visitor page polls it, conditional on the last ETag: with the
    /// visitor id of the phone's latest guest while that guest's order is open (or not seen
    /// yet) and for [`UNDO_WINDOW`] after the phone saw it closed; without one before the
    /// phone's first order and after that (the shared view).
    async fn poll_visit(&mut self, ctx: &Ctx, index: usize) -> bool {
        let guest = lock(&ctx.guests).get(&index).cloned();
        if guest.as_ref().map(|(g, _)| *g) != self.guest {
            self.guest = guest.as_ref().map(|(g, _)| *g);
            self.closed_seen = None;
        }
        let visitor = guest
            .map(|(_, v)| v)
            .filter(|_| self.closed_seen.is_none_or(|at| at.elapsed() < UNDO_WINDOW));
        let answer = with_retries(ctx, VISIT, &[200, 304], false, || {
            let mut request = ctx.http.get(ctx.url("/api/visit"));
            if let Some(v) = &visitor {
                request = request.header("x-visitor-id", v);
            }
            if let Some(etag) = &self.etag {
                request = request.header("if-none-match", etag);
            }
            request
        })
        .await
        .0;
        match answer {
            Ok(a) if a.status == 304 => {
                self.poll_304 += 1;
                true
            }
            Ok(a) if a.status == 200 => {
                self.poll_200 += 1;
                self.poll_bytes += a.body.len() as u64;
                let Ok(visit) = serde_json::from_slice::<Visit>(&a.body) else {
                    ctx.error("visit 200 without a view", false);
                    return false;
                };
                // A new guest's id changes the view: the ETag is kept only for the same id.
                self.etag = a.etag.filter(|_| visitor.is_some());
                if !ticker_in_order(&self.ticker, &visit.ticker) {
                    self.tickers_out_of_order += 1;
                }
                self.ticker = visit.ticker.iter().map(|l| l.id).collect();
                if let Some(o) = visit.order {
                    let open = drinks_core::OrderStatus::OPEN
                        .iter()
                        .any(|s| s.as_str() == o.status);
                    if !open {
                        self.closed_seen.get_or_insert_with(Instant::now);
                    }
                    self.own.insert(o.id, (o.status, o.version));
                }
                true
            }
            _ => false,
        }
    }

    /// The feed: pages until one comes back short (or 304).
    async fn poll_feed(&mut self, ctx: &Ctx, index: usize) -> bool {
        for _ in 0..MAX_PAGES_PER_POLL {
            let path = format!("/api/feed?after={}&limit={FEED_LIMIT}", self.cursor);
            let etag = format!("\"{}\"", self.cursor);
            let answer = with_retries(ctx, FEED, &[200, 304], false, || {
                ctx.http.get(ctx.url(&path)).header("if-none-match", &etag)
            })
            .await
            .0;
            match answer {
                Ok(a) if a.status == 304 => {
                    self.poll_304 += 1;
                    return true;
                }
                Ok(a) if a.status == 200 => {
                    self.poll_200 += 1;
                    self.poll_bytes += a.body.len() as u64;
                    let Ok(page) = serde_json::from_slice::<Page>(&a.body) else {
                        ctx.error("feed 200 without a page", false);
                        return false;
                    };
                    let full = page.events.len() >= FEED_LIMIT;
                    for event in &page.events {
                        self.events += 1;
                        self.hash = fold(self.hash, &event.key());
                        if let Some(o) = &event.order
                            && guest_of(&o.nickname).is_some_and(|g| g % ctx.plan.phones == index)
                        {
                            self.own.insert(o.id, (o.status.clone(), o.version));
                        }
                    }
                    self.cursor = page.next;
                    if !full {
                        return true;
                    }
                }
                _ => return false,
            }
        }
        false
    }
}

async fn phone(ctx: Arc<Ctx>, index: usize, cursor: String, deadline: Instant) -> Phone {
    let mut p = Phone {
        cursor,
        ..Phone::default()
    };
    let offset = POLL_EVERY.mul_f64(index as f64 / ctx.plan.phones as f64);
    let first = ctx.start + offset;
    let mut ticks = tokio::time::interval_at(first.into(), POLL_EVERY);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let max_polls = (deadline.saturating_duration_since(first).as_secs_f64()
        / POLL_EVERY.as_secs_f64())
    .ceil() as usize
        + 1;
    for _ in 0..max_polls {
        ticks.tick().await;
        if Instant::now() >= deadline {
            break;
        }
        p.poll(&ctx, index).await;
    }
    p
}

/// An acknowledged order.
struct Acked {
    guest: usize,
    order_id: i64,
}

/// Orders arrive at a steady rate, each from a new guest, whatever the latency (open loop).
async fn orders(ctx: Arc<Ctx>, deadline: Instant) -> Vec<Acked> {
    let every = Duration::from_secs_f64(1.0 / ctx.plan.orders_per_sec.max(0.01));
    let mut ticks = tokio::time::interval_at(ctx.start.into(), every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let max = (deadline.saturating_duration_since(ctx.start).as_secs_f64() / every.as_secs_f64())
        as usize
        + 1;
    let mut inflight = Vec::with_capacity(max);
    for n in 0..max {
        ticks.tick().await;
        if Instant::now() >= deadline {
            break;
        }
        let ctx = ctx.clone();
        inflight.push(tokio::spawn(async move {
            let drink = ["espresso", "cappuccino", "tea", "water", "fruit-juice"][n % 5];
            let visitor = uuid::Uuid::new_v4().to_string();
            lock(&ctx.guests).insert(n % ctx.plan.phones.max(1), (n, visitor.clone()));
            let body = serde_json::json!({
                "visitor_id": visitor,
                "nickname": nickname(n),
                "drink": drink,
                "request_id": uuid::Uuid::new_v4().to_string(),
            })
            .to_string();
            let answer = with_retries(&ctx, PLACE, &[200, 201], false, || {
                ctx.http
                    .post(ctx.url("/api/orders"))
                    .header("content-type", "application/json")
                    .body(body.clone())
            })
            .await
            .0;
            match answer {
                Ok(a) if matches!(a.status, 200 | 201) => {
                    serde_json::from_slice::<serde_json::Value>(&a.body)
                        .ok()
                        .and_then(|v| v["id"].as_i64())
                        .map(|order_id| Acked { guest: n, order_id })
                }
                _ => None,
            }
        }));
    }
    let mut acked = Vec::new();
    for task in inflight {
        if let Ok(a) = task.await {
            acked.extend(a);
        }
    }
    acked
}

fn next_status(status: &str) -> Option<&'static str> {
    match status {
        "placed" => Some("preparing"),
        "preparing" => Some("ready"),
        "ready" => Some("served"),
        _ => None,
    }
}

/// What a tablet did.
#[derive(Default)]
struct Tablet {
    seen: HashSet<i64>,
    changes: u64,
    conflicts: u64,
    applied_before_retry: u64,
}

/// A bar tablet: fetch the queue, advance orders one step each with the version it saw; a
/// 409 version conflict (another tablet was faster) means: fetch again. Tablet `k` starts
/// at the `k`-th part of the queue, so that tablets mostly work different orders.
async fn tablet(ctx: Arc<Ctx>, k: usize, deadline: Instant) -> Tablet {
    let mut t = Tablet::default();
    // Bounded: every iteration takes at least one request or a pause.
    for _ in 0..1_000_000 {
        if Instant::now() >= deadline {
            break;
        }
        let answer = with_retries(&ctx, QUEUE, &[200], false, || {
            ctx.http
                .get(ctx.url("/api/queue"))
                .bearer_auth(&ctx.bar_token)
        })
        .await
        .0;
        let mut orders: Vec<(i64, String, i64)> = answer
            .ok()
            .filter(|a| a.status == 200)
            .and_then(|a| serde_json::from_slice::<serde_json::Value>(&a.body).ok())
            .and_then(|v| v["orders"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|o| {
                Some((
                    o["id"].as_i64()?,
                    o["status"].as_str()?.to_string(),
                    o["version"].as_i64()?,
                ))
            })
            .collect();
        t.seen.extend(orders.iter().map(|o| o.0));
        if orders.is_empty() {
            tokio::time::sleep(EMPTY_QUEUE_PAUSE).await;
            continue;
        }
        let part = orders.len() * k / ctx.plan.tablets.max(1);
        orders.rotate_left(part);
        for (id, status, version) in orders.into_iter().take(TAPS_PER_FETCH) {
            if Instant::now() >= deadline {
                break;
            }
            let Some(next) = next_status(&status) else {
                continue;
            };
            let path = format!("/api/orders/{id}");
            let body = serde_json::json!({"status": next, "version": version}).to_string();
            let (answer, attempts) = with_retries(&ctx, PATCH, &[200], true, || {
                ctx.http
                    .patch(ctx.url(&path))
                    .bearer_auth(&ctx.bar_token)
                    .header("content-type", "application/json")
                    .body(body.clone())
            })
            .await;
            let retried = attempts > 1;
            let refetch = match &answer {
                Ok(a) if a.status == 200 => {
                    t.changes += 1;
                    false
                }
                Ok(a) if a.status == 409 => {
                    let v: serde_json::Value = serde_json::from_slice(&a.body).unwrap_or_default();
                    let now = &v["order"];
                    if retried
                        && now["version"].as_i64() == Some(version + 1)
                        && now["status"].as_str() == Some(next)
                    {
                        // The first attempt went through; its answer was lost.
                        t.changes += 1;
                        t.applied_before_retry += 1;
                        false
                    } else if v["type"]
                        .as_str()
                        .is_some_and(|k| k.ends_with("version-conflict"))
                    {
                        t.conflicts += 1;
                        true
                    } else {
                        ctx.error(&kind_of(&answer), false);
                        true
                    }
                }
                _ => true,
            };
            tokio::time::sleep(TAP_PAUSE).await;
            if refetch {
                break;
            }
        }
    }
    t
}

/// Kills replica 0 at a third of the time and restarts it at half, if the plan says so.
async fn fault(ctx: Arc<Ctx>, replicas: Arc<Mutex<Option<Replicas>>>) -> anyhow::Result<()> {
    if !ctx.plan.kill {
        return Ok(());
    }
    tokio::time::sleep_until((ctx.start + ctx.plan.kill_at()).into()).await;
    *lock(&ctx.killed_at) = Some(Instant::now());
    let r = replicas.clone();
    tokio::task::spawn_blocking(move || match lock(&r).as_mut() {
        Some(set) => set.kill(0),
        None => Ok(()),
    })
    .await??;
    println!(
        "bench: replica 0 killed (SIGKILL) at {:.1} s",
        ctx.start.elapsed().as_secs_f64()
    );
    tokio::time::sleep_until((ctx.start + ctx.plan.restart_at()).into()).await;
    tokio::task::spawn_blocking(move || match lock(&replicas).as_mut() {
        Some(set) => set.restart(0),
        None => Ok(()),
    })
    .await??;
    println!(
        "bench: replica 0 serving again at {:.1} s",
        ctx.start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs the clients and the fault; then lets every phone catch up.
async fn drive(
    ctx: Arc<Ctx>,
    replicas: Arc<Mutex<Option<Replicas>>>,
    db: &tokio_postgres::Client,
) -> anyhow::Result<(RushOnReplicas, Observed)> {
    let cursor = if ctx.plan.poll == PhonePoll::Feed {
        let a = with_retries(&ctx, FEED, &[200], false, || {
            ctx.http.get(ctx.url("/api/feed"))
        })
        .await
        .0
        .map_err(|e| anyhow::anyhow!("GET /api/feed: {e}"))?;
        serde_json::from_slice::<Page>(&a.body)
            .context("GET /api/feed: no page")?
            .next
    } else {
        String::new()
    };
    let deadline = ctx.start + Duration::from_secs_f64(ctx.plan.secs);
    let fault = tokio::spawn(fault(ctx.clone(), replicas));
    let phones: Vec<_> = (0..ctx.plan.phones)
        .map(|i| tokio::spawn(phone(ctx.clone(), i, cursor.clone(), deadline)))
        .collect();
    let orders = tokio::spawn(orders(ctx.clone(), deadline));
    let tablets: Vec<_> = (0..ctx.plan.tablets)
        .map(|k| tokio::spawn(tablet(ctx.clone(), k, deadline)))
        .collect();

    let acked = orders.await?;
    let mut seen = HashSet::new();
    let (mut changes, mut conflicts, mut applied) = (0, 0, 0);
    for t in tablets {
        let t = t.await?;
        seen.extend(t.seen);
        changes += t.changes;
        conflicts += t.conflicts;
        applied += t.applied_before_retry;
    }
    fault.await??;
    let mut phones_done = Vec::with_capacity(phones.len());
    for p in phones {
        phones_done.push(p.await?);
    }
    // The load has stopped. Once every event is visible in the feed, every phone polls
    // until it is at the tip.
    let settled = settle(db).await?;
    let gate = Arc::new(tokio::sync::Semaphore::new(CATCH_UP_CONCURRENCY));
    let catch_up_by = Instant::now() + CATCH_UP_DEADLINE;
    let mut catching_up = Vec::with_capacity(phones_done.len());
    for (i, mut p) in phones_done.into_iter().enumerate() {
        let (ctx, gate) = (ctx.clone(), gate.clone());
        catching_up.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await;
            let mut caught_up = false;
            for _ in 0..1_000 {
                if caught_up || Instant::now() >= catch_up_by {
                    break;
                }
                caught_up = p.poll(&ctx, i).await;
                if !caught_up {
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
            }
            (p, caught_up)
        }));
    }
    let mut phones = Vec::with_capacity(catching_up.len());
    for c in catching_up {
        phones.push(c.await?);
    }

    let mut result = RushOnReplicas {
        seconds: round3(ctx.start.elapsed().as_secs_f64()),
        feed_settled_after_s: settled.map(|d| round3(d.as_secs_f64())),
        status_changes: changes,
        version_conflicts: conflicts,
        patches_applied_before_retry: applied,
        ..Default::default()
    };
    for (p, _) in &phones {
        result.poll_200 += p.poll_200;
        result.poll_304 += p.poll_304;
        result.poll_bytes += p.poll_bytes;
    }
    result.bytes_per_poll =
        round3(result.poll_bytes as f64 / (result.poll_200 + result.poll_304).max(1) as f64);
    result.endpoints = lock(&ctx.recorders)
        .iter()
        .map(|(k, v)| (k.to_string(), v.summary()))
        .collect();
    result.requests = ctx.requests.load(Ordering::Relaxed);
    let observed = Observed {
        phones: phones
            .into_iter()
            .map(|(p, caught_up)| PhoneState {
                events: p.events,
                hash: p.hash,
                tickers_out_of_order: p.tickers_out_of_order,
                own: p.own,
                caught_up,
            })
            .collect(),
        acked,
        seen,
        latest_guests: lock(&ctx.guests).values().map(|(g, _)| *g).collect(),
        poll: ctx.plan.poll,
    };
    result.checks.acknowledged = observed.acked.len() as u64;
    Ok((result, observed))
}

/// Waits until the feed shows every event of the database: until no transaction older
/// than the newest event runs anywhere on the server. Returns how long that took, or
/// `None` after [`CATCH_UP_DEADLINE`].
async fn settle(db: &tokio_postgres::Client) -> anyhow::Result<Option<Duration>> {
    let started = Instant::now();
    for _ in 0..10_000 {
        let visible: bool = db
            .query_one(
                "select coalesce(pg_snapshot_xmin(pg_current_snapshot()) > max(tx), true) \
                 from order_events",
                &[],
            )
            .await?
            .get(0);
        if visible {
            return Ok(Some(started.elapsed()));
        }
        if started.elapsed() > CATCH_UP_DEADLINE {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(None)
}

/// What the clients saw, for the checks.
struct Observed {
    phones: Vec<PhoneState>,
    acked: Vec<Acked>,
    seen: HashSet<i64>,
    /// Each phone's latest guest.
    latest_guests: HashSet<usize>,
    poll: PhonePoll,
}

struct PhoneState {
    events: u64,
    hash: u64,
    tickers_out_of_order: u64,
    own: HashMap<i64, (String, i64)>,
    caught_up: bool,
}

/// The checks against the database.
async fn check(
    db: &tokio_postgres::Client,
    start_tx: Option<&str>,
    observed: &Observed,
    result: &mut RushOnReplicas,
) -> anyhow::Result<()> {
    let c = &mut result.checks;
    let rows = db
        .query(
            "select id, nickname, status, version::int8 from orders",
            &[],
        )
        .await?;
    let mut by_id: HashMap<i64, (String, i64)> = HashMap::new();
    let mut per_guest: HashMap<usize, u64> = HashMap::new();
    for row in &rows {
        let (id, nickname, status, version): (i64, String, String, i64) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        if let Some(g) = guest_of(&nickname) {
            *per_guest.entry(g).or_default() += 1;
        }
        by_id.insert(id, (status, version));
    }
    let acked_guests: HashSet<usize> = observed.acked.iter().map(|a| a.guest).collect();
    c.lost = observed
        .acked
        .iter()
        .filter(|a| !by_id.contains_key(&a.order_id))
        .count() as u64;
    c.duplicated = per_guest.values().filter(|&&n| n > 1).count() as u64;
    c.unacknowledged_stored = per_guest
        .keys()
        .filter(|g| !acked_guests.contains(g))
        .count() as u64;
    let phones = observed.phones.len().max(1);
    let guest_of_order: HashMap<i64, usize> = observed
        .acked
        .iter()
        .map(|a| (a.order_id, a.guest))
        .collect();
    c.seen_by_tablets = observed.seen.len() as u64;
    for id in &observed.seen {
        let (Some(guest), Some(now)) = (guest_of_order.get(id), by_id.get(id)) else {
            // Seen by a tablet but never acknowledged or gone: counted above.
            continue;
        };
        if observed.poll == PhonePoll::Visit && !observed.latest_guests.contains(guest) {
            c.not_latest_on_phone += 1;
        } else if observed.phones[guest % phones].own.get(id) != Some(now) {
            c.stale_on_phone += 1;
        }
    }
    let keys = db.query(EVENT_KEYS, &[&start_tx]).await?;
    let mut hash = 0u64;
    for row in &keys {
        hash = fold(hash, row.get::<_, &str>(0));
    }
    c.events = keys.len() as u64;
    c.phones_not_caught_up = observed.phones.iter().filter(|p| !p.caught_up).count() as u64;
    c.phones_out_of_step = observed
        .phones
        .iter()
        .filter(|p| match observed.poll {
            PhonePoll::Feed => p.caught_up && (p.events != c.events || p.hash != hash),
            PhonePoll::Visit => p.tickers_out_of_order > 0,
        })
        .count() as u64;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_digest_counts_error_lines_alike_whatever_their_numbers() {
        let logs = "--- replica 0\n\
            2026-11-25T21:00:00Z ERROR request failed: trap at 12\n\
            2026-11-25T21:00:01Z ERROR request failed: trap at 13\n\
            2026-11-25T21:00:01Z  INFO GET /api/feed feed-fn 200 1ms\n\
            error: internal error: statement QUEUE: boom\n";
        let digest = log_digest(logs);
        assert_eq!(digest.get("ERROR request failed: trap at ##"), Some(&2));
        assert_eq!(
            digest.get("error: internal error: statement QUEUE: boom"),
            Some(&1)
        );
        assert_eq!(digest.len(), 2);
    }

    #[test]
    fn a_ticker_is_in_order_when_it_lists_each_order_once_in_the_order_it_had() {
        let lines = |ids: &[i64]| ids.iter().map(|&id| TickerLine { id }).collect::<Vec<_>>();
        assert!(ticker_in_order(&[], &lines(&[3, 2, 1])));
        assert!(
            ticker_in_order(&[3, 2, 1], &lines(&[5, 4, 3, 2])),
            "new ones on top"
        );
        assert!(!ticker_in_order(&[], &lines(&[3, 3])), "twice");
        assert!(
            !ticker_in_order(&[3, 2, 1], &lines(&[4, 1, 2])),
            "out of order"
        );
    }

    #[test]
    fn a_guest_is_found_from_the_nickname_it_ordered_with() {
        assert_eq!(guest_of(&nickname(1234)), Some(1234));
        assert_eq!(guest_of("Ana"), None);
    }

    #[test]
    fn the_sequence_hash_sees_order_repetition_and_omission() {
        let seq = |keys: &[&str]| keys.iter().fold(0, |h, k| fold(h, k));
        let base = seq(&["placed:1:1", "placed:2:1", "status:1:2"]);
        assert_ne!(base, seq(&["placed:2:1", "placed:1:1", "status:1:2"]));
        assert_ne!(
            base,
            seq(&["placed:1:1", "placed:1:1", "placed:2:1", "status:1:2"])
        );
        assert_ne!(base, seq(&["placed:1:1", "status:1:2"]));
        assert_eq!(base, seq(&["placed:1:1", "placed:2:1", "status:1:2"]));
    }

    #[test]
    fn an_event_key_matches_what_the_database_query_builds() {
        let order: Event = serde_json::from_str(
            r#"{"kind":"status","at":1,"order":{"id":7,"number":7,"nickname":"guest 3",
                "drink":"tea","status":"ready","version":3}}"#,
        )
        .expect("order event");
        assert_eq!(order.key(), "status:7:3");
        let drink: Event = serde_json::from_str(
            r#"{"kind":"drink","at":1,"drink":{"id":"tea","available":true,"stock":null,
                "sold_out":false}}"#,
        )
        .expect("drink event");
        assert_eq!(drink.key(), "drink:tea:true:null");
        let menu: Event = serde_json::from_str(r#"{"kind":"menu","at":1}"#).expect("menu");
        assert_eq!(menu.key(), "menu");
    }

    #[test]
    fn the_kill_falls_at_a_third_and_the_restart_at_half_of_the_time() {
        let plan = Plan {
            phones: 1,
            poll: PhonePoll::Visit,
            orders_per_sec: 1.0,
            tablets: 1,
            replicas: 3,
            secs: 60.0,
            kill: true,
        };
        assert_eq!(plan.kill_at(), Duration::from_secs(20));
        assert_eq!(plan.restart_at(), Duration::from_secs(30));
    }
}
