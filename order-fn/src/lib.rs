//! order-fn: every write of an order or a drink, each with its feed events in one statement.
//!
//! - `POST /api/orders` place an order, or change the visitor's order that is still placed
//! - `DELETE /api/orders/{id}` (header `X-Visitor-Id`) cancel one's own placed order
//! - `PATCH /api/orders/{id}` (bar) `{status, version}`: move the order on, or cancel it
//! - `DELETE /api/orders?before=<ms>` (bar) purge closed orders and their events
//! - `PATCH /api/drinks/{id}` (bar) `{available?, stock?}`

#[path = "../../core/glue/spin.rs"]
mod glue;

use drinks_core::api::to_json;
use drinks_core::http::{self as rules, DRINK_ALLOW, ORDER_ALLOW, ORDERS_ALLOW, OrderRoute};
use drinks_core::rows::{self, Placed};
use drinks_core::{ApiError, DrinkChange, DrinkId, OrderId, PlaceOrder, StatusChange, sql};
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
    match (rules::order_route(req.path())?, req.method()) {
        (OrderRoute::Orders, Method::Post) => place(req),
        (OrderRoute::Orders, Method::Delete) => purge(req),
        (OrderRoute::Orders, _) => Err(ApiError::MethodNotAllowed {
            allow: ORDERS_ALLOW,
        }),
        (OrderRoute::Order(id), Method::Delete) => cancel(req, id),
        (OrderRoute::Order(id), Method::Patch) => set_status(req, id),
        (OrderRoute::Order(_), _) => Err(ApiError::MethodNotAllowed { allow: ORDER_ALLOW }),
        (OrderRoute::Drink(id), Method::Patch) => update_drink(req, &id),
        (OrderRoute::Drink(_), _) => Err(ApiError::MethodNotAllowed { allow: DRINK_ALLOW }),
    }
}

fn place(req: &Request) -> Result<Response, ApiError> {
    let order = PlaceOrder::from_json(&glue::json_body(req)?)?;
    let rows = glue::query(
        "PLACE_ORDER",
        sql::PLACE_ORDER,
        &[
            P::Uuid(order.visitor_id.to_hyphenated()),
            P::Str(order.nickname.as_str().to_owned()),
            P::Str(order.drink.as_str().to_owned()),
            P::Uuid(order.request_id.to_hyphenated()),
        ],
    )?;
    match rows::place_outcome(&rows, order.drink.as_str())? {
        Placed::Created(o) => Ok(glue::json(201, to_json(&o)?)),
        Placed::Changed(o) | Placed::Replayed(o) => Ok(glue::json(200, to_json(&o)?)),
    }
}

fn cancel(req: &Request, id: OrderId) -> Result<Response, ApiError> {
    let visitor = rules::visitor_from_header(glue::header(req, rules::VISITOR_HEADER))?;
    let rows = glue::query(
        "CANCEL_ORDER",
        sql::CANCEL_ORDER,
        &[P::Int64(id.get()), P::Uuid(visitor.to_hyphenated())],
    )?;
    let order = rows::cancel_outcome(&rows)?;
    Ok(glue::json(200, to_json(&order)?))
}

fn set_status(req: &Request, id: OrderId) -> Result<Response, ApiError> {
    glue::authorize_bar(req)?;
    let change = StatusChange::from_json(&glue::json_body(req)?)?;
    let rows = glue::query(
        "SET_STATUS",
        sql::SET_STATUS,
        &[
            P::Int64(id.get()),
            P::Str(change.status.as_str().to_owned()),
            P::Int32(change.version),
            P::Str(change.from_statuses_param()),
        ],
    )?;
    let order = rows::status_outcome(&rows, change.status)?;
    Ok(glue::json(200, to_json(&order)?))
}

fn update_drink(req: &Request, id: &DrinkId) -> Result<Response, ApiError> {
    glue::authorize_bar(req)?;
    let change = DrinkChange::from_json(&glue::json_body(req)?)?;
    let rows = glue::query(
        "UPDATE_DRINK",
        sql::UPDATE_DRINK,
        &[
            P::Str(id.as_str().to_owned()),
            change.available_param().map_or(P::DbNull, P::Boolean),
            P::Boolean(change.sets_stock_param()),
            change.stock_param().map_or(P::DbNull, P::Int32),
        ],
    )?;
    let drink = rows::drink_outcome(&rows)?;
    Ok(glue::json(200, to_json(&drink)?))
}

fn purge(req: &Request) -> Result<Response, ApiError> {
    glue::authorize_bar(req)?;
    let before = rules::purge_before(req.query())?;
    let rows = glue::query("PURGE", sql::PURGE, &[P::Int64(before)])?;
    Ok(glue::json(200, to_json(&rows::purged(&rows)?)?))
}
