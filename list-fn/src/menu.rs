//! `GET /api/menu`: the drinks in menu order, with availability (public).

use api_spin::{PathParams, Request, db, respond};
use drinks_core::api::to_json;
use drinks_core::{ApiError, shapes, sql};
use spin_sdk::http::Response;

pub fn endpoint(_: &Request, _: &PathParams) -> Result<Response, ApiError> {
    let json = db::query("MENU", sql::MENU, &[])?;
    Ok(respond::json(
        200,
        to_json(&shapes::menu(json.as_deref())?)?,
    ))
}
