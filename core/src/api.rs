//! JSON shapes of requests and responses.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::{DrinkId, Nickname, OrderStatus, RequestId, VisitorId};
use crate::problem::ApiError;

/// `POST /api/orders` body: `{visitor_id, nickname, drink, request_id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceOrder {
    pub visitor_id: VisitorId,
    pub nickname: Nickname,
    pub drink: DrinkId,
    pub request_id: RequestId,
}

impl PlaceOrder {
    /// Parses and validates the body; the error names the first offending field.
    /// Unknown fields are ignored.
    pub fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        let object = json_object(body)?;
        let visitor_id = string_field(&object, "visitor_id")?;
        let nickname = string_field(&object, "nickname")?;
        let drink = string_field(&object, "drink")?;
        let request_id = string_field(&object, "request_id")?;
        Ok(Self {
            visitor_id: VisitorId::parse(visitor_id).map_err(invalid("visitor_id"))?,
            nickname: Nickname::parse(nickname).map_err(invalid("nickname"))?,
            drink: DrinkId::parse(drink).map_err(invalid("drink"))?,
            request_id: RequestId::parse(request_id).map_err(invalid("request_id"))?,
        })
    }
}

/// `PATCH /api/orders/{id}` body (bar): `{status, version}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange {
    pub status: OrderStatus,
    /// The version of the order the bar tablet last saw (optimistic concurrency).
    pub version: i32,
}

impl StatusChange {
    pub fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        let object = json_object(body)?;
        let status = string_field(&object, "status")?;
        let status = OrderStatus::parse(status).map_err(invalid("status"))?;
        let version = match object.get("version") {
            None | Some(Value::Null) => return Err(ApiError::MissingField { field: "version" }),
            Some(v @ Value::Number(_)) => int_in(v, 1, i64::from(i32::MAX), "version")?,
            Some(_) => {
                return Err(ApiError::WrongType {
                    field: "version",
                    expected: "integer",
                });
            }
        };
        Ok(Self {
            status,
            // In range by the check above.
            version: i32::try_from(version).unwrap_or(i32::MAX),
        })
    }

    /// `$4` of `SET_STATUS`: the statuses the order may be in for this change,
    /// comma-separated ('' when none is, e.g. for `placed`).
    pub fn from_statuses_param(&self) -> String {
        OrderStatus::reachable_from(self.status)
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// `PATCH /api/drinks/{id}` body (bar): `{available?, stock?}`, at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrinkChange {
    /// `None` = leave as it is.
    pub available: Option<bool>,
    /// `None` = leave as it is; `Some(None)` = unlimited; `Some(Some(n))` = n left.
    pub stock: Option<Option<i32>>,
}

impl DrinkChange {
    pub fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        let object = json_object(body)?;
        let available = match object.get("available") {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                return Err(ApiError::WrongType {
                    field: "available",
                    expected: "boolean",
                });
            }
        };
        let stock = match object.get("stock") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(v @ Value::Number(_)) => {
                let n = int_in(v, 0, i64::from(i32::MAX), "stock")?;
                Some(Some(i32::try_from(n).unwrap_or(i32::MAX)))
            }
            Some(_) => {
                return Err(ApiError::WrongType {
                    field: "stock",
                    expected: "integer or null",
                });
            }
        };
        if available.is_none() && stock.is_none() {
            return Err(ApiError::NothingToChange);
        }
        Ok(Self { available, stock })
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

/// A JSON number that is an integer within `min..=max` (1.0 and 1e3 are refused: the API
/// takes integers written as integers).
fn int_in(value: &Value, min: i64, max: i64, field: &'static str) -> Result<i64, ApiError> {
    match value.as_i64() {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::InvalidField {
            field,
            reason: crate::domain::InvalidValue::OutOfRange { min, max },
        }),
    }
}

fn json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::BodyNotAnObject),
        Err(e) => Err(ApiError::MalformedJson(e.to_string())),
    }
}

fn string_field<'a>(
    object: &'a Map<String, Value>,
    field: &'static str,
) -> Result<&'a str, ApiError> {
    match object.get(field) {
        None | Some(Value::Null) => Err(ApiError::MissingField { field }),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::WrongType {
            field,
            expected: "string",
        }),
    }
}

fn invalid(field: &'static str) -> impl Fn(crate::domain::InvalidValue) -> ApiError {
    move |reason| ApiError::InvalidField { field, reason }
}

/// An order as the visitor and the bar see it. Never carries the visitor id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    pub id: i64,
    /// Short number (1–999, wrapping) the bar calls out.
    pub number: i32,
    pub nickname: String,
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
}

/// One drink of `GET /api/menu`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MenuItem {
    pub id: String,
    pub name: String,
    /// The bar's switch: false = not served at this event (now).
    pub available: bool,
    /// Portions left; null = unlimited.
    pub stock: Option<i32>,
    /// True when it cannot be ordered now (switched off or no stock left).
    pub sold_out: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Menu {
    pub drinks: Vec<MenuItem>,
}

/// `GET /api/mine`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    Placed,
    Changed,
    Status,
    Cancelled,
    Drink,
}

impl EventKind {
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "placed" => EventKind::Placed,
            "changed" => EventKind::Changed,
            "status" => EventKind::Status,
            "cancelled" => EventKind::Cancelled,
            "drink" => EventKind::Drink,
            _ => return None,
        })
    }
}

/// The public snapshot of an order in a feed event (no visitor id, ever).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventOrder {
    pub id: i64,
    pub number: i32,
    pub nickname: String,
    pub drink: String,
    pub status: OrderStatus,
    pub version: i32,
}

/// The snapshot of a drink in a `drink` event (menu change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventDrink {
    pub id: String,
    pub available: bool,
    pub stock: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedEvent {
    pub kind: EventKind,
    /// Epoch milliseconds.
    pub at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<EventOrder>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drink: Option<EventDrink>,
}

/// `GET /api/feed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedPage {
    pub events: Vec<FeedEvent>,
    /// Cursor to poll with next (`?after=`); also the response's ETag.
    pub next: String,
}

/// `DELETE /api/orders?before=` (bar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Purged {
    /// How many closed orders were deleted (with their events).
    pub purged: i64,
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
    serde_json::to_vec(value).map_err(|e| ApiError::Internal(format!("serializing response: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for b in [&b"[]"[..], b"\"x\"", b"42", b"null"] {
            assert!(matches!(
                PlaceOrder::from_json(b),
                Err(ApiError::BodyNotAnObject)
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
        assert!(matches!(e, ApiError::MissingField { field: "nickname" }));
    }

    #[test]
    fn wrong_type_is_named() {
        let e = PlaceOrder::from_json(&body(VISITOR.into(), "A".into(), 3.into(), REQUEST.into()))
            .unwrap_err();
        assert!(matches!(e, ApiError::WrongType { field: "drink", .. }));
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
    fn order_json_uses_epoch_milliseconds_and_lower_case_status() {
        let o = Order {
            id: 1,
            number: 1,
            nickname: "Ana".into(),
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
    fn bad_drink_changes_are_422() {
        let cases: [(&[u8], Option<&str>); 6] = [
            (br#"{}"#, None),
            (br#"{"name":"Tea"}"#, None),
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
            }),
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["kind"], "drink");
        assert!(v.get("order").is_none());
        assert_eq!(v["drink"]["stock"], Value::Null);
    }
}
