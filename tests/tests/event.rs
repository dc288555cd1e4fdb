//! The event's settings (issue 12): the bar sets the title, the welcome line and whether
//! ordering is open, paused or closed (`PATCH /api/event`); everyone reads them in
//! `GET /api/menu`; a change is a `settings` feed event; placements are refused while
//! ordering is not open, and new ones while the bar is busy.

use e2e::api::{
    cancel_order, feed_start, feed_until, id_of, is_problem, new_request_id, new_visitor,
    order_body, place_order,
};
use e2e::{TestApp, app_builder, json, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn patch_event(app: &TestApp, body: Value) -> reqwest::Response {
    app.bar(Method::PATCH, "/api/event")
        .json(&body)
        .send()
        .await
        .expect("PATCH /api/event")
}

async fn event_in_menu(app: &TestApp) -> Value {
    json(app.get("/api/menu").await).await["event"].clone()
}

async fn ok(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), StatusCode::OK);
    json(response).await
}

#[tokio::test]
async fn a_fresh_event_is_open_with_no_title_and_no_busy_limit() {
    let app = spawn_app().await;
    let event = event_in_menu(&app).await;
    assert_eq!(
        (
            &event["title"],
            &event["welcome"],
            &event["ordering"],
            &event["message"],
            &event["busy_limit"],
            &event["version"]
        ),
        (
            &json!({}),
            &json!({}),
            &json!("open"),
            &json!({}),
            &Value::Null,
            &json!(1)
        )
    );
    assert!(event["updated_at"].as_i64().is_some());
}

#[tokio::test]
async fn the_bar_sets_a_title_and_welcome_per_language_and_every_page_reads_them_after_the_settings_event()
 {
    let app = spawn_app().await;
    let cursor = feed_start(&app).await;
    let changed = ok(patch_event(
        &app,
        json!({"title": {"en": "Summer party", "de": " Sommerfest "},
               "welcome": {"en": "Welcome!", "fr": "Bienvenue !", "it": ""}}),
    )
    .await)
    .await;
    assert_eq!(
        changed["title"],
        json!({"en": "Summer party", "de": "Sommerfest"})
    );
    assert_eq!(
        changed["welcome"],
        json!({"en": "Welcome!", "fr": "Bienvenue !"})
    );
    assert_eq!(changed["version"], 2);
    assert_eq!(event_in_menu(&app).await, changed);

    let (events, _) = feed_until(&app, &cursor, 1).await;
    assert_eq!(events[0]["kind"], "settings");
    assert!(events[0].get("order").is_none() && events[0].get("drink").is_none());

    // Fields left out are kept; an empty object clears a text.
    let kept = ok(patch_event(&app, json!({"welcome": {}})).await).await;
    assert_eq!(kept["title"], changed["title"]);
    assert_eq!(kept["welcome"], json!({}));
}

