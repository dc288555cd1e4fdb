//! One request in, one reply out: the whole decision, free of spin-sdk so it runs natively.

use std::io::{self, ErrorKind};
use std::path::PathBuf;

use drinks_core::problem::PROBLEM_CONTENT_TYPE;
use drinks_core::{ApiError, RequestError};

use crate::cache;
use crate::encoding::{self, Coding};
use crate::etag;
use crate::headers::SECURITY_HEADERS;
use crate::manifest;
use crate::media;
use crate::path;

/// The methods this component answers; everything else is 405.
pub const ALLOW: &str = "GET, HEAD";

/// What the handler needs from a request.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestInfo<'a> {
    /// `GET`, `HEAD`, ...
    pub method: &'a str,
    /// Path with the query, as received (`/?bar`).
    pub target: &'a str,
    /// All `If-None-Match` field lines joined with `,`.
    pub if_none_match: Option<&'a str>,
    /// All `Accept-Encoding` field lines joined with `,`.
    pub accept_encoding: Option<&'a str>,
}

/// The response to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    /// Lower-case names.
    pub headers: Vec<(&'static str, String)>,
    /// `None`: no body at all (HEAD, 304). The host must not even open a body then, because
    /// wasi-http checks a body against `Content-Length` and HEAD keeps the GET's length.
    pub body: Option<Vec<u8>>,
}

impl Reply {
    /// The first value of a header (names are lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Where files come from.
pub trait FileSource {
    /// The bytes of the regular file at `path` (relative, already checked by [`path::resolve`]);
    /// `Ok(None)` when there is no regular file there (missing, a directory, ...).
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>>;
}

/// Files under a directory of the (WASI) file system; the component uses `/`, where spin.toml
/// mounts the build's output.
#[derive(Debug, Clone)]
pub struct DiskFiles {
    pub root: PathBuf,
}

impl FileSource for DiskFiles {
    /// Only paths the manifest lists are read, so a directory is a broken build; reading one
    /// fails with `IsADirectory`, which still counts as "no file".
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.root.join(path)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if means_no_file(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Errors that say "no such file" rather than "cannot read it".
fn means_no_file(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::NotFound
            | ErrorKind::NotADirectory
            | ErrorKind::IsADirectory
            | ErrorKind::InvalidFilename
    )
}

/// Answers one request.
pub fn respond(req: &RequestInfo<'_>, files: &dyn FileSource) -> Reply {
    let head = match req.method {
        "GET" => false,
        "HEAD" => true,
        _ => {
            let allow = ALLOW.to_owned();
            return problem(RequestError::MethodNotAllowed { allow }.into(), false);
        }
    };
    let Some(file) = path::resolve(req.target) else {
        return problem(RequestError::NotFound.into(), head);
    };
    // The manifest is the whole index: a path it does not list does not exist.
    let manifest = match read(files, manifest::FILE)
        .and_then(|bytes| String::from_utf8(bytes).map_err(|e| cannot_read(manifest::FILE, e)))
    {
        Ok(text) => text,
        Err(e) => return problem(e, head),
    };
    let Some(entry) = manifest::lookup(&manifest, &file) else {
        return problem(RequestError::NotFound.into(), head);
    };

    let media = media::media_type_for(&file);
    let coding = encoding::choose(
        req.accept_encoding,
        entry.gzip.is_some(),
        entry.br.is_some(),
    );
    let etag = entry.etag_of(coding);

    let mut headers = security_headers();
    headers.push(("etag", etag.to_owned()));
    headers.push((
        "cache-control",
        cache::cache_control_for(&file, media.html).to_owned(),
    ));
    if media.compressible || entry.gzip.is_some() || entry.br.is_some() {
        // The answer depends on Accept-Encoding for this type, compressed or not (and even
        // when this file is too small to have variants: it may grow in the next deploy).
        headers.push(("vary", "Accept-Encoding".to_owned()));
    }

    if req
        .if_none_match
        .is_some_and(|field| etag::if_none_match_matches(field, etag))
    {
        return Reply {
            status: 304,
            headers,
            body: None,
        };
    }

    let stored = manifest::stored_file(&file, coding);
    let body = match read(files, &stored) {
        Ok(body) => body,
        Err(e) => return problem(e, head),
    };
    match coding {
        Coding::Gzip => headers.push(("content-encoding", "gzip".to_owned())),
        Coding::Br => headers.push(("content-encoding", "br".to_owned())),
        Coding::Identity => {}
    }
    headers.push(("content-type", media.content_type));
    headers.push(("content-length", body.len().to_string()));
    Reply {
        status: 200,
        headers,
        body: (!head).then_some(body),
    }
}

/// A file that must be there (the manifest, or a file it lists), or why it cannot be read
/// (an internal error: the build is broken).
fn read(files: &dyn FileSource, path: &str) -> Result<Vec<u8>, ApiError> {
    match files.read(path) {
        Ok(Some(bytes)) => Ok(bytes),
        Ok(None) => Err(cannot_read(
            path,
            "missing (is web/dist built? node web/build.mjs)",
        )),
        Err(e) => Err(cannot_read(path, e)),
    }
}

fn cannot_read(path: &str, cause: impl Into<drinks_core::problem::BoxError>) -> ApiError {
    ApiError::internal_because(format!("fileserver: cannot read {path:?}"), cause)
}

fn security_headers() -> Vec<(&'static str, String)> {
    SECURITY_HEADERS
        .iter()
        .map(|&(name, value)| (name, value.to_owned()))
        .collect()
}

/// The `application/problem+json` reply (RFC 9457) for an error: the API's problem type,
/// status and headers (`drinks_core`'s one mapping). An internal error is logged here, once,
/// with its cause chain.
fn problem(error: ApiError, head: bool) -> Reply {
    if let Some(line) = error.log_line() {
        eprintln!("{line}");
    }
    let problem = error.problem();
    let body = problem.to_json();
    let mut headers = security_headers();
    headers.push(("cache-control", cache::ERROR.to_owned()));
    headers.extend(problem.headers);
    headers.push(("content-type", PROBLEM_CONTENT_TYPE.to_owned()));
    headers.push(("content-length", body.len().to_string()));
    Reply {
        status: problem.status,
        headers,
        body: (!head).then_some(body),
    }
}

#[cfg(test)]
mod tests;
