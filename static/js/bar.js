// The bar page (?bar): sign in once per tab with the bar token, then work the open queue,
// kept live by polling the feed from the queue's own cursor. Tabs: queue, stock, statistics.

import * as api from "./api.js";
import { h, replace, toast, formatDuration } from "./dom.js";
import { t, drinkName, statusName, formatTime, onLanguageChange } from "./i18n.js";
import { session, local } from "./storage.js";
import { FeedPoller } from "./poller.js";
import { drinkPicture, applyDrinkEvent } from "./drinks.js";
import { renderStats } from "./charts.js";

const KEY_TOKEN = "bar_token";
const KEY_SOUND = "bar_sound";
const OPEN = ["placed", "preparing", "ready"];
const NEXT = { placed: "preparing", preparing: "ready", ready: "served" };
const NEW_FOR_MS = 20000;
const STATS_EVERY_MS = 20000;

const state = {
  orders: new Map(), // open orders by id
  menu: [],
  filter: { status: "all", drink: "" },
  sort: "time",
  tab: "queue",
  sound: local.get(KEY_SOUND, false) === true,
  fresh: new Map(), // id → time it arrived (highlight)
  busy: new Set(),
  confirm: null, // {id, timer}
  net: "ok",
  stats: null,
  statsError: false,
};

let main;
let els = {};
let poller = null;
let audio = null;
let statsTimer = null;
let ageTimer = null;

// ---------------------------------------------------------------- sign-in

function signInForm(message) {
  document.body.classList.add("page-bar");
  const input = h("input", {
    id: "bar-token",
    name: "bar-token",
    type: "password",
    autocomplete: "current-password",
    required: true,
    "aria-describedby": "bar-token-error",
  });
  const error = h("p", { id: "bar-token-error", class: "field-error", role: "alert" }, message || "");
  const button = h("button", { type: "submit", class: "button" }, t("bar.signin.submit"));
  const form = h("form", {
    class: "signin card",
    onsubmit: async (event) => {
      event.preventDefault();
      const token = input.value.trim();
      if (!token) {
        error.textContent = t("bar.signin.empty");
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      button.disabled = true;
      error.textContent = "";
      const result = await open(token);
      button.disabled = false;
      if (result) {
        error.textContent = result;
        input.setAttribute("aria-invalid", "true");
        input.select();
        input.focus();
      }
    },
  },
  h("h1", {}, t("bar.signin.title")),
  h("p", { class: "field-hint" }, t("bar.signin.text")),
  // Lets password managers file the token under a name; never shown.
  h("input", { type: "text", name: "username", autocomplete: "username", value: "bar", hidden: true, "aria-hidden": "true", tabindex: "-1" }),
  h("label", { for: "bar-token", class: "field-label" }, t("bar.signin.label")),
  input,
  error,
  h("div", { class: "signin-actions" }, button));
  replace(main, form);
  document.getElementById("topbar-tools").replaceChildren();
  input.focus();
}

function signInMessage(error) {
  if (error.status === 401) return t("bar.signin.wrong");
  if (error.type === "bar-token-not-configured") return t("bar.signin.not_configured");
  if (error.transient) return t("bar.signin.offline");
  return t("bar.signin.failed");
}

/** Tries the token; on success the bar opens and null is returned, else a message. */
async function open(token) {
  api.setBarToken(token);
  try {
    const [queue, menu] = await Promise.all([loadQueue(), api.getMenu()]);
    session.setRaw(KEY_TOKEN, token);
    state.menu = menu.drinks;
    startBar(queue.feed);
    return null;
  } catch (error) {
    api.setBarToken(null);
    if (error.status === 401) session.remove(KEY_TOKEN);
    return signInMessage(error);
  }
}

function signOut(message) {
  session.remove(KEY_TOKEN);
  api.setBarToken(null);
  poller?.stop();
  poller = null;
  clearInterval(statsTimer);
  clearInterval(ageTimer);
  state.orders.clear();
  signInForm(message);
}

// ---------------------------------------------------------------- data

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
  state.orders = orders;
  return { feed };
}

