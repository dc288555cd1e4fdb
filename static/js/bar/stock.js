// Bar page, menu and stock: per drink an "on the menu" switch and the portions left (empty =
// unlimited), its name per language, its place (up/down), retire and put back — saved with
// PATCH /api/drinks/{id}; a form adds a drink (POST /api/drinks). What is being typed
// survives live updates.

import * as api from "../api.js";
import { h, replace, toast } from "../dom.js";
import { t, drinkName, LANGUAGES } from "../i18n.js";
import { drinkPicture, iconUrl } from "../drinks.js";
import { ICONS, MAX_PICTURE_BYTES } from "../rules.js";

/** The bundled icons as a row of choices; `current` is checked ("" = none chosen). */
function iconPicker(prefix, current, drinkId = null) {
  return h("fieldset", { class: "icon-picker" },
    h("legend", {}, t("bar.menu.icon")),
    ICONS.map((icon) => {
      const id = `icon-${prefix}-${icon}`;
      return h("span", { class: "icon-choice" },
        h("input", {
          type: "radio",
          name: `icon-${prefix}`,
          id,
          value: icon,
          checked: current === icon,
          dataset: drinkId ? { action: "drink-icon", drink: drinkId } : {},
        }),
        h("label", { for: id, title: icon },
          h("img", { src: iconUrl(icon), alt: icon, width: 40, height: 40, loading: "lazy" })));
    }));
}

/** The upload field for a drink's picture (PNG, JPEG or WebP, ≤ 256 KiB). */
function pictureInput(id, drinkId = null) {
  return h("span", { class: "name-field" },
    h("label", { for: id }, t("bar.menu.picture")),
    h("input", {
      type: "file",
      id,
      accept: "image/png,image/jpeg,image/webp",
      dataset: drinkId ? { action: "drink-picture", drink: drinkId } : {},
    }));
}

/** Longest name and description, in characters (as core's limits). */
const MAX_CHARS = { names: 64, description: 120 };

/**
 * The inputs of a text per language (`field`: "names" or "description") of one drink
 * (`prefix`: "add" or the drink id), kept across renders while typed.
 */
function textInputs(field, prefix, values, typed) {
  return LANGUAGES.map(({ code, name }) => {
    const id = `${field}-${prefix}-${code}`;
    return h("span", { class: "name-field" },
      h("label", { for: id }, field === "names" ? name : t("bar.menu.description", { language: name })),
      h("input", {
        type: "text",
        id,
        lang: code,
        maxlength: MAX_CHARS[field],
        value: typed.has(id) ? typed.get(id) : values?.[code] ?? "",
        "data-dirty": typed.has(id) ? "" : null,
        dataset: { field, language: code },
      }));
  });
}

/** The text per language typed into `form` for `field`, as the API takes it. */
function textsOf(form, field) {
  const texts = {};
  for (const input of form.querySelectorAll(`input[data-field=${field}]`)) {
    const value = input.value.trim();
    if (value) texts[input.dataset.language] = value;
  }
  return texts;
}

/** A drink id from its English name: "Club-Mate 0.5 l" → "club-mate-0-5-l". */
function idFrom(name) {
  return name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 32).replace(/-+$/, "");
}

