// Translations: static/locale/<lang>.json, flat "key": "text with {params}". The language
// comes from a saved choice, else the browser's languages, else English; the switch is
// visible on every page. Missing keys fall back to English, then to the key itself.

import { h } from "./dom.js";

export const LANGUAGES = [
  { code: "en", name: "English" },
  { code: "de", name: "Deutsch" },
  { code: "fr", name: "Français" },
  { code: "it", name: "Italiano" },
];
const CODES = LANGUAGES.map((l) => l.code);
const STORAGE_KEY = "lang";

let language = "en";
let strings = {};
let english = {};
const listeners = new Set();

async function load(code) {
  // Locale files keep their names (they are fetched by language code), so they are cached for
  // five minutes; "no-cache" revalidates them (a 304 when unchanged) so that the texts always
  // match the modules of a new deploy.
  const response = await fetch(`/locale/${code}.json`, { headers: { Accept: "application/json" }, cache: "no-cache" });
  if (!response.ok) throw new Error(`locale ${code}: ${response.status}`);
  return response.json();
}

function storedLanguage() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** The best supported language for this browser: saved choice, ?lang=, browser list, "en". */
export function detectLanguage() {
  const fromQuery = new URLSearchParams(location.search).get("lang");
  if (fromQuery && CODES.includes(fromQuery)) return fromQuery;
  const saved = storedLanguage();
  if (saved && CODES.includes(saved)) return saved;
  const wanted = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
  for (const tag of wanted) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (CODES.includes(base)) return base;
  }
  return "en";
}

export async function initI18n() {
  english = await load("en");
  await setLanguage(detectLanguage(), { save: false });
}

export async function setLanguage(code, { save = true } = {}) {
  if (!CODES.includes(code)) code = "en";
  strings = code === "en" ? english : await load(code).catch(() => english);
  language = code;
  document.documentElement.lang = code;
  if (save) {
    try {
      localStorage.setItem(STORAGE_KEY, code);
    } catch {
      /* private mode: the choice lasts for this page only */
    }
  }
  applyStatic();
  for (const listener of listeners) listener(code);
}

export function currentLanguage() {
  return language;
}

/** Calls `listener(code)` after every language change. */
export function onLanguageChange(listener) {
  listeners.add(listener);
}

/**
 * t("ticker.ordered", {name: "Ana", drink: "Tea"}). With a numeric `n`, "key.one"/"key.other"
 * (Intl.PluralRules) are tried first.
 */
export function t(key, params = {}) {
  let template;
  if (typeof params.n === "number") {
    const rule = new Intl.PluralRules(language).select(params.n);
    template = strings[`${key}.${rule}`] ?? english[`${key}.${rule}`] ?? strings[`${key}.other`] ?? english[`${key}.other`];
  }
  template = template ?? strings[key] ?? english[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

/** A text the bar set per language (`{en, de, …}`): the current language's, else English's, else "". */
export function localText(texts) {
  if (!texts || typeof texts !== "object") return "";
  return texts[language] || texts.en || "";
}

/** A drink's name in the current language (the bar sets it per language), else English, else its id. */
export function drinkName(id, drink) {
  return localText(drink?.names) || drink?.name || id;
}

export function statusName(status) {
  return t(`status.${status}`);
}

/** Clock time of epoch ms in the current language. */
export function formatTime(ms) {
  if (!Number.isFinite(ms)) return "";
  return new Intl.DateTimeFormat(language, { hour: "2-digit", minute: "2-digit" }).format(new Date(ms));
}

/** Elements with data-i18n="key" get their text; data-i18n-<attr>="key" set attributes. */
export function applyStatic(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("*")) {
    for (const name of Object.keys(el.dataset)) {
      if (name.startsWith("i18n") && name.length > 4) {
        const attr = name.slice(4).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/^-/, "");
        el.setAttribute(attr, t(el.dataset[name]));
      }
    }
  }
}

/** The visible language switch: one real button per language, the current one pressed. */
export function languageSwitch() {
  const group = h("div", { class: "lang-switch", role: "group", "data-i18n-aria-label": "lang.label", "aria-label": t("lang.label") });
  const render = () => {
    group.setAttribute("aria-label", t("lang.label"));
    group.replaceChildren(
      ...LANGUAGES.map((l) =>
        h(
          "button",
          {
            type: "button",
            class: "lang-button",
            lang: l.code,
            "aria-pressed": l.code === language ? "true" : "false",
            title: l.name,
            // The name a screen reader says contains the visible code (WCAG 2.5.3).
            "aria-label": `${l.name}, ${l.code.toUpperCase()}`,
            onclick: () => setLanguage(l.code),
          },
          l.code.toUpperCase(),
        ),
      ),
    );
  };
  render();
  onLanguageChange(render);
  return group;
}

/**
 * Like t(), but returns a list of text pieces and nodes: `{name}` placeholders whose value is
 * a DOM node (e.g. a <strong> holding a nickname as text) are kept as nodes.
 */
export function tNodes(key, params = {}) {
  const strParams = {};
  for (const [name, value] of Object.entries(params)) {
    if (!(value instanceof Node)) strParams[name] = value;
  }
  const text = t(key, strParams);
  const out = [];
  let last = 0;
  for (const match of text.matchAll(/\{(\w+)\}/g)) {
    const value = params[match[1]];
    if (!(value instanceof Node)) continue;
    if (match.index > last) out.push(text.slice(last, match.index));
    out.push(value);
    last = match.index + match[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}
