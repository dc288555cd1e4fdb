-- 0006_bar_batch: the bar moves several orders with one request (PATCH /api/orders).
--
-- `set_orders_status` takes the changes as a JSON array of
-- `{"id", "status", "version", "from_statuses"}` (built by core: `api::StatusChanges`, with
-- `from_statuses` from `OrderStatus::BAR_MOVES` as for one order) and runs
-- `set_order_status` (migration 0003) for each, in id order: every order is still checked
-- against the version the tablet saw and the moves the rules allow, each change writes its
-- own feed event (triggers), and two tablets' batches lock their rows in the same order, so
-- they wait for each other instead of deadlocking. A change that is refused (stale, illegal,
-- not found) changes nothing and does not stop the others.
--
-- Returns `{"outcomes": [{"id", "result": write_outcome}, ...]}`, in id order.
create function set_orders_status(p_changes text)
returns json
language plpgsql
volatile
as $fn$
declare
    c record;
    outcomes json[] := '{}';
begin
    for c in
        select x.id, x.status, x.version, x.from_statuses
        from json_to_recordset(p_changes::json)
             as x(id int8, status text, version int4, from_statuses text)
        order by x.id
    loop
        outcomes := outcomes || json_build_object(
            'id', c.id,
            'result', set_order_status(c.id, c.status, c.version, c.from_statuses)
        );
    end loop;
    return json_build_object('outcomes', array_to_json(outcomes));
end
$fn$;
