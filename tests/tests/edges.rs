//! The development host answers like Spin 3.6.3 at the edges (issue 11): route matching
//! around slashes, Spin's own `/.well-known/spin/` endpoints, requests refused before any
//! component runs, empty 404s and 500s, the per-instance memory limit, copied file mounts
//! and HTTP/2. Each test cites the Spin source it pins; all of them run against a real Spin
//! too (`E2E_SPIN_BIN`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use e2e::{json, probe_builder, spawn_app};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What a server sent back on one connection before closing it.
struct Raw {
    bytes: Vec<u8>,
}

impl Raw {
    /// Sends `request` and reads until the server closes; fails on a hang.
    async fn exchange(addr: SocketAddr, request: &[u8]) -> Raw {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.write_all(request).await.expect("write the request");
        let mut bytes = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(30), async {
            let mut buf = [0u8; 16 * 1024];
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => bytes.extend_from_slice(&buf[..n]),
                }
            }
        })
        .await;
        assert!(
            read.is_ok(),
            "no answer and no close within 30 s: {request:?}"
        );
        Raw { bytes }
    }

    fn split(&self) -> (u16, HashMap<String, String>, Vec<u8>) {
        let at = self
            .bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no response head in {:?}", self.text()));
        let head = String::from_utf8_lossy(&self.bytes[..at]).to_string();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {head:?}"));
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        (status, headers, self.bytes[at + 4..].to_vec())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).to_string()
    }
}

/// spinframework/spin v3.6.3 crates/routes/src/lib.rs:189-208: routefinder ignores leading
/// and trailing slashes of the path, so these reach list-fn and feed-fn (which answer their
/// own 404 problem), not the fileserver (whose answers carry a CSP).
#[tokio::test]
async fn a_trailing_slash_on_an_exact_route_reaches_the_api_component() {
    let app = spawn_app().await;
    for path in [
        "/api/menu/",
        "/api/menu//",
        "/api/health/",
        "/api/feed/",
        "/api/queue/",
        "/api/stats/",
        "/api/mine/",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(
            response.headers().get("content-security-policy").is_none(),
            "{path} was answered by the fileserver"
        );
        let problem = json(response).await;
        assert_eq!(problem["type"], "/problems/not-found", "{path}: {problem}");
    }
}

#[tokio::test]
async fn a_doubled_slash_inside_an_exact_route_falls_through_to_the_fileserver() {
    let app = spawn_app().await;
    let response = app.get("/api//menu").await;
    assert_eq!(response.status(), 404);
    assert!(response.headers().contains_key("content-security-policy"));
}

