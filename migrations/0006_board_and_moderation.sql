-- 0006_board_and_moderation: the counter screen (`?board`, GET /api/board) and clean public
-- screens (the bar hides a nickname; refused words in nicknames).
--
-- The board: a bounded public snapshot of the open orders (`board_order_json`: number,
-- public name, drink, status, since when), read by `sql::BOARD` in one statement. Its ETag
-- is the settled feed position (the last event of a transaction older than every running
-- one): it changes whenever a committed change settles, and the snapshot is built only when
-- the client's ETag is not the current one (docs/API.md, GET /api/board).
--
-- Hiding a name: `orders.name_hidden`. The bar (`PUT`/`DELETE /api/orders/{id}/name-hidden`)
-- sets it with a new version, so the trigger writes a `moderated` event and every open
-- screen follows within one poll. Public answers (`event_json`, `board_order_json`) carry no
-- nickname for a hidden order (`nickname: null`, the pages show "Guest #42"): `event_json`
-- looks at the order's current flag, so the feed's older events of that order (the ticker's
-- first fill) do not show the name either. The visitor's own answers and the bar's
-- (`order_json`) keep the nickname and say `name_hidden`.
--
-- Refused words: `event_settings.refused_words`, stored folded by core
-- (`moderation::fold`: lower case, compatibility decomposition, no accents), the one place
-- text is normalised. `place_order` gets the nickname folded by core as a ninth argument and
-- refuses it (`nickname_refused`) when a refused word occurs within it.
--
-- Dimming: `event_settings.ready_dim_minutes` (1–120, default 5): the board dims a ready
-- order not collected after that long. Public, in `settings_json` and the board.
--
-- Like 0002–0005: no EXCEPTION blocks; to change a body, add a migration.

-- The shape functions whose bodies name the row types altered here are made again below
-- (as 0004 did for drink_json): first those that use them.
drop function write_outcome(text, orders);
drop function order_json(orders);
drop function settings_refusal(text, event_settings);
drop function settings_json(event_settings);

alter table orders add column name_hidden boolean not null default false;

alter table event_settings add column ready_dim_minutes int4 not null default 5
    check (ready_dim_minutes between 1 and 120);
alter table event_settings add column refused_words text[] not null default '{}';

