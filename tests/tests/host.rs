//! The development host, tested through the probe component: routing, Spin's request
//! headers, variables, file mounts, traps, outbound hosts and the pg4 type mapping.

use std::time::{Duration, Instant};

use e2e::{json, probe_builder};
use serde_json::json;

#[tokio::test]
async fn a_wildcard_route_passes_spin_headers_to_the_component() {
    let app = probe_builder().spawn().await;
    let headers = json(app.get("/probe/headers?x=1").await).await;
    assert_eq!(headers["spin-path-info"], "/headers");
    assert_eq!(headers["spin-matched-route"], "/probe/...");
    assert_eq!(headers["spin-raw-component-route"], "/probe/...");
    assert_eq!(headers["spin-component-route"], "/probe");
    assert_eq!(headers["spin-base-path"], "/");
    assert_eq!(
        headers["spin-full-url"],
        format!("http://{}/probe/headers?x=1", app.addr)
    );
    assert!(
        headers["spin-client-addr"]
            .as_str()
            .is_some_and(|a| a.starts_with("127.0.0.1:"))
    );
}

#[tokio::test]
async fn an_exact_route_beats_the_wildcard_that_also_matches() {
    let app = probe_builder().spawn().await;
    // /probe/exact is routed to component probe-exact, whose path info is empty.
    let response = app.get("/probe/exact").await;
    assert_eq!(
        response.status(),
        404,
        "the probe answers 404 to an unknown probe"
    );
    let body = json(response).await;
    assert_eq!(body["path_info"], "");
}

#[tokio::test]
async fn clients_cannot_spoof_spin_headers() {
    e2e::require_devhost!(
        "Spin appends its spin-* headers after the client's (a known difference)"
    );
    let app = probe_builder().spawn().await;
    let response = app
        .http
        .get(app.url("/probe/headers"))
        .header("spin-path-info", "/admin")
        .header("spin-client-addr", "10.0.0.1:1")
        .send()
        .await
        .expect("request");
    let headers = json(response).await;
    assert_eq!(headers["spin-path-info"], "/headers");
    assert_ne!(headers["spin-client-addr"], "10.0.0.1:1");
}

#[tokio::test]
async fn a_path_no_route_matches_is_404() {
    let app = probe_builder().spawn().await;
    // Spin's own 404: no content type, an empty body
    // (spinframework/spin v3.6.3 crates/trigger-http/src/server.rs:494-510).
    for path in ["/elsewhere", "/probex"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(response.headers().get("content-type").is_none(), "{path}");
        assert!(response.bytes().await.expect("body").is_empty(), "{path}");
    }
}

#[tokio::test]
async fn component_variables_are_expanded_from_application_variables() {
    let app = probe_builder().variable("greeting", "hi").spawn().await;
    let body = json(app.get("/probe/var?name=greeting").await).await;
    assert_eq!(body["value"], "hi, world");
}

#[tokio::test]
async fn application_defaults_apply_when_no_value_is_given() {
    let app = probe_builder().spawn().await;
    let body = json(app.get("/probe/var?name=greeting").await).await;
    assert_eq!(body["value"], "hello, world");
}

#[tokio::test]
async fn a_variable_the_component_does_not_map_is_undefined() {
    let app = probe_builder().spawn().await;
    let body = json(app.get("/probe/var?name=db_host").await).await;
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("Undefined")),
        "{body}"
    );
    let body = json(app.get("/probe/var?name=Bad-Name").await).await;
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("InvalidName")),
        "{body}"
    );
}

#[tokio::test]
async fn a_missing_required_variable_stops_the_host_from_starting() {
    e2e::require_devhost!("loads the app with devhost::App::load");
    let options = devhost::AppOptions {
        manifest: e2e::workspace_root().join("tests/fixtures/probe.toml"),
        variables: devhost::VariableSource::default(),
        ..Default::default()
    };
    let engine = e2e::engine();
    let err = match devhost::App::load(&engine, &options) {
        Ok(_) => panic!("loaded without db_url"),
        Err(e) => e,
    };
    assert!(err.to_string().contains("SPIN_VARIABLE_DB_URL"), "{err}");
}

