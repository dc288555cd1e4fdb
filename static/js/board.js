// The counter screen (?board): a full-screen pickup display for a TV or projector. Two
// columns, "Being prepared" (placed and preparing) and "Ready — please collect", each a grid
// of tiles with the short number large, the public name and the drink's picture. The newest
// ready order is highlighted for a few seconds, with an optional chime (a toggle kept in
// localStorage); ready orders not collected after the event's `ready_dim_minutes` are dimmed;
// served and cancelled orders leave. When more orders are open than fit, the oldest are
// shown and "+12 more": the page never scrolls.
//
// Live from GET /api/board (js/poller.js: ~2 s, 304 while nothing changed, backoff and
// recovery after a network loss), the drink pictures and the title from GET /api/menu, read
// again after each new board (a 304 while the menu is unchanged). No token: the board shows
// only what the public ticker shows. The screen is kept awake (Wake Lock API where there is
// one). State: one store; `render(state, previous)` draws it; fitting the tiles to the
// screen is measured after each render.

import * as api from "./api.js";
import { h, replace } from "./dom.js";
import { t, localText, drinkName, onLanguageChange } from "./i18n.js";
import { createStore } from "./store.js";
import { SnapshotPoller } from "./poller.js";
import { drinkPicture } from "./drinks.js";
import { publicName } from "./names.js";
import { local } from "./storage.js";

const KEY_CHIME = "board_chime";
/** How long the newest ready order stays highlighted. */
export const HIGHLIGHT_MS = 8000;
/** Tile sizes, largest first: a column takes the largest at which all its tiles fit. */
const SIZES = ["", "is-dense", "is-compact"];
/** How often dimming is looked at again without a new board. */
const DIM_CHECK_MS = 10000;

const actions = {
  board: (state, { board, receivedAt }) => {
    const readyBefore = new Set((state.board?.orders ?? []).filter((o) => o.status === "ready").map((o) => o.id));
    const arrived = board.orders.filter((o) => o.status === "ready" && !readyBefore.has(o.id));
    let highlight = state.highlight;
    // The newest order that became ready since the last board (none on the first one).
    if (state.board && arrived.length > 0) {
      const newest = arrived.reduce((a, b) => (b.since > a.since ? b : a));
      highlight = { id: newest.id, until: receivedAt + HIGHLIGHT_MS };
    }
    return { ...state, board, offset: board.now - receivedAt, highlight };
  },
  menu: (state, { drinks, event }) => ({ ...state, menu: drinks, event }),
  chime: (state, chime) => ({ ...state, chime }),
  net: (state, net) => (state.net === net ? state : { ...state, net }),
  unhighlight: (state, id) => (state.highlight?.id === id ? { ...state, highlight: null } : state),
  tick: (state) => ({ ...state, tick: state.tick + 1 }),
};

let audio = null;

/** A short two-note chime (Web Audio); silent where the browser does not allow sound yet. */
function chime() {
  try {
    audio = audio || new AudioContext();
    if (audio.state === "suspended") audio.resume().catch(() => {});
    const now = audio.currentTime;
    for (const [offset, freq] of [[0, 659], [0.22, 988]]) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + offset);
      gain.gain.exponentialRampToValueAtTime(0.3, now + offset + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.5);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + offset);
      osc.stop(now + offset + 0.55);
    }
  } catch {
    /* no Web Audio: the highlight alone */
  }
}

/** Keeps the screen on while the board is shown, where the browser has the Wake Lock API. */
function keepAwake() {
  if (!("wakeLock" in navigator)) return;
  let lock = null;
  const request = async () => {
    if (document.hidden || lock) return;
    try {
      lock = await navigator.wakeLock.request("screen");
      lock.addEventListener("release", () => {
        lock = null;
      });
    } catch {
      /* refused (e.g. battery saver): the screen's own settings apply */
    }
  };
  document.addEventListener("visibilitychange", request);
  request();
}

/** Shows the tiles of a list that fit in it, hides the rest; returns how many are hidden. */
function fit(list) {
  const tiles = [...list.children];
  for (const tile of tiles) tile.hidden = false;
  const bottom = list.clientHeight - parseFloat(getComputedStyle(list).paddingBottom || "0");
  let hidden = 0;
  for (const tile of tiles) {
    if (tile.offsetTop + tile.offsetHeight > bottom + 1) {
      tile.hidden = true;
      hidden += 1;
    }
  }
  return hidden;
}

