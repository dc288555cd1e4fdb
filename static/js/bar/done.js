// Bar page, "Done": the served and cancelled orders, newest first, searched by number or
// part of a nickname, a page at a time (GET /api/queue?status=served,cancelled&order=newest
// &q=…&after=…). Read when the tab opens and on every search; not live.

import * as api from "../api.js";
import { h, replace } from "../dom.js";
import { t, statusName, formatTime } from "../i18n.js";
import { NICKNAME_MAX_CHARS } from "../rules.js";
import { menuName } from "./queue.js";

const PAGE = 25;

/** The tab's state: the search, the orders read so far and the cursor of the next page. */
export const DONE_START = { q: "", orders: [], next: null, loading: false, error: false, loaded: false };

function doneRow(state, order) {
  const at = order.status === "cancelled" ? order.cancelled_at : order.served_at;
  const cancelled = order.status === "cancelled";
  return h("li", { class: `done-row status-${order.status}`, dataset: { id: order.id } },
    h("span", { class: "row-number" }, `#${order.number}`),
    h("span", { class: "row-nick nick", dir: "auto" }, order.nickname),
    h("span", { class: "row-drink" }, menuName(state, order.drink)),
    h("span", { class: `badge badge-${order.status}` }, statusName(order.status)),
    h("time", { datetime: at ? new Date(at).toISOString() : null }, at ? formatTime(at) : ""),
    cancelled && order.cancelled_by
      ? h("span", { class: "done-by" }, t(`bar.done.by_${order.cancelled_by}`))
      : null,
    cancelled && order.cancel_reason
      ? h("span", { class: "done-reason", dir: "auto" }, t("bar.done.reason", { reason: order.cancel_reason }))
      : null);
}

export function renderDone(el, state) {
  const done = state.done;
  const focused = document.activeElement?.id === "done-q";
  const typed = focused ? document.activeElement.value : done.q;
  const input = h("input", {
    type: "search",
    id: "done-q",
    name: "q",
    maxlength: NICKNAME_MAX_CHARS,
    value: typed,
    placeholder: t("bar.done.search_placeholder"),
    autocomplete: "off",
  });
  let body;
  if (done.error) body = h("p", { class: "done-empty", role: "status" }, t("bar.done.error"));
  else if (done.loaded && done.orders.length === 0) {
    body = h("p", { class: "done-empty", role: "status" }, done.q ? t("bar.done.none_found", { q: done.q }) : t("bar.done.empty"));
  } else body = null;
  replace(el,
    h("h2", { id: "done-title" }, t("bar.done.title")),
    h("form", { class: "done-search", role: "search", dataset: { action: "done-search" } },
      h("label", { for: "done-q" }, t("bar.done.search_label")),
      input,
      h("button", { type: "submit", class: "button", disabled: done.loading }, t("bar.done.search"))),
    h("ul", { class: "done-list", "aria-labelledby": "done-title" }, done.orders.map((o) => doneRow(state, o))),
    body,
    done.next
      ? h("button", { type: "button", class: "button button-secondary", dataset: { action: "done-more" }, disabled: done.loading }, t("bar.done.more"))
      : null);
  if (focused) {
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  }
}

/** Reading the list: `search(q)` starts again from the newest, `more()` adds the next page. */
export function doneActions(ctx) {
  const { store } = ctx;
  let asked = 0;

  async function read(q, after) {
    const ask = ++asked;
    const before = store.state.done;
    store.dispatch("done", { ...before, q, loading: true, error: false });
    try {
      const page = await api.getQueue({ status: "served,cancelled", order: "newest", q: q || null, after, limit: PAGE });
      if (ask !== asked) return;
      const orders = after ? [...before.orders, ...page.orders] : page.orders;
      store.dispatch("done", { q, orders, next: page.next, loading: false, error: false, loaded: true });
    } catch (error) {
      if (error.status === 401) return ctx.signOut(t("bar.signin.expired"));
      if (ask === asked) store.dispatch("done", { ...store.state.done, loading: false, error: true });
    }
  }

  return {
    search: (q) => read(q.trim(), null),
    more: () => {
      const { done } = store.state;
      if (done.next && !done.loading) read(done.q, done.next);
    },
    refresh: () => read(store.state.done.q, null),
  };
}