#[tokio::test]
async fn mounted_files_are_readable_but_not_writable() {
    let app = probe_builder().spawn().await;
    let body = json(app.get("/probe/file?path=/data/hello.txt").await).await;
    assert_eq!(
        body["content"],
        "mounted read-only into the probe component\n"
    );
    assert_eq!(body["write_ok"], false);
    let outside = json(app.get("/probe/file?path=/etc/passwd").await).await;
    assert!(outside["content"].is_null(), "{outside}");
}

#[tokio::test]
async fn the_component_environment_comes_from_the_manifest_only() {
    let app = probe_builder().spawn().await;
    let body = json(app.get("/probe/env?name=PROBE_MODE").await).await;
    assert_eq!(body["value"], "test");
    let body = json(app.get("/probe/env?name=PATH").await).await;
    assert!(body["value"].is_null());
}

#[tokio::test]
async fn a_trapping_component_gets_500_and_the_host_keeps_serving() {
    let app = probe_builder().spawn().await;
    let response = app.get("/probe/trap").await;
    // Spin's answer to a failed guest: 500, no content type, an empty body
    // (spinframework/spin v3.6.3 crates/trigger-http/src/server.rs:438-442, 476-492).
    assert_eq!(response.status(), 500);
    assert!(response.headers().get("content-type").is_none());
    assert_eq!(
        response
            .headers()
            .get("content-length")
            .map(|v| v.as_bytes()),
        Some(&b"0"[..])
    );
    assert!(response.bytes().await.expect("body").is_empty());
    let response = app.get("/probe/headers").await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_component_that_exhausts_its_memory_traps_without_harming_the_host() {
    // A small limit, so that the test does not take 4 GiB of the machine.
    let app = probe_builder().max_instance_memory(256 << 20).spawn().await;
    assert_eq!(app.get("/probe/loop-alloc").await.status(), 500);
    assert_eq!(app.get("/probe/headers").await.status(), 200);
}

#[tokio::test]
async fn a_slow_component_does_not_block_other_requests() {
    let app = probe_builder().spawn().await;
    let slow = {
        let http = app.http.clone();
        let url = app.url("/probe/slow?ms=1500");
        tokio::spawn(async move { http.get(url).send().await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    assert_eq!(app.get("/probe/headers").await.status(), 200);
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "a fast request waited for the slow one"
    );
    let slow = slow.await.expect("join").expect("slow request");
    assert_eq!(slow.status(), 200);
}

/// More guests computing for seconds than there are executor threads must still leave
/// room for other requests: the host makes every guest yield at each epoch tick. Without
/// that, the fast request would wait until the computing guests finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn computing_guests_do_not_starve_other_requests() {
    let app = probe_builder().spawn().await;
    let busy: Vec<_> = (0..4)
        .map(|_| {
            let http = app.http.clone();
            let url = app.url("/probe/busy?ms=4000");
            tokio::spawn(async move { http.get(url).send().await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    assert_eq!(app.get("/probe/headers").await.status(), 200);
    assert!(
        started.elapsed() < Duration::from_millis(2000),
        "a fast request waited {:?} behind computing guests",
        started.elapsed()
    );
    assert!(
        busy.iter().all(|b| !b.is_finished()),
        "the computing guests were still running when the fast request was answered"
    );
    for b in busy {
        assert_eq!(b.await.expect("join").expect("busy request").status(), 200);
    }
}

#[tokio::test]
async fn a_database_outside_allowed_outbound_hosts_is_refused() {
    let app = probe_builder().spawn().await;
    let body = json(
        app.post_json("/closed/sql", &json!({"sql": "SELECT 1"}))
            .await,
    )
    .await;
    let error = body["error"].as_str().unwrap_or_default();
    assert!(error.contains("ConnectionFailed"), "{body}");
    assert!(error.contains("is not permitted"), "{body}");
}

#[tokio::test]
async fn another_address_than_the_allowed_one_is_refused() {
    let app = probe_builder().spawn().await;
    let body = json(
        app.post_json(
            "/probe/sql",
            &json!({"sql": "SELECT 1", "address": "postgres://postgres@127.0.0.2:5433/x"}),
        )
        .await,
    )
    .await;
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("is not permitted")),
        "{body}"
    );
}

#[tokio::test]
async fn passwords_never_appear_in_refusals() {
    let app = probe_builder().spawn().await;
    let body = json(
        app.post_json(
            "/probe/sql",
            &json!({"sql": "SELECT 1", "address": "postgres://u:hunter2@10.9.9.9:5432/x"}),
        )
        .await,
    )
    .await;
    assert!(!body.to_string().contains("hunter2"), "{body}");
    // spinframework/spin v3.6.3 crates/factor-outbound-pg/src/host.rs:66-75.
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("address postgres://10.9.9.9:5432 is not permitted")),
        "{body}"
    );
}

#[tokio::test]
async fn result_columns_map_to_the_wit_types_spin_uses() {
    let app = probe_builder().spawn().await;
    let body = app
        .probe_sql(
            "SELECT true AS b, 2::int2 AS s, 3::int4 AS i, 4::int8 AS l, 1.5::float4 AS f, \
             2.5::float8 AS d, 'x'::text AS t, 'y'::varchar AS v, '\\x0102'::bytea AS by, \
             '7d1b3a0e-4c38-4c1b-9a57-1b1d8a0e6a11'::uuid AS u, '{\"a\":1}'::jsonb AS j, \
             12.50::numeric AS n, '2026-11-21'::date AS dt, '12:34:56'::time AS tm, \
             '2026-11-21 12:34:56'::timestamp AS ts, ARRAY[1,2]::int4[] AS ai, \
             ARRAY[3]::int8[] AS al, ARRAY['a',NULL]::text[] AS at, \
             '1 day 2 hours'::interval AS iv, int4range(1,5) AS r, NULL::int4 AS nul, \
             '1'::xid8 AS other",
            json!([]),
        )
        .await;
    let types: Vec<String> = body["columns"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|c| c["type"].as_str().unwrap_or_default().to_string())
        .collect();
    let expected = [
        "Boolean",
        "Int16",
        "Int32",
        "Int64",
        "Floating32",
        "Floating64",
        "Str",
        "Str",
        "Binary",
        "Uuid",
        "Jsonb",
        "Decimal",
        "Date",
        "Time",
        "Datetime",
        "ArrayInt32",
        "ArrayInt64",
        "ArrayStr",
        "Interval",
        "RangeInt32",
        "Int32",
        "Other(\"xid8\")",
    ];
    for (got, want) in types.iter().zip(expected) {
        assert!(got.ends_with(want), "got {got}, want {want}");
    }
    let row: Vec<String> = body["rows"][0]
        .as_array()
        .expect("one row")
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect();
    let expected_values = [
        "Boolean(true)",
        "Int16(2)",
        "Int32(3)",
        "Int64(4)",
        "Floating32(1.5)",
        "Floating64(2.5)",
        "Str(\"x\")",
        "Str(\"y\")",
        "Binary([1, 2])",
        "Uuid(\"7d1b3a0e-4c38-4c1b-9a57-1b1d8a0e6a11\")",
        "Jsonb([123, 34, 97, 34, 58, 49, 125])",
        "Decimal(\"12.50\")",
        "Date((2026, 11, 21))",
        "Time((12, 34, 56, 0))",
        "Datetime((2026, 11, 21, 12, 34, 56, 0))",
        "ArrayInt32([Some(1), Some(2)])",
        "ArrayInt64([Some(3)])",
        "ArrayStr([Some(\"a\"), None])",
        "micros: 7200000000, days: 1, months: 0",
        "Inclusive)), Some((5, RangeBoundKind::Exclusive",
        "DbNull",
        "Unsupported([0, 0, 0, 0, 0, 0, 0, 1])",
    ];
    for (got, want) in row.iter().zip(expected_values) {
        assert!(got.contains(want), "got {got}, want {want}");
    }
}

#[tokio::test]
async fn a_timestamptz_result_column_fails_the_whole_query_as_on_spin() {
    let app = probe_builder().spawn().await;
    let body = app.probe_sql("SELECT 1 AS a, now() AS t", json!([])).await;
    let error = body["error"].as_str().unwrap_or_else(|| panic!("{body}"));
    assert!(error.contains("QueryFailed"), "{error}");
    assert!(error.contains("timestamptz"), "{error}");
    assert!(!error.contains("Stack backtrace"), "{error}");
}

#[tokio::test]
async fn epoch_milliseconds_are_the_way_to_return_times() {
    let app = probe_builder().spawn().await;
    let body = app
        .probe_sql(
            "SELECT (extract(epoch from $1::text::timestamptz) * 1000)::int8",
            json!([{"t": "str", "v": "2026-11-21T00:00:00Z"}]),
        )
        .await;
    assert_eq!(
        body["rows"][0][0], "DbValue::Int64(1795219200000)",
        "{body}"
    );
}

#[tokio::test]
async fn an_empty_result_has_no_columns_as_on_spin() {
    let app = probe_builder().spawn().await;
    let body = app.probe_sql("SELECT 1 AS a WHERE false", json!([])).await;
    assert_eq!(body["columns"], json!([]));
    assert_eq!(body["rows"], json!([]));
}

#[tokio::test]
async fn parameters_bind_with_their_exact_types() {
    let app = probe_builder().spawn().await;
    let body = app
        .probe_sql(
            "SELECT $1::int8 + 1, $2::text || '!', $3::uuid, $4::bool, $5::jsonb ->> 'k', \
             $6::int4 IS NULL, $7::numeric, $8::text[]",
            json!([
                {"t": "int64", "v": 41},
                {"t": "str", "v": "hey"},
                {"t": "uuid", "v": "7d1b3a0e-4c38-4c1b-9a57-1b1d8a0e6a11"},
                {"t": "bool", "v": true},
                {"t": "jsonb", "v": {"k": "v"}},
                {"t": "null"},
                {"t": "decimal", "v": "1.25"},
                {"t": "array_str", "v": ["a", "b"]}
            ]),
        )
        .await;
    let row = &body["rows"][0];
    assert_eq!(row[0], "DbValue::Int64(42)", "{body}");
    assert_eq!(row[1], "DbValue::Str(\"hey!\")");
    assert_eq!(
        row[2],
        "DbValue::Uuid(\"7d1b3a0e-4c38-4c1b-9a57-1b1d8a0e6a11\")"
    );
    assert_eq!(row[3], "DbValue::Boolean(true)");
    assert_eq!(row[4], "DbValue::Str(\"v\")");
    assert_eq!(row[5], "DbValue::Boolean(true)");
    assert_eq!(row[6], "DbValue::Decimal(\"1.25\")");
}

#[tokio::test]
async fn a_parameter_of_the_wrong_type_is_a_query_error_not_a_crash() {
    let app = probe_builder().spawn().await;
    // int4 passed where the statement infers int8: tokio-postgres refuses, as on Spin.
    let body = app
        .probe_sql("SELECT $1::int8", json!([{"t": "int32", "v": 1}]))
        .await;
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("QueryFailed")),
        "{body}"
    );
    let body = app
        .probe_sql("SELECT $1::uuid", json!([{"t": "uuid", "v": "not-a-uuid"}]))
        .await;
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("BadParameter")),
        "{body}"
    );
}

