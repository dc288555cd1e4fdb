//! docs/openapi.yaml cannot drift from the API: every endpoint is exercised through the real
//! components, and each real response is validated against the spec (the status code is
//! documented for the operation, the content type is documented for that status, the
//! documented headers are there and valid, and the body is valid against the schema after
//! resolving its `$ref`s). A last test compares the spec's operations and status codes with
//! [`PROVOKED`]: adding an endpoint or a status to the spec without a test here fails it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use e2e::api::{id_of, new_request_id, new_visitor, order_body, version_of};
use e2e::{TestApp, app_builder, spawn_app};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Map, Value, json};

// The tests that provoke the statuses (each asserts at its end that it provoked its share).
const VISITOR: &str = "visitor";
const BAR: &str = "bar";
const PUBLIC: &str = "public";
const NO_DATABASE: &str = "no database";
const UNMIGRATED: &str = "unmigrated";
const PUSH: &str = "push";

/// Every (operation, documented status) of the spec and the test that provokes it. A status
/// with several causes (503: no database, not migrated, no bar token) is listed once per
/// test that provokes it.
const PROVOKED: &[(&str, u16, &str)] = &[
    ("placeOrder", 200, VISITOR),
    ("placeOrder", 201, VISITOR),
    ("placeOrder", 400, VISITOR),
    ("placeOrder", 409, VISITOR),
    ("placeOrder", 413, VISITOR),
    ("placeOrder", 415, VISITOR),
    ("placeOrder", 422, VISITOR),
    ("placeOrder", 503, NO_DATABASE),
    ("placeOrder", 503, UNMIGRATED),
    ("cancelOrder", 200, VISITOR),
    ("cancelOrder", 400, VISITOR),
    ("cancelOrder", 404, VISITOR),
    ("cancelOrder", 409, VISITOR),
    ("cancelOrder", 503, NO_DATABASE),
    ("cancelOrder", 503, UNMIGRATED),
    ("getMine", 200, VISITOR),
    ("getMine", 400, VISITOR),
    ("getMine", 503, NO_DATABASE),
    ("getMine", 503, UNMIGRATED),
    ("purgeOrders", 200, BAR),
    ("purgeOrders", 400, BAR),
    ("purgeOrders", 401, BAR),
    ("purgeOrders", 503, BAR),
    ("purgeOrders", 503, UNMIGRATED),
    ("setOrderStatus", 200, BAR),
    ("setOrderStatus", 400, BAR),
    ("setOrderStatus", 401, BAR),
    ("setOrderStatus", 404, BAR),
    ("setOrderStatus", 409, BAR),
    ("setOrderStatus", 413, BAR),
    ("setOrderStatus", 415, BAR),
    ("setOrderStatus", 422, BAR),
    ("setOrderStatus", 503, BAR),
    ("setOrderStatus", 503, UNMIGRATED),
    ("undoOrderStatus", 200, BAR),
    ("undoOrderStatus", 400, BAR),
    ("undoOrderStatus", 401, BAR),
    ("undoOrderStatus", 404, BAR),
    ("undoOrderStatus", 409, BAR),
    ("undoOrderStatus", 413, BAR),
    ("undoOrderStatus", 415, BAR),
    ("undoOrderStatus", 422, BAR),
    ("undoOrderStatus", 503, BAR),
    ("undoOrderStatus", 503, UNMIGRATED),
    ("setOrdersStatus", 200, BAR),
    ("setOrdersStatus", 400, BAR),
    ("setOrdersStatus", 401, BAR),
    ("setOrdersStatus", 413, BAR),
    ("setOrdersStatus", 415, BAR),
    ("setOrdersStatus", 422, BAR),
    ("setOrdersStatus", 503, BAR),
    ("setOrdersStatus", 503, UNMIGRATED),
    ("updateDrink", 200, BAR),
    ("updateDrink", 400, BAR),
    ("updateDrink", 401, BAR),
    ("updateDrink", 404, BAR),
    ("updateDrink", 413, BAR),
    ("updateDrink", 415, BAR),
    ("updateDrink", 422, BAR),
    ("updateDrink", 503, BAR),
    ("updateDrink", 503, UNMIGRATED),
    ("updateEvent", 200, BAR),
    ("updateEvent", 400, BAR),
    ("updateEvent", 401, BAR),
    ("updateEvent", 413, BAR),
    ("updateEvent", 415, BAR),
    ("updateEvent", 422, BAR),
    ("updateEvent", 503, BAR),
    ("updateEvent", 503, UNMIGRATED),
    ("createDrink", 201, BAR),
    ("createDrink", 400, BAR),
    ("createDrink", 401, BAR),
    ("createDrink", 409, BAR),
    ("createDrink", 413, BAR),
    ("createDrink", 415, BAR),
    ("createDrink", 422, BAR),
    ("createDrink", 503, BAR),
    ("createDrink", 503, UNMIGRATED),
    ("setDrinkPicture", 200, BAR),
    ("setDrinkPicture", 401, BAR),
    ("setDrinkPicture", 404, BAR),
    ("setDrinkPicture", 413, BAR),
    ("setDrinkPicture", 415, BAR),
    ("setDrinkPicture", 422, BAR),
    ("setDrinkPicture", 503, BAR),
    ("setDrinkPicture", 503, UNMIGRATED),
    ("clearDrinkPicture", 200, BAR),
    ("clearDrinkPicture", 401, BAR),
    ("clearDrinkPicture", 404, BAR),
    ("clearDrinkPicture", 503, BAR),
    ("clearDrinkPicture", 503, UNMIGRATED),
    ("getPicture", 200, BAR),
    ("getPicture", 304, BAR),
    ("getPicture", 404, BAR),
    ("getPicture", 503, NO_DATABASE),
    ("getPicture", 503, UNMIGRATED),
    ("getEventKey", 200, BAR),
    ("getEventKey", 401, BAR),
    ("getEventKey", 503, BAR),
    ("getEventKey", 503, UNMIGRATED),
    ("getEventWords", 200, BAR),
    ("getEventWords", 401, BAR),
    ("getEventWords", 503, BAR),
    ("getEventWords", 503, UNMIGRATED),
    ("hideName", 200, BAR),
    ("hideName", 401, BAR),
    ("hideName", 404, BAR),
    ("hideName", 503, BAR),
    ("hideName", 503, UNMIGRATED),
    ("showName", 200, BAR),
    ("showName", 401, BAR),
    ("showName", 404, BAR),
    ("showName", 503, BAR),
    ("showName", 503, UNMIGRATED),
    ("placeOrder", 403, BAR),
    ("getQueue", 200, BAR),
    ("getQueue", 400, BAR),
    ("getQueue", 401, BAR),
    ("getQueue", 503, BAR),
    ("getQueue", 503, UNMIGRATED),
    ("getStats", 200, BAR),
    ("getStats", 400, BAR),
    ("getStats", 401, BAR),
    ("getStats", 503, BAR),
    ("getStats", 503, UNMIGRATED),
    ("getMenu", 200, PUBLIC),
    ("getMenu", 304, PUBLIC),
    ("getMenu", 503, NO_DATABASE),
    ("getMenu", 503, UNMIGRATED),
    ("getHealth", 200, PUBLIC),
    ("getHealth", 503, UNMIGRATED),
    ("getFeed", 200, PUBLIC),
    ("getFeed", 304, PUBLIC),
    ("getFeed", 400, PUBLIC),
    ("getFeed", 503, NO_DATABASE),
    ("getFeed", 503, UNMIGRATED),
    ("getBoard", 200, PUBLIC),
    ("getBoard", 304, PUBLIC),
    ("getBoard", 400, PUBLIC),
    ("getBoard", 503, NO_DATABASE),
    ("getBoard", 503, UNMIGRATED),
    ("getVisit", 200, PUBLIC),
    ("getVisit", 304, PUBLIC),
    ("getVisit", 400, PUBLIC),
    ("getVisit", 503, NO_DATABASE),
    ("getVisit", 503, UNMIGRATED),
    ("getPushKey", 200, PUSH),
    ("getPushKey", 503, PUSH),
    ("subscribePush", 204, PUSH),
    ("subscribePush", 400, PUSH),
    ("subscribePush", 404, PUSH),
    ("subscribePush", 413, PUSH),
    ("subscribePush", 415, PUSH),
    ("subscribePush", 422, PUSH),
    ("subscribePush", 503, PUSH),
    ("unsubscribePush", 204, PUSH),
    ("unsubscribePush", 400, PUSH),
    ("unsubscribePush", 404, PUSH),
    ("unsubscribePush", 503, NO_DATABASE),
    ("unsubscribePush", 503, UNMIGRATED),
];

