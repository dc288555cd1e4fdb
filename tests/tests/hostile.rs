//! Hostile input: every attempt is refused cleanly with a 4xx `application/problem+json`
//! (never a 5xx from our code, never a hang; the one 5xx is Spin's own empty 500 for a
//! header that is not UTF-8), nothing is written, and nothing of the request is reflected
//! where it could do harm (headers). Path traversal of the fileserver is covered in
//! fileserver.rs; only spellings not tried there are added here.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use e2e::api::{new_request_id, new_visitor, order_body};
use e2e::{TestApp, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the database holds, to assert that a refused request wrote nothing.
async fn snapshot(app: &TestApp) -> (i64, i64, String) {
    let drinks: String = app
        .db
        .client()
        .await
        .query_one(
            "SELECT string_agg(id || ':' || available || ':' || coalesce(stock::text, '-') \
             || ':' || version, ',' ORDER BY id) FROM drinks",
            &[],
        )
        .await
        .expect("drinks")
        .get(0);
    (
        app.count("orders").await,
        app.count("order_events").await,
        drinks,
    )
}

/// Asserts a problem answer with this status; returns the problem.
async fn problem(response: reqwest::Response, status: u16, what: &str) -> Value {
    let got = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = response.text().await.expect("body");
    assert_eq!(got, status, "{what}: {text}");
    assert!(
        content_type.starts_with("application/problem+json"),
        "{what}: content type {content_type}"
    );
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: {e}: {text}"));
    assert_eq!(body["status"], json!(status), "{what}");
    body
}

fn post_raw(app: &TestApp, path: &str, body: impl Into<reqwest::Body>) -> reqwest::RequestBuilder {
    app.http
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body)
}

/// A raw HTTP/1.1 exchange that tolerates the server answering (and closing) before the
/// body is sent, and fails on a hang: `Err` when the connection closed without an answer.
async fn exchange(
    addr: SocketAddr,
    head: &str,
    body: &[u8],
) -> Result<(u16, HashMap<String, String>, Vec<u8>), String> {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let mut request = head.as_bytes().to_vec();
    request.extend_from_slice(body);
    let write = tokio::spawn(async move {
        // The server may answer and close early: a failed write is not an error here.
        let _ = writer.write_all(&request).await;
        let _ = writer.flush().await;
        writer
    });
    let raw = read_answer(&mut reader, Duration::from_secs(60)).await?;
    drop(write.await);
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Err(format!(
            "closed without an answer ({} bytes: {:?})",
            raw.len(),
            String::from_utf8_lossy(&raw)
        ));
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line: {head}"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok((status, headers, raw[split + 4..].to_vec()))
}

/// Reads until the server closes the connection; fails on a hang. A server that answers
/// before it read the whole body closes with unread data, which the client may see as a
/// reset: once an answer's head has arrived, a failed read ends the answer instead.
async fn read_answer(
    reader: &mut tokio::net::tcp::OwnedReadHalf,
    limit: Duration,
) -> Result<Vec<u8>, String> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut raw = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match tokio::time::timeout_at(deadline, reader.read(&mut buf)).await {
            Err(_) => return Err(format!("no answer within {limit:?} (hang)")),
            Ok(Ok(0)) => return Ok(raw),
            Ok(Ok(n)) => raw.extend_from_slice(&buf[..n]),
            Ok(Err(_)) if raw.windows(4).any(|w| w == b"\r\n\r\n") => return Ok(raw),
            Ok(Err(e)) => {
                return Err(format!(
                    "reading: {e} after {:?}",
                    String::from_utf8_lossy(&raw)
                ));
            }
        }
    }
}

/// `body` in HTTP/1.1 chunked transfer coding (64 KiB chunks).
fn chunked(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / 1000 + 16);
    for chunk in body.chunks(64 * 1024) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// A JSON object of about `size` bytes whose fields are all valid for `POST /api/orders`.
fn big_order_json(size: usize) -> Vec<u8> {
    let mut body = order_body(&new_visitor(), "Ana", "tea", &new_request_id());
    body["padding"] = json!("x".repeat(size));
    serde_json::to_vec(&body).expect("json")
}

/// base64url without padding (the cursors' encoding), to forge cursors.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn feed_cursor(tx: u64, seq: u64, skip: &[u64]) -> String {
    let mut bytes = vec![1u8];
    bytes.extend_from_slice(&tx.to_be_bytes());
    bytes.extend_from_slice(&seq.to_be_bytes());
    for s in skip {
        bytes.extend_from_slice(&s.to_be_bytes());
    }
    base64url(&bytes)
}