export function renderStock(el, state) {
  const focusedId = document.activeElement?.id;
  // Keep what the bartender is typing across live updates.
  const typed = new Map([...el.querySelectorAll("input[data-dirty]")].map((i) => [i.id, i.value]));
  const onMenu = state.menu.filter((d) => !d.retired);
  const retired = state.menu.filter((d) => d.retired);
  replace(el,
    h("h1", {}, t("bar.stock.title")),
    h("p", { class: "muted" }, t("bar.stock.hint")),
    h("ul", { class: "stock-list" }, onMenu.map((drink, index) => {
      const stockId = `stock-${drink.id}`;
      const move = (dir, label, disabled) => h("button", {
        type: "button",
        class: "button button-secondary button-small",
        dataset: { action: "move-drink", drink: drink.id, dir },
        disabled,
        "aria-label": t(label, { drink: drinkName(drink.id, drink) }),
      }, dir === "up" ? "↑" : "↓");
      return h("li", { class: `stock-row ${drink.sold_out ? "is-sold-out" : ""} ${state.saving.has(drink.id) ? "saving" : ""}`, dataset: { drink: drink.id } },
        drinkPicture(drink, { className: "stock-picture", size: 48 }),
        h("div", { class: "stock-name" },
          h("strong", {}, drinkName(drink.id, drink)),
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
          h("button", { type: "submit", class: "button button-secondary button-small" }, t("bar.stock.save"))),
        h("details", { class: "drink-edit", open: typed.has(`names-${drink.id}-en`) ? true : null },
          h("summary", {}, t("bar.menu.edit")),
          h("form", { class: "names-form", dataset: { action: "rename", drink: drink.id } },
            ...textInputs("names", drink.id, drink.names, typed),
            ...textInputs("description", drink.id, drink.description, typed),
            h("button", { type: "submit", class: "button button-secondary button-small" }, t("bar.menu.rename"))),
          iconPicker(drink.id, drink.icon ?? "", drink.id),
          h("div", { class: "drink-edit-actions" },
            pictureInput(`picture-${drink.id}`, drink.id),
            drink.picture
              ? h("button", {
                type: "button",
                class: "button button-secondary button-small",
                dataset: { action: "clear-picture", drink: drink.id },
              }, t("bar.menu.clear_picture"))
              : null,
            move("up", "bar.menu.up", index === 0),
            move("down", "bar.menu.down", index === onMenu.length - 1),
            h("button", {
              type: "button",
              class: "button button-secondary button-small",
              dataset: { action: "retire-drink", drink: drink.id, retired: "true" },
            }, t("bar.menu.retire")))));
    })),
    retired.length
      ? h("section", { class: "retired" },
        h("h2", {}, t("bar.menu.retired")),
        h("ul", { class: "retired-list" }, retired.map((drink) => h("li", {},
          h("span", {}, drinkName(drink.id, drink)),
          h("button", {
            type: "button",
            class: "button button-secondary button-small",
            dataset: { action: "retire-drink", drink: drink.id, retired: "false" },
          }, t("bar.menu.restore"))))))
      : null,
    h("form", { class: "add-drink card", dataset: { action: "add-drink" } },
      h("h2", {}, t("bar.menu.add_title")),
      h("p", { class: "muted" }, t("bar.menu.add_hint")),
      ...textInputs("names", "add", null, typed),
      ...textInputs("description", "add", null, typed),
      iconPicker("add", ""),
      pictureInput("add-picture"),
      h("span", { class: "name-field" },
        h("label", { for: "add-stock" }, t("bar.stock.portions")),
        h("input", {
          type: "number", id: "add-stock", min: 0, step: 1, inputmode: "numeric",
          placeholder: t("bar.stock.unlimited"),
          value: typed.get("add-stock") ?? "",
          "data-dirty": typed.has("add-stock") ? "" : null,
        })),
      h("button", { type: "submit", class: "button" }, t("bar.menu.add"))));
  if (focusedId) document.getElementById(focusedId)?.focus();
}

