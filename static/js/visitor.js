// The visitor page (default view): nickname, picture grid of drinks, the visitor's order
// live (placed → preparing → ready → served), cancel while it may change, the ticker.
//
// All state is in one store; `render(state, previous)` draws the parts whose slice changed.
// Clicks are handled by one delegated listener (`data-action`); effects (the API, the
// sender loop, the view's poller) dispatch actions and read `store.state`.
//
// A tapped drink becomes a *pending* order in localStorage with a fresh request_id and is
// sent until the server answers; lost Wi-Fi or a reload only delay it, and a retry with the
// same request_id never creates a second order.
//
// Live: GET /api/visit every ~2 s (304 while nothing changed) brings the visitor's order,
// how many orders are before it and the bar's recent wait, the ticker's last lines and the
// menu's version — bounded, so a phone's poll costs the same however busy the evening.
//
// Being told when the drink is ready: Web Push on request (a tap on "notify me"), else the
// fallbacks — the screen kept on, the view polled slowly while the page is hidden, and sound,
// vibration and the tab title when the page is visible again. Other tabs of the same visitor
// follow through `storage` events of the keys below, plus the view.

import * as api from "./api.js";
import { h, replace } from "./dom.js";
import { t, tNodes, drinkName, statusName, formatTime, localText, onLanguageChange, applyStatic, currentLanguage } from "./i18n.js";
import { local, uuid } from "./storage.js";
import { SnapshotPoller } from "./poller.js";
import { backoff, sleep } from "./backoff.js";
import { createStore } from "./store.js";
import { TickerView } from "./ticker.js";
import { drinkPicture } from "./drinks.js";
import { STATUSES, OPEN, NEXT, VISITOR_MAY_CHANGE, NICKNAME_MAX_CHARS, UNDO_WINDOW_MS } from "./rules.js";
import * as pwa from "./pwa.js";

const KEY_VISITOR = "visitor_id";
const KEY_NICKNAME = "nickname";
const KEY_PENDING = "pending_order";
const KEY_ORDER = "order";
const KEY_ORDER_KEY = "order_key";
const KEY_MENU = "menu"; // the last menu, shown when a reload finds no network
const KEY_PUSH = "push"; // {orderId}: notifications were turned on for this order
const READY = "ready";
/** How often the view is polled while the page is hidden and push is not on. */
const HIDDEN_POLL_MS = 15000;
const TICKER_MAX = 10;
/** A closed order stays on screen this long after its last change (then: "no order yet"). */
const RECENT_MS = 2 * 60 * 60 * 1000;
/** How often the wait estimate counts down. */
const CLOCK_MS = 15000;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The path of an order that is not cancelled: from the first status along NEXT. */
const STEPS = [STATUSES[0]];
while (NEXT[STEPS[STEPS.length - 1]]) STEPS.push(NEXT[STEPS[STEPS.length - 1]]);

/**
 * The nickname's length as people see it and as the server counts it (core's `Nickname`:
 * grapheme clusters after trimming), so the counter and the check while typing agree with
 * the server. Without `Intl.Segmenter` (old browsers), code points: never fewer.
 */
const graphemes = typeof Intl.Segmenter === "function" ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;
const nicknameLength = (text) => {
  const trimmed = text.trim();
  return graphemes ? [...graphemes.segment(trimmed)].length : [...trimmed].length;
};

const mayChange = (order) => Boolean(order) && VISITOR_MAY_CHANGE.includes(order.status);
/** The bar takes orders now (until the event's settings are loaded, assume it does). */
const ordering = (state) => !state.event || state.event.ordering === "open";
/** The bar requires the poster's ordering key and this phone has none (or an old one). */
const needsKey = (state) => Boolean(state.event?.key_required) && !state.orderKey;
/** Open, but past the point where the visitor may change it (the bar is on it). */
const locked = (order) => Boolean(order) && OPEN.includes(order.status) && !mayChange(order);
/** An order is on its way and the visitor waits to hear that it is ready. */
const waiting = (state) => Boolean(state.pending) ||
  (Boolean(state.order) && OPEN.includes(state.order.status) && state.order.status !== READY);
/** Push notifications are on for the current order. */
const pushOn = (state) => state.push === "on" && Boolean(state.order) && state.pushOrder === state.order.id;

// ---------------------------------------------------------------- state

/** `state` with `order` merged in, or `state` itself when `order` is older than what we have. */
function withOrder(state, order) {
  if (!order) return state;
  const previous = state.order;
  if (previous && previous.id === order.id && order.version < previous.version) return state;
  if (previous && previous.id !== order.id && previous.id > order.id) return state;
  const merged = previous && previous.id === order.id ? { ...previous, ...order } : { ...order };
  // "Already being prepared" is only true while it is being prepared.
  const notice = state.notice?.key === "notice.in_progress" && merged.status !== "preparing" ? null : state.notice;
  return { ...state, order: merged, notice };
}

/** The notice for a tap on a drink while `order` can no longer be changed. */
function lockedNotice(order) {
  return order?.status === READY
    ? { key: "notice.ready_collect", params: { number: order.number }, kind: "info" }
    : { key: "notice.in_progress", params: { number: order?.number ?? "" }, kind: "warning" };
}

