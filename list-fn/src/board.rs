//! `GET /api/board` (public): the counter screen's snapshot of the open orders, bounded,
//! with only what the public ticker shows. Its ETag is the settled feed position;
//! `If-None-Match` with it → 304, and the database builds no board for it.

use crate::snapshot::View;
use api_spin::{PathParams, Request, db};
use drinks_core::api::to_json;
use drinks_core::http::{BOARD_COLUMN_MAX, if_none_match_param, no_parameters};
use drinks_core::{ApiError, OrderStatus, shapes, sql};
use spin_sdk::http::Response;
use spin_sdk::pg4::ParameterValue as P;

const BOARD: View = View {
    name: "board",
    headers: &[("cache-control", "no-cache")],
    shared: true,
};

pub fn endpoint(req: &Request, _: &PathParams) -> Result<Response, ApiError> {
    no_parameters(req.query())?;
    let if_none_match = req.header("if-none-match");
    BOARD.answer(if_none_match, || {
        let json = db::query(
            "BOARD",
            sql::BOARD,
            &[
                P::Str(if_none_match_param(if_none_match)),
                P::Str(OrderStatus::sql_list(&OrderStatus::WAITING)),
                P::Str(OrderStatus::Ready.as_str().to_owned()),
                P::Int64(BOARD_COLUMN_MAX),
            ],
        )?;
        let answer = shapes::board(json.as_deref())?;
        let board = answer.board.as_ref().map(to_json).transpose()?;
        Ok((answer.etag, board))
    })
}
