-- The guest's view (GET /api/visit, issues 13 and 16): the guest's order with its place in
-- the queue, the bar's recent median wait, the newest ticker lines and the menu's version,
-- in one bounded statement whose cost does not grow with the length of the evening.

-- The menu as GET /api/menu answers it. One home: the menu endpoint sends it with the MD5
-- of its text as the ETag, the guest's view sends only that MD5 (the menu's version).
create function menu_json() returns json
language sql stable parallel safe
return (select json_build_object(
            'drinks', coalesce(json_agg(drink_json(d) order by d.position, d.id), '[]'),
            'event', (select settings_json(s) from event_settings s))
        from drinks d);

-- The settled feed position, 'tx.seq' ('0' before the first event): the last event of a
-- transaction older than every running one (one step back along order_events_by_position).
-- Every change writes an event, and a change that commits after a snapshot was read settles
-- later, so a snapshot's ETag built from it changes after every change. GET /api/board and
-- GET /api/visit use it, each with its own prefix, and compare it with `etag_among`.
create function settled_position() returns text
language sql stable parallel safe
return coalesce((select e.tx::text || '.' || e.seq::text
                 from order_events e
                 where e.tx < pg_snapshot_xmin(pg_current_snapshot())
                 order by e.tx desc, e.seq desc
                 limit 1), '0');

-- Whether a snapshot's ETag (unquoted) is among the client's `If-None-Match` tags
-- (comma-separated, unquoted, as core's `if_none_match_param` gives them; `*` matches any).
create function etag_among(p_etag text, p_tags text) returns bool
language sql immutable parallel safe
return p_etag = any (string_to_array(p_tags, ',')) or '*' = any (string_to_array(p_tags, ','));

-- The recent median wait reads the orders that became ready last, newest first.
create index orders_by_ready_at on orders (ready_at) where ready_at is not null;

-- The ticker reads the last placed/changed events, newest first.
create index order_events_ticker on order_events (tx, seq) where kind in ('placed', 'changed');

-- A line of the public ticker (core: `api::TickerLine`): an order as it was placed or last
-- changed (event `e`), its nickname only while the bar does not hide it (`hidden`).
create function ticker_line_json(e order_events, hidden bool) returns json
language sql immutable parallel safe
return json_build_object(
    'id', e.order_id,
    'number', e.number,
    'nickname', case when hidden then null else e.nickname end,
    'drink', e.drink_id,
    'at', epoch_ms(e.created_at)
);

-- The public ticker, newest first (core: `TICKER_LINES`): the last `p_lines` orders placed
-- or changed, each once (its newest line), without cancelled ones. Reads at most
-- `p_lines * 4` of the newest placed/changed events: the ticker is what was ordered lately,
-- and an evening of cancellations may shorten it, never slow it.
create function ticker_json(p_lines int8) returns json
language sql stable parallel safe
return (select coalesce(json_agg(ticker_line_json(k.e, k.hidden)
                                 order by (k.e).tx desc, (k.e).seq desc), '[]')
        from (select t.e, o.name_hidden as hidden
              from (select distinct on ((l.e).order_id) l.e
                    from (select e
                          from order_events e
                          where e.kind in ('placed', 'changed')
                          order by e.tx desc, e.seq desc
                          limit p_lines * 4) l
                    order by (l.e).order_id, (l.e).tx desc, (l.e).seq desc) t
              join orders o on o.id = (t.e).order_id and o.status <> 'cancelled'
              order by (t.e).tx desc, (t.e).seq desc
              limit p_lines) k);

-- The bar's recent wait (core: `api::RecentWait`): the median time from placed to ready of
-- the last `p_samples` orders that became ready within `p_window_ms`, and how many those
-- were; null with fewer than `p_min_samples` (too little to estimate from).
create function recent_wait_json(p_window_ms int8, p_samples int8, p_min_samples int8)
returns json
language sql stable parallel safe
return (select case when count(*) >= p_min_samples then json_build_object(
                   'median_ms', round(percentile_cont(0.5) within group (order by w.ms))::int8,
                   'samples', count(*)) end
        from (select extract(epoch from o.ready_at - o.placed_at)::float8 * 1000 as ms
              from orders o
              where o.ready_at is not null
                and o.ready_at > now() - p_window_ms * interval '1 millisecond'
              order by o.ready_at desc
              limit p_samples) w);