fn page_cursor(last_id: u64) -> String {
    let mut bytes = vec![2u8];
    bytes.extend_from_slice(&last_id.to_be_bytes());
    base64url(&bytes)
}

// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn oversized_bodies_are_413_whether_declared_or_chunked_and_write_nothing() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;
    let token = app.bar_token.clone();
    let targets = [
        ("POST", "/api/orders".to_string(), String::new()),
        (
            "PATCH",
            "/api/orders/1".to_string(),
            format!("Authorization: Bearer {token}\r\n"),
        ),
        (
            "PATCH",
            "/api/drinks/tea".to_string(),
            format!("Authorization: Bearer {token}\r\n"),
        ),
    ];
    for (method, path, extra) in &targets {
        for size in [17 * 1024, 5 * 1024 * 1024] {
            let body = big_order_json(size);
            let declared = format!(
                "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            let streamed = format!(
                "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\
                 Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            );
            for (how, head, bytes) in [
                ("Content-Length", declared, body.clone()),
                ("chunked", streamed, chunked(&body)),
            ] {
                let what = format!("{method} {path} with {size} bytes, {how}");
                let (status, headers, answer) = exchange(app.addr, &head, &bytes)
                    .await
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                let text = String::from_utf8_lossy(&answer);
                assert_eq!(status, 413, "{what}: {text}");
                assert!(
                    headers
                        .get("content-type")
                        .is_some_and(|ct| ct.starts_with("application/problem+json")),
                    "{what}: {headers:?}"
                );
                assert!(text.contains("/problems/body-too-large"), "{what}: {text}");
            }
        }
    }
    assert_eq!(snapshot(&app).await, before, "nothing written");
    // And the app still serves.
    assert_eq!(app.get("/api/menu").await.status(), 200);
}

/// Streams `mib` MiB of body (declared with Content-Length, or chunked) without holding it
/// in memory, `extra` being more header lines; returns the status line's code and how many
/// bytes of the body the server took before it answered and closed, or `Err` when no
/// answer came.
async fn stream_body(
    addr: SocketAddr,
    method: &str,
    path: &str,
    extra: &str,
    mib: usize,
    chunked: bool,
) -> Result<(u16, usize), String> {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_string()
    } else {
        format!("Content-Length: {}", mib << 20)
    };
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\
         Content-Type: application/json\r\n{framing}\r\n\r\n"
    );
    // Counts what the kernel accepted; the server closing early fails the write (expected).
    let write = tokio::spawn(async move {
        let mebibyte = vec![b' '; 1 << 20];
        let mut sent = 0;
        let result = async {
            writer.write_all(head.as_bytes()).await?;
            for _ in 0..mib {
                if chunked {
                    writer.write_all(b"100000\r\n").await?;
                }
                writer.write_all(&mebibyte).await?;
                sent += mebibyte.len();
                if chunked {
                    writer.write_all(b"\r\n").await?;
                }
            }
            if chunked {
                writer.write_all(b"0\r\n\r\n").await?;
            }
            writer.flush().await
        }
        .await;
        drop(result);
        sent
    });
    let raw = read_answer(&mut reader, Duration::from_secs(30)).await;
    // The answer is complete and the connection closed: the writer fails soon, unless the
    // server is still draining the body.
    let sent = match tokio::time::timeout(Duration::from_secs(30), write).await {
        Ok(sent) => sent.expect("writer task"),
        Err(_) => return Err("the server kept reading the body after it answered".into()),
    };
    let raw = raw?;
    let status = String::from_utf8_lossy(&raw)
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no answer: {:?}", String::from_utf8_lossy(&raw)))?;
    Ok((status, sent))
}

#[tokio::test]
async fn a_body_of_hundreds_of_mebibytes_is_refused_or_ignored_never_read() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;
    let bar = format!("Authorization: Bearer {}\r\n", app.bar_token);
    let visitor = format!("X-Visitor-Id: {}\r\n", new_visitor());
    // Endpoints that take a body refuse it after at most 16 KiB + 1 bytes (413), bar ones
    // only after the token check; endpoints that take none never read it and answer as if
    // it were not there.
    let cases = [
        ("POST", "/api/orders", String::new(), 413),
        ("PATCH", "/api/orders/1", bar.clone(), 413),
        ("PATCH", "/api/drinks/tea", bar.clone(), 413),
        ("PATCH", "/api/drinks/tea", String::new(), 401),
        ("DELETE", "/api/orders/1", visitor.clone(), 404),
        ("PUT", "/api/orders", String::new(), 405),
        ("GET", "/api/menu", String::new(), 200),
        ("GET", "/api/mine", visitor, 200),
        ("GET", "/api/queue", bar, 200),
        ("GET", "/api/feed", String::new(), 200),
    ];
    const MIB: usize = 300;
    for (method, path, extra, expected) in &cases {
        for chunked in [false, true] {
            let what = format!("{method} {path} with {MIB} MiB, chunked: {chunked}");
            let started = std::time::Instant::now();
            let (status, sent) = stream_body(app.addr, method, path, extra, MIB, chunked)
                .await
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(status, *expected, "{what}");
            assert!(
                sent < 64 << 20,
                "{what}: the server took {} MiB of the body",
                sent >> 20
            );
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{what}: took {:?}",
                started.elapsed()
            );
        }
    }
    assert_eq!(snapshot(&app).await, before, "nothing written");
    assert_eq!(app.get("/api/menu").await.status(), 200);
}

