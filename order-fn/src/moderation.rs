//! `PUT /api/orders/{id}/name-hidden` (bar): hide the order's nickname from public screens
//! (ticker, poster, board show "Guest #42"); `DELETE`: show it again. No body. The change
//! bumps the version and writes a `moderated` feed event; asking for the state the order is
//! already in writes nothing and answers the order.

use api_spin::{PathParams, Request, db, respond};
use drinks_core::api::to_json;
use drinks_core::{ApiError, OrderId, shapes, sql};
use spin_sdk::http::Response;
use spin_sdk::pg4::ParameterValue as P;

pub fn hide(req: &Request, path: &PathParams) -> Result<Response, ApiError> {
    set(req, path, true)
}

pub fn show(req: &Request, path: &PathParams) -> Result<Response, ApiError> {
    set(req, path, false)
}

fn set(req: &Request, path: &PathParams, hidden: bool) -> Result<Response, ApiError> {
    let id = path.parse("id", OrderId::parse)?;
    req.authorize_bar()?;
    let json = db::query(
        "SET_NAME_HIDDEN",
        sql::SET_NAME_HIDDEN,
        &[P::Int64(id.get()), P::Boolean(hidden)],
    )?;
    let order = shapes::name_hidden_outcome(json.as_deref())?;
    Ok(respond::json(200, to_json(&order)?))
}
