//! SQL text of every statement the API runs: one statement per request.
//!
//! Every statement but [`GET_PICTURE`] (a picture's type and bytes) returns **one column of
//! JSON text** (`…::text`), built by the shape
//! functions of migration 0003 (`order_json`, `drink_json`, `event_json`, `write_outcome`)
//! and decoded by [`crate::shapes`]; none returns positional columns. Rules that keep
//! these statements working on Spin's pg4 host:
//! - every parameter carries an explicit cast (`$1::uuid`, `$2::text`, `$3::int8`), so the
//!   type PostgreSQL infers matches the `ParameterValue` variant the component sends;
//! - the result is `text` (pg4 returns it as a string; `json` itself is not a pg4 type);
//! - `xid8` values go out as text and come in as `$n::text::xid8`.
//!
//! The write statements with decisions ([`PLACE_ORDER`], [`CANCEL_ORDER`], [`SET_STATUS`];
//! [`SET_STATUSES`] and [`UNDO_STATUS`] of migration 0007) call procedural PL/pgSQL functions
//! (migration 0003 and later): the pg4 host prepares every statement
//! anew, and a function's statements are planned once per pooled connection. Each runs in
//! the caller's transaction without an exception block: errors (a unique violation, 23505)
//! reach the caller unchanged. Feed events are written by triggers on `orders` and `drinks`
//! (migration 0003), so every write here has its events in the same transaction.
//! [`EXPORT_ORDERS_PAGE`] calls `export_orders_page` (migration 0005), which waits for the
//! export turn before it builds a page.
//!
//! The order rules are core's ([`crate::OrderStatus`]): the functions take the statuses
//! they need as comma-separated parameters ([`crate::OrderStatus::sql_list`]).

/// The events a subquery selects as `e` (whole rows), as `{"events": [{"tx", "seq",
/// "event": event_json}, ...]}`, oldest first: the one shape of a feed page.
macro_rules! events_json {
    ($events:literal) => {
        concat!(
            "select json_build_object(
    'events', coalesce(json_agg(json_build_object('tx', (p.e).tx::text, 'seq', (p.e).seq,
                                                  'event', event_json(p.e))
                                order by (p.e).tx, (p.e).seq), '[]')
)::text
from (",
            $events,
            ") p"
        )
    };
}

/// Place an order, or change the visitor's open order while they may still change it.
///
/// Parameters: `$1` visitor id (uuid), `$2` nickname (text), `$3` drink id (text),
/// `$4` request id (uuid), `$5` the open statuses, `$6` the statuses in which the visitor
/// may change their order, `$7` the waiting statuses the automatic pause counts (text,
/// comma-separated), `$8` the ordering key the visitor brought (text, null for none), `$9`
/// the nickname folded by core (`Nickname::folded`), matched against the refused words.
///
/// Returns `{"outcome", "order"}`: `placed` (201), `changed` (200), `replay` (200, nothing
/// written), `request_reused` (the request id belongs to another visitor), `unknown_drink`,
/// `sold_out`, `locked` (the open order can no longer be changed; `order` shows it); or
/// `{"outcome", "order": null, "event"}` with the event's settings: `ordering_closed`
/// (paused or closed: nothing is placed or changed; a replay still answers), `busy` (more
/// orders waiting than the busy limit: no new order; changing one is still taken); or
/// `{"outcome": "key_required", "order": null}`: the bar requires the ordering key and the
/// order brought none or an old one (nothing written; a replay still answers);
/// `{"outcome": "nickname_refused", "order": null}`: a refused word occurs within the
/// folded nickname (nothing written; a replay still answers).
///
/// Concurrency: the visitor's open order is locked (`for update`) before anything is
/// decided; stock is taken with a conditional update (`stock > 0` re-checked on the newest
/// row version after waiting for a concurrent taker). Two concurrent first orders of one
/// visitor, or two concurrent copies of one request, end in a unique violation (23505) of
/// the loser, which rolls everything back; running it again answers `changed` or `replay`.
pub const PLACE_ORDER: &str = "select place_order($1::uuid, $2::text, $3::text, $4::uuid, \
     $5::text, $6::text, $7::text, $8::text, $9::text)::text";

/// Cancel the visitor's own order while they may still change it, return its portion.
///
/// Parameters: `$1` order id (int8), `$2` visitor id (uuid), `$3` the statuses in which the
/// visitor may change their order (text, comma-separated).
///
/// Returns `{"outcome", "order"}`: `cancelled`, `already_cancelled` (nothing written),
/// `not_found` (no such order of this visitor), `locked` (past those statuses). The order
/// shown is the newest version (the locked row).
pub const CANCEL_ORDER: &str = "select cancel_order($1::int8, $2::uuid, $3::text)::text";

