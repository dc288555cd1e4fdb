//! The menu set from the bar (issue 12): add a drink with its name per language, rename it,
//! move it, retire it and put it back (`POST /api/drinks`, `PATCH /api/drinks/{id}`); each
//! such change is a `menu` feed event; a retired drink takes no orders but history, CSV and
//! statistics keep it.

use e2e::api::{feed_start, feed_until, is_problem, new_visitor, place_order};
use e2e::{TestApp, json, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn add(app: &TestApp, body: Value) -> reqwest::Response {
    app.bar(Method::POST, "/api/drinks")
        .json(&body)
        .send()
        .await
        .expect("POST /api/drinks")
}

async fn patch(app: &TestApp, drink: &str, body: Value) -> reqwest::Response {
    app.bar(Method::PATCH, &format!("/api/drinks/{drink}"))
        .json(&body)
        .send()
        .await
        .expect("PATCH /api/drinks/{id}")
}

async fn menu_ids(app: &TestApp) -> Vec<String> {
    json(app.get("/api/menu").await).await["drinks"]
        .as_array()
        .expect("drinks")
        .iter()
        .map(|d| d["id"].as_str().expect("id").to_string())
        .collect()
}

#[tokio::test]
async fn the_bar_adds_a_drink_with_names_per_language_and_pages_learn_it_from_a_menu_event() {
    let app = spawn_app().await;
    let cursor = feed_start(&app).await;
    let added = add(
        &app,
        json!({"id": "mate", "names": {"en": "Club-Mate", "de": "Mate "}, "stock": 2}),
    )
    .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    assert_eq!(
        json(added).await,
        json!({"id": "mate", "name": "Club-Mate", "names": {"en": "Club-Mate", "de": "Mate"},
               "description": {}, "available": true, "stock": 2, "sold_out": false, "retired": false,
               "position": 80, "icon": null, "picture": null})
    );
    assert_eq!(
        menu_ids(&app).await.last().map(String::as_str),
        Some("mate")
    );
    let (events, _) = feed_until(&app, &cursor, 1).await;
    assert_eq!(events[0]["kind"], "menu");

    let ordered = place_order(&app, &new_visitor(), "Ana", "mate").await;
    assert_eq!(ordered.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn the_bar_renames_and_moves_a_drink() {
    let app = spawn_app().await;
    let renamed = patch(
        &app,
        "wine",
        json!({"names": {"en": "Red wine", "it": "Vino rosso"}, "position": 0, "available": true}),
    )
    .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    let wine = json(renamed).await;
    assert_eq!(
        (&wine["name"], &wine["names"]),
        (
            &json!("Red wine"),
            &json!({"en": "Red wine", "it": "Vino rosso"})
        )
    );
    assert_eq!(
        menu_ids(&app).await.first().map(String::as_str),
        Some("wine")
    );
}

#[tokio::test]
async fn a_retired_drink_takes_no_orders_but_history_csv_and_statistics_keep_it() {
    let app = spawn_app().await;
    let visitor = new_visitor();
    let before = place_order(&app, &visitor, "Ana", "tea").await;
    assert_eq!(before.status(), StatusCode::CREATED);

    let retired = patch(&app, "tea", json!({"retired": true})).await;
    assert_eq!(json(retired).await["retired"], true);
    let refused = place_order(&app, &new_visitor(), "Bo", "tea").await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let problem = json(refused).await;
    assert_eq!(
        (&problem["type"], &problem["field"]),
        (&json!("/problems/drink-retired"), &json!("drink"))
    );
    let menu = json(app.get("/api/menu").await).await;
    let tea = menu["drinks"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["id"] == "tea"))
        .expect("the menu still lists it, marked retired, for the bar");
    assert_eq!(tea["retired"], true);

    let csv = app
        .bar_get("/api/queue?format=csv")
        .await
        .text()
        .await
        .expect("CSV");
    assert!(csv.contains(",Ana,tea,"), "{csv}");
    let stats = json(app.bar_get("/api/stats").await).await;
    assert!(stats.to_string().contains("\"tea\""), "{stats}");

    let back = patch(&app, "tea", json!({"retired": false})).await;
    assert_eq!(json(back).await["retired"], false);
    let again = place_order(&app, &new_visitor(), "Cy", "tea").await;
    assert_eq!(again.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn bad_menu_changes_are_refused_with_problems_and_change_nothing() {
    let app = spawn_app().await;
    let menu_before = app.get("/api/menu").await.text().await.expect("menu");
    let long = "x".repeat(65);
    let cases = [
        (json!({"names": {"en": "Mate"}}), 422, Some("id")),
        (
            json!({"id": "Mate", "names": {"en": "Mate"}}),
            422,
            Some("id"),
        ),
        (json!({"id": "mate"}), 422, Some("names")),
        (
            json!({"id": "mate", "names": {"en": ""}}),
            422,
            Some("names"),
        ),
        (
            json!({"id": "mate", "names": {"fr": "Maté"}}),
            422,
            Some("names"),
        ),
        (
            json!({"id": "mate", "names": {"en": long}}),
            422,
            Some("names.en"),
        ),
        (
            json!({"id": "mate", "names": {"en": "Mate"}, "stock": -1}),
            422,
            Some("stock"),
        ),
        (
            json!({"id": "tea", "names": {"en": "Tea again"}}),
            409,
            Some("id"),
        ),
    ];
    for (body, status, field) in cases {
        let response = add(&app, body.clone()).await;
        assert_eq!(response.status().as_u16(), status, "{body}");
        assert!(is_problem(&response));
        assert_eq!(json(response).await["field"].as_str(), field, "{body}");
    }
    for body in [
        json!({"names": {}}),
        json!({"position": -1}),
        json!({"position": 1.5}),
        json!({"retired": "yes"}),
    ] {
        let response = patch(&app, "tea", body.clone()).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
    }
    let anonymous = app
        .http
        .post(app.url("/api/drinks"))
        .json(&json!({"id": "mate", "names": {"en": "Mate"}}))
        .send()
        .await
        .expect("POST");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/menu").await.text().await.expect("menu"),
        menu_before
    );
    assert_eq!(app.count("order_events").await, 0);
}

/// A real 64×64 PNG (a drawn drink), as a bar would upload it.
fn png() -> Vec<u8> {
    std::fs::read(e2e::workspace_root().join("tests/fixtures/drink.png")).expect("the fixture")
}

async fn put_picture(
    app: &TestApp,
    drink: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.bar(Method::PUT, &format!("/api/drinks/{drink}/picture"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("PUT picture")
}

#[tokio::test]
async fn an_uploaded_picture_is_served_at_its_content_address_and_cached_for_good() {
    let app = spawn_app().await;
    let added = put_picture(&app, "tea", "image/png", png()).await;
    assert_eq!(added.status(), StatusCode::OK);
    let tea = json(added).await;
    let url = tea["picture"].as_str().expect("a picture URL").to_string();
    assert!(url.starts_with("/api/pictures/") && url.len() == "/api/pictures/".len() + 64);

    let served = app.get(&url).await;
    assert_eq!(served.status(), StatusCode::OK);
    let headers = served.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let etag = headers["etag"].to_str().expect("etag").to_string();
    assert_eq!(served.bytes().await.expect("bytes").to_vec(), png());
    let again = app
        .http
        .get(app.url(&url))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("GET");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // The same bytes for another drink: one stored picture, the same URL.
    let water = json(put_picture(&app, "water", "image/jpeg", png()).await).await;
    assert_eq!(water["picture"].as_str(), Some(url.as_str()));
    assert_eq!(app.count("pictures").await, 1);

    // Removed: the drink shows its icon again; a bundled icon can be chosen.
    let cleared = app
        .bar(Method::DELETE, "/api/drinks/tea/picture")
        .send()
        .await
        .expect("DELETE");
    assert_eq!(json(cleared).await["picture"], Value::Null);
    let iconed = json(patch(&app, "tea", json!({"icon": "hot-chocolate"})).await).await;
    assert_eq!(iconed["icon"], "hot-chocolate");
    let default = json(patch(&app, "tea", json!({"icon": null})).await).await;
    assert_eq!(default["icon"], Value::Null);
    let unknown = app.get(&format!("/api/pictures/{}", "0".repeat(64))).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_png_jpeg_or_webp_of_at_most_256_kib_become_pictures() {
    let app = spawn_app().await;
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#.to_vec();
    let mut large = png();
    large.resize(256 * 1024 + 1, 0);
    let cases: [(&str, Vec<u8>, u16, &str); 5] = [
        ("image/png", svg.clone(), 422, "/problems/invalid-picture"),
        (
            "image/svg+xml",
            svg,
            415,
            "/problems/unsupported-media-type",
        ),
        ("text/plain", png(), 415, "/problems/unsupported-media-type"),
        ("image/png", large, 413, "/problems/body-too-large"),
        ("image/png", Vec::new(), 422, "/problems/invalid-picture"),
    ];
    for (content_type, body, status, kind) in cases {
        let response = put_picture(&app, "tea", content_type, body).await;
        assert_eq!(response.status().as_u16(), status, "{content_type}");
        assert!(is_problem(&response));
        assert_eq!(json(response).await["type"], kind, "{content_type}");
    }
    let nobody = put_picture(&app, "mead", "image/png", png()).await;
    assert_eq!(nobody.status(), StatusCode::NOT_FOUND);
    let anonymous = app
        .http
        .put(app.url("/api/drinks/tea/picture"))
        .header("content-type", "image/png")
        .body(png())
        .send()
        .await
        .expect("PUT");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let unknown_icon = patch(&app, "tea", json!({"icon": "unicorn"})).await;
    assert_eq!(unknown_icon.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(unknown_icon).await["field"], "icon");
    assert_eq!(app.count("pictures").await, 0);
    assert_eq!(app.count("order_events").await, 0);
}

#[tokio::test]
async fn the_menu_answers_304_until_a_drink_or_the_event_changes() {
    let app = spawn_app().await;
    let first = app.get("/api/menu").await;
    let etag = first.headers()["etag"].to_str().expect("etag").to_string();
    let conditional = |etag: String| {
        app.http
            .get(app.url("/api/menu"))
            .header("if-none-match", etag)
            .send()
    };
    let same = conditional(etag.clone()).await.expect("GET");
    assert_eq!(same.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(same.headers()["etag"].to_str().ok(), Some(etag.as_str()));

    patch(&app, "tea", json!({"stock": 3})).await;
    let changed = conditional(etag.clone()).await.expect("GET");
    assert_eq!(changed.status(), StatusCode::OK, "a drink changed");
    let etag = changed.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_string();
    app.bar(Method::PATCH, "/api/event")
        .json(&json!({"title": {"en": "Gala"}}))
        .send()
        .await
        .expect("PATCH /api/event");
    let settings = conditional(etag).await.expect("GET");
    assert_eq!(
        settings.status(),
        StatusCode::OK,
        "the event's settings changed"
    );
}
