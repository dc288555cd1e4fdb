//! `GET /api/mine` (header `X-Visitor-Id`): the visitor's orders, newest first.

use api_spin::{PathParams, Request, db, respond};
use drinks_core::api::to_json;
use drinks_core::http::{MY_ORDERS_LIMIT, VISITOR_HEADER, visitor_from_header};
use drinks_core::{ApiError, shapes, sql};
use spin_sdk::http::Response;
use spin_sdk::pg4::ParameterValue as P;

pub fn endpoint(req: &Request, _: &PathParams) -> Result<Response, ApiError> {
    let visitor = visitor_from_header(req.header(VISITOR_HEADER))?;
    let json = db::query(
        "MY_ORDERS",
        sql::MY_ORDERS,
        &[P::Uuid(visitor.to_hyphenated()), P::Int64(MY_ORDERS_LIMIT)],
    )?;
    Ok(respond::json(
        200,
        to_json(&shapes::my_orders(json.as_deref())?)?,
    ))
}
