//! What the statements of [`crate::sql`] return, decoded.
//!
//! Every statement returns one column of JSON text, built in PostgreSQL by the shape
//! functions of migration 0003 (`order_json`, `drink_json`, `event_json`, `write_outcome`).
//! The types here (and the response types of [`crate::api`] they contain) are decoded with
//! serde and refuse unknown fields, so a field added on one side only fails a fast test
//! (`tests/shapes.rs` in the e2e crate runs every statement against PostgreSQL, and decodes
//! the feed events that feed-fn passes through) instead of being dropped silently.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::api::{
    BatchConflict, BatchOutcome, Board, FeedPage, Menu, MenuItem, MyOrders, Order, Purged,
    QueuePage, StatusChanges, Visit,
};
use crate::cursor::{FeedCursor, PageCursor};
use crate::domain::OrderStatus;
use crate::event::{EventKey, EventSettings};
use crate::problem::{ApiError, DomainError, UndoRefusal};
use crate::stats::{self, DrinkStats, MinuteCount, StatusCounts, Waits};

/// Decodes a statement's JSON; a mismatch is a bug (500) that names the path and the type.
///
/// Decoded with plain serde first: `serde_path_to_error` tracks the path at every value,
/// which costs time on big answers (the export's pages of orders), so only a text that
/// fails is decoded again with it, for the path of the field that does not match.
pub fn decode<T: DeserializeOwned>(json: &str) -> Result<T, ApiError> {
    serde_json::from_str(json).map_err(|plain| {
        let mismatch = format!(
            "the database answered a shape that {} does not match",
            std::any::type_name::<T>()
        );
        let de = &mut serde_json::Deserializer::from_str(json);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Err(tracked) => ApiError::internal_because(mismatch, tracked),
            // The value itself decodes, what follows it does not: no path to name.
            Ok(_) => ApiError::internal_because(mismatch, plain),
        }
    })
}

/// The one JSON value a statement that always returns a row returned.
fn required(json: Option<&str>) -> Result<&str, ApiError> {
    json.ok_or_else(|| ApiError::internal("the statement returned no row"))
}

/// What a write function decided (`write_outcome` in migration 0003).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Placed,
    Changed,
    Replay,
    RequestReused,
    UnknownDrink,
    SoldOut,
    Locked,
    Cancelled,
    AlreadyCancelled,
    NotFound,
    Stale,
    Illegal,
    OrderingClosed,
    Busy,
    KeyRequired,
    Retired,
    NicknameRefused,
    Undone,
    NotUndoable,
    TooLate,
    OrderedAgain,
}

/// `{"outcome": ..., "order": ...}`: the decision and the order it is about, if any; a
/// placement the event's settings refuse also has `event` (`settings_json`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteOutcome {
    pub outcome: Outcome,
    pub order: Option<Order>,
    #[serde(default)]
    pub event: Option<EventSettings>,
}

impl WriteOutcome {
    fn order(self) -> Result<Order, ApiError> {
        let outcome = self.outcome;
        self.order
            .ok_or_else(|| ApiError::internal(format!("outcome {outcome:?} without its order")))
    }

    fn event(self) -> Result<Box<EventSettings>, ApiError> {
        let outcome = self.outcome;
        self.event
            .map(Box::new)
            .ok_or_else(|| ApiError::internal(format!("outcome {outcome:?} without the event")))
    }

