//! Web Push, without I/O: the subscription a visitor's browser hands over
//! (`PushSubscription.toJSON()`), the message for it encrypted as RFC 8291 says (aes128gcm,
//! RFC 8188, through `ece-native`), its VAPID authorization (RFC 8292, an ES256 JWT signed
//! with `p256`), and what the push service's answer means. Randomness and the clock come
//! from the caller (the component), so that everything here is deterministic and testable.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use p256::ecdsa::signature::Signer as _;
use p256::elliptic_curve::sec1::ToEncodedPoint as _;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::api::{Order, from_json};
use crate::problem::{ApiError, InfraError, RequestError};

/// The push services of the browsers the visitors use, by host: Chrome and Android (FCM),
/// Firefox (Mozilla autopush), Edge (Windows Push Notification Services, one host per
/// region under `notify.windows.com`) and Safari on macOS and iOS (Apple). A subscription's
/// endpoint must be `https://` on one of them (port 443). `spin.toml` allows order-fn
/// exactly these hosts (`allowed_outbound_hosts`); `tests/tests/push.rs` holds the two
/// lists together.
pub const PUSH_SERVICES: &[&str] = &[
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "*.notify.windows.com",
    "web.push.apple.com",
];

/// The status whose reaching notifies the visitor ("your drink is ready").
pub const NOTIFY_ON: crate::OrderStatus = crate::OrderStatus::Ready;

/// How long a push service keeps a message it cannot deliver yet (the `TTL` header): a
/// drink that is ready is collected within minutes, or not at all.
pub const TTL_SECONDS: u32 = 15 * 60;

/// How long a VAPID token is valid (RFC 8292 §2: at most 24 hours).
const TOKEN_SECONDS: u64 = 12 * 60 * 60;

/// The record size of the encrypted body (RFC 8291 §4: a single record of at most 4096
/// bytes, which is what push services accept).
const RECORD_SIZE: u32 = 4096;

/// The longest subscription endpoint taken (browsers' are a few hundred characters).
const MAX_ENDPOINT_LEN: usize = 1024;

/// The push service's answer, or the failure to get one, as the sender acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// 2xx: the push service took the message.
    Delivered,
    /// 404 or 410: the subscription has expired or was revoked; drop it (RFC 8030 §7.3).
    Gone,
    /// 429, 5xx, a timeout or a connection failure: worth one more try.
    Retry,
    /// Any other answer (400, 401/403 for the VAPID token, 413): another try would fail too.
    Refused,
}

impl Delivery {
    /// What an HTTP status code of the push service means.
    pub fn of_status(status: u16) -> Self {
        match status {
            200..=299 => Delivery::Delivered,
            404 | 410 => Delivery::Gone,
            429 | 500..=599 => Delivery::Retry,
            _ => Delivery::Refused,
        }
    }
}

/// How many times a message is sent at most: a failure worth retrying gets one more try.
pub const ATTEMPTS: u32 = 2;

/// What one try to send a message came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The push service answered with this status code.
    Answered(u16),
    /// No answer: the host's error (a timeout, a refused connection, a denied host).
    Failed(String),
}

/// What to do after a try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Send once more.
    Retry,
    /// Done: record the outcome on the subscription, or drop it when `gone`.
    Record {
        gone: bool,
        /// `delivered 201`, `gone 410`, `failed 503`, `failed ConnectionReadTimeout`, ...
        outcome: String,
        /// Whether it did not reach the phone (worth a line in the log).
        failed: bool,
    },
}

impl Next {
    /// After try number `number` (1-based) ended as `attempt`.
    pub fn after(number: u32, attempt: &Attempt) -> Self {
        let (delivery, what) = match attempt {
            Attempt::Answered(status) => (Delivery::of_status(*status), status.to_string()),
            Attempt::Failed(error) => (Delivery::Retry, error.clone()),
        };
        match delivery {
            Delivery::Retry if number < ATTEMPTS => Next::Retry,
            Delivery::Delivered => Self::record(false, "delivered", what, false),
            Delivery::Gone => Self::record(true, "gone", what, false),
            Delivery::Retry | Delivery::Refused => Self::record(false, "failed", what, true),
        }
    }

    fn record(gone: bool, kind: &str, what: String, failed: bool) -> Self {
        let mut outcome = format!("{kind} {what}");
        outcome.truncate(200);
        Next::Record {
            gone,
            outcome,
            failed,
        }
    }
}

