//! The feed under concurrent writers, the privacy of visitor ids, and database outages.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use e2e::api::{
    cancel_order, feed_start, get_mine, id_of, new_request_id, new_visitor, order_body,
    place_order, version_of,
};
use e2e::{app_builder, json, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// One acknowledged write: (order id, version the order has after it).
type Write = (i64, i64);

async fn writer(app: Arc<e2e::TestApp>, orders: usize, seed: u64) -> Vec<Write> {
    let drinks = ["espresso", "cappuccino", "tea", "water", "fruit-juice"];
    let mut acknowledged = Vec::new();
    let mut state = seed;
    let mut next = || {
        // xorshift: reproducible mix of changes and cancels per writer.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for i in 0..orders {
        let visitor = new_visitor();
        let response = place_order(&app, &visitor, &format!("w{seed}-{i}"), drinks[i % 5]).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let order = json(response).await;
        let id = id_of(&order);
        acknowledged.push((id, version_of(&order)));
        match next() % 4 {
            0 => {
                let changed = place_order(&app, &visitor, "changed", drinks[(i + 1) % 5]).await;
                assert_eq!(changed.status(), StatusCode::OK);
                let changed = json(changed).await;
                acknowledged.push((id, version_of(&changed)));
            }
            1 => {
                let cancelled = cancel_order(&app, &visitor, id).await;
                assert_eq!(cancelled.status(), StatusCode::OK);
                let cancelled = json(cancelled).await;
                acknowledged.push((id, version_of(&cancelled)));
            }
            _ => {}
        }
    }
    acknowledged
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_writers_and_a_poller_see_every_event_exactly_once_in_cursor_order() {
    let app = Arc::new(spawn_app().await);
    let start = feed_start(&app).await;
    let done = Arc::new(AtomicBool::new(false));

    // The poller follows the feed like a bar tablet: cursor in, events + next out.
    let poller = {
        let app = app.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let mut cursor = start;
            let mut seen: Vec<Write> = Vec::new();
            let mut quiet_rounds_after_done = 0;
            loop {
                let page = json(
                    app.get(&format!("/api/feed?after={cursor}&limit=500"))
                        .await,
                )
                .await;
                let events = page["events"].as_array().cloned().unwrap_or_default();
                for e in &events {
                    seen.push((
                        e["order"]["id"].as_i64().expect("order id"),
                        e["order"]["version"].as_i64().expect("version"),
                    ));
                }
                cursor = page["next"].as_str().expect("next").to_string();
                if done.load(Ordering::SeqCst) {
                    quiet_rounds_after_done = if events.is_empty() {
                        quiet_rounds_after_done + 1
                    } else {
                        0
                    };
                    if quiet_rounds_after_done >= 20 {
                        return seen;
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };

    let writers: Vec<_> = (0..8u64)
        .map(|w| tokio::spawn(writer(app.clone(), 250, w * 7919 + 1)))
        .collect();
    let mut acknowledged = Vec::new();
    for w in writers {
        acknowledged.extend(w.await.expect("writer"));
    }
    done.store(true, Ordering::SeqCst);
    let seen = poller.await.expect("poller");

    let placed = acknowledged.iter().filter(|(_, v)| *v == 1).count();
    assert_eq!(placed, 2000, "2,000 orders were placed");
    // Exactly once: no duplicates, nothing missing.
    let unique: HashSet<Write> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "an event was delivered twice");
    let expected: HashSet<Write> = acknowledged.iter().copied().collect();
    assert_eq!(
        unique, expected,
        "delivered events differ from acknowledged writes"
    );
    // In cursor order: the database's (tx, seq) order of the same events.
    let rows = app
        .db
        .client()
        .await
        .query(
            "SELECT order_id, version::int8 FROM order_events WHERE order_id IS NOT NULL ORDER BY tx, seq",
            &[],
        )
        .await
        .expect("events");
    let in_cursor_order: Vec<Write> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(seen, in_cursor_order);
    // And per order, versions only ever go up.
    let mut last: HashMap<i64, i64> = HashMap::new();
    for (id, version) in &seen {
        let previous = last.insert(*id, *version).unwrap_or(0);
        assert!(
            *version > previous,
            "order {id}: version {version} after {previous}"
        );
    }
}

#[tokio::test]
async fn concurrent_retries_of_one_request_create_one_order() {
    let app = Arc::new(spawn_app().await);
    let visitor = new_visitor();
    let request = new_request_id();
    let body = order_body(&visitor, "Ana", "tea", &request);
    let tries: Vec<_> = (0..16)
        .map(|_| {
            let app = app.clone();
            let body = body.clone();
            tokio::spawn(async move { app.post_json("/api/orders", &body).await.status() })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tries {
        statuses.push(t.await.expect("join"));
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::OK)
    );
    assert_eq!(app.count("orders").await, 1);
    assert_eq!(app.count("order_events").await, 1);
}

#[tokio::test]
async fn a_visitor_id_never_appears_in_any_response_but_its_own_requests() {
    let app = spawn_app().await;
    let ana = new_visitor();
    let ben = new_visitor();
    let placed = json(place_order(&app, &ana, "Ana", "tea").await).await;
    json(place_order(&app, &ben, "Ben", "water").await).await;
    let id = id_of(&placed);
    let mut bodies = vec![placed.to_string()];
    // Everything a stranger, the bar or the visitor can read.
    for path in ["/api/menu", "/api/feed", "/api/feed?tail=10", "/api/health"] {
        bodies.push(app.get(path).await.text().await.expect("body"));
    }
    let start = feed_start(&app).await;
    let changed = place_order(&app, &ana, "Ana", "espresso").await;
    bodies.push(changed.text().await.expect("body"));
    let (events, _) = e2e::api::feed_until(&app, &start, 1).await;
    bodies.push(Value::Array(events).to_string());
    bodies.push(
        app.bar_get("/api/queue?include=closed")
            .await
            .text()
            .await
            .expect("body"),
    );
    bodies.push(get_mine(&app, &ana).await.text().await.expect("body"));
    // Problems that carry an order must not leak it either.
    app.db
        .client()
        .await
        .execute(
            "UPDATE orders SET status = 'preparing', preparing_at = now() WHERE id = $1",
            &[&id],
        )
        .await
        .expect("arrange");
    bodies.push(
        place_order(&app, &ana, "Ana", "tea")
            .await
            .text()
            .await
            .expect("body"),
    );
    bodies.push(
        cancel_order(&app, &ana, id)
            .await
            .text()
            .await
            .expect("body"),
    );
    for body in &bodies {
        for visitor in [&ana, &ben] {
            assert!(
                !body.contains(visitor.as_str()),
                "visitor id leaked in {body}"
            );
            assert!(
                !body.contains(&visitor.replace('-', "")),
                "visitor id leaked in {body}"
            );
        }
    }
}

#[tokio::test]
async fn when_the_database_is_unreachable_the_api_answers_503_with_retry_after() {
    let app = app_builder().unreachable_database().spawn().await;
    let visitor = new_visitor();
    let responses = vec![
        place_order(&app, &visitor, "Ana", "tea").await,
        app.get("/api/menu").await,
        app.get("/api/feed").await,
        app.get("/api/health").await,
        get_mine(&app, &visitor).await,
    ];
    for response in responses {
        assert_eq!(
            response.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            response.url()
        );
        assert!(
            response.headers().contains_key("retry-after"),
            "{}",
            response.url()
        );
        let body = json(response).await;
        assert_eq!(body["status"], 503);
        assert!(
            body["type"]
                .as_str()
                .is_some_and(|t| t.contains("database-unavailable")),
            "{body}"
        );
    }
    // The static pages are still served: the phone shows its pending order and retries.
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_problem_for_a_bad_body_names_the_field_and_writes_nothing() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"visitor_id": "nope", "nickname": "A", "drink": "tea", "request_id": uuid::Uuid::new_v4()}),
            "visitor_id",
        ),
        (
            json!({"visitor_id": new_visitor(), "nickname": "", "drink": "tea", "request_id": uuid::Uuid::new_v4()}),
            "nickname",
        ),
        (
            json!({"visitor_id": new_visitor(), "nickname": "A".repeat(33), "drink": "tea", "request_id": uuid::Uuid::new_v4()}),
            "nickname",
        ),
        (
            json!({"visitor_id": new_visitor(), "nickname": "A", "drink": 5, "request_id": uuid::Uuid::new_v4()}),
            "drink",
        ),
        (
            json!({"visitor_id": new_visitor(), "nickname": "A", "drink": "tea"}),
            "request_id",
        ),
        (
            json!({"visitor_id": new_visitor(), "nickname": "A\u{0007}", "drink": "tea", "request_id": uuid::Uuid::new_v4()}),
            "nickname",
        ),
    ];
    for (body, field) in cases {
        let response = app.post_json("/api/orders", &body).await;
        assert!(response.status().is_client_error(), "{body}");
        assert_eq!(json(response).await["field"], field, "{body}");
    }
    assert_eq!(app.count("orders").await, 0);
    assert_eq!(app.count("order_events").await, 0);
}
