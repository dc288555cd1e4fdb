//! The CSV export (`GET /api/queue?format=csv`) on a big table: it streams page by page
//! (`EXPORT_ORDERS_PAGE`, `EXPORT_PAGE_SIZE` orders per statement), has every order that
//! existed when it started exactly once and in id order while orders are placed, stops
//! reading when the client goes away, and takes turns with the other exports: one page is
//! built at a time (the export turn of migration 0005).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use drinks_core::csv::EXPORT_PAGE_SIZE;
use drinks_core::sql;
use e2e::api::new_visitor;
use e2e::{TestApp, spawn_app};
use reqwest::StatusCode;

/// Orders in the table: 50 pages; about 13 MB of CSV, far more than the host's and the
/// sockets' buffers hold, so the export is still being read while the test acts.
const ORDERS: i64 = 100_000;
const _: () = assert!(ORDERS > 3 * EXPORT_PAGE_SIZE, "several pages");

/// Fills the table with `n` orders (a few formula-like and quoted nicknames among them).
async fn arrange_orders(app: &TestApp, n: i64) {
    app.arrange_sql(&format!(
        "INSERT INTO orders (visitor_id, nickname, drink_id)
         SELECT gen_random_uuid(),
                CASE WHEN g % 7 = 0 THEN '=cmd ' || g
                     WHEN g % 11 = 0 THEN 'Ana, \"the\" ' || g
                     ELSE 'Guest ' || g END,
                'tea'
         FROM generate_series(1, {n}) g"
    ))
    .await;
}

/// The ids of the orders in the table, in id order.
async fn ids_in_table(app: &TestApp, up_to: i64) -> Vec<i64> {
    app.db
        .client()
        .await
        .query(
            "SELECT id FROM orders WHERE id <= $1 ORDER BY id",
            &[&up_to],
        )
        .await
        .expect("ids")
        .iter()
        .map(|row| row.get(0))
        .collect()
}

async fn max_id(app: &TestApp) -> i64 {
    app.db
        .client()
        .await
        .query_one("SELECT coalesce(max(id), 0) FROM orders", &[])
        .await
        .expect("max id")
        .get(0)
}

/// The id column of an export (header checked; no nickname here holds a line break).
fn exported_ids(csv: &str) -> Vec<i64> {
    let mut lines = csv.split("\r\n");
    assert!(
        lines
            .next()
            .is_some_and(|h| h.starts_with("id,number,nickname,")),
        "header"
    );
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.split(',')
                .next()
                .and_then(|id| id.parse().ok())
                .unwrap_or_else(|| panic!("a record starting with an id: {l:?}"))
        })
        .collect()
}

async fn start_export(app: &TestApp) -> reqwest::Response {
    let response = app
        .bar(reqwest::Method::GET, "/api/queue?format=csv")
        .send()
        .await
        .expect("GET /api/queue?format=csv");
    assert_eq!(response.status(), StatusCode::OK);
    response
}

/// A whole export downloaded by a task of its own (within 60 s), as text.
fn download_export(app: &TestApp) -> tokio::task::JoinHandle<String> {
    let request = app.bar(reqwest::Method::GET, "/api/queue?format=csv");
    tokio::spawn(async move {
        let deadline = Instant::now() + Duration::from_secs(60);
        let body = tokio::time::timeout_at(deadline.into(), async {
            let response = request.send().await.expect("GET /api/queue?format=csv");
            assert_eq!(response.status(), StatusCode::OK);
            response.bytes().await.expect("a whole export")
        })
        .await
        .expect("the export ends within 60 s");
        String::from_utf8(body.to_vec()).expect("UTF-8")
    })
}

/// The export turn held by a connection of the test: it reads a page the way an export
/// does (`EXPORT_ORDERS_PAGE`), but inside a transaction it keeps open, and the turn is
/// transaction-scoped, so every export page waits until [`HeldTurn::release`].
struct HeldTurn {
    client: tokio_postgres::Client,
    pid: i32,
}

impl HeldTurn {
    async fn take(app: &TestApp) -> Self {
        let client = app.db.client().await;
        client.batch_execute("BEGIN").await.expect("BEGIN");
        client
            .query_one(sql::EXPORT_ORDERS_PAGE, &[&0_i64, &0_i64, &1_i64])
            .await
            .expect("an export page, and with it the turn");
        // Asked last, so that this backend does not show as running an export page.
        let pid = client
            .query_one("SELECT pg_backend_pid()", &[])
            .await
            .expect("the backend's pid")
            .get(0);
        Self { client, pid }
    }