/// Documented statuses no test can provoke through the real app, and why.
const NOT_PROVOKED: &[(&str, u16, &str)] = &[
    ("placeOrder", 500, BUG),
    ("cancelOrder", 500, BUG),
    ("getMine", 500, BUG),
    ("purgeOrders", 500, BUG),
    ("setOrderStatus", 500, BUG),
    ("setOrdersStatus", 500, BUG),
    ("undoOrderStatus", 500, BUG),
    ("updateDrink", 500, BUG),
    ("updateEvent", 500, BUG),
    ("getEventKey", 500, BUG),
    ("createDrink", 500, BUG),
    ("setDrinkPicture", 500, BUG),
    ("clearDrinkPicture", 500, BUG),
    ("getPicture", 500, BUG),
    ("getQueue", 500, BUG),
    ("getStats", 500, BUG),
    ("getMenu", 500, BUG),
    ("getHealth", 500, BUG),
    ("getFeed", 500, BUG),
    ("getBoard", 500, BUG),
    ("getVisit", 500, BUG),
    ("getEventWords", 500, BUG),
    ("hideName", 500, BUG),
    ("showName", 500, BUG),
    ("getPushKey", 500, BUG),
    ("subscribePush", 500, BUG),
    ("unsubscribePush", 500, BUG),
];

/// Why no test provokes a 500: every failure the suite can cause (no database, an
/// unmigrated one, bad input) has its own 4xx/503; `internal` is left for a bug.
const BUG: &str = "every failure the suite can cause has its own answer; 500 is left for a bug";

// ---------------------------------------------------------------------------------------
// The spec and the validator
// ---------------------------------------------------------------------------------------

static SPEC: LazyLock<Value> = LazyLock::new(|| {
    let path = e2e::workspace_root().join("docs/openapi.yaml");
    let text = std::fs::read_to_string(&path).expect("docs/openapi.yaml");
    serde_norway::from_str(&text).expect("docs/openapi.yaml is valid YAML")
});

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Inlines every local `$ref` (the spec has no cycles; a `$ref` with siblings becomes an
/// `allOf`, as in JSON Schema 2020-12).
fn resolve(value: &Value) -> Value {
    fn go(value: &Value, depth: usize) -> Value {
        assert!(depth < 64, "$ref nesting too deep (a cycle?)");
        match value {
            Value::Object(map) => {
                let mut out: Map<String, Value> = map
                    .iter()
                    .filter(|(k, _)| *k != "$ref")
                    .map(|(k, v)| (k.clone(), go(v, depth)))
                    .collect();
                let Some(reference) = map.get("$ref") else {
                    return Value::Object(out);
                };
                let reference = reference.as_str().expect("$ref is a string");
                let pointer = reference
                    .strip_prefix('#')
                    .unwrap_or_else(|| panic!("only local $refs are used: {reference}"));
                let target = SPEC
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("$ref {reference} points nowhere"));
                let target = go(target, depth + 1);
                if out.is_empty() {
                    return target;
                }
                out.insert("allOf".into(), json!([target]));
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| go(v, depth)).collect()),
            other => other.clone(),
        }
    }
    go(value, 0)
}

/// Validates `instance` against a (resolved) JSON Schema 2020-12; panics with every error.
fn assert_valid(schema: &Value, instance: &Value, what: &str) {
    let validator = compile(schema, what);
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("  at {}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: not valid against docs/openapi.yaml:\n{}\ninstance: {instance:#}",
        errors.join("\n")
    );
}

/// A response that passed validation, for the test to look at further.
struct Checked {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
    /// The body as JSON (Null when it is not JSON).
    json: Value,
}

impl Checked {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `type` of a problem answer.
    fn problem_type(&self) -> &str {
        self.json["type"].as_str().unwrap_or("")
    }
}

/// Records what a test validated, so it can assert it provoked its share of [`PROVOKED`].
#[derive(Default)]
struct Coverage {
    seen: BTreeSet<(String, u16)>,
}

impl Coverage {
    /// Validates `response` as an answer of `method template` (e.g. `PATCH
    /// /api/orders/{id}`) and records it.
    async fn check(
        &mut self,
        method: Method,
        template: &str,
        response: reqwest::Response,
    ) -> Checked {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("response body").to_vec();
        let what = format!("{method} {template} → {status}");
        let path = SPEC["paths"]
            .get(template)
            .unwrap_or_else(|| panic!("{what}: path not in the spec"));
        let operation = path
            .get(method.as_str().to_ascii_lowercase())
            .unwrap_or_else(|| panic!("{what}: method not in the spec"));
        let id = operation["operationId"]
            .as_str()
            .expect("every operation has an operationId");
        let documented = operation["responses"]
            .get(status.to_string())
            .unwrap_or_else(|| {
                panic!(
                    "{what}: status {status} is not documented for {id} (body: {})",
                    String::from_utf8_lossy(&body)
                )
            });
        let checked = validate_response(&what, &resolve(documented), status, headers, body);
        self.seen.insert((id.to_string(), status));
        checked
    }

    /// Sends the request and validates the answer.
    async fn send(&mut self, template: &str, request: reqwest::RequestBuilder) -> Checked {
        let (client, request) = request.build_split();
        let request = request.expect("request builds");
        let method = request.method().clone();
        let response = client.execute(request).await.expect("request is answered");
        self.check(method, template, response).await
    }

    /// Every (operation, status) that [`PROVOKED`] assigns to `group` was validated.
    fn assert_provoked(&self, group: &str) {
        let missing: Vec<String> = PROVOKED
            .iter()
            .filter(|(_, _, g)| *g == group)
            .filter(|(id, status, _)| !self.seen.contains(&(id.to_string(), *status)))
            .map(|(id, status, _)| format!("{id} {status}"))
            .collect();
        assert!(
            missing.is_empty(),
            "the {group} test did not provoke: {missing:?}"
        );
    }
}

/// Checks one response against its documented response object (resolved).
fn validate_response(
    what: &str,
    documented: &Value,
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
) -> Checked {
    // Headers: the required ones are there, every documented one present is valid.
    if let Some(spec_headers) = documented.get("headers").and_then(Value::as_object) {
        for (name, header) in spec_headers {
            let value = headers.get(name.as_str()).map(|v| {
                v.to_str()
                    .unwrap_or_else(|_| panic!("{what}: header {name} is not ASCII"))
            });
            let Some(value) = value else {
                assert!(
                    header["required"] != json!(true),
                    "{what}: required header {name} is missing"
                );
                continue;
            };
            let schema = &header["schema"];
            let instance = if schema["type"] == "integer" {
                value.parse::<i64>().map(Value::from).unwrap_or_else(|_| {
                    panic!("{what}: header {name}: {value:?} is not an integer")
                })
            } else {
                Value::String(value.to_string())
            };
            assert_valid(schema, &instance, &format!("{what}: header {name}"));
        }
    }
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut parsed = Value::Null;
    match documented.get("content").and_then(Value::as_object) {
        None => assert!(
            body.is_empty(),
            "{what}: no body is documented, got {}",
            String::from_utf8_lossy(&body)
        ),
        Some(content) => {
            let content_type =
                content_type.unwrap_or_else(|| panic!("{what}: no Content-Type header"));
            let essence = content_type
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            let media = content.get(&essence).unwrap_or_else(|| {
                panic!(
                    "{what}: Content-Type {content_type} is not documented (documented: {:?})",
                    content.keys().collect::<Vec<_>>()
                )
            });
            let text = || {
                String::from_utf8(body.clone())
                    .unwrap_or_else(|_| panic!("{what}: the body is not UTF-8"))
            };
            let instance = if essence.ends_with("json") {
                let text = text();
                parsed = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{what}: body is not JSON ({e}): {text}"));
                parsed.clone()
            } else if essence.starts_with("image/") {
                // Binary: the bytes must be what the type says (a picture's signature).
                assert_eq!(
                    drinks_core::picture::PictureType::sniff(&body).map(|t| t.mime()),
                    Some(essence.as_str()),
                    "{what}: the body is a {essence}"
                );
                Value::String(String::new())
            } else {
                Value::String(text())
            };
            assert_valid(&media["schema"], &instance, &format!("{what}: body"));
        }
    }
    let checked = Checked {
        status,
        headers,
        body,
        json: parsed,
    };
    // What the schema cannot say: a problem repeats the HTTP status, and the problems a
    // client should retry say when.
    if checked
        .header("content-type")
        .is_some_and(|ct| ct.starts_with("application/problem+json"))
    {
        assert_eq!(
            checked.json["status"],
            json!(status),
            "{what}: problem status"
        );
        let retry = [
            "/problems/database-unavailable",
            "/problems/not-migrated",
            "/problems/busy",
        ];
        if retry.contains(&checked.problem_type()) {
            assert!(
                checked.header("retry-after").is_some(),
                "{what}: {} without Retry-After",
                checked.problem_type()
            );
        }
    }
    checked
}

