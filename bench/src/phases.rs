//! The measured phases, in order: table size (queue and feed at 1k and 100k orders),
//! order placement against the raw-insert baseline, where placement time goes, the feed,
//! the event rush, and CSV exports of 100k orders during placement (peak memory).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use drinks_core::FeedCursor;
use tokio_postgres::Client;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use crate::Target;
use crate::load::{Measurement, Outcome, closed_loop, closed_loop_series, exchange, expect};
use crate::report::{ExportResult, Results, Run};

const CONCURRENCY: [usize; 3] = [1, 8, 32];
const DRINKS: [&str; 5] = ["espresso", "cappuccino", "tea", "water", "fruit-juice"];
/// Clients for the table-size comparison.
const SIZE_CLIENTS: usize = 8;
/// Open orders in the table at each size (the newest ones): a full queue page and more.
const OPEN_ORDERS: i64 = 60;
/// How far behind the newest event the "feed with new events" cursor starts.
const EVENTS_BEHIND: i64 = 20;

/// The physical-limit baseline: the same two rows our placement writes, one plain CTE,
/// prepared once per connection.
const RAW_INSERT: &str = "
with o as (
    insert into orders (visitor_id, nickname, drink_id)
    values ($1::uuid, $2::text, $3::text)
    returning id, number, nickname, drink_id, status, version
)
insert into order_events (kind, order_id, number, nickname, drink_id, status, version, request_id)
select 'placed', o.id, o.number, o.nickname, o.drink_id, o.status, o.version, $4::uuid
from o
";

/// The baseline insert answering like the placement statement (`'placed'` first), for
/// running it the way the host runs statements.
const RAW_INSERT_RETURNING: &str = "
with o as (
    insert into orders (visitor_id, nickname, drink_id)
    values ($1::uuid, $2::text, $3::text)
    returning id, number, nickname, drink_id, status, version
), e as (
    insert into order_events (kind, order_id, number, nickname, drink_id, status, version, request_id)
    select 'placed', o.id, o.number, o.nickname, o.drink_id, o.status, o.version, $4::uuid
    from o
)
select 'placed'::text, o.id from o
";

/// What deadpool's `Clean` recycling (and Spin's pool) runs on every checkout.
const CLEAN_BATCH: &str = "CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; \
    UNLISTEN *; SELECT pg_advisory_unlock_all(); DISCARD TEMP; DISCARD SEQUENCES;";

/// Closes every open order (bench data only), with its event.
const CLOSE_OPEN: &str = "
with closed as (
    update orders
    set status = 'served', version = version + 1, preparing_at = coalesce(preparing_at, now()),
        ready_at = coalesce(ready_at, now()), served_at = now(), updated_at = now()
    where status in ('placed', 'preparing', 'ready')
    returning id, number, nickname, drink_id, status, version
)
insert into order_events (kind, order_id, number, nickname, drink_id, status, version)
select 'status', id, number, nickname, drink_id, status, version from closed order by id
";

/// `$1` orders in one statement, the newest `$2` of them still open, each with one event.
const LOAD_ORDERS: &str = "
with o as (
    insert into orders (visitor_id, nickname, drink_id, status, version,
                        preparing_at, ready_at, served_at)
    select gen_random_uuid(), 'guest ' || g,
           (array['espresso', 'cappuccino', 'tea', 'water', 'fruit-juice'])[1 + g % 5],
           case when g > $1::int8 - $2::int8 then 'placed' else 'served' end,
           case when g > $1::int8 - $2::int8 then 1 else 4 end,
           case when g > $1::int8 - $2::int8 then null else now() end,
           case when g > $1::int8 - $2::int8 then null else now() end,
           case when g > $1::int8 - $2::int8 then null else now() end
    from generate_series(1, $1::int8) g
    order by g
    returning id, number, nickname, drink_id, status, version
)
insert into order_events (kind, order_id, number, nickname, drink_id, status, version)
select case when status = 'placed' then 'placed' else 'status' end,
       id, number, nickname, drink_id, status, version
from o order by id
";