/// The bar moves an order to another status if its version is the one the tablet saw and
/// the rules allow it; stamps the status time, returns the portion on cancel.
///
/// Parameters: `$1` order id (int8), `$2` new status (text), `$3` the version the client
/// saw (int4), `$4` the statuses the order may be in for this change, comma-separated
/// (text; from `StatusChange::from_statuses_param`), `$5` the bar's reason for a cancel
/// (text or null; `BarStatusChange::reason_param`, only with `cancelled`; migration 0010
/// stores it, and every other move or an undo clears it).
///
/// Returns `{"outcome", "order"}`: `changed` (the order as it is now), `not_found`,
/// `stale` (the version differs: someone else changed it; the current order) or `illegal`
/// (the rules do not allow it from the current status). A stale version is reported
/// before an illegal change: the client has to look at the order again first.
///
/// Concurrency: the order row is locked first; a second tablet's change waits, then sees
/// the new version and ends as `stale`, so two tablets never overwrite each other.
pub const SET_STATUS: &str =
    "select set_order_status($1::int8, $2::text, $3::int4, $4::text, $5::text)::text";

/// The bar takes back an order's last status change (migration 0007's `undo_order_status`
/// holds the rule: back to the status it came from, within the window, at the version the
/// tablet saw; a cancel by the bar only while a portion can be taken again).
///
/// Parameters: `$1` order id (int8), `$2` the version the client saw (int4), `$3` the
/// statuses that can be taken back, comma-separated (text; `OrderStatus::BAR_UNDOABLE`),
/// `$4` the window in ms (int8; `UNDO_WINDOW_MS`), `$5` the open statuses (text).
///
/// Returns `{"outcome", "order"}`: `undone` (the order as it is now; an `undone` event),
/// `not_found`, `stale`, `not_undoable`, `too_late`, `sold_out`, `ordered_again`.
pub const UNDO_STATUS: &str =
    "select undo_order_status($1::int8, $2::int4, $3::text, $4::int8, $5::text)::text";

/// The bar moves several orders at once (`PATCH /api/orders`): [`SET_STATUS`] for each, in
/// id order, in one transaction (`set_orders_status`, migration 0007).
///
/// Parameters: `$1` the changes, a JSON array of `{"id", "status", "version",
/// "from_statuses"}` as text (from `StatusChanges::changes_param`).
///
/// Returns `{"outcomes": [{"id", "result": {"outcome", "order"}}, ...]}` in id order, each
/// result as [`SET_STATUS`] answers it. A refused change writes nothing and does not stop
/// the others. Rows are locked in id order, so two tablets' batches never deadlock.
pub const SET_STATUSES: &str = "select set_orders_status($1::text)::text";
/// [`SET_STATUS`] for `PATCH /api/orders/{id}`, which also hands order-fn the order's push
/// subscription when the change notifies the visitor (docs/ARCHITECTURE.md, "Web Push").
///
/// Parameters: `$1`–`$4` as [`SET_STATUS`]; `$5` the status whose reaching notifies
/// (`push::NOTIFY_ON`); `$6` the bar's reason for a cancel, as `$5` of [`SET_STATUS`].
///
/// Returns `{"written": <what SET_STATUS returns>, "push": null | push_json}`: the
/// subscription only when the order was changed to `$5`. order-fn answers
/// with `written` alone; the subscription never leaves the component.
pub const SET_STATUS_NOTIFYING: &str = "
select json_build_object(
    'written', w,
    'push', (select push_json(ps)
             from push_subscriptions ps
             where ps.order_id = $1::int8 and $2::text = $5::text and (w ->> 'outcome') = 'changed')
)::text
from set_order_status($1::int8, $2::text, $3::int4, $4::text, $6::text) w
";

/// [`SET_STATUSES`] for `PATCH /api/orders`, which also hands order-fn the push
/// subscriptions of the orders the batch moved to the notifying status, as
/// [`SET_STATUS_NOTIFYING`] does for one order.
///
/// Parameters: `$1` as [`SET_STATUSES`]; `$2` the status whose reaching notifies
/// (`push::NOTIFY_ON`).
///
/// Returns `{"written": <what SET_STATUSES returns>, "push": [{"order_id", "subscription":
/// push_json}, ...]}`: a subscription only for an order that was changed to `$2`.
pub const SET_STATUSES_NOTIFYING: &str = "
select json_build_object(
    'written', w,
    'push', coalesce((
        select json_agg(json_build_object('order_id', ps.order_id, 'subscription', push_json(ps))
                        order by ps.order_id)
        from json_array_elements(w -> 'outcomes') r
        join push_subscriptions ps on ps.order_id = (r ->> 'id')::int8
        where (r -> 'result' ->> 'outcome') = 'changed'
          and (r -> 'result' -> 'order' ->> 'status') = $2::text
    ), '[]'::json)
)::text
from set_orders_status($1::text) w
";

