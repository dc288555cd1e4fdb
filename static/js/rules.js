// Generated from core/src/domain.rs and core/src/event.rs. Do not edit by hand: change the
// rules there, then run `UPDATE_GENERATED=1 cargo test -p drinks-core --test generated`.
// A test fails while this file and core disagree.

/** Every status, in the order an order goes through them. */
export const STATUSES = ["placed", "preparing", "ready", "served", "cancelled"];
/** Statuses the bar still works on; a visitor has at most one order in one of them. */
export const OPEN = ["placed", "preparing", "ready"];
/** The bar's one-tap move from each open status. */
export const NEXT = { "placed": "preparing", "preparing": "ready", "ready": "served" };
/** Statuses from which the bar may cancel an order. */
export const BAR_MAY_CANCEL = ["placed", "preparing", "ready"];
/** Statuses in which the visitor may still change or cancel their order. */
export const VISITOR_MAY_CHANGE = ["placed"];
/** The longest nickname, in characters as people see them (grapheme clusters: Intl.Segmenter). */
export const NICKNAME_MAX_CHARS = 32;
/** The longest text of each kind the bar sets for the event, in characters. */
export const EVENT_TEXT_MAX_CHARS = { "title": 80, "welcome": 200, "message": 200 };
/** The highest automatic-pause limit (orders waiting). */
export const BUSY_LIMIT_MAX = 10000;
/** The longest the counter screen leaves a ready order undimmed, in minutes. */
export const READY_DIM_MINUTES_MAX = 120;
/** The most refused words an event may have (each at most NICKNAME_MAX_CHARS). */
export const REFUSED_WORDS_MAX = 200;
/** The drawn icons (static/img/drinks/<icon>.svg), in the order the bar's picker shows them. */
export const ICONS = ["espresso", "cappuccino", "latte", "tea", "hot-chocolate", "water", "sparkling-water", "cola", "lemonade", "juice", "fruit-juice", "smoothie", "beer", "alcohol-free-beer", "wine", "red-wine", "white-wine", "sparkling-wine", "cocktail", "mocktail", "spritz", "generic"];
/** The largest picture the bar may upload, in bytes. */
export const MAX_PICTURE_BYTES = 262144;
/** The most orders one batch (PATCH /api/orders) moves. */
export const BATCH_MAX_CHANGES = 100;
/** Statuses whose last change the bar may take back (POST /api/orders/{id}/undo), and for how long (ms). */
export const UNDOABLE = ["served", "ready", "cancelled"];
export const UNDO_WINDOW_MS = 60000;
/** The longest reason the bar may give with a cancel, in characters. */
export const CANCEL_REASON_MAX_CHARS = 120;
