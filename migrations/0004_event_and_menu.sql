-- 0004_event_and_menu: what an organiser sets on the bar tablet, live, with no deploy.
--
-- The event's settings (PATCH /api/event, read in GET /api/menu): title and welcome line per
-- language, ordering open / paused / closed with a message, the automatic pause while more
-- orders wait than `busy_limit`, and an optional ordering key that the poster's QR code
-- carries (`/?k=…`). One row; texts are JSON objects of language → text, checked by core
-- (`event::Texts`) before they are written.
--
-- The menu (POST /api/drinks, PATCH /api/drinks/{id}, PUT /api/drinks/{id}/picture): a
-- drink's name and short description per language (English required; the pages fall back to
-- it), its place, a drawn icon or an uploaded picture, and whether it is retired. A drink is
-- never deleted while orders reference it: retiring takes it off the menu (no new orders);
-- history, CSV and statistics keep it. `name` stays the English name (CSV, statistics).
--
-- Every change writes a feed event in the same transaction (triggers): `settings` for the
-- event's settings, `menu` for a drink added, renamed, moved, retired or given a picture;
-- the pages read GET /api/menu again. `place_order` refuses, before anything is written, an
-- order without the current key, any order while ordering is not open, a new order while the
-- bar is busy, and an order for a retired drink.

-- The event's settings.
create table event_settings (
    id          int2 primary key default 1 check (id = 1),
    title       jsonb not null default '{}' check (jsonb_typeof(title) = 'object'),
    welcome     jsonb not null default '{}' check (jsonb_typeof(welcome) = 'object'),
    ordering    text not null default 'open' check (ordering in ('open', 'paused', 'closed')),
    message     jsonb not null default '{}' check (jsonb_typeof(message) = 'object'),
    busy_limit  int4 check (busy_limit > 0),
    -- The ordering key the poster's QR code carries (null: none required); made by
    -- `new_order_key`, read by the bar only.
    order_key   text check (order_key ~ '^[0-9a-f]{16}$'),
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
    'key_required', s.order_key is not null,
    'version', s.version,
    'updated_at', epoch_ms(s.updated_at)
);

-- A fresh key: 16 hex digits of a random UUID (60 random bits; gen_random_uuid draws from
-- the strong random source).
create function new_order_key() returns text
language sql volatile
return substr(replace(gen_random_uuid()::text, '-', ''), 1, 16);

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

-- The menu.
-- drink_json's body names the row type: it is made again below.
drop function drink_json(drinks);
alter table drinks add column names jsonb not null default '{}'
    check (jsonb_typeof(names) = 'object');
alter table drinks add column retired boolean not null default false;
alter table drinks add column description jsonb not null default '{}'
    check (jsonb_typeof(description) = 'object');

-- Pictures the bar uploads (PNG, JPEG or WebP, checked by core), under the SHA-256 of their
-- bytes: the URL of a picture never shows other bytes, so it is cached for good.
create table pictures (
    id           text primary key check (id ~ '^[0-9a-f]{64}$'),
    content_type text not null check (content_type in ('image/png', 'image/jpeg', 'image/webp')),
    data         bytea not null check (octet_length(data) between 1 and 262144),
    created_at   timestamptz not null default now()
);

-- A drink shows its uploaded picture, else its icon (one of core's `picture::ICONS`), else
-- the icon named like the drink, else the generic glass.
alter table drinks add column icon text check (icon ~ '^[a-z0-9-]{1,32}$');
alter table drinks add column picture text references pictures (id);

-- The seeded menu's names, from the locale files they lived in before.
update drinks set names = '{"en": "Espresso", "de": "Espresso", "fr": "Expresso", "it": "Espresso"}' where id = 'espresso';
update drinks set names = '{"en": "Cappuccino", "de": "Cappuccino", "fr": "Cappuccino", "it": "Cappuccino"}' where id = 'cappuccino';
update drinks set names = '{"en": "Tea", "de": "Tee", "fr": "Thé", "it": "Tè"}' where id = 'tea';
update drinks set names = '{"en": "Water", "de": "Wasser", "fr": "Eau", "it": "Acqua"}' where id = 'water';
update drinks set names = '{"en": "Fruit juice", "de": "Fruchtsaft", "fr": "Jus de fruits", "it": "Succo di frutta"}' where id = 'fruit-juice';
update drinks set names = '{"en": "Beer", "de": "Bier", "fr": "Bière", "it": "Birra"}' where id = 'beer';
update drinks set names = '{"en": "Wine", "de": "Wein", "fr": "Vin", "it": "Vino"}' where id = 'wine';
update drinks set names = jsonb_build_object('en', name) where names = '{}';
alter table drinks add constraint drinks_names_english check (names ? 'en');

-- A drink as the menu shows it (core: `api::MenuItem`).
create function drink_json(d drinks) returns json
language sql stable parallel safe
return json_build_object(
    'id', d.id,
    'name', d.name,
    'names', d.names,
    'description', d.description,
    'available', d.available,
    'stock', d.stock,
    'sold_out', drink_sold_out(d.available, d.stock),
    'retired', d.retired,
    'position', d.position,
    'icon', d.icon,
    'picture', '/api/pictures/' || d.picture
);

-- Feed events of kind `settings` and `menu` carry nothing but their time: the pages read
-- the settings and the menu again. Only order events have an order, only drink events a drink.
alter table order_events drop constraint order_events_kind_check;
alter table order_events drop constraint order_events_check;
alter table order_events drop constraint order_events_check1;
alter table order_events drop constraint order_events_check2;
alter table order_events alter column drink_id drop not null;
alter table order_events add constraint order_events_kind_check
    check (kind in ('placed', 'changed', 'status', 'cancelled', 'drink', 'settings', 'menu'));
alter table order_events add constraint order_events_order_check
    check ((kind in ('drink', 'settings', 'menu')) = (order_id is null));
alter table order_events add constraint order_events_order_snapshot_check
    check (kind in ('drink', 'settings', 'menu')
           or (number is not null and nickname is not null and status is not null
               and version is not null and drink_id is not null));
alter table order_events add constraint order_events_drink_snapshot_check
    check (kind <> 'drink' or (drink_id is not null and available is not null));
alter table order_events add constraint order_events_settings_check
    check (kind not in ('settings', 'menu') or drink_id is null);

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

create function drinks_emit_menu_event() returns trigger
language plpgsql
as $fn$
begin
    insert into order_events (kind) values ('menu');
    return null;
end
$fn$;

create trigger drinks_emit_menu_event_insert
after insert on drinks
for each row
execute function drinks_emit_menu_event();

create trigger drinks_emit_menu_event_update
after update on drinks
for each row
when (new.names is distinct from old.names
      or new.description is distinct from old.description
      or new.position is distinct from old.position
      or new.retired is distinct from old.retired
      or new.icon is distinct from old.icon
      or new.picture is distinct from old.picture)
execute function drinks_emit_menu_event();

-- A placement the event's settings refuse: `{"outcome", "order": null, "event"}`.
create function settings_refusal(outcome text, s event_settings) returns json
language sql stable parallel safe
return json_build_object('outcome', outcome, 'order', null, 'event', settings_json(s));

-- place_order of 0003 with the event's and the menu's refusals (after a replay, which still
-- answers): the key (`key_required`), ordering not open (`ordering_closed`), a new order
-- while more than `busy_limit` are in `p_waiting` (core: `OrderStatus::WAITING`; `busy`),
-- a retired drink (`retired`).
drop function place_order(uuid, text, text, uuid, text, text);
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