/// An error building a push message: a configuration or a stored value that cannot be
/// used (never the visitor's input, which is checked when it is stored).
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("the VAPID key is not a base64url P-256 private key")]
    BadVapidKey,
    #[error("the stored subscription cannot be used: {0}")]
    BadSubscription(&'static str),
    #[error("the random bytes are not a usable ephemeral key")]
    BadEntropy,
    #[error("the message is too long for one push record")]
    TooLong,
    #[error("encrypting the message failed")]
    Encryption,
}

/// The application server's VAPID key pair (the Spin variable `vapid_key`: the private
/// P-256 scalar, base64url, 32 bytes). The public key is derived from it.
#[derive(Clone)]
pub struct VapidKey(p256::ecdsa::SigningKey);

impl std::fmt::Debug for VapidKey {
    /// Never shows the private key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VapidKey({})", self.public_key())
    }
}

impl VapidKey {
    /// The configured key; an empty (unset) variable means Web Push is not configured.
    pub fn from_variable(value: Option<&str>) -> Result<Self, ApiError> {
        let value = value.map(str::trim).unwrap_or_default();
        if value.is_empty() {
            return Err(InfraError::PushNotConfigured.into());
        }
        Self::parse(value).map_err(|e| ApiError::internal_because("the Spin variable vapid_key", e))
    }

    /// A base64url private key.
    pub fn parse(text: &str) -> Result<Self, PushError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|_| PushError::BadVapidKey)?;
        Self::from_bytes(&bytes)
    }

    /// A key from 32 bytes (`cargo xtask up` makes one from random bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PushError> {
        p256::ecdsa::SigningKey::from_slice(bytes)
            .map(Self)
            .map_err(|_| PushError::BadVapidKey)
    }

    /// The private key as the variable holds it.
    pub fn to_variable(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.to_bytes())
    }

    /// The public key as browsers take it (`applicationServerKey`): the uncompressed
    /// point, base64url.
    pub fn public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.verifying_key().to_encoded_point(false).as_bytes())
    }

    /// The VAPID `Authorization` header value for a push resource of `origin`
    /// (RFC 8292 §3): `vapid t=<ES256 JWT>, k=<public key>`.
    pub fn authorization(&self, origin: &str, subject: &str, now_secs: u64) -> String {
        #[derive(Serialize)]
        struct Claims<'a> {
            aud: &'a str,
            exp: u64,
            sub: &'a str,
        }
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::to_vec(&Claims {
            aud: origin,
            exp: now_secs + TOKEN_SECONDS,
            sub: subject,
        })
        .unwrap_or_default();
        let signing_input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims));
        let signature: p256::ecdsa::Signature = self.0.sign(signing_input.as_bytes());
        format!(
            "vapid t={signing_input}.{}, k={}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes()),
            self.public_key()
        )
    }
}

/// `GET /api/push`: the key browsers subscribe with (`applicationServerKey`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKey {
    pub public_key: String,
}

/// `PUT /api/orders/{id}/push` body: `PushSubscription.toJSON()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub endpoint: String,
    /// The user agent's public key (`keys.p256dh`), base64url as sent.
    pub p256dh: String,
    /// The authentication secret (`keys.auth`), base64url as sent.
    pub auth: String,
}

#[derive(Deserialize)]
struct SubscriptionBody {
    endpoint: String,
    #[serde(rename = "expirationTime", default)]
    _expiration_time: Option<ExpirationTime>,
    keys: KeysBody,
}

/// `expirationTime`: null or a time (epoch ms); the push service says when it ends, so it
/// is not kept.
#[derive(Deserialize)]
#[serde(transparent)]
struct ExpirationTime(#[allow(dead_code)] f64);

#[derive(Deserialize)]
struct KeysBody {
    p256dh: UaPublicKey,
    auth: AuthSecret,
}

/// `keys.p256dh`: an uncompressed P-256 point on the curve, base64url.
struct UaPublicKey(String);

impl<'de> Deserialize<'de> for UaPublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ua_public_key(&text)
            .map(|_| Self(text))
            .map_err(|_| serde::de::Error::custom("not a base64url uncompressed P-256 public key"))
    }
}

/// `keys.auth`: 16 bytes, base64url.
struct AuthSecret(String);

impl<'de> Deserialize<'de> for AuthSecret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        auth_secret(&text)
            .map(|_| Self(text))
            .map_err(|_| serde::de::Error::custom("not a base64url 16-byte secret"))
    }
}

