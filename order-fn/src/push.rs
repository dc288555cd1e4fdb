//! Web Push for the visitor: `GET /api/push` (public) gives the browser the application
//! server's public key; `PUT /api/orders/{id}/push` (`X-Visitor-Id`) stores the browser's
//! subscription with the visitor's open order, `DELETE` drops it. The message itself is
//! sent by [`crate::notify`] after the bar's move to `ready` was answered.

use api_spin::{PathParams, Request, db, respond, variable};
use drinks_core::api::to_json;
use drinks_core::http::{VISITOR_HEADER, visitor_from_header};
use drinks_core::push::{PublicKey, Subscription, VapidKey};
use drinks_core::{ApiError, OrderId, OrderStatus, shapes, sql};
use spin_sdk::http::Response;
use spin_sdk::pg4::ParameterValue as P;

/// The configured VAPID key (Spin variable `vapid_key`); 503 `push-not-configured` when
/// it is empty.
pub fn vapid_key() -> Result<VapidKey, ApiError> {
    VapidKey::from_variable(variable("vapid_key").as_deref())
}

/// `GET /api/push`: `{"public_key": "<base64url uncompressed P-256 point>"}`.
pub fn public_key(_req: &Request, _path: &PathParams) -> Result<Response, ApiError> {
    let public_key = vapid_key()?.public_key();
    Ok(respond::json(200, to_json(&PublicKey { public_key })?))
}

/// `PUT /api/orders/{id}/push`: `PushSubscription.toJSON()` for the visitor's open order.
pub fn subscribe(req: &Request, path: &PathParams) -> Result<Response, ApiError> {
    let id = path.parse("id", OrderId::parse)?;
    let visitor = visitor_from_header(req.header(VISITOR_HEADER))?;
    vapid_key()?;
    let subscription =
        Subscription::from_json(&req.json_body()?, variable("push_extra_origin").as_deref())?;
    let json = db::query(
        "SAVE_PUSH_SUBSCRIPTION",
        sql::SAVE_PUSH_SUBSCRIPTION,
        &[
            P::Int64(id.get()),
            P::Uuid(visitor.to_hyphenated()),
            P::Str(OrderStatus::sql_list(&OrderStatus::OPEN)),
            P::Str(subscription.endpoint),
            P::Str(subscription.p256dh),
            P::Str(subscription.auth),
        ],
    )?;
    shapes::push_saved(json.as_deref())?;
    Ok(respond::no_content())
}

/// `DELETE /api/orders/{id}/push`: drops the order's subscription, if any (idempotent).
pub fn unsubscribe(req: &Request, path: &PathParams) -> Result<Response, ApiError> {
    let id = path.parse("id", OrderId::parse)?;
    let visitor = visitor_from_header(req.header(VISITOR_HEADER))?;
    db::query(
        "DELETE_PUSH_SUBSCRIPTION",
        sql::DELETE_PUSH_SUBSCRIPTION,
        &[P::Int64(id.get()), P::Uuid(visitor.to_hyphenated())],
    )?;
    Ok(respond::no_content())
}
