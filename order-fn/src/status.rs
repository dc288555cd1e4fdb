//! `PATCH /api/orders/{id}` (bar) `{status, version, reason?}`: move the order on, or cancel
//! it (with a reason the visitor sees), if it is still at the version the tablet saw and the
//! rules allow the move.

use api_spin::{PathParams, Request, db, respond};
use drinks_core::api::{BarStatusChange, to_json};
use drinks_core::{ApiError, OrderId, shapes, sql};
use spin_sdk::http::Response;
use spin_sdk::pg4::ParameterValue as P;

pub fn endpoint(req: &Request, path: &PathParams) -> Result<Response, ApiError> {
    let id = path.parse("id", OrderId::parse)?;
    req.authorize_bar()?;
    let asked = BarStatusChange::from_json(&req.json_body()?)?;
    let change = &asked.change;
    let json = db::query(
        "SET_STATUS",
        sql::SET_STATUS,
        &[
            P::Int64(id.get()),
            P::Str(change.status.as_str().to_owned()),
            P::Int32(change.version),
            P::Str(change.from_statuses_param()),
            asked.reason_param().map_or(P::DbNull, P::Str),
        ],
    )?;
    let order = shapes::status_outcome(json.as_deref(), change.status)?;
    Ok(respond::json(200, to_json(&order)?))
}
