// The poster (?qr): a large QR code of the visitor page, the event title and the live ticker.
// The URL is the page's own origin, or `?url=` (http/https only). The title is the event's
// (set at the bar), or `?title=`; while ordering is paused or closed the poster says so.
// When the bar requires an ordering key, the QR code carries it (`/?k=…`): the poster reads
// it with the bar token (typed once per tab, as on ?bar) and follows a new key live.
// Beside the code, a compact "Ready: 12 15 18" strip from GET /api/board, so one screen can
// be poster and pickup display at a small event. The ticker and the menu's version come from
// GET /api/visit (without a visitor): bounded, whatever the length of the evening.
// State: one store (menu for drink names, the event, the key, ticker entries, the ready
// numbers); `render(state)` draws it.

import * as api from "./api.js";
import { h, replace } from "./dom.js";
import { t, localText, onLanguageChange } from "./i18n.js";
import { SnapshotPoller } from "./poller.js";
import { createStore } from "./store.js";
import { TickerView } from "./ticker.js";
import { qrSvg } from "./qr.js";
import { session } from "./storage.js";

const KEY_TOKEN = "bar_token"; // the bar page's key: one sign-in serves both in a tab

const TICKER_MAX = 8;
/** The most ready numbers the strip shows (the oldest first), then "+N". */
const READY_MAX = 12;

function visitorUrl() {
  const override = new URLSearchParams(location.search).get("url");
  if (override) {
    try {
      const url = new URL(override, location.origin);
      if (url.protocol === "https:" || url.protocol === "http:") return url.href;
    } catch {
      /* fall back to our own origin */
    }
  }
  return `${location.origin}/`;
}

/** The visitor URL with the ordering key, when one is required. */
function withKey(href, key) {
  if (!key) return href;
  const url = new URL(href);
  url.searchParams.set("k", key);
  return url.href;
}

function shortUrl(href) {
  const url = new URL(href);
  return `${url.host}${url.pathname === "/" ? "" : url.pathname}${url.search}`;
}

const actions = {
  menu: (state, { drinks, event, etag }) => ({ ...state, menu: drinks, event, menuVersion: etag }),
  /** The ordering key (null: none required), or that the bar token is needed to read it. */
  key: (state, { orderKey = null, needToken = false, tokenError = "" }) => ({ ...state, orderKey, needToken, tokenError }),
  /** A new board: the ready orders' numbers, oldest first, and how many are ready. */
  board: (state, board) => ({
    ...state,
    ready: { numbers: board.orders.filter((o) => o.status === "ready").map((o) => o.number), total: board.total.ready },
  }),
  /** A new GET /api/visit: the ticker's newest lines (newest first). */
  visit: (state, visit) => ({ ...state, ticker: visit.ticker.slice(0, TICKER_MAX), tickerFilled: true }),
};