    fn unexpected(&self, statement: &str) -> ApiError {
        ApiError::internal(format!("{statement} answered {:?}", self.outcome))
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

/// [`crate::sql::PLACE_ORDER`]: the order, or why there is none.
pub fn place_outcome(json: Option<&str>, drink: &str) -> Result<Placed, ApiError> {
    let written: WriteOutcome = decode(required(json)?)?;
    match written.outcome {
        Outcome::Placed => Ok(Placed::Created(written.order()?)),
        Outcome::Changed => Ok(Placed::Changed(written.order()?)),
        Outcome::Replay => Ok(Placed::Replayed(written.order()?)),
        Outcome::RequestReused => Err(DomainError::RequestIdReused.into()),
        Outcome::UnknownDrink => Err(DomainError::UnknownDrink(drink.to_owned()).into()),
        Outcome::SoldOut => Err(DomainError::SoldOut(drink.to_owned()).into()),
        Outcome::Locked => Err(DomainError::OrderLocked(Box::new(written.order()?)).into()),
        Outcome::OrderingClosed => Err(DomainError::OrderingClosed(written.event()?).into()),
        Outcome::Busy => Err(DomainError::BarBusy(written.event()?).into()),
        Outcome::KeyRequired => Err(DomainError::OrderKeyRequired.into()),
        Outcome::Retired => Err(DomainError::DrinkRetired(drink.to_owned()).into()),
        Outcome::NicknameRefused => Err(DomainError::NicknameRefused.into()),
        _ => Err(written.unexpected("place_order")),
    }
}

/// [`crate::sql::CANCEL_ORDER`]: the cancelled order (also when it already was), or why not.
pub fn cancel_outcome(json: Option<&str>) -> Result<Order, ApiError> {
    let written: WriteOutcome = decode(required(json)?)?;
    match written.outcome {
        Outcome::Cancelled | Outcome::AlreadyCancelled => written.order(),
        Outcome::NotFound => Err(DomainError::OrderNotFound.into()),
        Outcome::Locked => {
            let order = written.order()?;
            if order.status.is_open() {
                Err(DomainError::OrderLocked(Box::new(order)).into())
            } else {
                Err(DomainError::OrderClosed(Box::new(order)).into())
            }
        }
        _ => Err(written.unexpected("cancel_order")),
    }
}

/// [`crate::sql::SET_STATUS`]: the changed order, or why not. `to` is the status asked for.
pub fn status_outcome(json: Option<&str>, to: OrderStatus) -> Result<Order, ApiError> {
    status_written(decode(required(json)?)?, to)
}

/// What `set_order_status` decided, as [`status_outcome`] answers it.
fn status_written(written: WriteOutcome, to: OrderStatus) -> Result<Order, ApiError> {
    match written.outcome {
        Outcome::Changed => written.order(),
        Outcome::NotFound => Err(DomainError::OrderNotFound.into()),
        Outcome::Stale => Err(DomainError::VersionConflict(Box::new(written.order()?)).into()),
        Outcome::Illegal => Err(DomainError::IllegalTransition {
            order: Box::new(written.order()?),
            to,
        }
        .into()),
        _ => Err(written.unexpected("set_order_status")),
    }
}

/// [`crate::sql::UNDO_STATUS`]: the order after the undo, or why it was not taken back.
pub fn undo_outcome(json: Option<&str>) -> Result<Order, ApiError> {
    let written: WriteOutcome = decode(required(json)?)?;
    let why = match written.outcome {
        Outcome::Undone => return written.order(),
        Outcome::NotFound => return Err(DomainError::OrderNotFound.into()),
        Outcome::Stale => {
            return Err(DomainError::VersionConflict(Box::new(written.order()?)).into());
        }
        Outcome::NotUndoable => UndoRefusal::NotUndoable,
        Outcome::TooLate => UndoRefusal::TooLate,
        Outcome::SoldOut => UndoRefusal::SoldOut,
        Outcome::OrderedAgain => UndoRefusal::OrderedAgain,
        _ => return Err(written.unexpected("undo_order_status")),
    };
    Err(DomainError::UndoRefused {
        order: Box::new(written.order()?),
        why,
    }
    .into())
}

/// [`crate::sql::SET_STATUSES`]: each change's [`WriteOutcome`], by order id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRows {
    pub outcomes: Vec<BatchRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRow {
    pub id: i64,
    pub result: WriteOutcome,
}

/// [`crate::sql::SET_STATUSES`]: the orders that moved, and the changes refused with the
/// problem [`status_outcome`] gives for one order.
pub fn batch_outcome(json: Option<&str>, asked: &StatusChanges) -> Result<BatchOutcome, ApiError> {
    let rows: BatchRows = decode(required(json)?)?;
    let mut outcome = BatchOutcome {
        moved: Vec::new(),
        conflicts: Vec::new(),
    };
    for row in rows.outcomes {
        let to = asked
            .asked(row.id)
            .ok_or_else(|| ApiError::internal(format!("order {} was not asked for", row.id)))?;
        match status_written(row.result, to) {
            Ok(order) => outcome.moved.push(order),
            Err(ApiError::Domain(refused)) => {
                let problem = ApiError::Domain(refused).problem();
                outcome.conflicts.push(BatchConflict {
                    id: row.id,
                    kind: problem.kind,
                    detail: problem.detail,
                    order: problem.order,
                });
            }
            Err(other) => return Err(other),
        }
    }
    Ok(outcome)
}

/// [`crate::sql::SET_STATUS_NOTIFYING`]: the order as [`status_outcome`] decides, and the
/// push subscription to notify (only when the order reached the notifying status).
pub fn status_notifying(
    json: Option<&str>,
    to: OrderStatus,
) -> Result<(Order, Option<crate::push::StoredSubscription>), ApiError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Notifying {
        written: Box<serde_json::value::RawValue>,
        push: Option<crate::push::StoredSubscription>,
    }
    let answer: Notifying = decode(required(json)?)?;
    let order = status_outcome(Some(answer.written.get()), to)?;
    Ok((order, answer.push))
}

/// [`crate::sql::SET_STATUSES_NOTIFYING`]: the batch's outcome as [`batch_outcome`] gives
/// it, and each moved order that reached the notifying status with its subscription.
#[allow(clippy::type_complexity)]
pub fn batch_notifying(
    json: Option<&str>,
    asked: &StatusChanges,
) -> Result<(BatchOutcome, Vec<(Order, crate::push::StoredSubscription)>), ApiError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Notifying {
        written: Box<serde_json::value::RawValue>,
        push: Vec<Pushed>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Pushed {
        order_id: i64,
        subscription: crate::push::StoredSubscription,
    }
    let answer: Notifying = decode(required(json)?)?;
    let outcome = batch_outcome(Some(answer.written.get()), asked)?;
    let mut notify = Vec::with_capacity(answer.push.len());
    for pushed in answer.push {
        let order = outcome
            .moved
            .iter()
            .find(|o| o.id == pushed.order_id)
            .ok_or_else(|| {
                ApiError::internal(format!("order {} was not moved", pushed.order_id))
            })?;
        notify.push((order.clone(), pushed.subscription));
    }
    Ok((outcome, notify))
}

/// [`crate::sql::SAVE_PUSH_SUBSCRIPTION`]: no row = not this visitor's open order.
pub fn push_saved(json: Option<&str>) -> Result<(), ApiError> {
    json.map(|_| ())
        .ok_or_else(|| DomainError::OrderNotFound.into())
}

/// [`crate::sql::UPDATE_DRINK`]: the drink as it is now; no row = no such drink.
pub fn drink_outcome(json: Option<&str>) -> Result<MenuItem, ApiError> {
    decode(json.ok_or(DomainError::DrinkNotFound)?)
}

/// [`crate::sql::INSERT_DRINK`]: the new drink, or none when the id is taken.
pub fn new_drink(json: Option<&str>, id: &str) -> Result<MenuItem, ApiError> {
    decode(json.ok_or_else(|| DomainError::DrinkExists(id.to_owned()))?)
}

/// [`crate::sql::MENU`]: the menu and its ETag (quoted, strong).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuAnswer {
    pub etag: String,
    pub menu: Menu,
}

