//! Outbound HTTP from a component, through spin-sdk's `wasi:http/outgoing-handler`
//! bindings, with bounded timeouts; and the two inputs of core's push messages that are
//! I/O: random bytes and the time.
//!
//! spin-sdk's `send` passes no `request-options`, so a request it sends waits up to the
//! runtime's defaults (Spin 3.6.3: 600 s to connect and to the first byte); a request sent
//! here sets all three timeouts. The host checks `allowed_outbound_hosts`: a refused host
//! fails with `HttpRequestDenied` when the response is awaited (spinframework/spin v3.6.3
//! crates/factor-outbound-http/src/wasi.rs, `prepare_request`).

use std::time::Duration;

use spin_sdk::http::{ErrorCode, Headers, Method, OutgoingBody, OutgoingRequest, Scheme};
use spin_sdk::wit::wasi::http0_2_0::outgoing_handler;
use spin_sdk::wit::wasi::http0_2_0::types::RequestOptions;

/// How long a request may take at each stage.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub first_byte: Duration,
    pub between_bytes: Duration,
}

/// A request to send: `https` (else `http`), the authority, path and query, headers, body.
pub struct Outgoing<'a> {
    pub https: bool,
    pub authority: &'a str,
    pub path_and_query: &'a str,
    pub headers: &'a [(&'a str, String)],
    pub body: &'a [u8],
}

/// Sends a request and waits for the response head; returns its status code, or the
/// `error-code` the host gave (as text: `HttpRequestDenied`, `ConnectionReadTimeout`, …).
/// The response body is not read.
pub fn send(request: &Outgoing<'_>, timeouts: Timeouts) -> Result<u16, String> {
    let fields: Vec<(String, Vec<u8>)> = request
        .headers
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.clone().into_bytes()))
        .collect();
    let headers = Headers::from_list(&fields).map_err(|e| format!("request headers: {e:?}"))?;
    let outgoing = OutgoingRequest::new(headers);
    let scheme = if request.https {
        Scheme::Https
    } else {
        Scheme::Http
    };
    outgoing
        .set_method(&Method::Post)
        .and_then(|()| outgoing.set_scheme(Some(&scheme)))
        .and_then(|()| outgoing.set_authority(Some(request.authority)))
        .and_then(|()| outgoing.set_path_with_query(Some(request.path_and_query)))
        .map_err(|()| "the request's method, scheme, authority or path".to_owned())?;
    let body = outgoing
        .body()
        .map_err(|()| "the request body was already taken".to_owned())?;
    let options = RequestOptions::new();
    let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    options
        .set_connect_timeout(Some(nanos(timeouts.connect)))
        .and_then(|()| options.set_first_byte_timeout(Some(nanos(timeouts.first_byte))))
        .and_then(|()| options.set_between_bytes_timeout(Some(nanos(timeouts.between_bytes))))
        .map_err(|()| "the host does not take request timeouts".to_owned())?;
    let future = outgoing_handler::handle(outgoing, Some(options)).map_err(|e| error_code(&e))?;
    write_body(body, request.body)?;
    future.subscribe().block();
    match future.get() {
        Some(Ok(Ok(response))) => Ok(response.status()),
        Some(Ok(Err(code))) => Err(error_code(&code)),
        Some(Err(())) => Err("the response was already taken".to_owned()),
        None => Err("the response is not ready".to_owned()),
    }
}

/// An `error-code` by its name (`ConnectionReadTimeout`), with its payload if it has one.
fn error_code(code: &ErrorCode) -> String {
    let text = format!("{code:?}");
    text.strip_prefix("ErrorCode::").unwrap_or(&text).to_owned()
}

/// Writes the whole body and finishes it.
fn write_body(body: OutgoingBody, bytes: &[u8]) -> Result<(), String> {
    let stream = body
        .write()
        .map_err(|()| "the request body stream was already taken".to_owned())?;
    for chunk in bytes.chunks(4096) {
        stream
            .blocking_write_and_flush(chunk)
            .map_err(|e| format!("writing the request body: {e:?}"))?;
    }
    // The stream is a child of the body: drop it before finishing the body.
    drop(stream);
    OutgoingBody::finish(body, None).map_err(|e| format!("finishing the request body: {e:?}"))
}

/// `N` random bytes from the host (`wasi:random`).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    let bytes = wasi::random::random::get_random_bytes(N as u64);
    for (o, b) in out.iter_mut().zip(bytes) {
        *o = b;
    }
    out
}

/// Seconds since the Unix epoch (the host's wall clock).
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
