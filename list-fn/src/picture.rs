//! `GET /api/pictures/{id}` (public): an uploaded drink picture. Its URL is its content's
//! SHA-256, so it is cached for a year, `immutable`, with the id as its strong ETag.

use api_spin::{PathParams, Reply, Request, db};
use drinks_core::http::etag_matches;
use drinks_core::picture::PictureId;
use drinks_core::{ApiError, RequestError, sql};
use spin_sdk::http::Response;
use spin_sdk::pg4::ParameterValue as P;

const CACHE_FOR_GOOD: &str = "public, max-age=31536000, immutable";

pub fn endpoint(req: &Request, path: &PathParams) -> Result<Reply, ApiError> {
    let id = path.parse("id", PictureId::parse)?;
    let etag = id.etag();
    if etag_matches(req.header("if-none-match"), &etag) {
        return Ok(Response::builder()
            .status(304)
            .header("etag", etag)
            .header("cache-control", CACHE_FOR_GOOD)
            .build()
            .into());
    }
    let (kind, bytes) = db::query_bytes(
        "GET_PICTURE",
        sql::GET_PICTURE,
        &[P::Str(id.as_str().to_owned())],
    )?
    .ok_or(RequestError::NotFound)?;
    Ok(Response::builder()
        .status(200)
        .header("content-type", kind)
        .header("etag", etag)
        .header("cache-control", CACHE_FOR_GOOD)
        .header("x-content-type-options", "nosniff")
        .header("content-security-policy", "default-src 'none'; sandbox")
        .body(bytes)
        .build()
        .into())
}
