//! Turning result rows of the statements in `sql` into API values and domain outcomes.
//!
//! Components convert each database value into a [`Cell`] (a spin-free mirror of pg4's
//! `DbValue`) and hand whole rows to these functions, which read them by position.

use crate::api::{
    EventDrink, EventKind, EventOrder, FeedEvent, FeedPage, Menu, MenuItem, MyOrders, Order,
    Purged, QueuePage,
};
use crate::cursor::{FeedCursor, PageCursor};
use crate::domain::OrderStatus;
use crate::problem::ApiError;
use crate::sql::EVENT_COLUMNS;
use crate::stats::{self, DrinkStats, MinuteCount, StatusCounts, WaitStats, Waits};

/// How many columns an order takes in a result row (see `sql`).
pub const ORDER_COLUMNS: usize = 13;

/// One database value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Bool(bool),
    I32(i32),
    I64(i64),
    Text(String),
    /// A type these statements never return; carries a description for the error.
    Other(String),
}

fn shape(what: &str) -> ApiError {
    ApiError::Internal(format!("unexpected result shape: {what}"))
}

fn at(row: &[Cell], i: usize) -> Result<&Cell, ApiError> {
    row.get(i).ok_or_else(|| shape(&format!("no column {i}")))
}

fn text(row: &[Cell], i: usize) -> Result<&str, ApiError> {
    match at(row, i)? {
        Cell::Text(s) => Ok(s),
        other => Err(shape(&format!("column {i}: expected text, got {other:?}"))),
    }
}

fn opt_text(row: &[Cell], i: usize) -> Result<Option<&str>, ApiError> {
    match at(row, i)? {
        Cell::Null => Ok(None),
        _ => text(row, i).map(Some),
    }
}

fn int8(row: &[Cell], i: usize) -> Result<i64, ApiError> {
    opt_int8(row, i)?.ok_or_else(|| shape(&format!("column {i}: unexpected null")))
}

fn opt_int8(row: &[Cell], i: usize) -> Result<Option<i64>, ApiError> {
    match at(row, i)? {
        Cell::Null => Ok(None),
        Cell::I64(n) => Ok(Some(*n)),
        other => Err(shape(&format!("column {i}: expected int8, got {other:?}"))),
    }
}

fn opt_int4(row: &[Cell], i: usize) -> Result<Option<i32>, ApiError> {
    match at(row, i)? {
        Cell::Null => Ok(None),
        Cell::I32(n) => Ok(Some(*n)),
        other => Err(shape(&format!("column {i}: expected int4, got {other:?}"))),
    }
}

fn int4(row: &[Cell], i: usize) -> Result<i32, ApiError> {
    opt_int4(row, i)?.ok_or_else(|| shape(&format!("column {i}: unexpected null")))
}

fn opt_bool(row: &[Cell], i: usize) -> Result<Option<bool>, ApiError> {
    match at(row, i)? {
        Cell::Null => Ok(None),
        Cell::Bool(b) => Ok(Some(*b)),
        other => Err(shape(&format!("column {i}: expected bool, got {other:?}"))),
    }
}

fn status(raw: &str) -> Result<OrderStatus, ApiError> {
    OrderStatus::parse(raw).map_err(|e| shape(&e.to_string()))
}

/// The thirteen order columns starting at `start`; `None` when the order id is null.
pub fn order_at(row: &[Cell], start: usize) -> Result<Option<Order>, ApiError> {
    if matches!(at(row, start)?, Cell::Null) {
        return Ok(None);
    }
    Ok(Some(Order {
        id: int8(row, start)?,
        number: int4(row, start + 1)?,
        nickname: text(row, start + 2)?.to_owned(),
        drink: text(row, start + 3)?.to_owned(),
        status: status(text(row, start + 4)?)?,
        version: int4(row, start + 5)?,
        created_at: int8(row, start + 6)?,
        updated_at: int8(row, start + 7)?,
        placed_at: int8(row, start + 8)?,
        preparing_at: opt_int8(row, start + 9)?,
        ready_at: opt_int8(row, start + 10)?,
        served_at: opt_int8(row, start + 11)?,
        cancelled_at: opt_int8(row, start + 12)?,
    }))
}