/** The stock tab's events, delegated from the bar. `ctx`: `{store, signOut, pollNow}`. */
export function stockActions(ctx) {
  const { store } = ctx;

  /** The page's own check of a chosen file (the server checks the content again). */
  function checkFile(input) {
    const file = input.files[0];
    if (file.size > MAX_PICTURE_BYTES) {
      toast(t("bar.menu.picture_too_large"), { kind: "error" });
      return false;
    }
    if (!["image/png", "image/jpeg", "image/webp"].includes(file.type)) {
      toast(t("bar.menu.picture_type"), { kind: "error" });
      return false;
    }
    return true;
  }

  function refuseNames(form, field = "names") {
    const english = form.querySelector(`input[data-field=${field}][data-language=en]`);
    english.setAttribute("aria-invalid", "true");
    english.focus();
    toast(t(field === "names" ? "bar.menu.english_needed" : "bar.event.english_needed"), { kind: "error" });
  }

  async function save(drinkId, changes, { quiet = false } = {}) {
    const drink = store.state.menu.find((d) => d.id === drinkId);
    if (!drink) return;
    store.dispatch("saving", { id: drinkId, saving: true });
    try {
      const saved = await api.updateDrink(drinkId, changes);
      store.dispatch("drink", saved);
      if (!quiet) toast(t("bar.stock.saved", { drink: drinkName(saved.id, saved) }));
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
    /** A key in a portions or name field: it is being typed (kept across renders). */
    typing(input) {
      if (input.type === "number" || input.dataset.field) input.dataset.dirty = "";
    },
    /** A name form was submitted: the drink's names per language. */
    rename(form) {
      const names = textsOf(form, "names");
      if (!names.en) return refuseNames(form);
      const description = textsOf(form, "description");
      if (Object.keys(description).length && !description.en) return refuseNames(form, "description");
      for (const input of form.querySelectorAll("input")) delete input.dataset.dirty;
      save(form.dataset.drink, { names, description });
    },
    /** Up or down: the drink swaps places with its neighbour on the menu. */
    async move(button) {
      const menu = store.state.menu.filter((d) => !d.retired);
      const at = menu.findIndex((d) => d.id === button.dataset.drink);
      const other = menu[at + (button.dataset.dir === "up" ? -1 : 1)];
      if (at < 0 || !other) return;
      const drink = menu[at];
      if (drink.position !== other.position) {
        // The two swap places.
        await save(drink.id, { position: other.position }, { quiet: true });
        await save(other.id, { position: drink.position }, { quiet: true });
        return;
      }
      // Equal places (ordered by id): number the whole menu 10, 20, … with the two swapped.
      const order = menu.map((d) => d.id);
      [order[at], order[order.indexOf(other.id)]] = [other.id, order[at]];
      for (const [i, id] of order.entries()) await save(id, { position: (i + 1) * 10 }, { quiet: true });
    },
    /** An icon was picked for a drink. */
    icon(input) {
      save(input.dataset.drink, { icon: input.value });
    },
    /** A picture file was chosen for a drink: uploaded at once. */
    async picture(input) {
      const file = input.files[0];
      if (!file || !checkFile(input)) return;
      const drinkId = input.dataset.drink;
      store.dispatch("saving", { id: drinkId, saving: true });
      try {
        store.dispatch("drink", await api.setDrinkPicture(drinkId, file));
        toast(t("bar.menu.picture_saved"));
      } catch (error) {
        if (error.status === 401) return ctx.signOut(t("bar.signin.expired"));
        toast(t("bar.failed", { detail: error.problem?.detail || error.status }), { kind: "error" });
      } finally {
        store.dispatch("saving", { id: drinkId, saving: false });
        input.value = "";
        ctx.pollNow();
      }
    },
    /** The drink shows its icon again. */
    async clearPicture(button) {
      try {
        store.dispatch("drink", await api.clearDrinkPicture(button.dataset.drink));
      } catch (error) {
        if (error.status === 401) return ctx.signOut(t("bar.signin.expired"));
        toast(t("bar.failed", { detail: error.problem?.detail || error.status }), { kind: "error" });
      } finally {
        ctx.pollNow();
      }
    },
    /** Retire a drink (off the menu, kept for history) or put it back. */
    retire(button) {
      save(button.dataset.drink, { retired: button.dataset.retired === "true" });
    },
    /** The add form: a new drink at the end of the menu. */
    async add(form) {
      const names = textsOf(form, "names");
      if (!names.en) return refuseNames(form);
      const description = textsOf(form, "description");
      if (Object.keys(description).length && !description.en) return refuseNames(form, "description");
      const stockInput = form.querySelector("#add-stock");
      const raw = stockInput.value.trim();
      const stock = raw === "" ? null : Number(raw);
      if (stock !== null && (!Number.isInteger(stock) || stock < 0)) {
        stockInput.setAttribute("aria-invalid", "true");
        toast(t("bar.stock.invalid"), { kind: "error" });
        return;
      }
      const id = idFrom(names.en);
      if (!id) return refuseNames(form);
      const icon = form.querySelector("input[name=icon-add]:checked")?.value;
      const file = form.querySelector("#add-picture").files[0];
      if (file && !checkFile(form.querySelector("#add-picture"))) return;
      try {
        let drink = await api.createDrink({ id, names, description, stock, ...(icon ? { icon } : {}) });
        if (file) drink = await api.setDrinkPicture(drink.id, file);
        for (const input of form.querySelectorAll("input")) {
          delete input.dataset.dirty;
          if (input.type === "radio") input.checked = false;
          else input.value = "";
        }
        store.dispatch("added", drink);
        toast(t("bar.menu.added", { drink: drinkName(drink.id, drink) }));
      } catch (error) {
        if (error.status === 401) return ctx.signOut(t("bar.signin.expired"));
        toast(error.type === "drink-exists"
          ? t("bar.menu.exists", { id })
          : t("bar.failed", { detail: error.problem?.detail || error.status }), { kind: "error" });
      } finally {
        ctx.pollNow();
      }
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
