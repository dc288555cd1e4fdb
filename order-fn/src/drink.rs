//! `PATCH /api/drinks/{id}` (bar) `{available?, stock?, names?, position?, retired?}`:
//! switch a drink on or off, set or clear its stock, rename it, move it on the menu, retire
//! it or put it back.

use api_spin::{PathParams, Request, db, respond};
use drinks_core::api::to_json;
use drinks_core::{ApiError, DrinkChange, DrinkId, shapes, sql};
use spin_sdk::http::Response;
use spin_sdk::pg4::ParameterValue as P;

pub fn endpoint(req: &Request, path: &PathParams) -> Result<Response, ApiError> {
    let id = path.parse("drink", DrinkId::parse)?;
    req.authorize_bar()?;
    let change = DrinkChange::from_json(&req.json_body()?)?;
    let json = db::query(
        "UPDATE_DRINK",
        sql::UPDATE_DRINK,
        &[
            P::Str(id.as_str().to_owned()),
            change.available_param().map_or(P::DbNull, P::Boolean),
            P::Boolean(change.sets_stock_param()),
            change.stock_param().map_or(P::DbNull, P::Int32),
            change.names_param()?.map_or(P::DbNull, P::Str),
            change.position.map_or(P::DbNull, P::Int32),
            change.retired.map_or(P::DbNull, P::Boolean),
            P::Boolean(change.icon.is_some()),
            change
                .icon
                .as_ref()
                .and_then(|i| i.as_ref())
                .map_or(P::DbNull, |i| P::Str(i.as_str().to_owned())),
            change.description_param()?.map_or(P::DbNull, P::Str),
        ],
    )?;
    let drink = shapes::drink_outcome(json.as_deref())?;
    Ok(respond::json(200, to_json(&drink)?))
}
