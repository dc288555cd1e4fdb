//! JSON shapes of requests and responses.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::domain::InvalidValue;
use crate::domain::{CancelReason, DrinkId, Nickname, OrderId, OrderStatus, RequestId, VisitorId};
use crate::event::{EventSettings, OrderKey, Texts, TextsInput};
use crate::picture::Icon;
use crate::problem::{ApiError, RequestError};

/// Parses a JSON request body into its input type. Syntax errors are 400 (malformed JSON,
/// or not an object); everything else is a 422 naming the field: missing (or null), of the
/// wrong type, or a value the domain refuses.
pub fn from_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // Parsed as a JSON value first: a duplicate key takes the last value (as before
    // typed parsing), the nesting limit applies, and only an object is a body.
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| RequestError::MalformedJson(e.to_string()))?;
    if !value.is_object() {
        return Err(RequestError::BodyNotAnObject.into());
    }
    let typed = serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        if !inner.is_data() {
            return RequestError::MalformedJson(message);
        }
        if let Some(missing) = between(&message, "missing field `", "`") {
            // Named at its own path (`changes[0].version`), not at the object lacking it.
            let field = match field.as_str() {
                "." => missing.to_owned(),
                parent => format!("{parent}.{missing}"),
            };
            return RequestError::MissingField { field };
        }
        if field == "." {
            // Serde's own errors about the body as a whole.
            return RequestError::BodyNotAnObject;
        }
        if message.starts_with("invalid type: null") {
            return RequestError::MissingField { field };
        }
        if message.starts_with("invalid type:") {
            let expected = message
                .rsplit_once("expected ")
                .map(|(_, e)| e.split(" at line").next().unwrap_or(e))
                .unwrap_or("");
            return RequestError::WrongType {
                field,
                expected: plain_type(expected),
            };
        }
        let reason = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        RequestError::InvalidField { field, reason }
    })?;
    Ok(typed)
}

/// The text between `start` and the next `end` in `s`.
pub(crate) fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &s[s.find(start)? + start.len()..];
    Some(&rest[..rest.find(end)?])
}

/// Serde's "expected ..." in the API's words.
fn plain_type(expected: &str) -> String {
    match expected {
        "a string" => "string",
        "a boolean" => "boolean",
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" => "integer",
        "an integer or null" => "integer or null",
        "a sequence" => "list",
        "an object" => "object",
        other => other,
    }
    .to_owned()
}

/// `POST /api/orders` body: `{visitor_id, nickname, drink, request_id, key?}`. Unknown
/// fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PlaceOrder {
    pub visitor_id: VisitorId,
    pub nickname: Nickname,
    pub drink: DrinkId,
    pub request_id: RequestId,
    /// The ordering key of the poster's QR code, when the visitor came from it (absent, not
    /// null, when there is none).
    #[serde(default, deserialize_with = "present")]
    pub key: Option<OrderKey>,
}

impl PlaceOrder {
    pub fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        from_json(body)
    }
}

/// An integer written as an integer within `MIN..=MAX` (1.0 and 1e3 are refused: the API
/// takes integers written as integers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounded<const MIN: i64, const MAX: i64>(pub i32);

impl<'de, const MIN: i64, const MAX: i64> Deserialize<'de> for Bounded<MIN, MAX> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = i64::deserialize(d)?;
        match i32::try_from(n) {
            Ok(v) if (MIN..=MAX).contains(&n) => Ok(Self(v)),
            _ => Err(serde::de::Error::custom(
                crate::domain::InvalidValue::OutOfRange { min: MIN, max: MAX },
            )),
        }
    }
}

/// The version of an order a client saw: 1 or more.
pub type Version = Bounded<1, { i32::MAX as i64 }>;
/// Portions of a drink: 0 or more.
pub type Portions = Bounded<0, { i32::MAX as i64 }>;

/// `PATCH /api/orders/{id}` body (bar): `{status, version}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "StatusChangeBody")]
pub struct StatusChange {
    pub status: OrderStatus,
    /// The version of the order the bar tablet last saw (optimistic concurrency).
    pub version: i32,
}

#[derive(Deserialize)]
struct StatusChangeBody {
    status: OrderStatus,
    version: Version,
}

impl From<StatusChangeBody> for StatusChange {
    fn from(b: StatusChangeBody) -> Self {
        Self {
            status: b.status,
            version: b.version.0,
        }
    }
}

impl StatusChange {
    pub fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        from_json::<StatusChangeBody>(body).map(Self::from)
    }

    /// `$4` of `SET_STATUS`: the statuses the order may be in for this change,
    /// comma-separated ('' when none is, e.g. for `placed`).
    pub fn from_statuses_param(&self) -> String {
        OrderStatus::sql_list(&OrderStatus::reachable_from(self.status))
    }
}

