//! `PATCH /api/event` (bar) `{title?, welcome?, ordering?, message?, busy_limit?,
//! order_key?, ready_dim_minutes?, refused_words?}`: change the event's settings; every page
//! reads them again from `GET /api/menu` after the `settings` feed event.
//! `GET /api/event/key` (bar): the ordering key the poster's QR code carries.
//! `GET /api/event/words` (bar): the refused words, folded.

use api_spin::{PathParams, Request, db, respond};
use drinks_core::api::to_json;
use drinks_core::event::EventChange;
use drinks_core::{ApiError, shapes, sql};
use spin_sdk::http::Response;
use spin_sdk::pg4::ParameterValue as P;

pub fn endpoint(req: &Request, _: &PathParams) -> Result<Response, ApiError> {
    req.authorize_bar()?;
    let change = EventChange::from_json(&req.json_body()?)?;
    let text = |t| EventChange::texts_param(t).map(|json| json.map_or(P::DbNull, P::Str));
    let json = db::query(
        "UPDATE_EVENT",
        sql::UPDATE_EVENT,
        &[
            text(&change.title)?,
            text(&change.welcome)?,
            change.ordering_param().map_or(P::DbNull, P::Str),
            text(&change.message)?,
            P::Boolean(change.sets_busy_limit_param()),
            change.busy_limit_param().map_or(P::DbNull, P::Int32),
            change.order_key_param().map_or(P::DbNull, P::Str),
            change.ready_dim_minutes_param().map_or(P::DbNull, P::Int32),
            change.refused_words_param()?.map_or(P::DbNull, P::Str),
        ],
    )?;
    let settings = shapes::event_settings(json.as_deref())?;
    Ok(respond::json(200, to_json(&settings)?))
}

pub fn key(req: &Request, _: &PathParams) -> Result<Response, ApiError> {
    req.authorize_bar()?;
    let json = db::query("EVENT_KEY", sql::EVENT_KEY, &[])?;
    Ok(respond::json(
        200,
        to_json(&shapes::event_key(json.as_deref())?)?,
    ))
}

pub fn words(req: &Request, _: &PathParams) -> Result<Response, ApiError> {
    req.authorize_bar()?;
    let json = db::query("EVENT_WORDS", sql::EVENT_WORDS, &[])?;
    Ok(respond::json(
        200,
        to_json(&shapes::event_words(json.as_deref())?)?,
    ))
}