/// The visitor stores the browser's push subscription for their open order, replacing an
/// earlier one of the order.
///
/// Parameters: `$1` order id (int8), `$2` visitor id (uuid), `$3` the open statuses,
/// comma-separated (text; `OrderStatus::OPEN`), `$4` endpoint, `$5` p256dh, `$6` auth (text).
///
/// Returns `{"order_id"}`; no row when the order is not this visitor's open order (nothing
/// written).
pub const SAVE_PUSH_SUBSCRIPTION: &str = "
insert into push_subscriptions as ps (order_id, endpoint, p256dh, auth)
select o.id, $4::text, $5::text, $6::text
from orders o
where o.id = $1::int8 and o.visitor_id = $2::uuid and o.status = any (string_to_array($3::text, ','))
on conflict (order_id) do update
set endpoint = excluded.endpoint, p256dh = excluded.p256dh, auth = excluded.auth,
    created_at = now(), last_outcome = null, last_push_at = null
returning json_build_object('order_id', ps.order_id)::text
";

/// The visitor drops the push subscription of their order (none: nothing happens).
///
/// Parameters: `$1` order id (int8), `$2` visitor id (uuid).
///
/// Returns `{"deleted": 0 | 1}`.
pub const DELETE_PUSH_SUBSCRIPTION: &str = "
with gone as (
    delete from push_subscriptions ps
    using orders o
    where ps.order_id = $1::int8 and o.id = ps.order_id and o.visitor_id = $2::uuid
    returning 1
)
select json_build_object('deleted', count(*))::text from gone
";

/// After a push (the status change has been answered): records its outcome on the
/// subscription it was sent to, or deletes the subscription the push service no longer
/// knows (404/410). A subscription replaced meanwhile (another endpoint) is left alone.
///
/// Parameters: `$1` order id (int8), `$2` endpoint (text), `$3` whether it is gone (bool),
/// `$4` the outcome (text, e.g. `delivered 201`, `failed timeout`).
///
/// Returns `{"recorded": 0 | 1}`.
pub const RECORD_PUSH: &str = "
with gone as (
    delete from push_subscriptions
    where order_id = $1::int8 and endpoint = $2::text and $3::bool
    returning 1
),
kept as (
    update push_subscriptions
    set last_outcome = $4::text, last_push_at = now()
    where order_id = $1::int8 and endpoint = $2::text and not $3::bool
    returning 1
)
select json_build_object('recorded', (select count(*) from gone) + (select count(*) from kept))::text
";

/// The bar switches a drink on or off, sets its stock, renames, moves or retires it (the
/// triggers write the `drink` and `menu` events).
///
/// Parameters: `$1` drink id (text), `$2` available (bool; null = keep), `$3` whether to
/// set the stock (bool), `$4` the stock (int4; null = unlimited), `$5` names (JSON object
/// as text; null = keep), `$6` position (int4; null = keep), `$7` retired (bool; null =
/// keep), `$8` whether to set the icon (bool), `$9` the icon (text; null = the default),
/// `$10` the description (JSON object as text; null = keep).
///
/// Returns the drink (`drink_json`); no row when there is no such drink (nothing written).
pub const UPDATE_DRINK: &str = "
update drinks d
set available = coalesce($2::bool, d.available),
    stock = case when $3::bool then $4::int4 else d.stock end,
    names = coalesce($5::text::jsonb, d.names),
    description = coalesce($10::text::jsonb, d.description),
    name = coalesce($5::text::jsonb ->> 'en', d.name),
    position = coalesce($6::int4, d.position),
    retired = coalesce($7::bool, d.retired),
    icon = case when $8::bool then $9::text else d.icon end,
    version = d.version + 1,
    updated_at = now()
where d.id = $1::text
returning drink_json(d)::text
";

/// Add a drink at the end of the menu (bar): `drink_json`, or no row when the id is taken.
///
/// Parameters: `$1` id (text), `$2` names (JSON object as text, with `en`), `$3` available
/// (bool), `$4` stock (int4, null = unlimited), `$5` icon (text, null = the default), `$6`
/// description (JSON object as text).
pub const INSERT_DRINK: &str = "
insert into drinks as d (id, name, names, position, available, stock, icon, description)
select $1::text, $2::text::jsonb ->> 'en', $2::text::jsonb,
       coalesce((select max(position) from drinks), 0) + 10, $3::bool, $4::int4, $5::text,
       $6::text::jsonb
on conflict (id) do nothing
returning drink_json(d)::text
";

/// Store an uploaded picture (once per content) and make it the drink's (bar):
/// `drink_json`, or no row when there is no such drink (then nothing is stored).
///
/// Parameters: `$1` drink id (text), `$2` the picture (bytea), `$3` its type (text, from
/// core's sniffing).
pub const SET_PICTURE: &str = "
with p as (
    insert into pictures (id, content_type, data)
    select encode(sha256($2::bytea), 'hex'), $3::text, $2::bytea
    where exists (select 1 from drinks where id = $1::text)
    on conflict (id) do update set content_type = excluded.content_type
    returning id
)
update drinks d
set picture = p.id, version = d.version + 1, updated_at = now()
from p
where d.id = $1::text
returning drink_json(d)::text
";