/// `PATCH /api/orders/{id}` body (bar) with its optional `reason`: `{status, version,
/// reason?}`. A reason (shown on the visitor's page) goes only with `cancelled`; null or
/// absent is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarStatusChange {
    pub change: StatusChange,
    pub reason: Option<CancelReason>,
}

#[derive(Deserialize)]
struct BarStatusChangeBody {
    status: OrderStatus,
    version: Version,
    #[serde(default)]
    reason: Option<CancelReason>,
}

impl BarStatusChange {
    pub fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        let b: BarStatusChangeBody = from_json(body)?;
        if b.reason.is_some() && b.status != OrderStatus::Cancelled {
            return Err(RequestError::InvalidField {
                field: "reason".to_owned(),
                reason: "only a cancel (status \"cancelled\") takes a reason".to_owned(),
            }
            .into());
        }
        Ok(Self {
            change: StatusChange {
                status: b.status,
                version: b.version.0,
            },
            reason: b.reason,
        })
    }

    /// `$5` of `SET_STATUS`: the reason, or null.
    pub fn reason_param(&self) -> Option<String> {
        self.reason.as_ref().map(|r| r.as_str().to_owned())
    }
}

/// `POST /api/orders/{id}/undo` body (bar): `{version}`, the version of the order the tablet
/// shows. Unknown fields are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct UndoRequest {
    pub version: Version,
}

impl UndoRequest {
    pub fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        from_json(body)
    }
}

/// The most orders one batch moves (`PATCH /api/orders`): more than a tablet shows at once.
pub const BATCH_MAX_CHANGES: usize = 100;

/// `PATCH /api/orders` body (bar): `{"changes": [{id, status, version}, ...]}`, 1 to
/// [`BATCH_MAX_CHANGES`] changes, each order at most once. Each change is checked as one
/// `PATCH /api/orders/{id}` would be; unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChanges {
    pub changes: Vec<(OrderId, StatusChange)>,
}

#[derive(Deserialize)]
struct StatusChangesBody {
    changes: Vec<BatchItemBody>,
}

struct BatchItemBody {
    id: BodyOrderId,
    status: OrderStatus,
    version: Version,
}

/// A change is an object: serde's derive would also take `[id, status, version]`, which the
/// spec does not allow. Fields are read one by one, so a problem still names
/// `changes[i].status`.
impl<'de> Deserialize<'de> for BatchItemBody {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Item;
        impl<'de> serde::de::Visitor<'de> for Item {
            type Value = BatchItemBody;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<BatchItemBody, A::Error> {
                let (mut id, mut status, mut version) = (None, None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "id" => id = Some(map.next_value()?),
                        "status" => status = Some(map.next_value()?),
                        "version" => version = Some(map.next_value()?),
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                let missing = serde::de::Error::missing_field;
                Ok(BatchItemBody {
                    id: id.ok_or_else(|| missing("id"))?,
                    status: status.ok_or_else(|| missing("status"))?,
                    version: version.ok_or_else(|| missing("version"))?,
                })
            }
        }
        d.deserialize_map(Item)
    }
}

/// An order id in a body: a positive integer.
struct BodyOrderId(OrderId);

impl<'de> Deserialize<'de> for BodyOrderId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = i64::deserialize(d)?;
        OrderId::parse(&n.to_string())
            .map(Self)
            .map_err(serde::de::Error::custom)
    }
}

/// One change of `set_orders_status` (migration 0007).
#[derive(Serialize)]
struct BatchParam<'a> {
    id: i64,
    status: &'a str,
    version: i32,
    from_statuses: String,
}

impl StatusChanges {
    pub fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        let b: StatusChangesBody = from_json(body)?;
        let invalid = |field: String, reason: String| RequestError::InvalidField { field, reason };
        if b.changes.is_empty() || b.changes.len() > BATCH_MAX_CHANGES {
            return Err(invalid(
                "changes".into(),
                format!(
                    "must list 1 to {BATCH_MAX_CHANGES} changes, got {}",
                    b.changes.len()
                ),
            )
            .into());
        }
        let mut seen = std::collections::HashSet::new();
        let mut changes = Vec::with_capacity(b.changes.len());
        for (i, item) in b.changes.into_iter().enumerate() {
            if !seen.insert(item.id.0) {
                return Err(invalid(
                    format!("changes[{i}].id"),
                    format!("order {} is listed twice", item.id.0.get()),
                )
                .into());
            }
            let change = StatusChange {
                status: item.status,
                version: item.version.0,
            };
            changes.push((item.id.0, change));
        }
        Ok(Self { changes })
    }

    /// `$1` of `SET_STATUSES`: the changes as a JSON array, each with the statuses the
    /// order may be in for it (as `StatusChange::from_statuses_param`).
    pub fn changes_param(&self) -> Result<String, ApiError> {
        let params: Vec<BatchParam> = self
            .changes
            .iter()
            .map(|(id, change)| BatchParam {
                id: id.get(),
                status: change.status.as_str(),
                version: change.version,
                from_statuses: change.from_statuses_param(),
            })
            .collect();
        to_json(&params).map(|json| String::from_utf8_lossy(&json).into_owned())
    }

    /// The status a change asked for, by order id.
    pub fn asked(&self, id: i64) -> Option<OrderStatus> {
        self.changes
            .iter()
            .find(|(order, _)| order.get() == id)
            .map(|(_, change)| change.status)
    }
}

