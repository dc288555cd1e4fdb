// The bar page (?bar): sign in once per tab with the bar token (or once per tablet with
// "remember this tablet"), then work the open queue, kept live by polling the feed from the
// queue's own cursor, also while the tab is hidden; the screen stays on while signed in
// (Screen Wake Lock). Tabs: queue, stock, event, statistics.
//
// This module holds the page's one store, its actions and `render(state, previous)`, and
// wires the parts: bar/signin.js (the token form), bar/queue.js (the queue, its filters and
// moves), bar/stock.js (drinks on the menu and portions), bar/event.js (title, welcome,
// ordering open/paused/closed, busy limit), bar/stats.js (statistics). Clicks,
// changes and submits are handled by delegated listeners that read `data-action`.

import * as api from "./api.js";
import { h, replace } from "./dom.js";
import { t, onLanguageChange } from "./i18n.js";
import { session, local } from "./storage.js";
import { FeedPoller } from "./poller.js";
import { applyDrinkEvent } from "./drinks.js";
import { keepKnownName, publicName } from "./names.js";
import { createStore } from "./store.js";
import { OPEN } from "./rules.js";
import { renderSignIn, signInMessage } from "./bar/signin.js";
import { NEW_FOR_MS, queueActions, renderFilters, renderQueue, renderSelection, renderSide, renderUndo, updateAges } from "./bar/queue.js";
import { renderStock, stockActions } from "./bar/stock.js";
import { eventActions, orderingLabel, renderEvent } from "./bar/event.js";
import { renderStatsPanel, statsLoader } from "./bar/stats.js";
import { beep, exportCsv, renderToolbar, unlockAudio } from "./bar/toolbar.js";
import { nameActions } from "./bar/names.js";
import { purgeActions, renderPurge } from "./bar/purge.js";
import { DONE_START, doneActions, renderDone } from "./bar/done.js";

const KEY_TOKEN = "bar_token";
const KEY_SOUND = "bar_sound";
const KEY_COMPACT = "bar_compact";
const TABS = ["queue", "done", "stock", "event", "stats"];

// ---------------------------------------------------------------- state

function withSet(set, id, on) {
  if (set.has(id) === on) return set;
  const next = new Set(set);
  if (on) next.add(id);
  else next.delete(id);
  return next;
}

/**
 * `state` with `order` (from the server, the feed or a write) merged in: an older version is
 * ignored; an order that is no longer open leaves the queue.
 */
function withOrder(state, order, { at = null, isNew = false } = {}) {
  const existing = state.orders.get(order.id);
  if (existing && order.version <= existing.version) return state;
  const orders = new Map(state.orders);
  let fresh = state.fresh;
  if (!OPEN.includes(order.status)) {
    orders.delete(order.id);
    if (fresh.has(order.id)) {
      fresh = new Map(fresh);
      fresh.delete(order.id);
    }
    return { ...state, orders, fresh, selected: withSet(state.selected, order.id, false) };
  }
  // A public event of an order whose name the bar hid carries no nickname: keep ours.
  const merged = { ...(existing || {}), ...keepKnownName(order, existing) };
  // Hidden before this tablet ever saw its name: "Guest #42" until the next reload.
  if (merged.nickname == null) merged.nickname = publicName(merged);
  if (!merged.created_at) merged.created_at = at ?? Date.now();
  if (at) merged.updated_at = at;
  orders.set(order.id, merged);
  if (isNew && !existing) fresh = new Map(fresh).set(order.id, Date.now());
  return { ...state, orders, fresh };
}

