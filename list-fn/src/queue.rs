//! `GET /api/queue` (bar): one page of orders, oldest first, with the feed cursor of the
//! same snapshot; `?format=csv`: every order of the event as a CSV download.

use api_spin::{PathParams, Request, db, respond};
use drinks_core::api::to_json;
use drinks_core::csv::{
    CSV_CONTENT_TYPE, CSV_DISPOSITION, EXPORT_PAGE_SIZE, csv_header, csv_records,
};
use drinks_core::http::QueueRequest;
use drinks_core::{ApiError, shapes, sql};
use spin_sdk::http::Response;
use spin_sdk::pg4::ParameterValue as P;

pub fn endpoint(req: &Request, _: &PathParams) -> Result<Response, ApiError> {
    req.authorize_bar()?;
    let q = match QueueRequest::parse(req.query())? {
        QueueRequest::Page(q) => q,
        QueueRequest::Csv => return export(),
    };
    let json = db::query(
        "QUEUE",
        sql::QUEUE,
        &[
            P::Str(q.statuses_param()),
            P::Str(q.drink_param()),
            P::Int64(q.after_param()),
            P::Int64(q.fetch_param()),
        ],
    )?;
    Ok(respond::json(
        200,
        to_json(&shapes::queue_page(json.as_deref(), q.limit)?)?,
    ))
}

fn export() -> Result<Response, ApiError> {
    let mut csv = csv_header()?;
    let (mut after, mut until) = (0, 0);
    loop {
        let json = db::query(
            "EXPORT_ORDERS_PAGE",
            sql::EXPORT_ORDERS_PAGE,
            &[P::Int64(after), P::Int64(until), P::Int64(EXPORT_PAGE_SIZE)],
        )?;
        let page = shapes::export_page(json.as_deref())?;
        csv.extend(csv_records(&page.orders)?);
        until = page.until;
        match page.orders.last() {
            Some(last) if page.orders.len() as i64 == EXPORT_PAGE_SIZE => after = last.id,
            _ => break,
        }
    }
    Ok(respond::download(CSV_CONTENT_TYPE, CSV_DISPOSITION, csv))
}