/// The drink shows its icon again (bar): `drink_json`, or no row when there is no such
/// drink. The picture stays stored (its URL may be cached); parameter `$1` drink id (text).
pub const CLEAR_PICTURE: &str = "
update drinks d
set picture = null, version = d.version + 1, updated_at = now()
where d.id = $1::text
returning drink_json(d)::text
";

/// A stored picture (public): its type and bytes, or no row. Parameter: `$1` id (text).
pub const GET_PICTURE: &str = "
select content_type, data from pictures where id = $1::text
";

/// One page of the CSV export, oldest first: `{"until", "orders": [order_json, ...]}`.
///
/// Parameters: `$1` keyset position: only orders with a greater id (int8, 0 for the first
/// page), `$2` the export's upper bound: only orders with an id up to it (int8; 0 on the
/// first page: the greatest id then, answered as `until` and passed on every later page),
/// `$3` rows per page (int8).
///
/// The export reads page after page with `$1` = the last id of the previous page and the
/// same `$2`: every order that existed when the first page was read is in exactly one page,
/// in id order; an order placed later has a greater id and is left out (one whose
/// transaction took its id before the first page and committed after it may be in).
///
/// Exports take turns: `export_orders_page` (migration 0005) first waits for the export
/// turn, a transaction-scoped advisory lock ([`EXPORT_TURN`]), so however many exports run
/// on however many replicas, one page is built at a time; once built, the turn rests as
/// long as the page took (migration 0009), so that exports take at most about half of the
/// database's time and placements keep the rest of the machine. Run it outside an explicit
/// transaction (each page its own), or the turn is held until that transaction ends.
pub const EXPORT_ORDERS_PAGE: &str =
    "select export_orders_page($1::int8, $2::int8, $3::int8)::text";

/// The key of the export turn, the advisory lock `export_orders_page` takes for each page:
/// "export" in ASCII. Written as a literal in each migration that defines the function; a
/// test holds every definition to this one key, so that exports always take turns on one
/// lock (nothing else takes it).
pub const EXPORT_TURN: i64 = 0x6578_706f_7274;

/// The bar's statistics over every order in the table: `{now, drinks, minutes, wait}`
/// (see `shapes::StatsRows`). `drinks` lists every drink in menu order with its orders per
/// status; `minutes` the minutes in which orders were placed; `wait` the median and 90th
/// percentile (ms, interpolated; null without orders) of placed→ready and ready→served.
pub const STATS: &str = "
with per_drink as (
    select d.id, d.position,
           coalesce(json_agg(json_build_object('status', c.status, 'orders', c.n)
                             order by c.status) filter (where c.status is not null),
                    '[]') as statuses
    from drinks d
    left join (select o.drink_id, o.status, count(*)::int8 as n
               from orders o group by o.drink_id, o.status) c on c.drink_id = d.id
    group by d.id, d.position
),
per_minute as (
    select epoch_ms(date_trunc('minute', o.placed_at)) as minute, count(*)::int8 as n
    from orders o
    group by 1
),
ready as (
    select (extract(epoch from o.ready_at - o.placed_at) * 1000)::float8 as ms
    from orders o where o.ready_at is not null
),
served as (
    select (extract(epoch from o.served_at - o.ready_at) * 1000)::float8 as ms
    from orders o where o.served_at is not null and o.ready_at is not null
)
select json_build_object(
    'now', epoch_ms(now()),
    'drinks', coalesce((select json_agg(json_build_object('drink', p.id, 'statuses', p.statuses)
                                        order by p.position, p.id)
                        from per_drink p), '[]'),
    'minutes', coalesce((select json_agg(json_build_object('minute', m.minute, 'orders', m.n)
                                         order by m.minute)
                         from per_minute m), '[]'),
    'wait', json_build_object(
        'placed_to_ready', (select json_build_object(
            'count', count(*),
            'median_ms', round(percentile_cont(0.5) within group (order by ms))::int8,
            'p90_ms', round(percentile_cont(0.9) within group (order by ms))::int8) from ready),
        'ready_to_served', (select json_build_object(
            'count', count(*),
            'median_ms', round(percentile_cont(0.5) within group (order by ms))::int8,
            'p90_ms', round(percentile_cont(0.9) within group (order by ms))::int8) from served)
    )
)::text
";

/// Purges closed orders (`served`, `cancelled`) last changed before a time, with their
/// events; open orders are never touched. Drink events stay.
///
/// Parameters: `$1` the cut-off (epoch ms, int8). Returns `{"purged": n}`.
///
/// The events go in the same statement as their orders; the foreign key from
/// `order_events` is checked at the end of the statement, when both are gone.
pub const PURGE: &str = "
with doomed as (
    select o.id
    from orders o
    where o.status in ('served', 'cancelled')
      and o.updated_at < to_timestamp($1::int8 / 1000.0)
    for update of o
),
ev as (
    delete from order_events e
    using doomed d
    where e.order_id = d.id
    returning e.seq
),
gone as (
    delete from orders o
    using doomed d
    where o.id = d.id
    returning o.id
)
select json_build_object('purged', count(*))::text from gone
";

