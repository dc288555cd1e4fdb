//! End-to-end tests of the bar's "Done" list and a bar's cancel with a reason (issue 14):
//! `GET /api/queue?order=newest&q=…` and `PATCH /api/orders/{id}` with `reason`, through the
//! real components on the development host against a fresh database.

use e2e::api::{
    cancel_order, get_mine, id_of, is_problem, new_visitor as visitor, place_order as place_as,
    version_of,
};
use e2e::{TestApp, json, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Places an order for a new visitor; returns the order and the visitor id.
async fn place(app: &TestApp, nickname: &str, drink: &str) -> (Value, String) {
    let v = visitor();
    let response = place_as(app, &v, nickname, drink).await;
    assert_eq!(response.status(), StatusCode::CREATED, "placing {nickname}");
    (json(response).await, v)
}

async fn patch(app: &TestApp, id: i64, body: Value) -> reqwest::Response {
    app.bar(Method::PATCH, &format!("/api/orders/{id}"))
        .json(&body)
        .send()
        .await
        .expect("PATCH order")
}

/// Moves an order on with the bar's PATCH; returns it as it is then.
async fn bar_move(app: &TestApp, order: &Value, status: &str) -> Value {
    let response = patch(
        app,
        id_of(order),
        json!({"status": status, "version": version_of(order)}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK, "moving to {status}");
    json(response).await
}

async fn served(app: &TestApp, order: Value) -> Value {
    let mut order = order;
    for step in ["preparing", "ready", "served"] {
        order = bar_move(app, &order, step).await;
    }
    order
}

/// The ids of every page of the Done list (`status=served,cancelled&order=newest`), with
/// `extra` parameters, walked with `next`.
async fn done_ids(app: &TestApp, extra: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut after = String::new();
    loop {
        let path = format!("/api/queue?status=served,cancelled&order=newest{extra}{after}");
        let response = app.bar_get(&path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let page = json(response).await;
        ids.extend(page["orders"].as_array().expect("orders").iter().map(id_of));
        match page["next"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => return ids,
        }
    }
}

#[tokio::test]
async fn the_done_list_pages_newest_first_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let mut closed = Vec::new();
    for i in 0..7 {
        let (order, v) = place(&app, &format!("Guest{i}"), "tea").await;
        if i % 3 == 0 {
            let response = cancel_order(&app, &v, id_of(&order)).await;
            assert_eq!(response.status(), StatusCode::OK);
        } else {
            served(&app, order.clone()).await;
        }
        closed.push(id_of(&order));
    }
    // An open order never shows in the Done list.
    let (open, _) = place(&app, "Still waiting", "tea").await;

    let ids = done_ids(&app, "&limit=2").await;
    let mut newest_first = closed.clone();
    newest_first.reverse();
    assert_eq!(ids, newest_first);
    assert!(!ids.contains(&id_of(&open)));

    // Oldest first stays the default.
    let page = json(app.bar_get("/api/queue?status=served,cancelled").await).await;
    let oldest: Vec<i64> = page["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(oldest, closed);
}

#[tokio::test]
async fn the_done_list_finds_an_order_by_its_number_or_part_of_its_nickname() {
    let app = spawn_app().await;
    let (ana, _) = place(&app, "Anastasia", "tea").await;
    let (ben, _) = place(&app, "Ben 100%_", "tea").await;
    let (jo, _) = place(&app, "Joanna", "water").await;
    for order in [&ana, &ben, &jo] {
        served(&app, order.clone()).await;
    }
    let number = ben["number"].as_i64().expect("number");

    assert_eq!(
        done_ids(&app, &format!("&q={number}")).await,
        vec![id_of(&ben)]
    );
    assert_eq!(
        done_ids(&app, &format!("&q=%23{number}")).await,
        vec![id_of(&ben)]
    );
    // Case-insensitive substring of the nickname, newest first.
    assert_eq!(
        done_ids(&app, "&q=ANNA").await,
        vec![id_of(&jo)],
        "Joanna, not Anastasia"
    );
    assert_eq!(done_ids(&app, "&q=an").await, vec![id_of(&jo), id_of(&ana)]);
    // `%` and `_` are plain characters, not wildcards.
    assert_eq!(done_ids(&app, "&q=%25_").await, vec![id_of(&ben)]);
    assert_eq!(done_ids(&app, "&q=%25").await, vec![id_of(&ben)]);
    assert_eq!(done_ids(&app, "&q=nobody").await, Vec::<i64>::new());
    // Paging a search.
    assert_eq!(
        done_ids(&app, "&q=n&limit=1").await,
        vec![id_of(&jo), id_of(&ben), id_of(&ana)]
    );
}

#[tokio::test]
async fn bad_done_list_parameters_are_400_naming_the_parameter() {
    let app = spawn_app().await;
    let long = "a".repeat(33);
    for (query, field) in [
        ("order=latest", "order"),
        ("order=", "order"),
        ("q=", "q"),
        (&format!("q={long}") as &str, "q"),
        ("q=a%00b", "q"),
        ("q=a%0Ab", "q"),
        ("q=a&q=b", "q"),
        ("format=csv&q=a", "q"),
        ("format=csv&order=newest", "order"),
    ] {
        let response = app.bar_get(&format!("/api/queue?{query}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        assert!(is_problem(&response), "{query}");
        assert_eq!(json(response).await["field"], field, "{query}");
    }
}

#[tokio::test]
async fn a_bar_cancel_carries_its_reason_to_the_visitor_and_an_undo_clears_it() {
    let app = spawn_app().await;
    let (order, v) = place(&app, "Ana", "tea").await;
    let id = id_of(&order);
    assert!(order["cancel_reason"].is_null());
    assert!(order["cancelled_by"].is_null());

    let response = patch(
        &app,
        id,
        json!({"status": "cancelled", "version": 1, "reason": "  Out of oat milk, sorry!  "}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let cancelled = json(response).await;
    assert_eq!(cancelled["cancel_reason"], "Out of oat milk, sorry!");
    assert_eq!(cancelled["cancelled_by"], "bar");

    let mine = json(get_mine(&app, &v).await).await;
    assert_eq!(
        mine["orders"][0]["cancel_reason"],
        "Out of oat milk, sorry!"
    );
    let done = json(
        app.bar_get("/api/queue?status=cancelled&order=newest")
            .await,
    )
    .await;
    assert_eq!(
        done["orders"][0]["cancel_reason"],
        "Out of oat milk, sorry!"
    );

    let undo = app
        .bar(Method::POST, &format!("/api/orders/{id}/undo"))
        .json(&json!({"version": version_of(&cancelled)}))
        .send()
        .await
        .expect("undo");
    assert_eq!(undo.status(), StatusCode::OK);
    let back = json(undo).await;
    assert_eq!(back["status"], "placed");
    assert!(back["cancel_reason"].is_null());
    assert!(back["cancelled_by"].is_null());

    // A cancel without a reason (or with null) has none; a visitor's cancel says so.
    let again = patch(
        &app,
        id,
        json!({"status": "cancelled", "version": version_of(&back), "reason": null}),
    )
    .await;
    let again = json(again).await;
    assert_eq!(again["cancelled_by"], "bar");
    assert!(again["cancel_reason"].is_null());

    let (other, w) = place(&app, "Ben", "tea").await;
    let mine = json(cancel_order(&app, &w, id_of(&other)).await).await;
    assert_eq!(mine["cancelled_by"], "visitor");
    assert!(mine["cancel_reason"].is_null());
}

#[tokio::test]
async fn a_reason_is_refused_with_any_other_move_or_when_it_is_not_a_short_text() {
    let app = spawn_app().await;
    let (order, _) = place(&app, "Ana", "tea").await;
    let id = id_of(&order);
    let long = "x".repeat(121);
    for body in [
        json!({"status": "preparing", "version": 1, "reason": "why"}),
        json!({"status": "cancelled", "version": 1, "reason": long}),
        json!({"status": "cancelled", "version": 1, "reason": "   "}),
        json!({"status": "cancelled", "version": 1, "reason": "a\u{0}b"}),
        json!({"status": "cancelled", "version": 1, "reason": "a\u{202e}b"}),
        json!({"status": "cancelled", "version": 1, "reason": 7}),
    ] {
        let response = patch(&app, id, body.clone()).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        assert!(is_problem(&response));
        assert_eq!(json(response).await["field"], "reason", "{body}");
    }
    // 120 characters are fine; nothing was written before.
    let response = patch(
        &app,
        id,
        json!({"status": "cancelled", "version": 1, "reason": "é".repeat(120)}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json(response).await["version"], 2);
}

#[tokio::test]
async fn a_reason_is_cleared_when_a_cancelled_order_is_reopened_and_moved_on() {
    let app = spawn_app().await;
    let (order, _) = place(&app, "Ana", "tea").await;
    let preparing = bar_move(&app, &order, "preparing").await;
    let response = patch(
        &app,
        id_of(&order),
        json!({"status": "cancelled", "version": version_of(&preparing), "reason": "Spilled"}),
    )
    .await;
    let cancelled = json(response).await;
    assert_eq!(cancelled["cancel_reason"], "Spilled");
    let undo = app
        .bar(Method::POST, &format!("/api/orders/{}/undo", id_of(&order)))
        .json(&json!({"version": version_of(&cancelled)}))
        .send()
        .await
        .expect("undo");
    let back = json(undo).await;
    let ready = bar_move(&app, &back, "ready").await;
    assert!(ready["cancel_reason"].is_null());
}
