//! SQL text of every statement the API runs: one statement per request.
//!
//! Rules that keep these statements working on Spin's pg4 host:
//! - every parameter carries an explicit cast (`$1::uuid`, `$2::text`, `$3::int8`), so the
//!   type PostgreSQL infers matches the `ParameterValue` variant the component sends;
//! - no result column is `timestamptz`: times come back as epoch milliseconds (`int8`);
//! - `xid8` values come back as text and go in as `$n::text::xid8`;
//! - values are read by position (a statement that returns no rows returns no columns
//!   either), which is why several statements `left join` their rows to a one-row header.
//!
//! Order rows always use the same eight columns, in this order (see `rows::order`):
//! `id int8, number int4, nickname text, drink_id text, status text, version int4,
//!  created_ms int8, updated_ms int8`.

/// Place an order, or change the visitor's order that is still `placed`, with its event.
///
/// Parameters: `$1` visitor id (uuid), `$2` nickname (text), `$3` drink id (text),
/// `$4` request id (uuid).
///
/// Returns one row: `action text` followed by the eight order columns (null when there is
/// no order to show). `action` is one of
/// `placed` (201), `changed` (200), `replay` (200, nothing written),
/// `request_reused` (the request id belongs to another visitor), `unknown_drink`,
/// `sold_out`, `locked` (the open order is already `preparing` or `ready`; the order
/// columns show it).
///
/// Concurrency: the visitor's open order is locked (`for update`) before anything is
/// decided, stock is taken with a conditional update, and the order write depends on that
/// update's result, so a stock race ends as `sold_out` with nothing written. Two concurrent
/// first orders of one visitor, or two concurrent copies of one request, end in a unique
/// violation (23505) of the loser, which rolls the whole statement back; running the
/// statement again then answers `changed` or `replay`.
pub const PLACE_ORDER: &str = "
with req as (
    select $1::uuid as visitor_id, $2::text as nickname, $3::text as drink_id,
           $4::uuid as request_id
),
replayed as (
    select o.id, o.visitor_id = req.visitor_id as same_visitor
    from order_events e
    join orders o on o.id = e.order_id
    cross join req
    where e.request_id = req.request_id
),
cur as (
    select o.id, o.status, o.drink_id
    from orders o, req
    where o.visitor_id = req.visitor_id and o.status in ('placed', 'preparing', 'ready')
    for update of o
),
drink as (
    select d.id, d.available, d.stock from drinks d, req where d.id = req.drink_id
),
decision as (
    select case
        when exists (select from replayed where same_visitor) then 'replay'
        when exists (select from replayed) then 'request_reused'
        when not exists (select from drink) then 'unknown_drink'
        when exists (select from cur where status <> 'placed') then 'locked'
        when exists (select from cur, req where cur.drink_id = req.drink_id) then 'change'
        when not exists (select from drink where available and coalesce(stock, 1) > 0)
            then 'sold_out'
        when exists (select from cur) then 'switch'
        else 'place'
    end as action
),
take as (
    update drinks d set stock = d.stock - 1, updated_at = now()
    from decision, req
    where d.id = req.drink_id and decision.action in ('place', 'switch')
      and d.available and d.stock is not null and d.stock > 0
    returning d.id
),
go as (
    select decision.action from decision
    where decision.action = 'change'
       or (decision.action in ('place', 'switch')
           and (exists (select from take) or exists (select from drink where stock is null)))
),
ins as (
    insert into orders (visitor_id, nickname, drink_id)
    select req.visitor_id, req.nickname, req.drink_id from req, go where go.action = 'place'
    returning id, number, nickname, drink_id, status, version, created_at, updated_at
),
upd as (
    update orders o
    set nickname = req.nickname, drink_id = req.drink_id, version = o.version + 1,
        updated_at = now()
    from req, go, cur
    where o.id = cur.id and go.action in ('change', 'switch')
    returning o.id, o.number, o.nickname, o.drink_id, o.status, o.version, o.created_at,
              o.updated_at
),
give_back as (
    update drinks d set stock = d.stock + 1, updated_at = now()
    from cur, go
    where go.action = 'switch' and d.id = cur.drink_id and d.stock is not null
    returning d.id
),
written as (
    select 'placed' as kind, * from ins
    union all
    select 'changed' as kind, * from upd
),
ev as (
    insert into order_events
        (kind, order_id, number, nickname, drink_id, status, version, request_id)
    select w.kind, w.id, w.number, w.nickname, w.drink_id, w.status, w.version, req.request_id
    from written w, req
    returning seq
),
shown as (
    select w.id, w.number, w.nickname, w.drink_id, w.status, w.version, w.created_at,
           w.updated_at
    from written w
    union all
    select o.id, o.number, o.nickname, o.drink_id, o.status, o.version, o.created_at,
           o.updated_at
    from orders o, decision
    where (decision.action = 'replay' and o.id in (select id from replayed))
       or (decision.action = 'locked' and o.id in (select id from cur))
)
select case
           when exists (select from written where kind = 'placed') then 'placed'
           when exists (select from written where kind = 'changed') then 'changed'
           when decision.action in ('place', 'switch', 'change') then 'sold_out'
           else decision.action
       end,
       s.id, s.number, s.nickname, s.drink_id, s.status, s.version,
       (extract(epoch from s.created_at) * 1000)::int8,
       (extract(epoch from s.updated_at) * 1000)::int8
