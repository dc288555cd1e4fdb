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

/** sold_out as the API defines it, for a drink updated from a feed event. */
export function applyDrinkEvent(drink, change) {
  drink.available = change.available;
  drink.stock = change.stock ?? null;
  drink.sold_out = !drink.available || drink.stock === 0;
  return drink;
}
