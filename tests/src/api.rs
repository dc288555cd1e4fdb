//! Typed helpers for the Drink Orders API (shared by the e2e tests).

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{TestApp, json};

/// Polls `GET /api/feed?after=<cursor>` until at least `want` events arrived (following
/// `next`), or panics after 10 s. Events become visible a moment after their commit: the
/// feed waits until every older transaction of the cluster has finished (docs/API.md,
/// "Cursor semantics"), and parallel tests share the cluster. Returns the events and the
/// last cursor.
pub async fn feed_until(app: &TestApp, cursor: &str, want: usize) -> (Vec<Value>, String) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut cursor = cursor.to_string();
    let mut events = Vec::new();
    loop {
        let page = json(app.get(&format!("/api/feed?after={cursor}")).await).await;
        if let Some(batch) = page["events"].as_array() {
            events.extend(batch.iter().cloned());
        }
        if let Some(next) = page["next"].as_str() {
            cursor = next.to_string();
        }
        if events.len() >= want {
            return (events, cursor);
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {want} events arrived within 10 s: {events:?}",
            events.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The current feed position (`GET /api/feed`).
pub async fn feed_start(app: &TestApp) -> String {
    json(app.get("/api/feed").await).await["next"]
        .as_str()
        .expect("feed cursor")
        .to_string()
}

/// A new visitor id (the UUID a phone keeps in localStorage).
pub fn new_visitor() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A new request id (the idempotency key a page sends with each action).
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The `id` of an order (or panics: the answer was no order).
pub fn id_of(order: &Value) -> i64 {
    order["id"].as_i64().expect("order id")
}

/// The `version` of an order (or panics: the answer was no order).
pub fn version_of(order: &Value) -> i64 {
    order["version"].as_i64().expect("order version")
}

/// Whether the answer is a problem (`Content-Type: application/problem+json`).
pub fn is_problem(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"))
}

/// The body of `POST /api/orders`.
pub fn order_body(visitor: &str, nickname: &str, drink: &str, request_id: &str) -> Value {
    serde_json::json!({
        "visitor_id": visitor, "nickname": nickname, "drink": drink, "request_id": request_id
    })
}

/// `POST /api/orders` with a fresh request id.
pub async fn place_order(
    app: &TestApp,
    visitor: &str,
    nickname: &str,
    drink: &str,
) -> reqwest::Response {
    let request_id = new_request_id();
    app.post_json(
        "/api/orders",
        &order_body(visitor, nickname, drink, &request_id),
    )
    .await
}

/// `GET /api/mine` as the visitor.
pub async fn get_mine(app: &TestApp, visitor: &str) -> reqwest::Response {
    app.http
        .get(app.url("/api/mine"))
        .header("X-Visitor-Id", visitor)
        .send()
        .await
        .expect("GET /api/mine")
}

/// `DELETE /api/orders/{id}` as the visitor.
pub async fn cancel_order(app: &TestApp, visitor: &str, id: i64) -> reqwest::Response {
    app.http
        .delete(app.url(&format!("/api/orders/{id}")))
        .header("X-Visitor-Id", visitor)
        .send()
        .await
        .expect("DELETE request")
}

/// Moves `order` through `statuses` as the bar (`PATCH /api/orders/{id}` with the version it
/// has each time), asserting each move is 200; returns the order as it is then.
pub async fn move_through(app: &TestApp, order: &Value, statuses: &[&str]) -> Value {
    let mut current = order.clone();
    for status in statuses {
        let response = app
            .bar(
                reqwest::Method::PATCH,
                &format!("/api/orders/{}", id_of(order)),
            )
            .json(&serde_json::json!({"status": status, "version": current["version"]}))
            .send()
            .await
            .expect("PATCH");
        assert_eq!(response.status(), reqwest::StatusCode::OK, "to {status}");
        current = json(response).await;
    }
    current
}
