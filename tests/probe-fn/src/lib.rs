//! Test-only component (never deployed): exposes what the host gives a component so the
//! e2e tests can check routing headers, variables, file mounts, traps, slow guests, the
//! PostgreSQL type mapping, `allowed_outbound_hosts` and the key-value store.

use serde_json::{Value, json};
use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::http_component;
use spin_sdk::key_value::{Error as KvError, Store};
use spin_sdk::pg4::{Connection, DbValue, ParameterValue};
use spin_sdk::variables;

fn json_response(status: u16, body: Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build()
}

fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query().split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// `{"t": "int32", "v": 5}` → `ParameterValue::Int32(5)`; unknown shapes become `DbNull`.
fn parameter(p: &Value) -> ParameterValue {
    let v = &p["v"];
    match p["t"].as_str().unwrap_or("null") {
        "bool" => ParameterValue::Boolean(v.as_bool().unwrap_or_default()),
        "int16" => ParameterValue::Int16(v.as_i64().unwrap_or_default() as i16),
        "int32" => ParameterValue::Int32(v.as_i64().unwrap_or_default() as i32),
        "int64" => ParameterValue::Int64(v.as_i64().unwrap_or_default()),
        "float64" => ParameterValue::Floating64(v.as_f64().unwrap_or_default()),
        "str" => ParameterValue::Str(v.as_str().unwrap_or_default().to_string()),
        "uuid" => ParameterValue::Uuid(v.as_str().unwrap_or_default().to_string()),
        "jsonb" => ParameterValue::Jsonb(v.to_string().into_bytes()),
        "decimal" => ParameterValue::Decimal(v.as_str().unwrap_or_default().to_string()),
        "timestamp" => ParameterValue::Timestamp(v.as_i64().unwrap_or_default()),
        "array_str" => ParameterValue::ArrayStr(
            v.as_array()
                .map(|a| a.iter().map(|s| s.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
        ),
        _ => ParameterValue::DbNull,
    }
}

fn run_sql(body: &[u8]) -> Value {
    let Ok(input) = serde_json::from_slice::<Value>(body) else {
        return json!({"error": "body must be JSON"});
    };
    let address = match input["address"].as_str() {
        Some(a) => a.to_string(),
        None => match variables::get("db_url") {
            Ok(url) => url,
            Err(e) => return json!({"error": format!("{e:?}")}),
        },
    };
    let conn = match Connection::open(&address) {
        Ok(c) => c,
        Err(e) => return json!({"error": format!("{e:?}")}),
    };
    let params: Vec<ParameterValue> = input["params"]
        .as_array()
        .map(|ps| ps.iter().map(parameter).collect())
        .unwrap_or_default();
    let sql = input["sql"].as_str().unwrap_or_default();
    if input["execute"].as_bool().unwrap_or(false) {
        return match conn.execute(sql, &params) {
            Ok(n) => json!({"affected": n}),
            Err(e) => json!({"error": format!("{e:?}")}),
        };
    }
    match conn.query(sql, &params) {
        Ok(set) => json!({
            "columns": set.columns.iter().map(|c| json!({"name": c.name, "type": format!("{:?}", c.data_type)})).collect::<Vec<_>>(),
            "rows": set.rows.iter().map(|r| r.iter().map(|v: &DbValue| format!("{v:?}")).collect::<Vec<_>>()).collect::<Vec<_>>(),
        }),
        Err(e) => json!({"error": format!("{e:?}")}),
    }
}

fn kv_error(e: &KvError) -> Value {
    json!({"error": match e {
        KvError::StoreTableFull => "store-table-full".to_string(),
        KvError::NoSuchStore => "no-such-store".to_string(),
        KvError::AccessDenied => "access-denied".to_string(),
        KvError::Other(m) => format!("other: {m}"),
    }})
}

/// `?op=get|set|delete|exists|keys|open-many&label=default&key=k&value=v&n=300`: one
/// operation on the key-value store; `open-many` opens `n` stores at once and says how
/// many opened before the first error, and that error.
fn key_value(req: &Request) -> Value {
    let label = query_param(req, "label").unwrap_or_else(|| "default".into());
    let key = query_param(req, "key").unwrap_or_default();
    let op = query_param(req, "op").unwrap_or_default();
    if op == "open-many" {
        let n: usize = query_param(req, "n")
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        let mut open = Vec::new();
        for _ in 0..n {
            match Store::open(&label) {
                Ok(store) => open.push(store),
                Err(e) => return json!({"opened": open.len(), "then": kv_error(&e)}),
            }
        }
        drop(open);
        let again = Store::open(&label).is_ok();
        return json!({"opened": n, "reopened_after_drop": again});
    }
    let store = match Store::open(&label) {
        Ok(store) => store,
        Err(e) => return kv_error(&e),
    };
    let result = match op.as_str() {
        "get" => store
            .get(&key)
            .map(|v| json!({"value": v.map(|b| String::from_utf8_lossy(&b).into_owned())})),
        "set" => store
            .set(
                &key,
                query_param(req, "value").unwrap_or_default().as_bytes(),
            )
            .map(|()| json!({"ok": true})),
        "delete" => store.delete(&key).map(|()| json!({"ok": true})),
        "exists" => store.exists(&key).map(|e| json!({"exists": e})),
        "keys" => store.get_keys().map(|k| json!({"keys": k})),
        _ => return json!({"error": "unknown op"}),
    };
    result.unwrap_or_else(|e| kv_error(&e))
}

#[http_component]
fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    let path_info = req
        .header("spin-path-info")
        .and_then(|h| h.as_str())
        .unwrap_or_default()
        .to_string();
    Ok(match path_info.as_str() {
        "/headers" => {
            let headers: serde_json::Map<String, Value> = req
                .headers()
                .filter(|(k, _)| k.starts_with("spin-"))
                .map(|(k, v)| (k.to_string(), json!(v.as_str().unwrap_or_default())))
                .collect();
            json_response(200, Value::Object(headers))
        }
        "/var" => {
            let name = query_param(&req, "name").unwrap_or_default();
            match variables::get(&name) {
                Ok(value) => json_response(200, json!({"value": value})),
                Err(e) => json_response(200, json!({"error": format!("{e:?}")})),
            }
        }
        "/file" => {
            let path = query_param(&req, "path").unwrap_or_default();
            let read = std::fs::read_to_string(&path);
            let write = std::fs::write(&path, "overwritten");
            json_response(
                200,
                json!({
                    "content": read.as_ref().ok(),
                    "read_error": read.as_ref().err().map(|e| e.to_string()),
                    "write_ok": write.is_ok(),
                }),
            )
        }
        "/env" => {
            let name = query_param(&req, "name").unwrap_or_default();
            json_response(200, json!({"value": std::env::var(name).ok()}))
        }
        "/sql" => json_response(200, run_sql(req.body())),
        "/kv" => json_response(200, key_value(&req)),
        "/slow" => {
            let ms = query_param(&req, "ms")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1000u64);
            std::thread::sleep(std::time::Duration::from_millis(ms));
            json_response(200, json!({"slept_ms": ms}))
        }
        "/busy" => {
            // Computes without calling the host until `ms` have passed.
            let ms = query_param(&req, "ms")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1000u64);
            let started = std::time::Instant::now();
            let mut x = 0u64;
            while started.elapsed() < std::time::Duration::from_millis(ms) {
                for i in 0..10_000u64 {
                    x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
                }
            }
            json_response(200, json!({"busy_ms": ms, "x": x % 7}))
        }
        "/grow" => {
            // Grows linear memory by `mib` MiB without touching it (no resident memory is
            // used): tells whether the host's per-instance limit allows that much.
            let mib: usize = query_param(&req, "mib")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            json_response(200, json!({"grown": grow_memory(mib * 16)}))
        }
        "/http" => json_response(200, outbound(&req)),
        "/trap" => panic!("probe asked to trap"),
        "/loop-alloc" => {
            // Grows memory until the host's limit stops it: must trap, not take the host down.
            let mut blocks: Vec<Vec<u8>> = Vec::new();
            loop {
                blocks.push(vec![1u8; 16 << 20]);
            }
        }
        _ => json_response(
            404,
            json!({"error": "unknown probe", "path_info": path_info}),
        ),
    })
}