#[tokio::test]
async fn deeply_nested_json_is_refused_without_crashing() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;
    // 100k brackets are over the size limit before they are parsed.
    problem(
        post_raw(&app, "/api/orders", "[".repeat(100_000))
            .send()
            .await
            .expect("POST"),
        413,
        "100k [",
    )
    .await;
    // Under the limit, the parser's depth limit refuses them: malformed JSON.
    let deep_objects = format!("{}1{}", "{\"a\":".repeat(2000), "}".repeat(2000));
    let deep_field = format!(
        "{{\"visitor_id\":\"{}\",\"nickname\":{}\"Ana\"{},\"drink\":\"tea\",\"request_id\":\"{}\"}}",
        new_visitor(),
        "[".repeat(5000),
        "]".repeat(5000),
        new_request_id()
    );
    for (what, body) in [
        ("16k [", "[".repeat(16_000)),
        (
            "16k [ closed",
            format!("{}{}", "[".repeat(8000), "]".repeat(8000)),
        ),
        ("2000 nested objects", deep_objects),
        ("a nickname nested 5000 deep", deep_field),
    ] {
        for path in ["/api/orders", "/api/orders/1", "/api/drinks/tea"] {
            let request = if path == "/api/orders" {
                post_raw(&app, path, body.clone())
            } else {
                app.bar(Method::PATCH, path)
                    .header("content-type", "application/json")
                    .body(body.clone())
            };
            let p = problem(request.send().await.expect("send"), 400, what).await;
            assert_eq!(p["type"], "/problems/malformed-json", "{what} {path}");
        }
    }
    // Nesting the parser accepts is simply the wrong type.
    let mut shallow = order_body(&new_visitor(), "Ana", "tea", &new_request_id());
    shallow["nickname"] =
        serde_json::from_str(&format!("{}1{}", "[".repeat(100), "]".repeat(100))).expect("json");
    let p = problem(
        app.post_json("/api/orders", &shallow).await,
        422,
        "nickname nested 100 deep",
    )
    .await;
    assert_eq!(p["field"], "nickname");
    assert_eq!(snapshot(&app).await, before, "nothing written");
}

#[tokio::test]
async fn invalid_utf8_anywhere_in_the_body_is_malformed_json() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;
    let visitor = new_visitor();
    let template = format!(
        "{{\"visitor_id\":\"{visitor}\",\"nickname\":\"NICK\",\"drink\":\"tea\",\"request_id\":\"{}\"}}",
        new_request_id()
    );
    let with_nickname = |bytes: &[u8]| {
        let (head, tail) = template.split_once("NICK").expect("placeholder");
        [head.as_bytes(), bytes, tail.as_bytes()].concat()
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("a lone 0xff", b"{\"nickname\":\xff}".to_vec()),
        ("0xff in the nickname", with_nickname(b"An\xffa")),
        ("a truncated sequence", with_nickname(b"An\xc3")),
        ("an overlong '/'", with_nickname(b"\xc0\xaf")),
        ("an encoded surrogate", with_nickname(b"\xed\xa0\x80")),
        ("a lone surrogate escape", with_nickname(b"\\ud800")),
        (
            "a reversed surrogate pair",
            with_nickname(b"\\udc00\\ud800"),
        ),
        ("Latin-1", with_nickname(b"Zo\xeb")),
        ("UTF-16", {
            let text = template.replace("NICK", "Ana");
            text.encode_utf16().flat_map(u16::to_le_bytes).collect()
        }),
    ];
    for (what, body) in cases {
        let p = problem(
            post_raw(&app, "/api/orders", body)
                .send()
                .await
                .expect("POST"),
            400,
            what,
        )
        .await;
        assert_eq!(p["type"], "/problems/malformed-json", "{what}");
    }
    for (what, body) in [
        (
            "0xff in a status",
            b"{\"status\":\"re\xffady\",\"version\":1}".to_vec(),
        ),
        (
            "0xfe in a key",
            b"{\"st\xfeatus\":\"ready\",\"version\":1}".to_vec(),
        ),
    ] {
        let request = app
            .bar(Method::PATCH, "/api/orders/1")
            .header("content-type", "application/json")
            .body(body);
        problem(request.send().await.expect("PATCH"), 400, what).await;
    }
    assert_eq!(snapshot(&app).await, before, "nothing written");
}

