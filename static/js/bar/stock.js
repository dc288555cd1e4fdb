// Bar page, stock: per drink an "on the menu" switch and the portions left (empty =
// unlimited), saved with PATCH /api/drinks/{id}. What is being typed survives live updates.

import * as api from "../api.js";
import { h, replace, toast } from "../dom.js";
import { t, drinkName } from "../i18n.js";
import { drinkPicture } from "../drinks.js";

export function renderStock(el, state) {
  const focusedId = document.activeElement?.id;
  // Keep what the bartender is typing across live updates.
  const typed = new Map([...el.querySelectorAll("input[data-dirty]")].map((i) => [i.id, i.value]));
  replace(el,
    h("h1", {}, t("bar.stock.title")),
    h("p", { class: "muted" }, t("bar.stock.hint")),
    h("ul", { class: "stock-list" }, state.menu.map((drink) => {
      const stockId = `stock-${drink.id}`;
      return h("li", { class: `stock-row ${drink.sold_out ? "is-sold-out" : ""} ${state.saving.has(drink.id) ? "saving" : ""}`, dataset: { drink: drink.id } },
        drinkPicture(drink.id, { className: "stock-picture", size: 48 }),
        h("div", { class: "stock-name" },
          h("strong", {}, drinkName(drink.id, drink.name)),
          h("span", { class: `badge ${drink.sold_out ? "badge-soldout" : "badge-available"}` },
            drink.sold_out ? t("menu.sold_out") : t("bar.stock.on_menu"))),
        h("div", { class: "switch-field" },
          h("input", {
            type: "checkbox",
            role: "switch",
            id: `available-${drink.id}`,
            class: "switch",
            checked: drink.available,
            dataset: { action: "available", drink: drink.id },
          }),
          h("label", { for: `available-${drink.id}` }, t("bar.stock.available"))),
        h("form", { class: "stock-form", dataset: { action: "stock", drink: drink.id } },
          h("label", { for: stockId, class: "stock-label" }, t("bar.stock.portions")),
          h("input", {
            type: "number",
            id: stockId,
            min: 0,
            step: 1,
            inputmode: "numeric",
            placeholder: t("bar.stock.unlimited"),
            value: typed.has(stockId) ? typed.get(stockId) : drink.stock ?? "",
            "data-dirty": typed.has(stockId) ? "" : null,
          }),
          h("button", { type: "submit", class: "button button-secondary button-small" }, t("bar.stock.save"))));
    })));
  if (focusedId) document.getElementById(focusedId)?.focus();
}

/** The stock tab's events, delegated from the bar. `ctx`: `{store, signOut, pollNow}`. */
export function stockActions(ctx) {
  const { store } = ctx;

  async function save(drinkId, changes) {
    const drink = store.state.menu.find((d) => d.id === drinkId);
    if (!drink) return;
    store.dispatch("saving", { id: drinkId, saving: true });
    try {
      store.dispatch("drink", await api.updateDrink(drinkId, changes));
      toast(t("bar.stock.saved", { drink: drinkName(drink.id, drink.name) }));
    } catch (error) {
      if (error.status === 401) return ctx.signOut(t("bar.signin.expired"));
      toast(t("bar.failed", { detail: error.problem?.detail || error.status }), { kind: "error" });
    } finally {
      store.dispatch("saving", { id: drinkId, saving: false });
      ctx.pollNow();
    }
  }

  return {
    /** The "on the menu" switch changed. */
    available(input) {
      save(input.dataset.drink, { available: input.checked });
    },
    /** A key in a portions field: it is being typed (kept across renders). */
    typing(input) {
      if (input.type === "number") input.dataset.dirty = "";
    },
    /** A portions form was submitted. */
    submit(form) {
      const input = form.querySelector("input[type=number]");
      const raw = input.value.trim();
      const stock = raw === "" ? null : Number(raw);
      if (stock !== null && (!Number.isInteger(stock) || stock < 0)) {
        input.setAttribute("aria-invalid", "true");
        toast(t("bar.stock.invalid"), { kind: "error" });
        return;
      }
      delete input.dataset.dirty;
      input.removeAttribute("aria-invalid");
      save(form.dataset.drink, { stock });
    },
  };
}