fn decode_b64url(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

fn ua_public_key(text: &str) -> Result<p256::PublicKey, PushError> {
    let bytes = decode_b64url(text).ok_or(PushError::BadSubscription("p256dh"))?;
    if bytes.len() != 65 || bytes[0] != 4 {
        return Err(PushError::BadSubscription("p256dh"));
    }
    p256::PublicKey::from_sec1_bytes(&bytes).map_err(|_| PushError::BadSubscription("p256dh"))
}

fn auth_secret(text: &str) -> Result<[u8; 16], PushError> {
    decode_b64url(text)
        .and_then(|b| <[u8; 16]>::try_from(b).ok())
        .ok_or(PushError::BadSubscription("auth"))
}

impl Subscription {
    /// Parses the body and checks the endpoint: `https://` on one of [`PUSH_SERVICES`], or
    /// below `extra_origin` (the Spin variable `push_extra_origin`, e.g. a stand-in push
    /// service in tests; empty in production).
    pub fn from_json(body: &[u8], extra_origin: Option<&str>) -> Result<Self, ApiError> {
        let parsed: SubscriptionBody = from_json(body)?;
        let endpoint = Endpoint::parse(&parsed.endpoint, extra_origin).map_err(|reason| {
            RequestError::InvalidField {
                field: "endpoint".into(),
                reason: reason.into(),
            }
        })?;
        Ok(Self {
            endpoint: endpoint.url,
            p256dh: parsed.keys.p256dh.0,
            auth: parsed.keys.auth.0,
        })
    }
}

/// A subscription endpoint split for the outbound request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub url: String,
    /// `https` or `http` (only an `http` extra origin).
    pub scheme: String,
    /// `host` or `host:port`, lower case.
    pub authority: String,
    pub path_and_query: String,
}

impl Endpoint {
    /// The push resource's origin (the VAPID token's audience).
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }

    /// Checks an endpoint against the push services (and the extra origin, if any).
    pub fn parse(url: &str, extra_origin: Option<&str>) -> Result<Self, &'static str> {
        let endpoint = Self::split(url)?;
        let extra = extra_origin
            .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
            .filter(|o| !o.is_empty());
        if extra.is_some_and(|o| o == endpoint.origin()) {
            return Ok(endpoint);
        }
        if endpoint.scheme != "https" {
            return Err("must be an https URL");
        }
        let host = endpoint.authority.as_str();
        if PUSH_SERVICES
            .iter()
            .any(|service| host_matches(service, host))
        {
            Ok(endpoint)
        } else {
            Err("must be on the push service of a supported browser")
        }
    }

    /// The parts of an absolute URL with a path, without looking at where it points.
    fn split(url: &str) -> Result<Self, &'static str> {
        if url.len() > MAX_ENDPOINT_LEN {
            return Err("too long");
        }
        if !url.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("must be an https URL without spaces or control characters");
        }
        let (scheme, rest) = url.split_once("://").ok_or("must be an https URL")?;
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(i) => rest.split_at(i),
            None => return Err("must have a path"),
        };
        if !path.starts_with('/') || path.contains('#') {
            return Err("must have a path and no fragment");
        }
        let authority = authority.to_ascii_lowercase();
        if authority.is_empty() || authority.contains('@') {
            return Err("must name a push service host");
        }
        let scheme = scheme.to_ascii_lowercase();
        // The origin leaves out the scheme's default port (the VAPID audience is compared
        // as an origin).
        let default_port = if scheme == "https" { ":443" } else { ":80" };
        let authority = authority
            .strip_suffix(default_port)
            .map(str::to_owned)
            .unwrap_or(authority);
        Ok(Self {
            url: url.to_owned(),
            scheme,
            authority,
            path_and_query: path.to_owned(),
        })
    }
}

/// `*.example.com` matches any subdomain of example.com (not itself), as Spin's
/// `allowed_outbound_hosts` does; other entries match exactly.
fn host_matches(service: &str, host: &str) -> bool {
    match service.strip_prefix("*.") {
        Some(domain) => host
            .strip_suffix(domain)
            .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.') && valid_labels(sub)),
        None => host == service,
    }
}