fn required_order(row: &[Cell], start: usize) -> Result<Order, ApiError> {
    order_at(row, start)?.ok_or_else(|| shape("order columns are null"))
}

fn single_row(rows: &[Vec<Cell>]) -> Result<&[Cell], ApiError> {
    match rows {
        [row] => Ok(row),
        _ => Err(shape(&format!("expected one row, got {}", rows.len()))),
    }
}

/// Successful outcomes of `PLACE_ORDER`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placed {
    /// A new order (201).
    Created(Order),
    /// The visitor's `placed` order was changed (200).
    Changed(Order),
    /// The request was seen before; nothing written (200).
    Replayed(Order),
}

/// Reads the single row of [`crate::sql::PLACE_ORDER`].
pub fn place_outcome(rows: &[Vec<Cell>], drink: &str) -> Result<Placed, ApiError> {
    let row = single_row(rows)?;
    match text(row, 0)? {
        "placed" => Ok(Placed::Created(required_order(row, 1)?)),
        "changed" => Ok(Placed::Changed(required_order(row, 1)?)),
        "replay" => Ok(Placed::Replayed(required_order(row, 1)?)),
        "request_reused" => Err(ApiError::RequestIdReused),
        "unknown_drink" => Err(ApiError::UnknownDrink(drink.to_owned())),
        "sold_out" => Err(ApiError::SoldOut(drink.to_owned())),
        "locked" => Err(ApiError::OrderLocked(Box::new(required_order(row, 1)?))),
        other => Err(shape(&format!("unknown place action {other:?}"))),
    }
}

/// Reads the single row of [`crate::sql::CANCEL_ORDER`]: the cancelled order (also when it
/// already was cancelled), or the reason it cannot be.
pub fn cancel_outcome(rows: &[Vec<Cell>]) -> Result<Order, ApiError> {
    let row = single_row(rows)?;
    match text(row, 0)? {
        "cancelled" | "already_cancelled" => required_order(row, 1),
        "not_found" => Err(ApiError::OrderNotFound),
        "locked" => {
            let order = required_order(row, 1)?;
            if order.status.is_open() {
                Err(ApiError::OrderLocked(Box::new(order)))
            } else {
                Err(ApiError::OrderClosed(Box::new(order)))
            }
        }
        other => Err(shape(&format!("unknown cancel action {other:?}"))),
    }
}

/// Reads the single row of [`crate::sql::SET_STATUS`]: the changed order, or why not.
/// `to` is the status that was asked for.
pub fn status_outcome(rows: &[Vec<Cell>], to: OrderStatus) -> Result<Order, ApiError> {
    let row = single_row(rows)?;
    match text(row, 0)? {
        "changed" => required_order(row, 1),
        "not_found" => Err(ApiError::OrderNotFound),
        "stale" => Err(ApiError::VersionConflict(Box::new(required_order(row, 1)?))),
        "illegal" => Err(ApiError::IllegalTransition {
            order: Box::new(required_order(row, 1)?),
            to,
        }),
        other => Err(shape(&format!("unknown status action {other:?}"))),
    }
}

fn drink(row: &[Cell]) -> Result<MenuItem, ApiError> {
    let available = opt_bool(row, 2)?.ok_or_else(|| shape("available is null"))?;
    let stock = opt_int4(row, 3)?;
    Ok(MenuItem {
        id: text(row, 0)?.to_owned(),
        name: text(row, 1)?.to_owned(),
        available,
        stock,
        sold_out: !available || stock == Some(0),
    })
}

/// Rows of [`crate::sql::MENU`].
pub fn menu(rows: &[Vec<Cell>]) -> Result<Menu, ApiError> {
    let drinks = rows
        .iter()
        .map(|row| drink(row))
        .collect::<Result<_, _>>()?;
    Ok(Menu { drinks })
}