/// `PATCH /api/drinks/{id}` body (bar): `{available?, stock?, names?, position?,
/// retired?}`, at least one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrinkChange {
    /// `None` = leave as it is.
    pub available: Option<bool>,
    /// `None` = leave as it is; `Some(None)` = unlimited; `Some(Some(n))` = n left.
    pub stock: Option<Option<i32>>,
    /// The name per language (English required); `None` = leave as it is.
    pub names: Option<Texts>,
    /// The place on the menu (lower first); `None` = leave as it is.
    pub position: Option<i32>,
    /// Taken off the menu (true) or put back (false); `None` = leave as it is.
    pub retired: Option<bool>,
    /// `Some(None)`: the default icon (the drink's own, else the generic glass).
    pub icon: Option<Option<Icon>>,
    /// A short description per language (`{}` = none); `None` = leave as it is.
    pub description: Option<Texts>,
}

/// The longest drink description, in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 120;

/// The longest drink name, in characters.
pub const DRINK_NAME_MAX_CHARS: usize = 64;
/// Positions on the menu: 0 to this.
pub const POSITION_MAX: i64 = 1_000_000;

#[derive(Deserialize)]
struct DrinkChangeBody {
    /// Absent = keep; null is refused.
    #[serde(default, deserialize_with = "present")]
    available: Option<bool>,
    /// Absent = keep; null = unlimited.
    #[serde(default, deserialize_with = "present")]
    stock: Option<Option<Portions>>,
    #[serde(default, deserialize_with = "present")]
    names: Option<DrinkNames>,
    #[serde(default, deserialize_with = "present")]
    position: Option<Bounded<0, POSITION_MAX>>,
    #[serde(default, deserialize_with = "present")]
    retired: Option<bool>,
    /// Absent = keep; null = the default icon.
    #[serde(default, deserialize_with = "present")]
    icon: Option<Option<Icon>>,
    #[serde(default, deserialize_with = "present")]
    description: Option<TextsInput<DESCRIPTION_MAX_CHARS>>,
}

/// A drink's name per language: at least the English one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrinkNames(pub Texts);

impl<'de> Deserialize<'de> for DrinkNames {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let TextsInput(texts) = TextsInput::<DRINK_NAME_MAX_CHARS>::deserialize(d)?;
        if texts.english().is_empty() {
            return Err(serde::de::Error::custom(InvalidValue::EnglishMissing));
        }
        Ok(Self(texts))
    }
}

/// `POST /api/drinks` body (bar): `{id, names, available?, stock?}`; the new drink goes
/// last on the menu.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NewDrink {
    pub id: DrinkId,
    pub names: DrinkNames,
    #[serde(default = "yes")]
    pub available: bool,
    #[serde(default)]
    pub stock: Option<Portions>,
    /// One of the bundled icons (absent: the drink's own, else the generic glass).
    #[serde(default)]
    pub icon: Option<Icon>,
    /// A short description per language (absent: none).
    #[serde(default, deserialize_with = "present")]
    pub description: Option<TextsInput<DESCRIPTION_MAX_CHARS>>,
}

fn yes() -> bool {
    true
}

impl NewDrink {
    pub fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        from_json(body)
    }

    /// `$2` of `INSERT_DRINK`: the names as a JSON object.
    pub fn names_param(&self) -> Result<String, ApiError> {
        texts_json(&self.names.0)
    }

    /// `$6` of `INSERT_DRINK`: the description as a JSON object (`{}` for none).
    pub fn description_param(&self) -> Result<String, ApiError> {
        texts_json(
            self.description
                .as_ref()
                .map_or(&Texts::default(), |d| &d.0),
        )
    }
}

/// A text per language as the SQL functions take it: a JSON object, as text.
pub fn texts_json(texts: &Texts) -> Result<String, ApiError> {
    to_json(texts).map(|json| String::from_utf8_lossy(&json).into_owned())
}

/// A field that is present (possibly null), as opposed to absent (`#[serde(default)]`).
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