/// The menu in display order with the event's settings, and its ETag (the MD5 of the menu's
/// JSON): `{"etag", "menu": {"drinks": [drink_json, ...], "event": settings_json}}`.
pub const MENU: &str = "
select json_build_object('etag', md5(m.menu::text), 'menu', m.menu)::text
from (select menu_json() as menu) m
";

/// Change the event's settings (bar): `settings_json` of the new settings.
///
/// Parameters: `$1` title, `$2` welcome (JSON objects as text, or null to keep), `$3`
/// ordering state (text, or null to keep), `$4` message (JSON object as text, or null),
/// `$5` whether the busy limit is set (bool), `$6` the busy limit (int4, null = off), `$7`
/// the ordering key: `new` (a fresh one, the old one stops working), `none`, or null to keep,
/// `$8` the board's dimming time in minutes (int4, or null to keep), `$9` the refused words,
/// folded by core (a JSON array as text, or null to keep).
pub const UPDATE_EVENT: &str = "
update event_settings s
set title = coalesce($1::text::jsonb, s.title),
    welcome = coalesce($2::text::jsonb, s.welcome),
    ordering = coalesce($3::text, s.ordering),
    message = coalesce($4::text::jsonb, s.message),
    busy_limit = case when $5::bool then $6::int4 else s.busy_limit end,
    order_key = case $7::text when 'new' then new_order_key()
                              when 'none' then null
                              else s.order_key end,
    ready_dim_minutes = coalesce($8::int4, s.ready_dim_minutes),
    refused_words = case when $9::text is null then s.refused_words
                         else array(select jsonb_array_elements_text($9::text::jsonb)) end,
    version = s.version + 1,
    updated_at = now()
returning settings_json(s)::text
";

/// The ordering key (bar only; `settings_json` says only whether one is required):
/// `{"order_key": <text or null>}`.
pub const EVENT_KEY: &str = "
select json_build_object('order_key', s.order_key)::text from event_settings s
";

/// The event's refused words (bar only), folded: `{"refused_words": [...]}`.
pub const EVENT_WORDS: &str = "
select json_build_object('refused_words', to_json(s.refused_words))::text from event_settings s
";

/// The bar hides an order's nickname from public screens (`$2` true) or shows it again
/// (false): `order_json` of the order as it is now; no row when there is no such order.
/// A change bumps the version, so the trigger writes a `moderated` event; asking for the
/// state the order is already in writes nothing. The row is locked first, so the answer
/// is the newest version even after a concurrent change.
///
/// Parameters: `$1` order id (int8), `$2` hidden (bool).
pub const SET_NAME_HIDDEN: &str = "
with cur as (
    select o.id, o.name_hidden, order_json(o) as j from orders o where o.id = $1::int8 for update
),
upd as (
    update orders t
    set name_hidden = $2::bool, version = t.version + 1, updated_at = now()
    from cur
    where t.id = cur.id and cur.name_hidden <> $2::bool
    returning order_json(t) as j
)
select (a.j)::text
from (select coalesce((select u.j from upd u), (select c.j from cur c)) as j) a
where a.j is not null
";

/// The counter screen (public): `{"etag"}` when the client already has the current board
/// (its ETag is among `$1`), else `{"etag", "board": {now, ready_dim_minutes, total,
/// orders}}`.
///
/// The ETag is the settled feed position (`settled_position()`): the last event of a
/// transaction older than every running one (one step of the `(tx, seq)` index). Every change
/// of an order writes an event, and a change committed after a board was read settles at
/// a later position, so the ETag changes after every change of the board (and after
/// changes of drinks and settings too: a spare 200). The board itself is built only when
/// the ETag differs (`case`: its subqueries run only in that branch).
///
/// Parameters: `$1` the client's entity tags, comma-separated without quotes ('' for none),
/// `$2` the waiting statuses (text, comma-separated: `OrderStatus::WAITING`), `$3` the ready
/// status (text), `$4` the most orders per column (int8).
pub const BOARD: &str = "
with pos as (
    select 'b' || settled_position() as etag
)
select (case
    when etag_among(pos.etag, $1::text)
    then json_build_object('etag', pos.etag)
    else json_build_object('etag', pos.etag, 'board', json_build_object(
        'now', epoch_ms(now()),
        'ready_dim_minutes', (select s.ready_dim_minutes from event_settings s),
        'total', (select json_build_object(
                      'waiting', count(*) filter (
                          where o.status = any (string_to_array($2::text, ','))),
                      'ready', count(*) filter (where o.status = $3::text))
                  from orders o
                  where o.status = any (string_to_array($2::text, ','))
                     or o.status = $3::text),
        'orders', (select coalesce(json_agg(board_order_json(p.o) order by p.col, p.rank), '[]')
                   from ((select 0 as col, o.id as rank, o
                          from orders o
                          where o.status = any (string_to_array($2::text, ','))
                          order by o.id
                          limit $4::int8)
                         union all
                         (select 1, epoch_ms(o.ready_at), o
                          from orders o
                          where o.status = $3::text
                          order by o.ready_at, o.id
                          limit $4::int8)) p)
    ))
end)::text
from pos
";

