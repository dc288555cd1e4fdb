//! Every error the components answer with, and the one place that maps it to HTTP
//! (`application/problem+json`, RFC 9457), for the API components and the fileserver.
//!
//! Three kinds: [`RequestError`] (the client's to fix), [`DomainError`] (the order rules
//! refuse) and [`InfraError`] (the server cannot answer). Infrastructure errors keep their
//! causes ([`BoxError`], `#[source]`); [`ApiError::log_line`] writes the whole chain
//! (`a: b: c`) once, where the response is built. No cause ever reaches a response.

use serde::Serialize;

use crate::api::Order;
use crate::domain::{InvalidValue, OrderStatus};
use crate::event::{EventSettings, Ordering, Texts};

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";
/// Seconds a client should wait before retrying after a 503.
const RETRY_AFTER_SECONDS: u32 = 2;

/// Any error, as the cause of an internal or infrastructure error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a request failed, in one of three kinds. [`ApiError::problem`] is the only mapping
/// to HTTP.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is not one the API takes (4xx, the client's to fix).
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The request is well-formed, but the orders and drinks as they are refuse it.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The server cannot answer it now (5xx): the database, the configuration, or a bug.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// The request itself is at fault: its body, a field, a parameter, a header, its path or
/// method, its credentials.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
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
    #[error("the body must contain available and/or stock")]
    NothingToChange,
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
    #[error("a picture must be sent as image/png, image/jpeg or image/webp")]
    UnsupportedPictureType,
    #[error("the body is not a PNG, JPEG or WebP picture")]
    NotAPicture,
    #[error("no such resource")]
    NotFound,
    #[error("method not allowed; allowed: {allow}")]
    MethodNotAllowed { allow: String },
    #[error("a valid bar token is required")]
    Unauthorized,
}

/// The order rules refuse the request: stock, the order's status and version, ids that
/// name nothing.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
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
    #[error("there is already a drink {0}")]
    DrinkExists(String),
    #[error("{0} is no longer on the menu")]
    DrinkRetired(String),
    #[error(
        "the order was changed meanwhile: it is now version {} ({}); reload it and retry",
        .0.version,
        .0.status
    )]
    VersionConflict(Box<Order>),
    #[error("the order is {}; it cannot become {to}", .order.status)]
    IllegalTransition { order: Box<Order>, to: OrderStatus },
    /// Ordering is paused or closed (the settings say which, and the bar's message).
    #[error("ordering is {}{}", .0.ordering.as_str(), message(&.0.message))]
    OrderingClosed(Box<EventSettings>),
    /// The bar requires the ordering key of the poster's QR code, and the order lacks it
    /// (or brings an old one).
    #[error("this event takes orders only from the QR code at the bar: scan it to order")]
    OrderKeyRequired,
    /// The nickname contains one of the event's refused words (`moderation`).
    #[error("this nickname is not allowed at this event; please choose another one")]
    NicknameRefused,
    /// The bar's undo is not possible for this order now.
    #[error("{why}")]
    UndoRefused { order: Box<Order>, why: UndoRefusal },
    /// More orders are waiting than the bar's automatic pause allows.
    #[error("the bar is busy: more than {} orders are waiting; please try again in a few minutes", .0.busy_limit.unwrap_or_default())]
    BarBusy(Box<EventSettings>),
}

/// Why the bar cannot take back an order's last status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UndoRefusal {
    #[error(
        "only the last change to served, ready or cancelled by the bar can be taken back, once"
    )]
    NotUndoable,
    #[error("the change is more than {} seconds old", crate::domain::UNDO_WINDOW_MS / 1000)]
    TooLate,
    #[error(
        "the drink is sold out or off the menu; the cancelled order cannot take a portion again"
    )]
    SoldOut,
    #[error("the visitor has ordered again; their earlier order cannot be reopened")]
    OrderedAgain,
}

/// The bar's message after a colon, in English (the pages show the visitor's language).
fn message(texts: &Texts) -> String {
    match texts.english() {
        "" => String::new(),
        m => format!(": {m}"),
    }
}

