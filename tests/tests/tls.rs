//! TLS to PostgreSQL, as Spin does it (and as Exoscale DBaaS needs it): the server's
//! certificate is always verified against the trusted CAs, `SSL_CERT_FILE` adds a private CA
//! (Exoscale DBaaS has its own), there is no plaintext fallback after a failed handshake, and
//! only `sslmode=disable` talks plaintext.
//!
//! Each test starts its own throwaway PostgreSQL cluster with `ssl=on` and a server
//! certificate for 127.0.0.1/localhost issued by a CA made for the test, then connects twice:
//! natively with `devhost::connect`, and through the probe component's `spin:postgres`
//! connection on a fresh development host. The tests set `SSL_CERT_FILE` for the whole
//! process, so they run one at a time (a lock), and every connection string is new to its
//! host: rustls-native-certs reads `SSL_CERT_FILE` when a connector is built, which the
//! development host does once per pool (per connection string, per host).
//!
//! Needs the PostgreSQL server binaries (`initdb`, `pg_ctl`; on Debian in
//! /usr/lib/postgresql/*/bin) and, when running as root, the `postgres` user.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use serde_json::{Value, json};

/// The tests change `SSL_CERT_FILE` for the whole process: one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Whether the session's connection is encrypted, as the server sees it.
const SSL_IN_USE: &str = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

// ---------------------------------------------------------------------------------------------
// Certificates

/// A CA and the PEM files made from it.
struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl TestCa {
    fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("CA key");
        TestCa {
            issuer: CertifiedIssuer::self_signed(params, key).expect("self-signed CA"),
        }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for 127.0.0.1 and localhost: (certificate PEM, key PEM).
    fn server_certificate(&self) -> (String, String) {
        let mut params = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
            .expect("server params");
        params
            .distinguished_name
            .push(DnType::CommonName, "drink-orders test PostgreSQL");
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().expect("server key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("server certificate signed by the test CA");
        (cert.pem(), key.serialize_pem())
    }
}

// ---------------------------------------------------------------------------------------------
// A throwaway PostgreSQL cluster with ssl=on

/// A cluster this test started; stopped and removed on drop, also when the test fails.
struct TlsServer {
    cluster: devhost::cluster::Cluster,
    /// PEM file of the CA that issued the server's certificate.
    ca_file: PathBuf,
    /// PEM file of another CA, which did not.
    other_ca_file: PathBuf,
    /// Keeps the CA files alive; removed on drop.
    _ca_dir: TempDir,
}

/// A directory removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl TlsServer {
    fn start() -> TlsServer {
        let mut cluster = devhost::cluster::Cluster::init(None, false).expect(
            "the TLS tests need the PostgreSQL server binaries (initdb, pg_ctl): \
             on Debian `apt-get install postgresql`",
        );
        let ca = TestCa::new("drink-orders test CA");
        let (cert, key) = ca.server_certificate();
        let cert_file = cluster
            .write_file("server.crt", cert.as_bytes(), 0o644)
            .expect("write the server certificate");
        // PostgreSQL refuses a key file that others can read.
        let key_file = cluster
            .write_file("server.key", key.as_bytes(), 0o600)
            .expect("write the server key");
        cluster
            .set("log_connections", "on")
            .set("ssl", "on")
            .set("ssl_cert_file", &cert_file.display().to_string())
            .set("ssl_key_file", &key_file.display().to_string());
        cluster.start().expect("a TLS PostgreSQL starts");

        let ca_dir = std::env::temp_dir().join(format!(
            "drink-orders-tls-cas-{}-{}",
            std::process::id(),
            cluster.port()
        ));
        std::fs::create_dir_all(&ca_dir).expect("CA directory");
        let ca_file = ca_dir.join("ca.pem");
        let other_ca_file = ca_dir.join("other-ca.pem");
        std::fs::write(&ca_file, ca.pem()).expect("write the CA file");
        std::fs::write(&other_ca_file, TestCa::new("an unrelated CA").pem())
            .expect("write the other CA file");
        TlsServer {
            cluster,
            ca_file,
            other_ca_file,
            _ca_dir: TempDir(ca_dir),
        }
    }

    /// A connection string to this server; `name` makes it distinct (a new pool and
    /// connector on the development host, so `SSL_CERT_FILE` is read anew).
    fn url(&self, sslmode: Option<&str>, name: &str) -> String {
        let mut url = format!(
            "postgres://postgres@127.0.0.1:{}/postgres?application_name={name}",
            self.cluster.port()
        );
        if let Some(mode) = sslmode {
            url.push_str(&format!("&sslmode={mode}"));
        }
        url
    }

    /// A fresh development host running the probe component, allowed to reach this server
    /// (`allowed_outbound_hosts = ["postgres://{{ db_host }}:{{ db_port }}"]`).
    async fn probe_app(&self) -> e2e::TestApp {
        e2e::probe_builder()
            .variable("db_host", "127.0.0.1")
            .variable("db_port", &self.cluster.port().to_string())
            .spawn()
            .await
    }

    /// Runs `sql` through the probe component's pg4 connection to `address`.
    async fn probe(&self, app: &e2e::TestApp, address: &str, sql: &str) -> Value {
        e2e::json(
            app.post_json("/probe/sql", &json!({"sql": sql, "address": address}))
                .await,
        )
        .await
    }

    fn log(&self) -> String {
        self.cluster.log()
    }
}

// ---------------------------------------------------------------------------------------------
// SSL_CERT_FILE

