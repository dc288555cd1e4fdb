// The visitor page (default view): nickname, picture grid of drinks, the visitor's order
// live (placed → preparing → ready → served), cancel while placed, the ticker.
//
// A tapped drink becomes a *pending* order in localStorage with a fresh request_id and is
// sent until the server answers; lost Wi-Fi or a reload only delay it, and a retry with the
// same request_id never creates a second order.

import * as api from "./api.js";
import { h, replace } from "./dom.js";
import { t, tNodes, drinkName, statusName, formatTime, onLanguageChange, applyStatic } from "./i18n.js";
import { local, uuid } from "./storage.js";
import { FeedPoller } from "./poller.js";
import { Ticker } from "./ticker.js";
import { drinkPicture, applyDrinkEvent } from "./drinks.js";

const KEY_VISITOR = "visitor_id";
const KEY_NICKNAME = "nickname";
const KEY_PENDING = "pending_order";
const KEY_ORDER = "order";
const STEPS = ["placed", "preparing", "ready", "served"];
const OPEN = new Set(["placed", "preparing", "ready"]);
const RECENT_MS = 2 * 60 * 60 * 1000;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const state = {
  visitorId: null,
  menu: null, // [{id, name, available, stock, sold_out}] once loaded
  menuError: false,
  order: null, // the visitor's latest order
  pending: null, // {requestId, drink, nickname, since}
  net: "ok", // "ok" | "sending" | "offline" | "error"
  notice: null, // {key, params, kind}
  nicknameError: null,
};

let els;
let ticker;
let poller;
let sending = false;
let wake = () => {};
const originalTitle = document.title;

function visitorId() {
  let id = local.getRaw(KEY_VISITOR);
  if (!id || !UUID_RE.test(id)) {
    id = uuid();
    local.setRaw(KEY_VISITOR, id);
  }
  return id;
}

function codePoints(text) {
  return [...text].length;
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
    maxlength: 64,
    required: true,
    "aria-describedby": "nickname-hint nickname-error",
    value: local.getRaw(KEY_NICKNAME) || "",
  });
  nicknameInput.addEventListener("input", () => {
    local.setRaw(KEY_NICKNAME, nicknameInput.value);
    if (state.nicknameError) {
      state.nicknameError = null;
      renderNickname();
    }
  });
  const form = h(
    "form",
    { class: "nickname-form", novalidate: true, onsubmit: (e) => { e.preventDefault(); nicknameInput.blur(); } },
    h("label", { for: "nickname", class: "field-label", "data-i18n": "nickname.label" }),
    nicknameInput,
    h("p", { id: "nickname-hint", class: "field-hint", "data-i18n": "nickname.hint" }),
    h("p", { id: "nickname-error", class: "field-error", role: "alert" }),
  );

  els = {
    nickname: nicknameInput,
    nicknameError: form.querySelector("#nickname-error"),
    net: h("div", { class: "net", role: "status", "aria-live": "polite" }),
    status: h("section", { class: "status-area", "aria-live": "polite", "aria-atomic": "true", "aria-labelledby": "status-title" }),
    notice: h("div", { class: "notice-area", role: "alert" }),
    grid: h("ul", { class: "drink-grid", "aria-labelledby": "menu-title" }),
    gridHint: h("p", { class: "section-hint", id: "menu-hint" }),
  };
  ticker = new Ticker({ max: 10, menu: () => state.menu || [] });

  replace(
    main,
    h("div", { class: "visitor" },
      h("div", { class: "visitor-main" },
        h("h1", { class: "page-title", "data-i18n": "visitor.title" }),
        form,
        els.net,
        els.status,
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
    ),
  );
  applyStatic(main);
}

function renderNickname() {
  els.nicknameError.textContent = state.nicknameError ? t(state.nicknameError) : "";
  els.nickname.setAttribute("aria-invalid", state.nicknameError ? "true" : "false");
}