/// The methods the spec lists for a path, upper-case.
fn spec_methods(template: &str) -> BTreeSet<String> {
    SPEC["paths"][template]
        .as_object()
        .unwrap_or_else(|| panic!("{template} is in the spec"))
        .keys()
        .filter(|k| METHODS.contains(&k.as_str()))
        .map(|k| k.to_ascii_uppercase())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------

fn post_order(app: &TestApp, body: &Value) -> reqwest::RequestBuilder {
    app.http.post(app.url("/api/orders")).json(body)
}

/// A JSON body of more than 16 KiB.
fn oversized_json() -> Value {
    json!({"status": "ready", "version": 1, "padding": "x".repeat(17 * 1024)})
}

/// Polls `GET /api/feed?tail=50` (validating every answer) until an event satisfies `want`.
async fn tail_until(app: &TestApp, cov: &mut Coverage, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = cov
            .send("/api/feed", app.http.get(app.url("/api/feed?tail=50")))
            .await;
        assert_eq!(page.status, 200);
        if let Some(event) = page.json["events"]
            .as_array()
            .and_then(|events| events.iter().find(|e| want(e)))
        {
            return event.clone();
        }
        assert!(
            Instant::now() < deadline,
            "event not in the feed: {}",
            page.json
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn visitor_endpoints_answer_as_the_spec_documents() {
    let app = spawn_app().await;
    let mut cov = Coverage::default();
    let ana = new_visitor();
    let orders = "/api/orders";
    let order = "/api/orders/{id}";

    // Place (201), change (200), replay (200).
    let first = new_request_id();
    let placed = cov
        .send(
            orders,
            post_order(&app, &order_body(&ana, "Ana", "tea", &first)),
        )
        .await;
    assert_eq!(placed.status, 201);
    let changed = cov
        .send(
            orders,
            post_order(&app, &order_body(&ana, "Ana", "water", &new_request_id())),
        )
        .await;
    assert_eq!(
        (changed.status, changed.json["drink"].clone()),
        (200, json!("water"))
    );
    let replay = cov
        .send(
            orders,
            post_order(&app, &order_body(&ana, "Ana", "tea", &first)),
        )
        .await;
    assert_eq!(replay.status, 200);

    // 409: request id of another visitor, sold out, order in progress.
    let reused = cov
        .send(
            orders,
            post_order(&app, &order_body(&new_visitor(), "Bo", "tea", &first)),
        )
        .await;
    assert_eq!(
        (reused.status, reused.problem_type()),
        (409, "/problems/request-id-reused")
    );
    let sold_out = cov
        .send(
            orders,
            post_order(
                &app,
                &order_body(&new_visitor(), "Bo", "beer", &new_request_id()),
            ),
        )
        .await;
    assert_eq!(
        (sold_out.status, sold_out.problem_type()),
        (409, "/problems/sold-out")
    );
    let id = id_of(&placed.json);
    let preparing = cov
        .send(
            order,
            app.bar(Method::PATCH, &format!("/api/orders/{id}"))
                .json(&json!({"status": "preparing", "version": version_of(&changed.json)})),
        )
        .await;
    assert_eq!(preparing.status, 200);
    let in_progress = cov
        .send(
            orders,
            post_order(&app, &order_body(&ana, "Ana", "tea", &new_request_id())),
        )
        .await;
    assert_eq!(
        (in_progress.status, in_progress.problem_type()),
        (409, "/problems/order-in-progress")
    );

    // 400, 413, 415, 422.
    let malformed = cov
        .send(
            orders,
            app.http
                .post(app.url(orders))
                .header("content-type", "application/json")
                .body("{\"visitor_id\":"),
        )
        .await;
    assert_eq!(malformed.status, 400);
    let not_object = cov
        .send(orders, post_order(&app, &json!(["visitor_id"])))
        .await;
    assert_eq!(not_object.status, 400);
    let too_large = cov.send(orders, post_order(&app, &oversized_json())).await;
    assert_eq!(too_large.status, 413);
    let wrong_type = cov
        .send(
            orders,
            app.http
                .post(app.url(orders))
                .header("content-type", "text/plain")
                .body(order_body(&new_visitor(), "Cy", "tea", &new_request_id()).to_string()),
        )
        .await;
    assert_eq!(wrong_type.status, 415);
    for (body, field) in [
        (
            order_body(&new_visitor(), "", "tea", &new_request_id()),
            "nickname",
        ),
        (
            order_body("nope", "Cy", "tea", &new_request_id()),
            "visitor_id",
        ),
        (
            order_body(&new_visitor(), "Cy", "Tea!", &new_request_id()),
            "drink",
        ),
        (order_body(&new_visitor(), "Cy", "tea", "1"), "request_id"),
        (
            json!({"visitor_id": new_visitor(), "nickname": 5, "drink": "tea", "request_id": new_request_id()}),
            "nickname",
        ),
        (
            json!({"nickname": "Cy", "drink": "tea", "request_id": new_request_id()}),
            "visitor_id",
        ),
    ] {
        let invalid = cov.send(orders, post_order(&app, &body)).await;
        assert_eq!(
            (invalid.status, invalid.json["field"].clone()),
            (422, json!(field))
        );
    }
    let unknown = cov
        .send(
            orders,
            post_order(
                &app,
                &order_body(&new_visitor(), "Cy", "mead", &new_request_id()),
            ),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.problem_type()),
        (422, "/problems/unknown-drink")
    );

    // Cancel: 409 while preparing, 200 when placed (and again, idempotent), 409 when
    // served, 404 for others and non-ids, 400 without the header.
    let cancel = |id: i64, visitor: &str| {
        app.http
            .delete(app.url(&format!("/api/orders/{id}")))
            .header("X-Visitor-Id", visitor)
    };
    let busy = cov.send(order, cancel(id, &ana)).await;
    assert_eq!(
        (busy.status, busy.problem_type()),
        (409, "/problems/order-in-progress")
    );
    let bo = new_visitor();
    let bos = cov
        .send(
            orders,
            post_order(&app, &order_body(&bo, "Bo", "espresso", &new_request_id())),
        )
        .await;
    let bos_id = id_of(&bos.json);
    let not_yours = cov.send(order, cancel(bos_id, &ana)).await;
    assert_eq!(
        (not_yours.status, not_yours.problem_type()),
        (404, "/problems/order-not-found")
    );
    let not_an_id = cov
        .send(
            order,
            app.http
                .delete(app.url("/api/orders/abc"))
                .header("X-Visitor-Id", &bo),
        )
        .await;
    assert_eq!(
        (not_an_id.status, not_an_id.problem_type()),
        (404, "/problems/not-found")
    );
    let cancelled = cov.send(order, cancel(bos_id, &bo)).await;
    assert_eq!(
        (cancelled.status, cancelled.json["status"].clone()),
        (200, json!("cancelled"))
    );
    let again = cov.send(order, cancel(bos_id, &bo)).await;
    assert_eq!(again.status, 200);
    let no_header = cov
        .send(
            order,
            app.http.delete(app.url(&format!("/api/orders/{bos_id}"))),
        )
        .await;
    assert_eq!(
        (no_header.status, no_header.problem_type()),
        (400, "/problems/invalid-header")
    );
    let mut current = preparing.json;
    for step in ["ready", "served"] {
        let moved = cov
            .send(
                order,
                app.bar(Method::PATCH, &format!("/api/orders/{id}"))
                    .json(&json!({"status": step, "version": version_of(&current)})),
            )
            .await;
        assert_eq!(moved.status, 200);
        current = moved.json;
    }
    let closed = cov.send(order, cancel(id, &ana)).await;
    assert_eq!(
        (closed.status, closed.problem_type()),
        (409, "/problems/order-closed")
    );

    // Mine: 200 with orders, 400 without or with a bad header.
    let mine = cov
        .send(
            "/api/mine",
            app.http
                .get(app.url("/api/mine"))
                .header("X-Visitor-Id", &ana),
        )
        .await;
    assert_eq!(mine.status, 200);
    assert_eq!(mine.json["orders"].as_array().map(Vec::len), Some(1));
    for bad in [None, Some("not-a-uuid")] {
        let mut request = app.http.get(app.url("/api/mine"));
        if let Some(value) = bad {
            request = request.header("X-Visitor-Id", value);
        }
        let refused = cov.send("/api/mine", request).await;
        assert_eq!(refused.status, 400);
    }

    cov.assert_provoked(VISITOR);
}

#[tokio::test]
async fn bar_endpoints_answer_as_the_spec_documents() {
    let app = spawn_app().await;
    let mut cov = Coverage::default();
    let order = "/api/orders/{id}";
    let drink = "/api/drinks/{id}";
    let placed = cov
        .send(
            "/api/orders",
            post_order(
                &app,
                &order_body(&new_visitor(), "Ana", "tea", &new_request_id()),
            ),
        )
        .await;
    let id = id_of(&placed.json);
    let path = format!("/api/orders/{id}");

    // Status changes: 200 on each step, 409 stale version and illegal transition, 404, 400,
    // 413, 415, 422.
    let preparing = cov
        .send(
            order,
            app.bar(Method::PATCH, &path)
                .json(&json!({"status": "preparing", "version": 1})),
        )
        .await;
    assert_eq!(
        (preparing.status, preparing.json["version"].clone()),
        (200, json!(2))
    );
    let stale = cov
        .send(
            order,
            app.bar(Method::PATCH, &path)
                .json(&json!({"status": "ready", "version": 1})),
        )
        .await;
    assert_eq!(
        (stale.status, stale.problem_type()),
        (409, "/problems/version-conflict")
    );
    let illegal = cov
        .send(
            order,
            app.bar(Method::PATCH, &path)
                .json(&json!({"status": "placed", "version": 2})),
        )
        .await;
    assert_eq!(
        (illegal.status, illegal.problem_type()),
        (409, "/problems/illegal-transition")
    );
    let missing = cov
        .send(
            order,
            app.bar(Method::PATCH, "/api/orders/999999")
                .json(&json!({"status": "ready", "version": 1})),
        )
        .await;
    assert_eq!(
        (missing.status, missing.problem_type()),
        (404, "/problems/order-not-found")
    );
    let not_an_id = cov
        .send(
            order,
            app.bar(Method::PATCH, "/api/orders/0")
                .json(&json!({"status": "ready", "version": 1})),
        )
        .await;
    assert_eq!(
        (not_an_id.status, not_an_id.problem_type()),
        (404, "/problems/not-found")
    );
    let malformed = cov
        .send(
            order,
            app.bar(Method::PATCH, &path)
                .header("content-type", "application/json")
                .body("{"),
        )
        .await;
    assert_eq!(malformed.status, 400);
    let too_large = cov
        .send(order, app.bar(Method::PATCH, &path).json(&oversized_json()))
        .await;
    assert_eq!(too_large.status, 413);
    let wrong_type = cov
        .send(
            order,
            app.bar(Method::PATCH, &path)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("status=ready&version=2"),
        )
        .await;
    assert_eq!(wrong_type.status, 415);
    for body in [
        json!({"status": "done", "version": 2}),
        json!({"status": "ready", "version": 0}),
        json!({"status": "ready"}),
        json!({"version": 2}),
    ] {
        let invalid = cov
            .send(order, app.bar(Method::PATCH, &path).json(&body))
            .await;
        assert_eq!(invalid.status, 422, "{body}");
    }
    let ready = cov
        .send(
            order,
            app.bar(Method::PATCH, &path)
                .json(&json!({"status": "ready", "version": 2})),
        )
        .await;
    let served = cov
        .send(
            order,
            app.bar(Method::PATCH, &path)
                .json(&json!({"status": "served", "version": version_of(&ready.json)})),
        )
        .await;
    assert_eq!(served.json["status"], "served");
    let other = cov
        .send(
            "/api/orders",
            post_order(
                &app,
                &order_body(&new_visitor(), "Bo", "water", &new_request_id()),
            ),
        )
        .await;
    let cancelled = cov
        .send(
            order,
            app.bar(
                Method::PATCH,
                &format!("/api/orders/{}", id_of(&other.json)),
            )
            .json(&json!({"status": "cancelled", "version": 1})),
        )
        .await;
    assert_eq!(cancelled.json["status"], "cancelled");

    // Drinks: 200 (switch, stock, both, unlimited), 404 unknown and not an id, 400, 413,
    // 415, 422; the change is a `drink` event in the feed.
    for body in [
        json!({"available": true}),
        json!({"stock": 3}),
        json!({"available": false, "stock": 0}),
        json!({"stock": null}),
    ] {
        let changed = cov
            .send(
                drink,
                app.bar(Method::PATCH, "/api/drinks/beer").json(&body),
            )
            .await;
        assert_eq!(changed.status, 200, "{body}");
    }
    tail_until(&app, &mut cov, |e| e["kind"] == "drink").await;
    let unknown = cov
        .send(
            drink,
            app.bar(Method::PATCH, "/api/drinks/mead")
                .json(&json!({"available": true})),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.problem_type()),
        (404, "/problems/drink-not-found")
    );
    let not_a_drink = cov
        .send(
            drink,
            app.bar(Method::PATCH, "/api/drinks/Mead")
                .json(&json!({"available": true})),
        )
        .await;
    assert_eq!(
        (not_a_drink.status, not_a_drink.problem_type()),
        (404, "/problems/not-found")
    );
    let malformed = cov
        .send(
            drink,
            app.bar(Method::PATCH, "/api/drinks/tea")
                .header("content-type", "application/json")
                .body("nul"),
        )
        .await;
    assert_eq!(malformed.status, 400);
    let too_large = cov
        .send(
            drink,
            app.bar(Method::PATCH, "/api/drinks/tea")
                .json(&oversized_json()),
        )
        .await;
    assert_eq!(too_large.status, 413);
    let wrong_type = cov
        .send(
            drink,
            app.bar(Method::PATCH, "/api/drinks/tea")
                .header("content-type", "text/plain")
                .body("{\"stock\":1}"),
        )
        .await;
    assert_eq!(wrong_type.status, 415);
    for body in [
        json!({}),
        json!({"stock": -1}),
        json!({"stock": "5"}),
        json!({"available": "yes"}),
    ] {
        let invalid = cov
            .send(drink, app.bar(Method::PATCH, "/api/drinks/tea").json(&body))
            .await;
        assert_eq!(invalid.status, 422, "{body}");
    }

    // The event's settings: set, refused bodies; a paused event's refusal and its feed
    // event are documented shapes too.
    let event = "/api/event";
    let set = cov
        .send(
            event,
            app.bar(Method::PATCH, event).json(&json!({
                "title": {"en": "Summer party", "de": "Sommerfest"},
                "welcome": {"en": "Welcome"},
                "ordering": "paused",
                "message": {"en": "Back in 10 minutes"},
                "busy_limit": 20
            })),
        )
        .await;
    assert_eq!(set.status, 200);
    let paused = cov
        .send(
            "/api/orders",
            post_order(
                &app,
                &order_body(&new_visitor(), "Ana", "tea", &new_request_id()),
            ),
        )
        .await;
    assert_eq!(
        (paused.status, paused.problem_type()),
        (409, "/problems/ordering-paused")
    );
    tail_until(&app, &mut cov, |e| e["kind"] == "settings").await;
    for (request, status) in [
        (
            app.bar(Method::PATCH, event)
                .header("content-type", "application/json")
                .body("{"),
            400,
        ),
        (app.bar(Method::PATCH, event).json(&oversized_json()), 413),
        (
            app.bar(Method::PATCH, event)
                .header("content-type", "text/plain")
                .body("{\"ordering\":\"open\"}"),
            415,
        ),
        (app.bar(Method::PATCH, event).json(&json!({})), 422),
        (
            app.bar(Method::PATCH, event)
                .json(&json!({"title": {"fr": "Fête"}})),
            422,
        ),
        (
            app.bar(Method::PATCH, event)
                .json(&json!({"busy_limit": 0})),
            422,
        ),
    ] {
        assert_eq!(cov.send(event, request).await.status, status);
    }
    let reopened = cov
        .send(
            event,
            app.bar(Method::PATCH, event)
                .json(&json!({"ordering": "open", "busy_limit": null, "order_key": "new"})),
        )
        .await;
    assert_eq!(reopened.status, 200);
    assert_eq!(reopened.json["key_required"], true);
    let key = cov
        .send("/api/event/key", app.bar(Method::GET, "/api/event/key"))
        .await;
    assert_eq!(key.status, 200);
    let key = key.json["order_key"].as_str().expect("a key").to_string();

    // Moderation: the refused words, hiding a name and showing it again, 404s.
    let words = "/api/event/words";
    let set = cov
        .send(
            event,
            app.bar(Method::PATCH, event)
                .json(&json!({"refused_words": ["Zut"], "ready_dim_minutes": 3})),
        )
        .await;
    assert_eq!(
        (set.status, set.json["ready_dim_minutes"].clone()),
        (200, json!(3))
    );
    let listed = cov.send(words, app.bar(Method::GET, words)).await;
    assert_eq!(listed.json, json!({"refused_words": ["zut"]}));
    let hidden_path = "/api/orders/{id}/name-hidden";
    let name_hidden = format!("{path}/name-hidden");
    let hidden = cov
        .send(hidden_path, app.bar(Method::PUT, &name_hidden))
        .await;
    assert_eq!(
        (hidden.status, hidden.json["name_hidden"].clone()),
        (200, json!(true))
    );
    let shown = cov
        .send(hidden_path, app.bar(Method::DELETE, &name_hidden))
        .await;
    assert_eq!(
        (shown.status, shown.json["name_hidden"].clone()),
        (200, json!(false))
    );
    for method in [Method::PUT, Method::DELETE] {
        for (url, problem) in [
            (
                "/api/orders/999999/name-hidden",
                "/problems/order-not-found",
            ),
            ("/api/orders/abc/name-hidden", "/problems/not-found"),
        ] {
            let missing = cov.send(hidden_path, app.bar(method.clone(), url)).await;
            assert_eq!((missing.status, missing.problem_type()), (404, problem));
        }
    }
    let without_key = cov
        .send(
            "/api/orders",
            post_order(
                &app,
                &order_body(&new_visitor(), "Ana", "tea", &new_request_id()),
            ),
        )
        .await;
    assert_eq!(
        (without_key.status, without_key.problem_type()),
        (403, "/problems/order-key-required")
    );
    let mut keyed = order_body(&new_visitor(), "Kim", "tea", &new_request_id());
    keyed["key"] = json!(key);
    let with_key = cov.send("/api/orders", post_order(&app, &keyed)).await;
    assert_eq!(with_key.status, 201);
    let dropped = cov
        .send(
            event,
            app.bar(Method::PATCH, event)
                .json(&json!({"order_key": "none"})),
        )
        .await;
    assert_eq!(dropped.json["key_required"], false);

    // The menu: add a drink, the refusals, retire it; an order for it is refused.
    let drinks = "/api/drinks";
    let mate = json!({"id": "mate", "names": {"en": "Club-Mate", "de": "Mate"}, "stock": 3});
    let added = cov
        .send(drinks, app.bar(Method::POST, drinks).json(&mate))
        .await;
    assert_eq!(added.status, 201);
    assert_eq!(added.json["names"]["de"], "Mate");
    for (request, status) in [
        (app.bar(Method::POST, drinks).json(&mate), 409),
        (
            app.bar(Method::POST, drinks)
                .header("content-type", "application/json")
                .body("{"),
            400,
        ),
        (app.bar(Method::POST, drinks).json(&oversized_json()), 413),
        (
            app.bar(Method::POST, drinks)
                .header("content-type", "text/plain")
                .body(mate.to_string()),
            415,
        ),
        (
            app.bar(Method::POST, drinks)
                .json(&json!({"id": "cola", "names": {"de": "Cola"}})),
            422,
        ),
    ] {
        assert_eq!(cov.send(drinks, request).await.status, status);
    }
    let retired = cov
        .send(
            drink,
            app.bar(Method::PATCH, "/api/drinks/mate")
                .json(&json!({"retired": true, "position": 1})),
        )
        .await;
    assert_eq!(
        (retired.status, retired.json["retired"].clone()),
        (200, json!(true))
    );
    let refused = cov
        .send(
            "/api/orders",
            post_order(
                &app,
                &order_body(&new_visitor(), "Ana", "mate", &new_request_id()),
            ),
        )
        .await;
    assert_eq!(
        (refused.status, refused.problem_type()),
        (409, "/problems/drink-retired")
    );
    tail_until(&app, &mut cov, |e| e["kind"] == "menu").await;

    // Pictures: upload, serve (200, 304), remove; the refusals.
    let png =
        std::fs::read(e2e::workspace_root().join("tests/fixtures/drink.png")).expect("the fixture");
    let picture = "/api/drinks/{id}/picture";
    let put = |drink: &str, content_type: &str, body: Vec<u8>| {
        app.bar(Method::PUT, &format!("/api/drinks/{drink}/picture"))
            .header("content-type", content_type)
            .body(body)
    };
    let set = cov
        .send(picture, put("mate", "image/png", png.clone()))
        .await;
    assert_eq!(set.status, 200);
    let url = set.json["picture"].as_str().expect("a URL").to_string();
    let served = cov
        .send("/api/pictures/{id}", app.http.get(app.url(&url)))
        .await;
    assert_eq!(served.status, 200);
    let etag = served.header("etag").expect("ETag").to_string();
    let unchanged = cov
        .send(
            "/api/pictures/{id}",
            app.http.get(app.url(&url)).header("if-none-match", etag),
        )
        .await;
    assert_eq!(unchanged.status, 304);
    let missing = cov
        .send(
            "/api/pictures/{id}",
            app.http
                .get(app.url(&format!("/api/pictures/{}", "0".repeat(64)))),
        )
        .await;
    assert_eq!(missing.status, 404);
    let mut large = png.clone();
    large.resize(256 * 1024 + 1, 0);
    for (request, status) in [
        (put("mead", "image/png", png.clone()), 404),
        (put("mate", "image/png", large), 413),
        (put("mate", "text/plain", png.clone()), 415),
        (put("mate", "image/png", b"<svg/>".to_vec()), 422),
    ] {
        assert_eq!(cov.send(picture, request).await.status, status);
    }
    let cleared = cov
        .send(picture, app.bar(Method::DELETE, "/api/drinks/mate/picture"))
        .await;
    assert_eq!(cleared.status, 200);
    let gone = cov
        .send(picture, app.bar(Method::DELETE, "/api/drinks/mead/picture"))
        .await;
    assert_eq!(gone.status, 404);

    // Queue: JSON pages (with the next page), CSV, 400.
    let queue = "/api/queue";
    let first = cov
        .send(
            queue,
            app.bar(Method::GET, "/api/queue?include=closed&limit=1"),
        )
        .await;
    assert_eq!(first.status, 200);
    let next = first.json["next"]
        .as_str()
        .expect("a next page")
        .to_string();
    let second = cov
        .send(
            queue,
            app.bar(
                Method::GET,
                &format!("/api/queue?include=closed&limit=1&after={next}"),
            ),
        )
        .await;
    assert_eq!(second.json["orders"].as_array().map(Vec::len), Some(1));
    let filtered = cov
        .send(
            queue,
            app.bar(
                Method::GET,
                "/api/queue?status=served,cancelled&drink=tea&format=json",
            ),
        )
        .await;
    assert_eq!(filtered.status, 200);
    let csv = cov
        .send(queue, app.bar(Method::GET, "/api/queue?format=csv"))
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.header("content-type")
            .is_some_and(|ct| ct.starts_with("text/csv"))
    );
    assert_eq!(
        csv.header("content-disposition"),
        Some("attachment; filename=\"orders.csv\"")
    );
    // The header, the two orders placed above and the one placed with the ordering key.
    assert_eq!(String::from_utf8_lossy(&csv.body).lines().count(), 4);
    for query in [
        "limit=0",
        "status=open",
        "format=csv&limit=5",
        "after=AQ",
        "colour=red",
    ] {
        let refused = cov
            .send(queue, app.bar(Method::GET, &format!("/api/queue?{query}")))
            .await;
        assert_eq!(refused.status, 400, "{query}");
    }

    // Stats: 200, 400.
    let stats = cov
        .send("/api/stats", app.bar(Method::GET, "/api/stats"))
        .await;
    assert_eq!(stats.json["per_status"]["served"], 1);
    let refused = cov
        .send("/api/stats", app.bar(Method::GET, "/api/stats?since=1"))
        .await;
    assert_eq!(refused.status, 400);

    // Batches: 200 with moves and refusals, 400, 413, 415, 422.
    let second = cov
        .send(
            "/api/orders",
            post_order(
                &app,
                &order_body(&new_visitor(), "Ben", "tea", &new_request_id()),
            ),
        )
        .await;
    let batch = cov
        .send(
            "/api/orders",
            app.bar(Method::PATCH, "/api/orders")
                .json(&json!({"changes": [
                    {"id": id_of(&second.json), "status": "preparing", "version": 1},
                    {"id": id, "status": "preparing", "version": 1},
                    {"id": 999_999, "status": "ready", "version": 1},
                ]})),
        )
        .await;
    assert_eq!(batch.status, 200);
    assert_eq!(batch.json["moved"].as_array().map(Vec::len), Some(1));
    assert_eq!(batch.json["conflicts"].as_array().map(Vec::len), Some(2));
    let cancel_second = cov
        .send(
            "/api/orders",
            app.bar(Method::PATCH, "/api/orders")
                .json(&json!({"changes": [
                    {"id": id_of(&second.json), "status": "cancelled", "version": 2},
                ]})),
        )
        .await;
    assert_eq!(cancel_second.json["moved"][0]["status"], "cancelled");
    for (request, status) in [
        (
            app.bar(Method::PATCH, "/api/orders")
                .header("content-type", "application/json")
                .body("{"),
            400,
        ),
        (
            app.bar(Method::PATCH, "/api/orders")
                .json(&oversized_json()),
            413,
        ),
        (
            app.bar(Method::PATCH, "/api/orders")
                .header("content-type", "text/plain")
                .body("{}"),
            415,
        ),
        (
            app.bar(Method::PATCH, "/api/orders")
                .json(&json!({"changes": []})),
            422,
        ),
        (
            app.bar(Method::PATCH, "/api/orders")
                .json(&json!({"changes": [{"id": 1, "status": "ready"}]})),
            422,
        ),
    ] {
        assert_eq!(cov.send("/api/orders", request).await.status, status);
    }

    // Undo: 200 (Ben's cancel taken back), 409 (twice), 404, 400, 413, 415, 422.
    let undo_path = format!("/api/orders/{}/undo", id_of(&second.json));
    let undo = "/api/orders/{id}/undo";
    let undone = cov
        .send(
            undo,
            app.bar(Method::POST, &undo_path)
                .json(&json!({"version": 3})),
        )
        .await;
    assert_eq!(
        (undone.status, undone.json["status"].clone()),
        (200, json!("preparing"))
    );
    let twice = cov
        .send(
            undo,
            app.bar(Method::POST, &undo_path)
                .json(&json!({"version": 4})),
        )
        .await;
    assert_eq!(
        (twice.status, twice.problem_type()),
        (409, "/problems/undo-refused")
    );
    let stale = cov
        .send(
            undo,
            app.bar(Method::POST, &undo_path)
                .json(&json!({"version": 1})),
        )
        .await;
    assert_eq!(
        (stale.status, stale.problem_type()),
        (409, "/problems/version-conflict")
    );
    for (request, status) in [
        (
            app.bar(Method::POST, "/api/orders/999999/undo")
                .json(&json!({"version": 1})),
            404,
        ),
        (
            app.bar(Method::POST, &undo_path)
                .header("content-type", "application/json")
                .body("{"),
            400,
        ),
        (
            app.bar(Method::POST, &undo_path).json(&oversized_json()),
            413,
        ),
        (
            app.bar(Method::POST, &undo_path)
                .header("content-type", "text/plain")
                .body("{}"),
            415,
        ),
        (
            app.bar(Method::POST, &undo_path)
                .json(&json!({"version": 0})),
            422,
        ),
    ] {
        assert_eq!(cov.send(undo, request).await.status, status);
    }
    // Ben's tea, cancelled again for the purge below.
    let recancel = cov
        .send(
            "/api/orders",
            app.bar(Method::PATCH, "/api/orders")
                .json(&json!({"changes": [
                    {"id": id_of(&second.json), "status": "cancelled", "version": 4},
                ]})),
        )
        .await;
    assert_eq!(recancel.json["moved"][0]["status"], "cancelled");

    // Purge: 200, 400.
    let purged = cov
        .send(
            "/api/orders",
            app.bar(Method::DELETE, "/api/orders?before=253402300799999"),
        )
        .await;
    assert_eq!(purged.json, json!({"purged": 3}));
    for query in ["", "?before=-1", "?before=soon"] {
        let refused = cov
            .send(
                "/api/orders",
                app.bar(Method::DELETE, &format!("/api/orders{query}")),
            )
            .await;
        assert_eq!(refused.status, 400, "{query}");
    }

    // 401 on every bar operation, with and without a (wrong) token.
    let name_hidden_url = format!("{path}/name-hidden");
    let bar_operations: [(Method, &str, &str, Option<Value>); 14] = [
        (
            Method::POST,
            "/api/orders/{id}/undo",
            "/api/orders/1/undo",
            Some(json!({"version": 1})),
        ),
        (Method::DELETE, "/api/orders", "/api/orders?before=1", None),
        (
            Method::PATCH,
            "/api/orders",
            "/api/orders",
            Some(json!({"changes": [{"id": 1, "status": "ready", "version": 1}]})),
        ),
        (
            Method::PATCH,
            order,
            &path,
            Some(json!({"status": "ready", "version": 1})),
        ),
        (
            Method::PATCH,
            drink,
            "/api/drinks/tea",
            Some(json!({"available": true})),
        ),
        (Method::GET, queue, "/api/queue", None),
        (Method::GET, "/api/stats", "/api/stats", None),
        (
            Method::PATCH,
            event,
            event,
            Some(json!({"ordering": "closed"})),
        ),
        (Method::GET, "/api/event/key", "/api/event/key", None),
        (Method::GET, "/api/event/words", "/api/event/words", None),
        (
            Method::PUT,
            "/api/orders/{id}/name-hidden",
            &name_hidden_url,
            None,
        ),
        (
            Method::DELETE,
            "/api/orders/{id}/name-hidden",
            &name_hidden_url,
            None,
        ),
        (
            Method::POST,
            drinks,
            drinks,
            Some(json!({"id": "cola", "names": {"en": "Cola"}})),
        ),
        (
            Method::DELETE,
            "/api/drinks/{id}/picture",
            "/api/drinks/tea/picture",
            None,
        ),
    ];
    for (method, template, url, body) in &bar_operations {
        for token in [None, Some("wrong")] {
            let mut request = app.http.request(method.clone(), app.url(url));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let refused = cov.send(template, request).await;
            assert_eq!(
                (refused.status, refused.problem_type()),
                (401, "/problems/unauthorized")
            );
        }
    }

    // The picture upload takes bytes, not JSON: 401 and 503 for it too.
    let upload = |app: &TestApp, token: Option<&str>| {
        let mut request = app
            .http
            .put(app.url("/api/drinks/tea/picture"))
            .header("content-type", "image/png")
            .body(b"\x89PNG\r\n\x1a\n".to_vec());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
    };
    let refused = cov.send(picture, upload(&app, Some("wrong"))).await;
    assert_eq!(refused.status, 401);

    // 503 on every bar operation when no token is configured.
    let closed = app_builder().without_bar_token().spawn().await;
    let refused = cov.send(picture, upload(&closed, Some("any"))).await;
    assert_eq!(refused.status, 503);
    for (method, template, url, body) in &bar_operations {
        let mut request = closed.bar(method.clone(), url);
        if let Some(body) = body {
            request = request.json(body);
        }
        let refused = cov.send(template, request).await;
        assert_eq!(
            (refused.status, refused.problem_type()),
            (503, "/problems/bar-token-not-configured")
        );
    }

    cov.assert_provoked(BAR);
}