impl DrinkChange {
    pub fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        let b: DrinkChangeBody = from_json(body)?;
        let change = Self {
            available: b.available,
            stock: b.stock.map(|s| s.map(|p| p.0)),
            names: b.names.map(|n| n.0),
            position: b.position.map(|p| p.0),
            retired: b.retired,
            icon: b.icon,
            description: b.description.map(|d| d.0),
        };
        if change.available.is_none()
            && change.stock.is_none()
            && change.names.is_none()
            && change.position.is_none()
            && change.retired.is_none()
            && change.icon.is_none()
            && change.description.is_none()
        {
            return Err(RequestError::NothingToChange.into());
        }
        Ok(change)
    }

    /// `$5` of `UPDATE_DRINK`: the new names as a JSON object, or null to keep them.
    pub fn names_param(&self) -> Result<Option<String>, ApiError> {
        self.names.as_ref().map(texts_json).transpose()
    }

    /// `$10` of `UPDATE_DRINK`: the new description as a JSON object, or null to keep it.
    pub fn description_param(&self) -> Result<Option<String>, ApiError> {
        self.description.as_ref().map(texts_json).transpose()
    }

    /// `$2` of `UPDATE_DRINK`: the new switch, or null to keep it.
    pub fn available_param(&self) -> Option<bool> {
        self.available
    }

    /// `$3` of `UPDATE_DRINK`: whether the stock is set at all.
    pub fn sets_stock_param(&self) -> bool {
        self.stock.is_some()
    }

    /// `$4` of `UPDATE_DRINK`: the new stock (null = unlimited, or not set).
    pub fn stock_param(&self) -> Option<i32> {
        self.stock.flatten()
    }
}

/// An order as the visitor and the bar see it. Never carries the visitor id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    pub id: i64,
    /// Short number (1–999, wrapping) the bar calls out.
    pub number: i32,
    pub nickname: String,
    /// The bar hid the nickname from public screens (ticker, poster, board show "Guest
    /// #42"); the visitor and the bar still see it.
    pub name_hidden: bool,
    pub drink: String,
    pub status: OrderStatus,
    /// Increments with every change; a client keeps the highest it has seen.
    pub version: i32,
    /// Epoch milliseconds.
    pub created_at: i64,
    /// Epoch milliseconds.
    pub updated_at: i64,
    /// When the order was placed (epoch ms); changing it keeps this time.
    pub placed_at: i64,
    /// When the bar started preparing it (epoch ms), if it did.
    pub preparing_at: Option<i64>,
    /// When it became ready (epoch ms), if it did.
    pub ready_at: Option<i64>,
    /// When it was served (epoch ms), if it was.
    pub served_at: Option<i64>,
    /// When it was cancelled (epoch ms), if it was.
    pub cancelled_at: Option<i64>,
    /// Who cancelled it (`visitor` or `bar`), while it is cancelled.
    pub cancelled_by: Option<CancelledBy>,
    /// The bar's reason for its cancel, if it gave one (null otherwise).
    pub cancel_reason: Option<String>,
}

/// Who cancelled an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CancelledBy {
    Visitor,
    Bar,
}

/// One drink of `GET /api/menu`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuItem {
    pub id: String,
    /// The English name (as in the CSV and the statistics).
    pub name: String,
    /// The name per language; the pages show the visitor's, else the English one.
    pub names: Texts,
    /// A short description per language (`{}`: none).
    pub description: Texts,
    /// The bar's switch: false = not served at this event (now).
    pub available: bool,
    /// Portions left; null = unlimited.
    pub stock: Option<i32>,
    /// True when it cannot be ordered now (switched off or no stock left).
    pub sold_out: bool,
    /// Taken off the menu by the bar (kept for history, CSV and statistics).
    pub retired: bool,
    /// Its place on the menu (lower first; the menu is in this order).
    pub position: i32,
    /// The bundled icon the bar chose (null: the drink's own, else the generic glass).
    pub icon: Option<String>,
    /// The URL of the picture the bar uploaded (shown instead of the icon), if any.
    pub picture: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Menu {
    pub drinks: Vec<MenuItem>,
    /// The event's title, welcome line and whether ordering is open.
    pub event: EventSettings,
}

/// `GET /api/mine`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MyOrders {
    pub orders: Vec<Order>,
}

/// `GET /api/queue`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueuePage {
    pub orders: Vec<Order>,
    /// Cursor of the next page (`?after=`), null on the last page.
    pub next: Option<String>,
    /// Feed cursor of the same snapshot: poll `/api/feed?after=` with it.
    pub feed: String,
}

/// What happened in a feed event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    Placed,
    Changed,
    Status,
    Cancelled,
    /// The bar hid the order's nickname from public screens, or showed it again.
    Moderated,
    /// The bar took back the order's last status change (`POST /api/orders/{id}/undo`).
    Undone,
    Drink,
    /// The event's settings changed (no payload: read them again from `GET /api/menu`).
    Settings,
    /// A drink was added, renamed, moved or retired (no payload: read the menu again).
    Menu,
}

