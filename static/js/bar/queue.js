// Bar page, queue: the open orders with filters and sort, one-tap status moves, cancel with a
// second tap, batch moves (selected orders, or "start all" of a drink; one PATCH /api/orders),
// the compact layout, the "waiting per drink" and "sold out" cards. Rendering reads the
// store's state; the moves talk to the API and dispatch what came back.

import * as api from "../api.js";
import { h, replace, toast, formatDuration } from "../dom.js";
import { t, drinkName, statusName, formatTime } from "../i18n.js";
import { drinkPicture } from "../drinks.js";
import { OPEN, NEXT, BAR_MAY_CANCEL, BATCH_MAX_CHANGES, CANCEL_REASON_MAX_CHARS, UNDOABLE, UNDO_WINDOW_MS } from "../rules.js";
import { hiddenBadge, nameToggle } from "./names.js";

/** How long a new order is highlighted. */
export const NEW_FOR_MS = 20000;
const CONFIRM_MS = 4000;
/** How long an armed cancel waits once the bar started typing a reason. */
const REASON_MS = 60000;

export function menuName(state, id) {
  return drinkName(id, state.menu.find((d) => d.id === id));
}

function zeroPerStatus() {
  return Object.fromEntries(OPEN.map((status) => [status, 0]));
}

function counts(state) {
  const perStatus = zeroPerStatus();
  const perDrink = new Map();
  for (const order of state.orders.values()) {
    perStatus[order.status] += 1;
    const entry = perDrink.get(order.drink) || zeroPerStatus();
    entry[order.status] += 1;
    perDrink.set(order.drink, entry);
  }
  return { perStatus, perDrink };
}

function visibleOrders(state) {
  const { status, drink } = state.filter;
  const list = [...state.orders.values()].filter((o) =>
    (status === "all" || o.status === status) && (!drink || o.drink === drink));
  const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });
  const byTime = (a, b) => (a.created_at ?? 0) - (b.created_at ?? 0) || a.id - b.id;
  if (state.sort === "nickname") list.sort((a, b) => collator.compare(a.nickname, b.nickname) || byTime(a, b));
  else if (state.sort === "drink") {
    list.sort((a, b) => collator.compare(menuName(state, a.drink), menuName(state, b.drink)) || byTime(a, b));
  } else list.sort(byTime);
  return list;
}

// ---------------------------------------------------------------- rendering

export function renderFilters(el, state) {
  const { perStatus } = counts(state);
  const statusButtons = ["all", ...OPEN].map((status) => h("button", {
    type: "button",
    class: `chip status-chip-${status}`,
    dataset: { action: "filter-status", status },
    "aria-pressed": String(state.filter.status === status),
  },
  status === "all" ? t("bar.filter.all") : statusName(status),
  h("span", { class: "chip-count" }, String(status === "all" ? state.orders.size : perStatus[status]))));

  const drinkSelect = h("select", { id: "filter-drink", dataset: { action: "filter-drink" } },
    h("option", { value: "" }, t("bar.filter.all_drinks")),
    state.menu.map((d) => h("option", { value: d.id, selected: state.filter.drink === d.id }, drinkName(d.id, d))));
  const sortSelect = h("select", { id: "sort-by", dataset: { action: "sort" } },
    ["time", "nickname", "drink"].map((key) => h("option", { value: key, selected: state.sort === key }, t(`bar.sort.${key}`))));

  const focused = document.activeElement?.id;
  replace(el,
    h("div", { class: "chips", role: "group", "aria-label": t("bar.filter.status") }, statusButtons),
    h("div", { class: "selects" },
      h("div", { class: "select-field" }, h("label", { for: "filter-drink" }, t("bar.filter.drink")), drinkSelect),
      h("div", { class: "select-field" }, h("label", { for: "sort-by" }, t("bar.sort.label")), sortSelect)),
    h("button", {
      type: "button",
      id: "compact-toggle",
      class: "chip compact-toggle",
      dataset: { action: "compact" },
      "aria-pressed": String(state.compact),
    }, t("bar.compact")));
  if (["filter-drink", "sort-by", "compact-toggle"].includes(focused)) document.getElementById(focused)?.focus();
}

function age(order) {
  return formatDuration(Date.now() - (order.created_at ?? Date.now()));
}