pub async fn all(t: Arc<Target>, small: Arc<Target>, rush_secs: f64) -> anyhow::Result<Results> {
    let db = devhost::connect(&t.db_url).await?;
    let mut results = Results::default();
    warm_up(&t).await?;

    println!("bench: [1/6] queue and feed at 1k and 100k orders");
    table_size(&t, &small, &db, &mut results).await?;
    reset(&db).await?;

    println!("bench: [2/6] order placement vs raw INSERT");
    for clients in CONCURRENCY {
        let ours = placement(&t, clients).await;
        progress("POST /api/orders", &ours);
        results.push("placement", "POST /api/orders (distinct visitors)", ours);
        let raw = raw_insert(&t, clients).await?;
        progress("raw INSERT baseline", &raw);
        results.push("raw", "raw INSERT orders+order_events (prepared once)", raw);
    }

    println!("bench: [3/6] where placement time goes");
    let call: Arc<str> = drinks_core::sql::PLACE_ORDER.into();
    for clients in [1, 32] {
        for (clean, id, label) in [
            (
                None,
                "profile-function-once",
                "PLACE_ORDER = select place_order(…), prepared once",
            ),
            (
                Some(true),
                "profile-function",
                "PLACE_ORDER = select place_order(…) + checkout cleanup batch + \
                 prepare per call (the host's way)",
            ),
        ] {
            let m = match clean {
                None => statement_prepared_once(&t, clients, &call).await?,
                Some(clean) => statement_per_call(&t, clients, clean, call.clone()).await?,
            };
            progress(id, &m);
            results.push(id, label, m);
        }
    }
    let m = statement_per_call(&t, 32, true, RAW_INSERT_RETURNING.into()).await?;
    progress("raw INSERT as the host runs it", &m);
    results.push(
        "profile-raw-hostlike",
        "raw INSERT + checkout cleanup batch + prepare per call (protocol ceiling)",
        m,
    );
    let m = no_database(&t, 32).await;
    progress("feed-fn, no database (400)", &m);
    results.push(
        "profile-nodb",
        "GET /api/feed?x=1 (component only, no SQL: 400)",
        m,
    );

    println!("bench: [4/6] feed polls");
    let tip = feed_tip(&t).await?;
    let behind = cursor_behind(&db, EVENTS_BEHIND).await?;
    for clients in CONCURRENCY {
        let m = feed_poll(&t, clients, &tip, 304).await;
        progress("feed, nothing new (304)", &m);
        results.push("feed304", "GET /api/feed?after= nothing new (304)", m);
        let m = feed_poll(&t, clients, &behind, 200).await;
        progress("feed, 20 new events (200)", &m);
        results.push("feed200", "GET /api/feed?after= 20 new events (200)", m);
    }
    for (clean, id, label) in [
        (
            None,
            "profile-feed-once",
            "FEED_AFTER at the tip, prepared once",
        ),
        (
            Some(true),
            "profile-feed-hostlike",
            "FEED_AFTER at the tip + cleanup + prepare per call",
        ),
    ] {
        let m = feed_statement(&t, 32, &tip, clean).await?;
        progress(label, &m);
        results.push(id, label, m);
    }
    reset(&db).await?;

    println!("bench: [5/6] event rush ({rush_secs:.0} s)");
    results.rush = crate::rush::run(t.clone(), Duration::from_secs_f64(rush_secs)).await?;
    reset(&db).await?;

    println!("bench: [6/6] {EXPORTS} CSV exports of {EXPORT_ORDERS} orders during placement");
    exports_under_load(&t, &db, &mut results).await?;

    results.evaluate_targets();
    Ok(results)
}

fn progress(what: &str, m: &Measurement) {
    println!(
        "bench:   {what:<34} c={:<3} {:>8.1}/s  p50 {:>7.2} ms  p99 {:>7.2} ms  errors {}",
        m.clients, m.throughput, m.summary.p50_ms, m.summary.p99_ms, m.summary.errors
    );
}

/// One request per endpoint, so that a broken build fails here, not in the middle.
async fn warm_up(t: &Target) -> anyhow::Result<()> {
    let placed = exchange(
        t.http
            .post(t.url("/api/orders"))
            .header("content-type", "application/json")
            .body(order_body("warm-up", "tea")),
    )
    .await;
    match &placed {
        Ok(a) if a.status == 201 => {}
        Ok(a) => bail!(
            "warm-up order answered {}: {}",
            a.status,
            String::from_utf8_lossy(&a.body)
        ),
        Err(e) => bail!("warm-up order failed: {e}"),
    }
    for (path, bar) in [
        ("/api/feed", false),
        ("/api/queue", true),
        ("/api/menu", false),
    ] {
        let mut request = t.http.get(t.url(path));
        if bar {
            request = request.bearer_auth(&t.bar_token);
        }
        match exchange(request).await {
            Ok(a) if a.status == 200 => {}
            Ok(a) => bail!("warm-up GET {path} answered {}", a.status),
            Err(e) => bail!("warm-up GET {path} failed: {e}"),
        }
    }
    Ok(())
}

