//! list-fn: read-only views, one statement each.
//!
//! - `GET /api/menu` the drinks with availability (public)
//! - `GET /api/mine` (header `X-Visitor-Id`) the visitor's orders, newest first
//! - `GET /api/queue` (bar token) orders oldest first + the feed cursor of that snapshot
//! - `GET /api/health` database reachable and migrated to this build's schema
//!
//! `/api/stats` is routed here too and has no endpoint yet (404).

#[path = "../../core/glue/spin.rs"]
mod glue;

use drinks_core::api::to_json;
use drinks_core::http::{self as rules, MY_ORDERS_LIMIT, QueueQuery};
use drinks_core::migrations::check_migrated;
use drinks_core::{ApiError, DbFailure, rows, sql};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::pg4::ParameterValue as P;

#[http_component]
fn handle(req: Request) -> Response {
    glue::respond(route(&req))
}

fn route(req: &Request) -> Result<Response, ApiError> {
    let endpoint: fn(&Request) -> Result<Response, ApiError> = match req.path() {
        "/api/menu" => menu,
        "/api/mine" => mine,
        "/api/queue" => queue,
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
    rules::authorize_bar(
        glue::variable("bar_token").as_deref(),
        glue::header(req, "authorization"),
    )?;
    let q = QueueQuery::parse(req.query())?;
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

fn health(_req: &Request) -> Result<Response, ApiError> {
    let applied = match glue::query_raw(sql::HEALTH, &[]) {
        Ok(rows) => rows::applied_migration(&rows)?,
        // No schema_migrations table yet: nothing applied.
        Err(Ok(DbFailure::Query { code, .. })) if code == "42P01" => 0,
        Err(Ok(failure)) => {
            let error = failure.final_error();
            if error.is_internal() {
                eprintln!("error: health check: {error}");
            }
            return Err(ApiError::DatabaseUnavailable(error.to_string()));
        }
        Err(Err(error)) => return Err(error),
    };
    Ok(glue::json(200, to_json(&check_migrated(applied)?)?))
}
