// Bar page, clean public screens: a queue row's "Hide name" / "Show name" button. Hiding
// makes the ticker, the poster and the counter screen show "Guest #42" for this order (the
// bar and the guest still see the nickname); showing undoes it. Both are one request
// (PUT/DELETE /api/orders/{id}/name-hidden) and reach every open screen within one poll.

import * as api from "../api.js";
import { h, toast } from "../dom.js";
import { t } from "../i18n.js";

/** The row's button: "Hide name" while public screens show it, else "Show name". */
export function nameToggle(order, busy) {
  const hidden = Boolean(order.name_hidden);
  const who = `#${order.number} ${order.nickname}`;
  return h("button", {
    type: "button",
    class: "button button-secondary button-small name-toggle",
    dataset: { action: "name-hidden", id: order.id },
    disabled: busy,
    "aria-pressed": String(hidden),
    // The accessible name starts with the visible text (WCAG 2.5.3), then says whose name.
    "aria-label": `${t(hidden ? "bar.name.show" : "bar.name.hide")} – ${who}`,
  }, t(hidden ? "bar.name.show" : "bar.name.hide"));
}

/** The row's badge while the name is hidden from public screens. */
export function hiddenBadge(order) {
  return order.name_hidden ? h("span", { class: "badge badge-hidden" }, t("bar.name.hidden")) : null;
}

/** The toggle's request. `ctx`: `{store, signOut, pollNow}`. */
export function nameActions(ctx) {
  const { store } = ctx;
  return {
    async toggle(order) {
      if (store.state.busy.has(order.id)) return;
      store.dispatch("busy", { id: order.id, busy: true });
      try {
        const updated = order.name_hidden ? await api.showName(order.id) : await api.hideName(order.id);
        store.dispatch("moved", updated);
        toast(t(updated.name_hidden ? "bar.name.hidden_toast" : "bar.name.shown_toast", { number: updated.number }));
      } catch (error) {
        if (error.status === 401) ctx.signOut(t("bar.signin.expired"));
        else if (error.type === "order-not-found") store.dispatch("gone", order.id);
        else toast(t("bar.failed", { detail: error.problem?.detail || error.status }), { kind: "error" });
      } finally {
        store.dispatch("busy", { id: order.id, busy: false });
        ctx.pollNow();
      }
    },
  };
}