/// spinframework/spin v3.6.3 crates/trigger-http/src/server.rs:292-302: answered by Spin
/// itself, before routing and before the `Host` header is looked at.
#[tokio::test]
async fn the_health_endpoint_is_answered_by_the_host_itself() {
    let app = spawn_app().await;
    let raw = Raw::exchange(
        app.addr,
        b"GET /.well-known/spin/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    let (status, headers, body) = raw.split();
    assert_eq!(status, 200);
    assert_eq!(body, b"OK");
    assert!(!headers.contains_key("content-type"), "{headers:?}");
    assert!(!headers.contains_key("content-security-policy"));
    let without_host = Raw::exchange(
        app.addr,
        b"GET /.well-known/spin/health HTTP/1.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(without_host.split().0, 200, "{}", without_host.text());
}

/// spinframework/spin v3.6.3 crates/trigger-http/src/server.rs:464-474 and
/// crates/http/src/app_info.rs:5-28: pretty-printed JSON of the application's name and
/// version.
#[tokio::test]
async fn the_info_endpoint_names_the_application() {
    let app = spawn_app().await;
    let response = app.get("/.well-known/spin/info").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers().get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/json"[..])
    );
    assert_eq!(
        response.text().await.expect("body"),
        "{\n  \"name\": \"drink-orders\",\n  \"version\": \"0.1.0\"\n}"
    );
}

#[tokio::test]
async fn other_names_under_the_well_known_prefix_are_an_empty_404() {
    let app = spawn_app().await;
    for path in [
        "/.well-known/spin/",
        "/.well-known/spin/other",
        "/.well-known/spin/health/",
        "/.well-known/spin/info/x",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(response.headers().get("content-type").is_none(), "{path}");
        assert_eq!(response.bytes().await.expect("body").len(), 0, "{path}");
    }
}

/// spinframework/spin v3.6.3 crates/trigger-http/src/server.rs:594-629: without an
/// authority, or with a `Host` that is not one, or one that differs from the target's,
/// `handle` fails and hyper closes the connection without sending anything.
#[tokio::test]
async fn a_request_without_a_usable_authority_is_closed_without_a_response() {
    let app = spawn_app().await;
    for request in [
        &b"GET /api/menu HTTP/1.1\r\nConnection: close\r\n\r\n"[..],
        b"GET /api/menu HTTP/1.0\r\n\r\n",
        b"GET /index.html HTTP/1.1\r\nConnection: close\r\n\r\n",
        b"GET /api/menu HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n",
        b"GET /api/menu HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n",
        b"GET /api/menu HTTP/1.1\r\nHost: a/b?c#d\r\nConnection: close\r\n\r\n",
        b"GET /api/menu HTTP/1.1\r\nHost: \xff\xfe\r\nConnection: close\r\n\r\n",
        b"GET /api/menu HTTP/1.1\r\nHost: caf\xe9\r\nConnection: close\r\n\r\n",
        b"GET http://elsewhere.example/api/menu HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    ] {
        let raw = Raw::exchange(app.addr, request).await;
        assert!(
            raw.bytes.is_empty(),
            "{:?} got {:?}",
            String::from_utf8_lossy(request),
            raw.text()
        );
    }
}

#[tokio::test]
async fn an_absolute_form_target_that_agrees_with_host_is_served() {
    let app = spawn_app().await;
    let raw = Raw::exchange(
        app.addr,
        b"GET http://localhost/api/menu HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(raw.split().0, 200, "{}", raw.text());
}

/// spinframework/spin v3.6.3 crates/trigger-http/src/server.rs:610-613: HTTP/1.0 is fine
/// when it names the authority in `Host`.
#[tokio::test]
async fn an_http_1_0_request_with_a_host_is_served() {
    let app = spawn_app().await;
    let raw = Raw::exchange(
        app.addr,
        b"GET /api/menu HTTP/1.0\r\nHost: localhost\r\n\r\n",
    )
    .await;
    assert_eq!(raw.split().0, 200, "{}", raw.text());
}

/// spinframework/spin v3.6.3 crates/routes/src/lib.rs:189-208 and
/// crates/trigger-http/src/server.rs:304-311: the path of `OPTIONS *` is `*`, which only the
/// catch-all route matches; the fileserver answers it (405, with its security headers).
#[tokio::test]
async fn options_asterisk_goes_to_the_catch_all_component() {
    let app = spawn_app().await;
    let raw = Raw::exchange(
        app.addr,
        b"OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    let (status, headers, _) = raw.split();
    assert_eq!(status, 405, "{}", raw.text());
    assert!(
        headers.contains_key("content-security-policy"),
        "{headers:?}"
    );
}

/// spinframework/spin v3.6.3 crates/trigger-http/src/headers.rs:94-107 (`from_utf8(...)?`)
/// and server.rs:433-443: a header value that is not UTF-8 fails the request before the
/// component is instantiated; the answer is Spin's empty 500.
#[tokio::test]
async fn a_request_header_that_is_not_utf8_is_an_empty_500_and_no_component_runs() {
    let app = probe_builder().spawn().await;
    app.arrange_sql("CREATE TABLE seen (n int)").await;
    let request = |extra: &[u8]| {
        let body = br#"{"sql": "INSERT INTO seen VALUES (1)", "execute": true}"#;
        let mut out = format!(
            "POST /probe/sql HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(extra);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
        out
    };
    let raw = Raw::exchange(app.addr, &request(b"X-Name: Ana\xe9\r\n")).await;
    let (status, headers, body) = raw.split();
    assert_eq!(status, 500, "{}", raw.text());
    assert!(body.is_empty(), "{}", raw.text());
    assert_eq!(headers.get("content-length").map(String::as_str), Some("0"));
    assert!(!headers.contains_key("content-type"), "{headers:?}");
    assert_eq!(app.count("seen").await, 0, "the component ran");
    // The same request with a text header runs the component.
    let raw = Raw::exchange(app.addr, &request(b"X-Name: Ana\r\n")).await;
    assert_eq!(raw.split().0, 200, "{}", raw.text());
    assert_eq!(app.count("seen").await, 1);
}

/// spinframework/spin v3.6.3 crates/core/src/lib.rs:167: without `--max-instance-memory`,
/// an instance may grow to the pooling allocator's 4 GiB.
#[tokio::test]
async fn an_instance_may_grow_past_256_mib_by_default() {
    let app = probe_builder().spawn().await;
    let body = json(app.get("/probe/grow?mib=512").await).await;
    assert_eq!(body["grown"], true, "{body}");
}

/// spinframework/spin v3.6.3 crates/runtime-factors/src/lib.rs:117-119 and
/// crates/trigger/src/cli/max_instance_memory.rs:20-25: the limit makes a larger grow fail.
#[tokio::test]
async fn max_instance_memory_refuses_a_larger_grow() {
    let app = probe_builder().max_instance_memory(256 << 20).spawn().await;
    let body = json(app.get("/probe/grow?mib=512").await).await;
    assert_eq!(body["grown"], false, "{body}");
    let body = json(app.get("/probe/grow?mib=16").await).await;
    assert_eq!(body["grown"], true, "{body}");
}

/// A file created in a mounted directory for the length of a test.
struct TempFixture(std::path::PathBuf);

impl TempFixture {
    fn create(content: &str) -> (Self, String) {
        let name = format!("added-{}.txt", uuid::Uuid::new_v4().simple());
        let path = e2e::workspace_root()
            .join("tests/fixtures/probe-files")
            .join(&name);
        std::fs::write(&path, content).expect("write the fixture file");
        (Self(path), name)
    }
}

impl Drop for TempFixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// spinframework/spin v3.6.3 src/commands/up.rs:499-503: `spin up` serves copies of the
/// `files` taken at start; a file added later is not there.
#[tokio::test]
async fn a_file_added_after_start_is_not_mounted() {
    let app = probe_builder().spawn().await;
    let (_file, name) = TempFixture::create("late\n");
    let body = json(app.get(&format!("/probe/file?path=/data/{name}")).await).await;
    assert!(body["content"].is_null(), "{body}");
    let body = json(app.get("/probe/file?path=/data/hello.txt").await).await;
    assert!(body["content"].is_string(), "{body}");
}

/// spinframework/spin v3.6.3 src/commands/up.rs:103-109 (`--direct-mounts`).
#[tokio::test]
async fn with_direct_mounts_a_file_added_after_start_is_mounted() {
    let app = probe_builder().direct_mounts().spawn().await;
    let (_file, name) = TempFixture::create("late\n");
    let body = json(app.get(&format!("/probe/file?path=/data/{name}")).await).await;
    assert_eq!(body["content"], "late\n", "{body}");
}

/// spinframework/spin v3.6.3 crates/trigger-http/src/server.rs:512-541: hyper-util's `auto`
/// builder serves HTTP/2 with prior knowledge next to HTTP/1.1.
#[tokio::test]
async fn an_h2c_prior_knowledge_request_is_served() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    let response = client
        .get(app.url("/api/menu"))
        .send()
        .await
        .expect("h2c request");
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.status(), 200);
    let health = client
        .get(app.url("/.well-known/spin/health"))
        .send()
        .await
        .expect("h2c request");
    assert_eq!(health.text().await.expect("body"), "OK");
}
