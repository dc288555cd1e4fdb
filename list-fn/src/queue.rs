//! `GET /api/queue` (bar): one page of orders, oldest first, with the feed cursor of the
//! same snapshot; `?format=csv`: every order of the event as a CSV download, streamed page
//! by page.

use api_spin::{PathParams, Reply, Request, db, respond};
use drinks_core::api::to_json;
use drinks_core::csv::{
    CSV_CONTENT_TYPE, CSV_DISPOSITION, EXPORT_PAGE_SIZE, csv_header, csv_records,
};
use drinks_core::http::QueueRequest;
use drinks_core::{ApiError, shapes, sql};
use spin_sdk::pg4::ParameterValue as P;

pub fn endpoint(req: &Request, _: &PathParams) -> Result<Reply, ApiError> {
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
    )
    .into())
}

/// The export streams: the first page is read before the head is sent (so that a database
/// failure is still a problem answer), then each page is written as soon as it is read.
/// At most one page is held in memory; when the client goes away the next write fails and
/// no further page is read.
fn export() -> Result<Reply, ApiError> {
    let mut pages = ExportPages {
        session: db::Session::open("EXPORT_ORDERS_PAGE")?,
        after: 0,
        until: 0,
        done: false,
    };
    let mut first = csv_header()?;
    if let Some(records) = pages.next().transpose()? {
        first.extend(records);
    }
    let chunks = std::iter::once(Ok(first)).chain(pages);
    Ok(respond::download_stream(
        CSV_CONTENT_TYPE,
        CSV_DISPOSITION,
        Box::new(chunks),
    ))
}

/// The export's pages as CSV records, read one statement at a time on one connection.
struct ExportPages {
    session: db::Session,
    /// The last id written (0 before the first page).
    after: i64,
    /// The greatest id the export covers (0 until the first page has fixed it).
    until: i64,
    done: bool,
}

impl ExportPages {
    fn page(&mut self) -> Result<Vec<u8>, ApiError> {
        let json = self.session.query(
            "EXPORT_ORDERS_PAGE",
            sql::EXPORT_ORDERS_PAGE,
            &[
                P::Int64(self.after),
                P::Int64(self.until),
                P::Int64(EXPORT_PAGE_SIZE),
            ],
        )?;
        let page = shapes::export_page(json.as_deref())?;
        self.until = page.until;
        match page.orders.last() {
            Some(last) if page.orders.len() as i64 == EXPORT_PAGE_SIZE => self.after = last.id,
            _ => self.done = true,
        }
        csv_records(&page.orders)
    }
}

impl Iterator for ExportPages {
    type Item = Result<Vec<u8>, ApiError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let page = self.page();
        if page.is_err() {
            self.done = true;
        }
        Some(page)
    }
}