fn order_body(nickname: &str, drink: &str) -> String {
    serde_json::json!({
        "visitor_id": Uuid::new_v4().to_string(),
        "nickname": nickname,
        "drink": drink,
        "request_id": Uuid::new_v4().to_string(),
    })
    .to_string()
}

async fn reset(db: &Client) -> anyhow::Result<()> {
    db.batch_execute("TRUNCATE order_events, orders RESTART IDENTITY")
        .await?;
    db.batch_execute("ANALYZE orders").await?;
    db.batch_execute("ANALYZE order_events").await?;
    Ok(())
}

async fn placement(t: &Arc<Target>, clients: usize) -> Measurement {
    let t2 = t.clone();
    closed_loop(clients, t.secs(1.0), t.secs(6.0), move |w, i| {
        let t = t2.clone();
        async move {
            let body = order_body(&format!("bench {w}-{i}"), DRINKS[(i % 5) as usize]);
            let answer = exchange(
                t.http
                    .post(t.url("/api/orders"))
                    .header("content-type", "application/json")
                    .body(body),
            )
            .await;
            expect(&answer, 201)
        }
    })
    .await
}

/// Concurrent CSV exports in phase 6, and the orders in the table they export.
const EXPORTS: usize = 32;
const EXPORT_ORDERS: i64 = 100_000;

/// Placement (one client) at 100k orders, idle and during 32 concurrent CSV exports
/// (downloaded over and over while placement is measured, then read to their end), with
/// the peak resident memory of this process (both hosts and the load generator) meanwhile.
async fn exports_under_load(
    t: &Arc<Target>,
    db: &Client,
    results: &mut Results,
) -> anyhow::Result<()> {
    load_orders(db, EXPORT_ORDERS, OPEN_ORDERS).await?;
    let idle = placement(t, 1).await;
    progress("placement, no export", &idle);
    results.push(
        "export-idle",
        "POST /api/orders at 100k orders, no export",
        idle,
    );

    reset_peak_rss()?;
    let rss_before_mib = memory_mib("VmRSS:")?;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Every download ends by this deadline (placement is bounded by its own).
    let deadline = Instant::now() + t.secs(7.0) + Duration::from_secs(90);
    let exporters: Vec<_> = (0..EXPORTS)
        .map(|_| tokio::spawn(export_loop(t.clone(), stop.clone(), deadline)))
        .collect();
    let loaded = placement(t, 1).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut exports = ExportResult {
        exports: EXPORTS,
        orders: EXPORT_ORDERS,
        rss_before_mib,
        ..ExportResult::default()
    };
    for exporter in exporters {
        let (complete, bytes, errors) = exporter.await.context("an export task")?;
        exports.complete += complete;
        exports.bytes += bytes;
        exports.errors += errors;
    }
    exports.peak_rss_mib = memory_mib("VmHWM:")?;
    progress("placement, during 32 exports", &loaded);
    println!(
        "bench:   exports: {} complete ({:.0} MiB), {} errors; RSS {:.0} MiB before, \
         peak {:.0} MiB",
        exports.complete,
        exports.bytes as f64 / (1 << 20) as f64,
        exports.errors,
        exports.rss_before_mib,
        exports.peak_rss_mib
    );
    results.push(
        "export-load",
        "POST /api/orders at 100k orders, during 32 CSV exports",
        loaded,
    );
    results.exports = exports;
    Ok(())
}