function upsert(order, { at = null, isNew = false } = {}) {
  const existing = state.orders.get(order.id);
  if (existing && order.version <= existing.version) return false;
  if (!OPEN.includes(order.status)) {
    state.orders.delete(order.id);
    state.fresh.delete(order.id);
    return true;
  }
  const merged = { ...(existing || {}), ...order };
  if (!merged.created_at) merged.created_at = at ?? Date.now();
  if (at) merged.updated_at = at;
  state.orders.set(order.id, merged);
  if (isNew && !existing) state.fresh.set(order.id, Date.now());
  return true;
}

function onEvents(events) {
  let ordersChanged = false;
  let menuChanged = false;
  let arrivals = 0;
  for (const event of events) {
    if (event.kind === "drink" && event.drink) {
      const drink = state.menu.find((d) => d.id === event.drink.id);
      // applyDrinkEvent returns a new drink (for the views' stores); this page still mutates.
      if (drink) Object.assign(drink, applyDrinkEvent(drink, event.drink));
      else refreshMenu();
      menuChanged = true;
    } else if (event.order) {
      const isNew = event.kind === "placed";
      const had = state.orders.has(event.order.id);
      if (upsert(event.order, { at: event.at, isNew })) {
        ordersChanged = true;
        if (isNew && !had) arrivals += 1;
      }
    }
  }
  if (arrivals > 0) {
    announce(t("bar.new_orders", { n: arrivals }));
    if (state.sound) beep();
  }
  if (ordersChanged) renderOrders();
  if (menuChanged) {
    renderStock();
    renderSide();
  }
}

async function refreshMenu() {
  try {
    state.menu = (await api.getMenu()).drinks;
    renderAll();
  } catch {
    /* the next drink event or reload brings it */
  }
}

async function resync() {
  const { feed } = await loadQueue();
  await refreshMenu();
  renderAll();
  return feed;
}

function startBar(feed) {
  state.tab = state.tab || "queue";
  build();
  renderAll();
  poller?.stop();
  poller = new FeedPoller({
    cursor: feed,
    onEvents,
    onState: (s, error) => {
      if (error && error.status === 401) return signOut(t("bar.signin.expired"));
      state.net = s;
      renderNet();
    },
    onReset: resync,
  });
  poller.start();
  clearInterval(ageTimer);
  ageTimer = setInterval(updateAges, 15000);
}

// ---------------------------------------------------------------- actions

async function advance(order, status) {
  if (state.busy.has(order.id)) return;
  state.busy.add(order.id);
  renderQueue();
  try {
    const updated = await api.setOrderStatus(order.id, status, order.version);
    upsert(updated);
    state.fresh.delete(order.id);
    if (status === "ready") announce(t("bar.announce_ready", { number: updated.number }));
  } catch (error) {
    handleWriteError(error, order);
  } finally {
    state.busy.delete(order.id);
    renderOrders();
    poller?.now();
  }
}

function handleWriteError(error, order) {
  if (error.status === 401) {
    signOut(t("bar.signin.expired"));
    return;
  }
  const current = error.problem?.order;
  if (current) {
    // Someone else moved it: show what it is now.
    if (OPEN.includes(current.status)) state.orders.set(current.id, { ...state.orders.get(current.id), ...current });
    else state.orders.delete(current.id);
  }
  if (error.type === "version-conflict" || error.type === "illegal-transition") {
    toast(t("bar.conflict", {
      number: order.number,
      status: statusName(current?.status ?? order.status),
    }), { kind: "warning", timeout: 7000 });
    flash(order.id);
  } else if (error.type === "order-not-found") {
    state.orders.delete(order.id);
    toast(t("bar.gone", { number: order.number }), { kind: "warning" });
  } else if (error.transient) {
    toast(t("bar.offline_action"), { kind: "error" });
  } else {
    toast(t("bar.failed", { detail: error.problem?.detail || error.status }), { kind: "error" });
  }
}