/** The menu's order: by position, then id (as the server sends it). */
const byPosition = (menu) => [...menu].sort((a, b) => a.position - b.position || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

const actions = {
  /** The token opened the bar: the whole queue and the menu. */
  opened: (state, { orders, menu, event }) => ({ ...state, signedIn: true, orders, menu, event, fresh: new Map(), busy: new Set(), selected: new Set(), lastMove: null, confirm: null }),
  signedOut: (state) => ({ ...state, signedIn: false, orders: new Map(), stats: null }),
  queue: (state, orders) => ({ ...state, orders }),
  menu: (state, { drinks, event }) => ({ ...state, menu: drinks, event }),
  /** The event's settings after our own change. */
  event: (state, event) => (state.event && state.event.version >= event.version ? state : { ...state, event }),
  eventSaving: (state, eventSaving) => ({ ...state, eventSaving }),
  words: (state, words) => ({ ...state, words }),
  /** Feed events: order events move the queue, drink events the menu. */
  events: (state, events) => {
    let next = state;
    let menu = state.menu;
    for (const event of events) {
      if (event.kind === "drink" && event.drink) {
        menu = menu.map((d) => (d.id === event.drink.id ? applyDrinkEvent(d, event.drink) : d));
      } else if (event.order) {
        next = withOrder(next, event.order, { at: event.at, isNew: event.kind === "placed" });
      }
    }
    return menu === state.menu ? next : { ...next, menu };
  },
  /** Our own move went through. */
  moved: (state, order) => {
    const next = withOrder(state, order);
    if (!next.fresh.has(order.id)) return next;
    const fresh = new Map(next.fresh);
    fresh.delete(order.id);
    return { ...next, fresh };
  },
  /** A batch went through: the orders that moved. */
  movedMany: (state, orders) => {
    let next = state;
    for (const order of orders) next = actions.moved(next, order);
    return next;
  },
  /** The server's current copy of an order (after a conflict), whatever its version. */
  current: (state, order) => {
    const orders = new Map(state.orders);
    if (OPEN.includes(order.status)) orders.set(order.id, { ...orders.get(order.id), ...order });
    else orders.delete(order.id);
    const selected = OPEN.includes(order.status) ? state.selected : withSet(state.selected, order.id, false);
    return { ...state, orders, selected };
  },
  gone: (state, id) => {
    if (!state.orders.has(id)) return state;
    const orders = new Map(state.orders);
    orders.delete(id);
    return { ...state, orders, selected: withSet(state.selected, id, false) };
  },
  busy: (state, { id, busy }) => ({ ...state, busy: withSet(state.busy, id, busy) }),
  busyMany: (state, { ids, busy }) => ({ ...state, busy: ids.reduce((set, id) => withSet(set, id, busy), state.busy) }),
  /** Selection for a batch: toggles one order. */
  select: (state, id) => (state.orders.has(id)
    ? { ...state, selected: withSet(state.selected, id, !state.selected.has(id)) }
    : state),
  deselect: (state, ids) => ({ ...state, selected: ids.reduce((set, id) => withSet(set, id, false), state.selected) }),
  compact: (state, compact) => ({ ...state, compact }),
  /** This tablet's last single move, which it may take back for a minute. */
  lastMove: (state, lastMove) => ({ ...state, lastMove }),
  purge: (state, purge) => ({ ...state, purge }),
  confirm: (state, id) => (state.confirm === id ? state : { ...state, confirm: id }),
  /** The reason typed for the armed cancel (not rendered: the input holds it). */
  cancelReason: (state, cancelReason) => ({ ...state, cancelReason }),
  /** The Done tab's list (bar/done.js). */
  done: (state, done) => ({ ...state, done }),
  /** New-order highlights older than NEW_FOR_MS end. */
  expireFresh: (state, now) => {
    const stale = [...state.fresh].filter(([, since]) => now - since >= NEW_FOR_MS);
    if (stale.length === 0) return state;
    const fresh = new Map(state.fresh);
    for (const [id] of stale) fresh.delete(id);
    return { ...state, fresh };
  },
  filterStatus: (state, status) => ({ ...state, filter: { ...state.filter, status } }),
  filterDrink: (state, drink) => ({ ...state, filter: { ...state.filter, drink } }),
  sort: (state, sort) => ({ ...state, sort }),
  tab: (state, tab) => ({ ...state, tab }),
  sound: (state, sound) => ({ ...state, sound }),
  audioReady: (state, audioReady) => (state.audioReady === audioReady ? state : { ...state, audioReady }),
  net: (state, net) => (state.net === net ? state : { ...state, net }),
  drink: (state, drink) => ({ ...state, menu: byPosition(state.menu.map((d) => (d.id === drink.id ? { ...d, ...drink } : d))) }),
  /** A drink the bar just added. */
  added: (state, drink) => (state.menu.some((d) => d.id === drink.id) ? state : { ...state, menu: byPosition([...state.menu, drink]) }),
  saving: (state, { id, saving }) => ({ ...state, saving: withSet(state.saving, id, saving) }),
  stats: (state, stats) => ({ ...state, stats, statsError: false }),
  statsFailed: (state) => ({ ...state, statsError: true }),
};

const store = createStore({
  signedIn: false,
  orders: new Map(), // open orders by id
  menu: [],
  event: null, // the event's settings (with the menu)
  eventSaving: false,
  words: null, // the refused words (GET /api/event/words), null until loaded
  filter: { status: "all", drink: "" },
  sort: "time",
  tab: "queue",
  // The new-order sound is on unless staff switched it off; browsers play it only after the
  // first tap or key press on the page (`audioReady`).
  sound: local.get(KEY_SOUND, true) !== false,
  audioReady: false,
  compact: local.get(KEY_COMPACT, false) === true,
  selected: new Set(), // orders selected for a batch move
  lastMove: null, // {order, at}: this tablet's last move to served, ready or cancelled
  purge: null, // deleting the closed orders: null, "confirm", "running"
  fresh: new Map(), // id → time it arrived (highlight)
  busy: new Set(), // orders with a move under way
  confirm: null, // id of the order whose cancel waits for a second tap
  cancelReason: "", // its optional reason, as typed
  done: DONE_START, // the Done tab: served and cancelled orders, newest first
  saving: new Set(), // drinks being saved
  net: "ok",
  stats: null,
  statsError: false,
}, actions);

let main;
let els = null;
let poller = null;
let ageTimer = null;
let wakeLock = null;

const ctx = {
  store,
  signOut,
  pollNow: () => poller?.now(),
  announce: (text) => {
    if (els) els.announcer.textContent = text;
  },
  flash: (id) => requestAnimationFrame(() => {
    const row = els?.queue.querySelector(`[data-id="${id}"]`);
    if (row) {
      row.classList.remove("flash");
      void row.offsetWidth;
      row.classList.add("flash");
    }
  }),
};
const queue = queueActions(ctx);
const stock = stockActions(ctx);
const eventForm = eventActions(ctx);
const names = nameActions(ctx);
const stats = statsLoader(ctx);
const purge = purgeActions(ctx);
const done = doneActions(ctx);

// ---------------------------------------------------------------- sign-in

/** All open orders (every page); the feed cursor of the first page's snapshot. */
async function loadQueue() {
  const orders = new Map();
  let feed = null;
  let after = null;
  do {
    const page = await api.getQueue({ after, limit: 200 });
    if (feed === null) feed = page.feed;
    for (const order of page.orders) orders.set(order.id, order);
    after = page.next;
  } while (after);
  return { orders, feed };
}

/** The kept token: this tab's, else the one this tablet remembers. */
function keptToken() {
  return session.getRaw(KEY_TOKEN) || local.getRaw(KEY_TOKEN);
}

function forgetToken() {
  session.remove(KEY_TOKEN);
  local.remove(KEY_TOKEN);
}

/**
 * Tries the token; on success the bar opens and null is returned, else a message. `remember`
 * keeps the token on this tablet (localStorage) until sign-out; else only in this tab.
 * `remember` null (a kept token) leaves it where it is.
 */
async function open(token, remember = null) {
  api.setBarToken(token);
  try {
    const [{ orders, feed }, menu] = await Promise.all([loadQueue(), api.getMenu()]);
    if (remember !== null) {
      forgetToken();
      if (remember) local.setRaw(KEY_TOKEN, token);
      else session.setRaw(KEY_TOKEN, token);
    }
    store.dispatch("opened", { orders, menu: menu.drinks, event: menu.event });
    startBar(feed);
    eventForm.loadWords();
    return null;
  } catch (error) {
    api.setBarToken(null);
    if (error.status === 401) forgetToken();
    return signInMessage(error);
  }
}

function signOut(message) {
  forgetToken();
  api.setBarToken(null);
  releaseWakeLock();
  poller?.stop();
  poller = null;
  stats.stop();
  clearInterval(ageTimer);
  els = null;
  store.dispatch("signedOut");
  renderSignIn(main, { message, open });
}

async function refreshMenu() {
  try {
    store.dispatch("menu", await api.getMenu());
  } catch {
    /* the next drink event or reload brings it */
  }
}

async function resync() {
  const { orders, feed } = await loadQueue();
  store.dispatch("queue", orders);
  await refreshMenu();
  return feed;
}

function onEvents(events) {
  const { menu, orders } = store.state;
  if (events.some((e) => e.kind === "drink" && e.drink && !menu.some((d) => d.id === e.drink.id))) {
    refreshMenu(); // a drink added since the menu was loaded
  } else if (events.some((e) => e.kind === "settings" || e.kind === "menu")) {
    refreshMenu(); // the event's settings or the menu changed (here or on another tablet)
  }
  const arrivals = new Set(events
    .filter((e) => e.kind === "placed" && e.order && !orders.has(e.order.id))
    .map((e) => e.order.id));
  store.dispatch("events", events);
  const arrived = [...arrivals].filter((id) => store.state.orders.has(id)).length;
  if (arrived > 0) {
    ctx.announce(t("bar.new_orders", { n: arrived }));
    if (store.state.sound) beep();
  }
}

// ---------------------------------------------------------------- a tablet that stays awake

/** Keeps the screen on while the bar is open and visible (released by the browser when the
 * tab is hidden; taken again when it is visible). Unsupported or refused: nothing happens. */
async function keepAwake() {
  if (wakeLock || !els || document.hidden || !navigator.wakeLock) return;
  try {
    const lock = await navigator.wakeLock.request("screen");
    if (!els) {
      lock.release();
      return;
    }
    wakeLock = lock;
    lock.addEventListener("release", () => {
      if (wakeLock === lock) wakeLock = null;
    });
  } catch {
    /* refused (battery saver, no permission): the screen may turn off, polling goes on */
  }
}

function releaseWakeLock() {
  const lock = wakeLock;
  wakeLock = null;
  lock?.release().catch(() => {});
}

/** The first tap or key press lets the page play sound (browsers block it before). */
function onFirstInteraction() {
  if (unlockAudio()) {
    store.dispatch("audioReady", true);
    for (const type of ["pointerdown", "keydown"]) document.removeEventListener(type, onFirstInteraction, true);
  }
}

function startBar(feed) {
  build();
  render(store.state);
  keepAwake();
  poller?.stop();
  poller = new FeedPoller({
    whileHidden: true,
    cursor: feed,
    onEvents,
    onState: (s, error) => {
      if (error && error.status === 401) return signOut(t("bar.signin.expired"));
      store.dispatch("net", s);
    },
    onReset: resync,
  });
  poller.start();
  stats.follow(store.state.tab);
  clearInterval(ageTimer);
  ageTimer = setInterval(() => {
    updateAges(els?.queue);
    store.dispatch("expireFresh", Date.now());
  }, 15000);
}

// ---------------------------------------------------------------- tabs

function setTab(tab, focus = false) {
  store.dispatch("tab", tab);
  if (tab === "done") done.refresh();
  stats.follow(tab);
  if (focus) els?.tabs.querySelector(`[data-tab="${tab}"]`)?.focus();
}

// ---------------------------------------------------------------- rendering

function build() {
  document.body.classList.add("page-bar");
  els = {
    net: h("span", { class: "bar-net", role: "status" }),
    soundButton: h("button", { type: "button", class: "tool-button", dataset: { action: "sound" } }),
    csvButton: h("button", { type: "button", class: "tool-button", dataset: { action: "csv" } }),
    signOutButton: h("button", { type: "button", class: "tool-button", dataset: { action: "sign-out" } }),
    announcer: h("p", { class: "visually-hidden", "aria-live": "polite" }),
    tabs: h("div", { class: "tabs", role: "tablist" }),
    panels: {},
    queue: h("ul", { class: "queue", "aria-labelledby": "queue-title" }),
    selection: h("div", { class: "selection-bar", role: "region", "aria-labelledby": "selection-count", hidden: true }),
    undo: h("div", { class: "undo-bar", hidden: true }),
    queueEmpty: h("p", { class: "queue-empty" }),
    filters: h("div", { class: "filters" }),
    side: h("div", { class: "side" }),
    stock: h("div", { class: "stock" }),
    event: h("div", { class: "event" }),
    purge: h("div", { class: "purge-panel" }),
    stats: h("div", { class: "stats" }),
    done: h("div", { class: "done" }),
  };
  const tools = document.getElementById("topbar-tools");
  tools.replaceChildren(els.net, els.soundButton, els.csvButton, els.signOutButton);
  tools.onclick = onClick; // replaced, not added: the tools outlive a sign-out
  for (const tab of TABS) {
    els.panels[tab] = h("section", {
      id: `panel-${tab}`,
      class: `panel panel-${tab}`,
      role: "tabpanel",
      "aria-labelledby": `tab-${tab}`,
      tabindex: "-1",
    });
  }
  replace(els.panels.queue,
    h("div", { class: "queue-layout" },
      h("div", { class: "queue-main" },
        h("h1", { id: "queue-title", class: "visually-hidden" }),
        els.undo,
        els.filters,
        els.queue,
        els.queueEmpty,
        els.selection),
      els.side));
  els.panels.stock.append(els.stock);
  els.panels.event.append(els.event, els.purge);
  els.panels.stats.append(els.stats);
  els.panels.done.append(els.done);
  const root = h("div", { class: "bar" }, els.tabs, els.announcer, ...Object.values(els.panels));
  root.addEventListener("click", onClick);
  root.addEventListener("change", onChange);
  root.addEventListener("input", (event) => {
    if (event.target.classList?.contains("cancel-reason-input")) queue.typingReason(event.target);
    stock.typing(event.target);
    eventForm.typing(event.target);
  });
  root.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-action]");
    if (!form) return;
    event.preventDefault();
    if (form.dataset.action === "stock") stock.submit(form);
    else if (form.dataset.action === "rename") stock.rename(form);
    else if (form.dataset.action === "add-drink") stock.add(form);
    else if (form.dataset.action === "event") eventForm.submit(form);
    else if (form.dataset.action === "done-search") done.search(form.elements.q.value);
  });
  root.addEventListener("focusin", (event) => {
    if (event.target.classList?.contains("cancel-reason-input")) queue.typingReason(event.target);
  });
  root.addEventListener("keydown", onTabKey);
  root.addEventListener("keydown", (event) => {
    // Enter in a cancel's reason is the second tap.
    const input = event.target.closest?.(".cancel-reason-input");
    if (!input || event.key !== "Enter") return;
    event.preventDefault();
    const order = store.state.orders.get(Number(input.dataset.reasonFor));
    if (order) queue.askCancel(order);
  });
  replace(main, root);
}