#[tokio::test]
async fn database_errors_carry_the_sqlstate() {
    let app = probe_builder().spawn().await;
    let body = app
        .probe_sql("SELECT * FROM no_such_table", json!([]))
        .await;
    let error = body["error"].as_str().unwrap_or_default();
    assert!(error.contains("DbError"), "{body}");
    assert!(error.contains("42P01"), "{body}");
}

#[tokio::test]
async fn each_open_is_a_clean_session_from_the_pool() {
    let app = probe_builder().spawn().await;
    // Session state set by one request must not leak into the next checkout.
    let body = app
        .probe_sql(
            "SELECT set_config('application_name', 'leaky', false)",
            json!([]),
        )
        .await;
    assert!(body["error"].is_null(), "{body}");
    let body = app
        .probe_sql("SELECT current_setting('application_name')", json!([]))
        .await;
    assert_ne!(body["rows"][0][0], "DbValue::Str(\"leaky\")", "{body}");
}

// ---------------------------------------------------------------------------------------------
// Outbound HTTP (wasi:http/outgoing-handler) as Spin 3.6.3 sends it
// (spinframework/spin v3.6.3 crates/factor-outbound-http/src/wasi.rs).

/// The probe may reach `http://127.0.0.1:{{ http_port }}` (tests/fixtures/probe.toml).
async fn probe_with_http_port(port: u16) -> e2e::TestApp {
    probe_builder()
        .variable("http_port", &port.to_string())
        .spawn()
        .await
}

