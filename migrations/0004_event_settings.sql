-- 0004_event_settings: the event's settings, set from the bar (PATCH /api/event) and shown
-- to everyone (GET /api/menu): title and welcome line per language, whether ordering is
-- open, paused or closed with a message, and the automatic pause while the bar is busy.
--
-- One row. Texts are JSON objects of language → text, checked by core (`event::Texts`)
-- before they are written. A change writes a `settings` feed event in the same
-- transaction (trigger), so every page reads the settings again within one poll.
-- `place_order` refuses while ordering is not open, and new orders while more than
-- `busy_limit` are waiting.

create table event_settings (
    id          int2 primary key default 1 check (id = 1),
    title       jsonb not null default '{}' check (jsonb_typeof(title) = 'object'),
    welcome     jsonb not null default '{}' check (jsonb_typeof(welcome) = 'object'),
    ordering    text not null default 'open' check (ordering in ('open', 'paused', 'closed')),
    message     jsonb not null default '{}' check (jsonb_typeof(message) = 'object'),
    busy_limit  int4 check (busy_limit > 0),
    version     int4 not null default 1,
    updated_at  timestamptz not null default now()
);
insert into event_settings default values;

-- The settings as everyone sees them (core: `event::EventSettings`).
create function settings_json(s event_settings) returns json
language sql stable parallel safe
return json_build_object(
    'title', s.title,
    'welcome', s.welcome,
    'ordering', s.ordering,
    'message', s.message,
    'busy_limit', s.busy_limit,
    'version', s.version,
    'updated_at', epoch_ms(s.updated_at)
);

-- Feed events of kind `settings` carry nothing but their time: the pages read the
-- settings again. Only order events have an order, only drink events a drink.
alter table order_events drop constraint order_events_kind_check;
alter table order_events drop constraint order_events_check;
alter table order_events drop constraint order_events_check1;
alter table order_events drop constraint order_events_check2;
alter table order_events alter column drink_id drop not null;
alter table order_events add constraint order_events_kind_check
    check (kind in ('placed', 'changed', 'status', 'cancelled', 'drink', 'settings'));
alter table order_events add constraint order_events_order_check
    check ((kind in ('drink', 'settings')) = (order_id is null));
alter table order_events add constraint order_events_order_snapshot_check
    check (kind in ('drink', 'settings')
           or (number is not null and nickname is not null and status is not null
               and version is not null and drink_id is not null));
alter table order_events add constraint order_events_drink_snapshot_check
    check (kind <> 'drink' or (drink_id is not null and available is not null));
alter table order_events add constraint order_events_settings_check
    check (kind <> 'settings' or drink_id is null);

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

create function event_settings_emit_event() returns trigger
language plpgsql
as $fn$
begin
    insert into order_events (kind) values ('settings');
    return null;
end
$fn$;

create trigger event_settings_emit_event
after update on event_settings
for each row
execute function event_settings_emit_event();

-- A placement the event's settings refuse: `{"outcome", "order": null, "event"}`.
create function settings_refusal(outcome text, s event_settings) returns json
language sql stable parallel safe
return json_build_object('outcome', outcome, 'order', null, 'event', settings_json(s));

-- place_order of 0003, and first (after a replay, which still answers): nothing is placed
-- or changed while ordering is not open; no new order while more than `busy_limit` orders
-- are in `p_waiting` (from core: `OrderStatus::WAITING`).
drop function place_order(uuid, text, text, uuid, text, text);
create function place_order(
    p_visitor_id uuid, p_nickname text, p_drink_id text, p_request_id uuid,
    p_open text, p_changeable text, p_waiting text
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
    if s.ordering <> 'open' then
        return settings_refusal('ordering_closed', s);
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