/** Every click of the bar page, by `data-action`. */
function onClick(event) {
  const target = event.target.closest("[data-action]");
  if (!target || target.disabled) return;
  const { state } = store;
  const order = target.dataset.id ? state.orders.get(Number(target.dataset.id)) : null;
  switch (target.dataset.action) {
    case "advance":
      if (order) queue.advance(order, target.dataset.next);
      break;
    case "cancel":
      if (order) queue.askCancel(order);
      break;
    case "name-hidden":
      if (order) names.toggle(order);
      break;
    case "select":
      if (order) store.dispatch("select", order.id);
      break;
    case "undo":
      queue.undo();
      break;
    case "select-none":
      store.dispatch("deselect", [...state.selected]);
      break;
    case "batch-move":
      queue.moveSelected(target.dataset.next);
      break;
    case "batch-cancel":
      queue.askCancelSelected();
      break;
    case "start-all":
      queue.startAll(target.dataset.drink);
      break;
    case "purge":
      purge.ask();
      break;
    case "done-more":
      done.more();
      break;
    case "purge-keep":
      purge.keep();
      break;
    case "purge-confirm":
      purge.confirm();
      break;
    case "compact":
      local.set(KEY_COMPACT, !state.compact);
      store.dispatch("compact", !state.compact);
      break;
    case "filter-status":
      store.dispatch("filterStatus", target.dataset.status);
      break;
    case "batch":
      store.dispatch("filterDrink", state.filter.drink === target.dataset.drink ? "" : target.dataset.drink);
      break;
    case "tab":
      setTab(target.dataset.tab);
      break;
    case "manage-stock":
      setTab("stock", true);
      break;
    case "sound":
      local.set(KEY_SOUND, !state.sound);
      store.dispatch("sound", !state.sound);
      if (store.state.sound) beep();
      break;
    case "csv":
      exportCsv(target, ctx);
      break;
    case "event-key":
      eventForm.key(target.dataset.change);
      break;
    case "move-drink":
      stock.move(target);
      break;
    case "retire-drink":
      stock.retire(target);
      break;
    case "clear-picture":
      stock.clearPicture(target);
      break;
    case "sign-out":
      signOut();
      break;
    default:
      break;
  }
}

