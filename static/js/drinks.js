// Drink pictures: static/img/drinks/<id>.svg, with a generic glass for drinks the bar adds
// later.

import { h } from "./dom.js";

const PICTURES = new Set(["espresso", "cappuccino", "tea", "water", "fruit-juice", "beer", "wine"]);

export function drinkPicture(id, { className = "drink-picture", size = 96 } = {}) {
  const src = PICTURES.has(id) ? `/img/drinks/${id}.svg` : "/img/drinks/generic.svg";
  const img = h("img", { class: className, src, alt: "", width: size, height: size, decoding: "async" });
  img.addEventListener("error", () => {
    if (!img.src.endsWith("/generic.svg")) img.src = "/img/drinks/generic.svg";
  }, { once: true });
  return img;
}

/**
 * A drink of the menu updated from a feed event's `drink` (a new object; the old one is left
 * as it was). `sold_out` comes from the server, like in GET /api/menu.
 */
export function applyDrinkEvent(drink, change) {
  return { ...drink, available: change.available, stock: change.stock ?? null, sold_out: change.sold_out };
}