const actions = {
  /** What the page starts from: this device's id and what localStorage kept. */
  restore: (state, saved) => ({ ...state, ...saved }),
  nicknameError: (state, key) => (state.nicknameError === key ? state : { ...state, nicknameError: key }),
  /** What the nickname field holds now: its length, and "too long" as soon as it is. */
  nicknameTyped: (state, length) => {
    const tooLong = length > NICKNAME_MAX_CHARS;
    const nicknameError = tooLong
      ? "nickname.too_long"
      : state.nicknameError === "nickname.too_long" || state.nicknameError === "nickname.required" ? null : state.nicknameError;
    return state.nicknameLength === length && state.nicknameError === nicknameError
      ? state
      : { ...state, nicknameLength: length, nicknameError };
  },
  menu: (state, { drinks, event, etag }) => ({ ...state, menu: drinks, event, menuVersion: etag, menuError: false }),
  /** The event's settings, newer than ours (e.g. from a refusal). */
  event: (state, event) => (state.event && state.event.version >= event.version ? state : { ...state, event }),
  /** The menu could not be loaded: the one this phone saved last, if any, meanwhile. */
  menuFailed: (state, saved) => (state.menu
    ? state
    : Array.isArray(saved) ? { ...state, menu: saved, menuError: false } : { ...state, menuError: true }),
  /** Another tab of this visitor started sending an order (or finished: null). */
  pendingElsewhere: (state, pending) => {
    if (pending) return state.pending?.requestId === pending.requestId ? state : { ...state, pending, notice: null };
    return state.pending ? { ...state, pending: null } : state;
  },
  /** `push`: "idle" | "asking" | "on" | "install" | "denied" | "unsupported" | "unavailable". */
  push: (state, { push, orderId = state.pushOrder }) =>
    (state.push === push && state.pushOrder === orderId ? state : { ...state, push, pushOrder: orderId }),
  /** Whether this server sends push (GET /api/push; false on 503/404): null until asked. */
  pushServer: (state, pushServer) => (state.pushServer === pushServer ? state : { ...state, pushServer }),
  awake: (state, awake) => (state.awake === awake ? state : { ...state, awake }),
  order: (state, order) => withOrder(state, order),
  net: (state, net) => (state.net === net ? state : { ...state, net }),
  notice: (state, notice) => (state.notice === notice ? state : { ...state, notice }),
  cancelling: (state, cancelling) => ({ ...state, cancelling }),
  orderKey: (state, orderKey) => (state.orderKey === orderKey ? state : { ...state, orderKey }),
  /** A drink was tapped: it becomes the pending order. */
  choose: (state, pending) => ({ ...state, pending, notice: null, nicknameError: null }),
  /** The server took the pending order. */
  sent: (state, { requestId, order }) => withOrder({
    ...state,
    pending: state.pending?.requestId === requestId ? null : state.pending,
    net: "ok",
  }, order),
  /**
   * The server refused the pending order; `soldOut` marks a drink, `order` is the one in the
   * way, `event` the settings that stopped it (ordering paused or closed, the bar busy).
   */
  refused: (state, { requestId, notice, nicknameError = state.nicknameError, soldOut = null, order = null, event = null }) => {
    let menu = state.menu;
    if (soldOut && menu) menu = menu.map((d) => (d.id === soldOut ? { ...d, sold_out: true } : d));
    const next = withOrder({
      ...state,
      pending: state.pending?.requestId === requestId ? null : state.pending,
      net: "ok",
      notice,
      nicknameError,
      menu,
    }, order);
    return event ? actions.event(next, event) : next;
  },
  /**
   * A new GET /api/visit: the visitor's latest order (while open, lately closed, or the one on
   * screen), where it stands (how many are before it, the recent wait, the server's clock
   * against ours) and the ticker's newest lines.
   */
  visit: (state, { visit, receivedAt }) => {
    const latest = visit.order;
    const shown = latest && (OPEN.includes(latest.status) || visit.now - latest.updated_at < RECENT_MS || state.order?.id === latest.id);
    return {
      ...(shown ? withOrder(state, latest) : state),
      place: latest ? { orderId: latest.id, ahead: visit.ahead, wait: visit.wait, skew: visit.now - receivedAt } : null,
      clock: receivedAt,
      ticker: visit.ticker.slice(0, TICKER_MAX),
      tickerFilled: true,
    };
  },
  /** Time passes: the estimate counts down. */
  clock: (state, clock) => ({ ...state, clock }),
};

const store = createStore({
  visitorId: null,
  menu: null, // [{id, name, available, stock, sold_out}] once loaded
  event: null, // {title, welcome, ordering, message, busy_limit, key_required, version} with the menu
  orderKey: null, // the ordering key from the poster's QR code (?k=), kept in localStorage
  menuError: false,
  order: null, // the visitor's latest order
  pending: null, // {requestId, drink, nickname, since}
  cancelling: false,
  net: "ok", // "ok" | "sending" | "offline" | "error"
  notice: null, // {key, params, kind}
  nicknameError: null,
  nicknameLength: 0,
  menuVersion: null, // the ETag of the menu shown (GET /api/visit names the current one)
  place: null, // {orderId, ahead, wait, skew}: where the latest order stands (GET /api/visit)
  clock: Date.now(), // this device's time, every CLOCK_MS
  ticker: [], // newest first (GET /api/visit)
  tickerFilled: false,
  push: "idle", // see the push action
  pushOrder: null, // the order id notifications are on for
  pushServer: null, // see the pushServer action
  awake: "off", // the screen wake lock: "on" | "off" | "unsupported"
}, actions);

let els;
let ticker;
let poller;
let sending = false;
let wakeSender = null;
let screenAwake;
/** The order got ready while the page was hidden: sound and vibration when it is visible. */
let announceWhenVisible = false;

/**
 * This device's visitor id: the one in localStorage, else a new one. Two tabs opened at
 * once would each make their own (and then each show only its own orders): where the
 * browser has the Web Locks API, one tab at a time looks and makes; elsewhere (plain HTTP on
 * a LAN address) a tab adopts the id another tab wrote (`onStorage`).
 */
