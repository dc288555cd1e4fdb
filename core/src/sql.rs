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
//! Order rows always use the same thirteen columns, in this order (see `rows::order_at`):
//! `id int8, number int4, nickname text, drink_id text, status text, version int4,
//!  created_ms int8, updated_ms int8, placed_ms int8, preparing_ms int8?, ready_ms int8?,
//!  served_ms int8?, cancelled_ms int8?`.
//!
//! Every change of a drink's stock or availability writes a `drink` event in the same
//! statement (also when an order takes, moves or returns stock), so open pages see
//! "sold out" change live.
//!
//! The three long write statements ([`PLACE_ORDER`], [`CANCEL_ORDER`], [`SET_STATUS`]) call
//! PL/pgSQL functions of `migrations/0002_write_functions.sql`, whose bodies are the
//! statements these constants used to hold. The pg4 host prepares every statement anew,
//! and those statements cost more to plan than to run; a function's statement is planned
//! once per pooled connection and its plan kept (docs/bench/README.md). Each function runs
//! its body as one statement in the caller's transaction, without an exception block, so
//! the semantics are those of the statement: one snapshot, the same locks, errors (such as
//! a unique violation, 23505) reach the caller unchanged, and its events carry the caller's
//! transaction id. A change to a body needs a new migration (`create or replace function`).

/// The thirteen order columns as every order statement returns them, times as epoch
/// milliseconds (Spin's pg4 cannot return `timestamptz`): id, number, nickname, drink_id,
/// status, version, created, updated, placed, preparing, ready, served, cancelled. Read by
/// position in `rows.rs`. Unqualified: use it where `orders` is the only table in scope.
/// (The write functions of migration 0002 return the same columns as `order_outcome`.)
macro_rules! order_columns {
    () => {
        "id, number, nickname, drink_id, status, version,
       (extract(epoch from created_at) * 1000)::int8 as created_ms,
       (extract(epoch from updated_at) * 1000)::int8 as updated_ms,
       (extract(epoch from placed_at) * 1000)::int8 as placed_ms,
       (extract(epoch from preparing_at) * 1000)::int8 as preparing_ms,
       (extract(epoch from ready_at) * 1000)::int8 as ready_ms,
       (extract(epoch from served_at) * 1000)::int8 as served_ms,
       (extract(epoch from cancelled_at) * 1000)::int8 as cancelled_ms"
    };
}

/// Place an order, or change the visitor's order that is still `placed`, with its event:
/// the function `place_order` (migration 0002).
///
/// Parameters: `$1` visitor id (uuid), `$2` nickname (text), `$3` drink id (text),
/// `$4` request id (uuid).
///
/// Returns one row: `action text` (the function names it `outcome`) followed by the
/// thirteen order columns (null when there is no order to show). `action` is one of
/// `placed` (201), `changed` (200), `replay` (200, nothing written),
/// `request_reused` (the request id belongs to another visitor), `unknown_drink`,
/// `sold_out`, `locked` (the open order is already `preparing` or `ready`; the order
/// columns show it).
///
/// Concurrency: the visitor's open order is locked (`for update`) before anything is
/// decided, stock is taken with a conditional update (`stock > 0` is re-checked on the
/// newest row version after waiting for a concurrent taker), and the order write depends
/// on that update's result, so a stock race ends as `sold_out` with nothing written. Two
/// concurrent first orders of one visitor, or two concurrent copies of one request, end in
/// a unique violation (23505) of the loser, which rolls the whole statement back; running
/// the statement again then answers `changed` or `replay`. A locked order is shown as
/// locked (the newest version), not as the statement's snapshot saw it.
pub const PLACE_ORDER: &str = "select * from place_order($1::uuid, $2::text, $3::text, $4::uuid)";

/// Cancel the visitor's own order while it is `placed`, return its stock, write the events:
/// the function `cancel_order` (migration 0002).
///
/// Parameters: `$1` order id (int8), `$2` visitor id (uuid).
///
/// Returns one row: `action text` followed by the thirteen order columns. `action` is
/// `cancelled` (written), `already_cancelled` (nothing written), `not_found` (no such
/// order of this visitor; order columns null) or `locked` (the order is past `placed`).
/// The order shown is the newest version (the locked row), never an older snapshot.
pub const CANCEL_ORDER: &str = "select * from cancel_order($1::int8, $2::uuid)";

/// The bar moves an order to another status, if its version is the one the tablet saw and
/// the rules allow it; stamps the status time, returns stock on cancel, writes the events:
/// the function `set_order_status` (migration 0002).
///
/// Parameters: `$1` order id (int8), `$2` new status (text), `$3` the version the client
/// saw (int4), `$4` the statuses the order may be in for this change, comma-separated
/// (text; from `StatusChange::from_statuses_param`, so the rule lives in core).
///
/// Returns one row: `action text` followed by the thirteen order columns. `action` is
/// `changed` (written; the order as it is now), `not_found` (order columns null), `stale`
/// (the version differs: someone else changed it; the current order) or `illegal` (the
/// rules do not allow it from the current status; the current order). A stale version is
/// reported before an illegal change: the client has to look at the order again first.
///
/// Concurrency: the order row is locked first; a second tablet's change waits, then sees
/// the new version and ends as `stale`, so two tablets never overwrite each other.
pub const SET_STATUS: &str =
    "select * from set_order_status($1::int8, $2::text, $3::int4, $4::text)";

