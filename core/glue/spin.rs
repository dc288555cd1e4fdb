//! Spin adapter shared by the component crates (order-fn, list-fn, feed-fn).
//!
//! This file is NOT part of `drinks-core` (which stays free of spin-sdk); each component
//! includes it with `#[path = "../../core/glue/spin.rs"] mod glue;`. It only translates:
//! the incoming request → method, path, query, header `&str`s and a bounded body; pg4
//! values → `Cell`, pg4 errors → `DbFailure`, `ApiError`/JSON → `Response`.

#![allow(dead_code)]

use anyhow::Context as _;
use drinks_core::http::BodyBuffer;
use drinks_core::problem::PROBLEM_CONTENT_TYPE;
use drinks_core::{ApiError, Cell, DbFailure, DbVerdict};
use spin_sdk::http::{IncomingRequest, Method, Response};
use spin_sdk::pg4::{Connection, DbValue, ParameterValue, PgError, QueryError};
use wasi::io::streams::StreamError;

/// An incoming request whose body stays with the host until [`json_body`] asks for it.
///
/// Components take `IncomingRequest` (not spin-sdk's `Request`, which reads the whole body
/// into guest memory before the handler runs): endpoints without a body never read one,
/// bar endpoints check the token first, and a body is read at most 16 KiB + 1 bytes far.
pub struct Request {
    method: Method,
    path: String,
    query: String,
    /// Lower-cased name → the field's values joined with ", " (RFC 9110 §5.3).
    headers: Vec<(String, Vec<u8>)>,
    incoming: IncomingRequest,
}

impl Request {
    pub fn new(incoming: IncomingRequest) -> Self {
        let target = incoming.path_with_query().unwrap_or_default();
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path.to_owned(), query.to_owned()),
            None => (target, String::new()),
        };
        let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
        // `headers()` is a child resource of the request: read it once, then drop it.
        for (name, value) in incoming.headers().entries() {
            let name = name.to_ascii_lowercase();
            match headers.iter_mut().find(|(seen, _)| *seen == name) {
                Some((_, joined)) => {
                    joined.extend_from_slice(b", ");
                    joined.extend_from_slice(&value);
                }
                None => headers.push((name, value)),
            }
        }
        Self {
            method: incoming.method(),
            path,
            query,
            headers,
            incoming,
        }
    }

    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path, as sent (no percent-decoding).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query string without `?` (empty when there is none).
    pub fn query(&self) -> &str {
        &self.query
    }

    /// A header as text (None when absent or not UTF-8).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }
}

/// A request header as text (None when absent or not UTF-8).
pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.header(name)
}

/// A Spin variable; `None` when it is undefined or cannot be read.
pub fn variable(name: &str) -> Option<String> {
    spin_sdk::variables::get(name).ok()
}

/// Bar endpoints: `Authorization: Bearer <bar_token>`, compared in constant time; refuses
/// everything when the variable is empty or unset. Call it before [`json_body`].
pub fn authorize_bar(req: &Request) -> Result<(), ApiError> {
    drinks_core::http::authorize_bar(
        variable("bar_token").as_deref(),
        header(req, "authorization"),
    )
}

/// The body of a JSON request, after the size and content-type checks: 413 on a declared
/// length over the limit without reading anything, else the body is streamed and reading
/// stops as soon as it is over the limit (the rest is never read).
pub fn json_body(req: &Request) -> Result<Vec<u8>, ApiError> {
    let mut body = BodyBuffer::new(header(req, "content-length"))?;
    read_bounded(&req.incoming, &mut body)?;
    drinks_core::http::require_json(header(req, "content-type"))?;
    Ok(body.into_bytes())
}

/// The "read at most N bytes" loop: asks the host for no more than `body` still wants, and
/// stops at the end of the stream or at the first error (413 included).
fn read_bounded(incoming: &IncomingRequest, body: &mut BodyBuffer) -> Result<(), ApiError> {
    let stream_of = incoming
        .consume()
        .map_err(|()| internal(anyhow::anyhow!("the request body was already consumed")))?;
    let stream = stream_of
        .stream()
        .map_err(|()| internal(anyhow::anyhow!("the request body stream was already taken")))?;
    let result = loop {
        match stream.blocking_read(body.wanted()) {
            Ok(chunk) => {
                if let Err(e) = body.push(&chunk) {
                    break Err(e);
                }
            }
            Err(StreamError::Closed) => break Ok(()),
            // The client went away or sent broken framing: nobody may be listening, but
            // answer as a client error rather than a 500.
            Err(StreamError::LastOperationFailed(_)) => {
                break Err(ApiError::MalformedJson(
                    "the body could not be read to its end".into(),
                ));
            }
        }
    };
    // The stream is a child of the body: drop it first. Whatever was not read stays unread.
    drop(stream);
    drop(stream_of);
    result
}

