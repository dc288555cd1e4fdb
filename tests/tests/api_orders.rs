//! End-to-end tests of issue 3: orders, lists, feed and health, through the real components
//! on the development host against a fresh database.

use e2e::api::{
    cancel_order, get_mine, id_of, is_problem, new_request_id, new_visitor as visitor, order_body,
    place_order as place,
};
use e2e::{app_builder, json, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn placing_an_order_answers_201_with_the_order() {
    let app = spawn_app().await;
    let response = place(&app, &visitor(), "  Ana 🍹 ", "espresso").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let order = json(response).await;
    assert_eq!(order["nickname"], "Ana 🍹");
    assert_eq!(order["drink"], "espresso");
    assert_eq!(order["status"], "placed");
    assert_eq!(order["version"], 1);
    assert!(order["number"].as_i64().is_some());
    assert!(order["created_at"].as_i64().unwrap_or(0) > 1_700_000_000_000);
    assert!(order.get("visitor_id").is_none());
    assert_eq!(app.count("order_events").await, 1);
}

#[tokio::test]
async fn a_nickname_of_32_emoji_zwj_sequences_is_32_characters_and_is_accepted() {
    let app = spawn_app().await;
    // A family of four: 7 scalar values, one character to the eye.
    let family = "👨\u{200D}👩\u{200D}👧\u{200D}👦";
    let at_limit = family.repeat(32);
    let response = place(&app, &visitor(), &at_limit, "tea").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(json(response).await["nickname"], at_limit.as_str());
    let over = place(&app, &visitor(), &family.repeat(33), "tea").await;
    assert_eq!(over.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(is_problem(&over));
    assert_eq!(json(over).await["field"], "nickname");
    assert_eq!(app.count("orders").await, 1, "the refusal wrote nothing");
}

#[tokio::test]
async fn the_same_request_id_answers_the_same_order_and_writes_nothing() {
    let app = spawn_app().await;
    let body = order_body(&visitor(), "Ana", "tea", &new_request_id());
    let first = json(app.post_json("/api/orders", &body).await).await;
    let again = app.post_json("/api/orders", &body).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(json(again).await, first);
    assert_eq!(app.count("orders").await, 1);
    assert_eq!(app.count("order_events").await, 1);
}

#[tokio::test]
async fn placing_again_while_placed_changes_the_order() {
    let app = spawn_app().await;
    let v = visitor();
    let first = json(place(&app, &v, "Ana", "tea").await).await;
    let response = place(&app, &v, "Ana B", "water").await;
    assert_eq!(response.status(), StatusCode::OK);
    let changed = json(response).await;
    assert_eq!(changed["id"], first["id"]);
    assert_eq!(changed["drink"], "water");
    assert_eq!(changed["nickname"], "Ana B");
    assert_eq!(changed["version"], 2);
    assert_eq!(app.count("orders").await, 1);
    assert_eq!(app.count("order_events").await, 2);
}

#[tokio::test]
async fn an_order_in_preparation_can_no_longer_be_changed() {
    let app = spawn_app().await;
    let v = visitor();
    place(&app, &v, "Ana", "tea").await;
    app.arrange_sql("UPDATE orders SET status = 'preparing', preparing_at = now()")
        .await;
    // The arranged change writes its own event (triggers make that structural).
    let events = app.count("order_events").await;
    let response = place(&app, &v, "Ana", "water").await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(is_problem(&response));
    let problem = json(response).await;
    assert_eq!(problem["type"], "/problems/order-in-progress");
    assert_eq!(problem["order"]["status"], "preparing");
    assert_eq!(
        app.count("order_events").await,
        events,
        "a refusal writes nothing"
    );
}

#[tokio::test]
async fn unknown_drink_is_422_and_unavailable_drink_is_409_sold_out() {
    let app = spawn_app().await;
    let unknown = place(&app, &visitor(), "Ana", "coke").await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(unknown).await["field"], "drink");
    let beer = place(&app, &visitor(), "Ana", "beer").await;
    assert_eq!(beer.status(), StatusCode::CONFLICT);
    assert_eq!(json(beer).await["type"], "/problems/sold-out");
    assert_eq!(app.count("orders").await, 0);
}

#[tokio::test]
async fn stock_is_taken_on_place_and_returned_on_cancel() {
    let app = spawn_app().await;
    app.arrange_sql("UPDATE drinks SET stock = 1 WHERE id = 'water'")
        .await;
    let v = visitor();
    let order = json(place(&app, &v, "Ana", "water").await).await;
    let second = place(&app, &visitor(), "Bob", "water").await;
    assert_eq!(second.status(), StatusCode::CONFLICT);
    let cancel = cancel_order(&app, &v, id_of(&order)).await;
    assert_eq!(cancel.status(), StatusCode::OK);
    assert_eq!(json(cancel).await["status"], "cancelled");
    let third = place(&app, &visitor(), "Bob", "water").await;
    assert_eq!(third.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn only_the_owner_can_cancel_and_only_while_placed() {
    let app = spawn_app().await;
    let v = visitor();
    let order = json(place(&app, &v, "Ana", "tea").await).await;
    let path = format!("/api/orders/{}", order["id"]);
    let delete = |who: String| {
        app.http
            .delete(app.url(&path))
            .header("X-Visitor-Id", who)
            .send()
    };
    assert_eq!(
        delete(visitor()).await.expect("DELETE").status(),
        StatusCode::NOT_FOUND
    );
    let missing = app
        .http
        .delete(app.url(&path))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json(missing).await["field"], "X-Visitor-Id");
    app.arrange_sql("UPDATE orders SET status = 'ready', preparing_at = now(), ready_at = now()")
        .await;
    let events = app.count("order_events").await;
    assert_eq!(
        delete(v.clone()).await.expect("DELETE").status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.count("order_events").await,
        events,
        "a refusal writes nothing"
    );
}

#[tokio::test]
async fn bad_bodies_are_problems_that_name_the_field_and_write_nothing() {
    let app = spawn_app().await;
    let v = visitor();
    let r = new_request_id();
    let cases: Vec<(Value, u16, Option<&str>)> = vec![
        (
            json!({"visitor_id": v, "drink": "tea", "request_id": r}),
            422,
            Some("nickname"),
        ),
        (
            json!({"visitor_id": v, "nickname": 5, "drink": "tea", "request_id": r}),
            422,
            Some("nickname"),
        ),
        (
            order_body(&v, &"a".repeat(33), "tea", &r),
            422,
            Some("nickname"),
        ),
        (order_body(&v, "   ", "tea", &r), 422, Some("nickname")),
        (
            order_body("not-a-uuid", "Ana", "tea", &r),
            422,
            Some("visitor_id"),
        ),
        (
            order_body(&v, "Ana", "tea", "nope"),
            422,
            Some("request_id"),
        ),
        (json!([1, 2]), 400, None),
    ];
    for (body, status, field) in cases {
        let response = app.post_json("/api/orders", &body).await;
        assert_eq!(response.status().as_u16(), status, "{body}");
        assert!(is_problem(&response));
        let problem = json(response).await;
        assert_eq!(problem["status"], status);
        assert_eq!(problem["field"].as_str(), field, "{body}");
    }
    let send = |content_type: &'static str, body: Vec<u8>| {
        app.http
            .post(app.url("/api/orders"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let malformed = send("application/json", b"{".to_vec()).await.expect("POST");
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let plain = send("text/plain", b"{}".to_vec()).await.expect("POST");
    assert_eq!(plain.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let large = send("application/json", vec![b' '; 16 * 1024 + 1])
        .await
        .expect("POST");
    assert_eq!(large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.count("orders").await, 0);
    assert_eq!(app.count("order_events").await, 0);
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405_with_allow() {
    let app = spawn_app().await;
    let put = app
        .http
        .put(app.url("/api/orders"))
        .send()
        .await
        .expect("PUT");
    assert_eq!(put.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(put.headers()["allow"], "POST, DELETE, PATCH");
    let post_menu = app
        .http
        .post(app.url("/api/menu"))
        .send()
        .await
        .expect("POST");
    assert_eq!(post_menu.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post_menu.headers()["allow"], "GET");
    for path in ["/api/orders/abc", "/api/orders/1/x", "/api/drinks/tea"] {
        let r = app.get(path).await;
        assert!(
            r.status() == StatusCode::NOT_FOUND || r.status() == StatusCode::METHOD_NOT_ALLOWED,
            "{path}: {}",
            r.status()
        );
        assert!(is_problem(&r), "{path}");
    }
}

#[tokio::test]
async fn menu_lists_the_seeded_drinks_in_order() {
    let app = spawn_app().await;
    let menu = json(app.get("/api/menu").await).await;
    let ids: Vec<&str> = menu["drinks"]
        .as_array()
        .map(|a| a.iter().filter_map(|d| d["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        ids,
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
    assert_eq!(menu["drinks"][5]["sold_out"], true);
}

#[tokio::test]
async fn mine_lists_the_visitors_orders_newest_first() {
    let app = spawn_app().await;
    let v = visitor();
    let first = json(place(&app, &v, "Ana", "tea").await).await;
    cancel_order(&app, &v, id_of(&first)).await;
    let second = json(place(&app, &v, "Ana", "water").await).await;
    place(&app, &visitor(), "Other", "tea").await;
    let mine = get_mine(&app, &v).await;
    let orders = json(mine).await["orders"].clone();
    assert_eq!(orders.as_array().map(Vec::len), Some(2));
    assert_eq!(orders[0]["id"], second["id"]);
    assert_eq!(orders[1]["status"], "cancelled");
}

#[tokio::test]
async fn queue_needs_the_bar_token() {
    let app = spawn_app().await;
    let anonymous = app.get("/api/queue").await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(
        anonymous.headers()["www-authenticate"]
            .to_str()
            .unwrap_or_default()
            .starts_with("Bearer")
    );
    let wrong = app
        .http
        .get(app.url("/api/queue"))
        .bearer_auth("wrong")
        .send()
        .await
        .expect("GET");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let ok = app.bar_get("/api/queue").await;
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn queue_refuses_when_no_bar_token_is_configured() {
    let app = app_builder().without_bar_token().spawn().await;
    let response = app
        .http
        .get(app.url("/api/queue"))
        .bearer_auth("")
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json(response).await["field"], "bar_token");
}

#[tokio::test]
async fn queue_pages_oldest_first_and_its_feed_cursor_delivers_only_later_changes() {
    let app = spawn_app().await;
    for name in ["A", "B", "C"] {
        place(&app, &visitor(), name, "tea").await;
    }
    let page = json(app.bar_get("/api/queue?limit=2").await).await;
    let names: Vec<&str> = page["orders"]
        .as_array()
        .map(|a| a.iter().filter_map(|o| o["nickname"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["A", "B"]);
    let next = page["next"].as_str().unwrap_or_default().to_string();
    let rest = json(
        app.bar_get(&format!("/api/queue?limit=2&after={next}"))
            .await,
    )
    .await;
    assert_eq!(rest["orders"][0]["nickname"], "C");
    assert_eq!(rest["next"], Value::Null);

    let feed = page["feed"].as_str().unwrap_or_default().to_string();
    let quiet = app
        .http
        .get(app.url(&format!("/api/feed?after={feed}")))
        .header("If-None-Match", format!("\"{feed}\""))
        .send()
        .await
        .expect("GET");
    assert_eq!(quiet.status(), StatusCode::NOT_MODIFIED);

    place(&app, &visitor(), "D", "water").await;
    let (events, _) = e2e::api::feed_until(&app, &feed, 1).await;
    let news = serde_json::json!({ "events": events });
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["kind"], "placed");
    assert_eq!(events[0]["order"]["nickname"], "D");
    assert!(!news.to_string().contains("visitor"));
}

#[tokio::test]
async fn feed_tail_shows_the_last_events_and_bad_cursors_are_400() {
    let app = spawn_app().await;
    for name in ["A", "B", "C"] {
        place(&app, &visitor(), name, "tea").await;
    }
    // The tail only shows finished events; parallel tests may delay them for a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let names = loop {
        let tail = json(app.get("/api/feed?tail=2").await).await;
        let names: Vec<String> = tail["events"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["order"]["nickname"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        // Wait for the newest event: older ones can be visible before it.
        if names.last().map(String::as_str) == Some("C") || std::time::Instant::now() > deadline {
            break names;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(names, ["B", "C"]);
    let bad = app.get("/api/feed?after=not-a-cursor").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json(bad).await["field"], "after");
}

#[tokio::test]
async fn health_is_ok_when_migrated_and_503_when_not() {
    let app = spawn_app().await;
    let ok = app.get("/api/health").await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(json(ok).await["migration"].as_i64() >= Some(1));
    let bare = app_builder().unmigrated().spawn().await;
    let down = bare.get("/api/health").await;
    assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(down.headers().contains_key("retry-after"));
}
