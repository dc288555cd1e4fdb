//! list-fn: read-only views, one statement each.
//!
//! - `GET /api/menu` the drinks with availability (public)
//! - `GET /api/mine` (header `X-Visitor-Id`) the visitor's orders, newest first
//! - `GET /api/queue` (bar token) orders oldest first + the feed cursor of that snapshot;
//!   `?format=csv` every order of the event as a CSV download
//! - `GET /api/stats` (bar token) counts per drink/status, orders per minute, wait times
//! - `GET /api/health` database reachable and migrated to this build's schema

#[path = "../../core/glue/spin.rs"]
mod glue;

use drinks_core::api::to_json;
use drinks_core::csv::{CSV_CONTENT_TYPE, CSV_DISPOSITION, orders_csv};
use drinks_core::http::{self as rules, MY_ORDERS_LIMIT, QueueRequest};
use drinks_core::migrations::check_migrated;
use drinks_core::{ApiError, DbFailure, rows, sql};
use glue::Request;
use spin_sdk::http::{IncomingRequest, Method, Response};
use spin_sdk::http_component;
use spin_sdk::pg4::ParameterValue as P;

/// Takes the `IncomingRequest`, not spin-sdk's `Request`: the body stays with the host
/// until an endpoint that takes one reads it, bounded (see `glue::json_body`).
#[http_component]
fn handle(req: IncomingRequest) -> Response {
    glue::respond(route(&Request::new(req)))
}

fn route(req: &Request) -> Result<Response, ApiError> {
    let endpoint: fn(&Request) -> Result<Response, ApiError> = match req.path() {
        "/api/menu" => menu,
        "/api/mine" => mine,
        "/api/queue" => queue,
        "/api/stats" => stats,
        "/api/health" => health,
        _ => return Err(ApiError::NotFound),
    };
    if *req.method() != Method::Get {
        return Err(ApiError::MethodNotAllowed { allow: "GET" });
    }
    endpoint(req)
}

fn menu(_req: &Request) -> Result<Response, ApiError> {
    let rows = glue::query("MENU", sql::MENU, &[])?;
    Ok(glue::json(200, to_json(&rows::menu(&rows)?)?))
}

fn mine(req: &Request) -> Result<Response, ApiError> {
    let visitor = rules::visitor_from_header(glue::header(req, rules::VISITOR_HEADER))?;
    let rows = glue::query(
        "MY_ORDERS",
        sql::MY_ORDERS,
        &[P::Uuid(visitor.to_hyphenated()), P::Int64(MY_ORDERS_LIMIT)],
    )?;
    Ok(glue::json(200, to_json(&rows::my_orders(&rows)?)?))
}

fn queue(req: &Request) -> Result<Response, ApiError> {
    glue::authorize_bar(req)?;
    let q = match QueueRequest::parse(req.query())? {
        QueueRequest::Page(q) => q,
        QueueRequest::Csv => return export(),
    };
    let rows = glue::query(
        "QUEUE",
        sql::QUEUE,
        &[
            P::Str(q.statuses_param()),
            P::Str(q.drink_param()),
            P::Int64(q.after_param()),
            P::Int64(q.fetch_param()),
        ],
    )?;
    Ok(glue::json(
        200,
        to_json(&rows::queue_page(&rows, q.limit)?)?,
    ))
}

fn export() -> Result<Response, ApiError> {
    let rows = glue::query("EXPORT_ORDERS", sql::EXPORT_ORDERS, &[])?;
    let csv = orders_csv(&rows::orders(&rows)?);
    Ok(glue::download(
        CSV_CONTENT_TYPE,
        CSV_DISPOSITION,
        csv.into_bytes(),
    ))
}

fn stats(req: &Request) -> Result<Response, ApiError> {
    glue::authorize_bar(req)?;
    rules::no_parameters(req.query())?;
    let rows = glue::query("STATS", sql::STATS, &[])?;
    Ok(glue::json(200, to_json(&rows::stats(&rows)?)?))
}

fn health(_req: &Request) -> Result<Response, ApiError> {
    let applied = match glue::query_raw(sql::HEALTH, &[]) {
        Ok(rows) => rows::applied_migration(&rows)?,
        // No schema_migrations table yet: nothing applied.
        Err(Ok(DbFailure::Query { code, .. })) if code == "42P01" => 0,
        Err(Ok(failure)) => {
            let error = failure.final_error();
            if let ApiError::SchemaMissing(_) = error {
                // schema_migrations is there but not as this build knows it.
                return Err(error);
            }
            if error.is_internal() {
                eprintln!("error: health check: {error}");
            } else {
                // Readiness failures must be visible in the pod log (an untrusted CA, a
                // wrong db_host/db_port): one line per probe, bounded by the probe period.
                eprintln!("warning: health check: database unavailable: {error}");
            }
            return Err(ApiError::DatabaseUnavailable(error.to_string()));
        }
        Err(Err(error)) => return Err(error),
    };
    Ok(glue::json(200, to_json(&check_migrated(applied)?)?))
}
