//! The guest's view (issues 13 and 16): `GET /api/visit`, what a phone polls instead of the
//! whole public feed — the guest's latest order with its place in the queue, the bar's recent
//! median wait, the ticker's last lines and the menu's version, bounded, ETag/304.

use std::time::{Duration, Instant};

use e2e::api::{id_of, is_problem, move_through, new_visitor, place_order};
use e2e::{TestApp, json, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn placed(app: &TestApp, visitor: &str, nickname: &str, drink: &str) -> Value {
    let response = place_order(app, visitor, nickname, drink).await;
    assert!(response.status().is_success(), "{}", response.status());
    json(response).await
}

async fn visit_response(
    app: &TestApp,
    visitor: Option<&str>,
    etag: Option<&str>,
) -> reqwest::Response {
    let mut request = app.http.get(app.url("/api/visit"));
    if let Some(visitor) = visitor {
        request = request.header("x-visitor-id", visitor);
    }
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    request.send().await.expect("GET /api/visit")
}

async fn visit(app: &TestApp, visitor: Option<&str>) -> Value {
    let response = visit_response(app, visitor, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    json(response).await
}

/// Polls the view until `want` holds, or panics after 10 s (a change shows once it has
/// settled, as on the board and in the feed).
async fn visit_until(app: &TestApp, visitor: Option<&str>, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let v = visit(app, visitor).await;
        if want(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "the view never showed it: {v}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_guest_sees_their_order_and_how_many_waiting_orders_are_before_it() {
    let app = spawn_app().await;
    let ana = placed(&app, &new_visitor(), "Ana", "tea").await;
    let ben = placed(&app, &new_visitor(), "Ben", "espresso").await;
    let cleo = placed(&app, &new_visitor(), "Cleo", "water").await;
    let dan_id = new_visitor();
    let dan = placed(&app, &dan_id, "Dan", "tea").await;
    placed(&app, &new_visitor(), "Eve", "tea").await; // after Dan: not before him
    move_through(&app, &ben, &["preparing"]).await;
    move_through(&app, &cleo, &["preparing", "ready"]).await;

    let v = visit(&app, Some(&dan_id)).await;
    assert_eq!(v["order"]["id"], dan["id"]);
    assert_eq!(v["order"]["nickname"], "Dan");
    assert_eq!(
        v["ahead"], 2,
        "Ana (placed) and Ben (preparing) are before Dan; Cleo is ready"
    );

    move_through(&app, &ana, &["cancelled"]).await;
    visit_until(&app, Some(&dan_id), |v| v["ahead"] == 1).await;
    let dan = move_through(&app, &dan, &["preparing"]).await;
    let v = visit_until(&app, Some(&dan_id), |v| {
        v["order"]["version"] == dan["version"]
    })
    .await;
    assert_eq!(v["ahead"], 1, "still counted while being prepared");
    move_through(&app, &dan, &["ready"]).await;
    let v = visit_until(&app, Some(&dan_id), |v| v["order"]["status"] == "ready").await;
    assert_eq!(v["ahead"], Value::Null, "a ready order waits for nobody");
}

#[tokio::test]
async fn a_screen_without_a_visitor_id_gets_no_order_and_a_bad_id_or_any_parameter_is_400() {
    let app = spawn_app().await;
    placed(&app, &new_visitor(), "Ana", "tea").await;
    let v = visit(&app, None).await;
    assert_eq!(
        (v["order"].clone(), v["ahead"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(v["ticker"][0]["nickname"], "Ana");
    let stranger = visit(&app, Some(&new_visitor())).await;
    assert_eq!(stranger["order"], Value::Null, "nobody else's order");

    let bad_id = visit_response(&app, Some("ana"), None).await;
    assert_eq!(bad_id.status(), StatusCode::BAD_REQUEST);
    assert!(is_problem(&bad_id));
    assert_eq!(json(bad_id).await["type"], "/problems/invalid-header");
    let parameter = app.get("/api/visit?after=1").await;
    assert_eq!(parameter.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json(parameter).await["type"], "/problems/invalid-parameter");
}

#[tokio::test]
async fn the_wait_estimate_appears_once_five_orders_became_ready_and_is_their_median() {
    let app = spawn_app().await;
    let guest = new_visitor();
    placed(&app, &guest, "Gus", "tea").await;
    let mut waits = Vec::new();
    for n in 0..5 {
        let order = placed(&app, &new_visitor(), &format!("Guest {n}"), "tea").await;
        let ready = move_through(&app, &order, &["preparing", "ready"]).await;
        let wait = ready["ready_at"].as_i64().unwrap() - ready["placed_at"].as_i64().unwrap();
        waits.push(wait);
        if n < 4 {
            let v = visit(&app, Some(&guest)).await;
            assert_eq!(v["wait"], Value::Null, "{} ready: too few to say", n + 1);
        }
    }
    let v = visit_until(&app, Some(&guest), |v| !v["wait"].is_null()).await;
    waits.sort();
    let median = v["wait"]["median_ms"].as_i64().expect("a median");
    assert!(
        (median - waits[2]).abs() <= 1,
        "median {median} of {waits:?} (milliseconds rounded apart)"
    );
    assert_eq!(v["wait"]["samples"], 5);
    assert!(v["now"].as_i64().unwrap() >= v["order"]["placed_at"].as_i64().unwrap());
}

#[tokio::test]
async fn the_ticker_shows_the_last_ten_orders_newest_first_each_once_without_cancelled_ones() {
    let app = spawn_app().await;
    let mut orders = Vec::new();
    let mut visitors = Vec::new();
    for n in 0..13 {
        let visitor = new_visitor();
        orders.push(placed(&app, &visitor, &format!("Guest {n:02}"), "tea").await);
        visitors.push(visitor);
    }
    // Guest 05 changes their drink: their line moves to the top with the new drink.
    placed(&app, &visitors[5], "Guest 05", "espresso").await;
    // Guest 11 is cancelled: gone. Guest 12's name is hidden: no nickname.
    move_through(&app, &orders[11], &["cancelled"]).await;
    let hidden = app
        .bar(
            Method::PUT,
            &format!("/api/orders/{}/name-hidden", id_of(&orders[12])),
        )
        .send()
        .await
        .expect("hide");
    assert_eq!(hidden.status(), StatusCode::OK);

    let v = visit_until(&app, None, |v| v["ticker"][0]["drink"] == "espresso").await;
    let lines = v["ticker"].as_array().expect("ticker");
    let shown: Vec<Value> = lines.iter().map(|l| l["nickname"].clone()).collect();
    assert_eq!(
        shown,
        [
            json!("Guest 05"),
            Value::Null,
            json!("Guest 10"),
            json!("Guest 09"),
            json!("Guest 08"),
            json!("Guest 07"),
            json!("Guest 06"),
            json!("Guest 04"),
            json!("Guest 03"),
            json!("Guest 02"),
        ]
    );
    assert_eq!(lines[1]["number"], orders[12]["number"]);
    let mut fields: Vec<&String> = lines[0].as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(fields, ["at", "drink", "id", "nickname", "number"]);
}

#[tokio::test]
async fn an_unchanged_view_is_304_and_a_menu_change_gives_the_menu_endpoints_new_etag() {
    let app = spawn_app().await;
    let guest = new_visitor();
    placed(&app, &guest, "Ana", "tea").await;
    let first = visit_response(&app, Some(&guest), None).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["cache-control"], "private, no-cache");
    assert_eq!(first.headers()["vary"], "X-Visitor-Id");
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let before = json(first).await;
    let menu = app.get("/api/menu").await;
    assert_eq!(menu.headers()["etag"].to_str().unwrap(), before["menu"]);

    let unchanged = visit_response(&app, Some(&guest), Some(&etag)).await;
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(unchanged.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(unchanged.text().await.unwrap(), "");

    let sold_out = app
        .bar(Method::PATCH, "/api/drinks/tea")
        .json(&json!({"available": false}))
        .send()
        .await
        .expect("PATCH drink");
    assert_eq!(sold_out.status(), StatusCode::OK);
    let after = visit_until(&app, Some(&guest), |v| v["menu"] != before["menu"]).await;
    let menu = app.get("/api/menu").await;
    assert_eq!(menu.headers()["etag"].to_str().unwrap(), after["menu"]);
    let changed = visit_response(&app, Some(&guest), Some(&etag)).await;
    assert_eq!(
        changed.status(),
        StatusCode::OK,
        "a new position, a new ETag"
    );
}

#[tokio::test]
async fn what_a_phone_downloads_stays_the_same_size_however_many_orders_there_were() {
    let app = spawn_app().await;
    let guest = new_visitor();
    placed(&app, &guest, "Ana", "tea").await;
    let size = |v: &Value| serde_json::to_vec(v).unwrap().len();
    let mut sizes = Vec::new();
    for round in 0..3 {
        for n in 0..20 {
            let order = placed(&app, &new_visitor(), &format!("G{round}{n:02}"), "tea").await;
            move_through(&app, &order, &["preparing", "ready", "served"]).await;
        }
        sizes.push(size(
            &visit_until(&app, Some(&guest), |v| {
                v["ticker"].as_array().map(Vec::len) == Some(10)
            })
            .await,
        ));
    }
    // 60 orders and 240 events later the view is as long as after 20 (the ticker is full
    // from the first round on; numbers may gain a digit).
    assert!(
        sizes.iter().all(|s| s.abs_diff(sizes[0]) <= 40),
        "{sizes:?}"
    );
}

/// Lets the test database refuse every connection and ends the ones the app's pool holds:
/// from now on anything that asks the database fails.
async fn cut_off_the_database(app: &TestApp) {
    let admin = devhost::connect(&e2e::admin_url()).await.expect("admin");
    let name = &app.db.name;
    admin
        .batch_execute(&format!(
            "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
        ))
        .await
        .expect("cut the database off");
}

#[tokio::test]
async fn a_poll_with_the_replicas_last_etag_and_the_shared_view_need_no_database_until_they_age() {
    e2e::require_devhost!("cuts the database off under the app");
    let app = e2e::app_builder()
        .variable("poll_cache_ms", "5000")
        .spawn()
        .await;
    let guest = new_visitor();
    placed(&app, &guest, "Ana", "tea").await;
    // The view without a visitor (a phone with nothing on order, the poster) is the same
    // for everyone: the replica keeps a copy.
    let shared_at = Instant::now();
    let shared = visit_response(&app, None, None).await;
    assert_eq!(shared.status(), StatusCode::OK);
    let shared_etag = shared.headers()["etag"].to_str().unwrap().to_string();
    let shared_body = shared.text().await.unwrap();
    // Once the position stands still, the ETag the replica read last is the client's.
    let deadline = Instant::now() + Duration::from_secs(10);
    let etag = loop {
        let first = visit_response(&app, Some(&guest), None).await;
        let etag = first.headers()["etag"].to_str().unwrap().to_string();
        let again = visit_response(&app, Some(&guest), Some(&etag)).await;
        if again.status() == StatusCode::NOT_MODIFIED {
            break etag;
        }
        assert!(Instant::now() < deadline, "the ETag never stood still");
    };
    let remembered = Instant::now();
    cut_off_the_database(&app).await;

    let cached = visit_response(&app, Some(&guest), Some(&etag)).await;
    assert!(
        shared_at.elapsed() < Duration::from_secs(4),
        "too slow to test the cache"
    );
    assert_eq!(
        cached.status(),
        StatusCode::NOT_MODIFIED,
        "no database needed"
    );
    assert_eq!(cached.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(cached.headers()["vary"], "X-Visitor-Id");
    let board_etag_is_another = visit_response(&app, Some(&guest), Some("\"b1.1\"")).await;
    assert!(
        board_etag_is_another.status().is_server_error(),
        "another ETag asks the database: {}",
        board_etag_is_another.status()
    );
    let bad = visit_response(&app, Some("ana"), Some(&etag)).await;
    assert_eq!(
        bad.status(),
        StatusCode::BAD_REQUEST,
        "the header is still checked"
    );
    let copy = visit_response(&app, None, None).await;
    assert!(
        shared_at.elapsed() < Duration::from_secs(5),
        "too slow to test the cache"
    );
    assert_eq!(
        copy.status(),
        StatusCode::OK,
        "the shared view from the copy"
    );
    assert_eq!(copy.headers()["etag"].to_str().unwrap(), shared_etag);
    assert_eq!(copy.text().await.unwrap(), shared_body);

    // Until poll_cache_ms has passed, the remembered ETag answers; then the database is
    // asked (and, cut off, fails).
    let deadline = remembered + Duration::from_secs(15);
    let aged = loop {
        let answer = visit_response(&app, Some(&guest), Some(&etag)).await;
        if answer.status() != StatusCode::NOT_MODIFIED {
            break answer;
        }
        assert!(Instant::now() < deadline, "the remembered ETag never aged");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        remembered.elapsed() >= Duration::from_millis(4900),
        "the database was asked after {:?}, before poll_cache_ms",
        remembered.elapsed()
    );
    assert!(aged.status().is_server_error(), "{}", aged.status());
}
