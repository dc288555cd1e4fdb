-- 0003_json_shapes: the API's JSON shapes are built here, feed events are written by
-- triggers, and the three write functions are plain procedural PL/pgSQL.
--
-- Every statement the components run returns ONE column of JSON text, built by the shape
-- functions below (`order_json`, `drink_json`, `event_json`) and decoded with serde in
-- core (`drinks_core::shapes`). A field is added in one place per layer: here, in the Rust
-- type, in docs/openapi.yaml.
--
-- Times leave the database once, as epoch milliseconds, through `epoch_ms` (Spin's pg4
-- host cannot return `timestamptz`, and JSON has no time type).
--
-- Feed events are structural: `orders_emit_event` and `drinks_emit_event` are AFTER
-- triggers, so no write — in a function, a statement or psql — can change an order or a
-- drink's availability or stock without its event in the same transaction.
--
-- The order rules (which statuses are open, what the visitor may still change, which moves
-- the bar may make) live in core (`OrderStatus`); the functions take what they need as
-- comma-separated parameters, so there is no second copy here. The one literal copy is
-- the predicate of `orders_one_open_per_visitor` (migration 0001), which a core test holds
-- against `OrderStatus::OPEN`.
--
-- Like 0002: no EXCEPTION blocks (a unique violation, 23505, reaches the caller unchanged
-- and events keep the caller's transaction id); to change a body, add a migration.

-- Epoch milliseconds: the one place a time is formatted for the API.
create function epoch_ms(t timestamptz) returns int8
language sql stable parallel safe
return (extract(epoch from t) * 1000)::int8;

-- "Sold out": switched off, or no portion left (null stock = unlimited).
create function drink_sold_out(available boolean, stock int4) returns boolean
language sql immutable parallel safe
return not available or coalesce(stock = 0, false);

-- An order as the visitor and the bar see it (core: `shapes::Order`); null for no order.
create function order_json(o orders) returns json
language sql stable parallel safe
return case when o.id is null then null else json_build_object(
    'id', o.id,
    'number', o.number,
    'nickname', o.nickname,
    'drink', o.drink_id,
    'status', o.status,
    'version', o.version,
    'created_at', epoch_ms(o.created_at),
    'updated_at', epoch_ms(o.updated_at),
    'placed_at', epoch_ms(o.placed_at),
    'preparing_at', epoch_ms(o.preparing_at),
    'ready_at', epoch_ms(o.ready_at),
    'served_at', epoch_ms(o.served_at),
    'cancelled_at', epoch_ms(o.cancelled_at)
) end;

-- A drink of the menu (core: `shapes::Drink`).
create function drink_json(d drinks) returns json
language sql stable parallel safe
return json_build_object(
    'id', d.id,
    'name', d.name,
    'available', d.available,
    'stock', d.stock,
    'sold_out', drink_sold_out(d.available, d.stock)
);

-- A feed event as the pages see it (core: `shapes::FeedEvent`): an order snapshot, or a
-- drink snapshot for `drink` events. Never the visitor id.
create function event_json(e order_events) returns json
language sql stable parallel safe
return case when e.kind = 'drink' then json_build_object(
    'kind', e.kind,
    'at', epoch_ms(e.created_at),
    'drink', json_build_object(
        'id', e.drink_id,
        'available', e.available,
        'stock', e.stock,
        'sold_out', drink_sold_out(e.available, e.stock)
    )
) else json_build_object(
    'kind', e.kind,
    'at', epoch_ms(e.created_at),
    'order', json_build_object(
        'id', e.order_id,
        'number', e.number,
        'nickname', e.nickname,
        'drink', e.drink_id,
        'status', e.status,
        'version', e.version
    )
) end;

-- The outcome of a write function: `{"outcome": ..., "order": <order_json or null>}`.
create function write_outcome(outcome text, o orders) returns json
language sql stable parallel safe
return json_build_object('outcome', outcome, 'order', order_json(o));

-- The idempotency key of the visitor request that wrote the order's current version; the
-- event trigger copies it onto the event when it changes (unique there: a replay is found
-- by it, a concurrent twin fails with 23505).
alter table orders add column request_id uuid;

-- Every insert or visible update of an order writes one event: `placed`, `cancelled`, `status`
-- (another status), or `changed` (nickname or drink).
create function orders_emit_event() returns trigger
language plpgsql
as $fn$
begin
    insert into order_events (kind, order_id, number, nickname, drink_id, status, version, request_id)
    values (
        case
            when tg_op = 'INSERT' then 'placed'
            when new.status is distinct from old.status and new.status = 'cancelled' then 'cancelled'
            when new.status is distinct from old.status then 'status'
            else 'changed'
        end,
        new.id, new.number, new.nickname, new.drink_id, new.status, new.version,
        case when tg_op = 'INSERT' or new.request_id is distinct from old.request_id
             then new.request_id end
    );
    return null;
end
$fn$;

create trigger orders_emit_event_insert
after insert on orders
for each row execute function orders_emit_event();

-- Only a change someone can see (every write of the app bumps the version; a repair in
-- psql that touches only `updated_at` is no event).
create trigger orders_emit_event_update
after update on orders
for each row
when (new.version <> old.version
      or new.status is distinct from old.status
      or new.nickname is distinct from old.nickname
      or new.drink_id is distinct from old.drink_id)
execute function orders_emit_event();

-- Every change of a drink's availability or stock (or an explicit bar edit, which bumps
-- the version) writes one `drink` event, so open pages see "sold out" change live.
create function drinks_emit_event() returns trigger
language plpgsql
as $fn$
begin
    insert into order_events (kind, drink_id, available, stock)
    values ('drink', new.id, new.available, new.stock);
    return null;