    /// The backends whose export page waits for this turn (on the advisory lock it holds).
    async fn waiting(&self, observer: &tokio_postgres::Client) -> Vec<i32> {
        observer
            .query(
                "SELECT pid FROM pg_stat_activity
                 WHERE datname = current_database() AND query = $1
                   AND wait_event_type = 'Lock' AND wait_event = 'advisory'
                   AND $2::int4 = ANY (pg_blocking_pids(pid))",
                &[&sql::EXPORT_ORDERS_PAGE, &self.pid],
            )
            .await
            .expect("pg_stat_activity")
            .iter()
            .map(|row| row.get(0))
            .collect()
    }

    /// Waits (up to 10 s) until `n` export pages wait for this turn; their backends.
    async fn until_waiting(&self, observer: &tokio_postgres::Client, n: usize) -> Vec<i32> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let waiting = self.waiting(observer).await;
            if waiting.len() >= n {
                return waiting;
            }
            assert!(
                Instant::now() < deadline,
                "{n} export page(s) wait for the held turn within 10 s ({} do)",
                waiting.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn release(self) {
        self.client.batch_execute("COMMIT").await.expect("COMMIT");
    }
}

#[tokio::test]
async fn an_export_has_every_order_once_in_id_order_while_orders_are_placed() {
    let app = spawn_app().await;
    arrange_orders(&app, ORDERS).await;
    let before = max_id(&app).await;

    // The export's first page and its upper bound are read before its head is sent, so
    // every order placed once the head has arrived has an id above the bound: orders are
    // placed from then on, all the while the rest of the export is written, and none of
    // them is in it.
    let started = Instant::now();
    let mut response = start_export(&app).await;
    let placing = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let placer = tokio::spawn({
        let (address, http, placing) = (app.address.clone(), app.http.clone(), placing.clone());
        async move {
            let mut placed = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(60);
            while placing.load(std::sync::atomic::Ordering::SeqCst) && Instant::now() < deadline {
                let body = e2e::api::order_body(
                    &new_visitor(),
                    &format!("Late {}", placed.len()),
                    "water",
                    &e2e::api::new_request_id(),
                );
                let answer = http
                    .post(format!("{address}/api/orders"))
                    .json(&body)
                    .send()
                    .await
                    .expect("POST /api/orders");
                assert_eq!(answer.status(), StatusCode::CREATED);
                let order: serde_json::Value = answer.json().await.expect("order");
                placed.push(order["id"].as_i64().expect("id"));
            }
            placed
        }
    });
    let mut body = Vec::new();
    let deadline = started + Duration::from_secs(60);
    while let Some(chunk) = tokio::time::timeout_at(deadline.into(), response.chunk())
        .await
        .expect("the export ends within 60 s")
        .expect("a chunk")
    {
        body.extend_from_slice(&chunk);
    }
    let elapsed = started.elapsed();
    placing.store(false, std::sync::atomic::Ordering::SeqCst);
    let placed = placer.await.expect("the placing task");
    let csv = String::from_utf8(body).expect("UTF-8");
    eprintln!(
        "export of {ORDERS} orders: {} bytes in {elapsed:?}, {} orders placed meanwhile",
        csv.len(),
        placed.len()
    );
    assert!(placed.len() >= 5, "orders were placed during the export");

    let ids = exported_ids(&csv);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "in id order, each once"
    );
    assert_eq!(
        ids,
        ids_in_table(&app, before).await,
        "every order of the start"
    );
    assert!(placed.iter().all(|id| *id > before));
    assert!(csv.contains(",'=cmd 7,tea,"));
    assert!(csv.contains(",\"Ana, \"\"the\"\" 11\",tea,"));
}

/// Every start of an export statement seen in `pg_stat_activity` (which shows each
/// backend's latest statement and when it started, updated as it starts): sampled until
/// the task is dropped.
#[derive(Clone, Default)]
struct StatementLog(Arc<Mutex<BTreeSet<(i32, std::time::SystemTime)>>>);

impl StatementLog {
    fn count(&self) -> usize {
        self.0.lock().map(|s| s.len()).unwrap_or_default()
    }

    fn started_after(&self, t: std::time::SystemTime) -> usize {
        self.0
            .lock()
            .map(|s| s.iter().filter(|(_, at)| *at > t).count())
            .unwrap_or_default()
    }