/// Downloads the CSV export again and again until `stop` (the download under way is read
/// to its end), each body read as it comes and dropped; a download still unfinished at
/// `deadline` is dropped and counted as an error: (complete exports, bytes, errors).
async fn export_loop(
    t: Arc<Target>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    deadline: Instant,
) -> (u64, u64, u64) {
    let (mut complete, mut bytes, mut errors) = (0, 0, 0);
    while !stop.load(std::sync::atomic::Ordering::SeqCst) && Instant::now() < deadline {
        // The client's 5 s per request would cut a download off; the deadline bounds it.
        let response = t
            .http
            .get(t.url("/api/queue?format=csv"))
            .bearer_auth(&t.bar_token)
            .timeout(deadline.saturating_duration_since(Instant::now()))
            .send();
        let mut response = match tokio::time::timeout_at(deadline.into(), response).await {
            Ok(Ok(r)) if r.status() == 200 => r,
            _ => {
                errors += 1;
                continue;
            }
        };
        loop {
            match tokio::time::timeout_at(deadline.into(), response.chunk()).await {
                Ok(Ok(Some(chunk))) => bytes += chunk.len() as u64,
                Ok(Ok(None)) => {
                    complete += 1;
                    break;
                }
                Ok(Err(_)) | Err(_) => {
                    errors += 1;
                    break;
                }
            }
        }
    }
    (complete, bytes, errors)
}

/// Resets this process's peak resident memory (`VmHWM`) to its current size (Linux:
/// `5` written to /proc/self/clear_refs).
fn reset_peak_rss() -> anyhow::Result<()> {
    std::fs::write("/proc/self/clear_refs", "5").context("resetting VmHWM (/proc/self/clear_refs)")
}

/// A memory figure of this process from /proc/self/status (`VmRSS:`, `VmHWM:`), in MiB.
fn memory_mib(field: &str) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status").context("/proc/self/status")?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {field} in /proc/self/status"))?;
    Ok(kib / 1024.0)
}

async fn connections(url: &str, n: usize) -> anyhow::Result<Vec<Client>> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(devhost::connect(url).await?);
    }
    Ok(out)
}

fn db_outcome(result: Result<u64, tokio_postgres::Error>) -> Outcome {
    match result {
        Ok(1) => Outcome::Ok,
        Ok(n) => Outcome::Error(format!("{n} rows")),
        Err(e) => Outcome::Error(match e.code() {
            Some(code) => format!("SQLSTATE {}", code.code()),
            None => "database error".into(),
        }),
    }
}

async fn raw_insert(t: &Arc<Target>, clients: usize) -> anyhow::Result<Measurement> {
    let mut prepared = Vec::new();
    for client in connections(&t.db_url, clients).await? {
        let statement = client.prepare(RAW_INSERT).await?;
        prepared.push((client, statement));
    }
    let prepared = Arc::new(prepared);
    Ok(closed_loop(clients, t.secs(1.0), t.secs(6.0), move |w, i| {
        let prepared = prepared.clone();
        async move {
            let (client, statement) = &prepared[w];
            let nickname = format!("raw {w}-{i}");
            let drink = DRINKS[(i % 5) as usize];
            let result = client
                .execute(
                    statement,
                    &[&Uuid::new_v4(), &nickname, &drink, &Uuid::new_v4()],
                )
                .await;
            db_outcome(result)
        }
    })
    .await)
}

fn placed_outcome(result: Result<Vec<tokio_postgres::Row>, tokio_postgres::Error>) -> Outcome {
    match result {
        Ok(rows) => match rows.first().and_then(|r| r.try_get::<_, String>(0).ok()) {
            // `PLACE_ORDER` answers `{"outcome": …}`; the body of 0002 answered the word.
            Some(json) if json.starts_with('{') => {
                match drinks_core::shapes::place_outcome(Some(&json), "bench") {
                    Ok(drinks_core::shapes::Placed::Created(_)) => Outcome::Ok,
                    Ok(other) => Outcome::Error(format!("{other:?}")),
                    Err(e) => Outcome::Error(e.to_string()),
                }
            }
            Some(action) if action == "placed" => Outcome::Ok,
            Some(action) => Outcome::Error(action),
            None => Outcome::Error("no row".into()),
        },
        Err(e) => db_outcome(Err(e)),
    }
}

/// The status rules `PLACE_ORDER` takes from core (its `$5`, `$6`, `$7`) and no ordering
/// key (`$8`), before the folded nickname (`$9`); the body of 0002 took only the first four
/// arguments.
struct PlaceRules(String, String, String, Option<String>);

impl PlaceRules {
    fn new() -> Self {
        use drinks_core::OrderStatus;
        Self(
            OrderStatus::sql_list(&OrderStatus::OPEN),
            OrderStatus::sql_list(&OrderStatus::VISITOR_MAY_CHANGE),
            OrderStatus::sql_list(&OrderStatus::WAITING),
            None,
        )
    }