function orderRow(state, order) {
  const next = NEXT[order.status];
  const busy = state.busy.has(order.id);
  const confirming = state.confirm === order.id;
  const isNew = state.fresh.has(order.id) && Date.now() - state.fresh.get(order.id) < NEW_FOR_MS;
  const who = `#${order.number} ${order.nickname}`;
  const selected = state.selected.has(order.id);
  return h("li", {
    class: `order-row status-${order.status} ${isNew ? "is-new" : ""} ${busy ? "is-busy" : ""} ${selected ? "is-selected" : ""}`,
    dataset: { id: order.id, status: order.status },
  },
  h("button", {
    type: "button",
    class: "row-select",
    dataset: { action: "select", id: order.id },
    "aria-pressed": String(selected),
    "aria-label": t("bar.select_label", { who }),
  }),
  h("div", { class: "row-number" }, `#${order.number}`),
  drinkPicture(state.menu.find((d) => d.id === order.drink) ?? order.drink, { className: "row-picture", size: 48 }),
  h("div", { class: "row-main" },
    h("span", { class: "row-nick nick", dir: "auto" }, order.nickname),
    h("span", { class: "row-drink" }, menuName(state, order.drink)),
    h("span", { class: `badge badge-${order.status}` }, statusName(order.status)),
    isNew ? h("span", { class: "badge badge-new" }, t("bar.new")) : null,
    hiddenBadge(order)),
  h("div", { class: "row-time" },
    h("time", { datetime: new Date(order.created_at ?? Date.now()).toISOString() }, formatTime(order.created_at)),
    h("span", { class: "row-age", dataset: { since: order.created_at ?? "" } }, age(order))),
  h("div", { class: "row-actions" },
    next ? h("button", {
      type: "button",
      class: `button action-${next}`,
      dataset: { action: "advance", id: order.id, next },
      disabled: busy,
      "aria-label": t(`bar.action_label.${next}`, { who }),
    }, t(`bar.action.${next}`)) : null,
    BAR_MAY_CANCEL.includes(order.status) ? h("button", {
      type: "button",
      class: `button button-danger button-small ${confirming ? "confirming" : ""}`,
      dataset: { action: "cancel", id: order.id },
      disabled: busy,
      "aria-label": confirming ? t("bar.action_label.confirm_cancel", { who }) : t("bar.action_label.cancel", { who }),
    }, confirming ? t("bar.action.confirm_cancel") : t("bar.action.cancel")) : null,
    nameToggle(order, busy)),
  confirming ? reasonInput(state, order, who) : null);
}

/** The optional reason of an armed cancel; the visitor's page shows it. */
function reasonInput(state, order, who) {
  return h("label", { class: "cancel-reason" },
    h("span", {}, t("bar.cancel_reason.label")),
    h("input", {
      type: "text",
      class: "cancel-reason-input",
      dataset: { reasonFor: order.id },
      maxlength: CANCEL_REASON_MAX_CHARS,
      value: state.cancelReason ?? "",
      placeholder: t("bar.cancel_reason.placeholder"),
      "aria-label": t("bar.cancel_reason.aria", { who }),
      autocomplete: "off",
    }));
}

export function renderQueue(els, state) {
  const focusedRow = document.activeElement?.closest?.(".order-row")?.dataset.id;
  const active = document.activeElement?.classList;
  const focusedClass = active?.contains("cancel-reason-input") ? ".cancel-reason-input" : active?.contains("button-danger") ? ".button-danger" : active?.contains("row-select") ? ".row-select" : ".row-actions .button";
  const title = document.getElementById("queue-title");
  if (title) title.textContent = t("bar.queue_title");
  const list = visibleOrders(state);
  els.queue.replaceChildren(...list.map((order) => orderRow(state, order)));
  els.queueEmpty.textContent = state.orders.size === 0 ? t("bar.queue_empty") : t("bar.queue_filtered_empty");
  els.queueEmpty.hidden = list.length > 0;
  if (focusedRow) {
    const row = els.queue.querySelector(`[data-id="${focusedRow}"]`);
    const target = row?.querySelector(focusedClass) || row?.querySelector("button");
    target?.focus();
    if (target?.classList.contains("cancel-reason-input")) target.setSelectionRange(target.value.length, target.value.length);
  }
}

/** The ages on the rows tick without a render. */
export function updateAges(queueEl) {
  for (const el of queueEl?.querySelectorAll(".row-age") || []) {
    const since = Number(el.dataset.since);
    if (since) el.textContent = formatDuration(Date.now() - since);
  }
}