function flash(id) {
  requestAnimationFrame(() => {
    const row = els.queue?.querySelector(`[data-id="${id}"]`);
    if (row) {
      row.classList.remove("flash");
      void row.offsetWidth;
      row.classList.add("flash");
    }
  });
}

function askCancel(order) {
  if (state.confirm && state.confirm.id === order.id) {
    clearTimeout(state.confirm.timer);
    state.confirm = null;
    advance(order, "cancelled");
    return;
  }
  if (state.confirm) clearTimeout(state.confirm.timer);
  state.confirm = {
    id: order.id,
    timer: setTimeout(() => {
      state.confirm = null;
      renderQueue();
    }, 4000),
  };
  renderQueue();
  els.queue.querySelector(`[data-id="${order.id}"] .button-danger`)?.focus();
}

async function exportCsv(button) {
  button.disabled = true;
  try {
    const blob = await api.getQueueCsv();
    const url = URL.createObjectURL(blob);
    const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, "-");
    const link = h("a", { href: url, download: `orders-${stamp}.csv`, class: "visually-hidden" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (error) {
    if (error.status === 401) return signOut(t("bar.signin.expired"));
    toast(t("bar.csv_failed"), { kind: "error" });
  } finally {
    button.disabled = false;
  }
}

async function saveDrink(drink, changes, row) {
  row.classList.add("saving");
  try {
    const updated = await api.updateDrink(drink.id, changes);
    Object.assign(drink, updated);
    toast(t("bar.stock.saved", { drink: drinkName(drink.id, drink.name) }));
  } catch (error) {
    if (error.status === 401) return signOut(t("bar.signin.expired"));
    toast(t("bar.failed", { detail: error.problem?.detail || error.status }), { kind: "error" });
  } finally {
    row.classList.remove("saving");
    renderStock();
    renderSide();
    poller?.now();
  }
}

function toggleSound(button) {
  state.sound = !state.sound;
  local.set(KEY_SOUND, state.sound);
  button.setAttribute("aria-pressed", String(state.sound));
  if (state.sound) beep();
}

function beep() {
  try {
    audio = audio || new AudioContext();
    const now = audio.currentTime;
    for (const [offset, freq] of [[0, 880], [0.18, 1320]]) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + offset);
      gain.gain.exponentialRampToValueAtTime(0.25, now + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.16);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + offset);
      osc.stop(now + offset + 0.18);
    }
  } catch {
    /* no audio here */
  }
}

function announce(text) {
  if (els.announcer) els.announcer.textContent = text;
}

// ---------------------------------------------------------------- statistics

async function loadStats() {
  try {
    state.stats = await api.getStats();
    state.statsError = false;
  } catch (error) {
    if (error.status === 401) return signOut(t("bar.signin.expired"));
    state.statsError = true;
  }
  renderStatsPanel();
}

function setTab(tab, focus = false) {
  state.tab = tab;
  clearInterval(statsTimer);
  if (tab === "stats") {
    loadStats();
    statsTimer = setInterval(() => {
      if (!document.hidden) loadStats();
    }, STATS_EVERY_MS);
  }
  renderTabs();
  if (focus) els.tabs.querySelector(`[data-tab="${tab}"]`)?.focus();
}

// ---------------------------------------------------------------- rendering

