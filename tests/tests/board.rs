//! The counter screen and clean public screens (issue 14): `GET /api/board` (a bounded public
//! snapshot of the open orders, ETag/304), the bar hiding a nickname from public screens
//! (`PUT`/`DELETE /api/orders/{id}/name-hidden`, a `moderated` feed event), the event's
//! refused words (`PATCH /api/event`, `GET /api/event/words`, 422 `nickname-refused`) and
//! the board's dimming time (`ready_dim_minutes`).

use std::time::{Duration, Instant};

use e2e::api::{
    feed_start, feed_until, get_mine, id_of, is_problem, move_through, new_visitor, place_order,
};
use e2e::{TestApp, json, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn placed(app: &TestApp, nickname: &str, drink: &str) -> Value {
    let response = place_order(app, &new_visitor(), nickname, drink).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    json(response).await
}

async fn board(app: &TestApp) -> Value {
    let response = app.get("/api/board").await;
    assert_eq!(response.status(), StatusCode::OK);
    json(response).await
}

async fn patch_event(app: &TestApp, body: Value) -> reqwest::Response {
    app.bar(Method::PATCH, "/api/event")
        .json(&body)
        .send()
        .await
        .expect("PATCH /api/event")
}

async fn name_hidden(app: &TestApp, method: Method, id: i64) -> reqwest::Response {
    app.bar(method, &format!("/api/orders/{id}/name-hidden"))
        .send()
        .await
        .expect("name-hidden")
}

/// Polls the board until `want` holds, or panics after 10 s (a change reaches the board's
/// ETag once it has settled, like the feed).
async fn board_until(app: &TestApp, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let b = board(app).await;
        if want(&b) {
            return b;
        }
        assert!(Instant::now() < deadline, "the board never showed it: {b}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_board_lists_waiting_orders_then_ready_ones_with_only_their_public_fields() {
    let app = spawn_app().await;
    let ana = placed(&app, "Ana", "tea").await;
    let ben = placed(&app, "Ben", "espresso").await;
    let cleo = placed(&app, "Cleo", "water").await;
    let dan = placed(&app, "Dan", "tea").await;
    move_through(&app, &ben, &["preparing"]).await;
    let cleo = move_through(&app, &cleo, &["preparing", "ready"]).await;
    move_through(&app, &ana, &["preparing", "ready"]).await;
    move_through(&app, &dan, &["cancelled"]).await;

    let b = board(&app).await;
    assert_eq!(b["total"], json!({"waiting": 1, "ready": 2}));
    assert_eq!(b["ready_dim_minutes"], 5);
    let orders = b["orders"].as_array().expect("orders");
    let seen: Vec<(&str, &str)> = orders
        .iter()
        .map(|o| {
            (
                o["nickname"].as_str().unwrap(),
                o["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [("Ben", "preparing"), ("Cleo", "ready"), ("Ana", "ready")],
        "waiting by age, then ready in the order they became ready; cancelled ones leave"
    );
    let mut fields: Vec<&String> = orders[1].as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "drink", "id", "nickname", "number", "since", "status", "version"
        ]
    );
    assert_eq!(
        orders[1]["since"], cleo["ready_at"],
        "ready since it became ready"
    );
    assert!(b["now"].as_i64().unwrap() >= cleo["ready_at"].as_i64().unwrap());
}

#[tokio::test]
async fn an_unchanged_board_is_304_and_a_served_order_leaves_it_with_a_new_etag() {
    let app = spawn_app().await;
    let ana = placed(&app, "Ana", "tea").await;
    let ana = move_through(&app, &ana, &["preparing", "ready"]).await;
    let shown = board_until(&app, |b| b["total"]["ready"] == 1).await;
    assert_eq!(shown["orders"][0]["nickname"], "Ana");

    // Once the changes have settled, the ETag stands still and the client that has it gets 304.
    let deadline = Instant::now() + Duration::from_secs(10);
    let etag = loop {
        let first = app.get("/api/board").await;
        let etag = first.headers()["etag"].to_str().unwrap().to_string();
        assert_eq!(first.headers()["cache-control"], "no-cache");
        let again = app
            .http
            .get(app.url("/api/board"))
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("GET");
        if again.status() == StatusCode::NOT_MODIFIED {
            assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
            assert!(again.bytes().await.unwrap().is_empty());
            break etag;
        }
        assert!(Instant::now() < deadline, "the board never answered 304");
    };
    assert!(
        etag.starts_with("\"b") && etag.ends_with('"'),
        "a strong ETag: {etag}"
    );

    move_through(&app, &ana, &["served"]).await;
    let gone = board_until(&app, |b| b["total"]["ready"] == 0).await;
    assert_eq!(gone["orders"], json!([]));
    let changed = app
        .http
        .get(app.url("/api/board"))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("GET");
    assert_eq!(changed.status(), StatusCode::OK, "a new board, a new ETag");
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
}

#[tokio::test]
async fn a_quoted_star_in_if_none_match_is_a_tag_that_matches_nothing() {
    let app = spawn_app().await;
    for header in [r#"W/"*""#, r#""*""#] {
        let response = app
            .http
            .get(app.url("/api/board"))
            .header("if-none-match", header)
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status(), StatusCode::OK, "{header}");
    }
}

#[tokio::test]
async fn the_board_shows_the_oldest_hundred_of_each_column_and_counts_them_all() {
    let app = spawn_app().await;
    app.arrange_sql(
        "insert into orders (visitor_id, nickname, drink_id)
         select gen_random_uuid(), 'Guest ' || n, 'tea' from generate_series(1, 105) n;
         update orders set status = 'ready', preparing_at = now(), ready_at = now(),
                version = version + 1
         where id > 102;",
    )
    .await;
    let b = board(&app).await;
    assert_eq!(b["total"], json!({"waiting": 102, "ready": 3}));
    let orders = b["orders"].as_array().expect("orders");
    assert_eq!(orders.len(), 103, "100 waiting and the 3 ready");
    assert_eq!(orders[0]["nickname"], "Guest 1");
    assert_eq!(orders[99]["nickname"], "Guest 100", "the oldest are shown");
    assert_eq!(orders[100]["status"], "ready");
}

#[tokio::test]
async fn the_board_takes_no_parameters() {
    let app = spawn_app().await;
    for query in ["limit=5", "after=x", "=x"] {
        let response = app.get(&format!("/api/board?{query}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        assert!(is_problem(&response));
    }
}

#[tokio::test]
async fn the_bar_hides_a_nickname_from_the_feed_and_the_board_and_shows_it_again() {
    let app = spawn_app().await;
    let visitor = new_visitor();
    let response = place_order(&app, &visitor, "Rude Name", "tea").await;
    let order = json(response).await;
    assert_eq!(order["name_hidden"], false);
    let cursor = feed_start(&app).await;

    let hidden = name_hidden(&app, Method::PUT, id_of(&order)).await;
    assert_eq!(hidden.status(), StatusCode::OK);
    let hidden = json(hidden).await;
    assert_eq!(
        (
            &hidden["name_hidden"],
            &hidden["nickname"],
            &hidden["version"]
        ),
        (&json!(true), &json!("Rude Name"), &json!(2)),
        "the bar still sees the name"
    );
    let (events, cursor) = feed_until(&app, &cursor, 1).await;
    assert_eq!(events[0]["kind"], "moderated");
    assert_eq!(
        events[0]["order"],
        json!({"id": order["id"], "number": order["number"], "nickname": null,
               "name_hidden": true, "drink": "tea", "status": "placed", "version": 2})
    );
    let tail = json(app.get("/api/feed?tail=10").await).await;
    assert!(
        tail["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["order"]["nickname"].is_null()),
        "its older events show no name either: {tail}"
    );
    let b = board_until(&app, |b| b["orders"][0]["nickname"].is_null()).await;
    assert_eq!(b["orders"][0]["number"], order["number"]);
    let mine = json(get_mine(&app, &visitor).await).await;
    assert_eq!(
        mine["orders"][0]["nickname"], "Rude Name",
        "the visitor sees it"
    );
    assert_eq!(mine["orders"][0]["name_hidden"], true);

    let again = json(name_hidden(&app, Method::PUT, id_of(&order)).await).await;
    assert_eq!(again["version"], 2, "hiding a hidden name writes nothing");

    let shown = json(name_hidden(&app, Method::DELETE, id_of(&order)).await).await;
    assert_eq!(
        (&shown["name_hidden"], &shown["version"]),
        (&json!(false), &json!(3))
    );
    let (events, _) = feed_until(&app, &cursor, 1).await;
    assert_eq!(
        (&events[0]["kind"], &events[0]["order"]["nickname"]),
        (&json!("moderated"), &json!("Rude Name"))
    );
    board_until(&app, |b| b["orders"][0]["nickname"] == "Rude Name").await;
}

#[tokio::test]
async fn hiding_a_name_needs_the_bar_token_and_an_order_that_exists() {
    let app = spawn_app().await;
    let order = placed(&app, "Ana", "tea").await;
    let anonymous = app
        .http
        .put(app.url(&format!("/api/orders/{}/name-hidden", id_of(&order))))
        .send()
        .await
        .expect("PUT");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let missing = name_hidden(&app, Method::PUT, 999_999).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(json(missing).await["type"], "/problems/order-not-found");
    let not_an_id = app
        .bar(Method::DELETE, "/api/orders/x/name-hidden")
        .send()
        .await
        .expect("DELETE");
    assert_eq!(not_an_id.status(), StatusCode::NOT_FOUND);
    let patch = app
        .bar(
            Method::PATCH,
            &format!("/api/orders/{}/name-hidden", id_of(&order)),
        )
        .send()
        .await
        .expect("PATCH");
    assert_eq!(patch.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(app.count("order_events where kind = 'moderated'").await, 0);
}

#[tokio::test]
async fn a_nickname_with_a_refused_word_is_422_at_the_nickname_whatever_its_case_and_accents() {
    let app = spawn_app().await;
    let set = patch_event(&app, json!({"refused_words": ["Idiot", " Zut "]})).await;
    assert_eq!(set.status(), StatusCode::OK);
    let words = app
        .bar(Method::GET, "/api/event/words")
        .send()
        .await
        .expect("GET");
    assert_eq!(
        json(words).await,
        json!({"refused_words": ["idiot", "zut"]})
    );

    for nickname in ["idiot", "Super-ÏDIOT 42", "ZÛT"] {
        let refused = place_order(&app, &new_visitor(), nickname, "tea").await;
        assert_eq!(
            refused.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{nickname}"
        );
        let problem = json(refused).await;
        assert_eq!(
            (&problem["type"], &problem["field"]),
            (&json!("/problems/nickname-refused"), &json!("nickname")),
            "{nickname}"
        );
    }
    assert_eq!(app.count("orders").await, 0, "nothing placed");

    // A visitor may not rename an open order to a refused name either.
    let visitor = new_visitor();
    let ok = place_order(&app, &visitor, "Ana", "tea").await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    let renamed = place_order(&app, &visitor, "Zutalors", "tea").await;
    assert_eq!(renamed.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let cleared = patch_event(&app, json!({"refused_words": []})).await;
    assert_eq!(cleared.status(), StatusCode::OK);
    let now_ok = place_order(&app, &new_visitor(), "idiot", "tea").await;
    assert_eq!(now_ok.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn bad_refused_words_and_dimming_times_are_422_at_their_field_and_change_nothing() {
    let app = spawn_app().await;
    let long = "x".repeat(33);
    for (body, field) in [
        (json!({"refused_words": "idiot"}), "refused_words"),
        (json!({"refused_words": null}), "refused_words"),
        (json!({"refused_words": ["ok", ""]}), "refused_words[1]"),
        (json!({"refused_words": ["ok", long]}), "refused_words[1]"),
        (json!({"refused_words": ["a\u{7}b"]}), "refused_words[0]"),
        (json!({"ready_dim_minutes": 0}), "ready_dim_minutes"),
        (json!({"ready_dim_minutes": 121}), "ready_dim_minutes"),
        (json!({"ready_dim_minutes": 2.5}), "ready_dim_minutes"),
    ] {
        let refused = patch_event(&app, body.clone()).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(json(refused).await["field"], field, "{body}");
    }
    let many: Vec<String> = (0..201).map(|i| format!("w{i}")).collect();
    let refused = patch_event(&app, json!({"refused_words": many})).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let menu = json(app.get("/api/menu").await).await;
    assert_eq!(menu["event"]["version"], 1, "nothing changed");
    let words = app
        .http
        .get(app.url("/api/event/words"))
        .send()
        .await
        .expect("GET");
    assert_eq!(words.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_dimming_time_is_set_at_the_bar_and_read_by_the_menu_and_the_board() {
    let app = spawn_app().await;
    let menu = json(app.get("/api/menu").await).await;
    assert_eq!(
        menu["event"]["ready_dim_minutes"], 5,
        "five minutes by default"
    );
    let set = patch_event(&app, json!({"ready_dim_minutes": 12})).await;
    assert_eq!(json(set).await["ready_dim_minutes"], 12);
    let menu = json(app.get("/api/menu").await).await;
    assert_eq!(menu["event"]["ready_dim_minutes"], 12);
    board_until(&app, |b| b["ready_dim_minutes"] == 12).await;
}
