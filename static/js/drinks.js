// Drink pictures: the picture the bar uploaded, else the icon it chose, else the drawn icon
// named like the drink (static/img/drinks/<id>.svg), else the generic glass.

import { h } from "./dom.js";
import { ICONS } from "./rules.js";

const DRAWN = new Set(ICONS);

/** The URL of the drawn icon `icon`. */
export const iconUrl = (icon) => `/img/drinks/${icon}.svg`;

/** Where a drink's picture is: `drink` is the menu's (or just an id when it is unknown). */
export function pictureUrl(drink) {
  if (drink?.picture) return drink.picture;
  if (drink?.icon && DRAWN.has(drink.icon)) return iconUrl(drink.icon);
  const id = typeof drink === "string" ? drink : drink?.id;
  return iconUrl(DRAWN.has(id) ? id : "generic");
}

/** The drink's picture, same size and crop for drawn icons and uploaded pictures. */
export function drinkPicture(drink, { className = "drink-picture", size = 96 } = {}) {
  const src = pictureUrl(drink);
  // An uploaded picture is cropped to the icons' disc (CSS `.is-photo`).
  const photo = Boolean(drink?.picture);
  const img = h("img", { class: `${className} ${photo ? "is-photo" : ""}`, src, alt: "", width: size, height: size, decoding: "async" });
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