/// The server cannot answer: the database, the deployment's configuration, or a bug. The
/// causes are kept (never shown to the client) and logged where the response is built.
#[derive(Debug, thiserror::Error)]
pub enum InfraError {
    #[error("the database is unavailable")]
    DatabaseUnavailable(#[source] BoxError),
    #[error("the database schema is at migration {applied}, this build needs {required}")]
    NotMigrated { applied: i64, required: i64 },
    /// A statement met a missing table, column or function: the database was not migrated
    /// (yet) to this build's schema.
    #[error("the database lacks a table or column of this build's schema")]
    SchemaMissing(#[source] BoxError),
    #[error("the database is busy, retry")]
    Contention,
    #[error("the bar token is not configured")]
    BarTokenNotConfigured,
    #[error("Web Push is not configured")]
    PushNotConfigured,
    /// A bug or an impossible answer: the cause says what.
    #[error(transparent)]
    Internal(BoxError),
}

/// One link of a cause chain: what failed, and the error that made it fail.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
pub struct Caused {
    pub what: String,
    #[source]
    pub cause: BoxError,
}

/// An error and its causes as one line: `a: b: c`.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}

impl From<crate::cursor::BadCursor> for ApiError {
    fn from(_: crate::cursor::BadCursor) -> Self {
        RequestError::InvalidParameter {
            field: "after".into(),
            reason: "not a valid cursor".into(),
        }
        .into()
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
    /// The event's settings, when they are why (ordering paused or closed, the bar busy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<EventSettings>,
    /// Lower-case names, like every header the components send (HTTP/2 requires them).
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
            event: None,
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

    fn order(mut self, order: &Order) -> Self {
        self.order = Some(order.clone());
        self
    }

    fn event(mut self, event: &EventSettings) -> Self {
        self.event = Some(event.clone());
        self
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| {
            br#"{"type":"/problems/internal","title":"Internal error","status":500}"#.to_vec()
        })
    }
}

impl ApiError {
    /// A bug or an impossible answer; `cause` says what (a message, or an error).
    pub fn internal(cause: impl Into<BoxError>) -> Self {
        InfraError::Internal(cause.into()).into()
    }

    /// A bug or an impossible answer while doing `what`, caused by `cause`.
    pub fn internal_because(what: impl Into<String>, cause: impl Into<BoxError>) -> Self {
        Self::internal(Caused {
            what: what.into(),
            cause: cause.into(),
        })
    }

    /// Adds what was being done to the cause chain of an infrastructure error (other
    /// errors are the client's business and stay as they are).
    pub fn context(self, what: impl Into<String>) -> Self {
        let wrap = |cause| -> BoxError {
            Box::new(Caused {
                what: what.into(),
                cause,
            })
        };
        match self {
            ApiError::Infra(InfraError::Internal(cause)) => {
                InfraError::Internal(wrap(cause)).into()
            }
            ApiError::Infra(InfraError::SchemaMissing(cause)) => {
                InfraError::SchemaMissing(wrap(cause)).into()
            }
            ApiError::Infra(InfraError::DatabaseUnavailable(cause)) => {
                InfraError::DatabaseUnavailable(wrap(cause)).into()
            }
            other => other,
        }
    }

    /// Whether this is the server's fault (to be logged with its cause chain).
    pub fn is_internal(&self) -> bool {
        matches!(self, ApiError::Infra(InfraError::Internal(_)))
    }

    /// The one line to log for this error, if it is one the operator must see: internal
    /// errors with their cause chain, and statements that met an unmigrated database.
    pub fn log_line(&self) -> Option<String> {
        match self {
            ApiError::Infra(InfraError::Internal(_)) => Some(format!("error: {}", chain(self))),
            ApiError::Infra(InfraError::SchemaMissing(cause)) => Some(format!(
                "warning: database not migrated (run the migrate component): {}",
                chain(cause.as_ref())
            )),
            _ => None,
        }
    }

    /// The single mapping from errors to HTTP status, problem type and headers.
    pub fn problem(&self) -> Problem {
        match self {
            ApiError::Request(e) => e.problem(),
            ApiError::Domain(e) => e.problem(),
            ApiError::Infra(e) => e.problem(),
        }
    }
}

impl RequestError {
    fn problem(&self) -> Problem {
        let detail = self.to_string();
        match self {
            RequestError::MalformedJson(_) | RequestError::BodyNotAnObject => {
                Problem::new(400, "malformed-json", "Malformed JSON", detail)
            }
            RequestError::MissingField { field }
            | RequestError::WrongType { field, .. }
            | RequestError::InvalidField { field, .. } => {
                Problem::new(422, "invalid-field", "Invalid field", detail).field(field.clone())
            }
            RequestError::NothingToChange => {
                Problem::new(422, "invalid-field", "Nothing to change", detail)
            }
            RequestError::InvalidParameter { field, .. } => {
                Problem::new(400, "invalid-parameter", "Invalid query parameter", detail)
                    .field(field.clone())
            }
            RequestError::EmptyParameterName => {
                Problem::new(400, "invalid-parameter", "Invalid query parameter", detail).field("")
            }
            RequestError::InvalidHeader { header, .. } => {
                Problem::new(400, "invalid-header", "Invalid header", detail).field(*header)
            }
            RequestError::MissingHeader { header } => {
                Problem::new(400, "invalid-header", "Missing header", detail).field(*header)
            }
            RequestError::BodyTooLarge { .. } => {
                Problem::new(413, "body-too-large", "Request body too large", detail)
            }
            RequestError::UnsupportedMediaType => Problem::new(
                415,
                "unsupported-media-type",
                "Unsupported media type",
                detail,
            )
            .field("Content-Type")
            .header("accept-post", "application/json")
            .header("accept-patch", "application/json"),
            RequestError::UnsupportedPictureType => Problem::new(
                415,
                "unsupported-media-type",
                "Unsupported media type",
                detail,
            )
            .field("Content-Type")
            .header("accept-put", "image/png, image/jpeg, image/webp"),
            RequestError::NotAPicture => {
                Problem::new(422, "invalid-picture", "Not a picture", detail)
            }
            RequestError::NotFound => Problem::new(404, "not-found", "Not found", detail),
            RequestError::MethodNotAllowed { allow } => {
                Problem::new(405, "method-not-allowed", "Method not allowed", detail)
                    .header("allow", allow.clone())
            }
            RequestError::Unauthorized => Problem::new(401, "unauthorized", "Unauthorized", detail)
                .field("Authorization")
                .header("www-authenticate", "Bearer realm=\"bar\""),
        }
    }
}

impl DomainError {
    fn problem(&self) -> Problem {
        let detail = self.to_string();
        match self {
            DomainError::UnknownDrink(_) => {
                Problem::new(422, "unknown-drink", "Unknown drink", detail).field("drink")
            }
            DomainError::SoldOut(_) => {
                Problem::new(409, "sold-out", "Sold out", detail).field("drink")
            }
            DomainError::OrderLocked(order) => Problem::new(
                409,
                "order-in-progress",
                "Your order is already being handled",
                match order.status {
                    OrderStatus::Ready => "your order is ready; it can no longer be changed".into(),
                    _ => "your order is being prepared; it can no longer be changed".into(),
                },
            )
            .order(order),
            DomainError::OrderClosed(order) => {
                Problem::new(409, "order-closed", "Order already closed", detail).order(order)
            }
            DomainError::RequestIdReused => {
                Problem::new(409, "request-id-reused", "request_id already used", detail)
                    .field("request_id")
            }
            DomainError::OrderNotFound => {
                Problem::new(404, "order-not-found", "Order not found", detail)
            }
            DomainError::DrinkNotFound => {
                Problem::new(404, "drink-not-found", "Drink not found", detail)
            }
            DomainError::DrinkExists(_) => {
                Problem::new(409, "drink-exists", "Drink already exists", detail).field("id")
            }
            DomainError::DrinkRetired(_) => {
                Problem::new(409, "drink-retired", "No longer on the menu", detail).field("drink")
            }
            DomainError::VersionConflict(order) => {
                Problem::new(409, "version-conflict", "Order changed meanwhile", detail)
                    .field("version")
                    .order(order)
            }
            DomainError::IllegalTransition { order, .. } => Problem::new(
                409,
                "illegal-transition",
                "Status change not allowed",
                detail,
            )
            .field("status")
            .order(order),
            DomainError::OrderingClosed(event) => match event.ordering {
                Ordering::Closed => {
                    Problem::new(409, "ordering-closed", "Ordering is closed", detail)
                }
                _ => Problem::new(409, "ordering-paused", "Ordering is paused", detail),
            }
            .event(event),
            DomainError::OrderKeyRequired => Problem::new(
                403,
                "order-key-required",
                "Scan the code at the bar",
                detail,
            )
            .field("key"),
            DomainError::UndoRefused { order, .. } => {
                Problem::new(409, "undo-refused", "Cannot be undone", detail).order(order)
            }
            DomainError::BarBusy(event) => {
                Problem::new(409, "bar-busy", "The bar is busy", detail).event(event)
            }
            DomainError::NicknameRefused => {
                Problem::new(422, "nickname-refused", "Nickname not allowed", detail)
                    .field("nickname")
            }
        }
    }
}

impl InfraError {
    fn problem(&self) -> Problem {
        let retry_after = RETRY_AFTER_SECONDS.to_string();
        match self {
            InfraError::DatabaseUnavailable(_) => Problem::new(
                503,
                "database-unavailable",
                "Service temporarily unavailable",
                "the database cannot be reached; retry later".into(),
            )
            .header("retry-after", retry_after),
            InfraError::NotMigrated { .. } => Problem::new(
                503,
                "not-migrated",
                "Database not migrated",
                self.to_string(),
            )
            .header("retry-after", retry_after),
            InfraError::SchemaMissing(_) => Problem::new(
                503,
                "not-migrated",
                "Database not migrated",
                "the database is not migrated to this build's schema; retry after the migrations ran"
                    .into(),
            )
            .header("retry-after", retry_after),
            InfraError::Contention => {
                Problem::new(503, "busy", "Busy", self.to_string()).header("retry-after", "1")
            }
            InfraError::BarTokenNotConfigured => Problem::new(
                503,
                "bar-token-not-configured",
                "Bar access is not configured",
                "the Spin variable bar_token is empty or unset; set it to enable the bar endpoints"
                    .into(),
            )
            .field("bar_token"),
            InfraError::PushNotConfigured => Problem::new(
                503,
                "push-not-configured",
                "Notifications are not configured",
                "the Spin variable vapid_key is empty or unset; set it to enable notifications"
                    .into(),
            )
            .field("vapid_key"),
            InfraError::Internal(_) => Problem::new(
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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbFailure {
    /// `Error::ConnectionFailed`
    #[error("cannot connect: {0}")]
    Connection(String),
    /// `Error::QueryFailed` with a PostgreSQL SQLSTATE (empty when unknown).
    #[error("query failed{}: {message}", sqlstate(code))]
    Query { code: String, message: String },
    /// Anything else (bad parameter, value conversion, other).
    #[error("{0}")]
    Other(String),
}

fn sqlstate(code: &str) -> String {
    if code.is_empty() {
        String::new()
    } else {
        format!(" [{code}]")
    }
}

/// What a component should do about a database failure.
#[derive(Debug)]
pub enum DbVerdict {
    /// Run the same statement once more (a concurrent twin won a unique race).
    Retry,
    /// Answer with this error (the failure is its cause).
    Fail(ApiError),
}

impl DbFailure {
    pub fn verdict(&self) -> DbVerdict {
        let cause = || -> BoxError { Box::new(self.clone()) };
        let unavailable = || DbVerdict::Fail(InfraError::DatabaseUnavailable(cause()).into());
        match self {
            DbFailure::Connection(_) => unavailable(),
            // No SQLSTATE: the driver's own error, as text. A connection that broke under
            // the statement (a database restart, a network cut) is "unavailable, retry",
            // not a bug.
            DbFailure::Query { code, message } if code.is_empty() && connection_lost(message) => {
                unavailable()
            }
            DbFailure::Query { code, .. } => match code.as_str() {
                // unique_violation, serialization_failure, deadlock_detected
                "23505" | "40001" | "40P01" => DbVerdict::Retry,
                // connection exceptions, shutdown, too many connections, cannot connect now
                c if c.starts_with("08") || matches!(c, "57P01" | "57P02" | "57P03" | "53300") => {
                    unavailable()
                }
                // undefined_table, undefined_column, undefined_function (the write statements
                // call functions of migration 0002): the schema is older than this build
                // (not migrated yet, or a deploy is under way), not a bug of the request.
                "42P01" | "42703" | "42883" => {
                    DbVerdict::Fail(InfraError::SchemaMissing(cause()).into())
                }
                _ => DbVerdict::Fail(ApiError::internal(cause())),
            },
            DbFailure::Other(_) => DbVerdict::Fail(ApiError::internal(cause())),
        }
    }

    /// The error to answer with once retries are exhausted.
    pub fn final_error(&self) -> ApiError {
        match self.verdict() {
            DbVerdict::Retry => InfraError::Contention.into(),
            DbVerdict::Fail(e) => e,
        }
    }
}

/// Whether a driver error text (no SQLSTATE) says the connection was lost. Spin's pg4 host
/// (and ours) reports such errors as the Debug text of tokio-postgres's error, whose `kind`
/// names the cause: `Closed` (the server went away), `Io` (the socket failed) or `Connect`.
fn connection_lost(message: &str) -> bool {
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
                DbVerdict::Fail(ApiError::Infra(InfraError::DatabaseUnavailable(_))) => {}
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
                    DbVerdict::Fail(ApiError::Infra(InfraError::SchemaMissing(_)))
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
            DbVerdict::Fail(ApiError::Infra(InfraError::Internal(_)))
        ));
    }

    #[test]
    fn an_internal_error_is_logged_with_its_whole_cause_chain() {
        let e = DbFailure::Query {
            code: "42601".into(),
            message: "syntax error at or near \"SELEKT\"".into(),
        }
        .final_error()
        .context("statement QUEUE");
        assert_eq!(
            e.log_line().as_deref(),
            Some(
                "error: statement QUEUE: query failed [42601]: syntax error at or near \"SELEKT\""
            )
        );
        let nested = ApiError::internal_because(
            "a",
            Caused {
                what: "b".into(),
                cause: "c".into(),
            },
        );
        assert_eq!(nested.log_line().as_deref(), Some("error: a: b: c"));
    }

    #[test]
    fn context_goes_on_infrastructure_errors_and_never_into_a_clients_answer() {
        let unavailable = DbFailure::Connection("refused".into())
            .final_error()
            .context("statement MENU");
        assert_eq!(
            chain(&unavailable),
            "the database is unavailable: statement MENU: cannot connect: refused"
        );
        assert_eq!(
            unavailable.problem().detail,
            "the database cannot be reached; retry later"
        );
        let client = ApiError::from(DomainError::OrderNotFound).context("statement CANCEL_ORDER");
        assert_eq!(chain(&client), "order not found");
    }

    #[test]
    fn each_kind_has_its_own_range_of_statuses() {
        let request = ApiError::from(RequestError::BodyTooLarge { limit: 1 }).problem();
        let domain = ApiError::from(DomainError::SoldOut("tea".into())).problem();
        let infra = ApiError::from(InfraError::Contention).problem();
        assert!((400..500).contains(&request.status));
        assert!((400..500).contains(&domain.status));
        assert!((500..600).contains(&infra.status));
        assert_eq!(ApiError::internal("bug").problem().status, 500);
    }

    fn sample_order(status: OrderStatus) -> Order {
        Order {
            id: 7,
            number: 7,
            nickname: "Ana".into(),
            name_hidden: false,
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
            cancelled_by: None,
            cancel_reason: None,
        }
    }

    #[test]
    fn problem_json_has_type_title_status_detail_and_field() {
        let p = ApiError::Request(RequestError::InvalidField {
            field: "nickname".into(),
            reason: InvalidValue::Empty.to_string(),
        })
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
        let p = ApiError::Request(RequestError::MethodNotAllowed {
            allow: "POST".into(),
        })
        .problem();
        assert_eq!(p.status, 405);
        assert_eq!(p.headers, vec![("allow", "POST".to_string())]);
    }

    #[test]
    fn unauthorized_asks_for_a_bearer_token() {
        let p = ApiError::Request(RequestError::Unauthorized).problem();
        assert_eq!(p.status, 401);
        assert!(
            p.headers
                .iter()
                .any(|(k, v)| *k == "www-authenticate" && v.starts_with("Bearer"))
        );
    }

    #[test]
    fn missing_bar_token_names_the_variable() {
        let p = ApiError::Infra(InfraError::BarTokenNotConfigured).problem();
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
        assert!(p.headers.iter().any(|(k, _)| *k == "retry-after"));
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
            assert!(p.headers.iter().any(|(k, _)| *k == "retry-after"));
            assert!(
                !p.detail.contains("does not exist"),
                "no internals in the answer"
            );
        }
    }

    #[test]
    fn locked_order_is_409_and_shows_the_order() {
        let p = ApiError::Domain(DomainError::OrderLocked(Box::new(sample_order(
            OrderStatus::Preparing,
        ))))
        .problem();
        assert_eq!(p.status, 409);
        assert!(p.detail.contains("being prepared"));
        assert_eq!(p.order.as_ref().map(|o| o.id), Some(7));
        let p = ApiError::Domain(DomainError::OrderLocked(Box::new(sample_order(
            OrderStatus::Ready,
        ))))
        .problem();
        assert!(p.detail.contains("ready"));
    }

    #[test]
    fn version_conflict_is_409_with_the_current_order() {
        let p = ApiError::Domain(DomainError::VersionConflict(Box::new(sample_order(
            OrderStatus::Ready,
        ))))
        .problem();
        assert_eq!(p.status, 409);
        assert_eq!(p.kind, "/problems/version-conflict");
        assert_eq!(p.field.as_deref(), Some("version"));
        assert!(p.detail.contains("version 2"), "{}", p.detail);
        assert_eq!(p.order.as_ref().map(|o| o.status), Some(OrderStatus::Ready));
    }

    #[test]
    fn illegal_transition_names_the_current_status() {
        let p = ApiError::Domain(DomainError::IllegalTransition {
            order: Box::new(sample_order(OrderStatus::Served)),
            to: OrderStatus::Cancelled,
        })
        .problem();
        assert_eq!(p.status, 409);
        assert_eq!(p.kind, "/problems/illegal-transition");
        assert_eq!(p.field.as_deref(), Some("status"));
        assert_eq!(p.detail, "the order is served; it cannot become cancelled");
        assert!(p.order.is_some());
    }

    #[test]
    fn unknown_drink_in_the_path_is_404_and_an_empty_patch_is_422() {
        assert_eq!(
            ApiError::Domain(DomainError::DrinkNotFound)
                .problem()
                .status,
            404
        );
        let p = ApiError::Request(RequestError::NothingToChange).problem();
        assert_eq!(
            (p.status, p.kind.as_str()),
            (422, "/problems/invalid-field")
        );
    }

    #[test]
    fn sold_out_is_409_and_unknown_drink_is_422() {
        assert_eq!(
            ApiError::Domain(DomainError::SoldOut("beer".into()))
                .problem()
                .status,
            409
        );
        assert_eq!(
            ApiError::Domain(DomainError::UnknownDrink("coke".into()))
                .problem()
                .status,
            422
        );
        assert_eq!(
            ApiError::Domain(DomainError::SoldOut("beer".into()))
                .problem()
                .title,
            "Sold out"
        );
    }

    #[test]
    fn every_client_error_is_4xx_and_names_a_field_where_one_is_at_fault() {
        let cases = [
            (
                ApiError::Request(RequestError::MissingField {
                    field: "drink".into(),
                }),
                422,
                Some("drink"),
            ),
            (
                ApiError::Request(RequestError::WrongType {
                    field: "nickname".into(),
                    expected: "string".into(),
                }),
                422,
                Some("nickname"),
            ),
            (
                ApiError::Request(RequestError::InvalidHeader {
                    header: "X-Visitor-Id",
                    reason: InvalidValue::NotAUuid,
                }),
                400,
                Some("X-Visitor-Id"),
            ),
            (
                ApiError::Request(RequestError::BodyTooLarge { limit: 16384 }),
                413,
                None,
            ),
            (
                ApiError::Request(RequestError::UnsupportedMediaType),
                415,
                Some("Content-Type"),
            ),
            (
                ApiError::Request(RequestError::MalformedJson("eof".into())),
                400,
                None,
            ),
            (ApiError::Request(RequestError::NotFound), 404, None),
            (
                ApiError::Domain(DomainError::RequestIdReused),
                409,
                Some("request_id"),
            ),
        ];
        for (err, status, field) in cases {
            let p = err.problem();
            assert_eq!(p.status, status, "{err}");
            assert_eq!(p.field.as_deref(), field, "{err}");
        }
    }
}