#[tokio::test]
async fn public_endpoints_answer_as_the_spec_documents() {
    let app = spawn_app().await;
    let mut cov = Coverage::default();
    let menu = cov
        .send("/api/menu", app.http.get(app.url("/api/menu")))
        .await;
    assert_eq!(menu.json["drinks"].as_array().map(Vec::len), Some(7));
    let etag = menu.header("etag").expect("an ETag").to_string();
    let unchanged = cov
        .send(
            "/api/menu",
            app.http
                .get(app.url("/api/menu"))
                .header("if-none-match", etag),
        )
        .await;
    assert_eq!(unchanged.status, 304);
    let health = cov
        .send("/api/health", app.http.get(app.url("/api/health")))
        .await;
    assert_eq!(health.json["status"], "ok");

    // Feed: the start, 304 while nothing happened, events after a change, tail, 400s.
    let feed = "/api/feed";
    let start = cov.send(feed, app.http.get(app.url(feed))).await;
    let next = start.json["next"].as_str().expect("cursor").to_string();
    assert_eq!(start.header("etag"), Some(format!("\"{next}\"").as_str()));
    let unchanged = cov
        .send(
            feed,
            app.http
                .get(app.url(&format!("/api/feed?after={next}&limit=10")))
                .header("If-None-Match", format!("\"{next}\"")),
        )
        .await;
    assert_eq!(unchanged.status, 304);
    let ana = new_visitor();
    cov.send(
        "/api/orders",
        post_order(&app, &order_body(&ana, "Ana", "tea", &new_request_id())),
    )
    .await;
    let event = tail_until(&app, &mut cov, |e| e["kind"] == "placed").await;
    assert_eq!(event["order"]["nickname"], "Ana");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let after = cov
            .send(
                feed,
                app.http.get(app.url(&format!("/api/feed?after={next}"))),
            )
            .await;
        assert_eq!(after.status, 200);
        if !after.json["events"].as_array().expect("events").is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "the placed event never came");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for query in [
        "after=".to_string(),
        "after=not-a-cursor".to_string(),
        format!("after={next}&tail=3"),
        "limit=5".to_string(),
        "tail=51".to_string(),
        format!("after={next}&limit=501"),
        "colour=red".to_string(),
    ] {
        let refused = cov
            .send(feed, app.http.get(app.url(&format!("/api/feed?{query}"))))
            .await;
        assert_eq!(refused.status, 400, "{query}");
    }

    // Board: the open orders, 304 while nothing changed, 400 for any parameter.
    let board = "/api/board";
    let first = cov.send(board, app.http.get(app.url(board))).await;
    assert_eq!(first.json["total"]["waiting"], 1);
    let etag = first.header("etag").expect("an ETag").to_string();
    let unchanged = cov
        .send(
            board,
            app.http.get(app.url(board)).header("if-none-match", etag),
        )
        .await;
    assert_eq!(unchanged.status, 304);
    let refused = cov
        .send(board, app.http.get(app.url("/api/board?limit=5")))
        .await;
    assert_eq!(refused.status, 400);

    // The guest's view: their order, 304 while nothing changed, 400 for any parameter or a
    // visitor id that is not a UUID.
    let visit = "/api/visit";
    let first = cov
        .send(
            visit,
            app.http.get(app.url(visit)).header("x-visitor-id", &ana),
        )
        .await;
    assert_eq!(first.status, 200);
    assert_eq!(first.json["ahead"], 0);
    let etag = first.header("etag").expect("an ETag").to_string();
    let unchanged = cov
        .send(
            visit,
            app.http
                .get(app.url(visit))
                .header("x-visitor-id", &ana)
                .header("if-none-match", etag),
        )
        .await;
    assert_eq!(unchanged.status, 304);
    for request in [
        app.http.get(app.url("/api/visit?limit=5")),
        app.http.get(app.url(visit)).header("x-visitor-id", "ana"),
    ] {
        assert_eq!(cov.send(visit, request).await.status, 400);
    }

    cov.assert_provoked(PUBLIC);
}

