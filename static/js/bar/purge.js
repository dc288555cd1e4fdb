// Bar page, "after the event" (Event tab): delete the served and cancelled orders, with their
// nicknames, after a confirmation (DELETE /api/orders?before=now). Open orders stay.

import * as api from "../api.js";
import { h, replace, toast } from "../dom.js";
import { t } from "../i18n.js";

/** `state.purge`: null, "confirm" (asking) or "running". */
export function renderPurge(el, state) {
  const asking = state.purge === "confirm";
  replace(el,
    h("section", { class: "card purge", "aria-labelledby": "purge-title" },
      h("h2", { id: "purge-title" }, t("bar.purge.title")),
      h("p", { class: "field-hint" }, t("bar.purge.hint")),
      asking ? h("p", { class: "purge-question", role: "alert" }, t("bar.purge.question")) : null,
      h("div", { class: "purge-actions" },
        asking
          ? [
            h("button", { type: "button", class: "button button-danger confirming", dataset: { action: "purge-confirm" } }, t("bar.purge.confirm")),
            h("button", { type: "button", class: "button button-secondary", dataset: { action: "purge-keep" } }, t("bar.purge.keep")),
          ]
          : h("button", {
            type: "button",
            class: "button button-danger",
            dataset: { action: "purge" },
            disabled: state.purge === "running",
          }, t("bar.purge.button")))));
  if (asking) el.querySelector('[data-action="purge-keep"]')?.focus();
}

/** The purge's steps. `ctx`: `{store, signOut, announce}`. */
export function purgeActions(ctx) {
  const { store } = ctx;
  return {
    ask: () => store.dispatch("purge", "confirm"),
    keep: () => store.dispatch("purge", null),
    async confirm() {
      store.dispatch("purge", "running");
      try {
        const { purged } = await api.purgeOrders(Date.now());
        toast(t("bar.purge.done", { n: purged }), { kind: "info", timeout: 8000 });
      } catch (error) {
        if (error.status === 401) return ctx.signOut(t("bar.signin.expired"));
        toast(error.transient ? t("bar.offline_action") : t("bar.failed", { detail: error.problem?.detail || error.status }), { kind: "error" });
      } finally {
        if (store.state.purge === "running") store.dispatch("purge", null);
      }
    },
  };
}
