-- 0005_export_turns: CSV exports take turns; at most one page of an export is built at a
-- time, across every export of every replica.
--
-- An export reads every order in pages of 2,000 (`EXPORT_ORDERS_PAGE` in core/src/sql.rs),
-- one autocommit statement per page. A page costs its backend about 11 ms of CPU (2,000
-- orders as ~570 kB of JSON) and the component about as much again (decode, write CSV).
-- 32 exports reading as fast as they could kept every core busy, and placements waited
-- behind them: on 2 cores placement p99 went from 1.8 ms to 774 ms (docs/bench, phase 6).
--
-- So a page is read by `export_orders_page`, which first waits for **the export turn**: a
-- transaction-scoped advisory lock on one fixed key, written once, below. Because each
-- page is its own transaction, the turn is held only while one page is built and sent,
-- and it goes with the commit, a rollback, or the connection of an instance that died;
-- nothing outlives the statement (a session lock would stay with the pooled connection).
-- Waiters queue in PostgreSQL's lock manager, first come first served, without using CPU;
-- the queue is the database's, so it holds for any number of replicas. An export asks for
-- the turn again for each page and queues behind the others: n exports advance in
-- rotation, each about n times slower, none starved. Nothing else takes this lock.
--
-- Call it outside an explicit transaction, as the components do: inside one, the turn is
-- held until that transaction ends (tests/tests/export.rs holds it that way on purpose).
--
-- Like 0002 and 0003: no EXCEPTION block; to change the body, add a migration.

-- One page of the export, oldest first: `{"until", "orders": [order_json, ...]}` (core:
-- `shapes::ExportPage`). Orders with `p_after < id <= until`, at most `p_rows`; `until` is
-- `p_until`, or on the first page (`p_until` = 0) the greatest id once the turn came.
create function export_orders_page(p_after int8, p_until int8, p_rows int8) returns json
language plpgsql volatile
as $fn$
declare
    v_until int8 := p_until;
    v_orders json;
begin
    -- The export turn: 111567956832884 = 0x6578706f7274, "export" in ASCII (the
    -- migrate component's session lock is "drinks", 0x6472696e6b73).
    perform pg_advisory_xact_lock(111567956832884);
    if v_until <= 0 then
        select coalesce(max(o.id), 0) into v_until from orders o;
    end if;
    select coalesce(json_agg(order_json(p.o) order by (p.o).id), '[]')
    into v_orders
    from (
        select o
        from orders o
        where o.id > p_after and o.id <= v_until
        order by o.id
        limit p_rows
    ) p;
    return json_build_object('until', v_until, 'orders', v_orders);
end
$fn$;
