//! Every error the API answers with, and the one place that maps it to HTTP
//! (`application/problem+json`, RFC 9457).

use serde::Serialize;

use crate::api::Order;
use crate::domain::{InvalidValue, OrderStatus};

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";
/// Seconds a client should wait before retrying after a 503.
pub const RETRY_AFTER_SECONDS: u32 = 2;

/// What went wrong, in domain terms. `ApiError::problem` is the only mapping to HTTP.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the request body must be a JSON object")]
    BodyNotAnObject,
    #[error("field {field} is missing")]
    MissingField { field: String },
    #[error("field {field} must be a {expected}")]
    WrongType { field: String, expected: String },
    #[error("{field} {reason}")]
    InvalidField { field: String, reason: String },
    #[error("query parameter {field}: {reason}")]
    InvalidParameter { field: String, reason: String },
    /// `?=x`: a parameter without a name (answered with `field: ""`).
    #[error("a query parameter has an empty name")]
    EmptyParameterName,
    #[error("header {header} {reason}")]
    InvalidHeader {
        header: &'static str,
        reason: InvalidValue,
    },
    #[error("header {header} is required")]
    MissingHeader { header: &'static str },
    #[error("the request body is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    #[error("no such resource")]
    NotFound,
    #[error("method not allowed; allowed: {allow}")]
    MethodNotAllowed { allow: String },
    #[error("a valid bar token is required")]
    Unauthorized,
    #[error("the bar token is not configured")]
    BarTokenNotConfigured,
    #[error("unknown drink {0}")]
    UnknownDrink(String),
    #[error("{0} is sold out")]
    SoldOut(String),
    #[error("the open order is already {}", .0.status)]
    OrderLocked(Box<Order>),
    #[error("the order is already {}", .0.status)]
    OrderClosed(Box<Order>),
    #[error("this request_id was already used for another visitor's order")]
    RequestIdReused,
    #[error("order not found")]
    OrderNotFound,
    #[error("drink not found")]
    DrinkNotFound,
    #[error("the body must contain available and/or stock")]
    NothingToChange,
    #[error(
        "the order was changed meanwhile: it is now version {} ({}); reload it and retry",
        .0.version,
        .0.status
    )]
    VersionConflict(Box<Order>),
    #[error("the order is {}; it cannot become {to}", .order.status)]
    IllegalTransition { order: Box<Order>, to: OrderStatus },
    #[error("the database is unavailable: {0}")]
    DatabaseUnavailable(String),
    #[error("the database schema is at migration {applied}, this build needs {required}")]
    NotMigrated { applied: i64, required: i64 },
    /// A statement met a missing table or column: the database was not migrated (yet) to
    /// this build's schema. Carries the database's message, for the log only.
    #[error("the database lacks a table or column of this build's schema: {0}")]
    SchemaMissing(String),
    #[error("the database is busy, retry")]
    Contention,
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<crate::cursor::BadCursor> for ApiError {
    fn from(_: crate::cursor::BadCursor) -> Self {
        ApiError::InvalidParameter {
            field: "after".into(),
            reason: "not a valid cursor".into(),
        }
    }
}

/// An `application/problem+json` body plus the headers that go with it.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// The offending request field, query parameter or header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The order the problem is about, when the client can show it (e.g. "being prepared").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<Order>,
    #[serde(skip)]
    pub headers: Vec<(&'static str, String)>,
}

impl Problem {
    fn new(status: u16, slug: &str, title: &'static str, detail: String) -> Self {
        Self {
            kind: format!("/problems/{slug}"),
            title,
            status,
            detail,
            field: None,
            order: None,
            headers: Vec::new(),
        }
    }

    fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| {
            br#"{"type":"/problems/internal","title":"Internal error","status":500}"#.to_vec()
        })
    }
}

impl ApiError {
    /// Whether this is the server's fault (to be logged with its cause chain).
    pub fn is_internal(&self) -> bool {
        matches!(self, ApiError::Internal(_))
    }

    /// The one line to log for this error, if it is one the operator must see: internal
    /// errors with their cause chain, and statements that met an unmigrated database.
    pub fn log_line(&self) -> Option<String> {
        match self {
            ApiError::Internal(_) => Some(format!("error: {self}")),
            ApiError::SchemaMissing(msg) => Some(format!(
                "warning: database not migrated (run the migrate component): {msg}"
            )),
            _ => None,
        }
    }