    /// Samples every 2 ms; a page statement runs for several milliseconds and the
    /// component writes the page before it sends the next one, so no statement is missed.
    async fn record(self, client: tokio_postgres::Client) {
        loop {
            let rows = client
                .query(
                    "SELECT pid, query_start FROM pg_stat_activity
                     WHERE datname = current_database() AND query = $1
                       AND query_start IS NOT NULL",
                    &[&sql::EXPORT_ORDERS_PAGE],
                )
                .await
                .expect("pg_stat_activity");
            if let Ok(mut seen) = self.0.lock() {
                seen.extend(rows.iter().map(|r| (r.get(0), r.get(1))));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

#[tokio::test]
async fn a_client_that_goes_away_after_the_first_chunk_stops_the_export() {
    let app = spawn_app().await;
    arrange_orders(&app, ORDERS).await;
    let pages = (ORDERS / EXPORT_PAGE_SIZE + 1) as usize;
    let log = StatementLog::default();
    let sampler = tokio::spawn(log.clone().record(app.db.client().await));

    // The prerequisite: the sampler sees a whole export's page statements (at least half
    // of them, so that a loaded machine that makes it miss a short one does not fail the
    // test; a statement prepared and then executed may show twice).
    let whole = start_export(&app)
        .await
        .bytes()
        .await
        .expect("a whole export");
    assert_eq!(
        exported_ids(std::str::from_utf8(&whole).expect("UTF-8")).len() as i64,
        ORDERS
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while log.count() < pages / 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let whole = log.count();
    assert!(
        whole >= pages / 2,
        "pg_stat_activity shows the page statements ({whole} of {pages} seen)"
    );

    // Another export; the client reads its first chunk and goes away.
    let mut response = start_export(&app).await;
    let first = response
        .chunk()
        .await
        .expect("a chunk")
        .expect("a first chunk");
    assert!(first.starts_with(b"id,number,nickname,"));
    drop(response);
    let gone = std::time::SystemTime::now();
    let gone_at = Instant::now();

    // The instance ends within a second (the development host counts its instances;
    // Spin does not tell, and there the statements below are the evidence).
    match app.running_instances() {
        Some(_) => {
            while app.running_instances() != Some(0) {
                assert!(
                    gone_at.elapsed() < Duration::from_secs(1),
                    "the export's instance ends within a second of the client going away"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            eprintln!(
                "the instance ended {:?} after the client went away",
                gone_at.elapsed()
            );
        }
        None => eprintln!("on Spin: instances are not counted, only statements"),
    }

    // Within a second the statements stop; nothing more runs for the next two.
    let settled = Instant::now() + Duration::from_secs(1);
    let quiet_until = settled + Duration::from_secs(2);
    let mut after_settling = None;
    while Instant::now() < quiet_until {
        if Instant::now() >= settled && after_settling.is_none() {
            after_settling = Some(log.count());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sampler.abort();
    let abandoned = log.count() - whole;
    eprintln!(
        "statement starts: {whole} for a whole export of {pages} pages, {abandoned} for the \
         abandoned one, {} of them after the client went away",
        log.started_after(gone)
    );
    assert_eq!(
        after_settling,
        Some(log.count()),
        "no statement later than a second after the client went away"
    );
    assert!(
        log.started_after(gone) <= 4,
        "at most the page in hand and one more, each prepared and executed"
    );
    assert!(
        abandoned > 0 && abandoned < whole / 4,
        "the export stopped ({abandoned} statement starts of {whole})"
    );
}

#[tokio::test]
async fn an_export_waits_while_another_page_holds_the_turn_and_then_has_every_order() {
    let app = spawn_app().await;
    arrange_orders(&app, 2 * EXPORT_PAGE_SIZE + 500).await;
    let observer = app.db.client().await;
    let turn = HeldTurn::take(&app).await;

    let export = download_export(&app);
    let waiting = turn.until_waiting(&observer, 1).await;
    // Its first page is read before the head is sent: nothing has come while it waits.
    assert!(!export.is_finished(), "no answer while the turn is held");
    turn.release().await;

    let csv = export.await.expect("the export task");
    eprintln!(
        "the export (backend {waiting:?}) waited for the held turn, then sent {} bytes",
        csv.len()
    );
    assert_eq!(
        exported_ids(&csv),
        ids_in_table(&app, max_id(&app).await).await,
        "every order once, in id order"
    );
}

/// Exports downloaded at once in the turn-taking test: enough that their pages meet at the
/// turn all the time, few enough for a debug build on two cores.
const CONCURRENT_EXPORTS: usize = 4;

/// What sampling `pg_stat_activity` and `pg_locks` while exports run has shown: how many
/// looks, the most export pages seen waiting for the turn at once, and the most seen
/// holding an advisory lock (the turn) at once.
#[derive(Clone, Default)]
struct TurnLog(Arc<Mutex<(u64, i64, i64)>>);

impl TurnLog {
    fn seen(&self) -> (u64, i64, i64) {
        self.0.lock().map(|s| *s).unwrap_or_default()
    }

    /// Samples every 2 ms until the task is dropped.
    async fn record(self, client: tokio_postgres::Client) {
        loop {
            let row = client
                .query_one(
                    "SELECT
                       (SELECT count(*) FROM pg_stat_activity
                        WHERE datname = current_database() AND query = $1
                          AND wait_event_type = 'Lock' AND wait_event = 'advisory'),
                       (SELECT count(*) FROM pg_locks
                        WHERE locktype = 'advisory' AND granted
                          AND pid IN (SELECT pid FROM pg_stat_activity
                                      WHERE datname = current_database() AND query = $1))",
                    &[&sql::EXPORT_ORDERS_PAGE],
                )
                .await
                .expect("pg_stat_activity and pg_locks");
            let (waiting, holding): (i64, i64) = (row.get(0), row.get(1));
            if let Ok(mut seen) = self.0.lock() {
                *seen = (seen.0 + 1, seen.1.max(waiting), seen.2.max(holding));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

#[tokio::test]
async fn concurrent_exports_take_turns_one_page_at_a_time_and_each_has_every_order() {
    let app = spawn_app().await;
    arrange_orders(&app, ORDERS).await;
    let expected = ids_in_table(&app, max_id(&app).await).await;
    let turns = TurnLog::default();
    let sampler = tokio::spawn(turns.clone().record(app.db.client().await));

    let started = Instant::now();
    let exports: Vec<_> = (0..CONCURRENT_EXPORTS)
        .map(|_| download_export(&app))
        .collect();
    for export in exports {
        let csv = export.await.expect("an export task");
        assert_eq!(
            exported_ids(&csv),
            expected,
            "every order once, in id order"
        );
    }
    sampler.abort();
    let (looks, most_waiting, most_holding) = turns.seen();
    eprintln!(
        "{CONCURRENT_EXPORTS} exports of {ORDERS} orders in {:?}; {looks} looks: at most \
         {most_waiting} pages waiting for the turn and {most_holding} holding it at once",
        started.elapsed()
    );
    assert!(
        most_holding <= 1,
        "at most one export page holds the turn at a time ({most_holding} seen)"
    );
    assert!(
        most_waiting >= 1,
        "export pages waited for their turn ({looks} looks)"
    );
}

#[tokio::test]
async fn an_export_waiting_for_its_turn_stops_once_its_turn_comes_when_its_client_has_gone() {
    use tokio::io::AsyncWriteExt;

    let app = spawn_app().await;
    arrange_orders(&app, ORDERS).await;
    let observer = app.db.client().await;
    let log = StatementLog::default();
    let sampler = tokio::spawn(log.clone().record(app.db.client().await));
    let turn = HeldTurn::take(&app).await;

    // A client asks for an export and goes away while its first page waits for the turn.
    let mut client = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    client
        .write_all(
            format!(
                "GET /api/queue?format=csv HTTP/1.1\r\nHost: {}\r\n\
                 Authorization: Bearer {}\r\n\r\n",
                app.addr, app.bar_token
            )
            .as_bytes(),
        )
        .await
        .expect("the request");
    turn.until_waiting(&observer, 1).await;
    drop(client);
    let released = std::time::SystemTime::now();
    turn.release().await;
    let released_at = Instant::now();

    // Its turn comes, it reads the page it waited for, and its first write finds the
    // client gone: the instance ends within a second (development host; on Spin the
    // statements below are the evidence).
    if app.running_instances().is_some() {
        while app.running_instances() != Some(0) {
            assert!(
                released_at.elapsed() < Duration::from_secs(1),
                "the export's instance ends within a second of its turn"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    // No statement later than a second after the turn came; nothing for the next two.
    let settled = Instant::now().max(released_at + Duration::from_secs(1));
    let quiet_until = settled + Duration::from_secs(2);
    let mut after_settling = None;
    while Instant::now() < quiet_until {
        if Instant::now() >= settled && after_settling.is_none() {
            after_settling = Some(log.count());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sampler.abort();
    let after = log.started_after(released);
    eprintln!(
        "statement starts: {} in all, {after} after the turn came",
        log.count()
    );
    assert_eq!(
        after_settling,
        Some(log.count()),
        "no statement later than a second after the turn came"
    );
    assert!(
        after <= 4,
        "at most the page it waited for and one more, each prepared and executed ({after})"
    );
}