/// [`crate::sql::MENU`].
pub fn menu(json: Option<&str>) -> Result<MenuAnswer, ApiError> {
    let mut answer: MenuAnswer = decode(required(json)?)?;
    answer.etag = format!("\"{}\"", answer.etag);
    Ok(answer)
}

/// [`crate::sql::SET_NAME_HIDDEN`]: the order as it is now; no row = no such order.
pub fn name_hidden_outcome(json: Option<&str>) -> Result<Order, ApiError> {
    decode(json.ok_or(DomainError::OrderNotFound)?)
}

/// [`crate::sql::BOARD`]: the board's ETag (quoted, strong), and the board unless the
/// client already has it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardAnswer {
    pub etag: String,
    #[serde(default)]
    pub board: Option<Board>,
}

/// [`crate::sql::BOARD`].
pub fn board(json: Option<&str>) -> Result<BoardAnswer, ApiError> {
    let mut answer: BoardAnswer = decode(required(json)?)?;
    answer.etag = format!("\"{}\"", answer.etag);
    Ok(answer)
}

/// [`crate::sql::VISIT`]: the view's ETag (quoted, strong), and the view unless the client
/// already has it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitAnswer {
    pub etag: String,
    #[serde(default)]
    pub visit: Option<Visit>,
}

/// [`crate::sql::VISIT`]; the menu's version is quoted as `GET /api/menu` sends its ETag.
pub fn visit(json: Option<&str>) -> Result<VisitAnswer, ApiError> {
    let mut answer: VisitAnswer = decode(required(json)?)?;
    answer.etag = format!("\"{}\"", answer.etag);
    if let Some(visit) = answer.visit.as_mut() {
        visit.menu = format!("\"{}\"", visit.menu);
    }
    Ok(answer)
}