/// The public snapshot of an order in a feed event (no visitor id, ever).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventOrder {
    pub id: i64,
    pub number: i32,
    /// Null while the bar hides it from public screens.
    pub nickname: Option<String>,
    /// The order's current flag (also on its older events).
    pub name_hidden: bool,
    pub drink: String,
    pub status: OrderStatus,
    pub version: i32,
}

/// The snapshot of a drink in a `drink` event (menu change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventDrink {
    pub id: String,
    pub available: bool,
    pub stock: Option<i32>,
    /// As in [`MenuItem::sold_out`], so pages never compute it themselves.
    pub sold_out: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedEvent {
    pub kind: EventKind,
    /// Epoch milliseconds.
    pub at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<EventOrder>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drink: Option<EventDrink>,
}

/// `GET /api/feed`.
#[derive(Debug, Clone, Serialize)]
pub struct FeedPage {
    /// Each event as PostgreSQL built it (`event_json`: a [`FeedEvent`]), passed through.
    pub events: Vec<Box<serde_json::value::RawValue>>,
    /// Cursor to poll with next (`?after=`); also the response's ETag.
    pub next: String,
}

/// An open order on the counter screen (`GET /api/board`): only what the public ticker
/// shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardOrder {
    pub id: i64,
    pub number: i32,
    /// Null while the bar hides it from public screens.
    pub nickname: Option<String>,
    pub drink: String,
    pub status: OrderStatus,
    /// When it reached its status (epoch ms).
    pub since: i64,
    pub version: i32,
}

/// A line of the public ticker (`GET /api/visit`): an order as it was placed or last
/// changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TickerLine {
    pub id: i64,
    pub number: i32,
    /// Null while the bar hides it from public screens.
    pub nickname: Option<String>,
    pub drink: String,
    /// When it was placed or last changed (epoch ms).
    pub at: i64,
}

/// The bar's recent wait: the median time from placed to ready of the orders that became
/// ready lately (`http::RECENT_WAIT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecentWait {
    pub median_ms: i64,
    /// How many orders the median is of.
    pub samples: i64,
}

/// `GET /api/visit`: what a guest's phone (or a screen without a guest) shows, bounded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Visit {
    /// The database's clock (epoch ms), to measure `order.placed_at` and `wait` against.
    pub now: i64,
    /// The guest's latest order (null without one, or without `X-Visitor-Id`).
    pub order: Option<Order>,
    /// While `order` waits (`OrderStatus::WAITING`): how many waiting orders are before it.
    pub ahead: Option<i64>,
    /// Null when too few orders became ready lately to estimate from.
    pub wait: Option<RecentWait>,
    /// The public ticker, newest first (`http::TICKER_LINES`).
    pub ticker: Vec<TickerLine>,
    /// The menu's version: the ETag of `GET /api/menu` (quoted); read the menu again when
    /// it changes.
    pub menu: String,
}

/// How many open orders there are in each column of the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardTotals {
    /// Placed or being prepared (`OrderStatus::WAITING`).
    pub waiting: i64,
    pub ready: i64,
}

/// `GET /api/board` (public): the oldest open orders of each column, at most
/// `http::BOARD_COLUMN_MAX` each, and how many there are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Board {
    /// The database's clock (epoch ms), to measure `since` against.
    pub now: i64,
    /// Ready orders not collected after this many minutes are dimmed.
    pub ready_dim_minutes: i32,
    pub total: BoardTotals,
    /// Waiting orders oldest first, then ready orders in the order they became ready.
    pub orders: Vec<BoardOrder>,
}

/// `DELETE /api/orders?before=` (bar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Purged {
    /// How many closed orders were deleted (with their events).
    pub purged: i64,
}

/// `PATCH /api/orders` (bar): which orders moved and which did not, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchOutcome {
    /// The orders that moved, as they are now (id order).
    pub moved: Vec<Order>,
    /// The changes that were refused (id order); nothing was written for them.
    pub conflicts: Vec<BatchConflict>,
}

/// A change of a batch that was refused, with the problem one `PATCH /api/orders/{id}`
/// would have answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchConflict {
    pub id: i64,
    /// The problem type: `/problems/version-conflict`, `/problems/illegal-transition` or
    /// `/problems/order-not-found`.
    #[serde(rename = "type")]
    pub kind: String,
    pub detail: String,
    /// The order as it is now (null when there is no such order).
    pub order: Option<Order>,
}

/// `GET /api/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    pub status: &'static str,
    pub migration: i64,
}