/// Wraps an unexpected error with its whole cause chain, for logging and a 500.
pub fn internal(error: anyhow::Error) -> ApiError {
    ApiError::Internal(format!("{error:#}"))
}

/// Runs one statement on a fresh connection (one pool checkout). A unique-violation race
/// (a concurrent twin of the same request) is answered by running it once more.
/// `name` is the statement's constant name, used in logs.
pub fn query(name: &str, sql: &str, params: &[ParameterValue]) -> Result<Vec<Vec<Cell>>, ApiError> {
    let url = spin_sdk::variables::get("db_url")
        .context("reading the Spin variable db_url")
        .map_err(internal)?;
    let conn = Connection::open(&url).map_err(|e| fail(name, failure(e)))?;
    match run(&conn, sql, params) {
        Ok(rows) => Ok(rows),
        Err(first) => match first.verdict() {
            DbVerdict::Retry => run(&conn, sql, params).map_err(|second| match second.verdict() {
                DbVerdict::Retry => ApiError::Contention,
                DbVerdict::Fail(e) => contextualize(name, e),
            }),
            DbVerdict::Fail(e) => Err(contextualize(name, e)),
        },
    }
}

/// Like [`query`] but hands back the raw failure, for callers that classify it themselves.
pub fn query_raw(
    sql: &str,
    params: &[ParameterValue],
) -> Result<Vec<Vec<Cell>>, Result<DbFailure, ApiError>> {
    let url = spin_sdk::variables::get("db_url")
        .context("reading the Spin variable db_url")
        .map_err(|e| Err(internal(e)))?;
    let conn = Connection::open(&url).map_err(|e| Ok(failure(e)))?;
    run(&conn, sql, params).map_err(Ok)
}

fn run(
    conn: &Connection,
    sql: &str,
    params: &[ParameterValue],
) -> Result<Vec<Vec<Cell>>, DbFailure> {
    let rows = conn.query(sql, params).map_err(failure)?;
    Ok(rows
        .rows
        .into_iter()
        .map(|row| row.into_iter().map(cell).collect())
        .collect())
}

fn fail(name: &str, f: DbFailure) -> ApiError {
    contextualize(name, f.final_error())
}

fn contextualize(name: &str, e: ApiError) -> ApiError {
    match e {
        ApiError::Internal(msg) => ApiError::Internal(format!("statement {name}: {msg}")),
        ApiError::SchemaMissing(msg) => ApiError::SchemaMissing(format!("statement {name}: {msg}")),
        other => other,
    }
}

/// Classifies a pg4 error without spin types leaking into core.
pub fn failure(e: PgError) -> DbFailure {
    match e {
        PgError::ConnectionFailed(msg) => DbFailure::Connection(msg),
        PgError::QueryFailed(QueryError::DbError(db)) => DbFailure::Query {
            code: db.code,
            message: db.as_text,
        },
        PgError::QueryFailed(QueryError::Text(msg)) => DbFailure::Query {
            code: String::new(),
            message: msg,
        },
        PgError::BadParameter(msg) => DbFailure::Other(format!("bad parameter: {msg}")),
        PgError::ValueConversionFailed(msg) => {
            DbFailure::Other(format!("value conversion failed: {msg}"))
        }
        PgError::Other(msg) => DbFailure::Other(msg),
    }
}

fn cell(v: DbValue) -> Cell {
    match v {
        DbValue::DbNull => Cell::Null,
        DbValue::Boolean(b) => Cell::Bool(b),
        DbValue::Int16(n) => Cell::I32(i32::from(n)),
        DbValue::Int32(n) => Cell::I32(n),
        DbValue::Int64(n) => Cell::I64(n),
        DbValue::Str(s) => Cell::Text(s),
        DbValue::Uuid(s) => Cell::Text(s),
        other => Cell::Other(format!("{other:?}")),
    }
}

/// A response with a JSON body.
pub fn json(status: u16, body: Vec<u8>) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff")
        .body(body)
        .build()
}

/// A 200 download (e.g. the CSV export), not cached.
pub fn download(content_type: &str, disposition: &str, body: Vec<u8>) -> Response {
    Response::builder()
        .status(200)
        .header("content-type", content_type)
        .header("content-disposition", disposition)
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff")
        .body(body)
        .build()
}

/// The problem+json answer for an error; internal errors (with their cause chain) and an
/// unmigrated database are logged here, once (the response itself never shows internals).
pub fn problem(error: ApiError) -> Response {
    if let Some(line) = error.log_line() {
        eprintln!("{line}");
    }
    let p = error.problem();
    let mut builder = Response::builder();
    builder
        .status(p.status)
        .header("content-type", PROBLEM_CONTENT_TYPE)
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff");
    for (name, value) in &p.headers {
        builder.header(*name, value.clone());
    }
    builder.body(p.to_json()).build()
}

/// Turns a handler's result into the response.
pub fn respond(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(problem)
}