function renderNet() {
  const { net, pending } = state;
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

function menuName(id) {
  return drinkName(id, state.menu?.find((d) => d.id === id)?.name);
}

function renderNotice() {
  const n = state.notice;
  if (!n) {
    els.notice.replaceChildren();
    return;
  }
  replace(els.notice,
    h("div", { class: `notice notice-${n.kind || "info"}` },
      h("p", {}, t(n.key, n.params || {})),
      h("button", { type: "button", class: "link-button", onclick: () => { state.notice = null; renderNotice(); } }, t("action.dismiss")),
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

function renderStatus() {
  const { pending, order } = state;
  let card;
  if (pending) {
    const offline = state.net === "offline" || state.net === "error";
    card = h("div", { class: `status-card sending ${offline ? "is-offline" : ""}` },
      h("h2", { id: "status-title", class: "status-title" },
        offline ? t("order.waiting_title") : t("order.sending_title")),
      h("div", { class: "status-body" },
        drinkPicture(pending.drink, { className: "status-picture", size: 64 }),
        h("p", {}, offline
          ? t("order.waiting_text", { drink: menuName(pending.drink) })
          : t("order.sending_text", { drink: menuName(pending.drink) })),
      ),
      offline ? null : h("span", { class: "spinner", "aria-hidden": "true" }),
    );
  } else if (order) {
    const drink = menuName(order.drink);
    const number = h("span", { class: "order-number" }, `#${order.number}`);
    const body = [];
    if (order.status === "ready") {
      card = h("div", { class: "status-card status-ready" },
        h("h2", { id: "status-title", class: "ready-title" }, t("order.ready_title")),
        h("p", { class: "ready-number" }, h("span", { class: "visually-hidden" }, t("order.number_label")), `#${order.number}`),
        h("p", { class: "ready-text" }, t("order.ready_text", { drink, number: order.number })),
        stepList(order.status),
      );
    } else {
      if (order.status === "placed") {
        body.push(h("p", { class: "status-hint" }, t("order.placed_hint")));
        body.push(h("div", { class: "status-actions" },
          h("button", { type: "button", class: "button button-secondary", id: "cancel-order", onclick: cancel }, t("order.cancel"))));
      } else if (order.status === "preparing") {
        body.push(h("p", { class: "status-hint" }, t("order.preparing_hint")));
      } else if (order.status === "served") {
        body.push(h("p", { class: "status-hint" }, t("order.served_hint")));
      } else if (order.status === "cancelled") {
        body.push(h("p", { class: "status-hint" }, t("order.cancelled_hint")));
      }
      card = h("div", { class: `status-card status-${order.status}` },
        h("div", { class: "status-head" },
          drinkPicture(order.drink, { className: "status-picture", size: 64 }),
          h("div", {},
            h("h2", { id: "status-title", class: "status-title" },
              tNodes("order.title", { number, drink })),
            h("p", { class: "status-now", "data-status": order.status },
              t("order.status_line", { status: statusName(order.status) }),
              " · ",
              h("time", { datetime: new Date(order.updated_at || order.created_at || Date.now()).toISOString() },
                formatTime(order.updated_at || order.created_at || Date.now()))),
          ),
        ),
        order.status === "cancelled" ? null : stepList(order.status),
        body,
      );
    }
  } else {
    card = h("div", { class: "status-card status-none" },
      h("h2", { id: "status-title", class: "status-title" }, t("order.none_title")),
      h("p", { class: "status-hint" }, t("order.none_hint")),
    );
  }
  replace(els.status, card);
}

function renderGrid() {
  const focusedId = document.activeElement?.closest?.(".drink")?.dataset.drink;
  if (!state.menu) {
    els.gridHint.textContent = state.menuError ? t("menu.error") : t("loading");
    if (state.menuError) {
      els.grid.replaceChildren(h("li", {}, h("button", { type: "button", class: "button", onclick: loadMenu }, t("action.retry"))));
    } else {
      els.grid.replaceChildren(...Array.from({ length: 5 }, () => h("li", { class: "drink-skeleton", "aria-hidden": "true" })));
    }
    return;
  }
  const chosen = state.pending?.drink ?? (state.order && OPEN.has(state.order.status) ? state.order.drink : null);
  const status = state.pending ? null : state.order?.status;
  els.gridHint.textContent = status === "placed"
    ? t("menu.hint_change")
    : status === "preparing" || status === "ready"
      ? t("menu.hint_locked")
      : t("menu.hint");
  els.grid.replaceChildren(
    ...state.menu.map((drink) => {
      const selected = drink.id === chosen;
      const name = drinkName(drink.id, drink.name);
      let note = null;
      if (drink.sold_out) note = t("menu.sold_out");
      else if (selected) note = t("menu.your_choice");
      else if (Number.isInteger(drink.stock) && drink.stock <= 5) note = t("menu.few_left", { n: drink.stock });
      return h("li", {},
        h("button", {
          type: "button",
          class: `drink ${selected ? "selected" : ""} ${drink.sold_out ? "sold-out" : ""}`,
          dataset: { drink: drink.id },
          disabled: drink.sold_out,
          "aria-pressed": selected ? "true" : "false",
          onclick: () => choose(drink.id),
        },
        drinkPicture(drink.id),
        h("span", { class: "drink-name" }, name),
        note ? h("span", { class: "drink-note" }, note) : null,
        selected ? h("span", { class: "drink-check", "aria-hidden": "true" }, "✓") : null),
      );
    }),
  );
  if (focusedId) els.grid.querySelector(`[data-drink="${CSS.escape(focusedId)}"]`)?.focus();
}

function renderAll() {
  renderNickname();
  renderNet();
  renderStatus();
  renderNotice();
  renderGrid();
  ticker.renderAll();
  updateTitle();
}

function updateTitle() {
  document.title = state.order?.status === "ready" && !state.pending
    ? `✓ ${t("order.ready_title")} – #${state.order.number}`
    : `${t("app.title")}`;
  if (!document.title) document.title = originalTitle;
}

// ---------------------------------------------------------------- order state

function setOrder(order, { fromServer = true } = {}) {
  if (!order) return;
  const previous = state.order;
  if (previous && previous.id === order.id && order.version < previous.version) return;
  if (previous && previous.id !== order.id && previous.id > order.id && fromServer) return;
  const merged = previous && previous.id === order.id ? { ...previous, ...order } : { ...order };
  state.order = merged;
  local.set(KEY_ORDER, merged);
  if (merged.status === "ready" && !(previous && previous.id === merged.id && previous.status === "ready")) {
    celebrate();
  }
  renderStatus();
  renderGrid();
  updateTitle();
}

function celebrate() {
  try {
    if (navigator.vibrate) navigator.vibrate([300, 120, 300, 120, 500]);
  } catch {
    /* no vibration here */
  }
}

function setNet(net) {
  if (state.net === net) return;
  state.net = net;
  renderNet();
  renderStatus();
}

// ---------------------------------------------------------------- actions

function choose(drinkId) {
  const nickname = els.nickname.value.trim();
  if (!nickname) {
    state.nicknameError = "nickname.required";
    renderNickname();
    els.nickname.focus();
    return;
  }
  if (codePoints(nickname) > 32) {
    state.nicknameError = "nickname.too_long";
    renderNickname();
    els.nickname.focus();
    return;
  }
  state.nicknameError = null;
  renderNickname();
  local.setRaw(KEY_NICKNAME, nickname);
  const order = state.order;
  if (order && (order.status === "preparing" || order.status === "ready") && !state.pending) {
    state.notice = { key: "notice.in_progress", params: { number: order.number }, kind: "warning" };
    renderNotice();
    els.status.scrollIntoView({ block: "nearest", behavior: "smooth" });
    return;
  }
  if (order && order.status === "placed" && order.drink === drinkId && order.nickname === nickname && !state.pending) {
    els.status.scrollIntoView({ block: "nearest", behavior: "smooth" });
    return;
  }
  state.notice = null;
  state.pending = { requestId: uuid(), drink: drinkId, nickname, since: Date.now() };
  local.set(KEY_PENDING, state.pending);
  renderNotice();
  renderStatus();
  renderGrid();
  els.status.scrollIntoView({ block: "nearest", behavior: "smooth" });
  wake();
  sendPending();
}

function sleep(ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      window.removeEventListener("online", done);
      wake = () => {};
      resolve();
    }
    wake = done;
    window.addEventListener("online", done);
  });
}

/** Sends the pending order until the server answers; one loop at a time. */
async function sendPending() {
  if (sending) return;
  sending = true;
  let attempt = 0;
  try {
    while (state.pending) {
      const pending = state.pending;
      if (state.net === "ok") setNet("sending");
      try {
        const { order } = await api.placeOrder({
          visitorId: state.visitorId,
          nickname: pending.nickname,
          drink: pending.drink,
          requestId: pending.requestId,
        });
        attempt = 0;
        if (state.pending && state.pending.requestId === pending.requestId) clearPending();
        setNet("ok");
        setOrder(order);
        poller?.now();
      } catch (error) {
        if (!(error instanceof api.ApiError) || error.transient) {
          attempt += 1;
          setNet(navigator.onLine === false || error.network ? "offline" : "error");
          const base = Math.min(30000, 1000 * 2 ** Math.min(attempt, 5));
          let delay = base / 2 + Math.random() * (base / 2);
          if (error.retryAfter) delay = Math.max(delay, error.retryAfter);
          await sleep(delay);
          continue;
        }
        if (state.pending && state.pending.requestId === pending.requestId) clearPending();
        setNet("ok");
        refused(error, pending);
      }
    }
  } finally {
    sending = false;
    if (state.net === "sending") setNet("ok");
  }
}

function clearPending() {
  state.pending = null;
  local.remove(KEY_PENDING);
  renderStatus();
  renderGrid();
}

function refused(error, pending) {
  const drink = menuName(pending.drink);
  switch (error.type) {
    case "sold-out": {
      const item = state.menu?.find((d) => d.id === pending.drink);
      if (item) item.sold_out = true;
      state.notice = { key: "notice.sold_out", params: { drink }, kind: "warning" };
      break;
    }
    case "order-in-progress":
      if (error.problem?.order) setOrder(error.problem.order);
      state.notice = { key: "notice.in_progress", params: { number: error.problem?.order?.number ?? "" }, kind: "warning" };
      break;
    case "invalid-field":
      if (error.problem?.field === "nickname") {
        state.nicknameError = "nickname.invalid";
        renderNickname();
        els.nickname.focus();
        state.notice = null;
      } else {
        state.notice = { key: "notice.refused", params: {}, kind: "error" };
      }
      break;
    case "unknown-drink":
      state.notice = { key: "notice.unknown_drink", params: { drink }, kind: "error" };
      loadMenu();
      break;
    default:
      state.notice = { key: "notice.refused", params: {}, kind: "error" };
  }
  renderNotice();
  renderGrid();
}

async function cancel() {
  const order = state.order;
  if (!order || order.status !== "placed") return;
  const button = document.getElementById("cancel-order");
  if (button) button.disabled = true;
  try {
    setOrder(await api.cancelOrder(state.visitorId, order.id));
    state.notice = null;
    poller?.now();
  } catch (error) {
    if (error.problem?.order) setOrder(error.problem.order);
    state.notice = error.type === "order-in-progress"
      ? { key: "notice.cancel_too_late", params: { number: order.number }, kind: "warning" }
      : { key: error.transient ? "notice.cancel_offline" : "notice.refused", params: {}, kind: "error" };
    if (button) button.disabled = false;
  }
  renderNotice();
}

// ---------------------------------------------------------------- live updates

function onEvents(events) {
  let menuChanged = false;
  for (const event of events) {
    if (event.kind === "drink" && event.drink && state.menu) {
      const drink = state.menu.find((d) => d.id === event.drink.id);
      if (drink) {
        applyDrinkEvent(drink, event.drink);
        menuChanged = true;
      } else {
        loadMenu();
      }
    } else if (event.order && state.order && event.order.id === state.order.id) {
      if (event.order.version > state.order.version) {
        setOrder({ ...event.order, updated_at: event.at });
      }
    }
  }
  ticker.apply(events);
  if (menuChanged) renderGrid();
}

async function loadMenu() {
  try {
    state.menu = (await api.getMenu()).drinks;
    state.menuError = false;
  } catch {
    state.menuError = !state.menu;
    setTimeout(loadMenu, 5000);
  }
  renderGrid();
}

async function startFeed() {
  let cursor = null;
  for (let attempt = 0; cursor === null; attempt += 1) {
    try {
      const page = await api.getFeed({ tail: 50 });
      ticker.apply(page.events.slice(-50), { quiet: true });
      // Own-order events in the tail (a reload) count too.
      onEvents(page.events.filter((e) => e.kind === "drink" || (e.order && state.order && e.order.id === state.order.id)));
      cursor = page.next;
    } catch {
      setNet(navigator.onLine === false ? "offline" : "error");
      await new Promise((r) => setTimeout(r, Math.min(30000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2)));
    }
  }
  if (!state.pending) setNet("ok");
  poller = new FeedPoller({
    cursor,
    onEvents,
    onState: (s) => {
      if (state.pending) return; // the sender reports the connection while it works
      setNet(s === "ok" ? "ok" : s);
      if (s === "ok") refreshMine();
    },
    onReset: async () => {
      const page = await api.getFeed();
      refreshMine();
      return page.next;
    },
  });
  poller.start();
}

async function refreshMine() {
  try {
    const { orders } = await api.getMine(state.visitorId);
    const latest = orders[0];
    if (!latest) return;
    const recent = Date.now() - (latest.updated_at || 0) < RECENT_MS;
    if (OPEN.has(latest.status) || recent || (state.order && state.order.id === latest.id)) setOrder(latest);
  } catch {
    /* the feed keeps the order current; the cached copy stays on screen meanwhile */
  }
}

// ---------------------------------------------------------------- start

export async function start(main) {
  document.body.classList.add("page-visitor");
  state.visitorId = visitorId();
  state.pending = local.get(KEY_PENDING);
  if (state.pending && (!state.pending.requestId || !state.pending.drink)) state.pending = null;
  const cached = local.get(KEY_ORDER);
  if (cached && typeof cached.id === "number") state.order = cached;
  build(main);
  renderAll();
  onLanguageChange(renderAll);
  window.addEventListener("offline", () => setNet("offline"));
  window.addEventListener("online", () => {
    if (state.net === "offline") setNet(state.pending ? "sending" : "ok");
    poller?.now();
  });
  if (navigator.onLine === false) setNet("offline");
  if (state.pending) sendPending();
  await Promise.all([loadMenu(), refreshMine()]);
  await startFeed();
}