/// One request per operation, valid enough to reach the database.
#[tokio::test]
async fn push_endpoints_answer_as_the_spec_documents() {
    let app = app_builder()
        .variable("vapid_key", "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI")
        .spawn()
        .await;
    let mut cov = Coverage::default();
    let push = "/api/orders/{id}/push";
    let key = cov
        .send("/api/push", app.http.get(app.url("/api/push")))
        .await;
    assert_eq!(key.status, 200);
    let p256dh = key.json["public_key"].as_str().expect("a key").to_string();
    let ana = new_visitor();
    let placed = cov
        .send(
            "/api/orders",
            post_order(&app, &order_body(&ana, "Ana", "tea", &new_request_id())),
        )
        .await;
    let url = format!("/api/orders/{}/push", id_of(&placed.json));
    let subscription = json!({"endpoint": "https://fcm.googleapis.com/fcm/send/x",
                              "expirationTime": null,
                              "keys": {"p256dh": p256dh, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}});
    let put = |visitor: &str| app.http.put(app.url(&url)).header("X-Visitor-Id", visitor);
    let stored = cov.send(push, put(&ana).json(&subscription)).await;
    assert_eq!(stored.status, 204);
    let stranger = cov
        .send(push, put(&new_visitor()).json(&subscription))
        .await;
    assert_eq!(stranger.problem_type(), "/problems/order-not-found");
    let no_header = cov
        .send(push, app.http.put(app.url(&url)).json(&subscription))
        .await;
    assert_eq!(no_header.status, 400);
    let malformed = cov
        .send(
            push,
            put(&ana)
                .header("content-type", "application/json")
                .body("{"),
        )
        .await;
    assert_eq!(malformed.problem_type(), "/problems/malformed-json");
    let too_large = cov.send(push, put(&ana).json(&oversized_json())).await;
    assert_eq!(too_large.status, 413);
    let not_json = cov
        .send(
            push,
            put(&ana).header("content-type", "text/plain").body("x"),
        )
        .await;
    assert_eq!(not_json.status, 415);
    let mut elsewhere = subscription.clone();
    elsewhere["endpoint"] = json!("https://push.example.com/x");
    let invalid = cov.send(push, put(&ana).json(&elsewhere)).await;
    assert_eq!(
        (invalid.status, invalid.json["field"].clone()),
        (422, json!("endpoint"))
    );
    let delete = |visitor: &str, url: &str| {
        app.http
            .delete(app.url(url))
            .header("X-Visitor-Id", visitor)
    };
    let dropped = cov.send(push, delete(&ana, &url)).await;
    assert_eq!(dropped.status, 204);
    let bad_header = cov.send(push, delete("nope", &url)).await;
    assert_eq!(bad_header.status, 400);
    let no_such = cov.send(push, delete(&ana, "/api/orders/abc/push")).await;
    assert_eq!(no_such.problem_type(), "/problems/not-found");

    let unconfigured = spawn_app().await;
    let key = cov
        .send(
            "/api/push",
            unconfigured.http.get(unconfigured.url("/api/push")),
        )
        .await;
    assert_eq!(key.problem_type(), "/problems/push-not-configured");
    let put = cov
        .send(
            push,
            unconfigured
                .http
                .put(unconfigured.url("/api/orders/1/push"))
                .header("X-Visitor-Id", &ana)
                .json(&subscription),
        )
        .await;
    assert_eq!(put.problem_type(), "/problems/push-not-configured");
    cov.assert_provoked(PUSH);
}

