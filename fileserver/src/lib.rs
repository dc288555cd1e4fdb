//! `fileserver`: the Drink Orders static file server, a Spin HTTP component.
//!
//! Spin maps `web/dist/`, the output of the frontend build (`web/build.mjs`), to `/` in the
//! component's WASI file system (read-only); every request that no API route claims arrives
//! here (`route = "/..."`). The build did the work: fingerprinted names, precompressed
//! variants and a manifest of ETags, so a request is a lookup and nothing is hashed or
//! compressed here. The rules live in plain modules that are tested natively
//! (`cargo test -p fileserver`):
//!
//! - [`path`] — request target → file path, traversal and dotfile rejection;
//! - [`manifest`] — the build's index: which paths exist, their ETags and variants;
//! - [`media`] — `Content-Type` and whether a type is compressible;
//! - [`cache`] — `Cache-Control`;
//! - [`etag`] — `If-None-Match` (304);
//! - [`encoding`] — `Accept-Encoding`: identity, gzip or brotli;
//! - [`headers`] — the security headers on every response;
//! - [`serve`] — one request → one [`serve::Reply`], files read through [`serve::FileSource`].
//!
//! This file only converts between wasi-http and those types. It takes the raw
//! `IncomingRequest` so that a request body (e.g. of a stray POST) is never read, and writes
//! the response itself so that HEAD and 304 responses open no body at all: wasi-http refuses a
//! body shorter than its `Content-Length`, and a HEAD response keeps the GET's length.
//!
//! The path comes from the request target (`path-with-query`), which for this component's
//! `/...` route is also what Spin puts in `spin-path-info`; the query is ignored.

pub mod cache;
pub mod encoding;
pub mod etag;
pub mod headers;
pub mod manifest;
pub mod media;
pub mod path;
pub mod serve;

use spin_sdk::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};
use spin_sdk::http_component;

/// Where spin.toml mounts `web/dist/`.
const STATIC_ROOT: &str = "/";

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    let method = req.method().to_string();
    let target = req.path_with_query().unwrap_or_default();
    let if_none_match = joined_header(&req, "if-none-match");
    let accept_encoding = joined_header(&req, "accept-encoding");
    let info = serve::RequestInfo {
        method: &method,
        target: &target,
        if_none_match: if_none_match.as_deref(),
        accept_encoding: accept_encoding.as_deref(),
    };
    let files = serve::DiskFiles {
        root: STATIC_ROOT.into(),
    };
    send(out, serve::respond(&info, &files)).await;
}

/// All field lines of one header joined with `,` (lines that are not UTF-8 are skipped), or
/// `None` when there is none.
fn joined_header(req: &IncomingRequest, name: &str) -> Option<String> {
    let lines: Vec<String> = req
        .headers()
        .get(name)
        .into_iter()
        .filter_map(|line| String::from_utf8(line).ok())
        .collect();
    (!lines.is_empty()).then(|| lines.join(", "))
}

/// Writes a [`serve::Reply`] to the response outparam; failures are logged, never panicked on.
async fn send(out: ResponseOutparam, reply: serve::Reply) {
    let entries: Vec<(String, Vec<u8>)> = reply
        .headers
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.into_bytes()))
        .collect();
    let fields = match Fields::from_list(&entries) {
        Ok(fields) => fields,
        Err(e) => {
            eprintln!("fileserver: invalid response headers: {e:?}");
            let bare = OutgoingResponse::new(Fields::new());
            let _ = bare.set_status_code(500);
            out.set(bare);
            return;
        }
    };
    let response = OutgoingResponse::new(fields);
    if response.set_status_code(reply.status).is_err() {
        eprintln!("fileserver: invalid status {}", reply.status);
    }
    match reply.body {
        Some(body) => {
            if let Err(e) = out.set_with_body(response, body).await {
                eprintln!("fileserver: writing the response body failed: {e:?}");
            }
        }
        None => out.set(response),
    }
}

#[cfg(test)]
mod static_site_tests;