from decision
left join shown s on true
";

/// Cancel the visitor's own order while it is `placed`, return its stock, write the event.
///
/// Parameters: `$1` order id (int8), `$2` visitor id (uuid).
///
/// Returns one row: `action text` followed by the eight order columns. `action` is
/// `cancelled` (written), `already_cancelled` (nothing written), `not_found` (no such
/// order of this visitor; order columns null) or `locked` (the order is past `placed`).
pub const CANCEL_ORDER: &str = "
with req as (
    select $1::int8 as id, $2::uuid as visitor_id
),
cur as (
    select o.id, o.status, o.drink_id
    from orders o, req
    where o.id = req.id and o.visitor_id = req.visitor_id
    for update of o
),
decision as (
    select case
        when not exists (select from cur) then 'not_found'
        when exists (select from cur where status = 'cancelled') then 'already_cancelled'
        when exists (select from cur where status = 'placed') then 'cancel'
        else 'locked'
    end as action
),
upd as (
    update orders o
    set status = 'cancelled', version = o.version + 1, updated_at = now(), cancelled_at = now()
    from cur, decision
    where o.id = cur.id and decision.action = 'cancel'
    returning o.id, o.number, o.nickname, o.drink_id, o.status, o.version, o.created_at,
              o.updated_at
),
give_back as (
    update drinks d set stock = d.stock + 1, updated_at = now()
    from upd
    where d.id = upd.drink_id and d.stock is not null
    returning d.id
),
ev as (
    insert into order_events (kind, order_id, number, nickname, drink_id, status, version)
    select 'cancelled', u.id, u.number, u.nickname, u.drink_id, u.status, u.version
    from upd u
    returning seq
),
shown as (
    select * from upd
    union all
    select o.id, o.number, o.nickname, o.drink_id, o.status, o.version, o.created_at,
           o.updated_at
    from orders o, decision
    where decision.action <> 'cancel' and o.id in (select id from cur)
)
select case
           when exists (select from upd) then 'cancelled'
           else decision.action
       end,
       s.id, s.number, s.nickname, s.drink_id, s.status, s.version,
       (extract(epoch from s.created_at) * 1000)::int8,
       (extract(epoch from s.updated_at) * 1000)::int8
from decision
left join shown s on true
";

/// The menu in display order.
///
/// Columns: `id text, name text, available bool, stock int4 (null = unlimited)`.
pub const MENU: &str = "
select id, name, available, stock
from drinks
order by position, id
";

/// The visitor's orders, newest first.
///
/// Parameters: `$1` visitor id (uuid), `$2` limit (int8). Columns: the eight order columns.
pub const MY_ORDERS: &str = "
select id, number, nickname, drink_id, status, version,
       (extract(epoch from created_at) * 1000)::int8,
       (extract(epoch from updated_at) * 1000)::int8
from orders
where visitor_id = $1::uuid
order by id desc
limit $2::int8
";