end
$fn$;

create trigger drinks_emit_event
after update on drinks
for each row
when (new.available is distinct from old.available
      or new.stock is distinct from old.stock
      or new.version <> old.version)
execute function drinks_emit_event();

-- A portion goes back to its drink (an order cancelled, or moved to another drink); an
-- unlimited drink has none to return.
create function return_portion(p_drink_id text) returns void
language sql volatile
as $fn$
    update drinks set stock = stock + 1, updated_at = now()
    where id = p_drink_id and stock is not null;
$fn$;

-- Moves an order to a status: the version goes up, the status's time is stamped, and a
-- cancel returns the portion. The one place a status change is written (the visitor's
-- cancel and the bar's moves both come here); the callers decide whether it is allowed.
create function move_order(p_order_id int8, p_status text) returns orders
language plpgsql volatile
as $fn$
declare
    o orders;
begin
    update orders
    set status = p_status, version = version + 1, updated_at = now(),
        preparing_at = case when p_status = 'preparing' then now() else preparing_at end,
        ready_at = case when p_status = 'ready' then now() else ready_at end,
        served_at = case when p_status = 'served' then now() else served_at end,
        cancelled_at = case when p_status = 'cancelled' then now() else cancelled_at end
    where id = p_order_id
    returning * into o;
    if o.status = 'cancelled' then
        perform return_portion(o.drink_id);
    end if;
    return o;
end
$fn$;

-- The write functions of 0002 return a row type; these return JSON: replace them.
drop function place_order(uuid, text, text, uuid);
drop function cancel_order(int8, uuid);
drop function set_order_status(int8, text, int4, text);
drop type order_outcome;

-- Place an order, or change the visitor's open order while they may still change it.
-- `p_open`: the open statuses; `p_changeable`: those in which the visitor may change it
-- (both comma-separated, from core). Outcomes: placed, changed, replay, request_reused,
-- unknown_drink, sold_out, locked (with the open order). See `sql::PLACE_ORDER`.
create function place_order(
    p_visitor_id uuid, p_nickname text, p_drink_id text, p_request_id uuid,
    p_open text, p_changeable text
)
returns json
language plpgsql
volatile
as $fn$
declare
    seen orders;
    cur orders;
    d drinks;
    o orders;
begin
    select * into seen from orders
    where id = (select order_id from order_events where request_id = p_request_id);
    if found then
        if seen.visitor_id = p_visitor_id then
            return write_outcome('replay', seen);
        end if;
        return write_outcome('request_reused', null);
    end if;

    select * into cur from orders
    where visitor_id = p_visitor_id and status = any (string_to_array(p_open, ','))
    for update;
    -- A concurrent twin of this request committed while we waited for the lock: the order
    -- already is this request's version.
    if cur.request_id = p_request_id then
        return write_outcome('replay', cur);
    end if;

    select * into d from drinks where id = p_drink_id;
    if not found then
        return write_outcome('unknown_drink', null);
    end if;

    if cur.id is not null and not cur.status = any (string_to_array(p_changeable, ',')) then
        return write_outcome('locked', cur);
    end if;

    if cur.id is not null and cur.drink_id = p_drink_id then
        update orders
        set nickname = p_nickname, version = version + 1, updated_at = now(),
            request_id = p_request_id
        where id = cur.id
        returning * into o;
        return write_outcome('changed', o);
    end if;

    -- A new portion: take it (re-checked on the newest row after a concurrent taker).
    if not d.available then
        return write_outcome('sold_out', null);
    end if;
    if d.stock is not null then
        update drinks set stock = stock - 1, updated_at = now()
        where id = p_drink_id and available and stock > 0;
        if not found then
            return write_outcome('sold_out', null);
        end if;
    end if;

    if cur.id is null then
        insert into orders (visitor_id, nickname, drink_id, request_id)
        values (p_visitor_id, p_nickname, p_drink_id, p_request_id)
        returning * into o;
        return write_outcome('placed', o);
    end if;

    update orders
    set nickname = p_nickname, drink_id = p_drink_id, version = version + 1,
        updated_at = now(), request_id = p_request_id
    where id = cur.id
    returning * into o;
    perform return_portion(cur.drink_id);
    return write_outcome('changed', o);
end
$fn$;

-- The visitor cancels their own order while they may still change it (`p_changeable`,
-- from core); its portion goes back. Outcomes: cancelled, already_cancelled, not_found,
-- locked. See `sql::CANCEL_ORDER`.
create function cancel_order(p_order_id int8, p_visitor_id uuid, p_changeable text)
returns json
language plpgsql
volatile
as $fn$
declare
    cur orders;
    o orders;
begin
    select * into cur from orders
    where id = p_order_id and visitor_id = p_visitor_id
    for update;
    if not found then
        return write_outcome('not_found', null);
    end if;
    if cur.status = 'cancelled' then
        return write_outcome('already_cancelled', cur);
    end if;
    if not cur.status = any (string_to_array(p_changeable, ',')) then
        return write_outcome('locked', cur);
    end if;

    o := move_order(cur.id, 'cancelled');
    return write_outcome('cancelled', o);
end
$fn$;

-- The bar moves an order to `p_status` if it is still at `p_version` and in one of
-- `p_from_statuses` (from core's transition rules); stamps the status time; a cancel
-- returns the portion. Outcomes: changed, not_found, stale, illegal. See `sql::SET_STATUS`.
create function set_order_status(
    p_order_id int8, p_status text, p_version int4, p_from_statuses text
)
returns json
language plpgsql
volatile
as $fn$
declare
    cur orders;
    o orders;
begin
    select * into cur from orders where id = p_order_id for update;
    if not found then
        return write_outcome('not_found', null);
    end if;
    if cur.version <> p_version then
        return write_outcome('stale', cur);
    end if;
    if not cur.status = any (string_to_array(p_from_statuses, ',')) then
        return write_outcome('illegal', cur);
    end if;

    o := move_order(cur.id, p_status);
    return write_outcome('changed', o);
end
$fn$;