async function visitorId() {
  const readOrMake = () => {
    let id = local.getRaw(KEY_VISITOR);
    if (!id || !UUID_RE.test(id)) {
      id = uuid();
      local.setRaw(KEY_VISITOR, id);
    }
    return id;
  };
  if (!navigator.locks) return readOrMake();
  try {
    return await navigator.locks.request("drink-orders-visitor-id", readOrMake);
  } catch {
    return readOrMake();
  }
}

// ---------------------------------------------------------------- rendering

function build(main) {
  const nicknameInput = h("input", {
    id: "nickname",
    name: "nickname",
    type: "text",
    autocomplete: "nickname",
    autocapitalize: "words",
    enterkeyhint: "done",
    spellcheck: "false",
    // A guard against pasting a page of text, not the limit: an emoji sequence takes up to 16
    // UTF-16 units per character; the counter and the server check the real limit.
    maxlength: 16 * NICKNAME_MAX_CHARS,
    required: true,
    "aria-describedby": "nickname-hint nickname-count nickname-error",
    value: local.getRaw(KEY_NICKNAME) || "",
  });
  const form = h(
    "form",
    { class: "nickname-form", novalidate: true },
    h("label", { for: "nickname", class: "field-label", "data-i18n": "nickname.label" }),
    nicknameInput,
    h("p", { id: "nickname-hint", class: "field-hint", "data-i18n": "nickname.hint" }),
    h("p", { id: "nickname-count", class: "field-count" }),
    h("p", { id: "nickname-error", class: "field-error", role: "alert" }),
  );

  ticker = new TickerView();
  els = {
    nickname: nicknameInput,
    nicknameError: form.querySelector("#nickname-error"),
    nicknameCount: form.querySelector("#nickname-count"),
    net: h("div", { class: "net", role: "status", "aria-live": "polite" }),
    status: h("section", { class: "status-area", "aria-live": "polite", "aria-atomic": "true", "aria-labelledby": "status-title" }),
    place: h("p", { class: "order-place", id: "order-place", hidden: true }),
    alerts: h("section", { class: "alerts", "aria-labelledby": "alerts-title" }),
    notice: h("div", { class: "notice-area", role: "alert" }),
    title: h("h1", { class: "page-title" }),
    welcome: h("p", { class: "event-welcome" }),
    ordering: h("div", { class: "ordering-area", role: "status", "aria-live": "polite" }),
    grid: h("ul", { class: "drink-grid", "aria-labelledby": "menu-title" }),
    gridHint: h("p", { class: "section-hint", id: "menu-hint" }),
  };
  const root = h("div", { class: "visitor" },
    h("div", { class: "visitor-main" },
      els.title,
      els.welcome,
      els.ordering,
      form,
      els.net,
      els.status,
      els.place,
      els.alerts,
      els.notice,
      h("section", { class: "menu", "aria-labelledby": "menu-title" },
        h("h2", { id: "menu-title", "data-i18n": "menu.title" }),
        els.gridHint,
        els.grid,
      ),
    ),
    h("aside", { class: "ticker-panel", "aria-labelledby": "ticker-title" },
      h("h2", { id: "ticker-title", "data-i18n": "ticker.title" }),
      ticker.el,
    ),
  );
  // Delegated events: one listener per kind for the whole view.
  root.addEventListener("click", (event) => {
    const target = event.target.closest("[data-action]");
    if (!target || target.disabled) return;
    const action = target.dataset.action;
    if (action === "choose") choose(target.dataset.drink);
    else if (action === "cancel") cancel();
    else if (action === "dismiss") store.dispatch("notice", null);
    else if (action === "retry-menu") loadMenu();
    else if (action === "notify") enableNotifications();
    else if (action === "notify-off") disableNotifications();
  });
  root.addEventListener("input", (event) => {
    if (event.target !== nicknameInput) return;
    local.setRaw(KEY_NICKNAME, nicknameInput.value);
    store.dispatch("nicknameTyped", nicknameLength(nicknameInput.value));
  });
  root.addEventListener("submit", (event) => {
    event.preventDefault();
    nicknameInput.blur();
  });
  replace(main, root);
  applyStatic(main);
}

/** Draws `state`; `previous` null (first render, new language) redraws every part. */
function render(state, previous = null) {
  const changed = (...keys) => !previous || keys.some((key) => state[key] !== previous[key]);
  if (changed("nicknameError", "nicknameLength")) renderNickname(state);
  if (changed("net", "pending")) renderNet(state);
  if (changed("pending", "order", "net", "menu", "cancelling")) renderStatus(state);
  if (changed("pending", "order", "place", "clock")) renderPlace(state);
  if (changed("notice")) renderNotice(state);
  if (changed("event", "orderKey")) renderEvent(state);
  if (changed("menu", "menuError", "pending", "order", "event", "orderKey")) renderGrid(state);
  if (changed("ticker", "menu", "tickerFilled")) {
    const full = !previous || state.menu !== previous.menu || state.tickerFilled !== previous.tickerFilled;
    ticker.render(state.ticker, state.menu || [], { full });
  }
  if (changed("order", "pending")) renderTitle(state);
  if (changed("order", "pending", "push", "pushOrder", "pushServer", "awake")) renderAlerts(state);
}