function build() {
  document.body.classList.add("page-bar");
  const soundButton = h("button", {
    type: "button",
    class: "tool-button",
    "aria-pressed": String(state.sound),
    onclick: (e) => toggleSound(e.currentTarget),
  });
  const csvButton = h("button", { type: "button", class: "tool-button", onclick: (e) => exportCsv(e.currentTarget) });
  const signOutButton = h("button", { type: "button", class: "tool-button", onclick: () => signOut() });
  els = {
    net: h("span", { class: "bar-net", role: "status" }),
    soundButton,
    csvButton,
    signOutButton,
    announcer: h("p", { class: "visually-hidden", "aria-live": "polite" }),
    tabs: h("div", { class: "tabs", role: "tablist" }),
    panels: {},
    queue: h("ul", { class: "queue", "aria-labelledby": "queue-title" }),
    queueEmpty: h("p", { class: "queue-empty" }),
    filters: h("div", { class: "filters" }),
    side: h("div", { class: "side" }),
    stock: h("div", { class: "stock" }),
    stats: h("div", { class: "stats" }),
  };
  document.getElementById("topbar-tools").replaceChildren(els.net, soundButton, csvButton, signOutButton);
  for (const tab of ["queue", "stock", "stats"]) {
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
        els.filters,
        els.queue,
        els.queueEmpty),
      els.side));
  els.panels.stock.append(els.stock);
  els.panels.stats.append(els.stats);
  replace(main, h("div", { class: "bar" }, els.tabs, els.announcer, ...Object.values(els.panels)));
}

function renderAll() {
  if (!els.queue) return;
  renderToolbar();
  renderOrders();
  renderStock();
  renderStatsPanel();
}

/** What changes with the queue; leaves the stock form (maybe being typed in) alone. */
function renderOrders() {
  if (!els.queue) return;
  renderTabs();
  renderFilters();
  renderQueue();
  renderSide();
}

function renderToolbar() {
  els.soundButton.textContent = state.sound ? t("bar.sound_on") : t("bar.sound_off");
  els.soundButton.setAttribute("aria-pressed", String(state.sound));
  els.csvButton.textContent = t("bar.csv");
  els.signOutButton.textContent = t("bar.signout");
  renderNet();
}

function renderNet() {
  if (!els.net) return;
  els.net.className = `bar-net bar-net-${state.net}`;
  els.net.textContent = state.net === "ok" ? t("bar.live") : state.net === "offline" ? t("bar.offline") : t("bar.reconnecting");
}

function renderTabs() {
  const tabs = ["queue", "stock", "stats"];
  const open = [...state.orders.values()].length;
  els.tabs.setAttribute("aria-label", t("bar.tabs"));
  els.tabs.replaceChildren(...tabs.map((tab, index) => h("button", {
    type: "button",
    role: "tab",
    id: `tab-${tab}`,
    class: "tab",
    dataset: { tab },
    "aria-selected": String(state.tab === tab),
    "aria-controls": `panel-${tab}`,
    tabindex: state.tab === tab ? "0" : "-1",
    onclick: () => setTab(tab),
    onkeydown: (event) => {
      const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
      if (step) {
        event.preventDefault();
        setTab(tabs[(index + step + tabs.length) % tabs.length], true);
      }
    },
  },
  t(`bar.tab.${tab}`),
  tab === "queue" ? h("span", { class: "tab-count" }, String(open)) : null)));
  for (const tab of tabs) els.panels[tab].hidden = state.tab !== tab;
}

function counts() {
  const perStatus = { placed: 0, preparing: 0, ready: 0 };
  const perDrink = new Map();
  for (const order of state.orders.values()) {
    perStatus[order.status] += 1;
    const entry = perDrink.get(order.drink) || { placed: 0, preparing: 0, ready: 0 };
    entry[order.status] += 1;
    perDrink.set(order.drink, entry);
  }
  return { perStatus, perDrink };
}

function menuName(id) {
  return drinkName(id, state.menu.find((d) => d.id === id)?.name);
}