    /// The first `count` (4 or 9) arguments of a placement; `folded` is the nickname as
    /// core folds it (`Nickname::folded`).
    #[allow(clippy::too_many_arguments)]
    fn args<'a>(
        &'a self,
        count: usize,
        visitor: &'a Uuid,
        nickname: &'a String,
        drink: &'a &'static str,
        request: &'a Uuid,
        folded: &'a String,
    ) -> Vec<&'a (dyn tokio_postgres::types::ToSql + Sync)> {
        let all: [&'a (dyn tokio_postgres::types::ToSql + Sync); 9] = [
            visitor, nickname, drink, request, &self.0, &self.1, &self.2, &self.3, folded,
        ];
        all[..count.min(9)].to_vec()
    }
}

/// A placement statement alone, prepared once: what the statement costs the database.
async fn statement_prepared_once(
    t: &Arc<Target>,
    clients: usize,
    sql: &str,
) -> anyhow::Result<Measurement> {
    let mut prepared = Vec::new();
    for client in connections(&t.db_url, clients).await? {
        let statement = client.prepare(sql).await?;
        prepared.push((client, statement));
    }
    let prepared = Arc::new(prepared);
    Ok(closed_loop(clients, t.secs(0.5), t.secs(4.0), move |w, i| {
        let prepared = prepared.clone();
        async move {
            let (client, statement) = &prepared[w];
            let nickname = format!("cte {w}-{i}");
            let drink = DRINKS[(i % 5) as usize];
            let (visitor, request, rules) = (Uuid::new_v4(), Uuid::new_v4(), PlaceRules::new());
            let folded = drinks_core::moderation::fold(&nickname);
            let args = rules.args(
                statement.params().len(),
                &visitor,
                &nickname,
                &drink,
                &request,
                &folded,
            );
            let result = client.query(statement, &args).await;
            placed_outcome(result)
        }
    })
    .await)
}

/// A placement statement prepared anew on every call (no statement cache), optionally
/// after the cleanup batch every host checkout runs: what the host does per request.
async fn statement_per_call(
    t: &Arc<Target>,
    clients: usize,
    clean: bool,
    sql: Arc<str>,
) -> anyhow::Result<Measurement> {
    let conns = Arc::new(connections(&t.db_url, clients).await?);
    Ok(closed_loop(clients, t.secs(0.5), t.secs(4.0), move |w, i| {
        let (conns, sql) = (conns.clone(), sql.clone());
        async move {
            let client = &conns[w];
            if clean && let Err(e) = client.batch_execute(CLEAN_BATCH).await {
                return db_outcome(Err(e));
            }
            let nickname = format!("host {w}-{i}");
            let drink = DRINKS[(i % 5) as usize];
            let (visitor, request, rules) = (Uuid::new_v4(), Uuid::new_v4(), PlaceRules::new());
            let count = if *sql == *drinks_core::sql::PLACE_ORDER {
                9
            } else {
                4
            };
            let folded = drinks_core::moderation::fold(&nickname);
            let args = rules.args(count, &visitor, &nickname, &drink, &request, &folded);
            let result = client.query(&*sql, &args).await;
            placed_outcome(result)
        }
    })
    .await)
}

/// The 304 path's statement alone: prepared once (`clean: None`), or as the host runs it.
async fn feed_statement(
    t: &Arc<Target>,
    clients: usize,
    tip: &str,
    clean: Option<bool>,
) -> anyhow::Result<Measurement> {
    let cursor = FeedCursor::decode(tip).map_err(|_| anyhow::anyhow!("bad tip cursor"))?;
    let params = Arc::new((cursor.tx_param(), cursor.seq_param(), cursor.skip_param()));
    let mut conns = Vec::new();
    for client in connections(&t.db_url, clients).await? {
        let statement = match clean {
            None => Some(client.prepare(drinks_core::sql::FEED_AFTER).await?),
            Some(_) => None,
        };
        conns.push((client, statement));
    }
    let conns = Arc::new(conns);
    Ok(closed_loop(clients, t.secs(0.5), t.secs(4.0), move |w, _| {
        let (conns, params) = (conns.clone(), params.clone());
        async move {
            let (client, statement) = &conns[w];
            let (tx, seq, skip) = &*params;
            let limit = 100_i64;
            let args: [&(dyn ToSql + Sync); 4] = [tx, seq, skip, &limit];
            let result = match statement {
                Some(s) => client.query(s, &args).await,
                None => {
                    if clean == Some(true)
                        && let Err(e) = client.batch_execute(CLEAN_BATCH).await
                    {
                        return db_outcome(Err(e));
                    }
                    client.query(drinks_core::sql::FEED_AFTER, &args).await
                }
            };
            // One JSON text: `{"events": []}` at the tip.
            match result.map(|rows| rows.first().and_then(|r| r.try_get::<_, String>(0).ok())) {
                Ok(Some(json)) if json.contains("\"events\" : []") => Outcome::Ok,
                Ok(other) => Outcome::Error(format!("at the tip: {other:?}")),
                Err(e) => db_outcome(Err(e)),
            }
        }
    })
    .await)
}