/// The guest's view (`GET /api/visit`): `{"etag"}` when the client already has it (its
/// ETag is among `$1`), else `{"etag", "visit": {now, order, ahead, wait, ticker, menu}}`.
///
/// Bounded whatever the length of the evening: the guest's latest order (by
/// `orders_by_visitor`), how many waiting orders are before it (the open orders' partial
/// index), the last few orders that became ready (`recent_wait_json`), the ticker's last
/// lines (`ticker_json`) and the menu's MD5 (`menu_json`, as `MENU`'s ETag). The ETag is
/// the settled feed position, as in [`BOARD`]; nothing but it is read for a 304.
///
/// Parameters: `$1` the client's entity tags, comma-separated without quotes ('' for
/// none), `$2` the visitor id (uuid, null for none: a screen without a guest), `$3` the
/// waiting statuses (text, comma-separated: `OrderStatus::WAITING`), `$4` ticker lines
/// (int8), `$5` the recent wait's window (ms), `$6` its most samples and `$7` its fewest
/// (int8).
pub const VISIT: &str = "
with pos as (
    select 'v' || settled_position() as etag
),
mine as (
    select o from orders o where o.visitor_id = $2::uuid order by o.id desc limit 1
)
select (case
    when etag_among(pos.etag, $1::text)
    then json_build_object('etag', pos.etag)
    else json_build_object('etag', pos.etag, 'visit', json_build_object(
        'now', epoch_ms(now()),
        'order', (select order_json(m.o) from mine m),
        'ahead', (select case when (m.o).status = any (string_to_array($3::text, ','))
                         then (select count(*)
                               from orders a
                               where a.status = any (string_to_array($3::text, ','))
                                 and a.id < (m.o).id) end
                  from mine m),
        'wait', recent_wait_json($5::int8, $6::int8, $7::int8),
        'ticker', ticker_json($4::int8),
        'menu', md5(menu_json()::text)
    ))
end)::text
from pos
";

/// The visitor's orders, newest first: `{"orders": [order_json, ...]}`.
///
/// Parameters: `$1` visitor id (uuid), `$2` limit (int8).
pub const MY_ORDERS: &str = "
select json_build_object(
    'orders', coalesce(json_agg(order_json(p.o) order by (p.o).id desc), '[]')
)::text
from (select o from orders o where o.visitor_id = $1::uuid order by o.id desc limit $2::int8) p
";

/// One page of the bar queue, oldest or newest first, with the feed position of the same
/// snapshot: `{"orders": [...], "feed_tx", "feed_skip"}`.
///
/// Parameters: `$1` statuses, comma-separated (text), `$2` drink id or '' for all (text),
/// `$3` keyset position: the last id of the previous page (int8, 0 for the first page),
/// `$4` rows to fetch (int8; ask for one more than the page size to learn whether there
/// is a next page), `$5` `true` for newest first (ids below `$3`), `false` for oldest
/// first (ids above it) (bool), `$6` search text or '' for none (text; `QueueQuery::q`):
/// an order matches when its number is exactly the text or its nickname contains it,
/// ignoring case (`strpos` on `lower()`, so `%` and `_` are plain characters).
///
/// `feed_tx` is the snapshot's xmin; `feed_skip` lists (comma-separated) the transactions
/// at or above it whose events are already visible in this snapshot, so the feed neither
/// repeats nor misses anything.
pub const QUEUE: &str = "
with page as (
    select o
    from orders o
    where o.status = any (string_to_array($1::text, ','))
      and ($2::text = '' or o.drink_id = $2::text)
      and case when $5::bool then $3::int8 = 0 or o.id < $3::int8 else o.id > $3::int8 end
      and ($6::text = ''
           or o.number::text = $6::text
           or strpos(lower(o.nickname), lower($6::text)) > 0)
    order by case when $5::bool then -o.id else o.id end
    limit $4::int8
),
pos as (
    select pg_snapshot_xmin(pg_current_snapshot()) as xmin
)
select json_build_object(
    'orders', coalesce((select json_agg(order_json(p.o)
                                        order by case when $5::bool then -(p.o).id
                                                      else (p.o).id end)
                        from page p), '[]'),
    'feed_tx', pos.xmin::text,
    'feed_skip', coalesce((select string_agg(distinct e.tx::text, ',')
                           from order_events e
                           where e.tx >= pos.xmin), '')
)::text
from pos
";