function renderFilters() {
  const { perStatus } = counts();
  const total = state.orders.size;
  const statusButtons = ["all", ...OPEN].map((status) => h("button", {
    type: "button",
    class: `chip status-chip-${status}`,
    "aria-pressed": String(state.filter.status === status),
    onclick: () => {
      state.filter.status = status;
      renderFilters();
      renderQueue();
    },
  },
  status === "all" ? t("bar.filter.all") : statusName(status),
  h("span", { class: "chip-count" }, String(status === "all" ? total : perStatus[status]))));

  const drinkSelect = h("select", {
    id: "filter-drink",
    onchange: (e) => {
      state.filter.drink = e.target.value;
      renderQueue();
      renderSide();
    },
  },
  h("option", { value: "" }, t("bar.filter.all_drinks")),
  state.menu.map((d) => h("option", { value: d.id, selected: state.filter.drink === d.id }, drinkName(d.id, d.name))));

  const sortSelect = h("select", {
    id: "sort-by",
    onchange: (e) => {
      state.sort = e.target.value;
      renderQueue();
    },
  },
  ["time", "nickname", "drink"].map((key) => h("option", { value: key, selected: state.sort === key }, t(`bar.sort.${key}`))));

  const focused = document.activeElement?.id;
  replace(els.filters,
    h("div", { class: "chips", role: "group", "aria-label": t("bar.filter.status") }, statusButtons),
    h("div", { class: "selects" },
      h("div", { class: "select-field" }, h("label", { for: "filter-drink" }, t("bar.filter.drink")), drinkSelect),
      h("div", { class: "select-field" }, h("label", { for: "sort-by" }, t("bar.sort.label")), sortSelect)));
  if (focused === "filter-drink" || focused === "sort-by") document.getElementById(focused)?.focus();
}

function visibleOrders() {
  const { status, drink } = state.filter;
  const list = [...state.orders.values()].filter((o) =>
    (status === "all" || o.status === status) && (!drink || o.drink === drink));
  const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });
  const byTime = (a, b) => (a.created_at ?? 0) - (b.created_at ?? 0) || a.id - b.id;
  if (state.sort === "nickname") list.sort((a, b) => collator.compare(a.nickname, b.nickname) || byTime(a, b));
  else if (state.sort === "drink") list.sort((a, b) => collator.compare(menuName(a.drink), menuName(b.drink)) || byTime(a, b));
  else list.sort(byTime);
  return list;
}

function age(order) {
  return formatDuration(Date.now() - (order.created_at ?? Date.now()));
}

function orderRow(order) {
  const next = NEXT[order.status];
  const busy = state.busy.has(order.id);
  const confirming = state.confirm?.id === order.id;
  const isNew = state.fresh.has(order.id) && Date.now() - state.fresh.get(order.id) < NEW_FOR_MS;
  const who = `#${order.number} ${order.nickname}`;
  return h("li", {
    class: `order-row status-${order.status} ${isNew ? "is-new" : ""} ${busy ? "is-busy" : ""}`,
    dataset: { id: order.id, status: order.status },
  },
  h("div", { class: "row-number" }, `#${order.number}`),
  drinkPicture(order.drink, { className: "row-picture", size: 48 }),
  h("div", { class: "row-main" },
    h("span", { class: "row-nick nick", dir: "auto" }, order.nickname),
    h("span", { class: "row-drink" }, menuName(order.drink)),
    h("span", { class: `badge badge-${order.status}` }, statusName(order.status)),
    isNew ? h("span", { class: "badge badge-new" }, t("bar.new")) : null),
  h("div", { class: "row-time" },
    h("time", { datetime: new Date(order.created_at ?? Date.now()).toISOString() }, formatTime(order.created_at)),
    h("span", { class: "row-age", dataset: { since: order.created_at ?? "" } }, age(order))),
  h("div", { class: "row-actions" },
    next ? h("button", {
      type: "button",
      class: `button action-${next}`,
      disabled: busy,
      "aria-label": t(`bar.action_label.${next}`, { who }),
      onclick: () => advance(order, next),
    }, t(`bar.action.${next}`)) : null,
    h("button", {
      type: "button",
      class: `button button-danger button-small ${confirming ? "confirming" : ""}`,
      disabled: busy,
      "aria-label": confirming ? t("bar.action_label.confirm_cancel", { who }) : t("bar.action_label.cancel", { who }),
      onclick: () => askCancel(order),
    }, confirming ? t("bar.action.confirm_cancel") : t("bar.action.cancel"))));
}