fn valid_labels(prefix: &str) -> bool {
    prefix
        .strip_suffix('.')
        .unwrap_or(prefix)
        .split('.')
        .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// The encrypted message of RFC 8291 §4 for a user agent's key and secret: the aes128gcm
/// header (salt, record size 4096, the ephemeral public key as key id) and one record.
/// `salt` and `as_secret` (the application server's ephemeral private key) must be fresh
/// random bytes for every message.
pub fn encrypt(
    plaintext: &[u8],
    ua_public: &p256::PublicKey,
    auth: &[u8; 16],
    salt: [u8; 16],
    as_secret: &[u8; 32],
) -> Result<Vec<u8>, PushError> {
    if plaintext.len() + 17 > RECORD_SIZE as usize {
        return Err(PushError::TooLong);
    }
    let as_secret = p256::SecretKey::from_slice(as_secret).map_err(|_| PushError::BadEntropy)?;
    let as_public = as_secret.public_key().to_encoded_point(false);
    let ua_point = ua_public.to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(as_secret.to_nonzero_scalar(), ua_public.as_affine());
    // RFC 8291 §3.3-3.4: IKM = HKDF(auth, ecdh_secret, "WebPush: info" || 0 || ua || as, 32).
    let mut info = Vec::with_capacity(14 + 65 + 65);
    info.extend_from_slice(b"WebPush: info\0");
    info.extend_from_slice(ua_point.as_bytes());
    info.extend_from_slice(as_public.as_bytes());
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes().as_slice())
        .expand(&info, &mut ikm)
        .map_err(|_| PushError::Encryption)?;
    ece_native::encrypt(
        ikm,
        salt,
        as_public.as_bytes(),
        std::iter::once(plaintext.to_vec()),
        RECORD_SIZE,
    )
    .map_err(|_| PushError::Encryption)
}

/// The decrypted payload's shape: `{"kind": "ready", "order": Order}`.
#[derive(Debug, Serialize)]
pub struct ReadyMessage<'a> {
    pub kind: &'static str,
    pub order: &'a Order,
}

/// The outbound request of one push message (RFC 8030 §5), ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRequest {
    pub endpoint: Endpoint,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// What a stored subscription needs to receive a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredSubscription {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

