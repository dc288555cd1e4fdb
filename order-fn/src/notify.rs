//! After the bar's move to `ready` has been answered: the Web Push message to the
//! visitor's subscription, tried at most twice with bounded timeouts, and its outcome
//! recorded (a 404/410 drops the subscription). Nothing here can change the answer the bar
//! already has; a failure is logged in one line and recorded.

use std::time::Duration;

use api_spin::outbound::{self, Outgoing, Timeouts};
use api_spin::{db, variable};
use drinks_core::push::{Attempt, Next, StoredSubscription};
use drinks_core::{Order, sql};
use spin_sdk::pg4::ParameterValue as P;

/// Push services answer within a second or two; a slower one is treated as failed.
const TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_secs(3),
    first_byte: Duration::from_secs(5),
    between_bytes: Duration::from_secs(5),
};

/// Tells the subscription that `order` is ready, then records how it went.
pub fn ready(order: &Order, subscription: &StoredSubscription) {
    let (gone, outcome) = deliver(order, subscription);
    let recorded = db::query(
        "RECORD_PUSH",
        sql::RECORD_PUSH,
        &[
            P::Int64(order.id),
            P::Str(subscription.endpoint.clone()),
            P::Boolean(gone),
            P::Str(outcome),
        ],
    );
    if let Err(error) = recorded {
        eprintln!(
            "warning: recording the push outcome of order {}: {}",
            order.id,
            error.log_line().unwrap_or_else(|| error.to_string())
        );
    }
}

/// Sends the message (a second time when the first try failed in a way worth retrying);
/// returns whether the subscription is gone and the outcome to record.
fn deliver(order: &Order, subscription: &StoredSubscription) -> (bool, String) {
    let key = match crate::push::vapid_key() {
        Ok(key) => key,
        Err(error) => {
            eprintln!("warning: push for order {} not sent: {error}", order.id);
            return (false, "failed not configured".to_owned());
        }
    };
    let subject = variable("push_contact").unwrap_or_default();
    let mut number = 1;
    loop {
        let message = match subscription.ready_message(
            order,
            &key,
            &subject,
            outbound::now_secs(),
            &outbound::random_bytes::<48>(),
        ) {
            Ok(message) => message,
            Err(error) => {
                eprintln!("warning: push for order {} not sent: {error}", order.id);
                return (false, format!("failed {error}"));
            }
        };
        let attempt = match outbound::send(
            &Outgoing {
                https: message.endpoint.scheme == "https",
                authority: &message.endpoint.authority,
                path_and_query: &message.endpoint.path_and_query,
                headers: &message.headers,
                body: &message.body,
            },
            TIMEOUTS,
        ) {
            Ok(status) => Attempt::Answered(status),
            Err(error) => Attempt::Failed(error),
        };
        match Next::after(number, &attempt) {
            Next::Retry => number += 1,
            Next::Record {
                gone,
                outcome,
                failed,
            } => {
                if failed {
                    eprintln!(
                        "warning: push for order {} to {} failed: {outcome}",
                        order.id, message.endpoint.authority
                    );
                }
                return (gone, outcome);
            }
        }
    }
}