export function renderSide(el, state) {
  const { perDrink } = counts(state);
  const rows = [...perDrink.entries()]
    .map(([drink, c]) => ({ drink, ...c, waiting: c.placed + c.preparing }))
    .filter((r) => r.waiting > 0 || r.ready > 0)
    .sort((a, b) => b.waiting - a.waiting || menuName(state, a.drink).localeCompare(menuName(state, b.drink)));
  const soldOut = state.menu.filter((d) => d.sold_out);
  const countsOf = (r) => OPEN.map((status) =>
    h("span", { class: `count count-${status}`, title: statusName(status) }, String(r[status])));
  replace(el,
    h("section", { class: "card batch", "aria-labelledby": "batch-title" },
      h("h2", { id: "batch-title" }, t("bar.batch.title")),
      rows.length === 0
        ? h("p", { class: "muted" }, t("bar.batch.empty"))
        : h("ul", { class: "batch-list" }, rows.map((r) => h("li", { class: "batch-row" },
          h("button", {
            type: "button",
            class: "batch-item",
            dataset: { action: "batch", drink: r.drink },
            "aria-pressed": String(state.filter.drink === r.drink),
          },
          drinkPicture(state.menu.find((d) => d.id === r.drink) ?? r.drink, { className: "batch-picture", size: 36 }),
          // Named by its content (axe: label-content-name-mismatch): the visible name for the
          // eye, the whole sentence for a screen reader.
          h("span", { class: "batch-name", "aria-hidden": "true" }, menuName(state, r.drink)),
          h("span", { class: "visually-hidden" }, t("bar.batch.label", { drink: menuName(state, r.drink), placed: r.placed, preparing: r.preparing, ready: r.ready })),
          h("span", { class: "batch-counts", "aria-hidden": "true" }, countsOf(r))),
          r.placed > 0 ? h("button", {
            type: "button",
            class: "button action-preparing start-all",
            dataset: { action: "start-all", drink: r.drink },
            disabled: placedOf(state, r.drink).every((o) => state.busy.has(o.id)),
          },
          t("bar.batch.start_all", { n: r.placed }),
          h("span", { class: "visually-hidden" }, ` ${t("bar.batch.start_all_label", { drink: menuName(state, r.drink) })}`)) : null))),
      h("p", { class: "batch-legend muted", "aria-hidden": "true" },
        OPEN.flatMap((status, i) => [i > 0 ? " " : null, h("span", { class: `count count-${status}` }, statusName(status))]))),
    h("section", { class: "card soldout-card", "aria-labelledby": "soldout-title" },
      h("h2", { id: "soldout-title" }, t("bar.soldout.title")),
      soldOut.length === 0
        ? h("p", { class: "muted" }, t("bar.soldout.none"))
        : h("ul", { class: "soldout-list" }, soldOut.map((d) => h("li", {}, drinkName(d.id, d)))),
      h("button", { type: "button", class: "link-button", dataset: { action: "manage-stock" } }, t("bar.soldout.manage"))));
}

/** "#12 is now Served · Undo" for a minute after this tablet's last single move. */
export function renderUndo(el, state) {
  const last = state.lastMove;
  el.hidden = !last;
  if (!last) {
    el.replaceChildren();
    return;
  }
  const { order } = last;
  const hadFocus = el.contains(document.activeElement);
  replace(el,
    h("p", { class: "undo-text" }, t("bar.undo.text", { number: order.number, status: statusName(order.status) })),
    h("button", {
      type: "button",
      class: "button button-secondary undo-button",
      dataset: { action: "undo" },
      disabled: state.busy.has(order.id),
      "aria-label": t("bar.undo.label", { number: order.number }),
    }, t("bar.undo.button")));
  if (hadFocus) el.querySelector("button")?.focus();
}