export async function start(main) {
  document.body.classList.add("page-poster");
  const store = createStore({
    url: visitorUrl(),
    title: new URLSearchParams(location.search).get("title"),
    menu: [],
    event: null,
    orderKey: null,
    needToken: false,
    tokenError: "",
    ticker: [],
    tickerFilled: false, // the first view fills the ticker without announcing each line
    menuVersion: null, // the ETag of the menu shown
    ready: { numbers: [], total: 0 },
  }, actions);

  const ticker = new TickerView();
  const els = {
    title: h("h1", { class: "poster-title", id: "poster-title-id" }),
    lead: h("p", { class: "poster-lead" }),
    welcome: h("p", { class: "poster-welcome" }),
    ordering: h("p", { class: "poster-ordering", role: "status", "aria-live": "polite" }),
    steps: h("ol", { class: "poster-steps" }),
    ready: h("p", { class: "poster-ready", role: "status", "aria-live": "polite" }),
    tickerTitle: h("h2", { id: "poster-ticker-title" }),
    qrBox: h("div", { class: "qr-box" }),
  };
  replace(main,
    h("div", { class: "poster" },
      h("section", { class: "poster-qr", "aria-labelledby": "poster-title-id" },
        h("div", { class: "poster-head" }, els.title, els.welcome, els.lead, els.ordering),
        els.qrBox,
        h("div", { class: "poster-side" }, els.ready, els.steps)),
      h("aside", { class: "poster-ticker", "aria-labelledby": "poster-ticker-title" }, els.tickerTitle, ticker.el)));

  /** Draws `state`; `previous` null (first render, new language) redraws everything. */
  function render(state, previous = null) {
    if (!previous || state.event !== previous.event) {
      const { event } = state;
      els.title.textContent = state.title || localText(event?.title) || t("poster.title");
      els.welcome.textContent = localText(event?.welcome);
      els.welcome.hidden = !els.welcome.textContent;
      const stopped = event && event.ordering !== "open";
      els.ordering.hidden = !stopped;
      els.ordering.className = `poster-ordering ${stopped ? `ordering-${event.ordering}` : ""}`;
      els.ordering.textContent = stopped
        ? [t(`poster.${event.ordering}`), localText(event.message)].filter(Boolean).join(" · ")
        : "";
    }
    if (!previous) {
      els.lead.textContent = t("poster.lead");
      replace(els.steps, ["poster.step1", "poster.step2", "poster.step3"].map((key) => h("li", {}, t(key))));
      els.tickerTitle.textContent = t("ticker.title");
    }
    const keyed = Boolean(state.event?.key_required);
    if (!previous || ["orderKey", "needToken", "tokenError"].some((k) => state[k] !== previous[k])
      || keyed !== Boolean(previous.event?.key_required)) {
      renderQr(state, keyed);
    }
    if (!previous || state.ready !== previous.ready) renderReady(state.ready);
    const full = !previous || state.tickerFilled !== previous.tickerFilled || state.menu !== previous.menu;
    ticker.render(state.ticker, state.menu, { full });
  }
  /** "Ready: 12 15 18 +3", or nothing while no order is ready. */
  function renderReady(ready) {
    const shown = ready.numbers.slice(0, READY_MAX);
    const more = ready.total - shown.length;
    els.ready.hidden = ready.total === 0;
    replace(els.ready,
      h("span", { class: "poster-ready-label" }, t("poster.ready")),
      shown.map((n) => h("span", { class: "poster-ready-number" }, String(n))),
      more > 0 ? h("span", { class: "poster-ready-more" }, t("board.more", { count: more })) : null);
  }

  /** The QR code (with the key when one is required), or the token form to read the key. */
  function renderQr(state, keyed) {
    if (keyed && state.needToken) {
      const input = h("input", { id: "poster-token", type: "password", autocomplete: "current-password", "aria-describedby": "poster-token-error" });
      const form = h("form", { class: "poster-signin" },
        h("p", {}, t("poster.key_signin")),
        h("label", { for: "poster-token", class: "field-label" }, t("poster.key_token")),
        input,
        h("p", { id: "poster-token-error", class: "field-error", role: "alert" }, state.tokenError ? t(state.tokenError) : ""),
        h("button", { type: "submit", class: "button" }, t("poster.key_show")));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const token = input.value.trim();
        if (!token) return;
        session.setRaw(KEY_TOKEN, token);
        loadKey();
      });
      replace(els.qrBox, form);
      return;
    }
    if (keyed && !state.orderKey) {
      replace(els.qrBox, h("p", { class: "loading" }, t("loading")));
      return;
    }
    const url = withKey(state.url, keyed ? state.orderKey : null);
    replace(els.qrBox,
      qrSvg(url, { label: t("poster.qr_label", { url: state.url }) }),
      h("p", { class: "qr-url" }, shortUrl(state.url)));
  }

  /** Reads the ordering key with the tab's bar token while the bar requires one. */
  async function loadKey() {
    if (!store.state.event?.key_required) return store.dispatch("key", {});
    const token = session.getRaw(KEY_TOKEN);
    if (!token) return store.dispatch("key", { needToken: true });
    api.setBarToken(token);
    try {
      const { order_key: orderKey } = await api.getEventKey();
      store.dispatch("key", { orderKey });
    } catch (error) {
      if (error.status === 401) {
        session.remove(KEY_TOKEN);
        store.dispatch("key", { needToken: true, tokenError: "bar.signin.wrong" });
      }
    }
  }

  store.subscribe(render);
  render(store.state);
  onLanguageChange(() => render(store.state));

  let menuLoad = null;
  const loadMenu = () => {
    menuLoad ??= api.getMenu()
      .then((m) => store.dispatch("menu", m))
      .then(loadKey)
      .catch(() => {})
      .finally(() => { menuLoad = null; });
    return menuLoad;
  };
  loadMenu();

  new SnapshotPoller({ fetch: api.getBoard, onView: (board) => store.dispatch("board", board) }).start();
  new SnapshotPoller({
    fetch: ({ etag }) => api.getVisit({ etag }),
    onView: (visit) => {
      // The bar changed a drink or the event's settings (or the key): read the menu again.
      if (visit.menu !== store.state.menuVersion) loadMenu();
      store.dispatch("visit", visit);
    },
  }).start();
}
