//! `GET /api/visit` (public; header `X-Visitor-Id` optional): what a guest's phone polls —
//! their latest order with its place in the queue, the bar's recent median wait, the
//! ticker's last lines and the menu's version — bounded, whatever the length of the
//! evening. Its ETag is the settled feed position; `If-None-Match` with it → 304, and the
//! database builds nothing for it. Without the header (the poster, a phone without an open
//! order): no order, and the view is the same for every client.

use crate::snapshot::View;
use api_spin::{PathParams, Request, db};
use drinks_core::api::to_json;
use drinks_core::http::{
    RECENT_WAIT_SAMPLES_MAX, RECENT_WAIT_SAMPLES_MIN, RECENT_WAIT_WINDOW_MS, TICKER_LINES,
    VISITOR_HEADER, if_none_match_param, no_parameters, visitor_from_header,
};
use drinks_core::{ApiError, OrderStatus, shapes, sql};
use spin_sdk::http::Response;
use spin_sdk::pg4::ParameterValue as P;

const HEADERS: &[(&str, &str)] = &[
    ("cache-control", "private, no-cache"),
    ("vary", VISITOR_HEADER),
];

/// A guest's own view: no shared cache keeps it, and it differs per visitor. Its ETag is the
/// same for every visitor (nothing changed anywhere = nothing changed for anyone), so one
/// remembered ETag serves every phone of the replica.
const OWN: View = View {
    name: "visit",
    headers: HEADERS,
    shared: false,
};

/// The view without a visitor (the poster; a phone with no open order): the same for every
/// client, so a replica answers it from its copy for `poll_cache_ms`.
const SHARED: View = View {
    name: "visit-shared",
    headers: HEADERS,
    shared: true,
};

pub fn endpoint(req: &Request, _: &PathParams) -> Result<Response, ApiError> {
    no_parameters(req.query())?;
    let (view, visitor) = match req.header(VISITOR_HEADER) {
        Some(raw) => (
            OWN,
            P::Uuid(visitor_from_header(Some(raw))?.to_hyphenated()),
        ),
        None => (SHARED, P::DbNull),
    };
    let if_none_match = req.header("if-none-match");
    view.answer(if_none_match, || {
        let json = db::query(
            "VISIT",
            sql::VISIT,
            &[
                P::Str(if_none_match_param(if_none_match)),
                visitor,
                P::Str(OrderStatus::sql_list(&OrderStatus::WAITING)),
                P::Int64(TICKER_LINES),
                P::Int64(RECENT_WAIT_WINDOW_MS),
                P::Int64(RECENT_WAIT_SAMPLES_MAX),
                P::Int64(RECENT_WAIT_SAMPLES_MIN),
            ],
        )?;
        let answer = shapes::visit(json.as_deref())?;
        let visit = answer.visit.as_ref().map(to_json).transpose()?;
        Ok((answer.etag, visit))
    })
}