/// Rows of [`crate::sql::UPDATE_DRINK`]: the drink as it is now; no row = no such drink.
pub fn drink_outcome(rows: &[Vec<Cell>]) -> Result<MenuItem, ApiError> {
    match rows {
        [] => Err(ApiError::DrinkNotFound),
        [row] => drink(row),
        _ => Err(shape(&format!(
            "expected at most one drink, got {}",
            rows.len()
        ))),
    }
}

/// Rows of [`crate::sql::EXPORT_ORDERS`].
pub fn orders(rows: &[Vec<Cell>]) -> Result<Vec<Order>, ApiError> {
    rows.iter().map(|row| required_order(row, 0)).collect()
}

/// The single row of [`crate::sql::PURGE`].
pub fn purged(rows: &[Vec<Cell>]) -> Result<Purged, ApiError> {
    Ok(Purged {
        purged: int8(single_row(rows)?, 0)?,
    })
}

/// Rows of [`crate::sql::STATS`], shaped for the bar's charts.
pub fn stats(rows: &[Vec<Cell>]) -> Result<stats::Stats, ApiError> {
    let mut generated_at = None;
    let mut per_status = StatusCounts::default();
    // (menu position, drink stats), in the order the drinks first appear.
    let mut drinks: Vec<(i64, DrinkStats)> = Vec::new();
    let mut minutes = Vec::new();
    let mut wait = Waits::default();
    for row in rows {
        match text(row, 0)? {
            "now" => generated_at = Some(int8(row, 4)?),
            "drink" => {
                let id = text(row, 1)?;
                let position = int8(row, 3)?;
                let index = match drinks.iter().position(|(_, d)| d.drink == id) {
                    Some(i) => i,
                    None => {
                        drinks.push((
                            position,
                            DrinkStats {
                                drink: id.to_owned(),
                                total: 0,
                                per_status: StatusCounts::default(),
                            },
                        ));
                        drinks.len() - 1
                    }
                };
                // A drink without orders comes with a null status and a count of 0.
                if let Some(raw) = opt_text(row, 2)? {
                    let s = status(raw)?;
                    let n = int8(row, 4)?;
                    if let Some((_, d)) = drinks.get_mut(index) {
                        d.per_status.add(s, n);
                        d.total = d.per_status.total();
                    }
                    per_status.add(s, n);
                }
            }
            "minute" => minutes.push(MinuteCount {
                minute: int8(row, 4)?,
                orders: int8(row, 5)?,
            }),
            "wait" => {
                let w = WaitStats {
                    count: int8(row, 4)?,
                    median_ms: opt_int8(row, 5)?,
                    p90_ms: opt_int8(row, 6)?,
                };
                match text(row, 1)? {
                    "placed_to_ready" => wait.placed_to_ready = w,
                    "ready_to_served" => wait.ready_to_served = w,
                    other => return Err(shape(&format!("unknown wait {other:?}"))),
                }
            }
            other => return Err(shape(&format!("unknown stats row {other:?}"))),
        }
    }
    drinks.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.drink.cmp(&b.1.drink)));
    Ok(stats::Stats {
        generated_at: generated_at.ok_or_else(|| shape("stats without the clock row"))?,
        per_status,
        per_drink: drinks.into_iter().map(|(_, d)| d).collect(),
        per_minute: stats::per_minute(minutes),
        wait,
    })
}

/// Rows of [`crate::sql::MY_ORDERS`].
pub fn my_orders(rows: &[Vec<Cell>]) -> Result<MyOrders, ApiError> {
    let orders = rows
        .iter()
        .map(|row| required_order(row, 0))
        .collect::<Result<_, _>>()?;
    Ok(MyOrders { orders })
}

/// Rows of [`crate::sql::QUEUE`], fetched with `page_size + 1` as the limit.
pub fn queue_page(rows: &[Vec<Cell>], page_size: usize) -> Result<QueuePage, ApiError> {
    let first = rows
        .first()
        .ok_or_else(|| shape("queue returned no rows"))?;
    let feed = FeedCursor::from_snapshot(text(first, 0)?, text(first, 1)?)
        .map_err(|_| shape("bad snapshot position"))?;
    let mut orders = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(order) = order_at(row, 2)? {
            orders.push(order);
        }
    }
    let next = if orders.len() > page_size {
        orders.truncate(page_size);
        orders.last().map(|o| PageCursor { last_id: o.id }.encode())
    } else {
        None
    };
    Ok(QueuePage {
        orders,
        next,
        feed: feed.encode(),
    })
}

