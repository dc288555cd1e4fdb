//! `PATCH /api/orders` (bar) `{"changes": [{id, status, version}, ...]}`: move several orders
//! with one tap; each is checked against its version and the rules as one
//! `PATCH /api/orders/{id}` would be; the answer lists which moved and which were refused.

use api_spin::{PathParams, Request, db, respond};
use drinks_core::api::{StatusChanges, to_json};
use drinks_core::{ApiError, shapes, sql};
use spin_sdk::http::Response;
use spin_sdk::pg4::ParameterValue as P;

pub fn endpoint(req: &Request, _: &PathParams) -> Result<Response, ApiError> {
    req.authorize_bar()?;
    let changes = StatusChanges::from_json(&req.json_body()?)?;
    let json = db::query(
        "SET_STATUSES",
        sql::SET_STATUSES,
        &[P::Str(changes.changes_param()?)],
    )?;
    let outcome = shapes::batch_outcome(json.as_deref(), &changes)?;
    Ok(respond::json(200, to_json(&outcome)?))
}