/// [`crate::sql::EVENT_WORDS`].
pub fn event_words(json: Option<&str>) -> Result<crate::moderation::EventWords, ApiError> {
    decode(required(json)?)
}

/// [`crate::sql::UPDATE_EVENT`]: the settings after the change.
pub fn event_settings(json: Option<&str>) -> Result<EventSettings, ApiError> {
    decode(required(json)?)
}

/// [`crate::sql::EVENT_KEY`].
pub fn event_key(json: Option<&str>) -> Result<EventKey, ApiError> {
    decode(required(json)?)
}

/// [`crate::sql::MY_ORDERS`].
pub fn my_orders(json: Option<&str>) -> Result<MyOrders, ApiError> {
    decode(required(json)?)
}

/// [`crate::sql::EXPORT_ORDERS_PAGE`]: a page of the export and the export's upper bound.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportPage {
    /// The greatest id the export covers (0: the table had no order when it started).
    pub until: i64,
    pub orders: Vec<Order>,
}

/// Where the streamed export is: the keyset of [`crate::sql::EXPORT_ORDERS_PAGE`]. The first
/// page fixes the greatest id the export covers; a page shorter than the page size is the
/// last.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportCursor {
    /// The last id written (0 before the first page).
    pub after: i64,
    /// The greatest id the export covers (0 until the first page has fixed it).
    pub until: i64,
    pub done: bool,
}

impl ExportCursor {
    /// `$1`, `$2`, `$3` of [`crate::sql::EXPORT_ORDERS_PAGE`].
    pub fn params(&self) -> [i64; 3] {
        [self.after, self.until, crate::csv::EXPORT_PAGE_SIZE]
    }

    /// Moves past a page that was read.
    pub fn advance(&mut self, page: &ExportPage) {
        self.until = page.until;
        match page.orders.last() {
            Some(last) if page.orders.len() as i64 == crate::csv::EXPORT_PAGE_SIZE => {
                self.after = last.id
            }
            _ => self.done = true,
        }
    }
}

/// [`crate::sql::EXPORT_ORDERS_PAGE`].
pub fn export_page(json: Option<&str>) -> Result<ExportPage, ApiError> {
    decode(required(json)?)
}

/// [`crate::sql::PURGE`].
pub fn purged(json: Option<&str>) -> Result<Purged, ApiError> {
    decode(required(json)?)
}

/// [`crate::sql::HEALTH`]: the highest applied migration.
pub fn applied_migration(json: Option<&str>) -> Result<i64, ApiError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Applied {
        migration: i64,
    }
    Ok(decode::<Applied>(required(json)?)?.migration)
}