/** The batch bar under the queue: what the selected orders can do, with one tap each. */
export function renderSelection(el, state) {
  const chosen = selectedOrders(state);
  el.hidden = chosen.length === 0;
  if (chosen.length === 0) {
    el.replaceChildren();
    return;
  }
  const focused = document.activeElement?.closest?.(".selection-bar") ? document.activeElement.dataset.next ?? document.activeElement.dataset.action : null;
  const busy = chosen.some((o) => state.busy.has(o.id));
  const moves = [...new Set(OPEN.map((status) => NEXT[status]).filter(Boolean))];
  const cancellable = chosen.filter((o) => BAR_MAY_CANCEL.includes(o.status)).length;
  const confirming = state.confirm === "selection";
  replace(el,
    h("p", { id: "selection-count", class: "selection-count" }, t("bar.selection.count", { n: chosen.length })),
    h("div", { class: "selection-actions" },
      moves.map((next) => {
        const n = chosen.filter((o) => NEXT[o.status] === next).length;
        return h("button", {
          type: "button",
          class: `button action-${next}`,
          dataset: { action: "batch-move", next },
          disabled: busy || n === 0,
          title: t(`bar.selection.move_label.${next}`, { n }),
        }, `${t(`bar.action.${next}`)} (${n})`);
      }),
      h("button", {
        type: "button",
        class: `button button-danger ${confirming ? "confirming" : ""}`,
        dataset: { action: "batch-cancel" },
        disabled: busy || cancellable === 0,
        title: t(confirming ? "bar.selection.confirm_cancel_label" : "bar.selection.cancel_label", { n: cancellable }),
      }, confirming ? t("bar.action.confirm_cancel") : `${t("bar.action.cancel")} (${cancellable})`),
      h("button", { type: "button", class: "button button-secondary", dataset: { action: "select-none" } }, t("bar.selection.clear"))));
  if (focused) {
    (el.querySelector(`[data-next="${focused}"]`) || el.querySelector(`[data-action="${focused}"]`))?.focus();
  }
}

/** The selected orders that are still in the queue, oldest first. */
function selectedOrders(state) {
  return [...state.selected].map((id) => state.orders.get(id)).filter(Boolean).sort((a, b) => a.id - b.id);
}

/** The orders of a drink still waiting to be started, oldest first. */
function placedOf(state, drink) {
  return [...state.orders.values()].filter((o) => o.drink === drink && o.status === "placed").sort((a, b) => a.id - b.id);
}

// ---------------------------------------------------------------- moves

/**
 * The queue's actions on the server. `ctx`: `{store, signOut, pollNow, announce, flash}`.
 */
