-- 0009_export_rests: the export turn rests as long as its page took, so that exports
-- leave the machine to placements.
--
-- With the turn of 0005 one page is built at a time, but the next export takes the turn as
-- soon as the last one lets go: 32 exports kept one backend building pages without a pause
-- and their 32 components decoding them and writing CSV, and on 2 cores placement p99 went
-- from 1.8 ms to 774 ms (docs/bench, phase 6). Now the holder of the turn, once its page is
-- built, keeps the turn and sleeps (`pg_sleep`, no CPU) for as long as the page took to
-- build, then lets go. Whatever number of exports run, at most half of the database's time
-- goes to building pages, and the components get pages no faster than that; placements and
-- every other request take the rest. A single export takes about twice as long in the
-- database; exports still advance in rotation, none starved.
--
-- The turn, the bound and the page are those of 0005; only the rest is new. The key is the
-- same (core: `sql::EXPORT_TURN`, which a core test holds to every definition).
--
-- Like 0002, 0003 and 0005: no EXCEPTION block; to change the body, add a migration.

create or replace function export_orders_page(p_after int8, p_until int8, p_rows int8) returns json
language plpgsql volatile
as $fn$
declare
    v_until int8 := p_until;
    v_orders json;
    v_turn timestamptz;
begin
    -- The export turn: 111567956832884 = 0x6578706f7274, "export" in ASCII.
    perform pg_advisory_xact_lock(111567956832884);
    v_turn := clock_timestamp();
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
    -- The rest: as long again as the page took, still holding the turn.
    perform pg_sleep(extract(epoch from clock_timestamp() - v_turn)::float8);
    return json_build_object('until', v_until, 'orders', v_orders);
end
$fn$;