/// The single row of [`crate::sql::FEED_START`].
pub fn feed_start(rows: &[Vec<Cell>]) -> Result<FeedPage, ApiError> {
    let row = single_row(rows)?;
    let cursor = FeedCursor::from_snapshot(text(row, 0)?, text(row, 1)?)
        .map_err(|_| shape("bad snapshot position"))?;
    Ok(FeedPage {
        events: Vec::new(),
        next: cursor.encode(),
    })
}

/// Rows of [`crate::sql::FEED_AFTER`] (or [`crate::sql::FEED_TAIL`] with `after` =
/// [`FeedCursor::beginning`]): the events and the cursor after the last one.
pub fn feed_page(rows: &[Vec<Cell>], after: &FeedCursor) -> Result<FeedPage, ApiError> {
    let mut cursor = after.clone();
    let mut events = Vec::with_capacity(rows.len());
    for row in rows {
        if row.len() != EVENT_COLUMNS {
            return Err(shape(&format!("event row has {} columns", row.len())));
        }
        cursor = cursor
            .after_event(text(row, 0)?, int8(row, 1)?)
            .map_err(|_| shape("bad event position"))?;
        events.push(event(row)?);
    }
    Ok(FeedPage {
        events,
        next: cursor.encode(),
    })
}

fn event(row: &[Cell]) -> Result<FeedEvent, ApiError> {
    let kind = EventKind::parse(text(row, 2)?).ok_or_else(|| shape("unknown event kind"))?;
    let drink_id = text(row, 6)?.to_owned();
    let at = int8(row, 11)?;
    if kind == EventKind::Drink {
        return Ok(FeedEvent {
            kind,
            at,
            order: None,
            drink: Some(EventDrink {
                id: drink_id,
                available: opt_bool(row, 9)?
                    .ok_or_else(|| shape("drink event without available"))?,
                stock: opt_int4(row, 10)?,
            }),
        });
    }
    let nickname = opt_text(row, 5)?.ok_or_else(|| shape("order event without nickname"))?;
    let status_text = opt_text(row, 7)?.ok_or_else(|| shape("order event without status"))?;
    Ok(FeedEvent {
        kind,
        at,
        order: Some(EventOrder {
            id: int8(row, 3)?,
            number: int4(row, 4)?,
            nickname: nickname.to_owned(),
            drink: drink_id,
            status: status(status_text)?,
            version: int4(row, 8)?,
        }),
        drink: None,
    })
}