/// A position in the feed as a snapshot sees it: its xmin and the transactions at or above
/// it whose events it already sees (comma-separated).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotPosition {
    pub feed_tx: String,
    pub feed_skip: String,
}

impl SnapshotPosition {
    fn cursor(&self) -> Result<FeedCursor, ApiError> {
        FeedCursor::from_snapshot(&self.feed_tx, &self.feed_skip)
            .map_err(|e| ApiError::internal_because("the database answered a bad snapshot", e))
    }
}

/// [`crate::sql::QUEUE`]: a page of orders and the feed position of the same snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueRows {
    pub orders: Vec<Order>,
    pub feed_tx: String,
    pub feed_skip: String,
}

/// [`crate::sql::QUEUE`], fetched with `page_size + 1` as the limit.
pub fn queue_page(json: Option<&str>, page_size: usize) -> Result<QueuePage, ApiError> {
    let QueueRows {
        mut orders,
        feed_tx,
        feed_skip,
    } = decode(required(json)?)?;
    let position = SnapshotPosition { feed_tx, feed_skip };
    let next = if orders.len() > page_size {
        orders.truncate(page_size);
        orders.last().map(|o| PageCursor { last_id: o.id }.encode())
    } else {
        None
    };
    Ok(QueuePage {
        orders,
        next,
        feed: position.cursor()?.encode(),
    })
}

/// [`crate::sql::FEED_START`].
pub fn feed_start(json: Option<&str>) -> Result<FeedPage, ApiError> {
    let position: SnapshotPosition = decode(required(json)?)?;
    Ok(FeedPage {
        events: Vec::new(),
        next: position.cursor()?.encode(),
    })
}

/// One event with its feed position; the event is not decoded (see [`FeedPage::events`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRow {
    pub tx: String,
    pub seq: i64,
    pub event: Box<serde_json::value::RawValue>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRows {
    pub events: Vec<EventRow>,
}

/// [`crate::sql::FEED_AFTER`] (or [`crate::sql::FEED_TAIL`] with `after` =
/// [`FeedCursor::beginning`]): the events and the cursor after the last one.
pub fn feed_page(json: Option<&str>, after: &FeedCursor) -> Result<FeedPage, ApiError> {
    let rows: EventRows = decode(required(json)?)?;
    let mut cursor = after.clone();
    let mut events = Vec::with_capacity(rows.events.len());
    for row in rows.events {
        cursor = cursor.after_event(&row.tx, row.seq).map_err(|e| {
            ApiError::internal_because("the database answered a bad event position", e)
        })?;
        events.push(row.event);
    }
    Ok(FeedPage {
        events,
        next: cursor.encode(),
    })
}

