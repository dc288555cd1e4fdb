//! Responses written through wasi:http's `response-outparam`: whole responses, and
//! downloads whose body is written chunk by chunk while it is produced (the CSV export), so
//! that a component holds one chunk at a time, however big the answer.
//!
//! The body is the `outgoing-body`'s output stream. When the client has gone away, the
//! host closes it: the next `check-write` or `write` fails with `closed`
//! (wasmtime-wasi-http 42.0.2 `src/body.rs`, `BodyWriteStream`, which Spin 3.6.3 uses:
//! spinframework/spin v3.6.3 Cargo.toml:200 and crates/trigger-http/src/wasi.rs). The
//! writer then stops: no further chunk is produced, so no further statement runs, and the
//! instance ends.

use drinks_core::ApiError;
use spin_sdk::http::{Headers, OutgoingBody, OutgoingResponse, Response, ResponseOutparam};
use wasi::io::streams::{OutputStream, StreamError};

use crate::respond;

/// The chunks of a streamed body, produced one at a time. An error after the head was sent
/// cannot become a problem answer any more: it is logged and the body is aborted (the
/// client sees a broken transfer, never a complete-looking document).
pub type Chunks = Box<dyn Iterator<Item = Result<Vec<u8>, ApiError>>>;

/// What an endpoint answers: a whole response, or a head and a body written as produced.
pub enum Reply {
    Full(Response),
    Streamed(Streamed),
    /// A whole response, then work that runs after it was sent (the client has its answer
    /// while this runs: Spin sends the response when the outparam is set and its body
    /// finished, and the instance runs on until the handler returns).
    Then(Response, After),
}

/// Work after the response (the bar's status change notifying the visitor's phone).
pub type After = Box<dyn FnOnce()>;

impl Reply {
    /// `response`, then `after` once it has been sent.
    pub fn then(response: Response, after: impl FnOnce() + 'static) -> Self {
        Reply::Then(response, Box::new(after))
    }
}

impl From<Response> for Reply {
    fn from(response: Response) -> Self {
        Reply::Full(response)
    }
}

/// A response whose body is written chunk by chunk.
pub struct Streamed {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub chunks: Chunks,
}

/// How a streamed body ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Every chunk was written and the body finished.
    Complete,
    /// The client went away: the rest was never produced.
    ClientGone,
    /// Producing a chunk failed (logged); the body was aborted.
    Failed,
}

/// Sends a reply through the outparam, the body written as it is produced.
pub fn send(reply: Reply, out: ResponseOutparam) -> Sent {
    match reply {
        Reply::Full(response) => send_full(response, out),
        Reply::Then(response, after) => {
            let sent = send_full(response, out);
            after();
            sent
        }
        Reply::Streamed(Streamed {
            status,
            headers,
            chunks,
        }) => match head(status, headers) {
            Ok(head) => start(head, out, chunks),
            // A header or status of ours the host refuses: a bug, answered as a 500.
            Err(error) => {
                send_full(respond::problem(error), out);
                Sent::Failed
            }
        },
    }
}

/// The head of a streamed response.
fn head(status: u16, headers: Vec<(String, String)>) -> Result<OutgoingResponse, ApiError> {
    let fields: Vec<(String, Vec<u8>)> = headers
        .into_iter()
        .map(|(name, value)| (name, value.into_bytes()))
        .collect();
    let headers = Headers::from_list(&fields)
        .map_err(|e| ApiError::internal(format!("response headers: {e:?}")))?;
    let response = OutgoingResponse::new(headers);
    response
        .set_status_code(status)
        .map_err(|()| ApiError::internal(format!("response status {status}")))?;
    Ok(response)
}

/// A whole response (its body one chunk).
fn send_full(mut response: Response, out: ResponseOutparam) -> Sent {
    let body = std::mem::take(response.body_mut());
    match OutgoingResponse::try_from(response) {
        Ok(head) => start(head, out, Box::new(std::iter::once(Ok(body)))),
        Err(e) => {
            eprintln!("error: building the response head: {e}");
            Sent::Failed
        }
    }
}

/// Sets the head and writes the body.
fn start(head: OutgoingResponse, out: ResponseOutparam, chunks: Chunks) -> Sent {
    let Ok(body) = head.body() else {
        eprintln!("error: the response body was already taken");
        return Sent::Failed;
    };
    out.set(head);
    write_body(body, chunks)
}

/// Writes the chunks as they come; stops at the first write the client is no longer there
/// for, or the first chunk that fails.
fn write_body(body: OutgoingBody, chunks: Chunks) -> Sent {
    let Ok(stream) = body.write() else {
        eprintln!("error: the response body stream was already taken");
        return Sent::Failed;
    };
    for chunk in chunks {
        match chunk {
            Ok(bytes) => {
                if write_all(&stream, &bytes).is_err() {
                    // Dropping the body without finishing it: nobody is listening anyway.
                    return Sent::ClientGone;
                }
            }
            Err(error) => {
                if let Some(line) = error.log_line() {
                    eprintln!("{line}");
                }
                eprintln!("error: response body aborted after its head was sent");
                // Not finished: the host aborts the transfer instead of ending it cleanly.
                return Sent::Failed;
            }
        }
    }
    // The stream is a child of the body: drop it before finishing the body.
    drop(stream);
    match OutgoingBody::finish(body, None) {
        Ok(()) => Sent::Complete,
        Err(_) => Sent::ClientGone,
    }
}

/// Writes all of `bytes`, as much at a time as the host accepts, waiting while its buffer
/// is full; fails as soon as the stream is closed (the client went away).
fn write_all(stream: &OutputStream, mut bytes: &[u8]) -> Result<(), StreamError> {
    while !bytes.is_empty() {
        let permitted = stream.check_write()?;
        if permitted == 0 {
            stream.subscribe().block();
            continue;
        }
        let n = usize::try_from(permitted).map_or(bytes.len(), |p| p.min(bytes.len()));
        stream.write(&bytes[..n])?;
        bytes = &bytes[n..];
    }
    stream.blocking_flush()
}