fn one_request_per_operation(app: &TestApp) -> Vec<(&'static str, reqwest::RequestBuilder)> {
    let visitor = new_visitor();
    vec![
        (
            "/api/orders",
            post_order(app, &order_body(&visitor, "Ana", "tea", &new_request_id())),
        ),
        (
            "/api/orders",
            app.bar(Method::DELETE, "/api/orders?before=1"),
        ),
        (
            "/api/orders",
            app.bar(Method::PATCH, "/api/orders")
                .json(&json!({"changes": [{"id": 1, "status": "ready", "version": 1}]})),
        ),
        (
            "/api/orders/{id}/undo",
            app.bar(Method::POST, "/api/orders/1/undo")
                .json(&json!({"version": 1})),
        ),
        (
            "/api/orders/{id}",
            app.http
                .delete(app.url("/api/orders/1"))
                .header("X-Visitor-Id", &visitor),
        ),
        (
            "/api/orders/{id}",
            app.bar(Method::PATCH, "/api/orders/1")
                .json(&json!({"status": "ready", "version": 1})),
        ),
        (
            "/api/drinks/{id}",
            app.bar(Method::PATCH, "/api/drinks/tea")
                .json(&json!({"available": true})),
        ),
        (
            "/api/event",
            app.bar(Method::PATCH, "/api/event")
                .json(&json!({"ordering": "open"})),
        ),
        ("/api/event/key", app.bar(Method::GET, "/api/event/key")),
        ("/api/event/words", app.bar(Method::GET, "/api/event/words")),
        (
            "/api/orders/{id}/name-hidden",
            app.bar(Method::PUT, "/api/orders/1/name-hidden"),
        ),
        (
            "/api/orders/{id}/name-hidden",
            app.bar(Method::DELETE, "/api/orders/1/name-hidden"),
        ),
        ("/api/board", app.http.get(app.url("/api/board"))),
        ("/api/visit", app.http.get(app.url("/api/visit"))),
        (
            "/api/drinks",
            app.bar(Method::POST, "/api/drinks")
                .json(&json!({"id": "cola", "names": {"en": "Cola"}})),
        ),
        (
            "/api/drinks/{id}/picture",
            app.bar(Method::PUT, "/api/drinks/tea/picture")
                .header("content-type", "image/png")
                .body(b"\x89PNG\r\n\x1a\n".to_vec()),
        ),
        (
            "/api/drinks/{id}/picture",
            app.bar(Method::DELETE, "/api/drinks/tea/picture"),
        ),
        (
            "/api/pictures/{id}",
            app.http
                .get(app.url(&format!("/api/pictures/{}", "a".repeat(64)))),
        ),
        ("/api/menu", app.http.get(app.url("/api/menu"))),
        (
            "/api/mine",
            app.http
                .get(app.url("/api/mine"))
                .header("X-Visitor-Id", &visitor),
        ),
        ("/api/queue", app.bar(Method::GET, "/api/queue")),
        ("/api/stats", app.bar(Method::GET, "/api/stats")),
        ("/api/health", app.http.get(app.url("/api/health"))),
        (
            "/api/orders/{id}/push",
            app.http
                .delete(app.url("/api/orders/1/push"))
                .header("X-Visitor-Id", &visitor),
        ),
        (
            "/api/feed",
            app.http.get(app.url(&format!(
                "/api/feed?after={}",
                drinks_core::FeedCursor::beginning().encode()
            ))),
        ),
    ]
}

