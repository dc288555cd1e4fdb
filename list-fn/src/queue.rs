//! `GET /api/queue` (bar): one page of orders, oldest or newest first, maybe searched, with the feed cursor of the
//! same snapshot; `?format=csv`: every order of the event as a CSV download, streamed page
//! by page.

use api_spin::{PathParams, Reply, Request, db, respond};
use drinks_core::api::to_json;
use drinks_core::csv::{CSV_CONTENT_TYPE, CSV_DISPOSITION, csv_header, csv_records};
use drinks_core::http::QueueRequest;
use drinks_core::shapes::ExportCursor;
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
            P::Boolean(q.newest_param()),
            P::Str(q.q_param()),
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
        cursor: ExportCursor::default(),
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
    cursor: ExportCursor,
}

impl ExportPages {
    fn page(&mut self) -> Result<Vec<u8>, ApiError> {
        let json = self.session.query(
            "EXPORT_ORDERS_PAGE",
            sql::EXPORT_ORDERS_PAGE,
            &self.cursor.params().map(P::Int64),
        )?;
        let page = shapes::export_page(json.as_deref())?;
        self.cursor.advance(&page);
        csv_records(&page.orders)
    }
}

impl Iterator for ExportPages {
    type Item = Result<Vec<u8>, ApiError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.cursor.done {
            return None;
        }
        let page = self.page();
        if page.is_err() {
            self.cursor.done = true;
        }
        Some(page)
    }
}
