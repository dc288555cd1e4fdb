//! `GET /api/menu`: the drinks in menu order with availability, and the event's settings
//! (public). Its ETag is the menu's hash: `If-None-Match` with it → 304 while nothing changed.

use api_spin::{PathParams, Request, db};
use drinks_core::api::to_json;
use drinks_core::http::etag_matches;
use drinks_core::{ApiError, shapes, sql};
use spin_sdk::http::Response;

pub fn endpoint(req: &Request, _: &PathParams) -> Result<Response, ApiError> {
    let json = db::query("MENU", sql::MENU, &[])?;
    let answer = shapes::menu(json.as_deref())?;
    let mut response = Response::builder();
    response
        .header("etag", answer.etag.clone())
        .header("cache-control", "no-cache");
    if etag_matches(req.header("if-none-match"), &answer.etag) {
        return Ok(response.status(304).build());
    }
    Ok(response
        .status(200)
        .header("content-type", "application/json")
        .header("x-content-type-options", "nosniff")
        .body(to_json(&answer.menu)?)
        .build())
}