function onChange(event) {
  const target = event.target;
  switch (target.dataset.action) {
    case "filter-drink":
      store.dispatch("filterDrink", target.value);
      break;
    case "sort":
      store.dispatch("sort", target.value);
      break;
    case "available":
      stock.available(target);
      break;
    case "drink-icon":
      stock.icon(target);
      break;
    case "drink-picture":
      stock.picture(target);
      break;
    default:
      eventForm.typing(target);
      break;
  }
}

/** Arrow keys move between the tabs. */
function onTabKey(event) {
  const tab = event.target.closest?.("[role=tab]");
  if (!tab) return;
  const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
  if (!step) return;
  event.preventDefault();
  const index = TABS.indexOf(tab.dataset.tab);
  setTab(TABS[(index + step + TABS.length) % TABS.length], true);
}

/** Draws `state`; `previous` null (first render, new language) redraws every part. */
function render(state, previous = null) {
  if (!els || !state.signedIn) return;
  const changed = (...keys) => !previous || keys.some((key) => state[key] !== previous[key]);
  if (changed("sound", "net", "audioReady")) renderToolbar(els, state);
  if (changed("tab", "orders", "event")) renderTabs(state);
  if (changed("compact")) els.panels.queue.classList.toggle("is-compact", state.compact);
  if (changed("orders", "filter", "sort", "menu", "compact")) renderFilters(els.filters, state);
  if (changed("orders", "filter", "sort", "menu", "busy", "confirm", "fresh", "selected")) renderQueue(els, state);
  if (changed("orders", "selected", "busy", "confirm")) renderSelection(els.selection, state);
  if (changed("lastMove", "busy")) renderUndo(els.undo, state);
  if (changed("orders", "filter", "menu", "busy")) renderSide(els.side, state);
  if (changed("menu", "saving")) renderStock(els.stock, state);
  if (changed("event", "eventSaving", "words")) renderEvent(els.event, state);
  if (changed("purge")) renderPurge(els.purge, state);
  if (changed("done", "menu")) renderDone(els.done, state);
  if (changed("stats", "statsError", "menu")) renderStatsPanel(els.stats, state, { refresh: stats.load });
}

