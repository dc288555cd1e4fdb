-- 0002_write_functions: the three write statements that cost more to plan than to run,
-- as PL/pgSQL functions.
--
-- Spin's pg4 host (and the development host) prepares every statement anew, so a long
-- statement is parsed, analysed and planned on every request: the placement statement
-- planned in 1.57 ms and ran in 1.36 ms (docs/bench). PL/pgSQL prepares the static
-- statement of a function once per connection and keeps its plan; the pool's checkout
-- cleanup (RESET ALL, DISCARD TEMP, DISCARD SEQUENCES, no DISCARD PLANS) leaves that plan
-- cached, so per request only the one-line `select * from f(...)` is planned.
--
-- Each body is the statement it replaces in core/src/sql.rs, unchanged except that the
-- `req` CTE reads the function's arguments instead of `$n` parameters. The arguments are
-- only read in `req` (a CTE referenced many times, so it is materialised), which makes the
-- generic plan PostgreSQL switches to after five calls the same as a custom plan: index
-- scans only (docs/bench/plans.txt).
--
-- Rules for these functions:
-- - they return `setof order_outcome`, whose columns are read by position
--   (core/src/rows.rs): `outcome text`, then the thirteen order columns, in the same order
--   and types as the statements returned;
-- - no EXCEPTION block: errors (a unique violation is 23505) reach the caller unchanged
--   and no subtransaction is opened, so events keep the caller's transaction id
--   (`order_events.tx` defaults to pg_current_xact_id());
-- - to change a body, add a migration with `create or replace function`; never edit this
--   file after it has been applied (its checksum is recorded).

-- The row every write function returns: `outcome`, then the thirteen order columns (read
-- by position in core/src/rows.rs). One type, so the three functions cannot drift apart.
create type order_outcome as (
    outcome        text,
    order_id       int8,
    order_number   int4,
    order_nickname text,
    order_drink_id text,
    order_status   text,
    order_version  int4,
    created_ms     int8,
    updated_ms     int8,
    placed_ms      int8,
    preparing_ms   int8,
    ready_ms       int8,
    served_ms      int8,
    cancelled_ms   int8
);