#[tokio::test]
async fn while_ordering_is_paused_placing_and_changing_are_refused_with_the_message_and_nothing_changes()
 {
    let app = spawn_app().await;
    let visitor = new_visitor();
    let placed = place_order(&app, &visitor, "Ana", "tea").await;
    assert_eq!(placed.status(), StatusCode::CREATED);
    let order = json(placed).await;

    let paused = ok(patch_event(
        &app,
        json!({"ordering": "paused", "message": {"en": "Back in 10 minutes", "de": "Gleich zurück"}}),
    )
    .await)
    .await;
    assert_eq!(paused["ordering"], "paused");
    let orders_before = app.count("orders").await;
    let events_before = app.count("order_events").await;

    for (who, drink) in [(new_visitor(), "water"), (visitor.clone(), "water")] {
        let refused = place_order(&app, &who, "Ana", drink).await;
        assert_eq!(refused.status(), StatusCode::CONFLICT);
        assert!(is_problem(&refused));
        let problem = json(refused).await;
        assert_eq!(problem["type"], "/problems/ordering-paused");
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains("Back in 10 minutes")),
            "{problem}"
        );
        assert_eq!(problem["event"]["message"]["de"], "Gleich zurück");
    }
    assert_eq!(app.count("orders").await, orders_before);
    assert_eq!(app.count("order_events").await, events_before);
    let mine = json(e2e::api::get_mine(&app, &visitor).await).await;
    assert_eq!(mine["orders"][0]["drink"], "tea", "the order is unchanged");

    // The visitor can still cancel the order they have.
    let cancelled = cancel_order(&app, &visitor, id_of(&order)).await;
    assert_eq!(cancelled.status(), StatusCode::OK);

    // Closed is its own problem; reopening takes orders again.
    ok(patch_event(
        &app,
        json!({"ordering": "closed", "message": {"en": "Opens at 18:00"}}),
    )
    .await)
    .await;
    let closed = place_order(&app, &new_visitor(), "Bo", "tea").await;
    assert_eq!(json(closed).await["type"], "/problems/ordering-closed");
    ok(patch_event(&app, json!({"ordering": "open"})).await).await;
    let again = place_order(&app, &new_visitor(), "Bo", "tea").await;
    assert_eq!(again.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_request_placed_before_the_pause_is_answered_again_as_a_replay() {
    let app = spawn_app().await;
    let body = order_body(&new_visitor(), "Ana", "tea", &new_request_id());
    let first = app.post_json("/api/orders", &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    ok(patch_event(&app, json!({"ordering": "paused"})).await).await;
    let replay = app.post_json("/api/orders", &body).await;
    assert_eq!(replay.status(), StatusCode::OK);
    assert_eq!(app.count("orders").await, 1);
}

#[tokio::test]
async fn while_more_orders_wait_than_the_busy_limit_new_ones_are_refused_but_changes_are_taken() {
    let app = spawn_app().await;
    ok(patch_event(&app, json!({"busy_limit": 2})).await).await;
    let first = new_visitor();
    for (i, v) in [first.clone(), new_visitor(), new_visitor()]
        .iter()
        .enumerate()
    {
        let placed = place_order(&app, v, &format!("Guest {i}"), "tea").await;
        assert_eq!(
            placed.status(),
            StatusCode::CREATED,
            "order {i}: 3 > 2 only after it"
        );
    }
    let busy = place_order(&app, &new_visitor(), "Late", "tea").await;
    assert_eq!(busy.status(), StatusCode::CONFLICT);
    let problem = json(busy).await;
    assert_eq!(problem["type"], "/problems/bar-busy");
    assert_eq!(problem["event"]["busy_limit"], 2);
    assert_eq!(app.count("orders").await, 3);

    // A guest who already has an order may still change it.
    let changed = place_order(&app, &first, "Guest 0", "water").await;
    assert_eq!(changed.status(), StatusCode::OK);

    // Switching the limit off takes new orders again.
    let off = ok(patch_event(&app, json!({"busy_limit": null})).await).await;
    assert_eq!(off["busy_limit"], Value::Null);
    let placed = place_order(&app, &new_visitor(), "Late", "tea").await;
    assert_eq!(placed.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn bad_event_changes_are_refused_with_problems_and_change_nothing() {
    let app = spawn_app().await;
    let before = event_in_menu(&app).await;
    let long = "x".repeat(81);
    let cases = [
        (json!({}), 422, None),
        (json!({"title": {"de": "Nur Deutsch"}}), 422, Some("title")),
        (json!({"title": {"en": long}}), 422, Some("title.en")),
        (json!({"title": {"es": "Fiesta"}}), 422, Some("title")),
        (json!({"title": "Party"}), 422, Some("title")),
        (
            json!({"message": {"en": "a\u{7}b"}}),
            422,
            Some("message.en"),
        ),
        (json!({"ordering": "maybe"}), 422, Some("ordering")),
        (json!({"ordering": null}), 422, Some("ordering")),
        (json!({"busy_limit": 0}), 422, Some("busy_limit")),
        (json!({"busy_limit": 2.5}), 422, Some("busy_limit")),
    ];
    for (body, status, field) in cases {
        let response = patch_event(&app, body.clone()).await;
        assert_eq!(response.status().as_u16(), status, "{body}");
        assert!(is_problem(&response), "{body}");
        let problem = json(response).await;
        if let Some(field) = field {
            assert_eq!(problem["field"], field, "{body}: {problem}");
        }
    }
    let not_json = app
        .bar(Method::PATCH, "/api/event")
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .expect("PATCH");
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
    assert_eq!(event_in_menu(&app).await, before);
    assert_eq!(app.count("order_events").await, 0);
}

#[tokio::test]
async fn changing_the_event_needs_the_bar_token() {
    let app = spawn_app().await;
    let body = json!({"ordering": "closed"});
    let anonymous = app
        .http
        .patch(app.url("/api/event"))
        .json(&body)
        .send()
        .await
        .expect("PATCH");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(is_problem(&anonymous));
    let wrong = app
        .http
        .patch(app.url("/api/event"))
        .bearer_auth("not-the-token")
        .json(&body)
        .send()
        .await
        .expect("PATCH");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(event_in_menu(&app).await["ordering"], "open");

    let unconfigured = app_builder().without_bar_token().spawn().await;
    let refused = unconfigured
        .http
        .patch(unconfigured.url("/api/event"))
        .bearer_auth("anything")
        .json(&body)
        .send()
        .await
        .expect("PATCH");
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json(refused).await["field"], "bar_token");
}

#[tokio::test]
async fn other_methods_on_the_event_are_405_with_allow() {
    let app = spawn_app().await;
    let get = app.get("/api/event").await;
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        get.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("PATCH")
    );
}

async fn order_key(app: &TestApp) -> Option<String> {
    let answer = app.bar_get("/api/event/key").await;
    assert_eq!(answer.status(), StatusCode::OK);
    json(answer).await["order_key"].as_str().map(str::to_string)
}

async fn place_with_key(app: &TestApp, visitor: &str, key: Option<&str>) -> reqwest::Response {
    let mut body = order_body(visitor, "Kim", "tea", &new_request_id());
    if let Some(key) = key {
        body["key"] = json!(key);
    }
    app.post_json("/api/orders", &body).await
}

#[tokio::test]
async fn with_an_ordering_key_only_orders_that_bring_the_current_one_are_placed() {
    let app = spawn_app().await;
    assert_eq!(order_key(&app).await, None, "no key by default");
    let early = new_visitor();
    let early_order = json(place_order(&app, &early, "Early", "tea").await).await;

    let required = ok(patch_event(&app, json!({"order_key": "new"})).await).await;
    assert_eq!(required["key_required"], true);
    let key = order_key(&app).await.expect("a key");
    assert_eq!(key.len(), 16);
    let menu = app.get("/api/menu").await.text().await.expect("menu");
    assert!(!menu.contains(&key), "the public menu never shows the key");

    let events_before = app.count("order_events").await;
    for (key, why) in [(None, "no key"), (Some("0000000000000000"), "a wrong key")] {
        let refused = place_with_key(&app, &new_visitor(), key).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{why}");
        assert!(is_problem(&refused));
        let problem = json(refused).await;
        assert_eq!(problem["type"], "/problems/order-key-required");
        assert_eq!(problem["field"], "key");
    }
    assert_eq!(app.count("order_events").await, events_before);
    let placed = place_with_key(&app, &new_visitor(), Some(&key)).await;
    assert_eq!(placed.status(), StatusCode::CREATED);

    // Rotated: the old key stops working; a guest who ordered before can still follow and
    // cancel their order.
    ok(patch_event(&app, json!({"order_key": "new"})).await).await;
    let rotated = order_key(&app).await.expect("a new key");
    assert_ne!(rotated, key);
    let stale = place_with_key(&app, &new_visitor(), Some(&key)).await;
    assert_eq!(stale.status(), StatusCode::FORBIDDEN);
    let mine = json(e2e::api::get_mine(&app, &early).await).await;
    assert_eq!(mine["orders"][0]["id"], early_order["id"]);
    let cancelled = cancel_order(&app, &early, id_of(&early_order)).await;
    assert_eq!(cancelled.status(), StatusCode::OK);

    // Dropped: anyone with the link orders again.
    let dropped = ok(patch_event(&app, json!({"order_key": "none"})).await).await;
    assert_eq!(dropped["key_required"], false);
    assert_eq!(order_key(&app).await, None);
    let open = place_with_key(&app, &new_visitor(), None).await;
    assert_eq!(open.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn the_ordering_key_is_for_the_bar_only_and_a_malformed_one_is_a_422() {
    let app = spawn_app().await;
    let anonymous = app.get("/api/event/key").await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(is_problem(&anonymous));
    let malformed = place_with_key(&app, &new_visitor(), Some("not a key!")).await;
    assert_eq!(malformed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(malformed).await["field"], "key");
    let mut null_key = order_body(&new_visitor(), "Kim", "tea", &new_request_id());
    null_key["key"] = Value::Null;
    let null = app.post_json("/api/orders", &null_key).await;
    assert_eq!(
        null.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a key is absent, not null"
    );
    assert_eq!(json(null).await["field"], "key");
    let bad = patch_event(&app, json!({"order_key": "abc"})).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(bad).await["field"], "order_key");
    assert_eq!(app.count("orders").await, 0);
}