/** The event's title and welcome line, and why ordering is stopped while it is. */
function renderEvent({ event, orderKey }) {
  els.title.textContent = localText(event?.title) || t("visitor.title");
  els.welcome.textContent = localText(event?.welcome);
  els.welcome.hidden = !els.welcome.textContent;
  if (event && event.ordering === "open" && needsKey({ event, orderKey })) {
    els.ordering.hidden = false;
    replace(els.ordering,
      h("div", { class: "ordering-banner ordering-key" },
        h("h2", { class: "ordering-title" }, t("key.needed_title")),
        h("p", { class: "ordering-message" }, t("key.needed_text"))));
    return;
  }
  if (!event || event.ordering === "open") {
    els.ordering.replaceChildren();
    els.ordering.hidden = true;
    return;
  }
  const message = localText(event.message);
  els.ordering.hidden = false;
  replace(els.ordering,
    h("div", { class: `ordering-banner ordering-${event.ordering}` },
      h("h2", { class: "ordering-title" }, t(`event.${event.ordering}_title`)),
      h("p", { class: "ordering-message" }, message || t(`event.${event.ordering}_text`))));
}

function renderNickname(state) {
  els.nicknameCount.textContent = t("nickname.count", { n: state.nicknameLength, max: NICKNAME_MAX_CHARS });
  els.nicknameCount.classList.toggle("is-over", state.nicknameLength > NICKNAME_MAX_CHARS);
  els.nicknameError.textContent = state.nicknameError ? t(state.nicknameError) : "";
  els.nickname.setAttribute("aria-invalid", state.nicknameError ? "true" : "false");
}

function renderNet({ net, pending }) {
  els.net.className = `net net-${net}`;
  if (net === "offline") {
    replace(els.net, h("span", { class: "net-dot", "aria-hidden": "true" }),
      t(pending ? "net.offline_pending" : "net.offline"));
  } else if (net === "error") {
    replace(els.net, h("span", { class: "net-dot", "aria-hidden": "true" }),
      t(pending ? "net.error_pending" : "net.error"));
  } else {
    els.net.replaceChildren();
  }
  els.net.hidden = net === "ok" || net === "sending";
}

/** The menu's drink `id`, or the id alone while the menu does not have it. */
function menuDrink(state, id) {
  return state.menu?.find((d) => d.id === id) ?? id;
}

function menuName(state, id) {
  return drinkName(id, state.menu?.find((d) => d.id === id));
}

function renderNotice({ notice }) {
  if (!notice) {
    els.notice.replaceChildren();
    return;
  }
  replace(els.notice,
    h("div", { class: `notice notice-${notice.kind || "info"}` },
      h("p", {}, t(notice.key, notice.params || {})),
      h("button", { type: "button", class: "link-button", dataset: { action: "dismiss" } }, t("action.dismiss")),
    ),
  );
}

function stepList(status) {
  const reached = STEPS.indexOf(status);
  return h("ol", { class: "steps" },
    STEPS.map((step, i) =>
      h("li", {
        class: `step ${i < reached ? "done" : ""} ${i === reached ? "current" : ""}`,
        "aria-current": i === reached ? "step" : null,
      },
      h("span", { class: "step-dot", "aria-hidden": "true" }, i < reached ? "✓" : String(i + 1)),
      h("span", { class: "step-name" }, statusName(step))),
    ),
  );
}

function pendingCard(state) {
  const { pending } = state;
  const offline = state.net === "offline" || state.net === "error";
  const drink = menuName(state, pending.drink);
  return h("div", { class: `status-card sending ${offline ? "is-offline" : ""}` },
    h("h2", { id: "status-title", class: "status-title" },
      offline ? t("order.waiting_title") : t("order.sending_title")),
    h("div", { class: "status-body" },
      drinkPicture(menuDrink(state, pending.drink), { className: "status-picture", size: 64 }),
      h("p", {}, offline ? t("order.waiting_text", { drink }) : t("order.sending_text", { drink })),
    ),
    offline ? null : h("span", { class: "spinner", "aria-hidden": "true" }),
  );
}

function orderCard(state) {
  const { order } = state;
  const drink = menuName(state, order.drink);
  if (order.status === "ready") {
    return h("div", { class: "status-card status-ready" },
      h("h2", { id: "status-title", class: "ready-title" }, t("order.ready_title")),
      h("p", { class: "ready-number" }, h("span", { class: "visually-hidden" }, t("order.number_label")), `#${order.number}`),
      h("p", { class: "ready-text" }, t("order.ready_text", { drink, number: order.number })),
      stepList(order.status),
    );
  }
  const number = h("span", { class: "order-number" }, `#${order.number}`);
  const at = order.updated_at || order.created_at || Date.now();
  return h("div", { class: `status-card status-${order.status}` },
    h("div", { class: "status-head" },
      drinkPicture(menuDrink(state, order.drink), { className: "status-picture", size: 64 }),
      h("div", {},
        h("h2", { id: "status-title", class: "status-title" }, tNodes("order.title", { number, drink })),
        h("p", { class: "status-now", "data-status": order.status },
          t("order.status_line", { status: statusName(order.status) }),
          " · ",
          h("time", { datetime: new Date(at).toISOString() }, formatTime(at))),
      ),
    ),
    STEPS.includes(order.status) ? stepList(order.status) : null,
    h("p", { class: "status-hint" }, t(`order.${order.status}_hint`)),
    order.status === "cancelled" && order.cancelled_by === "bar" && order.cancel_reason
      ? h("p", { class: "cancel-reason", id: "cancel-reason" }, t("order.cancel_reason", { reason: order.cancel_reason }))
      : null,
    mayChange(order)
      ? h("div", { class: "status-actions" },
        h("button", {
          type: "button",
          class: "button button-secondary",
          id: "cancel-order",
          dataset: { action: "cancel" },
          disabled: state.cancelling,
        }, t("order.cancel")))
      : null,
  );
}