/// Sets `SSL_CERT_FILE` for the process and restores the previous value on drop.
struct TrustedCas {
    previous: Option<std::ffi::OsString>,
}

impl TrustedCas {
    fn only(file: &Path) -> TrustedCas {
        let previous = std::env::var_os("SSL_CERT_FILE");
        // SAFETY: the tests of this binary hold SERIAL while they change the environment,
        // and nothing else in the process reads or writes it concurrently.
        unsafe { std::env::set_var("SSL_CERT_FILE", file) };
        TrustedCas { previous }
    }
}

impl Drop for TrustedCas {
    fn drop(&mut self) {
        // SAFETY: as in `only`.
        unsafe {
            match &self.previous {
                Some(value) => std::env::set_var("SSL_CERT_FILE", value),
                None => std::env::remove_var("SSL_CERT_FILE"),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers for the answers

async fn native_ssl_in_use(url: &str) -> anyhow::Result<bool> {
    let client = devhost::connect(url).await?;
    Ok(client.query_one(SSL_IN_USE, &[]).await?.get::<_, bool>(0))
}

fn native_error(result: anyhow::Result<bool>) -> String {
    match result {
        Ok(ssl) => panic!("the connection was expected to fail, but it worked (ssl = {ssl})"),
        Err(e) => format!("{e:#}"),
    }
}

/// The single value of a probe answer, e.g. "DbValue::Boolean(true)".
fn probe_value(body: &Value) -> String {
    body["rows"][0][0]
        .as_str()
        .unwrap_or_else(|| panic!("expected one row, got {body}"))
        .to_string()
}

fn probe_error(body: &Value) -> String {
    body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error, got {body}"))
        .to_string()
}

/// rustls' verdict on a chain that does not lead to a trusted CA.
fn is_certificate_failure(error: &str) -> bool {
    error.contains("invalid peer certificate") && error.contains("UnknownIssuer")
}

// ---------------------------------------------------------------------------------------------
// The tests

#[tokio::test]
async fn a_server_certificate_from_an_untrusted_ca_is_refused_with_sslmode_require() {
    let _one_at_a_time = SERIAL.lock().await;
    let server = TlsServer::start();
    // Trust only a CA that did not issue the server's certificate (as when the DBaaS CA is
    // missing from the trust store).
    let _trust = TrustedCas::only(&server.other_ca_file);

    let error = native_error(native_ssl_in_use(&server.url(Some("require"), "a_native")).await);
    assert!(
        is_certificate_failure(&error),
        "devhost::connect must fail on certificate verification: {error}"
    );

    let app = server.probe_app().await;
    let body = server
        .probe(&app, &server.url(Some("require"), "a_app"), SSL_IN_USE)
        .await;
    let error = probe_error(&body);
    assert!(error.contains("ConnectionFailed"), "{body}");
    assert!(
        is_certificate_failure(&error),
        "the component's connection must fail on certificate verification: {body}"
    );
    assert!(
        !server.log().contains("connection authorized"),
        "no session may have been opened:\n{}",
        server.log()
    );
}

#[tokio::test]
async fn without_sslmode_an_untrusted_certificate_fails_and_never_falls_back_to_plaintext() {
    let _one_at_a_time = SERIAL.lock().await;
    let server = TlsServer::start();
    let _trust = TrustedCas::only(&server.other_ca_file);

    // No sslmode: libpq's default is `prefer`, which would retry in plaintext; Spin does not.
    let error = native_error(native_ssl_in_use(&server.url(None, "prefer_native")).await);
    assert!(is_certificate_failure(&error), "{error}");

    let app = server.probe_app().await;
    let body = server
        .probe(&app, &server.url(None, "prefer_app"), SSL_IN_USE)
        .await;
    let error = probe_error(&body);
    assert!(error.contains("ConnectionFailed"), "{body}");
    assert!(is_certificate_failure(&error), "{body}");
}

#[tokio::test]
async fn with_ssl_cert_file_naming_the_ca_sslmode_require_connects_encrypted() {
    let _one_at_a_time = SERIAL.lock().await;
    let server = TlsServer::start();
    let _trust = TrustedCas::only(&server.ca_file);

    let ssl = native_ssl_in_use(&server.url(Some("require"), "b_native"))
        .await
        .unwrap_or_else(|e| panic!("devhost::connect with the CA trusted: {e:#}"));
    assert!(ssl, "the native session must be encrypted");

    let app = server.probe_app().await;
    let body = server
        .probe(&app, &server.url(Some("require"), "b_app"), SSL_IN_USE)
        .await;
    assert!(
        probe_value(&body).ends_with("Boolean(true)"),
        "the component's session must be encrypted: {body}"
    );
}

#[tokio::test]
async fn sslmode_disable_talks_plaintext_to_the_same_tls_server() {
    let _one_at_a_time = SERIAL.lock().await;
    let server = TlsServer::start();
    // Whatever is trusted does not matter without TLS: trust nothing useful.
    let _trust = TrustedCas::only(&server.other_ca_file);

    let ssl = native_ssl_in_use(&server.url(Some("disable"), "c_native"))
        .await
        .unwrap_or_else(|e| panic!("devhost::connect with sslmode=disable: {e:#}"));
    assert!(!ssl, "sslmode=disable must not use TLS");

    let app = server.probe_app().await;
    let body = server
        .probe(&app, &server.url(Some("disable"), "c_app"), SSL_IN_USE)
        .await;
    assert!(
        probe_value(&body).ends_with("Boolean(false)"),
        "the component's session must be plaintext: {body}"
    );
}
