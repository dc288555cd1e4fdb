//! Web Push end to end: the visitor's subscription endpoints, and the message order-fn
//! sends after the bar's move to `ready`, received by a stand-in push service on 127.0.0.1
//! (allowed by the test's `allowed_outbound_hosts`) that reads it as a browser would:
//! decrypted with the subscription's private key (RFC 8291, an independent implementation:
//! `web-push-native`) and with its VAPID token (RFC 8292) checked.

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use e2e::api::{id_of, is_problem, new_visitor, place_order, version_of};
use e2e::stand_in::{Behaviour, StandIn};
use e2e::{TestApp, app_builder, json};
use p256::ecdsa::signature::Verifier as _;
use p256::elliptic_curve::sec1::ToEncodedPoint as _;
use reqwest::StatusCode;
use serde_json::{Value, json};

const CONTACT: &str = "mailto:bar@drinks.test";

/// A VAPID key of the tests (the private P-256 scalar, base64url).
fn vapid_key() -> String {
    URL_SAFE_NO_PAD.encode([0x42u8; 32])
}

/// The app with Web Push configured and a stand-in push service it may reach.
async fn app_with(service: &StandIn) -> TestApp {
    app_builder()
        .variable("vapid_key", &vapid_key())
        .variable("push_contact", CONTACT)
        .variable("push_extra_origin", &service.origin())
        .allow_outbound("order-fn", &service.origin())
        .spawn()
        .await
}