/// The current feed position: everything committed so far is before it.
/// `{"feed_tx", "feed_skip"}`, as in [`QUEUE`].
pub const FEED_START: &str = "
with pos as (
    select pg_snapshot_xmin(pg_current_snapshot()) as xmin
)
select json_build_object(
    'feed_tx', pos.xmin::text,
    'feed_skip', coalesce((select string_agg(distinct e.tx::text, ',')
                           from order_events e
                           where e.tx >= pos.xmin), '')
)::text
from pos
";

/// Events after a cursor, oldest first; only events of transactions older than every
/// transaction still running, so an event that commits late is never skipped.
///
/// Parameters: `$1` cursor transaction (text, cast to xid8), `$2` cursor sequence (int8),
/// `$3` transactions to skip, comma-separated (text, '' for none), `$4` limit (int8).
///
/// Returns `{"events": [{"tx", "seq", "event": event_json}, ...]}`.
pub const FEED_AFTER: &str = events_json!(
    "
    select e
    from order_events e
    where (e.tx, e.seq) > ($1::text::xid8, $2::int8)
      and e.tx < pg_snapshot_xmin(pg_current_snapshot())
      and e.tx <> all (string_to_array($3::text, ',')::xid8[])
    order by e.tx, e.seq
    limit $4::int8
"
);

/// The last events for the public ticker, oldest first (only settled events, as in
/// [`FEED_AFTER`], so that polling on from the last one is gapless).
///
/// Parameters: `$1` how many (int8). Returns the shape of [`FEED_AFTER`].
pub const FEED_TAIL: &str = events_json!(
    "
    select e
    from order_events e
    where e.tx < pg_snapshot_xmin(pg_current_snapshot())
    order by e.tx desc, e.seq desc
    limit $1::int8
"
);