#[tokio::test]
async fn without_a_database_every_operation_answers_a_documented_503() {
    let app = app_builder().unreachable_database().spawn().await;
    let mut cov = Coverage::default();
    for (template, request) in one_request_per_operation(&app) {
        let answer = cov.send(template, request).await;
        assert_eq!(
            (answer.status, answer.problem_type()),
            (503, "/problems/database-unavailable"),
            "{template}"
        );
    }
    cov.assert_provoked(NO_DATABASE);
}

#[tokio::test]
async fn on_an_unmigrated_database_every_operation_answers_503_not_migrated() {
    // Health finds no schema_migrations; the others meet a missing table (42P01) and say
    // the same thing, with Retry-After: the normal state of a deploy before its migration
    // Job finished, not a bug.
    let app = app_builder().unmigrated().spawn().await;
    let mut cov = Coverage::default();
    for (template, request) in one_request_per_operation(&app) {
        let answer = cov.send(template, request).await;
        assert_eq!(
            (answer.status, answer.problem_type()),
            (503, "/problems/not-migrated"),
            "{template}"
        );
        assert!(answer.header("retry-after").is_some(), "{template}");
    }
    cov.assert_provoked(UNMIGRATED);
}

#[tokio::test]
async fn methods_a_path_does_not_list_are_405_with_the_allow_of_the_spec() {
    let app = spawn_app().await;
    let documented = resolve(&SPEC["components"]["responses"]["MethodNotAllowed"]);
    let paths = SPEC["paths"].as_object().expect("paths");
    for template in paths.keys() {
        let url = template
            .replace("/api/orders/{id}", "/api/orders/1")
            .replace("/api/drinks/{id}", "/api/drinks/tea")
            .replace(
                "/api/pictures/{id}",
                &format!("/api/pictures/{}", "a".repeat(64)),
            );
        assert!(
            !url.contains('{'),
            "a new path parameter in {template}: add it here"
        );
        let listed = spec_methods(template);
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ] {
            if listed.contains(method.as_str()) {
                continue;
            }
            let response = app
                .http
                .request(method.clone(), app.url(&url))
                .send()
                .await
                .expect("request is answered");
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.bytes().await.expect("body").to_vec();
            let what = format!("{method} {url}");
            assert_eq!(status, 405, "{what}: {}", String::from_utf8_lossy(&body));
            let checked = validate_response(&what, &documented, status, headers, body);
            let allow: BTreeSet<String> = checked
                .header("allow")
                .expect("Allow")
                .split(',')
                .map(|m| m.trim().to_string())
                .collect();
            assert_eq!(
                allow, listed,
                "{what}: Allow differs from the spec's methods"
            );
        }
    }
}

