// The live "Ana ordered Cappuccino" ticker, shared by the visitor page and the poster.
// Updated incrementally (a new line is one added node) so the aria-live log announces only
// what is new.

import { h } from "./dom.js";
import { t, tNodes, drinkName, formatTime } from "./i18n.js";

export class Ticker {
  constructor({ max = 10, menu = () => [] } = {}) {
    this.max = max;
    this.menu = menu;
    this.entries = []; // newest first: {id, nickname, drink, at}
    this.list = h("ol", { class: "ticker-list", role: "log", "aria-live": "polite", "aria-relevant": "additions" });
    this.empty = h("p", { class: "ticker-empty" });
    this.el = h("div", { class: "ticker" }, this.list, this.empty);
    this.items = new Map();
    this.renderAll();
  }

  /** Takes feed events (oldest first). */
  apply(events, { quiet = false } = {}) {
    let changed = false;
    for (const event of events) {
      const order = event.order;
      if (!order) continue;
      if (event.kind === "placed" || event.kind === "changed") {
        this.remove(order.id);
        const entry = { id: order.id, nickname: order.nickname, drink: order.drink, at: event.at };
        this.entries.unshift(entry);
        if (!quiet) this.list.prepend(this.item(entry));
        changed = true;
      } else if (event.kind === "cancelled") {
        changed = this.remove(order.id) || changed;
      }
    }
    while (this.entries.length > this.max) {
      const dropped = this.entries.pop();
      this.items.get(dropped.id)?.remove();
      this.items.delete(dropped.id);
    }
    if (quiet && changed) this.renderAll();
    this.empty.hidden = this.entries.length > 0;
  }

  remove(id) {
    const index = this.entries.findIndex((e) => e.id === id);
    if (index < 0) return false;
    this.entries.splice(index, 1);
    this.items.get(id)?.remove();
    this.items.delete(id);
    return true;
  }

  item(entry) {
    const name = this.menu().find((d) => d.id === entry.drink)?.name;
    const li = h(
      "li",
      { class: "ticker-item" },
      h("span", { class: "ticker-text" },
        tNodes("ticker.ordered", {
          name: h("strong", { class: "nick", dir: "auto" }, entry.nickname),
          drink: h("span", { class: "ticker-drink" }, drinkName(entry.drink, name)),
        }),
      ),
      h("time", { class: "ticker-time", datetime: new Date(entry.at).toISOString() }, formatTime(entry.at)),
    );
    this.items.set(entry.id, li);
    return li;
  }

  /** Full re-render (first fill, language change): replaces the nodes without announcing. */
  renderAll() {
    this.items.clear();
    this.list.setAttribute("aria-label", t("ticker.title"));
    this.list.replaceChildren(...this.entries.map((e) => this.item(e)));
    this.empty.textContent = t("ticker.empty");
    this.empty.hidden = this.entries.length > 0;
  }
}
