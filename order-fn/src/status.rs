//! `PATCH /api/orders/{id}` (bar) `{status, version, reason?}`: move the order on, or cancel
//! it (with a reason the visitor sees), if it is still at the version the tablet saw and the
//! rules allow the move. A move to `ready` of an order with a push subscription answers
//! first, then notifies the visitor ([`crate::notify`]): the bar's tap never waits on a push
//! service.

use api_spin::{PathParams, Reply, Request, db, respond};
use drinks_core::api::{BarStatusChange, to_json};
use drinks_core::{ApiError, OrderId, push, shapes, sql};
use spin_sdk::pg4::ParameterValue as P;

pub fn endpoint(req: &Request, path: &PathParams) -> Result<Reply, ApiError> {
    let id = path.parse("id", OrderId::parse)?;
    req.authorize_bar()?;
    let asked = BarStatusChange::from_json(&req.json_body()?)?;
    let change = &asked.change;
    let json = db::query(
        "SET_STATUS_NOTIFYING",
        sql::SET_STATUS_NOTIFYING,
        &[
            P::Int64(id.get()),
            P::Str(change.status.as_str().to_owned()),
            P::Int32(change.version),
            P::Str(change.from_statuses_param()),
            P::Str(push::NOTIFY_ON.as_str().to_owned()),
            asked.reason_param().map_or(P::DbNull, P::Str),
        ],
    )?;
    let (order, subscription) = shapes::status_notifying(json.as_deref(), change.status)?;
    let response = respond::json(200, to_json(&order)?);
    Ok(match subscription {
        Some(subscription) => Reply::then(response, move || {
            crate::notify::ready(&order, &subscription);
        }),
        None => response.into(),
    })
}
