//! End-to-end tests of issue 4: what the bar does (token, status changes, stock, stats,
//! CSV export, purge), through the real components on the development host against a
//! fresh database.

use e2e::api::{
    cancel_order, feed_start, feed_until, id_of, is_problem, new_request_id,
    new_visitor as visitor, place_order as place_as, version_of,
};
use e2e::{TestApp, app_builder, json, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Places an order for a new visitor; returns the order and the visitor id.
async fn place(app: &TestApp, nickname: &str, drink: &str) -> (Value, String) {
    let v = visitor();
    let response = place_as(app, &v, nickname, drink).await;
    assert_eq!(response.status(), StatusCode::CREATED, "placing {nickname}");
    (json(response).await, v)
}

async fn patch_status(app: &TestApp, id: i64, status: &str, version: i64) -> reqwest::Response {
    app.bar(Method::PATCH, &format!("/api/orders/{id}"))
        .json(&json!({"status": status, "version": version}))
        .send()
        .await
        .expect("PATCH order")
}

/// Moves an order along the legal path to `target`; returns the order as it is then.
async fn move_to(app: &TestApp, order: Value, target: &str) -> Value {
    let path: &[&str] = match target {
        "placed" => &[],
        "preparing" => &["preparing"],
        "ready" => &["preparing", "ready"],
        "served" => &["preparing", "ready", "served"],
        "cancelled" => &["cancelled"],
        other => panic!("unknown status {other}"),
    };
    let mut order = order;
    for step in path {
        let response = patch_status(app, id_of(&order), step, version_of(&order)).await;
        assert_eq!(response.status(), StatusCode::OK, "moving to {step}");
        order = json(response).await;
    }
    order
}

async fn patch_batch(app: &TestApp, changes: Value) -> reqwest::Response {
    app.bar(Method::PATCH, "/api/orders")
        .json(&json!({ "changes": changes }))
        .send()
        .await
        .expect("PATCH orders")
}

async fn patch_drink(app: &TestApp, drink: &str, body: Value) -> reqwest::Response {
    app.bar(Method::PATCH, &format!("/api/drinks/{drink}"))
        .json(&body)
        .send()
        .await
        .expect("PATCH drink")
}

async fn menu_drink(app: &TestApp, drink: &str) -> Value {
    let menu = json(app.get("/api/menu").await).await;
    menu["drinks"]
        .as_array()
        .and_then(|a| a.iter().find(|d| d["id"] == drink).cloned())
        .unwrap_or_else(|| panic!("{drink} is on the menu"))
}

async fn order_row(app: &TestApp, id: i64) -> (String, i32) {
    let row = app
        .db
        .client()
        .await
        .query_one("SELECT status, version FROM orders WHERE id = $1", &[&id])
        .await
        .expect("order row");
    (row.get(0), row.get(1))
}

async fn db_now_ms(app: &TestApp) -> i64 {
    app.db
        .client()
        .await
        .query_one("SELECT (extract(epoch from now()) * 1000)::int8", &[])
        .await
        .expect("clock")
        .get(0)
}

/// Every bar endpoint, with a body that would be valid.
fn bar_requests() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (
            Method::PATCH,
            "/api/orders/1",
            Some(json!({"status": "preparing", "version": 1})),
        ),
        (Method::DELETE, "/api/orders?before=1", None),
        (
            Method::POST,
            "/api/orders/1/undo",
            Some(json!({"version": 1})),
        ),
        (
            Method::PATCH,
            "/api/orders",
            Some(json!({"changes": [{"id": 1, "status": "preparing", "version": 1}]})),
        ),
        (
            Method::PATCH,
            "/api/drinks/beer",
            Some(json!({"available": true})),
        ),
        (Method::GET, "/api/queue", None),
        (Method::GET, "/api/queue?format=csv", None),
        (Method::GET, "/api/stats", None),
    ]
}

#[tokio::test]
async fn every_bar_endpoint_refuses_a_missing_or_wrong_token_with_401() {
    let app = spawn_app().await;
    let (order, _) = place(&app, "Ana", "tea").await;
    assert_eq!(id_of(&order), 1);
    for (method, path, body) in bar_requests() {
        let wrong_tokens: [Option<String>; 4] = [
            None,
            Some("Bearer wrong".into()),
            Some(format!("Bearer {}x", app.bar_token)),
            Some(format!("Basic {}", app.bar_token)),
        ];
        for authorization in wrong_tokens {
            let mut request = app.http.request(method.clone(), app.url(path));
            if let Some(value) = &authorization {
                request = request.header("authorization", value);
            }
            if let Some(body) = &body {
                request = request.json(body);
            }
            let response = request.send().await.expect("request");
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {path} with {authorization:?}"
            );
            assert!(is_problem(&response));
            let challenge = response.headers()["www-authenticate"]
                .to_str()
                .unwrap_or_default()
                .to_string();
            assert!(challenge.starts_with("Bearer"), "{challenge}");
            assert_eq!(json(response).await["type"], "/problems/unauthorized");
        }
    }
    assert_eq!(order_row(&app, 1).await, ("placed".into(), 1));
    assert_eq!(menu_drink(&app, "beer").await["available"], false);
    assert_eq!(app.count("orders").await, 1);
}

