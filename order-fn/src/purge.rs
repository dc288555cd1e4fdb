//! `DELETE /api/orders?before=<epoch ms>` (bar): purge closed orders and their events.

use api_spin::{PathParams, Request, db, respond};
use drinks_core::api::to_json;
use drinks_core::http::purge_before;
use drinks_core::{ApiError, shapes, sql};
use spin_sdk::http::Response;
use spin_sdk::pg4::ParameterValue as P;

pub fn endpoint(req: &Request, _: &PathParams) -> Result<Response, ApiError> {
    req.authorize_bar()?;
    let before = purge_before(req.query())?;
    let json = db::query("PURGE", sql::PURGE, &[P::Int64(before)])?;
    Ok(respond::json(
        200,
        to_json(&shapes::purged(json.as_deref())?)?,
    ))
}