-- PLACE_ORDER: place an order, or change the visitor's order that is still `placed`.
-- See the doc comment of `sql::PLACE_ORDER` for the outcomes and the concurrency rules.
create or replace function place_order(
    p_visitor_id uuid, p_nickname text, p_drink_id text, p_request_id uuid
)
returns setof order_outcome
language plpgsql
volatile
rows 1
as $fn$
begin
    return query
        with req as (
            select p_visitor_id as visitor_id, p_nickname as nickname, p_drink_id as drink_id,
                   p_request_id as request_id
        ),
        replayed as (
            select o.id, o.visitor_id = req.visitor_id as same_visitor
            from order_events e
            join orders o on o.id = e.order_id
            cross join req
            where e.request_id = req.request_id
        ),
        cur as (
            select o.id, o.number, o.nickname, o.drink_id, o.status, o.version, o.created_at,
                   o.updated_at, o.placed_at, o.preparing_at, o.ready_at, o.served_at,
                   o.cancelled_at
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
            returning d.id, d.available, d.stock
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
            returning id, number, nickname, drink_id, status, version, created_at, updated_at,
                      placed_at, preparing_at, ready_at, served_at, cancelled_at
        ),
        upd as (
            update orders o
            set nickname = req.nickname, drink_id = req.drink_id, version = o.version + 1,
                updated_at = now()
            from req, go, cur
            where o.id = cur.id and go.action in ('change', 'switch')
            returning o.id, o.number, o.nickname, o.drink_id, o.status, o.version, o.created_at,
                      o.updated_at, o.placed_at, o.preparing_at, o.ready_at, o.served_at,
                      o.cancelled_at
        ),
        give_back as (
            update drinks d set stock = d.stock + 1, updated_at = now()
            from cur, go
            where go.action = 'switch' and d.id = cur.drink_id and d.stock is not null
            returning d.id, d.available, d.stock
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
        drink_ev as (
            insert into order_events (kind, drink_id, available, stock)
            select 'drink', s.id, s.available, s.stock
            from (select * from take union all select * from give_back) s
            returning seq
        ),
        shown as (
            select w.id, w.number, w.nickname, w.drink_id, w.status, w.version, w.created_at,
                   w.updated_at, w.placed_at, w.preparing_at, w.ready_at, w.served_at,
                   w.cancelled_at
            from written w
            union all
            select o.id, o.number, o.nickname, o.drink_id, o.status, o.version, o.created_at,
                   o.updated_at, o.placed_at, o.preparing_at, o.ready_at, o.served_at,
                   o.cancelled_at
            from orders o, decision
            where decision.action = 'replay' and o.id in (select id from replayed)
            union all
            select c.id, c.number, c.nickname, c.drink_id, c.status, c.version, c.created_at,
                   c.updated_at, c.placed_at, c.preparing_at, c.ready_at, c.served_at,
                   c.cancelled_at
            from cur c, decision
            where decision.action = 'locked'
        )
        select case
                   when exists (select from written where kind = 'placed') then 'placed'
                   when exists (select from written where kind = 'changed') then 'changed'
                   when decision.action in ('place', 'switch', 'change') then 'sold_out'
                   else decision.action
               end,
               s.id, s.number, s.nickname, s.drink_id, s.status, s.version,
               (extract(epoch from s.created_at) * 1000)::int8,
               (extract(epoch from s.updated_at) * 1000)::int8,
               (extract(epoch from s.placed_at) * 1000)::int8,
               (extract(epoch from s.preparing_at) * 1000)::int8,
               (extract(epoch from s.ready_at) * 1000)::int8,
               (extract(epoch from s.served_at) * 1000)::int8,
               (extract(epoch from s.cancelled_at) * 1000)::int8
        from decision
        left join shown s on true;
end
$fn$;

-- CANCEL_ORDER: the visitor cancels their own order while it is `placed`.
-- See `sql::CANCEL_ORDER`.
create or replace function cancel_order(p_order_id int8, p_visitor_id uuid)
returns setof order_outcome
language plpgsql
volatile
rows 1
as $fn$
begin
    return query
        with req as (
            select p_order_id as id, p_visitor_id as visitor_id
        ),
        cur as (
            select o.id, o.number, o.nickname, o.drink_id, o.status, o.version, o.created_at,
                   o.updated_at, o.placed_at, o.preparing_at, o.ready_at, o.served_at,
                   o.cancelled_at
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
                      o.updated_at, o.placed_at, o.preparing_at, o.ready_at, o.served_at,
                      o.cancelled_at
        ),
        give_back as (
            update drinks d set stock = d.stock + 1, updated_at = now()
            from upd
            where d.id = upd.drink_id and d.stock is not null
            returning d.id, d.available, d.stock
        ),
        ev as (
            insert into order_events (kind, order_id, number, nickname, drink_id, status, version)
            select 'cancelled', u.id, u.number, u.nickname, u.drink_id, u.status, u.version
            from upd u
            returning seq
        ),
        drink_ev as (
            insert into order_events (kind, drink_id, available, stock)
            select 'drink', g.id, g.available, g.stock from give_back g
            returning seq
        ),
        shown as (
            select * from upd
            union all
            select c.* from cur c, decision where decision.action <> 'cancel'
        )
        select case
                   when exists (select from upd) then 'cancelled'
                   else decision.action
               end,
               s.id, s.number, s.nickname, s.drink_id, s.status, s.version,
               (extract(epoch from s.created_at) * 1000)::int8,
               (extract(epoch from s.updated_at) * 1000)::int8,
               (extract(epoch from s.placed_at) * 1000)::int8,
               (extract(epoch from s.preparing_at) * 1000)::int8,
               (extract(epoch from s.ready_at) * 1000)::int8,
               (extract(epoch from s.served_at) * 1000)::int8,
               (extract(epoch from s.cancelled_at) * 1000)::int8
        from decision
        left join shown s on true;
end
$fn$;

-- SET_STATUS: the bar moves an order to another status if the version matches.
-- See `sql::SET_STATUS`.
create or replace function set_order_status(
    p_order_id int8, p_status text, p_version int4, p_from_statuses text
)
returns setof order_outcome
language plpgsql
volatile
rows 1
as $fn$
begin
    return query
        with req as (
            select p_order_id as id, p_status as status, p_version as version,
                   string_to_array(p_from_statuses, ',') as from_statuses
        ),
        cur as (
            select o.id, o.number, o.nickname, o.drink_id, o.status, o.version, o.created_at,
                   o.updated_at, o.placed_at, o.preparing_at, o.ready_at, o.served_at,
                   o.cancelled_at
            from orders o, req
            where o.id = req.id
            for update of o
        ),
        decision as (
            select case
                when not exists (select from cur) then 'not_found'
                when exists (select from cur, req where cur.version <> req.version) then 'stale'
                when exists (select from cur, req where cur.status = any (req.from_statuses))
                    then 'change'
                else 'illegal'
            end as action
        ),
        upd as (
            update orders o
            set status = req.status, version = o.version + 1, updated_at = now(),
                preparing_at = case when req.status = 'preparing' then now() else o.preparing_at end,
                ready_at = case when req.status = 'ready' then now() else o.ready_at end,
                served_at = case when req.status = 'served' then now() else o.served_at end,
                cancelled_at = case when req.status = 'cancelled' then now() else o.cancelled_at end
            from req, cur, decision
            where o.id = cur.id and decision.action = 'change'
            returning o.id, o.number, o.nickname, o.drink_id, o.status, o.version, o.created_at,
                      o.updated_at, o.placed_at, o.preparing_at, o.ready_at, o.served_at,
                      o.cancelled_at
        ),
        give_back as (
            update drinks d set stock = d.stock + 1, updated_at = now()
            from upd
            where upd.status = 'cancelled' and d.id = upd.drink_id and d.stock is not null
            returning d.id, d.available, d.stock
        ),
        ev as (
            insert into order_events (kind, order_id, number, nickname, drink_id, status, version)
            select case when u.status = 'cancelled' then 'cancelled' else 'status' end,
                   u.id, u.number, u.nickname, u.drink_id, u.status, u.version
            from upd u
            returning seq
        ),
        drink_ev as (
            insert into order_events (kind, drink_id, available, stock)
            select 'drink', g.id, g.available, g.stock from give_back g
            returning seq
        ),
        shown as (
            select * from upd
            union all
            select c.* from cur c where not exists (select from upd)
        )
        select case
                   when exists (select from upd) then 'changed'
                   when decision.action = 'change' then 'stale'
                   else decision.action
               end,
               s.id, s.number, s.nickname, s.drink_id, s.status, s.version,
               (extract(epoch from s.created_at) * 1000)::int8,
               (extract(epoch from s.updated_at) * 1000)::int8,
               (extract(epoch from s.placed_at) * 1000)::int8,
               (extract(epoch from s.preparing_at) * 1000)::int8,
               (extract(epoch from s.ready_at) * 1000)::int8,
               (extract(epoch from s.served_at) * 1000)::int8,
               (extract(epoch from s.cancelled_at) * 1000)::int8
        from decision
        left join shown s on true;
end
$fn$;
