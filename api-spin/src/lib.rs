//! The Spin adapter of the API components (order-fn, list-fn, feed-fn): everything that
//! touches spin-sdk, so that `drinks-core` stays pure and each component is a route table
//! plus one module per endpoint.
//!
//! - [`Request`]: method, path, query and headers as text; the body is read only by
//!   endpoints that take one, bounded (16 KiB + 1 bytes at most).
//! - [`route`]: the route table; 404 and 405 + `Allow` come from the table.
//! - [`db`]: one statement on pg4, answering the one JSON text of `drinks_core::sql`.
//! - [`respond`]: JSON and download responses, and the one place an error is logged and
//!   turned into problem+json.

pub mod db;
mod request;
pub mod respond;
pub mod route;

pub use request::{Request, variable};
pub use route::{Param, PathParams, Route, Routes};

use spin_sdk::http::{IncomingRequest, Response};

/// Serves one request with a component's route table.
pub fn serve(incoming: IncomingRequest, table: &Routes) -> Response {
    let req = Request::new(incoming);
    respond::respond(route::dispatch(&req, table))
}