function renderQueue() {
  if (!els.queue) return;
  const focusedRow = document.activeElement?.closest?.(".order-row")?.dataset.id;
  const focusedClass = document.activeElement?.classList?.contains("button-danger") ? ".button-danger" : ".row-actions .button";
  const title = document.getElementById("queue-title");
  if (title) title.textContent = t("bar.queue_title");
  const list = visibleOrders();
  els.queue.replaceChildren(...list.map(orderRow));
  els.queueEmpty.textContent = state.orders.size === 0 ? t("bar.queue_empty") : t("bar.queue_filtered_empty");
  els.queueEmpty.hidden = list.length > 0;
  if (focusedRow) {
    const row = els.queue.querySelector(`[data-id="${focusedRow}"]`);
    (row?.querySelector(focusedClass) || row?.querySelector("button"))?.focus();
  }
}

function updateAges() {
  for (const el of els.queue?.querySelectorAll(".row-age") || []) {
    const since = Number(el.dataset.since);
    if (since) el.textContent = formatDuration(Date.now() - since);
  }
  for (const [id, since] of state.fresh) {
    if (Date.now() - since >= NEW_FOR_MS) {
      state.fresh.delete(id);
      els.queue?.querySelector(`[data-id="${id}"]`)?.classList.remove("is-new");
      els.queue?.querySelector(`[data-id="${id}"] .badge-new`)?.remove();
    }
  }
}

function renderSide() {
  const { perDrink } = counts();
  const rows = [...perDrink.entries()]
    .map(([drink, c]) => ({ drink, ...c, waiting: c.placed + c.preparing }))
    .filter((r) => r.waiting > 0 || r.ready > 0)
    .sort((a, b) => b.waiting - a.waiting || menuName(a.drink).localeCompare(menuName(b.drink)));
  const soldOut = state.menu.filter((d) => d.sold_out);
  replace(els.side,
    h("section", { class: "card batch", "aria-labelledby": "batch-title" },
      h("h2", { id: "batch-title" }, t("bar.batch.title")),
      rows.length === 0
        ? h("p", { class: "muted" }, t("bar.batch.empty"))
        : h("ul", { class: "batch-list" }, rows.map((r) => h("li", {},
          h("button", {
            type: "button",
            class: "batch-item",
            "aria-pressed": String(state.filter.drink === r.drink),
            "aria-label": t("bar.batch.label", { drink: menuName(r.drink), placed: r.placed, preparing: r.preparing, ready: r.ready }),
            onclick: () => {
              state.filter.drink = state.filter.drink === r.drink ? "" : r.drink;
              renderFilters();
              renderQueue();
              renderSide();
            },
          },
          drinkPicture(r.drink, { className: "batch-picture", size: 36 }),
          h("span", { class: "batch-name" }, menuName(r.drink)),
          h("span", { class: "batch-counts", "aria-hidden": "true" },
            h("span", { class: "count count-placed", title: statusName("placed") }, String(r.placed)),
            h("span", { class: "count count-preparing", title: statusName("preparing") }, String(r.preparing)),
            h("span", { class: "count count-ready", title: statusName("ready") }, String(r.ready))))))),
      h("p", { class: "batch-legend muted", "aria-hidden": "true" },
        h("span", { class: "count count-placed" }, statusName("placed")), " ",
        h("span", { class: "count count-preparing" }, statusName("preparing")), " ",
        h("span", { class: "count count-ready" }, statusName("ready")))),
    h("section", { class: "card soldout-card", "aria-labelledby": "soldout-title" },
      h("h2", { id: "soldout-title" }, t("bar.soldout.title")),
      soldOut.length === 0
        ? h("p", { class: "muted" }, t("bar.soldout.none"))
        : h("ul", { class: "soldout-list" }, soldOut.map((d) => h("li", {}, drinkName(d.id, d.name)))),
      h("button", { type: "button", class: "link-button", onclick: () => setTab("stock", true) }, t("bar.soldout.manage"))));
}

