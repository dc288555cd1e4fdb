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
        };
        let v = serde_json::to_value(&o).unwrap();
        assert_eq!(v["status"], "placed");
        assert_eq!(v["created_at"], 1_795_000_000_000_i64);
        assert!(v.get("visitor_id").is_none());
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