/// Readiness: `{"migration": n}`, the highest applied migration (0 when none). Fails when
/// the table is missing.
pub const HEALTH: &str = "
select json_build_object('migration', coalesce(max(version), 0))::text from schema_migrations
";

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [(&str, &str); 31] = [
        ("PLACE_ORDER", PLACE_ORDER),
        ("CANCEL_ORDER", CANCEL_ORDER),
        ("SET_STATUS", SET_STATUS),
        ("SET_STATUSES", SET_STATUSES),
        ("UNDO_STATUS", UNDO_STATUS),
        ("SET_STATUS_NOTIFYING", SET_STATUS_NOTIFYING),
        ("SET_STATUSES_NOTIFYING", SET_STATUSES_NOTIFYING),
        ("SAVE_PUSH_SUBSCRIPTION", SAVE_PUSH_SUBSCRIPTION),
        ("DELETE_PUSH_SUBSCRIPTION", DELETE_PUSH_SUBSCRIPTION),
        ("RECORD_PUSH", RECORD_PUSH),
        ("UPDATE_DRINK", UPDATE_DRINK),
        ("INSERT_DRINK", INSERT_DRINK),
        ("SET_PICTURE", SET_PICTURE),
        ("CLEAR_PICTURE", CLEAR_PICTURE),
        ("GET_PICTURE", GET_PICTURE),
        ("EXPORT_ORDERS_PAGE", EXPORT_ORDERS_PAGE),
        ("STATS", STATS),
        ("PURGE", PURGE),
        ("MENU", MENU),
        ("UPDATE_EVENT", UPDATE_EVENT),
        ("EVENT_KEY", EVENT_KEY),
        ("EVENT_WORDS", EVENT_WORDS),
        ("SET_NAME_HIDDEN", SET_NAME_HIDDEN),
        ("BOARD", BOARD),
        ("VISIT", VISIT),
        ("MY_ORDERS", MY_ORDERS),
        ("QUEUE", QUEUE),
        ("FEED_START", FEED_START),
        ("FEED_AFTER", FEED_AFTER),
        ("FEED_TAIL", FEED_TAIL),
        ("HEALTH", HEALTH),
    ];

    /// Every `$n` must be followed by a cast, so that inferred types match what we bind.
    #[test]
    fn every_parameter_has_an_explicit_cast() {
        for (name, sql) in ALL {
            let bytes = sql.as_bytes();
            for (i, _) in sql.match_indices('$') {
                let digits = bytes[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                assert!(digits > 0, "{name}: lone '$'");
                let rest = &sql[i + 1 + digits..];
                assert!(
                    rest.starts_with("::"),
                    "{name}: ${} has no cast",
                    &sql[i + 1..i + 1 + digits]
                );
            }
        }
    }

    /// The statements that call a function of a migration: each call's casts must be the
    /// function's parameter types, in order, so the call resolves to exactly that function.
    #[test]
    fn function_calls_match_the_migrated_signatures() {
        let all_sql: String = crate::migrations::MIGRATIONS
            .iter()
            .map(|m| m.sql)
            .collect::<Vec<_>>()
            .join("\n");
        for (call, function) in [
            (PLACE_ORDER, "place_order"),
            (CANCEL_ORDER, "cancel_order"),
            (SET_STATUS, "set_order_status"),
            (SET_STATUSES, "set_orders_status"),
            (UNDO_STATUS, "undo_order_status"),
            (EXPORT_ORDERS_PAGE, "export_orders_page"),
        ] {
            let prefix = format!("select {function}(");
            let args = call
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(")::text"))
                .unwrap_or_else(|| panic!("{function}: {call}"));
            let cast_types: Vec<&str> = args
                .split(", ")
                .map(|a| a.split_once("::").expect("cast").1)
                .collect();
            let (start, head) = ["create function", "create or replace function"]
                .iter()
                .filter_map(|create| {
                    let head = format!("{create} {function}(");
                    all_sql.rfind(&head).map(|at| (at, head))
                })
                .max()
                .unwrap_or_else(|| panic!("no migration creates {function}"));
            let params = &all_sql[start + head.len()..];
            let params = &params[..params.find(')').expect("closing parenthesis")];
            let param_types: Vec<&str> = params
                .split(',')
                .map(|p| p.split_whitespace().nth(1).expect("name type"))
                .collect();
            assert_eq!(cast_types, param_types, "{function}");
        }
    }

    /// Every definition of `export_orders_page` waits for the same export turn, so that
    /// exports take turns on one lock whichever migration defined the function last.
    #[test]
    fn every_definition_of_the_export_page_takes_the_one_export_turn() {
        assert_eq!(EXPORT_TURN.to_be_bytes()[2..], *b"export");
        let lock = format!("pg_advisory_xact_lock({EXPORT_TURN})");
        let definitions: Vec<_> = crate::migrations::MIGRATIONS
            .iter()
            .flat_map(|m| m.sql.split("function export_orders_page(").skip(1))
            .map(|rest| &rest[..rest.find("$fn$;").expect("end of the body")])
            .collect();
        assert!(definitions.len() >= 2, "0005 and 0009 define it");
        for body in definitions {
            assert_eq!(
                body.matches("pg_advisory_xact_lock(").count(),
                1,
                "one lock per page"
            );
            assert!(body.contains(&lock), "the export turn: {body}");
        }
    }

    /// The one literal copy of the open statuses: the partial unique index that allows one
    /// open order per visitor (an index predicate cannot take a parameter).
    #[test]
    fn the_one_open_order_index_covers_exactly_the_open_statuses() {
        let init = crate::migrations::MIGRATIONS[0].sql;
        let index = &init[init
            .find("create unique index orders_one_open_per_visitor")
            .expect("the index")..];
        let list = &index[index.find("status in (").expect("a status list") + 11..];
        let list = &list[..list.find(')').expect("closing parenthesis")];
        let statuses: Vec<&str> = list
            .split(',')
            .map(|s| s.trim().trim_matches('\''))
            .collect();
        let open: Vec<&str> = crate::OrderStatus::OPEN
            .iter()
            .map(|s| s.as_str())
            .collect();
        assert_eq!(statuses, open);
    }

    /// The trigger that drops a closing order's push subscription lists exactly the
    /// statuses outside `OrderStatus::OPEN` (a trigger's condition cannot take a parameter).
    #[test]
    fn closing_an_order_drops_its_subscription_for_exactly_the_closed_statuses() {
        let migration = crate::migrations::MIGRATIONS
            .iter()
            .find(|m| {
                m.sql
                    .contains("create trigger orders_close_push_subscription")
            })
            .expect("the migration of push subscriptions");
        let trigger = &migration.sql[migration
            .sql
            .find("create trigger orders_close_push_subscription")
            .expect("the trigger")..];
        let list = &trigger[trigger.find("new.status in (").expect("a status list") + 15..];
        let list = &list[..list.find(')').expect("closing parenthesis")];
        let statuses: Vec<&str> = list
            .split(',')
            .map(|s| s.trim().trim_matches('\''))
            .collect();
        let closed: Vec<&str> = crate::OrderStatus::ALL
            .iter()
            .filter(|s| !crate::OrderStatus::OPEN.contains(s))
            .map(|s| s.as_str())
            .collect();
        assert_eq!(statuses, closed);
    }

    /// Each statement answers one JSON value as text (decoded by `shapes`), except the one
    /// that answers a picture's bytes.
    #[test]
    fn every_statement_returns_json_text() {
        for (name, sql) in ALL.iter().filter(|(name, _)| *name != "GET_PICTURE") {
            assert!(sql.contains(")::text"), "{name}");
        }
    }

    #[test]
    fn statements_contain_no_transaction_control() {
        for (name, sql) in ALL {
            let lower = sql.to_lowercase();
            for word in ["begin", "commit", "rollback"] {
                assert!(
                    !lower
                        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                        .any(|w| w == word),
                    "{name} contains {word}"
                );
            }
        }
    }
}
