//! `POST /api/orders/{id}/undo` (bar) `{version}`: take back the order's last status change
//! (served → ready, ready → preparing, a cancel by the bar → where it was) within a minute,
//! if the order is still at the version the tablet saw. The rule is migration 0007's.

use api_spin::{PathParams, Request, db, respond};
use drinks_core::api::{UndoRequest, to_json};
use drinks_core::domain::UNDO_WINDOW_MS;
use drinks_core::{ApiError, OrderId, OrderStatus, shapes, sql};
use spin_sdk::http::Response;
use spin_sdk::pg4::ParameterValue as P;

pub fn endpoint(req: &Request, path: &PathParams) -> Result<Response, ApiError> {
    let id = path.parse("id", OrderId::parse)?;
    req.authorize_bar()?;
    let undo = UndoRequest::from_json(&req.json_body()?)?;
    let json = db::query(
        "UNDO_STATUS",
        sql::UNDO_STATUS,
        &[
            P::Int64(id.get()),
            P::Int32(undo.version.0),
            P::Str(OrderStatus::sql_list(&OrderStatus::BAR_UNDOABLE)),
            P::Int64(UNDO_WINDOW_MS),
            P::Str(OrderStatus::sql_list(&OrderStatus::OPEN)),
        ],
    )?;
    let order = shapes::undo_outcome(json.as_deref())?;
    Ok(respond::json(200, to_json(&order)?))
}
