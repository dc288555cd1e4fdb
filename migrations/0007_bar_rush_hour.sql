-- 0007_bar_rush_hour: the bar at rush hour (issue 14): several orders moved with one request
-- (PATCH /api/orders), and the last status change taken back within a minute
-- (POST /api/orders/{id}/undo).
--
-- Batches.
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

-- Undo. The rule, once: the bar may take back the last status change of an order whose
-- status is one of `p_undoable` (core: `OrderStatus::BAR_UNDOABLE`: served, ready, cancelled)
-- within `p_window_ms` of that change (core: `UNDO_WINDOW_MS`), if it is still at the version
-- the tablet saw. The order goes back to the status it came from (served → ready,
-- ready → preparing, cancelled → placed, preparing or ready) and that status's time is
-- cleared. Only a cancel by the bar is taken back (a visitor's cancel is theirs), only while
-- its drink is on the menu and a portion can be taken again, and a served or cancelled order
-- is not reopened once its visitor has ordered again (one open order per visitor). An undo is
-- undone once: the status before that is not remembered. Its feed event is `undone`.

-- The status an order came from, remembered by every move (null: none to go back to), and
-- who cancelled it (null while it is not cancelled). Nullable without a default: order_json
-- uses the row type, so the table cannot be rewritten.
alter table orders add column previous_status text
    check (previous_status in ('placed', 'preparing', 'ready', 'served', 'cancelled'));
alter table orders add column cancelled_by text check (cancelled_by in ('visitor', 'bar'));

-- move_order of 0003, remembering where the order came from and who cancelled it.
create function move_order(p_order_id int8, p_status text, p_by_bar bool) returns orders
language plpgsql volatile
as $fn$
declare
    o orders;
begin
    update orders
    set status = p_status, previous_status = status, version = version + 1, updated_at = now(),
        preparing_at = case when p_status = 'preparing' then now() else preparing_at end,
        ready_at = case when p_status = 'ready' then now() else ready_at end,
        served_at = case when p_status = 'served' then now() else served_at end,
        cancelled_at = case when p_status = 'cancelled' then now() else cancelled_at end,
        cancelled_by = case when p_status <> 'cancelled' then null
                            when p_by_bar then 'bar' else 'visitor' end
    where id = p_order_id
    returning * into o;
    if o.status = 'cancelled' then
        perform return_portion(o.drink_id);
    end if;
    return o;
end
$fn$;

-- The visitor's cancel (cancel_order) still calls this one.
create or replace function move_order(p_order_id int8, p_status text) returns orders
language sql volatile
return move_order(p_order_id, p_status, false);

-- set_order_status of 0003, unchanged but for moving the order as the bar.
create or replace function set_order_status(
    p_order_id int8, p_status text, p_version int4, p_from_statuses text
)
returns json
language plpgsql
volatile
as $fn$
declare
    cur orders;
    o orders;
begin
    select * into cur from orders where id = p_order_id for update;
    if not found then
        return write_outcome('not_found', null);
    end if;
    if cur.version <> p_version then
        return write_outcome('stale', cur);
    end if;
    if not cur.status = any (string_to_array(p_from_statuses, ',')) then
        return write_outcome('illegal', cur);
    end if;

    o := move_order(cur.id, p_status, true);
    return write_outcome('changed', o);
end
$fn$;

-- Takes back the last status change (the rule above). Outcomes: undone, not_found, stale,
-- not_undoable (the status cannot be taken back, or nothing to go back to, or a visitor's
-- cancel), too_late, sold_out (the cancelled order's drink has no portion left, is switched
-- off or off the menu), ordered_again (its visitor has another open order). See
-- `sql::UNDO_STATUS`.
create function undo_order_status(
    p_order_id int8, p_version int4, p_undoable text, p_window_ms int8, p_open text
)
returns json
language plpgsql
volatile
as $fn$
declare
    cur orders;
    d drinks;
    o orders;
begin
    select * into cur from orders where id = p_order_id for update;
    if not found then
        return write_outcome('not_found', null);
    end if;
    if cur.version <> p_version then
        return write_outcome('stale', cur);
    end if;
    if cur.previous_status is null or not cur.status = any (string_to_array(p_undoable, ','))
       or (cur.status = 'cancelled' and cur.cancelled_by is distinct from 'bar') then
        return write_outcome('not_undoable', cur);
    end if;
    if cur.updated_at < now() - p_window_ms * interval '1 millisecond' then
        return write_outcome('too_late', cur);
    end if;
    if not cur.status = any (string_to_array(p_open, ','))
       and exists (select from orders
                   where visitor_id = cur.visitor_id and id <> cur.id
                     and status = any (string_to_array(p_open, ','))) then
        return write_outcome('ordered_again', cur);
    end if;
    if cur.status = 'cancelled' then
        select * into d from drinks where id = cur.drink_id for update;
        if d.retired or not d.available or d.stock = 0 then
            return write_outcome('sold_out', cur);
        end if;
        if d.stock is not null then
            update drinks set stock = stock - 1, updated_at = now() where id = d.id;
        end if;
    end if;

    update orders
    set status = previous_status, previous_status = null, version = version + 1,
        updated_at = now(), cancelled_by = null,
        ready_at = case when status = 'ready' then null else ready_at end,
        served_at = case when status = 'served' then null else served_at end,
        cancelled_at = case when status = 'cancelled' then null else cancelled_at end
    where id = cur.id
    returning * into o;
    return write_outcome('undone', o);
end
$fn$;

-- An undo is audited as its own feed event, `undone` (the order as it is after it): the one
-- change that goes back to the status the order came from and forgets it.
alter table order_events drop constraint order_events_kind_check;
alter table order_events add constraint order_events_kind_check
    check (kind in ('placed', 'changed', 'status', 'cancelled', 'undone', 'moderated', 'drink',
                    'settings', 'menu'));

create or replace function orders_emit_event() returns trigger
language plpgsql
as $fn$
begin
    insert into order_events (kind, order_id, number, nickname, drink_id, status, version, request_id)
    values (
        case
            when tg_op = 'INSERT' then 'placed'
            when new.status is distinct from old.status and new.status = old.previous_status
                 and new.previous_status is null then 'undone'
            when new.status is distinct from old.status and new.status = 'cancelled' then 'cancelled'
            when new.status is distinct from old.status then 'status'
            when new.name_hidden is distinct from old.name_hidden then 'moderated'
            else 'changed'
        end,
        new.id, new.number, new.nickname, new.drink_id, new.status, new.version,
        case when tg_op = 'INSERT' or new.request_id is distinct from old.request_id
             then new.request_id end
    );
    return null;
end
$fn$;