export async function start(main) {
  document.body.classList.add("page-board");
  const store = createStore({
    board: null,
    offset: 0, // server clock minus ours, from the last board
    menu: [],
    event: null,
    chime: local.get(KEY_CHIME, false) === true,
    highlight: null, // {id, until}: the newest ready order, for a few seconds
    net: "ok",
    tick: 0,
  }, actions);

  const els = {
    title: h("h1", { class: "board-title", id: "board-title" }),
    hint: h("p", { class: "board-hint" }),
    net: h("p", { class: "board-net", role: "status", "aria-live": "polite" }),
    chime: h("button", { type: "button", class: "button button-secondary board-chime", dataset: { action: "chime" } }),
    columns: {},
    announcer: h("p", { class: "visually-hidden", role: "status", "aria-live": "polite" }),
  };
  for (const column of ["waiting", "ready"]) {
    const heading = h("h2", { class: "board-heading", id: `board-${column}-title` });
    const list = h("ol", { class: "board-list", "aria-labelledby": `board-${column}-title` });
    const more = h("p", { class: "board-more" });
    const empty = h("p", { class: "board-empty" });
    const section = h("section", { class: `board-column board-${column}`, "aria-labelledby": `board-${column}-title` },
      heading, h("div", { class: "board-frame" }, list, empty), more);
    els.columns[column] = { section, heading, list, more, empty };
  }
  replace(main,
    h("div", { class: "board" },
      h("header", { class: "board-head" },
        h("div", { class: "board-head-text" }, els.title, els.hint),
        h("div", { class: "board-tools" }, els.net, els.chime)),
      h("div", { class: "board-columns" }, els.columns.waiting.section, els.columns.ready.section),
      els.announcer));

  const drinkOf = (state, id) => state.menu.find((d) => d.id === id) ?? id;

  function tile(state, order, now) {
    const drink = drinkOf(state, order.drink);
    const dim = order.status === "ready" && now - order.since > (state.board.ready_dim_minutes * 60000);
    const highlighted = state.highlight?.id === order.id;
    const name = publicName(order);
    return h("li", {
      class: `board-tile status-${order.status} ${dim ? "is-dim" : ""} ${highlighted ? "is-highlight" : ""}`,
      dataset: { id: order.id, number: order.number },
      "aria-label": t("board.tile_label", { number: order.number, name, drink: drinkName(order.drink, typeof drink === "object" ? drink : null) }),
    },
    h("span", { class: "board-number", "aria-hidden": "true" }, String(order.number)),
    drinkPicture(drink, { className: "board-picture", size: 64 }),
    h("span", { class: `board-name nick ${order.nickname == null ? "nick-hidden" : ""}`, dir: "auto", "aria-hidden": "true" }, name));
  }

  function renderColumn(state, column, orders, total, now) {
    const c = els.columns[column];
    c.list.replaceChildren(...orders.map((o) => tile(state, o, now)));
    // Smaller tiles before anything is left out: the largest size at which all fit.
    let hidden = 0;
    for (const size of SIZES) {
      c.list.classList.remove(...SIZES.filter(Boolean));
      if (size) c.list.classList.add(size);
      hidden = fit(c.list);
      if (hidden === 0) break;
    }
    const more = total - (orders.length - hidden);
    c.more.textContent = more > 0 ? t("board.more", { count: more }) : "";
    c.empty.hidden = total > 0;
  }

  function render(state, previous = null) {
    const full = !previous;
    if (full || state.event !== previous.event) {
      els.title.textContent = localText(state.event?.title) || t("board.title");
      els.hint.textContent = t("board.hint");
    }
    if (full) {
      els.columns.waiting.heading.textContent = t("board.waiting");
      els.columns.ready.heading.textContent = t("board.ready");
      els.columns.waiting.empty.textContent = t("board.waiting_empty");
      els.columns.ready.empty.textContent = t("board.ready_empty");
    }
    if (full || state.chime !== previous.chime) {
      els.chime.textContent = t(state.chime ? "board.chime_on" : "board.chime_off");
      els.chime.setAttribute("aria-pressed", String(state.chime));
    }
    if (full || state.net !== previous.net) {
      els.net.textContent = state.net === "ok" ? "" : t(state.net === "offline" ? "board.offline" : "board.reconnecting");
      els.net.hidden = state.net === "ok";
    }
    const { board } = state;
    if (!board) return;
    if (full || ["board", "menu", "highlight", "tick"].some((k) => state[k] !== previous[k])) {
      const now = Date.now() + state.offset;
      const waiting = board.orders.filter((o) => o.status !== "ready");
      const ready = board.orders.filter((o) => o.status === "ready");
      renderColumn(state, "waiting", waiting, board.total.waiting, now);
      renderColumn(state, "ready", ready, board.total.ready, now);
    }
  }

  store.subscribe(render);
  render(store.state);
  onLanguageChange(() => render(store.state));
  window.addEventListener("resize", () => render(store.state));

  // Delegated, like every view: the one click listener reads `data-action`.
  main.addEventListener("click", (event) => {
    if (event.target.closest("[data-action]")?.dataset.action !== "chime") return;
    const on = !store.state.chime;
    local.set(KEY_CHIME, on);
    store.dispatch("chime", on);
    if (on) chime(); // the tap also unlocks sound in browsers that need a gesture
  });

  // The newest ready order: announced, chimed, highlighted for a few seconds.
  store.subscribe((state, previous) => {
    if (!state.highlight || state.highlight === previous?.highlight) return;
    const order = state.board.orders.find((o) => o.id === state.highlight.id);
    if (order) els.announcer.textContent = t("board.announce", { number: order.number, name: publicName(order) });
    if (state.chime) chime();
    const { id, until } = state.highlight;
    setTimeout(() => store.dispatch("unhighlight", id), Math.max(0, until - Date.now()));
  });
  setInterval(() => store.dispatch("tick"), DIM_CHECK_MS);

  const loadMenu = () => api.getMenu().then((m) => store.dispatch("menu", m)).catch(() => {});
  loadMenu();
  keepAwake();
  new SnapshotPoller({
    fetch: api.getBoard,
    onView: (board) => {
      store.dispatch("board", { board, receivedAt: Date.now() });
      loadMenu();
    },
    onState: (net) => store.dispatch("net", net),
  }).start();
}