#[tokio::test]
async fn an_allowed_http_host_is_reached_with_the_guests_request() {
    let service = e2e::stand_in::StandIn::start(e2e::stand_in::Behaviour::Status(202)).await;
    let app = probe_with_http_port(service.addr.port()).await;
    let url = format!("{}/hello?x=1", service.origin());
    let body = json(app.get(&format!("/probe/http?url={url}")).await).await;
    assert_eq!(body["status"], 202, "{body}");
    let received = service.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(received[0].method, "GET");
    assert_eq!(received[0].path, "/hello?x=1");
    // Spin removes the guest's Host header; the client writes the authority's.
    assert_eq!(
        received[0].header("host"),
        Some(service.addr.to_string().as_str())
    );
}

/// A host outside `allowed_outbound_hosts` is refused when the response is awaited
/// (`prepare_request` runs in the response future): spin-sdk's `send` fails with
/// `SendError::Http(ErrorCode::HttpRequestDenied)`, and nothing is sent.
#[tokio::test]
async fn a_host_outside_allowed_outbound_hosts_is_refused_with_http_request_denied() {
    let service = e2e::stand_in::StandIn::start(e2e::stand_in::Behaviour::Status(200)).await;
    let app = probe_with_http_port(service.addr.port()).await;
    let other_port = format!("http://127.0.0.1:{}/", service.addr.port() + 1);
    let body = json(app.get(&format!("/probe/http?url={other_port}")).await).await;
    assert_eq!(
        body["error"], "Http(ErrorCode::HttpRequestDenied)",
        "{body}"
    );
    let https = format!("https://{}/", service.addr);
    let body = json(app.get(&format!("/probe/http?url={https}")).await).await;
    assert_eq!(
        body["error"], "Http(ErrorCode::HttpRequestDenied)",
        "{body}"
    );
    let closed = format!("{}/", service.origin());
    let body = json(app.get(&format!("/closed/http?url={closed}")).await).await;
    assert_eq!(
        body["error"], "Http(ErrorCode::HttpRequestDenied)",
        "{body}"
    );
    // With request options the refusal comes the same way: from the future, not `handle`.
    let body = json(
        app.get(&format!("/probe/http?url={other_port}&first_byte_ms=1000"))
            .await,
    )
    .await;
    assert_eq!(body, json!({"error": "ErrorCode::HttpRequestDenied"}));
    assert!(service.received().is_empty());
}

