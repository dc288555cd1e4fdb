//! TLS for PostgreSQL connections: rustls with the platform trust store, which honours
//! `SSL_CERT_FILE` / `SSL_CERT_DIR` (how a private CA such as Exoscale DBaaS's is trusted
//! locally). Certificates are always verified, as on Spin.

use std::sync::Arc;

use anyhow::{Context, bail};
use tokio_postgres_rustls::MakeRustlsConnect;

pub fn make_connector() -> anyhow::Result<MakeRustlsConnect> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for cert in found.certs {
        // Individual unparsable system certificates are skipped, as other clients do.
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        bail!(
            "no trusted CA certificates found (errors: {:?}); set SSL_CERT_FILE",
            found.errors
        );
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}