function renderStatus(state) {
  let card;
  if (state.pending) card = pendingCard(state);
  else if (state.order) card = orderCard(state);
  else {
    card = h("div", { class: "status-card status-none" },
      h("h2", { id: "status-title", class: "status-title" }, t("order.none_title")),
      h("p", { class: "status-hint" }, t("order.none_hint")),
    );
  }
  replace(els.status, card);
}

/**
 * Where the waiting order stands: "3 orders before yours" while it may still change, and
 * "ready in about 4 min" from the bar's recent median wait, counted from when it was placed;
 * nothing when the server has too little data. Outside the status card's live region, so
 * that the countdown does not read the whole card out again; the text changes only when
 * what it says changes.
 */
function placeText({ order, place, pending, clock }) {
  if (pending || !order || !place || place.orderId !== order.id || place.ahead === null) return "";
  const parts = [];
  if (mayChange(order)) parts.push(place.ahead === 0 ? t("order.ahead_none") : t("order.ahead", { n: place.ahead }));
  if (place.wait) {
    const remaining = order.placed_at + place.wait.median_ms - (clock + place.skew);
    const minutes = Math.ceil(remaining / 60000);
    parts.push(minutes >= 1 ? t("order.estimate", { minutes }) : t("order.estimate_soon"));
  }
  return parts.join(" ");
}

function renderPlace(state) {
  const text = placeText(state);
  if (els.place.textContent !== text) els.place.textContent = text;
  els.place.hidden = !text;
}

/** How the visitor will hear that the drink is ready: push, or which fallbacks are active. */
function renderAlerts(state) {
  if (!waiting(state)) {
    els.alerts.hidden = true;
    els.alerts.replaceChildren();
    return;
  }
  els.alerts.hidden = false;
  const title = h("h2", { id: "alerts-title", class: "alerts-title" }, t("alerts.title"));
  if (pushOn(state)) {
    replace(els.alerts, title,
      h("p", { class: "alerts-push alerts-on" }, t("alerts.push_on")),
      h("button", { type: "button", class: "link-button", dataset: { action: "notify-off" } }, t("alerts.turn_off")));
    return;
  }
  let push = null; // nothing to offer before GET /api/push answered, nor when it said 503/404
  if (!state.pushServer) {
    /* the no-push mode: the fallbacks only */
  } else if (state.push === "idle" || state.push === "asking") {
    push = h("button", {
      type: "button",
      class: "button button-secondary notify-button",
      dataset: { action: "notify" },
      disabled: state.push === "asking" || !state.order || Boolean(state.pending),
    }, t("alerts.notify"));
  } else {
    push = h("p", { class: `alerts-push alerts-${state.push}` }, t(`alerts.push_${state.push}`));
  }
  const vibration = typeof navigator.vibrate === "function";
  replace(els.alerts, title, push,
    h("p", { class: "alerts-lead" }, t("alerts.fallback_lead")),
    h("ul", { class: "alerts-fallbacks" },
      h("li", { class: `fallback-wake wake-${state.awake}` }, t(state.awake === "on" ? "alerts.wake_on" : "alerts.wake_off")),
      h("li", { class: "fallback-poll" }, t("alerts.poll_hidden", { seconds: HIDDEN_POLL_MS / 1000 })),
      h("li", { class: "fallback-signal" }, t(vibration ? "alerts.signal" : "alerts.signal_no_vibration"))));
}

function renderGrid(state) {
  const focusedId = document.activeElement?.closest?.(".drink")?.dataset.drink;
  if (!state.menu) {
    els.gridHint.textContent = state.menuError ? t("menu.error") : t("loading");
    if (state.menuError) {
      els.grid.replaceChildren(h("li", {}, h("button", { type: "button", class: "button", dataset: { action: "retry-menu" } }, t("action.retry"))));
    } else {
      els.grid.replaceChildren(...Array.from({ length: 5 }, () => h("li", { class: "drink-skeleton", "aria-hidden": "true" })));
    }
    return;
  }
  const current = state.pending ? null : state.order;
  const chosen = state.pending?.drink ?? (current && OPEN.includes(current.status) ? current.drink : null);
  const open = ordering(state) && !needsKey(state);
  els.gridHint.textContent = !open
    ? t(needsKey(state) ? "key.needed_hint" : "menu.hint_paused")
    : mayChange(current)
      ? t("menu.hint_change")
      : locked(current)
        ? t("menu.hint_locked")
        : t("menu.hint");
  els.grid.replaceChildren(
    ...state.menu.filter((drink) => !drink.retired).map((drink) => {
      const selected = drink.id === chosen;
      let note = null;
      if (drink.sold_out) note = t("menu.sold_out");
      else if (selected) note = t("menu.your_choice");
      else if (Number.isInteger(drink.stock) && drink.stock <= 5) note = t("menu.few_left", { n: drink.stock });
      return h("li", {},
        h("button", {
          type: "button",
          class: `drink ${selected ? "selected" : ""} ${drink.sold_out ? "sold-out" : ""}`,
          dataset: { drink: drink.id, action: "choose" },
          disabled: drink.sold_out || !open,
          "aria-pressed": selected ? "true" : "false",
        },
        drinkPicture(drink),
        h("span", { class: "drink-name" }, drinkName(drink.id, drink)),
        localText(drink.description) ? h("span", { class: "drink-description" }, localText(drink.description)) : null,
        note ? h("span", { class: "drink-note" }, note) : null,
        selected ? h("span", { class: "drink-check", "aria-hidden": "true" }, "✓") : null),
      );
    }),
  );
  if (focusedId) els.grid.querySelector(`[data-drink="${CSS.escape(focusedId)}"]`)?.focus();
}