function renderStock() {
  if (!els.stock) return;
  const focusedId = document.activeElement?.id;
  // Keep what the bartender is typing across live updates.
  const typed = new Map([...els.stock.querySelectorAll("input[data-dirty]")].map((i) => [i.id, i.value]));
  replace(els.stock,
    h("h1", {}, t("bar.stock.title")),
    h("p", { class: "muted" }, t("bar.stock.hint")),
    h("ul", { class: "stock-list" }, state.menu.map((drink) => {
      const name = drinkName(drink.id, drink.name);
      const row = h("li", { class: `stock-row ${drink.sold_out ? "is-sold-out" : ""}`, dataset: { drink: drink.id } });
      const toggle = h("input", {
        type: "checkbox",
        role: "switch",
        id: `available-${drink.id}`,
        class: "switch",
        checked: drink.available,
        onchange: (e) => saveDrink(drink, { available: e.target.checked }, row),
      });
      const stockInput = h("input", {
        type: "number",
        id: `stock-${drink.id}`,
        min: 0,
        step: 1,
        inputmode: "numeric",
        placeholder: t("bar.stock.unlimited"),
        value: typed.has(`stock-${drink.id}`) ? typed.get(`stock-${drink.id}`) : drink.stock ?? "",
        "data-dirty": typed.has(`stock-${drink.id}`) ? "" : null,
        oninput: (e) => { e.target.dataset.dirty = ""; },
      });
      const form = h("form", {
        class: "stock-form",
        onsubmit: (e) => {
          e.preventDefault();
          const raw = stockInput.value.trim();
          const stock = raw === "" ? null : Number(raw);
          if (stock !== null && (!Number.isInteger(stock) || stock < 0)) {
            stockInput.setAttribute("aria-invalid", "true");
            toast(t("bar.stock.invalid"), { kind: "error" });
            return;
          }
          delete stockInput.dataset.dirty;
          stockInput.removeAttribute("aria-invalid");
          saveDrink(drink, { stock }, row);
        },
      },
      h("label", { for: `stock-${drink.id}`, class: "stock-label" }, t("bar.stock.portions")),
      stockInput,
      h("button", { type: "submit", class: "button button-secondary button-small" }, t("bar.stock.save")));
      return replace(row,
        drinkPicture(drink.id, { className: "stock-picture", size: 48 }),
        h("div", { class: "stock-name" },
          h("strong", {}, name),
          h("span", { class: `badge ${drink.sold_out ? "badge-soldout" : "badge-available"}` },
            drink.sold_out ? t("menu.sold_out") : t("bar.stock.on_menu"))),
        h("div", { class: "switch-field" },
          toggle,
          h("label", { for: `available-${drink.id}` }, t("bar.stock.available"))),
        form);
    })));
  if (focusedId) document.getElementById(focusedId)?.focus();
}

function renderStatsPanel() {
  if (!els.stats) return;
  renderStats(els.stats, state.stats, {
    error: state.statsError,
    drinkLabel: menuName,
    refresh: loadStats,
  });
}

// ---------------------------------------------------------------- start

export async function start(mainEl) {
  main = mainEl;
  document.body.classList.add("page-bar");
  onLanguageChange(() => {
    if (els.queue && poller) renderAll();
    else if (!poller) signInForm();
  });
  const token = session.getRaw(KEY_TOKEN);
  if (!token) {
    signInForm();
    return;
  }
  replace(main, h("p", { class: "loading" }, t("loading")));
  const message = await open(token);
  if (message) signInForm(message);
}
