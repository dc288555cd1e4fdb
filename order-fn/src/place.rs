//! `POST /api/orders`: place an order, or change the visitor's order while it may change.

use api_spin::{PathParams, Request, db, respond};
use drinks_core::api::to_json;
use drinks_core::shapes::{self, Placed};
use drinks_core::{ApiError, OrderStatus, PlaceOrder, sql};
use spin_sdk::http::Response;
use spin_sdk::pg4::ParameterValue as P;

pub fn endpoint(req: &Request, _: &PathParams) -> Result<Response, ApiError> {
    let order = PlaceOrder::from_json(&req.json_body()?)?;
    let json = db::query(
        "PLACE_ORDER",
        sql::PLACE_ORDER,
        &[
            P::Uuid(order.visitor_id.to_hyphenated()),
            P::Str(order.nickname.as_str().to_owned()),
            P::Str(order.drink.as_str().to_owned()),
            P::Uuid(order.request_id.to_hyphenated()),
            P::Str(OrderStatus::sql_list(&OrderStatus::OPEN)),
            P::Str(OrderStatus::sql_list(&OrderStatus::VISITOR_MAY_CHANGE)),
            P::Str(OrderStatus::sql_list(&OrderStatus::WAITING)),
            order
                .key
                .as_ref()
                .map_or(P::DbNull, |k| P::Str(k.as_str().to_owned())),
            P::Str(order.nickname.folded()),
        ],
    )?;
    match shapes::place_outcome(json.as_deref(), order.drink.as_str())? {
        Placed::Created(o) => Ok(respond::json(201, to_json(&o)?)),
        Placed::Changed(o) | Placed::Replayed(o) => Ok(respond::json(200, to_json(&o)?)),
    }
}