/// [`crate::sql::STATS`]: counts per drink and status, orders per minute, wait times.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsRows {
    /// The database's clock, epoch ms.
    pub now: i64,
    /// Every drink in menu order, with its orders per status (empty without orders).
    pub drinks: Vec<DrinkCounts>,
    /// Minutes in which orders were placed.
    pub minutes: Vec<MinuteCount>,
    pub wait: Waits,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrinkCounts {
    pub drink: String,
    pub statuses: Vec<StatusCount>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusCount {
    pub status: OrderStatus,
    pub orders: i64,
}

/// [`crate::sql::STATS`], shaped for the bar's charts.
pub fn stats(json: Option<&str>) -> Result<stats::Stats, ApiError> {
    let rows: StatsRows = decode(required(json)?)?;
    let mut per_status = StatusCounts::default();
    let per_drink = rows
        .drinks
        .into_iter()
        .map(|d| {
            let mut counts = StatusCounts::default();
            for s in d.statuses {
                counts.add(s.status, s.orders);
                per_status.add(s.status, s.orders);
            }
            DrinkStats {
                drink: d.drink,
                total: counts.total(),
                per_status: counts,
            }
        })
        .collect();
    Ok(stats::Stats {
        generated_at: rows.now,
        per_status,
        per_drink,
        per_minute: stats::per_minute(rows.minutes),
        wait: rows.wait,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: &str = r#"{"id":7,"number":7,"nickname":"Ana","name_hidden":false,"drink":"tea","status":"ready",
        "version":3,"created_at":1000,"updated_at":3000,"placed_at":1000,"preparing_at":2000,
        "ready_at":3000,"served_at":null,"cancelled_at":null,
        "cancelled_by":null,"cancel_reason":null}"#;

    fn outcome(outcome: &str, order: Option<&str>) -> String {
        format!(
            r#"{{"outcome":"{outcome}","order":{}}}"#,
            order.unwrap_or("null")
        )
    }

    #[test]
    fn a_placed_order_is_created_and_a_changed_one_is_not() {
        let placed = place_outcome(Some(&outcome("placed", Some(ORDER))), "tea").unwrap();
        assert!(matches!(placed, Placed::Created(o) if o.id == 7 && o.ready_at == Some(3000)));
        let changed = place_outcome(Some(&outcome("changed", Some(ORDER))), "tea").unwrap();
        assert!(matches!(changed, Placed::Changed(_)));
        let replay = place_outcome(Some(&outcome("replay", Some(ORDER))), "tea").unwrap();
        assert!(matches!(replay, Placed::Replayed(_)));
    }

    fn refusal(outcome: &str, ordering: &str) -> String {
        format!(
            r#"{{"outcome":"{outcome}","order":null,"event":{{"title":{{}},"welcome":{{}},
            "ordering":"{ordering}","message":{{"en":"Back soon","de":"Gleich zurück"}},
            "busy_limit":3,"key_required":false,"ready_dim_minutes":5,"version":4,
            "updated_at":5}}}}"#
        )
    }

    #[test]
    fn placements_the_event_refuses_carry_its_settings_into_their_problems() {
        let paused = place_outcome(Some(&refusal("ordering_closed", "paused")), "tea")
            .unwrap_err()
            .problem();
        assert_eq!(
            (paused.status, paused.kind.as_str()),
            (409, "/problems/ordering-paused")
        );
        assert_eq!(paused.detail, "ordering is paused: Back soon");
        assert_eq!(
            paused.event.map(|e| e.message.0.len()),
            Some(2),
            "every language of the message"
        );
        let closed = place_outcome(Some(&refusal("ordering_closed", "closed")), "tea")
            .unwrap_err()
            .problem();
        assert_eq!(closed.kind, "/problems/ordering-closed");
        let busy = place_outcome(Some(&refusal("busy", "open")), "tea")
            .unwrap_err()
            .problem();
        assert_eq!(
            (busy.status, busy.kind.as_str()),
            (409, "/problems/bar-busy")
        );
        assert!(
            busy.detail.contains("more than 3 orders"),
            "{}",
            busy.detail
        );
        // Without the settings, a refusal is a bug of the statement.
        let bare = place_outcome(Some(&outcome("busy", None)), "tea").unwrap_err();
        assert_eq!(bare.problem().status, 500);
    }

    #[test]
    fn a_refused_nickname_is_a_422_at_the_nickname() {
        let p = place_outcome(Some(&outcome("nickname_refused", None)), "tea")
            .unwrap_err()
            .problem();
        assert_eq!(
            (p.status, p.kind.as_str(), p.field.as_deref()),
            (422, "/problems/nickname-refused", Some("nickname"))
        );
    }

    #[test]
    fn the_visit_quotes_its_etag_and_the_menu_version_as_the_menu_endpoint_does() {
        let same = visit(Some(r#"{"etag":"v1.2"}"#)).unwrap();
        assert_eq!((same.etag.as_str(), same.visit), ("\"v1.2\"", None));
        let json = r#"{"etag":"v1.3","visit":{"now":9,"order":null,"ahead":null,"wait":null,
            "ticker":[{"id":3,"number":3,"nickname":null,"drink":"tea","at":7}],"menu":"abc"}}"#;
        let fresh = visit(Some(json)).unwrap().visit.expect("a view");
        assert_eq!(fresh.menu, "\"abc\"");
        assert_eq!(fresh.ticker[0].nickname, None);
        assert!(visit(Some(r#"{"etag":"v1","visit":{"now":1}}"#)).is_err());
    }

    #[test]
    fn the_board_is_absent_when_the_client_has_it_and_its_etag_is_quoted() {
        let same = board(Some(r#"{"etag":"b1.2"}"#)).unwrap();
        assert_eq!((same.etag.as_str(), same.board), ("\"b1.2\"", None));
        let json = r#"{"etag":"b1.3","board":{"now":9,"ready_dim_minutes":5,
            "total":{"waiting":1,"ready":0},
            "orders":[{"id":1,"number":1,"nickname":null,"drink":"tea","status":"placed",
                       "since":8,"version":2}]}}"#;
        let fresh = board(Some(json)).unwrap().board.expect("a board");
        assert_eq!(fresh.orders[0].nickname, None);
        assert_eq!(fresh.total.waiting, 1);
    }

    #[test]
    fn refused_placements_become_their_problems() {
        let sold = place_outcome(Some(&outcome("sold_out", None)), "tea").unwrap_err();
        assert!(matches!(sold, ApiError::Domain(DomainError::SoldOut(d)) if d == "tea"));
        let locked = place_outcome(Some(&outcome("locked", Some(ORDER))), "tea").unwrap_err();
        assert!(matches!(
            locked,
            ApiError::Domain(DomainError::OrderLocked(_))
        ));
        let unknown = place_outcome(Some(&outcome("unknown_drink", None)), "x").unwrap_err();
        assert!(matches!(
            unknown,
            ApiError::Domain(DomainError::UnknownDrink(_))
        ));
        let reused = place_outcome(Some(&outcome("request_reused", None)), "x").unwrap_err();
        assert!(matches!(
            reused,
            ApiError::Domain(DomainError::RequestIdReused)
        ));
    }

    #[test]
    fn an_outcome_that_needs_an_order_but_has_none_is_a_bug() {
        let e = place_outcome(Some(&outcome("placed", None)), "tea").unwrap_err();
        assert!(e.is_internal());
        let e =
            status_outcome(Some(&outcome("placed", Some(ORDER))), OrderStatus::Ready).unwrap_err();
        assert!(e.is_internal(), "an outcome of another function");
    }

    #[test]
    fn a_field_the_type_does_not_know_is_a_bug_naming_the_path() {
        let extra = ORDER.replace(r#""id":7"#, r#""id":7,"note":"x""#);
        let e = place_outcome(Some(&outcome("placed", Some(&extra))), "tea").unwrap_err();
        let line = e.log_line().expect("a bug is logged");
        assert!(
            line.contains("WriteOutcome") && line.contains("order"),
            "{line}"
        );
        let missing = ORDER.replace(r#""number":7,"#, "");
        let e = place_outcome(Some(&outcome("placed", Some(&missing))), "tea").unwrap_err();
        let line = e.log_line().expect("a bug is logged");
        assert!(line.contains("number"), "{line}");
    }

    #[test]
    fn a_locked_cancel_of_a_closed_order_says_closed() {
        let served = ORDER.replace(r#""status":"ready""#, r#""status":"served""#);
        let e = cancel_outcome(Some(&outcome("locked", Some(&served)))).unwrap_err();
        assert!(matches!(e, ApiError::Domain(DomainError::OrderClosed(_))));
        let e = cancel_outcome(Some(&outcome("locked", Some(ORDER)))).unwrap_err();
        assert!(matches!(e, ApiError::Domain(DomainError::OrderLocked(_))));
    }

    #[test]
    fn a_missing_drink_row_is_not_found() {
        assert!(matches!(
            drink_outcome(None),
            Err(ApiError::Domain(DomainError::DrinkNotFound))
        ));
        let d = drink_outcome(Some(
            r#"{"id":"tea","name":"Tea","names":{"en":"Tea","de":"Tee"},"description":{},"available":true,
                "stock":0,"sold_out":true,"retired":false,"position":30,
                "icon":null,"picture":null}"#,
        ))
        .unwrap();
        assert!(d.sold_out);
    }

    #[test]
    fn a_queue_page_asked_one_too_many_has_a_next_cursor() {
        let json = format!(
            r#"{{"orders":[{ORDER},{}],"feed_tx":"100","feed_skip":""}}"#,
            ORDER.replace(r#""id":7"#, r#""id":8"#)
        );
        let page = queue_page(Some(&json), 1).unwrap();
        assert_eq!(page.orders.len(), 1);
        assert_eq!(
            page.next
                .as_deref()
                .map(PageCursor::decode)
                .unwrap()
                .unwrap()
                .last_id,
            7
        );
        let all = queue_page(Some(&json), 2).unwrap();
        assert_eq!(all.next, None);
    }

    #[test]
    fn the_feed_cursor_moves_past_the_last_event() {
        let json = r#"{"events":[
            {"tx":"100","seq":1,"event":{"kind":"drink","at":5,
              "drink":{"id":"tea","available":true,"stock":null,"sold_out":false}}},
            {"tx":"101","seq":2,"event":{"kind":"placed","at":6,
              "order":{"id":1,"number":1,"nickname":"A","name_hidden":false,"drink":"tea","status":"placed","version":1}}}
        ]}"#;
        let page = feed_page(Some(json), &FeedCursor::beginning()).unwrap();
        assert_eq!(page.events.len(), 2);
        let served = String::from_utf8(crate::api::to_json(&page).unwrap()).unwrap();
        assert!(
            served.starts_with(r#"{"events":[{"kind":"drink","at":5,"#),
            "the events pass through as PostgreSQL built them: {served}"
        );
        let next = FeedCursor::decode(&page.next).unwrap();
        assert_eq!(next, FeedCursor::beginning().after_event("101", 2).unwrap());
        let empty = feed_page(Some(r#"{"events":[]}"#), &next).unwrap();
        assert_eq!(empty.next, page.next);
    }

    #[test]
    fn stats_add_up_per_drink_and_per_status() {
        let json = r#"{"now":60000,"drinks":[
              {"drink":"tea","statuses":[{"status":"placed","orders":2},{"status":"served","orders":1}]},
              {"drink":"beer","statuses":[]}],
            "minutes":[{"minute":0,"orders":2},{"minute":120000,"orders":1}],
            "wait":{"placed_to_ready":{"count":1,"median_ms":5,"p90_ms":5},
                    "ready_to_served":{"count":0,"median_ms":null,"p90_ms":null}}}"#;
        let s = stats(Some(json)).unwrap();
        assert_eq!(s.per_status.total(), 3);
        assert_eq!(s.per_drink[0].total, 3);
        assert_eq!(s.per_drink[1].drink, "beer");
        assert_eq!(s.per_minute.len(), 3, "the empty minute is filled");
    }

    #[test]
    fn the_export_cursor_moves_past_full_pages_and_stops_after_a_short_one() {
        let order: Order = serde_json::from_str(ORDER).unwrap();
        let full = ExportPage {
            until: 9_000,
            orders: (1..=crate::csv::EXPORT_PAGE_SIZE)
                .map(|id| Order {
                    id,
                    ..order.clone()
                })
                .collect(),
        };
        let mut cursor = ExportCursor::default();
        assert_eq!(cursor.params(), [0, 0, crate::csv::EXPORT_PAGE_SIZE]);
        cursor.advance(&full);
        assert_eq!(
            (cursor.after, cursor.until, cursor.done),
            (crate::csv::EXPORT_PAGE_SIZE, 9_000, false)
        );
        cursor.advance(&ExportPage {
            until: 9_000,
            orders: vec![order],
        });
        assert!(cursor.done, "a short page is the last");
        let mut empty = ExportCursor::default();
        empty.advance(&ExportPage {
            until: 0,
            orders: vec![],
        });
        assert!(empty.done, "an empty table is one empty page");
    }
}