#[test]
fn every_operation_and_status_of_the_spec_is_provoked_by_this_suite() {
    let mut in_spec: BTreeMap<String, BTreeSet<u16>> = BTreeMap::new();
    for (template, item) in SPEC["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {template} has an operationId"));
            let statuses = operation["responses"]
                .as_object()
                .unwrap_or_else(|| panic!("{id} has responses"))
                .keys()
                .map(|s| {
                    s.parse()
                        .unwrap_or_else(|_| panic!("{id}: {s} is a plain status code"))
                })
                .collect();
            assert!(
                in_spec.insert(id.to_string(), statuses).is_none(),
                "operationId {id} twice"
            );
        }
    }
    let mut in_tests: BTreeMap<String, BTreeSet<u16>> = BTreeMap::new();
    let mut listed = BTreeSet::new();
    for (id, status, group) in PROVOKED {
        assert!(
            listed.insert((*id, *status, *group)),
            "{id} {status} listed twice for {group}"
        );
        in_tests.entry(id.to_string()).or_default().insert(*status);
    }
    for (id, status, _) in NOT_PROVOKED {
        assert!(
            in_tests.entry(id.to_string()).or_default().insert(*status),
            "{id} {status} is both provoked and listed as not provokable"
        );
    }
    assert_eq!(
        in_spec, in_tests,
        "docs/openapi.yaml (left) and the statuses this suite provokes (right) differ: \
         test the new operation or status and list it in PROVOKED"
    );
}

#[test]
fn the_spec_is_self_consistent() {
    let resolved = resolve(&SPEC);
    // Every schema compiles; every example is valid against its schema.
    for (name, schema) in resolved["components"]["schemas"]
        .as_object()
        .expect("schemas")
    {
        compile(schema, name);
        for example in schema["examples"].as_array().into_iter().flatten() {
            assert_valid(schema, example, &format!("example of {name}"));
        }
    }
    for (template, item) in resolved["paths"].as_object().expect("paths") {
        let shared = item["parameters"].as_array().cloned().unwrap_or_default();
        for (method, operation) in item.as_object().expect("path item") {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let what = format!("{method} {template}");
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for parameter in shared.iter().chain(&parameters) {
                if let Some(example) = parameter.get("example") {
                    assert_valid(&parameter["schema"], example, &format!("{what}: example"));
                }
            }
            let body = &operation["requestBody"]["content"]["application/json"];
            for example in body["examples"].as_object().into_iter().flatten() {
                assert_valid(
                    &body["schema"],
                    &example.1["value"],
                    &format!("{what}: example"),
                );
            }
            // The answers every operation of this kind has.
            let responses = operation["responses"].as_object().expect("responses");
            let mut expected = vec!["500"];
            if operation.get("security").is_some() {
                expected.extend(["401", "503"]);
            }
            let json_body = operation["requestBody"]["content"]
                .get("application/json")
                .is_some();
            if operation.get("requestBody").is_some() {
                expected.extend(["413", "415", "422"]);
            }
            if json_body {
                expected.push("400");
            }
            for status in expected {
                assert!(
                    responses.contains_key(status),
                    "{what} documents no {status}"
                );
            }
        }
    }
}

fn compile(schema: &Value, what: &str) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("{what}: the schema does not compile: {e}\n{schema:#}"))
}