/// A component request that runs no SQL: the host's and the component's own cost.
async fn no_database(t: &Arc<Target>, clients: usize) -> Measurement {
    let t2 = t.clone();
    closed_loop(clients, t.secs(0.5), t.secs(4.0), move |_, _| {
        let t = t2.clone();
        async move { expect(&exchange(t.http.get(t.url("/api/feed?x=1"))).await, 400) }
    })
    .await
}

async fn feed_tip(t: &Target) -> anyhow::Result<String> {
    let answer = exchange(t.http.get(t.url("/api/feed")))
        .await
        .map_err(|e| anyhow::anyhow!("GET /api/feed: {e}"))?;
    answer
        .json()
        .and_then(|v| v["next"].as_str().map(str::to_string))
        .context("GET /api/feed has no next")
}

/// A feed cursor `behind` events before the newest one.
async fn cursor_behind(db: &Client, behind: i64) -> anyhow::Result<String> {
    let row = db
        .query_one(
            "select tx::text, seq from order_events order by tx desc, seq desc offset $1::int8 limit 1",
            &[&behind],
        )
        .await
        .context("no events to start behind")?;
    let tx: String = row.get(0);
    let seq: i64 = row.get(1);
    Ok(FeedCursor::beginning()
        .after_event(&tx, seq)
        .map_err(|_| anyhow::anyhow!("bad event position {tx}/{seq}"))?
        .encode())
}

async fn feed_poll(t: &Arc<Target>, clients: usize, cursor: &str, want: u16) -> Measurement {
    let t2 = t.clone();
    let url = t.url(&format!("/api/feed?after={cursor}"));
    let etag = format!("\"{cursor}\"");
    closed_loop(clients, t.secs(0.5), t.secs(4.0), move |_, _| {
        let t = t2.clone();
        let url = url.clone();
        let etag = etag.clone();
        async move {
            expect(
                &exchange(t.http.get(url).header("if-none-match", etag)).await,
                want,
            )
        }
    })
    .await
}

async fn load_orders(db: &Client, n: i64, open: i64) -> anyhow::Result<()> {
    db.batch_execute(CLOSE_OPEN).await?;
    db.execute(LOAD_ORDERS, &[&n, &open])
        .await
        .context("loading orders")?;
    // What autovacuum would do between the bulk load and the event; index-only scans
    // need the visibility map.
    db.batch_execute("VACUUM ANALYZE orders").await?;
    db.batch_execute("VACUUM ANALYZE order_events").await?;
    Ok(())
}

/// One request of the table-size comparison against `t`.
#[derive(Clone, Copy)]
enum Read {
    Queue,
    FeedTip,
    FeedBehind,
}