    /// The single mapping from errors to HTTP status, problem type and headers.
    pub fn problem(&self) -> Problem {
        let detail = self.to_string();
        match self {
            ApiError::MalformedJson(_) => {
                Problem::new(400, "malformed-json", "Malformed JSON", detail)
            }
            ApiError::BodyNotAnObject => {
                Problem::new(400, "malformed-json", "Malformed JSON", detail)
            }
            ApiError::MissingField { field }
            | ApiError::WrongType { field, .. }
            | ApiError::InvalidField { field, .. } => {
                Problem::new(422, "invalid-field", "Invalid field", detail).field(field.clone())
            }
            ApiError::InvalidParameter { field, .. } => {
                Problem::new(400, "invalid-parameter", "Invalid query parameter", detail)
                    .field(field.clone())
            }
            ApiError::EmptyParameterName => {
                Problem::new(400, "invalid-parameter", "Invalid query parameter", detail)
                    .field("")
            }
            ApiError::InvalidHeader { header, .. } => {
                Problem::new(400, "invalid-header", "Invalid header", detail).field(*header)
            }
            ApiError::MissingHeader { header } => {
                Problem::new(400, "invalid-header", "Missing header", detail).field(*header)
            }
            ApiError::BodyTooLarge { .. } => {
                Problem::new(413, "body-too-large", "Request body too large", detail)
            }
            ApiError::UnsupportedMediaType => Problem::new(
                415,
                "unsupported-media-type",
                "Unsupported media type",
                detail,
            )
            .field("Content-Type")
            .header("Accept-Post", "application/json")
            .header("Accept-Patch", "application/json"),
            ApiError::NotFound => Problem::new(404, "not-found", "Not found", detail),
            ApiError::MethodNotAllowed { allow } => {
                Problem::new(405, "method-not-allowed", "Method not allowed", detail)
                    .header("Allow", allow.clone())
            }
            ApiError::Unauthorized => Problem::new(401, "unauthorized", "Unauthorized", detail)
                .field("Authorization")
                .header("WWW-Authenticate", "Bearer realm=\"bar\""),
            ApiError::BarTokenNotConfigured => Problem::new(
                503,
                "bar-token-not-configured",
                "Bar access is not configured",
                "the Spin variable bar_token is empty or unset; set it to enable the bar endpoints"
                    .into(),
            )
            .field("bar_token"),
            ApiError::UnknownDrink(_) => {
                Problem::new(422, "unknown-drink", "Unknown drink", detail).field("drink")
            }
            ApiError::SoldOut(_) => {
                Problem::new(409, "sold-out", "Sold out", detail).field("drink")
            }
            ApiError::OrderLocked(order) => {
                let mut p = Problem::new(
                    409,
                    "order-in-progress",
                    "Your order is already being handled",
                    match order.status {
                        OrderStatus::Ready => {
                            "your order is ready; it can no longer be changed".into()
                        }
                        _ => "your order is being prepared; it can no longer be changed".into(),
                    },
                );
                p.order = Some((**order).clone());
                p
            }
            ApiError::OrderClosed(order) => {
                let mut p = Problem::new(409, "order-closed", "Order already closed", detail);
                p.order = Some((**order).clone());
                p
            }
            ApiError::RequestIdReused => {
                Problem::new(409, "request-id-reused", "request_id already used", detail)
                    .field("request_id")
            }
            ApiError::OrderNotFound => {
                Problem::new(404, "order-not-found", "Order not found", detail)
            }
            ApiError::DrinkNotFound => {
                Problem::new(404, "drink-not-found", "Drink not found", detail)
            }
            ApiError::NothingToChange => {
                Problem::new(422, "invalid-field", "Nothing to change", detail)
            }
            ApiError::VersionConflict(order) => {
                let mut p =
                    Problem::new(409, "version-conflict", "Order changed meanwhile", detail)
                        .field("version");
                p.order = Some((**order).clone());
                p
            }
            ApiError::IllegalTransition { order, .. } => {
                let mut p = Problem::new(
                    409,
                    "illegal-transition",
                    "Status change not allowed",
                    detail,
                )
                .field("status");
                p.order = Some((**order).clone());
                p
            }
            ApiError::DatabaseUnavailable(_) => Problem::new(
                503,
                "database-unavailable",
                "Service temporarily unavailable",
                "the database cannot be reached; retry later".into(),
            )
            .header("Retry-After", RETRY_AFTER_SECONDS.to_string()),
            ApiError::NotMigrated { .. } => {
                Problem::new(503, "not-migrated", "Database not migrated", detail)
                    .header("Retry-After", RETRY_AFTER_SECONDS.to_string())
            }
            ApiError::SchemaMissing(_) => Problem::new(
                503,
                "not-migrated",
                "Database not migrated",
                "the database is not migrated to this build's schema; retry after the migrations ran"
                    .into(),
            )
            .header("Retry-After", RETRY_AFTER_SECONDS.to_string()),
            ApiError::Contention => {
                Problem::new(503, "busy", "Busy", detail).header("Retry-After", "1")
            }
            ApiError::Internal(_) => Problem::new(
                500,
                "internal",
                "Internal error",
                "an unexpected error occurred".into(),
            ),
        }
    }
}

