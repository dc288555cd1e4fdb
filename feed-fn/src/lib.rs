//! feed-fn: the gapless event feed that pages poll instead of holding a socket.
//!
//! - `GET /api/feed` the current position (no events)
//! - `GET /api/feed?after=<cursor>&limit=` events after the cursor; ETag = next cursor,
//!   `If-None-Match` with it → 304 while nothing is new
//! - `GET /api/feed?tail=N` the last N events (public ticker)

#[path = "../../core/glue/spin.rs"]
mod glue;

use drinks_core::api::{FeedPage, to_json};
use drinks_core::http::{self as rules, FeedQuery};
use drinks_core::{ApiError, FeedCursor, rows, sql};
use glue::Request;
use spin_sdk::http::{IncomingRequest, Method, Response};
use spin_sdk::http_component;
use spin_sdk::pg4::ParameterValue as P;

/// Takes the `IncomingRequest`, not spin-sdk's `Request`: the body stays with the host
/// until an endpoint that takes one reads it, bounded (see `glue::json_body`).
#[http_component]
fn handle(req: IncomingRequest) -> Response {
    glue::respond(route(&Request::new(req)))
}

fn route(req: &Request) -> Result<Response, ApiError> {
    if req.path() != "/api/feed" {
        return Err(ApiError::NotFound);
    }
    if *req.method() != Method::Get {
        return Err(ApiError::MethodNotAllowed { allow: "GET" });
    }
    let page = match FeedQuery::parse(req.query())? {
        FeedQuery::Start => rows::feed_start(&glue::query("FEED_START", sql::FEED_START, &[])?)?,
        FeedQuery::After { cursor, limit } => {
            let found = glue::query(
                "FEED_AFTER",
                sql::FEED_AFTER,
                &[
                    P::Str(cursor.tx_param()),
                    P::Int64(cursor.seq_param()),
                    P::Str(cursor.skip_param()),
                    P::Int64(limit as i64),
                ],
            )?;
            rows::feed_page(&found, &cursor)?
        }
        FeedQuery::Tail(n) => {
            let found = glue::query("FEED_TAIL", sql::FEED_TAIL, &[P::Int64(n as i64)])?;
            rows::feed_page(&found, &FeedCursor::beginning())?
        }
    };
    respond(req, &page)
}

fn respond(req: &Request, page: &FeedPage) -> Result<Response, ApiError> {
    let etag = rules::feed_etag(&page.next);
    if page.events.is_empty() && rules::etag_matches(glue::header(req, "if-none-match"), &etag) {
        return Ok(Response::builder()
            .status(304)
            .header("etag", etag)
            .header("cache-control", "no-cache")
            .build());
    }
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header("cache-control", "no-cache")
        .header("x-content-type-options", "nosniff")
        .header("etag", etag)
        .body(to_json(page)?)
        .build())
}
