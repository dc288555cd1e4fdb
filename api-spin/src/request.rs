//! The incoming request: method, path, query and headers as text, and a bounded body.

use drinks_core::http::BodyBuffer;
use drinks_core::picture::{self, MAX_PICTURE_BYTES, PictureType};
use drinks_core::{ApiError, RequestError};
use spin_sdk::http::{IncomingRequest, Method};
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

/// A Spin variable; `None` when it is undefined or cannot be read.
pub fn variable(name: &str) -> Option<String> {
    spin_sdk::variables::get(name).ok()
}

impl Request {
    /// Bar endpoints: `Authorization: Bearer <bar_token>`, compared in constant time;
    /// refuses everything when the variable is empty or unset. Call it before
    /// [`Request::json_body`].
    pub fn authorize_bar(&self) -> Result<(), ApiError> {
        drinks_core::http::authorize_bar(
            variable("bar_token").as_deref(),
            self.header("authorization"),
        )
    }

    /// The body of a JSON request, after the size and content-type checks: 413 on a
    /// declared length over the limit without reading anything, else the body is streamed
    /// and reading stops as soon as it is over the limit (the rest is never read).
    pub fn json_body(&self) -> Result<Vec<u8>, ApiError> {
        let mut body = BodyBuffer::new(self.header("content-length"))?;
        read_bounded(&self.incoming, &mut body)?;
        drinks_core::http::require_json(self.header("content-type"))?;
        Ok(body.into_bytes())
    }

    /// The body of a picture upload (at most `MAX_PICTURE_BYTES`, read as the JSON body is)
    /// and its type, recognised by its content.
    pub fn picture_body(&self) -> Result<(PictureType, Vec<u8>), ApiError> {
        let mut body = BodyBuffer::with_limit(self.header("content-length"), MAX_PICTURE_BYTES)?;
        read_bounded(&self.incoming, &mut body)?;
        let bytes = body.into_bytes();
        let kind = picture::picture(self.header("content-type"), &bytes)?;
        Ok((kind, bytes))
    }
}

/// The "read at most N bytes" loop: asks the host for no more than `body` still wants, and
/// stops at the end of the stream or at the first error (413 included).
fn read_bounded(incoming: &IncomingRequest, body: &mut BodyBuffer) -> Result<(), ApiError> {
    let stream_of = incoming
        .consume()
        .map_err(|()| ApiError::internal("the request body was already consumed"))?;
    let stream = stream_of
        .stream()
        .map_err(|()| ApiError::internal("the request body stream was already taken"))?;
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
                break Err(RequestError::MalformedJson(
                    "the body could not be read to its end".into(),
                )
                .into());
            }
        }
    };
    // The stream is a child of the body: drop it first. Whatever was not read stays unread.
    drop(stream);
    drop(stream_of);
    result
}
