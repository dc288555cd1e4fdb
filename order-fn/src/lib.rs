//! order-fn: every write of an order, a drink or the event's settings (each with its feed events, written by the
//! database's triggers in the same transaction), and the visitor's push subscription. One
//! module per endpoint; `notify` sends the push message after the bar's move to `ready`.

mod batch;
mod cancel;
mod drink;
mod event;
mod moderation;
mod new_drink;
mod notify;
mod picture;
mod place;
mod purge;
mod push;
mod status;
mod undo;

use api_spin::{Param, Route, Routes};
use drinks_core::{DrinkId, OrderId};
use spin_sdk::http::{IncomingRequest, Method, ResponseOutparam};
use spin_sdk::http_component;

/// spin.toml routes `/api/orders/...`, `/api/drinks/...` and `/api/event` here.
const ROUTES: &Routes = &Routes {
    routes: ROUTE_TABLE,
    params: &[
        // A path with an id that cannot be an order or a drink is no resource (404).
        Param::new("id", |raw| OrderId::parse(raw).is_ok()),
        Param::new("drink", |raw| DrinkId::parse(raw).is_ok()),
    ],
};

const ROUTE_TABLE: &[Route] = &[
    // Visitor: place an order, or change the order that is still placed.
    Route::new(Method::Post, "/api/orders", place::endpoint),
    // Bar: purge closed orders and their events (`?before=<epoch ms>`).
    Route::new(Method::Delete, "/api/orders", purge::endpoint),
    // Bar: `{changes: [{id, status, version}, ...]}`, move several orders with one tap.
    Route::new(Method::Patch, "/api/orders", batch::endpoint),
    // Visitor (`X-Visitor-Id`): cancel one's own placed order.
    Route::new(Method::Delete, "/api/orders/{id}", cancel::endpoint),
    // Bar: `{status, version}`, move the order on or cancel it (a move to `ready` then
    // notifies the visitor's subscription, after the answer).
    Route::streaming(Method::Patch, "/api/orders/{id}", status::endpoint),
    // Bar: hide the order's nickname from public screens; DELETE: show it again.
    Route::new(
        Method::Put,
        "/api/orders/{id}/name-hidden",
        moderation::hide,
    ),
    Route::new(
        Method::Delete,
        "/api/orders/{id}/name-hidden",
        moderation::show,
    ),
    // Bar: `{version}`, take back the order's last status change (within a minute).
    Route::new(Method::Post, "/api/orders/{id}/undo", undo::endpoint),
    // Visitor (`X-Visitor-Id`): the browser's push subscription for one's open order.
    Route::new(Method::Put, "/api/orders/{id}/push", push::subscribe),
    Route::new(Method::Delete, "/api/orders/{id}/push", push::unsubscribe),
    // Public: the VAPID public key browsers subscribe with.
    Route::new(Method::Get, "/api/push", push::public_key),
    // Bar: `{id, names, available?, stock?}`, a new drink at the end of the menu.
    Route::new(Method::Post, "/api/drinks", new_drink::endpoint),
    // Bar: `{available?, stock?, names?, position?, retired?}`.
    Route::new(Method::Patch, "/api/drinks/{drink}", drink::endpoint),
    // Bar: a PNG, JPEG or WebP (≤ 256 KiB) becomes the drink's picture; DELETE: its icon again.
    Route::new(Method::Put, "/api/drinks/{drink}/picture", picture::set),
    Route::new(
        Method::Delete,
        "/api/drinks/{drink}/picture",
        picture::clear,
    ),
    // Bar: `{title?, welcome?, ordering?, message?, busy_limit?, order_key?, ready_dim_minutes?,
    // refused_words?}` (read in `GET /api/menu`, the words in `GET /api/event/words`).
    Route::new(Method::Patch, "/api/event", event::endpoint),
    // Bar: `{order_key}`, the ordering key the poster's QR code carries (null: none).
    Route::new(Method::Get, "/api/event/key", event::key),
    // Bar: `{refused_words}`, the words a nickname must not contain (folded).
    Route::new(Method::Get, "/api/event/words", event::words),
];

/// Takes the `IncomingRequest`, not spin-sdk's `Request`: the body stays with the host
/// until an endpoint that takes one reads it, bounded. Answers through the
/// `ResponseOutparam`, so that work after the answer (a push notification) runs after the
/// client has it.
#[http_component]
fn handle(req: IncomingRequest, out: ResponseOutparam) {
    api_spin::serve_streaming(req, out, ROUTES);
}