export function queueActions(ctx) {
  const { store } = ctx;
  let confirmTimer = null;

  function writeFailed(error, order) {
    if (error.status === 401) {
      ctx.signOut(t("bar.signin.expired"));
      return;
    }
    const current = error.problem?.order;
    // Someone else moved it: show what it is now.
    if (current) store.dispatch("current", current);
    if (error.type === "version-conflict" || error.type === "illegal-transition") {
      toast(t("bar.conflict", {
        number: order.number,
        status: statusName(current?.status ?? order.status),
      }), { kind: "warning", timeout: 7000 });
      ctx.flash(order.id);
    } else if (error.type === "order-not-found") {
      store.dispatch("gone", order.id);
      toast(t("bar.gone", { number: order.number }), { kind: "warning" });
    } else if (error.transient) {
      toast(t("bar.offline_action"), { kind: "error" });
    } else {
      toast(t("bar.failed", { detail: error.problem?.detail || error.status }), { kind: "error" });
    }
  }

  async function advance(order, status, reason = null) {
    if (store.state.busy.has(order.id)) return;
    store.dispatch("busy", { id: order.id, busy: true });
    try {
      const updated = await api.setOrderStatus(order.id, status, order.version, reason);
      store.dispatch("moved", updated);
      if (UNDOABLE.includes(updated.status)) remember(updated);
      if (status === "ready") ctx.announce(t("bar.announce_ready", { number: updated.number }));
    } catch (error) {
      writeFailed(error, order);
    } finally {
      store.dispatch("busy", { id: order.id, busy: false });
      ctx.pollNow();
    }
  }

  let undoTimer = null;

  /** Offers to take back this move for the window the server allows. */
  function remember(order) {
    clearTimeout(undoTimer);
    store.dispatch("lastMove", { order, at: Date.now() });
    undoTimer = setTimeout(() => store.dispatch("lastMove", null), UNDO_WINDOW_MS - 1000);
  }

  /** Takes back the last move (the server checks the version and the rule). */
  async function undo() {
    const last = store.state.lastMove;
    if (!last || store.state.busy.has(last.order.id)) return;
    const { order } = last;
    store.dispatch("busy", { id: order.id, busy: true });
    try {
      const back = await api.undoOrderStatus(order.id, order.version);
      store.dispatch("moved", back);
      ctx.announce(t("bar.undo.done", { number: back.number, status: statusName(back.status) }));
      toast(t("bar.undo.done", { number: back.number, status: statusName(back.status) }));
      ctx.flash(back.id);
    } catch (error) {
      if (error.status === 401) {
        ctx.signOut(t("bar.signin.expired"));
        return;
      }
      if (error.problem?.order) store.dispatch("current", error.problem.order);
      toast(error.transient ? t("bar.offline_action") : t("bar.undo.refused", {
        number: order.number,
        detail: error.problem?.detail || error.status,
      }), { kind: "warning", timeout: 8000 });
    } finally {
      clearTimeout(undoTimer);
      store.dispatch("lastMove", null);
      store.dispatch("busy", { id: order.id, busy: false });
      ctx.pollNow();
    }
  }

  /** The first tap arms the cancel button for a few seconds, the second one cancels. */
  function askCancel(order) {
    clearTimeout(confirmTimer);
    if (store.state.confirm === order.id) {
      const reason = (store.state.cancelReason ?? "").trim();
      store.dispatch("confirm", null);
      store.dispatch("cancelReason", "");
      advance(order, "cancelled", reason || null);
      return;
    }
    store.dispatch("cancelReason", "");
    store.dispatch("confirm", order.id);
    confirmTimer = setTimeout(() => store.dispatch("confirm", null), CONFIRM_MS);
    document.querySelector(`.queue [data-id="${order.id}"] .button-danger`)?.focus();
  }

  /** Typing a reason keeps the cancel armed (without a render: the input holds the text). */
  function typingReason(input) {
    if (store.state.confirm !== Number(input.dataset.reasonFor)) return;
    store.dispatch("cancelReason", input.value);
    clearTimeout(confirmTimer);
    confirmTimer = setTimeout(() => store.dispatch("confirm", null), REASON_MS);
  }

  /**
   * Moves `orders` to `status` with one request per BATCH_MAX_CHANGES orders (normally one);
   * each order is checked against the version shown. What moved is merged; what another
   * tablet changed meanwhile is shown as it is now, flashed, and listed in one toast.
   */
  async function moveMany(orders, status) {
    const list = orders.filter((o) => !store.state.busy.has(o.id));
    if (list.length === 0) return;
    const ids = list.map((o) => o.id);
    store.dispatch("busyMany", { ids, busy: true });
    const moved = [];
    const conflicts = [];
    try {
      for (let i = 0; i < list.length; i += BATCH_MAX_CHANGES) {
        const chunk = list.slice(i, i + BATCH_MAX_CHANGES);
        const answer = await api.setOrdersStatus(chunk.map((o) => ({ id: o.id, status, version: o.version })));
        moved.push(...answer.moved);
        conflicts.push(...answer.conflicts);
      }
    } catch (error) {
      if (error.status === 401) {
        ctx.signOut(t("bar.signin.expired"));
        return;
      }
      toast(error.transient ? t("bar.offline_action") : t("bar.failed", { detail: error.problem?.detail || error.status }), { kind: "error" });
    } finally {
      store.dispatch("busyMany", { ids, busy: false });
    }
    store.dispatch("movedMany", moved);
    store.dispatch("deselect", [...moved.map((o) => o.id), ...conflicts.map((c) => c.id)]);
    if (moved.length > 0) ctx.announce(t(`bar.batch.moved.${status}`, { n: moved.length }));
    if (conflicts.length > 0) {
      const shown = new Map(list.map((o) => [o.id, o]));
      const items = conflicts.map((c) => {
        const number = c.order?.number ?? shown.get(c.id)?.number ?? c.id;
        if (c.order) store.dispatch("current", c.order);
        else store.dispatch("gone", c.id);
        ctx.flash(c.id);
        return c.order ? t("bar.batch.now", { number, status: statusName(c.order.status) }) : t("bar.batch.gone_item", { number });
      });
      toast(t("bar.batch.not_moved", { n: conflicts.length, orders: items.join(", ") }), { kind: "warning", timeout: 9000 });
    }
    ctx.pollNow();
  }

  /** The batch bar's move: every selected order whose next status is `next`. */
  function moveSelected(next) {
    moveMany(selectedOrders(store.state).filter((o) => NEXT[o.status] === next), next);
  }

  /** Cancel of the selection: armed by the first tap, done by the second. */
  function askCancelSelected() {
    clearTimeout(confirmTimer);
    if (store.state.confirm === "selection") {
      store.dispatch("confirm", null);
      moveMany(selectedOrders(store.state).filter((o) => BAR_MAY_CANCEL.includes(o.status)), "cancelled");
      return;
    }
    store.dispatch("confirm", "selection");
    confirmTimer = setTimeout(() => store.dispatch("confirm", null), CONFIRM_MS);
  }

  /** "Start all" of the waiting-per-drink card: every placed order of the drink. */
  function startAll(drink) {
    moveMany(placedOf(store.state, drink), "preparing");
  }

  return { advance, askCancel, typingReason, moveSelected, askCancelSelected, startAll, undo };
}
