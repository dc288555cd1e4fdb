-- Web Push: the browser's push subscription of a visitor's open order, so that the bar's
-- move to `ready` can notify the visitor's phone (docs/API.md, "Notifications").
--
-- One subscription per order (a new one replaces it). It is personal data and a capability
-- (whoever holds the endpoint and keys can message the phone): no endpoint and no shape
-- returns it; only the bar's status change reads it, to hand it to order-fn, and order-fn
-- never answers with it.
create table push_subscriptions (
    order_id     bigint primary key references orders (id) on delete cascade,
    endpoint     text not null check (char_length(endpoint) between 1 and 1024),
    p256dh       text not null check (char_length(p256dh) between 1 and 100),
    auth         text not null check (char_length(auth) between 1 and 40),
    created_at   timestamptz not null default now(),
    -- The last push's outcome (`delivered 201`, `failed 503`, `failed timeout`, ...), for
    -- the operator; null until a push was tried. A 404/410 deletes the row instead.
    last_outcome text,
    last_push_at timestamptz
);

-- A closed order keeps no subscription: the status change that closes it deletes it in the
-- same transaction, whoever writes (a component or psql). The list is the statuses outside
-- `OrderStatus::OPEN` (core/src/domain.rs), held to it by a core test
-- (`sql::tests::closing_an_order_drops_its_subscription_for_exactly_the_closed_statuses`).
-- The purge deletes closed orders, and with them (`on delete cascade`) anything left.
create function push_subscriptions_close() returns trigger
language plpgsql
as $fn$
begin
    delete from push_subscriptions where order_id = new.id;
    return null;
end
$fn$;

create trigger orders_close_push_subscription
after update of status on orders
for each row
when (new.status in ('served', 'cancelled') and old.status is distinct from new.status)
execute function push_subscriptions_close();