/// Serializes a response body. Our types cannot fail to serialize; should it ever happen,
/// the error is reported as an internal one rather than a panic.
pub fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(value).map_err(|e| ApiError::internal_because("serializing the response", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const VISITOR: &str = "6f1c2a52-8a7e-4b8e-9d43-2a0f7c3b5e10";
    const REQUEST: &str = "0b7e7f0e-3f4c-4f55-8c53-0d8c3f1d7a21";

    fn body(visitor: Value, nickname: Value, drink: Value, request: Value) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "visitor_id": visitor, "nickname": nickname, "drink": drink, "request_id": request
        }))
        .unwrap()
    }

    fn field_of(err: ApiError) -> Option<String> {
        err.problem().field
    }

    #[test]
    fn valid_order_body_is_parsed() {
        let p = PlaceOrder::from_json(&body(
            VISITOR.into(),
            " Ana ".into(),
            "tea".into(),
            REQUEST.into(),
        ))
        .unwrap();
        assert_eq!(p.nickname.as_str(), "Ana");
        assert_eq!(p.drink.as_str(), "tea");
        assert_eq!(p.visitor_id.to_hyphenated(), VISITOR);
        assert_eq!(p.request_id.to_hyphenated(), REQUEST);
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let b = br#"{"visitor_id":"6f1c2a52-8a7e-4b8e-9d43-2a0f7c3b5e10","nickname":"A",
                    "drink":"tea","request_id":"0b7e7f0e-3f4c-4f55-8c53-0d8c3f1d7a21","x":1}"#;
        assert!(PlaceOrder::from_json(b).is_ok());
    }

    #[test]
    fn malformed_json_is_a_400() {
        for b in [&b"{"[..], b"", b"nul", b"{\"a\":}", b"\xff\xfe"] {
            let e = PlaceOrder::from_json(b).unwrap_err();
            assert_eq!(e.problem().status, 400, "{b:?}");
        }
    }

    #[test]
    fn body_that_is_not_an_object_is_a_400() {
        for b in [&b"[]"[..], b"\"x\"", b"42", b"null", b" [1, 2]"] {
            assert!(matches!(
                PlaceOrder::from_json(b),
                Err(ApiError::Request(RequestError::BodyNotAnObject))
            ));
        }
    }

    #[test]
    fn missing_field_is_named() {
        let e = PlaceOrder::from_json(br#"{"visitor_id":"6f1c2a52-8a7e-4b8e-9d43-2a0f7c3b5e10"}"#)
            .unwrap_err();
        assert_eq!(field_of(e).as_deref(), Some("nickname"));
    }

    #[test]
    fn null_field_counts_as_missing() {
        let e = PlaceOrder::from_json(&body(
            VISITOR.into(),
            Value::Null,
            "tea".into(),
            REQUEST.into(),
        ))
        .unwrap_err();
        assert!(
            matches!(e, ApiError::Request(RequestError::MissingField { ref field }) if field == "nickname")
        );
    }

    #[test]
    fn wrong_type_is_named() {
        let e = PlaceOrder::from_json(&body(VISITOR.into(), "A".into(), 3.into(), REQUEST.into()))
            .unwrap_err();
        assert!(
            matches!(e, ApiError::Request(RequestError::WrongType { ref field, .. }) if field == "drink")
        );
        assert_eq!(e.problem().status, 422);
    }

    #[test]
    fn invalid_values_are_named() {
        let cases = [
            (
                body("x".into(), "A".into(), "tea".into(), REQUEST.into()),
                "visitor_id",
            ),
            (
                body(VISITOR.into(), "  ".into(), "tea".into(), REQUEST.into()),
                "nickname",
            ),
            (
                body(
                    VISITOR.into(),
                    "a".repeat(33).into(),
                    "tea".into(),
                    REQUEST.into(),
                ),
                "nickname",
            ),
            (
                body(VISITOR.into(), "A".into(), "Tea!".into(), REQUEST.into()),
                "drink",
            ),
            (
                body(VISITOR.into(), "A".into(), "tea".into(), "1234".into()),
                "request_id",
            ),
        ];
        for (b, field) in cases {
            let e = PlaceOrder::from_json(&b).unwrap_err();
            assert_eq!(e.problem().status, 422);
            assert_eq!(field_of(e).as_deref(), Some(field));
        }
    }

    #[test]
    fn a_reason_goes_only_with_a_cancel_and_is_a_short_trimmed_text() {
        let ok = BarStatusChange::from_json(
            br#"{"status":"cancelled","version":2,"reason":" Out of milk "}"#,
        )
        .unwrap();
        assert_eq!(ok.reason_param().as_deref(), Some("Out of milk"));
        let none =
            BarStatusChange::from_json(br#"{"status":"cancelled","version":2,"reason":null}"#)
                .unwrap();
        assert_eq!(none.reason_param(), None);
        let long = format!(
            r#"{{"status":"cancelled","version":2,"reason":"{}"}}"#,
            "x".repeat(crate::domain::CANCEL_REASON_MAX_CHARS + 1)
        );
        for body in [
            r#"{"status":"ready","version":2,"reason":"why"}"#,
            r#"{"status":"cancelled","version":2,"reason":"  "}"#,
            r#"{"status":"cancelled","version":2,"reason":"a\u0007b"}"#,
            long.as_str(),
        ] {
            let e = BarStatusChange::from_json(body.as_bytes()).unwrap_err();
            assert_eq!(field_of(e).as_deref(), Some("reason"), "{body}");
        }
    }

    #[test]
    fn order_json_uses_epoch_milliseconds_and_lower_case_status() {
        let o = Order {
            id: 1,
            number: 1,
            nickname: "Ana".into(),
            name_hidden: false,
            drink: "tea".into(),
            status: OrderStatus::Placed,
            version: 1,
            created_at: 1_795_000_000_000,
            updated_at: 1_795_000_000_001,
            placed_at: 1_795_000_000_000,
            preparing_at: Some(1_795_000_000_001),
            ready_at: None,
            served_at: None,
            cancelled_at: None,
            cancelled_by: None,
            cancel_reason: None,
        };
        let v = serde_json::to_value(&o).unwrap();
        assert_eq!(v["status"], "placed");
        assert_eq!(v["created_at"], 1_795_000_000_000_i64);
        assert_eq!(v["placed_at"], 1_795_000_000_000_i64);
        assert_eq!(v["preparing_at"], 1_795_000_000_001_i64);
        assert_eq!(v["ready_at"], Value::Null);
        assert_eq!(v["served_at"], Value::Null);
        assert_eq!(v["cancelled_at"], Value::Null);
        assert!(v.get("visitor_id").is_none());
    }

    #[test]
    fn status_change_body_is_parsed() {
        let c = StatusChange::from_json(br#"{"status":"ready","version":3}"#).unwrap();
        assert_eq!(c.status, OrderStatus::Ready);
        assert_eq!(c.version, 3);
        assert_eq!(c.from_statuses_param(), "preparing");
        let cancel = StatusChange::from_json(br#"{"status":"cancelled","version":1}"#).unwrap();
        assert_eq!(cancel.from_statuses_param(), "placed,preparing,ready");
        let back = StatusChange::from_json(br#"{"status":"placed","version":1}"#).unwrap();
        assert_eq!(back.from_statuses_param(), "");
    }

    #[test]
    fn bad_status_change_bodies_name_the_field() {
        let cases: [(&[u8], u16, Option<&str>); 10] = [
            (br#"{"version":1}"#, 422, Some("status")),
            (br#"{"status":"ready"}"#, 422, Some("version")),
            (br#"{"status":"done","version":1}"#, 422, Some("status")),
            (br#"{"status":"Ready","version":1}"#, 422, Some("status")),
            (br#"{"status":3,"version":1}"#, 422, Some("status")),
            (br#"{"status":"ready","version":0}"#, 422, Some("version")),
            (br#"{"status":"ready","version":1.5}"#, 422, Some("version")),
            (br#"{"status":"ready","version":"2"}"#, 422, Some("version")),
            (
                br#"{"status":"ready","version":2147483648}"#,
                422,
                Some("version"),
            ),
            (br#"[]"#, 400, None),
        ];
        for (body, status, field) in cases {
            let p = StatusChange::from_json(body).unwrap_err().problem();
            assert_eq!(p.status, status, "{}", String::from_utf8_lossy(body));
            assert_eq!(
                p.field.as_deref(),
                field,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn drink_change_distinguishes_absent_null_and_a_number() {
        let only_switch = DrinkChange::from_json(br#"{"available":false}"#).unwrap();
        assert_eq!(only_switch.available_param(), Some(false));
        assert!(!only_switch.sets_stock_param());
        let unlimited = DrinkChange::from_json(br#"{"stock":null}"#).unwrap();
        assert_eq!(unlimited.available_param(), None);
        assert!(unlimited.sets_stock_param());
        assert_eq!(unlimited.stock_param(), None);
        let both = DrinkChange::from_json(br#"{"available":true,"stock":0}"#).unwrap();
        assert_eq!(both.stock, Some(Some(0)));
        assert_eq!(both.stock_param(), Some(0));
    }

    #[test]
    fn a_drink_is_renamed_moved_and_retired() {
        let c = DrinkChange::from_json(
            br#"{"names":{"en":" Mate ","de":"Mate"},"position":30,"retired":true}"#,
        )
        .unwrap();
        assert_eq!(
            c.names_param().unwrap().as_deref(),
            Some(r#"{"en":"Mate","de":"Mate"}"#)
        );
        assert_eq!((c.position, c.retired), (Some(30), Some(true)));
        assert_eq!(c.available, None);
    }

    #[test]
    fn a_new_drink_needs_an_id_and_an_english_name() {
        let d = NewDrink::from_json(br#"{"id":"mate","names":{"en":"Mate","it":"Mate"}}"#).unwrap();
        assert_eq!((d.id.as_str(), d.available, d.stock), ("mate", true, None));
        assert_eq!(d.names_param().unwrap(), r#"{"en":"Mate","it":"Mate"}"#);
        let cases: [(&[u8], &str); 6] = [
            (br#"{"names":{"en":"Mate"}}"#, "id"),
            (br#"{"id":"Mate!","names":{"en":"Mate"}}"#, "id"),
            (br#"{"id":"mate"}"#, "names"),
            (br#"{"id":"mate","names":{}}"#, "names"),
            (br#"{"id":"mate","names":{"de":"Mate"}}"#, "names"),
            (
                br#"{"id":"mate","names":{"en":"Mate"},"stock":-1}"#,
                "stock",
            ),
        ];
        for (body, field) in cases {
            let p = NewDrink::from_json(body).unwrap_err().problem();
            let what = String::from_utf8_lossy(body);
            assert_eq!((p.status, p.field.as_deref()), (422, Some(field)), "{what}");
        }
        let long = format!(r#"{{"id":"x","names":{{"en":"{}"}}}}"#, "y".repeat(65));
        let p = NewDrink::from_json(long.as_bytes()).unwrap_err().problem();
        assert_eq!(p.field.as_deref(), Some("names.en"));
    }

    #[test]
    fn bad_drink_changes_are_422() {
        let cases: [(&[u8], Option<&str>); 8] = [
            (br#"{}"#, None),
            (br#"{"name":"Tea"}"#, None),
            (br#"{"names":{}}"#, Some("names")),
            (br#"{"position":-1}"#, Some("position")),
            (br#"{"stock":-1}"#, Some("stock")),
            (br#"{"stock":2.5}"#, Some("stock")),
            (br#"{"stock":"5"}"#, Some("stock")),
            (br#"{"available":"yes"}"#, Some("available")),
        ];
        for (body, field) in cases {
            let p = DrinkChange::from_json(body).unwrap_err().problem();
            assert_eq!(p.status, 422, "{}", String::from_utf8_lossy(body));
            assert_eq!(
                p.field.as_deref(),
                field,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn drink_event_json_has_no_order() {
        let e = FeedEvent {
            kind: EventKind::Drink,
            at: 5,
            order: None,
            drink: Some(EventDrink {
                id: "beer".into(),
                available: true,
                stock: None,
                sold_out: false,
            }),
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["kind"], "drink");
        assert!(v.get("order").is_none());
        assert_eq!(v["drink"]["stock"], Value::Null);
    }

    #[test]
    fn a_batch_lists_each_change_with_the_statuses_it_may_come_from() {
        let b = br#"{"changes": [{"id": 7, "status": "preparing", "version": 1},
                                 {"id": 3, "status": "cancelled", "version": 4, "x": 1}]}"#;
        let batch = StatusChanges::from_json(b).unwrap();
        assert_eq!(batch.changes.len(), 2);
        assert_eq!(batch.asked(3), Some(OrderStatus::Cancelled));
        assert_eq!(batch.asked(8), None);
        let param: Value = serde_json::from_str(&batch.changes_param().unwrap()).unwrap();
        assert_eq!(
            param,
            serde_json::json!([
                {"id": 7, "status": "preparing", "version": 1, "from_statuses": "placed"},
                {"id": 3, "status": "cancelled", "version": 4,
                 "from_statuses": "placed,preparing,ready"},
            ])
        );
    }

    #[test]
    fn a_bad_batch_is_refused_naming_the_field() {
        let many: Vec<Value> = (1..=BATCH_MAX_CHANGES as i64 + 1)
            .map(|id| serde_json::json!({"id": id, "status": "ready", "version": 1}))
            .collect();
        let many = serde_json::to_vec(&serde_json::json!({ "changes": many })).unwrap();
        let cases: [(&[u8], &str); 10] = [
            (br#"{}"#, "changes"),
            (br#"{"changes": []}"#, "changes"),
            (&many, "changes"),
            (br#"{"changes": {}}"#, "changes"),
            (br#"{"changes": [[7, "ready", 1]]}"#, "changes[0]"),
            (
                br#"{"changes": [{"id": 0, "status": "ready", "version": 1}]}"#,
                "changes[0].id",
            ),
            (
                br#"{"changes": [{"id": 1, "status": "gone", "version": 1}]}"#,
                "changes[0].status",
            ),
            (
                br#"{"changes": [{"id": 1, "status": "ready", "version": 0}]}"#,
                "changes[0].version",
            ),
            (
                br#"{"changes": [{"id": 1, "status": "ready"}]}"#,
                "changes[0].version",
            ),
            (
                br#"{"changes": [{"id": 2, "status": "ready", "version": 1},
                                 {"id": 2, "status": "served", "version": 2}]}"#,
                "changes[1].id",
            ),
        ];
        for (body, field) in cases {
            let p = StatusChanges::from_json(body).unwrap_err().problem();
            assert_eq!(p.status, 422, "{}", String::from_utf8_lossy(body));
            assert_eq!(
                p.field.as_deref(),
                Some(field),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