function renderTitle(state) {
  document.title = state.order?.status === "ready" && !state.pending
    ? `✓ ${t("order.ready_title")} – #${state.order.number}`
    : t("app.title");
}

// ---------------------------------------------------------------- effects of state changes

/**
 * Keeps the order, the pending order and the menu in localStorage (other tabs of this
 * visitor follow through `storage` events); celebrates when the order gets ready.
 */
function persist(state, previous) {
  if (state.order !== previous.order && state.order) local.set(KEY_ORDER, state.order);
  if (state.menu !== previous.menu && state.menu) local.set(KEY_MENU, state.menu);
  if (state.pending !== previous.pending) {
    if (state.pending) local.set(KEY_PENDING, state.pending);
    else local.remove(KEY_PENDING);
  }
  if (state.orderKey !== previous.orderKey) {
    if (state.orderKey) local.setRaw(KEY_ORDER_KEY, state.orderKey);
    else local.remove(KEY_ORDER_KEY);
  }
  const ready = state.order?.status === READY;
  const wasReady = previous.order?.id === state.order?.id && previous.order?.status === READY;
  if (ready && !wasReady) {
    // A hidden page may neither vibrate nor be heard: the title says it meanwhile.
    if (document.hidden) announceWhenVisible = true;
    else celebrate();
  }
}

/** Sound (after a tap allowed it) and vibration: the drink is ready. */
function celebrate() {
  announceWhenVisible = false;
  pwa.playReadySound();
  try {
    if (navigator.vibrate) navigator.vibrate([300, 120, 300, 120, 500]);
  } catch {
    /* no vibration here */
  }
}

/** Without push, the page keeps the screen on and polls while hidden while an order waits. */
function fallbacks(state, previous) {
  const active = waiting(state) && !pushOn(state);
  screenAwake.set(active);
  poller?.setHiddenInterval(active ? HIDDEN_POLL_MS : null);
  if (waiting(state) && state.pushServer === null) serverPushKey().catch(() => {});
  // Notifications were on for the last order: a new order gets them too, without asking again.
  const saved = local.get(KEY_PUSH);
  if (state.order && state.order.id !== previous?.order?.id && waiting(state) && saved &&
      saved.orderId !== state.order.id && pwa.notificationsGranted() && pwa.pushSupport() === "supported") {
    enableNotifications({ quiet: true });
  }
}

/** The service worker writes notifications in the page's language with its drink names. */
function workerPrefs(state, previous) {
  if (previous && state.menu === previous.menu) return;
  const drinks = Object.fromEntries((state.menu || []).map((d) => [d.id, drinkName(d.id, d)]));
  pwa.sendWorkerPrefs({ lang: currentLanguage(), drinks });
}