#[tokio::test]
async fn header_injection_in_nicknames_is_refused_and_never_reflected_as_a_header() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;
    for nickname in [
        "Ana\r\nSet-Cookie: x=1",
        "Ana\nSet-Cookie: x=1",
        "Ana\rSet-Cookie: x=1",
        "Ana\r\n\r\n<script>alert(1)</script>",
        "Ana\0",
        "Ana\u{7f}",
        "Ana\u{85}Set-Cookie: x=1",
        "Ana\u{2028}Set-Cookie: x=1",
        "Ana\u{2029}Bo",
        "\u{202e}anA",
        "Ana\u{2066}",
        "Ana\u{200f}",
        "Ana\u{61c}",
        "\u{1b}[31mAna",
    ] {
        let response = app
            .post_json(
                "/api/orders",
                &order_body(&new_visitor(), nickname, "tea", &new_request_id()),
            )
            .await;
        for (name, value) in response.headers() {
            let value = String::from_utf8_lossy(value.as_bytes());
            assert_ne!(name.as_str(), "set-cookie", "{nickname:?}");
            assert!(!value.contains("x=1"), "{nickname:?} reflected in {name}");
        }
        let p = problem(response, 422, &format!("{nickname:?}")).await;
        assert_eq!(p["field"], "nickname", "{nickname:?}");
        assert!(
            !p.to_string().contains("Set-Cookie"),
            "the nickname is not echoed: {p}"
        );
    }
    assert_eq!(snapshot(&app).await, before, "nothing written");
    // A nickname that merely looks like a header is just text, and no header either.
    let response = app
        .post_json(
            "/api/orders",
            &order_body(&new_visitor(), "Set-Cookie: x=1", "tea", &new_request_id()),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert!(response.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn unicode_nicknames_count_what_people_see_and_are_kept_exactly_as_sent() {
    let app = spawn_app().await;
    let accepted = [
        // NFD: 32 × (e + combining acute) = 32 characters (64 scalar values).
        "e\u{301}".repeat(32),
        // NFC and NFD of the same name are different strings; neither is normalised.
        "Zo\u{eb}".to_string(),
        "Zoe\u{308}".to_string(),
        // 32 families of 5 scalar values (3 people joined by 2 ZWJ) = 32 characters.
        "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}".repeat(32),
        // One letter with 255 combining marks (zalgo): one character, 256 scalar values.
        format!("a{}", "\u{336}".repeat(255)),
        "\u{ff21}\u{ff4e}\u{ff41}".to_string(), // fullwidth
        "\u{645}\u{631}\u{62d}\u{628}\u{627}".to_string(), // Arabic, right to left
        "\u{1d504}\u{1d52b}\u{1d51e}".to_string(), // mathematical fraktur (astral)
        // Surrounding white space of every kind is trimmed, then 32 remain.
        format!("\u{3000}\u{a0} {}\t\u{2003}", "a".repeat(32)),
    ];
    for nickname in &accepted {
        let response = app
            .post_json(
                "/api/orders",
                &order_body(&new_visitor(), nickname, "tea", &new_request_id()),
            )
            .await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("json");
        assert_eq!(status, 201, "{nickname:?}: {body}");
        assert_eq!(body["nickname"], json!(nickname.trim()), "kept as sent");
    }
    let before = snapshot(&app).await;
    let refused = [
        "e\u{301}".repeat(33),
        "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}".repeat(33),
        // One character, but more scalar values (257) than the database takes.
        format!("a{}", "\u{336}".repeat(256)),
        "\u{3000}\u{a0}\u{2003}\u{1680}".to_string(), // only white space
        String::new(),
    ];
    for nickname in &refused {
        let p = problem(
            app.post_json(
                "/api/orders",
                &order_body(&new_visitor(), nickname, "tea", &new_request_id()),
            )
            .await,
            422,
            &format!("{nickname:?}"),
        )
        .await;
        assert_eq!(p["field"], "nickname");
    }
    assert_eq!(snapshot(&app).await, before, "nothing written");
}

#[tokio::test]
async fn huge_and_odd_numbers_are_refused() {
    let app = spawn_app().await;
    let placed = app
        .post_json(
            "/api/orders",
            &order_body(&new_visitor(), "Ana", "tea", &new_request_id()),
        )
        .await;
    assert_eq!(placed.status(), 201);
    let before = snapshot(&app).await;
    // Out of the range of f64: not even JSON the parser can represent.
    for body in [
        r#"{"status":"preparing","version":1e400}"#,
        r#"{"status":"preparing","version":-1e400}"#,
    ] {
        let request = app
            .bar(Method::PATCH, "/api/orders/1")
            .header("content-type", "application/json")
            .body(body);
        problem(request.send().await.expect("PATCH"), 400, body).await;
    }
    for (path, body, field) in [
        (
            "/api/orders/1",
            r#"{"status":"preparing","version":18446744073709551616}"#,
            "version",
        ),
        (
            "/api/orders/1",
            r#"{"status":"preparing","version":9223372036854775807}"#,
            "version",
        ),
        (
            "/api/orders/1",
            r#"{"status":"preparing","version":2147483648}"#,
            "version",
        ),
        (
            "/api/orders/1",
            r#"{"status":"preparing","version":-1}"#,
            "version",
        ),
        (
            "/api/orders/1",
            r#"{"status":"preparing","version":1.5}"#,
            "version",
        ),
        (
            "/api/orders/1",
            r#"{"status":"preparing","version":1e0}"#,
            "version",
        ),
        ("/api/drinks/tea", r#"{"stock":2147483648}"#, "stock"),
        ("/api/drinks/tea", r#"{"stock":1e308}"#, "stock"),
        (
            "/api/drinks/tea",
            r#"{"stock":-9223372036854775808}"#,
            "stock",
        ),
        ("/api/drinks/tea", r#"{"stock":0.1}"#, "stock"),
    ] {
        let request = app
            .bar(Method::PATCH, path)
            .header("content-type", "application/json")
            .body(body);
        let p = problem(request.send().await.expect("PATCH"), 422, body).await;
        assert_eq!(p["field"], field, "{body}");
    }
    for (path, field) in [
        ("/api/orders?before=99999999999999999999", "before"),
        ("/api/orders?before=1e3", "before"),
        ("/api/orders?before=0x10", "before"),
    ] {
        let p = problem(
            app.bar(Method::DELETE, path).send().await.expect("DELETE"),
            400,
            path,
        )
        .await;
        assert_eq!(p["field"], field);
    }
    for (path, field) in [
        ("/api/queue?limit=99999999999999999999", "limit"),
        ("/api/queue?limit=1e1", "limit"),
        ("/api/queue?limit=%EF%BC%95", "limit"), // fullwidth 5
        ("/api/feed?tail=18446744073709551617", "tail"),
    ] {
        let p = problem(app.bar_get(path).await, 400, path).await;
        assert_eq!(p["field"], field);
    }
    for path in [
        "/api/orders/99999999999999999999",
        "/api/orders/-1",
        "/api/orders/1e3",
        "/api/orders/%31",
        "/api/orders/9223372036854775807",
    ] {
        let p = problem(
            app.bar(Method::PATCH, path)
                .json(&json!({"status": "preparing", "version": 1}))
                .send()
                .await
                .expect("PATCH"),
            404,
            path,
        )
        .await;
        assert!(
            p["type"] == "/problems/not-found" || p["type"] == "/problems/order-not-found",
            "{path}: {p}"
        );
    }
    assert_eq!(snapshot(&app).await, before, "nothing written");
}

#[tokio::test]
async fn duplicate_keys_take_the_last_value_and_write_one_order() {
    // serde_json keeps the last of duplicate keys. What matters: one consistent reading,
    // the answer shows the value that was used, and one order is written.
    let app = spawn_app().await;
    let body = format!(
        "{{\"visitor_id\":\"{}\",\"nickname\":\"First\",\"nickname\":\"Last\",\"drink\":\"beer\",\
         \"drink\":\"tea\",\"request_id\":\"{}\"}}",
        new_visitor(),
        new_request_id()
    );
    let response = post_raw(&app, "/api/orders", body)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 201);
    let order: Value = response.json().await.expect("json");
    assert_eq!(
        (order["nickname"].clone(), order["drink"].clone()),
        (json!("Last"), json!("tea"))
    );
    assert_eq!(app.count("orders").await, 1);
    assert_eq!(app.count("order_events").await, 1);
    let before = snapshot(&app).await;
    // A duplicate that makes the body invalid is refused as a whole.
    let body = r#"{"status":"preparing","status":"shipped","version":1}"#;
    let request = app
        .bar(Method::PATCH, &format!("/api/orders/{}", order["id"]))
        .header("content-type", "application/json")
        .body(body);
    let p = problem(request.send().await.expect("PATCH"), 422, body).await;
    assert_eq!(p["field"], "status");
    assert_eq!(snapshot(&app).await, before, "nothing written");
}

#[tokio::test]
async fn wrong_json_types_for_every_field_are_422_naming_the_field() {
    let app = spawn_app().await;
    let placed = app
        .post_json(
            "/api/orders",
            &order_body(&new_visitor(), "Ana", "tea", &new_request_id()),
        )
        .await;
    assert_eq!(placed.status(), 201);
    let before = snapshot(&app).await;
    let wrong: Vec<Value> = vec![
        json!(1),
        json!(1.5),
        json!(true),
        json!([]),
        json!(["tea"]),
        json!({}),
        json!({"$ne": null}),
    ];
    let place = order_body(&new_visitor(), "Ana", "tea", &new_request_id());
    for field in ["visitor_id", "nickname", "drink", "request_id"] {
        for value in wrong.iter().chain([&json!(null)]) {
            let mut body = place.clone();
            body[field] = value.clone();
            let p = problem(
                app.post_json("/api/orders", &body).await,
                422,
                &format!("{field} = {value}"),
            )
            .await;
            assert_eq!(p["field"], field, "{field} = {value}");
        }
    }
    let status_change = json!({"status": "preparing", "version": 1});
    for (field, extra_wrong) in [("status", json!(null)), ("version", json!("1"))] {
        for value in wrong.iter().chain([&extra_wrong]) {
            if field == "version" && value.is_number() {
                continue; // 1 is a valid version; 1.5 is covered by huge_and_odd_numbers
            }
            let mut body = status_change.clone();
            body[field] = value.clone();
            let p = problem(
                app.bar(Method::PATCH, "/api/orders/1")
                    .json(&body)
                    .send()
                    .await
                    .expect("PATCH"),
                422,
                &format!("{field} = {value}"),
            )
            .await;
            assert_eq!(p["field"], field, "{field} = {value}");
        }
    }
    for field in ["available", "stock"] {
        for value in [json!("true"), json!("5"), json!([]), json!({}), json!(1.5)] {
            let p = problem(
                app.bar(Method::PATCH, "/api/drinks/tea")
                    .json(&json!({ field: value }))
                    .send()
                    .await
                    .expect("PATCH"),
                422,
                &format!("{field} = {value}"),
            )
            .await;
            assert_eq!(p["field"], field, "{field} = {value}");
        }
    }
    let p = problem(
        app.bar(Method::PATCH, "/api/drinks/tea")
            .json(&json!({"available": null}))
            .send()
            .await
            .expect("PATCH"),
        422,
        "available = null",
    )
    .await;
    assert_eq!(p["field"], "available");
    assert_eq!(snapshot(&app).await, before, "nothing written");
}

#[tokio::test]
async fn traversal_spellings_not_in_fileserver_rs_are_refused() {
    let app = spawn_app().await;
    for path in [
        "/%c0%ae%c0%ae/spin.toml",
        "/%e0%80%ae%e0%80%ae/spin.toml",
        "/..;/spin.toml",
        "/....//spin.toml",
        "/%2e%2e%5cspin.toml",
        "/%2e./spin.toml",
        "/.%2E/.%2E/spin.toml",
        "/%uff0e%uff0e/spin.toml",
        "/%ef%bc%8e%ef%bc%8e/spin.toml",
        "/api/../spin.toml",
        "/api/orders/../../spin.toml",
        "/api/drinks/..%2f..%2fspin.toml",
        "/css/%2e%2e/%2e%2e/spin.toml",
        "//spin.toml",
        "/./spin.toml",
        "/spin.toml%00.html",
        "/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    ] {
        let (status, _, body) = exchange(
            app.addr,
            &format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
            b"",
        )
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
        let text = String::from_utf8_lossy(&body);
        assert!((400..500).contains(&status), "{path} answered {status}");
        assert!(
            !text.contains("spin_manifest_version"),
            "{path} leaked spin.toml"
        );
        assert!(!text.contains("root:"), "{path} leaked /etc/passwd");
    }
}

#[tokio::test]
async fn very_long_urls_and_query_strings_are_refused_cleanly() {
    let app = spawn_app().await;
    let long_cursor = format!("/api/feed?after={}", "A".repeat(20_000));
    let many_statuses = format!("/api/queue?status={}ready", "placed,".repeat(5_000));
    let long_id = format!("/api/orders/{}", "9".repeat(10_000));
    let long_name = format!("/api/stats?{}=1", "a".repeat(60_000));
    let many_params = format!("/api/queue?{}", "limit=1&".repeat(8_000));
    for (path, want) in [
        (long_cursor.as_str(), 400),
        (many_statuses.as_str(), 200),
        (long_id.as_str(), 404),
        (long_name.as_str(), 400),
        (many_params.as_str(), 400),
    ] {
        let response = app.bar_get(path).await;
        assert_eq!(response.status().as_u16(), want, "{}…", &path[..40]);
        if want != 200 {
            problem(response, want, &path[..40]).await;
        }
    }
    // Over what the HTTP server reads at all: refused or closed, never a 5xx, and the app
    // keeps serving.
    let huge = format!("/api/feed?after={}", "A".repeat(1024 * 1024));
    match exchange(
        app.addr,
        &format!("GET {huge} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
        b"",
    )
    .await
    {
        Ok((status, _, _)) => assert!((400..500).contains(&status), "1 MiB URL: {status}"),
        Err(e) => assert!(!e.contains("hang"), "1 MiB URL: {e}"),
    }
    assert_eq!(app.get("/api/menu").await.status(), 200);
}

#[tokio::test]
async fn invalid_percent_encoding_in_query_parameters_is_400_naming_the_parameter() {
    let app = spawn_app().await;
    for (path, field) in [
        ("/api/feed?after=%zz", "after"),
        ("/api/feed?after=%", "after"),
        ("/api/feed?after=%4", "after"),
        ("/api/feed?tail=%e2%28", "tail"),
        ("/api/feed?%ff=1", "query"),
        ("/api/queue?status=%c0%af", "status"),
        ("/api/queue?drink=%00", "drink"),
        ("/api/queue?drink=t%65a%0a", "drink"),
        ("/api/queue?status=placed%2Cready%2C%2C", "status"),
        ("/api/orders?before=%31%", "before"),
        ("/api/stats?%=", "query"),
    ] {
        let method = if path.starts_with("/api/orders") {
            Method::DELETE
        } else {
            Method::GET
        };
        let p = problem(app.bar(method, path).send().await.expect("send"), 400, path).await;
        assert_eq!(p["type"], "/problems/invalid-parameter", "{path}");
        assert_eq!(p["field"], field, "{path}");
    }
    // A parameter without a name: the detail says so (the field is empty).
    for path in [
        "/api/queue?=x",
        "/api/queue?limit=5&=",
        "/api/feed?=%zz",
        "/api/stats?=1",
        "/api/orders?=1&before=1",
    ] {
        let method = if path.starts_with("/api/orders") {
            Method::DELETE
        } else {
            Method::GET
        };
        let p = problem(app.bar(method, path).send().await.expect("send"), 400, path).await;
        assert_eq!(p["type"], "/problems/invalid-parameter", "{path}");
        assert_eq!(p["field"], "", "{path}");
        assert_eq!(p["detail"], "a query parameter has an empty name", "{path}");
    }
}

#[tokio::test]
async fn visitor_ids_that_are_not_uuids_are_400_invalid_header() {
    let app = spawn_app().await;
    let placed = app
        .post_json(
            "/api/orders",
            &order_body(&new_visitor(), "Ana", "tea", &new_request_id()),
        )
        .await;
    assert_eq!(placed.status(), 201);
    let before = snapshot(&app).await;
    let long = "a".repeat(8 * 1024);
    for value in [
        "",
        " ",
        "00000000-0000-0000-0000-000000000000",
        "6f1c2a52-8a7e-4b8e-9d43-2a0f7c3b5e1",
        "6f1c2a52-8a7e-4b8e-9d43-2a0f7c3b5e10a",
        "6f1c2a52_8a7e_4b8e_9d43_2a0f7c3b5e10",
        "' OR '1'='1",
        "6f1c2a52-8a7e-4b8e-9d43-2a0f7c3b5e10' --",
        "../../etc/passwd",
        long.as_str(),
    ] {
        for (method, path) in [
            (Method::GET, "/api/mine"),
            (Method::DELETE, "/api/orders/1"),
        ] {
            let response = app
                .http
                .request(method.clone(), app.url(path))
                .header("X-Visitor-Id", value)
                .send()
                .await
                .expect("send");
            let p = problem(response, 400, &format!("{method} {path} {value:?}")).await;
            assert_eq!(p["type"], "/problems/invalid-header");
            assert_eq!(p["field"], "X-Visitor-Id");
        }
    }
    // Bytes that are not text at all (obs-text): Spin refuses them before any component
    // runs, with its empty 500 (spinframework/spin v3.6.3
    // crates/trigger-http/src/headers.rs:94-107); and the header twice.
    for header in [
        "X-Visitor-Id: \u{ff}\u{fe}\r\n",
        "X-Visitor-Id: Ana\u{e9}\r\n",
    ] {
        let latin1: Vec<u8> = header.chars().map(|c| c as u8).collect();
        let mut head =
            b"GET /api/mine HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n".to_vec();
        head.extend_from_slice(&latin1);
        head.extend_from_slice(b"\r\n");
        let (status, headers, body) = exchange(app.addr, "", &head)
            .await
            .unwrap_or_else(|e| panic!("{header:?}: {e}"));
        assert_eq!(
            status,
            500,
            "{header:?}: {}",
            String::from_utf8_lossy(&body)
        );
        assert!(body.is_empty() && !headers.contains_key("content-type"));
    }
    let two = exchange(
        app.addr,
        &format!(
            "GET /api/mine HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             X-Visitor-Id: {}\r\nX-Visitor-Id: {}\r\n\r\n",
            new_visitor(),
            new_visitor()
        ),
        b"",
    )
    .await
    .expect("answered");
    assert!(two.0 == 200 || two.0 == 400, "two visitor ids: {}", two.0);
    assert_eq!(snapshot(&app).await, before, "nothing written");
}

#[tokio::test]
async fn well_formed_but_forged_cursors_never_fail_the_server() {
    let app = spawn_app().await;
    // Forged feed cursors the decoder accepts: answered 200 (nothing or what is after).
    for (what, cursor) in [
        (
            "the highest transaction",
            feed_cursor(u64::MAX, i64::MAX as u64, &[]),
        ),
        (
            "a transaction from the future",
            feed_cursor(1 << 40, 0, &[]),
        ),
        (
            "a full skip list",
            feed_cursor(1, 0, &(2..1026).collect::<Vec<_>>()),
        ),
        (
            "skip list at the top",
            feed_cursor(u64::MAX - 1, 0, &[u64::MAX]),
        ),
    ] {
        let response = app
            .get(&format!("/api/feed?after={cursor}&limit=500"))
            .await;
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        assert_eq!(status, 200, "{what}: {text}");
    }
    // Forged cursors the decoder refuses.
    for (what, cursor) in [
        ("seq above i64", feed_cursor(1, 1 << 63, &[])),
        ("skip list not above tx", feed_cursor(5, 0, &[5])),
        ("skip list unsorted", feed_cursor(1, 0, &[9, 7])),
        (
            "skip list too long",
            feed_cursor(1, 0, &(2..1027).collect::<Vec<_>>()),
        ),
        ("a page cursor", page_cursor(5)),
        ("kind 0", base64url(&[0u8; 17])),
        ("kind 255", base64url(&[255u8; 17])),
        ("one byte short", base64url(&[1u8; 16])),
        ("non-canonical last character", {
            let mut c = feed_cursor(1, 1, &[]);
            c.pop();
            c.push('B');
            c
        }),
        (
            "standard base64 alphabet",
            "AQ+AAAAAAAAAAAAAAAAAAAA".to_string(),
        ),
        ("padded", format!("{}=", feed_cursor(1, 1, &[]))),
    ] {
        let p = problem(
            app.get(&format!("/api/feed?after={}", urlencode(&cursor)))
                .await,
            400,
            what,
        )
        .await;
        assert_eq!(p["field"], "after", "{what}");
    }
    // Page cursors of the queue.
    let empty = app
        .bar(
            Method::GET,
            &format!("/api/queue?after={}", page_cursor(i64::MAX as u64)),
        )
        .send()
        .await
        .expect("queue");
    assert_eq!(empty.status(), 200);
    let page: Value = empty.json().await.expect("json");
    assert_eq!(page["orders"], json!([]));
    assert_eq!(page["next"], Value::Null);
    for (what, cursor) in [
        ("last id 0", page_cursor(0)),
        ("negative last id", page_cursor(1 << 63)),
        ("a feed cursor", feed_cursor(1, 1, &[])),
        ("too long", format!("{}AAAA", page_cursor(1))),
    ] {
        let p = problem(
            app.bar_get(&format!("/api/queue?after={cursor}")).await,
            400,
            what,
        )
        .await;
        assert_eq!(p["field"], "after", "{what}");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => char::from(b).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