function renderTabs(state) {
  els.tabs.setAttribute("aria-label", t("bar.tabs"));
  els.tabs.replaceChildren(...TABS.map((tab) => h("button", {
    type: "button",
    role: "tab",
    id: `tab-${tab}`,
    class: "tab",
    dataset: { tab, action: "tab" },
    "aria-selected": String(state.tab === tab),
    "aria-controls": `panel-${tab}`,
    tabindex: state.tab === tab ? "0" : "-1",
  },
  t(`bar.tab.${tab}`),
  tab === "queue" ? h("span", { class: "tab-count" }, String(state.orders.size)) : null,
  tab === "event" && state.event && state.event.ordering !== "open"
    ? h("span", { class: `tab-state ordering-${state.event.ordering}` }, orderingLabel(state.event))
    : null)));
  for (const tab of TABS) els.panels[tab].hidden = state.tab !== tab;
}

// ---------------------------------------------------------------- start

export async function start(mainEl) {
  main = mainEl;
  document.body.classList.add("page-bar");
  store.subscribe(render);
  document.addEventListener("visibilitychange", keepAwake);
  for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, onFirstInteraction, true);
  onLanguageChange(() => {
    if (els && poller) render(store.state);
    else if (!poller) renderSignIn(main, { open });
  });
  const token = keptToken();
  if (!token) {
    renderSignIn(main, { open });
    return;
  }
  replace(main, h("p", { class: "loading" }, t("loading")));
  const message = await open(token);
  if (message) renderSignIn(main, { message, open });
}