/// The single row of [`crate::sql::HEALTH`]: the highest applied migration.
pub fn applied_migration(rows: &[Vec<Cell>]) -> Result<i64, ApiError> {
    int8(single_row(rows)?, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    fn order_cells(id: i64, status: &str) -> Vec<Cell> {
        vec![
            Cell::I64(id),
            Cell::I32(id as i32),
            t("Ana"),
            t("tea"),
            t(status),
            Cell::I32(1),
            Cell::I64(1000),
            Cell::I64(2000),
            Cell::I64(1000),
            Cell::I64(1500),
            Cell::Null,
            Cell::Null,
            Cell::Null,
        ]
    }

    fn with_action(action: &str, order: Option<Vec<Cell>>) -> Vec<Vec<Cell>> {
        let mut row = vec![t(action)];
        row.extend(order.unwrap_or_else(|| vec![Cell::Null; ORDER_COLUMNS]));
        vec![row]
    }

    #[test]
    fn order_columns_include_the_status_times() {
        let o = order_at(&order_cells(3, "preparing"), 0).unwrap().unwrap();
        assert_eq!(o.placed_at, 1000);
        assert_eq!(o.preparing_at, Some(1500));
        assert_eq!(
            (o.ready_at, o.served_at, o.cancelled_at),
            (None, None, None)
        );
        assert_eq!(order_cells(3, "placed").len(), ORDER_COLUMNS);
    }

    #[test]
    fn status_actions_map_to_the_order_or_a_conflict() {
        use OrderStatus::*;
        let changed = status_outcome(
            &with_action("changed", Some(order_cells(3, "ready"))),
            Ready,
        );
        assert_eq!(changed.unwrap().status, Ready);
        assert!(matches!(
            status_outcome(&with_action("not_found", None), Ready),
            Err(ApiError::OrderNotFound)
        ));
        assert!(matches!(
            status_outcome(&with_action("stale", Some(order_cells(3, "preparing"))), Ready),
            Err(ApiError::VersionConflict(o)) if o.status == Preparing
        ));
        assert!(matches!(
            status_outcome(&with_action("illegal", Some(order_cells(3, "served"))), Cancelled),
            Err(ApiError::IllegalTransition { order, to: Cancelled }) if order.status == Served
        ));
        assert!(
            status_outcome(&with_action("stale", None), Ready)
                .unwrap_err()
                .is_internal()
        );
        assert!(
            status_outcome(&with_action("odd", None), Ready)
                .unwrap_err()
                .is_internal()
        );
    }

    #[test]
    fn updated_drink_is_returned_and_a_missing_one_is_404() {
        let d =
            drink_outcome(&[vec![t("beer"), t("Beer"), Cell::Bool(true), Cell::I32(0)]]).unwrap();
        assert_eq!(
            (d.id.as_str(), d.stock, d.sold_out),
            ("beer", Some(0), true)
        );
        assert!(matches!(drink_outcome(&[]), Err(ApiError::DrinkNotFound)));
    }

    #[test]
    fn purge_reads_the_count() {
        assert_eq!(purged(&[vec![Cell::I64(4)]]).unwrap().purged, 4);
        assert!(purged(&[]).unwrap_err().is_internal());
    }

    fn stats_row(
        kind: &str,
        label: Option<&str>,
        status: Option<&str>,
        n: [Option<i64>; 4],
    ) -> Vec<Cell> {
        let opt_t = |v: Option<&str>| v.map(t).unwrap_or(Cell::Null);
        let opt_i = |v: Option<i64>| v.map(Cell::I64).unwrap_or(Cell::Null);
        vec![
            t(kind),
            opt_t(label),
            opt_t(status),
            opt_i(n[0]),
            opt_i(n[1]),
            opt_i(n[2]),
            opt_i(n[3]),
        ]
    }

    #[test]
    fn stats_rows_are_shaped_for_the_charts() {
        let minute = 1_795_240_260_000;
        let rows = vec![
            stats_row("now", None, None, [Some(0), Some(99), None, None]),
            stats_row(
                "drink",
                Some("water"),
                Some("placed"),
                [Some(40), Some(2), None, None],
            ),
            stats_row(
                "drink",
                Some("tea"),
                Some("served"),
                [Some(30), Some(3), None, None],
            ),
            stats_row(
                "drink",
                Some("tea"),
                Some("placed"),
                [Some(30), Some(1), None, None],
            ),
            stats_row("drink", Some("beer"), None, [Some(60), Some(0), None, None]),
            stats_row(
                "minute",
                None,
                None,
                [Some(0), Some(minute + 120_000), Some(2), None],
            ),
            stats_row("minute", None, None, [Some(0), Some(minute), Some(4), None]),
            stats_row(
                "wait",
                Some("placed_to_ready"),
                None,
                [Some(0), Some(3), Some(60_000), Some(90_000)],
            ),
            stats_row(
                "wait",
                Some("ready_to_served"),
                None,
                [Some(0), Some(0), None, None],
            ),
        ];
        let s = stats(&rows).unwrap();
        assert_eq!(s.generated_at, 99);
        assert_eq!((s.per_status.placed, s.per_status.served), (3, 3));
        assert_eq!(s.per_status.total(), 6);
        let drinks: Vec<(&str, i64)> = s
            .per_drink
            .iter()
            .map(|d| (d.drink.as_str(), d.total))
            .collect();
        assert_eq!(drinks, [("tea", 4), ("water", 2), ("beer", 0)]);
        assert_eq!(s.per_drink[0].per_status.served, 3);
        let per_minute: Vec<i64> = s.per_minute.iter().map(|m| m.orders).collect();
        assert_eq!(per_minute, [4, 0, 2]);
        assert_eq!(s.wait.placed_to_ready.median_ms, Some(60_000));
        assert_eq!(s.wait.placed_to_ready.p90_ms, Some(90_000));
        assert_eq!(s.wait.ready_to_served, WaitStats::default());
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["per_status"]["cancelled"], 0);
        assert_eq!(
            json["wait"]["ready_to_served"]["median_ms"],
            serde_json::Value::Null
        );
    }

    #[test]
    fn stats_without_the_clock_row_or_with_odd_rows_are_internal_errors() {
        assert!(stats(&[]).unwrap_err().is_internal());
        let odd = vec![stats_row("nope", None, None, [Some(0), None, None, None])];
        assert!(stats(&odd).unwrap_err().is_internal());
    }

    #[test]
    fn placed_row_becomes_a_created_order() {
        let out = place_outcome(
            &with_action("placed", Some(order_cells(3, "placed"))),
            "tea",
        );
        match out {
            Ok(Placed::Created(o)) => {
                assert_eq!(o.id, 3);
                assert_eq!(o.status, OrderStatus::Placed);
                assert_eq!(o.created_at, 1000);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn place_actions_map_to_domain_errors() {
        let tea = "tea";
        assert!(matches!(
            place_outcome(&with_action("sold_out", None), tea),
            Err(ApiError::SoldOut(d)) if d == "tea"
        ));
        assert!(matches!(
            place_outcome(&with_action("unknown_drink", None), tea),
            Err(ApiError::UnknownDrink(_))
        ));
        assert!(matches!(
            place_outcome(&with_action("request_reused", None), tea),
            Err(ApiError::RequestIdReused)
        ));
        assert!(matches!(
            place_outcome(&with_action("locked", Some(order_cells(3, "preparing"))), tea),
            Err(ApiError::OrderLocked(o)) if o.status == OrderStatus::Preparing
        ));
        assert!(matches!(
            place_outcome(&with_action("replay", Some(order_cells(3, "placed"))), tea),
            Ok(Placed::Replayed(_))
        ));
    }

    #[test]
    fn unexpected_rows_are_internal_errors_not_panics() {
        assert!(place_outcome(&[], "tea").unwrap_err().is_internal());
        assert!(
            place_outcome(&with_action("weird", None), "tea")
                .unwrap_err()
                .is_internal()
        );
        assert!(
            place_outcome(&with_action("placed", None), "tea")
                .unwrap_err()
                .is_internal()
        );
        assert!(
            place_outcome(&[vec![Cell::I32(1)]], "tea")
                .unwrap_err()
                .is_internal()
        );
        let mut bad = with_action("placed", Some(order_cells(3, "placed")));
        bad[0][5] = t("delivered");
        assert!(place_outcome(&bad, "tea").unwrap_err().is_internal());
    }

    #[test]
    fn cancel_of_a_served_order_is_a_conflict() {
        assert!(matches!(
            cancel_outcome(&with_action("locked", Some(order_cells(3, "served")))),
            Err(ApiError::OrderClosed(_))
        ));
        assert!(matches!(
            cancel_outcome(&with_action("locked", Some(order_cells(3, "ready")))),
            Err(ApiError::OrderLocked(_))
        ));
        assert!(matches!(
            cancel_outcome(&with_action("not_found", None)),
            Err(ApiError::OrderNotFound)
        ));
        assert_eq!(
            cancel_outcome(&with_action(
                "already_cancelled",
                Some(order_cells(3, "cancelled"))
            ))
            .unwrap()
            .status,
            OrderStatus::Cancelled
        );
    }

    #[test]
    fn menu_marks_switched_off_and_empty_drinks_sold_out() {
        let rows = vec![
            vec![t("tea"), t("Tea"), Cell::Bool(true), Cell::Null],
            vec![t("water"), t("Water"), Cell::Bool(true), Cell::I32(0)],
            vec![t("beer"), t("Beer"), Cell::Bool(false), Cell::I32(5)],
        ];
        let m = menu(&rows).unwrap();
        let sold: Vec<bool> = m.drinks.iter().map(|d| d.sold_out).collect();
        assert_eq!(sold, vec![false, true, true]);
        assert_eq!(m.drinks[0].stock, None);
    }

    #[test]
    fn empty_queue_page_still_has_the_feed_cursor() {
        let mut row = vec![t("746"), t("747")];
        row.extend(vec![Cell::Null; ORDER_COLUMNS]);
        let page = queue_page(&[row], 50).unwrap();
        assert!(page.orders.is_empty());
        assert_eq!(page.next, None);
        let feed = FeedCursor::decode(&page.feed).unwrap();
        assert_eq!(feed.skip_param(), "747");
        assert_eq!(feed.tx_param(), "746");
    }

    #[test]
    fn full_queue_page_has_a_next_cursor_at_its_last_order() {
        let rows: Vec<Vec<Cell>> = (1..=3)
            .map(|id| {
                let mut row = vec![t("9"), t("")];
                row.extend(order_cells(id, "placed"));
                row
            })
            .collect();
        let page = queue_page(&rows, 2).unwrap();
        assert_eq!(page.orders.len(), 2);
        let next = PageCursor::decode(page.next.as_deref().unwrap()).unwrap();
        assert_eq!(next.last_id, 2);
        assert!(queue_page(&rows, 3).unwrap().next.is_none());
    }

    fn event_row(tx: &str, seq: i64, kind: &str) -> Vec<Cell> {
        if kind == "drink" {
            vec![
                t(tx),
                Cell::I64(seq),
                t(kind),
                Cell::Null,
                Cell::Null,
                Cell::Null,
                t("beer"),
                Cell::Null,
                Cell::Null,
                Cell::Bool(true),
                Cell::I32(4),
                Cell::I64(77),
            ]
        } else {
            vec![
                t(tx),
                Cell::I64(seq),
                t(kind),
                Cell::I64(5),
                Cell::I32(5),
                t("Ana"),
                t("tea"),
                t("placed"),
                Cell::I32(1),
                Cell::Null,
                Cell::Null,
                Cell::I64(77),
            ]
        }
    }

    #[test]
    fn feed_page_advances_the_cursor_to_the_last_event() {
        let start = FeedCursor::from_snapshot("10", "12").unwrap();
        let rows = vec![event_row("10", 4, "placed"), event_row("11", 5, "drink")];
        let page = feed_page(&rows, &start).unwrap();
        assert_eq!(page.events.len(), 2);
        assert_eq!(page.events[0].order.as_ref().unwrap().nickname, "Ana");
        assert_eq!(page.events[1].drink.as_ref().unwrap().stock, Some(4));
        let next = FeedCursor::decode(&page.next).unwrap();
        assert_eq!((next.tx_param(), next.seq_param()), ("11".into(), 5));
        assert_eq!(next.skip_param(), "12");
    }

    #[test]
    fn empty_feed_page_keeps_the_cursor_unchanged() {
        let start = FeedCursor::from_snapshot("10", "12").unwrap();
        let page = feed_page(&[], &start).unwrap();
        assert_eq!(page.next, start.encode());
    }

    #[test]
    fn public_events_never_contain_the_visitor_id() {
        let page = feed_page(&[event_row("10", 1, "placed")], &FeedCursor::beginning()).unwrap();
        let json = String::from_utf8(crate::api::to_json(&page).unwrap()).unwrap();
        assert!(!json.contains("visitor"));
    }

    #[test]
    fn health_reads_the_applied_migration() {
        assert_eq!(applied_migration(&[vec![Cell::I64(1)]]).unwrap(), 1);
        assert!(applied_migration(&[]).is_err());
    }
}