/// A browser's side of a subscription: its key pair and secret.
struct Browser {
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl Browser {
    fn new(seed: u8) -> Self {
        let mut bytes = [seed; 32];
        bytes[0] = 1;
        Self {
            secret: p256::SecretKey::from_slice(&bytes).expect("a valid scalar"),
            auth: [seed; 16],
        }
    }

    /// `PushSubscription.toJSON()` for an endpoint.
    fn subscription(&self, endpoint: &str) -> Value {
        json!({
            "endpoint": endpoint,
            "expirationTime": null,
            "keys": {
                "p256dh": URL_SAFE_NO_PAD.encode(self.secret.public_key().to_encoded_point(false).as_bytes()),
                "auth": URL_SAFE_NO_PAD.encode(self.auth),
            }
        })
    }

    /// What the browser would read from the push message's body.
    fn decrypt(&self, body: &[u8]) -> Value {
        let auth = web_push_native::Auth::clone_from_slice(&self.auth);
        let plaintext = web_push_native::decrypt(body.to_vec(), &self.secret, &auth)
            .expect("the message decrypts with the subscription's private key");
        serde_json::from_slice(&plaintext).expect("the payload is JSON")
    }
}

async fn subscribe(app: &TestApp, visitor: &str, id: i64, body: &Value) -> reqwest::Response {
    app.http
        .put(app.url(&format!("/api/orders/{id}/push")))
        .header("X-Visitor-Id", visitor)
        .json(body)
        .send()
        .await
        .expect("PUT push subscription")
}

async fn patch_status(app: &TestApp, id: i64, status: &str, version: i64) -> reqwest::Response {
    app.bar(reqwest::Method::PATCH, &format!("/api/orders/{id}"))
        .json(&json!({"status": status, "version": version}))
        .send()
        .await
        .expect("PATCH status")
}

/// Places an order as a new visitor: (order, visitor).
async fn placed(app: &TestApp) -> (Value, String) {
    let visitor = new_visitor();
    let order = json(place_order(app, &visitor, "Ana", "tea").await).await;
    (order, visitor)
}

/// Moves the order to `preparing`, then `ready`; returns the PATCH to `ready` and how long
/// it took.
async fn make_ready(app: &TestApp, order: &Value) -> (reqwest::Response, Duration) {
    let id = id_of(order);
    let preparing = patch_status(app, id, "preparing", version_of(order)).await;
    assert_eq!(preparing.status(), StatusCode::OK);
    let preparing = json(preparing).await;
    let started = Instant::now();
    let ready = patch_status(app, id, "ready", version_of(&preparing)).await;
    let took = started.elapsed();
    (ready, took)
}

async fn subscription_row(app: &TestApp, id: i64) -> Option<(String, Option<String>)> {
    app.db
        .client()
        .await
        .query_opt(
            "SELECT endpoint, last_outcome FROM push_subscriptions WHERE order_id = $1",
            &[&id],
        )
        .await
        .expect("query")
        .map(|row| (row.get(0), row.get(1)))
}

/// Waits until the subscription's row satisfies `done`, or panics after `within`.
async fn wait_for_row(
    app: &TestApp,
    id: i64,
    within: Duration,
    done: impl Fn(&Option<(String, Option<String>)>) -> bool,
) -> Option<(String, Option<String>)> {
    let deadline = Instant::now() + within;
    loop {
        let row = subscription_row(app, id).await;
        if done(&row) {
            return row;
        }
        assert!(
            Instant::now() < deadline,
            "row of order {id} is still {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_public_key_is_the_vapid_keys_uncompressed_point() {
    let service = StandIn::start(Behaviour::Status(201)).await;
    let app = app_with(&service).await;
    let response = app.get("/api/push").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json(response).await;
    let expected = p256::SecretKey::from_slice(&[0x42u8; 32])
        .expect("scalar")
        .public_key()
        .to_encoded_point(false);
    assert_eq!(
        body,
        json!({"public_key": URL_SAFE_NO_PAD.encode(expected.as_bytes())})
    );
}

#[tokio::test]
async fn without_a_vapid_key_push_is_not_configured() {
    let app = e2e::spawn_app().await;
    let response = app.get("/api/push").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(is_problem(&response));
    let body = json(response).await;
    assert_eq!(body["type"], "/problems/push-not-configured");
    assert_eq!(body["field"], "vapid_key");
    let (order, visitor) = placed(&app).await;
    let browser = Browser::new(3);
    let put = subscribe(
        &app,
        &visitor,
        id_of(&order),
        &browser.subscription("https://fcm.googleapis.com/fcm/send/x"),
    )
    .await;
    assert_eq!(put.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(app.count("push_subscriptions").await, 0);
}

#[tokio::test]
async fn a_subscription_is_stored_only_for_the_visitors_own_open_order() {
    let service = StandIn::start(Behaviour::Status(201)).await;
    let app = app_with(&service).await;
    let (order, visitor) = placed(&app).await;
    let id = id_of(&order);
    let browser = Browser::new(5);
    let endpoint = "https://fcm.googleapis.com/fcm/send/abc";

    let stranger = subscribe(&app, &new_visitor(), id, &browser.subscription(endpoint)).await;
    assert_eq!(stranger.status(), StatusCode::NOT_FOUND);
    assert_eq!(json(stranger).await["type"], "/problems/order-not-found");
    let unknown = subscribe(&app, &visitor, id + 1000, &browser.subscription(endpoint)).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.count("push_subscriptions").await, 0);

    let put = subscribe(&app, &visitor, id, &browser.subscription(endpoint)).await;
    assert_eq!(put.status(), StatusCode::NO_CONTENT);
    // A second subscription replaces the first.
    let other = "https://updates.push.services.mozilla.com/wpush/v2/xyz";
    let again = subscribe(&app, &visitor, id, &browser.subscription(other)).await;
    assert_eq!(again.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        subscription_row(&app, id).await,
        Some((other.to_string(), None))
    );

    let delete = app
        .http
        .delete(app.url(&format!("/api/orders/{id}/push")))
        .header("X-Visitor-Id", &visitor)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(delete.status(), StatusCode::NO_CONTENT);
    assert_eq!(subscription_row(&app, id).await, None);
    let twice = app
        .http
        .delete(app.url(&format!("/api/orders/{id}/push")))
        .header("X-Visitor-Id", &visitor)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(twice.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn bad_subscriptions_are_refused_naming_the_field_and_store_nothing() {
    let service = StandIn::start(Behaviour::Status(201)).await;
    let app = app_with(&service).await;
    let (order, visitor) = placed(&app).await;
    let id = id_of(&order);
    let browser = Browser::new(7);
    let mut bad_key = browser.subscription("https://fcm.googleapis.com/fcm/send/x");
    bad_key["keys"]["p256dh"] = json!("AAAA");
    let mut bad_auth = browser.subscription("https://fcm.googleapis.com/fcm/send/x");
    bad_auth["keys"]["auth"] = json!(42);
    for (body, field) in [
        (
            browser.subscription("https://push.evil.example/x"),
            "endpoint",
        ),
        (
            browser.subscription("http://fcm.googleapis.com/fcm/send/x"),
            "endpoint",
        ),
        (bad_key, "keys.p256dh"),
        (bad_auth, "keys.auth"),
        (json!({"endpoint": "https://fcm.googleapis.com/x"}), "keys"),
    ] {
        let response = subscribe(&app, &visitor, id, &body).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        let problem = json(response).await;
        assert_eq!(problem["type"], "/problems/invalid-field");
        assert_eq!(problem["field"], field, "{problem}");
    }
    let no_header = app
        .http
        .put(app.url(&format!("/api/orders/{id}/push")))
        .json(&browser.subscription("https://fcm.googleapis.com/fcm/send/x"))
        .send()
        .await
        .expect("PUT");
    assert_eq!(no_header.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.count("push_subscriptions").await, 0);
}

#[tokio::test]
async fn ready_sends_an_encrypted_vapid_signed_message_the_subscriber_can_read() {
    let service = StandIn::start(Behaviour::Status(201)).await;
    let app = app_with(&service).await;
    let (order, visitor) = placed(&app).await;
    let id = id_of(&order);
    let browser = Browser::new(9);
    let endpoint = format!("{}/push/v1/abc", service.origin());
    let put = subscribe(&app, &visitor, id, &browser.subscription(&endpoint)).await;
    assert_eq!(put.status(), StatusCode::NO_CONTENT);

    let (ready, _) = make_ready(&app, &order).await;
    assert_eq!(ready.status(), StatusCode::OK);
    let answered = json(ready).await;
    assert_eq!(answered["status"], "ready");
    assert!(!answered.to_string().contains("push/v1/abc"), "{answered}");

    let received = service.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(
        received.len(),
        1,
        "preparing sends nothing, ready sends one"
    );
    let message = &received[0];
    assert_eq!(
        (message.method.as_str(), message.path.as_str()),
        ("POST", "/push/v1/abc")
    );
    assert_eq!(message.header("content-encoding"), Some("aes128gcm"));
    assert_eq!(
        message.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(message.header("ttl"), Some("900"));
    assert_eq!(message.header("urgency"), Some("high"));

    let payload = browser.decrypt(&message.body);
    assert_eq!(payload["kind"], "ready");
    assert_eq!(payload["order"], answered);

    // RFC 8292: `vapid t=<JWT>, k=<public key>`, signed by the key GET /api/push gives.
    let authorization = message.header("authorization").expect("Authorization");
    let (token, k) = authorization
        .strip_prefix("vapid t=")
        .and_then(|rest| rest.split_once(", k="))
        .expect("vapid t=…, k=…");
    let public_key = json(app.get("/api/push").await).await["public_key"].clone();
    assert_eq!(json!(k), public_key);
    let (signing_input, signature) = token.rsplit_once('.').expect("header.claims.signature");
    let verifying =
        p256::ecdsa::VerifyingKey::from_sec1_bytes(&URL_SAFE_NO_PAD.decode(k).expect("base64url"))
            .expect("a P-256 point");
    let signature =
        p256::ecdsa::Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).expect("base64url"))
            .expect("an ES256 signature");
    verifying
        .verify(signing_input.as_bytes(), &signature)
        .expect("the token is signed with the VAPID key");
    let (header, claims) = signing_input.split_once('.').expect("two parts");
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("b64")).expect("JSON");
    assert_eq!(header["alg"], "ES256");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).expect("b64")).expect("JSON");
    assert_eq!(claims["aud"], service.origin());
    assert_eq!(claims["sub"], CONTACT);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64;
    let exp = claims["exp"].as_i64().expect("exp");
    assert!(exp > now && exp <= now + 24 * 3600, "exp {exp}, now {now}");

    let row = wait_for_row(&app, id, Duration::from_secs(10), |row| {
        row.as_ref().is_some_and(|(_, outcome)| outcome.is_some())
    })
    .await;
    assert_eq!(row, Some((endpoint, Some("delivered 201".to_string()))));
}

#[tokio::test]
async fn the_bars_patch_answers_at_once_when_the_push_service_hangs_and_the_push_is_retried_once() {
    let service = StandIn::start(Behaviour::Hang).await;
    let app = app_with(&service).await;
    let (order, visitor) = placed(&app).await;
    let id = id_of(&order);
    let browser = Browser::new(11);
    let endpoint = format!("{}/push/hang", service.origin());
    subscribe(&app, &visitor, id, &browser.subscription(&endpoint)).await;

    let (ready, took) = make_ready(&app, &order).await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(json(ready).await["status"], "ready");
    assert!(took < Duration::from_secs(2), "the PATCH took {took:?}");
    // The bar has its answer while order-fn's instance goes on pushing: Spin sends the
    // response when the outparam is set and the body finished, and runs the instance until
    // its handler returns (spinframework/spin v3.6.3 crates/trigger-http/src/wasi.rs); so
    // does the development host.
    if let Some(running) = app.running_instances() {
        assert_eq!(running, 1, "the instance still sends the push");
    }
    // Each try waits 5 s for the first byte; the second try comes after the first.
    service.wait_for(2, Duration::from_secs(20)).await;
    let row = wait_for_row(&app, id, Duration::from_secs(20), |row| {
        row.as_ref().is_some_and(|(_, outcome)| outcome.is_some())
    })
    .await;
    assert_eq!(
        row,
        Some((endpoint, Some("failed ConnectionReadTimeout".to_string())))
    );
    assert_eq!(service.received().len(), 2, "one retry, no more");
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.running_instances().is_some_and(|n| n > 0) {
        assert!(Instant::now() < deadline, "the instance never ended");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_subscription_the_push_service_answers_410_for_is_dropped_and_the_patch_answers_at_once()
{
    let service = StandIn::start(Behaviour::Status(410)).await;
    let app = app_with(&service).await;
    let (order, visitor) = placed(&app).await;
    let id = id_of(&order);
    let browser = Browser::new(13);
    subscribe(
        &app,
        &visitor,
        id,
        &browser.subscription(&format!("{}/push/gone", service.origin())),
    )
    .await;
    assert!(subscription_row(&app, id).await.is_some());

    let (ready, took) = make_ready(&app, &order).await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert!(took < Duration::from_secs(2), "the PATCH took {took:?}");
    wait_for_row(&app, id, Duration::from_secs(10), Option::is_none).await;
    assert_eq!(service.received().len(), 1, "a 410 is not retried");
}

#[tokio::test]
async fn closing_the_order_deletes_its_subscription() {
    let service = StandIn::start(Behaviour::Status(201)).await;
    let app = app_with(&service).await;
    let endpoint = &format!("{}/push/closing", service.origin());

    // Served by the bar.
    let (order, visitor) = placed(&app).await;
    let id = id_of(&order);
    subscribe(&app, &visitor, id, &Browser::new(15).subscription(endpoint)).await;
    let preparing = json(patch_status(&app, id, "preparing", version_of(&order)).await).await;
    let ready = json(patch_status(&app, id, "ready", version_of(&preparing)).await).await;
    assert!(subscription_row(&app, id).await.is_some());
    let served = patch_status(&app, id, "served", version_of(&ready)).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(subscription_row(&app, id).await, None);

    // Cancelled by the visitor.
    let (order, visitor) = placed(&app).await;
    let id = id_of(&order);
    subscribe(&app, &visitor, id, &Browser::new(17).subscription(endpoint)).await;
    let cancel = e2e::api::cancel_order(&app, &visitor, id).await;
    assert_eq!(cancel.status(), StatusCode::OK);
    assert_eq!(subscription_row(&app, id).await, None);
    // A closed order takes no new subscription.
    let late = subscribe(&app, &visitor, id, &Browser::new(17).subscription(endpoint)).await;
    assert_eq!(late.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_purge_leaves_no_subscription_behind() {
    let service = StandIn::start(Behaviour::Status(201)).await;
    let app = app_with(&service).await;
    let (order, visitor) = placed(&app).await;
    let id = id_of(&order);
    subscribe(
        &app,
        &visitor,
        id,
        &Browser::new(19).subscription("https://fcm.googleapis.com/fcm/send/p"),
    )
    .await;
    // A row left behind by hand (the trigger deletes it on close): the purge cascades.
    app.arrange_sql(&format!(
        "ALTER TABLE orders DISABLE TRIGGER orders_close_push_subscription;
         UPDATE orders SET status = 'cancelled', cancelled_at = now() WHERE id = {id};
         ALTER TABLE orders ENABLE TRIGGER orders_close_push_subscription;"
    ))
    .await;
    assert!(subscription_row(&app, id).await.is_some());
    let purge = app
        .bar(
            reqwest::Method::DELETE,
            "/api/orders?before=253402300799999",
        )
        .send()
        .await
        .expect("purge");
    assert_eq!(json(purge).await, json!({"purged": 1}));
    assert_eq!(app.count("push_subscriptions").await, 0);
}

#[test]
fn order_fn_may_reach_exactly_the_push_services_core_accepts() {
    let text = std::fs::read_to_string(e2e::workspace_root().join("spin.toml")).expect("spin.toml");
    let manifest: toml::Table = text.parse().expect("TOML");
    let hosts: Vec<String> = manifest["component"]["order-fn"]["allowed_outbound_hosts"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|h| h.as_str())
        .filter(|h| h.starts_with("https://"))
        .map(str::to_string)
        .collect();
    let services: Vec<String> = drinks_core::push::PUSH_SERVICES
        .iter()
        .map(|host| format!("https://{host}"))
        .collect();
    assert_eq!(hosts, services);
}
