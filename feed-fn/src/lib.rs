//! feed-fn: the gapless event feed that pages poll instead of holding a socket.
//!
//! - `GET /api/feed` the current position (no events)
//! - `GET /api/feed?after=<cursor>&limit=` events after the cursor; ETag = next cursor,
//!   `If-None-Match` with it → 304 while nothing is new
//! - `GET /api/feed?tail=N` the last N events (public ticker)

use api_spin::{PathParams, Request, Route, Routes, db};
use drinks_core::api::{FeedPage, to_json};
use drinks_core::http::{FeedQuery, etag_matches, feed_etag};
use drinks_core::{ApiError, FeedCursor, shapes, sql};
use spin_sdk::http::{IncomingRequest, Method, Response};
use spin_sdk::http_component;
use spin_sdk::pg4::ParameterValue as P;

/// spin.toml routes exactly `/api/feed` here.
const ROUTES: &Routes = &Routes {
    routes: &[Route::new(Method::Get, "/api/feed", feed)],
    params: &[],
};

#[http_component]
fn handle(req: IncomingRequest) -> Response {
    api_spin::serve(req, ROUTES)
}

fn feed(req: &Request, _: &PathParams) -> Result<Response, ApiError> {
    let page = match FeedQuery::parse(req.query())? {
        FeedQuery::Start => {
            shapes::feed_start(db::query("FEED_START", sql::FEED_START, &[])?.as_deref())?
        }
        FeedQuery::After { cursor, limit } => {
            let found = db::query(
                "FEED_AFTER",
                sql::FEED_AFTER,
                &[
                    P::Str(cursor.tx_param()),
                    P::Int64(cursor.seq_param()),
                    P::Str(cursor.skip_param()),
                    P::Int64(limit as i64),
                ],
            )?;
            shapes::feed_page(found.as_deref(), &cursor)?
        }
        FeedQuery::Tail(n) => {
            let found = db::query("FEED_TAIL", sql::FEED_TAIL, &[P::Int64(n as i64)])?;
            shapes::feed_page(found.as_deref(), &FeedCursor::beginning())?
        }
    };
    respond(req, &page)
}

/// 304 while nothing is new for the client's cursor; else the page, its cursor as ETag.
fn respond(req: &Request, page: &FeedPage) -> Result<Response, ApiError> {
    let etag = feed_etag(&page.next);
    if page.events.is_empty() && etag_matches(req.header("if-none-match"), &etag) {
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
