//! `POST /api/drinks` (bar) `{id, names, available?, stock?}`: add a drink at the end of
//! the menu.

use api_spin::{PathParams, Request, db, respond};
use drinks_core::api::to_json;
use drinks_core::{ApiError, NewDrink, shapes, sql};
use spin_sdk::http::Response;
use spin_sdk::pg4::ParameterValue as P;

pub fn endpoint(req: &Request, _: &PathParams) -> Result<Response, ApiError> {
    req.authorize_bar()?;
    let drink = NewDrink::from_json(&req.json_body()?)?;
    let json = db::query(
        "INSERT_DRINK",
        sql::INSERT_DRINK,
        &[
            P::Str(drink.id.as_str().to_owned()),
            P::Str(drink.names_param()?),
            P::Boolean(drink.available),
            drink.stock.map_or(P::DbNull, |s| P::Int32(s.0)),
            drink
                .icon
                .as_ref()
                .map_or(P::DbNull, |i| P::Str(i.as_str().to_owned())),
            P::Str(drink.description_param()?),
        ],
    )?;
    let added = shapes::new_drink(json.as_deref(), drink.id.as_str())?;
    Ok(respond::json(201, to_json(&added)?))
}