impl StoredSubscription {
    /// The request that tells this subscription that `order` is ready. `entropy`: 48 fresh
    /// random bytes (salt and ephemeral key); `now_secs`: the time (the token's expiry is
    /// counted from it); `subject`: the contact the push service may reach (VAPID `sub`).
    pub fn ready_message(
        &self,
        order: &Order,
        key: &VapidKey,
        subject: &str,
        now_secs: u64,
        entropy: &[u8; 48],
    ) -> Result<PushRequest, PushError> {
        // The endpoint was checked when it was stored; only its parts are needed here.
        let endpoint =
            Endpoint::split(&self.endpoint).map_err(|_| PushError::BadSubscription("endpoint"))?;
        let ua_public = ua_public_key(&self.p256dh)?;
        let auth = auth_secret(&self.auth)?;
        let payload = serde_json::to_vec(&ReadyMessage {
            kind: "ready",
            order,
        })
        .map_err(|_| PushError::Encryption)?;
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&entropy[..16]);
        let mut as_secret = [0u8; 32];
        as_secret.copy_from_slice(&entropy[16..]);
        let body = encrypt(&payload, &ua_public, &auth, salt, &as_secret)?;
        let headers = vec![
            (
                "authorization",
                key.authorization(&endpoint.origin(), subject, now_secs),
            ),
            ("content-encoding", "aes128gcm".to_owned()),
            ("content-type", "application/octet-stream".to_owned()),
            ("content-length", body.len().to_string()),
            ("ttl", TTL_SECONDS.to_string()),
            ("urgency", "high".to_owned()),
        ];
        Ok(PushRequest {
            endpoint,
            headers,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(text).expect("base64url")
    }

    /// RFC 8291 §5 (Appendix A), "Push Message Encryption Example": its keys, salt and
    /// plaintext.
    const RFC_PLAINTEXT: &[u8] = b"When I grow up, I want to be a watermelon";
    const RFC_AS_PRIVATE: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    const RFC_UA_PUBLIC: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const RFC_AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
    const RFC_SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
    const RFC_CIPHERTEXT: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    #[test]
    fn the_rfc_8291_example_encrypts_to_the_published_ciphertext() {
        let ua_public = ua_public_key(RFC_UA_PUBLIC).expect("the RFC's user agent key");
        let auth: [u8; 16] = b64(RFC_AUTH).try_into().expect("16 bytes");
        let salt: [u8; 16] = b64(RFC_SALT).try_into().expect("16 bytes");
        let as_secret: [u8; 32] = b64(RFC_AS_PRIVATE).try_into().expect("32 bytes");
        let ciphertext =
            encrypt(RFC_PLAINTEXT, &ua_public, &auth, salt, &as_secret).expect("encrypts");
        assert_eq!(URL_SAFE_NO_PAD.encode(ciphertext), RFC_CIPHERTEXT);
    }

    #[test]
    fn a_message_too_long_for_one_record_is_refused() {
        let ua_public = ua_public_key(RFC_UA_PUBLIC).expect("key");
        let long = vec![b'x'; 4080];
        assert!(matches!(
            encrypt(&long, &ua_public, &[1; 16], [2; 16], &[3; 32]),
            Err(PushError::TooLong)
        ));
    }

    fn key() -> VapidKey {
        VapidKey::from_bytes(&[7u8; 32]).expect("a valid scalar")
    }

    #[test]
    fn the_vapid_token_is_an_es256_jwt_for_the_push_services_origin() {
        use p256::ecdsa::signature::Verifier as _;
        let header = key().authorization(
            "https://fcm.googleapis.com",
            "mailto:bar@example.org",
            1_000,
        );
        let rest = header.strip_prefix("vapid t=").expect("vapid scheme");
        let (token, k) = rest.split_once(", k=").expect("t and k");
        assert_eq!(k, key().public_key());
        let (signing_input, signature) = token.rsplit_once('.').expect("three parts");
        let (head, claims) = signing_input.split_once('.').expect("three parts");
        let head: serde_json::Value = serde_json::from_slice(&b64(head)).expect("JSON");
        assert_eq!(head, serde_json::json!({"typ": "JWT", "alg": "ES256"}));
        let claims: serde_json::Value = serde_json::from_slice(&b64(claims)).expect("JSON");
        assert_eq!(
            claims,
            serde_json::json!({"aud": "https://fcm.googleapis.com", "exp": 1_000 + 12 * 3600, "sub": "mailto:bar@example.org"})
        );
        let public = p256::ecdsa::VerifyingKey::from_sec1_bytes(&b64(k)).expect("point");
        let signature = p256::ecdsa::Signature::from_slice(&b64(signature)).expect("r||s");
        public
            .verify(signing_input.as_bytes(), &signature)
            .expect("signature verifies");
    }

    #[test]
    fn the_public_key_is_the_uncompressed_point_and_the_key_round_trips() {
        let public = b64(&key().public_key());
        assert_eq!((public.len(), public[0]), (65, 4));
        let again = VapidKey::parse(&key().to_variable()).expect("parses");
        assert_eq!(again.public_key(), key().public_key());
        assert!(!format!("{:?}", key()).contains(&key().to_variable()));
    }

    #[test]
    fn an_empty_vapid_variable_means_push_is_not_configured() {
        let e = VapidKey::from_variable(Some(" ")).expect_err("not configured");
        assert_eq!(e.problem().status, 503);
        assert_eq!(e.problem().kind, "/problems/push-not-configured");
        assert!(VapidKey::from_variable(None).is_err());
        let bad = VapidKey::from_variable(Some("not-a-key")).expect_err("refused");
        assert_eq!(bad.problem().status, 500);
    }

    fn body(endpoint: &str, p256dh: &str, auth: &str) -> Vec<u8> {
        serde_json::json!({"endpoint": endpoint, "expirationTime": null,
                           "keys": {"p256dh": p256dh, "auth": auth}})
        .to_string()
        .into_bytes()
    }

    fn field_of(e: ApiError) -> Option<String> {
        e.problem().field
    }

    #[test]
    fn a_subscription_of_each_supported_push_service_is_taken() {
        for endpoint in [
            "https://fcm.googleapis.com/fcm/send/abc:APA91b",
            "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
            "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA",
            "https://web.push.apple.com/QGuQyavXutnMH",
            "https://WEB.push.apple.com:443/x",
        ] {
            let s = Subscription::from_json(&body(endpoint, RFC_UA_PUBLIC, RFC_AUTH), None)
                .unwrap_or_else(|e| panic!("{endpoint}: {e:?}"));
            assert_eq!(s.endpoint, endpoint);
        }
    }

    #[test]
    fn an_endpoint_elsewhere_is_refused_naming_the_field() {
        for endpoint in [
            "http://fcm.googleapis.com/fcm/send/x",
            "https://evil.example/fcm/send/x",
            "https://fcm.googleapis.com.evil.example/x",
            "https://notify.windows.com/x",
            "https://a..notify.windows.com/x",
            "https://user@fcm.googleapis.com/x",
            "https://fcm.googleapis.com:8443/x",
            "https://fcm.googleapis.com",
            "https://fcm.googleapis.com/a b",
            "http://127.0.0.1:9/push",
            "fcm.googleapis.com/x",
        ] {
            let e = Subscription::from_json(&body(endpoint, RFC_UA_PUBLIC, RFC_AUTH), None)
                .expect_err(endpoint);
            assert_eq!(field_of(e).as_deref(), Some("endpoint"), "{endpoint}");
        }
    }

    #[test]
    fn the_origin_of_an_endpoint_leaves_out_the_default_port() {
        let endpoint = Endpoint::parse("https://Web.Push.Apple.com:443/x?y=1", None).expect("ok");
        assert_eq!(endpoint.origin(), "https://web.push.apple.com");
        assert_eq!(endpoint.path_and_query, "/x?y=1");
        let local =
            Endpoint::parse("http://127.0.0.1:9/p", Some("http://127.0.0.1:9")).expect("ok");
        assert_eq!(local.origin(), "http://127.0.0.1:9");
    }

    #[test]
    fn the_extra_origin_admits_exactly_that_origin() {
        let extra = Some("http://127.0.0.1:9");
        let ok = Subscription::from_json(
            &body("http://127.0.0.1:9/push/1", RFC_UA_PUBLIC, RFC_AUTH),
            extra,
        );
        assert!(ok.is_ok());
        let other = Subscription::from_json(
            &body("http://127.0.0.1:10/push/1", RFC_UA_PUBLIC, RFC_AUTH),
            extra,
        );
        assert!(other.is_err());
    }

    #[test]
    fn bad_keys_are_refused_naming_the_field() {
        let endpoint = "https://fcm.googleapis.com/fcm/send/x";
        let compressed = URL_SAFE_NO_PAD.encode(
            ua_public_key(RFC_UA_PUBLIC)
                .expect("key")
                .to_encoded_point(true)
                .as_bytes(),
        );
        let off_curve = URL_SAFE_NO_PAD.encode([4u8; 65]);
        for (p256dh, auth, field) in [
            ("!!", RFC_AUTH, "keys.p256dh"),
            (compressed.as_str(), RFC_AUTH, "keys.p256dh"),
            (off_curve.as_str(), RFC_AUTH, "keys.p256dh"),
            (RFC_UA_PUBLIC, "AAAA", "keys.auth"),
            (RFC_UA_PUBLIC, "not base64!", "keys.auth"),
        ] {
            let e = Subscription::from_json(&body(endpoint, p256dh, auth), None).expect_err(field);
            assert_eq!(field_of(e).as_deref(), Some(field));
        }
        let missing =
            Subscription::from_json(br#"{"endpoint": "https://fcm.googleapis.com/x"}"#, None)
                .expect_err("no keys");
        assert_eq!(field_of(missing).as_deref(), Some("keys"));
    }

    #[test]
    fn a_failure_worth_retrying_is_retried_once_then_recorded() {
        let timeout = Attempt::Failed("ConnectionReadTimeout".into());
        assert_eq!(Next::after(1, &timeout), Next::Retry);
        assert_eq!(
            Next::after(2, &timeout),
            Next::Record {
                gone: false,
                outcome: "failed ConnectionReadTimeout".into(),
                failed: true
            }
        );
        assert_eq!(Next::after(1, &Attempt::Answered(503)), Next::Retry);
        assert_eq!(
            Next::after(2, &Attempt::Answered(201)),
            Next::Record {
                gone: false,
                outcome: "delivered 201".into(),
                failed: false
            }
        );
    }

    #[test]
    fn a_gone_subscription_is_dropped_at_once_and_a_refusal_is_not_retried() {
        assert_eq!(
            Next::after(1, &Attempt::Answered(410)),
            Next::Record {
                gone: true,
                outcome: "gone 410".into(),
                failed: false
            }
        );
        assert_eq!(
            Next::after(1, &Attempt::Answered(403)),
            Next::Record {
                gone: false,
                outcome: "failed 403".into(),
                failed: true
            }
        );
    }

    #[test]
    fn the_push_services_answer_decides_what_happens_next() {
        assert_eq!(Delivery::of_status(201), Delivery::Delivered);
        assert_eq!(Delivery::of_status(410), Delivery::Gone);
        assert_eq!(Delivery::of_status(404), Delivery::Gone);
        assert_eq!(Delivery::of_status(429), Delivery::Retry);
        assert_eq!(Delivery::of_status(503), Delivery::Retry);
        assert_eq!(Delivery::of_status(403), Delivery::Refused);
        assert_eq!(Delivery::of_status(413), Delivery::Refused);
    }
}
