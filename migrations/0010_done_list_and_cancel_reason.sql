-- 0010_done_list_and_cancel_reason: the bar's "Done" list and a reason with a bar's cancel
-- (issue 14).
--
-- A cancel by the bar may carry a short reason (core: `CANCEL_REASON_MAX_CHARS`, checked
-- there), which the visitor's page shows: `orders.cancel_reason`, set only by the bar's
-- `PATCH /api/orders/{id}` to `cancelled`, cleared by every other move and by an undo.
-- Nullable without a default: order_json uses the row type, so the table cannot be
-- rewritten.
--
-- order_json gains `cancelled_by` (migration 0007's column: the Done list says who
-- cancelled) and `cancel_reason`; as in 0006, the shape functions are dropped and made
-- again with every field they had.
--
-- The Done list itself is `sql::QUEUE` (newest first, a search): no schema change.

drop function write_outcome(text, orders);
drop function order_json(orders);

alter table orders add column cancel_reason text;

create function order_json(o orders) returns json
language sql stable parallel safe
return case when o.id is null then null else json_build_object(
    'id', o.id,
    'number', o.number,
    'nickname', o.nickname,
    'name_hidden', o.name_hidden,
    'drink', o.drink_id,
    'status', o.status,
    'version', o.version,
    'created_at', epoch_ms(o.created_at),
    'updated_at', epoch_ms(o.updated_at),
    'placed_at', epoch_ms(o.placed_at),
    'preparing_at', epoch_ms(o.preparing_at),
    'ready_at', epoch_ms(o.ready_at),
    'served_at', epoch_ms(o.served_at),
    'cancelled_at', epoch_ms(o.cancelled_at),
    'cancelled_by', o.cancelled_by,
    'cancel_reason', o.cancel_reason
) end;

-- The outcome of a write function, as in 0003.
create function write_outcome(outcome text, o orders) returns json
language sql stable parallel safe
return json_build_object('outcome', outcome, 'order', order_json(o));

-- move_order of 0007 with the bar's reason for a cancel (kept only on a bar's cancel;
-- every move clears an earlier one).
create function move_order(p_order_id int8, p_status text, p_by_bar bool, p_reason text)
returns orders
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
                            when p_by_bar then 'bar' else 'visitor' end,
        cancel_reason = case when p_status = 'cancelled' and p_by_bar then p_reason end
    where id = p_order_id
    returning * into o;
    if o.status = 'cancelled' then
        perform return_portion(o.drink_id);
    end if;
    return o;
end
$fn$;

-- 0007's move_order without a reason (the batch, the visitor's cancel) now forwards here,
-- so every move clears a reason.
create or replace function move_order(p_order_id int8, p_status text, p_by_bar bool)
returns orders
language plpgsql volatile
as $fn$
begin
    return move_order(p_order_id, p_status, p_by_bar, null::text);
end
$fn$;

-- set_order_status of 0007 with the bar's reason for a cancel (null: none); core refuses a
-- reason with any other status.
create function set_order_status(
    p_order_id int8, p_status text, p_version int4, p_from_statuses text, p_reason text
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

    o := move_order(cur.id, p_status, true, p_reason);
    return write_outcome('changed', o);
end
$fn$;

-- undo_order_status of 0007, clearing the reason with the cancel it takes back.
create or replace function undo_order_status(
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
        updated_at = now(), cancelled_by = null, cancel_reason = null,
        ready_at = case when status = 'ready' then null else ready_at end,
        served_at = case when status = 'served' then null else served_at end,
        cancelled_at = case when status = 'cancelled' then null else cancelled_at end
    where id = cur.id
    returning * into o;
    return write_outcome('undone', o);
end
$fn$;