#[tokio::test]
async fn a_service_that_never_answers_fails_at_the_first_byte_timeout() {
    let service = e2e::stand_in::StandIn::start(e2e::stand_in::Behaviour::Hang).await;
    let app = probe_with_http_port(service.addr.port()).await;
    let started = Instant::now();
    let url = format!("{}/slow", service.origin());
    let body = json(
        app.get(&format!("/probe/http?url={url}&first_byte_ms=300"))
            .await,
    )
    .await;
    assert_eq!(body, json!({"error": "ErrorCode::ConnectionReadTimeout"}));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_port_nobody_listens_on_is_connection_refused() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let app = probe_with_http_port(port).await;
    let url = format!("http://127.0.0.1:{port}/");
    let body = json(
        app.get(&format!("/probe/http?url={url}&connect_ms=2000"))
            .await,
    )
    .await;
    assert_eq!(body, json!({"error": "ErrorCode::ConnectionRefused"}));
}

/// HTTPS is verified against the roots Spin trusts by default (webpki-roots, Mozilla's): a
/// server whose certificate no public CA signed fails the handshake with
/// `TLS-protocol-error` (spinframework/spin v3.6.3 crates/factor-outbound-http/src/wasi.rs,
/// `connect_tls`), and the request never reaches it.
#[tokio::test]
async fn an_https_server_with_a_certificate_no_public_ca_signed_is_refused() {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()])
        .expect("a self-signed certificate");
    let key = rustls::pki_types::PrivateKeyDer::try_from(certified.signing_key.serialize_der())
        .expect("its key");
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)
    .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let handshakes = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let completed = handshakes.clone();
    let server = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            if acceptor.accept(stream).await.is_ok() {
                completed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
    });
    let app = probe_builder()
        .variable("https_port", &port.to_string())
        .spawn()
        .await;
    let url = format!("https://127.0.0.1:{port}/");
    let body = json(
        app.get(&format!("/probe/http?url={url}&connect_ms=2000"))
            .await,
    )
    .await;
    assert_eq!(body, json!({"error": "ErrorCode::TlsProtocolError"}));
    assert_eq!(handshakes.load(std::sync::atomic::Ordering::SeqCst), 0);
    server.abort();
}