function showStatus() {
  els.status.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

function refuseNickname(key) {
  store.dispatch("nicknameError", key);
  els.nickname.focus();
}

// ---------------------------------------------------------------- actions

function choose(drinkId) {
  const nickname = els.nickname.value.trim();
  if (!nickname) return refuseNickname("nickname.required");
  if (nicknameLength(nickname) > NICKNAME_MAX_CHARS) return refuseNickname("nickname.too_long");
  store.dispatch("nicknameError", null);
  local.setRaw(KEY_NICKNAME, nickname);
  const { order, pending } = store.state;
  pwa.unlockSound();
  if (!pending && locked(order)) {
    store.dispatch("notice", lockedNotice(order));
    showStatus();
    return;
  }
  if (!pending && mayChange(order) && order.drink === drinkId && order.nickname === nickname) {
    showStatus();
    return;
  }
  store.dispatch("choose", { requestId: uuid(), drink: drinkId, nickname, since: Date.now() });
  showStatus();
  wakeSender?.abort();
  sendPending();
}

/** Sends the pending order until the server answers; one loop at a time. */
async function sendPending() {
  if (sending) return;
  sending = true;
  let failures = 0;
  try {
    while (store.state.pending) {
      const pending = store.state.pending;
      if (store.state.net === "ok") store.dispatch("net", "sending");
      try {
        const { order } = await api.placeOrder({
          visitorId: store.state.visitorId,
          nickname: pending.nickname,
          drink: pending.drink,
          requestId: pending.requestId,
          key: store.state.orderKey,
        });
        failures = 0;
        store.dispatch("sent", { requestId: pending.requestId, order });
        poller?.now();
      } catch (error) {
        if (!(error instanceof api.ApiError) || error.transient) {
          failures += 1;
          store.dispatch("net", navigator.onLine === false || error.network ? "offline" : "error");
          wakeSender = new AbortController();
          await sleep(backoff(failures, { retryAfter: error.retryAfter }), { signal: wakeSender.signal });
          wakeSender = null;
          continue;
        }
        refused(error, pending);
      }
    }
  } finally {
    sending = false;
    if (store.state.net === "sending") store.dispatch("net", "ok");
  }
}

function refused(error, pending) {
  const drink = menuName(store.state, pending.drink);
  const outcome = { requestId: pending.requestId, notice: { key: "notice.refused", params: {}, kind: "error" } };
  switch (error.type) {
    case "sold-out":
      outcome.soldOut = pending.drink;
      outcome.notice = { key: "notice.sold_out", params: { drink }, kind: "warning" };
      break;
    case "order-in-progress":
      outcome.order = error.problem?.order ?? null;
      outcome.notice = lockedNotice(outcome.order);
      break;
    case "invalid-field":
      if (error.problem?.field === "nickname") {
        outcome.nicknameError = "nickname.invalid";
        outcome.notice = null;
      }
      break;
    case "nickname-refused":
      // A word the bar refuses is in the nickname: say so at the field.
      outcome.nicknameError = "nickname.refused";
      outcome.notice = null;
      break;
    case "unknown-drink":
      outcome.notice = { key: "notice.unknown_drink", params: { drink }, kind: "error" };
      loadMenu();
      break;
    case "drink-retired":
      // The bar took it off the menu a moment ago: say so, and show the menu as it is now.
      outcome.notice = { key: "notice.drink_retired", params: { drink }, kind: "warning" };
      loadMenu();
      break;
    case "ordering-paused":
    case "ordering-closed":
      // The banner says why; the notice says that this tap did not order.
      outcome.event = error.problem?.event ?? null;
      outcome.notice = { key: "notice.ordering_stopped", params: {}, kind: "warning" };
      break;
    case "bar-busy":
      outcome.event = error.problem?.event ?? null;
      outcome.notice = { key: "notice.bar_busy", params: {}, kind: "warning" };
      break;
    case "order-key-required":
      // No key, or one the bar has replaced: only a fresh scan helps.
      store.dispatch("orderKey", null);
      outcome.notice = { key: "notice.key_needed", params: {}, kind: "warning" };
      loadMenu();
      break;
    default:
      break;
  }
  store.dispatch("refused", outcome);
  if (outcome.nicknameError) els.nickname.focus();
}

async function cancel() {
  const { order } = store.state;
  if (!mayChange(order)) return;
  store.dispatch("cancelling", true);
  try {
    store.dispatch("order", await api.cancelOrder(store.state.visitorId, order.id));
    store.dispatch("notice", null);
    poller?.now();
  } catch (error) {
    if (error.problem?.order) store.dispatch("order", error.problem.order);
    store.dispatch("notice", error.type === "order-in-progress"
      ? { key: "notice.cancel_too_late", params: { number: order.number }, kind: "warning" }
      : { key: error.transient ? "notice.cancel_offline" : "notice.refused", params: {}, kind: "error" });
  } finally {
    store.dispatch("cancelling", false);
  }
}

// ---------------------------------------------------------------- live updates

let menuLoad = null;

/** Reads the menu (one request at a time), again every 5 s while that fails. */
function loadMenu() {
  menuLoad ??= api.getMenu()
    .then((menu) => store.dispatch("menu", menu))
    .catch(() => {
      store.dispatch("menuFailed", local.get(KEY_MENU));
      setTimeout(loadMenu, 5000);
    })
    .finally(() => { menuLoad = null; });
  return menuLoad;
}

// ---------------------------------------------------------------- notifications

/**
 * Turns push notifications on for the current order (called from a tap, or `quiet` for a
 * new order once the visitor allowed them): permission, the server's key, the browser's
 * subscription, then PUT /api/orders/{id}/push. Every way it can fail leaves the fallbacks on
 * and says why.
 */
async function enableNotifications({ quiet = false } = {}) {
  if (!quiet) pwa.unlockSound(); // a tap: the fallback sound may play too
  const { order, visitorId } = store.state;
  if (!order) return;
  const support = pwa.pushSupport();
  if (support !== "supported") {
    if (!quiet) store.dispatch("push", { push: support });
    return;
  }
  store.dispatch("push", { push: "asking" });
  if (!quiet && (await pwa.askNotificationPermission()) !== "granted") {
    store.dispatch("push", { push: pwa.pushSupport() === "denied" ? "denied" : "idle" });
    return;
  }
  try {
    const publicKey = await serverPushKey();
    if (publicKey === null) {
      store.dispatch("push", { push: "idle" });
      return;
    }
    const subscription = await pwa.pushSubscription(publicKey);
    await api.setOrderPush(visitorId, order.id, subscription);
    local.set(KEY_PUSH, { orderId: order.id });
    store.dispatch("push", { push: "on", orderId: order.id });
  } catch (error) {
    // 404/503: this server sends no push; a subscription the browser refused is the same.
    console.warn("push notifications unavailable:", error);
    store.dispatch("push", { push: "unavailable" });
  }
}

/** GET /api/push once (when the order card first appears): the VAPID key, or null when this
 * server sends no push (503 push-not-configured, 404), then the page offers no "notify me". */
let pushKey = null;
function serverPushKey() {
  pushKey ??= api.getPushKey().then(({ public_key: key }) => {
    store.dispatch("pushServer", true);
    return key;
  }, (error) => {
    if (error instanceof api.ApiError && (error.status === 503 || error.status === 404)) {
      store.dispatch("pushServer", false);
      return null;
    }
    pushKey = null; // not an answer (offline, 5xx): offer the button, ask again on a tap
    store.dispatch("pushServer", true);
    throw error;
  });
  return pushKey;
}

async function disableNotifications() {
  const { order, visitorId } = store.state;
  local.remove(KEY_PUSH);
  store.dispatch("push", { push: "idle", orderId: null });
  if (!order) return;
  try {
    await api.clearOrderPush(visitorId, order.id);
  } catch {
    /* the server may still notify once; the visitor turned it off here */
  }
}

// ---------------------------------------------------------------- other tabs

/** Another tab of this visitor changed what it keeps in localStorage. */
function onStorage(event) {
  if (event.storageArea !== window.localStorage) return;
  if (event.key === KEY_VISITOR) {
    // Another tab made the id at the same moment as this one: the last written is the
    // device's, so both tabs end with one (before anyone could order: it happens on load).
    if (event.newValue && UUID_RE.test(event.newValue) && event.newValue !== store.state.visitorId) {
      store.dispatch("restore", { visitorId: event.newValue });
    }
    return;
  }
  if (event.key === KEY_NICKNAME) {
    if (document.activeElement !== els.nickname) {
      els.nickname.value = event.newValue ?? "";
      store.dispatch("nicknameTyped", nicknameLength(els.nickname.value));
    }
    return;
  }
  let value = null;
  try {
    value = event.newValue === null ? null : JSON.parse(event.newValue);
  } catch {
    return;
  }
  const { order } = store.state;
  if (event.key === KEY_ORDER && value && typeof value.id === "number") {
    // Only news: the same version written back by this tab must not bounce between tabs.
    if (!order || value.id > order.id || (value.id === order.id && value.version > order.version)) {
      store.dispatch("order", value);
    }
  } else if (event.key === KEY_PENDING) {
    if (value && value.requestId && value.drink) {
      store.dispatch("pendingElsewhere", value);
      // The same request_id: if this tab sends it too, the server still takes it once.
      sendPending();
    } else if (store.state.pending && event.oldValue?.includes(store.state.pending.requestId)) {
      store.dispatch("pendingElsewhere", null); // the other tab got its answer
    }
  } else if (event.key === KEY_PUSH) {
    if (value && order && value.orderId === order.id) store.dispatch("push", { push: "on", orderId: value.orderId });
    else if (!value) store.dispatch("push", { push: "idle", orderId: null });
  }
}

/** When this page first saw its order closed (this device's clock), or null. */
let closedSeen = null;
let askedOwn = false;

/**
 * Whether a poll needs this visitor's own view (with `X-Visitor-Id`): the first one (is
 * there an order?), while an order is being sent or open, and while the bar may still take
 * a close back (UNDO_WINDOW_MS after the page saw it). Otherwise the page polls the view
 * without a visitor, which every phone shares and a replica answers from its copy (GET
 * /api/visit): a phone with nothing on order costs the database nothing.
 */
function ownView({ pending, order }) {
  if (!askedOwn || pending || !order || OPEN.includes(order.status)) {
    closedSeen = null;
    return !askedOwn || Boolean(pending) || Boolean(order);
  }
  closedSeen ??= Date.now();
  return Date.now() - closedSeen < UNDO_WINDOW_MS;
}

/** Polls GET /api/visit: the order, where it stands, the ticker, the menu's version. */
function startVisit() {
  poller = new SnapshotPoller({
    fetch: async ({ etag }) => {
      const own = ownView(store.state);
      const answer = await api.getVisit({ visitorId: own ? store.state.visitorId : null, etag });
      if (own) askedOwn = true;
      return answer;
    },
    onView: (visit) => {
      // The bar changed a drink or the event's settings: read the menu again.
      if (visit.menu !== store.state.menuVersion) loadMenu();
      store.dispatch("visit", { visit, receivedAt: Date.now() });
    },
    onState: (net) => {
      if (!store.state.pending) store.dispatch("net", net); // else the sender reports it
    },
  });
  poller.start();
  setInterval(() => store.dispatch("clock", Date.now()), CLOCK_MS);
}

// ---------------------------------------------------------------- start

/**
 * The ordering key: from the QR code's `?k=` (then taken out of the address, so that a
 * shared link or screenshot does not carry it), else the one kept from an earlier scan.
 */
function scannedKey() {
  const url = new URL(location.href);
  const fresh = url.searchParams.get("k");
  if (fresh !== null) {
    url.searchParams.delete("k");
    history.replaceState(history.state, "", url.pathname + url.search + url.hash);
    if (/^[A-Za-z0-9_-]{1,64}$/.test(fresh)) {
      local.setRaw(KEY_ORDER_KEY, fresh);
      return fresh;
    }
  }
  return local.getRaw(KEY_ORDER_KEY) || null;
}

function restored() {
  let pending = local.get(KEY_PENDING);
  if (pending && (!pending.requestId || !pending.drink)) pending = null;
  const cached = local.get(KEY_ORDER);
  const order = cached && typeof cached.id === "number" ? cached : null;
  const push = local.get(KEY_PUSH);
  const pushKept = Boolean(push && order && push.orderId === order.id && pwa.notificationsGranted());
  return {
    nicknameLength: nicknameLength(local.getRaw(KEY_NICKNAME) || ""),
    pending,
    order,
    orderKey: scannedKey(),
    push: pushKept ? "on" : "idle",
    pushOrder: pushKept ? order.id : null,
  };
}

export async function start(main) {
  document.body.classList.add("page-visitor");
  store.dispatch("restore", { visitorId: await visitorId(), ...restored() });
  build(main);
  screenAwake = new pwa.ScreenAwake((awake) => store.dispatch("awake", awake));
  store.dispatch("awake", screenAwake.state);
  store.subscribe(persist);
  store.subscribe(render);
  store.subscribe(fallbacks);
  store.subscribe(workerPrefs);
  render(store.state);
  fallbacks(store.state, null);
  onLanguageChange(() => {
    render(store.state);
    workerPrefs(store.state, null);
  });
  window.addEventListener("storage", onStorage);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && announceWhenVisible) celebrate();
  });
  pwa.onWorkerMessage((message) => {
    if (message.type === "push" && message.order) store.dispatch("order", message.order);
  });
  pwa.registerServiceWorker().then(() => workerPrefs(store.state, null));
  window.addEventListener("offline", () => store.dispatch("net", "offline"));
  window.addEventListener("online", () => {
    if (store.state.net === "offline") store.dispatch("net", store.state.pending ? "sending" : "ok");
    poller?.now();
  });
  if (navigator.onLine === false) store.dispatch("net", "offline");
  if (store.state.pending) sendPending();
  loadMenu();
  startVisit();
  fallbacks(store.state, store.state);
}