/// One page of the bar queue, oldest first, with the feed position of the same snapshot.
///
/// Parameters: `$1` statuses, comma-separated (text), `$2` drink id or '' for all (text),
/// `$3` keyset position: only orders with a greater id (int8, 0 for the first page),
/// `$4` rows to fetch (int8; ask for one more than the page size to learn whether there
/// is a next page).
///
/// Returns at least one row: `feed_tx text, feed_skip text`, then the eight order
/// columns, which are null in the single row of an empty page. `feed_tx` is the snapshot's
/// xmin; `feed_skip` lists (comma-separated) the transactions at or above it whose events
/// are already visible in this snapshot, so the feed neither repeats nor misses anything.
pub const QUEUE: &str = "
with page as (
    select o.id, o.number, o.nickname, o.drink_id, o.status, o.version,
           (extract(epoch from o.created_at) * 1000)::int8 as created_ms,
           (extract(epoch from o.updated_at) * 1000)::int8 as updated_ms
    from orders o
    where o.status = any (string_to_array($1::text, ','))
      and ($2::text = '' or o.drink_id = $2::text)
      and o.id > $3::int8
    order by o.id
    limit $4::int8
),
pos as (
    select pg_snapshot_xmin(pg_current_snapshot()) as xmin
)
select pos.xmin::text,
       coalesce((select string_agg(distinct e.tx::text, ',')
                 from order_events e
                 where e.tx >= pos.xmin), ''),
       p.id, p.number, p.nickname, p.drink_id, p.status, p.version, p.created_ms,
       p.updated_ms
from pos
left join page p on true
order by p.id
";

/// The current feed position: everything committed so far is before it.
///
/// Columns (one row): `feed_tx text, feed_skip text`, as in [`QUEUE`].
pub const FEED_START: &str = "
with pos as (
    select pg_snapshot_xmin(pg_current_snapshot()) as xmin
)
select pos.xmin::text,
       coalesce((select string_agg(distinct e.tx::text, ',')
                 from order_events e
                 where e.tx >= pos.xmin), '')
from pos
";

/// Events after a cursor, oldest first; only events of transactions older than every
/// transaction still running, so an event that commits late is never skipped.
///
/// Parameters: `$1` cursor transaction (text, cast to xid8), `$2` cursor sequence (int8),
/// `$3` transactions to skip, comma-separated (text, '' for none), `$4` limit (int8).
///
/// Columns: see [`EVENT_COLUMNS`].
pub const FEED_AFTER: &str = "
select e.tx::text, e.seq, e.kind, e.order_id, e.number, e.nickname, e.drink_id, e.status,
       e.version, e.available, e.stock, (extract(epoch from e.created_at) * 1000)::int8
from order_events e
where (e.tx, e.seq) > ($1::text::xid8, $2::int8)
  and e.tx < pg_snapshot_xmin(pg_current_snapshot())
  and e.tx <> all (string_to_array($3::text, ',')::xid8[])
order by e.tx, e.seq
limit $4::int8
";

/// The last events for the public ticker, oldest first (only settled events, as in
/// [`FEED_AFTER`], so that polling on from the last one is gapless).
///
/// Parameters: `$1` how many (int8). Columns: see [`EVENT_COLUMNS`].
pub const FEED_TAIL: &str = "
select t.* from (
    select e.tx::text as tx, e.seq, e.kind, e.order_id, e.number, e.nickname, e.drink_id,
           e.status, e.version, e.available, e.stock,
           (extract(epoch from e.created_at) * 1000)::int8 as created_ms
    from order_events e
    where e.tx < pg_snapshot_xmin(pg_current_snapshot())
    order by e.tx desc, e.seq desc
    limit $1::int8
) t
order by t.tx::xid8, t.seq
";

/// Column layout of [`FEED_AFTER`] and [`FEED_TAIL`]:
/// `tx text, seq int8, kind text, order_id int8?, number int4?, nickname text?,
///  drink_id text, status text?, version int4?, available bool?, stock int4?,
///  created_ms int8`.
pub const EVENT_COLUMNS: usize = 12;

/// Readiness: the highest applied migration (0 when none). Fails when the table is missing.
///
/// Columns (one row): `version int8`.
pub const HEALTH: &str = "
select coalesce(max(version), 0)::int8 from schema_migrations
";

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [(&str, &str); 9] = [
        ("PLACE_ORDER", PLACE_ORDER),
        ("CANCEL_ORDER", CANCEL_ORDER),
        ("MENU", MENU),
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