/// `GET <url>` sent outbound: with spin-sdk's `send` (no request options, the host's
/// default timeouts), or with `first_byte_ms`/`connect_ms` through the wasi:http bindings
/// with those timeouts. Reports `{"status", "body"}` or `{"error"}` (Debug of the error).
fn outbound(req: &Request) -> Value {
    let url = query_param(req, "url").unwrap_or_default();
    let first_byte = query_param(req, "first_byte_ms").and_then(|v| v.parse::<u64>().ok());
    let connect = query_param(req, "connect_ms").and_then(|v| v.parse::<u64>().ok());
    if first_byte.is_none() && connect.is_none() {
        let request = Request::get(url);
        let sent: Result<Response, _> =
            spin_sdk::http::run(async move { spin_sdk::http::send(request).await });
        return match sent {
            Ok(response) => json!({
                "status": response.status(),
                "body": String::from_utf8_lossy(response.body()),
            }),
            Err(e) => json!({"error": format!("{e:?}")}),
        };
    }
    with_timeouts(&url, connect, first_byte)
}

fn with_timeouts(url: &str, connect_ms: Option<u64>, first_byte_ms: Option<u64>) -> Value {
    use spin_sdk::http::{Fields, Method, OutgoingRequest, Scheme};
    use spin_sdk::wit::wasi::http0_2_0::{outgoing_handler, types::RequestOptions};
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let request = OutgoingRequest::new(Fields::new());
    let _ = request.set_method(&Method::Get);
    let _ = request.set_scheme(Some(&if scheme == "https" {
        Scheme::Https
    } else {
        Scheme::Http
    }));
    let _ = request.set_authority(Some(authority));
    let _ = request.set_path_with_query(Some(if path.is_empty() { "/" } else { path }));
    let options = RequestOptions::new();
    let _ = options.set_connect_timeout(connect_ms.map(|ms| ms * 1_000_000));
    let _ = options.set_first_byte_timeout(first_byte_ms.map(|ms| ms * 1_000_000));
    let future = match outgoing_handler::handle(request, Some(options)) {
        Ok(future) => future,
        Err(e) => return json!({"error": format!("{e:?}"), "when": "handle"}),
    };
    future.subscribe().block();
    match future.get() {
        Some(Ok(Ok(response))) => json!({"status": response.status()}),
        Some(Ok(Err(code))) => json!({"error": format!("{code:?}")}),
        other => json!({"error": format!("{other:?}")}),
    }
}

/// `memory.grow` by `pages` 64 KiB pages; false when the host refuses.
#[cfg(target_arch = "wasm32")]
fn grow_memory(pages: usize) -> bool {
    core::arch::wasm32::memory_grow(0, pages) != usize::MAX
}

#[cfg(not(target_arch = "wasm32"))]
fn grow_memory(_pages: usize) -> bool {
    false
}
