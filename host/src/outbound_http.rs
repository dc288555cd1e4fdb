//! `wasi:http/outgoing-handler` as Spin 3.6.3 sends a component's request
//! (spinframework/spin v3.6.3 crates/factor-outbound-http/src/wasi.rs, `RequestSender`):
//!
//! - the request is checked against `allowed_outbound_hosts` inside the response future, so
//!   a refused host is the `error-code` `HTTP-request-denied` when the guest awaits the
//!   response (`prepare_request`; `handle` itself succeeds);
//! - the `Host` header is removed (hyper writes the authority's);
//! - the connection: DNS lookup (`DNS-error` "address not available" when it fails), TCP
//!   within the connect timeout (`connection-timeout`; any other failure
//!   `connection-refused`), for `https` TLS with the Mozilla roots of `webpki-roots` (Spin's
//!   default client TLS config, crates/factor-outbound-networking/src/tls.rs; the platform's
//!   store and `SSL_CERT_FILE` are not used) and ALPN `h2`, `http/1.1` (`TLS-protocol-error`
//!   when the handshake fails);
//! - the response head within the first-byte timeout (`connection-read-timeout`); the body's
//!   between-bytes timeout is wasmtime-wasi-http's, as on Spin.
//!
//! The timeouts are those the guest set in `request-options`, else wasmtime-wasi-http's
//! defaults (600 s each: `http_impl.rs`, the same version Spin 3.6.3 uses). Spin keeps a
//! pool of connections per app; the host opens one per request (see docs/ARCHITECTURE.md).

use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::header::HOST;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use tokio::time::timeout;
use wasmtime_wasi_http::bindings::http::types::{DnsErrorPayload, ErrorCode};
use wasmtime_wasi_http::body::HyperOutgoingBody;
use wasmtime_wasi_http::types::{IncomingResponse, OutgoingRequestConfig};
use wasmtime_wasi_http::{hyper_request_error, hyper_response_error};

use crate::outbound::AllowedHosts;

/// Sends one request of component `component`, or fails with the error code Spin gives.
pub async fn send(
    component: &str,
    allowed: &AllowedHosts,
    mut request: hyper::Request<HyperOutgoingBody>,
    config: OutgoingRequestConfig,
) -> Result<IncomingResponse, ErrorCode> {
    let uri = request.uri().clone();
    let scheme = uri
        .scheme_str()
        .unwrap_or(if config.use_tls { "https" } else { "http" });
    let Some(host) = uri.host().filter(|h| !h.is_empty()) else {
        // A relative URL is a request to the app itself; this app makes none, and no
        // component lists `self` (Spin would need `allowed_outbound_hosts = ["http://self"]`).
        tracing::warn!(%component, "refused outbound HTTP request to a relative URL");
        return Err(ErrorCode::HttpRequestDenied);
    };
    let default_port = if config.use_tls { 443 } else { 80 };
    let port = uri.port_u16();
    if !allowed.allows_url(scheme, host, port) {
        tracing::warn!(%component, "refused outbound HTTP request to {scheme}://{}", uri.authority().map(|a| a.as_str()).unwrap_or(host));
        return Err(ErrorCode::HttpRequestDenied);
    }
    request.headers_mut().remove(HOST);

    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = port.unwrap_or(default_port);
    let tcp = connect_tcp(&host, port, config.connect_timeout).await?;
    let send = async {
        if config.use_tls {
            let tls = connect_tls(&host, tcp).await?;
            let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
            handshake_and_send(TokioIo::new(tls), h2, request).await
        } else {
            handshake_and_send(TokioIo::new(tcp), false, request).await
        }
    };
    let resp = timeout(config.first_byte_timeout, send)
        .await
        .map_err(|_| ErrorCode::ConnectionReadTimeout)??;
    Ok(IncomingResponse {
        resp: resp.map(|body| body.map_err(hyper_response_error).boxed_unsync()),
        worker: None,
        between_bytes_timeout: config.between_bytes_timeout,
    })
}

fn dns_error(rcode: &str) -> ErrorCode {
    ErrorCode::DnsError(DnsErrorPayload {
        rcode: Some(rcode.to_string()),
        info_code: Some(0),
    })
}

async fn connect_tcp(
    host: &str,
    port: u16,
    connect_timeout: Duration,
) -> Result<TcpStream, ErrorCode> {
    let addrs: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| dns_error("address not available"))?
        .collect();
    timeout(connect_timeout, TcpStream::connect(&*addrs))
        .await
        .map_err(|_| ErrorCode::ConnectionTimeout)?
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrNotAvailable => dns_error("address not available"),
            _ => ErrorCode::ConnectionRefused,
        })
}

/// Spin's default client TLS: webpki-roots, no client certificate, ALPN h2 then http/1.1.
fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: std::sync::OnceLock<Arc<rustls::ClientConfig>> = std::sync::OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let mut config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("ring supports TLS 1.2 and 1.3")
                .with_root_certificates(roots)
                .with_no_client_auth();
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            Arc::new(config)
        })
        .clone()
}

async fn connect_tls(
    host: &str,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, ErrorCode> {
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|_| dns_error("invalid dns name"))?;
    tokio_rustls::TlsConnector::from(tls_config())
        .connect(name, tcp)
        .await
        .map_err(|e| {
            tracing::warn!("outbound HTTP: TLS protocol error: {e}");
            ErrorCode::TlsProtocolError
        })
}

async fn handshake_and_send<S>(
    io: TokioIo<S>,
    h2: bool,
    mut request: hyper::Request<HyperOutgoingBody>,
) -> Result<hyper::Response<hyper::body::Incoming>, ErrorCode>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    if h2 {
        let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
            .await
            .map_err(hyper_request_error)?;
        tokio::spawn(conn);
        sender
            .send_request(request)
            .await
            .map_err(hyper_request_error)
    } else {
        // HTTP/1.1 sends the origin form; the authority goes into `Host`.
        let authority = request.uri().authority().cloned();
        let path = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".to_string());
        *request.uri_mut() = path.parse().map_err(|_| ErrorCode::HttpRequestUriInvalid)?;
        if let Some(authority) = authority
            && let Ok(value) = hyper::header::HeaderValue::from_str(authority.as_str())
        {
            request.headers_mut().insert(HOST, value);
        }
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(hyper_request_error)?;
        tokio::spawn(conn);
        sender
            .send_request(request)
            .await
            .map_err(hyper_request_error)
    }
}
