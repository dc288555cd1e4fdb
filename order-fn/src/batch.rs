//! `PATCH /api/orders` (bar) `{"changes": [{id, status, version}, ...]}`: move several orders
//! with one tap; each is checked against its version and the rules as one
//! `PATCH /api/orders/{id}` would be; the answer lists which moved and which were refused.
//! Orders the batch moved to `ready` notify their visitors after the answer, as one
//! order's move does ([`crate::notify`]).

use api_spin::{PathParams, Reply, Request, db, respond};
use drinks_core::api::{StatusChanges, to_json};
use drinks_core::{ApiError, push, shapes, sql};
use spin_sdk::pg4::ParameterValue as P;

pub fn endpoint(req: &Request, _: &PathParams) -> Result<Reply, ApiError> {
    req.authorize_bar()?;
    let changes = StatusChanges::from_json(&req.json_body()?)?;
    let json = db::query(
        "SET_STATUSES_NOTIFYING",
        sql::SET_STATUSES_NOTIFYING,
        &[
            P::Str(changes.changes_param()?),
            P::Str(push::NOTIFY_ON.as_str().to_owned()),
        ],
    )?;
    let (outcome, notify) = shapes::batch_notifying(json.as_deref(), &changes)?;
    let response = respond::json(200, to_json(&outcome)?);
    Ok(if notify.is_empty() {
        response.into()
    } else {
        Reply::then(response, move || {
            for (order, subscription) in &notify {
                crate::notify::ready(order, subscription);
            }
        })
    })
}