// ---- the key-value store (Spin 3.6.3's `default`; see host/src/kv.rs)

#[tokio::test]
async fn the_default_key_value_store_keeps_values_across_requests() {
    let app = probe_builder().spawn().await;
    let kv = |query: &str| {
        let app = &app;
        let query = query.to_string();
        async move { json(app.get(&format!("/probe/kv?{query}")).await).await }
    };
    assert_eq!(kv("op=get&key=k").await, json!({"value": null}));
    assert_eq!(kv("op=exists&key=k").await, json!({"exists": false}));
    assert_eq!(kv("op=set&key=k&value=one").await, json!({"ok": true}));
    assert_eq!(kv("op=get&key=k").await, json!({"value": "one"}));
    assert_eq!(kv("op=set&key=k&value=two").await, json!({"ok": true}));
    assert_eq!(kv("op=set&key=j&value=x").await, json!({"ok": true}));
    assert_eq!(kv("op=keys").await, json!({"keys": ["j", "k"]}));
    assert_eq!(kv("op=delete&key=k").await, json!({"ok": true}));
    assert_eq!(
        kv("op=delete&key=k").await,
        json!({"ok": true}),
        "deleting nothing is fine"
    );
    assert_eq!(kv("op=get&key=k").await, json!({"value": null}));
}

#[tokio::test]
async fn a_store_the_component_does_not_list_is_access_denied_and_an_unknown_label_too() {
    let app = probe_builder().spawn().await;
    // probe-closed lists no key_value_stores.
    let closed = json(app.get("/closed/kv?op=get&key=k").await).await;
    assert_eq!(closed, json!({"error": "access-denied"}));
    // A label the component does not list (Spin checks the component's list first).
    let other = json(app.get("/probe/kv?op=get&key=k&label=cache").await).await;
    assert_eq!(other, json!({"error": "access-denied"}));
}

#[tokio::test]
async fn an_instance_opens_at_most_256_stores_and_a_dropped_one_frees_its_place() {
    let app = probe_builder().spawn().await;
    let many = json(app.get("/probe/kv?op=open-many&n=300").await).await;
    assert_eq!(
        many,
        json!({"opened": 256, "then": {"error": "store-table-full"}})
    );
    let fits = json(app.get("/probe/kv?op=open-many&n=256").await).await;
    assert_eq!(fits, json!({"opened": 256, "reopened_after_drop": true}));
}

#[tokio::test]
async fn a_manifest_naming_a_store_without_runtime_config_is_refused_at_load() {
    e2e::require_devhost!("parses manifests with devhost::manifest");
    let text = std::fs::read_to_string(e2e::workspace_root().join("tests/fixtures/probe.toml"))
        .expect("probe.toml");
    let cache = text.replacen(
        "key_value_stores = [\"default\"]",
        "key_value_stores = [\"default\", \"cache\"]",
        1,
    );
    assert_ne!(cache, text);
    let err = devhost::manifest::Manifest::parse(&cache).expect_err("an unknown label");
    let chain = devhost::error_chain(&err);
    assert!(
        chain.contains("unknown key_value_stores label \"cache\""),
        "{chain}"
    );
    assert!(devhost::manifest::Manifest::parse(&text).is_ok());
}
