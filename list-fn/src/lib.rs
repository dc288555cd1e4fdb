//! list-fn: read-only views, one statement each. One module per endpoint.

mod board;
mod health;
mod menu;
mod mine;
mod picture;
mod queue;
mod snapshot;
mod stats;
mod visit;

use api_spin::{Param, Route, Routes};
use drinks_core::picture::PictureId;
use spin_sdk::http::{IncomingRequest, Method, ResponseOutparam};
use spin_sdk::http_component;

/// spin.toml routes each of these paths here (exactly; no prefix).
const ROUTES: &Routes = &Routes {
    routes: ROUTE_TABLE,
    params: &[
        // A path that cannot name a picture is no resource (404).
        Param::new("id", |raw| PictureId::parse(raw).is_ok()),
    ],
};

const ROUTE_TABLE: &[Route] = &[
    // The drinks with availability (public).
    Route::new(Method::Get, "/api/menu", menu::endpoint),
    // Header `X-Visitor-Id`: the visitor's orders, newest first.
    Route::new(Method::Get, "/api/mine", mine::endpoint),
    // Bar: orders oldest first + the feed cursor of that snapshot; `?format=csv` exports.
    Route::streaming(Method::Get, "/api/queue", queue::endpoint),
    // Bar: counts per drink/status, orders per minute, wait times.
    Route::new(Method::Get, "/api/stats", stats::endpoint),
    // The counter screen (public): the open orders' public view, bounded; ETag/304.
    Route::new(Method::Get, "/api/board", board::endpoint),
    // What a guest's phone polls (header `X-Visitor-Id` optional): their order, its place
    // in the queue, the recent wait, the ticker, the menu's version; bounded; ETag/304.
    Route::new(Method::Get, "/api/visit", visit::endpoint),
    // Database reachable and migrated to this build's schema.
    Route::new(Method::Get, "/api/health", health::endpoint),
    // An uploaded drink picture, at its content-addressed URL (public, cached for good).
    Route::streaming(Method::Get, "/api/pictures/{id}", picture::endpoint),
];

/// Takes the `IncomingRequest`, not spin-sdk's `Request`: no endpoint here reads a body;
/// answers through the `ResponseOutparam`, so the CSV export is written while it is read.
#[http_component]
fn handle(req: IncomingRequest, out: ResponseOutparam) {
    api_spin::serve_streaming(req, out, ROUTES);
}