/// How a database call failed, as far as the components can tell (spin-free mirror of
/// `spin_sdk::pg4::Error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbFailure {
    /// `Error::ConnectionFailed`
    Connection(String),
    /// `Error::QueryFailed` with a PostgreSQL SQLSTATE (empty when unknown).
    Query { code: String, message: String },
    /// Anything else (bad parameter, value conversion, other).
    Other(String),
}

/// What a component should do about a database failure.
#[derive(Debug)]
pub enum DbVerdict {
    /// Run the same statement once more (a concurrent twin won a unique race).
    Retry,
    /// Answer with this error.
    Fail(ApiError),
}

impl DbFailure {
    pub fn verdict(&self) -> DbVerdict {
        match self {
            DbFailure::Connection(msg) => {
                DbVerdict::Fail(ApiError::DatabaseUnavailable(msg.clone()))
            }
            // No SQLSTATE: the driver's own error, as text. A connection that broke under
            // the statement (a database restart, a network cut) is "unavailable, retry",
            // not a bug.
            DbFailure::Query { code, message } if code.is_empty() && connection_lost(message) => {
                DbVerdict::Fail(ApiError::DatabaseUnavailable(message.clone()))
            }
            DbFailure::Query { code, message } => match code.as_str() {
                // unique_violation, serialization_failure, deadlock_detected
                "23505" | "40001" | "40P01" => DbVerdict::Retry,
                // connection exceptions, shutdown, too many connections, cannot connect now
                c if c.starts_with("08") || matches!(c, "57P01" | "57P02" | "57P03" | "53300") => {
                    DbVerdict::Fail(ApiError::DatabaseUnavailable(message.clone()))
                }
                // undefined_table, undefined_column, undefined_function (the write statements
                // call functions of migration 0002): the schema is older than this build
                // (not migrated yet, or a deploy is under way), not a bug of the request.
                "42P01" | "42703" | "42883" => {
                    DbVerdict::Fail(ApiError::SchemaMissing(format!("[{code}] {message}")))
                }
                _ => DbVerdict::Fail(ApiError::Internal(format!(
                    "query failed [{code}]: {message}"
                ))),
            },
            DbFailure::Other(msg) => DbVerdict::Fail(ApiError::Internal(msg.clone())),
        }
    }

    /// The error to answer with once retries are exhausted.
    pub fn final_error(&self) -> ApiError {
        match self.verdict() {
            DbVerdict::Retry => ApiError::Contention,
            DbVerdict::Fail(e) => e,
        }
    }
}

