// The live "Ana ordered Cappuccino" ticker, shared by the visitor page and the poster.
//
// What it lists is the server's (GET /api/visit: the last orders placed or changed, newest
// first, each once, without cancelled ones, "Guest #42" while the bar hides a name), so a
// screen's ticker costs the same however many events there were. `TickerView.render(entries)`
// puts them on screen incrementally (a new order is one inserted node, a dropped one one
// removed node) so that the aria-live log announces only what is new.

import { h } from "./dom.js";
import { t, tNodes, drinkName, formatTime } from "./i18n.js";
import { publicName } from "./names.js";

export class TickerView {
  constructor() {
    // The live region wraps the list: role="log" on the <ol> itself would take away its list
    // role, leaving its <li> outside any list.
    this.list = h("ol", { class: "ticker-list" });
    this.empty = h("p", { class: "ticker-empty" });
    this.el = h("div", { class: "ticker", role: "log", "aria-live": "polite", "aria-relevant": "additions" }, this.list, this.empty);
    this.items = new Map(); // order id → <li>, in the order of the last render
    this.rendered = null; // the entries last rendered
  }

  /**
   * Shows `entries`; `menu` gives the server's drink names. `full` (first fill, language
   * change) replaces every node without announcing them one by one.
   */
  render(entries, menu, { full = false } = {}) {
    if (!full && entries === this.rendered) return;
    const nameOf = (entry) => drinkName(entry.drink, menu.find((d) => d.id === entry.drink));
    if (full) {
      this.items.clear();
      this.list.setAttribute("aria-label", t("ticker.title"));
      this.list.replaceChildren(...entries.map((e) => this.item(e, nameOf(e))));
    } else {
      const keep = new Set(entries.map((e) => e.id));
      for (const [id, li] of this.items) {
        if (!keep.has(id)) {
          li.remove();
          this.items.delete(id);
        }
      }
      // Walk the entries in order; a new one goes before the first node already shown after it.
      let next = this.list.firstChild;
      for (const entry of entries) {
        const shown = this.items.get(entry.id);
        if (shown && shown.dataset.at === String(entry.at) && shown.dataset.name === publicName(entry)) {
          if (shown !== next) this.list.insertBefore(shown, next);
          next = shown.nextSibling;
        } else {
          if (shown) {
            if (shown === next) next = shown.nextSibling;
            shown.remove();
          }
          this.list.insertBefore(this.item(entry, nameOf(entry)), next);
        }
      }
    }
    this.rendered = entries;
    this.empty.textContent = t("ticker.empty");
    this.empty.hidden = entries.length > 0;
  }

  item(entry, drink) {
    const name = publicName(entry);
    const li = h(
      "li",
      { class: "ticker-item", dataset: { id: entry.id, at: entry.at, name } },
      h("span", { class: "ticker-text" },
        tNodes("ticker.ordered", {
          name: h("strong", { class: `nick ${entry.nickname == null ? "nick-hidden" : ""}`, dir: "auto" }, name),
          drink: h("span", { class: "ticker-drink" }, drink),
        }),
      ),
      h("time", { class: "ticker-time", datetime: new Date(entry.at).toISOString() }, formatTime(entry.at)),
    );
    this.items.set(entry.id, li);
    return li;
  }
}