#[tokio::test]
async fn the_token_is_checked_before_the_body_so_strangers_learn_nothing() {
    let app = spawn_app().await;
    let response = app
        .http
        .patch(app.url("/api/orders/999"))
        .header("content-type", "text/plain")
        .body("garbage")
        .send()
        .await
        .expect("PATCH");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bar_endpoints_answer_503_naming_the_variable_when_no_token_is_configured() {
    let app = app_builder().without_bar_token().spawn().await;
    for (method, path, body) in bar_requests() {
        for token in ["", "anything"] {
            let mut request = app
                .http
                .request(method.clone(), app.url(path))
                .bearer_auth(token);
            if let Some(body) = &body {
                request = request.json(body);
            }
            let response = request.send().await.expect("request");
            assert_eq!(
                response.status(),
                StatusCode::SERVICE_UNAVAILABLE,
                "{method} {path}"
            );
            let problem = json(response).await;
            assert_eq!(problem["type"], "/problems/bar-token-not-configured");
            assert_eq!(problem["field"], "bar_token");
            assert!(
                problem["detail"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("bar_token")
            );
        }
    }
    assert_eq!(menu_drink(&app, "beer").await["available"], false);
}

#[tokio::test]
async fn the_bar_moves_an_order_from_placed_through_preparing_and_ready_to_served() {
    let app = spawn_app().await;
    let cursor = feed_start(&app).await;
    let (placed, _) = place(&app, "Ana", "tea").await;
    assert!(placed["placed_at"].as_i64().is_some());
    for key in ["preparing_at", "ready_at", "served_at", "cancelled_at"] {
        assert_eq!(placed[key], Value::Null, "{key}");
    }
    let id = id_of(&placed);
    let mut order = placed;
    for (step, stamp) in [
        ("preparing", "preparing_at"),
        ("ready", "ready_at"),
        ("served", "served_at"),
    ] {
        let version = order["version"].as_i64().unwrap_or_default();
        let response = patch_status(&app, id, step, version).await;
        assert_eq!(response.status(), StatusCode::OK, "{step}");
        let next = json(response).await;
        assert_eq!(next["status"], step);
        assert_eq!(next["version"], version + 1);
        let at = next[stamp].as_i64().expect(stamp);
        assert!(
            at >= order["placed_at"].as_i64().unwrap_or(i64::MAX),
            "{stamp}"
        );
        assert_eq!(next["updated_at"], next[stamp]);
        assert_eq!(next["cancelled_at"], Value::Null);
        order = next;
    }
    assert!(order["ready_at"].as_i64() >= order["preparing_at"].as_i64());
    assert!(order["served_at"].as_i64() >= order["ready_at"].as_i64());

    // One event per change: placed, then three status events, each with the new status.
    let (events, _) = feed_until(&app, &cursor, 4).await;
    let seen: Vec<(String, String, i64)> = events
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or_default().to_string(),
                e["order"]["status"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                e["order"]["version"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("placed".to_string(), "placed".to_string(), 1),
            ("status".into(), "preparing".into(), 2),
            ("status".into(), "ready".into(), 3),
            ("status".into(), "served".into(), 4),
        ]
    );
    assert_eq!(app.count("order_events").await, 4);
}

#[tokio::test]
async fn every_illegal_transition_is_409_naming_the_current_status_and_writes_nothing() {
    let app = spawn_app().await;
    let statuses = ["placed", "preparing", "ready", "served", "cancelled"];
    let legal = [
        ("placed", "preparing"),
        ("preparing", "ready"),
        ("ready", "served"),
        ("placed", "cancelled"),
        ("preparing", "cancelled"),
        ("ready", "cancelled"),
    ];
    let mut tried = 0;
    for from in statuses {
        let (order, _) = place(&app, &format!("At {from}"), "tea").await;
        let order = move_to(&app, order, from).await;
        let id = id_of(&order);
        let version = order["version"].as_i64().unwrap_or_default();
        let events_before = app.count("order_events").await;
        for to in statuses {
            if legal.contains(&(from, to)) {
                continue;
            }
            tried += 1;
            let response = patch_status(&app, id, to, version).await;
            assert_eq!(response.status(), StatusCode::CONFLICT, "{from} -> {to}");
            assert!(is_problem(&response));
            let problem = json(response).await;
            assert_eq!(
                problem["type"], "/problems/illegal-transition",
                "{from} -> {to}"
            );
            assert_eq!(problem["field"], "status");
            let detail = problem["detail"].as_str().unwrap_or_default();
            assert!(detail.contains(from), "{from} -> {to}: {detail}");
            assert_eq!(problem["order"]["status"], from);
            assert_eq!(problem["order"]["version"], version);
        }
        assert_eq!(
            order_row(&app, id).await,
            (from.to_string(), version as i32)
        );
        assert_eq!(app.count("order_events").await, events_before);
    }
    assert_eq!(tried, 19);
}

#[tokio::test]
async fn every_open_order_can_be_cancelled_by_the_bar_and_its_stock_comes_back() {
    let app = spawn_app().await;
    let set = patch_drink(&app, "water", json!({"stock": 3})).await;
    assert_eq!(set.status(), StatusCode::OK);
    let cursor = feed_start(&app).await;
    for from in ["placed", "preparing", "ready"] {
        let (order, _) = place(&app, &format!("At {from}"), "water").await;
        let order = move_to(&app, order, from).await;
        let version = order["version"].as_i64().unwrap_or_default();
        let response = patch_status(&app, id_of(&order), "cancelled", version).await;
        assert_eq!(response.status(), StatusCode::OK, "cancel from {from}");
        let cancelled = json(response).await;
        assert_eq!(cancelled["status"], "cancelled");
        assert_eq!(cancelled["version"], version + 1);
        assert!(cancelled["cancelled_at"].as_i64().is_some());
        assert_eq!(menu_drink(&app, "water").await["stock"], 3, "after {from}");
    }
    // Per order: placed + drink (stock taken), its status changes (0, 1, 2), cancelled +
    // drink (stock returned).
    let (events, _) = feed_until(&app, &cursor, 15).await;
    assert_eq!(events.len(), 15);
    let cancelled = events.iter().filter(|e| e["kind"] == "cancelled").count();
    assert_eq!(cancelled, 3);
    let last_drink = events
        .iter()
        .rev()
        .find(|e| e["kind"] == "drink")
        .expect("a drink event");
    assert_eq!(
        last_drink["drink"],
        json!({"id": "water", "available": true, "stock": 3, "sold_out": false})
    );
}

#[tokio::test]
async fn two_tablets_changing_the_same_order_never_overwrite_each_other() {
    let app = spawn_app().await;
    let (order, _) = place(&app, "Ana", "tea").await;
    let id = id_of(&order);
    // Both tablets saw version 1. The first one wins…
    let first = patch_status(&app, id, "preparing", 1).await;
    assert_eq!(first.status(), StatusCode::OK);
    // …the second one is told what the order is now, and nothing is written.
    let second = patch_status(&app, id, "cancelled", 1).await;
    assert_eq!(second.status(), StatusCode::CONFLICT);
    assert!(is_problem(&second));
    let problem = json(second).await;
    assert_eq!(problem["type"], "/problems/version-conflict");
    assert_eq!(problem["field"], "version");
    assert_eq!(problem["order"]["status"], "preparing");
    assert_eq!(problem["order"]["version"], 2);
    assert_eq!(order_row(&app, id).await, ("preparing".into(), 2));
    // A version from the future is just as stale.
    let future = patch_status(&app, id, "ready", 7).await;
    assert_eq!(future.status(), StatusCode::CONFLICT);
    assert_eq!(order_row(&app, id).await, ("preparing".into(), 2));
    assert_eq!(app.count("order_events").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_tablets_changing_the_same_order_at_once_end_with_one_winner() {
    let app = spawn_app().await;
    for round in 0..5 {
        let (order, _) = place(&app, &format!("Race {round}"), "tea").await;
        let id = id_of(&order);
        let (a, b) = tokio::join!(
            patch_status(&app, id, "preparing", 1),
            patch_status(&app, id, "cancelled", 1)
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "round {round}");
        let (status, version) = order_row(&app, id).await;
        assert_eq!(version, 2);
        assert!(status == "preparing" || status == "cancelled");
    }
    assert_eq!(app.count("order_events").await, 10);
}

#[tokio::test]
async fn bad_status_changes_are_problems_that_name_the_field() {
    let app = spawn_app().await;
    let (order, _) = place(&app, "Ana", "tea").await;
    let path = format!("/api/orders/{}", id_of(&order));
    let cases = [
        (json!({"version": 1}), 422, Some("status")),
        (json!({"status": "preparing"}), 422, Some("version")),
        (json!({"status": "done", "version": 1}), 422, Some("status")),
        (
            json!({"status": "preparing", "version": 0}),
            422,
            Some("version"),
        ),
        (
            json!({"status": "preparing", "version": "1"}),
            422,
            Some("version"),
        ),
        (json!(["preparing"]), 400, None),
    ];
    for (body, status, field) in cases {
        let response = app
            .bar(Method::PATCH, &path)
            .json(&body)
            .send()
            .await
            .expect("PATCH");
        assert_eq!(response.status().as_u16(), status, "{body}");
        assert!(is_problem(&response));
        assert_eq!(json(response).await["field"].as_str(), field, "{body}");
    }
    let plain = app
        .bar(Method::PATCH, &path)
        .header("content-type", "text/plain")
        .body(r#"{"status":"preparing","version":1}"#)
        .send()
        .await
        .expect("PATCH");
    assert_eq!(plain.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let unknown = patch_status(&app, 999_999, "preparing", 1).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(json(unknown).await["type"], "/problems/order-not-found");
    assert_eq!(app.count("order_events").await, 1);
}

#[tokio::test]
async fn the_bar_switches_drinks_and_sets_stock_and_open_pages_see_it_in_the_feed() {
    let app = spawn_app().await;
    let cursor = feed_start(&app).await;
    let response = patch_drink(&app, "beer", json!({"available": true, "stock": 2})).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        json(response).await,
        json!({"id": "beer", "name": "Beer", "names": {"en": "Beer", "de": "Bier", "fr": "Bière",
               "it": "Birra"}, "description": {}, "available": true, "stock": 2, "sold_out": false, "retired": false,
               "position": 60, "icon": null, "picture": null})
    );
    let beer = menu_drink(&app, "beer").await;
    assert_eq!(
        (beer["available"].clone(), beer["stock"].clone()),
        (json!(true), json!(2))
    );

    let off = json(patch_drink(&app, "tea", json!({"available": false})).await).await;
    assert_eq!(off["sold_out"], true);
    assert_eq!(off["stock"], Value::Null);
    let unlimited = json(patch_drink(&app, "beer", json!({"stock": null})).await).await;
    assert_eq!(
        (unlimited["available"].clone(), unlimited["stock"].clone()),
        (json!(true), Value::Null)
    );
    let empty = json(patch_drink(&app, "water", json!({"stock": 0})).await).await;
    assert_eq!(empty["sold_out"], true);

    let (events, _) = feed_until(&app, &cursor, 4).await;
    let drinks: Vec<Value> = events.iter().map(|e| e["drink"].clone()).collect();
    assert!(
        events
            .iter()
            .all(|e| e["kind"] == "drink" && e.get("order").is_none())
    );
    assert_eq!(
        drinks,
        [
            json!({"id": "beer", "available": true, "stock": 2, "sold_out": false}),
            json!({"id": "tea", "available": false, "stock": null, "sold_out": true}),
            json!({"id": "beer", "available": true, "stock": null, "sold_out": false}),
            json!({"id": "water", "available": true, "stock": 0, "sold_out": true}),
        ]
    );
    let refused = place_as(&app, &visitor(), "Ana", "water").await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert_eq!(json(refused).await["type"], "/problems/sold-out");
}

#[tokio::test]
async fn bad_drink_changes_are_refused_and_write_nothing() {
    let app = spawn_app().await;
    let cases = [
        ("tea", json!({}), 422),
        ("tea", json!({"stock": -1}), 422),
        ("tea", json!({"stock": 1.5}), 422),
        ("tea", json!({"available": "yes"}), 422),
        ("coke", json!({"available": true}), 404),
    ];
    for (drink, body, status) in cases {
        let response = patch_drink(&app, drink, body.clone()).await;
        assert_eq!(response.status().as_u16(), status, "{drink} {body}");
        assert!(is_problem(&response));
    }
    let unknown = patch_drink(&app, "coke", json!({"stock": 1})).await;
    assert_eq!(json(unknown).await["type"], "/problems/drink-not-found");
    assert_eq!(app.count("order_events").await, 0);
}

#[tokio::test]
async fn placing_changing_and_cancelling_take_move_and_return_stock() {
    let app = spawn_app().await;
    patch_drink(&app, "tea", json!({"stock": 5})).await;
    patch_drink(&app, "water", json!({"stock": 5})).await;
    let v = visitor();
    let order = json(place_as(&app, &v, "Ana", "tea").await).await;
    assert_eq!(menu_drink(&app, "tea").await["stock"], 4);
    let changed = place_as(&app, &v, "Ana", "water").await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(menu_drink(&app, "tea").await["stock"], 5);
    assert_eq!(menu_drink(&app, "water").await["stock"], 4);
    let cancel = cancel_order(&app, &v, id_of(&order)).await;
    assert_eq!(cancel.status(), StatusCode::OK);
    assert_eq!(menu_drink(&app, "water").await["stock"], 5);
    assert_eq!(menu_drink(&app, "tea").await["stock"], 5);
}

#[tokio::test]
async fn taking_the_last_portion_shows_sold_out_in_the_feed() {
    let app = spawn_app().await;
    patch_drink(&app, "water", json!({"stock": 1})).await;
    let cursor = feed_start(&app).await;
    place(&app, "Ana", "water").await;
    let (events, _) = feed_until(&app, &cursor, 2).await;
    let drink = events
        .iter()
        .find(|e| e["kind"] == "drink")
        .expect("a drink event");
    assert_eq!(
        drink["drink"],
        json!({"id": "water", "available": true, "stock": 0, "sold_out": true})
    );
    assert_eq!(menu_drink(&app, "water").await["sold_out"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn fifty_concurrent_orders_for_the_last_ten_give_exactly_ten_orders_and_stock_zero() {
    let app = spawn_app().await;
    let set = patch_drink(&app, "water", json!({"stock": 10})).await;
    assert_eq!(set.status(), StatusCode::OK);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let http = app.http.clone();
        let url = app.url("/api/orders");
        tasks.spawn(async move {
            let body = json!({"visitor_id": visitor(), "nickname": format!("Guest {i}"),
                              "drink": "water", "request_id": new_request_id()});
            let response = http.post(url).json(&body).send().await.expect("POST");
            let status = response.status();
            let problem_type = if status == StatusCode::CONFLICT {
                json(response).await["type"].as_str().map(str::to_string)
            } else {
                None
            };
            (status, problem_type)
        });
    }
    let mut created = 0;
    let mut sold_out = 0;
    while let Some(result) = tasks.join_next().await {
        let (status, problem_type) = result.expect("task");
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {
                assert_eq!(problem_type.as_deref(), Some("/problems/sold-out"));
                sold_out += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((created, sold_out), (10, 40));
    assert_eq!(menu_drink(&app, "water").await["stock"], 0);
    assert_eq!(app.count("orders").await, 10);
}

#[tokio::test]
async fn stats_count_orders_per_drink_and_status_and_measure_wait_times() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for (name, drink, status) in [
        ("A", "tea", "ready"),
        ("B", "tea", "served"),
        ("C", "tea", "served"),
        ("D", "water", "cancelled"),
        ("E", "water", "placed"),
        ("F", "espresso", "preparing"),
    ] {
        let (order, _) = place(&app, name, drink).await;
        ids.push(id_of(&order));
        move_to(&app, order, status).await;
    }
    // Fixed times for exact figures: placed in two minutes three minutes apart; ready
    // after 60, 120 and 180 s; served 30 s and 90 s after ready.
    app.arrange_sql(&format!(
        "UPDATE orders SET placed_at = timestamptz '2026-11-21 18:00:10+00'
                 WHERE id IN ({a}, {b}, {c});
             UPDATE orders SET placed_at = timestamptz '2026-11-21 18:03:59+00'
                 WHERE id IN ({d}, {e}, {f});
             UPDATE orders SET ready_at = placed_at + interval '60 s' WHERE id = {a};
             UPDATE orders SET ready_at = placed_at + interval '120 s',
                               served_at = placed_at + interval '150 s' WHERE id = {b};
             UPDATE orders SET ready_at = placed_at + interval '180 s',
                               served_at = placed_at + interval '270 s' WHERE id = {c};",
        a = ids[0],
        b = ids[1],
        c = ids[2],
        d = ids[3],
        e = ids[4],
        f = ids[5]
    ))
    .await;
    let before = db_now_ms(&app).await;
    let response = app.bar_get("/api/stats").await;
    assert_eq!(response.status(), StatusCode::OK);
    let stats = json(response).await;
    assert!(stats["generated_at"].as_i64() >= Some(before));
    assert_eq!(
        stats["per_status"],
        json!({"placed": 1, "preparing": 1, "ready": 1, "served": 2, "cancelled": 1})
    );
    let per_drink = stats["per_drink"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = per_drink
        .iter()
        .filter_map(|d| d["drink"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "espresso",
            "cappuccino",
            "tea",
            "water",
            "fruit-juice",
            "beer",
            "wine"
        ]
    );
    assert_eq!(
        per_drink[2],
        json!({"drink": "tea", "total": 3, "placed": 0, "preparing": 0, "ready": 1,
               "served": 2, "cancelled": 0})
    );
    assert_eq!(per_drink[1]["total"], 0);
    let minute = 1_795_284_000_000_i64; // 2026-11-21T18:00:00Z
    assert_eq!(
        stats["per_minute"],
        json!([
            {"minute": minute, "orders": 3},
            {"minute": minute + 60_000, "orders": 0},
            {"minute": minute + 120_000, "orders": 0},
            {"minute": minute + 180_000, "orders": 3}
        ])
    );
    assert_eq!(
        stats["wait"],
        json!({
            "placed_to_ready": {"count": 3, "median_ms": 120_000, "p90_ms": 168_000},
            "ready_to_served": {"count": 2, "median_ms": 60_000, "p90_ms": 84_000}
        })
    );
}

#[tokio::test]
async fn stats_of_an_empty_event_have_zeros_and_null_waits() {
    let app = spawn_app().await;
    let stats = json(app.bar_get("/api/stats").await).await;
    assert_eq!(
        stats["per_status"],
        json!({"placed": 0, "preparing": 0, "ready": 0, "served": 0, "cancelled": 0})
    );
    assert_eq!(stats["per_minute"], json!([]));
    assert_eq!(stats["per_drink"].as_array().map(Vec::len), Some(7));
    assert_eq!(
        stats["wait"]["placed_to_ready"],
        json!({"count": 0, "median_ms": null, "p90_ms": null})
    );
    let odd = app.bar_get("/api/stats?since=1").await;
    assert_eq!(odd.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn csv_export_has_every_order_quoted_per_rfc_4180_with_formulas_defused() {
    let app = spawn_app().await;
    let nicknames = [
        "=1+2",
        "+49 170",
        "-minus",
        "@SUM(A1)",
        "Ana, \"the\" bar",
        "Zoë 🍹",
    ];
    for name in nicknames {
        place(&app, name, "tea").await;
    }
    let (served, _) = place(&app, "Served", "water").await;
    move_to(&app, served, "served").await;
    // Leading TAB and CR cannot come through the API (control characters), but a cell
    // must be safe whatever the table holds.
    app.arrange_sql(
        "INSERT INTO orders (visitor_id, nickname, drink_id)
         VALUES (gen_random_uuid(), E'\\tTab', 'tea'), (gen_random_uuid(), E'\\rCR', 'tea')",
    )
    .await;
    let response = app.bar_get("/api/queue?format=csv").await;
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| {
        response.headers()[name]
            .to_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        header("content-disposition"),
        "attachment; filename=\"orders.csv\""
    );
    assert_eq!(header("cache-control"), "no-store");
    let body = response.text().await.expect("CSV body");
    assert!(body.ends_with("\r\n"));
    let lines: Vec<&str> = body.trim_end_matches("\r\n").split("\r\n").collect();
    assert_eq!(
        lines[0],
        "id,number,nickname,drink,status,version,created_at,updated_at,placed_at,\
         preparing_at,ready_at,served_at,cancelled_at"
    );
    // The CR nickname is quoted, so its record spans a line break inside quotes.
    assert_eq!(lines.len(), 1 + 9, "{body}");
    let nickname_cells: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(2).unwrap_or_default())
        .collect();
    assert_eq!(
        &nickname_cells[..4],
        ["'=1+2", "'+49 170", "'-minus", "'@SUM(A1)"]
    );
    assert!(
        lines[5].contains(",\"Ana, \"\"the\"\" bar\",tea,placed,1,"),
        "{}",
        lines[5]
    );
    assert!(lines[6].contains(",Zoë 🍹,tea,"));
    assert!(lines[8].contains(",'\tTab,tea,"), "{:?}", lines[8]);
    assert!(lines[9].contains(",\"'\rCR\",tea,"), "{:?}", lines[9]);
    // ISO 8601 UTC times; empty cells for statuses never reached.
    let served_cells: Vec<&str> = lines[7].split(',').collect();
    assert_eq!(served_cells[4], "served");
    for cell in &served_cells[6..12] {
        assert_eq!(cell.len(), "2026-11-21T18:00:10.123Z".len(), "{cell}");
        assert!(cell.ends_with('Z') && cell.as_bytes()[10] == b'T', "{cell}");
    }
    assert_eq!(served_cells[12], "");
    let open_cells: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(&open_cells[9..], ["", "", "", ""]);

    let mixed = app.bar_get("/api/queue?format=csv&status=ready").await;
    assert_eq!(mixed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json(mixed).await["field"], "status");
    let xml = app.bar_get("/api/queue?format=xml").await;
    assert_eq!(xml.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn purge_deletes_closed_orders_and_their_events_but_never_open_ones() {
    let app = spawn_app().await;
    let mut keep = Vec::new();
    let (served, _) = place(&app, "Served", "tea").await;
    let served = move_to(&app, served, "served").await;
    let (cancelled, _) = place(&app, "Cancelled", "tea").await;
    let cancelled = move_to(&app, cancelled, "cancelled").await;
    for status in ["placed", "preparing", "ready"] {
        let (order, _) = place(&app, status, "tea").await;
        keep.push(id_of(&move_to(&app, order, status).await));
    }
    // Open orders that have not changed for a long time are still never purged.
    app.arrange_sql(
        "UPDATE orders SET updated_at = now() - interval '1 day'
         WHERE status IN ('placed', 'preparing', 'ready')",
    )
    .await;
    let before = db_now_ms(&app).await + 1;
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    let (late, _) = place(&app, "Late", "tea").await;
    let late = move_to(&app, late, "served").await;
    keep.push(id_of(&late));
    patch_drink(&app, "beer", json!({"available": true})).await;

    let response = app
        .bar(Method::DELETE, &format!("/api/orders?before={before}"))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json(response).await, json!({"purged": 2}));

    let client = app.db.client().await;
    let left: Vec<i64> = client
        .query("SELECT id FROM orders ORDER BY id", &[])
        .await
        .expect("orders")
        .iter()
        .map(|r| r.get(0))
        .collect();
    keep.sort_unstable();
    assert_eq!(left, keep);
    for gone in [id_of(&served), id_of(&cancelled)] {
        let events: i64 = client
            .query_one(
                "SELECT count(*) FROM order_events WHERE order_id = $1",
                &[&gone],
            )
            .await
            .expect("count")
            .get(0);
        assert_eq!(events, 0, "events of order {gone}");
    }
    let kept_events: i64 = client
        .query_one(
            "SELECT count(*) FROM order_events WHERE order_id = ANY($1)",
            &[&keep],
        )
        .await
        .expect("count")
        .get(0);
    // placed 1 + preparing 2 + ready 3 + late served 4 events.
    assert_eq!(kept_events, 10);
    let drink_events: i64 = client
        .query_one(
            "SELECT count(*) FROM order_events WHERE kind = 'drink'",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(drink_events, 1);

    // Purging again finds nothing; the queue, the CSV, the feed and the stats still work.
    let again = app
        .bar(Method::DELETE, &format!("/api/orders?before={before}"))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(json(again).await, json!({"purged": 0}));
    let stats = json(app.bar_get("/api/stats").await).await;
    assert_eq!(
        stats["per_status"],
        json!({"placed": 1, "preparing": 1, "ready": 1, "served": 1, "cancelled": 0})
    );
    assert_eq!(stats["wait"]["ready_to_served"]["count"], 1);
    let csv = app
        .bar_get("/api/queue?format=csv")
        .await
        .text()
        .await
        .expect("CSV");
    assert_eq!(csv.matches("\r\n").count(), 1 + 4);
    let tail = app.get("/api/feed?tail=50").await;
    assert_eq!(tail.status(), StatusCode::OK);
}

#[tokio::test]
async fn purge_needs_a_valid_before() {
    let app = spawn_app().await;
    for query in [
        "",
        "?before=",
        "?before=yesterday",
        "?before=-1",
        "?after=1",
    ] {
        let response = app
            .bar(Method::DELETE, &format!("/api/orders{query}"))
            .send()
            .await
            .expect("DELETE");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        assert!(is_problem(&response));
        assert!(json(response).await["field"].as_str().is_some(), "{query}");
    }
}

#[tokio::test]
async fn wrong_methods_on_bar_routes_are_405_with_allow() {
    let app = spawn_app().await;
    let cases = [
        (Method::PUT, "/api/orders", "POST, DELETE, PATCH"),
        (Method::GET, "/api/orders", "POST, DELETE, PATCH"),
        (Method::GET, "/api/orders/1", "DELETE, PATCH"),
        (Method::POST, "/api/orders/1", "DELETE, PATCH"),
        (Method::GET, "/api/drinks/tea", "PATCH"),
        (Method::DELETE, "/api/drinks/tea", "PATCH"),
        (Method::PATCH, "/api/drinks", "POST"),
        (Method::POST, "/api/stats", "GET"),
        (Method::PATCH, "/api/queue", "GET"),
    ];
    for (method, path, allow) in cases {
        let response = app.bar(method.clone(), path).send().await.expect("request");
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(response.headers()["allow"], allow, "{method} {path}");
        assert!(is_problem(&response));
    }
    for path in ["/api/drinks/", "/api/drinks/Tea", "/api/drinks/tea/x"] {
        let response = app.bar(Method::PATCH, path).send().await.expect("PATCH");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn a_batch_moves_each_order_at_its_version_and_reports_every_refusal_with_its_reason() {
    let app = spawn_app().await;
    let (a, _) = place(&app, "Ana", "espresso").await;
    let (b, _) = place(&app, "Ben", "espresso").await;
    let (c, _) = place(&app, "Cleo", "espresso").await;
    let (d, _) = place(&app, "Dan", "tea").await;
    // Another tablet started Cleo's espresso after this tablet saw it.
    move_to(&app, c.clone(), "preparing").await;
    let cursor = feed_start(&app).await;
    let response = patch_batch(
        &app,
        json!([
            {"id": id_of(&b), "status": "preparing", "version": 1},
            {"id": id_of(&a), "status": "preparing", "version": 1},
            {"id": id_of(&c), "status": "preparing", "version": 1},
            {"id": id_of(&d), "status": "served", "version": 1},
            {"id": 999_999, "status": "preparing", "version": 1},
        ]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let outcome = json(response).await;
    let moved: Vec<(i64, &str, i64)> = outcome["moved"]
        .as_array()
        .expect("moved")
        .iter()
        .map(|o| {
            (
                id_of(o),
                o["status"].as_str().unwrap_or_default(),
                version_of(o),
            )
        })
        .collect();
    assert_eq!(
        moved,
        [(id_of(&a), "preparing", 2), (id_of(&b), "preparing", 2)],
        "the two current ones moved, in id order"
    );
    let conflicts = outcome["conflicts"].as_array().expect("conflicts");
    assert_eq!(conflicts.len(), 3, "{outcome}");
    assert_eq!(conflicts[0]["id"], id_of(&c));
    assert_eq!(conflicts[0]["type"], "/problems/version-conflict");
    assert_eq!(conflicts[0]["order"]["status"], "preparing");
    assert_eq!(conflicts[0]["order"]["version"], 2);
    assert_eq!(conflicts[1]["id"], id_of(&d));
    assert_eq!(conflicts[1]["type"], "/problems/illegal-transition");
    assert!(
        conflicts[1]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("placed")),
        "the reason names the current status: {}",
        conflicts[1]
    );
    assert_eq!(conflicts[1]["order"]["status"], "placed");
    assert_eq!(conflicts[2]["id"], 999_999);
    assert_eq!(conflicts[2]["type"], "/problems/order-not-found");
    assert_eq!(conflicts[2]["order"], Value::Null);
    // Nothing refused was written; each move wrote its own event.
    assert_eq!(order_row(&app, id_of(&c)).await, ("preparing".into(), 2));
    assert_eq!(order_row(&app, id_of(&d)).await, ("placed".into(), 1));
    let (events, _) = feed_until(&app, &cursor, 2).await;
    let moved_ids: Vec<i64> = events
        .iter()
        .map(|e| {
            assert_eq!(e["kind"], "status");
            id_of(&e["order"])
        })
        .collect();
    assert_eq!(moved_ids, [id_of(&a), id_of(&b)]);
    assert_eq!(app.count("order_events").await, 4 + 1 + 2);
}

#[tokio::test]
async fn a_batch_cancel_gives_every_portion_back() {
    let app = spawn_app().await;
    assert_eq!(
        patch_drink(&app, "tea", json!({"stock": 2})).await.status(),
        200
    );
    let (a, _) = place(&app, "Ana", "tea").await;
    let (b, _) = place(&app, "Ben", "tea").await;
    assert_eq!(menu_drink(&app, "tea").await["stock"], 0);
    let response = patch_batch(
        &app,
        json!([
            {"id": id_of(&a), "status": "cancelled", "version": 1},
            {"id": id_of(&b), "status": "cancelled", "version": 1},
        ]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let outcome = json(response).await;
    assert_eq!(outcome["moved"].as_array().map(Vec::len), Some(2));
    assert_eq!(outcome["conflicts"], json!([]));
    assert_eq!(menu_drink(&app, "tea").await["stock"], 2);
}

#[tokio::test]
async fn bad_batches_are_problems_that_name_the_field_and_change_nothing() {
    let app = spawn_app().await;
    let (order, _) = place(&app, "Ana", "tea").await;
    let id = id_of(&order);
    let cases = [
        (json!({}), 422, Some("changes")),
        (json!({"changes": []}), 422, Some("changes")),
        (
            json!({"changes": [{"id": id, "status": "preparing"}]}),
            422,
            Some("changes[0].version"),
        ),
        (
            json!({"changes": [{"id": "1", "status": "preparing", "version": 1}]}),
            422,
            Some("changes[0].id"),
        ),
        (
            json!({"changes": [{"id": -1, "status": "preparing", "version": 1}]}),
            422,
            Some("changes[0].id"),
        ),
        (
            json!({"changes": [{"id": id, "status": "done", "version": 1}]}),
            422,
            Some("changes[0].status"),
        ),
        (
            json!({"changes": [
                {"id": id, "status": "preparing", "version": 1},
                {"id": id, "status": "cancelled", "version": 1}
            ]}),
            422,
            Some("changes[1].id"),
        ),
        (
            json!([{"id": id, "status": "preparing", "version": 1}]),
            400,
            None,
        ),
    ];
    for (body, status, field) in cases {
        let response = app
            .bar(Method::PATCH, "/api/orders")
            .json(&body)
            .send()
            .await
            .expect("PATCH");
        assert_eq!(response.status().as_u16(), status, "{body}");
        assert!(is_problem(&response));
        assert_eq!(json(response).await["field"].as_str(), field, "{body}");
    }
    let too_many: Vec<Value> = (1..=101)
        .map(|id| json!({"id": id, "status": "preparing", "version": 1}))
        .collect();
    let response = patch_batch(&app, json!(too_many)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(response).await["field"], "changes");
    let plain = app
        .bar(Method::PATCH, "/api/orders")
        .header("content-type", "text/plain")
        .body(r#"{"changes":[]}"#)
        .send()
        .await
        .expect("PATCH");
    assert_eq!(plain.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(order_row(&app, id).await, ("placed".into(), 1));
    assert_eq!(app.count("order_events").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_tablets_batching_the_same_orders_at_once_move_each_order_once_and_never_deadlock() {
    let app = spawn_app().await;
    let mut orders = Vec::new();
    for n in 0..6 {
        orders.push(place(&app, &format!("Race {n}"), "espresso").await.0);
    }
    let change = |status: &str| -> Vec<Value> {
        orders
            .iter()
            .map(|o| json!({"id": id_of(o), "status": status, "version": 1}))
            .collect()
    };
    // The second tablet lists them the other way round: rows are still locked in id order.
    let mut reversed = change("cancelled");
    reversed.reverse();
    let (first, second) = tokio::join!(
        patch_batch(&app, json!(change("preparing"))),
        patch_batch(&app, json!(reversed))
    );
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(second.status(), StatusCode::OK);
    let (first, second) = (json(first).await, json(second).await);
    let count = |v: &Value, key: &str| v[key].as_array().map_or(0, Vec::len);
    assert_eq!(count(&first, "moved") + count(&second, "moved"), 6);
    assert_eq!(count(&first, "conflicts") + count(&second, "conflicts"), 6);
    for conflict in [&first, &second]
        .iter()
        .flat_map(|v| v["conflicts"].as_array().cloned().unwrap_or_default())
    {
        assert_eq!(conflict["type"], "/problems/version-conflict", "{conflict}");
    }
    for o in &orders {
        let (status, version) = order_row(&app, id_of(o)).await;
        assert_eq!(version, 2, "order {} moved exactly once", id_of(o));
        assert!(status == "preparing" || status == "cancelled");
    }
}

async fn undo(app: &TestApp, id: i64, version: i64) -> reqwest::Response {
    app.bar(Method::POST, &format!("/api/orders/{id}/undo"))
        .json(&json!({ "version": version }))
        .send()
        .await
        .expect("POST undo")
}

#[tokio::test]
async fn the_bar_takes_back_a_mistaken_served_and_ready_and_the_feed_says_undone() {
    let app = spawn_app().await;
    let (order, _) = place(&app, "Ana", "tea").await;
    let id = id_of(&order);
    let served = move_to(&app, order, "served").await;
    let cursor = feed_start(&app).await;
    let response = undo(&app, id, version_of(&served)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let ready = json(response).await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["version"], 5);
    assert_eq!(ready["served_at"], Value::Null);
    assert!(ready["ready_at"].as_i64().is_some(), "ready keeps its time");
    let (events, _) = feed_until(&app, &cursor, 1).await;
    assert_eq!(events[0]["kind"], "undone");
    assert_eq!(events[0]["order"]["status"], "ready");
    assert_eq!(events[0]["order"]["version"], 5);
    // Only the last change, once: ready does not go back again to preparing.
    let again = undo(&app, id, 5).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let problem = json(again).await;
    assert_eq!(problem["type"], "/problems/undo-refused");
    assert_eq!(problem["order"]["status"], "ready");
    // Ready again → served is a normal move, then it can be taken back once more.
    let served = json(patch_status(&app, id, "served", version_of(&ready)).await).await;
    assert_eq!(served["status"], "served");
    assert_eq!(
        json(undo(&app, id, version_of(&served)).await).await["status"],
        "ready"
    );
    // ready → preparing for a freshly readied order.
    let (other, _) = place(&app, "Ben", "tea").await;
    let other_ready = move_to(&app, other, "ready").await;
    let back = json(undo(&app, id_of(&other_ready), version_of(&other_ready)).await).await;
    assert_eq!(
        (back["status"].as_str(), back["ready_at"].is_null()),
        (Some("preparing"), true)
    );
}

#[tokio::test]
async fn a_cancel_by_the_bar_is_taken_back_only_while_a_portion_can_be_taken_again() {
    let app = spawn_app().await;
    assert_eq!(
        patch_drink(&app, "tea", json!({"stock": 1})).await.status(),
        200
    );
    let (order, _) = place(&app, "Ana", "tea").await;
    let id = id_of(&order);
    let preparing = move_to(&app, order, "preparing").await;
    let cancelled = json(patch_status(&app, id, "cancelled", version_of(&preparing)).await).await;
    assert_eq!(
        menu_drink(&app, "tea").await["stock"],
        1,
        "the portion came back"
    );
    // Someone else takes the last portion: the cancel cannot be taken back.
    let (_, _) = place(&app, "Ben", "tea").await;
    let refused = undo(&app, id, version_of(&cancelled)).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let problem = json(refused).await;
    assert_eq!(problem["type"], "/problems/undo-refused");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("sold out"))
    );
    assert_eq!(order_row(&app, id).await, ("cancelled".into(), 3));
    // With a portion again, it goes back to where it was and takes the portion.
    assert_eq!(
        patch_drink(&app, "tea", json!({"stock": 1})).await.status(),
        200
    );
    let back = undo(&app, id, version_of(&cancelled)).await;
    assert_eq!(back.status(), StatusCode::OK);
    let back = json(back).await;
    assert_eq!(
        (back["status"].as_str(), back["cancelled_at"].is_null()),
        (Some("preparing"), true)
    );
    assert_eq!(menu_drink(&app, "tea").await["stock"], 0);
}

#[tokio::test]
async fn what_cannot_be_undone_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    // A visitor's own cancel is theirs.
    let (order, visitor) = place(&app, "Ana", "tea").await;
    let id = id_of(&order);
    assert_eq!(cancel_order(&app, &visitor, id).await.status(), 200);
    let refused = json(undo(&app, id, 2).await).await;
    assert_eq!(refused["type"], "/problems/undo-refused");
    // A placed or preparing order has nothing to take back.
    let (fresh, _) = place(&app, "Ben", "tea").await;
    assert_eq!(
        undo(&app, id_of(&fresh), 1).await.status(),
        StatusCode::CONFLICT
    );
    let preparing = move_to(&app, fresh, "preparing").await;
    assert_eq!(
        undo(&app, id_of(&preparing), version_of(&preparing))
            .await
            .status(),
        StatusCode::CONFLICT
    );
    // A stale version is a version conflict; an unknown order is 404.
    let ready =
        json(patch_status(&app, id_of(&preparing), "ready", version_of(&preparing)).await).await;
    assert_eq!(ready["status"], "ready");
    let stale = undo(&app, id_of(&ready), version_of(&ready) - 1).await;
    assert_eq!(json(stale).await["type"], "/problems/version-conflict");
    assert_eq!(
        json(undo(&app, 999_999, 1).await).await["type"],
        "/problems/order-not-found"
    );
    // Served, and the visitor ordered again: the old order is not reopened.
    let (mine, carla) = place(&app, "Carla", "water").await;
    let served = move_to(&app, mine, "served").await;
    assert_eq!(
        place_as(&app, &carla, "Carla", "tea").await.status(),
        StatusCode::CREATED
    );
    let again = json(undo(&app, id_of(&served), version_of(&served)).await).await;
    assert_eq!(again["type"], "/problems/undo-refused");
    assert!(
        again["detail"]
            .as_str()
            .is_some_and(|d| d.contains("ordered again"))
    );
    // Too late: a minute after the change.
    app.db
        .client()
        .await
        .execute(
            "UPDATE orders SET updated_at = updated_at - interval '61 seconds' WHERE id = $1",
            &[&id_of(&ready)],
        )
        .await
        .expect("age the change");
    let late = json(undo(&app, id_of(&ready), version_of(&ready)).await).await;
    assert!(
        late["detail"]
            .as_str()
            .is_some_and(|d| d.contains("60 seconds")),
        "{late}"
    );
    // Bad bodies name the field.
    for (body, status, field) in [
        (json!({}), 422, Some("version")),
        (json!({"version": 0}), 422, Some("version")),
        (json!([1]), 400, None),
    ] {
        let response = app
            .bar(Method::POST, &format!("/api/orders/{}/undo", id_of(&ready)))
            .json(&body)
            .send()
            .await
            .expect("POST undo");
        assert_eq!(response.status().as_u16(), status, "{body}");
        assert_eq!(json(response).await["field"].as_str(), field, "{body}");
    }
    assert_eq!(order_row(&app, id_of(&ready)).await, ("ready".into(), 3));
    assert_eq!(order_row(&app, id_of(&served)).await, ("served".into(), 4));
}
