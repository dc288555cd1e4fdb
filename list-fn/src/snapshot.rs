//! The answer of a snapshot view (`GET /api/board`, `GET /api/visit`): its ETag is the
//! database's (the settled feed position), so a client that has it gets 304 without a
//! body, and the statement built nothing for it. A client that has the ETag this replica
//! saw last, within `poll_cache_ms`, gets its 304 without the database at all, and a view
//! shared by every client is answered from the replica's copy within that time
//! (`api_spin::poll_cache`).

use api_spin::poll_cache::PollCache;
use drinks_core::ApiError;
use drinks_core::http::etag_matches;
use spin_sdk::http::Response;

/// A view's name (its key in the poll cache), its caching headers (both answers carry
/// them), and whether every client gets the same view (then its body is remembered too).
pub struct View {
    pub name: &'static str,
    pub headers: &'static [(&'static str, &'static str)],
    pub shared: bool,
}

impl View {
    /// 304 at once when `If-None-Match` holds the ETag this replica saw last, within the
    /// poll cache's time, and a shared view's remembered body when it does not; else
    /// `query` (the view's statement, with the client's tags) and its answer: 200 with the
    /// view (its JSON) and ETag, or 304 when the statement left the view out because the
    /// client has it (anything else is a bug of the statement).
    pub fn answer(
        &self,
        if_none_match: Option<&str>,
        query: impl FnOnce() -> Result<(String, Option<Vec<u8>>), ApiError>,
    ) -> Result<Response, ApiError> {
        let cache = PollCache::new(self.name);
        if let Some(hit) = cache.fresh() {
            if etag_matches(if_none_match, &hit.etag) {
                return Ok(self.not_modified(&hit.etag));
            }
            if let Some(body) = hit.body.filter(|_| self.shared) {
                return Ok(self.ok(&hit.etag, body));
            }
        }
        let (etag, view) = query()?;
        cache.remember(&etag, view.as_deref().filter(|_| self.shared));
        let Some(view) = view else {
            if !etag_matches(if_none_match, &etag) {
                return Err(ApiError::internal(format!(
                    "the {} statement left out a view the client does not have",
                    self.name
                )));
            }
            return Ok(self.not_modified(&etag));
        };
        Ok(self.ok(&etag, view))
    }

    fn ok(&self, etag: &str, view: Vec<u8>) -> Response {
        let mut response = Response::builder();
        response.status(200).header("etag", etag);
        for (name, value) in self.headers {
            response.header(*name, *value);
        }
        response
            .header("content-type", "application/json")
            .header("x-content-type-options", "nosniff")
            .body(view)
            .build()
    }

    fn not_modified(&self, etag: &str) -> Response {
        let mut response = Response::builder();
        response.status(304).header("etag", etag);
        for (name, value) in self.headers {
            response.header(*name, *value);
        }
        response.build()
    }
}
