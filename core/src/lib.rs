//! Drink Orders' pure domain: types and validation, status rules, the cursor codec,
//! JSON shapes, problem+json errors, SQL text and the decoding of what it returns.
//!
//! No spin-sdk and no I/O here: components parse the request with these functions, run
//! one statement from [`sql`], decode its JSON with [`shapes`] and send what comes back.

pub mod api;
pub mod csv;
pub mod cursor;
pub mod domain;
pub mod event;
pub mod http;
pub mod migrations;
pub mod moderation;
pub mod picture;
pub mod problem;
pub mod push;
pub mod shapes;
pub mod sql;
pub mod stats;

pub use api::{DrinkChange, NewDrink, Order, PlaceOrder, StatusChange};
pub use cursor::{FeedCursor, PageCursor};
pub use domain::{DrinkId, Nickname, OrderId, OrderStatus, RequestId, VisitorId};
pub use migrations::LATEST_MIGRATION;
pub use problem::{ApiError, DbFailure, DbVerdict, DomainError, InfraError, Problem, RequestError};