/// Queue and feed at 1k and at 100k orders: two hosts on two databases (the second holds
/// 1k orders), and every worker alternates between them request by request, so that other
/// work on the shared machine weighs on both sizes alike.
async fn table_size(
    t: &Arc<Target>,
    small: &Arc<Target>,
    db: &Client,
    results: &mut Results,
) -> anyhow::Result<()> {
    let small_db = devhost::connect(&small.db_url).await?;
    reset(db).await?;
    reset(&small_db).await?;
    let started = std::time::Instant::now();
    load_orders(&small_db, 1_000, OPEN_ORDERS).await?;
    load_orders(db, 1_000, OPEN_ORDERS).await?;
    load_orders(db, 99_000, OPEN_ORDERS).await?;
    let count = "select count(*) from orders";
    println!(
        "bench:   {} and {} orders loaded ({:.1} s)",
        small_db.query_one(count, &[]).await?.get::<_, i64>(0),
        db.query_one(count, &[]).await?.get::<_, i64>(0),
        started.elapsed().as_secs_f64()
    );
    let targets = Arc::new([small.clone(), t.clone()]);
    let tips = Arc::new([feed_tip(small).await?, feed_tip(t).await?]);
    let behind = Arc::new([
        cursor_behind(&small_db, EVENTS_BEHIND).await?,
        cursor_behind(db, EVENTS_BEHIND).await?,
    ]);
    for (read, group, what) in [
        (Read::Queue, "queue", "GET /api/queue (bar)"),
        (Read::FeedTip, "feed304", "GET /api/feed?after= (304)"),
        (
            Read::FeedBehind,
            "feed200",
            "GET /api/feed?after= (20 events)",
        ),
    ] {
        let (targets, tips, behind) = (targets.clone(), tips.clone(), behind.clone());
        let measured =
            closed_loop_series(SIZE_CLIENTS, t.secs(0.5), t.secs(6.0), 2, move |w, i| {
                let k = ((w as u64 + i) % 2) as usize;
                let t = targets[k].clone();
                let (tip, behind) = (tips[k].clone(), behind[k].clone());
                async move {
                    let outcome = match read {
                        Read::Queue => expect(
                            &exchange(t.http.get(t.url("/api/queue")).bearer_auth(&t.bar_token))
                                .await,
                            200,
                        ),
                        Read::FeedTip | Read::FeedBehind => {
                            let (cursor, want) = match read {
                                Read::FeedTip => (tip, 304),
                                _ => (behind, 200),
                            };
                            expect(
                                &exchange(
                                    t.http
                                        .get(t.url(&format!("/api/feed?after={cursor}")))
                                        .header("if-none-match", format!("\"{cursor}\"")),
                                )
                                .await,
                                want,
                            )
                        }
                    };
                    (k, outcome)
                }
            })
            .await;
        for (m, size) in measured.into_iter().zip(["1k", "100k"]) {
            progress(&format!("{group} at {size} (interleaved)"), &m);
            results.push(
                &format!("{group}-{size}"),
                &format!("{what} at {size} orders (interleaved)"),
                m,
            );
        }
    }
    results.plans.push(explain_reads(db, &tips[1]).await?);
    Ok(())
}

async fn explain(
    db: &Client,
    title: &str,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> anyhow::Result<String> {
    let rows = db
        .query(&format!("EXPLAIN (ANALYZE, BUFFERS) {sql}"), params)
        .await
        .with_context(|| format!("EXPLAIN {title}"))?;
    let mut out = format!("=== {title}\n");
    for row in rows {
        out.push_str(&row.get::<_, String>(0));
        out.push('\n');
    }
    Ok(out)
}

/// Plans of the read statements at 100k orders, with the parameters the components send.
async fn explain_reads(db: &Client, tip: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    let statuses = "placed,preparing,ready";
    let (none, zero, fetch) = ("", 0_i64, 51_i64);
    out += &explain(
        db,
        "QUEUE (default page) at 100k orders",
        drinks_core::sql::QUEUE,
        &[&statuses, &none, &zero, &fetch, &false, &none],
    )
    .await?;
    let cursor = FeedCursor::decode(tip).map_err(|_| anyhow::anyhow!("bad tip cursor"))?;
    let (tx, seq, skip, limit) = (
        cursor.tx_param(),
        cursor.seq_param(),
        cursor.skip_param(),
        100_i64,
    );
    out += &explain(
        db,
        "FEED_AFTER (at the tip: the 304 path) at 100k orders",
        drinks_core::sql::FEED_AFTER,
        &[&tx, &seq, &skip, &limit],
    )
    .await?;
    let row = db
        .query_one(
            "select tx::text, seq from order_events order by tx desc, seq desc offset 20 limit 1",
            &[],
        )
        .await?;
    let (tx, seq): (String, i64) = (row.get(0), row.get(1));
    out += &explain(
        db,
        "FEED_AFTER (20 events behind) at 100k orders",
        drinks_core::sql::FEED_AFTER,
        &[&tx, &seq, &"", &limit],
    )
    .await?;
    out += &explain(
        db,
        "FEED_START at 100k orders",
        drinks_core::sql::FEED_START,
        &[],
    )
    .await?;
    Ok(out)
}

impl Results {
    fn push(&mut self, id: &str, label: &str, m: Measurement) {
        self.runs.push(Run {
            id: format!("{id}-c{}", m.clients),
            group: id.to_string(),
            label: label.to_string(),
            measurement: m,
        });
    }
}
