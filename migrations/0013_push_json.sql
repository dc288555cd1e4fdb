-- A stored push subscription as order-fn reads it (core: `push::StoredSubscription`), built
-- in one place: a move to `ready` (SET_STATUS_NOTIFYING) and a batch (SET_STATUSES_NOTIFYING)
-- both hand it over in this shape.
create function push_json(ps push_subscriptions) returns json
language sql immutable parallel safe
return json_build_object('endpoint', ps.endpoint, 'p256dh', ps.p256dh, 'auth', ps.auth);
