-- 0005_order_key: an optional ordering key. When the bar requires one, the poster's QR code
-- carries it (`/?k=…`) and `place_order` takes only orders that bring it, so someone who
-- learns the public URL elsewhere cannot fill the queue. The bar rotates it (`new`) or
-- drops it (`none`) with PATCH /api/event; `settings_json` says only whether one is
-- required, the key itself is read by the bar (GET /api/event/key).

alter table event_settings add column order_key text check (order_key ~ '^[0-9a-f]{16}$');

-- A fresh key: 16 hex digits of a random UUID (60 random bits; gen_random_uuid draws from
-- the strong random source).
create function new_order_key() returns text
language sql volatile
return substr(replace(gen_random_uuid()::text, '-', ''), 1, 16);

create or replace function settings_json(s event_settings) returns json
language sql stable parallel safe
return json_build_object(
    'title', s.title,
    'welcome', s.welcome,
    'ordering', s.ordering,
    'message', s.message,
    'busy_limit', s.busy_limit,
    'key_required', s.order_key is not null,
    'version', s.version,
    'updated_at', epoch_ms(s.updated_at)
);

-- place_order of 0004, and after a replay: an order without the current key (when one is
-- required) is refused, before anything else is read or written.
drop function place_order(uuid, text, text, uuid, text, text, text);
create function place_order(
    p_visitor_id uuid, p_nickname text, p_drink_id text, p_request_id uuid,
    p_open text, p_changeable text, p_waiting text, p_key text
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
