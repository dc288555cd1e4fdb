-- 0001_init: drinks (with the original event's menu), orders, order_events.
--
-- Runs inside one transaction (the migration runner opens and commits it).
-- Times are stored as timestamptz; queries return them as epoch milliseconds (int8),
-- because Spin's pg4 host cannot return timestamptz columns.

-- The menu. `stock` null means unlimited; a number is taken atomically when an order is
-- placed, moved when an order switches drink, and returned when an order is cancelled.
create table drinks (
    id         text primary key check (id ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
    name       text not null check (char_length(name) between 1 and 64),
    position   int not null,
    available  boolean not null default true,
    stock      int check (stock >= 0),
    version    int not null default 1 check (version >= 1),
    updated_at timestamptz not null default now()
);

create index drinks_by_position on drinks (position, id);

insert into drinks (id, name, position, available) values
    ('espresso', 'Espresso', 10, true),
    ('cappuccino', 'Cappuccino', 20, true),
    ('tea', 'Tea', 30, true),
    ('water', 'Water', 40, true),
    ('fruit-juice', 'Fruit juice', 50, true),
    ('beer', 'Beer', 60, false),
    ('wine', 'Wine', 70, false);

-- Short numbers the bar calls out ("number 42!"); they wrap after 999.
create sequence order_number_seq as int minvalue 1 maxvalue 999 cycle;

create table orders (
    id           bigint generated always as identity primary key,
    number       int not null default nextval('order_number_seq'),
    visitor_id   uuid not null,
    nickname     text not null check (char_length(nickname) between 1 and 32),
    drink_id     text not null references drinks (id),
    status       text not null default 'placed'
                 check (status in ('placed', 'preparing', 'ready', 'served', 'cancelled')),
    -- Optimistic concurrency: every change of the row increments it.
    version      int not null default 1 check (version >= 1),
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    -- One timestamp per status reached, for wait-time statistics.
    placed_at    timestamptz not null default now(),
    preparing_at timestamptz,
    ready_at     timestamptz,
    served_at    timestamptz,
    cancelled_at timestamptz,
    check (status <> 'preparing' or preparing_at is not null),
    check (status <> 'ready' or ready_at is not null),
    check (status <> 'served' or served_at is not null),
    check (status <> 'cancelled' or cancelled_at is not null)
);

alter sequence order_number_seq owned by orders.number;

-- At most one open order per visitor. Placing again while it is `placed` changes it.
create unique index orders_one_open_per_visitor on orders (visitor_id)
    where status in ('placed', 'preparing', 'ready');
-- GET /api/mine: the visitor's orders, newest first.
create index orders_by_visitor on orders (visitor_id, id desc);
-- GET /api/queue (default): open orders, oldest first, keyset on id.
create index orders_open_by_id on orders (id)
    where status in ('placed', 'preparing', 'ready');
-- GET /api/queue?drink=: orders of one drink, oldest first; also serves the drinks FK.
create index orders_by_drink on orders (drink_id, id);

-- The feed. Every change of an order (and, later, of a drink) writes one row here in the
-- same statement. The feed cursor is (tx, seq); the feed only returns rows whose
-- transaction is older than every running one, so a late commit is never skipped.
create table order_events (
    seq        bigint generated always as identity primary key,
    tx         xid8 not null default pg_current_xact_id(),
    kind       text not null check (kind in ('placed', 'changed', 'status', 'cancelled', 'drink')),
    -- Snapshot of the order after the change (null for drink events).
    order_id   bigint references orders (id),
    number     int,
    nickname   text,
    drink_id   text not null references drinks (id),
    status     text,
    version    int,
    -- Snapshot of the drink after a menu change (kind 'drink').
    available  boolean,
    stock      int,
    -- Idempotency key of the visitor request that caused the event (null for bar actions).
    request_id uuid,
    created_at timestamptz not null default now(),
    check ((kind = 'drink') = (order_id is null)),
    check (kind = 'drink'
           or (number is not null and nickname is not null and status is not null
               and version is not null)),
    check (kind <> 'drink' or available is not null)
);

-- GET /api/feed?after= and ?tail=: keyset on (tx, seq), forwards and backwards.
create unique index order_events_by_position on order_events (tx, seq);
-- POST /api/orders: a request_id seen before answers with its order, nothing new written.
create unique index order_events_by_request on order_events (request_id)
    where request_id is not null;
-- An order's history (bar view, statistics); also serves the orders FK.
create index order_events_by_order on order_events (order_id) where order_id is not null;
