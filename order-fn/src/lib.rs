//! order-fn: every write of an order, each with its feed event in one statement.
//!
//! - `POST /api/orders` place an order, or change the visitor's order that is still placed
//! - `DELETE /api/orders/{id}` (header `X-Visitor-Id`) cancel one's own placed order
//!
//! `/api/drinks/...` is routed here too (bar menu changes); it has no endpoint yet (404).

#[path = "../../core/glue/spin.rs"]
mod glue;

use drinks_core::api::to_json;
use drinks_core::http::{self as rules, OrderRoute};
use drinks_core::rows::{self, Placed};
use drinks_core::{ApiError, OrderId, PlaceOrder, sql};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::pg4::ParameterValue as P;

#[http_component]
fn handle(req: Request) -> Response {
    glue::respond(route(&req))
}

fn route(req: &Request) -> Result<Response, ApiError> {
    match (rules::order_route(req.path())?, req.method()) {
        (OrderRoute::Orders, Method::Post) => place(req),
        (OrderRoute::Orders, _) => Err(ApiError::MethodNotAllowed { allow: "POST" }),
        (OrderRoute::Order(id), Method::Delete) => cancel(req, id),
        (OrderRoute::Order(_), _) => Err(ApiError::MethodNotAllowed { allow: "DELETE" }),
    }
}

fn place(req: &Request) -> Result<Response, ApiError> {
    rules::check_body_size(glue::header(req, "content-length"), req.body().len())?;
    rules::require_json(glue::header(req, "content-type"))?;
    let order = PlaceOrder::from_json(req.body())?;
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
