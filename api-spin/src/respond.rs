//! Responses: JSON, downloads, and the one place an error becomes a problem+json answer.

use drinks_core::ApiError;
use drinks_core::problem::PROBLEM_CONTENT_TYPE;
use spin_sdk::http::Response;

use crate::stream::{Chunks, Reply, Streamed};

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

/// 204 No Content.
pub fn no_content() -> Response {
    Response::builder()
        .status(204)
        .header("cache-control", "no-store")
        .body(Vec::new())
        .build()
}

/// A 200 download, not cached, whose body is written while it is produced, chunk by chunk
/// (the CSV export).
pub fn download_stream(content_type: &str, disposition: &str, chunks: Chunks) -> Reply {
    Reply::Streamed(Streamed {
        status: 200,
        headers: [
            ("content-type", content_type),
            ("content-disposition", disposition),
            ("cache-control", "no-store"),
            ("x-content-type-options", "nosniff"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect(),
        chunks,
    })
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