/// Whether a driver error text (no SQLSTATE) says the connection was lost. Spin's pg4 host
/// (and ours) reports such errors as the Debug text of tokio-postgres's error, whose `kind`
/// names the cause: `Closed` (the server went away), `Io` (the socket failed) or `Connect`.
pub fn connection_lost(message: &str) -> bool {
    ["kind: Closed", "kind: Io", "kind: Connect"]
        .iter()
        .any(|kind| message.contains(kind))
        || message.contains("connection closed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_cut_under_a_statement_is_unavailable_not_internal() {
        for text in [
            "Error { kind: Closed, cause: None }",
            "Error { kind: Io, cause: Some(Os { code: 104, kind: ConnectionReset }) }",
            "connection closed",
        ] {
            let failure = DbFailure::Query {
                code: String::new(),
                message: text.to_string(),
            };
            match failure.verdict() {
                DbVerdict::Fail(ApiError::DatabaseUnavailable(_)) => {}
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_missing_table_column_or_function_means_not_migrated() {
        for code in ["42P01", "42703", "42883"] {
            let failure = DbFailure::Query {
                code: code.to_string(),
                message: "missing".to_string(),
            };
            assert!(
                matches!(
                    failure.verdict(),
                    DbVerdict::Fail(ApiError::SchemaMissing(_))
                ),
                "{code}"
            );
        }
    }

    #[test]
    fn other_driver_errors_without_sqlstate_stay_internal() {
        let failure = DbFailure::Query {
            code: String::new(),
            message: "error deserializing column 0".to_string(),
        };
        assert!(matches!(
            failure.verdict(),
            DbVerdict::Fail(ApiError::Internal(_))
        ));
    }

    fn sample_order(status: OrderStatus) -> Order {
        Order {
            id: 7,
            number: 7,
            nickname: "Ana".into(),
            drink: "tea".into(),
            status,
            version: 2,
            created_at: 1,
            updated_at: 2,
            placed_at: 1,
            preparing_at: None,
            ready_at: None,
            served_at: None,
            cancelled_at: None,
        }
    }

    #[test]
    fn problem_json_has_type_title_status_detail_and_field() {
        let p = ApiError::InvalidField {
            field: "nickname".into(),
            reason: InvalidValue::Empty.to_string(),
        }
        .problem();
        let v: serde_json::Value = serde_json::from_slice(&p.to_json()).unwrap();
        assert_eq!(v["type"], "/problems/invalid-field");
        assert_eq!(v["title"], "Invalid field");
        assert_eq!(v["status"], 422);
        assert_eq!(v["detail"], "nickname must not be empty");
        assert_eq!(v["field"], "nickname");
        assert!(v.get("order").is_none());
    }

    #[test]
    fn method_not_allowed_carries_allow_header() {
        let p = ApiError::MethodNotAllowed {
            allow: "POST".into(),
        }
        .problem();
        assert_eq!(p.status, 405);
        assert_eq!(p.headers, vec![("Allow", "POST".to_string())]);
    }

    #[test]
    fn unauthorized_asks_for_a_bearer_token() {
        let p = ApiError::Unauthorized.problem();
        assert_eq!(p.status, 401);
        assert!(
            p.headers
                .iter()
                .any(|(k, v)| *k == "WWW-Authenticate" && v.starts_with("Bearer"))
        );
    }

    #[test]
    fn missing_bar_token_names_the_variable() {
        let p = ApiError::BarTokenNotConfigured.problem();
        assert_eq!(p.status, 503);
        assert!(p.detail.contains("bar_token"));
        assert_eq!(p.field.as_deref(), Some("bar_token"));
    }

    #[test]
    fn unreachable_database_is_503_with_retry_after() {
        let p = DbFailure::Connection("refused".into())
            .final_error()
            .problem();
        assert_eq!(p.status, 503);
        assert!(p.headers.iter().any(|(k, _)| *k == "Retry-After"));
        assert!(!p.detail.contains("refused"), "no internals in the answer");
    }

    #[test]
    fn unique_violation_is_retried_once_then_reported_as_busy() {
        let f = DbFailure::Query {
            code: "23505".into(),
            message: "dup".into(),
        };
        assert!(matches!(f.verdict(), DbVerdict::Retry));
        assert_eq!(f.final_error().problem().status, 503);
    }

    #[test]
    fn unexpected_query_failure_is_500_without_internals() {
        let f = DbFailure::Query {
            code: "42601".into(),
            message: "syntax error at or near \"SELEKT\"".into(),
        };
        let e = f.final_error();
        assert!(e.is_internal());
        assert!(e.log_line().is_some_and(|l| l.contains("SELEKT")));
        let p = e.problem();
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("SELEKT"));
    }

    #[test]
    fn a_missing_table_or_column_is_503_not_migrated_and_logged() {
        for (code, message) in [
            ("42P01", "relation \"orders\" does not exist"),
            ("42703", "column \"placed_at\" does not exist"),
        ] {
            let f = DbFailure::Query {
                code: code.into(),
                message: message.into(),
            };
            assert!(matches!(f.verdict(), DbVerdict::Fail(_)), "never retried");
            let e = f.final_error();
            assert!(!e.is_internal(), "{code}");
            let line = e.log_line().expect("logged");
            assert!(line.contains(code) && line.contains(message), "{line}");
            let p = e.problem();
            assert_eq!(p.status, 503, "{code}");
            assert_eq!(p.kind, "/problems/not-migrated");
            assert!(p.headers.iter().any(|(k, _)| *k == "Retry-After"));
            assert!(
                !p.detail.contains("does not exist"),
                "no internals in the answer"
            );
        }
    }

    #[test]
    fn locked_order_is_409_and_shows_the_order() {
        let p = ApiError::OrderLocked(Box::new(sample_order(OrderStatus::Preparing))).problem();
        assert_eq!(p.status, 409);
        assert!(p.detail.contains("being prepared"));
        assert_eq!(p.order.as_ref().map(|o| o.id), Some(7));
        let p = ApiError::OrderLocked(Box::new(sample_order(OrderStatus::Ready))).problem();
        assert!(p.detail.contains("ready"));
    }

    #[test]
    fn version_conflict_is_409_with_the_current_order() {
        let p = ApiError::VersionConflict(Box::new(sample_order(OrderStatus::Ready))).problem();
        assert_eq!(p.status, 409);
        assert_eq!(p.kind, "/problems/version-conflict");
        assert_eq!(p.field.as_deref(), Some("version"));
        assert!(p.detail.contains("version 2"), "{}", p.detail);
        assert_eq!(p.order.as_ref().map(|o| o.status), Some(OrderStatus::Ready));
    }

    #[test]
    fn illegal_transition_names_the_current_status() {
        let p = ApiError::IllegalTransition {
            order: Box::new(sample_order(OrderStatus::Served)),
            to: OrderStatus::Cancelled,
        }
        .problem();
        assert_eq!(p.status, 409);
        assert_eq!(p.kind, "/problems/illegal-transition");
        assert_eq!(p.field.as_deref(), Some("status"));
        assert_eq!(p.detail, "the order is served; it cannot become cancelled");
        assert!(p.order.is_some());
    }

    #[test]
    fn unknown_drink_in_the_path_is_404_and_an_empty_patch_is_422() {
        assert_eq!(ApiError::DrinkNotFound.problem().status, 404);
        let p = ApiError::NothingToChange.problem();
        assert_eq!(
            (p.status, p.kind.as_str()),
            (422, "/problems/invalid-field")
        );
    }

    #[test]
    fn sold_out_is_409_and_unknown_drink_is_422() {
        assert_eq!(ApiError::SoldOut("beer".into()).problem().status, 409);
        assert_eq!(ApiError::UnknownDrink("coke".into()).problem().status, 422);
        assert_eq!(ApiError::SoldOut("beer".into()).problem().title, "Sold out");
    }

    #[test]
    fn every_client_error_is_4xx_and_names_a_field_where_one_is_at_fault() {
        let cases = [
            (
                ApiError::MissingField {
                    field: "drink".into(),
                },
                422,
                Some("drink"),
            ),
            (
                ApiError::WrongType {
                    field: "nickname".into(),
                    expected: "string".into(),
                },
                422,
                Some("nickname"),
            ),
            (
                ApiError::InvalidHeader {
                    header: "X-Visitor-Id",
                    reason: InvalidValue::NotAUuid,
                },
                400,
                Some("X-Visitor-Id"),
            ),
            (ApiError::BodyTooLarge { limit: 16384 }, 413, None),
            (ApiError::UnsupportedMediaType, 415, Some("Content-Type")),
            (ApiError::MalformedJson("eof".into()), 400, None),
            (ApiError::NotFound, 404, None),
            (ApiError::RequestIdReused, 409, Some("request_id")),
        ];
        for (err, status, field) in cases {
            let p = err.problem();
            assert_eq!(p.status, status, "{err}");
            assert_eq!(p.field.as_deref(), field, "{err}");
        }
    }
}
