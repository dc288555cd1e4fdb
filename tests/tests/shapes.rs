//! Every statement of `drinks_core::sql`, run against a freshly migrated database and
//! decoded with `drinks_core::shapes`: a field added, renamed or dropped on one side only
//! (the SQL shape functions of migration 0003 or the Rust types) fails here, without
//! building or starting the components.

use std::time::{Duration, Instant};

use drinks_core::api::FeedEvent;
use drinks_core::shapes::{self, Placed};
use drinks_core::{DomainError, FeedCursor, OrderStatus, push, sql};
use e2e::TestDatabase;
use tokio_postgres::Client;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

async fn json(db: &Client, statement: &str, params: &[&(dyn ToSql + Sync)]) -> Option<String> {
    let rows = db.query(statement, params).await.expect("statement runs");
    assert!(rows.len() <= 1, "one row at most");
    rows.first().map(|row| {
        assert_eq!(row.len(), 1, "one column");
        row.get::<_, String>(0)
    })
}

fn open() -> String {
    OrderStatus::sql_list(&OrderStatus::OPEN)
}

fn changeable() -> String {
    OrderStatus::sql_list(&OrderStatus::VISITOR_MAY_CHANGE)
}

async fn place(db: &Client, visitor: Uuid, nickname: &str, drink: &str) -> Option<String> {
    json(
        db,
        sql::PLACE_ORDER,
        &[
            &visitor,
            &nickname,
            &drink,
            &Uuid::new_v4(),
            &open(),
            &changeable(),
            &OrderStatus::sql_list(&OrderStatus::WAITING),
            &None::<&str>,
            &drinks_core::moderation::fold(nickname),
        ],
    )
    .await
}

/// What PostgreSQL built (at a JSON pointer into the statement's answer) has exactly the
/// fields the decoded Rust value has: serde fills a missing `Option` field with `None`, so
/// decoding alone would not notice a field the SQL shape function lacks.
fn same_fields(
    what: &str,
    answer: &Option<String>,
    pointer: &str,
    decoded: &impl serde::Serialize,
) {
    let answer: serde_json::Value =
        serde_json::from_str(answer.as_deref().expect("an answer")).expect("JSON");
    let built = answer
        .pointer(pointer)
        .and_then(|v| v.as_object())
        .unwrap_or_else(|| panic!("{what}: nothing at {pointer}"));
    let mut sql: Vec<&String> = built.keys().collect();
    sql.sort();
    assert_eq!(
        sql.into_iter().cloned().collect::<Vec<_>>(),
        keys(decoded),
        "{what}: the SQL shape function and the Rust type differ"
    );
}

