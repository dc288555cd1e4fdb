//! Drink Orders' pure domain: types and validation, status rules, the cursor codec,
//! JSON shapes, problem+json errors, SQL text and the mapping of result rows.
//!
//! No spin-sdk and no I/O here: components parse the request with these functions, run
//! one statement from [`sql`], hand the rows to [`rows`] and send what comes back.

pub mod api;
pub mod csv;
pub mod cursor;
pub mod domain;
pub mod http;
pub mod migrations;
pub mod problem;
pub mod rows;
pub mod sql;
pub mod stats;

pub use api::{DrinkChange, Order, PlaceOrder, StatusChange};
pub use cursor::{FeedCursor, PageCursor};
pub use domain::{DrinkId, Nickname, OrderId, OrderStatus, RequestId, VisitorId};
pub use migrations::LATEST_MIGRATION;
pub use problem::{ApiError, DbFailure, DbVerdict, Problem};
pub use rows::Cell;
