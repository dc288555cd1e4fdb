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
//! - [`stream`]: answers through the `response-outparam`, a body written while it is
//!   produced (the CSV export) that stops when the client has gone away, or work that runs
//!   after the answer was sent (a push notification).
//! - [`outbound`]: outbound HTTP requests with bounded timeouts; random bytes and the time.

pub mod db;
pub mod outbound;
pub mod poll_cache;
mod request;
pub mod respond;
pub mod route;
pub mod stream;

pub use request::{Request, variable};
pub use route::{Param, PathParams, Route, Routes};
pub use stream::{After, Reply, Sent, Streamed};

use drinks_core::ApiError;
use spin_sdk::http::{IncomingRequest, Response, ResponseOutparam};

/// Serves one request with a component's route table (whole responses only).
pub fn serve(incoming: IncomingRequest, table: &Routes) -> Response {
    let req = Request::new(incoming);
    respond::respond(route::dispatch(&req, table).and_then(|reply| match reply {
        Reply::Full(response) => Ok(response),
        Reply::Streamed(_) | Reply::Then(..) => Err(ApiError::internal(
            "a streaming route in a component served without its response-outparam",
        )),
    }))
}

/// Serves one request with a component's route table through the `response-outparam`:
/// streamed answers are written while they are produced, and stop when the client goes
/// away.
pub fn serve_streaming(incoming: IncomingRequest, out: ResponseOutparam, table: &Routes) -> Sent {
    let req = Request::new(incoming);
    let reply = route::dispatch(&req, table).unwrap_or_else(|e| respond::problem(e).into());
    stream::send(reply, out)
}