#[tokio::test]
async fn every_write_outcome_decodes_into_its_type() {
    let db = TestDatabase::create(true).await;
    let c = db.client().await;
    let ana = Uuid::new_v4();

    let placed = shapes::place_outcome(place(&c, ana, "Ana", "tea").await.as_deref(), "tea");
    let Ok(Placed::Created(order)) = placed else {
        panic!("expected a new order, got {placed:?}");
    };
    assert_eq!((order.version, order.status), (1, OrderStatus::Placed));
    let changed = shapes::place_outcome(place(&c, ana, "Ana", "water").await.as_deref(), "water");
    assert!(matches!(changed, Ok(Placed::Changed(o)) if o.drink == "water" && o.version == 2));
    let unknown = shapes::place_outcome(place(&c, ana, "Ana", "nope").await.as_deref(), "nope");
    assert!(unknown.is_err());

    let status = |to: OrderStatus, version: i32| {
        let c = &c;
        async move {
            let from = OrderStatus::sql_list(&OrderStatus::reachable_from(to));
            let got = json(
                c,
                sql::SET_STATUS,
                &[&order.id, &to.as_str(), &version, &from, &None::<String>],
            )
            .await;
            shapes::status_outcome(got.as_deref(), to)
        }
    };
    let preparing = status(OrderStatus::Preparing, 2).await.expect("moved on");
    assert!(preparing.preparing_at.is_some());
    assert!(status(OrderStatus::Ready, 2).await.is_err(), "stale");
    assert!(status(OrderStatus::Served, 3).await.is_err(), "illegal");

    // A batch: one move, one stale version, one order that does not exist.
    let ben = Uuid::new_v4();
    let Ok(Placed::Created(second)) =
        shapes::place_outcome(place(&c, ben, "Ben", "tea").await.as_deref(), "tea")
    else {
        panic!("expected Ben's order");
    };
    let body = serde_json::json!({"changes": [
        {"id": second.id, "status": "preparing", "version": 1},
        {"id": order.id, "status": "ready", "version": 1},
        {"id": 999_999, "status": "ready", "version": 1},
    ]});
    let asked = drinks_core::api::StatusChanges::from_json(body.to_string().as_bytes())
        .expect("a valid batch");
    let param = asked.changes_param().expect("the changes as JSON");
    let got = json(&c, sql::SET_STATUSES, &[&param]).await;
    let batch = shapes::batch_outcome(got.as_deref(), &asked).expect("a batch outcome");
    assert_eq!(batch.moved.len(), 1);
    assert_eq!(batch.moved[0].id, second.id);
    let refused: Vec<(i64, &str)> = batch
        .conflicts
        .iter()
        .map(|c| (c.id, c.kind.as_str()))
        .collect();
    assert_eq!(
        refused,
        [
            (order.id, "/problems/version-conflict"),
            (999_999, "/problems/order-not-found")
        ]
    );

    // Undo: Ben's start cannot be taken back (a refusal with the order); his cancel can.
    let undo = |id: i64, version: i32| {
        let c = &c;
        async move {
            let got = json(
                c,
                sql::UNDO_STATUS,
                &[
                    &id,
                    &version,
                    &OrderStatus::sql_list(&OrderStatus::BAR_UNDOABLE),
                    &drinks_core::domain::UNDO_WINDOW_MS,
                    &open(),
                ],
            )
            .await;
            shapes::undo_outcome(got.as_deref())
        }
    };
    assert!(matches!(
        undo(second.id, 2).await,
        Err(drinks_core::ApiError::Domain(
            DomainError::UndoRefused { .. }
        ))
    ));
    let from = OrderStatus::sql_list(&OrderStatus::reachable_from(OrderStatus::Cancelled));
    let cancelled = json(
        &c,
        sql::SET_STATUS,
        &[&second.id, &"cancelled", &2_i32, &from, &"Out of milk"],
    )
    .await;
    let cancelled = shapes::status_outcome(cancelled.as_deref(), OrderStatus::Cancelled)
        .expect("cancelled by the bar");
    assert_eq!(
        (cancelled.cancelled_by, cancelled.cancel_reason.as_deref()),
        (
            Some(drinks_core::api::CancelledBy::Bar),
            Some("Out of milk")
        )
    );
    let back = undo(second.id, cancelled.version)
        .await
        .expect("taken back");
    assert_eq!(
        (back.status, back.cancelled_at, back.cancel_reason),
        (OrderStatus::Preparing, None, None)
    );

    let locked = shapes::place_outcome(place(&c, ana, "Ana", "tea").await.as_deref(), "tea");
    assert!(locked.is_err());
    let cancel = json(&c, sql::CANCEL_ORDER, &[&order.id, &ana, &changeable()]).await;
    assert!(shapes::cancel_outcome(cancel.as_deref()).is_err(), "locked");

    let drink = json(
        &c,
        sql::UPDATE_DRINK,
        &[
            &"tea",
            &Some(true),
            &true,
            &Some(0_i32),
            &None::<&str>,
            &None::<i32>,
            &None::<bool>,
            &false,
            &None::<&str>,
            &None::<&str>,
        ],
    )
    .await;
    let drink = shapes::drink_outcome(drink.as_deref()).expect("a drink");
    assert!(drink.sold_out);
    let none = json(
        &c,
        sql::UPDATE_DRINK,
        &[
            &"nope",
            &None::<bool>,
            &false,
            &None::<i32>,
            &None::<&str>,
            &None::<i32>,
            &None::<bool>,
            &false,
            &None::<&str>,
            &None::<&str>,
        ],
    )
    .await;
    assert!(none.is_none());
    let added = json(
        &c,
        sql::INSERT_DRINK,
        &[
            &"mate",
            &r#"{"en":"Mate","de":"Mate"}"#,
            &true,
            &None::<i32>,
            &None::<&str>,
            &r#"{"de":"Koffeinlimo"}"#,
        ],
    )
    .await;
    let mate = shapes::new_drink(added.as_deref(), "mate").expect("a new drink");
    same_fields("a new drink", &added, "", &mate);
    assert_eq!((mate.name.as_str(), mate.retired), ("Mate", false));
    let again = json(
        &c,
        sql::INSERT_DRINK,
        &[
            &"mate",
            &r#"{"en":"Mate"}"#,
            &true,
            &None::<i32>,
            &None::<&str>,
            &"{}",
        ],
    )
    .await;
    assert!(matches!(
        shapes::new_drink(again.as_deref(), "mate"),
        Err(drinks_core::ApiError::Domain(DomainError::DrinkExists(_)))
    ));
    let retired = json(
        &c,
        sql::UPDATE_DRINK,
        &[
            &"mate",
            &None::<bool>,
            &false,
            &None::<i32>,
            &Some(r#"{"en":"Yerba mate"}"#),
            &Some(5_i32),
            &Some(true),
            &true,
            &Some("cocktail"),
            &Some(r#"{"en":"With ice"}"#),
        ],
    )
    .await;
    let retired = shapes::drink_outcome(retired.as_deref()).expect("retired");
    assert_eq!(
        (retired.name.as_str(), retired.retired),
        ("Yerba mate", true)
    );
    let refused = shapes::place_outcome(
        place(&c, Uuid::new_v4(), "Hal", "mate").await.as_deref(),
        "mate",
    );
    assert!(matches!(
        refused,
        Err(drinks_core::ApiError::Domain(DomainError::DrinkRetired(_)))
    ));
    let sold = shapes::place_outcome(
        place(&c, Uuid::new_v4(), "Bo", "tea").await.as_deref(),
        "tea",
    );
    assert!(sold.is_err(), "sold out");

    let purged = json(&c, sql::PURGE, &[&drinks_core::http::MAX_EPOCH_MS]).await;
    assert_eq!(shapes::purged(purged.as_deref()).expect("purged").purged, 0);

    // The event's settings, and the placements they refuse (with the settings).
    let title = r#"{"en":"Gala","de":"Gala"}"#;
    let update_event = |ordering: Option<&'static str>, busy: Option<Option<i32>>| {
        let c = &c;
        async move {
            json(
                c,
                sql::UPDATE_EVENT,
                &[
                    &Some(title),
                    &None::<&str>,
                    &ordering,
                    &Some(r#"{"en":"Back soon"}"#),
                    &busy.is_some(),
                    &busy.flatten(),
                    &None::<&str>,
                    &None::<i32>,
                    &None::<&str>,
                ],
            )
            .await
        }
    };
    let settings_json = update_event(Some("paused"), None).await;
    let settings = shapes::event_settings(settings_json.as_deref()).expect("settings");
    assert_eq!((settings.version, settings.title.english()), (2, "Gala"));
    same_fields("the event's settings", &settings_json, "", &settings);
    let paused = shapes::place_outcome(
        place(&c, Uuid::new_v4(), "Cy", "water").await.as_deref(),
        "water",
    );
    assert!(
        matches!(&paused, Err(drinks_core::ApiError::Domain(DomainError::OrderingClosed(e))) if e.message.english() == "Back soon"),
        "{paused:?}"
    );
    update_event(Some("open"), Some(Some(1))).await;
    place(&c, Uuid::new_v4(), "Di", "water").await;
    place(&c, Uuid::new_v4(), "Ed", "water").await;
    let busy = shapes::place_outcome(
        place(&c, Uuid::new_v4(), "Fay", "water").await.as_deref(),
        "water",
    );
    assert!(
        matches!(&busy, Err(drinks_core::ApiError::Domain(DomainError::BarBusy(e))) if e.busy_limit == Some(1)),
        "{busy:?}"
    );

    // The ordering key: the bar reads it; an order without it is refused.
    let no_key = json(&c, sql::EVENT_KEY, &[]).await;
    assert_eq!(
        shapes::event_key(no_key.as_deref()).expect("key").order_key,
        None
    );
    let keyed = json(
        &c,
        sql::UPDATE_EVENT,
        &[
            &None::<&str>,
            &None::<&str>,
            &None::<&str>,
            &None::<&str>,
            &true,
            &None::<i32>,
            &Some("new"),
            &Some(4_i32),
            &Some(r#"["zut"]"#),
        ],
    )
    .await;
    let keyed_settings = shapes::event_settings(keyed.as_deref()).expect("settings");
    assert!(keyed_settings.key_required);
    assert_eq!(keyed_settings.ready_dim_minutes, 4);
    same_fields("the settings", &keyed, "", &keyed_settings);
    let words = json(&c, sql::EVENT_WORDS, &[]).await;
    let words_decoded = shapes::event_words(words.as_deref()).expect("words");
    assert_eq!(words_decoded.refused_words, ["zut"]);
    same_fields("the refused words", &words, "", &words_decoded);
    let key_json = json(&c, sql::EVENT_KEY, &[]).await;
    let key = shapes::event_key(key_json.as_deref()).expect("key");
    same_fields("the ordering key", &key_json, "", &key);
    assert_eq!(key.order_key.map(|k| k.len()), Some(16));
    let refused = shapes::place_outcome(
        place(&c, Uuid::new_v4(), "Gus", "water").await.as_deref(),
        "water",
    );
    assert!(
        matches!(
            &refused,
            Err(drinks_core::ApiError::Domain(DomainError::OrderKeyRequired))
        ),
        "{refused:?}"
    );
}

#[tokio::test]
async fn every_read_decodes_into_its_type() {
    let db = TestDatabase::create(true).await;
    let c = db.client().await;
    let ana = Uuid::new_v4();
    let start = shapes::feed_start(json(&c, sql::FEED_START, &[]).await.as_deref())
        .expect("a feed position");
    place(&c, ana, "Ana", "tea").await;

    let board_params = |etags: String| {
        let c = &c;
        async move {
            let waiting = OrderStatus::sql_list(&OrderStatus::WAITING);
            json(c, sql::BOARD, &[&etags, &waiting, &"ready", &100_i64]).await
        }
    };
    let board_json = board_params(String::new()).await;
    let board = shapes::board(board_json.as_deref()).expect("board");
    let shown = board
        .board
        .as_ref()
        .expect("a board for a client without one");
    assert_eq!((shown.total.waiting, shown.orders.len()), (1, 1));
    assert_eq!(shown.orders[0].nickname.as_deref(), Some("Ana"));
    same_fields("the board", &board_json, "/board", shown);
    same_fields(
        "a board order",
        &board_json,
        "/board/orders/0",
        &shown.orders[0],
    );
    // The ETag is the settled feed position: once it stands still, the client that has it
    // gets no board (other tests' transactions may delay settling: poll with a deadline).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let first = shapes::board(board_params(String::new()).await.as_deref()).expect("board");
        let tag = first.etag.trim_matches('"').to_string();
        let again = shapes::board(board_params(tag).await.as_deref()).expect("board");
        if again.etag == first.etag {
            assert_eq!(again.board, None, "the client has it");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the board's ETag never stood still"
        );
    }
    let menu_json = json(&c, sql::MENU, &[]).await;
    let answer = shapes::menu(menu_json.as_deref()).expect("menu");
    let menu = &answer.menu;
    assert!(menu.drinks.iter().any(|d| d.id == "beer" && d.sold_out));
    assert_eq!(answer.etag.len(), 34, "a quoted MD5: {}", answer.etag);
    same_fields("the menu", &menu_json, "/menu", menu);
    same_fields(
        "a menu drink",
        &menu_json,
        "/menu/drinks/0",
        &menu.drinks[0],
    );
    same_fields("the menu's event", &menu_json, "/menu/event", &menu.event);
    let visit_json = json(
        &c,
        sql::VISIT,
        &[
            &String::new(),
            &Some(ana),
            &OrderStatus::sql_list(&OrderStatus::WAITING),
            &10_i64,
            &1_800_000_i64,
            &50_i64,
            &5_i64,
        ],
    )
    .await;
    let visit = shapes::visit(visit_json.as_deref())
        .expect("visit")
        .visit
        .expect("a view for a client without one");
    assert_eq!(
        visit.order.as_ref().map(|o| o.nickname.as_str()),
        Some("Ana")
    );
    assert_eq!((visit.ahead, visit.wait), (Some(0), None));
    assert_eq!(visit.menu, answer.etag, "the menu's version is its ETag");
    same_fields("the visit", &visit_json, "/visit", &visit);
    same_fields(
        "a ticker line",
        &visit_json,
        "/visit/ticker/0",
        &visit.ticker[0],
    );
    let mine = json(&c, sql::MY_ORDERS, &[&ana, &50_i64]).await;
    let orders = shapes::my_orders(mine.as_deref()).expect("mine").orders;
    assert_eq!(orders.len(), 1);
    same_fields("an order", &mine, "/orders/0", &orders[0]);
    let queue = json(
        &c,
        sql::QUEUE,
        &[&open(), &"", &0_i64, &51_i64, &false, &""],
    )
    .await;
    assert_eq!(
        shapes::queue_page(queue.as_deref(), 50)
            .expect("queue")
            .orders
            .len(),
        1
    );
    let export = json(&c, sql::EXPORT_ORDERS_PAGE, &[&0_i64, &0_i64, &10_i64]).await;
    let page = shapes::export_page(export.as_deref()).expect("export");
    assert_eq!((page.orders.len(), page.until), (1, orders[0].id));
    same_fields("an exported order", &export, "/orders/0", &page.orders[0]);
    let after = json(
        &c,
        sql::EXPORT_ORDERS_PAGE,
        &[&page.until, &page.until, &10_i64],
    )
    .await;
    let after = shapes::export_page(after.as_deref()).expect("export");
    assert_eq!((after.orders.len(), after.until), (0, page.until));
    let stats = shapes::stats(json(&c, sql::STATS, &[]).await.as_deref()).expect("stats");
    assert_eq!(stats.per_status.placed, 1);
    assert_eq!(stats.wait.placed_to_ready.count, 0);
    let health = json(&c, sql::HEALTH, &[]).await;
    assert_eq!(
        shapes::applied_migration(health.as_deref()).expect("health"),
        drinks_core::LATEST_MIGRATION
    );

    // Events become visible once every older transaction of the cluster has ended (other
    // tests run beside this one): poll with a deadline.
    let cursor = FeedCursor::decode(&start.next).expect("cursor");
    let deadline = Instant::now() + Duration::from_secs(20);
    let page = loop {
        let after = json(
            &c,
            sql::FEED_AFTER,
            &[
                &cursor.tx_param(),
                &cursor.seq_param(),
                &cursor.skip_param(),
                &100_i64,
            ],
        )
        .await;
        let page = shapes::feed_page(after.as_deref(), &cursor).expect("feed page");
        if !page.events.is_empty() || Instant::now() > deadline {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        page.events.len(),
        1,
        "the placement's event, written by the trigger"
    );
    let tail_json = json(&c, sql::FEED_TAIL, &[&10_i64]).await;
    let tail = shapes::feed_page(tail_json.as_deref(), &FeedCursor::beginning()).expect("tail");
    // feed-fn passes the events through undecoded: here they are decoded into their type.
    let events = typed(&tail.events);
    assert_eq!(events, typed(&page.events));
    same_fields("an order event", &tail_json, "/events/0/event", &events[0]);
    let order = events[0].order.as_ref().expect("an order event");
    same_fields(
        "an event's order",
        &tail_json,
        "/events/0/event/order",
        order,
    );

    // Hiding the name: the order says so, the board and the feed show no nickname.
    let ana_id = order.id;
    let hidden_json = json(&c, sql::SET_NAME_HIDDEN, &[&ana_id, &true]).await;
    let hidden = shapes::name_hidden_outcome(hidden_json.as_deref()).expect("hidden");
    assert!(hidden.name_hidden && hidden.nickname == "Ana");
    same_fields("a hidden order", &hidden_json, "", &hidden);
    let board = shapes::board(board_params(String::new()).await.as_deref()).expect("board");
    assert_eq!(board.board.expect("a board").orders[0].nickname, None);
    let missing = json(&c, sql::SET_NAME_HIDDEN, &[&(ana_id + 100), &true]).await;
    assert!(shapes::name_hidden_outcome(missing.as_deref()).is_err());

    let tail = json(&c, sql::FEED_TAIL, &[&10_i64]).await;
    let tail = shapes::feed_page(tail.as_deref(), &FeedCursor::beginning()).expect("tail");
    let placed = &typed(&tail.events)[0];
    let placed = placed.order.as_ref().expect("an order event");
    assert_eq!(
        (placed.nickname.as_deref(), placed.name_hidden),
        (None, true)
    );
}

#[tokio::test]
async fn every_change_of_an_order_or_a_drink_writes_its_event_even_outside_the_functions() {
    let db = TestDatabase::create(true).await;
    let c = db.client().await;
    let count = |kind: &'static str| {
        let c = &c;
        async move {
            c.query_one(
                "select count(*) from order_events where kind = $1",
                &[&kind],
            )
            .await
            .expect("count")
            .get::<_, i64>(0)
        }
    };
    c.batch_execute(
        "insert into orders (visitor_id, nickname, drink_id)
             values ('6f1c2a52-8a7e-4b8e-9d43-2a0f7c3b5e10', 'Ana', 'tea');
         update orders set nickname = 'Anna', version = version + 1;
         update orders set status = 'preparing', preparing_at = now(), version = version + 1;
         update orders set status = 'cancelled', cancelled_at = now(), version = version + 1;
         update drinks set stock = 3 where id = 'tea';
         update drinks set updated_at = now() where id = 'water';",
    )
    .await
    .expect("plain writes");
    assert_eq!(count("placed").await, 1);
    assert_eq!(count("changed").await, 1);
    assert_eq!(count("status").await, 1);
    assert_eq!(count("cancelled").await, 1);
    assert_eq!(
        count("drink").await,
        1,
        "touching a drink without a change is no event"
    );
}

/// The property names of a schema of docs/openapi.yaml, and the required ones.
fn spec_fields(spec: &serde_json::Value, schema: &str) -> (Vec<String>, Vec<String>) {
    let s = &spec["components"]["schemas"][schema];
    assert!(s.is_object(), "docs/openapi.yaml has no schema {schema}");
    let mut properties: Vec<String> = s["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("{schema} has properties"))
        .keys()
        .cloned()
        .collect();
    properties.sort();
    let mut required: Vec<String> = s["required"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    required.sort();
    (properties, required)
}

/// Feed events (passed through as PostgreSQL built them) decoded into the API's type, which
/// refuses unknown fields.
fn typed(events: &[Box<serde_json::value::RawValue>]) -> Vec<FeedEvent> {
    let typed = events.iter().map(|e| shapes::decode::<FeedEvent>(e.get()));
    typed
        .collect::<Result<_, _>>()
        .expect("every event is a FeedEvent")
}

fn keys(value: &impl serde::Serialize) -> Vec<String> {
    let mut keys: Vec<String> = serde_json::to_value(value)
        .expect("serializes")
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

/// The Rust types that decode what PostgreSQL builds are the ones the spec documents: every
/// field on both sides, and every field the spec requires is one the type always has.
#[test]
fn the_decoded_types_and_the_openapi_schemas_have_the_same_fields() {
    use drinks_core::api::{
        BatchConflict, BatchOutcome, Board, BoardOrder, BoardTotals, EventDrink, EventKind,
        EventOrder, Menu, MenuItem, MyOrders, Purged, RecentWait, TickerLine, Visit,
    };
    use drinks_core::event::{EventSettings, Texts};
    let text = std::fs::read_to_string(e2e::workspace_root().join("docs/openapi.yaml"))
        .expect("docs/openapi.yaml");
    let spec: serde_json::Value = serde_norway::from_str(&text).expect("the spec is YAML");
    let order = drinks_core::Order {
        id: 1,
        number: 1,
        nickname: "Ana".into(),
        name_hidden: false,
        drink: "tea".into(),
        status: OrderStatus::Served,
        version: 5,
        created_at: 1,
        updated_at: 5,
        placed_at: 1,
        preparing_at: Some(2),
        ready_at: Some(3),
        served_at: Some(4),
        cancelled_at: Some(5),
        cancelled_by: None,
        cancel_reason: None,
    };
    let drink = MenuItem {
        id: "tea".into(),
        name: "Tea".into(),
        names: Texts::default(),
        description: Texts::default(),
        available: true,
        stock: Some(1),
        sold_out: false,
        retired: false,
        position: 10,
        icon: Some("tea".into()),
        picture: Some("/api/pictures/x".into()),
    };
    let event_order = EventOrder {
        id: 1,
        number: 1,
        nickname: Some("Ana".into()),
        name_hidden: false,
        drink: "tea".into(),
        status: OrderStatus::Placed,
        version: 1,
    };
    let board_order = BoardOrder {
        id: 1,
        number: 1,
        nickname: None,
        drink: "tea".into(),
        status: OrderStatus::Ready,
        since: 1,
        version: 3,
    };
    let ticker_line = TickerLine {
        id: 1,
        number: 1,
        nickname: None,
        drink: "tea".into(),
        at: 1,
    };
    let wait = RecentWait {
        median_ms: 1,
        samples: 5,
    };
    let event_drink = EventDrink {
        id: "tea".into(),
        available: true,
        stock: None,
        sold_out: false,
    };
    let settings = EventSettings {
        title: Texts::default(),
        welcome: Texts::default(),
        ordering: drinks_core::event::Ordering::Open,
        message: Texts::default(),
        busy_limit: None,
        key_required: false,
        ready_dim_minutes: 5,
        version: 1,
        updated_at: 1,
    };
    let event = FeedEvent {
        kind: EventKind::Placed,
        at: 1,
        order: Some(event_order.clone()),
        drink: Some(event_drink.clone()),
    };
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("Order", keys(&order)),
        ("Drink", keys(&drink)),
        ("EventOrder", keys(&event_order)),
        ("EventDrink", keys(&event_drink)),
        ("FeedEvent", keys(&event)),
        (
            "Menu",
            keys(&Menu {
                drinks: vec![],
                event: settings.clone(),
            }),
        ),
        ("EventSettings", keys(&settings)),
        (
            "EventKey",
            keys(&drinks_core::event::EventKey { order_key: None }),
        ),
        ("MyOrders", keys(&MyOrders { orders: vec![] })),
        ("Purged", keys(&Purged { purged: 0 })),
        ("BoardOrder", keys(&board_order)),
        (
            "Board",
            keys(&Board {
                now: 1,
                ready_dim_minutes: 5,
                total: BoardTotals {
                    waiting: 1,
                    ready: 0,
                },
                orders: vec![board_order.clone()],
            }),
        ),
        ("TickerLine", keys(&ticker_line)),
        ("RecentWait", keys(&wait)),
        (
            "Visit",
            keys(&Visit {
                now: 1,
                order: Some(order.clone()),
                ahead: Some(2),
                wait: Some(wait),
                ticker: vec![ticker_line.clone()],
                menu: "\"0\"".into(),
            }),
        ),
        (
            "EventWords",
            keys(&drinks_core::moderation::EventWords {
                refused_words: vec![],
            }),
        ),
        (
            "BatchOutcome",
            keys(&BatchOutcome {
                moved: vec![],
                conflicts: vec![],
            }),
        ),
        (
            "BatchConflict",
            keys(&BatchConflict {
                id: 1,
                kind: "/problems/order-not-found".into(),
                detail: String::new(),
                order: None,
            }),
        ),
    ];
    for (schema, fields) in cases {
        let (properties, required) = spec_fields(&spec, schema);
        assert_eq!(
            fields, properties,
            "{schema}: the Rust type and the spec differ"
        );
        for r in &required {
            assert!(fields.contains(r), "{schema}: the spec requires {r}");
        }
    }
}

#[tokio::test]
async fn the_push_statements_hand_the_subscription_only_to_a_change_to_ready() {
    let db = TestDatabase::create(true).await;
    let c = db.client().await;
    let ana = Uuid::new_v4();
    let placed = shapes::place_outcome(place(&c, ana, "Ana", "tea").await.as_deref(), "tea");
    let Ok(Placed::Created(order)) = placed else {
        panic!("expected a new order, got {placed:?}");
    };
    let endpoint = "https://fcm.googleapis.com/fcm/send/x";
    let save = |visitor: Uuid| {
        let c = &c;
        async move {
            json(
                c,
                sql::SAVE_PUSH_SUBSCRIPTION,
                &[&order.id, &visitor, &open(), &endpoint, &"p256dh", &"auth"],
            )
            .await
        }
    };
    assert!(shapes::push_saved(save(Uuid::new_v4()).await.as_deref()).is_err());
    shapes::push_saved(save(ana).await.as_deref()).expect("stored");

    let notifying = |to: OrderStatus, version: i32| {
        let c = &c;
        async move {
            let from = OrderStatus::sql_list(&OrderStatus::reachable_from(to));
            let got = json(
                c,
                sql::SET_STATUS_NOTIFYING,
                &[
                    &order.id,
                    &to.as_str(),
                    &version,
                    &from,
                    &push::NOTIFY_ON.as_str(),
                    &None::<String>,
                ],
            )
            .await;
            (got.clone(), shapes::status_notifying(got.as_deref(), to))
        }
    };
    let (_, preparing) = notifying(OrderStatus::Preparing, 1).await;
    let (preparing, none) = preparing.expect("moved on");
    assert_eq!((preparing.status, none), (OrderStatus::Preparing, None));
    let (_, stale) = notifying(OrderStatus::Ready, 1).await;
    assert!(stale.is_err(), "a stale change hands nothing over");
    let (answer, ready) = notifying(OrderStatus::Ready, 2).await;
    let (ready, subscription) = ready.expect("moved on");
    assert_eq!(ready.status, OrderStatus::Ready);
    let subscription = subscription.expect("the subscription");
    assert_eq!(subscription.endpoint, endpoint);
    same_fields("SET_STATUS_NOTIFYING", &answer, "/push", &subscription);
    same_fields("SET_STATUS_NOTIFYING", &answer, "/written/order", &ready);

    let recorded = json(
        &c,
        sql::RECORD_PUSH,
        &[&order.id, &endpoint, &false, &"delivered 201"],
    )
    .await;
    assert_eq!(recorded.as_deref(), Some(r#"{"recorded" : 1}"#));
    let gone = json(
        &c,
        sql::RECORD_PUSH,
        &[&order.id, &endpoint, &true, &"gone 410"],
    )
    .await;
    assert_eq!(gone.as_deref(), Some(r#"{"recorded" : 1}"#));
    let deleted = json(&c, sql::DELETE_PUSH_SUBSCRIPTION, &[&order.id, &ana]).await;
    assert_eq!(deleted.as_deref(), Some(r#"{"deleted" : 0}"#));
}

#[tokio::test]
async fn a_batch_hands_over_the_subscriptions_of_exactly_the_orders_it_moved_to_ready() {
    let db = TestDatabase::create(true).await;
    let c = db.client().await;
    let mut orders = Vec::new();
    for name in ["Ana", "Ben"] {
        let visitor = Uuid::new_v4();
        let placed = shapes::place_outcome(place(&c, visitor, name, "tea").await.as_deref(), "tea");
        let Ok(Placed::Created(order)) = placed else {
            panic!("expected a new order, got {placed:?}");
        };
        orders.push((order, visitor));
    }
    // Only Ana's order has a subscription.
    let (ana, ana_visitor) = &orders[0];
    let endpoint = "https://fcm.googleapis.com/fcm/send/batch";
    let saved = json(
        &c,
        sql::SAVE_PUSH_SUBSCRIPTION,
        &[&ana.id, ana_visitor, &open(), &endpoint, &"p256dh", &"auth"],
    )
    .await;
    shapes::push_saved(saved.as_deref()).expect("stored");

    let batch = |to: &str, version: i32| {
        let c = &c;
        let body = serde_json::json!({"changes": orders
            .iter()
            .map(|(o, _)| serde_json::json!({"id": o.id, "status": to, "version": version}))
            .collect::<Vec<_>>()});
        async move {
            let asked = drinks_core::api::StatusChanges::from_json(body.to_string().as_bytes())
                .expect("a valid batch");
            let param = asked.changes_param().expect("the changes as JSON");
            let got = json(
                c,
                sql::SET_STATUSES_NOTIFYING,
                &[&param, &push::NOTIFY_ON.as_str()],
            )
            .await;
            (got.clone(), shapes::batch_notifying(got.as_deref(), &asked))
        }
    };
    let (_, started) = batch("preparing", 1).await;
    let (started, none) = started.expect("a batch outcome");
    assert_eq!((started.moved.len(), none.len()), (2, 0));
    let (_, stale) = batch("ready", 1).await;
    let (stale, none) = stale.expect("a batch outcome");
    assert_eq!(
        (stale.moved.len(), none.len()),
        (0, 0),
        "stale: nothing moved"
    );
    let (answer, ready) = batch("ready", 2).await;
    let (ready, notify) = ready.expect("a batch outcome");
    assert_eq!(ready.moved.len(), 2);
    assert_eq!(notify.len(), 1, "{answer:?}");
    assert_eq!(notify[0].0.id, ana.id);
    assert_eq!(notify[0].0.status, OrderStatus::Ready);
    assert_eq!(notify[0].1.endpoint, endpoint);
}
