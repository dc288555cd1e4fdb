//! `DELETE /api/orders/{id}` (header `X-Visitor-Id`): the visitor cancels their own order
//! while they may still change it; its portion goes back.

use api_spin::{PathParams, Request, db, respond};
use drinks_core::api::to_json;
use drinks_core::http::{VISITOR_HEADER, visitor_from_header};
use drinks_core::{ApiError, OrderId, OrderStatus, shapes, sql};
use spin_sdk::http::Response;
use spin_sdk::pg4::ParameterValue as P;

pub fn endpoint(req: &Request, path: &PathParams) -> Result<Response, ApiError> {
    let id = path.parse("id", OrderId::parse)?;
    let visitor = visitor_from_header(req.header(VISITOR_HEADER))?;
    let json = db::query(
        "CANCEL_ORDER",
        sql::CANCEL_ORDER,
        &[
            P::Int64(id.get()),
            P::Uuid(visitor.to_hyphenated()),
            P::Str(OrderStatus::sql_list(&OrderStatus::VISITOR_MAY_CHANGE)),
        ],
    )?;
    let order = shapes::cancel_outcome(json.as_deref())?;
    Ok(respond::json(200, to_json(&order)?))
}