/// The bar switches a drink on or off and/or sets its stock, with a `drink` event.
///
/// Parameters: `$1` drink id (text), `$2` available (bool; null = keep), `$3` whether to
/// set the stock (bool), `$4` the stock (int4; null = unlimited).
///
/// Columns: `id text, name text, available bool, stock int4?`, as in [`MENU`]; no row
/// when there is no such drink (nothing written).
pub const UPDATE_DRINK: &str = "
with upd as (
    update drinks d
    set available = coalesce($2::bool, d.available),
        stock = case when $3::bool then $4::int4 else d.stock end,
        version = d.version + 1,
        updated_at = now()
    where d.id = $1::text
    returning d.id, d.name, d.available, d.stock
),
ev as (
    insert into order_events (kind, drink_id, available, stock)
    select 'drink', u.id, u.available, u.stock from upd u
    returning seq
)
select u.id, u.name, u.available, u.stock from upd u
";

/// Every order of the event, oldest first, for the CSV export.
///
/// Columns: the thirteen order columns.
pub const EXPORT_ORDERS: &str = concat!(
    "
select ",
    order_columns!(),
    "
from orders
order by id
"
);

/// The bar's statistics over every order in the table, as tagged rows.
///
/// Columns: `kind text, label text?, status text?, sort int8, a int8?, b int8?, c int8?`:
/// - `now`: `a` = the database's clock (epoch ms); always exactly one such row, so the
///   result is never empty;
/// - `drink`: one row per drink and status (`status` null, `a` = 0 for a drink without
///   orders); `label` = drink id, `sort` = menu position, `a` = orders;
/// - `minute`: `a` = start of the minute the orders were placed in (epoch ms), `b` = orders;
/// - `wait`: `label` = `placed_to_ready` or `ready_to_served`, `a` = orders that went
///   through it, `b` = median, `c` = 90th percentile (ms, interpolated; null without orders).
pub const STATS: &str = "
with per_drink as (
    select d.id, d.position, o.status, count(o.id)::int8 as n
    from drinks d
    left join orders o on o.drink_id = d.id
    group by d.id, d.position, o.status
),
per_minute as (
    select (floor(extract(epoch from o.placed_at) / 60) * 60000)::int8 as minute,
           count(*)::int8 as n
    from orders o
    group by 1
),
waits as (
    select 'placed_to_ready'::text as label, count(*)::int8 as n,
           round(percentile_cont(0.5) within group (order by t.ms))::int8 as median,
           round(percentile_cont(0.9) within group (order by t.ms))::int8 as p90
    from (select (extract(epoch from o.ready_at - o.placed_at) * 1000)::float8 as ms
          from orders o where o.ready_at is not null) t
    union all
    select 'ready_to_served'::text, count(*)::int8,
           round(percentile_cont(0.5) within group (order by t.ms))::int8,
           round(percentile_cont(0.9) within group (order by t.ms))::int8
    from (select (extract(epoch from o.served_at - o.ready_at) * 1000)::float8 as ms
          from orders o where o.served_at is not null and o.ready_at is not null) t
)
select 'now'::text, null::text, null::text, 0::int8,
       (extract(epoch from now()) * 1000)::int8, null::int8, null::int8
union all
select 'drink', p.id, p.status, p.position::int8, p.n, null, null from per_drink p
union all
select 'minute', null, null, 0, m.minute, m.n, null from per_minute m
union all
select 'wait', w.label, null, 0, w.n, w.median, w.p90 from waits w
";

/// Purges closed orders (`served`, `cancelled`) last changed before a time, with their
/// events; open orders are never touched. Drink events stay.
///
/// Parameters: `$1` the cut-off (epoch ms, int8). Columns (one row): `purged int8`.
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
select count(*)::int8 from gone
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
/// Parameters: `$1` visitor id (uuid), `$2` limit (int8). Columns: the thirteen order
/// columns.
pub const MY_ORDERS: &str = concat!(
    "
select ",
    order_columns!(),
    "
from orders
where visitor_id = $1::uuid
order by id desc
limit $2::int8
"
);

/// One page of the bar queue, oldest first, with the feed position of the same snapshot.
///
/// Parameters: `$1` statuses, comma-separated (text), `$2` drink id or '' for all (text),
/// `$3` keyset position: only orders with a greater id (int8, 0 for the first page),
/// `$4` rows to fetch (int8; ask for one more than the page size to learn whether there
/// is a next page).
///
/// Returns at least one row: `feed_tx text, feed_skip text`, then the thirteen order
/// columns, which are null in the single row of an empty page. `feed_tx` is the snapshot's
/// xmin; `feed_skip` lists (comma-separated) the transactions at or above it whose events
/// are already visible in this snapshot, so the feed neither repeats nor misses anything.
pub const QUEUE: &str = concat!(
    "with page as (
    select ",
    order_columns!(),
    "
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
       p.updated_ms, p.placed_ms, p.preparing_ms, p.ready_ms, p.served_ms, p.cancelled_ms
from pos
left join page p on true
order by p.id
"
);

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

    const ALL: [(&str, &str); 14] = [
        ("PLACE_ORDER", PLACE_ORDER),
        ("CANCEL_ORDER", CANCEL_ORDER),
        ("SET_STATUS", SET_STATUS),
        ("UPDATE_DRINK", UPDATE_DRINK),
        ("EXPORT_ORDERS", EXPORT_ORDERS),
        ("STATS", STATS),
        ("PURGE", PURGE),
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
        ] {
            let prefix = format!("select * from {function}(");
            let args = call
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(')'))
                .unwrap_or_else(|| panic!("{function}: {call}"));
            let cast_types: Vec<&str> = args
                .split(", ")
                .map(|a| a.split_once("::").expect("cast").1)
                .collect();
            let head = format!("create or replace function {function}(");
            let start = all_sql
                .rfind(&head)
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
