//! `PUT /api/drinks/{id}/picture` (bar): a PNG, JPEG or WebP of at most 256 KiB becomes the
//! drink's picture (stored once per content, served at `/api/pictures/<sha256>`).
//! `DELETE /api/drinks/{id}/picture` (bar): the drink shows its icon again.

use api_spin::{PathParams, Request, db, respond};
use drinks_core::api::to_json;
use drinks_core::{ApiError, DrinkId, shapes, sql};
use spin_sdk::http::Response;
use spin_sdk::pg4::ParameterValue as P;

pub fn set(req: &Request, path: &PathParams) -> Result<Response, ApiError> {
    let id = path.parse("drink", DrinkId::parse)?;
    req.authorize_bar()?;
    let (kind, bytes) = req.picture_body()?;
    let json = db::query(
        "SET_PICTURE",
        sql::SET_PICTURE,
        &[
            P::Str(id.as_str().to_owned()),
            P::Binary(bytes),
            P::Str(kind.mime().to_owned()),
        ],
    )?;
    drink(json)
}

pub fn clear(req: &Request, path: &PathParams) -> Result<Response, ApiError> {
    let id = path.parse("drink", DrinkId::parse)?;
    req.authorize_bar()?;
    let json = db::query(
        "CLEAR_PICTURE",
        sql::CLEAR_PICTURE,
        &[P::Str(id.as_str().to_owned())],
    )?;
    drink(json)
}

fn drink(json: Option<String>) -> Result<Response, ApiError> {
    let drink = shapes::drink_outcome(json.as_deref())?;
    Ok(respond::json(200, to_json(&drink)?))
}