-- An order as the visitor and the bar see it (core: `api::Order`), with `name_hidden`.
create function order_json(o orders) returns json
language sql stable parallel safe
return case when o.id is null then null else json_build_object(
    'id', o.id,
    'number', o.number,
    'nickname', o.nickname,
    'name_hidden', o.name_hidden,
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

-- The outcome of a write function, as in 0003.
create function write_outcome(outcome text, o orders) returns json
language sql stable parallel safe
return json_build_object('outcome', outcome, 'order', order_json(o));

-- The settings as everyone sees them (core: `event::EventSettings`), with the board's
-- dimming time. The refused words are the bar's (GET /api/event/words).
create function settings_json(s event_settings) returns json
language sql stable parallel safe
return json_build_object(
    'title', s.title,
    'welcome', s.welcome,
    'ordering', s.ordering,
    'message', s.message,
    'busy_limit', s.busy_limit,
    'key_required', s.order_key is not null,
    'ready_dim_minutes', s.ready_dim_minutes,
    'version', s.version,
    'updated_at', epoch_ms(s.updated_at)
);

-- A placement the event's settings refuse, as in 0004.
create function settings_refusal(outcome text, s event_settings) returns json
language sql stable parallel safe
return json_build_object('outcome', outcome, 'order', null, 'event', settings_json(s));

-- Whether the bar hid the nickname of an order from public screens (false for no order).
create function order_name_hidden(p_order_id int8) returns boolean
language sql stable parallel safe
return coalesce((select o.name_hidden from orders o where o.id = p_order_id), false);

alter table order_events drop constraint order_events_kind_check;
alter table order_events add constraint order_events_kind_check
    check (kind in ('placed', 'changed', 'status', 'cancelled', 'moderated', 'drink',
                    'settings', 'menu'));

-- A feed event as the pages see it (core: `api::FeedEvent`); an order's nickname only while
-- the bar has not hidden it (its current flag).
create or replace function event_json(e order_events) returns json
language sql stable parallel safe
return case e.kind when 'drink' then json_build_object(
    'kind', e.kind,
    'at', epoch_ms(e.created_at),
    'drink', json_build_object(
        'id', e.drink_id,
        'available', e.available,
        'stock', e.stock,
        'sold_out', drink_sold_out(e.available, e.stock)
    )
) when 'settings' then json_build_object(
    'kind', e.kind,
    'at', epoch_ms(e.created_at)
) when 'menu' then json_build_object(
    'kind', e.kind,
    'at', epoch_ms(e.created_at)
) else (select json_build_object(
    'kind', e.kind,
    'at', epoch_ms(e.created_at),
    'order', json_build_object(
        'id', e.order_id,
        'number', e.number,
        'nickname', case when h.hidden then null else e.nickname end,
        'name_hidden', h.hidden,
        'drink', e.drink_id,
        'status', e.status,
        'version', e.version
    )
) from (select order_name_hidden(e.order_id) as hidden) h) end;

-- An open order on the counter screen (core: `api::BoardOrder`): no nickname while hidden;
-- `since`: when it reached its status.
create function board_order_json(o orders) returns json
language sql stable parallel safe
return json_build_object(
    'id', o.id,
    'number', o.number,
    'nickname', case when o.name_hidden then null else o.nickname end,
    'drink', o.drink_id,
    'status', o.status,
    'since', epoch_ms(case o.status when 'ready' then o.ready_at
                                    when 'preparing' then o.preparing_at
                                    else o.placed_at end),
    'version', o.version
);

-- 0003's trigger function, with `moderated` for a change of `name_hidden`.
create or replace function orders_emit_event() returns trigger
language plpgsql
as $fn$
begin
    insert into order_events (kind, order_id, number, nickname, drink_id, status, version, request_id)
    values (
        case
            when tg_op = 'INSERT' then 'placed'
            when new.status is distinct from old.status and new.status = 'cancelled' then 'cancelled'
            when new.status is distinct from old.status then 'status'
            when new.name_hidden is distinct from old.name_hidden then 'moderated'
            else 'changed'
        end,
        new.id, new.number, new.nickname, new.drink_id, new.status, new.version,
        case when tg_op = 'INSERT' or new.request_id is distinct from old.request_id
             then new.request_id end
    );
    return null;
end
$fn$;

-- place_order of 0004, refusing (after a replay, the key and the ordering state) a nickname
-- that contains a refused word: `p_folded_nickname` is the nickname folded by core.
drop function place_order(uuid, text, text, uuid, text, text, text, text);
create function place_order(
    p_visitor_id uuid, p_nickname text, p_drink_id text, p_request_id uuid,
    p_open text, p_changeable text, p_waiting text, p_key text, p_folded_nickname text
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
    s event_settings;
begin
    select * into seen from orders
    where id = (select order_id from order_events where request_id = p_request_id);
    if found then
        if seen.visitor_id = p_visitor_id then
            return write_outcome('replay', seen);
        end if;
        return write_outcome('request_reused', null);
    end if;

    select * into s from event_settings;
    if s.order_key is not null and p_key is distinct from s.order_key then
        return write_outcome('key_required', null);
    end if;
    if s.ordering <> 'open' then
        return settings_refusal('ordering_closed', s);
    end if;
    if exists (select from unnest(s.refused_words) w where strpos(p_folded_nickname, w) > 0) then
        return write_outcome('nickname_refused', null);
    end if;

    select * into cur from orders
    where visitor_id = p_visitor_id and status = any (string_to_array(p_open, ','))
    for update;
    -- A concurrent twin of this request committed while we waited for the lock: the order
    -- already is this request's version.
    if cur.request_id = p_request_id then
        return write_outcome('replay', cur);
    end if;

    if cur.id is null and s.busy_limit is not null
       and (select count(*) from orders
            where status = any (string_to_array(p_waiting, ','))) > s.busy_limit then
        return settings_refusal('busy', s);
    end if;

    select * into d from drinks where id = p_drink_id;
    if not found then
        return write_outcome('unknown_drink', null);
    end if;
    if d.retired then
        return write_outcome('retired', null);
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
