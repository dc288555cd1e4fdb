//! `GET /api/stats` (bar): counts per drink and status, orders per minute, wait times.

use api_spin::{PathParams, Request, db, respond};
use drinks_core::api::to_json;
use drinks_core::http::no_parameters;
use drinks_core::{ApiError, shapes, sql};
use spin_sdk::http::Response;

pub fn endpoint(req: &Request, _: &PathParams) -> Result<Response, ApiError> {
    req.authorize_bar()?;
    no_parameters(req.query())?;
    let json = db::query("STATS", sql::STATS, &[])?;
    Ok(respond::json(
        200,
        to_json(&shapes::stats(json.as_deref())?)?,
    ))
}
