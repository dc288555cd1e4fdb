//! The answer of a snapshot view (`GET /api/board`, `GET /api/visit`): its ETag is the
//! database's (the settled feed position), so a client that has it gets 304 without a
//! body, and the statement built nothing for it.

use drinks_core::ApiError;
use drinks_core::http::etag_matches;
use spin_sdk::http::Response;

/// 200 with `view` (its JSON) and `etag`, or 304 when the statement left the view out because the
/// client's `If-None-Match` has `etag` (anything else is a bug of the statement).
/// `headers`: the view's caching headers (both answers carry them).
pub fn respond(
    name: &str,
    if_none_match: Option<&str>,
    etag: &str,
    view: Option<Vec<u8>>,
    headers: &[(&str, &str)],
) -> Result<Response, ApiError> {
    let mut response = Response::builder();
    response.header("etag", etag);
    for (name, value) in headers {
        response.header(*name, *value);
    }
    let Some(view) = view else {
        if !etag_matches(if_none_match, etag) {
            return Err(ApiError::internal(format!(
                "the {name} statement left out a view the client does not have"
            )));
        }
        return Ok(response.status(304).build());
    };
    Ok(response
        .status(200)
        .header("content-type", "application/json")
        .header("x-content-type-options", "nosniff")
        .body(view)
        .build())
}
